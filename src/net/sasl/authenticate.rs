//! Runs a SASL exchange over a connection: SaslHandshake names the
//! mechanism, then SaslAuthenticate carries each client message and the
//! broker's answer until the mechanism is done.

use std::time::Duration;

use bytes::Bytes;
use ferrokafka_protocol::messages::{SaslAuthenticateRequest, SaslHandshakeRequest};
use ferrokafka_protocol::{ErrorCode, Request};

use super::oauthbearer::{self, TokenProvider};
use super::scram::{ScramClient, ScramMechanism};
use super::{plain, SaslError};
use crate::error::{Error, Result};
use crate::net::{Connection, Exclusive};

/// Where a SASL exchange runs: a new connection, or a live one held
/// exclusively for re-authentication.
pub(crate) trait SaslChannel {
    /// The broker's address.
    fn broker(&self) -> &str;
    /// One request and its response.
    async fn send<R: Request>(&self, request: &R) -> Result<R::Response>;
}

impl SaslChannel for Connection {
    fn broker(&self) -> &str {
        Connection::broker(self)
    }
    async fn send<R: Request>(&self, request: &R) -> Result<R::Response> {
        Connection::send(self, request).await
    }
}

impl SaslChannel for Exclusive {
    fn broker(&self) -> &str {
        Exclusive::broker(self)
    }
    async fn send<R: Request>(&self, request: &R) -> Result<R::Response> {
        Exclusive::send(self, request).await
    }
}

/// Who to authenticate as, and how.
#[derive(Clone, PartialEq)]
pub struct SaslCredentials {
    /// `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512` or `OAUTHBEARER`.
    pub mechanism: String,
    /// `sasl.username`.
    pub username: String,
    /// `sasl.password`.
    pub password: String,
    /// Where OAUTHBEARER tokens come from (the mechanism `OAUTHBEARER`).
    pub oauthbearer: Option<TokenProvider>,
}

impl std::fmt::Debug for SaslCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslCredentials")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Authenticates `conn` with `credentials`. A refused password is
/// [`Error::Authentication`], which is not retriable.
pub async fn authenticate(conn: &Connection, credentials: &SaslCredentials) -> Result<()> {
    authenticate_on(conn, credentials).await.map(drop)
}

/// [`authenticate`] on any [`SaslChannel`]; returns the session lifetime
/// the broker set (`connections.max.reauth.ms`, KIP-368), if any.
pub(crate) async fn authenticate_on<C: SaslChannel>(
    conn: &C,
    credentials: &SaslCredentials,
) -> Result<Option<Duration>> {
    let mechanism = credentials.mechanism.as_str();
    let handshake = conn
        .send(&SaslHandshakeRequest {
            mechanism: mechanism.to_owned(),
            ..Default::default()
        })
        .await?;
    if handshake.error_code != 0 {
        return Err(auth_error(
            conn,
            format!(
                "{mechanism} refused ({}); the broker offers {:?}",
                ErrorCode::from_code(handshake.error_code),
                handshake.mechanisms
            ),
        ));
    }
    if mechanism == "OAUTHBEARER" {
        return oauth(conn, credentials).await;
    }
    let lifetime;
    let scram = match mechanism {
        "PLAIN" => None,
        "SCRAM-SHA-256" => Some(ScramMechanism::Sha256),
        "SCRAM-SHA-512" => Some(ScramMechanism::Sha512),
        other => {
            return Err(auth_error(
                conn,
                format!("unsupported SASL mechanism {other}"),
            ))
        }
    };
    match scram {
        None => {
            (_, lifetime) = step(
                conn,
                plain::initial_response(&credentials.username, &credentials.password),
            )
            .await?;
        }
        Some(m) => {
            let mut client = ScramClient::new(m, &credentials.username, &credentials.password)
                .map_err(|e| sasl_error(conn, e))?;
            let (server_first, _) = step(conn, client.client_first()).await?;
            let last = client
                .handle_server_first(&server_first)
                .map_err(|e| sasl_error(conn, e))?;
            let server_final;
            (server_final, lifetime) = step(conn, last).await?;
            client
                .handle_server_final(&server_final)
                .map_err(|e| sasl_error(conn, e))?;
        }
    }
    Ok(lifetime)
}

/// OAUTHBEARER: one message with the token. A broker refusing it answers
/// with a JSON error as a challenge, which the client acknowledges with
/// 0x01 before the broker fails the exchange (RFC 7628 section 3.2.3).
async fn oauth<C: SaslChannel>(
    conn: &C,
    credentials: &SaslCredentials,
) -> Result<Option<Duration>> {
    let Some(provider) = &credentials.oauthbearer else {
        return Err(auth_error(
            conn,
            "OAUTHBEARER needs a token provider or sasl.oauthbearer.config".into(),
        ));
    };
    let token = provider
        .token()
        .await
        .map_err(|e| auth_error(conn, format!("OAUTHBEARER token: {e}")))?;
    let (challenge, lifetime) = step(conn, oauthbearer::initial_response(&token)).await?;
    if challenge.is_empty() {
        return Ok(lifetime);
    }
    let reason = String::from_utf8_lossy(&challenge).into_owned();
    // The broker's answer to the acknowledgement is the failure itself.
    let _ = step(conn, vec![1]).await;
    Err(auth_error(
        conn,
        format!("OAUTHBEARER token refused: {reason}"),
    ))
}

/// One SaslAuthenticate round: the client's message out, the broker's in,
/// with the session lifetime it set (non-zero on the last round only).
async fn step<C: SaslChannel>(conn: &C, message: Vec<u8>) -> Result<(Bytes, Option<Duration>)> {
    let r = conn
        .send(&SaslAuthenticateRequest {
            auth_bytes: Bytes::from(message),
            ..Default::default()
        })
        .await?;
    if r.error_code != 0 {
        let reason = r
            .error_message
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| ErrorCode::from_code(r.error_code).to_string());
        return Err(auth_error(conn, reason));
    }
    let lifetime = u64::try_from(r.session_lifetime_ms)
        .ok()
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis);
    Ok((r.auth_bytes, lifetime))
}

fn auth_error<C: SaslChannel>(conn: &C, reason: String) -> Error {
    Error::Authentication {
        broker: conn.broker().to_owned(),
        reason,
    }
}

fn sasl_error<C: SaslChannel>(conn: &C, e: SaslError) -> Error {
    auth_error(conn, e.to_string())
}
