//! Produce, Fetch, ListOffsets, InitProducerId and idempotence, and
//! retention.

use std::time::Instant;

use bytes::BytesMut;
use ferrokafka_protocol::messages::create_topics::{CreatableTopic, CreatableTopicConfig};
use ferrokafka_protocol::messages::list_offsets::{ListOffsetsPartition, ListOffsetsTopic};
use ferrokafka_protocol::messages::{
    CreateTopicsRequest, FetchResponse, InitProducerIdRequest, ListOffsetsRequest,
    ListOffsetsResponse,
};
use ferrokafka_protocol::ErrorCode;

use super::*;

fn partition(r: &FetchResponse) -> &ferrokafka_protocol::messages::fetch::PartitionData {
    &r.responses[0].partitions[0]
}

async fn list_offsets(conn: &Connection, topic: &str, timestamp: i64) -> (i16, i64, i64) {
    let r: ListOffsetsResponse = conn
        .send(&ListOffsetsRequest {
            replica_id: -1,
            topics: vec![ListOffsetsTopic {
                name: topic.into(),
                partitions: vec![ListOffsetsPartition {
                    partition_index: 0,
                    timestamp,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .expect("ListOffsets answered");
    let p = &r.topics[0].partitions[0];
    (p.error_code, p.offset, p.timestamp)
}

#[tokio::test]
async fn produced_batches_come_back_from_fetch_with_offsets_assigned() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let t = create(&cluster, "t", 1);
    let conn = connect(&cluster, 0).await;
    assert_eq!(produce(&conn, &t, 0, batch(&["a", "b", "c"])).await, (0, 0));
    assert_eq!(produce(&conn, &t, 0, batch(&["d", "e"])).await, (0, 3));

    // The newest Fetch (by topic id) and the oldest (by name) agree.
    for version in [18, 12, 4] {
        let r = conn
            .send_version(&fetch_request(&t, 0, 0, 0), version)
            .await
            .expect("Fetch answered");
        let p = partition(&r);
        assert_eq!(p.error_code, 0, "v{version}");
        assert_eq!((p.high_watermark, p.last_stable_offset), (5, 5));
        // v4 has no log start offset.
        let log_start = if version >= 5 { 0 } else { -1 };
        assert_eq!(p.log_start_offset, log_start);
        let got = values(p.records.as_ref());
        let want: Vec<(i64, String)> = ["a", "b", "c", "d", "e"]
            .iter()
            .enumerate()
            .map(|(i, v)| (i as i64, (*v).to_owned()))
            .collect();
        assert_eq!(got, want, "v{version}");
    }
    // From the middle of a batch: the whole batch comes back.
    let r = conn
        .send(&fetch_request(&t, 0, 4, 0))
        .await
        .expect("answered");
    let b = batches(partition(&r).records.as_ref());
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].base_offset, 3);
    // At the end: nothing, no error.
    let r = conn
        .send(&fetch_request(&t, 0, 5, 0))
        .await
        .expect("answered");
    assert_eq!(partition(&r).error_code, 0);
    assert!(batches(partition(&r).records.as_ref()).is_empty());
    // Past it: out of range.
    let r = conn
        .send(&fetch_request(&t, 0, 6, 0))
        .await
        .expect("answered");
    assert_eq!(partition(&r).error_code, ErrorCode::OffsetOutOfRange.code());
}

#[tokio::test]
async fn max_bytes_limits_whole_batches_but_one_always_comes() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let t = create(&cluster, "t", 1);
    let conn = connect(&cluster, 0).await;
    let one = batch(&["0123456789"]);
    for _ in 0..3 {
        produce(&conn, &t, 0, one.clone()).await;
    }
    let mut request = fetch_request(&t, 0, 0, 0);
    request.topics[0].partitions[0].partition_max_bytes = (one.len() * 2) as i32;
    let r = conn.send(&request).await.expect("answered");
    assert_eq!(batches(partition(&r).records.as_ref()).len(), 2);
    request.topics[0].partitions[0].partition_max_bytes = 1;
    let r = conn.send(&request).await.expect("answered");
    assert_eq!(batches(partition(&r).records.as_ref()).len(), 1);
}

#[tokio::test]
async fn fetch_long_polls_until_data_arrives_or_max_wait() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let t = create(&cluster, "t", 1);
    let consumer = connect(&cluster, 0).await;
    let producer = connect(&cluster, 0).await;

    let started = Instant::now();
    let r = consumer
        .send(&fetch_request(&t, 0, 0, 300))
        .await
        .expect("answered");
    assert!(started.elapsed() >= Duration::from_millis(290));
    assert!(batches(partition(&r).records.as_ref()).is_empty());

    let started = Instant::now();
    let waiting = {
        let consumer = consumer.clone();
        let t = t.clone();
        tokio::spawn(async move { consumer.send(&fetch_request(&t, 0, 0, 5000)).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    produce(&producer, &t, 0, batch(&["late"])).await;
    let r = waiting.await.expect("task").expect("answered");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "woken by the append, not the deadline"
    );
    assert_eq!(
        values(partition(&r).records.as_ref()),
        vec![(0, "late".to_owned())]
    );
}

#[tokio::test]
async fn produce_and_fetch_at_a_follower_get_not_leader_with_the_leader() {
    let cluster = MockCluster::start(2).await.expect("starts");
    let t = create(&cluster, "t", 1);
    let follower = connect(&cluster, 1).await;
    let r = follower
        .send(&produce_request(&t, 0, batch(&["x"]), -1))
        .await
        .expect("answered");
    let p = &r.responses[0].partition_responses[0];
    assert_eq!(p.error_code, ErrorCode::NotLeaderOrFollower.code());
    assert_eq!(p.current_leader.leader_id, 0);
    assert_eq!(r.node_endpoints.len(), 1);
    assert_eq!(r.node_endpoints[0].node_id, 0);
    let r = follower
        .send(&fetch_request(&t, 0, 0, 1000))
        .await
        .expect("answered");
    assert_eq!(
        partition(&r).error_code,
        ErrorCode::NotLeaderOrFollower.code()
    );
    assert_eq!(partition(&r).current_leader.leader_id, 0);
    let (code, _, _) = list_offsets(&follower, "t", -1).await;
    assert_eq!(code, ErrorCode::NotLeaderOrFollower.code());
}

#[tokio::test]
async fn produce_refuses_bad_records() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let t = create(&cluster, "t", 1);
    let conn = connect(&cluster, 0).await;
    let mut corrupt = BytesMut::from(&batch(&["x"])[..]);
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    let (code, _) = produce(&conn, &t, 0, corrupt.freeze()).await;
    assert_eq!(code, ErrorCode::CorruptMessage.code(), "CRC mismatch");
    let mut two = BytesMut::from(&batch(&["x"])[..]);
    two.extend_from_slice(&batch(&["y"]));
    let (code, _) = produce(&conn, &t, 0, two.freeze()).await;
    assert_eq!(
        code,
        ErrorCode::InvalidRecord.code(),
        "one batch per partition"
    );
    let (code, _) = produce(&conn, &t, 7, batch(&["x"])).await;
    assert_eq!(code, ErrorCode::UnknownTopicOrPartition.code());
    let r = conn
        .send(&produce_request(&t, 0, batch(&["x"]), 2))
        .await
        .expect("answered");
    assert_eq!(
        r.responses[0].partition_responses[0].error_code,
        ErrorCode::InvalidRequiredAcks.code()
    );
    assert_eq!(cluster.offsets("t", 0), Ok((0, 0)), "nothing written");
}

#[tokio::test]
async fn acks_zero_gets_no_response_but_is_written() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let t = create(&cluster, "t", 1);
    let conn = connect(&cluster, 0).await;
    conn.send_without_response(&produce_request(&t, 0, batch(&["quiet"]), 0))
        .await
        .expect("sent");
    // The next answer on the connection is the Fetch's own.
    let r = conn
        .send(&fetch_request(&t, 0, 0, 2000))
        .await
        .expect("answered");
    assert_eq!(
        values(partition(&r).records.as_ref()),
        vec![(0, "quiet".to_owned())]
    );
}

#[tokio::test]
async fn list_offsets_finds_earliest_latest_and_by_timestamp() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let t = create(&cluster, "t", 1);
    let conn = connect(&cluster, 0).await;
    assert_eq!(list_offsets(&conn, "t", -1).await, (0, 0, -1), "empty");
    produce(
        &conn,
        &t,
        0,
        batch_with(BatchOptions::default(), &["a", "b"], 1000),
    )
    .await;
    produce(
        &conn,
        &t,
        0,
        batch_with(BatchOptions::default(), &["c", "d"], 2000),
    )
    .await;
    assert_eq!(list_offsets(&conn, "t", -2).await, (0, 0, -1));
    assert_eq!(list_offsets(&conn, "t", -1).await, (0, 4, -1));
    assert_eq!(list_offsets(&conn, "t", 1001).await, (0, 1, 1001));
    assert_eq!(list_offsets(&conn, "t", 1500).await, (0, 2, 2000));
    assert_eq!(list_offsets(&conn, "t", 9999).await, (0, -1, -1));
    assert_eq!(
        list_offsets(&conn, "t", -3).await,
        (0, 3, 2001),
        "max timestamp"
    );
    let (code, _, _) = list_offsets(&conn, "nope", -1).await;
    assert_eq!(code, ErrorCode::UnknownTopicOrPartition.code());
}

#[tokio::test]
async fn idempotent_producers_get_duplicates_answered_and_gaps_refused() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let t = create(&cluster, "t", 1);
    let conn = connect(&cluster, 0).await;
    let init = conn
        .send(&InitProducerIdRequest {
            transaction_timeout_ms: -1,
            ..Default::default()
        })
        .await
        .expect("answered");
    assert_eq!(init.error_code, 0);
    let pid = init.producer_id;
    assert!(pid >= 0);
    assert_eq!(init.producer_epoch, 0);

    let first = idempotent(pid, 0, 0, &["a", "b", "c"]);
    assert_eq!(produce(&conn, &t, 0, first.clone()).await, (0, 0));
    assert_eq!(
        produce(&conn, &t, 0, idempotent(pid, 0, 3, &["d"])).await,
        (0, 3)
    );
    // A retry of a batch already written: success, its original offset,
    // and nothing written twice.
    assert_eq!(produce(&conn, &t, 0, first).await, (0, 0));
    assert_eq!(cluster.offsets("t", 0), Ok((0, 4)));
    // A gap.
    let (code, _) = produce(&conn, &t, 0, idempotent(pid, 0, 9, &["z"])).await;
    assert_eq!(code, ErrorCode::OutOfOrderSequenceNumber.code());
    // A producer id the cluster never handed out.
    let (code, _) = produce(&conn, &t, 0, idempotent(pid + 100, 0, 0, &["z"])).await;
    assert_eq!(code, ErrorCode::UnknownProducerId.code());
    // The next in sequence still goes.
    assert_eq!(
        produce(&conn, &t, 0, idempotent(pid, 0, 4, &["e"])).await,
        (0, 4)
    );
    // A new id without a transactional id, as Kafka hands out.
    let again = conn
        .send(&InitProducerIdRequest::default())
        .await
        .expect("answered");
    assert_ne!(again.producer_id, pid);
}

#[tokio::test]
async fn transactional_ids_keep_their_producer_id_and_fence_old_epochs() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let t = create(&cluster, "t", 1);
    let conn = connect(&cluster, 0).await;
    let init = InitProducerIdRequest {
        transactional_id: Some("tx".into()),
        transaction_timeout_ms: 60_000,
        ..Default::default()
    };
    let first = conn.send(&init).await.expect("answered");
    assert_eq!(
        produce(&conn, &t, 0, idempotent(first.producer_id, 0, 0, &["a"]))
            .await
            .0,
        0
    );
    let second = conn.send(&init).await.expect("answered");
    assert_eq!(second.producer_id, first.producer_id);
    assert_eq!(second.producer_epoch, 1);
    let (code, _) = produce(&conn, &t, 0, idempotent(first.producer_id, 0, 1, &["b"])).await;
    assert_eq!(code, ErrorCode::InvalidProducerEpoch.code());
    // The new epoch starts again at sequence 0.
    let (code, _) = produce(&conn, &t, 0, idempotent(first.producer_id, 1, 1, &["b"])).await;
    assert_eq!(code, ErrorCode::OutOfOrderSequenceNumber.code());
    assert_eq!(
        produce(&conn, &t, 0, idempotent(first.producer_id, 1, 0, &["b"])).await,
        (0, 1)
    );
    // Naming a stale epoch is fenced.
    let stale = InitProducerIdRequest {
        producer_id: first.producer_id,
        producer_epoch: 0,
        ..init
    };
    let r = conn.send(&stale).await.expect("answered");
    assert_eq!(r.error_code, ErrorCode::ProducerFenced.code());
}

#[tokio::test]
async fn a_topics_retention_bytes_config_caps_its_partitions() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let conn = connect(&cluster, 0).await;
    let one = batch(&["0123456789"]);
    let r = conn
        .send(&CreateTopicsRequest {
            topics: vec![CreatableTopic {
                name: "capped".into(),
                num_partitions: 1,
                replication_factor: 1,
                configs: vec![CreatableTopicConfig {
                    name: "retention.bytes".into(),
                    value: Some((one.len() * 2).to_string()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .expect("answered");
    let t = Topic {
        name: "capped".into(),
        id: r.topics[0].topic_id,
    };
    for _ in 0..5 {
        produce(&conn, &t, 0, one.clone()).await;
    }
    assert_eq!(cluster.offsets("capped", 0), Ok((3, 5)));
}

#[tokio::test]
async fn retention_drops_the_oldest_batches_and_advances_the_log_start() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let t = create(&cluster, "t", 1);
    let one = batch(&["0123456789"]);
    cluster.set_retention_bytes(one.len() * 4);
    let conn = connect(&cluster, 0).await;
    for i in 0..10 {
        assert_eq!(produce(&conn, &t, 0, one.clone()).await, (0, i));
    }
    assert_eq!(cluster.offsets("t", 0), Ok((6, 10)));
    let r = conn
        .send(&fetch_request(&t, 0, 0, 0))
        .await
        .expect("answered");
    assert_eq!(partition(&r).error_code, ErrorCode::OffsetOutOfRange.code());
    assert_eq!(partition(&r).log_start_offset, 6);
    let r = conn
        .send(&fetch_request(&t, 0, 6, 0))
        .await
        .expect("answered");
    assert_eq!(batches(partition(&r).records.as_ref()).len(), 4);
}
