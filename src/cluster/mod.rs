//! The cluster as the client sees it: where to bootstrap from, the
//! metadata cache (brokers, topics, partition leaders), the connection to
//! each broker, and refreshing the metadata every `metadata.max.age.ms`
//! and whenever a caller learns it is stale (NOT_LEADER_OR_FOLLOWER,
//! UNKNOWN_TOPIC_OR_PARTITION, a new leader epoch, a lost connection).
//!
//! A [`Cluster`] is cheap to clone; the producer, the consumer and the
//! admin client each hold one. Readers take the current snapshot
//! ([`Cluster::metadata`]) without waiting; a refresh swaps in a new one.
//!
//! Each broker address has two connections at most, one per `Lane`:
//! the consumer's group traffic (commits, heartbeats, join/sync/leave)
//! travels on its own, because a broker answers one request at a time per
//! connection, and a Fetch it holds for `fetch.wait.max.ms` would
//! otherwise hold a heartbeat or a commit up as long (the Java client
//! does the same with a separate coordinator node id).

mod metadata;
mod pool;
mod statistics;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use ferrokafka_protocol::messages::metadata::MetadataRequestTopic;
use ferrokafka_protocol::messages::MetadataRequest;
use ferrokafka_protocol::{ErrorCode, Request};
use tokio::sync::watch;
use tracing::{debug, warn};

pub use metadata::{BrokerInfo, ClusterMetadata, PartitionInfo, TopicInfo};
use pool::{BrokerPool, Counters, PoolConfig};

use crate::config::{ClientConfig, SecurityProtocol};
use crate::error::{Error, Result};
use crate::net::sasl::SaslCredentials;
use crate::net::{Connection, ConnectionConfig, TlsConnector};

struct Inner {
    config: ClientConfig,
    allow_auto_create: bool,
    pool: BrokerPool,
    /// The connections of [`Lane::Coordinator`].
    coordinator_pool: BrokerPool,
    /// Each address's counters, for the statistics.
    counters: Counters,
    metadata: watch::Sender<Arc<ClusterMetadata>>,
    /// The topics every refresh asks about.
    topics: Mutex<BTreeSet<String>>,
    /// Refreshes ask about every topic of the cluster (for a pattern
    /// subscription) rather than `topics`.
    all_topics: AtomicBool,
    /// Bumped by every finished refresh; lets callers that waited for a
    /// refresh in progress take its result instead of asking again.
    generation: AtomicU64,
    refreshing: tokio::sync::Mutex<()>,
    /// Rotates `any_broker`'s first choice.
    next_any: AtomicUsize,
}

/// A handle on the cluster: metadata and broker connections. Clones share
/// everything; the background refresh ends with the last clone.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
    lane: Lane,
}

/// Which of its connections to a broker a [`Cluster`] handle sends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lane {
    /// Everything but group coordination: metadata, fetches, produces.
    Default,
    /// Requests to a group coordinator, kept off the connections that
    /// carry long-polled fetches.
    Coordinator,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("bootstrap_servers", &self.inner.config.bootstrap_servers)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// Validates `config` and starts the background metadata refresh (so
    /// it must be called within a tokio runtime: [`Error::NoRuntime`]
    /// otherwise). No connection is made yet; the first request makes one.
    /// `allow_auto_create` is what Metadata requests ask of the broker
    /// when they name a topic that does not exist (producers ask for it,
    /// consumers do not, unless `allow.auto.create.topics` says otherwise).
    pub fn new(config: ClientConfig, allow_auto_create: bool) -> Result<Cluster> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::NoRuntime);
        }
        config.check_bootstrap_servers()?;
        let protocol = config.security_protocol;
        let sasl = match protocol {
            SecurityProtocol::Plaintext | SecurityProtocol::Ssl => None,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl => {
                Some(sasl_credentials(&config)?)
            }
        };
        let tls = match protocol {
            SecurityProtocol::Ssl | SecurityProtocol::SaslSsl => {
                Some(TlsConnector::from_config(&config)?)
            }
            _ => None,
        };
        let pool_config = PoolConfig {
            connection: ConnectionConfig {
                tls,
                ..connection_config(&config)
            },
            sasl,
            backoff: config.reconnect_backoff,
            backoff_max: config.reconnect_backoff_max.max(config.reconnect_backoff),
        };
        let counters = Counters::default();
        let coordinator_pool = BrokerPool::new(pool_config.clone(), counters.clone());
        let pool = BrokerPool::new(pool_config, counters.clone());
        let (metadata, _) = watch::channel(Arc::new(ClusterMetadata::default()));
        let inner = Arc::new(Inner {
            config,
            allow_auto_create,
            pool,
            coordinator_pool,
            counters,
            metadata,
            topics: Mutex::new(BTreeSet::new()),
            all_topics: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            refreshing: tokio::sync::Mutex::new(()),
            next_any: AtomicUsize::new(0),
        });
        tokio::spawn(refresh_periodically(Arc::downgrade(&inner)));
        Ok(Cluster {
            inner,
            lane: Lane::Default,
        })
    }

    /// This handle's twin that sends on the [`Lane::Coordinator`]
    /// connections (same metadata, same everything else).
    pub(crate) fn coordinator_lane(&self) -> Cluster {
        Cluster {
            inner: self.inner.clone(),
            lane: Lane::Coordinator,
        }
    }

    fn pool(&self) -> &BrokerPool {
        match self.lane {
            Lane::Default => &self.inner.pool,
            Lane::Coordinator => &self.inner.coordinator_pool,
        }
    }

    /// The configuration this cluster handle was made with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The current metadata snapshot (empty before the first refresh).
    pub fn metadata(&self) -> Arc<ClusterMetadata> {
        self.inner.metadata.borrow().clone()
    }

    /// A receiver that sees every new snapshot.
    pub fn watch_metadata(&self) -> watch::Receiver<Arc<ClusterMetadata>> {
        self.inner.metadata.subscribe()
    }

    /// Adds topics that every refresh asks about from now on.
    pub fn add_topics<S: AsRef<str>>(&self, topics: impl IntoIterator<Item = S>) {
        let mut set = self.inner.topics.lock().unwrap_or_else(|e| e.into_inner());
        for t in topics {
            set.insert(t.as_ref().to_owned());
        }
    }

    /// Whether refreshes ask about every topic of the cluster (a pattern
    /// subscription needs to see them all) or only those added.
    pub(crate) fn set_all_topics(&self, all: bool) {
        self.inner.all_topics.store(all, Ordering::Release);
    }

    /// Stops asking about `topic` and forgets it.
    pub fn remove_topic(&self, topic: &str) {
        self.inner
            .topics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(topic);
        self.inner
            .metadata
            .send_modify(|m| *m = Arc::new(m.without_topic(topic)));
    }

    /// Refreshes the metadata of every topic asked about. Callers that
    /// arrive while a refresh is under way share its result.
    pub async fn refresh(&self) -> Result<Arc<ClusterMetadata>> {
        let seen = self.inner.generation.load(Ordering::Acquire);
        let _guard = self.inner.refreshing.lock().await;
        if self.inner.generation.load(Ordering::Acquire) != seen {
            return Ok(self.metadata());
        }
        let topics: Vec<String> = self
            .inner
            .topics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect();
        let all = self.inner.all_topics.load(Ordering::Acquire);
        let request = MetadataRequest {
            topics: (!all).then(|| {
                topics
                    .iter()
                    .map(|t| MetadataRequestTopic {
                        name: Some(t.clone()),
                        ..Default::default()
                    })
                    .collect()
            }),
            allow_auto_topic_creation: self.inner.allow_auto_create,
            ..Default::default()
        };
        let response = self.send_to_any(&request).await?;
        if response.error_code != 0 {
            return Err(Error::kafka("Metadata", response.error_code));
        }
        let fresh = ClusterMetadata::from_response(&response);
        let merged = Arc::new(if all {
            self.metadata().replaced_with(fresh)
        } else {
            self.metadata().merged_with(fresh)
        });
        debug!(
            topics = topics.len(),
            brokers = merged.brokers().count(),
            "metadata refreshed"
        );
        self.inner.metadata.send_replace(merged.clone());
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        Ok(merged)
    }

    /// The topic `name`'s metadata, refreshing first when it is not known
    /// yet. The result may carry an error (UNKNOWN_TOPIC_OR_PARTITION):
    /// that is the broker's answer, for the caller to act on.
    pub async fn topic(&self, name: &str) -> Result<Arc<TopicInfo>> {
        if let Some(t) = self.metadata().topic(name) {
            return Ok(t.clone());
        }
        self.add_topics([name]);
        let m = self.refresh().await?;
        match m.topic(name) {
            Some(t) => Ok(t.clone()),
            // Another refresh finished first without it: ask once more.
            None => self.refresh().await?.topic(name).cloned().ok_or_else(|| {
                Error::kafka(
                    format!("Metadata for {name}"),
                    ErrorCode::UnknownTopicOrPartition.code(),
                )
            }),
        }
    }

    /// The connection to broker `node_id` (this handle's lane's).
    pub async fn broker(&self, node_id: i32) -> Result<Connection> {
        let address = match self.metadata().broker(node_id) {
            Some(b) => b.address.clone(),
            None => {
                let m = self.refresh().await?;
                m.broker(node_id)
                    .map(|b| b.address.clone())
                    .ok_or_else(|| Error::NoBrokerAvailable {
                        last_error: format!("broker {node_id} is not in the cluster's metadata"),
                    })?
            }
        };
        self.pool().get(&address, node_id).await
    }

    /// A connection to any broker that answers: the known brokers first
    /// (those not backing off), then the bootstrap servers.
    pub async fn any_broker(&self) -> Result<Connection> {
        let metadata = self.metadata();
        let mut candidates: Vec<String> = metadata.brokers().map(|b| b.address.clone()).collect();
        candidates.sort();
        let start = self.inner.next_any.fetch_add(1, Ordering::Relaxed);
        if !candidates.is_empty() {
            let n = start % candidates.len();
            candidates.rotate_left(n);
        }
        for b in &self.inner.config.bootstrap_servers {
            if !candidates.contains(b) {
                candidates.push(b.clone());
            }
        }
        // Addresses in backoff go last rather than out: when every one is
        // backing off, waiting on the first is the best there is.
        candidates.sort_by_key(|a| self.pool().in_backoff(a));
        let mut last_error = None;
        for address in &candidates {
            let node_id = metadata
                .brokers()
                .find(|b| &b.address == address)
                .map_or(-1, |b| b.node_id);
            match self.pool().get(address, node_id).await {
                Ok(conn) => return Ok(conn),
                // Wrong credentials or a refused certificate will not
                // come right by trying the next broker.
                Err(e @ Error::Authentication { .. }) => return Err(e),
                Err(e @ Error::Tls { .. }) if !e.is_retriable() => return Err(e),
                Err(e) => last_error = Some(e),
            }
        }
        Err(Error::NoBrokerAvailable {
            last_error: last_error
                .map(|e| e.to_string())
                .unwrap_or_else(|| "no addresses to try".into()),
        })
    }

    /// Sends `request` to any broker that answers; a broken connection is
    /// dropped so the next try makes a new one.
    pub async fn send_to_any<R: Request>(&self, request: &R) -> Result<R::Response> {
        let conn = self.any_broker().await?;
        let result = conn.send(request).await;
        if let Err(e) = &result {
            self.connection_failed(&conn, e);
        }
        result
    }

    /// Sends `request` to broker `node_id`.
    pub async fn send_to<R: Request>(&self, node_id: i32, request: &R) -> Result<R::Response> {
        let conn = self.broker(node_id).await?;
        let result = conn.send(request).await;
        if let Err(e) = &result {
            self.connection_failed(&conn, e);
        }
        result
    }

    /// Tells the cluster that a request on `conn` (on this handle's lane)
    /// failed with `error`: a timed-out or lost connection is dropped (a
    /// timed-out one's late answers would arrive out of order with what
    /// follows), so the next request makes a new one. Only `conn` itself
    /// is dropped, never a newer connection to the same broker, and the
    /// report never waits for a reconnect under way.
    pub fn connection_failed(&self, conn: &Connection, error: &Error) {
        match error {
            Error::RequestTimeout { .. } => {
                warn!(
                    broker = conn.broker(),
                    "request timed out; dropping the connection"
                );
                self.pool().reset(conn.broker(), conn);
            }
            Error::Disconnected { .. } | Error::Io { .. } => {
                self.pool().reset(conn.broker(), conn);
            }
            _ => {}
        }
    }
}

/// What every connection of this client is configured with.
/// The SASL mechanism and what it needs, from `config`.
fn sasl_credentials(config: &ClientConfig) -> Result<SaslCredentials> {
    use crate::config::ConfigError;
    let protocol = config.security_protocol;
    let mechanism = config
        .sasl_mechanism
        .clone()
        .unwrap_or_else(|| "PLAIN".into());
    if mechanism == "OAUTHBEARER" {
        let provider = match (
            &config.oauthbearer_token_provider,
            &config.sasl_oauthbearer_config,
        ) {
            (Some(p), _) => p.clone(),
            (None, _) if config.oidc.enabled => crate::net::oidc_token_provider(config)?,
            (None, Some(unsecured)) if config.enable_sasl_oauthbearer_unsecure_jwt => {
                crate::config::TokenProvider::unsecured_jwt(unsecured)?
            }
            _ => {
                return Err(ConfigError::Conflict(
                    "sasl.mechanism=OAUTHBEARER needs a token provider \
                     (ClientConfig::oauthbearer_token_provider), sasl.oauthbearer.method=oidc, or \
                     enable.sasl.oauthbearer.unsecure.jwt=true with sasl.oauthbearer.config"
                        .into(),
                )
                .into())
            }
        };
        return Ok(SaslCredentials {
            mechanism,
            username: String::new(),
            password: String::new(),
            oauthbearer: Some(provider),
        });
    }
    Ok(SaslCredentials {
        mechanism,
        username: config.sasl_username.clone().ok_or_else(|| {
            ConfigError::Conflict(format!(
                "security.protocol={protocol} requires sasl.username"
            ))
        })?,
        password: config.sasl_password.clone().unwrap_or_default(),
        oauthbearer: None,
    })
}

fn connection_config(config: &ClientConfig) -> ConnectionConfig {
    ConnectionConfig {
        client_id: Some(config.client_id.clone()),
        connect_timeout: config.connect_timeout,
        request_timeout: config.request_timeout,
        max_response_size: config.receive_message_max_bytes,
        queue_depth: 64,
        tls: None,
    }
}

/// Refreshes every `metadata.max.age.ms`, and every `retry.backoff.ms`
/// while some partition asked about has no leader. Ends when the last
/// `Cluster` handle is dropped.
async fn refresh_periodically(inner: Weak<Inner>) {
    let Some(first) = inner.upgrade() else { return };
    let max_age = first
        .config
        .metadata_max_age
        .max(Duration::from_millis(100));
    let fast = first
        .config
        .retry_backoff
        .max(Duration::from_millis(50))
        .min(max_age);
    drop(first);
    let mut wait = max_age;
    loop {
        tokio::time::sleep(wait).await;
        let Some(inner) = inner.upgrade() else { return };
        let cluster = Cluster {
            inner,
            lane: Lane::Default,
        };
        wait = match cluster.refresh().await {
            Ok(m) => {
                let leaderless = m
                    .topics()
                    .flat_map(|t| t.partitions.iter())
                    .any(|p| p.leader < 0);
                if leaderless {
                    fast
                } else {
                    max_age
                }
            }
            Err(e) => {
                debug!(error = %e, "periodic metadata refresh failed");
                fast
            }
        };
    }
}

#[cfg(test)]
mod tests;
