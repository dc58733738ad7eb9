//! DeleteGroups (key 42).

kafka_message! {
    /// The DeleteGroups request (key 42).
    pub struct DeleteGroupsRequest: DeleteGroups, versions 0 to 2, flexible 2, response DeleteGroupsResponse {
        /// The group names to delete.
        groups_names: Vec<String> [0],
    }
}

kafka_message! {
    /// The DeleteGroups response (key 42).
    pub struct DeleteGroupsResponse: DeleteGroups, versions 0 to 2, flexible 2 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The deletion results.
        results: Vec<DeletableGroupResult> [0],
    }
}

kafka_struct! {
    /// The deletion results.
    pub struct DeletableGroupResult {
        /// The group id.
        group_id: String [0],
        /// The deletion error, or 0 if the deletion succeeded.
        error_code: i16 [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_delete_groups_request() -> DeleteGroupsRequest {
        DeleteGroupsRequest {
            groups_names: vec!["s2".into()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_delete_groups_response() -> DeleteGroupsResponse {
        DeleteGroupsResponse {
            throttle_time_ms: 4,
            results: vec![filled_deletable_group_result()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_deletable_group_result() -> DeletableGroupResult {
        DeletableGroupResult {
            group_id: "s6".into(),
            error_code: 8,
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_delete_groups_request());
        check_every_version(|_| filled_delete_groups_response());
    }
}
