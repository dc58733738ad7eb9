//! DescribeAcls (key 29).

kafka_message! {
    /// The DescribeAcls request (key 29).
    pub struct DescribeAclsRequest: DescribeAcls, versions 1 to 3, flexible 2, response DescribeAclsResponse {
        /// The resource type.
        resource_type_filter: i8 [0],
        /// The resource name, or null to match any resource name.
        resource_name_filter: Option<String> [0, nullable 0] = Some(String::new()),
        /// The resource pattern to match.
        pattern_type_filter: i8 [1] = 3,
        /// The principal to match, or null to match any principal.
        principal_filter: Option<String> [0, nullable 0] = Some(String::new()),
        /// The host to match, or null to match any host.
        host_filter: Option<String> [0, nullable 0] = Some(String::new()),
        /// The operation to match.
        operation: i8 [0],
        /// The permission type to match.
        permission_type: i8 [0],
    }
}

kafka_message! {
    /// The DescribeAcls response (key 29).
    pub struct DescribeAclsResponse: DescribeAcls, versions 1 to 3, flexible 2 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The error code, or 0 if there was no error.
        error_code: i16 [0],
        /// The error message, or null if there was no error.
        error_message: Option<String> [0, nullable 0] = Some(String::new()),
        /// Each Resource that is referenced in an ACL.
        resources: Vec<DescribeAclsResource> [0],
    }
}

kafka_struct! {
    /// Each Resource that is referenced in an ACL.
    pub struct DescribeAclsResource {
        /// The resource type.
        resource_type: i8 [0],
        /// The resource name.
        resource_name: String [0],
        /// The resource pattern type.
        pattern_type: i8 [1] = 3,
        /// The ACLs.
        acls: Vec<AclDescription> [0],
    }
}

kafka_struct! {
    /// The ACLs.
    pub struct AclDescription {
        /// The ACL principal.
        principal: String [0],
        /// The ACL host.
        host: String [0],
        /// The ACL operation.
        operation: i8 [0],
        /// The ACL permission type.
        permission_type: i8 [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_describe_acls_request() -> DescribeAclsRequest {
        DescribeAclsRequest {
            resource_type_filter: 2,
            resource_name_filter: Some("s3".into()),
            pattern_type_filter: 5,
            principal_filter: Some("s6".into()),
            host_filter: Some("s8".into()),
            operation: 10,
            permission_type: 11,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_acls_response() -> DescribeAclsResponse {
        DescribeAclsResponse {
            throttle_time_ms: 12,
            error_code: 13,
            error_message: Some("s14".into()),
            resources: vec![filled_describe_acls_resource()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_acls_resource() -> DescribeAclsResource {
        DescribeAclsResource {
            resource_type: 18,
            resource_name: "s18".into(),
            pattern_type: 20,
            acls: vec![filled_acl_description()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_acl_description() -> AclDescription {
        AclDescription {
            principal: "s22".into(),
            host: "s23".into(),
            operation: 25,
            permission_type: 26,
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_describe_acls_request());
        check_every_version(|_| filled_describe_acls_response());
    }
}
