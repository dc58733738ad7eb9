//! The group follows the topics' metadata: partitions added to a
//! subscribed topic (with Kafka's own TopicCommand) and a subscribed topic
//! created after the group formed both get consumed, because the leader
//! sees the partition counts change and rebalances.

mod consumer_util;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use consumer_util::*;
use ferrokafka::consumer::{Consumer, ConsumerError, Rebalance};

/// A consumer of `topic` with a quick metadata refresh, and the changes
/// its rebalance listener saw.
fn consumer(topic: &str, strategy: &str) -> (Consumer, Arc<Mutex<Vec<Rebalance>>>) {
    let config = group_config(&unique("ferro-g"))
        .set("partition.assignment.strategy", strategy)
        .and_then(|c| c.set("metadata.max.age.ms", "500"))
        .expect("valid");
    let mut c = Consumer::new(config).expect("consumer");
    let changes = Arc::new(Mutex::new(Vec::new()));
    let seen = changes.clone();
    c.set_rebalance_listener(move |change| {
        seen.lock().expect("not poisoned").push(change.clone());
    });
    c.subscribe(&[topic]).expect("subscribes");
    (c, changes)
}

/// Polls until `n` records came; unknown-topic errors (the topic may not
/// exist yet) and end-of-partition events are skipped.
async fn read(c: &mut Consumer, n: usize, within: Duration) -> Vec<(i32, i64)> {
    let deadline = Instant::now() + within;
    let mut out = Vec::new();
    while out.len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} records; assignment {:?}",
            out.len(),
            c.assignment()
        );
        match c.poll(Duration::from_millis(200)).await {
            Some(Ok(m)) => out.push((m.partition(), m.offset())),
            Some(Err(ConsumerError::UnknownTopic { .. })) => {}
            Some(Err(e)) if e.is_partition_eof() => {}
            Some(Err(e)) => panic!("poll failed: {e}"),
            None => {}
        }
    }
    out
}

fn ten(tag: &str) -> Vec<String> {
    (0..10).map(|i| format!("{tag}-{i}")).collect()
}

async fn partitions_added_are_consumed(strategy: &str) {
    let topic = unique("ferro-c-grow");
    let id = create_topic(&topic, 2).await;
    let (mut c, changes) = consumer(&topic, strategy);
    for p in 0..2 {
        produce(&topic, id, p, &ten("before")).await;
    }
    let before = read(&mut c, 20, Duration::from_secs(30)).await;
    assert!(before.iter().all(|(p, _)| *p < 2));

    kafka_tool(
        "org.apache.kafka.tools.TopicCommand",
        &[
            "--bootstrap-server",
            &bootstrap(),
            "--alter",
            "--topic",
            &topic,
            "--partitions",
            "4",
        ],
    )
    .await;
    for p in 0..4 {
        produce(&topic, id, p, &ten("after")).await;
    }
    let after = read(&mut c, 40, Duration::from_secs(30)).await;
    let partitions: BTreeSet<i32> = after.iter().map(|(p, _)| *p).collect();
    assert_eq!(partitions, BTreeSet::from([0, 1, 2, 3]));
    assert_eq!(after.len(), 40, "nothing read twice: {after:?}");
    assert_eq!(c.assignment().len(), 4);

    let changes = changes.lock().expect("not poisoned").clone();
    let revoked = changes
        .iter()
        .any(|c| matches!(c, Rebalance::Revoked(tps) if !tps.is_empty()));
    let cooperative = strategy == "cooperative-sticky";
    assert_eq!(revoked, !cooperative, "{strategy}: {changes:?}");
    c.close().await.expect("closes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_added_to_a_topic_are_consumed_eager() {
    partitions_added_are_consumed("range").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_added_to_a_topic_are_consumed_cooperative() {
    partitions_added_are_consumed("cooperative-sticky").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscribed_topic_created_later_is_consumed() {
    let topic = unique("ferro-c-later");
    let (mut c, changes) = consumer(&topic, "cooperative-sticky");
    // Let the group form with nothing to assign.
    let formed = Instant::now() + Duration::from_secs(20);
    while changes.lock().expect("not poisoned").is_empty() {
        assert!(Instant::now() < formed, "the group never formed");
        if let Some(Err(e)) = c.poll(Duration::from_millis(100)).await {
            assert!(matches!(e, ConsumerError::UnknownTopic { .. }), "{e}");
        }
    }
    assert!(c.assignment().is_empty());
    let id = create_topic(&topic, 2).await;
    for p in 0..2 {
        produce(&topic, id, p, &ten("new")).await;
    }
    let got = read(&mut c, 20, Duration::from_secs(30)).await;
    assert_eq!(got.len(), 20);
    c.close().await.expect("closes");
}
