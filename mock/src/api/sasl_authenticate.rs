//! SaslAuthenticate: the PLAIN message checked. While the connection
//! needs it, the broker loop calls [`authenticate`] (it decides whether
//! the connection goes on); one after that is out of place.

use ferrokafka_protocol::messages::{SaslAuthenticateRequest, SaslAuthenticateResponse};
use ferrokafka_protocol::ErrorCode;

use super::Call;
use crate::sasl::{check_plain, Auth};
use crate::state::ClusterState;

/// SaslAuthenticate: the PLAIN message checked. Returns the response and
/// whether the client is in (a refused one is disconnected once answered).
pub(crate) fn authenticate(
    auth: Auth,
    credentials: Option<&(String, String)>,
    request: &SaslAuthenticateRequest,
) -> (SaslAuthenticateResponse, bool) {
    let respond = |code: ErrorCode, message: Option<String>| SaslAuthenticateResponse {
        error_code: code.code(),
        error_message: message,
        ..Default::default()
    };
    if auth != Auth::AwaitingAuthenticate {
        return (respond(ErrorCode::IllegalSaslState, None), false);
    }
    match credentials {
        Some((user, password)) if check_plain(&request.auth_bytes, user, password) => {
            (respond(ErrorCode::None, None), true)
        }
        _ => (
            respond(
                ErrorCode::SaslAuthenticationFailed,
                Some("Authentication failed: Invalid username or password".into()),
            ),
            false,
        ),
    }
}

/// An authentication on a connection that has authenticated already.
pub(super) async fn handle(
    _call: &Call<'_>,
    _request: &SaslAuthenticateRequest,
) -> SaslAuthenticateResponse {
    SaslAuthenticateResponse {
        error_code: ErrorCode::IllegalSaslState.code(),
        ..Default::default()
    }
}

/// The code, with its name as the message.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    _request: &SaslAuthenticateRequest,
    error: ErrorCode,
) -> SaslAuthenticateResponse {
    SaslAuthenticateResponse {
        error_code: error.code(),
        error_message: Some(error.name().to_owned()),
        ..Default::default()
    }
}
