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
use ferrokafka::consumer::Consumer;
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
        let record = ProducerRecord::new(topic).partition(0).value(v.clone());
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

/// The first `n` values of `topic` as Kafka's console consumer reads them
/// at `isolation`.
async fn java_values(topic: &str, isolation: &str, n: usize) -> Vec<String> {
    let isolation = format!("isolation.level={isolation}");
    let (bootstrap, max) = (bootstrap(), n.to_string());
    let args = [
        "--bootstrap-server",
        &bootstrap,
        "--topic",
        topic,
        "--from-beginning",
        "--max-messages",
        &max,
        "--timeout-ms",
        "20000",
        "--command-property",
        &isolation,
    ];
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

    // An aborted transaction with nothing after it is read by nobody
    // either (kcat reads to the end; Java's reader stops at a count).
    p.begin_transaction().await.expect("begin");
    send_all(&p, &topic, &values("tail", 3)).await;
    p.abort_transaction(T).await.expect("abort");

    let committed: Vec<String> = [values("c0", 5), values("c1", 5)].concat();
    let all: Vec<String> = [
        values("c0", 5),
        values("a", 5),
        values("c1", 5),
        values("tail", 3),
    ]
    .concat();
    assert_eq!(kcat_values(&topic, "read_committed"), committed);
    assert_eq!(kcat_values(&topic, "read_uncommitted"), all);
    assert_eq!(
        java_values(&topic, "read_committed", committed.len()).await,
        committed,
        "Java's read_committed console consumer"
    );
    assert_eq!(
        java_values(&topic, "read_uncommitted", all.len()).await,
        all
    );
}

#[tokio::test]
async fn a_second_producer_with_the_same_id_fences_the_first() {
    let topic = unique("ferro-txn-fence");
    create_topic(&topic, 1).await;
    let id = unique("ferro-txid-fence");
    let first = txn_producer(&id);
    first.init_transactions(T).await.expect("init");
    first.begin_transaction().await.expect("begin");
    send_all(&first, &topic, &values("zombie", 3)).await;

    let second = txn_producer(&id);
    second
        .init_transactions(T)
        .await
        .expect("the second takes over");

    // The first's open transaction was aborted by the coordinator; what
    // it writes now is refused, and it can do nothing more.
    let late = first
        .send(ProducerRecord::new(&topic).partition(0).value("late"))
        .await
        .expect("queued")
        .await;
    assert!(late.is_err(), "a fenced producer's record: {late:?}");
    // Its commit fails: the broker refused its record's old epoch, which
    // the producer cannot tell from a transaction the coordinator timed
    // out (KIP-588), so the error asks for an abort; the coordinator
    // answers the abort with PRODUCER_FENCED: fatal.
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
    let again = first.begin_transaction().await;
    assert!(matches!(&again, Err(e) if e.is_fatal()), "{again:?}");

    second.begin_transaction().await.expect("begin");
    send_all(&second, &topic, &values("live", 3)).await;
    second.commit_transaction(T).await.expect("commit");
    assert_eq!(kcat_values(&topic, "read_committed"), values("live", 3));
}

#[tokio::test]
async fn a_transaction_left_open_is_aborted_by_the_broker_and_the_next_works() {
    let topic = unique("ferro-txn-timeout");
    create_topic(&topic, 1).await;
    let config = ClientConfig::new()
        .bootstrap_servers([bootstrap()])
        .set("transactional.id", &unique("ferro-txid-timeout"))
        .and_then(|c| c.set("transaction.timeout.ms", "1000"))
        .and_then(|c| c.set("linger.ms", "1"))
        .expect("valid");
    let p = Producer::new(config).expect("producer");
    p.init_transactions(T).await.expect("init");
    p.begin_transaction().await.expect("begin");
    send_all(&p, &topic, &values("stale", 3)).await;
    // The coordinator looks for expired transactions every 10 s
    // (transaction.abort.timed.out.transaction.cleanup.interval.ms).
    tokio::time::sleep(Duration::from_secs(13)).await;
    let commit = p.commit_transaction(T).await;
    let error = commit.expect_err("the broker aborted the transaction");
    assert!(
        error.txn_requires_abort(),
        "reported as abortable: {error:?}"
    );
    p.abort_transaction(T).await.expect("abort");

    p.begin_transaction()
        .await
        .expect("the next transaction begins");
    send_all(&p, &topic, &values("fresh", 3)).await;
    p.commit_transaction(T).await.expect("and commits");
    assert_eq!(kcat_values(&topic, "read_committed"), values("fresh", 3));
}

#[tokio::test]
async fn offsets_sent_to_a_transaction_commit_with_it_and_only_with_it() {
    let input = unique("ferro-txn-in");
    let output = unique("ferro-txn-out");
    create_topic(&input, 1).await;
    create_topic(&output, 1).await;
    let group = unique("ferro-txn-group");
    let p = txn_producer(&unique("ferro-txid-offsets"));
    p.init_transactions(T).await.expect("init");
    let meta = ConsumerGroupMetadata::new(group.clone());

    p.begin_transaction().await.expect("begin");
    send_all(&p, &output, &values("o", 2)).await;
    p.send_offsets_to_transaction(&[(&input, 0, 7)], &meta, T)
        .await
        .expect("offsets");
    p.abort_transaction(T).await.expect("abort");
    assert_eq!(committed_offset(&group, &input).await, None, "aborted");

    p.begin_transaction().await.expect("begin");
    send_all(&p, &output, &values("o", 2)).await;
    p.send_offsets_to_transaction(&[(&input, 0, 9)], &meta, T)
        .await
        .expect("offsets");
    p.commit_transaction(T).await.expect("commit");
    assert_eq!(committed_offset(&group, &input).await, Some(9));

    let stale = ConsumerGroupMetadata {
        generation_id: 5,
        member_id: "gone".into(),
        ..meta
    };
    p.begin_transaction().await.expect("begin");
    let refused = p
        .send_offsets_to_transaction(&[(&input, 0, 11)], &stale, T)
        .await;
    assert!(
        matches!(&refused, Err(e) if e.txn_requires_abort()),
        "a member not in the group: {refused:?}"
    );
    let commit = p.commit_transaction(T).await;
    assert!(
        matches!(&commit, Err(e) if e.txn_requires_abort()),
        "{commit:?}"
    );
    p.abort_transaction(T).await.expect("abort");
    assert_eq!(committed_offset(&group, &input).await, Some(9));
}

async fn committed_offset(group: &str, topic: &str) -> Option<i64> {
    let c = Consumer::new(group_config(group)).expect("consumer");
    let committed = c
        .committed(&[(topic, 0)], Duration::from_secs(10))
        .await
        .expect("committed offsets");
    committed.into_iter().next().and_then(|(_, o)| o)
}

#[tokio::test]
async fn the_api_refuses_calls_out_of_place() {
    let p = txn_producer(&unique("ferro-txid-state"));
    let e = p.begin_transaction().await.expect_err("before init");
    assert!(matches!(e, TransactionError::State { .. }), "{e:?}");
    let plain =
        Producer::new(ClientConfig::new().bootstrap_servers([bootstrap()])).expect("producer");
    let e = plain.init_transactions(T).await.expect_err("no id");
    assert_eq!(e, TransactionError::NotTransactional);
}

#[tokio::test]
async fn records_sent_after_the_broker_aborted_fail_and_the_abort_recovers() {
    let topic = unique("ferro-txn-timeout-send");
    create_topic(&topic, 1).await;
    let config = ClientConfig::new()
        .bootstrap_servers([bootstrap()])
        .set("transactional.id", &unique("ferro-txid-timeout-send"))
        .and_then(|c| c.set("transaction.timeout.ms", "1000"))
        .and_then(|c| c.set("linger.ms", "1"))
        .expect("valid");
    let p = Producer::new(config).expect("producer");
    p.init_transactions(T).await.expect("init");
    p.begin_transaction().await.expect("begin");
    send_all(&p, &topic, &values("stale", 2)).await;
    tokio::time::sleep(Duration::from_secs(13)).await;
    let late = p
        .send(ProducerRecord::new(&topic).partition(0).value("late"))
        .await
        .expect("queued")
        .await;
    assert!(
        late.is_err(),
        "written under the aborted transaction: {late:?}"
    );
    let error = p.commit_transaction(T).await.expect_err("cannot commit");
    assert!(error.txn_requires_abort(), "{error:?}");
    p.abort_transaction(T).await.expect("abort");

    p.begin_transaction().await.expect("begin");
    send_all(&p, &topic, &values("fresh", 2)).await;
    p.commit_transaction(T).await.expect("commit");
    assert_eq!(kcat_values(&topic, "read_committed"), values("fresh", 2));
}

#[tokio::test]
async fn a_transaction_with_no_record_queued_commits_and_aborts() {
    let topic = unique("ferro-txn-empty");
    create_topic(&topic, 1).await;
    let config = ClientConfig::new()
        .bootstrap_servers([bootstrap()])
        .set("transactional.id", &unique("ferro-txid-empty"))
        .and_then(|c| c.set("message.max.bytes", "1000"))
        .expect("valid");
    let p = Producer::new(config).expect("producer");
    p.init_transactions(T).await.expect("init");
    p.begin_transaction().await.expect("begin");
    p.commit_transaction(T)
        .await
        .expect("an empty transaction commits");
    p.begin_transaction().await.expect("begin");
    let big = ProducerRecord::new(&topic).value(vec![0u8; 5000]);
    let refused = p.send(big).await;
    assert!(
        matches!(refused, Err(ProduceError::MessageTooLarge { .. })),
        "{refused:?}"
    );
    p.commit_transaction(T)
        .await
        .expect("a refused record starts no transaction");
    p.begin_transaction().await.expect("begin");
    p.abort_transaction(T).await.expect("an empty abort");
    p.begin_transaction().await.expect("begin");
    send_all(&p, &topic, &values("after", 2)).await;
    p.commit_transaction(T).await.expect("commit");
    assert_eq!(kcat_values(&topic, "read_committed"), values("after", 2));
}

#[tokio::test]
async fn a_members_group_metadata_fences_offsets_by_generation() {
    let input = unique("ferro-txn-meta-in");
    create_topic(&input, 1).await;
    let group = unique("ferro-txn-meta-group");
    let writer =
        Producer::new(ClientConfig::new().bootstrap_servers([bootstrap()])).expect("producer");
    writer
        .send(ProducerRecord::new(&input).partition(0).value("x"))
        .await
        .expect("queued")
        .await
        .expect("delivered");
    let mut consumer = Consumer::new(group_config(&group)).expect("consumer");
    assert_eq!(
        consumer.group_metadata().generation_id,
        -1,
        "before joining"
    );
    consumer.subscribe(&[&input]).expect("subscribes");
    let m = consume(&mut consumer, 1, Duration::from_secs(30)).await;
    let meta = consumer.group_metadata();
    assert_eq!(meta.group_id, group);
    assert!(meta.generation_id >= 1, "{meta:?}");
    assert!(!meta.member_id.is_empty(), "{meta:?}");

    let p = txn_producer(&unique("ferro-txid-meta"));
    p.init_transactions(T).await.expect("init");
    p.begin_transaction().await.expect("begin");
    p.send_offsets_to_transaction(&[(&input, 0, m[0].offset() + 1)], &meta, T)
        .await
        .expect("the member's offsets");
    p.commit_transaction(T).await.expect("commit");
    let committed = consumer
        .committed(&[(&input, 0)], Duration::from_secs(10))
        .await
        .expect("committed");
    assert_eq!(committed[0].1, Some(m[0].offset() + 1));

    let older = ConsumerGroupMetadata {
        generation_id: meta.generation_id - 1,
        ..meta
    };
    p.begin_transaction().await.expect("begin");
    let refused = p
        .send_offsets_to_transaction(&[(&input, 0, 0)], &older, T)
        .await;
    assert!(
        matches!(&refused, Err(e) if e.txn_requires_abort()),
        "an older generation's offsets: {refused:?}"
    );
    p.abort_transaction(T).await.expect("abort");
    consumer.close().await.expect("closes");
}
