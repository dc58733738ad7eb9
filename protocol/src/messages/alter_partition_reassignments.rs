//! AlterPartitionReassignments (key 45).

kafka_message! {
    /// The AlterPartitionReassignments request (key 45).
    pub struct AlterPartitionReassignmentsRequest: AlterPartitionReassignments, versions 0 to 1, flexible 0, response AlterPartitionReassignmentsResponse {
        /// The time in ms to wait for the request to complete.
        timeout_ms: i32 [0] = 60000,
        /// The option indicating whether changing the replication factor of any given partition as part of this request is a valid move.
        allow_replication_factor_change: bool [1] = true,
        /// The topics to reassign.
        topics: Vec<ReassignableTopic> [0],
    }
}

kafka_struct! {
    /// The topics to reassign.
    pub struct ReassignableTopic {
        /// The topic name.
        name: String [0],
        /// The partitions to reassign.
        partitions: Vec<ReassignablePartition> [0],
    }
}

kafka_struct! {
    /// The partitions to reassign.
    pub struct ReassignablePartition {
        /// The partition index.
        partition_index: i32 [0],
        /// The replicas to place the partitions on, or null to cancel a pending reassignment for this partition.
        replicas: Option<Vec<i32>> [0, nullable 0],
    }
}

kafka_message! {
    /// The AlterPartitionReassignments response (key 45).
    pub struct AlterPartitionReassignmentsResponse: AlterPartitionReassignments, versions 0 to 1, flexible 0 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The option indicating whether changing the replication factor of any given partition as part of the request was allowed.
        allow_replication_factor_change: bool [1] = true,
        /// The top-level error code, or 0 if there was no error.
        error_code: i16 [0],
        /// The top-level error message, or null if there was no error.
        error_message: Option<String> [0, nullable 0] = Some(String::new()),
        /// The responses to topics to reassign.
        responses: Vec<ReassignableTopicResponse> [0],
    }
}

kafka_struct! {
    /// The responses to topics to reassign.
    pub struct ReassignableTopicResponse {
        /// The topic name.
        name: String [0],
        /// The responses to partitions to reassign.
        partitions: Vec<ReassignablePartitionResponse> [0],
    }
}

kafka_struct! {
    /// The responses to partitions to reassign.
    pub struct ReassignablePartitionResponse {
        /// The partition index.
        partition_index: i32 [0],
        /// The error code for this partition, or 0 if there was no error.
        error_code: i16 [0],
        /// The error message for this partition, or null if there was no error.
        error_message: Option<String> [0, nullable 0] = Some(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_alter_partition_reassignments_request() -> AlterPartitionReassignmentsRequest {
        AlterPartitionReassignmentsRequest {
            timeout_ms: 2,
            allow_replication_factor_change: true,
            topics: vec![filled_reassignable_topic()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_reassignable_topic() -> ReassignableTopic {
        ReassignableTopic {
            name: "s5".into(),
            partitions: vec![filled_reassignable_partition()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_reassignable_partition() -> ReassignablePartition {
        ReassignablePartition {
            partition_index: 9,
            replicas: Some(vec![12]),
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_alter_partition_reassignments_response() -> AlterPartitionReassignmentsResponse {
        AlterPartitionReassignmentsResponse {
            throttle_time_ms: 13,
            allow_replication_factor_change: true,
            error_code: 15,
            error_message: Some("s16".into()),
            responses: vec![filled_reassignable_topic_response()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_reassignable_topic_response() -> ReassignableTopicResponse {
        ReassignableTopicResponse {
            name: "s19".into(),
            partitions: vec![filled_reassignable_partition_response()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_reassignable_partition_response() -> ReassignablePartitionResponse {
        ReassignablePartitionResponse {
            partition_index: 23,
            error_code: 24,
            error_message: Some("s25".into()),
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_alter_partition_reassignments_request());
        check_every_version(|_| filled_alter_partition_reassignments_response());
    }
}
