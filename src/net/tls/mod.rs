//! TLS for broker connections, in pure Rust: rustls with graviola's
//! crypto provider (see ARCHITECTURE.md, "TLS", for why graviola). The
//! configuration is built once per client from the `ssl.*` properties
//! ([`TlsConnector::from_config`]); each connection then handshakes with
//! the broker's advertised host name as its server name (SNI and
//! certificate check), or its IP address, checked against the
//! certificate's IP SANs.

mod build;
mod error;
mod pkcs12;
mod verify;

use std::sync::Arc;

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

pub(crate) use error::from_io;
pub use error::TlsError;

use crate::config::{ClientConfig, ConfigError, SslConfig};
use crate::error::{Error, Result};

/// The TLS side of connecting: a rustls configuration shared by every
/// connection of a client.
#[derive(Clone)]
pub struct TlsConnector {
    config: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConnector").finish_non_exhaustive()
    }
}

/// The rustls configuration `ssl` describes (for other TLS clients of the
/// crate, such as the OIDC token endpoint's).
pub(crate) fn client_config(
    ssl: &SslConfig,
) -> std::result::Result<Arc<rustls::ClientConfig>, ConfigError> {
    build::client_config(ssl).map(Arc::new)
}

impl TlsConnector {
    /// Builds the TLS configuration the `ssl.*` properties of `config`
    /// describe: files read, keys decrypted, CAs loaded (the system's when
    /// none is given). A file that cannot be read or parsed is an error
    /// naming its property; a CPU the crypto provider cannot run on is
    /// [`ConfigError::Conflict`] saying so.
    pub fn from_config(config: &ClientConfig) -> Result<TlsConnector, ConfigError> {
        let config = match &config.ssl.rustls {
            Some(own) => own.0.clone(),
            None => Arc::new(build::client_config(&config.ssl)?),
        };
        Ok(TlsConnector { config })
    }

    /// A connector from a ready rustls configuration.
    pub fn from_rustls(config: Arc<rustls::ClientConfig>) -> TlsConnector {
        TlsConnector { config }
    }

    /// Runs the TLS handshake on `tcp`, connected to `broker`
    /// (`host:port`).
    pub(crate) async fn handshake(
        &self,
        broker: &str,
        tcp: TcpStream,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>> {
        let host = host_of(broker);
        let name = ServerName::try_from(host.to_owned()).map_err(|_| Error::Tls {
            broker: broker.to_owned(),
            source: TlsError::BadServerName {
                name: host.to_owned(),
            },
        })?;
        tokio_rustls::TlsConnector::from(self.config.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| match error::from_handshake_io(&e, host) {
                Some(source) => Error::Tls {
                    broker: broker.to_owned(),
                    source,
                },
                None => Error::Io {
                    broker: broker.to_owned(),
                    source: e,
                },
            })
    }
}

/// The host of `host:port`, without the brackets of an IPv6 address.
pub(crate) fn host_of(broker: &str) -> &str {
    let host = broker.rsplit_once(':').map_or(broker, |(h, _)| h);
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// The crypto provider, after checking that this CPU can run it: graviola
/// needs x86_64 with AES-NI, PCLMULQDQ, AVX2, BMI1 and ADX, or aarch64
/// with AES, PMULL and SHA2, and would stop the process on another.
pub(crate) fn provider() -> Result<Arc<rustls::crypto::CryptoProvider>, ConfigError> {
    if !cpu_supported() {
        return Err(ConfigError::Conflict(format!(
            "TLS is not available on this CPU: its crypto provider (graviola) needs {}",
            REQUIRED_CPU
        )));
    }
    Ok(Arc::new(rustls_graviola::default_provider()))
}

#[cfg(target_arch = "x86_64")]
const REQUIRED_CPU: &str = "x86_64 with AES-NI, PCLMULQDQ, AVX, AVX2, BMI1 and ADX";
#[cfg(target_arch = "aarch64")]
const REQUIRED_CPU: &str = "aarch64 with NEON, AES, PMULL and SHA2";
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const REQUIRED_CPU: &str = "x86_64 or aarch64";

#[cfg(target_arch = "x86_64")]
fn cpu_supported() -> bool {
    std::arch::is_x86_feature_detected!("aes")
        && std::arch::is_x86_feature_detected!("pclmulqdq")
        && std::arch::is_x86_feature_detected!("bmi1")
        && std::arch::is_x86_feature_detected!("adx")
        && std::arch::is_x86_feature_detected!("avx")
        && std::arch::is_x86_feature_detected!("avx2")
}

#[cfg(target_arch = "aarch64")]
fn cpu_supported() -> bool {
    std::arch::is_aarch64_feature_detected!("neon")
        && std::arch::is_aarch64_feature_detected!("aes")
        && std::arch::is_aarch64_feature_detected!("pmull")
        && std::arch::is_aarch64_feature_detected!("sha2")
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn cpu_supported() -> bool {
    false
}

#[cfg(test)]
mod tests;
