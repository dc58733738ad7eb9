//! An in-process Kafka cluster for tests: brokers listening on
//! `127.0.0.1` ephemeral ports, speaking the wire protocol through the
//! same protocol crate as the client, with faults to inject.
//!
//! It serves ApiVersions, Metadata, CreateTopics, DeleteTopics, Produce
//! (with idempotent producers' sequence checks), Fetch (long-polling),
//! ListOffsets, FindCoordinator, the classic group protocol (JoinGroup,
//! SyncGroup, Heartbeat, LeaveGroup), OffsetCommit, OffsetFetch,
//! InitProducerId and SASL/PLAIN, at every version the protocol crate
//! speaks, and the transaction coordinator (AddPartitionsToTxn,
//! AddOffsetsToTxn, TxnOffsetCommit, EndTxn; transactions version 2 or,
//! with [`MockCluster::set_transaction_version`], 1), whose commit and
//! abort markers land in the partitions so read_committed Fetch sees last
//! stable offsets and aborted transactions. It also runs the broker-driven
//! consumer group protocol (KIP-848: ConsumerGroupHeartbeat,
//! ConsumerGroupDescribe, OffsetCommit with member epochs; a uniform or
//! range server-side assignor, incremental reconciliation, static members,
//! regex subscriptions), which
//! [`MockCluster::set_consumer_group_protocol`] turns off. There is no replication
//! (every replica is in sync, acks=-1 is acks=1) and there are no fetch
//! sessions (every Fetch is answered in full with session id 0).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ferrokafka_mock::MockCluster;
//!
//! let cluster = MockCluster::start(3).await?;
//! cluster.create_topic("events", 6, 2)?;
//! // Point any Kafka client at it:
//! let bootstrap = cluster.bootstrap_servers();
//! assert_eq!(bootstrap.split(',').count(), 3);
//! assert_eq!(cluster.offsets("events", 5)?, (0, 0));
//! # Ok(())
//! # }
//! ```

mod api;
mod broker;
mod faults;
mod group;
mod log;
mod offsets;
mod producers;
mod purgatory;
mod sasl;
mod state;
mod txn;

pub use api::SERVED as SERVED_APIS;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ferrokafka_protocol::messages::RequestBody;
use ferrokafka_protocol::{ApiKey, ErrorCode, Uuid};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use state::{ClusterState, Shared};

/// How often group sessions and rebalance deadlines are checked.
const TICK: Duration = Duration::from_millis(10);

/// A request a mock broker received, for tests to assert on.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReceivedRequest {
    /// The broker that received it.
    pub broker_id: i32,
    /// Its API.
    pub api_key: ApiKey,
    /// Its version.
    pub api_version: i16,
    /// Its correlation id.
    pub correlation_id: i32,
    /// The client id in its header.
    pub client_id: Option<String>,
    /// The decoded body; `None` when it did not decode (the connection was
    /// closed).
    pub body: Option<RequestBody>,
}

/// A member of a consumer-protocol (KIP-848) group, as its coordinator
/// sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsumerGroupMember {
    /// The member id.
    pub member_id: String,
    /// The member epoch.
    pub member_epoch: i32,
    /// The partitions assigned to it (topic, partition), in order.
    pub partitions: Vec<(String, i32)>,
}

/// What a mock cluster call refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MockError {
    /// No broker has this id.
    #[error("the mock cluster has no broker {0}")]
    UnknownBroker(i32),
    /// The topic or partition does not exist.
    #[error("the mock cluster has no partition {partition} of topic {topic:?}")]
    UnknownPartition {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
    },
    /// The topic could not be created.
    #[error("cannot create topic {topic:?}: {error}")]
    CreateTopic {
        /// The topic.
        topic: String,
        /// Kafka's reason, e.g. `TOPIC_ALREADY_EXISTS`.
        error: ErrorCode,
    },
}

/// One broker's handle.
#[derive(Debug)]
struct BrokerHandle {
    id: i32,
    addr: SocketAddr,
    up: watch::Sender<bool>,
}

/// An in-process cluster of mock brokers. Dropping it stops every broker
/// and closes every connection.
#[derive(Debug)]
pub struct MockCluster {
    shared: Arc<Shared>,
    brokers: Vec<BrokerHandle>,
    tasks: Vec<JoinHandle<()>>,
}

impl MockCluster {
    /// Starts `num_brokers` brokers (ids 0 to `num_brokers - 1`), each on
    /// an ephemeral port of 127.0.0.1. Must run inside a tokio runtime.
    pub async fn start(num_brokers: usize) -> std::io::Result<MockCluster> {
        let mut listeners = Vec::with_capacity(num_brokers);
        for id in 0..num_brokers {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            listeners.push((id as i32, listener.local_addr()?, listener));
        }
        let ports: Vec<(i32, u16)> = listeners.iter().map(|(id, a, _)| (*id, a.port())).collect();
        let shared = Arc::new(Shared::default());
        *shared.lock() = ClusterState::new(&ports);
        let mut brokers = Vec::with_capacity(num_brokers);
        let mut tasks = Vec::with_capacity(num_brokers + 1);
        for (id, addr, listener) in listeners {
            let (up, up_rx) = watch::channel(true);
            tasks.push(tokio::spawn(broker::run(
                shared.clone(),
                id,
                listener,
                up_rx,
            )));
            brokers.push(BrokerHandle { id, addr, up });
        }
        let ticker = shared.clone();
        tasks.push(tokio::spawn(async move {
            let mut interval = tokio::time::interval(TICK);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                interval.tick().await;
                purgatory::tick(&ticker);
            }
        }));
        tracing::debug!(brokers = ?ports, "mock: cluster started");
        Ok(MockCluster {
            shared,
            brokers,
            tasks,
        })
    }

    /// Every broker's `127.0.0.1:port`, comma-separated: the client's
    /// `bootstrap.servers`.
    pub fn bootstrap_servers(&self) -> String {
        self.brokers
            .iter()
            .map(|b| b.addr.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// One broker's `127.0.0.1:port`.
    pub fn broker_address(&self, broker_id: i32) -> Result<String, MockError> {
        Ok(self.handle(broker_id)?.addr.to_string())
    }

    /// The brokers' ids.
    pub fn broker_ids(&self) -> Vec<i32> {
        self.brokers.iter().map(|b| b.id).collect()
    }

    fn handle(&self, broker_id: i32) -> Result<&BrokerHandle, MockError> {
        self.brokers
            .iter()
            .find(|b| b.id == broker_id)
            .ok_or(MockError::UnknownBroker(broker_id))
    }

    /// Creates a topic with `partitions` partitions of `replication`
    /// replicas, leaders spread round-robin over the brokers (partition
    /// `p` led by broker `p % num_brokers`). Returns its topic id.
    pub fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication: i16,
    ) -> Result<Uuid, MockError> {
        self.shared
            .lock()
            .create_topic(name, partitions, replication, &[], None, false)
            .map(|(id, _, _)| id)
            .map_err(|error| MockError::CreateTopic {
                topic: name.to_owned(),
                error,
            })
    }

    /// Whether Metadata and Produce create unknown topics (with
    /// [`set_default_partitions`](Self::set_default_partitions)
    /// partitions). Off by default.
    pub fn set_auto_create_topics(&self, enabled: bool) {
        self.shared.lock().settings.auto_create_topics = enabled;
    }

    /// Partitions of auto-created topics (and of CreateTopics asking -1).
    /// 1 by default.
    pub fn set_default_partitions(&self, partitions: i32) {
        self.shared.lock().settings.default_partitions = partitions.max(1);
    }

    /// Bytes kept per partition; past it the oldest batches are dropped
    /// and the log start offset advances. 64 MiB by default; a topic's
    /// `retention.bytes` config (in CreateTopics) overrides it.
    pub fn set_retention_bytes(&self, bytes: usize) {
        self.shared.lock().settings.retention_bytes = bytes;
    }

    /// The largest request frame accepted; a larger one closes its
    /// connection. 100 MiB by default (Kafka's `socket.request.max.bytes`).
    /// Applies to connections made afterwards.
    pub fn set_max_frame_size(&self, bytes: usize) {
        self.shared.lock().settings.max_frame_size = bytes;
    }

    /// Requires SASL/PLAIN with this user and password on connections made
    /// afterwards: before authenticating, anything but ApiVersions,
    /// SaslHandshake and SaslAuthenticate closes the connection.
    pub fn require_sasl_plain(&self, user: &str, password: &str) {
        self.shared.lock().settings.sasl_plain = Some((user.to_owned(), password.to_owned()));
    }

    /// The cluster's finalized `transaction.version` feature, which
    /// ApiVersions advertises on connections made afterwards: 2 (the
    /// default) is transactions v2 (KIP-890: partitions added by Produce,
    /// the epoch bumped at every EndTxn), 1 or 0 the older protocol
    /// (AddPartitionsToTxn before the first write to a partition).
    pub fn set_transaction_version(&self, level: i16) {
        self.shared.lock().settings.transaction_version = level;
    }

    /// Whether the cluster runs the broker-driven consumer group protocol
    /// (KIP-848): ApiVersions advertises ConsumerGroupHeartbeat and
    /// ConsumerGroupDescribe on connections made afterwards, and they are
    /// served. On by default, as in Kafka 4.0+; off is a broker before 4.0
    /// (a client asking anyway gets UNSUPPORTED_VERSION).
    pub fn set_consumer_group_protocol(&self, enabled: bool) {
        self.shared.lock().settings.consumer_group_protocol = enabled;
    }

    /// The consumer protocol's heartbeat interval and session timeout
    /// (Kafka's `group.consumer.heartbeat.interval.ms`, 5 s, and
    /// `group.consumer.session.timeout.ms`, 45 s): members learn the
    /// interval from each heartbeat, and a member silent longer than the
    /// session is removed and its partitions reassigned.
    pub fn set_consumer_group_timeouts(&self, heartbeat_interval: Duration, session: Duration) {
        let mut state = self.shared.lock();
        state.settings.consumer_heartbeat_interval = heartbeat_interval;
        state.settings.consumer_session_timeout = session;
    }

    /// `group.consumer.max.size`: members past it are refused with
    /// GROUP_MAX_SIZE_REACHED. Unbounded by default.
    pub fn set_consumer_group_max_size(&self, members: usize) {
        self.shared.lock().settings.consumer_group_max_size = members;
    }

    /// A consumer-protocol group's members as the coordinator sees them,
    /// in member id order. Empty for an unknown group.
    pub fn consumer_group_members(&self, group_id: &str) -> Vec<ConsumerGroupMember> {
        self.shared
            .lock()
            .consumer_groups
            .get(group_id)
            .map(|g| {
                g.members
                    .iter()
                    .map(|(id, m)| ConsumerGroupMember {
                        member_id: id.clone(),
                        member_epoch: m.epoch,
                        partitions: m.assigned.iter().cloned().collect(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A partition's last stable offset: the first offset of its oldest
    /// open transaction, else its high watermark.
    pub fn last_stable_offset(&self, topic: &str, partition: i32) -> Result<i64, MockError> {
        self.shared
            .lock()
            .partition(topic, partition)
            .map(|p| p.txns.last_stable_offset(p.log.high_watermark()))
            .ok_or_else(|| unknown_partition(topic, partition))
    }

    /// The coordinator of `group_id` (or of a transactional id).
    pub fn coordinator_for(&self, group_id: &str) -> i32 {
        self.shared.lock().coordinator_for(group_id)
    }

    /// The leader of a partition.
    pub fn leader_of(&self, topic: &str, partition: i32) -> Result<i32, MockError> {
        self.shared
            .lock()
            .partition(topic, partition)
            .map(|p| p.leader)
            .ok_or_else(|| unknown_partition(topic, partition))
    }

    /// A partition's log start offset and high watermark.
    pub fn offsets(&self, topic: &str, partition: i32) -> Result<(i64, i64), MockError> {
        self.shared
            .lock()
            .partition(topic, partition)
            .map(|p| (p.log.log_start_offset(), p.log.high_watermark()))
            .ok_or_else(|| unknown_partition(topic, partition))
    }

    /// The next requests of `api`, to any broker, fail with `errors`, one
    /// each, in order (`ErrorCode::None` lets one through). The code goes
    /// in every error field the response has: each partition, topic,
    /// group or key, or the top level.
    pub fn push_request_errors(&self, api: ApiKey, errors: &[ErrorCode]) {
        self.shared.lock().faults.push_errors(None, api, errors);
    }

    /// Like [`push_request_errors`](Self::push_request_errors) for the
    /// requests one broker receives; these go before the cluster-wide
    /// ones.
    pub fn push_broker_request_errors(
        &self,
        broker_id: i32,
        api: ApiKey,
        errors: &[ErrorCode],
    ) -> Result<(), MockError> {
        self.handle(broker_id)?;
        self.shared
            .lock()
            .faults
            .push_errors(Some(broker_id), api, errors);
        Ok(())
    }

    /// Takes a broker down: its open connections are dropped and new ones
    /// are closed as soon as they are accepted. Metadata still lists it
    /// and its partitions keep their leaders (move them with
    /// [`set_leader`](Self::set_leader)); group coordinators move to the
    /// next broker up.
    pub fn broker_down(&self, broker_id: i32) -> Result<(), MockError> {
        self.set_up(broker_id, false)
    }

    /// Brings a broker back on the same port.
    pub fn broker_up(&self, broker_id: i32) -> Result<(), MockError> {
        self.set_up(broker_id, true)
    }

    fn set_up(&self, broker_id: i32, up: bool) -> Result<(), MockError> {
        let handle = self.handle(broker_id)?;
        let mut state = self.shared.lock();
        if let Some(b) = state.brokers.iter_mut().find(|b| b.id == broker_id) {
            b.up = up;
        }
        handle.up.send_replace(up);
        tracing::debug!(broker_id, up, "mock: broker state changed");
        Ok(())
    }

    /// Moves a partition's leadership to `broker_id` and bumps its leader
    /// epoch (even when the leader stays). Returns the new epoch.
    pub fn set_leader(
        &self,
        topic: &str,
        partition: i32,
        broker_id: i32,
    ) -> Result<i32, MockError> {
        self.handle(broker_id)?;
        let mut state = self.shared.lock();
        let p = state
            .partition_mut(topic, partition)
            .ok_or_else(|| unknown_partition(topic, partition))?;
        p.leader = broker_id;
        p.leader_epoch += 1;
        if !p.replicas.contains(&broker_id) {
            p.replicas.insert(0, broker_id);
        }
        let epoch = p.leader_epoch;
        drop(state);
        // Long-polling fetches at the old leader must learn of it.
        self.shared.data_arrived.notify_waiters();
        Ok(epoch)
    }

    /// Delays every response of `broker_id` by `rtt` (zero for none).
    pub fn set_rtt(&self, broker_id: i32, rtt: Duration) -> Result<(), MockError> {
        self.handle(broker_id)?;
        self.shared.lock().faults.set_rtt(broker_id, rtt);
        Ok(())
    }

    /// `broker_id` answers `n` more requests (over all its connections),
    /// then closes the connection the next one arrives on without
    /// answering it. Once.
    pub fn drop_connection_after_requests(&self, broker_id: i32, n: u64) -> Result<(), MockError> {
        self.handle(broker_id)?;
        self.shared
            .lock()
            .faults
            .drop_connection_after(broker_id, n);
        Ok(())
    }

    /// `broker_id` takes `n` more bytes of requests (size prefixes
    /// included, over all its connections), then closes the connection of
    /// the request that goes past them without answering it. Once.
    pub fn drop_connection_after_bytes(&self, broker_id: i32, n: u64) -> Result<(), MockError> {
        self.handle(broker_id)?;
        self.shared
            .lock()
            .faults
            .drop_connection_after_bytes(broker_id, n);
        Ok(())
    }

    /// Every request received since the start (or the last
    /// [`clear_requests`](Self::clear_requests)), in order; the newest
    /// 4096 are kept.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.shared.lock().requests.iter().cloned().collect()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }
}

fn unknown_partition(topic: &str, partition: i32) -> MockError {
    MockError::UnknownPartition {
        topic: topic.to_owned(),
        partition,
    }
}

impl Drop for MockCluster {
    fn drop(&mut self) {
        // Each broker task owns its listener and connections: aborting it
        // closes them all.
        for task in &self.tasks {
            task.abort();
        }
    }
}
