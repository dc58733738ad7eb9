//! DescribeLogDirs (key 35).

kafka_message! {
    /// The DescribeLogDirs request (key 35).
    pub struct DescribeLogDirsRequest: DescribeLogDirs, versions 1 to 5, flexible 2, response DescribeLogDirsResponse {
        /// Each topic that we want to describe log directories for, or null for all topics.
        topics: Option<Vec<DescribableLogDirTopic>> [0, nullable 0] = Some(Vec::new()),
    }
}

kafka_struct! {
    /// Each topic that we want to describe log directories for, or null for all topics.
    pub struct DescribableLogDirTopic {
        /// The topic name.
        topic: String [0],
        /// The partition indexes.
        partitions: Vec<i32> [0],
    }
}

kafka_message! {
    /// The DescribeLogDirs response (key 35).
    pub struct DescribeLogDirsResponse: DescribeLogDirs, versions 1 to 5, flexible 2 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The error code, or 0 if there was no error.
        error_code: i16 [3],
        /// The log directories.
        results: Vec<DescribeLogDirsResult> [0],
    }
}

kafka_struct! {
    /// The log directories.
    pub struct DescribeLogDirsResult {
        /// The error code, or 0 if there was no error.
        error_code: i16 [0],
        /// The absolute log directory path.
        log_dir: String [0],
        /// The topics.
        topics: Vec<DescribeLogDirsTopic> [0],
        /// The total size in bytes of the volume the log directory is in. This value does not include the size of data stored in remote storage.
        total_bytes: i64 [4] = -1,
        /// The usable size in bytes of the volume the log directory is in. This value does not include the size of data stored in remote storage.
        usable_bytes: i64 [4] = -1,
        /// True if this log directory is cordoned.
        is_cordoned: bool [5],
    }
}

kafka_struct! {
    /// The topics.
    pub struct DescribeLogDirsTopic {
        /// The topic name.
        name: String [0],
        /// The partitions.
        partitions: Vec<DescribeLogDirsPartition> [0],
    }
}

kafka_struct! {
    /// The partitions.
    pub struct DescribeLogDirsPartition {
        /// The partition index.
        partition_index: i32 [0],
        /// The size of the log segments in this partition in bytes.
        partition_size: i64 [0],
        /// The lag of the log's LEO w.r.t. partition's HW (if it is the current log for the partition) or current replica's LEO (if it is the future log for the partition).
        offset_lag: i64 [0],
        /// True if this log is created by AlterReplicaLogDirsRequest and will replace the current log of the replica in the future.
        is_future_key: bool [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_describe_log_dirs_request() -> DescribeLogDirsRequest {
        DescribeLogDirsRequest {
            topics: Some(vec![filled_describable_log_dir_topic()]),
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describable_log_dir_topic() -> DescribableLogDirTopic {
        DescribableLogDirTopic {
            topic: "s4".into(),
            partitions: vec![7],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_log_dirs_response() -> DescribeLogDirsResponse {
        DescribeLogDirsResponse {
            throttle_time_ms: 8,
            error_code: 9,
            results: vec![filled_describe_log_dirs_result()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_log_dirs_result() -> DescribeLogDirsResult {
        DescribeLogDirsResult {
            error_code: 12,
            log_dir: "s12".into(),
            topics: vec![filled_describe_log_dirs_topic()],
            total_bytes: 16,
            usable_bytes: 17,
            is_cordoned: true,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_log_dirs_topic() -> DescribeLogDirsTopic {
        DescribeLogDirsTopic {
            name: "s18".into(),
            partitions: vec![filled_describe_log_dirs_partition()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_log_dirs_partition() -> DescribeLogDirsPartition {
        DescribeLogDirsPartition {
            partition_index: 22,
            partition_size: 23,
            offset_lag: 24,
            is_future_key: true,
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_describe_log_dirs_request());
        check_every_version(|_| filled_describe_log_dirs_response());
    }
}
