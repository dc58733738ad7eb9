//! Where group requests wait and group time passes: JoinGroup and
//! SyncGroup are parked until their group moves on (as Kafka's purgatory
//! parks them), and the cluster's ticker expires sessions and overdue
//! rebalances. The group state machine itself is `group.rs`; the APIs
//! that drive it are `api/join_group.rs`, `api/sync_group.rs`,
//! `api/heartbeat.rs` and `api/leave_group.rs`.

use tokio::time::Instant;

use super::state::{ClusterState, Shared};

/// Marks a member as parked in JoinGroup or SyncGroup (so its session does
/// not expire meanwhile) until dropped, even when the connection goes away
/// mid-wait.
pub(crate) struct Parked<'a> {
    shared: &'a Shared,
    group: String,
    /// The member parked.
    pub(crate) member: String,
}

impl<'a> Parked<'a> {
    /// Parks `member` of `group` until the guard is dropped.
    pub(crate) fn new(
        shared: &'a Shared,
        state: &mut ClusterState,
        group: &str,
        member: &str,
    ) -> Self {
        if let Some(g) = state.groups.get_mut(group) {
            g.park(member);
        }
        Parked {
            shared,
            group: group.to_owned(),
            member: member.to_owned(),
        }
    }
}

impl Drop for Parked<'_> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        if let Some(g) = state.groups.get_mut(&self.group) {
            g.unpark(&self.member, Instant::now());
        }
    }
}

/// Waits on the group until `ready` says something (woken by any group
/// change; the ticker completes overdue rebalances).
pub(crate) async fn wait_for<T>(
    shared: &Shared,
    mut ready: impl FnMut(&mut ClusterState) -> Option<T>,
) -> T {
    loop {
        let notified = shared.group_changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let found = ready(&mut shared.lock());
        if let Some(t) = found {
            return t;
        }
        notified.await;
    }
}

/// The ticker's work: expire sessions and overdue rebalances, and abort
/// transactions open past their timeout.
pub(crate) fn tick(shared: &Shared) {
    let now = Instant::now();
    let mut changed = false;
    let aborted = {
        let mut state = shared.lock();
        for group in state.groups.values_mut() {
            changed |= group.expire(now);
        }
        if !state.consumer_groups.is_empty() {
            let session = state.settings.consumer_session_timeout;
            let topics = state.partition_counts();
            for group in state.consumer_groups.values_mut() {
                group.expire(session, &topics, now);
            }
        }
        super::txn::abort_timed_out(&mut state, now)
    };
    if changed {
        shared.group_changed.notify_waiters();
    }
    if aborted {
        shared.data_arrived.notify_waiters();
    }
}
