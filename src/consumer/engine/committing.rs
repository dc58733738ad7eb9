//! Committing offsets for the handle (commit, commit_async, auto commit)
//! and for revoked partitions before the group moves on.

use std::collections::HashMap;

use ferrokafka_protocol::ErrorCode;
use tokio::sync::oneshot;
use tracing::{debug, warn};

use super::{no_group_id, Engine, Event, Internal};
use crate::consumer::offsets::{self, Committer};
use crate::consumer::Tp;
use crate::error::Result;

/// How many times a commit refused with STALE_MEMBER_EPOCH is tried again
/// (each after `retry.backoff.ms` times its number, with the member epoch
/// of that moment).
const STALE_EPOCH_RETRIES: u32 = 5;

/// A commit waiting for the one in flight.
#[derive(Debug)]
pub(super) struct QueuedCommit {
    offsets: Vec<(Tp, i64)>,
    /// Metadata to commit with some of the offsets (empty strings for
    /// the others).
    metadata: HashMap<Tp, String>,
    revoke: bool,
    reply: Option<oneshot::Sender<Result<()>>>,
    /// Tries so far refused with STALE_MEMBER_EPOCH.
    stale: u32,
}

/// A finished commit: what it was, and how it went.
#[derive(Debug)]
pub(crate) struct CommitDone {
    commit: QueuedCommit,
    result: Result<i32>,
}

impl Engine {
    /// Commits `offsets` once the commits before it are done. One commit
    /// is in flight at a time: two in flight can reach the coordinator in
    /// either order, and an older offset landing last (an auto commit
    /// overtaken by `close`'s) moves the committed offset back, so the
    /// next owner reads records again.
    pub(super) fn spawn_commit(
        &mut self,
        offsets: Vec<(Tp, i64)>,
        metadata: HashMap<Tp, String>,
        revoke: bool,
        reply: Option<oneshot::Sender<Result<()>>>,
    ) {
        if self.config.group_id.is_none() {
            if let Some(reply) = reply {
                let _ = reply.send(Err(no_group_id()));
            }
            if revoke {
                self.hold = None;
            }
            return;
        }
        self.commits.push_back(QueuedCommit {
            offsets,
            metadata,
            revoke,
            reply,
            stale: 0,
        });
        self.start_next_commit();
    }

    /// Whether a commit is in flight or queued.
    pub(super) fn commits_pending(&self) -> bool {
        self.committing || !self.commits.is_empty()
    }

    fn start_next_commit(&mut self) {
        if self.committing {
            return;
        }
        let Some(commit) = self.commits.pop_front() else {
            return;
        };
        self.committing = true;
        // Who commits is decided now, not when queued: a revoke's commit
        // must carry the generation the partitions were owned in, which
        // the membership keeps until the commit is done (it waits); a
        // retry after STALE_MEMBER_EPOCH carries the epoch of now.
        let (generation_id, member_id) = match &self.membership {
            Some(m) => (m.generation_id(), m.member_id().to_owned()),
            None => (-1, String::new()),
        };
        let who = Committer {
            group_id: self.config.group_id.clone().unwrap_or_default(),
            generation_id,
            member_id,
            group_instance_id: self.config.group_instance_id.clone(),
        };
        let cluster = self.cluster.clone();
        let coordinator = self.coordinator;
        let backoff = self.config.retry_backoff;
        let tx = self.internal_tx.clone();
        tokio::spawn(async move {
            if commit.stale > 0 {
                tokio::time::sleep(backoff * commit.stale).await;
            }
            let result = offsets::commit(
                &cluster,
                coordinator,
                &who,
                &commit.offsets,
                &commit.metadata,
                backoff,
            )
            .await;
            let _ = tx.send(Internal::CommitDone(Box::new(CommitDone {
                commit,
                result,
            })));
        });
    }

    pub(super) fn on_commit_done(&mut self, done: CommitDone) {
        let CommitDone { mut commit, result } = done;
        self.committing = false;
        if let Err(e) = &result {
            if e.kafka_code() == Some(ErrorCode::StaleMemberEpoch)
                && commit.stale < STALE_EPOCH_RETRIES
            {
                // KIP-848: the member's heartbeat moved its epoch past the
                // one this commit carried; try again with the new one.
                debug!(error = %e, "commit with a stale member epoch: retrying");
                commit.stale += 1;
                self.commits.push_front(commit);
                self.start_next_commit();
                return;
            }
        }
        let QueuedCommit {
            offsets,
            revoke,
            reply,
            ..
        } = commit;
        if result.is_ok() {
            self.stats.committed(&offsets);
        }
        if result.is_err() && reply.is_none() && !revoke {
            // A rebalance can refuse commits for a moment
            // (REBALANCE_IN_PROGRESS); the next auto commit
            // retries these rather than waiting for new records.
            let _ = self.events.send(Event::CommitFailed(offsets));
        }
        match &result {
            Ok(node) => self.coordinator = Some(*node),
            Err(e) => {
                warn!(error = %e, "offset commit failed");
                if offsets::is_coordinator_error(e) {
                    self.coordinator = None;
                }
            }
        }
        if revoke {
            self.hold = None;
        }
        if let Some(reply) = reply {
            let _ = reply.send(result.map(|_| ()));
        }
        self.start_next_commit();
    }
}
