//! CreatePartitions (key 37).

kafka_message! {
    /// The CreatePartitions request (key 37).
    pub struct CreatePartitionsRequest: CreatePartitions, versions 0 to 3, flexible 2, response CreatePartitionsResponse {
        /// Each topic that we want to create new partitions inside.
        topics: Vec<CreatePartitionsTopic> [0],
        /// The time in ms to wait for the partitions to be created.
        timeout_ms: i32 [0],
        /// If true, then validate the request, but don't actually increase the number of partitions.
        validate_only: bool [0],
    }
}

kafka_struct! {
    /// Each topic that we want to create new partitions inside.
    pub struct CreatePartitionsTopic {
        /// The topic name.
        name: String [0],
        /// The new partition count.
        count: i32 [0],
        /// The new partition assignments.
        assignments: Option<Vec<CreatePartitionsAssignment>> [0, nullable 0] = Some(Vec::new()),
    }
}

kafka_struct! {
    /// The new partition assignments.
    pub struct CreatePartitionsAssignment {
        /// The assigned broker IDs.
        broker_ids: Vec<i32> [0],
    }
}

kafka_message! {
    /// The CreatePartitions response (key 37).
    pub struct CreatePartitionsResponse: CreatePartitions, versions 0 to 3, flexible 2 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The partition creation results for each topic.
        results: Vec<CreatePartitionsTopicResult> [0],
    }
}

kafka_struct! {
    /// The partition creation results for each topic.
    pub struct CreatePartitionsTopicResult {
        /// The topic name.
        name: String [0],
        /// The result error, or zero if there was no error.
        error_code: i16 [0],
        /// The result message, or null if there was no error.
        error_message: Option<String> [0, nullable 0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_create_partitions_request() -> CreatePartitionsRequest {
        CreatePartitionsRequest {
            topics: vec![filled_create_partitions_topic()],
            timeout_ms: 4,
            validate_only: true,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_create_partitions_topic() -> CreatePartitionsTopic {
        CreatePartitionsTopic {
            name: "s5".into(),
            count: 7,
            assignments: Some(vec![filled_create_partitions_assignment()]),
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_create_partitions_assignment() -> CreatePartitionsAssignment {
        CreatePartitionsAssignment {
            broker_ids: vec![12],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_create_partitions_response() -> CreatePartitionsResponse {
        CreatePartitionsResponse {
            throttle_time_ms: 13,
            results: vec![filled_create_partitions_topic_result()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_create_partitions_topic_result() -> CreatePartitionsTopicResult {
        CreatePartitionsTopicResult {
            name: "s15".into(),
            error_code: 17,
            error_message: Some("s18".into()),
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_create_partitions_request());
        check_every_version(|_| filled_create_partitions_response());
    }
}
