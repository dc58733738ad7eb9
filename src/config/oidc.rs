//! `sasl.oauthbearer.method=oidc`: OAUTHBEARER tokens from an OAuth 2.0
//! token endpoint with the client-credentials grant, as librdkafka gets
//! them. These properties only record what was asked; `net::oidc` makes
//! the requests.

use super::ConfigError;

/// The OIDC settings of a [`ClientConfig`](super::ClientConfig) (librdkafka's
/// property names). `Debug` hides the client secret.
#[derive(Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct OidcConfig {
    /// `sasl.oauthbearer.method`: `true` for `oidc`, `false` for `default`
    /// (the application's token provider or unsecured JWTs).
    pub enabled: bool,
    /// `sasl.oauthbearer.client.id`.
    pub client_id: Option<String>,
    /// `sasl.oauthbearer.client.secret`.
    pub client_secret: Option<String>,
    /// `sasl.oauthbearer.scope`: sent as the request's `scope`, when set.
    pub scope: Option<String>,
    /// `sasl.oauthbearer.token.endpoint.url`: `https://` (or `http://`,
    /// for tests only: the secret travels in clear).
    pub token_endpoint_url: Option<String>,
    /// `sasl.oauthbearer.extensions`: `key=value,key=value`, sent to the
    /// broker with the token (KIP-342).
    pub extensions: Vec<(String, String)>,
    /// `https.ca.location`: a PEM file or directory of the CAs that sign
    /// the token endpoint's certificate; the system's when neither this
    /// nor [`OidcConfig::https_ca_pem`] is set (as librdkafka).
    pub https_ca_location: Option<std::path::PathBuf>,
    /// `https.ca.pem`: the same as PEM text.
    pub https_ca_pem: Option<String>,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("enabled", &self.enabled)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "(hidden)"),
            )
            .field("scope", &self.scope)
            .field("token_endpoint_url", &self.token_endpoint_url)
            .field("extensions", &self.extensions)
            .field("https_ca_location", &self.https_ca_location)
            .field("https_ca_pem", &self.https_ca_pem.is_some())
            .finish()
    }
}

/// Applies one OIDC property; `Ok(false)` when `name` is not one.
pub(super) fn apply(oidc: &mut OidcConfig, name: &str, value: &str) -> Result<bool, ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidValue {
        name: name.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let text = || match value.trim() {
        "" => Err(invalid("expected a value")),
        v => Ok(Some(v.to_owned())),
    };
    match name {
        "sasl.oauthbearer.method" => {
            oidc.enabled = match value.trim().to_ascii_lowercase().as_str() {
                "default" => false,
                "oidc" => true,
                _ => return Err(invalid("expected default or oidc")),
            }
        }
        "sasl.oauthbearer.client.id" => oidc.client_id = text()?,
        "sasl.oauthbearer.client.secret" => oidc.client_secret = Some(value.to_owned()),
        "sasl.oauthbearer.scope" => oidc.scope = text()?,
        "sasl.oauthbearer.token.endpoint.url" => {
            let url = value.trim();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(invalid("expected an https:// URL"));
            }
            oidc.token_endpoint_url = Some(url.to_owned());
        }
        "sasl.oauthbearer.extensions" => {
            let mut extensions = Vec::new();
            for pair in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some((k, v)) if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphabetic()) => {
                        extensions.push((k.to_owned(), v.to_owned()))
                    }
                    _ => return Err(invalid("expected key=value,key=value (keys of letters)")),
                }
            }
            oidc.extensions = extensions;
        }
        "https.ca.location" => {
            oidc.https_ca_location = match value.trim() {
                "" => return Err(invalid("expected a path")),
                "probe" => None,
                p => Some(p.into()),
            }
        }
        "https.ca.pem" => {
            if !value.contains("-----BEGIN ") {
                return Err(invalid("expected PEM text (-----BEGIN ...)"));
            }
            oidc.https_ca_pem = Some(value.to_owned());
        }
        _ => return Ok(false),
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::super::{ClientConfig, ConfigError};

    #[test]
    fn oidc_properties_by_librdkafka_name() {
        let c = ClientConfig::from_properties([
            ("sasl.oauthbearer.method", "OIDC"),
            ("sasl.oauthbearer.client.id", "app"),
            ("sasl.oauthbearer.client.secret", "s3cret"),
            ("sasl.oauthbearer.scope", "kafka"),
            (
                "sasl.oauthbearer.token.endpoint.url",
                "https://idp.example/token",
            ),
            (
                "sasl.oauthbearer.extensions",
                "logicalCluster=lkc-1,identityPoolId=pool-2",
            ),
            ("https.ca.location", "/etc/idp-ca.pem"),
        ])
        .expect("valid");
        assert!(c.oidc.enabled);
        assert_eq!(c.oidc.client_id.as_deref(), Some("app"));
        assert_eq!(c.oidc.client_secret.as_deref(), Some("s3cret"));
        assert_eq!(c.oidc.scope.as_deref(), Some("kafka"));
        assert_eq!(
            c.oidc.token_endpoint_url.as_deref(),
            Some("https://idp.example/token")
        );
        assert_eq!(
            c.oidc.extensions,
            vec![
                ("logicalCluster".to_owned(), "lkc-1".to_owned()),
                ("identityPoolId".to_owned(), "pool-2".to_owned())
            ]
        );
        assert!(c.oidc.https_ca_location.is_some());
        assert!(
            !format!("{:?}", c.oidc).contains("s3cret"),
            "the secret is not shown"
        );
        assert!(!ClientConfig::new().oidc.enabled);
    }

    #[test]
    fn bad_oidc_values_name_the_property() {
        for (name, value) in [
            ("sasl.oauthbearer.method", "saml"),
            ("sasl.oauthbearer.token.endpoint.url", "idp.example/token"),
            ("sasl.oauthbearer.extensions", "no-equals"),
            ("sasl.oauthbearer.client.id", " "),
            ("https.ca.pem", "not pem"),
        ] {
            let err = ClientConfig::new().set(name, value).unwrap_err();
            assert!(
                matches!(&err, ConfigError::InvalidValue { name: n, .. } if n == name),
                "{err}"
            );
        }
    }
}
