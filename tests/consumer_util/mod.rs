//! Shared by the consumer tests: topics, records produced over a plain
//! connection (until the producer lands), and consumer configs with short
//! timeouts so group tests stay quick.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, ConsumerError, Message};
use ferrokafka::net::{Connection, ConnectionConfig};
use ferrokafka::protocol::messages::create_topics::CreatableTopic;
use ferrokafka::protocol::messages::metadata::MetadataRequestTopic;
use ferrokafka::protocol::messages::produce::{PartitionProduceData, TopicProduceData};
use ferrokafka::protocol::messages::{CreateTopicsRequest, MetadataRequest, ProduceRequest};
use ferrokafka::protocol::records::{BatchOptions, RecordBatchWriter};
use ferrokafka::protocol::{ErrorCode, Uuid};

#[path = "../common/mod.rs"]
mod common;
#[allow(unused_imports)]
pub use common::{bootstrap, cluster_bootstrap, unique};

pub async fn connect() -> Connection {
    Connection::connect(&bootstrap(), ConnectionConfig::default())
        .await
        .expect("connects to the broker")
}

/// Creates `name` and waits until every partition has a leader; returns
/// the topic id.
pub async fn create_topic(name: &str, partitions: i32) -> Uuid {
    let conn = connect().await;
    let r = conn
        .send(&CreateTopicsRequest {
            topics: vec![CreatableTopic {
                name: name.into(),
                num_partitions: partitions,
                replication_factor: 1,
                ..Default::default()
            }],
            timeout_ms: 30_000,
            ..Default::default()
        })
        .await
        .expect("CreateTopics answered");
    assert_eq!(
        ErrorCode::from_code(r.topics[0].error_code),
        ErrorCode::None,
        "{:?}",
        r.topics[0].error_message
    );
    for _ in 0..100 {
        let m = conn
            .send(&MetadataRequest {
                topics: Some(vec![MetadataRequestTopic {
                    name: Some(name.into()),
                    ..Default::default()
                }]),
                ..Default::default()
            })
            .await
            .expect("Metadata answered");
        let t = &m.topics[0];
        if t.error_code == 0
            && t.partitions.len() == partitions as usize
            && t.partitions.iter().all(|p| p.leader_id >= 0)
        {
            return t.topic_id;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} has no leaders");
}

/// Produces `values` to `topic`/`partition` as one batch (keys `k-<value>`),
/// retrying what is retriable.
pub async fn produce(topic: &str, topic_id: Uuid, partition: i32, values: &[String]) {
    let conn = connect().await;
    let mut w = RecordBatchWriter::new(BatchOptions::default());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    for v in values {
        let key = format!("k-{v}");
        w.append(now, Some(key.as_bytes()), Some(v.as_bytes()), &[]);
    }
    let records = w.finish().expect("encodes");
    for _ in 0..50 {
        let r = conn
            .send(&ProduceRequest {
                acks: -1,
                timeout_ms: 30_000,
                topic_data: vec![TopicProduceData {
                    name: topic.into(),
                    topic_id,
                    partition_data: vec![PartitionProduceData {
                        index: partition,
                        records: Some(records.clone()),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .expect("Produce answered");
        let code = ErrorCode::from_code(r.responses[0].partition_responses[0].error_code);
        if code == ErrorCode::None {
            return;
        }
        assert!(code.is_retriable(), "produce failed: {code:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("produce to {topic} [{partition}] never succeeded");
}

/// A group consumer's config with timeouts short enough for tests.
pub fn group_config(group: &str) -> ClientConfig {
    ClientConfig::from_properties([
        ("bootstrap.servers", bootstrap().as_str()),
        ("group.id", group),
        ("auto.offset.reset", "earliest"),
        ("session.timeout.ms", "6000"),
        ("heartbeat.interval.ms", "300"),
        ("max.poll.interval.ms", "10000"),
        ("auto.commit.interval.ms", "200"),
        ("fetch.wait.max.ms", "100"),
        ("retry.backoff.ms", "100"),
    ])
    .expect("valid config")
}

/// Polls until `n` messages came (panics after `within`); EOF events are
/// skipped, other errors fail the test.
pub async fn consume(consumer: &mut Consumer, n: usize, within: Duration) -> Vec<Message> {
    let deadline = Instant::now() + within;
    let mut out = Vec::new();
    while out.len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} messages within {within:?}",
            out.len()
        );
        match consumer.poll(Duration::from_millis(200)).await {
            None => {}
            Some(Ok(m)) => out.push(m),
            Some(Err(e)) if e.is_partition_eof() => {}
            Some(Err(e)) => panic!("poll failed: {e}"),
        }
    }
    out
}

/// Polls for `quiet` and returns what came (EOF events skipped).
pub async fn drain(consumer: &mut Consumer, quiet: Duration) -> Vec<Message> {
    let mut out = Vec::new();
    loop {
        match consumer.poll(quiet).await {
            None => return out,
            Some(Ok(m)) => out.push(m),
            Some(Err(e)) if e.is_partition_eof() => {}
            Some(Err(e)) => panic!("poll failed: {e}"),
        }
    }
}

/// The value as text.
pub fn text(m: &Message) -> String {
    String::from_utf8_lossy(m.value().unwrap_or_default()).into_owned()
}

/// Whether `e` is the end-of-partition event.
pub fn eof(e: &ConsumerError) -> Option<(String, i32, i64)> {
    match e {
        ConsumerError::PartitionEof {
            topic,
            partition,
            offset,
        } => Some((topic.clone(), *partition, *offset)),
        _ => None,
    }
}

/// Runs one of Kafka's own command-line tools (`main_class`, from
/// FERROKAFKA_KAFKA_CLASSPATH) and returns its standard output; fails the
/// test when the tool fails.
pub async fn kafka_tool(main_class: &str, args: &[&str]) -> String {
    let classpath = std::env::var("FERROKAFKA_KAFKA_CLASSPATH")
        .expect("FERROKAFKA_KAFKA_CLASSPATH is set (source the brokers' env file)");
    let mut command = std::process::Command::new("java");
    command.args(["-Xms64m", "-Xmx256m", "-cp", &classpath, main_class]);
    command.args(args);
    let what = format!("{main_class} {args:?}");
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("joins")
        .expect("java runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
