//! The idempotent producer takes a new epoch while a partition's leader
//! crashes mid-request, on the three-node cluster: the requests the dead
//! leader had (written, maybe replicated, never answered) must be settled
//! under the epoch they were sent with before the producer bumps it, or
//! their retries are written twice. The bump comes from records the
//! broker refuses for good (keyless records on a compacted topic:
//! INVALID_RECORD). Every other record is delivered exactly once, in
//! order per key. Alone in its file: it takes a cluster node down.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::nodes::KilledNode;
use ferrokafka::admin::{Admin, NewTopic};
use ferrokafka::config::ClientConfig;
use ferrokafka::producer::{Producer, ProducerRecord};
use ferrokafka::protocol::ErrorCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_epoch_bump_during_a_leader_crash_loses_and_duplicates_nothing() {
    let bootstrap = common::cluster_bootstrap().join(",");
    let topic = common::unique("ferro-bump-crash");
    let compacted = common::unique("ferro-bump-compacted");
    let config = ClientConfig::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("acks", "all"),
        ("enable.idempotence", "true"),
        ("linger.ms", "2"),
        ("retry.backoff.ms", "100"),
        ("request.timeout.ms", "3000"),
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
    admin
        .create_topic(NewTopic::new(&compacted, 1, 3).config("cleanup.policy", "compact"))
        .await
        .expect("compacted topic on the cluster");

    let producer = Producer::new(config).expect("producer");
    let n = 4000usize;
    let keys = 30;
    let mut futures = Vec::with_capacity(n);
    let mut refused = Vec::new();
    let mut killed = None;
    for i in 0..n {
        let record = ProducerRecord::new(&topic)
            .key(format!("k{}", i % keys))
            .value(format!("{i}"));
        futures.push(producer.send(record).await.expect("queued"));
        if i % 200 == 199 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if i == n / 3 {
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
        // Right after the crash, and twice more while it is settled: a
        // record refused for good, so the producer must take a new epoch.
        if killed.is_some() && [n / 3 + 1, n / 3 + 200, n / 3 + 600].contains(&i) {
            let keyless = ProducerRecord::new(&compacted).value(format!("{i}"));
            refused.push(producer.send(keyless).await.expect("queued"));
        }
    }
    let mut killed = killed.expect("a node was killed");
    tokio::time::sleep(Duration::from_secs(2)).await;
    killed.restart();

    for f in refused {
        match tokio::time::timeout(Duration::from_secs(180), f)
            .await
            .expect("no hang")
        {
            Err(e) => assert_eq!(e.code(), Some(ErrorCode::InvalidRecord), "{e}"),
            Ok(d) => panic!("a keyless record on a compacted topic was written: {d:?}"),
        }
    }
    let mut offsets_seen: HashMap<(i32, i64), usize> = HashMap::new();
    for (i, f) in futures.into_iter().enumerate() {
        let d = tokio::time::timeout(Duration::from_secs(180), f)
            .await
            .expect("no hang")
            .unwrap_or_else(|e| panic!("record {i}: {e}"));
        if d.offset >= 0 {
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
    let mut last: HashMap<String, usize> = HashMap::new();
    let mut seen = vec![false; n];
    for (_, _, key, value) in &rows {
        let i: usize = value.parse().expect("value is the index");
        assert!(!seen[i], "record {i} stored twice");
        seen[i] = true;
        if let Some(prev) = last.insert(key.clone(), i) {
            assert!(i > prev, "{key}: record {i} stored after {prev}");
        }
    }
    assert_eq!(rows.len(), n, "exactly {n} records stored");
}
