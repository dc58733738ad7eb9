//! `sasl.oauthbearer.method=oidc`: OAUTHBEARER tokens from an OAuth 2.0
//! token endpoint, client-credentials grant (RFC 6749 section 4.4), as
//! librdkafka gets them: a `POST` of `grant_type=client_credentials` (and
//! `scope`) with the client id and secret as HTTP Basic credentials, over
//! our rustls stack (`http.rs`). The token's lifetime comes from its JWT
//! `exp` claim (else the response's `expires_in`), its principal from
//! `sub`. The result is a [`TokenProvider`], so the token is cached and
//! fetched again once 80% of its lifetime has passed, and a failure is an
//! authentication error naming the endpoint's answer.

mod http;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing::debug;

use crate::config::{ClientConfig, ConfigError, OAuthBearerToken, SslConfig, TokenProvider};

/// The token provider `config.oidc` describes. Checks the settings and
/// builds the TLS configuration for the endpoint now, so a mistake is a
/// [`ConfigError`] when the client is made.
pub(crate) fn token_provider(config: &ClientConfig) -> Result<TokenProvider, ConfigError> {
    let oidc = &config.oidc;
    let missing =
        |name: &str| ConfigError::Conflict(format!("sasl.oauthbearer.method=oidc requires {name}"));
    let client_id = oidc
        .client_id
        .clone()
        .ok_or_else(|| missing("sasl.oauthbearer.client.id"))?;
    let client_secret = oidc
        .client_secret
        .clone()
        .ok_or_else(|| missing("sasl.oauthbearer.client.secret"))?;
    let url_text = oidc
        .token_endpoint_url
        .clone()
        .ok_or_else(|| missing("sasl.oauthbearer.token.endpoint.url"))?;
    let url = http::Url::parse(&url_text).map_err(|reason| ConfigError::InvalidValue {
        name: "sasl.oauthbearer.token.endpoint.url".into(),
        value: url_text.clone(),
        reason,
    })?;
    let tls = if url.tls {
        let mut ssl = SslConfig::new();
        ssl.ca_location = oidc.https_ca_location.clone();
        ssl.ca_pem = oidc.https_ca_pem.clone();
        let tls = super::tls::client_config(&ssl).map_err(|e| match e {
            // The CA settings are the https.* ones here.
            ConfigError::InvalidValue {
                name,
                value,
                reason,
            } => ConfigError::InvalidValue {
                name: name.replace("ssl.", "https."),
                value,
                reason,
            },
            other => other,
        })?;
        Some(tls)
    } else {
        None
    };
    let mut body = "grant_type=client_credentials".to_owned();
    if let Some(scope) = &oidc.scope {
        body.push_str("&scope=");
        body.push_str(&http::form_escape(scope));
    }
    let request = Arc::new(Request {
        url,
        url_text,
        authorization: format!(
            "Basic {}",
            base64(
                format!(
                    "{}:{}",
                    http::form_escape(&client_id),
                    http::form_escape(&client_secret)
                )
                .as_bytes(),
                STANDARD
            )
        ),
        body,
        tls,
        timeout: config.request_timeout,
        client_id,
        extensions: oidc.extensions.clone(),
    });
    Ok(TokenProvider::new(move || {
        let request = request.clone();
        async move { request.fetch().await }
    }))
}

struct Request {
    url: http::Url,
    url_text: String,
    authorization: String,
    body: String,
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
    client_id: String,
    extensions: Vec<(String, String)>,
}

impl Request {
    async fn fetch(&self) -> Result<OAuthBearerToken, String> {
        let fail = |why: String| format!("OIDC token endpoint {}: {why}", self.url_text);
        let response = http::post_form(
            &self.url,
            &[("Authorization", &self.authorization)],
            &self.body,
            self.tls.as_ref(),
            self.timeout,
        )
        .await
        .map_err(fail)?;
        let token = parse_token_response(response.status, &response.body, SystemTime::now())
            .map_err(fail)?;
        debug!(
            endpoint = %self.url_text,
            lifetime_ms = token.lifetime.as_millis() as u64,
            "OIDC token fetched"
        );
        Ok(OAuthBearerToken {
            principal: token.principal.unwrap_or_else(|| self.client_id.clone()),
            extensions: self.extensions.clone(),
            token: token.token,
            lifetime: token.lifetime,
        })
    }
}

/// What a token response says.
#[derive(Debug, PartialEq)]
struct Fetched {
    token: String,
    lifetime: Duration,
    principal: Option<String>,
}

/// Reads a token endpoint's response (`now` for the JWT's `exp`).
fn parse_token_response(status: u16, body: &[u8], now: SystemTime) -> Result<Fetched, String> {
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
        format!(
            "HTTP {status}, not JSON: {:.200}",
            String::from_utf8_lossy(body)
        )
    })?;
    if status != 200 {
        let error = json.get("error").and_then(|e| e.as_str()).unwrap_or("");
        let description = json
            .get("error_description")
            .and_then(|e| e.as_str())
            .unwrap_or("");
        return Err(format!("HTTP {status}: {error:.100} {description:.200}"));
    }
    let token = json
        .get("access_token")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .ok_or("the response has no access_token")?
        .to_owned();
    let claims = jwt_claims(&token);
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let lifetime = match claims
        .as_ref()
        .and_then(|c| c.get("exp"))
        .and_then(|e| e.as_f64())
    {
        Some(exp) if exp > now_secs => Duration::from_secs_f64(exp - now_secs),
        Some(_) => return Err("the token has already expired (its exp claim)".into()),
        None => match json.get("expires_in").and_then(|e| e.as_f64()) {
            Some(secs) if secs > 0.0 && secs < 1e9 => Duration::from_secs_f64(secs),
            _ => {
                return Err(
                    "the token says nothing of its lifetime (no exp claim, no expires_in)".into(),
                )
            }
        },
    };
    let principal = claims
        .as_ref()
        .and_then(|c| c.get("sub"))
        .and_then(|s| s.as_str())
        .map(str::to_owned);
    Ok(Fetched {
        token,
        lifetime,
        principal,
    })
}

/// The claims of a JWT (its middle part), when it is one. Not verified:
/// the broker does that; the client only reads the lifetime and subject.
fn jwt_claims(token: &str) -> Option<serde_json::Value> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    serde_json::from_slice(&base64url_decode(payload)?).ok()
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 with `alphabet`, padded.
fn base64(data: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(alphabet[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes base64url (padding optional); `None` on a bad character.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = URL_SAFE.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
