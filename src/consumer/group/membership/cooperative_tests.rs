//! Cooperative rebalancing (KIP-429) and the leader's watch on partition
//! counts, under simulated time.

use super::*;
use std::time::Duration;

const T: &str = "my_events_topic";

fn config(assignors: Vec<Assignor>) -> MembershipConfig {
    MembershipConfig {
        group_id: "my_consumer_group".into(),
        group_instance_id: None,
        session_timeout: Duration::from_secs(45),
        max_poll_interval: Duration::from_secs(300),
        heartbeat_interval: Duration::from_secs(3),
        retry_backoff: Duration::from_millis(100),
        assignors,
    }
}

fn tps(partitions: &[i32]) -> Vec<TopicPartition> {
    if partitions.is_empty() {
        return Vec::new();
    }
    vec![TopicPartition {
        topic: T.into(),
        partitions: partitions.to_vec(),
    }]
}

fn subscription(owned: &[i32], generation_id: i32) -> Bytes {
    ConsumerProtocolSubscription {
        topics: vec![T.into()],
        owned_partitions: tps(owned),
        generation_id,
        ..Default::default()
    }
    .encode(CONSUMER_PROTOCOL_VERSION)
    .expect("encodes")
}

fn assignment(partitions: &[i32]) -> Bytes {
    ConsumerProtocolAssignment {
        assigned_partitions: tps(partitions),
        user_data: None,
    }
    .encode(CONSUMER_PROTOCOL_VERSION)
    .expect("encodes")
}

fn events(m: &mut Membership) -> Vec<GroupEvent> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

/// The JoinGroup's subscription: (owned partitions, generation).
fn join_subscription(request: Option<GroupRequest>) -> (Vec<TopicPartition>, i32) {
    match request {
        Some(GroupRequest::JoinGroup { protocols, .. }) => {
            assert_eq!(protocols.len(), 1);
            assert_eq!(protocols[0].0, "cooperative-sticky");
            let s = ConsumerProtocolSubscription::decode(protocols[0].1.clone()).expect("decodes");
            (s.owned_partitions, s.generation_id)
        }
        other => panic!("expected JoinGroup, got {other:?}"),
    }
}

/// A member that joined as follower and owns `owned` at generation 1.
fn stable_follower(owned: &[i32], now: Instant) -> Membership {
    let mut m = Membership::new(config(vec![Assignor::CooperativeSticky]), now);
    assert!(m.is_cooperative());
    m.subscribe(vec![T.into()], now);
    m.poll_request(now);
    m.on_coordinator(0, now);
    assert_eq!(join_subscription(m.poll_request(now)), (vec![], -1));
    m.on_join(
        JoinOutcome {
            generation_id: 1,
            protocol_name: Some("cooperative-sticky".into()),
            leader: "other".into(),
            member_id: "me".into(),
            ..Default::default()
        },
        now,
    );
    assert!(matches!(
        m.poll_request(now),
        Some(GroupRequest::SyncGroup { .. })
    ));
    m.on_sync(0, assignment(owned), now);
    assert_eq!(events(&mut m), [GroupEvent::Assigned(tps(owned))]);
    assert!(m.is_stable());
    m
}

/// Heartbeat answered with REBALANCE_IN_PROGRESS at `t`.
fn rebalance_signalled(m: &mut Membership, t: Instant) {
    m.on_poll(t);
    assert!(matches!(
        m.poll_request(t),
        Some(GroupRequest::Heartbeat { .. })
    ));
    m.on_heartbeat(ErrorCode::RebalanceInProgress.code(), t);
}

#[test]
fn a_rebalance_keeps_partitions_and_joins_with_them() {
    let t0 = Instant::now();
    let mut m = stable_follower(&[0, 1, 2], t0);
    let t1 = t0 + Duration::from_secs(3);
    rebalance_signalled(&mut m, t1);
    assert_eq!(events(&mut m), [], "nothing revoked up front");
    assert_eq!(m.owned(), tps(&[0, 1, 2]));
    assert_eq!(join_subscription(m.poll_request(t1)), (tps(&[0, 1, 2]), 1));
}

#[test]
fn only_moved_partitions_are_revoked_then_the_member_rejoins() {
    let t0 = Instant::now();
    let mut m = stable_follower(&[0, 1, 2], t0);
    let t1 = t0 + Duration::from_secs(3);
    rebalance_signalled(&mut m, t1);
    m.poll_request(t1);
    m.on_join(
        JoinOutcome {
            generation_id: 2,
            protocol_name: Some("cooperative-sticky".into()),
            leader: "other".into(),
            member_id: "me".into(),
            ..Default::default()
        },
        t1,
    );
    m.poll_request(t1);
    m.on_sync(0, assignment(&[0, 1]), t1);
    assert_eq!(
        events(&mut m),
        [GroupEvent::Revoked(tps(&[2])), GroupEvent::Assigned(vec![])]
    );
    assert_eq!(m.owned(), tps(&[0, 1]));
    // Rejoins at once (the driver commits partition 2 before sending).
    assert_eq!(join_subscription(m.poll_request(t1)), (tps(&[0, 1]), 2));
}

#[test]
fn partitions_given_in_a_follow_up_rebalance_are_assigned_alone() {
    let t0 = Instant::now();
    let mut m = stable_follower(&[0], t0);
    let t1 = t0 + Duration::from_secs(3);
    rebalance_signalled(&mut m, t1);
    m.poll_request(t1);
    m.on_join(
        JoinOutcome {
            generation_id: 3,
            protocol_name: Some("cooperative-sticky".into()),
            leader: "other".into(),
            member_id: "me".into(),
            ..Default::default()
        },
        t1,
    );
    m.poll_request(t1);
    m.on_sync(0, assignment(&[0, 4]), t1);
    assert_eq!(events(&mut m), [GroupEvent::Assigned(tps(&[4]))]);
    assert!(m.is_stable(), "nothing revoked: no need to rejoin");
    assert_eq!(m.owned(), tps(&[0, 4]));
}

#[test]
fn the_leader_withholds_moved_partitions_and_revokes_its_own() {
    let t0 = Instant::now();
    let mut m = stable_follower(&[0, 1, 2, 3], t0);
    let t1 = t0 + Duration::from_secs(3);
    rebalance_signalled(&mut m, t1);
    m.poll_request(t1);
    m.on_join(
        JoinOutcome {
            generation_id: 2,
            protocol_name: Some("cooperative-sticky".into()),
            leader: "me".into(),
            member_id: "me".into(),
            members: vec![
                ("me".into(), None, subscription(&[0, 1, 2, 3], 1)),
                ("new".into(), None, subscription(&[], -1)),
            ],
            ..Default::default()
        },
        t1,
    );
    assert!(matches!(
        m.poll_request(t1),
        Some(GroupRequest::Metadata { .. })
    ));
    m.on_metadata(&HashMap::from([(T.to_string(), 4)]));
    let Some(GroupRequest::SyncGroup { assignments, .. }) = m.poll_request(t1) else {
        panic!("expected SyncGroup");
    };
    let of = |who: &str| {
        let (_, bytes) = assignments
            .iter()
            .find(|(id, _)| id == who)
            .expect("assigned");
        ConsumerProtocolAssignment::decode(bytes.clone())
            .expect("decodes")
            .assigned_partitions
    };
    assert_eq!(of("me"), tps(&[0, 1]), "keeps half");
    assert_eq!(of("new"), vec![], "nothing until the leader revoked");
    m.on_sync(0, assignments[0].1.clone(), t1);
    assert_eq!(
        events(&mut m),
        [
            GroupEvent::Revoked(tps(&[2, 3])),
            GroupEvent::Assigned(vec![])
        ]
    );
    assert!(matches!(
        m.poll_request(t1),
        Some(GroupRequest::JoinGroup { .. })
    ));
}

#[test]
fn a_forgotten_member_still_loses_everything() {
    let t0 = Instant::now();
    let mut m = stable_follower(&[0, 1], t0);
    let t1 = t0 + Duration::from_secs(3);
    m.on_poll(t1);
    m.poll_request(t1);
    m.on_heartbeat(ErrorCode::IllegalGeneration.code(), t1);
    assert_eq!(events(&mut m), [GroupEvent::Lost(tps(&[0, 1]))]);
    assert_eq!(join_subscription(m.poll_request(t1)), (vec![], -1));
}

#[test]
fn dropping_a_topic_from_the_subscription_revokes_only_its_partitions() {
    let t0 = Instant::now();
    let mut m = stable_follower(&[0, 1], t0);
    m.subscribe(vec!["other_topic".into()], t0);
    assert_eq!(events(&mut m), [GroupEvent::Revoked(tps(&[0, 1]))]);
    assert!(m.owned().is_empty());
}

#[test]
fn a_lost_coordinator_past_the_session_timeout_loses_the_partitions() {
    let t0 = Instant::now();
    let mut m = stable_follower(&[0, 1], t0);
    let t1 = t0 + Duration::from_secs(3);
    m.on_poll(t1);
    m.poll_request(t1);
    m.on_heartbeat(ErrorCode::NotCoordinator.code(), t1);
    assert_eq!(events(&mut m), [], "keeps consuming while it looks");
    let mut t = t1;
    while t < t0 + Duration::from_secs(50) {
        t += Duration::from_secs(1);
        m.on_poll(t);
        if m.poll_request(t) == Some(GroupRequest::FindCoordinator) {
            m.on_coordinator(ErrorCode::CoordinatorNotAvailable.code(), t);
        }
    }
    assert_eq!(events(&mut m), [GroupEvent::Lost(tps(&[0, 1]))]);
}

/// A leader, stable, assigned from 3 partitions of `T` (eager `range`
/// or cooperative).
fn stable_leader(assignor: Assignor, now: Instant) -> Membership {
    let mut m = Membership::new(config(vec![assignor]), now);
    m.subscribe(vec![T.into()], now);
    m.poll_request(now);
    m.on_coordinator(0, now);
    m.poll_request(now);
    m.on_join(
        JoinOutcome {
            generation_id: 1,
            protocol_name: Some(assignor.name().into()),
            leader: "me".into(),
            member_id: "me".into(),
            members: vec![("me".into(), None, subscription(&[], -1))],
            ..Default::default()
        },
        now,
    );
    m.poll_request(now);
    m.on_metadata(&HashMap::from([(T.to_string(), 3)]));
    let Some(GroupRequest::SyncGroup { assignments, .. }) = m.poll_request(now) else {
        panic!("expected SyncGroup");
    };
    m.on_sync(0, assignments[0].1.clone(), now);
    events(&mut m);
    assert!(m.is_stable());
    m
}

#[test]
fn the_leader_rebalances_when_partitions_are_added() {
    for (assignor, revokes) in [
        (Assignor::CooperativeSticky, false),
        (Assignor::Range, true),
    ] {
        let t0 = Instant::now();
        let mut m = stable_leader(assignor, t0);
        assert_eq!(m.watched_topics(), [T.to_string()]);
        m.on_partition_counts(&HashMap::from([(T.to_string(), 3)]), t0);
        m.on_partition_counts(&HashMap::new(), t0);
        assert!(m.is_stable(), "same counts, or unknown: nothing to do");
        m.on_partition_counts(&HashMap::from([(T.to_string(), 5)]), t0);
        assert!(!m.is_stable());
        assert_eq!(
            events(&mut m),
            if revokes {
                vec![GroupEvent::Revoked(tps(&[0, 1, 2]))]
            } else {
                vec![]
            },
            "{assignor:?}"
        );
        assert!(matches!(
            m.poll_request(t0),
            Some(GroupRequest::JoinGroup { .. })
        ));
        assert!(
            m.watched_topics().is_empty(),
            "nothing to watch while joining"
        );
    }
}

#[test]
fn the_leader_rebalances_when_a_subscribed_topic_appears() {
    let t0 = Instant::now();
    let mut m = Membership::new(config(vec![Assignor::CooperativeSticky]), t0);
    m.subscribe(vec![T.into(), "later".into()], t0);
    m.poll_request(t0);
    m.on_coordinator(0, t0);
    m.poll_request(t0);
    let both = ConsumerProtocolSubscription {
        topics: vec![T.into(), "later".into()],
        ..Default::default()
    }
    .encode(CONSUMER_PROTOCOL_VERSION)
    .expect("encodes");
    m.on_join(
        JoinOutcome {
            generation_id: 1,
            protocol_name: Some("cooperative-sticky".into()),
            leader: "me".into(),
            member_id: "me".into(),
            members: vec![("me".into(), None, both)],
            ..Default::default()
        },
        t0,
    );
    m.poll_request(t0);
    // "later" does not exist yet.
    m.on_metadata(&HashMap::from([(T.to_string(), 2)]));
    let Some(GroupRequest::SyncGroup { assignments, .. }) = m.poll_request(t0) else {
        panic!("expected SyncGroup");
    };
    m.on_sync(0, assignments[0].1.clone(), t0);
    assert!(m.is_stable());
    m.on_partition_counts(
        &HashMap::from([(T.to_string(), 2), ("later".to_string(), 1)]),
        t0,
    );
    assert!(matches!(
        m.poll_request(t0),
        Some(GroupRequest::JoinGroup { .. })
    ));
}

#[test]
fn followers_watch_nothing() {
    let t0 = Instant::now();
    let mut m = stable_follower(&[0], t0);
    assert!(m.watched_topics().is_empty());
    m.on_partition_counts(&HashMap::from([(T.to_string(), 9)]), t0);
    assert!(m.is_stable());
}
