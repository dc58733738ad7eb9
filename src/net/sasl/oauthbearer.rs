//! SASL/OAUTHBEARER (RFC 7628, KIP-255): the client's one message, with
//! the token a [`TokenProvider`] supplies.

pub use crate::config::{OAuthBearerToken, TokenProvider};

/// The client's first (and only) message: GS2 header, then
/// `auth=Bearer <token>` and the extensions, each ended by 0x01.
pub fn initial_response(token: &OAuthBearerToken) -> Vec<u8> {
    let mut out = format!("n,,\u{1}auth=Bearer {}\u{1}", token.token);
    for (k, v) in &token.extensions {
        out.push_str(&format!("{k}={v}\u{1}"));
    }
    out.push('\u{1}');
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn initial_response_carries_token_and_extensions() {
        let t = OAuthBearerToken {
            token: "abc.def.".into(),
            lifetime: Duration::from_secs(1),
            principal: "p".into(),
            extensions: vec![("traceId".into(), "1".into())],
        };
        assert_eq!(
            initial_response(&t),
            b"n,,\x01auth=Bearer abc.def.\x01traceId=1\x01\x01".to_vec()
        );
    }
}
