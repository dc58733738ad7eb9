//! A snapshot of what the cluster said about itself: brokers, and for each
//! topic asked about its partitions and their leaders. Built from one
//! Metadata response; never changed afterwards (a refresh makes a new one).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ferrokafka_protocol::messages::MetadataResponse;
use ferrokafka_protocol::{ErrorCode, Uuid};

/// One broker of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    /// The broker id.
    pub node_id: i32,
    /// `host:port` to connect to.
    pub address: String,
    /// The rack, if the broker has one.
    pub rack: Option<String>,
}

/// One partition of a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionInfo {
    /// The partition index.
    pub partition: i32,
    /// The leader's broker id, -1 while there is none.
    pub leader: i32,
    /// The leader epoch, -1 when the broker does not say.
    pub leader_epoch: i32,
    /// The partition's error, `ErrorCode::None` when healthy.
    pub error: ErrorCode,
}

/// One topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    /// The topic name.
    pub name: String,
    /// The topic id (zero from brokers that do not have ids).
    pub topic_id: Uuid,
    /// The topic's error: `None` when it exists, else why not
    /// (UNKNOWN_TOPIC_OR_PARTITION, TOPIC_AUTHORIZATION_FAILED, ...).
    pub error: ErrorCode,
    /// Its partitions, indexed by partition number.
    pub partitions: Vec<PartitionInfo>,
}

impl TopicInfo {
    /// The partition `partition`, if the topic has it.
    pub fn partition(&self, partition: i32) -> Option<&PartitionInfo> {
        usize::try_from(partition)
            .ok()
            .and_then(|i| self.partitions.get(i))
    }

    /// How many partitions the topic has.
    pub fn partition_count(&self) -> i32 {
        self.partitions.len() as i32
    }
}

/// The cluster as one Metadata response described it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterMetadata {
    /// The cluster id, if the broker sent one.
    pub cluster_id: Option<String>,
    /// The controller's broker id, -1 if unknown.
    pub controller_id: i32,
    brokers: HashMap<i32, BrokerInfo>,
    topics: HashMap<String, Arc<TopicInfo>>,
    /// The topics the broker marked internal (`__consumer_offsets`, ...).
    internal: HashSet<String>,
}

impl ClusterMetadata {
    /// The snapshot of a Metadata response. Partitions are placed by their
    /// index; a response that skips an index leaves a leaderless
    /// placeholder there (LEADER_NOT_AVAILABLE), so a partition number is
    /// always its position.
    pub fn from_response(response: &MetadataResponse) -> Self {
        let brokers = response
            .brokers
            .iter()
            .map(|b| {
                (
                    b.node_id,
                    BrokerInfo {
                        node_id: b.node_id,
                        address: format!("{}:{}", b.host, b.port),
                        rack: b.rack.clone(),
                    },
                )
            })
            .collect();
        let mut topics = HashMap::new();
        let mut internal = HashSet::new();
        for t in &response.topics {
            let Some(name) = t.name.clone() else { continue };
            if t.is_internal {
                internal.insert(name.clone());
            }
            // A count from the wire decides nothing here: the partitions
            // are already decoded, and the largest index placed is bounded
            // by how many there are.
            let count = t
                .partitions
                .iter()
                .filter(|p| p.partition_index >= 0)
                .map(|p| p.partition_index as usize + 1)
                .max()
                .unwrap_or(0)
                .min(t.partitions.len());
            let mut partitions: Vec<PartitionInfo> = (0..count)
                .map(|i| PartitionInfo {
                    partition: i as i32,
                    leader: -1,
                    leader_epoch: -1,
                    error: ErrorCode::LeaderNotAvailable,
                })
                .collect();
            for p in &t.partitions {
                if let Some(slot) = usize::try_from(p.partition_index)
                    .ok()
                    .and_then(|i| partitions.get_mut(i))
                {
                    *slot = PartitionInfo {
                        partition: p.partition_index,
                        leader: p.leader_id,
                        leader_epoch: p.leader_epoch,
                        error: ErrorCode::from_code(p.error_code),
                    };
                }
            }
            topics.insert(
                name.clone(),
                Arc::new(TopicInfo {
                    name,
                    topic_id: t.topic_id,
                    error: ErrorCode::from_code(t.error_code),
                    partitions,
                }),
            );
        }
        Self {
            cluster_id: response.cluster_id.clone(),
            controller_id: response.controller_id,
            brokers,
            topics,
            internal,
        }
    }

    /// Whether the broker marked `topic` internal (`__consumer_offsets`,
    /// `__transaction_state`): pattern subscriptions leave those out.
    ///
    /// ```
    /// use ferrokafka::cluster::ClusterMetadata;
    /// // An empty snapshot knows no topic, internal or not.
    /// assert!(!ClusterMetadata::default().is_internal("__consumer_offsets"));
    /// ```
    pub fn is_internal(&self, topic: &str) -> bool {
        self.internal.contains(topic)
    }

    /// The broker `node_id`, if the cluster listed it.
    pub fn broker(&self, node_id: i32) -> Option<&BrokerInfo> {
        self.brokers.get(&node_id)
    }

    /// Every broker, in no particular order.
    pub fn brokers(&self) -> impl Iterator<Item = &BrokerInfo> {
        self.brokers.values()
    }

    /// The topic `name`, if it was asked about.
    pub fn topic(&self, name: &str) -> Option<&Arc<TopicInfo>> {
        self.topics.get(name)
    }

    /// Every topic asked about.
    pub fn topics(&self) -> impl Iterator<Item = &Arc<TopicInfo>> {
        self.topics.values()
    }

    /// The leader of `topic`/`partition` and its epoch, when there is one.
    pub fn leader(&self, topic: &str, partition: i32) -> Option<(i32, i32)> {
        let p = self.topic(topic)?.partition(partition)?;
        (p.leader >= 0).then_some((p.leader, p.leader_epoch))
    }

    /// This snapshot with the topics of `newer` taken over (a refresh of
    /// some topics keeps what it did not ask about), and newer's brokers.
    pub(crate) fn merged_with(&self, newer: ClusterMetadata) -> ClusterMetadata {
        let mut topics = self.topics.clone();
        topics.extend(newer.topics);
        let mut internal = self.internal.clone();
        internal.extend(newer.internal);
        ClusterMetadata {
            internal,
            cluster_id: newer.cluster_id.or_else(|| self.cluster_id.clone()),
            controller_id: newer.controller_id,
            brokers: if newer.brokers.is_empty() {
                self.brokers.clone()
            } else {
                newer.brokers
            },
            topics,
        }
    }

    /// `newer`, a response listing every topic of the cluster, in place of
    /// this snapshot: topics it does not list are gone. Keeps the brokers
    /// when `newer` has none.
    pub(crate) fn replaced_with(&self, newer: ClusterMetadata) -> ClusterMetadata {
        let brokers = if newer.brokers.is_empty() {
            self.brokers.clone()
        } else {
            newer.brokers
        };
        ClusterMetadata {
            cluster_id: newer.cluster_id.or_else(|| self.cluster_id.clone()),
            brokers,
            ..newer
        }
    }

    /// Forgets `topic` (after it was deleted).
    pub(crate) fn without_topic(&self, topic: &str) -> ClusterMetadata {
        let mut copy = self.clone();
        copy.topics.remove(topic);
        copy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrokafka_protocol::messages::metadata::{
        MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
    };

    fn response() -> MetadataResponse {
        MetadataResponse {
            brokers: vec![MetadataResponseBroker {
                node_id: 1,
                host: "127.0.0.1".into(),
                port: 9092,
                rack: None,
                ..Default::default()
            }],
            controller_id: 1,
            topics: vec![MetadataResponseTopic {
                name: Some("t".into()),
                partitions: vec![
                    MetadataResponsePartition {
                        partition_index: 1,
                        leader_id: 1,
                        leader_epoch: 4,
                        ..Default::default()
                    },
                    MetadataResponsePartition {
                        partition_index: 0,
                        leader_id: 1,
                        leader_epoch: 3,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn places_partitions_by_index_and_addresses_brokers() {
        let m = ClusterMetadata::from_response(&response());
        assert_eq!(
            m.broker(1).map(|b| b.address.as_str()),
            Some("127.0.0.1:9092")
        );
        let t = m.topic("t").expect("listed");
        assert_eq!(t.partition_count(), 2);
        assert_eq!(m.leader("t", 0), Some((1, 3)));
        assert_eq!(m.leader("t", 1), Some((1, 4)));
        assert_eq!(m.leader("t", 2), None);
        assert_eq!(m.leader("t", -1), None);
    }

    #[test]
    fn refuses_to_size_partitions_by_a_hostile_index() {
        let mut r = response();
        r.topics[0].partitions[0].partition_index = i32::MAX;
        let m = ClusterMetadata::from_response(&r);
        let t = m.topic("t").expect("listed");
        // Two partitions were sent: no placeholder past them is made.
        assert!(t.partition_count() <= 2);
        assert_eq!(m.leader("t", 0), Some((1, 3)));
    }

    #[test]
    fn a_partial_refresh_keeps_other_topics() {
        let old = ClusterMetadata::from_response(&response());
        let mut r = response();
        r.topics[0].name = Some("u".into());
        let merged = old.merged_with(ClusterMetadata::from_response(&r));
        assert!(merged.topic("t").is_some() && merged.topic("u").is_some());
        assert!(merged.without_topic("t").topic("t").is_none());
    }
}
