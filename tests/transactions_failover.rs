//! A transaction across a crash of its coordinator on the three-node
//! cluster: the node that coordinates the transactional id is killed
//! (SIGKILL) just as `commit_transaction` starts; the producer goes on
//! with the coordinator that takes over, and the transaction either
//! commits or aborts as a whole on every partition, never half (checked
//! with kcat, librdkafka, reading read_committed). The node is started
//! again afterwards, even when the test fails. Alone in its file: it takes
//! a cluster node down, which other tests running beside it would feel.

mod common;

use std::time::{Duration, Instant};

use common::nodes::KilledNode;
use ferrokafka::admin::{Admin, NewTopic};
use ferrokafka::config::ClientConfig;
use ferrokafka::net::{Connection, ConnectionConfig};
use ferrokafka::producer::{Producer, ProducerRecord, TransactionError};
use ferrokafka_protocol::messages::FindCoordinatorRequest;

const PARTITIONS: i32 = 3;
const RECORDS: usize = 300;

/// The node coordinating `transactional_id`.
async fn coordinator(transactional_id: &str) -> i32 {
    let conn = Connection::connect(&common::cluster_bootstrap()[0], ConnectionConfig::default())
        .await
        .expect("connects");
    let r = conn
        .send(&FindCoordinatorRequest {
            key: transactional_id.to_owned(),
            key_type: 1,
            coordinator_keys: vec![transactional_id.to_owned()],
            ..Default::default()
        })
        .await
        .expect("FindCoordinator");
    let (code, node) = r
        .coordinators
        .first()
        .map_or((r.error_code, r.node_id), |c| (c.error_code, c.node_id));
    assert_eq!(code, 0, "FindCoordinator error");
    node
}

/// The values of `topic` as kcat reads them at `isolation`.
fn kcat_values(topic: &str, isolation: &str) -> Vec<String> {
    let out = std::process::Command::new("kcat")
        .args([
            "-C",
            "-b",
            &common::cluster_bootstrap().join(","),
            "-t",
            topic,
        ])
        .args(["-e", "-q", "-o", "beginning", "-X"])
        .arg(format!("isolation.level={isolation}"))
        .args(["-f", "%s\n"])
        .output()
        .expect("kcat runs");
    assert!(
        out.status.success(),
        "kcat failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Calls `call` again while it fails retriably, up to two minutes.
async fn until_done<F, Fut>(what: &str, mut call: F) -> Result<(), TransactionError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), TransactionError>>,
{
    let start = Instant::now();
    loop {
        match call().await {
            Err(e) if e.is_retriable() && start.elapsed() < Duration::from_secs(120) => {
                eprintln!("{what}: {e}; again");
            }
            other => return other,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_killed_mid_commit_commits_or_aborts_the_whole_transaction() {
    let bootstrap = common::cluster_bootstrap().join(",");
    let topic = common::unique("ferro-txn-failover");
    let id = common::unique("ferro-txid-failover");
    let config = ClientConfig::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("transactional.id", id.as_str()),
        ("linger.ms", "2"),
        ("retry.backoff.ms", "100"),
        ("request.timeout.ms", "5000"),
        ("reconnect.backoff.max.ms", "500"),
        ("metadata.max.age.ms", "2000"),
    ])
    .expect("config");
    let admin = Admin::new(config.clone()).expect("admin");
    admin
        .create_topic(NewTopic::new(&topic, PARTITIONS, 3))
        .await
        .expect("topic on the cluster");
    let producer = Producer::new(config).expect("producer");
    let t = Duration::from_secs(30);
    producer.init_transactions(t).await.expect("init");
    let node = coordinator(&id).await;
    assert!((1..=3).contains(&node), "coordinator {node}");

    producer.begin_transaction().await.expect("begin");
    let mut pending = Vec::new();
    for i in 0..RECORDS {
        let record = ProducerRecord::new(&topic)
            .partition(i as i32 % PARTITIONS)
            .value(format!("v{i}"));
        pending.push(producer.send(record).await.expect("queued"));
    }
    for d in pending {
        d.await.expect("delivered before the commit");
    }

    // The kill and the commit start together: SIGKILL lands while
    // EndTxn is on its way, being written to the transaction log, or
    // while the markers go out.
    let begun = Instant::now();
    let kill = tokio::task::spawn_blocking(move || (KilledNode::kill(node), begun.elapsed()));
    let commit = until_done("commit", || producer.commit_transaction(t)).await;
    let committed_after = begun.elapsed();
    let (mut killed, killed_after) = kill.await.expect("kill joins");
    eprintln!(
        "commit with node {node} killed: {commit:?} after {committed_after:?} \
         (node dead after {killed_after:?})"
    );
    let committed = match commit {
        Ok(()) => true,
        Err(e) if e.txn_requires_abort() => {
            until_done("abort", || producer.abort_transaction(t))
                .await
                .expect("the abort completes");
            false
        }
        Err(e) => panic!("the commit failed for good: {e}"),
    };

    // The markers reach every partition (whichever node leads it now):
    // read_committed shows all of the transaction or none of it.
    let expected = if committed { RECORDS } else { 0 };
    let start = Instant::now();
    let mut seen = kcat_values(&topic, "read_committed");
    while seen.len() != expected && start.elapsed() < Duration::from_secs(90) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        seen = kcat_values(&topic, "read_committed");
    }
    assert_eq!(
        seen.len(),
        expected,
        "read_committed after a {} with the coordinator killed",
        if committed { "commit" } else { "abort" }
    );
    let mut sorted = seen;
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), expected, "no record twice");
    assert_eq!(kcat_values(&topic, "read_uncommitted").len(), RECORDS);

    // The producer goes on with the new coordinator.
    producer.begin_transaction().await.expect("begin");
    let d = producer
        .send(ProducerRecord::new(&topic).partition(0).value("after"))
        .await
        .expect("queued");
    d.await.expect("delivered");
    until_done("commit", || producer.commit_transaction(t))
        .await
        .expect("the next transaction commits");
    killed.restart();
}
