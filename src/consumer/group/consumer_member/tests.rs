//! The KIP-848 member under simulated time: joining, heartbeats at the
//! broker's interval with only changed fields, reconciliation by topic id,
//! leaving, and every error of the protocol as the Java client handles it.

use super::*;
use ferrokafka_protocol::messages::consumer_group_heartbeat::ConsumerGroupHeartbeatAssignment;

const A: Uuid = Uuid([1; 16]);
const B: Uuid = Uuid([2; 16]);

fn config() -> ConsumerMemberConfig {
    ConsumerMemberConfig {
        group_id: "g".into(),
        group_instance_id: None,
        rack_id: None,
        server_assignor: Some("uniform".into()),
        max_poll_interval: Duration::from_secs(300),
        retry_backoff: Duration::from_millis(100),
    }
}

fn names() -> HashMap<Uuid, String> {
    HashMap::from([(A, "a".to_string()), (B, "b".to_string())])
}

fn heartbeat(m: &mut ConsumerMember, now: Instant) -> ConsumerGroupHeartbeatRequest {
    match m.poll_request(now) {
        Some(GroupRequest::ConsumerHeartbeat(r)) => *r,
        other => panic!("expected a heartbeat, got {other:?}"),
    }
}

fn answer(epoch: i32, assignment: Option<&[(Uuid, &[i32])]>) -> ConsumerGroupHeartbeatResponse {
    ConsumerGroupHeartbeatResponse {
        member_epoch: epoch,
        heartbeat_interval_ms: 5000,
        assignment: assignment.map(|a| ConsumerGroupHeartbeatAssignment {
            topic_partitions: a
                .iter()
                .map(|(id, ps)| ConsumerGroupHeartbeatTopicPartitions {
                    topic_id: *id,
                    partitions: ps.to_vec(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn error(code: ErrorCode) -> ConsumerGroupHeartbeatResponse {
    ConsumerGroupHeartbeatResponse {
        error_code: code.code(),
        ..Default::default()
    }
}

fn events(m: &mut ConsumerMember) -> Vec<GroupEvent> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

fn tp(topic: &str, partitions: &[i32]) -> TopicPartition {
    TopicPartition {
        topic: topic.into(),
        partitions: partitions.to_vec(),
    }
}

/// A member that joined and owns a0, a1 at epoch 1, names known.
fn joined(now: Instant) -> ConsumerMember {
    let mut m = ConsumerMember::with_member_id(config(), "member-1".into(), now);
    m.subscribe(Subscription::Topics(vec!["a".into()]), now);
    assert_eq!(m.poll_request(now), Some(GroupRequest::FindCoordinator));
    m.on_coordinator(0, now);
    let join = heartbeat(&mut m, now);
    assert_eq!(join.member_epoch, JOIN_EPOCH);
    m.on_heartbeat(answer(1, Some(&[(A, &[0, 1])])), now);
    assert_eq!(
        m.poll_request(now),
        Some(GroupRequest::ResolveTopicIds(vec![A]))
    );
    m.on_topic_names(names(), now);
    assert_eq!(
        events(&mut m),
        [GroupEvent::Assigned(vec![tp("a", &[0, 1])])]
    );
    let ack = heartbeat(&mut m, now);
    assert_eq!(ack.member_epoch, 1);
    m.on_heartbeat(answer(1, None), now);
    m
}

#[test]
fn join_sends_every_field_with_epoch_zero_and_a_client_member_id() {
    let now = Instant::now();
    let mut m = ConsumerMember::new(config(), now);
    let id = m.member_id().to_owned();
    assert_eq!(id.len(), 22, "{id}");
    assert_ne!(
        ConsumerMember::new(config(), now).member_id(),
        id,
        "ids are random"
    );
    assert_eq!(m.poll_request(now), None, "nothing before a subscription");
    m.subscribe(Subscription::Topics(vec!["a".into(), "b".into()]), now);
    assert_eq!(m.poll_request(now), Some(GroupRequest::FindCoordinator));
    m.on_coordinator(0, now);
    let join = heartbeat(&mut m, now);
    assert_eq!(join.group_id, "g");
    assert_eq!(join.member_id, id);
    assert_eq!(join.member_epoch, 0);
    assert_eq!(join.rebalance_timeout_ms, 300_000);
    assert_eq!(
        join.subscribed_topic_names,
        Some(vec!["a".into(), "b".into()])
    );
    assert_eq!(join.server_assignor.as_deref(), Some("uniform"));
    assert_eq!(join.topic_partitions, Some(vec![]), "owns nothing yet");
    assert_eq!(
        m.poll_request(now),
        None,
        "one heartbeat in flight at a time"
    );
}

#[test]
fn heartbeats_at_the_brokers_interval_sending_only_what_changed() {
    let now = Instant::now();
    let mut m = joined(now);
    assert_eq!(m.heartbeat_interval(), Duration::from_millis(5000));
    assert_eq!(m.next_deadline(), Some(now + Duration::from_millis(5000)));
    assert_eq!(m.poll_request(now + Duration::from_millis(4999)), None);
    let t = now + Duration::from_millis(5000);
    let hb = heartbeat(&mut m, t);
    assert_eq!(hb.member_epoch, 1);
    assert_eq!(hb.subscribed_topic_names, None, "unchanged: null");
    assert_eq!(hb.topic_partitions, None, "unchanged: null");
    assert_eq!(hb.rebalance_timeout_ms, -1);
    assert_eq!(hb.server_assignor, None);
    m.on_heartbeat(answer(1, None), t);
    // A new subscription goes at once, alone.
    m.subscribe(Subscription::Topics(vec!["a".into(), "b".into()]), t);
    let hb = heartbeat(&mut m, t);
    assert_eq!(
        hb.subscribed_topic_names,
        Some(vec!["a".into(), "b".into()])
    );
    assert_eq!(hb.topic_partitions, None);
}

#[test]
fn revocation_comes_before_assignment_and_then_an_immediate_ack() {
    let now = Instant::now();
    let mut m = joined(now);
    let t = now + Duration::from_secs(5);
    heartbeat(&mut m, t);
    // The coordinator moves a1 away and gives b0.
    m.on_heartbeat(answer(2, Some(&[(A, &[0]), (B, &[0])])), t);
    assert_eq!(m.member_epoch(), 2);
    assert_eq!(events(&mut m), [GroupEvent::Revoked(vec![tp("a", &[1])])]);
    assert_eq!(m.owned(), [tp("a", &[0])], "a1 is not owned while revoking");
    // The driver stopped fetching a1 and committed; its next call takes b0
    // (named already) and acknowledges at once, before the interval.
    let ack = heartbeat(&mut m, t);
    assert_eq!(events(&mut m), [GroupEvent::Assigned(vec![tp("b", &[0])])]);
    assert_eq!(ack.member_epoch, 2);
    let mut owned = ack.topic_partitions.expect("acknowledges what it owns");
    owned.sort_by_key(|t| t.topic_id.0);
    assert_eq!(
        owned
            .iter()
            .map(|t| (t.topic_id, t.partitions.clone()))
            .collect::<Vec<_>>(),
        [(A, vec![0]), (B, vec![0])]
    );
}

#[test]
fn unknown_topic_ids_are_resolved_before_they_are_assigned() {
    let now = Instant::now();
    let mut m = joined(now);
    let t = now + Duration::from_secs(5);
    heartbeat(&mut m, t);
    let c = Uuid([3; 16]);
    m.on_heartbeat(answer(2, Some(&[(A, &[0, 1]), (c, &[4])])), t);
    assert_eq!(events(&mut m), [], "nothing resolvable new");
    assert_eq!(
        m.poll_request(t),
        Some(GroupRequest::ResolveTopicIds(vec![c]))
    );
    // Metadata does not know it yet: asked again after the backoff, not
    // in a loop.
    m.on_topic_names(HashMap::new(), t);
    assert_eq!(events(&mut m), []);
    assert!(!matches!(
        m.poll_request(t),
        Some(GroupRequest::ResolveTopicIds(_))
    ));
    let later = t + Duration::from_millis(100);
    assert_eq!(
        m.poll_request(later),
        Some(GroupRequest::ResolveTopicIds(vec![c]))
    );
    m.on_topic_names(HashMap::from([(c, "c".to_string())]), later);
    assert_eq!(events(&mut m), [GroupEvent::Assigned(vec![tp("c", &[4])])]);
}

#[test]
fn fenced_or_unknown_member_loses_everything_and_rejoins_at_epoch_zero() {
    for code in [ErrorCode::FencedMemberEpoch, ErrorCode::UnknownMemberId] {
        let now = Instant::now();
        let mut m = joined(now);
        let t = now + Duration::from_secs(5);
        heartbeat(&mut m, t);
        m.on_heartbeat(error(code), t);
        assert_eq!(
            events(&mut m),
            [GroupEvent::Lost(vec![tp("a", &[0, 1])])],
            "{code}"
        );
        let rejoin = heartbeat(&mut m, t);
        assert_eq!(rejoin.member_epoch, 0);
        assert_eq!(rejoin.member_id, "member-1", "same member id");
        assert_eq!(
            rejoin.subscribed_topic_names,
            Some(vec!["a".into()]),
            "full state again"
        );
        assert_eq!(rejoin.topic_partitions, Some(vec![]));
    }
}

#[test]
fn fatal_errors_end_the_membership() {
    for code in [
        ErrorCode::UnreleasedInstanceId,
        ErrorCode::UnsupportedAssignor,
        ErrorCode::GroupMaxSizeReached,
        ErrorCode::GroupAuthorizationFailed,
        ErrorCode::InvalidRequest,
    ] {
        let now = Instant::now();
        let mut m = joined(now);
        let t = now + Duration::from_secs(5);
        heartbeat(&mut m, t);
        m.on_heartbeat(error(code), t);
        assert_eq!(
            events(&mut m),
            [
                GroupEvent::Lost(vec![tp("a", &[0, 1])]),
                GroupEvent::Fatal(code.code())
            ],
            "{code}"
        );
        assert!(!m.is_active());
        assert_eq!(m.poll_request(t + Duration::from_secs(60)), None);
    }
}

#[test]
fn unsupported_version_says_the_protocol_is_not_there() {
    let now = Instant::now();
    let mut m = ConsumerMember::new(config(), now);
    m.subscribe(Subscription::Topics(vec!["a".into()]), now);
    m.poll_request(now);
    m.on_coordinator(0, now);
    heartbeat(&mut m, now);
    m.on_heartbeat(error(ErrorCode::UnsupportedVersion), now);
    assert_eq!(events(&mut m), [GroupEvent::ConsumerProtocolUnsupported]);
    assert!(!m.is_active());
}

#[test]
fn coordinator_moves_keep_the_assignment_and_resend_everything() {
    let now = Instant::now();
    let mut m = joined(now);
    let t = now + Duration::from_secs(5);
    heartbeat(&mut m, t);
    m.on_heartbeat(error(ErrorCode::NotCoordinator), t);
    assert_eq!(events(&mut m), []);
    assert_eq!(m.poll_request(t), Some(GroupRequest::FindCoordinator));
    m.on_coordinator(0, t);
    let hb = heartbeat(&mut m, t);
    assert_eq!(hb.member_epoch, 1, "keeps its epoch");
    assert_eq!(m.owned(), [tp("a", &[0, 1])]);
    m.on_heartbeat(answer(1, None), t);
    // No answer at all: coordinator again after the backoff, then the
    // whole state, since the lost heartbeat may have carried changes.
    let t2 = t + Duration::from_secs(5);
    heartbeat(&mut m, t2);
    m.on_request_failed(t2);
    assert_eq!(m.poll_request(t2), None, "backs off");
    let t3 = t2 + Duration::from_millis(100);
    assert_eq!(m.poll_request(t3), Some(GroupRequest::FindCoordinator));
    m.on_coordinator(0, t3);
    let hb = heartbeat(&mut m, t3);
    assert!(hb.subscribed_topic_names.is_some() && hb.topic_partitions.is_some());
    assert_eq!(hb.rebalance_timeout_ms, 300_000);
}

#[test]
fn retriable_errors_back_off_without_spinning() {
    let now = Instant::now();
    let mut m = joined(now);
    let t = now + Duration::from_secs(5);
    heartbeat(&mut m, t);
    m.on_heartbeat(error(ErrorCode::CoordinatorLoadInProgress), t);
    assert_eq!(m.poll_request(t), None);
    assert_eq!(m.next_deadline(), Some(t + Duration::from_millis(100)));
    heartbeat(&mut m, t + Duration::from_millis(100));
}

#[test]
fn close_revokes_then_leaves_with_epoch_minus_one_or_minus_two_when_static() {
    for (instance, epoch) in [(None, LEAVE_EPOCH), (Some("i-1"), STATIC_LEAVE_EPOCH)] {
        let now = Instant::now();
        let mut m = ConsumerMember::with_member_id(
            ConsumerMemberConfig {
                group_instance_id: instance.map(String::from),
                ..config()
            },
            "member-1".into(),
            now,
        );
        m.subscribe(Subscription::Topics(vec!["a".into()]), now);
        m.poll_request(now);
        m.on_coordinator(0, now);
        let join = heartbeat(&mut m, now);
        assert_eq!(join.instance_id.as_deref(), instance);
        m.on_heartbeat(answer(3, Some(&[(A, &[2])])), now);
        m.on_topic_names(names(), now);
        events(&mut m);
        m.close();
        assert_eq!(events(&mut m), [GroupEvent::Revoked(vec![tp("a", &[2])])]);
        let leave = heartbeat(&mut m, now);
        assert_eq!(leave.member_epoch, epoch);
        assert_eq!(leave.member_id, "member-1");
        m.on_heartbeat(answer(epoch, None), now);
        assert_eq!(events(&mut m), [GroupEvent::Left]);
        assert!(!m.is_active());
    }
}

#[test]
fn poll_interval_exceeded_loses_partitions_leaves_and_rejoins() {
    let now = Instant::now();
    let mut m = joined(now);
    let late = now + Duration::from_secs(301);
    let leave = heartbeat(&mut m, late);
    assert_eq!(leave.member_epoch, LEAVE_EPOCH);
    assert_eq!(
        events(&mut m),
        [
            GroupEvent::PollIntervalExceeded,
            GroupEvent::Lost(vec![tp("a", &[0, 1])])
        ]
    );
    m.on_heartbeat(answer(LEAVE_EPOCH, None), late);
    assert!(m.is_active());
    let rejoin = heartbeat(&mut m, late);
    assert_eq!(rejoin.member_epoch, JOIN_EPOCH);
}

#[test]
fn after_a_revocation_the_ack_carries_what_is_kept_and_later_targets_add() {
    let now = Instant::now();
    let mut m = joined(now);
    let t = now + Duration::from_secs(5);
    heartbeat(&mut m, t);
    m.on_heartbeat(answer(2, Some(&[(A, &[0])])), t);
    assert_eq!(events(&mut m), [GroupEvent::Revoked(vec![tp("a", &[1])])]);
    // The next call (revocation done) takes the target: nothing new, and
    // the acknowledgement carries a0 only.
    let ack = heartbeat(&mut m, t);
    assert_eq!(events(&mut m), []);
    assert_eq!(ack.topic_partitions.map(|t| t.len()), Some(1));
    m.on_heartbeat(answer(3, Some(&[(A, &[0, 1, 2])])), t);
    assert_eq!(
        events(&mut m),
        [GroupEvent::Assigned(vec![tp("a", &[1, 2])])]
    );
}

#[test]
fn patterns_become_the_regex_field() {
    assert_eq!(
        Subscription::from_list(vec!["^orders-.*".into()]),
        Subscription::Pattern("^orders-.*".into())
    );
    assert_eq!(
        Subscription::from_list(vec!["a".into(), "b".into()]),
        Subscription::Topics(vec!["a".into(), "b".into()])
    );
    assert_eq!(
        Subscription::from_list(vec!["^x.*".into(), "my.topic".into()]),
        Subscription::Pattern("(?:x.*)|(?:my\\.topic)".into())
    );
    let now = Instant::now();
    let mut m = ConsumerMember::new(config(), now);
    m.subscribe(Subscription::Pattern("^x.*".into()), now);
    m.poll_request(now);
    m.on_coordinator(0, now);
    let join = heartbeat(&mut m, now);
    assert_eq!(join.subscribed_topic_regex.as_deref(), Some("^x.*"));
    assert_eq!(join.subscribed_topic_names, None);
}
