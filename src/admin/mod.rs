//! The admin client: topics, consumer groups and their offsets, records,
//! configs, the cluster, ACLs, SCRAM credentials, client quotas,
//! transactions and producers. Built on the same [`Cluster`] handle as
//! the producer and the consumer.
//!
//! Every call that names several resources answers for each one: a
//! [`Vec`] of outcomes whose `result` is that resource's own
//! `Result`, so one topic failing does not fail the others. The call's own
//! `Err` is kept for what stops the whole call (no broker reachable, a
//! timeout, a request-level error code). Broker errors are
//! [`Error::Kafka`] naming the API and the resource, with the Kafka code
//! ([`Error::kafka_code`]) and whether a retry may help
//! ([`Error::is_retriable`]).
//!
//! Each request goes where Kafka serves it: topic, config and cluster
//! changes to the controller as the metadata names it (in KRaft any broker
//! forwards them), group operations to the group's coordinator (found
//! with FindCoordinator, found again when it moved), offsets and record
//! deletions to each partition's leader, broker configs and log dirs to
//! the broker they are about.
//!
//! ```no_run
//! use ferrokafka::admin::{Admin, NewTopic};
//! use ferrokafka::config::ClientConfig;
//!
//! # async fn run() -> Result<(), ferrokafka::Error> {
//! let admin = Admin::new(ClientConfig::new().bootstrap_servers(["localhost:9092"]))?;
//! admin.create_topic(NewTopic::new("my_events_topic", 6, 1)).await?;
//! for t in admin.list_topics(false).await? {
//!     println!("{} ({} partitions)", t.name, t.partitions);
//! }
//! # Ok(())
//! # }
//! ```

use std::future::Future;
use std::time::Duration;

use ferrokafka_protocol::messages::FindCoordinatorRequest;
use tracing::debug;

use crate::cluster::Cluster;
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::net::ApiVersionTable;

mod acls;
mod cluster;
mod configs;
mod group_offsets;
mod groups;
mod offsets;
mod quotas;
mod topics;
mod transactions;

pub use acls::{AclBinding, AclFilter, AclOperation, AclPermission, PatternType, ResourceType};
pub use cluster::{
    BrokerDescription, ClusterDescription, ElectionType, FeatureRange, Features, LogDirDescription,
    LogDirPartition, PartitionReassignment,
};
pub use configs::{
    AlterConfigOp, ConfigEntry, ConfigOperation, ConfigResource, ConfigResourceType, ConfigSource,
    ConfigSynonym,
};
pub use group_offsets::{GroupOffset, OffsetReset, PartitionLag};
pub use groups::{GroupDescription, GroupListing, GroupMember, MemberAssignment};
pub use offsets::{OffsetSpec, PartitionOffset};
pub use quotas::{
    QuotaAlteration, QuotaEntity, QuotaEntityFilter, ScramCredentialInfo, ScramMechanism,
    UserScramCredentials,
};
pub use topics::{
    CreatedTopic, NewPartitions, NewTopic, PartitionDescription, TopicDescription, TopicListing,
};
pub use transactions::{ProducerState, TransactionDescription, TransactionListing};

/// The outcome for one resource of a call that names several: the
/// resource and its own result.
#[derive(Debug)]
pub struct Outcome<K, T = ()> {
    /// Which resource (a topic name, a group id, a partition, ...).
    pub resource: K,
    /// What happened to it.
    pub result: Result<T>,
}

/// A topic partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
}

impl TopicPartition {
    /// Partition `partition` of `topic`.
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// Tries of a coordinator request whose coordinator moved or is loading.
const COORDINATOR_TRIES: usize = 5;

/// Administrative operations on a cluster.
#[derive(Debug, Clone)]
pub struct Admin {
    cluster: Cluster,
    timeout: Duration,
}

impl Admin {
    /// An admin client for the cluster `config` names. Calls wait up to
    /// `request.timeout.ms` for the broker (and pass it on as the
    /// operation's timeout where the API has one).
    pub fn new(config: ClientConfig) -> Result<Admin> {
        let timeout = config.request_timeout;
        Ok(Admin {
            cluster: Cluster::new(config, false)?,
            timeout,
        })
    }

    /// The cluster handle.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
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

    /// The operation timeout sent in requests, in ms.
    fn timeout_ms(&self) -> i32 {
        self.timeout.as_millis().min(i32::MAX as u128) as i32
    }

    /// The controller as the metadata names it, when it is a broker we
    /// can reach; `None` otherwise (a KRaft controller that is not a
    /// broker: then any broker forwards to it).
    async fn controller(&self) -> Result<Option<i32>> {
        let mut metadata = self.cluster.metadata();
        if metadata.controller_id < 0 || metadata.broker(metadata.controller_id).is_none() {
            metadata = self.cluster.refresh().await?;
        }
        let id = metadata.controller_id;
        Ok((id >= 0 && metadata.broker(id).is_some()).then_some(id))
    }

    /// Sends `request` to the controller, or any broker when none is known.
    async fn send_to_controller<R: ferrokafka_protocol::Request>(
        &self,
        request: &R,
    ) -> Result<R::Response> {
        match self.controller().await? {
            Some(id) => self.cluster.send_to(id, request).await,
            None => self.cluster.send_to_any(request).await,
        }
    }

    /// The broker coordinating `key` (`key_type` 0: a group, 1: a
    /// transactional id).
    async fn find_coordinator(&self, key_type: i8, key: &str) -> Result<i32> {
        let request = FindCoordinatorRequest {
            key: key.to_owned(),
            key_type,
            coordinator_keys: vec![key.to_owned()],
            ..Default::default()
        };
        let response = self.cluster.send_to_any(&request).await?;
        let (code, node_id, message) = match response.coordinators.first() {
            Some(c) => (c.error_code, c.node_id, c.error_message.clone()),
            None => (
                response.error_code,
                response.node_id,
                response.error_message.clone(),
            ),
        };
        check(code, message.as_deref(), || {
            format!("FindCoordinator {key}")
        })?;
        Ok(node_id)
    }

    /// Runs `call` against `key`'s coordinator; when it fails because the
    /// coordinator moved, is not ready or is unreachable, finds it again
    /// and retries, a few times with a growing pause.
    async fn with_coordinator<T, F, Fut>(&self, key_type: i8, key: &str, mut call: F) -> Result<T>
    where
        F: FnMut(i32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut pause = Duration::from_millis(50);
        let mut tries = 0;
        loop {
            tries += 1;
            let result = match self.find_coordinator(key_type, key).await {
                Ok(node) => call(node).await,
                Err(e) => Err(e),
            };
            match result {
                Err(e) if tries < COORDINATOR_TRIES && coordinator_may_move(&e) => {
                    debug!(key, error = %e, "coordinator call retried");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                other => return other,
            }
        }
    }
}

/// Whether `error` means the coordinator moved, is loading, or could not be
/// reached: finding it again may help.
fn coordinator_may_move(error: &Error) -> bool {
    match error.kafka_code() {
        Some(c) => c.is_coordinator_error(),
        None => error.is_retriable(),
    }
}

/// `Ok` for code 0, else the Kafka error for `context` (with the broker's
/// message when it sent one).
fn check(code: i16, message: Option<&str>, context: impl FnOnce() -> String) -> Result<()> {
    if code == 0 {
        return Ok(());
    }
    let context = match message {
        Some(m) if !m.is_empty() => format!("{}: {m}", context()),
        _ => context(),
    };
    Err(Error::kafka(context, code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrokafka_protocol::ErrorCode;

    #[test]
    fn check_names_the_resource_and_keeps_the_code() {
        assert!(check(0, Some("ignored"), || unreachable!()).is_ok());
        let e = check(36, Some("exists"), || "CreateTopics t".into()).expect_err("36 fails");
        assert_eq!(e.kafka_code(), Some(ErrorCode::TopicAlreadyExists));
        assert!(e.to_string().contains("CreateTopics t: exists"), "{e}");
        let e = check(14, None, || "DescribeGroups g".into()).expect_err("14 fails");
        assert!(coordinator_may_move(&e));
        assert!(!coordinator_may_move(&Error::kafka("x", 36)));
    }
}
