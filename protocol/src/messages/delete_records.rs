//! DeleteRecords (key 21).

kafka_message! {
    /// The DeleteRecords request (key 21).
    pub struct DeleteRecordsRequest: DeleteRecords, versions 0 to 2, flexible 2, response DeleteRecordsResponse {
        /// Each topic that we want to delete records from.
        topics: Vec<DeleteRecordsTopic> [0],
        /// How long to wait for the deletion to complete, in milliseconds.
        timeout_ms: i32 [0],
    }
}

kafka_struct! {
    /// Each topic that we want to delete records from.
    pub struct DeleteRecordsTopic {
        /// The topic name.
        name: String [0],
        /// Each partition that we want to delete records from.
        partitions: Vec<DeleteRecordsPartition> [0],
    }
}

kafka_struct! {
    /// Each partition that we want to delete records from.
    pub struct DeleteRecordsPartition {
        /// The partition index.
        partition_index: i32 [0],
        /// The deletion offset. -1 means that records should be truncated to the high watermark.
        offset: i64 [0],
    }
}

kafka_message! {
    /// The DeleteRecords response (key 21).
    pub struct DeleteRecordsResponse: DeleteRecords, versions 0 to 2, flexible 2 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// Each topic that we wanted to delete records from.
        topics: Vec<DeleteRecordsTopicResult> [0],
    }
}

kafka_struct! {
    /// Each topic that we wanted to delete records from.
    pub struct DeleteRecordsTopicResult {
        /// The topic name.
        name: String [0],
        /// Each partition that we wanted to delete records from.
        partitions: Vec<DeleteRecordsPartitionResult> [0],
    }
}

kafka_struct! {
    /// Each partition that we wanted to delete records from.
    pub struct DeleteRecordsPartitionResult {
        /// The partition index.
        partition_index: i32 [0],
        /// The partition low water mark.
        low_watermark: i64 [0],
        /// The deletion error code, or 0 if the deletion succeeded.
        error_code: i16 [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_delete_records_request() -> DeleteRecordsRequest {
        DeleteRecordsRequest {
            topics: vec![filled_delete_records_topic()],
            timeout_ms: 4,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_delete_records_topic() -> DeleteRecordsTopic {
        DeleteRecordsTopic {
            name: "s4".into(),
            partitions: vec![filled_delete_records_partition()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_delete_records_partition() -> DeleteRecordsPartition {
        DeleteRecordsPartition {
            partition_index: 8,
            offset: 9,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_delete_records_response() -> DeleteRecordsResponse {
        DeleteRecordsResponse {
            throttle_time_ms: 10,
            topics: vec![filled_delete_records_topic_result()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_delete_records_topic_result() -> DeleteRecordsTopicResult {
        DeleteRecordsTopicResult {
            name: "s12".into(),
            partitions: vec![filled_delete_records_partition_result()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_delete_records_partition_result() -> DeleteRecordsPartitionResult {
        DeleteRecordsPartitionResult {
            partition_index: 16,
            low_watermark: 17,
            error_code: 18,
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_delete_records_request());
        check_every_version(|_| filled_delete_records_response());
    }
}
