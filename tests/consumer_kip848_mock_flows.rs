//! `group.protocol=consumer` (KIP-848) on the mock cluster, which runs the
//! coordinator with 100 ms heartbeats: three members joining and leaving
//! over 12 partitions (the broker test's fast twin), and every error of
//! the protocol injected, with what our consumer must do about each
//! (Java's `AbstractMembershipManager` semantics): fenced or unknown
//! members lose their partitions and rejoin at epoch 0 under the same id;
//! coordinator errors and moves keep the assignment; stale epochs on
//! commit are retried; UNRELEASED_INSTANCE_ID, UNSUPPORTED_ASSIGNOR and
//! GROUP_MAX_SIZE_REACHED are fatal and say so.

mod kip848_util;

use std::collections::BTreeSet;
use std::time::Duration;

use ferrokafka::consumer::{Consumer, Rebalance};
use ferrokafka::protocol::messages::RequestBody;
use ferrokafka::protocol::{ApiKey, ErrorCode};
use ferrokafka_mock::MockCluster;
use kip848_util::*;
use tokio::sync::mpsc;

const PARTITIONS: i32 = 12;
const ROUND: usize = 60;
const WITHIN: Duration = Duration::from_secs(10);

/// The ConsumerGroupHeartbeats received: (member id, epoch).
fn heartbeats(cluster: &MockCluster) -> Vec<(String, i32)> {
    cluster
        .requests()
        .into_iter()
        .filter_map(|r| match r.body {
            Some(RequestBody::ConsumerGroupHeartbeat(h)) => Some((h.member_id, h.member_epoch)),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_join_and_leave_over_twelve_partitions() {
    let topic = unique("m848-three");
    let group = unique("m848-three-g");
    let cluster = kip848_mock(1, &topic, PARTITIONS).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut log = Log::default();
    let member = |n| {
        let c = Consumer::new(config(&cluster, &group, &[])).expect("consumer");
        run(n, c, &[topic.as_str()], tx.clone())
    };
    let p = PARTITIONS as usize;

    produce(&cluster, &topic, PARTITIONS, 0..ROUND).await;
    let m1 = member(1);
    log.until(&mut rx, WITHIN, "m1 owns all 12", |l| {
        balanced(&l.loads(), 1, p)
    })
    .await;
    produce(&cluster, &topic, PARTITIONS, ROUND..2 * ROUND).await;
    let m2 = member(2);
    log.until(&mut rx, WITHIN, "6/6", |l| balanced(&l.loads(), 2, p))
        .await;
    produce(&cluster, &topic, PARTITIONS, 2 * ROUND..3 * ROUND).await;
    let m3 = member(3);
    log.until(&mut rx, WITHIN, "4/4/4", |l| balanced(&l.loads(), 3, p))
        .await;
    produce(&cluster, &topic, PARTITIONS, 3 * ROUND..4 * ROUND).await;
    log.until(&mut rx, WITHIN, "rounds 1-4 read", |l| {
        l.distinct() >= 4 * ROUND
    })
    .await;
    // m2 leaves mid-stream: its partitions go to m1 and m3.
    let _ = m2.send(());
    log.until(&mut rx, WITHIN, "m2's partitions taken over", |l| {
        let loads: Vec<usize> = [1, 3]
            .iter()
            .map(|n| l.owned.get(n).map_or(0, BTreeSet::len))
            .collect();
        balanced(&loads, 2, p)
    })
    .await;
    produce(&cluster, &topic, PARTITIONS, 4 * ROUND..5 * ROUND).await;
    log.until(&mut rx, WITHIN, "every record read", |l| {
        l.distinct() >= 5 * ROUND
    })
    .await;
    log.settle(&mut rx, Duration::from_millis(500)).await;

    assert!(log.failures.is_empty(), "{:?}", log.failures);
    assert_eq!(log.distinct(), 5 * ROUND, "every record read");
    assert_eq!(
        log.records.len(),
        5 * ROUND,
        "no record read twice: {:?}",
        log.changes
    );
    // Incremental: a staying member gives back only what moves, and
    // nobody loses partitions.
    let mut owned = std::collections::BTreeMap::<usize, BTreeSet<i32>>::new();
    for (n, change) in &log.changes {
        let mine = owned.entry(*n).or_default();
        match change {
            Rebalance::Assigned(tps) => {
                for tp in tps {
                    assert!(mine.insert(tp.partition), "{n} assigned twice");
                }
            }
            Rebalance::Revoked(tps) => {
                assert!(*n == 2 || tps.len() < mine.len(), "{n} gave back all");
                for tp in tps {
                    mine.remove(&tp.partition);
                }
            }
            Rebalance::Lost(tps) => panic!("member {n} lost {tps:?}"),
        }
    }
    for stop in [m1, m3] {
        let _ = stop.send(());
    }
    let deadline = tokio::time::Instant::now() + WITHIN;
    loop {
        let offsets = committed(&cluster, &group, &topic, PARTITIONS).await;
        if offsets.iter().all(|o| *o == Some((5 * ROUND / p) as i64)) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "committed {offsets:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One member owning all 4 partitions is refused one heartbeat with
/// `code`: it loses them all (Lost, no commit), rejoins at epoch 0 under
/// the same member id and gets them back; no record is lost.
async fn fenced_and_back(code: ErrorCode) {
    let topic = unique("m848-fenced");
    let group = unique("m848-fenced-g");
    let cluster = kip848_mock(1, &topic, 4).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut log = Log::default();
    produce(&cluster, &topic, 4, 0..40).await;
    let c = Consumer::new(config(&cluster, &group, &[])).expect("consumer");
    let stop = run(1, c, &[topic.as_str()], tx);
    log.until(&mut rx, WITHIN, "all read", |l| l.distinct() >= 40)
        .await;
    cluster.push_request_errors(ApiKey::ConsumerGroupHeartbeat, &[code]);
    log.until(&mut rx, WITHIN, "lost", |l| {
        l.changes
            .iter()
            .any(|(_, c)| matches!(c, Rebalance::Lost(tps) if tps.len() == 4))
    })
    .await;
    log.until(&mut rx, WITHIN, "assigned again", |l| l.loads() == [4])
        .await;
    produce(&cluster, &topic, 4, 40..80).await;
    log.until(&mut rx, WITHIN, "all read", |l| l.distinct() >= 80)
        .await;
    assert!(log.failures.is_empty(), "{code}: {:?}", log.failures);
    let beats = heartbeats(&cluster);
    let ids: BTreeSet<&str> = beats.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids.len(), 1, "{code}: one member id throughout: {ids:?}");
    let joins = beats.iter().filter(|(_, e)| *e == 0).count();
    assert_eq!(
        joins, 2,
        "{code}: joined, then rejoined at epoch 0: {beats:?}"
    );
    let members = cluster.consumer_group_members(&group);
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(members[0].partitions.len(), 4);
    assert!(members[0].member_epoch > 0);
    let _ = stop.send(());
}

#[tokio::test]
async fn fenced_member_epoch_loses_partitions_and_rejoins_at_epoch_0() {
    fenced_and_back(ErrorCode::FencedMemberEpoch).await;
}

#[tokio::test]
async fn unknown_member_id_loses_partitions_and_rejoins_at_epoch_0() {
    fenced_and_back(ErrorCode::UnknownMemberId).await;
}

/// A consumer whose membership is refused for good: its poll says why.
async fn fatal(_cluster: &MockCluster, c: Consumer, topic: &str) -> ErrorCode {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut log = Log::default();
    let _stop = run(9, c, &[topic], tx);
    log.until(&mut rx, WITHIN, "a fatal error", |l| !l.failures.is_empty())
        .await;
    let (_, e) = &log.failures[0];
    assert!(!e.is_retriable(), "{e}");
    assert!(log.owned.get(&9).is_none_or(BTreeSet::is_empty));
    e.kafka_code()
        .unwrap_or_else(|| panic!("a Kafka code: {e:?}"))
}

#[tokio::test]
async fn unreleased_instance_id_unsupported_assignor_and_a_full_group_are_fatal() {
    let topic = unique("m848-fatal");
    let group = unique("m848-fatal-g");
    let cluster = kip848_mock(1, &topic, 2).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut log = Log::default();
    let statik = [("group.instance.id", "instance-1")];
    let first = Consumer::new(config(&cluster, &group, &statik)).expect("consumer");
    let stop = run(1, first, &[topic.as_str()], tx);
    log.until(&mut rx, WITHIN, "first member in", |l| l.loads() == [2])
        .await;

    // A second member with the same instance id while the first is in.
    let twin = Consumer::new(config(&cluster, &group, &statik)).expect("consumer");
    assert_eq!(
        fatal(&cluster, twin, &topic).await,
        ErrorCode::UnreleasedInstanceId
    );
    // An assignor the coordinator does not run.
    let sticky = [("group.remote.assignor", "sticky")];
    let odd = Consumer::new(config(&cluster, &group, &sticky)).expect("consumer");
    assert_eq!(
        fatal(&cluster, odd, &topic).await,
        ErrorCode::UnsupportedAssignor
    );
    // A group at its maximum size.
    cluster.set_consumer_group_max_size(1);
    let extra = Consumer::new(config(&cluster, &group, &[])).expect("consumer");
    assert_eq!(
        fatal(&cluster, extra, &topic).await,
        ErrorCode::GroupMaxSizeReached
    );
    // The first member kept its partitions throughout.
    log.settle(&mut rx, Duration::from_millis(300)).await;
    assert_eq!(log.loads(), [2], "{:?}", log.changes);
    assert!(log.failures.is_empty(), "{:?}", log.failures);
    // Injected, as a broker would answer a joining member's heartbeat
    // (the first member gone, so the code meets the newcomer).
    let _ = stop.send(());
    log.until(&mut rx, WITHIN, "first member left", |_| {
        cluster.consumer_group_members(&group).is_empty()
    })
    .await;
    cluster.set_consumer_group_max_size(10);
    for code in [
        ErrorCode::UnreleasedInstanceId,
        ErrorCode::UnsupportedAssignor,
        ErrorCode::GroupMaxSizeReached,
    ] {
        cluster.push_request_errors(ApiKey::ConsumerGroupHeartbeat, &[code]);
        let c = Consumer::new(config(&cluster, &group, &[])).expect("consumer");
        assert_eq!(fatal(&cluster, c, &topic).await, code);
    }
}

#[tokio::test]
async fn a_commit_refused_with_a_stale_member_epoch_is_retried() {
    let topic = unique("m848-stale");
    let group = unique("m848-stale-g");
    let cluster = kip848_mock(1, &topic, 2).await;
    produce(&cluster, &topic, 2, 0..10).await;
    let mut c = Consumer::new(config(&cluster, &group, &[("enable.auto.commit", "false")]))
        .expect("consumer");
    c.subscribe(&[topic.as_str()]).expect("subscribes");
    let mut read = 0;
    while read < 10 {
        match within("poll", c.poll(Duration::from_millis(50))).await {
            Some(Ok(_)) => read += 1,
            Some(Err(e)) if e.is_partition_eof() => {}
            Some(Err(e)) => panic!("{e}"),
            None => {}
        }
    }
    cluster.clear_requests();
    cluster.push_request_errors(
        ApiKey::OffsetCommit,
        &[ErrorCode::StaleMemberEpoch, ErrorCode::StaleMemberEpoch],
    );
    within("commit", c.commit())
        .await
        .expect("committed after retries");
    let commits = cluster
        .requests()
        .iter()
        .filter(|r| r.api_key == ApiKey::OffsetCommit)
        .count();
    assert_eq!(commits, 3, "two refused, the third stored");
    assert_eq!(
        committed(&cluster, &group, &topic, 2).await,
        [Some(5), Some(5)]
    );
    within("close", c.close()).await.expect("closes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coordinator_errors_and_a_coordinator_move_keep_the_assignment() {
    let topic = unique("m848-coord");
    let group = unique("m848-coord-g");
    let cluster = kip848_mock(2, &topic, 4).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut log = Log::default();
    produce(&cluster, &topic, 4, 0..40).await;
    let c = Consumer::new(config(&cluster, &group, &[])).expect("consumer");
    let stop = run(1, c, &[topic.as_str()], tx);
    log.until(&mut rx, WITHIN, "all read", |l| l.distinct() >= 40)
        .await;
    let finds = |cluster: &MockCluster| {
        cluster
            .requests()
            .iter()
            .filter(|r| r.api_key == ApiKey::FindCoordinator)
            .count()
    };
    for (n, code) in [
        ErrorCode::NotCoordinator,
        ErrorCode::CoordinatorNotAvailable,
    ]
    .into_iter()
    .enumerate()
    {
        cluster.clear_requests();
        cluster.push_request_errors(ApiKey::ConsumerGroupHeartbeat, &[code]);
        let deadline = tokio::time::Instant::now() + WITHIN;
        while finds(&cluster) == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{code}: coordinator not looked up"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        produce(&cluster, &topic, 4, 40 * (n + 1)..40 * (n + 2)).await;
        log.until(&mut rx, WITHIN, "read on", |l| l.distinct() >= 40 * (n + 2))
            .await;
    }
    // The coordinator's broker goes down: the group moves to the other
    // one (the mock keeps its state, as __consumer_offsets would), and so
    // do the partitions it led.
    let old = cluster.coordinator_for(&group);
    let other = cluster
        .broker_ids()
        .into_iter()
        .find(|b| *b != old)
        .expect("two");
    for p in 0..4 {
        if cluster.leader_of(&topic, p).expect("leader") == old {
            cluster.set_leader(&topic, p, other).expect("moved");
        }
    }
    cluster.broker_down(old).expect("down");
    assert_eq!(cluster.coordinator_for(&group), other);
    produce(&cluster, &topic, 4, 120..160).await;
    log.until(&mut rx, WITHIN, "read after the move", |l| {
        l.distinct() >= 160
    })
    .await;
    log.settle(&mut rx, Duration::from_millis(300)).await;
    assert!(log.failures.is_empty(), "{:?}", log.failures);
    assert_eq!(log.records.len(), 160, "no record read twice");
    assert_eq!(
        log.changes.len(),
        1,
        "assigned once, nothing revoked or lost: {:?}",
        log.changes
    );
    let _ = stop.send(());
}

#[tokio::test]
async fn admin_describes_the_group_with_consumer_group_describe() {
    let topic = unique("m848-describe");
    let group = unique("m848-describe-g");
    let cluster = kip848_mock(1, &topic, 3).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut log = Log::default();
    let c =
        Consumer::new(config(&cluster, &group, &[("client.id", "describe-me")])).expect("consumer");
    let stop = run(1, c, &[topic.as_str()], tx);
    log.until(&mut rx, WITHIN, "assigned", |l| l.loads() == [3])
        .await;
    let admin = ferrokafka::admin::Admin::new(
        ferrokafka::config::ClientConfig::new().bootstrap_servers([cluster.bootstrap_servers()]),
    )
    .expect("admin");
    let described = within("describe", admin.describe_groups(&[group.as_str()]))
        .await
        .expect("described");
    let d = described[0].result.as_ref().expect("a description");
    assert_eq!(d.group_type, "consumer");
    assert_eq!(d.assignor, "uniform");
    assert_eq!(d.members.len(), 1);
    let m = &d.members[0];
    assert_eq!(m.client_id, "describe-me");
    assert_eq!(m.subscribed_topics, std::slice::from_ref(&topic));
    assert_eq!(m.assignment.partitions.len(), 3);
    let _ = stop.send(());
}
