//! ApiVersions (key 18): which APIs, at which versions, a broker speaks.
//! The first request on every connection.

kafka_message! {
    /// Asks a broker which APIs and versions it speaks.
    pub struct ApiVersionsRequest: ApiVersions, versions 0 to 4, flexible 3, response ApiVersionsResponse {
        /// The name of the client (v3+).
        client_software_name: String [3],
        /// The version of the client (v3+).
        client_software_version: String [3],
    }
}

kafka_message! {
    /// The APIs and versions a broker speaks, and its features. (Its
    /// response header is always v0: see `header.rs`.)
    pub struct ApiVersionsResponse: ApiVersions, versions 0 to 4, flexible 3 {
        /// The top-level error code.
        error_code: i16 [0],
        /// The APIs the broker supports.
        api_keys: Vec<ApiVersion> [0],
        /// Quota throttle time in milliseconds (v1+).
        throttle_time_ms: i32 [1],
        /// Features the broker supports (v3+, tag 0).
        supported_features: Vec<SupportedFeatureKey> [3, tag 0],
        /// The epoch of the finalized features, -1 if unknown (v3+, tag 1).
        finalized_features_epoch: i64 [3, tag 1] = -1,
        /// Cluster-wide finalized features (v3+, tag 2).
        finalized_features: Vec<FinalizedFeatureKey> [3, tag 2],
        /// Set by a KRaft controller ready for ZK migration (v3+, tag 3).
        zk_migration_ready: bool [3, tag 3],
    }
}

kafka_struct! {
    /// One API a broker supports and its version range.
    pub struct ApiVersion {
        /// The API key.
        api_key: i16 [0],
        /// The lowest supported version, inclusive.
        min_version: i16 [0],
        /// The highest supported version, inclusive.
        max_version: i16 [0],
    }
}

kafka_struct! {
    /// A feature a broker supports and its version range (v3+).
    pub struct SupportedFeatureKey {
        /// The feature's name.
        name: String [3],
        /// The lowest supported version.
        min_version: i16 [3],
        /// The highest supported version.
        max_version: i16 [3],
    }
}

kafka_struct! {
    /// A cluster-wide finalized feature (v3+).
    pub struct FinalizedFeatureKey {
        /// The feature's name.
        name: String [3],
        /// The finalized max version level.
        max_version_level: i16 [3],
        /// The finalized min version level.
        min_version_level: i16 [3],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::{check_roundtrip, check_version_bounds};
    use crate::primitives::RawTaggedField;
    use bytes::Bytes;

    #[test]
    fn request_roundtrips_every_version() {
        for version in 0..=4 {
            let mut m = ApiVersionsRequest::default();
            if version >= 3 {
                m.client_software_name = "ferrokafka".into();
                m.client_software_version = "0.1.0".into();
            }
            check_roundtrip(&m, version);
        }
        check_version_bounds::<ApiVersionsRequest>();
    }

    #[test]
    fn response_roundtrips_every_version() {
        for version in 0..=4 {
            let mut m = ApiVersionsResponse {
                error_code: 35,
                api_keys: vec![ApiVersion {
                    api_key: 3,
                    min_version: 0,
                    max_version: 13,
                    unknown_tagged_fields: vec![],
                }],
                ..Default::default()
            };
            if version >= 1 {
                m.throttle_time_ms = 250;
            }
            if version >= 3 {
                m.supported_features = vec![SupportedFeatureKey {
                    name: "kraft.version".into(),
                    min_version: 0,
                    max_version: 1,
                    unknown_tagged_fields: vec![],
                }];
                m.finalized_features_epoch = 42;
                m.finalized_features = vec![FinalizedFeatureKey {
                    name: "metadata.version".into(),
                    max_version_level: 27,
                    min_version_level: 27,
                    unknown_tagged_fields: vec![],
                }];
                m.zk_migration_ready = true;
                m.unknown_tagged_fields = vec![RawTaggedField {
                    tag: 9,
                    data: Bytes::from_static(b"xyz"),
                }];
            }
            check_roundtrip(&m, version);
        }
        check_version_bounds::<ApiVersionsResponse>();
    }
}
