//! InitProducerId (key 22): a producer id and epoch for idempotent (and
//! transactional) producing.

kafka_message! {
    /// Asks for a producer id.
    pub struct InitProducerIdRequest: InitProducerId, versions 0 to 6, flexible 2, response InitProducerIdResponse {
        /// The transactional id, or null for idempotence alone.
        transactional_id: Option<String> [0, nullable 0],
        /// The transaction timeout, in ms.
        transaction_timeout_ms: i32 [0],
        /// The current producer id, to bump its epoch (v3+).
        producer_id: i64 [3] = -1,
        /// The current producer epoch (v3+).
        producer_epoch: i16 [3] = -1,
        /// Two-phase commit (v6+).
        enable2_pc: bool [6],
        /// Keep a prepared transaction (v6+).
        keep_prepared_txn: bool [6],
    }
}

kafka_message! {
    /// The producer id and epoch.
    pub struct InitProducerIdResponse: InitProducerId, versions 0 to 6, flexible 2 {
        /// Quota throttle time in milliseconds.
        throttle_time_ms: i32 [0],
        /// The error code, or 0.
        error_code: i16 [0],
        /// The producer id.
        producer_id: i64 [0] = -1,
        /// The producer epoch.
        producer_epoch: i16 [0],
        /// The ongoing transaction's producer id (v6+).
        ongoing_txn_producer_id: i64 [6] = -1,
        /// The ongoing transaction's epoch (v6+).
        ongoing_txn_producer_epoch: i16 [6] = -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;
    use crate::{Encode, RawTaggedField};
    use bytes::{Bytes, BytesMut};

    fn tags(v: i16) -> Vec<RawTaggedField> {
        if v >= 2 {
            vec![RawTaggedField {
                tag: 1,
                data: Bytes::from_static(b"p"),
            }]
        } else {
            vec![]
        }
    }

    #[test]
    fn request_v0_and_v4_bytes_by_hand() {
        let m = InitProducerIdRequest {
            transactional_id: None,
            transaction_timeout_ms: 60_000,
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 0).expect("encodes");
        assert_eq!(&buf[..], &[0xff, 0xff, 0, 0, 0xea, 0x60]);
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 4).expect("encodes");
        assert_eq!(
            &buf[..],
            &[0, 0, 0, 0xea, 0x60, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0]
        );
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|v| InitProducerIdRequest {
            transactional_id: Some("tx".into()),
            transaction_timeout_ms: 1,
            producer_id: 2,
            producer_epoch: 3,
            enable2_pc: true,
            keep_prepared_txn: true,
            unknown_tagged_fields: tags(v),
        });
        check_every_version(|v| InitProducerIdResponse {
            throttle_time_ms: 1,
            error_code: 47,
            producer_id: 1000,
            producer_epoch: 2,
            ongoing_txn_producer_id: 3,
            ongoing_txn_producer_epoch: 4,
            unknown_tagged_fields: tags(v),
        });
    }
}
