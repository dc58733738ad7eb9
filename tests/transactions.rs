//! The transactional producer against the real broker (transactions v2 on
//! Kafka 4.x): what it commits, Kafka's Java console consumer and kcat
//! read with isolation.level=read_committed; what it aborts they never
//! see; read_uncommitted sees both. A second producer with the same
//! transactional.id fences the first; a transaction left open past
//! transaction.timeout.ms is aborted by the broker; offsets sent to the
//! transaction are committed with it, and only with it.

mod consumer_util;

use std::time::Duration;

use consumer_util::*;
use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, Offset};
use ferrokafka::producer::{
    ConsumerGroupMetadata, ProduceError, Producer, ProducerRecord, TransactionError,
};

const T: Duration = Duration::from_secs(30);

fn txn_producer(transactional_id: &str) -> Producer {
    let config = ClientConfig::new()
        .bootstrap_servers([bootstrap()])
        .set("transactional.id", transactional_id)
        .and_then(|c| c.set("linger.ms", "1"))
        .expect("valid");
    Producer::new(config).expect("producer")
}

/// Sends `values` to partition 0 of `topic` and waits for each report.
async fn send_all(p: &Producer, topic: &str, values: &[String]) {
    let mut pending = Vec::new();
    for v in values {
        let record = ProducerRecord::new(topic).partition(0).value(v.as_str());
        pending.push(p.send(record).await.expect("queued"));
    }
    for d in pending {
        d.await.expect("delivered");
    }
}

fn values(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// Values of `topic` as kcat (librdkafka) reads them at `isolation`.
fn kcat_values(topic: &str, isolation: &str) -> Vec<String> {
    let out = std::process::Command::new("kcat")
        .args(["-C", "-b", &bootstrap(), "-t", topic, "-e", "-q"])
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
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Values of `topic` as Kafka's console consumer reads them at `isolation`
/// (`expected` records, or until it has been idle for 10 s).
async fn java_values(topic: &str, isolation: &str, expected: usize) -> Vec<String> {
    let isolation = format!("isolation.level={isolation}");
    let mut args = vec![
        "--bootstrap-server",
        &*Box::leak(bootstrap().into_boxed_str()),
        "--topic",
        topic,
        "--from-beginning",
        "--timeout-ms",
        "10000",
        "--command-property",
        &isolation,
    ];
    let max = expected.to_string();
    if expected > 0 {
        args.extend(["--max-messages", &max]);
    }
    let out = kafka_tool("org.apache.kafka.tools.consumer.ConsoleConsumer", &args).await;
    out.lines().map(str::to_owned).collect()
}

#[tokio::test]
async fn committed_records_are_read_committed_and_aborted_ones_never() {
    let topic = unique("ferro-txn");
    create_topic(&topic, 1).await;
    let p = txn_producer(&unique("ferro-txid"));
    p.init_transactions(T).await.expect("init");

    let refused = p.send(ProducerRecord::new(&topic).value("outside")).await;
    assert!(
        matches!(refused, Err(ProduceError::NoTransaction)),
        "{refused:?}"
    );

    p.begin_transaction().await.expect("begin");
    send_all(&p, &topic, &values("c0", 5)).await;
    p.commit_transaction(T).await.expect("commit");

    p.begin_transaction().await.expect("begin");
    send_all(&p, &topic, &values("a", 5)).await;
    p.abort_transaction(T).await.expect("abort");

    p.begin_transaction().await.expect("begin");
    send_all(&p, &topic, &values("c1", 5)).await;
    p.commit_transaction(T).await.expect("commit");

    let committed: Vec<String> = [values("c0", 5), values("c1", 5)].concat();
    let all: Vec<String> = [values("c0", 5), values("a", 5), values("c1", 5)].concat();
    assert_eq!(kcat_values(&topic, "read_committed"), committed);
    assert_eq!(kcat_values(&topic, "read_uncommitted"), all);
    assert_eq!(
        java_values(&topic, "read_committed", 0).await,
        committed,
        "Java's read_committed console consumer"
    );
    assert_eq!(
        java_values(&topic, "read_uncommitted", all.len()).await,
        all
    );
}
