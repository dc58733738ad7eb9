//! The `ssl.*` properties: where the CA, the client certificate and its
//! key come from, and how the broker's certificate is checked. The
//! properties only record what was asked; the files are read and the TLS
//! configuration is built when a client is made
//! ([`crate::net::TlsConnector::from_config`]), so that an unreadable file
//! is an error naming its property then.

use std::path::PathBuf;
use std::sync::Arc;

use super::ConfigError;

/// The `ssl.*` settings of a [`ClientConfig`](super::ClientConfig). Used
/// when `security.protocol` is `ssl` or `sasl_ssl`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct SslConfig {
    /// `ssl.ca.location`: a PEM file of CA certificates, or a directory of
    /// them. With neither this nor [`SslConfig::ca_pem`] nor a trust
    /// store, the system's trust store is used.
    pub ca_location: Option<PathBuf>,
    /// `ssl.ca.pem`: CA certificates as PEM text.
    pub ca_pem: Option<String>,
    /// `ssl.truststore.location` (Java): a PKCS#12 file of CA certificates.
    pub truststore_location: Option<PathBuf>,
    /// `ssl.truststore.password` (Java).
    pub truststore_password: Option<String>,
    /// `ssl.certificate.location`: the client's certificate chain, PEM.
    pub certificate_location: Option<PathBuf>,
    /// `ssl.certificate.pem`: the client's certificate chain as PEM text.
    pub certificate_pem: Option<String>,
    /// `ssl.key.location`: the client's private key, PEM (PKCS#8, PKCS#1
    /// or SEC1; PKCS#8 may be encrypted, see [`SslConfig::key_password`]).
    pub key_location: Option<PathBuf>,
    /// `ssl.key.pem`: the client's private key as PEM text.
    pub key_pem: Option<String>,
    /// `ssl.key.password`: decrypts an `ENCRYPTED PRIVATE KEY` (PKCS#8).
    pub key_password: Option<String>,
    /// `ssl.keystore.location`: the client's certificate and key in a
    /// PKCS#12 file.
    pub keystore_location: Option<PathBuf>,
    /// `ssl.keystore.password`.
    pub keystore_password: Option<String>,
    /// `ssl.endpoint.identification.algorithm`: `https` (the default)
    /// checks that the broker's certificate names the host connected to;
    /// `none` checks only that a trusted CA signed it.
    pub verify_hostname: bool,
    /// `enable.ssl.certificate.verification`: `false` accepts any
    /// certificate (for tests only: anyone in the middle can read the
    /// traffic).
    pub verify_certificate: bool,
    /// A complete rustls configuration supplied by the application
    /// ([`ClientConfig::tls_config`](super::ClientConfig::tls_config));
    /// when set, every other `ssl.*` setting is ignored.
    pub rustls: Option<RustlsConfig>,
}

impl SslConfig {
    /// librdkafka's defaults: the system's CAs, host names checked.
    pub fn new() -> Self {
        Self {
            verify_hostname: true,
            verify_certificate: true,
            ..Self::default()
        }
    }
}

/// A `rustls::ClientConfig` shared by every connection. Two are equal when
/// they are the same object.
#[derive(Clone)]
pub struct RustlsConfig(pub Arc<rustls::ClientConfig>);

impl PartialEq for RustlsConfig {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for RustlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RustlsConfig").finish_non_exhaustive()
    }
}

/// Applies one `ssl.*` property; `Ok(false)` when `name` is not one.
pub(super) fn apply(ssl: &mut SslConfig, name: &str, value: &str) -> Result<bool, ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidValue {
        name: name.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let path = || -> Result<Option<PathBuf>, ConfigError> {
        match value.trim() {
            "" => Err(invalid("expected a path")),
            p => Ok(Some(PathBuf::from(p))),
        }
    };
    let pem = || -> Result<Option<String>, ConfigError> {
        if value.contains("-----BEGIN ") {
            Ok(Some(value.to_owned()))
        } else {
            Err(invalid("expected PEM text (-----BEGIN ...)"))
        }
    };
    let boolean = || -> Result<bool, ConfigError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(invalid("expected true or false")),
        }
    };
    match name {
        "ssl.ca.location" => {
            // librdkafka's "probe" means: look for the system's CAs, which
            // is what no location does here.
            ssl.ca_location = match value.trim() {
                "probe" => None,
                _ => path()?,
            }
        }
        "ssl.ca.pem" => ssl.ca_pem = pem()?,
        "ssl.truststore.location" => ssl.truststore_location = path()?,
        "ssl.truststore.password" => ssl.truststore_password = Some(value.to_owned()),
        "ssl.truststore.type" | "ssl.keystore.type" => {
            if !value.trim().eq_ignore_ascii_case("pkcs12") {
                return Err(invalid("only PKCS12 stores are read (convert JKS with keytool -importkeystore -deststoretype pkcs12)"));
            }
        }
        "ssl.certificate.location" => ssl.certificate_location = path()?,
        "ssl.certificate.pem" => ssl.certificate_pem = pem()?,
        "ssl.key.location" => ssl.key_location = path()?,
        "ssl.key.pem" => ssl.key_pem = pem()?,
        "ssl.key.password" => ssl.key_password = Some(value.to_owned()),
        "ssl.keystore.location" => ssl.keystore_location = path()?,
        "ssl.keystore.password" => ssl.keystore_password = Some(value.to_owned()),
        "ssl.endpoint.identification.algorithm" => {
            ssl.verify_hostname = match value.trim().to_ascii_lowercase().as_str() {
                "https" => true,
                // The Java client spells "no check" as the empty string.
                "none" | "" => false,
                _ => return Err(invalid("expected https or none")),
            }
        }
        "enable.ssl.certificate.verification" => ssl.verify_certificate = boolean()?,
        _ => return Ok(false),
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::super::{ClientConfig, ConfigError, SecurityProtocol};
    use std::path::PathBuf;

    #[test]
    fn ssl_properties_by_librdkafka_name() {
        let c = ClientConfig::from_properties([
            ("security.protocol", "SASL_SSL"),
            ("ssl.ca.location", "/etc/ca.pem"),
            ("ssl.certificate.location", "/etc/client.pem"),
            ("ssl.key.location", "/etc/client.key"),
            ("ssl.key.password", "secret"),
            ("ssl.endpoint.identification.algorithm", "none"),
            ("enable.ssl.certificate.verification", "false"),
        ])
        .expect("valid");
        assert_eq!(c.security_protocol, SecurityProtocol::SaslSsl);
        assert_eq!(c.ssl.ca_location, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(
            c.ssl.certificate_location,
            Some(PathBuf::from("/etc/client.pem"))
        );
        assert_eq!(c.ssl.key_location, Some(PathBuf::from("/etc/client.key")));
        assert_eq!(c.ssl.key_password.as_deref(), Some("secret"));
        assert!(!c.ssl.verify_hostname);
        assert!(!c.ssl.verify_certificate);
        let d = ClientConfig::new();
        assert!(d.ssl.verify_hostname && d.ssl.verify_certificate);
        assert_eq!(
            ClientConfig::new()
                .set("ssl.ca.location", "probe")
                .expect("probe")
                .ssl
                .ca_location,
            None
        );
    }

    #[test]
    fn bad_ssl_values_name_the_property() {
        for (name, value) in [
            ("ssl.endpoint.identification.algorithm", "dns"),
            ("enable.ssl.certificate.verification", "maybe"),
            ("ssl.ca.pem", "not pem"),
            ("ssl.keystore.type", "JKS"),
            ("ssl.ca.location", ""),
        ] {
            let err = ClientConfig::new().set(name, value).unwrap_err();
            assert!(
                matches!(&err, ConfigError::InvalidValue { name: n, .. } if n == name),
                "{err}"
            );
        }
    }
}
