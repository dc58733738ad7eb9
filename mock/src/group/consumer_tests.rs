//! The KIP-848 coordinator with simulated time: joins, incremental
//! reconciliation (no partition with two owners), leaving, static members,
//! epochs on commits, assignors and expiry.

use super::*;

fn topics(list: &[(&str, i32)]) -> BTreeMap<String, i32> {
    list.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()
}

const LIMITS: Limits = Limits { max_size: 10 };

fn join(id: &str, subscribed: &[&str]) -> Beat {
    Beat {
        member_id: id.into(),
        member_epoch: 0,
        client_id: "c".into(),
        topic_names: Some(subscribed.iter().map(|s| (*s).to_owned()).collect()),
        owned: Some(BTreeSet::new()),
        ..Default::default()
    }
}

fn beat(id: &str, epoch: i32, owned: Option<&BTreeSet<Tp>>) -> Beat {
    Beat {
        member_id: id.into(),
        member_epoch: epoch,
        owned: owned.cloned(),
        ..Default::default()
    }
}

#[test]
fn a_partition_moves_only_after_its_owner_gave_it_back() {
    let t = topics(&[("t", 4)]);
    let now = Instant::now();
    let mut g = ConsumerGroup::default();
    let a = g
        .heartbeat(join("a", &["t"]), &t, LIMITS, now)
        .expect("a joins");
    assert_eq!(a.member_epoch, 1);
    let a_owned = a.assignment.expect("assigned");
    assert_eq!(a_owned.len(), 4);
    let b = g
        .heartbeat(join("b", &["t"]), &t, LIMITS, now)
        .expect("b joins");
    assert_eq!(b.member_epoch, 2);
    assert_eq!(
        b.assignment,
        Some(BTreeSet::new()),
        "a still owns everything"
    );
    // a learns it must give two back: same epoch, two partitions.
    let r = g.heartbeat(beat("a", 1, None), &t, LIMITS, now).expect("a");
    assert_eq!(r.member_epoch, 1);
    let kept = r.assignment.expect("shrunk");
    assert_eq!(kept.len(), 2);
    let b2 = g.heartbeat(beat("b", 2, None), &t, LIMITS, now).expect("b");
    assert_eq!(b2.assignment, None, "not given back yet");
    // a acknowledges; it moves to epoch 2, and b gets the other two.
    let r = g
        .heartbeat(beat("a", 1, Some(&kept)), &t, LIMITS, now)
        .expect("a acks");
    assert_eq!(r.member_epoch, 2);
    let b3 = g.heartbeat(beat("b", 2, None), &t, LIMITS, now).expect("b");
    let b_owned = b3.assignment.expect("b assigned");
    assert_eq!(b_owned.len(), 2);
    assert!(b_owned.is_disjoint(&kept));
    assert_eq!(g.state_name(), "Stable");
}

#[test]
fn epochs_fence_and_commits_check_them() {
    let t = topics(&[("t", 2)]);
    let now = Instant::now();
    let mut g = ConsumerGroup::default();
    g.heartbeat(join("a", &["t"]), &t, LIMITS, now)
        .expect("joins");
    assert_eq!(
        g.heartbeat(beat("a", 7, None), &t, LIMITS, now),
        Err(ErrorCode::FencedMemberEpoch)
    );
    assert_eq!(
        g.heartbeat(beat("x", 1, None), &t, LIMITS, now),
        Err(ErrorCode::UnknownMemberId)
    );
    assert_eq!(g.check_commit("a", 1), Ok(()));
    assert_eq!(g.check_commit("a", 0), Err(ErrorCode::StaleMemberEpoch));
    assert_eq!(g.check_commit("a", 2), Err(ErrorCode::StaleMemberEpoch));
    assert_eq!(g.check_commit("x", 1), Err(ErrorCode::UnknownMemberId));
    assert_eq!(g.check_commit("", -1), Err(ErrorCode::UnknownMemberId));
}

#[test]
fn static_members_leave_for_a_while_and_their_instance_stays_taken() {
    let t = topics(&[("t", 2)]);
    let now = Instant::now();
    let mut g = ConsumerGroup::default();
    let mut j = join("a", &["t"]);
    j.instance_id = Some("i".into());
    let first = g.heartbeat(j.clone(), &t, LIMITS, now).expect("joins");
    let mut other = join("b", &["t"]);
    other.instance_id = Some("i".into());
    assert_eq!(
        g.heartbeat(other.clone(), &t, LIMITS, now),
        Err(ErrorCode::UnreleasedInstanceId)
    );
    let mut leave = beat("a", -2, None);
    leave.instance_id = Some("i".into());
    assert_eq!(
        g.heartbeat(leave, &t, LIMITS, now)
            .expect("left")
            .member_epoch,
        -2
    );
    // Back under a new member id: same partitions, same epoch, no rebalance.
    let back = g.heartbeat(other, &t, LIMITS, now).expect("back");
    assert_eq!(back.member_epoch, first.member_epoch);
    assert_eq!(back.assignment, first.assignment);
    // Its session ends: removed.
    assert!(g.expire(Duration::from_secs(1), &t, now + Duration::from_secs(2)));
    assert!(g.members.is_empty());
}

#[test]
fn assignors_regex_and_group_size() {
    let t = topics(&[("t", 3), ("u", 3), ("other", 1)]);
    let now = Instant::now();
    let mut g = ConsumerGroup::default();
    let mut bad = join("a", &["t"]);
    bad.assignor = Some("sticky".into());
    assert_eq!(
        g.heartbeat(bad, &t, LIMITS, now),
        Err(ErrorCode::UnsupportedAssignor)
    );
    let mut a = join("a", &[]);
    a.topic_regex = Some("t|u".into());
    a.assignor = Some("range".into());
    let r = g.heartbeat(a, &t, LIMITS, now).expect("joins");
    assert_eq!(
        r.assignment.expect("assigned").len(),
        6,
        "whole-match: not 'other'"
    );
    assert_eq!(g.assignor(), "range");
    let full = Limits { max_size: 1 };
    assert_eq!(
        g.heartbeat(join("b", &["t"]), &t, full, now),
        Err(ErrorCode::GroupMaxSizeReached)
    );
}

#[test]
fn uniform_spreads_evenly_and_keeps_what_it_can() {
    let t = topics(&[("t", 12)]);
    let now = Instant::now();
    let mut g = ConsumerGroup::default();
    for id in ["a", "b", "c"] {
        g.heartbeat(join(id, &["t"]), &t, LIMITS, now)
            .expect("joins");
    }
    let sizes: Vec<usize> = g.target.values().map(BTreeSet::len).collect();
    assert_eq!(sizes, [4, 4, 4]);
    let before = g.target.clone();
    g.heartbeat(join("d", &["t"]), &t, LIMITS, now)
        .expect("joins");
    let sizes: Vec<usize> = g.target.values().map(BTreeSet::len).collect();
    assert_eq!(sizes, [3, 3, 3, 3]);
    for id in ["a", "b", "c"] {
        assert!(g.target[id].is_subset(&before[id]), "{id} kept 3 of its 4");
    }
}

#[test]
fn silent_members_expire_and_free_their_partitions() {
    let t = topics(&[("t", 2)]);
    let now = Instant::now();
    let mut g = ConsumerGroup::default();
    g.heartbeat(join("a", &["t"]), &t, LIMITS, now)
        .expect("joins");
    g.heartbeat(
        join("b", &["t"]),
        &t,
        LIMITS,
        now + Duration::from_millis(900),
    )
    .expect("joins");
    assert!(g.expire(
        Duration::from_secs(1),
        &t,
        now + Duration::from_millis(1100)
    ));
    assert_eq!(g.members.keys().collect::<Vec<_>>(), ["b"]);
    assert_eq!(g.target["b"].len(), 2);
}
