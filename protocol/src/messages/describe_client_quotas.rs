//! DescribeClientQuotas (key 48).

kafka_message! {
    /// The DescribeClientQuotas request (key 48).
    pub struct DescribeClientQuotasRequest: DescribeClientQuotas, versions 0 to 1, flexible 1, response DescribeClientQuotasResponse {
        /// Filter components to apply to quota entities.
        components: Vec<ComponentData> [0],
        /// Whether the match is strict, i.e. should exclude entities with unspecified entity types.
        strict: bool [0],
    }
}

kafka_struct! {
    /// Filter components to apply to quota entities.
    pub struct ComponentData {
        /// The entity type that the filter component applies to.
        entity_type: String [0],
        /// How to match the entity {0 = exact name, 1 = default name, 2 = any specified name}.
        match_type: i8 [0],
        /// The string to match against, or null if unused for the match type.
        r#match: Option<String> [0, nullable 0] = Some(String::new()),
    }
}

kafka_message! {
    /// The DescribeClientQuotas response (key 48).
    pub struct DescribeClientQuotasResponse: DescribeClientQuotas, versions 0 to 1, flexible 1 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The error code, or `0` if the quota description succeeded.
        error_code: i16 [0],
        /// The error message, or `null` if the quota description succeeded.
        error_message: Option<String> [0, nullable 0] = Some(String::new()),
        /// A result entry.
        entries: Option<Vec<EntryData>> [0, nullable 0] = Some(Vec::new()),
    }
}

kafka_struct! {
    /// A result entry.
    pub struct EntryData {
        /// The quota entity description.
        entity: Vec<EntityData> [0],
        /// The quota values for the entity.
        values: Vec<ValueData> [0],
    }
}

kafka_struct! {
    /// The quota entity description.
    pub struct EntityData {
        /// The entity type.
        entity_type: String [0],
        /// The entity name, or null if the default.
        entity_name: Option<String> [0, nullable 0] = Some(String::new()),
    }
}

kafka_struct! {
    /// The quota values for the entity.
    pub struct ValueData {
        /// The quota configuration key.
        key: String [0],
        /// The quota configuration value.
        value: f64 [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_describe_client_quotas_request() -> DescribeClientQuotasRequest {
        DescribeClientQuotasRequest {
            components: vec![filled_component_data()],
            strict: true,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_component_data() -> ComponentData {
        ComponentData {
            entity_type: "s4".into(),
            match_type: 6,
            r#match: Some("s7".into()),
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_client_quotas_response() -> DescribeClientQuotasResponse {
        DescribeClientQuotasResponse {
            throttle_time_ms: 9,
            error_code: 10,
            error_message: Some("s11".into()),
            entries: Some(vec![filled_entry_data()]),
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_entry_data() -> EntryData {
        EntryData {
            entity: vec![filled_entity_data()],
            values: vec![filled_value_data()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_entity_data() -> EntityData {
        EntityData {
            entity_type: "s19".into(),
            entity_name: Some("s21".into()),
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_value_data() -> ValueData {
        ValueData {
            key: "s22".into(),
            value: 23.5,
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_describe_client_quotas_request());
        check_every_version(|_| filled_describe_client_quotas_response());
    }
}
