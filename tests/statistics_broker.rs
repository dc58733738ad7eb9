//! Statistics against a real Kafka broker: the producer's `txmsgs` is
//! what was sent, the consumer's `rxmsgs`, offsets, lag and group match
//! what it read and committed, and the callback's JSON parses with
//! librdkafka's field names.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::Consumer;
use ferrokafka::producer::{Producer, ProducerRecord};

#[tokio::test]
async fn producer_and_consumer_statistics_match_what_was_sent_and_read() {
    let bootstrap = common::bootstrap();
    let topic = common::unique("ferro-stats");
    common::create_topic(&topic, 3).await;
    let json: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = json.clone();
    let producer = Producer::new(
        ClientConfig::new()
            .bootstrap_servers([bootstrap.clone()])
            .statistics_interval(Duration::from_millis(200))
            .statistics_callback(move |s| sink.lock().expect("lock").push(s.to_json())),
    )
    .expect("producer");
    let n = 300;
    let mut futures = Vec::new();
    for i in 0..n {
        let record = ProducerRecord::json(&topic, &serde_json::json!({ "i": i }))
            .expect("serialises")
            .partition(i % 3);
        futures.push(producer.send(record).await.expect("queued"));
    }
    for f in futures {
        tokio::time::timeout(Duration::from_secs(30), f)
            .await
            .expect("in time")
            .expect("delivered");
    }
    let s = producer.statistics().await.expect("statistics");
    assert_eq!(s.txmsgs, n as i64, "txmsgs is the number sent");
    let parts = &s.topics[&topic].partitions;
    for p in ["0", "1", "2"] {
        assert_eq!(parts[p].txmsgs, 100, "partition {p}");
        assert_eq!(parts[p].msgq_cnt, 0);
        assert!(parts[p].leader >= 0);
    }
    assert_eq!(s.msg_cnt, 0);
    let eos = s.eos.as_ref().expect("eos");
    assert_eq!(eos.idemp_state, "Assigned");
    assert!(eos.producer_id >= 0);
    let leader = s
        .brokers
        .values()
        .find(|b| b.nodeid >= 0 && !b.toppars.is_empty())
        .expect("the leader, learned from metadata");
    assert_eq!(leader.state, "UP");
    assert!(leader.req["Produce"] >= 1);
    assert!(leader.rtt.cnt >= 1 || s.brokers.values().any(|b| b.rtt.cnt >= 1));
    assert_eq!(leader.toppars.len(), 3);
    // The callback ran and its JSON has librdkafka's shape.
    let deadline = Instant::now() + Duration::from_secs(5);
    while json.lock().expect("lock").is_empty() {
        assert!(Instant::now() < deadline, "no statistics callback in 5 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let first = json.lock().expect("lock")[0].clone();
    let v: serde_json::Value = serde_json::from_str(&first).expect("JSON");
    assert_eq!(v["type"], "producer");
    for k in ["brokers", "topics", "txmsgs", "msg_cnt", "eos"] {
        assert!(v.get(k).is_some(), "{k} missing from {first}");
    }
    producer.close(Duration::from_secs(10)).await;

    let group = common::unique("ferro-stats-g");
    let mut consumer = Consumer::new(
        ClientConfig::new()
            .bootstrap_servers([bootstrap])
            .group_id(&group)
            .set("auto.offset.reset", "earliest")
            .and_then(|c| c.set("enable.auto.commit", "false"))
            .expect("config"),
    )
    .expect("consumer");
    consumer.subscribe(&[&topic]).expect("subscribes");
    let mut read = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while read < n {
        assert!(Instant::now() < deadline, "read {read} of {n} in time");
        if let Some(m) = consumer.poll(Duration::from_millis(500)).await {
            let m = m.expect("a message");
            let v: serde_json::Value = m.json().expect("JSON value");
            assert!(v["i"].is_u64());
            read += 1;
        }
    }
    consumer.commit().await.expect("commits");
    let s = consumer.statistics().await.expect("statistics");
    assert_eq!(s.rxmsgs, n as i64, "rxmsgs is the number read");
    for p in ["0", "1", "2"] {
        let p = &s.topics[&topic].partitions[p];
        assert_eq!(
            (p.app_offset, p.committed_offset, p.hi_offset),
            (100, 100, 100)
        );
        assert_eq!(p.consumer_lag, 0);
        assert_eq!(p.fetchq_cnt, 0);
    }
    let cgrp = s.cgrp.as_ref().expect("cgrp");
    assert_eq!(cgrp.state, "up");
    assert_eq!(cgrp.joinstate, "steady");
    assert_eq!(cgrp.assignment_size, 3);
    assert!(cgrp.rebalance_cnt >= 1);
    consumer.close().await.expect("closes");
}
