//! The idempotent producer across a broker crash on the three-node
//! cluster: the leader of a partition is killed mid-stream and started
//! again; every record is delivered exactly once and in order per key.
//! Alone in its file: it takes a cluster node down, which other tests
//! running beside it would feel.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::nodes::KilledNode;
use ferrokafka::admin::{Admin, NewTopic};
use ferrokafka::config::ClientConfig;
use ferrokafka::producer::{Producer, ProducerRecord};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_crash_loses_and_duplicates_nothing() {
    let bootstrap = common::cluster_bootstrap().join(",");
    let topic = common::unique("ferro-failover");
    let config = ClientConfig::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("acks", "all"),
        ("enable.idempotence", "true"),
        ("linger.ms", "2"),
        ("retry.backoff.ms", "100"),
        ("request.timeout.ms", "5000"),
        ("message.timeout.ms", "120000"),
        ("reconnect.backoff.max.ms", "500"),
        ("metadata.max.age.ms", "2000"),
    ])
    .expect("config");
    let admin = Admin::new(config.clone()).expect("admin");
    admin
        .create_topic(NewTopic::new(&topic, 3, 3).config("min.insync.replicas", "2"))
        .await
        .expect("topic on the cluster");

    let producer = Producer::new(config).expect("producer");
    let n = 6000usize;
    let keys = 30;
    let mut futures = Vec::with_capacity(n);
    let mut killed = None;
    for i in 0..n {
        let record = ProducerRecord::new(&topic)
            .key(format!("k{}", i % keys))
            .value(format!("{i}"));
        futures.push(producer.send(record).await.expect("queued"));
        if i % 200 == 199 {
            // Keep a few requests in flight rather than everything queued.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if i == n / 3 {
            // The producer may still be learning the topic: ask until its
            // metadata names partition 0's leader.
            let mut leader = None;
            for _ in 0..100 {
                leader = producer.cluster().metadata().leader(&topic, 0);
                if leader.is_some() {
                    break;
                }
                let _ = producer.cluster().refresh().await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let (leader, _) = leader.expect("partition 0 has a leader");
            killed = Some(KilledNode::kill(leader));
        }
    }
    let mut killed = killed.expect("a node was killed");
    // Records keep flowing to the new leaders while the node is down.
    tokio::time::sleep(Duration::from_secs(2)).await;
    killed.restart();

    let mut last_offset: HashMap<(i32, String), i64> = HashMap::new();
    let mut offsets_seen: HashMap<(i32, i64), usize> = HashMap::new();
    for (i, f) in futures.into_iter().enumerate() {
        let d = tokio::time::timeout(Duration::from_secs(180), f)
            .await
            .expect("no hang")
            .unwrap_or_else(|e| panic!("record {i}: {e}"));
        let key = format!("k{}", i % keys);
        if d.offset >= 0 {
            if let Some(prev) = last_offset.insert((d.partition, key.clone()), d.offset) {
                assert!(d.offset > prev, "{key}: offset {} after {prev}", d.offset);
            }
            if let Some(other) = offsets_seen.insert((d.partition, d.offset), i) {
                panic!(
                    "records {other} and {i} both at {}:{}",
                    d.partition, d.offset
                );
            }
        }
    }
    assert_eq!(producer.flush(Duration::from_secs(30)).await, 0);

    // What the cluster holds: every value once, in send order per key.
    let rows = common::kcat_read(&bootstrap, &topic);
    assert_eq!(rows.len(), n, "exactly {n} records stored");
    let mut last: HashMap<String, usize> = HashMap::new();
    let mut seen = vec![false; n];
    for (_, _, key, value) in rows {
        let i: usize = value.parse().expect("value is the index");
        assert!(!seen[i], "record {i} stored twice");
        seen[i] = true;
        if let Some(prev) = last.insert(key.clone(), i) {
            assert!(i > prev, "{key}: record {i} stored after {prev}");
        }
    }
}
