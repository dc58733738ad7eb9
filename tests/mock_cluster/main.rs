//! The mock cluster driven by the client's own `Connection` and the
//! protocol crate's messages, one file per area.

use std::time::Duration;

use bytes::Bytes;
use ferrokafka_protocol::messages::fetch::{FetchPartition, FetchTopic};
use ferrokafka_protocol::messages::produce::{PartitionProduceData, TopicProduceData};
use ferrokafka_protocol::messages::{FetchRequest, ProduceRequest};
use ferrokafka_protocol::records::{
    decode_batches, BatchOptions, DecodeOptions, RecordBatch, RecordBatchWriter,
};
use ferrokafka_protocol::Uuid;

use ferrokafka::net::{Connection, ConnectionConfig};
use ferrokafka_mock::MockCluster;

mod faults;
mod groups;
mod metadata;
mod produce_fetch;
mod sasl;
mod transactions;

fn config() -> ConnectionConfig {
    ConnectionConfig {
        client_id: Some("mock-test".into()),
        request_timeout: Duration::from_secs(10),
        ..Default::default()
    }
}

/// A connection to one broker of `cluster`.
async fn connect(cluster: &MockCluster, broker: i32) -> Connection {
    let addr = cluster.broker_address(broker).expect("broker exists");
    Connection::connect(&addr, config())
        .await
        .expect("connects")
}

/// A batch of `values`, as a plain producer writes it.
fn batch(values: &[&str]) -> Bytes {
    batch_with(BatchOptions::default(), values, 1_700_000_000_000)
}

/// A batch of `values` with these options, timestamps from `timestamp`.
fn batch_with(options: BatchOptions, values: &[&str], timestamp: i64) -> Bytes {
    let mut w = RecordBatchWriter::new(options);
    for (i, v) in values.iter().enumerate() {
        w.append(timestamp + i as i64, None, Some(v.as_bytes()), &[]);
    }
    w.finish().expect("batch encodes")
}

/// An idempotent producer's batch.
fn idempotent(producer_id: i64, epoch: i16, sequence: i32, values: &[&str]) -> Bytes {
    let options = BatchOptions {
        producer_id,
        producer_epoch: epoch,
        base_sequence: sequence,
        ..Default::default()
    };
    batch_with(options, values, 1_700_000_000_000)
}

/// A topic as requests name it: by name before Produce v13 and Fetch
/// v13, by id from then on. Requests carry both; each version encodes the
/// one it has.
#[derive(Debug, Clone)]
struct Topic {
    name: String,
    id: Uuid,
}

/// Creates a topic in `cluster`.
fn create(cluster: &MockCluster, name: &str, partitions: i32) -> Topic {
    let id = cluster
        .create_topic(name, partitions, 1)
        .expect("topic created");
    Topic {
        name: name.into(),
        id,
    }
}

/// A Produce request of one batch to one partition.
fn produce_request(topic: &Topic, partition: i32, records: Bytes, acks: i16) -> ProduceRequest {
    ProduceRequest {
        acks,
        timeout_ms: 5000,
        topic_data: vec![TopicProduceData {
            name: topic.name.clone(),
            topic_id: topic.id,
            partition_data: vec![PartitionProduceData {
                index: partition,
                records: Some(records),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Produces one batch with acks=1; returns (error code, base offset).
async fn produce(conn: &Connection, topic: &Topic, partition: i32, records: Bytes) -> (i16, i64) {
    let r = conn
        .send(&produce_request(topic, partition, records, 1))
        .await
        .expect("Produce answered");
    let p = &r.responses[0].partition_responses[0];
    (p.error_code, p.base_offset)
}

/// A Fetch of one partition from `offset`.
fn fetch_request(topic: &Topic, partition: i32, offset: i64, max_wait_ms: i32) -> FetchRequest {
    FetchRequest {
        max_wait_ms,
        min_bytes: 1,
        topics: vec![FetchTopic {
            topic: topic.name.clone(),
            topic_id: topic.id,
            partitions: vec![FetchPartition {
                partition,
                fetch_offset: offset,
                partition_max_bytes: 1 << 20,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Every batch in a records field.
fn batches(records: Option<&Bytes>) -> Vec<RecordBatch> {
    decode_batches(
        records.cloned().unwrap_or_default(),
        &DecodeOptions::default(),
    )
    .expect("fetched batches decode")
    .batches
}

/// The values of every record in a records field, with their offsets.
fn values(records: Option<&Bytes>) -> Vec<(i64, String)> {
    batches(records)
        .iter()
        .flat_map(|b| {
            b.records()
                .map(|r| {
                    let v = r.value.unwrap_or_default();
                    (r.offset, String::from_utf8_lossy(&v).into_owned())
                })
                .collect::<Vec<_>>()
        })
        .collect()
}
