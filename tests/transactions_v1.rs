//! Transactions version 1 against real Kafka: the three-node cluster's
//! finalized `transaction.version` is downgraded to 1 for this binary's
//! one test (restored to 2 by a guard, even when the test fails), so the
//! producer must add each partition with AddPartitionsToTxn before its
//! first batch, use Produce v11 and EndTxn v4, and keep its epoch across
//! transactions. Checked: commit and abort as kcat (librdkafka) reads
//! them with read_committed and read_uncommitted, the epochs in the log
//! as Kafka's DumpLogSegments prints them, and zombie fencing.
//!
//! The cluster is shared with the other tests: cargo runs test binaries
//! one after another, and this one holds a single test, so nothing else
//! runs while the feature is lowered.

mod consumer_util;

use std::time::Duration;

use consumer_util::{cluster_bootstrap, kafka_tool, unique};
use ferrokafka::admin::{Admin, NewTopic};
use ferrokafka::config::ClientConfig;
use ferrokafka::net::{Connection, ConnectionConfig};
use ferrokafka::producer::{Producer, ProducerRecord};

const T: Duration = Duration::from_secs(30);
const FEATURES: &str = "org.apache.kafka.tools.FeatureCommand";

/// The cluster's `transaction.version`, lowered to 1 while it lives.
struct Version1;

impl Version1 {
    async fn lower() -> Version1 {
        let bootstrap = cluster_bootstrap().join(",");
        let args = ["--bootstrap-server", &bootstrap, "downgrade", "--feature"];
        kafka_tool(FEATURES, &[&args[..], &["transaction.version=1"]].concat()).await;
        let guard = Version1;
        // Each broker learns the new level from the metadata log.
        for address in cluster_bootstrap() {
            let mut level = -1;
            for _ in 0..60 {
                let config = ConnectionConfig::default();
                if let Ok(c) = Connection::connect(&address, config).await {
                    level = c.versions().transaction_version();
                    if level == 1 {
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            assert_eq!(
                level, 1,
                "{address} still reports transaction.version {level}"
            );
        }
        guard
    }
}

impl Drop for Version1 {
    fn drop(&mut self) {
        let bootstrap = cluster_bootstrap().join(",");
        let classpath = std::env::var("FERROKAFKA_KAFKA_CLASSPATH").unwrap_or_default();
        let status = std::process::Command::new("java")
            .args(["-Xms64m", "-Xmx256m", "-cp", &classpath, FEATURES])
            .args(["--bootstrap-server", &bootstrap, "upgrade", "--feature"])
            .arg("transaction.version=2")
            .status();
        let restored = matches!(status, Ok(s) if s.success());
        if !restored && !std::thread::panicking() {
            panic!("transaction.version could not be restored to 2: {status:?}");
        }
    }
}

fn producer(transactional_id: &str) -> Producer {
    let config = ClientConfig::new()
        .bootstrap_servers(cluster_bootstrap())
        .set("transactional.id", transactional_id)
        .and_then(|c| c.set("linger.ms", "1"))
        .expect("valid");
    Producer::new(config).expect("producer")
}

async fn create(topic: &str, partitions: i32) {
    let admin =
        Admin::new(ClientConfig::new().bootstrap_servers(cluster_bootstrap())).expect("admin");
    admin
        .create_topic(NewTopic::new(topic, partitions, 3))
        .await
        .unwrap_or_else(|e| panic!("creating {topic}: {e}"));
}

/// Sends `values` round-robin over partitions 0 and 1 and waits for each
/// report.
async fn send(p: &Producer, topic: &str, values: &[String]) {
    let mut pending = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let record = ProducerRecord::new(topic)
            .partition((i % 2) as i32)
            .value(v.clone());
        pending.push(p.send(record).await.expect("queued"));
    }
    for d in pending {
        d.await.expect("delivered");
    }
}

fn values(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// Values of `topic` as kcat reads them at `isolation`, sorted.
fn kcat_values(topic: &str, isolation: &str) -> Vec<String> {
    let out = std::process::Command::new("kcat")
        .args([
            "-C",
            "-b",
            &cluster_bootstrap().join(","),
            "-t",
            topic,
            "-e",
            "-q",
        ])
        .args(["-o", "beginning", "-X"])
        .arg(format!("isolation.level={isolation}"))
        .args(["-f", "%s\n"])
        .output()
        .expect("kcat runs");
    assert!(
        out.status.success(),
        "kcat failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The producer epochs of partition 0's batches (data and markers) in
/// node 1's log, as Kafka's DumpLogSegments prints them.
async fn epochs_in_log(topic: &str) -> Vec<i64> {
    let state = std::env::var("FERROKAFKA_CLUSTER_STATE").expect("FERROKAFKA_CLUSTER_STATE is set");
    let segment = format!("{state}/node1/data/{topic}-0/00000000000000000000.log");
    let dump = kafka_tool(
        "org.apache.kafka.tools.DumpLogSegments",
        &["--files", &segment],
    )
    .await;
    dump.lines()
        .filter_map(|l| l.split("producerEpoch: ").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .collect()
}

async fn commit_abort_commit() {
    let topic = unique("ferro-txn1");
    create(&topic, 2).await;
    let p = producer(&unique("ferro-txid1"));
    p.init_transactions(T)
        .await
        .expect("init on transaction.version 1");
    p.begin_transaction().await.expect("begin");
    send(&p, &topic, &values("first", 4)).await;
    p.commit_transaction(T).await.expect("commit");
    p.begin_transaction().await.expect("begin");
    send(&p, &topic, &values("aborted", 4)).await;
    p.abort_transaction(T).await.expect("abort");
    p.begin_transaction().await.expect("begin");
    send(&p, &topic, &values("second", 4)).await;
    p.commit_transaction(T).await.expect("commit");
    let committed = sorted([values("first", 4), values("second", 4)].concat());
    assert_eq!(kcat_values(&topic, "read_committed"), committed);
    let all = sorted(
        [
            values("first", 4),
            values("aborted", 4),
            values("second", 4),
        ]
        .concat(),
    );
    assert_eq!(kcat_values(&topic, "read_uncommitted"), all);
    // Version 1 keeps the epoch: two records and a marker per
    // transaction on partition 0, all at one epoch (version 2 would bump
    // it at every EndTxn).
    let epochs = epochs_in_log(&topic).await;
    assert_eq!(
        epochs.len(),
        6,
        "three batches and three markers: {epochs:?}"
    );
    assert!(
        epochs.windows(2).all(|w| w[0] == w[1]),
        "one epoch: {epochs:?}"
    );
    p.close(T).await;
}

async fn a_second_producer_fences_the_first() {
    let topic = unique("ferro-txn1-fence");
    create(&topic, 2).await;
    let id = unique("ferro-txid1-fence");
    let first = producer(&id);
    first.init_transactions(T).await.expect("init");
    first.begin_transaction().await.expect("begin");
    send(&first, &topic, &values("zombie", 2)).await;
    let second = producer(&id);
    second
        .init_transactions(T)
        .await
        .expect("the second takes over");
    let late = first
        .send(ProducerRecord::new(&topic).partition(0).value("late"))
        .await
        .expect("queued")
        .await;
    assert!(late.is_err(), "a fenced producer's record: {late:?}");
    let commit = first.commit_transaction(T).await;
    assert!(
        matches!(&commit, Err(e) if e.txn_requires_abort() || e.is_fatal()),
        "commit after fencing: {commit:?}"
    );
    if commit.as_ref().is_err_and(|e| e.txn_requires_abort()) {
        let abort = first.abort_transaction(T).await;
        assert!(
            matches!(&abort, Err(e) if e.is_fatal()),
            "abort after fencing: {abort:?}"
        );
    }
    assert!(first.begin_transaction().await.is_err_and(|e| e.is_fatal()));
    second.begin_transaction().await.expect("begin");
    send(&second, &topic, &values("live", 2)).await;
    second.commit_transaction(T).await.expect("commit");
    assert_eq!(kcat_values(&topic, "read_committed"), values("live", 2));
}

#[tokio::test]
async fn transactions_version_1_commit_abort_and_fencing() {
    let _v1 = Version1::lower().await;
    commit_abort_commit().await;
    a_second_producer_fences_the_first().await;
}
