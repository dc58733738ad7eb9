//! SaslHandshake: PLAIN is the one mechanism. While the connection needs
//! it, the broker loop calls [`handshake`] (it changes the connection's
//! state); a handshake after that is out of place.

use ferrokafka_protocol::messages::{SaslHandshakeRequest, SaslHandshakeResponse};
use ferrokafka_protocol::ErrorCode;

use super::Call;
use crate::sasl::{Auth, PLAIN};
use crate::state::ClusterState;

/// SaslHandshake: PLAIN is the one mechanism. Returns the response and the
/// connection's next state.
pub(crate) fn handshake(
    auth: Auth,
    version: i16,
    request: &SaslHandshakeRequest,
) -> (SaslHandshakeResponse, Auth) {
    let respond = |code: ErrorCode| SaslHandshakeResponse {
        error_code: code.code(),
        mechanisms: vec![PLAIN.into()],
        ..Default::default()
    };
    match auth {
        Auth::AwaitingHandshake if request.mechanism == PLAIN => {
            let next = if version == 0 {
                Auth::AwaitingRawToken
            } else {
                Auth::AwaitingAuthenticate
            };
            (respond(ErrorCode::None), next)
        }
        Auth::AwaitingHandshake => (respond(ErrorCode::UnsupportedSaslMechanism), auth),
        _ => (respond(ErrorCode::IllegalSaslState), auth),
    }
}

/// A handshake on a connection that has authenticated already.
pub(super) async fn handle(
    _call: &Call<'_>,
    _request: &SaslHandshakeRequest,
) -> SaslHandshakeResponse {
    SaslHandshakeResponse {
        error_code: ErrorCode::IllegalSaslState.code(),
        mechanisms: vec![PLAIN.into()],
        ..Default::default()
    }
}

/// The code, with the mechanism the mock speaks.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    _request: &SaslHandshakeRequest,
    error: ErrorCode,
) -> SaslHandshakeResponse {
    SaslHandshakeResponse {
        error_code: error.code(),
        mechanisms: vec![PLAIN.into()],
        ..Default::default()
    }
}
