//! The consumer's error paths, proved through the mock cluster's fault
//! injection: coordinator moves, fetch errors, leader moves, offsets out
//! of range, brokers going down. In each, every record is consumed
//! exactly once, in order per partition, errors that must reach the
//! application do (and only retriable ones otherwise), and nothing stalls:
//! every wait is bounded.

mod faults_util;

use std::collections::BTreeMap;
use std::time::Duration;

use faults_util::*;
use ferrokafka::consumer::{Consumer, ConsumerError, Message, Offset};
use ferrokafka::producer::Producer;
use ferrokafka::protocol::{ApiKey, ErrorCode};
use ferrokafka_mock::MockCluster;

/// Writes records `range` to `topic`, record `i` to partition
/// `i % partitions`, and checks they were all delivered.
async fn produce(
    cluster: &MockCluster,
    topic: &str,
    range: std::ops::Range<usize>,
    partitions: i32,
) {
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let outcomes = send_range(&producer, topic, range, |i| Some(i as i32 % partitions)).await;
    assert_all_delivered(&outcomes);
    within("producer close", producer.close(Duration::from_secs(5))).await;
}

/// What polling brought besides messages.
#[derive(Default, Debug)]
struct Polled {
    messages: Vec<Message>,
    /// Errors the consumer reported (EOF events are not counted).
    errors: Vec<String>,
}

/// Polls `consumers` in turn until `n` messages came in all, then for
/// `quiet` more to catch any duplicate. Fatal errors fail the test;
/// retriable ones are kept for the test to judge.
async fn consume(consumers: &mut [&mut Consumer], n: usize, quiet: Duration) -> Vec<Polled> {
    let mut polled: Vec<Polled> = consumers.iter().map(|_| Polled::default()).collect();
    let deadline = tokio::time::Instant::now() + LIMIT;
    let total = |p: &[Polled]| p.iter().map(|p| p.messages.len()).sum::<usize>();
    while total(&polled) < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "stalled: {} of {n} messages within {LIMIT:?}; errors: {:?}",
            total(&polled),
            polled.iter().map(|p| &p.errors).collect::<Vec<_>>()
        );
        for (c, p) in consumers.iter_mut().zip(polled.iter_mut()) {
            poll_once(c, p, Duration::from_millis(20)).await;
        }
    }
    let quiet_until = tokio::time::Instant::now() + quiet;
    while tokio::time::Instant::now() < quiet_until {
        for (c, p) in consumers.iter_mut().zip(polled.iter_mut()) {
            poll_once(c, p, Duration::from_millis(20)).await;
        }
    }
    polled
}

async fn poll_once(consumer: &mut Consumer, polled: &mut Polled, wait: Duration) {
    match within("poll", consumer.poll(wait)).await {
        None => {}
        Some(Ok(m)) => polled.messages.push(m),
        Some(Err(e)) if e.is_partition_eof() => {}
        Some(Err(e)) if e.is_retriable() => polled.errors.push(e.to_string()),
        Some(Err(e)) => panic!("a fatal consumer error: {e}"),
    }
}

/// Every index of `expected` consumed exactly once over all `polled`,
/// each consumer's messages in offset order per partition, and per
/// partition the indexes in send order.
fn assert_consumed_once(polled: &[Polled], expected: std::ops::Range<usize>) {
    let mut seen: BTreeMap<usize, (usize, i32, i64)> = BTreeMap::new();
    for (who, p) in polled.iter().enumerate() {
        let mut last: BTreeMap<i32, i64> = BTreeMap::new();
        for m in &p.messages {
            if let Some(before) = last.insert(m.partition(), m.offset()) {
                assert!(
                    m.offset() > before,
                    "consumer {who}, partition {}: offset {} after {before}",
                    m.partition(),
                    m.offset()
                );
            }
            if let Some(first) = seen.insert(index_of(m), (who, m.partition(), m.offset())) {
                panic!(
                    "record {} consumed twice: (consumer, partition, offset) {first:?} and ({who}, {}, {})",
                    index_of(m),
                    m.partition(),
                    m.offset()
                );
            }
        }
    }
    let missing: Vec<usize> = expected.clone().filter(|i| !seen.contains_key(i)).collect();
    assert!(missing.is_empty(), "never consumed: {missing:?}");
    let extra: Vec<&usize> = seen.keys().filter(|i| !expected.contains(i)).collect();
    assert!(extra.is_empty(), "consumed but not expected: {extra:?}");
    let all: Vec<Message> = polled.iter().flat_map(|p| p.messages.clone()).collect();
    assert_send_order(&all);
}

fn group_consumer(cluster: &MockCluster, group: &str, topic: &str) -> Consumer {
    let mut c = Consumer::new(consumer_config(
        &cluster.bootstrap_servers(),
        Some(group),
        &[],
    ))
    .expect("consumer");
    c.subscribe(&[topic]).expect("subscribe");
    c
}

fn assigned_consumer(
    cluster: &MockCluster,
    topic: &str,
    partitions: i32,
    extra: &[(&str, &str)],
) -> Consumer {
    let mut c = Consumer::new(consumer_config(&cluster.bootstrap_servers(), None, extra))
        .expect("consumer");
    let parts: Vec<(&str, i32, Offset)> = (0..partitions)
        .map(|p| (topic, p, Offset::Beginning))
        .collect();
    c.assign(&parts).expect("assign");
    c
}

#[tokio::test]
async fn not_coordinator_on_join_heartbeat_and_commit_during_a_rebalance() {
    let topic = unique("cfaults-coord");
    let group = unique("cfaults-coord-group");
    let cluster = mock_with_topic(2, &topic, 4).await;
    produce(&cluster, &topic, 0..60, 4).await;
    let mut a = group_consumer(&cluster, &group, &topic);
    let first = consume(&mut [&mut a], 60, Duration::ZERO).await;
    within("commit", a.commit()).await.expect("commit");
    // A second member joins while the coordinator "moves": each group
    // request fails once or twice with NOT_COORDINATOR.
    cluster.push_request_errors(ApiKey::Heartbeat, &[ErrorCode::NotCoordinator; 2]);
    cluster.push_request_errors(ApiKey::JoinGroup, &[ErrorCode::NotCoordinator; 2]);
    cluster.push_request_errors(ApiKey::SyncGroup, &[ErrorCode::NotCoordinator]);
    cluster.push_request_errors(ApiKey::OffsetCommit, &[ErrorCode::NotCoordinator; 2]);
    let mut b = group_consumer(&cluster, &group, &topic);
    produce(&cluster, &topic, 60..160, 4).await;
    let rest = consume(&mut [&mut a, &mut b], 100, Duration::from_millis(300)).await;
    let mut all = vec![first.into_iter().next().expect("a")];
    all.extend(rest);
    assert_consumed_once(&all, 0..160);
    assert!(
        !all[2].messages.is_empty(),
        "the second member got partitions after the rebalance"
    );
    assert!(
        count(&cluster, ApiKey::FindCoordinator) > 2,
        "the coordinator was looked up again"
    );
    within("close a", a.close()).await.expect("a closes");
    within("close b", b.close()).await.expect("b closes");
}

#[tokio::test]
async fn a_coordinator_going_down_mid_group_moves_the_group() {
    let topic = unique("cfaults-coord-down");
    let group = unique("cfaults-coord-down-group");
    let cluster = mock_with_topic(3, &topic, 3).await;
    let coordinator = cluster.coordinator_for(&group);
    // Partitions led elsewhere, so only the group feels the broker go.
    let other = (coordinator + 1) % 3;
    for p in 0..3 {
        if cluster.leader_of(&topic, p).expect("leader") == coordinator {
            cluster.set_leader(&topic, p, other).expect("move");
        }
    }
    produce(&cluster, &topic, 0..60, 3).await;
    let mut a = group_consumer(&cluster, &group, &topic);
    let mut all = consume(&mut [&mut a], 60, Duration::ZERO).await;
    within("commit", a.commit()).await.expect("commit");
    cluster.broker_down(coordinator).expect("down");
    assert_ne!(
        cluster.coordinator_for(&group),
        coordinator,
        "the group moved"
    );
    let mut b = group_consumer(&cluster, &group, &topic);
    produce(&cluster, &topic, 60..120, 3).await;
    let rest = consume(&mut [&mut a, &mut b], 60, Duration::from_millis(300)).await;
    all.extend(rest);
    assert_consumed_once(&all, 0..120);
    within("commit after the move", a.commit())
        .await
        .expect("commits reach the new coordinator");
    within("close a", a.close()).await.expect("a closes");
    within("close b", b.close()).await.expect("b closes");
}

#[tokio::test]
async fn not_leader_on_fetch_refreshes_metadata_and_loses_nothing() {
    let topic = unique("cfaults-fetch-nl");
    let cluster = mock_with_topic(2, &topic, 2).await;
    produce(&cluster, &topic, 0..50, 2).await;
    let metadata_before = count(&cluster, ApiKey::Metadata);
    cluster.push_request_errors(ApiKey::Fetch, &[ErrorCode::NotLeaderOrFollower; 3]);
    let mut c = assigned_consumer(&cluster, &topic, 2, &[]);
    let mut all = consume(&mut [&mut c], 50, Duration::ZERO).await;
    cluster.push_request_errors(
        ApiKey::Fetch,
        &[
            ErrorCode::NotLeaderOrFollower,
            ErrorCode::FencedLeaderEpoch,
            ErrorCode::UnknownLeaderEpoch,
        ],
    );
    produce(&cluster, &topic, 50..100, 2).await;
    all.extend(consume(&mut [&mut c], 50, Duration::from_millis(200)).await);
    assert_consumed_once(&all, 0..100);
    assert!(
        all.iter().all(|p| p.errors.is_empty()),
        "leader errors are the consumer's own business: {all:?}"
    );
    assert!(
        count(&cluster, ApiKey::Metadata) > metadata_before,
        "metadata refreshed"
    );
}

#[tokio::test]
async fn a_leader_move_mid_consumption_continues_at_the_new_leader() {
    let topic = unique("cfaults-fetch-move");
    let cluster = mock_with_topic(3, &topic, 3).await;
    produce(&cluster, &topic, 0..60, 3).await;
    let mut c = assigned_consumer(&cluster, &topic, 3, &[]);
    let mut all = consume(&mut [&mut c], 60, Duration::ZERO).await;
    for p in 0..3 {
        cluster.set_leader(&topic, p, (p + 1) % 3).expect("move");
    }
    produce(&cluster, &topic, 60..120, 3).await;
    all.extend(consume(&mut [&mut c], 60, Duration::from_millis(200)).await);
    assert_consumed_once(&all, 0..120);
    // The last fetches went to the new leaders.
    cluster.clear_requests();
    let _ = within("poll", c.poll(Duration::from_millis(200))).await;
    for r in cluster.requests() {
        if let Some(ferrokafka::protocol::messages::RequestBody::Fetch(f)) = &r.body {
            for p in f.topics.iter().flat_map(|t| &t.partitions) {
                assert_eq!(
                    r.broker_id,
                    (p.partition + 1) % 3,
                    "fetched from the old leader"
                );
            }
        }
    }
}

/// A group with committed offset 1000 on partition 0 (which ends at 20):
/// a new member meets OFFSET_OUT_OF_RANGE and applies `reset`.
async fn out_of_range_committed_offset(reset: &str) -> (MockCluster, String, Consumer) {
    let topic = unique("cfaults-oor");
    let group = unique("cfaults-oor-group");
    let cluster = mock_with_topic(1, &topic, 1).await;
    produce(&cluster, &topic, 0..20, 1).await;
    let mut committer = Consumer::new(consumer_config(
        &cluster.bootstrap_servers(),
        Some(&group),
        &[],
    ))
    .expect("consumer");
    within("commit", committer.commit_offsets(&[(&topic, 0, 1000)]))
        .await
        .expect("commit 1000");
    within("close", committer.close()).await.expect("close");
    let mut c = Consumer::new(consumer_config(
        &cluster.bootstrap_servers(),
        Some(&group),
        &[("auto.offset.reset", reset)],
    ))
    .expect("consumer");
    c.subscribe(&[&topic]).expect("subscribe");
    (cluster, topic, c)
}

#[tokio::test]
async fn offset_out_of_range_resets_to_earliest() {
    let (cluster, _topic, mut c) = out_of_range_committed_offset("earliest").await;
    let all = consume(&mut [&mut c], 20, Duration::from_millis(200)).await;
    assert_consumed_once(&all, 0..20);
    assert!(count(&cluster, ApiKey::Fetch) > 0);
}

#[tokio::test]
async fn offset_out_of_range_resets_to_latest() {
    let (cluster, topic, mut c) = out_of_range_committed_offset("latest").await;
    // Caught up at the end (the EOF event) before new records come.
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never reached the end"
        );
        match within("poll", c.poll(Duration::from_millis(50))).await {
            Some(Err(ConsumerError::PartitionEof { offset, .. })) => {
                assert_eq!(offset, 20, "latest is the end");
                break;
            }
            Some(Ok(m)) => panic!("an old record after reset to latest: {}", m.offset()),
            _ => {}
        }
    }
    produce(&cluster, &topic, 20..30, 1).await;
    let all = consume(&mut [&mut c], 10, Duration::from_millis(200)).await;
    assert_consumed_once(&all, 20..30);
}

#[tokio::test]
async fn offset_out_of_range_with_reset_error_is_surfaced() {
    let (_cluster, topic, mut c) = out_of_range_committed_offset("error").await;
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the error never came"
        );
        match within("poll", c.poll(Duration::from_millis(50))).await {
            Some(Err(e @ ConsumerError::NoOffset { .. })) => {
                assert!(e.to_string().contains(&topic), "{e}");
                assert!(!e.is_retriable());
                break;
            }
            Some(Ok(m)) => panic!("a record with auto.offset.reset=error: {}", m.offset()),
            _ => {}
        }
    }
}

#[tokio::test]
async fn an_assigned_offset_past_the_end_resets_by_auto_offset_reset() {
    let topic = unique("cfaults-oor-assign");
    let cluster = mock_with_topic(1, &topic, 1).await;
    produce(&cluster, &topic, 0..15, 1).await;
    let mut c =
        Consumer::new(consumer_config(&cluster.bootstrap_servers(), None, &[])).expect("consumer");
    c.assign(&[(&topic, 0, Offset::At(500))]).expect("assign");
    let all = consume(&mut [&mut c], 15, Duration::from_millis(200)).await;
    assert_consumed_once(&all, 0..15);
}

#[tokio::test]
async fn a_broker_down_mid_poll_and_back_loses_and_repeats_nothing() {
    let topic = unique("cfaults-down");
    let group = unique("cfaults-down-group");
    let cluster = mock_with_topic(2, &topic, 2).await;
    produce(&cluster, &topic, 0..40, 2).await;
    let mut c = group_consumer(&cluster, &group, &topic);
    let mut all = consume(&mut [&mut c], 40, Duration::ZERO).await;
    cluster.broker_down(1).expect("down");
    // Partition 0 (broker 0) goes on while broker 1 is away: no stall.
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let on_p0 = send_range(&producer, &topic, 40..60, |_| Some(0)).await;
    assert_all_delivered(&on_p0);
    let during: Vec<Polled> = consume(&mut [&mut c], 20, Duration::from_millis(300)).await;
    assert!(during[0].messages.iter().all(|m| m.partition() == 0));
    all.extend(during);
    cluster.broker_up(1).expect("up");
    let on_p1 = send_range(&producer, &topic, 60..80, |_| Some(1)).await;
    assert_all_delivered(&on_p1);
    all.extend(consume(&mut [&mut c], 20, Duration::from_millis(300)).await);
    assert_consumed_once(&all, 0..80);
    within("commit", c.commit())
        .await
        .expect("commit after recovery");
    within("close", c.close()).await.expect("close");
}

#[tokio::test]
async fn a_fatal_commit_error_is_surfaced_with_its_code() {
    let topic = unique("cfaults-commit");
    let group = unique("cfaults-commit-group");
    let cluster = mock_with_topic(1, &topic, 1).await;
    produce(&cluster, &topic, 0..10, 1).await;
    let mut c = group_consumer(&cluster, &group, &topic);
    let all = consume(&mut [&mut c], 10, Duration::ZERO).await;
    assert_consumed_once(&all, 0..10);
    cluster.push_request_errors(ApiKey::OffsetCommit, &[ErrorCode::GroupAuthorizationFailed]);
    let err = within("commit", c.commit()).await.expect_err("refused");
    assert_eq!(
        err.kafka_code(),
        Some(ErrorCode::GroupAuthorizationFailed),
        "{err}"
    );
    within("commit again", c.commit())
        .await
        .expect("the next commit goes through");
    assert_eq!(
        within(
            "committed",
            c.committed(&[(&topic, 0)], Duration::from_secs(5))
        )
        .await
        .expect("committed")[0]
            .1,
        Some(10)
    );
}

#[tokio::test]
async fn find_coordinator_unavailable_at_first_still_joins() {
    let topic = unique("cfaults-find");
    let group = unique("cfaults-find-group");
    let cluster = mock_with_topic(1, &topic, 2).await;
    produce(&cluster, &topic, 0..30, 2).await;
    cluster.push_request_errors(
        ApiKey::FindCoordinator,
        &[
            ErrorCode::CoordinatorNotAvailable,
            ErrorCode::CoordinatorLoadInProgress,
            ErrorCode::CoordinatorNotAvailable,
        ],
    );
    let mut c = group_consumer(&cluster, &group, &topic);
    let all = consume(&mut [&mut c], 30, Duration::from_millis(200)).await;
    assert_consumed_once(&all, 0..30);
    within("close", c.close()).await.expect("close");
}

/// STALE_MEMBER_EPOCH on OffsetCommit (KIP-848: the commit carried an
/// epoch the member's heartbeat has since moved past) is retried with the
/// member's current epoch, as the Java client does, rather than failing
/// the commit.
#[tokio::test]
async fn a_commit_refused_for_a_stale_member_epoch_is_retried() {
    let topic = unique("k848-stale");
    let group = unique("k848-stale-group");
    let cluster = mock_with_topic(1, &topic, 1).await;
    produce(&cluster, &topic, 0..10, 1).await;
    let mut c = group_consumer(&cluster, &group, &topic);
    let all = consume(&mut [&mut c], 10, Duration::ZERO).await;
    assert_consumed_once(&all, 0..10);
    cluster.push_request_errors(ApiKey::OffsetCommit, &[ErrorCode::StaleMemberEpoch; 2]);
    within("commit", c.commit())
        .await
        .expect("retried until it went through");
    let committed = within(
        "committed",
        c.committed(&[(&topic, 0)], Duration::from_secs(5)),
    )
    .await
    .expect("committed");
    assert_eq!(committed[0].1, Some(10));
}
