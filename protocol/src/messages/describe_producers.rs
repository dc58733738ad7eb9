//! DescribeProducers (key 61).

kafka_message! {
    /// The DescribeProducers request (key 61).
    pub struct DescribeProducersRequest: DescribeProducers, versions 0 to 0, flexible 0, response DescribeProducersResponse {
        /// The topics to list producers for.
        topics: Vec<TopicRequest> [0],
    }
}

kafka_struct! {
    /// The topics to list producers for.
    pub struct TopicRequest {
        /// The topic name.
        name: String [0],
        /// The indexes of the partitions to list producers for.
        partition_indexes: Vec<i32> [0],
    }
}

kafka_message! {
    /// The DescribeProducers response (key 61).
    pub struct DescribeProducersResponse: DescribeProducers, versions 0 to 0, flexible 0 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// Each topic in the response.
        topics: Vec<TopicResponse> [0],
    }
}

kafka_struct! {
    /// Each topic in the response.
    pub struct TopicResponse {
        /// The topic name.
        name: String [0],
        /// Each partition in the response.
        partitions: Vec<PartitionResponse> [0],
    }
}

kafka_struct! {
    /// Each partition in the response.
    pub struct PartitionResponse {
        /// The partition index.
        partition_index: i32 [0],
        /// The partition error code, or 0 if there was no error.
        error_code: i16 [0],
        /// The partition error message, which may be null if no additional details are available.
        error_message: Option<String> [0, nullable 0],
        /// The active producers for the partition.
        active_producers: Vec<ProducerState> [0],
    }
}

kafka_struct! {
    /// The active producers for the partition.
    pub struct ProducerState {
        /// The producer id.
        producer_id: i64 [0],
        /// The producer epoch.
        producer_epoch: i32 [0],
        /// The last sequence number sent by the producer.
        last_sequence: i32 [0] = -1,
        /// The last timestamp sent by the producer.
        last_timestamp: i64 [0] = -1,
        /// The current epoch of the producer group.
        coordinator_epoch: i32 [0],
        /// The current transaction start offset of the producer.
        current_txn_start_offset: i64 [0] = -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_describe_producers_request() -> DescribeProducersRequest {
        DescribeProducersRequest {
            topics: vec![filled_topic_request()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_topic_request() -> TopicRequest {
        TopicRequest {
            name: "s3".into(),
            partition_indexes: vec![6],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_producers_response() -> DescribeProducersResponse {
        DescribeProducersResponse {
            throttle_time_ms: 7,
            topics: vec![filled_topic_response()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_topic_response() -> TopicResponse {
        TopicResponse {
            name: "s9".into(),
            partitions: vec![filled_partition_response()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_partition_response() -> PartitionResponse {
        PartitionResponse {
            partition_index: 13,
            error_code: 14,
            error_message: Some("s15".into()),
            active_producers: vec![filled_producer_state()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_producer_state() -> ProducerState {
        ProducerState {
            producer_id: 19,
            producer_epoch: 20,
            last_sequence: 21,
            last_timestamp: 22,
            coordinator_epoch: 23,
            current_txn_start_offset: 24,
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_describe_producers_request());
        check_every_version(|_| filled_describe_producers_response());
    }
}
