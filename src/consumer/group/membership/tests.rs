//! The membership under simulated time: every transition from the issue's
//! list, driven by hand-made responses.

use super::*;
use std::time::Duration;

const T: &str = "my_events_topic";

fn config() -> MembershipConfig {
    MembershipConfig {
        group_id: "my_consumer_group".into(),
        group_instance_id: None,
        session_timeout: Duration::from_secs(45),
        max_poll_interval: Duration::from_secs(300),
        heartbeat_interval: Duration::from_secs(3),
        retry_backoff: Duration::from_millis(100),
        assignors: vec![Assignor::Range, Assignor::RoundRobin],
    }
}

fn subscription(topics: &[&str]) -> Bytes {
    ConsumerProtocolSubscription {
        topics: topics.iter().map(|t| t.to_string()).collect(),
        ..Default::default()
    }
    .encode(CONSUMER_PROTOCOL_VERSION)
    .expect("encodes")
}

fn assignment(partitions: &[i32]) -> Bytes {
    ConsumerProtocolAssignment {
        assigned_partitions: vec![TopicPartition {
            topic: T.into(),
            partitions: partitions.to_vec(),
        }],
        user_data: None,
    }
    .encode(CONSUMER_PROTOCOL_VERSION)
    .expect("encodes")
}

/// Drives a member to Stable as the group's only member (and leader).
fn stable_leader(now: Instant) -> Membership {
    let mut m = Membership::new(config(), now);
    m.subscribe(vec![T.into()], now);
    assert_eq!(m.poll_request(now), Some(GroupRequest::FindCoordinator));
    m.on_coordinator(0, now);
    match m.poll_request(now) {
        Some(GroupRequest::JoinGroup {
            member_id,
            protocols,
        }) => {
            assert_eq!(member_id, "");
            let names: Vec<&str> = protocols.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["range", "roundrobin"]);
        }
        other => panic!("expected JoinGroup, got {other:?}"),
    }
    m.on_join(
        JoinOutcome {
            error_code: ErrorCode::MemberIdRequired.code(),
            member_id: "m1".into(),
            ..Default::default()
        },
        now,
    );
    assert!(
        matches!(m.poll_request(now), Some(GroupRequest::JoinGroup { member_id, .. }) if member_id == "m1")
    );
    m.on_join(
        JoinOutcome {
            error_code: 0,
            generation_id: 1,
            protocol_name: Some("range".into()),
            leader: "m1".into(),
            member_id: "m1".into(),
            members: vec![("m1".into(), None, subscription(&[T]))],
        },
        now,
    );
    assert_eq!(
        m.poll_request(now),
        Some(GroupRequest::Metadata {
            topics: vec![T.into()]
        })
    );
    m.on_metadata(&HashMap::from([(T.to_string(), 3)]));
    match m.poll_request(now) {
        Some(GroupRequest::SyncGroup {
            generation_id,
            member_id,
            protocol_name,
            assignments,
        }) => {
            assert_eq!(
                (generation_id, member_id.as_str(), protocol_name.as_str()),
                (1, "m1", "range")
            );
            assert_eq!(assignments.len(), 1);
            let mine =
                ConsumerProtocolAssignment::decode(assignments[0].1.clone()).expect("decodes");
            assert_eq!(mine.assigned_partitions[0].partitions, [0, 1, 2]);
            m.on_sync(0, assignments[0].1.clone(), now);
        }
        other => panic!("expected SyncGroup, got {other:?}"),
    }
    assert!(
        matches!(m.poll_event(), Some(GroupEvent::Assigned(a)) if a[0].partitions == [0, 1, 2])
    );
    assert!(m.is_stable());
    m
}

#[test]
fn leader_joins_assigns_and_heartbeats_on_schedule() {
    let t0 = Instant::now();
    let mut m = stable_leader(t0);
    assert_eq!(m.poll_request(t0), None, "no heartbeat before the interval");
    assert_eq!(m.next_deadline(), Some(t0 + Duration::from_secs(3)));
    let t1 = t0 + Duration::from_secs(3);
    m.on_poll(t1);
    assert_eq!(
        m.poll_request(t1),
        Some(GroupRequest::Heartbeat {
            generation_id: 1,
            member_id: "m1".into()
        })
    );
    assert_eq!(
        m.poll_request(t1),
        None,
        "one heartbeat in flight at a time"
    );
    m.on_heartbeat(0, t1);
    assert!(matches!(
        m.poll_request(t1 + Duration::from_secs(3)),
        Some(GroupRequest::Heartbeat { .. })
    ));
}

#[test]
fn follower_syncs_without_assignments() {
    let now = Instant::now();
    let mut m = Membership::new(config(), now);
    m.subscribe(vec![T.into()], now);
    m.poll_request(now);
    m.on_coordinator(0, now);
    m.poll_request(now);
    m.on_join(
        JoinOutcome {
            generation_id: 4,
            protocol_name: Some("range".into()),
            leader: "other".into(),
            member_id: "me".into(),
            ..Default::default()
        },
        now,
    );
    assert!(matches!(
        m.poll_request(now),
        Some(GroupRequest::SyncGroup { generation_id: 4, assignments, .. }) if assignments.is_empty()
    ));
    m.on_sync(0, assignment(&[5]), now);
    assert_eq!(
        m.poll_event(),
        Some(GroupEvent::Assigned(vec![TopicPartition {
            topic: T.into(),
            partitions: vec![5]
        }]))
    );
}

#[test]
fn rebalance_in_progress_revokes_then_rejoins_with_the_same_id() {
    let t0 = Instant::now();
    let mut m = stable_leader(t0);
    let t1 = t0 + Duration::from_secs(3);
    m.on_poll(t1);
    m.poll_request(t1);
    m.on_heartbeat(ErrorCode::RebalanceInProgress.code(), t1);
    assert!(matches!(m.poll_event(), Some(GroupEvent::Revoked(r)) if r[0].partitions == [0, 1, 2]));
    assert!(
        matches!(m.poll_request(t1), Some(GroupRequest::JoinGroup { member_id, .. }) if member_id == "m1")
    );
}

#[test]
fn unknown_member_loses_partitions_and_joins_afresh() {
    let t0 = Instant::now();
    let mut m = stable_leader(t0);
    let t1 = t0 + Duration::from_secs(3);
    m.on_poll(t1);
    m.poll_request(t1);
    m.on_heartbeat(ErrorCode::UnknownMemberId.code(), t1);
    assert!(matches!(m.poll_event(), Some(GroupEvent::Lost(_))));
    assert!(
        matches!(m.poll_request(t1), Some(GroupRequest::JoinGroup { member_id, .. }) if member_id.is_empty())
    );
}

#[test]
fn a_member_that_stops_polling_leaves_the_group() {
    let t0 = Instant::now();
    let mut m = stable_leader(t0);
    // Heartbeats keep flowing, but the application never polls.
    let mut t = t0;
    while t < t0 + Duration::from_secs(299) {
        t += Duration::from_secs(3);
        if let Some(GroupRequest::Heartbeat { .. }) = m.poll_request(t) {
            m.on_heartbeat(0, t);
        }
    }
    let late = t0 + Duration::from_secs(301);
    assert_eq!(
        m.poll_request(late),
        Some(GroupRequest::LeaveGroup {
            member_id: "m1".into()
        })
    );
    assert_eq!(m.poll_event(), Some(GroupEvent::PollIntervalExceeded));
    assert!(matches!(m.poll_event(), Some(GroupEvent::Lost(_))));
    assert!(m.owned().is_empty());
}

#[test]
fn close_revokes_leaves_and_ends() {
    let t0 = Instant::now();
    let mut m = stable_leader(t0);
    m.close();
    assert!(matches!(m.poll_event(), Some(GroupEvent::Revoked(_))));
    assert_eq!(
        m.poll_request(t0),
        Some(GroupRequest::LeaveGroup {
            member_id: "m1".into()
        })
    );
    m.on_leave(0);
    assert_eq!(m.poll_event(), Some(GroupEvent::Left));
    assert_eq!(
        m.poll_request(t0 + Duration::from_secs(60)),
        None,
        "nothing after leaving"
    );
}

#[test]
fn a_static_member_closes_without_leaving() {
    let t0 = Instant::now();
    let mut m = stable_leader(t0);
    m.config.group_instance_id = Some("instance-1".into());
    m.close();
    assert!(matches!(m.poll_event(), Some(GroupEvent::Revoked(_))));
    assert_eq!(m.poll_event(), Some(GroupEvent::Left));
    assert_eq!(m.poll_request(t0), None, "no LeaveGroup: its place is kept");
}

#[test]
fn fenced_instance_is_fatal() {
    let now = Instant::now();
    let mut m = Membership::new(config(), now);
    m.subscribe(vec![T.into()], now);
    m.poll_request(now);
    m.on_coordinator(0, now);
    m.poll_request(now);
    m.on_join(
        JoinOutcome {
            error_code: 82,
            ..Default::default()
        },
        now,
    );
    assert_eq!(m.poll_event(), Some(GroupEvent::Fatal(82)));
    assert_eq!(m.poll_request(now + Duration::from_secs(10)), None);
}

#[test]
fn coordinator_moving_during_sync_means_finding_it_again_after_backoff() {
    let now = Instant::now();
    let mut m = Membership::new(config(), now);
    m.subscribe(vec![T.into()], now);
    m.poll_request(now);
    m.on_coordinator(0, now);
    m.poll_request(now);
    m.on_join(
        JoinOutcome {
            generation_id: 2,
            leader: "x".into(),
            member_id: "me".into(),
            protocol_name: Some("range".into()),
            ..Default::default()
        },
        now,
    );
    m.poll_request(now);
    m.on_sync(ErrorCode::NotCoordinator.code(), Bytes::new(), now);
    assert_eq!(m.poll_request(now), None, "backs off first");
    assert_eq!(
        m.poll_request(now + Duration::from_millis(100)),
        Some(GroupRequest::FindCoordinator)
    );
}

#[test]
fn silent_coordinator_past_session_timeout_loses_the_partitions() {
    let t0 = Instant::now();
    let mut m = stable_leader(t0);
    let mut t = t0;
    // Heartbeats go out but never get answers; the application polls.
    for _ in 0..20 {
        t += Duration::from_secs(3);
        m.on_poll(t);
        let _ = m.poll_request(t);
    }
    assert!(t.duration_since(t0) > Duration::from_secs(45));
    assert!(matches!(m.poll_event(), Some(GroupEvent::Lost(_))));
    assert!(!m.is_stable());
}

#[test]
fn a_stable_member_that_loses_its_coordinator_heartbeats_the_new_one() {
    // Joining again without revoking would leave the engine fetching
    // partitions the new generation gave to others (and re-reading its
    // own from the last commit): records consumed twice.
    let t0 = Instant::now();
    let mut m = stable_leader(t0);
    let t1 = t0 + Duration::from_secs(3);
    m.on_poll(t1);
    assert!(matches!(
        m.poll_request(t1),
        Some(GroupRequest::Heartbeat { .. })
    ));
    m.on_heartbeat(ErrorCode::NotCoordinator.code(), t1);
    let t2 = t1 + Duration::from_millis(100);
    assert_eq!(m.poll_request(t2), Some(GroupRequest::FindCoordinator));
    // A first lookup fails too: still resuming, not rejoining.
    m.on_request_failed(t2);
    let t3 = t2 + Duration::from_millis(100);
    assert_eq!(m.poll_request(t3), Some(GroupRequest::FindCoordinator));
    m.on_coordinator(0, t3);
    assert_eq!(
        m.poll_request(t3),
        Some(GroupRequest::Heartbeat {
            generation_id: 1,
            member_id: "m1".into()
        })
    );
    assert_eq!(m.poll_event(), None, "the partitions stay");
    assert_eq!(m.owned()[0].partitions, [0, 1, 2]);
    // The new coordinator says a rebalance is on: revoke, then rejoin.
    m.on_heartbeat(ErrorCode::RebalanceInProgress.code(), t3);
    assert!(matches!(m.poll_event(), Some(GroupEvent::Revoked(_))));
    assert!(matches!(
        m.poll_request(t3),
        Some(GroupRequest::JoinGroup { .. })
    ));
}
