//! DescribeConfigs (key 32).

kafka_message! {
    /// The DescribeConfigs request (key 32).
    pub struct DescribeConfigsRequest: DescribeConfigs, versions 1 to 4, flexible 4, response DescribeConfigsResponse {
        /// The resources whose configurations we want to describe.
        resources: Vec<DescribeConfigsResource> [0],
        /// True if we should include all synonyms.
        include_synonyms: bool [1],
        /// True if we should include configuration documentation.
        include_documentation: bool [3],
    }
}

kafka_struct! {
    /// The resources whose configurations we want to describe.
    pub struct DescribeConfigsResource {
        /// The resource type.
        resource_type: i8 [0],
        /// The resource name.
        resource_name: String [0],
        /// The configuration keys to list, or null to list all configuration keys.
        configuration_keys: Option<Vec<String>> [0, nullable 0] = Some(Vec::new()),
    }
}

kafka_message! {
    /// The DescribeConfigs response (key 32).
    pub struct DescribeConfigsResponse: DescribeConfigs, versions 1 to 4, flexible 4 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The results for each resource.
        results: Vec<DescribeConfigsResult> [0],
    }
}

kafka_struct! {
    /// The results for each resource.
    pub struct DescribeConfigsResult {
        /// The error code, or 0 if we were able to successfully describe the configurations.
        error_code: i16 [0],
        /// The error message, or null if we were able to successfully describe the configurations.
        error_message: Option<String> [0, nullable 0] = Some(String::new()),
        /// The resource type.
        resource_type: i8 [0],
        /// The resource name.
        resource_name: String [0],
        /// Each listed configuration.
        configs: Vec<DescribeConfigsResourceResult> [0],
    }
}

kafka_struct! {
    /// Each listed configuration.
    pub struct DescribeConfigsResourceResult {
        /// The configuration name.
        name: String [0],
        /// The configuration value.
        value: Option<String> [0, nullable 0] = Some(String::new()),
        /// True if the configuration is read-only.
        read_only: bool [0],
        /// The configuration source.
        config_source: i8 [1] = -1,
        /// True if this configuration is sensitive.
        is_sensitive: bool [0],
        /// The synonyms for this configuration key.
        synonyms: Vec<DescribeConfigsSynonym> [1],
        /// The configuration data type. Type can be one of the following values - BOOLEAN, STRING, INT, SHORT, LONG, DOUBLE, LIST, CLASS, PASSWORD.
        config_type: i8 [3],
        /// The configuration documentation.
        documentation: Option<String> [3, nullable 0] = Some(String::new()),
    }
}

kafka_struct! {
    /// The synonyms for this configuration key.
    pub struct DescribeConfigsSynonym {
        /// The synonym name.
        name: String [1],
        /// The synonym value.
        value: Option<String> [1, nullable 0] = Some(String::new()),
        /// The synonym source.
        source: i8 [1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_describe_configs_request() -> DescribeConfigsRequest {
        DescribeConfigsRequest {
            resources: vec![filled_describe_configs_resource()],
            include_synonyms: true,
            include_documentation: true,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_configs_resource() -> DescribeConfigsResource {
        DescribeConfigsResource {
            resource_type: 6,
            resource_name: "s6".into(),
            configuration_keys: Some(vec!["s9".into()]),
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_configs_response() -> DescribeConfigsResponse {
        DescribeConfigsResponse {
            throttle_time_ms: 11,
            results: vec![filled_describe_configs_result()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_configs_result() -> DescribeConfigsResult {
        DescribeConfigsResult {
            error_code: 14,
            error_message: Some("s15".into()),
            resource_type: 17,
            resource_name: "s17".into(),
            configs: vec![filled_describe_configs_resource_result()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_configs_resource_result() -> DescribeConfigsResourceResult {
        DescribeConfigsResourceResult {
            name: "s20".into(),
            value: Some("s22".into()),
            read_only: true,
            config_source: 25,
            is_sensitive: true,
            synonyms: vec![filled_describe_configs_synonym()],
            config_type: 29,
            documentation: Some("s30".into()),
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_configs_synonym() -> DescribeConfigsSynonym {
        DescribeConfigsSynonym {
            name: "s31".into(),
            value: Some("s33".into()),
            source: 35,
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_describe_configs_request());
        check_every_version(|_| filled_describe_configs_response());
    }
}
