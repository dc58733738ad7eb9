//! EndTxn (key 26): commits or aborts the producer's transaction. From v5
//! (transactions v2, KIP-890) every EndTxn bumps the producer epoch and the
//! response carries the new producer id and epoch.

kafka_message! {
    /// Ends the transaction.
    pub struct EndTxnRequest: EndTxn, versions 0 to 5, flexible 3, response EndTxnResponse {
        /// The transactional id.
        transactional_id: String [0],
        /// The producer id.
        producer_id: i64 [0],
        /// The producer epoch.
        producer_epoch: i16 [0],
        /// True to commit, false to abort.
        committed: bool [0],
    }
}

kafka_message! {
    /// The coordinator's answer.
    pub struct EndTxnResponse: EndTxn, versions 0 to 5, flexible 3 {
        /// Quota throttle time in milliseconds.
        throttle_time_ms: i32 [0],
        /// The error code, or 0.
        error_code: i16 [0],
        /// The producer id to use from now on (v5+).
        producer_id: i64 [5] = -1,
        /// The producer epoch to use from now on (v5+).
        producer_epoch: i16 [5] = -1,
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
                tag: 3,
                data: Bytes::from_static(b"e"),
            }]
        } else {
            vec![]
        }
    }

    #[test]
    fn response_v5_bytes_by_hand() {
        let m = EndTxnResponse {
            producer_id: 7,
            producer_epoch: 3,
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 5).expect("encodes");
        assert_eq!(
            &buf[..],
            &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 3, 0]
        );
    }

    #[test]
    fn every_version_roundtrips() {
        check_version_bounds::<EndTxnRequest>();
        check_every_version(|v| EndTxnRequest {
            transactional_id: "x".into(),
            producer_id: 1,
            producer_epoch: 2,
            committed: true,
            unknown_tagged_fields: tags(v),
        });
        check_every_version(|v| EndTxnResponse {
            throttle_time_ms: 1,
            error_code: 90,
            producer_id: 4,
            producer_epoch: 5,
            unknown_tagged_fields: tags(v),
        });
    }
}
