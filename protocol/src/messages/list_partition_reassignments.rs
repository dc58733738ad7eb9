//! ListPartitionReassignments (key 46).

kafka_message! {
    /// The ListPartitionReassignments request (key 46).
    pub struct ListPartitionReassignmentsRequest: ListPartitionReassignments, versions 0 to 0, flexible 0, response ListPartitionReassignmentsResponse {
        /// The time in ms to wait for the request to complete.
        timeout_ms: i32 [0] = 60000,
        /// The topics to list partition reassignments for, or null to list everything.
        topics: Option<Vec<ListPartitionReassignmentsTopics>> [0, nullable 0],
    }
}

kafka_struct! {
    /// The topics to list partition reassignments for, or null to list everything.
    pub struct ListPartitionReassignmentsTopics {
        /// The topic name.
        name: String [0],
        /// The partitions to list partition reassignments for.
        partition_indexes: Vec<i32> [0],
    }
}

kafka_message! {
    /// The ListPartitionReassignments response (key 46).
    pub struct ListPartitionReassignmentsResponse: ListPartitionReassignments, versions 0 to 0, flexible 0 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The top-level error code, or 0 if there was no error.
        error_code: i16 [0],
        /// The top-level error message, or null if there was no error.
        error_message: Option<String> [0, nullable 0] = Some(String::new()),
        /// The ongoing reassignments for each topic.
        topics: Vec<OngoingTopicReassignment> [0],
    }
}

kafka_struct! {
    /// The ongoing reassignments for each topic.
    pub struct OngoingTopicReassignment {
        /// The topic name.
        name: String [0],
        /// The ongoing reassignments for each partition.
        partitions: Vec<OngoingPartitionReassignment> [0],
    }
}

kafka_struct! {
    /// The ongoing reassignments for each partition.
    pub struct OngoingPartitionReassignment {
        /// The index of the partition.
        partition_index: i32 [0],
        /// The current replica set.
        replicas: Vec<i32> [0],
        /// The set of replicas we are currently adding.
        adding_replicas: Vec<i32> [0],
        /// The set of replicas we are currently removing.
        removing_replicas: Vec<i32> [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_list_partition_reassignments_request() -> ListPartitionReassignmentsRequest {
        ListPartitionReassignmentsRequest {
            timeout_ms: 2,
            topics: Some(vec![filled_list_partition_reassignments_topics()]),
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_list_partition_reassignments_topics() -> ListPartitionReassignmentsTopics {
        ListPartitionReassignmentsTopics {
            name: "s5".into(),
            partition_indexes: vec![8],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_list_partition_reassignments_response() -> ListPartitionReassignmentsResponse {
        ListPartitionReassignmentsResponse {
            throttle_time_ms: 9,
            error_code: 10,
            error_message: Some("s11".into()),
            topics: vec![filled_ongoing_topic_reassignment()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_ongoing_topic_reassignment() -> OngoingTopicReassignment {
        OngoingTopicReassignment {
            name: "s14".into(),
            partitions: vec![filled_ongoing_partition_reassignment()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_ongoing_partition_reassignment() -> OngoingPartitionReassignment {
        OngoingPartitionReassignment {
            partition_index: 18,
            replicas: vec![20],
            adding_replicas: vec![22],
            removing_replicas: vec![24],
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_list_partition_reassignments_request());
        check_every_version(|_| filled_list_partition_reassignments_response());
    }
}
