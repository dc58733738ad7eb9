//! AlterClientQuotas (key 49).

kafka_message! {
    /// The AlterClientQuotas request (key 49).
    pub struct AlterClientQuotasRequest: AlterClientQuotas, versions 0 to 1, flexible 1, response AlterClientQuotasResponse {
        /// The quota configuration entries to alter.
        entries: Vec<RequestEntryData> [0],
        /// Whether the alteration should be validated, but not performed.
        validate_only: bool [0],
    }
}

kafka_struct! {
    /// The quota configuration entries to alter.
    pub struct RequestEntryData {
        /// The quota entity to alter.
        entity: Vec<RequestEntityData> [0],
        /// An individual quota configuration entry to alter.
        ops: Vec<OpData> [0],
    }
}

kafka_struct! {
    /// The quota entity to alter.
    pub struct RequestEntityData {
        /// The entity type.
        entity_type: String [0],
        /// The name of the entity, or null if the default.
        entity_name: Option<String> [0, nullable 0] = Some(String::new()),
    }
}

kafka_struct! {
    /// An individual quota configuration entry to alter.
    pub struct OpData {
        /// The quota configuration key.
        key: String [0],
        /// The value to set, otherwise ignored if the value is to be removed.
        value: f64 [0],
        /// Whether the quota configuration value should be removed, otherwise set.
        remove: bool [0],
    }
}

kafka_message! {
    /// The AlterClientQuotas response (key 49).
    pub struct AlterClientQuotasResponse: AlterClientQuotas, versions 0 to 1, flexible 1 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The quota configuration entries to alter.
        entries: Vec<ResponseEntryData> [0],
    }
}

kafka_struct! {
    /// The quota configuration entries to alter.
    pub struct ResponseEntryData {
        /// The error code, or `0` if the quota alteration succeeded.
        error_code: i16 [0],
        /// The error message, or `null` if the quota alteration succeeded.
        error_message: Option<String> [0, nullable 0] = Some(String::new()),
        /// The quota entity to alter.
        entity: Vec<ResponseEntityData> [0],
    }
}

kafka_struct! {
    /// The quota entity to alter.
    pub struct ResponseEntityData {
        /// The entity type.
        entity_type: String [0],
        /// The name of the entity, or null if the default.
        entity_name: Option<String> [0, nullable 0] = Some(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_alter_client_quotas_request() -> AlterClientQuotasRequest {
        AlterClientQuotasRequest {
            entries: vec![filled_request_entry_data()],
            validate_only: true,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_request_entry_data() -> RequestEntryData {
        RequestEntryData {
            entity: vec![filled_request_entity_data()],
            ops: vec![filled_op_data()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_request_entity_data() -> RequestEntityData {
        RequestEntityData {
            entity_type: "s8".into(),
            entity_name: Some("s10".into()),
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_op_data() -> OpData {
        OpData {
            key: "s11".into(),
            value: 12.5,
            remove: true,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_alter_client_quotas_response() -> AlterClientQuotasResponse {
        AlterClientQuotasResponse {
            throttle_time_ms: 15,
            entries: vec![filled_response_entry_data()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_response_entry_data() -> ResponseEntryData {
        ResponseEntryData {
            error_code: 18,
            error_message: Some("s19".into()),
            entity: vec![filled_response_entity_data()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_response_entity_data() -> ResponseEntityData {
        ResponseEntityData {
            entity_type: "s22".into(),
            entity_name: Some("s24".into()),
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_alter_client_quotas_request());
        check_every_version(|_| filled_alter_client_quotas_response());
    }
}
