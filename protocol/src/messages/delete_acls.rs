//! DeleteAcls (key 31).

kafka_message! {
    /// The DeleteAcls request (key 31).
    pub struct DeleteAclsRequest: DeleteAcls, versions 1 to 3, flexible 2, response DeleteAclsResponse {
        /// The filters to use when deleting ACLs.
        filters: Vec<DeleteAclsFilter> [0],
    }
}

kafka_struct! {
    /// The filters to use when deleting ACLs.
    pub struct DeleteAclsFilter {
        /// The resource type.
        resource_type_filter: i8 [0],
        /// The resource name, or null to match any resource name.
        resource_name_filter: Option<String> [0, nullable 0] = Some(String::new()),
        /// The pattern type.
        pattern_type_filter: i8 [1] = 3,
        /// The principal filter, or null to accept all principals.
        principal_filter: Option<String> [0, nullable 0] = Some(String::new()),
        /// The host filter, or null to accept all hosts.
        host_filter: Option<String> [0, nullable 0] = Some(String::new()),
        /// The ACL operation.
        operation: i8 [0],
        /// The permission type.
        permission_type: i8 [0],
    }
}

kafka_message! {
    /// The DeleteAcls response (key 31).
    pub struct DeleteAclsResponse: DeleteAcls, versions 1 to 3, flexible 2 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The results for each filter.
        filter_results: Vec<DeleteAclsFilterResult> [0],
    }
}

kafka_struct! {
    /// The results for each filter.
    pub struct DeleteAclsFilterResult {
        /// The error code, or 0 if the filter succeeded.
        error_code: i16 [0],
        /// The error message, or null if the filter succeeded.
        error_message: Option<String> [0, nullable 0] = Some(String::new()),
        /// The ACLs which matched this filter.
        matching_acls: Vec<DeleteAclsMatchingAcl> [0],
    }
}

kafka_struct! {
    /// The ACLs which matched this filter.
    pub struct DeleteAclsMatchingAcl {
        /// The deletion error code, or 0 if the deletion succeeded.
        error_code: i16 [0],
        /// The deletion error message, or null if the deletion succeeded.
        error_message: Option<String> [0, nullable 0] = Some(String::new()),
        /// The ACL resource type.
        resource_type: i8 [0],
        /// The ACL resource name.
        resource_name: String [0],
        /// The ACL resource pattern type.
        pattern_type: i8 [1] = 3,
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

    fn filled_delete_acls_request() -> DeleteAclsRequest {
        DeleteAclsRequest {
            filters: vec![filled_delete_acls_filter()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_delete_acls_filter() -> DeleteAclsFilter {
        DeleteAclsFilter {
            resource_type_filter: 4,
            resource_name_filter: Some("s5".into()),
            pattern_type_filter: 7,
            principal_filter: Some("s8".into()),
            host_filter: Some("s10".into()),
            operation: 12,
            permission_type: 13,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_delete_acls_response() -> DeleteAclsResponse {
        DeleteAclsResponse {
            throttle_time_ms: 14,
            filter_results: vec![filled_delete_acls_filter_result()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_delete_acls_filter_result() -> DeleteAclsFilterResult {
        DeleteAclsFilterResult {
            error_code: 17,
            error_message: Some("s18".into()),
            matching_acls: vec![filled_delete_acls_matching_acl()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_delete_acls_matching_acl() -> DeleteAclsMatchingAcl {
        DeleteAclsMatchingAcl {
            error_code: 22,
            error_message: Some("s23".into()),
            resource_type: 25,
            resource_name: "s25".into(),
            pattern_type: 27,
            principal: "s27".into(),
            host: "s28".into(),
            operation: 30,
            permission_type: 31,
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_delete_acls_request());
        check_every_version(|_| filled_delete_acls_response());
    }
}
