//! The cluster's state: brokers, topics and their partitions, settings,
//! and the pieces other modules own (groups, offsets, producer ids,
//! faults). One `std::sync::Mutex` guards it all; handlers hold it only
//! between awaits, never across one.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::sync::{Mutex, MutexGuard};

use ferrokafka_protocol::{ErrorCode, Uuid};
use tokio::sync::Notify;

use super::faults::Faults;
use super::group::consumer::ConsumerGroup;
use super::group::Group;
use super::log::PartitionLog;
use super::offsets::CommittedOffsets;
use super::producers::{ProducerIds, ProducerPartitionState};
use super::txn::{PartitionTxns, Transactions};
use super::ReceivedRequest;

/// How many received requests [`ClusterState::requests`] keeps; older ones
/// are dropped so a long test does not hold every Produce body forever.
pub(crate) const MAX_RECORDED_REQUESTS: usize = 4096;

/// What every broker task shares.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    state: Mutex<ClusterState>,
    /// Woken when records are appended, for long-polling fetches.
    pub(crate) data_arrived: Notify,
    /// Woken when a group changes, for members waiting in JoinGroup or
    /// SyncGroup.
    pub(crate) group_changed: Notify,
}

impl Shared {
    /// The state, locked. A panic while holding the lock cannot leave it
    /// half-updated in a way that matters to a test tool, so a poisoned
    /// lock is simply taken over.
    pub(crate) fn lock(&self) -> MutexGuard<'_, ClusterState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Settings a test may change.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Create unknown topics on Metadata and Produce.
    pub(crate) auto_create_topics: bool,
    /// Partitions of an auto-created topic (or -1 in CreateTopics).
    pub(crate) default_partitions: i32,
    /// Bytes kept per partition before the oldest batches go.
    pub(crate) retention_bytes: usize,
    /// The largest request frame accepted.
    pub(crate) max_frame_size: usize,
    /// PLAIN user and password, when SASL is required.
    pub(crate) sasl_plain: Option<(String, String)>,
    /// The finalized `transaction.version` feature advertised in
    /// ApiVersions: 2 is transactions v2 (KIP-890), 1 and 0 version 1.
    pub(crate) transaction_version: i16,
    /// Whether ConsumerGroupHeartbeat and ConsumerGroupDescribe (KIP-848)
    /// are advertised and served.
    pub(crate) consumer_group_protocol: bool,
    /// `group.consumer.heartbeat.interval.ms`.
    pub(crate) consumer_heartbeat_interval: std::time::Duration,
    /// `group.consumer.session.timeout.ms`.
    pub(crate) consumer_session_timeout: std::time::Duration,
    /// `group.consumer.max.size`.
    pub(crate) consumer_group_max_size: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            auto_create_topics: false,
            default_partitions: 1,
            retention_bytes: 64 * 1024 * 1024,
            max_frame_size: 100 * 1024 * 1024,
            sasl_plain: None,
            transaction_version: 2,
            consumer_group_protocol: true,
            consumer_heartbeat_interval: std::time::Duration::from_secs(5),
            consumer_session_timeout: std::time::Duration::from_secs(45),
            consumer_group_max_size: i32::MAX as usize,
        }
    }
}

/// One broker as the cluster sees it.
#[derive(Debug, Clone)]
pub(crate) struct BrokerInfo {
    pub(crate) id: i32,
    pub(crate) port: u16,
    pub(crate) up: bool,
}

/// One partition.
#[derive(Debug, Default)]
pub(crate) struct Partition {
    pub(crate) leader: i32,
    pub(crate) leader_epoch: i32,
    pub(crate) replicas: Vec<i32>,
    pub(crate) log: PartitionLog,
    /// Idempotent producers' state here, by producer id.
    pub(crate) producers: HashMap<i64, ProducerPartitionState>,
    /// Open and aborted transactions here.
    pub(crate) txns: PartitionTxns,
}

impl Partition {
    /// Kafka's leader checks for a partition read at `broker`, with the
    /// epoch the client knows (-1 for none).
    pub(crate) fn check_leader(&self, broker: i32, known_epoch: i32) -> Result<(), ErrorCode> {
        if self.leader != broker {
            return Err(ErrorCode::NotLeaderOrFollower);
        }
        match known_epoch {
            e if e < 0 || e == self.leader_epoch => Ok(()),
            e if e < self.leader_epoch => Err(ErrorCode::FencedLeaderEpoch),
            _ => Err(ErrorCode::UnknownLeaderEpoch),
        }
    }
}

/// One topic.
#[derive(Debug)]
pub(crate) struct Topic {
    pub(crate) id: Uuid,
    pub(crate) partitions: Vec<Partition>,
    /// `retention.bytes` from the topic's configs, if set.
    pub(crate) retention_bytes: Option<usize>,
}

/// Everything the cluster knows.
#[derive(Debug, Default)]
pub(crate) struct ClusterState {
    pub(crate) cluster_id: String,
    pub(crate) brokers: Vec<BrokerInfo>,
    pub(crate) settings: Settings,
    pub(crate) topics: BTreeMap<String, Topic>,
    pub(crate) groups: HashMap<String, Group>,
    /// Groups under the KIP-848 consumer protocol.
    pub(crate) consumer_groups: HashMap<String, ConsumerGroup>,
    pub(crate) offsets: CommittedOffsets,
    pub(crate) producer_ids: ProducerIds,
    pub(crate) transactions: Transactions,
    pub(crate) faults: Faults,
    pub(crate) requests: std::collections::VecDeque<ReceivedRequest>,
    /// Seeds topic ids, so two clusters never share one.
    id_seed: u64,
    id_counter: u64,
}

impl ClusterState {
    /// A cluster of `brokers` (id, port), all up.
    pub(crate) fn new(brokers: &[(i32, u16)]) -> Self {
        let id_seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        Self {
            cluster_id: format!("mock-{id_seed:016x}"),
            brokers: brokers
                .iter()
                .map(|&(id, port)| BrokerInfo { id, port, up: true })
                .collect(),
            id_seed,
            ..Default::default()
        }
    }

    /// The broker with `id`.
    pub(crate) fn broker(&self, id: i32) -> Option<&BrokerInfo> {
        self.brokers.iter().find(|b| b.id == id)
    }

    /// The controller: the first broker that is up (or the first at all).
    pub(crate) fn controller_id(&self) -> i32 {
        self.brokers
            .iter()
            .find(|b| b.up)
            .or(self.brokers.first())
            .map_or(-1, |b| b.id)
    }

    /// The coordinator of a group (or transactional id): a stable hash of
    /// the key picks a broker; when that one is down, the next one up
    /// takes over, as another replica of `__consumer_offsets` would.
    pub(crate) fn coordinator_for(&self, key: &str) -> i32 {
        let n = self.brokers.len();
        if n == 0 {
            return -1;
        }
        let start = (java_string_hash(key).unsigned_abs() as usize) % n;
        (0..n)
            .map(|i| &self.brokers[(start + i) % n])
            .find(|b| b.up)
            .unwrap_or(&self.brokers[start])
            .id
    }

    /// The check every group request starts with: a group id, coordinated
    /// by `broker`.
    pub(crate) fn check_coordinator(&self, broker: i32, group_id: &str) -> Result<(), ErrorCode> {
        if group_id.is_empty() {
            return Err(ErrorCode::InvalidGroupId);
        }
        if self.coordinator_for(group_id) != broker {
            return Err(ErrorCode::NotCoordinator);
        }
        Ok(())
    }

    /// Every topic's name and partition count, for the consumer groups'
    /// assignors.
    pub(crate) fn partition_counts(&self) -> BTreeMap<String, i32> {
        self.topics
            .iter()
            .map(|(name, t)| (name.clone(), t.partitions.len() as i32))
            .collect()
    }

    /// A fresh topic id.
    fn next_topic_id(&mut self) -> Uuid {
        self.id_counter += 1;
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.id_seed.to_be_bytes());
        bytes[8..].copy_from_slice(&self.id_counter.to_be_bytes());
        Uuid(bytes)
    }

    /// The name of the topic with `id`, if any.
    pub(crate) fn topic_name_by_id(&self, id: Uuid) -> Option<&str> {
        self.topics
            .iter()
            .find(|(_, t)| t.id == id)
            .map(|(n, _)| n.as_str())
    }

    /// A partition, if the topic and partition exist.
    pub(crate) fn partition(&self, topic: &str, partition: i32) -> Option<&Partition> {
        let t = self.topics.get(topic)?;
        t.partitions.get(usize::try_from(partition).ok()?)
    }

    /// A partition, mutably.
    pub(crate) fn partition_mut(&mut self, topic: &str, partition: i32) -> Option<&mut Partition> {
        let t = self.topics.get_mut(topic)?;
        t.partitions.get_mut(usize::try_from(partition).ok()?)
    }

    /// The retention cap of a topic's partitions.
    pub(crate) fn retention_for(&self, topic: &str) -> usize {
        self.topics
            .get(topic)
            .and_then(|t| t.retention_bytes)
            .unwrap_or(self.settings.retention_bytes)
    }

    /// Creates a topic: `partitions` (-1: the default) with `replication`
    /// replicas each (-1: as many brokers as there are, up to 3), leaders
    /// round-robin over the brokers, or the manual `assignment` (one
    /// replica list per partition, leader first).
    pub(crate) fn create_topic(
        &mut self,
        name: &str,
        partitions: i32,
        replication: i16,
        assignment: &[Vec<i32>],
        retention_bytes: Option<usize>,
        validate_only: bool,
    ) -> Result<(Uuid, i32, i16), ErrorCode> {
        validate_topic_name(name)?;
        if self.topics.contains_key(name) {
            return Err(ErrorCode::TopicAlreadyExists);
        }
        let n = self.brokers.len();
        let replica_sets: Vec<Vec<i32>> = if assignment.is_empty() {
            let partitions = if partitions == -1 {
                self.settings.default_partitions
            } else {
                partitions
            };
            let replication = if replication == -1 {
                n.min(3) as i16
            } else {
                replication
            };
            if partitions <= 0 {
                return Err(ErrorCode::InvalidPartitions);
            }
            if replication <= 0 || replication as usize > n {
                return Err(ErrorCode::InvalidReplicationFactor);
            }
            (0..partitions as usize)
                .map(|p| {
                    (0..replication as usize)
                        .map(|r| self.brokers[(p + r) % n].id)
                        .collect()
                })
                .collect()
        } else {
            let known = |id: &i32| self.broker(*id).is_some();
            if assignment
                .iter()
                .any(|set| set.is_empty() || !set.iter().all(known))
            {
                return Err(ErrorCode::InvalidReplicaAssignment);
            }
            assignment.to_vec()
        };
        let result_partitions = replica_sets.len() as i32;
        let result_replication = replica_sets.first().map_or(0, |s| s.len() as i16);
        let id = self.next_topic_id();
        if validate_only {
            return Ok((id, result_partitions, result_replication));
        }
        let partitions = replica_sets
            .into_iter()
            .map(|replicas| Partition {
                leader: replicas[0],
                leader_epoch: 0,
                replicas,
                ..Default::default()
            })
            .collect();
        self.topics.insert(
            name.to_owned(),
            Topic {
                id,
                partitions,
                retention_bytes,
            },
        );
        tracing::debug!(topic = name, "mock: topic created");
        Ok((id, result_partitions, result_replication))
    }

    /// Creates `name` with the defaults when auto-creation is on; whether
    /// the topic exists afterwards.
    pub(crate) fn auto_create(&mut self, name: &str) -> bool {
        if self.topics.contains_key(name) {
            return true;
        }
        self.settings.auto_create_topics
            && self.create_topic(name, -1, -1, &[], None, false).is_ok()
    }

    /// Records a received request, keeping the newest
    /// [`MAX_RECORDED_REQUESTS`].
    pub(crate) fn record(&mut self, request: ReceivedRequest) {
        if self.requests.len() >= MAX_RECORDED_REQUESTS {
            self.requests.pop_front();
        }
        self.requests.push_back(request);
    }
}

/// Kafka's topic name rule: 1 to 249 of `[a-zA-Z0-9._-]`, not `.` or `..`.
fn validate_topic_name(name: &str) -> Result<(), ErrorCode> {
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty()
        || name.len() > 249
        || name == "."
        || name == ".."
        || !name.chars().all(legal)
    {
        return Err(ErrorCode::InvalidTopicException);
    }
    Ok(())
}

/// Java's `String.hashCode` (over UTF-16 units), so coordinators land where
/// a reader of Kafka's docs would expect and never move between runs.
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaders_and_replicas_go_round_robin() {
        let mut s = ClusterState::new(&[(0, 1), (1, 2), (2, 3)]);
        s.create_topic("t", 4, 2, &[], None, false)
            .expect("created");
        let leaders: Vec<i32> = s.topics["t"].partitions.iter().map(|p| p.leader).collect();
        assert_eq!(leaders, vec![0, 1, 2, 0]);
        assert_eq!(s.topics["t"].partitions[2].replicas, vec![2, 0]);
        assert_eq!(
            s.create_topic("t", 1, 1, &[], None, false),
            Err(ErrorCode::TopicAlreadyExists)
        );
        assert_eq!(
            s.create_topic("u", 1, 4, &[], None, false),
            Err(ErrorCode::InvalidReplicationFactor)
        );
        assert_eq!(
            s.create_topic("bad name", 1, 1, &[], None, false),
            Err(ErrorCode::InvalidTopicException)
        );
    }

    #[test]
    fn coordinator_moves_to_the_next_broker_up() {
        let mut s = ClusterState::new(&[(0, 1), (1, 2), (2, 3)]);
        let c = s.coordinator_for("group");
        assert_eq!(c, s.coordinator_for("group"), "stable");
        s.brokers[c as usize].up = false;
        assert_eq!(s.coordinator_for("group"), (c + 1) % 3);
        assert_eq!(java_string_hash("ab"), 97 * 31 + 98);
    }
}
