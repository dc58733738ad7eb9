//! The client's error type.

use ferrokafka_protocol::{ApiKey, DecodeError, EncodeError, ErrorCode, KafkaError};

/// Everything the client can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A socket operation failed.
    #[error("{broker}: {source}")]
    Io {
        /// The broker's address.
        broker: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The broker closed the connection, or the connection task ended.
    #[error("{broker}: connection closed")]
    Disconnected {
        /// The broker's address.
        broker: String,
    },
    /// A request got no response within the request timeout.
    #[error("{broker}: no response to {api:?} within {timeout_ms} ms")]
    RequestTimeout {
        /// The broker's address.
        broker: String,
        /// The request's API.
        api: ApiKey,
        /// The timeout that passed.
        timeout_ms: u64,
    },
    /// Connecting did not finish within the timeout.
    #[error("{broker}: connect timed out after {timeout_ms} ms")]
    ConnectTimeout {
        /// The broker's address.
        broker: String,
        /// The timeout that passed.
        timeout_ms: u64,
    },
    /// The broker and this client share no version of an API.
    #[error("{broker} speaks no version of {api:?} that this client does")]
    UnsupportedApi {
        /// The broker's address.
        broker: String,
        /// The API.
        api: ApiKey,
    },
    /// A response could not be decoded.
    #[error("{broker}: bad response: {source}")]
    Decode {
        /// The broker's address.
        broker: String,
        /// What the decoder refused.
        #[source]
        source: DecodeError,
    },
    /// A request could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// A frame larger than the client accepts.
    #[error("{broker}: frame of {size} bytes exceeds the {limit}-byte limit")]
    FrameTooLarge {
        /// The broker's address.
        broker: String,
        /// The size the frame announced.
        size: i64,
        /// The limit.
        limit: usize,
    },
    /// SASL authentication failed: wrong credentials, or a mechanism the
    /// broker does not offer.
    #[error("{broker}: authentication failed: {reason}")]
    Authentication {
        /// The broker's address.
        broker: String,
        /// What the broker or the mechanism said.
        reason: String,
    },
    /// TLS with a broker failed: its certificate was refused, it refused
    /// ours, or one side does not speak TLS. Retriable only when the
    /// connection closed during the handshake
    /// ([`TlsError::is_retriable`](crate::net::TlsError::is_retriable)).
    #[error("{broker}: TLS: {source}")]
    Tls {
        /// The broker's address.
        broker: String,
        /// What went wrong.
        #[source]
        source: crate::net::TlsError,
    },
    /// The configuration is invalid.
    #[error("configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    /// No broker could be reached: every bootstrap server and known broker
    /// refused or timed out.
    #[error("no broker reachable: {last_error}")]
    NoBrokerAvailable {
        /// The last connection error.
        last_error: String,
    },
    /// A client was made outside a tokio runtime; it needs one for its
    /// background tasks.
    #[error("no tokio runtime: create clients within one (e.g. under #[tokio::main])")]
    NoRuntime,
    /// The client was closed.
    #[error("the client is closed")]
    Closed,
    /// The operation did not finish in time.
    #[error("{what} timed out after {timeout_ms} ms")]
    Timeout {
        /// What was being done.
        what: String,
        /// The timeout that passed.
        timeout_ms: u64,
    },
    /// The broker answered with an error code.
    #[error("{context}: {source}")]
    Kafka {
        /// What was being done.
        context: String,
        /// The Kafka error code, its name and whether it is retriable.
        #[source]
        source: KafkaError,
    },
}

impl Error {
    /// The error for a non-zero Kafka error code met while doing `context`.
    pub fn kafka(context: impl Into<String>, code: i16) -> Error {
        Error::Kafka {
            context: context.into(),
            source: KafkaError {
                error: ErrorCode::from_code(code),
            },
        }
    }

    /// The Kafka error code, if the broker sent one.
    pub fn kafka_code(&self) -> Option<ErrorCode> {
        match self {
            Error::Kafka { source, .. } => Some(source.error),
            _ => None,
        }
    }

    /// Whether retrying the operation may succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            Error::Io { .. }
            | Error::Disconnected { .. }
            | Error::RequestTimeout { .. }
            | Error::ConnectTimeout { .. }
            | Error::NoBrokerAvailable { .. }
            | Error::Timeout { .. } => true,
            Error::Kafka { source, .. } => source.is_retriable(),
            Error::Tls { source, .. } => source.is_retriable(),
            _ => false,
        }
    }
}

/// The client's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
