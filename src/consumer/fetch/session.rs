//! Incremental fetch sessions (KIP-227), one per broker, with no sockets:
//! the engine asks [`FetchSession::plan`] what the next Fetch request
//! should carry and reports how it went.
//!
//! The first request is a full fetch with epoch 0, asking the broker to
//! open a session. From then on the broker remembers each partition's
//! fetch offset, and a request lists only the partitions that are new or
//! whose offset or leader epoch changed, plus the ones to drop
//! ("forgotten"); the broker answers only for partitions with something
//! to say. With hundreds of partitions per broker that keeps idle fetches
//! tiny. Any failure, and FETCH_SESSION_ID_NOT_FOUND or
//! INVALID_FETCH_SESSION_EPOCH, starts over with a full fetch.

use std::collections::HashMap;

use ferrokafka_protocol::ErrorCode;
use tracing::debug;

use super::FetchTarget;
use crate::consumer::Tp;

/// What the broker holds for one partition of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    offset: i64,
    leader_epoch: i32,
}

/// The session fields and contents of the next Fetch request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FetchPlan {
    /// `session_id`: 0 for a full fetch.
    pub(crate) session_id: i32,
    /// `session_epoch`: 0 opens a session with a full fetch.
    pub(crate) session_epoch: i32,
    /// Indexes (into the targets) of the partitions to list.
    pub(crate) include: Vec<usize>,
    /// Partitions to drop from the session.
    pub(crate) forgotten: Vec<Tp>,
}

/// What to make of a Fetch response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionOutcome {
    /// The partition data is good; partitions left out had nothing new.
    Usable,
    /// The session was refused; nothing was fetched. Fetch again (a full
    /// fetch).
    Reset,
    /// Another top-level error, for every partition.
    Error(i16),
}

/// One broker's fetch session, as this client sees it.
#[derive(Debug, Default)]
pub(crate) struct FetchSession {
    /// 0: no session (the next fetch is full).
    id: i32,
    /// The epoch of the next incremental request.
    epoch: i32,
    /// What the broker holds, as of the last answered request.
    held: HashMap<Tp, Held>,
    /// What the broker will hold once the request in flight is answered.
    pending: HashMap<Tp, Held>,
}

impl FetchSession {
    /// The request for `targets`, which are every partition wanted from
    /// this broker right now (the others leave the session).
    pub(crate) fn plan(&mut self, targets: &[FetchTarget]) -> FetchPlan {
        self.pending = targets
            .iter()
            .map(|t| {
                let held = Held {
                    offset: t.offset,
                    leader_epoch: t.leader_epoch,
                };
                (t.tp.clone(), held)
            })
            .collect();
        if self.id == 0 {
            return FetchPlan {
                session_id: 0,
                session_epoch: 0,
                include: (0..targets.len()).collect(),
                forgotten: Vec::new(),
            };
        }
        let include = targets
            .iter()
            .enumerate()
            .filter(|(_, t)| self.held.get(&t.tp) != self.pending.get(&t.tp))
            .map(|(i, _)| i)
            .collect();
        let mut forgotten: Vec<Tp> = self
            .held
            .keys()
            .filter(|tp| !self.pending.contains_key(*tp))
            .cloned()
            .collect();
        forgotten.sort();
        FetchPlan {
            session_id: self.id,
            session_epoch: self.epoch,
            include,
            forgotten,
        }
    }

    /// The broker answered the planned request with this top-level error
    /// code and session id.
    pub(crate) fn on_response(&mut self, error_code: i16, session_id: i32) -> SessionOutcome {
        if error_code != 0 {
            debug!(session_id = self.id, error_code, "fetch session reset");
            self.reset();
            return match ErrorCode::from_code(error_code) {
                ErrorCode::FetchSessionIdNotFound
                | ErrorCode::InvalidFetchSessionEpoch
                | ErrorCode::FetchSessionTopicIdError => SessionOutcome::Reset,
                _ => SessionOutcome::Error(error_code),
            };
        }
        let full = self.id == 0;
        if !full && session_id != self.id {
            // Not the session asked about: trust nothing it holds.
            self.reset();
            return SessionOutcome::Reset;
        }
        self.held = std::mem::take(&mut self.pending);
        if full {
            // 0: the broker keeps no session (its cache is full, or it
            // predates KIP-227); fetch in full again next time.
            self.id = session_id;
            self.epoch = 1;
            if session_id != 0 {
                debug!(
                    session_id,
                    partitions = self.held.len(),
                    "fetch session opened"
                );
            }
        } else {
            // Epochs wrap to 1: 0 opens a session and -1 closes one.
            self.epoch = self.epoch.checked_add(1).unwrap_or(1);
        }
        if self.id == 0 {
            self.held.clear();
        }
        SessionOutcome::Usable
    }

    /// The request that closes the session (epoch -1, nothing listed), so
    /// the broker frees its slot at once rather than after it idled out;
    /// `None` when there is no session.
    pub(crate) fn close(&mut self) -> Option<FetchPlan> {
        let session_id = self.id;
        self.reset();
        (session_id != 0).then(|| FetchPlan {
            session_id,
            session_epoch: -1,
            include: Vec::new(),
            forgotten: Vec::new(),
        })
    }

    /// The request failed without an answer: its effect on the broker is
    /// unknown, so start over.
    pub(crate) fn on_failure(&mut self) {
        self.reset();
    }

    fn reset(&mut self) {
        self.id = 0;
        self.epoch = 0;
        self.held.clear();
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests;
