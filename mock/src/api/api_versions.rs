//! ApiVersions: every API the mock serves (its table in `api/mod.rs`),
//! with the version ranges the protocol crate speaks. The version check happens before
//! decoding: see the broker loop, which also answers a too-new
//! ApiVersions with [`super::error_response`] in v0.

use ferrokafka_protocol::messages::api_versions::{
    ApiVersion, FinalizedFeatureKey, SupportedFeatureKey,
};
use ferrokafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
use ferrokafka_protocol::{ApiKey, ErrorCode, SUPPORTED_APIS};

use super::Call;
use crate::state::ClusterState;

/// Every API the mock serves, with the versions the protocol crate speaks.
/// ConsumerGroupHeartbeat and ConsumerGroupDescribe only when the
/// cluster runs the KIP-848 protocol.
fn api_keys(state: &ClusterState) -> Vec<ApiVersion> {
    let kip848 = state.settings.consumer_group_protocol;
    SUPPORTED_APIS
        .iter()
        .filter(|s| super::SERVED.contains(&s.api_key))
        .filter(|s| {
            kip848
                || !matches!(
                    s.api_key,
                    ApiKey::ConsumerGroupHeartbeat | ApiKey::ConsumerGroupDescribe
                )
        })
        .map(|s| ApiVersion {
            api_key: s.api_key as i16,
            min_version: s.min_version,
            max_version: s.max_version,
            ..Default::default()
        })
        .collect()
}

/// The cluster's features: `transaction.version` (2: transactions v2,
/// KIP-890), supported up to 2 and finalized at the test's setting.
fn features(call: &Call<'_>) -> (Vec<SupportedFeatureKey>, Vec<FinalizedFeatureKey>) {
    let level = call.shared.lock().settings.transaction_version;
    let supported = vec![SupportedFeatureKey {
        name: "transaction.version".into(),
        min_version: 0,
        max_version: 2,
        ..Default::default()
    }];
    let finalized = vec![FinalizedFeatureKey {
        name: "transaction.version".into(),
        max_version_level: level,
        min_version_level: level,
        ..Default::default()
    }];
    (supported, finalized)
}

/// The ApiVersions answer.
pub(super) async fn handle(call: &Call<'_>, _request: &ApiVersionsRequest) -> ApiVersionsResponse {
    let (supported_features, finalized_features) = features(call);
    let api_keys = api_keys(&call.shared.lock());
    ApiVersionsResponse {
        api_keys,
        supported_features,
        finalized_features_epoch: 1,
        finalized_features,
        ..Default::default()
    }
}

/// The ranges still go with an error, so a client can retry in one.
pub(super) fn error(
    state: &ClusterState,
    _call: &Call<'_>,
    _request: &ApiVersionsRequest,
    error: ErrorCode,
) -> ApiVersionsResponse {
    ApiVersionsResponse {
        error_code: error.code(),
        api_keys: api_keys(state),
        ..Default::default()
    }
}
