//! Helpers for `group.protocol=consumer` flows on the mock cluster:
//! members on their own tasks reporting records and rebalance events, a
//! log of what they saw, and producing over partitions.

#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::{Duration, Instant};

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, ConsumerError, Rebalance};
use ferrokafka::producer::Producer;
use ferrokafka_mock::MockCluster;
use tokio::sync::{mpsc, oneshot};

#[path = "../faults_util/mod.rs"]
mod faults_util;
pub use faults_util::{unique, within};

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

/// What a member saw.
#[derive(Debug)]
pub enum Seen {
    Record(usize, i32, i64),
    Change(usize, Rebalance),
    Failed(usize, ConsumerError),
}

/// Runs consumer `c` as member `n` on its own task until told to stop
/// (then closes it, asserting close succeeds) or it fails for good.
pub fn run(
    n: usize,
    mut c: Consumer,
    topics: &[&str],
    tx: mpsc::UnboundedSender<Seen>,
) -> oneshot::Sender<()> {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let changes = tx.clone();
    c.set_rebalance_listener(move |change| {
        let _ = changes.send(Seen::Change(n, change.clone()));
    });
    c.subscribe(topics).expect("subscribes");
    tokio::spawn(async move {
        loop {
            if stopped.try_recv().is_ok() {
                within("close", c.close()).await.expect("closes");
                return;
            }
            match c.poll(Duration::from_millis(50)).await {
                Some(Ok(m)) => {
                    let _ = tx.send(Seen::Record(n, m.partition(), m.offset()));
                }
                Some(Err(e)) if e.is_partition_eof() => {}
                Some(Err(e)) if e.is_retriable() => {}
                Some(Err(e)) => {
                    let _ = tx.send(Seen::Failed(n, e));
                    return;
                }
                None => {}
            }
        }
    });
    stop
}

/// Everything the members reported, in order.
#[derive(Debug, Default)]
pub struct Log {
    pub records: Vec<(usize, i32, i64)>,
    pub changes: Vec<(usize, Rebalance)>,
    pub owned: BTreeMap<usize, BTreeSet<i32>>,
    pub failures: Vec<(usize, ConsumerError)>,
}

impl Log {
    pub fn take(&mut self, seen: Seen) {
        match seen {
            Seen::Record(n, p, o) => self.records.push((n, p, o)),
            Seen::Failed(n, e) => self.failures.push((n, e)),
            Seen::Change(n, change) => {
                let owned = self.owned.entry(n).or_default();
                match &change {
                    Rebalance::Assigned(tps) => owned.extend(tps.iter().map(|tp| tp.partition)),
                    Rebalance::Revoked(tps) | Rebalance::Lost(tps) => {
                        for tp in tps {
                            owned.remove(&tp.partition);
                        }
                    }
                }
                self.changes.push((n, change));
            }
        }
    }

    /// Each member's partition count, members owning nothing left out.
    pub fn loads(&self) -> Vec<usize> {
        self.owned
            .values()
            .map(BTreeSet::len)
            .filter(|n| *n > 0)
            .collect()
    }

    /// Records read, each (partition, offset) once.
    pub fn distinct(&self) -> usize {
        self.records
            .iter()
            .map(|(_, p, o)| (*p, *o))
            .collect::<HashSet<_>>()
            .len()
    }

    /// Takes reports until `done`, failing after `within`.
    pub async fn until(
        &mut self,
        rx: &mut mpsc::UnboundedReceiver<Seen>,
        within: Duration,
        what: &str,
        done: impl Fn(&Log) -> bool,
    ) {
        let deadline = Instant::now() + within;
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "{what}: never happened; owned {:?}, changes {:?}, failures {:?}",
                self.owned,
                self.changes,
                self.failures
            );
            if let Ok(Some(s)) = tokio::time::timeout(Duration::from_millis(50), rx.recv()).await {
                self.take(s);
            }
        }
    }

    /// Takes what arrives for `quiet`.
    pub async fn settle(&mut self, rx: &mut mpsc::UnboundedReceiver<Seen>, quiet: Duration) {
        let end = tokio::time::Instant::now() + quiet;
        while let Ok(Some(s)) = tokio::time::timeout_at(end, rx.recv()).await {
            self.take(s);
        }
    }
}

/// Whether `loads` is `members` members sharing `partitions` evenly.
pub fn balanced(loads: &[usize], members: usize, partitions: usize) -> bool {
    loads.len() == members
        && loads.iter().sum::<usize>() == partitions
        && loads.iter().max().unwrap_or(&0) - loads.iter().min().unwrap_or(&0) <= 1
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
