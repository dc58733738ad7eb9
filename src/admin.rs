//! The admin client: create and delete topics, and wait until the
//! cluster's metadata shows them. Built on the same [`Cluster`] handle as
//! the producer and the consumer.
//!
//! ```no_run
//! use ferrokafka::admin::{Admin, NewTopic};
//! use ferrokafka::config::ClientConfig;
//!
//! # async fn run() -> Result<(), ferrokafka::Error> {
//! let admin = Admin::new(ClientConfig::new().bootstrap_servers(["localhost:9092"]))?;
//! admin.create_topic(NewTopic::new("my_events_topic", 6, 1)).await?;
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use ferrokafka_protocol::messages::create_topics::{CreatableTopic, CreatableTopicConfig};
use ferrokafka_protocol::messages::delete_topics::DeleteTopicState;
use ferrokafka_protocol::messages::{CreateTopicsRequest, DeleteTopicsRequest};
use ferrokafka_protocol::ErrorCode;

use crate::cluster::Cluster;
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::net::ApiVersionTable;

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    /// The name.
    pub name: String,
    /// How many partitions.
    pub partitions: i32,
    /// How many replicas of each.
    pub replication_factor: i16,
    /// Topic configs (`cleanup.policy`, `retention.ms`, ...).
    pub configs: Vec<(String, String)>,
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
        }
    }

    /// Adds a topic config.
    pub fn config(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.configs.push((name.into(), value.into()));
        self
    }
}

/// Administrative operations on a cluster.
#[derive(Debug, Clone)]
pub struct Admin {
    cluster: Cluster,
    timeout: Duration,
}

impl Admin {
    /// An admin client for the cluster `config` names.
    pub fn new(config: ClientConfig) -> Result<Admin> {
        let timeout = config.request_timeout;
        Ok(Admin {
            cluster: Cluster::new(config, false)?,
            timeout,
        })
    }

    /// Creates `topic` and waits until every partition has a leader.
    /// TOPIC_ALREADY_EXISTS is an error ([`Error::kafka_code`] tells).
    pub async fn create_topic(&self, topic: NewTopic) -> Result<()> {
        let request = CreateTopicsRequest {
            topics: vec![CreatableTopic {
                name: topic.name.clone(),
                num_partitions: topic.partitions,
                replication_factor: topic.replication_factor,
                configs: topic
                    .configs
                    .iter()
                    .map(|(k, v)| CreatableTopicConfig {
                        name: k.clone(),
                        value: Some(v.clone()),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            timeout_ms: self.timeout.as_millis().min(i32::MAX as u128) as i32,
            ..Default::default()
        };
        let response = self.cluster.send_to_any(&request).await?;
        let result = response
            .topics
            .iter()
            .find(|t| t.name == topic.name)
            .ok_or_else(|| Error::kafka(format!("CreateTopics {}", topic.name), -1))?;
        if result.error_code != 0 {
            let context = match &result.error_message {
                Some(m) if !m.is_empty() => format!("CreateTopics {}: {m}", topic.name),
                _ => format!("CreateTopics {}", topic.name),
            };
            return Err(Error::kafka(context, result.error_code));
        }
        self.wait_for_topic(&topic.name, topic.partitions).await
    }

    /// Deletes `topic`.
    pub async fn delete_topic(&self, topic: &str) -> Result<()> {
        let request = DeleteTopicsRequest {
            topics: vec![DeleteTopicState {
                name: Some(topic.to_owned()),
                ..Default::default()
            }],
            topic_names: vec![topic.to_owned()],
            timeout_ms: self.timeout.as_millis().min(i32::MAX as u128) as i32,
            ..Default::default()
        };
        let response = self.cluster.send_to_any(&request).await?;
        if let Some(r) = response.responses.first() {
            if r.error_code != 0 {
                return Err(Error::kafka(format!("DeleteTopics {topic}"), r.error_code));
            }
        }
        self.cluster.remove_topic(topic);
        Ok(())
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

    /// What a broker of the cluster speaks, from the ApiVersions exchange
    /// of its connection: each API's version range, the version this client
    /// uses of each ([`ApiVersionTable::negotiated`]) and the finalized
    /// `transaction.version`. Asks any reachable broker (connecting first if
    /// none is connected).
    pub async fn api_versions(&self) -> Result<ApiVersionTable> {
        let conn = self.cluster.any_broker().await?;
        Ok(conn.versions().clone())
    }

    /// The cluster handle.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }
}
