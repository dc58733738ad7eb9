//! AddPartitionsToTxn (key 24): a transactional producer adding partitions
//! to its open transaction before it writes to them (transactions v1); from
//! v4 brokers also use it among themselves to verify (KIP-890).

kafka_message! {
    /// Adds partitions to one transaction (v0-3) or several (v4+, brokers).
    pub struct AddPartitionsToTxnRequest: AddPartitionsToTxn, versions 0 to 5, flexible 3, response AddPartitionsToTxnResponse {
        /// The transactions to add partitions to (v4+).
        transactions: Vec<AddPartitionsToTxnTransaction> [4],
        /// The transactional id (v0-3).
        v3_and_below_transactional_id: String [0 to 3],
        /// The producer id in use by the transactional id (v0-3).
        v3_and_below_producer_id: i64 [0 to 3],
        /// The producer epoch (v0-3).
        v3_and_below_producer_epoch: i16 [0 to 3],
        /// The partitions to add (v0-3).
        v3_and_below_topics: Vec<AddPartitionsToTxnTopic> [0 to 3],
    }
}

kafka_struct! {
    /// One transaction's partitions (v4+).
    pub struct AddPartitionsToTxnTransaction {
        /// The transactional id.
        transactional_id: String [4],
        /// The producer id in use by the transactional id.
        producer_id: i64 [4],
        /// The producer epoch.
        producer_epoch: i16 [4],
        /// Only check that the partitions are in the transaction.
        verify_only: bool [4],
        /// The partitions to add.
        topics: Vec<AddPartitionsToTxnTopic> [4],
    }
}

kafka_struct! {
    /// One topic's partitions to add.
    pub struct AddPartitionsToTxnTopic {
        /// The topic name.
        name: String [0],
        /// The partition indexes.
        partitions: Vec<i32> [0],
    }
}

kafka_message! {
    /// The outcome for each partition.
    pub struct AddPartitionsToTxnResponse: AddPartitionsToTxn, versions 0 to 5, flexible 3 {
        /// Quota throttle time in milliseconds.
        throttle_time_ms: i32 [0],
        /// The top-level error code (v4+).
        error_code: i16 [4],
        /// Each transaction's results (v4+).
        results_by_transaction: Vec<AddPartitionsToTxnResult> [4],
        /// Each topic's results (v0-3).
        results_by_topic_v3_and_below: Vec<AddPartitionsToTxnTopicResult> [0 to 3],
    }
}

kafka_struct! {
    /// One transaction's results (v4+).
    pub struct AddPartitionsToTxnResult {
        /// The transactional id.
        transactional_id: String [4],
        /// Each topic's results.
        topic_results: Vec<AddPartitionsToTxnTopicResult> [4],
    }
}

kafka_struct! {
    /// One topic's results.
    pub struct AddPartitionsToTxnTopicResult {
        /// The topic name.
        name: String [0],
        /// Each partition's result.
        results_by_partition: Vec<AddPartitionsToTxnPartitionResult> [0],
    }
}

kafka_struct! {
    /// One partition's result.
    pub struct AddPartitionsToTxnPartitionResult {
        /// The partition index.
        partition_index: i32 [0],
        /// The error code, or 0.
        partition_error_code: i16 [0],
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
                tag: 5,
                data: Bytes::from_static(b"a"),
            }]
        } else {
            vec![]
        }
    }

    fn topic(v: i16) -> AddPartitionsToTxnTopic {
        AddPartitionsToTxnTopic {
            name: "t".into(),
            partitions: vec![0, 7],
            unknown_tagged_fields: tags(v),
        }
    }

    #[test]
    fn request_v0_bytes_by_hand() {
        let m = AddPartitionsToTxnRequest {
            v3_and_below_transactional_id: "x".into(),
            v3_and_below_producer_id: 9,
            v3_and_below_producer_epoch: 1,
            v3_and_below_topics: vec![topic(0)],
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 0).expect("encodes");
        assert_eq!(
            &buf[..],
            &[
                0, 1, b'x', 0, 0, 0, 0, 0, 0, 0, 9, 0, 1, // id, pid, epoch
                0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 7,
            ]
        );
    }

    #[test]
    fn every_version_roundtrips() {
        check_version_bounds::<AddPartitionsToTxnRequest>();
        check_every_version(|v| AddPartitionsToTxnRequest {
            transactions: vec![AddPartitionsToTxnTransaction {
                transactional_id: "x".into(),
                producer_id: 3,
                producer_epoch: 4,
                verify_only: true,
                topics: vec![topic(v)],
                unknown_tagged_fields: tags(v),
            }],
            v3_and_below_transactional_id: "y".into(),
            v3_and_below_producer_id: 5,
            v3_and_below_producer_epoch: 6,
            v3_and_below_topics: vec![topic(v), topic(v)],
            unknown_tagged_fields: tags(v),
        });
        let result = |v| AddPartitionsToTxnTopicResult {
            name: "t".into(),
            results_by_partition: vec![AddPartitionsToTxnPartitionResult {
                partition_index: 2,
                partition_error_code: 48,
                unknown_tagged_fields: tags(v),
            }],
            unknown_tagged_fields: tags(v),
        };
        check_every_version(|v| AddPartitionsToTxnResponse {
            throttle_time_ms: 1,
            error_code: 51,
            results_by_transaction: vec![AddPartitionsToTxnResult {
                transactional_id: "x".into(),
                topic_results: vec![result(v)],
                unknown_tagged_fields: tags(v),
            }],
            results_by_topic_v3_and_below: vec![result(v)],
            unknown_tagged_fields: tags(v),
        });
    }
}
