//! OffsetDelete (key 47).

kafka_message! {
    /// The OffsetDelete request (key 47).
    pub struct OffsetDeleteRequest: OffsetDelete, versions 0 to 0, flexible none, response OffsetDeleteResponse {
        /// The unique group identifier.
        group_id: String [0],
        /// The topics to delete offsets for.
        topics: Vec<OffsetDeleteRequestTopic> [0],
    }
}

kafka_struct! {
    /// The topics to delete offsets for.
    pub struct OffsetDeleteRequestTopic {
        /// The topic name.
        name: String [0],
        /// Each partition to delete offsets for.
        partitions: Vec<OffsetDeleteRequestPartition> [0],
    }
}

kafka_struct! {
    /// Each partition to delete offsets for.
    pub struct OffsetDeleteRequestPartition {
        /// The partition index.
        partition_index: i32 [0],
    }
}

kafka_message! {
    /// The OffsetDelete response (key 47).
    pub struct OffsetDeleteResponse: OffsetDelete, versions 0 to 0, flexible none {
        /// The top-level error code, or 0 if there was no error.
        error_code: i16 [0],
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The responses for each topic.
        topics: Vec<OffsetDeleteResponseTopic> [0],
    }
}

kafka_struct! {
    /// The responses for each topic.
    pub struct OffsetDeleteResponseTopic {
        /// The topic name.
        name: String [0],
        /// The responses for each partition in the topic.
        partitions: Vec<OffsetDeleteResponsePartition> [0],
    }
}

kafka_struct! {
    /// The responses for each partition in the topic.
    pub struct OffsetDeleteResponsePartition {
        /// The partition index.
        partition_index: i32 [0],
        /// The error code, or 0 if there was no error.
        error_code: i16 [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_offset_delete_request() -> OffsetDeleteRequest {
        OffsetDeleteRequest {
            group_id: "s1".into(),
            topics: vec![filled_offset_delete_request_topic()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_offset_delete_request_topic() -> OffsetDeleteRequestTopic {
        OffsetDeleteRequestTopic {
            name: "s4".into(),
            partitions: vec![filled_offset_delete_request_partition()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_offset_delete_request_partition() -> OffsetDeleteRequestPartition {
        OffsetDeleteRequestPartition {
            partition_index: 8,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_offset_delete_response() -> OffsetDeleteResponse {
        OffsetDeleteResponse {
            error_code: 9,
            throttle_time_ms: 10,
            topics: vec![filled_offset_delete_response_topic()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_offset_delete_response_topic() -> OffsetDeleteResponseTopic {
        OffsetDeleteResponseTopic {
            name: "s12".into(),
            partitions: vec![filled_offset_delete_response_partition()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_offset_delete_response_partition() -> OffsetDeleteResponsePartition {
        OffsetDeleteResponsePartition {
            partition_index: 16,
            error_code: 17,
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_offset_delete_request());
        check_every_version(|_| filled_offset_delete_response());
    }
}
