//! Closing a classic-protocol member right after another member's
//! LeaveGroup started a rebalance: the close's commit may be refused with
//! ILLEGAL_GENERATION or REBALANCE_IN_PROGRESS (the group moved on, or is
//! moving). As Java's consumer does, close then skips the commit with a
//! warning and still leaves the group cleanly: `close` succeeds and the
//! coordinator gets the member's LeaveGroup.

mod faults_util;

use std::time::Duration;

use faults_util::*;
use ferrokafka::consumer::Consumer;
use ferrokafka::producer::Producer;
use ferrokafka::protocol::messages::RequestBody;
use ferrokafka::protocol::{ApiKey, ErrorCode};
use ferrokafka_mock::MockCluster;

async fn produce(cluster: &MockCluster, topic: &str, n: usize) {
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let outcomes = send_range(&producer, topic, 0..n, |i| Some((i % 2) as i32)).await;
    assert_all_delivered(&outcomes);
    within("producer close", producer.close(Duration::from_secs(5))).await;
}

/// Polls until `c` read `n` records.
async fn read(c: &mut Consumer, n: usize) {
    let mut got = 0;
    let deadline = tokio::time::Instant::now() + LIMIT;
    while got < n {
        assert!(tokio::time::Instant::now() < deadline, "read {got} of {n}");
        match within("poll", c.poll(Duration::from_millis(50))).await {
            Some(Ok(_)) => got += 1,
            Some(Err(e)) if e.is_partition_eof() => {}
            Some(Err(e)) => panic!("poll: {e}"),
            None => {}
        }
    }
}

/// The member ids of the LeaveGroups received.
fn leavers(cluster: &MockCluster) -> Vec<String> {
    cluster
        .requests()
        .into_iter()
        .filter_map(|r| match r.body {
            Some(RequestBody::LeaveGroup(l)) => Some(
                std::iter::once(l.member_id)
                    .chain(l.members.into_iter().map(|m| m.member_id))
                    .filter(|id| !id.is_empty())
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Two members share two partitions; B leaves; A's close meets `code`
/// on its commit.
async fn close_after_a_leave(code: ErrorCode) {
    let topic = unique("mclose");
    let group = unique("mclose-g");
    let cluster = mock_with_topic(1, &topic, 2).await;
    produce(&cluster, &topic, 20).await;
    // No auto commit before close: close's commit is the one that meets
    // the refusal.
    let cfg = consumer_config(
        &cluster.bootstrap_servers(),
        Some(&group),
        &[("auto.commit.interval.ms", "60000")],
    );
    let mut a = Consumer::new(cfg.clone()).expect("consumer");
    a.subscribe(&[topic.as_str()]).expect("subscribes");
    read(&mut a, 20).await;
    let mut b = Consumer::new(cfg).expect("consumer");
    b.subscribe(&[topic.as_str()]).expect("subscribes");
    // A and B with a partition each.
    let deadline = tokio::time::Instant::now() + LIMIT;
    while a.assignment().len() != 1 || b.assignment().len() != 1 {
        assert!(tokio::time::Instant::now() < deadline, "b never assigned");
        let _ = within("poll a", a.poll(Duration::from_millis(20))).await;
        let _ = within("poll b", b.poll(Duration::from_millis(20))).await;
    }
    produce(&cluster, &topic, 20).await;
    read(&mut a, 10).await;
    within("b closes", b.close()).await.expect("b closes");
    cluster.clear_requests();
    cluster.push_request_errors(ApiKey::OffsetCommit, &[code]);
    let closed = within("a closes", a.close()).await;
    assert!(closed.is_ok(), "{code}: close failed: {closed:?}");
    let commits = cluster
        .requests()
        .iter()
        .filter(|r| r.api_key == ApiKey::OffsetCommit)
        .count();
    let keys: Vec<ApiKey> = cluster.requests().iter().map(|r| r.api_key).collect();
    assert_eq!(commits, 1, "{code}: the commit was tried once: {keys:?}");
    assert_eq!(leavers(&cluster).len(), 1, "{code}: A left the group");
    // The group is empty: a newcomer gets both partitions at once.
    let mut c = Consumer::new(consumer_config(
        &cluster.bootstrap_servers(),
        Some(&group),
        &[],
    ))
    .expect("consumer");
    c.subscribe(&[topic.as_str()]).expect("subscribes");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while c.assignment().len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{code}: A still held the group"
        );
        let _ = within("poll c", c.poll(Duration::from_millis(20))).await;
    }
    within("c closes", c.close()).await.expect("c closes");
}

#[tokio::test]
async fn close_after_another_members_leave_survives_illegal_generation() {
    close_after_a_leave(ErrorCode::IllegalGeneration).await;
}

#[tokio::test]
async fn close_after_another_members_leave_survives_rebalance_in_progress() {
    close_after_a_leave(ErrorCode::RebalanceInProgress).await;
}
