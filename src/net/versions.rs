//! What a broker speaks, from its ApiVersions response, and the version of
//! each API this client uses with it: the highest both sides speak.

use std::collections::HashMap;

use ferrokafka_protocol::messages::ApiVersionsResponse;
use ferrokafka_protocol::ApiKey;

/// The version ranges a broker announced.
#[derive(Debug, Clone, Default)]
pub struct ApiVersionTable {
    ranges: HashMap<i16, (i16, i16)>,
    /// The cluster's finalized `transaction.version` (0 when not listed):
    /// 2 and up is transactions v2 (KIP-890).
    transaction_version: i16,
}

impl ApiVersionTable {
    /// The table from a broker's ApiVersions response.
    pub fn from_response(response: &ApiVersionsResponse) -> Self {
        let ranges = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        let transaction_version = response
            .finalized_features
            .iter()
            .find(|f| f.name == "transaction.version")
            .map_or(0, |f| f.max_version_level);
        Self {
            ranges,
            transaction_version,
        }
    }

    /// The cluster's finalized `transaction.version` feature level as this
    /// broker reported it (0 when it reported none).
    pub fn transaction_version(&self) -> i16 {
        self.transaction_version
    }

    /// The highest version of `api` that both the broker and this client
    /// speak, or `None` when the ranges do not meet.
    pub fn negotiate(&self, api: ApiKey) -> Option<i16> {
        let ours = api.support();
        let &(min, max) = self.ranges.get(&(api as i16))?;
        let hi = max.min(ours.max_version).min(self.client_cap(api));
        let lo = min.max(ours.min_version);
        (lo <= hi).then_some(hi)
    }

    /// The highest version a client may use of `api` whatever both sides
    /// speak: AddPartitionsToTxn v4+ is the brokers' batched form (v3 and
    /// below are the clients'); and on a cluster without transactions v2
    /// (`transaction.version` below 2), Produce stays at v11 and EndTxn at
    /// v4, as Kafka's Java client does: Produce v12 tells the leader to add
    /// the partition to the transaction itself, and EndTxn v5 expects the
    /// epoch bump, both KIP-890 semantics such a cluster does not have.
    fn client_cap(&self, api: ApiKey) -> i16 {
        let v1 = self.transaction_version < 2;
        match api {
            ApiKey::AddPartitionsToTxn => 3,
            ApiKey::Produce if v1 => 11,
            ApiKey::EndTxn if v1 => 4,
            _ => i16::MAX,
        }
    }

    /// The broker's own range for `api`, if it announced one.
    pub fn broker_range(&self, api: ApiKey) -> Option<(i16, i16)> {
        self.ranges.get(&(api as i16)).copied()
    }

    /// The broker's own range for the API numbered `api_key`, also for
    /// APIs this client does not speak (e.g. 68, ConsumerGroupHeartbeat,
    /// to tell whether the broker offers the KIP-848 group protocol).
    pub fn broker_range_of_key(&self, api_key: i16) -> Option<(i16, i16)> {
        self.ranges.get(&api_key).copied()
    }

    /// Every API this client speaks with the version it uses with this
    /// broker ([`ApiVersionTable::negotiate`]), in API key order; APIs the
    /// two do not share are left out.
    pub fn negotiated(&self) -> Vec<(ApiKey, i16)> {
        ferrokafka_protocol::SUPPORTED_APIS
            .iter()
            .filter_map(|s| Some((s.api_key, self.negotiate(s.api_key)?)))
            .collect()
    }

    /// [`ApiVersionTable::negotiated`] as one line, `Name=v` separated by
    /// spaces, for logs.
    pub fn describe_negotiated(&self) -> String {
        self.negotiated()
            .iter()
            .map(|(api, v)| format!("{}={v}", api.support().name))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrokafka_protocol::messages::api_versions::ApiVersion;

    #[test]
    fn negotiated_lists_the_shared_apis_at_the_lower_maximum() {
        // 1000: a key this client does not speak, left out.
        let t = table(&[(0, 0, 3), (1, 4, 12), (1000, 0, 1)]);
        let produce = ApiKey::Produce.support().max_version.min(3);
        let fetch = ApiKey::Fetch.support().max_version.min(12);
        assert_eq!(
            t.negotiated(),
            vec![(ApiKey::Produce, produce), (ApiKey::Fetch, fetch)]
        );
        assert_eq!(
            t.describe_negotiated(),
            format!("Produce={produce} Fetch={fetch}")
        );
        assert_eq!(t.broker_range_of_key(1000), Some((0, 1)));
        assert_eq!(t.broker_range_of_key(69), None);
    }

    fn table(ranges: &[(i16, i16, i16)]) -> ApiVersionTable {
        ApiVersionTable::from_response(&ApiVersionsResponse {
            api_keys: ranges
                .iter()
                .map(|&(api_key, min_version, max_version)| ApiVersion {
                    api_key,
                    min_version,
                    max_version,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
    }

    #[test]
    fn picks_the_highest_common_version() {
        let t = table(&[(18, 0, 9), (3, 0, 2)]);
        assert_eq!(t.negotiate(ApiKey::ApiVersions), Some(4));
        assert_eq!(
            t.negotiate(ApiKey::Fetch),
            None,
            "broker did not list Fetch"
        );
    }

    #[test]
    fn refuses_ranges_that_do_not_meet() {
        let t = table(&[(18, 7, 9)]);
        assert_eq!(t.negotiate(ApiKey::ApiVersions), None);
    }

    #[test]
    fn transactions_v1_clusters_get_produce_v11_and_end_txn_v4() {
        let ranges = [(0, 3, 13), (26, 0, 5), (24, 0, 5)];
        let mut response = ApiVersionsResponse {
            api_keys: ranges
                .iter()
                .map(|&(api_key, min_version, max_version)| ApiVersion {
                    api_key,
                    min_version,
                    max_version,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let t = ApiVersionTable::from_response(&response);
        assert_eq!(t.negotiate(ApiKey::Produce), Some(11));
        assert_eq!(t.negotiate(ApiKey::EndTxn), Some(4));
        assert_eq!(t.negotiate(ApiKey::AddPartitionsToTxn), Some(3));
        response.finalized_features = vec![
            ferrokafka_protocol::messages::api_versions::FinalizedFeatureKey {
                name: "transaction.version".into(),
                max_version_level: 2,
                min_version_level: 2,
                ..Default::default()
            },
        ];
        let t = ApiVersionTable::from_response(&response);
        assert_eq!(
            t.negotiate(ApiKey::Produce),
            Some(13.min(ApiKey::Produce.support().max_version))
        );
        assert_eq!(t.negotiate(ApiKey::EndTxn), Some(5));
        assert_eq!(
            t.negotiate(ApiKey::AddPartitionsToTxn),
            Some(3),
            "v4+ is for brokers"
        );
    }
}
