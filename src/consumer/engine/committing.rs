//! Committing offsets for the handle (commit, commit_async, auto commit)
//! and for revoked partitions before the group moves on.

use tokio::sync::oneshot;
use tracing::warn;

use super::{no_group_id, Engine, Event, Internal};
use crate::consumer::offsets::{self, Committer};
use crate::consumer::Tp;
use crate::error::Result;

impl Engine {
    pub(super) fn spawn_commit(
        &mut self,
        offsets: Vec<(Tp, i64)>,
        revoke: bool,
        reply: Option<oneshot::Sender<Result<()>>>,
    ) {
        let Some(group_id) = self.config.group_id.clone() else {
            if let Some(reply) = reply {
                let _ = reply.send(Err(no_group_id()));
            }
            if revoke {
                self.hold = None;
            }
            return;
        };
        let (generation_id, member_id) = match &self.membership {
            Some(m) => (m.generation_id(), m.member_id().to_owned()),
            None => (-1, String::new()),
        };
        let who = Committer {
            group_id,
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
            let result = offsets::commit(&cluster, coordinator, &who, &offsets, backoff).await;
            let _ = tx.send(Internal::CommitDone {
                revoke,
                result,
                reply,
                unanswered,
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
    }
}
