//! Fetch sessions: what each request lists, and every way back to a full
//! fetch.

use std::sync::Arc;

use super::*;

fn target(partition: i32, offset: i64) -> FetchTarget {
    FetchTarget {
        tp: (Arc::from("my_events_topic"), partition),
        epoch: 1,
        offset,
        leader_epoch: 5,
    }
}

fn tp(partition: i32) -> Tp {
    (Arc::from("my_events_topic"), partition)
}

/// A session opened by a full fetch of partitions 0-2 at offset 10.
fn open() -> FetchSession {
    let mut s = FetchSession::default();
    let plan = s.plan(&[target(0, 10), target(1, 10), target(2, 10)]);
    assert_eq!(
        plan,
        FetchPlan {
            session_id: 0,
            session_epoch: 0,
            include: vec![0, 1, 2],
            forgotten: vec![],
        }
    );
    assert_eq!(s.on_response(0, 77), SessionOutcome::Usable);
    s
}

#[test]
fn an_incremental_fetch_lists_only_what_changed() {
    let mut s = open();
    // Partition 1 got records (its offset moved); 0 and 2 had nothing.
    let plan = s.plan(&[target(0, 10), target(1, 25), target(2, 10)]);
    assert_eq!(
        plan,
        FetchPlan {
            session_id: 77,
            session_epoch: 1,
            include: vec![1],
            forgotten: vec![],
        }
    );
    assert_eq!(s.on_response(0, 77), SessionOutcome::Usable);
    let plan = s.plan(&[target(0, 10), target(1, 25), target(2, 10)]);
    assert_eq!(
        (plan.session_epoch, plan.include),
        (2, vec![]),
        "idle: nothing listed"
    );
}

#[test]
fn partitions_not_wanted_are_forgotten_and_new_ones_listed() {
    let mut s = open();
    let plan = s.plan(&[target(0, 10), target(3, 0)]);
    assert_eq!(plan.include, [1], "partition 3 is new");
    assert_eq!(plan.forgotten, [tp(1), tp(2)]);
    s.on_response(0, 77);
    let plan = s.plan(&[target(0, 10), target(3, 0)]);
    assert!(plan.include.is_empty() && plan.forgotten.is_empty());
}

#[test]
fn a_new_leader_epoch_is_a_change() {
    let mut s = open();
    let mut moved = target(2, 10);
    moved.leader_epoch = 6;
    let plan = s.plan(&[target(0, 10), target(1, 10), moved]);
    assert_eq!(plan.include, [2]);
}

#[test]
fn session_errors_fall_back_to_a_full_fetch() {
    for code in [70, 71, 106] {
        let mut s = open();
        s.plan(&[target(0, 11), target(1, 10), target(2, 10)]);
        assert_eq!(s.on_response(code, 0), SessionOutcome::Reset, "{code}");
        let plan = s.plan(&[target(0, 11), target(1, 10), target(2, 10)]);
        assert_eq!((plan.session_id, plan.session_epoch), (0, 0), "{code}");
        assert_eq!(plan.include, [0, 1, 2]);
    }
}

#[test]
fn other_errors_are_reported_and_reset_too() {
    let mut s = open();
    s.plan(&[target(0, 10)]);
    assert_eq!(s.on_response(58, 0), SessionOutcome::Error(58));
    assert_eq!(s.plan(&[target(0, 10)]).session_epoch, 0);
}

#[test]
fn a_failed_request_starts_over() {
    let mut s = open();
    s.plan(&[target(0, 12), target(1, 10), target(2, 10)]);
    s.on_failure();
    let plan = s.plan(&[target(0, 12), target(1, 10), target(2, 10)]);
    assert_eq!((plan.session_id, plan.include.len()), (0, 3));
}

#[test]
fn a_broker_without_sessions_gets_full_fetches() {
    let mut s = FetchSession::default();
    s.plan(&[target(0, 10)]);
    assert_eq!(s.on_response(0, 0), SessionOutcome::Usable);
    let plan = s.plan(&[target(0, 10)]);
    assert_eq!(
        (plan.session_id, plan.session_epoch, plan.include),
        (0, 0, vec![0])
    );
}

#[test]
fn an_answer_for_another_session_is_not_trusted() {
    let mut s = open();
    s.plan(&[target(0, 10)]);
    assert_eq!(s.on_response(0, 78), SessionOutcome::Reset);
    assert_eq!(s.plan(&[target(0, 10)]).session_id, 0);
}

#[test]
fn epochs_wrap_to_one() {
    let mut s = open();
    s.epoch = i32::MAX;
    s.plan(&[target(0, 10)]);
    s.on_response(0, 77);
    assert_eq!(s.plan(&[target(0, 10)]).session_epoch, 1);
}

#[test]
fn closing_sends_the_final_epoch_once() {
    let mut s = open();
    let close = s.close().expect("a session to close");
    assert_eq!((close.session_id, close.session_epoch), (77, -1));
    assert!(close.include.is_empty() && close.forgotten.is_empty());
    assert_eq!(s.close(), None);
    assert_eq!(FetchSession::default().close(), None);
}
