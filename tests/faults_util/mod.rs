//! Shared by the fault-injection tests: configs with short timeouts,
//! records whose values carry their send index, and the checks every
//! scenario makes: each delivered record is in the log exactly once, at
//! the offset its report gave, in send order per partition, and nothing
//! that failed is there. Every wait is bounded.
#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::time::Duration;

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, Message, Offset};
use ferrokafka::producer::{DeliveryResult, Producer, ProducerRecord};
use ferrokafka_mock::MockCluster;

/// The longest any single await of these tests may take.
pub const LIMIT: Duration = Duration::from_secs(20);

/// Awaits `f`, failing the test (not hanging it) after `LIMIT`.
pub async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {LIMIT:?} (hang)"))
}

#[path = "../common/mod.rs"]
pub mod common;
#[allow(unused_imports)] // not every test file names its topics
pub use common::unique;

/// A mock cluster of `brokers` brokers with `topic` of `partitions`
/// partitions (partition `p` led by broker `p % brokers`).
pub async fn mock_with_topic(brokers: usize, topic: &str, partitions: i32) -> MockCluster {
    let cluster = MockCluster::start(brokers).await.expect("mock starts");
    cluster
        .create_topic(topic, partitions, 1)
        .expect("topic created");
    cluster
}

/// A producer config for `bootstrap` with quick retries and timeouts:
/// faults resolve in milliseconds, not in the defaults' seconds.
pub fn producer_config(bootstrap: &str, extra: &[(&str, &str)]) -> ClientConfig {
    let mut props = vec![
        ("bootstrap.servers", bootstrap),
        ("linger.ms", "2"),
        ("retry.backoff.ms", "20"),
        ("reconnect.backoff.ms", "20"),
        ("reconnect.backoff.max.ms", "200"),
        ("request.timeout.ms", "3000"),
        ("socket.connection.setup.timeout.ms", "1000"),
        ("message.timeout.ms", "15000"),
    ];
    props.extend_from_slice(extra);
    ClientConfig::from_properties(props).expect("valid producer config")
}

/// A consumer config for `bootstrap` (in group `group`, if any) with
/// short group timers and fetch waits.
pub fn consumer_config(
    bootstrap: &str,
    group: Option<&str>,
    extra: &[(&str, &str)],
) -> ClientConfig {
    let mut props = vec![
        ("bootstrap.servers", bootstrap),
        ("auto.offset.reset", "earliest"),
        ("enable.partition.eof", "true"),
        ("session.timeout.ms", "6000"),
        ("heartbeat.interval.ms", "100"),
        ("max.poll.interval.ms", "10000"),
        ("auto.commit.interval.ms", "100"),
        ("fetch.wait.max.ms", "50"),
        ("retry.backoff.ms", "20"),
        ("reconnect.backoff.ms", "20"),
        ("reconnect.backoff.max.ms", "200"),
        ("request.timeout.ms", "3000"),
        ("socket.connection.setup.timeout.ms", "1000"),
    ];
    if let Some(g) = group {
        props.push(("group.id", g));
    }
    props.extend_from_slice(extra);
    ClientConfig::from_properties(props).expect("valid consumer config")
}

/// Record `i` of a test: key `k{i % 7}`, value `v{i}`, to `partition`
/// when given.
pub fn record(topic: &str, i: usize, partition: Option<i32>) -> ProducerRecord {
    let r = ProducerRecord::new(topic)
        .key(format!("k{}", i % 7))
        .value(format!("v{i}"));
    match partition {
        Some(p) => r.partition(p),
        None => r,
    }
}

/// The send index a value `v{i}` carries.
pub fn index_of(m: &Message) -> usize {
    let v = std::str::from_utf8(m.value().unwrap_or_default()).expect("utf-8 value");
    v.strip_prefix('v')
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("unexpected value {v:?}"))
}

/// A record's fate: its send index and report.
pub type Outcome = (usize, DeliveryResult);

/// Sends records `range` (to `partition_of(i)`) and awaits every report.
pub async fn send_range(
    producer: &Producer,
    topic: &str,
    range: std::ops::Range<usize>,
    partition_of: impl Fn(usize) -> Option<i32>,
) -> Vec<Outcome> {
    let mut futures = Vec::with_capacity(range.len());
    for i in range {
        let f = within("send", producer.send(record(topic, i, partition_of(i))))
            .await
            .unwrap_or_else(|e| panic!("record {i} not queued: {e}"));
        futures.push((i, f));
    }
    let mut out = Vec::with_capacity(futures.len());
    for (i, f) in futures {
        out.push((i, within("delivery report", f).await));
    }
    out
}

/// Sends `waves` waves of `per_wave` records each (indexes from
/// `start`), each wave awaited before the next, so faults meet a stream of
/// requests rather than one.
pub async fn send_waves(
    producer: &Producer,
    topic: &str,
    start: usize,
    waves: usize,
    per_wave: usize,
    partition_of: impl Fn(usize) -> Option<i32> + Copy,
) -> Vec<Outcome> {
    let mut out = Vec::new();
    for w in 0..waves {
        let from = start + w * per_wave;
        let sent = send_range(producer, topic, from..from + per_wave, partition_of);
        out.extend(sent.await);
    }
    out
}

/// Every record of `topic`'s partitions from the start to each one's end
/// (the mock's high watermark), read with a fresh consumer (no group).
pub async fn read_back(cluster: &MockCluster, topic: &str, partitions: i32) -> Vec<Message> {
    let ends: Vec<i64> = (0..partitions)
        .map(|p| cluster.offsets(topic, p).expect("partition").1)
        .collect();
    read_to(&cluster.bootstrap_servers(), topic, &ends).await
}

/// Every record of `topic` from the start of each partition to `ends[p]`,
/// read with an assigned consumer until each partition's EOF event.
pub async fn read_to(bootstrap: &str, topic: &str, ends: &[i64]) -> Vec<Message> {
    let mut consumer = Consumer::new(consumer_config(bootstrap, None, &[])).expect("consumer");
    let parts: Vec<(&str, i32, Offset)> = (0..ends.len() as i32)
        .map(|p| (topic, p, Offset::Beginning))
        .collect();
    consumer.assign(&parts).expect("assign");
    let mut done: HashSet<i32> = HashSet::new();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + LIMIT;
    while done.len() < ends.len() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "reading {topic} back: only {} records and {done:?} at their end within {LIMIT:?}",
            out.len()
        );
        match consumer.poll(Duration::from_millis(200)).await {
            None => {}
            Some(Ok(m)) => out.push(m),
            Some(Err(ferrokafka::consumer::ConsumerError::PartitionEof {
                partition,
                offset,
                ..
            })) if offset >= ends[partition as usize] => {
                done.insert(partition);
            }
            Some(Err(e)) if e.is_partition_eof() => {}
            Some(Err(e)) => panic!("reading {topic} back: {e}"),
        }
    }
    within("consumer close", consumer.close())
        .await
        .expect("consumer closes");
    out
}

/// The checks every produce scenario makes: each delivered record is in
/// `log` exactly once, at its reported partition and offset; no failed
/// record is in it; the log holds nothing else; and per partition the
/// records are in send order. Returns how many were delivered.
pub fn assert_exactly_once(outcomes: &[Outcome], log: &[Message]) -> usize {
    let mut seen: BTreeMap<usize, (i32, i64)> = BTreeMap::new();
    for m in log {
        let i = index_of(m);
        if let Some(first) = seen.insert(i, (m.partition(), m.offset())) {
            panic!(
                "record {i} is in the log twice: {first:?} and ({}, {})",
                m.partition(),
                m.offset()
            );
        }
    }
    let mut delivered = 0;
    for (i, result) in outcomes {
        match result {
            Ok(d) => {
                delivered += 1;
                let at = seen
                    .remove(i)
                    .unwrap_or_else(|| panic!("record {i} reported delivered is not in the log"));
                assert_eq!(at.0, d.partition, "record {i}: partition");
                if d.offset >= 0 {
                    assert_eq!(at.1, d.offset, "record {i}: reported offset");
                }
            }
            Err(e) => assert!(
                !seen.contains_key(i),
                "record {i} failed ({e}) but is in the log"
            ),
        }
    }
    assert!(
        seen.is_empty(),
        "records in the log that were never reported delivered: {:?}",
        seen.keys().collect::<Vec<_>>()
    );
    assert_send_order(log);
    delivered
}

/// Per partition, the offsets are contiguous-increasing and the send
/// indexes increase with them.
pub fn assert_send_order(log: &[Message]) {
    let mut by_partition: BTreeMap<i32, Vec<(i64, usize)>> = BTreeMap::new();
    for m in log {
        by_partition
            .entry(m.partition())
            .or_default()
            .push((m.offset(), index_of(m)));
    }
    for (p, mut rows) in by_partition {
        rows.sort();
        for w in rows.windows(2) {
            assert!(
                w[0].1 < w[1].1,
                "partition {p}: record {} (offset {}) before record {} (offset {}): order broken",
                w[0].1,
                w[0].0,
                w[1].1,
                w[1].0
            );
        }
    }
}

/// Every outcome delivered; panics with the first failure.
pub fn assert_all_delivered(outcomes: &[Outcome]) {
    for (i, r) in outcomes {
        if let Err(e) = r {
            panic!("record {i} failed: {e}");
        }
    }
}

/// How many requests of `api` the mock received.
pub fn count(cluster: &MockCluster, api: ferrokafka::protocol::ApiKey) -> usize {
    cluster
        .requests()
        .iter()
        .filter(|r| r.api_key == api)
        .count()
}

/// How many Produce batches the mock received more than once (the same
/// partition, producer epoch and first sequence): proof that a fault made
/// the producer send a batch again.
pub fn resent_batches(cluster: &MockCluster) -> usize {
    use ferrokafka::protocol::messages::RequestBody;
    use ferrokafka::protocol::records::{decode_batches, DecodeOptions};
    let mut seen: HashSet<(String, i32, i16, i32)> = HashSet::new();
    let mut resent = 0;
    for r in cluster.requests() {
        let Some(RequestBody::Produce(req)) = r.body else {
            continue;
        };
        for t in &req.topic_data {
            for p in &t.partition_data {
                let Some(records) = p.records.clone() else {
                    continue;
                };
                let batches = decode_batches(records, &DecodeOptions::default())
                    .expect("the producer's batches decode");
                for b in batches.batches {
                    let key = (t.name.clone(), p.index, b.producer_epoch, b.base_sequence);
                    if !seen.insert(key) {
                        resent += 1;
                    }
                }
            }
        }
    }
    resent
}
