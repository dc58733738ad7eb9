//! What the consumer commits, through the mock cluster: `commit()` with
//! `enable.auto.offset.store=false` commits the offsets the application
//! stored (not what it was handed), and a `Consumer` dropped without
//! `close` commits what auto commit would have committed before it leaves
//! the group.

mod faults_util;

use std::time::Duration;

use faults_util::*;
use ferrokafka::consumer::{Consumer, Message};
use ferrokafka::producer::Producer;
use ferrokafka::protocol::{ApiKey, ErrorCode};
use ferrokafka_mock::MockCluster;

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

/// Waits until the mock saw a LeaveGroup; returns the APIs it received,
/// in order.
async fn wait_for_leave(cluster: &MockCluster) -> Vec<ApiKey> {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let apis: Vec<ApiKey> = cluster.requests().iter().map(|r| r.api_key).collect();
        if apis.contains(&ApiKey::LeaveGroup) {
            return apis;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the dropped consumer never left the group"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A group member that consumed `n` of `n` records, with `extra` config
/// and auto commits too far apart to happen during the test.
async fn member_that_consumed(
    cluster: &MockCluster,
    group: &str,
    topic: &str,
    n: usize,
    extra: &[(&str, &str)],
) -> (Consumer, Vec<Message>) {
    produce(cluster, topic, n).await;
    let mut props = vec![("auto.commit.interval.ms", "600000")];
    props.extend_from_slice(extra);
    let mut c = Consumer::new(consumer_config(
        &cluster.bootstrap_servers(),
        Some(group),
        &props,
    ))
    .expect("consumer");
    c.subscribe(&[topic]).expect("subscribe");
    let got = take(&mut c, n).await;
    (c, got)
}

#[tokio::test]
async fn a_dropped_consumer_commits_what_auto_commit_would_then_leaves() {
    let topic = unique("ccommit-drop");
    let group = unique("ccommit-drop-group");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let (c, _) = member_that_consumed(&cluster, &group, &topic, 10, &[]).await;
    cluster.clear_requests();
    // The first try is refused for a moment: leaving the group during
    // the retry's backoff would void the commit (UNKNOWN_MEMBER_ID).
    cluster.push_request_errors(
        ApiKey::OffsetCommit,
        &[ErrorCode::CoordinatorLoadInProgress],
    );
    drop(c);
    let apis = wait_for_leave(&cluster).await;
    let commit = apis.iter().rposition(|a| *a == ApiKey::OffsetCommit);
    let leave = apis.iter().position(|a| *a == ApiKey::LeaveGroup);
    assert!(
        commit.is_some_and(|c| Some(c) < leave),
        "committed (after a retry), then left: {apis:?}"
    );
    assert_eq!(committed(&cluster, &group, &topic).await, Some(10));
}

#[tokio::test]
async fn a_dropped_consumer_with_manual_store_commits_only_the_stored_offset() {
    let topic = unique("ccommit-drop-stored");
    let group = unique("ccommit-drop-stored-group");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let (mut c, got) = member_that_consumed(
        &cluster,
        &group,
        &topic,
        10,
        &[("enable.auto.offset.store", "false")],
    )
    .await;
    c.store_offset(&got[4]).expect("store");
    drop(c);
    wait_for_leave(&cluster).await;
    assert_eq!(committed(&cluster, &group, &topic).await, Some(5));
}

#[tokio::test]
async fn a_dropped_consumer_without_auto_commit_commits_nothing_and_leaves() {
    let topic = unique("ccommit-drop-manual");
    let group = unique("ccommit-drop-manual-group");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let (c, _) = member_that_consumed(
        &cluster,
        &group,
        &topic,
        10,
        &[("enable.auto.commit", "false")],
    )
    .await;
    cluster.clear_requests();
    drop(c);
    let apis = wait_for_leave(&cluster).await;
    assert!(!apis.contains(&ApiKey::OffsetCommit), "{apis:?}");
    assert_eq!(committed(&cluster, &group, &topic).await, None);
}
