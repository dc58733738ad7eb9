//! ApiVersions: every API the mock serves (its table in `api/mod.rs`),
//! with the version ranges the protocol crate speaks. The version check happens before
//! decoding: see the broker loop, which also answers a too-new
//! ApiVersions with [`super::error_response`] in v0.

use ferrokafka_protocol::messages::api_versions::ApiVersion;
use ferrokafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
use ferrokafka_protocol::{ErrorCode, SUPPORTED_APIS};

use super::Call;
use crate::state::ClusterState;

/// Every API the mock serves, with the versions the protocol crate speaks.
fn api_keys() -> Vec<ApiVersion> {
    SUPPORTED_APIS
        .iter()
        .filter(|s| super::SERVED.contains(&s.api_key))
        .map(|s| ApiVersion {
            api_key: s.api_key as i16,
            min_version: s.min_version,
            max_version: s.max_version,
            ..Default::default()
        })
        .collect()
}

/// The ApiVersions answer.
pub(super) async fn handle(_call: &Call<'_>, _request: &ApiVersionsRequest) -> ApiVersionsResponse {
    ApiVersionsResponse {
        api_keys: api_keys(),
        ..Default::default()
    }
}

/// The ranges still go with an error, so a client can retry in one.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    _request: &ApiVersionsRequest,
    error: ErrorCode,
) -> ApiVersionsResponse {
    ApiVersionsResponse {
        error_code: error.code(),
        api_keys: api_keys(),
        ..Default::default()
    }
}
