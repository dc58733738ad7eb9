//! IncrementalAlterConfigs (key 44).

kafka_message! {
    /// The IncrementalAlterConfigs request (key 44).
    pub struct IncrementalAlterConfigsRequest: IncrementalAlterConfigs, versions 0 to 1, flexible 1, response IncrementalAlterConfigsResponse {
        /// The incremental updates for each resource.
        resources: Vec<AlterConfigsResource> [0],
        /// True if we should validate the request, but not change the configurations.
        validate_only: bool [0],
    }
}

kafka_struct! {
    /// The incremental updates for each resource.
    pub struct AlterConfigsResource {
        /// The resource type.
        resource_type: i8 [0],
        /// The resource name.
        resource_name: String [0],
        /// The configurations.
        configs: Vec<AlterableConfig> [0],
    }
}

kafka_struct! {
    /// The configurations.
    pub struct AlterableConfig {
        /// The configuration key name.
        name: String [0],
        /// The type (Set, Delete, Append, Subtract) of operation.
        config_operation: i8 [0],
        /// The value to set for the configuration key.
        value: Option<String> [0, nullable 0] = Some(String::new()),
    }
}

kafka_message! {
    /// The IncrementalAlterConfigs response (key 44).
    pub struct IncrementalAlterConfigsResponse: IncrementalAlterConfigs, versions 0 to 1, flexible 1 {
        /// Duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The responses for each resource.
        responses: Vec<AlterConfigsResourceResponse> [0],
    }
}

kafka_struct! {
    /// The responses for each resource.
    pub struct AlterConfigsResourceResponse {
        /// The resource error code.
        error_code: i16 [0],
        /// The resource error message, or null if there was no error.
        error_message: Option<String> [0, nullable 0] = Some(String::new()),
        /// The resource type.
        resource_type: i8 [0],
        /// The resource name.
        resource_name: String [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_incremental_alter_configs_request() -> IncrementalAlterConfigsRequest {
        IncrementalAlterConfigsRequest {
            resources: vec![filled_alter_configs_resource()],
            validate_only: true,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_alter_configs_resource() -> AlterConfigsResource {
        AlterConfigsResource {
            resource_type: 5,
            resource_name: "s5".into(),
            configs: vec![filled_alterable_config()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_alterable_config() -> AlterableConfig {
        AlterableConfig {
            name: "s8".into(),
            config_operation: 10,
            value: Some("s11".into()),
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_incremental_alter_configs_response() -> IncrementalAlterConfigsResponse {
        IncrementalAlterConfigsResponse {
            throttle_time_ms: 13,
            responses: vec![filled_alter_configs_resource_response()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_alter_configs_resource_response() -> AlterConfigsResourceResponse {
        AlterConfigsResourceResponse {
            error_code: 16,
            error_message: Some("s17".into()),
            resource_type: 19,
            resource_name: "s19".into(),
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_incremental_alter_configs_request());
        check_every_version(|_| filled_incremental_alter_configs_response());
    }
}
