//! One `ClientConfig` for the producer, the consumer and the admin client:
//! typed fields with librdkafka's defaults, settable by librdkafka property
//! name (`bootstrap.servers`, `acks`, `linger.ms`, ...), by the Java
//! client's spelling where it differs (`delivery.timeout.ms`), or by typed
//! setters. An unknown property or a bad value is an error naming both,
//! at the moment it is set.
//!
//! ```
//! use ferrokafka::config::{Acks, ClientConfig};
//!
//! let by_name = ClientConfig::from_properties([
//!     ("bootstrap.servers", "localhost:9092"),
//!     ("acks", "all"),
//!     ("linger.ms", "5"),
//! ])?;
//! let typed = ClientConfig::new()
//!     .bootstrap_servers(["localhost:9092"])
//!     .acks(Acks::All)
//!     .linger(std::time::Duration::from_millis(5));
//! assert_eq!(by_name, typed);
//!
//! let err = ClientConfig::new().set("linger.ms", "soon").unwrap_err();
//! assert_eq!(err.to_string(), "linger.ms: invalid value \"soon\": expected a whole number of milliseconds");
//! # Ok::<(), ferrokafka::config::ConfigError>(())
//! ```

mod catalog;
mod debug;
mod oauthbearer;
mod oidc;
mod properties;
mod ssl;
mod types;

use std::time::Duration;

pub use crate::statistics::StatisticsCallback;
pub use catalog::{PropertyInfo, PROPERTIES};
pub use debug::DebugContext;
pub use oauthbearer::{OAuthBearerToken, TokenFuture, TokenProvider};
pub use oidc::OidcConfig;
pub use ssl::{RustlsConfig, SslConfig};
pub use types::{
    Acks, AutoOffsetReset, Compression, GroupProtocol, IsolationLevel, Partitioner,
    SecurityProtocol,
};

/// A configuration error: which property, which value, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A property name this client does not know.
    #[error("unknown configuration property {name:?}")]
    UnknownProperty {
        /// The name as given.
        name: String,
    },
    /// A value the property does not accept.
    #[error("{name}: invalid value {value:?}: {reason}")]
    InvalidValue {
        /// The property.
        name: String,
        /// The value as given.
        value: String,
        /// What the property accepts.
        reason: String,
    },
    /// Properties that do not fit together, or one that is required.
    #[error("{0}")]
    Conflict(String),
    /// A setting the broker owns under `group.protocol=consumer` (KIP-848),
    /// set by the application anyway: refused, as librdkafka does.
    #[error("{name} is not allowed with group.protocol=consumer: the broker decides it ({broker_setting}); remove it or use group.protocol=classic")]
    BrokerOwned {
        /// The property set.
        name: &'static str,
        /// The broker (or group) setting that governs it instead.
        broker_setting: &'static str,
    },
}

/// Every setting of the client. Fields keep librdkafka's defaults.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// `bootstrap.servers`: `host:port` pairs to learn the cluster from.
    pub bootstrap_servers: Vec<String>,
    /// `client.id`.
    pub client_id: String,
    /// `request.timeout.ms`.
    pub request_timeout: Duration,
    /// `socket.connection.setup.timeout.ms`.
    pub connect_timeout: Duration,
    /// `reconnect.backoff.ms`.
    pub reconnect_backoff: Duration,
    /// `reconnect.backoff.max.ms`.
    pub reconnect_backoff_max: Duration,
    /// `metadata.max.age.ms`.
    pub metadata_max_age: Duration,
    /// `receive.message.max.bytes`.
    pub receive_message_max_bytes: usize,
    /// `security.protocol`.
    pub security_protocol: SecurityProtocol,
    /// `sasl.mechanism` (`sasl.mechanisms`).
    pub sasl_mechanism: Option<String>,
    /// `sasl.username`.
    pub sasl_username: Option<String>,
    /// `sasl.password`.
    pub sasl_password: Option<String>,
    /// `sasl.oauthbearer.config`: what the unsecured JWTs of OAUTHBEARER
    /// say (`principal=NAME ...`), used when there is no token provider
    /// and `enable.sasl.oauthbearer.unsecure.jwt` is true.
    pub sasl_oauthbearer_config: Option<String>,
    /// `enable.sasl.oauthbearer.unsecure.jwt`.
    pub enable_sasl_oauthbearer_unsecure_jwt: bool,
    /// The application's OAUTHBEARER token provider
    /// ([`ClientConfig::oauthbearer_token_provider`]).
    pub oauthbearer_token_provider: Option<TokenProvider>,
    /// `sasl.oauthbearer.method=oidc` and its settings: OAUTHBEARER tokens
    /// from a token endpoint (client-credentials grant).
    pub oidc: OidcConfig,
    /// The `ssl.*` settings, used with `security.protocol` `ssl` or
    /// `sasl_ssl`.
    pub ssl: SslConfig,

    /// `acks` (`request.required.acks`).
    pub acks: Acks,
    /// `linger.ms` (`queue.buffering.max.ms`).
    pub linger: Duration,
    /// `batch.size`: the most bytes in one batch.
    pub batch_size: usize,
    /// `batch.num.messages`: the most records in one batch.
    pub batch_num_messages: usize,
    /// `queue.buffering.max.messages`: records waiting, in all.
    pub queue_buffering_max_messages: usize,
    /// `queue.buffering.max.kbytes`: KiB waiting, in all.
    pub queue_buffering_max_kbytes: usize,
    /// `compression.type` (`compression.codec`).
    pub compression: Compression,
    /// `enable.idempotence`.
    pub enable_idempotence: bool,
    /// `transactional.id`: makes the producer transactional (requires
    /// idempotence); `None` for none.
    pub transactional_id: Option<String>,
    /// `transaction.timeout.ms`: how long the transaction coordinator lets
    /// a transaction stay open before it aborts it.
    pub transaction_timeout: Duration,
    /// `message.timeout.ms` (`delivery.timeout.ms`): how long a record may
    /// wait for its delivery, retries included; 0 means no limit (as in
    /// librdkafka).
    pub message_timeout: Duration,
    /// `retries` (`message.send.max.retries`).
    pub retries: u32,
    /// `retry.backoff.ms`.
    pub retry_backoff: Duration,
    /// `max.in.flight.requests.per.connection` (`max.in.flight`): requests
    /// a producer keeps in flight per broker (at most 5 with idempotence).
    ///
    /// With `enable.idempotence=false`, `retries` > 0 and a value above 1,
    /// records of a partition can be **reordered**: a batch that fails
    /// retriably is sent again behind batches sent after it, which the
    /// broker may have written already (the Java client and librdkafka
    /// document the same). The producer logs a warning when built with
    /// such a configuration. Keep the order with idempotence (the default:
    /// the broker's sequence check holds later batches back) or with 1.
    pub max_in_flight: usize,
    /// `partitioner`.
    pub partitioner: Partitioner,
    /// `message.max.bytes`.
    pub message_max_bytes: usize,

    /// `group.id`.
    pub group_id: Option<String>,
    /// `group.instance.id`: static membership.
    pub group_instance_id: Option<String>,
    /// `auto.offset.reset`.
    pub auto_offset_reset: AutoOffsetReset,
    /// `enable.partition.eof`.
    pub enable_partition_eof: bool,
    /// `enable.auto.commit`.
    pub enable_auto_commit: bool,
    /// `auto.commit.interval.ms`.
    pub auto_commit_interval: Duration,
    /// `enable.auto.offset.store`.
    pub enable_auto_offset_store: bool,
    /// `session.timeout.ms`.
    pub session_timeout: Duration,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval: Duration,
    /// `max.poll.interval.ms`.
    pub max_poll_interval: Duration,
    /// `partition.assignment.strategy`, in preference order.
    pub partition_assignment_strategy: Vec<String>,
    /// `group.protocol`: `classic` (the default) or `consumer` (KIP-848).
    pub group_protocol: GroupProtocol,
    /// `group.remote.assignor`: the broker-side assignor asked for under
    /// `group.protocol=consumer` (`uniform`, `range`), or `None` for the
    /// broker's default.
    pub group_remote_assignor: Option<String>,
    /// `fetch.min.bytes`.
    pub fetch_min_bytes: i32,
    /// `fetch.wait.max.ms` (`fetch.max.wait.ms`).
    pub fetch_wait_max: Duration,
    /// `fetch.max.bytes`.
    pub fetch_max_bytes: i32,
    /// `max.partition.fetch.bytes` (`fetch.message.max.bytes`).
    pub max_partition_fetch_bytes: i32,
    /// `queued.max.messages.kbytes`: the prefetch queue's bound. Fetched
    /// batches wait in it as they came on the wire (compressed); the batch
    /// being handed out counts with its decompressed size, so the
    /// consumer's memory stays within this bound plus one batch.
    pub queued_max_messages_kbytes: usize,
    /// `decompressed.batch.max.bytes`: the most bytes one fetched record
    /// batch may decompress to (default 64 MiB). Batches are decompressed
    /// one at a time, as the application consumes; a batch past this
    /// limit is not decompressed further and reaches the application as
    /// [`ConsumerError::CorruptBatch`](crate::consumer::ConsumerError::CorruptBatch)
    /// naming its topic, partition and offset. Raise it for topics with
    /// larger batches (a topic's `max.message.bytes` bounds the compressed
    /// size only).
    pub decompressed_batch_max_bytes: usize,
    /// `isolation.level`.
    pub isolation_level: IsolationLevel,
    /// `allow.auto.create.topics`: whether Metadata requests let the
    /// broker create a topic they name (if the broker allows it). Unset,
    /// producers allow it and consumers do not, as in librdkafka.
    pub allow_auto_create_topics: Option<bool>,
    /// `statistics.interval.ms`: how often [`ClientConfig::statistics_callback`]
    /// is called; zero (the default) never.
    pub statistics_interval: Duration,
    /// Called with the client's statistics every `statistics.interval.ms`
    /// (see [`crate::statistics`]).
    pub statistics_callback: Option<StatisticsCallback>,
    /// `debug`: librdkafka's debug contexts, as tracing targets to enable
    /// (see [`ClientConfig::debug_directives`]).
    pub debug: Vec<DebugContext>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            bootstrap_servers: Vec::new(),
            client_id: "ferrokafka".into(),
            request_timeout: Duration::from_millis(30_000),
            connect_timeout: Duration::from_millis(30_000),
            reconnect_backoff: Duration::from_millis(100),
            reconnect_backoff_max: Duration::from_millis(10_000),
            metadata_max_age: Duration::from_millis(900_000),
            receive_message_max_bytes: 100_000_000,
            security_protocol: SecurityProtocol::Plaintext,
            sasl_mechanism: None,
            sasl_username: None,
            sasl_password: None,
            sasl_oauthbearer_config: None,
            enable_sasl_oauthbearer_unsecure_jwt: false,
            oauthbearer_token_provider: None,
            oidc: OidcConfig::default(),
            ssl: SslConfig::new(),
            acks: Acks::All,
            linger: Duration::from_millis(5),
            batch_size: 1_000_000,
            batch_num_messages: 10_000,
            queue_buffering_max_messages: 100_000,
            queue_buffering_max_kbytes: 1_048_576,
            compression: Compression::None,
            enable_idempotence: true,
            transactional_id: None,
            transaction_timeout: Duration::from_millis(60_000),
            message_timeout: Duration::from_millis(300_000),
            retries: i32::MAX as u32,
            retry_backoff: Duration::from_millis(100),
            max_in_flight: 5,
            partitioner: Partitioner::Murmur2Random,
            message_max_bytes: 1_000_000,
            group_id: None,
            group_instance_id: None,
            auto_offset_reset: AutoOffsetReset::Latest,
            enable_partition_eof: false,
            enable_auto_commit: true,
            auto_commit_interval: Duration::from_millis(5_000),
            enable_auto_offset_store: true,
            session_timeout: Duration::from_millis(45_000),
            heartbeat_interval: Duration::from_millis(3_000),
            max_poll_interval: Duration::from_millis(300_000),
            partition_assignment_strategy: vec!["range".into(), "roundrobin".into()],
            group_protocol: GroupProtocol::Classic,
            group_remote_assignor: None,
            fetch_min_bytes: 1,
            fetch_wait_max: Duration::from_millis(500),
            fetch_max_bytes: 52_428_800,
            max_partition_fetch_bytes: 1_048_576,
            queued_max_messages_kbytes: 65_536,
            decompressed_batch_max_bytes: ferrokafka_protocol::records::DEFAULT_MAX_DECOMPRESSED,
            isolation_level: IsolationLevel::ReadCommitted,
            allow_auto_create_topics: None,
            statistics_interval: Duration::ZERO,
            statistics_callback: None,
            debug: Vec::new(),
        }
    }
}

impl ClientConfig {
    /// A configuration with every default.
    pub fn new() -> Self {
        Self::default()
    }

    /// A configuration from `(name, value)` pairs, as confluent-kafka takes
    /// a dict.
    pub fn from_properties<'a>(
        properties: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ConfigError> {
        let mut config = Self::new();
        for (name, value) in properties {
            config = config.set(name, value)?;
        }
        Ok(config)
    }

    /// Sets one property by its librdkafka (or Java) name.
    pub fn set(mut self, name: &str, value: &str) -> Result<Self, ConfigError> {
        properties::apply(&mut self, name, value)?;
        Ok(self)
    }

    /// Sets `bootstrap.servers`. Each item is a `host:port`, or several
    /// separated by commas as in the property; the client's constructor
    /// refuses a malformed one with [`ConfigError::InvalidValue`].
    pub fn bootstrap_servers<S: Into<String>>(
        mut self,
        servers: impl IntoIterator<Item = S>,
    ) -> Self {
        self.bootstrap_servers = servers
            .into_iter()
            .flat_map(|item| {
                let item: String = item.into();
                item.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        self
    }

    /// Sets `statistics.interval.ms` (zero: no statistics).
    pub fn statistics_interval(mut self, interval: Duration) -> Self {
        self.statistics_interval = interval;
        self
    }

    /// Calls `f` with the client's [`Statistics`](crate::statistics::Statistics)
    /// every `statistics.interval.ms` (librdkafka's `stats_cb`; its JSON
    /// is [`Statistics::to_json`](crate::statistics::Statistics::to_json)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use ferrokafka::config::ClientConfig;
    ///
    /// let config = ClientConfig::new()
    ///     .statistics_interval(Duration::from_secs(5))
    ///     .statistics_callback(|stats| println!("{}", stats.to_json()));
    /// assert!(config.statistics_callback.is_some());
    /// ```
    pub fn statistics_callback(
        mut self,
        f: impl Fn(&crate::statistics::Statistics) + Send + Sync + 'static,
    ) -> Self {
        self.statistics_callback = Some(StatisticsCallback::new(f));
        self
    }

    /// Sets `client.id`.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = id.into();
        self
    }

    /// Sets `security.protocol`.
    pub fn security_protocol(mut self, protocol: SecurityProtocol) -> Self {
        self.security_protocol = protocol;
        self
    }

    /// Sets `sasl.mechanism`, `sasl.username` and `sasl.password`.
    pub fn sasl(
        mut self,
        mechanism: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.sasl_mechanism = Some(mechanism.into());
        self.sasl_username = Some(username.into());
        self.sasl_password = Some(password.into());
        self
    }

    /// Authenticates with SASL/OAUTHBEARER using tokens from `provider`
    /// (sets `sasl.mechanism=OAUTHBEARER`). Tokens are cached and fetched
    /// again after 80% of their lifetime.
    pub fn oauthbearer_token_provider(mut self, provider: TokenProvider) -> Self {
        self.sasl_mechanism = Some("OAUTHBEARER".into());
        self.oauthbearer_token_provider = Some(provider);
        self
    }

    /// Sets `ssl.ca.location`: a PEM file of CA certificates, or a
    /// directory of PEM files.
    pub fn ssl_ca_location(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.ssl.ca_location = Some(path.into());
        self
    }

    /// Sets `ssl.certificate.location` and `ssl.key.location`: the client
    /// certificate (chain) and its private key, PEM files.
    pub fn ssl_client_certificate(
        mut self,
        certificate: impl Into<std::path::PathBuf>,
        key: impl Into<std::path::PathBuf>,
    ) -> Self {
        self.ssl.certificate_location = Some(certificate.into());
        self.ssl.key_location = Some(key.into());
        self
    }

    /// Sets `ssl.endpoint.identification.algorithm`: `true` is `https`
    /// (the default), `false` is `none`.
    pub fn ssl_verify_hostname(mut self, on: bool) -> Self {
        self.ssl.verify_hostname = on;
        self
    }

    /// Uses `config` for every TLS connection, in place of the `ssl.*`
    /// settings: for what they do not cover (a custom certificate
    /// verifier, client certificates from a hardware key, ...). Its
    /// crypto provider is the application's choice.
    pub fn tls_config(mut self, config: std::sync::Arc<rustls::ClientConfig>) -> Self {
        self.ssl.rustls = Some(RustlsConfig(config));
        self
    }

    /// Sets `acks`.
    pub fn acks(mut self, acks: Acks) -> Self {
        self.acks = acks;
        self
    }

    /// Sets `linger.ms`.
    pub fn linger(mut self, linger: Duration) -> Self {
        self.linger = linger;
        self
    }

    /// Sets `compression.type`.
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Sets `enable.idempotence`.
    pub fn enable_idempotence(mut self, on: bool) -> Self {
        self.enable_idempotence = on;
        self
    }

    /// Sets `message.timeout.ms` / `delivery.timeout.ms`.
    pub fn message_timeout(mut self, timeout: Duration) -> Self {
        self.message_timeout = timeout;
        self
    }

    /// Sets `request.timeout.ms`.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets `group.id`.
    pub fn group_id(mut self, group: impl Into<String>) -> Self {
        self.group_id = Some(group.into());
        self
    }

    /// Sets `auto.offset.reset`.
    pub fn auto_offset_reset(mut self, reset: AutoOffsetReset) -> Self {
        self.auto_offset_reset = reset;
        self
    }

    /// Sets `enable.partition.eof`.
    pub fn enable_partition_eof(mut self, on: bool) -> Self {
        self.enable_partition_eof = on;
        self
    }

    /// Checks `bootstrap.servers`: present, and every entry `host:port`.
    /// Every client checks it when built (the cluster does), so a
    /// malformed list is an error at once, not connections that never come.
    pub(crate) fn check_bootstrap_servers(&self) -> Result<(), ConfigError> {
        if self.bootstrap_servers.is_empty() {
            return Err(ConfigError::Conflict(
                "bootstrap.servers is required".into(),
            ));
        }
        if let Some(bad) = self
            .bootstrap_servers
            .iter()
            .find(|s| !properties::valid_host_port(s))
        {
            return Err(ConfigError::InvalidValue {
                name: "bootstrap.servers".into(),
                value: bad.clone(),
                reason: "expected host:port[,host:port...]".into(),
            });
        }
        Ok(())
    }

    /// Checks what no single property can: the settings that must go
    /// together. Clients call this when they are built.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.check_bootstrap_servers()?;
        if self.transactional_id.is_some() && !self.enable_idempotence {
            return Err(ConfigError::Conflict(
                "transactional.id requires enable.idempotence=true".into(),
            ));
        }
        if self.enable_idempotence {
            if self.acks != Acks::All {
                return Err(ConfigError::Conflict(format!(
                    "enable.idempotence=true requires acks=all, not acks={}",
                    self.acks
                )));
            }
            if self.max_in_flight > 5 {
                return Err(ConfigError::Conflict(format!(
                    "enable.idempotence=true allows at most 5 max.in.flight.requests.per.connection, not {}",
                    self.max_in_flight
                )));
            }
        }
        if self.group_protocol == GroupProtocol::Consumer {
            // The broker owns these under KIP-848; a value other than the
            // default was set by the application and would be ignored.
            let default = Self::default();
            let owned = [
                (
                    self.session_timeout != default.session_timeout,
                    "session.timeout.ms",
                    "group.consumer.session.timeout.ms",
                ),
                (
                    self.heartbeat_interval != default.heartbeat_interval,
                    "heartbeat.interval.ms",
                    "group.consumer.heartbeat.interval.ms",
                ),
                (
                    self.partition_assignment_strategy != default.partition_assignment_strategy,
                    "partition.assignment.strategy",
                    "group.remote.assignor and the broker's group.consumer.assignors",
                ),
            ];
            if let Some((_, name, broker_setting)) = owned.into_iter().find(|(set, ..)| *set) {
                return Err(ConfigError::BrokerOwned {
                    name,
                    broker_setting,
                });
            }
        }
        if self.heartbeat_interval >= self.session_timeout {
            return Err(ConfigError::Conflict(format!(
                "heartbeat.interval.ms ({}) must be below session.timeout.ms ({})",
                self.heartbeat_interval.as_millis(),
                self.session_timeout.as_millis()
            )));
        }
        Ok(())
    }
}
