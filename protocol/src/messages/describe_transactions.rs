//! DescribeTransactions (key 65): the transaction coordinator's view of
//! transactional ids (admin).

kafka_message! {
    /// Describes transactional ids.
    pub struct DescribeTransactionsRequest: DescribeTransactions, versions 0 to 0, flexible 0, response DescribeTransactionsResponse {
        /// The transactional ids to describe.
        transactional_ids: Vec<String> [0],
    }
}

kafka_message! {
    /// Each transactional id's state.
    pub struct DescribeTransactionsResponse: DescribeTransactions, versions 0 to 0, flexible 0 {
        /// Quota throttle time in milliseconds.
        throttle_time_ms: i32 [0],
        /// Each transactional id's state.
        transaction_states: Vec<DescribeTransactionsState> [0],
    }
}

kafka_struct! {
    /// One transactional id's state.
    pub struct DescribeTransactionsState {
        /// The error code, or 0.
        error_code: i16 [0],
        /// The transactional id.
        transactional_id: String [0],
        /// The state (Empty, Ongoing, PrepareCommit, ...).
        transaction_state: String [0],
        /// The transaction timeout, in ms.
        transaction_timeout_ms: i32 [0],
        /// When the transaction started, in ms since the epoch.
        transaction_start_time_ms: i64 [0],
        /// The producer id.
        producer_id: i64 [0],
        /// The producer epoch.
        producer_epoch: i16 [0],
        /// The partitions in the transaction.
        topics: Vec<DescribeTransactionsTopicData> [0],
    }
}

kafka_struct! {
    /// One topic's partitions in a transaction.
    pub struct DescribeTransactionsTopicData {
        /// The topic name.
        topic: String [0],
        /// The partition indexes.
        partitions: Vec<i32> [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::{check_every_version, check_version_bounds};
    use crate::{Encode, RawTaggedField};
    use bytes::{Bytes, BytesMut};

    fn tags() -> Vec<RawTaggedField> {
        vec![RawTaggedField {
            tag: 9,
            data: Bytes::from_static(b"d"),
        }]
    }

    #[test]
    fn request_v0_bytes_by_hand() {
        let m = DescribeTransactionsRequest {
            transactional_ids: vec!["a".into(), "bc".into()],
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 0).expect("encodes");
        assert_eq!(&buf[..], &[3, 2, b'a', 3, b'b', b'c', 0]);
    }

    #[test]
    fn every_version_roundtrips() {
        check_version_bounds::<DescribeTransactionsRequest>();
        check_every_version(|_| DescribeTransactionsRequest {
            transactional_ids: vec!["a".into(), "b".into()],
            unknown_tagged_fields: tags(),
        });
        check_every_version(|_| DescribeTransactionsResponse {
            throttle_time_ms: 1,
            transaction_states: vec![DescribeTransactionsState {
                error_code: 0,
                transactional_id: "a".into(),
                transaction_state: "Ongoing".into(),
                transaction_timeout_ms: 60_000,
                transaction_start_time_ms: 1_700_000_000_000,
                producer_id: 5,
                producer_epoch: 6,
                topics: vec![DescribeTransactionsTopicData {
                    topic: "t".into(),
                    partitions: vec![0, 3],
                    unknown_tagged_fields: tags(),
                }],
                unknown_tagged_fields: tags(),
            }],
            unknown_tagged_fields: tags(),
        });
    }
}
