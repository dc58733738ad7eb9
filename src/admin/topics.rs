//! Topics: create (with partitions, replication, configs or an explicit
//! replica assignment; optionally only validated), delete by name or id,
//! list, describe, and add partitions.

use ferrokafka_protocol::messages::create_partitions::{
    CreatePartitionsAssignment, CreatePartitionsTopic,
};
use ferrokafka_protocol::messages::create_topics::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use ferrokafka_protocol::messages::delete_topics::DeleteTopicState;
use ferrokafka_protocol::messages::metadata::MetadataRequestTopic;
use ferrokafka_protocol::messages::{
    CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest, MetadataRequest,
    MetadataResponse,
};
use ferrokafka_protocol::{ErrorCode, Uuid};
use std::time::Duration;

use super::{check, Admin, Outcome};
use crate::error::{Error, Result};

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    /// The name.
    pub name: String,
    /// How many partitions; -1 for the broker's default (and with an
    /// explicit `assignment`).
    pub partitions: i32,
    /// How many replicas of each; -1 for the broker's default (and with an
    /// explicit `assignment`).
    pub replication_factor: i16,
    /// Topic configs (`cleanup.policy`, `retention.ms`, ...).
    pub configs: Vec<(String, String)>,
    /// An explicit replica assignment: for each partition, its replicas'
    /// broker ids (the first is the preferred leader). Empty: the broker
    /// places them.
    pub assignment: Vec<(i32, Vec<i32>)>,
}

impl NewTopic {
    /// A topic with `partitions` partitions of `replication_factor`
    /// replicas each.
    pub fn new(name: impl Into<String>, partitions: i32, replication_factor: i16) -> Self {
        Self {
            name: name.into(),
            partitions,
            replication_factor,
            configs: Vec::new(),
            assignment: Vec::new(),
        }
    }

    /// A topic whose partitions have exactly these replicas: partition `i`
    /// on `replicas[i]`.
    pub fn with_assignment(name: impl Into<String>, replicas: Vec<Vec<i32>>) -> Self {
        Self {
            name: name.into(),
            partitions: -1,
            replication_factor: -1,
            configs: Vec::new(),
            assignment: replicas
                .into_iter()
                .enumerate()
                .map(|(i, r)| (i as i32, r))
                .collect(),
        }
    }

    /// Adds a topic config.
    pub fn config(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.configs.push((name.into(), value.into()));
        self
    }
}

/// What the broker made of a topic it created (or would create, when
/// only validating).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTopic {
    /// The topic id (zero when only validating, or from brokers before v7).
    pub topic_id: Uuid,
    /// Its partition count, -1 when the broker does not say.
    pub partitions: i32,
    /// Its replication factor, -1 when the broker does not say.
    pub replication_factor: i16,
    /// Its configs as the broker set them: `(name, value)`.
    pub configs: Vec<(String, Option<String>)>,
}

/// One topic of [`Admin::list_topics`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicListing {
    /// The name.
    pub name: String,
    /// The topic id.
    pub topic_id: Uuid,
    /// Whether it is internal (`__consumer_offsets`, ...).
    pub internal: bool,
    /// How many partitions it has.
    pub partitions: i32,
}

/// One partition of a described topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionDescription {
    /// The partition index.
    pub partition: i32,
    /// The leader's broker id, -1 when it has none.
    pub leader: i32,
    /// The leader epoch, -1 when unknown.
    pub leader_epoch: i32,
    /// Every replica's broker id, preferred leader first.
    pub replicas: Vec<i32>,
    /// The in-sync replicas.
    pub isr: Vec<i32>,
    /// The replicas that are offline.
    pub offline: Vec<i32>,
    /// The partition's error (LEADER_NOT_AVAILABLE, ...), `None` when healthy.
    pub error: Option<ErrorCode>,
}

/// A topic as [`Admin::describe_topics`] describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDescription {
    /// The name.
    pub name: String,
    /// The topic id.
    pub topic_id: Uuid,
    /// Whether it is internal.
    pub internal: bool,
    /// Its partitions, by index.
    pub partitions: Vec<PartitionDescription>,
}

/// Partitions to add to a topic ([`Admin::create_partitions`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartitions {
    /// The topic.
    pub topic: String,
    /// The partition count wanted in total.
    pub total: i32,
    /// For each new partition, its replicas; empty: the broker places them.
    pub assignment: Vec<Vec<i32>>,
}

impl NewPartitions {
    /// Grows `topic` to `total` partitions.
    pub fn new(topic: impl Into<String>, total: i32) -> Self {
        NewPartitions {
            topic: topic.into(),
            total,
            assignment: Vec::new(),
        }
    }
}

impl Admin {
    /// Creates `topic` and waits until every partition has a leader.
    /// TOPIC_ALREADY_EXISTS is an error ([`Error::kafka_code`] tells).
    pub async fn create_topic(&self, topic: NewTopic) -> Result<()> {
        let name = topic.name.clone();
        let wanted = if topic.partitions > 0 {
            topic.partitions
        } else {
            topic.assignment.len() as i32
        };
        let outcome = self
            .create_topics(vec![topic], false)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::kafka(format!("CreateTopics {name}: not answered"), -1))?;
        let created = outcome.result?;
        let partitions = if created.partitions > 0 {
            created.partitions
        } else {
            wanted.max(1)
        };
        self.wait_for_topic(&name, partitions).await
    }

    /// Creates `topics` (or, with `validate_only`, only asks the
    /// controller whether it would). One outcome per topic, in order; the
    /// call does not wait for leaders (see [`Admin::wait_for_topic`]).
    pub async fn create_topics(
        &self,
        topics: Vec<NewTopic>,
        validate_only: bool,
    ) -> Result<Vec<Outcome<String, CreatedTopic>>> {
        let request = CreateTopicsRequest {
            topics: topics
                .iter()
                .map(|t| CreatableTopic {
                    name: t.name.clone(),
                    num_partitions: t.partitions,
                    replication_factor: t.replication_factor,
                    assignments: t
                        .assignment
                        .iter()
                        .map(|(p, replicas)| CreatableReplicaAssignment {
                            partition_index: *p,
                            broker_ids: replicas.clone(),
                            ..Default::default()
                        })
                        .collect(),
                    configs: t
                        .configs
                        .iter()
                        .map(|(k, v)| CreatableTopicConfig {
                            name: k.clone(),
                            value: Some(v.clone()),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect(),
            timeout_ms: self.timeout_ms(),
            validate_only,
            ..Default::default()
        };
        let response = self.send_to_controller(&request).await?;
        Ok(topics
            .into_iter()
            .map(|t| {
                let result = match response.topics.iter().find(|r| r.name == t.name) {
                    None => Err(not_answered("CreateTopics", &t.name)),
                    Some(r) => check(r.error_code, r.error_message.as_deref(), || {
                        format!("CreateTopics {}", t.name)
                    })
                    .map(|()| CreatedTopic {
                        topic_id: r.topic_id,
                        partitions: r.num_partitions,
                        replication_factor: r.replication_factor,
                        configs: r
                            .configs
                            .iter()
                            .flatten()
                            .map(|c| (c.name.clone(), c.value.clone()))
                            .collect(),
                    }),
                };
                Outcome {
                    resource: t.name,
                    result,
                }
            })
            .collect())
    }

    /// Deletes `topic`.
    pub async fn delete_topic(&self, topic: &str) -> Result<()> {
        self.delete_topics(&[topic])
            .await?
            .into_iter()
            .next()
            .map(|o| o.result)
            .unwrap_or_else(|| Err(not_answered("DeleteTopics", topic)))
    }

    /// Deletes topics by name; one outcome per topic, in order.
    pub async fn delete_topics<S: AsRef<str>>(&self, topics: &[S]) -> Result<Vec<Outcome<String>>> {
        let names: Vec<String> = topics.iter().map(|t| t.as_ref().to_owned()).collect();
        let request = DeleteTopicsRequest {
            topics: names
                .iter()
                .map(|n| DeleteTopicState {
                    name: Some(n.clone()),
                    ..Default::default()
                })
                .collect(),
            topic_names: names.clone(),
            timeout_ms: self.timeout_ms(),
            ..Default::default()
        };
        let response = self.send_to_controller(&request).await?;
        Ok(names
            .into_iter()
            .map(|n| {
                let result = match response
                    .responses
                    .iter()
                    .find(|r| r.name.as_deref() == Some(n.as_str()))
                {
                    None => Err(not_answered("DeleteTopics", &n)),
                    Some(r) => check(r.error_code, r.error_message.as_deref(), || {
                        format!("DeleteTopics {n}")
                    }),
                };
                if result.is_ok() {
                    self.cluster.remove_topic(&n);
                }
                Outcome {
                    resource: n,
                    result,
                }
            })
            .collect())
    }

    /// Deletes topics by id (DeleteTopics v6+); one outcome per id, in
    /// order.
    pub async fn delete_topics_by_id(&self, ids: &[Uuid]) -> Result<Vec<Outcome<Uuid>>> {
        let request = DeleteTopicsRequest {
            topics: ids
                .iter()
                .map(|id| DeleteTopicState {
                    name: None,
                    topic_id: *id,
                    ..Default::default()
                })
                .collect(),
            timeout_ms: self.timeout_ms(),
            ..Default::default()
        };
        let response = self.send_to_controller(&request).await?;
        Ok(ids
            .iter()
            .map(|id| {
                let result = match response.responses.iter().find(|r| r.topic_id == *id) {
                    None => Err(not_answered("DeleteTopics", &format!("{id:?}"))),
                    Some(r) => check(r.error_code, r.error_message.as_deref(), || {
                        format!("DeleteTopics id {id:?}")
                    }),
                };
                Outcome {
                    resource: *id,
                    result,
                }
            })
            .collect())
    }

    /// Every topic of the cluster, sorted by name; internal topics only
    /// with `include_internal`.
    pub async fn list_topics(&self, include_internal: bool) -> Result<Vec<TopicListing>> {
        let response = self.metadata(None).await?;
        let mut out: Vec<TopicListing> = response
            .topics
            .iter()
            .filter(|t| t.error_code == 0 && (include_internal || !t.is_internal))
            .map(|t| TopicListing {
                name: t.name.clone().unwrap_or_default(),
                topic_id: t.topic_id,
                internal: t.is_internal,
                partitions: t.partitions.len() as i32,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Describes `topics`: partitions, leaders, replicas, ISR, offline
    /// replicas, topic id. One outcome per topic, in order; a topic that
    /// does not exist is UNKNOWN_TOPIC_OR_PARTITION.
    pub async fn describe_topics<S: AsRef<str>>(
        &self,
        topics: &[S],
    ) -> Result<Vec<Outcome<String, TopicDescription>>> {
        let names: Vec<String> = topics.iter().map(|t| t.as_ref().to_owned()).collect();
        let response = self.metadata(Some(&names)).await?;
        Ok(names
            .into_iter()
            .map(|n| {
                let result = match response
                    .topics
                    .iter()
                    .find(|t| t.name.as_deref() == Some(n.as_str()))
                {
                    None => Err(not_answered("Metadata", &n)),
                    Some(t) => check(t.error_code, None, || format!("Metadata {n}")).map(|()| {
                        let mut partitions: Vec<PartitionDescription> = t
                            .partitions
                            .iter()
                            .map(|p| PartitionDescription {
                                partition: p.partition_index,
                                leader: p.leader_id,
                                leader_epoch: p.leader_epoch,
                                replicas: p.replica_nodes.clone(),
                                isr: p.isr_nodes.clone(),
                                offline: p.offline_replicas.clone(),
                                error: (p.error_code != 0)
                                    .then(|| ErrorCode::from_code(p.error_code)),
                            })
                            .collect();
                        partitions.sort_by_key(|p| p.partition);
                        TopicDescription {
                            name: n.clone(),
                            topic_id: t.topic_id,
                            internal: t.is_internal,
                            partitions,
                        }
                    }),
                };
                Outcome {
                    resource: n,
                    result,
                }
            })
            .collect())
    }

    /// Adds partitions to topics (or, with `validate_only`, only asks
    /// whether it would); one outcome per topic, in order.
    pub async fn create_partitions(
        &self,
        topics: Vec<NewPartitions>,
        validate_only: bool,
    ) -> Result<Vec<Outcome<String>>> {
        let request = CreatePartitionsRequest {
            topics: topics
                .iter()
                .map(|t| CreatePartitionsTopic {
                    name: t.topic.clone(),
                    count: t.total,
                    assignments: (!t.assignment.is_empty()).then(|| {
                        t.assignment
                            .iter()
                            .map(|r| CreatePartitionsAssignment {
                                broker_ids: r.clone(),
                                ..Default::default()
                            })
                            .collect()
                    }),
                    ..Default::default()
                })
                .collect(),
            timeout_ms: self.timeout_ms(),
            validate_only,
            ..Default::default()
        };
        let response = self.send_to_controller(&request).await?;
        Ok(topics
            .into_iter()
            .map(|t| {
                let result = match response.results.iter().find(|r| r.name == t.topic) {
                    None => Err(not_answered("CreatePartitions", &t.topic)),
                    Some(r) => check(r.error_code, r.error_message.as_deref(), || {
                        format!("CreatePartitions {}", t.topic)
                    }),
                };
                Outcome {
                    resource: t.topic,
                    result,
                }
            })
            .collect())
    }

    /// Waits until the metadata shows `topic` with `partitions` partitions,
    /// each with a leader.
    pub async fn wait_for_topic(&self, topic: &str, partitions: i32) -> Result<()> {
        self.cluster.add_topics([topic]);
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            let m = self.cluster.refresh().await?;
            if let Some(t) = m.topic(topic) {
                if t.error == ErrorCode::None
                    && t.partition_count() >= partitions
                    && t.partitions.iter().all(|p| p.leader >= 0)
                {
                    return Ok(());
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::Timeout {
                    what: format!("waiting for {topic}'s leaders"),
                    timeout_ms: self.timeout.as_millis() as u64,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A Metadata request for `topics` (`None`: every topic), never
    /// creating any.
    pub(super) async fn metadata(&self, topics: Option<&[String]>) -> Result<MetadataResponse> {
        let request = MetadataRequest {
            topics: topics.map(|ts| {
                ts.iter()
                    .map(|t| MetadataRequestTopic {
                        name: Some(t.clone()),
                        ..Default::default()
                    })
                    .collect()
            }),
            allow_auto_topic_creation: false,
            ..Default::default()
        };
        let response = self.cluster.send_to_any(&request).await?;
        check(response.error_code, None, || "Metadata".into())?;
        Ok(response)
    }
}

/// The error for a resource the broker's answer left out.
pub(super) fn not_answered(api: &str, resource: &str) -> Error {
    Error::kafka(
        format!("{api} {resource}: the broker's answer left it out"),
        ErrorCode::UnknownServerError.code(),
    )
}
