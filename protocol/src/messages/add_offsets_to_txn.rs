//! AddOffsetsToTxn (key 25): a transactional producer telling its
//! transaction coordinator it will commit a group's offsets in the
//! transaction (before TxnOffsetCommit to the group coordinator).

kafka_message! {
    /// Adds a group's offsets to the transaction.
    pub struct AddOffsetsToTxnRequest: AddOffsetsToTxn, versions 0 to 4, flexible 3, response AddOffsetsToTxnResponse {
        /// The transactional id.
        transactional_id: String [0],
        /// The producer id in use by the transactional id.
        producer_id: i64 [0],
        /// The producer epoch.
        producer_epoch: i16 [0],
        /// The consumer group.
        group_id: String [0],
    }
}

kafka_message! {
    /// The coordinator's answer.
    pub struct AddOffsetsToTxnResponse: AddOffsetsToTxn, versions 0 to 4, flexible 3 {
        /// Quota throttle time in milliseconds.
        throttle_time_ms: i32 [0],
        /// The error code, or 0.
        error_code: i16 [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::{check_every_version, check_version_bounds};
    use crate::{Encode, RawTaggedField};
    use bytes::{Bytes, BytesMut};

    fn tags(v: i16) -> Vec<RawTaggedField> {
        if v >= 3 {
            vec![RawTaggedField {
                tag: 2,
                data: Bytes::from_static(b"o"),
            }]
        } else {
            vec![]
        }
    }

    #[test]
    fn request_v3_bytes_by_hand() {
        let m = AddOffsetsToTxnRequest {
            transactional_id: "x".into(),
            producer_id: 1,
            producer_epoch: 2,
            group_id: "g".into(),
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 3).expect("encodes");
        assert_eq!(
            &buf[..],
            &[2, b'x', 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 2, b'g', 0]
        );
    }

    #[test]
    fn every_version_roundtrips() {
        check_version_bounds::<AddOffsetsToTxnRequest>();
        check_every_version(|v| AddOffsetsToTxnRequest {
            transactional_id: "x".into(),
            producer_id: 1,
            producer_epoch: 2,
            group_id: "g".into(),
            unknown_tagged_fields: tags(v),
        });
        check_every_version(|v| AddOffsetsToTxnResponse {
            throttle_time_ms: 1,
            error_code: 49,
            unknown_tagged_fields: tags(v),
        });
    }
}
