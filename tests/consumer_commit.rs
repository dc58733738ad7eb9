//! What the consumer commits, through the mock cluster: `commit()` with
//! `enable.auto.offset.store=false` commits the offsets the application
//! stored (not what it was handed), and a `Consumer` dropped without
//! `close` commits what auto commit would have committed before it leaves
//! the group.

mod faults_util;

use std::time::Duration;

use faults_util::*;
use ferrokafka::consumer::{Consumer, Message};
use ferrokafka::mock::MockCluster;
use ferrokafka::producer::Producer;

async fn produce(cluster: &MockCluster, topic: &str, n: usize) {
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let outcomes = send_range(&producer, topic, 0..n, |_| Some(0)).await;
    assert_all_delivered(&outcomes);
    within("producer close", producer.close(Duration::from_secs(5))).await;
}

/// Polls `c` until `n` messages came.
async fn take(c: &mut Consumer, n: usize) -> Vec<Message> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + LIMIT;
    while out.len() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {n} messages",
            out.len()
        );
        match within("poll", c.poll(Duration::from_millis(50))).await {
            Some(Ok(m)) => out.push(m),
            Some(Err(e)) if e.is_partition_eof() => {}
            Some(Err(e)) => panic!("poll failed: {e}"),
            None => {}
        }
    }
    out
}

/// The group's committed offset of `topic` [0], read by a fresh consumer.
async fn committed(cluster: &MockCluster, group: &str, topic: &str) -> Option<i64> {
    let reader = Consumer::new(consumer_config(
        &cluster.bootstrap_servers(),
        Some(group),
        &[],
    ))
    .expect("consumer");
    within(
        "committed",
        reader.committed(&[(topic, 0)], Duration::from_secs(5)),
    )
    .await
    .expect("committed")[0]
        .1
}

#[tokio::test]
async fn commit_with_manual_offset_store_commits_the_stored_offset() {
    let topic = unique("ccommit-stored");
    let group = unique("ccommit-stored-group");
    let cluster = mock_with_topic(1, &topic, 1).await;
    produce(&cluster, &topic, 10).await;
    let mut c = Consumer::new(consumer_config(
        &cluster.bootstrap_servers(),
        Some(&group),
        &[
            ("enable.auto.offset.store", "false"),
            ("enable.auto.commit", "false"),
        ],
    ))
    .expect("consumer");
    c.subscribe(&[&topic]).expect("subscribe");
    let got = take(&mut c, 10).await;
    assert_eq!(
        got.iter().map(Message::offset).collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>()
    );
    // Processed up to offset 2: the next to read is 3.
    c.store_offset(&got[2]).expect("store");
    within("commit", c.commit()).await.expect("commit");
    assert_eq!(
        committed(&cluster, &group, &topic).await,
        Some(3),
        "commit() commits the stored offset, not the position (10)"
    );
    // commit_async commits the stored offsets too.
    c.store_offset(&got[5]).expect("store");
    c.commit_async().expect("commit_async");
    let deadline = tokio::time::Instant::now() + LIMIT;
    while committed(&cluster, &group, &topic).await != Some(6) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "commit_async never committed 6"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    within("close", c.close()).await.expect("close");
}

#[tokio::test]
async fn commit_with_nothing_stored_commits_nothing() {
    let topic = unique("ccommit-none");
    let group = unique("ccommit-none-group");
    let cluster = mock_with_topic(1, &topic, 1).await;
    produce(&cluster, &topic, 5).await;
    let mut c = Consumer::new(consumer_config(
        &cluster.bootstrap_servers(),
        Some(&group),
        &[
            ("enable.auto.offset.store", "false"),
            ("enable.auto.commit", "false"),
        ],
    ))
    .expect("consumer");
    c.subscribe(&[&topic]).expect("subscribe");
    take(&mut c, 5).await;
    within("commit", c.commit()).await.expect("commit");
    assert_eq!(
        committed(&cluster, &group, &topic).await,
        None,
        "nothing stored, nothing committed"
    );
    within("close", c.close()).await.expect("close");
}

#[tokio::test]
async fn commit_with_auto_offset_store_commits_the_consumed_position() {
    let topic = unique("ccommit-auto");
    let group = unique("ccommit-auto-group");
    let cluster = mock_with_topic(1, &topic, 1).await;
    produce(&cluster, &topic, 10).await;
    let mut c = Consumer::new(consumer_config(
        &cluster.bootstrap_servers(),
        Some(&group),
        &[("enable.auto.commit", "false")],
    ))
    .expect("consumer");
    c.subscribe(&[&topic]).expect("subscribe");
    take(&mut c, 7).await;
    within("commit", c.commit()).await.expect("commit");
    assert_eq!(committed(&cluster, &group, &topic).await, Some(7));
    within("close", c.close()).await.expect("close");
}
