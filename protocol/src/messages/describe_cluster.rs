//! DescribeCluster (key 60).

kafka_message! {
    /// The DescribeCluster request (key 60).
    pub struct DescribeClusterRequest: DescribeCluster, versions 0 to 2, flexible 0, response DescribeClusterResponse {
        /// Whether to include cluster authorized operations.
        include_cluster_authorized_operations: bool [0],
        /// The endpoint type to describe. 1=brokers, 2=controllers.
        endpoint_type: i8 [1] = 1,
        /// Whether to include fenced brokers when listing brokers.
        include_fenced_brokers: bool [2],
    }
}

kafka_message! {
    /// The DescribeCluster response (key 60).
    pub struct DescribeClusterResponse: DescribeCluster, versions 0 to 2, flexible 0 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The top-level error code, or 0 if there was no error.
        error_code: i16 [0],
        /// The top-level error message, or null if there was no error.
        error_message: Option<String> [0, nullable 0],
        /// The endpoint type that was described. 1=brokers, 2=controllers.
        endpoint_type: i8 [1] = 1,
        /// The cluster ID that responding broker belongs to.
        cluster_id: String [0],
        /// The ID of the controller. When handled by a controller, returns the current voter leader ID. When handled by a broker, returns a random alive broker ID as a fallback.
        controller_id: i32 [0] = -1,
        /// Each broker in the response.
        brokers: Vec<DescribeClusterBroker> [0],
        /// 32-bit bitfield to represent authorized operations for this cluster.
        cluster_authorized_operations: i32 [0] = i32::MIN,
    }
}

kafka_struct! {
    /// Each broker in the response.
    pub struct DescribeClusterBroker {
        /// The broker ID.
        broker_id: i32 [0],
        /// The broker hostname.
        host: String [0],
        /// The broker port.
        port: i32 [0],
        /// The rack of the broker, or null if it has not been assigned to a rack.
        rack: Option<String> [0, nullable 0],
        /// Whether the broker is fenced
        is_fenced: bool [2],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_describe_cluster_request() -> DescribeClusterRequest {
        DescribeClusterRequest {
            include_cluster_authorized_operations: true,
            endpoint_type: 3,
            include_fenced_brokers: true,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_cluster_response() -> DescribeClusterResponse {
        DescribeClusterResponse {
            throttle_time_ms: 5,
            error_code: 6,
            error_message: Some("s7".into()),
            endpoint_type: 9,
            cluster_id: "s9".into(),
            controller_id: 11,
            brokers: vec![filled_describe_cluster_broker()],
            cluster_authorized_operations: 14,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_cluster_broker() -> DescribeClusterBroker {
        DescribeClusterBroker {
            broker_id: 15,
            host: "s15".into(),
            port: 17,
            rack: Some("s18".into()),
            is_fenced: true,
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_describe_cluster_request());
        check_every_version(|_| filled_describe_cluster_response());
    }
}
