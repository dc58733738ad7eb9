//! Helpers for `group.protocol=consumer` flows on the mock cluster: a
//! mock running KIP-848 with fast heartbeats, member configs, producing
//! over partitions, committed offsets; the members and their log are in
//! `members.rs` (shared with the flows against Kafka).

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::Consumer;
use ferrokafka::producer::Producer;
use ferrokafka_mock::MockCluster;

#[path = "../faults_util/mod.rs"]
mod faults_util;
pub use faults_util::{unique, within};

mod members;
pub use members::*;

/// The mock's consumer protocol heartbeat interval in these tests.
pub const HEARTBEAT: Duration = Duration::from_millis(100);
/// The mock's consumer protocol session timeout in these tests.
pub const SESSION: Duration = Duration::from_millis(1500);

/// A mock cluster of `brokers` running KIP-848 with fast heartbeats, and
/// `topic` with `partitions` partitions.
pub async fn kip848_mock(brokers: usize, topic: &str, partitions: i32) -> MockCluster {
    let cluster = MockCluster::start(brokers).await.expect("mock starts");
    cluster.set_consumer_group_timeouts(HEARTBEAT, SESSION);
    cluster
        .create_topic(topic, partitions, brokers as i16)
        .expect("topic");
    cluster
}

/// A `group.protocol=consumer` member's config: the session timeout and
/// heartbeat interval are the broker's.
pub fn config(cluster: &MockCluster, group: &str, extra: &[(&str, &str)]) -> ClientConfig {
    let bootstrap = cluster.bootstrap_servers();
    let mut props = vec![
        ("bootstrap.servers", bootstrap.as_str()),
        ("group.id", group),
        ("group.protocol", "consumer"),
        ("auto.offset.reset", "earliest"),
        ("max.poll.interval.ms", "10000"),
        ("auto.commit.interval.ms", "100"),
        ("fetch.wait.max.ms", "50"),
        ("retry.backoff.ms", "20"),
        ("reconnect.backoff.ms", "20"),
        ("reconnect.backoff.max.ms", "200"),
        ("request.timeout.ms", "3000"),
        ("socket.connection.setup.timeout.ms", "1000"),
    ];
    props.extend_from_slice(extra);
    ClientConfig::from_properties(props).expect("valid consumer config")
}

/// Produces records `range` (each value its index) spread round-robin
/// over `partitions` partitions.
pub async fn produce(
    cluster: &MockCluster,
    topic: &str,
    partitions: i32,
    range: std::ops::Range<usize>,
) {
    let producer = Producer::new(faults_util::producer_config(
        &cluster.bootstrap_servers(),
        &[],
    ))
    .expect("producer");
    let outcomes = faults_util::send_range(&producer, topic, range, |i| {
        Some((i % partitions as usize) as i32)
    })
    .await;
    faults_util::assert_all_delivered(&outcomes);
    within("producer close", producer.close(Duration::from_secs(5))).await;
}

/// The group's committed offsets of `topic`'s partitions, read by a
/// group-less consumer.
pub async fn committed(
    cluster: &MockCluster,
    group: &str,
    topic: &str,
    partitions: i32,
) -> Vec<Option<i64>> {
    let checker = Consumer::new(config(cluster, group, &[])).expect("consumer");
    let tps: Vec<(&str, i32)> = (0..partitions).map(|p| (topic, p)).collect();
    checker
        .committed(&tps, Duration::from_secs(5))
        .await
        .expect("committed")
        .into_iter()
        .map(|(_, o)| o)
        .collect()
}
