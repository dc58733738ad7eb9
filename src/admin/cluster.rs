//! The cluster: describe it (id, controller, brokers), its features, each
//! broker's log dirs; elect leaders; list and alter partition
//! reassignments.

use std::collections::BTreeMap;

use ferrokafka_protocol::messages::alter_partition_reassignments::{
    ReassignablePartition, ReassignableTopic,
};
use ferrokafka_protocol::messages::elect_leaders::TopicPartitions;
use ferrokafka_protocol::messages::list_partition_reassignments::ListPartitionReassignmentsTopics;
use ferrokafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, ApiVersionsRequest, DescribeClusterRequest,
    DescribeLogDirsRequest, ElectLeadersRequest, ListPartitionReassignmentsRequest,
};

use super::topics::not_answered;
use super::{check, Admin, Outcome, TopicPartition};
use crate::error::Result;

/// One broker of [`ClusterDescription`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerDescription {
    /// The broker id.
    pub id: i32,
    /// Its host.
    pub host: String,
    /// Its port.
    pub port: i32,
    /// Its rack.
    pub rack: Option<String>,
    /// Whether it is fenced (DescribeCluster v2+; fenced brokers are listed
    /// only then).
    pub fenced: bool,
}

/// The cluster as DescribeCluster describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterDescription {
    /// The cluster id.
    pub cluster_id: String,
    /// The controller's id as brokers report it (in KRaft a broker that
    /// forwards to the controller), -1 when unknown.
    pub controller: i32,
    /// The brokers, by id.
    pub brokers: Vec<BrokerDescription>,
}

/// One feature's version range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureRange {
    /// The lowest version (level).
    pub min: i16,
    /// The highest version (level).
    pub max: i16,
}

/// The cluster's features (`metadata.version`, `kraft.version`,
/// `transaction.version`, `group.version`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    /// What the answering broker supports.
    pub supported: BTreeMap<String, FeatureRange>,
    /// What the cluster has finalized.
    pub finalized: BTreeMap<String, FeatureRange>,
    /// The epoch of the finalized features, -1 when unknown.
    pub finalized_epoch: i64,
}

/// One partition replica in a log dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDirPartition {
    /// The partition.
    pub partition: TopicPartition,
    /// Its size on disk in bytes.
    pub size: i64,
    /// How far it lags the leader (or the current replica, for a future one).
    pub offset_lag: i64,
    /// Whether it is a future replica (being moved here).
    pub future: bool,
}

/// One log dir of a broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDirDescription {
    /// The absolute path.
    pub path: String,
    /// The dir's error (KAFKA_STORAGE_ERROR, ...), `None` when healthy.
    pub error: Option<ferrokafka_protocol::ErrorCode>,
    /// The replicas it holds, sorted.
    pub partitions: Vec<LogDirPartition>,
    /// Its volume's size in bytes, -1 when unknown.
    pub total_bytes: i64,
    /// Its volume's free bytes, -1 when unknown.
    pub usable_bytes: i64,
}

/// Which leader an election picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElectionType {
    /// The preferred (first) replica.
    Preferred,
    /// Any live replica, in-sync or not (may lose data).
    Unclean,
}

/// A partition being moved to other replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionReassignment {
    /// The current replica set.
    pub replicas: Vec<i32>,
    /// The replicas being added.
    pub adding: Vec<i32>,
    /// The replicas being removed.
    pub removing: Vec<i32>,
}

impl Admin {
    /// The cluster's id, controller and brokers (DescribeCluster).
    pub async fn describe_cluster(&self) -> Result<ClusterDescription> {
        let request = DescribeClusterRequest {
            endpoint_type: 1,
            include_fenced_brokers: true,
            ..Default::default()
        };
        let response = self.cluster.send_to_any(&request).await?;
        check(
            response.error_code,
            response.error_message.as_deref(),
            || "DescribeCluster".into(),
        )?;
        let mut brokers: Vec<BrokerDescription> = response
            .brokers
            .into_iter()
            .map(|b| BrokerDescription {
                id: b.broker_id,
                host: b.host,
                port: b.port,
                rack: b.rack,
                fenced: b.is_fenced,
            })
            .collect();
        brokers.sort_by_key(|b| b.id);
        Ok(ClusterDescription {
            cluster_id: response.cluster_id,
            controller: response.controller_id,
            brokers,
        })
    }

    /// The cluster's supported and finalized features (from ApiVersions).
    pub async fn describe_features(&self) -> Result<Features> {
        let request = ApiVersionsRequest {
            client_software_name: "ferrokafka".into(),
            client_software_version: env!("CARGO_PKG_VERSION").into(),
            ..Default::default()
        };
        let response = self.cluster.send_to_any(&request).await?;
        check(response.error_code, None, || "ApiVersions".into())?;
        Ok(Features {
            supported: response
                .supported_features
                .iter()
                .map(|f| {
                    (
                        f.name.clone(),
                        FeatureRange {
                            min: f.min_version,
                            max: f.max_version,
                        },
                    )
                })
                .collect(),
            finalized: response
                .finalized_features
                .iter()
                .map(|f| {
                    (
                        f.name.clone(),
                        FeatureRange {
                            min: f.min_version_level,
                            max: f.max_version_level,
                        },
                    )
                })
                .collect(),
            finalized_epoch: response.finalized_features_epoch,
        })
    }

    /// Each of `brokers`' log dirs and the replicas they hold (every
    /// broker when `brokers` is empty). One outcome per broker.
    pub async fn describe_log_dirs(
        &self,
        brokers: &[i32],
    ) -> Result<Vec<Outcome<i32, Vec<LogDirDescription>>>> {
        let ids: Vec<i32> = if brokers.is_empty() {
            let mut ids: Vec<i32> = self
                .cluster
                .refresh()
                .await?
                .brokers()
                .map(|b| b.node_id)
                .collect();
            ids.sort();
            ids
        } else {
            brokers.to_vec()
        };
        let request = DescribeLogDirsRequest {
            topics: None,
            ..Default::default()
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let result = match self.cluster.send_to(id, &request).await {
                Err(e) => Err(e),
                Ok(response) => check(response.error_code, None, || {
                    format!("DescribeLogDirs on broker {id}")
                })
                .map(|()| {
                    response
                        .results
                        .into_iter()
                        .map(|d| {
                            let mut partitions: Vec<LogDirPartition> = d
                                .topics
                                .iter()
                                .flat_map(|t| {
                                    t.partitions.iter().map(|p| LogDirPartition {
                                        partition: TopicPartition::new(
                                            t.name.clone(),
                                            p.partition_index,
                                        ),
                                        size: p.partition_size,
                                        offset_lag: p.offset_lag,
                                        future: p.is_future_key,
                                    })
                                })
                                .collect();
                            partitions.sort_by(|a, b| a.partition.cmp(&b.partition));
                            LogDirDescription {
                                path: d.log_dir,
                                error: (d.error_code != 0).then(|| {
                                    ferrokafka_protocol::ErrorCode::from_code(d.error_code)
                                }),
                                partitions,
                                total_bytes: d.total_bytes,
                                usable_bytes: d.usable_bytes,
                            }
                        })
                        .collect()
                }),
            };
            out.push(Outcome {
                resource: id,
                result,
            });
        }
        Ok(out)
    }

    /// Elects leaders for `partitions` (ElectLeaders, at the controller).
    /// One outcome per partition; ELECTION_NOT_NEEDED means the leader
    /// already is the one the election would pick.
    pub async fn elect_leaders(
        &self,
        election: ElectionType,
        partitions: &[TopicPartition],
    ) -> Result<Vec<Outcome<TopicPartition>>> {
        let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for tp in partitions {
            by_topic.entry(&tp.topic).or_default().push(tp.partition);
        }
        let request = ElectLeadersRequest {
            election_type: match election {
                ElectionType::Preferred => 0,
                ElectionType::Unclean => 1,
            },
            topic_partitions: Some(
                by_topic
                    .into_iter()
                    .map(|(t, ps)| TopicPartitions {
                        topic: t.to_owned(),
                        partitions: ps,
                        ..Default::default()
                    })
                    .collect(),
            ),
            timeout_ms: self.timeout_ms(),
            ..Default::default()
        };
        let response = self.send_to_controller(&request).await?;
        check(response.error_code, None, || "ElectLeaders".into())?;
        Ok(partitions
            .iter()
            .map(|tp| {
                let result = response
                    .replica_election_results
                    .iter()
                    .filter(|t| t.topic == tp.topic)
                    .flat_map(|t| &t.partition_result)
                    .find(|p| p.partition_id == tp.partition)
                    .map(|p| {
                        check(p.error_code, p.error_message.as_deref(), || {
                            format!("ElectLeaders {tp}")
                        })
                    })
                    .unwrap_or_else(|| Err(not_answered("ElectLeaders", &tp.to_string())));
                Outcome {
                    resource: tp.clone(),
                    result,
                }
            })
            .collect())
    }

    /// The reassignments under way: of `partitions`, or every one
    /// (`None`). Sorted by partition.
    pub async fn list_partition_reassignments(
        &self,
        partitions: Option<&[TopicPartition]>,
    ) -> Result<Vec<(TopicPartition, PartitionReassignment)>> {
        let request = ListPartitionReassignmentsRequest {
            timeout_ms: self.timeout_ms(),
            topics: partitions.map(|ps| {
                let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
                for tp in ps {
                    by_topic.entry(&tp.topic).or_default().push(tp.partition);
                }
                by_topic
                    .into_iter()
                    .map(|(t, ps)| ListPartitionReassignmentsTopics {
                        name: t.to_owned(),
                        partition_indexes: ps,
                        ..Default::default()
                    })
                    .collect()
            }),
            ..Default::default()
        };
        let response = self.send_to_controller(&request).await?;
        check(
            response.error_code,
            response.error_message.as_deref(),
            || "ListPartitionReassignments".into(),
        )?;
        let mut out: Vec<(TopicPartition, PartitionReassignment)> = response
            .topics
            .iter()
            .flat_map(|t| {
                t.partitions.iter().map(|p| {
                    (
                        TopicPartition::new(t.name.clone(), p.partition_index),
                        PartitionReassignment {
                            replicas: p.replicas.clone(),
                            adding: p.adding_replicas.clone(),
                            removing: p.removing_replicas.clone(),
                        },
                    )
                })
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Moves each partition to the given replicas (`None`: cancels its
    /// reassignment under way). One outcome per partition.
    pub async fn alter_partition_reassignments(
        &self,
        reassignments: &[(TopicPartition, Option<Vec<i32>>)],
    ) -> Result<Vec<Outcome<TopicPartition>>> {
        let mut by_topic: BTreeMap<&str, Vec<ReassignablePartition>> = BTreeMap::new();
        for (tp, replicas) in reassignments {
            by_topic
                .entry(&tp.topic)
                .or_default()
                .push(ReassignablePartition {
                    partition_index: tp.partition,
                    replicas: replicas.clone(),
                    ..Default::default()
                });
        }
        let request = AlterPartitionReassignmentsRequest {
            timeout_ms: self.timeout_ms(),
            topics: by_topic
                .into_iter()
                .map(|(t, partitions)| ReassignableTopic {
                    name: t.to_owned(),
                    partitions,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let response = self.send_to_controller(&request).await?;
        check(
            response.error_code,
            response.error_message.as_deref(),
            || "AlterPartitionReassignments".into(),
        )?;
        Ok(reassignments
            .iter()
            .map(|(tp, _)| {
                let result = response
                    .responses
                    .iter()
                    .filter(|t| t.name == tp.topic)
                    .flat_map(|t| &t.partitions)
                    .find(|p| p.partition_index == tp.partition)
                    .map(|p| {
                        check(p.error_code, p.error_message.as_deref(), || {
                            format!("AlterPartitionReassignments {tp}")
                        })
                    })
                    .unwrap_or_else(|| {
                        Err(not_answered("AlterPartitionReassignments", &tp.to_string()))
                    });
                Outcome {
                    resource: tp.clone(),
                    result,
                }
            })
            .collect())
    }
}
