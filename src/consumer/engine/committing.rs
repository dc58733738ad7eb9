//! Committing offsets for the handle (commit, commit_async, auto commit)
//! and for revoked partitions before the group moves on.

use std::collections::HashMap;

use tokio::sync::oneshot;
use tracing::warn;

use super::{no_group_id, Engine, Event, Internal};
use crate::consumer::offsets::{self, Committer};
use crate::consumer::Tp;
use crate::error::Result;

/// A commit waiting for the one in flight.
#[derive(Debug)]
pub(super) struct QueuedCommit {
    offsets: Vec<(Tp, i64)>,
    /// Metadata to commit with some of the offsets (empty strings for
    /// the others).
    metadata: HashMap<Tp, String>,
    revoke: bool,
    reply: Option<oneshot::Sender<Result<()>>>,
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
        let Some(QueuedCommit {
            offsets,
            metadata,
            revoke,
            reply,
        }) = self.commits.pop_front()
        else {
            return;
        };
        self.committing = true;
        // Who commits is decided now, not when queued: a revoke's commit
        // must carry the generation the partitions were owned in, which
        // the membership keeps until the commit is done (it waits).
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
        let unanswered = if reply.is_none() && !revoke {
            offsets.clone()
        } else {
            Vec::new()
        };
        tokio::spawn(async move {
            let result =
                offsets::commit(&cluster, coordinator, &who, &offsets, &metadata, backoff).await;
            let _ = tx.send(Internal::CommitDone {
                revoke,
                result,
                reply,
                unanswered,
                offsets,
            });
        });
    }

    pub(super) fn on_commit_done(
        &mut self,
        revoke: bool,
        result: Result<i32>,
        reply: Option<oneshot::Sender<Result<()>>>,
        unanswered: Vec<(Tp, i64)>,
    ) {
        if result.is_err() && !unanswered.is_empty() {
            // A rebalance can refuse commits for a moment
            // (REBALANCE_IN_PROGRESS); the next auto commit
            // retries these rather than waiting for new records.
            let _ = self.events.send(Event::CommitFailed(unanswered));
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
        self.committing = false;
        self.start_next_commit();
    }
}
