//! Offsets: finding the group coordinator, committing positions, reading
//! committed ones, and ListOffsets for `auto.offset.reset`. Plain async
//! functions over a [`Cluster`]; the engine runs them on spawned tasks.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use ferrokafka_protocol::messages::list_offsets::{ListOffsetsPartition, ListOffsetsTopic};
use ferrokafka_protocol::messages::offset_commit::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use ferrokafka_protocol::messages::offset_fetch::OffsetFetchRequestTopic;
use ferrokafka_protocol::messages::{
    FindCoordinatorRequest, ListOffsetsRequest, OffsetCommitRequest, OffsetFetchRequest,
};
use ferrokafka_protocol::{ApiKey, ErrorCode};
use tracing::debug;

use super::{CommittedOffset, Tp};
use crate::cluster::Cluster;
use crate::error::{Error, Result};
use crate::net::Connection;

/// OffsetCommit v10 and OffsetFetch v10 name topics by id only; v9/v7 are
/// served by every broker we support and take names.
const MAX_COMMIT_VERSION: i16 = 9;
const MAX_OFFSET_FETCH_VERSION: i16 = 7;
/// Tries of a coordinator request whose coordinator moved.
const COORDINATOR_TRIES: usize = 4;
/// How often an OffsetFetch answered UNSTABLE_OFFSET_COMMIT is asked
/// again (`retry.backoff.ms` apart): a transaction's markers take
/// milliseconds, a coordinator's failover seconds.
const UNSTABLE_TRIES: usize = 300;

/// ListOffsets' special timestamp for the earliest offset.
pub(crate) const EARLIEST: i64 = -2;
/// ListOffsets' special timestamp for the latest offset.
pub(crate) const LATEST: i64 = -1;

/// The broker coordinating `group_id`.
pub(crate) async fn find_coordinator(cluster: &Cluster, group_id: &str) -> Result<i32> {
    let request = FindCoordinatorRequest {
        key: group_id.to_owned(),
        key_type: 0,
        coordinator_keys: vec![group_id.to_owned()],
        ..Default::default()
    };
    let response = cluster.send_to_any(&request).await?;
    let (code, node_id) = match response.coordinators.first() {
        Some(c) => (c.error_code, c.node_id),
        None => (response.error_code, response.node_id),
    };
    if code != 0 {
        return Err(Error::kafka(
            format!("FindCoordinator for {group_id}"),
            code,
        ));
    }
    Ok(node_id)
}

/// Whether `error` means the coordinator moved or is briefly away.
pub(crate) fn is_coordinator_error(error: &Error) -> bool {
    match error.kafka_code() {
        Some(c) => matches!(
            c,
            ErrorCode::NotCoordinator
                | ErrorCode::CoordinatorNotAvailable
                | ErrorCode::CoordinatorLoadInProgress
        ),
        None => error.is_retriable(),
    }
}

/// Who commits: the group, and the member's generation (-1 and an empty
/// member id outside a group, for `assign`).
#[derive(Debug, Clone)]
pub(crate) struct Committer {
    pub(crate) group_id: String,
    pub(crate) generation_id: i32,
    pub(crate) member_id: String,
    pub(crate) group_instance_id: Option<String>,
}

/// Commits `offsets`; retries when the coordinator moved. Returns the
/// coordinator that answered.
pub(crate) async fn commit(
    cluster: &Cluster,
    coordinator: Option<i32>,
    who: &Committer,
    offsets: &[(Tp, i64)],
    metadata: &HashMap<Tp, String>,
    backoff: Duration,
) -> Result<i32> {
    let mut topics: Vec<OffsetCommitRequestTopic> = Vec::new();
    for (tp, offset) in offsets {
        let (topic, partition) = tp;
        let p = OffsetCommitRequestPartition {
            partition_index: *partition,
            committed_offset: *offset,
            committed_metadata: Some(metadata.get(tp).cloned().unwrap_or_default()),
            ..Default::default()
        };
        match topics.iter_mut().find(|t| *t.name == **topic) {
            Some(t) => t.partitions.push(p),
            None => topics.push(OffsetCommitRequestTopic {
                name: topic.to_string(),
                partitions: vec![p],
                ..Default::default()
            }),
        }
    }
    let request = OffsetCommitRequest {
        group_id: who.group_id.clone(),
        generation_id_or_member_epoch: who.generation_id,
        member_id: who.member_id.clone(),
        group_instance_id: who.group_instance_id.clone(),
        topics,
        ..Default::default()
    };
    let request = &request;
    let ((), node) = with_coordinator(
        cluster,
        coordinator,
        &who.group_id,
        COORDINATOR_TRIES,
        backoff,
        |conn| async move {
            let version = conn
                .version_for(ApiKey::OffsetCommit)?
                .min(MAX_COMMIT_VERSION);
            let r = conn.send_version(request, version).await?;
            for t in &r.topics {
                for p in &t.partitions {
                    if p.error_code != 0 {
                        return Err(Error::kafka(
                            format!("OffsetCommit {} [{}]", t.name, p.partition_index),
                            p.error_code,
                        ));
                    }
                }
            }
            Ok(())
        },
    )
    .await?;
    Ok(node)
}

/// The committed offsets of `tps` for `group_id` (`None`: nothing
/// committed). Waits out offsets of transactions still open
/// (`require_stable`).
pub(crate) async fn committed(
    cluster: &Cluster,
    coordinator: Option<i32>,
    group_id: &str,
    tps: &[Tp],
    backoff: Duration,
) -> Result<Vec<(Tp, Option<i64>)>> {
    let found = committed_full(cluster, coordinator, group_id, tps, backoff).await?;
    Ok(found
        .into_iter()
        .map(|(tp, c)| (tp, c.map(|c| c.offset)))
        .collect())
}

/// As [`committed`], with each offset's metadata and leader epoch.
pub(crate) async fn committed_full(
    cluster: &Cluster,
    coordinator: Option<i32>,
    group_id: &str,
    tps: &[Tp],
    backoff: Duration,
) -> Result<Vec<(Tp, Option<CommittedOffset>)>> {
    let mut topics: Vec<OffsetFetchRequestTopic> = Vec::new();
    for (topic, partition) in tps {
        match topics.iter_mut().find(|t| *t.name == **topic) {
            Some(t) => t.partition_indexes.push(*partition),
            None => topics.push(OffsetFetchRequestTopic {
                name: topic.to_string(),
                partition_indexes: vec![*partition],
                ..Default::default()
            }),
        }
    }
    let request = OffsetFetchRequest {
        group_id: group_id.to_owned(),
        topics: Some(topics),
        require_stable: true,
        ..Default::default()
    };
    let request = &request;
    let mut unstable = 0;
    loop {
        match fetch_committed(cluster, coordinator, group_id, tps, backoff, request).await {
            // A transaction's offsets for the group are written but their
            // commit marker is not yet (Kafka answers so between EndTxn
            // and the marker): ask again, as Java's consumer does, for as
            // long as the caller waits (bounded here too).
            Err(e)
                if e.kafka_code() == Some(ErrorCode::UnstableOffsetCommit)
                    && unstable < UNSTABLE_TRIES =>
            {
                unstable += 1;
                debug!(group_id, "offsets not stable yet; asking again");
                tokio::time::sleep(backoff).await;
            }
            other => return other,
        }
    }
}

/// One OffsetFetch of `tps` (after finding the coordinator as needed).
async fn fetch_committed(
    cluster: &Cluster,
    coordinator: Option<i32>,
    group_id: &str,
    tps: &[Tp],
    backoff: Duration,
    request: &OffsetFetchRequest,
) -> Result<Vec<(Tp, Option<CommittedOffset>)>> {
    let (found, _) = with_coordinator(
        cluster,
        coordinator,
        group_id,
        COORDINATOR_TRIES * 2,
        backoff,
        |conn| async move {
            let version = conn
                .version_for(ApiKey::OffsetFetch)?
                .min(MAX_OFFSET_FETCH_VERSION);
            let r = conn.send_version(request, version).await?;
            if r.error_code != 0 {
                return Err(Error::kafka(
                    format!("OffsetFetch {group_id}"),
                    r.error_code,
                ));
            }
            let mut found = HashMap::new();
            for t in &r.topics {
                for p in &t.partitions {
                    if p.error_code != 0 {
                        return Err(Error::kafka(
                            format!("OffsetFetch {} [{}]", t.name, p.partition_index),
                            p.error_code,
                        ));
                    }
                    if p.committed_offset < 0 {
                        continue;
                    }
                    let c = CommittedOffset {
                        offset: p.committed_offset,
                        metadata: p.metadata.clone().unwrap_or_default(),
                        leader_epoch: (p.committed_leader_epoch >= 0)
                            .then_some(p.committed_leader_epoch),
                    };
                    found.insert((t.name.as_str(), p.partition_index), c);
                }
            }
            Ok(tps
                .iter()
                .map(|tp| (tp.clone(), found.get(&(&*tp.0, tp.1)).cloned()))
                .collect())
        },
    )
    .await?;
    Ok(found)
}

/// Runs `attempt` on a connection to `group_id`'s coordinator, up to
/// `tries` times: finds the coordinator when it is not known, and finds
/// it again (after `backoff`) when the attempt fails because it moved or
/// is briefly away. Any other error ends it. Returns the answer and the
/// coordinator that gave it.
async fn with_coordinator<T, F, Fut>(
    cluster: &Cluster,
    mut coordinator: Option<i32>,
    group_id: &str,
    tries: usize,
    backoff: Duration,
    mut attempt: F,
) -> Result<(T, i32)>
where
    F: FnMut(Connection) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    // Off the fetch connections: a broker answers one request at a time
    // per connection, and holds a fetch up to fetch.wait.max.ms.
    let cluster = &cluster.coordinator_lane();
    let mut last = None;
    for _ in 0..tries {
        let node = match coordinator {
            Some(n) => n,
            None => match find_coordinator(cluster, group_id).await {
                Ok(n) => n,
                Err(e) if is_coordinator_error(&e) => {
                    last = Some(e);
                    tokio::time::sleep(backoff).await;
                    continue;
                }
                Err(e) => return Err(e),
            },
        };
        let result = async {
            let conn = cluster.broker(node).await?;
            let r = attempt(conn.clone()).await;
            if let Err(e) = &r {
                // Drops a broken or timed-out connection; errors the
                // broker answered with leave it be.
                cluster.connection_failed(&conn, e);
            }
            r
        }
        .await;
        match result {
            Ok(v) => return Ok((v, node)),
            Err(e) if is_coordinator_error(&e) => {
                debug!(group_id, error = %e, "coordinator moved; finding it again");
                coordinator = None;
                last = Some(e);
                tokio::time::sleep(backoff).await;
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or(Error::Closed))
}

/// The offset of `tp` at `timestamp` ([`EARLIEST`] or [`LATEST`]) from its
/// leader. Errors carry the partition's Kafka code.
pub(crate) async fn list_offset(
    cluster: &Cluster,
    tp: &Tp,
    timestamp: i64,
    read_committed: bool,
) -> Result<i64> {
    let topic = cluster.topic(&tp.0).await?;
    if topic.error != ErrorCode::None {
        return Err(Error::kafka(
            format!("Metadata for {}", tp.0),
            topic.error.code(),
        ));
    }
    let (leader, leader_epoch) = cluster.metadata().leader(&tp.0, tp.1).ok_or_else(|| {
        Error::kafka(
            format!("ListOffsets {} [{}]", tp.0, tp.1),
            ErrorCode::LeaderNotAvailable.code(),
        )
    })?;
    let request = ListOffsetsRequest {
        replica_id: -1,
        isolation_level: i8::from(read_committed),
        topics: vec![ListOffsetsTopic {
            name: tp.0.to_string(),
            partitions: vec![ListOffsetsPartition {
                partition_index: tp.1,
                current_leader_epoch: leader_epoch,
                timestamp,
                ..Default::default()
            }],
            ..Default::default()
        }],
        timeout_ms: 30_000,
        ..Default::default()
    };
    let r = cluster.send_to(leader, &request).await?;
    let p = r
        .topics
        .iter()
        .flat_map(|t| t.partitions.iter())
        .find(|p| p.partition_index == tp.1)
        .ok_or_else(|| {
            Error::kafka(
                format!("ListOffsets {} [{}]", tp.0, tp.1),
                ErrorCode::UnknownTopicOrPartition.code(),
            )
        })?;
    if p.error_code != 0 {
        return Err(Error::kafka(
            format!("ListOffsets {} [{}]", tp.0, tp.1),
            p.error_code,
        ));
    }
    Ok(p.offset)
}
