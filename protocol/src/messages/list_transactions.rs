//! ListTransactions (key 66): the transactions a broker coordinates, by
//! state, producer id, duration or transactional id pattern (admin).

kafka_message! {
    /// Lists transactions.
    pub struct ListTransactionsRequest: ListTransactions, versions 0 to 2, flexible 0, response ListTransactionsResponse {
        /// Only these states; all when empty.
        state_filters: Vec<String> [0],
        /// Only these producer ids; all when empty.
        producer_id_filters: Vec<i64> [0],
        /// Only transactions running longer than this, in ms; all when
        /// negative (v1+).
        duration_filter: i64 [1] = -1,
        /// Only transactional ids matching this regular expression; all
        /// when empty or null (v2+).
        transactional_id_pattern: Option<String> [2, nullable 2] = None,
    }
}

kafka_message! {
    /// The transactions.
    pub struct ListTransactionsResponse: ListTransactions, versions 0 to 2, flexible 0 {
        /// Quota throttle time in milliseconds.
        throttle_time_ms: i32 [0],
        /// The error code, or 0.
        error_code: i16 [0],
        /// Requested state filters the coordinator does not know.
        unknown_state_filters: Vec<String> [0],
        /// Each transaction.
        transaction_states: Vec<ListTransactionsState> [0],
    }
}

kafka_struct! {
    /// One transaction.
    pub struct ListTransactionsState {
        /// The transactional id.
        transactional_id: String [0],
        /// The producer id.
        producer_id: i64 [0],
        /// The state.
        transaction_state: String [0],
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
            tag: 8,
            data: Bytes::from_static(b"l"),
        }]
    }

    #[test]
    fn request_v2_bytes_by_hand() {
        let m = ListTransactionsRequest::default();
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 2).expect("encodes");
        assert_eq!(
            &buf[..],
            &[1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0]
        );
    }

    #[test]
    fn every_version_roundtrips() {
        check_version_bounds::<ListTransactionsRequest>();
        check_every_version(|_| ListTransactionsRequest {
            state_filters: vec!["Ongoing".into()],
            producer_id_filters: vec![1, 2],
            duration_filter: 1000,
            transactional_id_pattern: Some("tx-.*".into()),
            unknown_tagged_fields: tags(),
        });
        check_every_version(|_| ListTransactionsResponse {
            throttle_time_ms: 1,
            error_code: 0,
            unknown_state_filters: vec!["Bogus".into()],
            transaction_states: vec![ListTransactionsState {
                transactional_id: "a".into(),
                producer_id: 5,
                transaction_state: "Ongoing".into(),
                unknown_tagged_fields: tags(),
            }],
            unknown_tagged_fields: tags(),
        });
    }
}
