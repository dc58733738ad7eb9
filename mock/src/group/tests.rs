//! The group state machine with simulated time: joins, the member id
//! dance, rebalances, sync, heartbeats, leaving and expiry.

use super::*;

const SESSION: Duration = Duration::from_millis(1000);
const REBALANCE: Duration = Duration::from_millis(5000);

fn params(member_id: &str, protocols: &[&str]) -> JoinParams {
    JoinParams {
        member_id: member_id.to_owned(),
        group_instance_id: None,
        client_id: "c".into(),
        session_timeout: SESSION,
        rebalance_timeout: REBALANCE,
        protocol_type: "consumer".into(),
        protocols: protocols
            .iter()
            .map(|p| ((*p).to_owned(), Bytes::from(format!("{member_id}:{p}"))))
            .collect(),
        requires_known_member_id: true,
    }
}

/// Joins with the member id dance; returns the id.
fn join_new(g: &mut Group, protocols: &[&str], now: Instant) -> String {
    let JoinOutcome::MemberIdRequired(id) = g.join(params("", protocols), now).expect("join")
    else {
        panic!("v4+ joins start with MEMBER_ID_REQUIRED");
    };
    assert_eq!(
        g.join(params(&id, protocols), now).expect("rejoin"),
        JoinOutcome::Wait(id.clone())
    );
    id
}

#[test]
fn unknown_member_ids_are_refused_and_issued_ids_accepted_once() {
    let now = Instant::now();
    let mut g = Group::default();
    assert_eq!(
        g.join(params("nobody", &["range"]), now),
        Err(ErrorCode::UnknownMemberId)
    );
    let id = join_new(&mut g, &["range"], now);
    assert_eq!(g.state, GroupState::CompletingRebalance, "alone: done");
    assert_eq!(g.generation, 1);
    let r = g.take_join_result(&id).expect("ready").expect("ok");
    assert_eq!(r.leader, id);
    assert_eq!(r.members.len(), 1, "the leader sees every member");
}

#[test]
fn two_members_rebalance_sync_heartbeat_and_leave() {
    let t0 = Instant::now();
    let mut g = Group::default();
    let a = join_new(&mut g, &["range", "roundrobin"], t0);
    g.take_join_result(&a).expect("ready").expect("ok");
    // b arrives: a must rejoin, and learns so from its heartbeat.
    let b = join_new(&mut g, &["roundrobin", "range"], t0);
    assert_eq!(g.state, GroupState::PreparingRebalance);
    assert_eq!(g.take_join_result(&b), None, "b waits for a");
    assert_eq!(
        g.heartbeat(&a, None, 1, t0),
        Err(ErrorCode::RebalanceInProgress)
    );
    assert_eq!(
        g.join(params(&a, &["range", "roundrobin"]), t0),
        Ok(JoinOutcome::Wait(a.clone()))
    );
    assert_eq!(g.generation, 2);
    let ra = g.take_join_result(&a).expect("ready").expect("ok");
    let rb = g.take_join_result(&b).expect("ready").expect("ok");
    assert_eq!(ra.leader, a, "the old leader stays leader");
    assert_eq!(rb.leader, a);
    assert_eq!(ra.members.len(), 2);
    assert!(rb.members.is_empty(), "followers see no members");
    // One vote each: the leader's preference breaks the tie.
    assert_eq!(ra.protocol_name, "range");
    let b_metadata = ra
        .members
        .iter()
        .find(|(id, _, _)| *id == b)
        .map(|(_, _, m)| m.clone());
    assert_eq!(b_metadata, Some(Bytes::from(format!("{b}:range"))));

    // The follower syncs first and waits; the leader's sync serves both.
    assert_eq!(g.sync(&b, None, 2, vec![], t0), Ok(None));
    assert_eq!(
        g.sync(&a, None, 1, vec![], t0),
        Err(ErrorCode::IllegalGeneration)
    );
    let assignments = vec![
        (a.clone(), Bytes::from_static(b"A")),
        (b.clone(), Bytes::from_static(b"B")),
    ];
    assert_eq!(
        g.sync(&a, None, 2, assignments, t0),
        Ok(Some(Bytes::from_static(b"A")))
    );
    assert_eq!(g.sync_result(&b, 2), Some(Ok(Bytes::from_static(b"B"))));
    assert_eq!(g.state, GroupState::Stable);
    assert_eq!(g.heartbeat(&b, None, 2, t0), Ok(()));
    assert_eq!(
        g.heartbeat(&b, None, 1, t0),
        Err(ErrorCode::IllegalGeneration)
    );
    assert_eq!(g.check_commit(&a, None, 2), Ok(()));

    // b leaves: a must rejoin, alone.
    assert_eq!(g.leave(&b, None, t0), Ok(()));
    assert_eq!(
        g.heartbeat(&a, None, 2, t0),
        Err(ErrorCode::RebalanceInProgress)
    );
    // Preparing a rebalance, the current generation still commits (what
    // it gives back).
    assert_eq!(g.check_commit(&a, None, 2), Ok(()));
    assert_eq!(
        g.heartbeat(&b, None, 2, t0),
        Err(ErrorCode::UnknownMemberId)
    );
    g.join(params(&a, &["range"]), t0).expect("rejoin");
    assert_eq!(g.generation, 3);
    assert_eq!(g.state, GroupState::CompletingRebalance);
    assert_eq!(
        g.check_commit(&a, None, 3),
        Err(ErrorCode::RebalanceInProgress),
        "not before the assignment is handed out"
    );
}

#[test]
fn silent_members_expire_and_late_joiners_are_dropped_at_the_deadline() {
    let t0 = Instant::now();
    let mut g = Group::default();
    let a = join_new(&mut g, &["range"], t0);
    g.take_join_result(&a);
    let b = join_new(&mut g, &["range"], t0);
    g.park(&b);
    // a never rejoins: at the rebalance deadline it is dropped and b's
    // join completes alone.
    assert!(!g.expire(t0 + SESSION / 2));
    assert_eq!(g.state, GroupState::PreparingRebalance);
    assert!(g.expire(t0 + REBALANCE + Duration::from_millis(1)));
    assert!(!g.members.contains_key(&a));
    let rb = g.take_join_result(&b).expect("ready").expect("ok");
    assert_eq!(rb.leader, b);
    g.unpark(&b, t0 + REBALANCE);
    // Then b goes silent past its session: the group empties.
    assert!(g.expire(t0 + REBALANCE + SESSION * 2));
    assert!(g.members.is_empty());
    assert_eq!(g.state, GroupState::Empty);
    assert_eq!(
        g.check_commit("", None, -1),
        Ok(()),
        "empty: simple commits"
    );
}

#[test]
fn members_without_a_common_protocol_are_refused() {
    let now = Instant::now();
    let mut g = Group::default();
    join_new(&mut g, &["range"], now);
    assert_eq!(
        g.join(params("", &["sticky"]), now),
        Err(ErrorCode::InconsistentGroupProtocol)
    );
    let mut other_type = params("", &["range"]);
    other_type.protocol_type = "connect".into();
    assert_eq!(
        g.join(other_type, now),
        Err(ErrorCode::InconsistentGroupProtocol)
    );
}

#[test]
fn static_members_rejoin_without_the_dance_and_fence_old_ids() {
    let now = Instant::now();
    let mut g = Group::default();
    let mut p = params("", &["range"]);
    p.group_instance_id = Some("instance-1".into());
    let JoinOutcome::Wait(first) = g.join(p.clone(), now).expect("joins") else {
        panic!("static members get their id at once");
    };
    let JoinOutcome::Wait(second) = g.join(p, now).expect("rejoins") else {
        panic!("static members get their id at once");
    };
    assert_ne!(first, second);
    assert_eq!(
        g.heartbeat(&first, Some("instance-1"), g.generation, now),
        Err(ErrorCode::UnknownMemberId)
    );
    assert_eq!(
        g.leave(&first, Some("instance-1"), now),
        Err(ErrorCode::FencedInstanceId)
    );
    assert_eq!(g.leave("", Some("instance-1"), now), Ok(()));
    assert!(g.members.is_empty());
}
