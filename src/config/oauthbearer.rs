//! Where SASL/OAUTHBEARER tokens come from: a token provider the
//! application registers, or, for development, unsecured JWTs (`alg:
//! none`) made from `sasl.oauthbearer.config` as librdkafka makes them.
//! Tokens are cached and fetched again once 80% of their lifetime has
//! passed, as librdkafka refreshes them. (`net::sasl` sends them.)

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::ConfigError;

/// A bearer token and what the client needs to know about it.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthBearerToken {
    /// The token itself (a JWT, usually), sent as `auth=Bearer <token>`.
    pub token: String,
    /// How long the token is valid from now; it is fetched again after
    /// 80% of it.
    pub lifetime: Duration,
    /// The principal the token names (for logs).
    pub principal: String,
    /// SASL extensions sent with the token (KIP-342), `key=value`.
    pub extensions: Vec<(String, String)>,
}

impl std::fmt::Debug for OAuthBearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthBearerToken")
            .field("lifetime", &self.lifetime)
            .field("principal", &self.principal)
            .field("extensions", &self.extensions)
            .finish_non_exhaustive()
    }
}

/// The future a token provider returns.
pub type TokenFuture = Pin<Box<dyn Future<Output = Result<OAuthBearerToken, String>> + Send>>;

/// Where OAUTHBEARER tokens come from: the application's provider, called
/// when the client needs a token and has none that is fresh. An error
/// fails the connection attempt with
/// [`Error::Authentication`](crate::error::Error::Authentication) carrying its text.
#[derive(Clone)]
pub struct TokenProvider {
    fetch: Arc<dyn Fn() -> TokenFuture + Send + Sync>,
    cache: Arc<Mutex<Option<(OAuthBearerToken, Instant)>>>,
}

impl std::fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenProvider").finish_non_exhaustive()
    }
}

impl PartialEq for TokenProvider {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.cache, &other.cache)
    }
}

impl TokenProvider {
    /// A provider calling `fetch` for each new token.
    pub fn new<F, Fut>(fetch: F) -> TokenProvider
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<OAuthBearerToken, String>> + Send + 'static,
    {
        TokenProvider {
            fetch: Arc::new(move || Box::pin(fetch()) as TokenFuture),
            cache: Arc::new(Mutex::new(None)),
        }
    }

    /// Unsecured JWTs (`alg: none`) from librdkafka's
    /// `sasl.oauthbearer.config`: space-separated `principal=NAME`
    /// (required), `principalClaimName=sub`, `scope=A,B`,
    /// `scopeClaimName=scope`, `lifeSeconds=3600` and
    /// `extension_NAME=VALUE`. For development brokers only: anyone can
    /// make such a token.
    pub fn unsecured_jwt(config: &str) -> Result<TokenProvider, ConfigError> {
        let spec = UnsecuredJwt::parse(config)?;
        Ok(TokenProvider::new(move || {
            let token = spec.token();
            async move { token }
        }))
    }

    /// The current token: the cached one while less than 80% of its
    /// lifetime has passed, else a new one from the provider.
    /// (Connections authenticating at once as the old token turns stale
    /// may each fetch one; the last fetched is kept.)
    pub async fn token(&self) -> Result<OAuthBearerToken, String> {
        if let Some((token, refresh_at)) = self.lock().as_ref() {
            if Instant::now() < *refresh_at {
                return Ok(token.clone());
            }
        }
        let token = (self.fetch)().await?;
        if token.token.is_empty() {
            return Err("the token provider returned an empty token".into());
        }
        let refresh_at = Instant::now() + token.lifetime.mul_f64(0.8);
        *self.lock() = Some((token.clone(), refresh_at));
        Ok(token)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(OAuthBearerToken, Instant)>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What `sasl.oauthbearer.config` asks of an unsecured JWT.
#[derive(Debug, Clone)]
struct UnsecuredJwt {
    principal: String,
    principal_claim: String,
    scope: Vec<String>,
    scope_claim: String,
    life: Duration,
    extensions: Vec<(String, String)>,
}

impl UnsecuredJwt {
    fn parse(config: &str) -> Result<UnsecuredJwt, ConfigError> {
        let invalid = |reason: String| ConfigError::InvalidValue {
            name: "sasl.oauthbearer.config".into(),
            value: config.to_owned(),
            reason,
        };
        let mut spec = UnsecuredJwt {
            principal: String::new(),
            principal_claim: "sub".into(),
            scope: Vec::new(),
            scope_claim: "scope".into(),
            life: Duration::from_secs(3600),
            extensions: Vec::new(),
        };
        for item in config.split_whitespace() {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| invalid(format!("{item:?} is not key=value")))?;
            match key {
                "principal" => spec.principal = value.to_owned(),
                "principalClaimName" => spec.principal_claim = value.to_owned(),
                "scope" => {
                    spec.scope = value
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                }
                "scopeClaimName" => spec.scope_claim = value.to_owned(),
                "lifeSeconds" => {
                    let secs: u64 = value.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                        invalid(format!("lifeSeconds={value}: not a positive number"))
                    })?;
                    spec.life = Duration::from_secs(secs);
                }
                _ => match key.strip_prefix("extension_") {
                    Some(name) if valid_extension_key(name) => {
                        spec.extensions.push((name.to_owned(), value.to_owned()))
                    }
                    _ => return Err(invalid(format!("unknown key {key:?}"))),
                },
            }
        }
        if spec.principal.is_empty() {
            return Err(invalid("principal=NAME is required".into()));
        }
        if spec.principal_claim.is_empty() || spec.scope_claim.is_empty() {
            return Err(invalid("claim names must not be empty".into()));
        }
        Ok(spec)
    }

    fn token(&self) -> Result<OAuthBearerToken, String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?;
        let mut claims = serde_json::Map::new();
        claims.insert(self.principal_claim.clone(), self.principal.clone().into());
        claims.insert("iat".into(), now.as_secs().into());
        claims.insert("exp".into(), (now + self.life).as_secs().into());
        if !self.scope.is_empty() {
            claims.insert(self.scope_claim.clone(), self.scope.clone().into());
        }
        let payload = serde_json::Value::Object(claims).to_string();
        let token = format!(
            "{}.{}.",
            base64url(br#"{"alg":"none"}"#),
            base64url(payload.as_bytes())
        );
        Ok(OAuthBearerToken {
            token,
            lifetime: self.life,
            principal: self.principal.clone(),
            extensions: self.extensions.clone(),
        })
    }
}

/// RFC 7628: extension keys are letters only; `auth` is reserved.
fn valid_extension_key(key: &str) -> bool {
    !key.is_empty() && key != "auth" && key.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Base64url without padding (JWT's encoding).
fn base64url(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_part(part: &str) -> serde_json::Value {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut bits = 0u32;
        let mut count = 0;
        let mut bytes = Vec::new();
        for c in part.bytes() {
            let v = ALPHABET.iter().position(|a| *a == c).expect("base64url") as u32;
            bits = bits << 6 | v;
            count += 6;
            if count >= 8 {
                count -= 8;
                bytes.push((bits >> count) as u8);
            }
        }
        serde_json::from_slice(&bytes).expect("json")
    }

    #[test]
    fn unsecured_jwt_as_librdkafka_makes_it() {
        let p = TokenProvider::unsecured_jwt(
            "principal=admin scope=read,write lifeSeconds=60 extension_traceId=abc",
        )
        .expect("valid");
        let spec =
            UnsecuredJwt::parse("principal=admin scope=read,write lifeSeconds=60").expect("valid");
        let t = spec.token().expect("token");
        let parts: Vec<&str> = t.token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], "", "unsigned");
        assert_eq!(decode_part(parts[0]), serde_json::json!({"alg": "none"}));
        let claims = decode_part(parts[1]);
        assert_eq!(claims["sub"], "admin");
        assert_eq!(claims["scope"], serde_json::json!(["read", "write"]));
        let (iat, exp) = (
            claims["iat"].as_u64().expect("iat"),
            claims["exp"].as_u64().expect("exp"),
        );
        assert_eq!(exp - iat, 60);
        assert_eq!(t.lifetime, Duration::from_secs(60));
        drop(p);
    }

    #[test]
    fn bad_unsecured_configs_are_refused() {
        for bad in [
            "scope=x",
            "principal=a lifeSeconds=0",
            "principal=a extension_auth=x",
            "principal=a colour=blue",
            "principal",
        ] {
            assert!(TokenProvider::unsecured_jwt(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn tokens_are_refreshed_after_80_percent_of_their_lifetime() {
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = calls.clone();
        let p = TokenProvider::new(move || {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move {
                Ok(OAuthBearerToken {
                    token: format!("token-{n}"),
                    lifetime: Duration::from_millis(1000),
                    principal: "p".into(),
                    extensions: Vec::new(),
                })
            }
        });
        assert_eq!(p.token().await.expect("token").token, "token-0");
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(p.token().await.expect("cached").token, "token-0");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(p.token().await.expect("refreshed").token, "token-1");
    }
}
