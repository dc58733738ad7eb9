//! CreateAcls (key 30).

kafka_message! {
    /// The CreateAcls request (key 30).
    pub struct CreateAclsRequest: CreateAcls, versions 1 to 3, flexible 2, response CreateAclsResponse {
        /// The ACLs that we want to create.
        creations: Vec<AclCreation> [0],
    }
}

kafka_struct! {
    /// The ACLs that we want to create.
    pub struct AclCreation {
        /// The type of the resource.
        resource_type: i8 [0],
        /// The resource name for the ACL.
        resource_name: String [0],
        /// The pattern type for the ACL.
        resource_pattern_type: i8 [1] = 3,
        /// The principal for the ACL.
        principal: String [0],
        /// The host for the ACL.
        host: String [0],
        /// The operation type for the ACL (read, write, etc.).
        operation: i8 [0],
        /// The permission type for the ACL (allow, deny, etc.).
        permission_type: i8 [0],
    }
}

kafka_message! {
    /// The CreateAcls response (key 30).
    pub struct CreateAclsResponse: CreateAcls, versions 1 to 3, flexible 2 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The results for each ACL creation.
        results: Vec<AclCreationResult> [0],
    }
}

kafka_struct! {
    /// The results for each ACL creation.
    pub struct AclCreationResult {
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

    fn filled_create_acls_request() -> CreateAclsRequest {
        CreateAclsRequest {
            creations: vec![filled_acl_creation()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_acl_creation() -> AclCreation {
        AclCreation {
            resource_type: 4,
            resource_name: "s4".into(),
            resource_pattern_type: 6,
            principal: "s6".into(),
            host: "s7".into(),
            operation: 9,
            permission_type: 10,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_create_acls_response() -> CreateAclsResponse {
        CreateAclsResponse {
            throttle_time_ms: 11,
            results: vec![filled_acl_creation_result()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_acl_creation_result() -> AclCreationResult {
        AclCreationResult {
            error_code: 14,
            error_message: Some("s15".into()),
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_create_acls_request());
        check_every_version(|_| filled_create_acls_response());
    }
}
