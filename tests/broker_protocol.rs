//! The protocol crate against a real Apache Kafka broker, over a plain TCP
//! connection: Metadata, CreateTopics/DeleteTopics, and a record batch of
//! every codec produced and fetched back; batches written by librdkafka
//! (kcat) decoded.

mod common;

use std::time::Duration;

use bytes::Bytes;
use ferrokafka::net::{Connection, ConnectionConfig};
use ferrokafka::protocol::messages::create_topics::CreatableTopic;
use ferrokafka::protocol::messages::delete_topics::DeleteTopicState;
use ferrokafka::protocol::messages::fetch::{FetchPartition, FetchTopic};
use ferrokafka::protocol::messages::metadata::MetadataRequestTopic;
use ferrokafka::protocol::messages::produce::{PartitionProduceData, TopicProduceData};
use ferrokafka::protocol::messages::{
    CreateTopicsRequest, DeleteTopicsRequest, FetchRequest, FetchResponse, MetadataRequest,
    MetadataResponse, ProduceRequest,
};
use ferrokafka::protocol::records::{
    decode_batches, BatchOptions, Compression, DecodeOptions, RecordBatch, RecordBatchWriter,
};
use ferrokafka::protocol::ErrorCode;

async fn connect() -> Connection {
    Connection::connect(&common::bootstrap(), ConnectionConfig::default())
        .await
        .expect("connects to the broker")
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}-{nanos}")
}

async fn create_topic(conn: &Connection, name: &str, partitions: i32) {
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
    assert_eq!(r.topics.len(), 1);
    assert_eq!(
        ErrorCode::from_code(r.topics[0].error_code),
        ErrorCode::None,
        "{:?}",
        r.topics[0].error_message
    );
}

async fn metadata(conn: &Connection, topic: &str) -> MetadataResponse {
    conn.send(&MetadataRequest {
        topics: Some(vec![MetadataRequestTopic {
            name: Some(topic.into()),
            ..Default::default()
        }]),
        allow_auto_topic_creation: false,
        ..Default::default()
    })
    .await
    .expect("Metadata answered")
}

/// Waits until every partition of `topic` has a leader.
async fn wait_for_leaders(conn: &Connection, topic: &str, partitions: usize) {
    for _ in 0..100 {
        let m = metadata(conn, topic).await;
        let t = &m.topics[0];
        if t.error_code == 0
            && t.partitions.len() == partitions
            && t.partitions.iter().all(|p| p.leader_id >= 0)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{topic} has no leaders");
}

#[tokio::test]
async fn metadata_lists_the_broker_and_the_cluster() {
    let conn = connect().await;
    let m = conn
        .send(&MetadataRequest {
            topics: None,
            ..Default::default()
        })
        .await
        .expect("Metadata answered");
    let addr = common::bootstrap();
    assert!(
        m.brokers
            .iter()
            .any(|b| format!("{}:{}", b.host, b.port) == addr),
        "{addr} not among {:?}",
        m.brokers
    );
    assert!(m.cluster_id.as_deref().is_some_and(|c| !c.is_empty()));
    assert!(m.controller_id >= 0);
}

#[tokio::test]
async fn create_and_delete_topics() {
    let conn = connect().await;
    let name = unique("ferro-create");
    create_topic(&conn, &name, 3).await;
    wait_for_leaders(&conn, &name, 3).await;
    let again = conn
        .send(&CreateTopicsRequest {
            topics: vec![CreatableTopic {
                name: name.clone(),
                num_partitions: 3,
                replication_factor: 1,
                ..Default::default()
            }],
            timeout_ms: 30_000,
            ..Default::default()
        })
        .await
        .expect("answered");
    assert_eq!(
        ErrorCode::from_code(again.topics[0].error_code).name(),
        "TOPIC_ALREADY_EXISTS"
    );
    let deleted = conn
        .send(&DeleteTopicsRequest {
            topics: vec![DeleteTopicState {
                name: Some(name.clone()),
                ..Default::default()
            }],
            topic_names: vec![name.clone()],
            timeout_ms: 30_000,
            ..Default::default()
        })
        .await
        .expect("DeleteTopics answered");
    assert_eq!(deleted.responses[0].error_code, 0);
    let mut gone = false;
    for _ in 0..100 {
        if ErrorCode::from_code(metadata(&conn, &name).await.topics[0].error_code).name()
            == "UNKNOWN_TOPIC_OR_PARTITION"
        {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "{name} still listed after delete");
}

const CODECS: [Compression; 5] = [
    Compression::None,
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];

async fn fetch_partition(
    conn: &Connection,
    topic: &str,
    partition: i32,
    offset: i64,
) -> Vec<RecordBatch> {
    let r: FetchResponse = conn
        .send(&FetchRequest {
            max_wait_ms: 500,
            min_bytes: 1,
            max_bytes: 10 << 20,
            topics: vec![FetchTopic {
                topic: topic.into(),
                topic_id: metadata(conn, topic).await.topics[0].topic_id,
                partitions: vec![FetchPartition {
                    partition,
                    fetch_offset: offset,
                    partition_max_bytes: 10 << 20,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .expect("Fetch answered");
    assert_eq!(r.error_code, 0);
    let p = &r.responses[0].partitions[0];
    assert_eq!(p.error_code, 0, "fetch error");
    let records = p.records.clone().unwrap_or_default();
    decode_batches(records, &DecodeOptions::default())
        .expect("fetched batches decode")
        .batches
}

#[tokio::test]
async fn a_batch_of_every_codec_is_produced_and_fetched_back() {
    let conn = connect().await;
    let topic = unique("ferro-codecs");
    create_topic(&conn, &topic, CODECS.len() as i32).await;
    wait_for_leaders(&conn, &topic, CODECS.len()).await;
    let topic_id = metadata(&conn, &topic).await.topics[0].topic_id;
    let now = 1_700_000_000_000;
    let mut partition_data = Vec::new();
    for (p, codec) in CODECS.iter().enumerate() {
        let mut w = RecordBatchWriter::new(BatchOptions {
            compression: *codec,
            ..Default::default()
        });
        for i in 0..50 {
            let key = format!("key-{i}");
            let value = format!("{{\"id\": {i}, \"codec\": \"{}\"}}", codec.name()).repeat(3);
            w.append(
                now + i,
                Some(key.as_bytes()),
                Some(value.as_bytes()),
                &[("n", Some(&[i as u8][..]))],
            );
        }
        partition_data.push(PartitionProduceData {
            index: p as i32,
            records: Some(w.finish().expect("encodes")),
            ..Default::default()
        });
    }
    // A new partition's leader may still say NOT_LEADER_OR_FOLLOWER for a
    // moment after Metadata names it: retry what is retriable, as a
    // producer must.
    let mut pending = partition_data;
    for _ in 0..50 {
        let produced = conn
            .send(&ProduceRequest {
                acks: -1,
                timeout_ms: 30_000,
                topic_data: vec![TopicProduceData {
                    name: topic.clone(),
                    topic_id,
                    partition_data: pending.clone(),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .expect("Produce answered");
        let mut retry = Vec::new();
        for p in &produced.responses[0].partition_responses {
            let error = ErrorCode::from_code(p.error_code);
            if error.is_retriable() {
                retry.extend(pending.iter().filter(|d| d.index == p.index).cloned());
                continue;
            }
            assert_eq!(
                error,
                ErrorCode::None,
                "partition {}: {:?}",
                p.index,
                p.error_message
            );
            assert_eq!(p.base_offset, 0);
        }
        pending = retry;
        if pending.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(pending.is_empty(), "partitions never accepted the batch");
    for (p, codec) in CODECS.iter().enumerate() {
        let batches = fetch_partition(&conn, &topic, p as i32, 0).await;
        assert_eq!(batches.len(), 1, "{codec:?}");
        let b = &batches[0];
        assert_eq!(
            b.compression, *codec,
            "the broker kept the producer's codec"
        );
        assert_eq!(b.len(), 50);
        for (i, r) in b.records().enumerate() {
            let i = i as i64;
            assert_eq!(r.offset, i);
            assert_eq!(r.timestamp, now + i);
            assert_eq!(r.key.as_deref(), Some(format!("key-{i}").as_bytes()));
            let value = format!("{{\"id\": {i}, \"codec\": \"{}\"}}", codec.name()).repeat(3);
            assert_eq!(r.value.as_deref(), Some(value.as_bytes()));
            assert_eq!(r.headers[0].value.as_deref(), Some(&[i as u8][..]));
        }
    }
}

/// librdkafka's batches: kcat produces ten records with each codec; we
/// fetch them and decode every record.
#[tokio::test]
async fn batches_written_by_librdkafka_decode_to_the_right_records() {
    let conn = connect().await;
    for codec in CODECS {
        let topic = unique(&format!("ferro-kcat-{}", codec.name()));
        create_topic(&conn, &topic, 1).await;
        wait_for_leaders(&conn, &topic, 1).await;
        let input: String = (0..10).map(|i| format!("key-{i}:value-{i}\n")).collect();
        let mut child = std::process::Command::new("kcat")
            .args([
                "-b",
                &common::bootstrap(),
                "-t",
                &topic,
                "-P",
                "-K:",
                "-H",
                "source=kcat",
            ])
            .args([
                "-X",
                &format!("compression.codec={}", codec.name()),
                "-X",
                "linger.ms=50",
            ])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("kcat (librdkafka) is installed; scripts/test.sh installs it");
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("writes to kcat");
        assert!(child.wait().expect("kcat runs").success(), "kcat failed");
        let mut records = Vec::new();
        let mut codecs = Vec::new();
        for _ in 0..50 {
            records.clear();
            codecs.clear();
            for b in fetch_partition(&conn, &topic, 0, 0).await {
                codecs.push(b.compression);
                records.extend(b.records());
            }
            if records.len() >= 10 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(records.len(), 10, "{codec:?}");
        assert!(
            codecs.iter().all(|c| *c == codec),
            "kcat wrote {codecs:?}, asked {codec:?}"
        );
        for (i, r) in records.iter().enumerate() {
            assert_eq!(r.offset, i as i64);
            assert_eq!(r.key, Some(Bytes::from(format!("key-{i}"))), "{codec:?}");
            assert_eq!(
                r.value,
                Some(Bytes::from(format!("value-{i}"))),
                "{codec:?}"
            );
            assert_eq!(r.headers.len(), 1);
            assert_eq!(r.headers[0].key, "source");
            assert_eq!(r.headers[0].value.as_deref(), Some(&b"kcat"[..]));
        }
    }
}
