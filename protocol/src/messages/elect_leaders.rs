//! ElectLeaders (key 43).

kafka_message! {
    /// The ElectLeaders request (key 43).
    pub struct ElectLeadersRequest: ElectLeaders, versions 0 to 2, flexible 2, response ElectLeadersResponse {
        /// Type of elections to conduct for the partition. A value of '0' elects the preferred replica. A value of '1' elects the first live replica if there are no in-sync replica.
        election_type: i8 [1],
        /// The topic partitions to elect leaders.
        topic_partitions: Option<Vec<TopicPartitions>> [0, nullable 0] = Some(Vec::new()),
        /// The time in ms to wait for the election to complete.
        timeout_ms: i32 [0] = 60000,
    }
}

kafka_struct! {
    /// The topic partitions to elect leaders.
    pub struct TopicPartitions {
        /// The name of a topic.
        topic: String [0],
        /// The partitions of this topic whose leader should be elected.
        partitions: Vec<i32> [0],
    }
}

kafka_message! {
    /// The ElectLeaders response (key 43).
    pub struct ElectLeadersResponse: ElectLeaders, versions 0 to 2, flexible 2 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The top level response error code.
        error_code: i16 [1],
        /// The election results, or an empty array if the requester did not have permission and the request asks for all partitions.
        replica_election_results: Vec<ReplicaElectionResult> [0],
    }
}

kafka_struct! {
    /// The election results, or an empty array if the requester did not have permission and the request asks for all partitions.
    pub struct ReplicaElectionResult {
        /// The topic name.
        topic: String [0],
        /// The results for each partition.
        partition_result: Vec<PartitionResult> [0],
    }
}

kafka_struct! {
    /// The results for each partition.
    pub struct PartitionResult {
        /// The partition id.
        partition_id: i32 [0],
        /// The result error, or zero if there was no error.
        error_code: i16 [0],
        /// The result message, or null if there was no error.
        error_message: Option<String> [0, nullable 0] = Some(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_elect_leaders_request() -> ElectLeadersRequest {
        ElectLeadersRequest {
            election_type: 2,
            topic_partitions: Some(vec![filled_topic_partitions()]),
            timeout_ms: 6,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_topic_partitions() -> TopicPartitions {
        TopicPartitions {
            topic: "s6".into(),
            partitions: vec![9],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_elect_leaders_response() -> ElectLeadersResponse {
        ElectLeadersResponse {
            throttle_time_ms: 10,
            error_code: 11,
            replica_election_results: vec![filled_replica_election_result()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_replica_election_result() -> ReplicaElectionResult {
        ReplicaElectionResult {
            topic: "s13".into(),
            partition_result: vec![filled_partition_result()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_partition_result() -> PartitionResult {
        PartitionResult {
            partition_id: 17,
            error_code: 18,
            error_message: Some("s19".into()),
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_elect_leaders_request());
        check_every_version(|_| filled_elect_leaders_response());
    }
}
