//! The fetcher: one Fetch request at a time per leader broker, built from
//! the partitions the engine says are ready, and the response turned into
//! per-partition outcomes off the engine's task (decoding and
//! decompression run here, in parallel across brokers).
//!
//! Requests use Fetch v12 at most: later versions name topics by id only,
//! and v12 is what every Kafka since 2.8 serves. Each broker has an
//! incremental fetch session (KIP-227, see `session`): after the first
//! full fetch, a request lists only what changed.

mod read;
mod session;

use std::collections::HashMap;

use ferrokafka_protocol::messages::fetch::{FetchPartition, FetchTopic, ForgottenTopic};
use ferrokafka_protocol::messages::FetchRequest;
use ferrokafka_protocol::records::DecodeOptions;
use ferrokafka_protocol::ApiKey;

pub(crate) use read::{read_partition, PartitionRead, PartitionRecords};
pub(crate) use session::{FetchPlan, FetchSession, SessionOutcome};

use super::Tp;
use crate::cluster::Cluster;
use crate::error::Result;

/// The newest Fetch version this fetcher speaks (see the module docs).
const MAX_FETCH_VERSION: i16 = 12;

/// One partition to fetch.
#[derive(Debug, Clone)]
pub(crate) struct FetchTarget {
    pub(crate) tp: Tp,
    /// The engine's epoch for the partition when the fetch started: an
    /// outcome for an older epoch (seek, pause, rebalance) is dropped.
    pub(crate) epoch: u64,
    pub(crate) offset: i64,
    pub(crate) leader_epoch: i32,
}

/// How big and how patient fetches are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FetchParams {
    pub(crate) max_wait_ms: i32,
    pub(crate) min_bytes: i32,
    pub(crate) max_bytes: i32,
    pub(crate) partition_max_bytes: i32,
    pub(crate) read_committed: bool,
    /// The per-batch decompression cap and the CRC check.
    pub(crate) decode: DecodeOptions,
}

/// What one partition's fetch gave.
#[derive(Debug)]
pub(crate) enum FetchOutcome {
    /// Records (maybe none) and where to go on.
    Read(PartitionRead),
    /// The broker's error code for the partition.
    Error(i16),
    /// The response left the partition out: nothing new in the session,
    /// or `fetch.max.bytes` reached.
    Missing,
}

/// A Fetch response: its top-level error and session id (for the
/// session), and, when the error is 0, one outcome per target in order.
#[derive(Debug)]
pub(crate) struct FetchReply {
    pub(crate) error_code: i16,
    pub(crate) session_id: i32,
    pub(crate) outcomes: Vec<FetchOutcome>,
}

/// Fetches `targets` from broker `node_id`, listing in the request what
/// `plan` says (the partitions the session already holds are fetched all
/// the same).
pub(crate) async fn fetch(
    cluster: &Cluster,
    node_id: i32,
    targets: &[FetchTarget],
    plan: FetchPlan,
    params: FetchParams,
) -> Result<FetchReply> {
    let mut topics: Vec<FetchTopic> = Vec::new();
    for t in plan.include.iter().filter_map(|&i| targets.get(i)) {
        let partition = FetchPartition {
            partition: t.tp.1,
            current_leader_epoch: t.leader_epoch,
            fetch_offset: t.offset,
            partition_max_bytes: params.partition_max_bytes,
            ..Default::default()
        };
        match topics.iter_mut().find(|f| *f.topic == *t.tp.0) {
            Some(f) => f.partitions.push(partition),
            None => topics.push(FetchTopic {
                topic: t.tp.0.to_string(),
                partitions: vec![partition],
                ..Default::default()
            }),
        }
    }
    let mut forgotten_topics_data: Vec<ForgottenTopic> = Vec::new();
    for (topic, partition) in plan.forgotten {
        match forgotten_topics_data
            .iter_mut()
            .find(|f| *f.topic == *topic)
        {
            Some(f) => f.partitions.push(partition),
            None => forgotten_topics_data.push(ForgottenTopic {
                topic: topic.to_string(),
                partitions: vec![partition],
                ..Default::default()
            }),
        }
    }
    let request = FetchRequest {
        max_wait_ms: params.max_wait_ms,
        min_bytes: params.min_bytes,
        max_bytes: params.max_bytes,
        isolation_level: i8::from(params.read_committed),
        session_id: plan.session_id,
        session_epoch: plan.session_epoch,
        topics,
        forgotten_topics_data,
        ..Default::default()
    };
    let conn = cluster.broker(node_id).await?;
    let version = conn.version_for(ApiKey::Fetch)?.min(MAX_FETCH_VERSION);
    let response = match conn.send_version(&request, version).await {
        Ok(r) => r,
        Err(e) => {
            cluster.connection_failed(&conn, &e);
            return Err(e);
        }
    };
    if response.error_code != 0 {
        return Ok(FetchReply {
            error_code: response.error_code,
            session_id: response.session_id,
            outcomes: Vec::new(),
        });
    }
    let mut by_tp = HashMap::new();
    for topic in &response.responses {
        for p in &topic.partitions {
            by_tp.insert((topic.topic.as_str(), p.partition_index), p);
        }
    }
    let options = params.decode;
    let outcomes = targets
        .iter()
        .map(|t| match by_tp.get(&(&*t.tp.0, t.tp.1)) {
            None => FetchOutcome::Missing,
            Some(p) if p.error_code != 0 => FetchOutcome::Error(p.error_code),
            Some(p) => FetchOutcome::Read(read_partition(
                &t.tp.0,
                t.offset,
                p,
                params.read_committed,
                &options,
            )),
        })
        .collect();
    Ok(FetchReply {
        error_code: 0,
        session_id: response.session_id,
        outcomes,
    })
}
