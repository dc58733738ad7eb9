//! Statistics in librdkafka's JSON shape (`statistics.interval.ms`).
//!
//! A [`Statistics`] value is what librdkafka's `stats_cb` receives, as a
//! typed value: [`Statistics::to_json`] writes the JSON object librdkafka
//! documents in its `STATISTICS.md`, with the same field names and
//! nesting (`brokers`, `topics` with their `partitions`, `cgrp`, `eos`),
//! so dashboards and exporters built for librdkafka read it unchanged.
//! Only the fields this client can fill truthfully are present; the rest
//! of librdkafka's fields are left out rather than written as zeroes.
//! Offsets not known are `-1001` (librdkafka's `RD_KAFKA_OFFSET_INVALID`),
//! a consumer lag not known is `-1`, as librdkafka writes them.
//!
//! How to get them:
//! - set `statistics.interval.ms` (or
//!   [`ClientConfig::statistics_interval`](crate::config::ClientConfig::statistics_interval))
//!   and a callback with
//!   [`ClientConfig::statistics_callback`](crate::config::ClientConfig::statistics_callback):
//!   a producer calls it from a task of its own every interval; a
//!   consumer calls it from [`Consumer::poll`](crate::consumer::Consumer::poll)
//!   (and its `Stream`), as librdkafka serves `stats_cb` from the
//!   consumer's poll;
//! - or ask at any time: `Producer::statistics` and
//!   `Consumer::statistics`.
//!
//! Counters (`tx`, `txmsgs`, ...) only grow; gauges (`outbuf_cnt`,
//! `msgq_cnt`, ...) are the value at the time; the `rtt` window covers
//! the requests answered since the previous interval's statistics.

mod window;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub(crate) use window::Window;

/// librdkafka's value for an offset that is not known.
pub const OFFSET_INVALID: i64 = -1001;

/// What the application gives to receive statistics: called with each
/// interval's [`Statistics`]. Keep it short (hand the value to a channel
/// or a metrics exporter): a consumer calls it from `poll`, a producer
/// from its statistics task.
#[derive(Clone)]
pub struct StatisticsCallback(Arc<dyn Fn(&Statistics) + Send + Sync>);

impl StatisticsCallback {
    /// Wraps `f`.
    pub fn new(f: impl Fn(&Statistics) + Send + Sync + 'static) -> Self {
        StatisticsCallback(Arc::new(f))
    }

    /// Calls it.
    pub(crate) fn call(&self, stats: &Statistics) {
        (self.0)(stats)
    }
}

impl std::fmt::Debug for StatisticsCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatisticsCallback")
    }
}

impl PartialEq for StatisticsCallback {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// One snapshot of a client's statistics (librdkafka's top level).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Statistics {
    /// The client's name: `client.id` and its kind, as `ferrokafka#producer-1`.
    pub name: String,
    /// The configured `client.id`.
    pub client_id: String,
    /// `"producer"` or `"consumer"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A monotonic clock, in microseconds (since the client was made).
    pub ts: i64,
    /// Wall clock time, seconds since the Unix epoch.
    pub time: i64,
    /// Delivery reports waiting for the application's `poll` (producer).
    pub replyq: i64,
    /// Records in the producer's queues (accepted, not yet delivered).
    pub msg_cnt: i64,
    /// Their bytes.
    pub msg_size: i64,
    /// `queue.buffering.max.messages`.
    pub msg_max: i64,
    /// `queue.buffering.max.kbytes`, in bytes.
    pub msg_size_max: i64,
    /// Requests sent to brokers, all brokers together.
    pub tx: i64,
    /// Bytes sent to brokers.
    pub txbytes: i64,
    /// Responses received from brokers.
    pub rx: i64,
    /// Bytes received from brokers.
    pub rxbytes: i64,
    /// Records produced (acknowledged by the broker).
    pub txmsgs: i64,
    /// Their bytes (record batch bytes).
    pub txmsg_bytes: i64,
    /// Records fetched.
    pub rxmsgs: i64,
    /// Their bytes (record batch bytes).
    pub rxmsg_bytes: i64,
    /// Topics in the metadata cache.
    pub metadata_cache_cnt: i64,
    /// Per broker, keyed by `host:port/id`.
    pub brokers: BTreeMap<String, BrokerStatistics>,
    /// Per topic, keyed by name.
    pub topics: BTreeMap<String, TopicStatistics>,
    /// The consumer group (a consumer with `group.id`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cgrp: Option<GroupStatistics>,
    /// Idempotence and transactions (a producer).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub eos: Option<EosStatistics>,
}

impl Statistics {
    /// The JSON object librdkafka's `stats_cb` receives.
    pub fn to_json(&self) -> String {
        // Only strings, integers, booleans and maps with string keys: this
        // cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Fills the totals (`tx`, `rxbytes`, `txmsgs`, ...) from the brokers
    /// and partitions.
    pub(crate) fn sum_up(&mut self) {
        let b = self.brokers.values();
        self.tx = b.clone().map(|b| b.tx).sum();
        self.txbytes = b.clone().map(|b| b.txbytes).sum();
        self.rx = b.clone().map(|b| b.rx).sum();
        self.rxbytes = b.map(|b| b.rxbytes).sum();
        let parts = || self.topics.values().flat_map(|t| t.partitions.values());
        self.txmsgs = parts().map(|p| p.txmsgs).sum();
        self.txmsg_bytes = parts().map(|p| p.txbytes).sum();
        self.rxmsgs = parts().map(|p| p.rxmsgs).sum();
        self.rxmsg_bytes = parts().map(|p| p.rxbytes).sum();
    }

    /// The partition's entry, made (with unknown offsets) if missing.
    pub(crate) fn partition(&mut self, topic: &str, partition: i32) -> &mut PartitionStatistics {
        let t = self
            .topics
            .entry(topic.to_owned())
            .or_insert_with(|| TopicStatistics {
                topic: topic.to_owned(),
                partitions: BTreeMap::new(),
            });
        t.partitions
            .entry(partition.to_string())
            .or_insert_with(|| PartitionStatistics::new(partition))
    }
}

/// One broker (librdkafka's `brokers.*`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BrokerStatistics {
    /// `host:port/id` (`/bootstrap` before the id is known).
    pub name: String,
    /// The broker id, -1 for a bootstrap address.
    pub nodeid: i32,
    /// `host:port`.
    pub nodename: String,
    /// `"learned"` (from metadata) or `"configured"` (bootstrap).
    pub source: String,
    /// `INIT` (never connected), `CONNECT`, `UP`, `DOWN`.
    pub state: String,
    /// Requests waiting to be written to the socket.
    pub outbuf_cnt: i64,
    /// Requests written, waiting for their response.
    pub waitresp_cnt: i64,
    /// Requests sent.
    pub tx: i64,
    /// Bytes sent.
    pub txbytes: i64,
    /// Failed writes.
    pub txerrs: i64,
    /// Requests that timed out.
    pub req_timeouts: i64,
    /// Responses received.
    pub rx: i64,
    /// Bytes received.
    pub rxbytes: i64,
    /// Failed reads (the connection broke while reading).
    pub rxerrs: i64,
    /// Responses nobody waited for (their request had timed out).
    pub rxcorriderrs: i64,
    /// Connection attempts, successful or not.
    pub connects: i64,
    /// Connections that ended (closed by the broker, the network, or us
    /// after a failure).
    pub disconnects: i64,
    /// Requests sent per API, keyed by its name (`Produce`, `Fetch`, ...).
    pub req: BTreeMap<String, i64>,
    /// Round-trip time in microseconds, over the last window.
    pub rtt: WindowStatistics,
    /// The partitions this client works with led by this broker, keyed
    /// `topic-partition`.
    pub toppars: BTreeMap<String, TopparStatistics>,
}

/// A partition under its leader (librdkafka's `brokers.*.toppars.*`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TopparStatistics {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
}

/// A rolling window of samples (librdkafka's "window stats"): reset at
/// each interval's statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowStatistics {
    /// Smallest value.
    pub min: i64,
    /// Largest value.
    pub max: i64,
    /// Mean.
    pub avg: i64,
    /// Sum of the values.
    pub sum: i64,
    /// Number of values.
    pub cnt: i64,
    /// Standard deviation.
    pub stddev: i64,
    /// Memory taken by the histogram, in bytes.
    pub hdrsize: i64,
    /// 50th percentile (each percentile is its histogram bucket's upper
    /// bound: within 1/8 of the value above 16).
    pub p50: i64,
    /// 75th percentile.
    pub p75: i64,
    /// 90th percentile.
    pub p90: i64,
    /// 95th percentile.
    pub p95: i64,
    /// 99th percentile.
    pub p99: i64,
    /// 99.99th percentile.
    pub p99_99: i64,
    /// Values beyond the histogram's range (counted in min, max, avg,
    /// not in the percentiles).
    pub outofrange: i64,
}

/// One topic (librdkafka's `topics.*`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TopicStatistics {
    /// The topic.
    pub topic: String,
    /// Its partitions, keyed by id.
    pub partitions: BTreeMap<String, PartitionStatistics>,
}

/// One partition (librdkafka's `topics.*.partitions.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionStatistics {
    /// The partition id.
    pub partition: i32,
    /// Its leader's broker id, -1 when not known.
    pub leader: i32,
    /// Assigned to (consumer) or written by (producer) this client.
    pub desired: bool,
    /// Not in the topic's metadata.
    pub unknown: bool,
    /// Records waiting to be sent (producer).
    pub msgq_cnt: i64,
    /// Their bytes.
    pub msgq_bytes: i64,
    /// Records fetched and not yet handed to the application (consumer;
    /// counted per batch, so a batch being handed out counts whole).
    pub fetchq_cnt: i64,
    /// Their wire bytes.
    pub fetchq_size: i64,
    /// `none`, `offset-query` (finding where to start), `active`,
    /// `stopped` (an unreadable batch).
    pub fetch_state: String,
    /// The next offset to fetch.
    pub next_offset: i64,
    /// The offset after the last message handed to the application.
    pub app_offset: i64,
    /// The offset to be committed.
    pub stored_offset: i64,
    /// The last offset committed (as this client knows it).
    pub committed_offset: i64,
    /// The log start offset, from the last fetch.
    pub lo_offset: i64,
    /// The high watermark, from the last fetch.
    pub hi_offset: i64,
    /// `hi_offset - max(app_offset, committed_offset)`, -1 when not known.
    pub consumer_lag: i64,
    /// Records produced (acknowledged).
    pub txmsgs: i64,
    /// Their record batch bytes.
    pub txbytes: i64,
    /// Records fetched.
    pub rxmsgs: i64,
    /// Their record batch bytes.
    pub rxbytes: i64,
    /// Records handed to the producer and delivered or still queued
    /// (`txmsgs` plus `msgq_cnt`), or records fetched (consumer, as
    /// `rxmsgs`).
    pub msgs: i64,
}

impl PartitionStatistics {
    /// Partition `partition` with nothing known yet.
    pub fn new(partition: i32) -> Self {
        Self {
            partition,
            leader: -1,
            desired: false,
            unknown: false,
            msgq_cnt: 0,
            msgq_bytes: 0,
            fetchq_cnt: 0,
            fetchq_size: 0,
            fetch_state: "none".into(),
            next_offset: OFFSET_INVALID,
            app_offset: OFFSET_INVALID,
            stored_offset: OFFSET_INVALID,
            committed_offset: OFFSET_INVALID,
            lo_offset: OFFSET_INVALID,
            hi_offset: OFFSET_INVALID,
            consumer_lag: -1,
            txmsgs: 0,
            txbytes: 0,
            rxmsgs: 0,
            rxbytes: 0,
            msgs: 0,
        }
    }

    /// Sets `consumer_lag` from the offsets, as librdkafka computes it.
    pub(crate) fn compute_lag(&mut self) {
        let read = self.app_offset.max(self.committed_offset);
        self.consumer_lag = if self.hi_offset >= 0 && read >= 0 {
            (self.hi_offset - read).max(0)
        } else {
            -1
        };
    }
}

/// The consumer group (librdkafka's `cgrp`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupStatistics {
    /// `init` (no coordinator yet), `up` (a member of the group).
    pub state: String,
    /// `init`, `wait-join`, `wait-sync`, `steady` (assigned), `terminated`.
    pub joinstate: String,
    /// Rebalances (assignments and revocations) so far.
    pub rebalance_cnt: i64,
    /// Partitions currently assigned.
    pub assignment_size: i64,
}

/// Idempotence and transactions (librdkafka's `eos`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EosStatistics {
    /// `Init` (idempotence off), `RequestPID` (waiting for a producer id),
    /// `Assigned`, `WaitBump` (an epoch bump pending), `FatalError`.
    pub idemp_state: String,
    /// The transaction state (librdkafka's names: `Init`, `WaitPID`,
    /// `Ready`, `InTransaction`, `BeginCommit`, `BeginAbort`,
    /// `AbortableError`, `FatalError`), `Init` without `transactional.id`.
    pub txn_state: String,
    /// The producer id, -1 when none.
    pub producer_id: i64,
    /// The producer epoch, -1 when none.
    pub producer_epoch: i64,
    /// Producer ids and epochs assigned so far.
    pub epoch_cnt: i64,
}

/// Numbers statistics names after: `ferrokafka#producer-1`, `-2`, ...
pub(crate) fn next_name(client_id: &str, kind: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{client_id}#{kind}-{n}")
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_time() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests;
