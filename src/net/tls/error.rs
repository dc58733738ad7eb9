//! What a failed TLS handshake or TLS session means, named for the user.

use rustls::{AlertDescription, CertificateError};

/// Why TLS with a broker failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The broker's certificate is not signed by a trusted CA
    /// (`ssl.ca.location`, `ssl.ca.pem`, or the system's trust store).
    #[error("the broker's certificate is not signed by a trusted CA (check ssl.ca.location)")]
    UnknownIssuer,
    /// The broker's certificate does not name the host connected to
    /// (`ssl.endpoint.identification.algorithm=none` skips this check).
    #[error("the broker's certificate is not valid for {name:?} (ssl.endpoint.identification.algorithm=none skips this check)")]
    NameMismatch {
        /// The host name or IP address connected to.
        name: String,
    },
    /// The broker's certificate (or one in its chain) has expired or is
    /// not valid yet.
    #[error("the broker's certificate has expired or is not yet valid")]
    Expired,
    /// Another problem with the broker's certificate.
    #[error("the broker's certificate was refused: {reason}")]
    BadCertificate {
        /// rustls's reason.
        reason: String,
    },
    /// The broker requires a client certificate (mTLS) and none, or one it
    /// does not trust, was sent (`ssl.certificate.location`,
    /// `ssl.key.location`, `ssl.keystore.location`).
    #[error("the broker refused the client certificate, or requires one (alert {alert})")]
    ClientCertificateRefused {
        /// The TLS alert the broker sent.
        alert: String,
    },
    /// The broker ended the handshake with a TLS alert.
    #[error("the broker sent TLS alert {alert}")]
    Alert {
        /// The alert.
        alert: String,
    },
    /// The broker closed the connection during the handshake: most often
    /// the port is not a TLS listener (security.protocol should then be
    /// plaintext or sasl_plaintext).
    #[error(
        "the broker closed the connection during the TLS handshake (is this port a TLS listener?)"
    )]
    ClosedDuringHandshake,
    /// The broker answered with something that is not TLS: the port is
    /// not a TLS listener.
    #[error("the broker does not speak TLS on this port: {reason}")]
    NotTls {
        /// What rustls could not read.
        reason: String,
    },
    /// The broker speaks TLS on this port but the client was configured
    /// without it (security.protocol should be ssl or sasl_ssl).
    #[error("the broker speaks TLS on this port; set security.protocol to ssl or sasl_ssl")]
    BrokerExpectsTls,
    /// The address's host is neither a DNS name nor an IP address.
    #[error("{name:?} is not a valid server name for TLS")]
    BadServerName {
        /// The host.
        name: String,
    },
    /// Any other TLS failure.
    #[error("{reason}")]
    Other {
        /// rustls's description.
        reason: String,
    },
}

impl TlsError {
    /// Whether trying again may succeed: only when the connection closed
    /// during the handshake (a broker restarting does that, as does a
    /// port that is not a TLS listener); every other cause needs a change
    /// of configuration or certificates.
    pub fn is_retriable(&self) -> bool {
        matches!(self, TlsError::ClosedDuringHandshake)
    }

    /// The meaning of a rustls error; `server` is the server name used.
    pub(crate) fn from_rustls(e: &rustls::Error, server: &str) -> TlsError {
        use rustls::Error as E;
        match e {
            E::InvalidCertificate(c) => match c {
                CertificateError::UnknownIssuer => TlsError::UnknownIssuer,
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => TlsError::NameMismatch {
                    name: server.to_owned(),
                },
                CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. } => TlsError::Expired,
                other => TlsError::BadCertificate {
                    reason: format!("{other:?}"),
                },
            },
            E::AlertReceived(a) => match a {
                AlertDescription::CertificateRequired
                | AlertDescription::BadCertificate
                | AlertDescription::UnknownCA
                | AlertDescription::CertificateUnknown => TlsError::ClientCertificateRefused {
                    alert: format!("{a:?}"),
                },
                other => TlsError::Alert {
                    alert: format!("{other:?}"),
                },
            },
            E::InvalidMessage(m) => TlsError::NotTls {
                reason: format!("{m:?}"),
            },
            other => TlsError::Other {
                reason: other.to_string(),
            },
        }
    }
}

/// The TLS meaning of an I/O error from a TLS stream to `server`, if it
/// carries a rustls error.
pub(crate) fn from_io(e: &std::io::Error, server: &str) -> Option<TlsError> {
    e.get_ref()
        .and_then(|i| i.downcast_ref::<rustls::Error>())
        .map(|inner| TlsError::from_rustls(inner, server))
}

/// [`from_io`] for an error during the handshake, where the connection
/// closing means the port does not speak TLS.
pub(crate) fn from_handshake_io(e: &std::io::Error, server: &str) -> Option<TlsError> {
    from_io(e, server).or_else(|| {
        matches!(
            e.kind(),
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
        )
        .then_some(TlsError::ClosedDuringHandshake)
    })
}
