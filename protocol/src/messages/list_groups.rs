//! ListGroups (key 16).

kafka_message! {
    /// The ListGroups request (key 16).
    pub struct ListGroupsRequest: ListGroups, versions 0 to 5, flexible 3, response ListGroupsResponse {
        /// The states of the groups we want to list. If empty, all groups are returned with their state.
        states_filter: Vec<String> [4],
        /// The types of the groups we want to list. If empty, all groups are returned with their type.
        types_filter: Vec<String> [5],
    }
}

kafka_message! {
    /// The ListGroups response (key 16).
    pub struct ListGroupsResponse: ListGroups, versions 0 to 5, flexible 3 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [1],
        /// The error code, or 0 if there was no error.
        error_code: i16 [0],
        /// Each group in the response.
        groups: Vec<ListedGroup> [0],
    }
}

kafka_struct! {
    /// Each group in the response.
    pub struct ListedGroup {
        /// The group ID.
        group_id: String [0],
        /// The group protocol type.
        protocol_type: String [0],
        /// The group state name.
        group_state: String [4],
        /// The group type name.
        group_type: String [5],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_list_groups_request() -> ListGroupsRequest {
        ListGroupsRequest {
            states_filter: vec!["s2".into()],
            types_filter: vec!["s4".into()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_list_groups_response() -> ListGroupsResponse {
        ListGroupsResponse {
            throttle_time_ms: 6,
            error_code: 7,
            groups: vec![filled_listed_group()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_listed_group() -> ListedGroup {
        ListedGroup {
            group_id: "s9".into(),
            protocol_type: "s10".into(),
            group_state: "s11".into(),
            group_type: "s12".into(),
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_list_groups_request());
        check_every_version(|_| filled_list_groups_response());
    }
}
