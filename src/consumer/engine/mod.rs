//! The engine: one task that owns everything the consumer knows about the
//! cluster side — group membership, the assigned partitions and where
//! each is fetched from, fetches in flight, commits — and talks to the
//! [`Consumer`](super::Consumer) handle over channels: commands in, group
//! events and fetched records out.
//!
//! Every partition carries an epoch, new at each assignment, seek, pause
//! or resume. Fetched data is tagged with it, and both the engine and the
//! handle drop data of an older epoch: no lock is shared, yet nothing
//! fetched before a seek or a rebalance is ever handed out after it.

mod committing;
mod fetching;
mod group;
mod shared;
mod split;
mod starting;
mod stats;
mod subscription;

pub(crate) use shared::Shared;
pub(crate) use split::{QueueItem, Split, SplitState};

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use ferrokafka_protocol::ErrorCode;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::warn;

use self::committing::QueuedCommit;
use self::group::GroupReply;
use super::fetch::{FetchReply, FetchSession, FetchTarget, PartitionRecords};
use super::group::member::GroupMember;
use super::offsets;
use super::{ConsumerError, Tp};
use crate::cluster::{Cluster, ClusterMetadata};
use crate::config::ClientConfig;
use crate::error::{Error, Result};

/// Where to start a partition. The public [`Offset`](super::Offset) plus
/// the reset policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spec {
    /// The committed offset, else `auto.offset.reset`.
    Stored,
    /// `auto.offset.reset` (the position was out of range).
    Reset,
    Earliest,
    Latest,
    At(i64),
}

/// Committed offsets, `None` where nothing is committed.
pub(crate) type Committed = Vec<(Tp, Option<super::CommittedOffset>)>;

/// From the handle.
#[derive(Debug)]
pub(crate) enum Command {
    /// Topic names, and patterns starting with `^`.
    Subscribe(Vec<String>),
    /// Replaces the manual assignment.
    Assign(Vec<(Tp, Spec)>),
    /// Adds to the manual assignment.
    AssignMore(Vec<(Tp, Spec)>),
    /// Removes from the manual assignment.
    Unassign(Vec<Tp>),
    Seek(Tp, Spec),
    Pause(Vec<Tp>),
    /// Resume from the given position (the handle's), if it has one.
    Resume(Vec<(Tp, Option<i64>)>),
    Commit {
        offsets: Vec<(Tp, i64)>,
        /// Metadata for some of them (usually none).
        metadata: HashMap<Tp, String>,
        reply: Option<oneshot::Sender<Result<()>>>,
    },
    Committed {
        tps: Vec<Tp>,
        reply: oneshot::Sender<Result<Committed>>,
    },
    /// The handle met an unreadable batch at `offset` in data of `epoch`:
    /// stop the partition there (a seek restarts it).
    Halt {
        tp: Tp,
        epoch: u64,
        offset: i64,
    },
    /// `close` began: fetch nothing more. Its final commit and the
    /// `Close` follow; a fetch in flight is not waited for.
    Closing,
    Close {
        reply: oneshot::Sender<()>,
    },
    /// The engine's part of the statistics (no new rtt window).
    Statistics(oneshot::Sender<crate::statistics::Statistics>),
    /// A partition queue was made: route the partition's data to it; the
    /// handle (or the queue it replaces) stood at `at` (epoch, position).
    Split {
        split: Split,
        at: Option<(u64, i64)>,
    },
    /// A partition queue was dropped where it stood at `at`.
    Unsplit {
        state: Arc<SplitState>,
        at: Option<(u64, i64)>,
    },
    /// The handle invalidated these queues' data before the commands just
    /// sent (see `split`).
    Fence(Vec<Arc<SplitState>>),
}

/// To the handle, ahead of any fetched data.
#[derive(Debug)]
pub(crate) enum Event {
    /// The member's generation and id, ahead of the partitions it was
    /// assigned in that generation.
    Generation {
        generation_id: i32,
        member_id: String,
    },
    Assigned(Vec<Tp>),
    /// The partition is fetched from `offset` under `epoch`.
    Started {
        tp: Tp,
        epoch: u64,
        offset: i64,
    },
    /// Give these back; answer with the offsets to commit first.
    Revoke {
        tps: Vec<Tp>,
        ack: oneshot::Sender<Vec<(Tp, i64)>>,
    },
    Lost(Vec<Tp>),
    /// A commit nobody waited on failed: these offsets are not committed.
    CommitFailed(Vec<(Tp, i64)>),
    /// The engine's part of an interval's statistics.
    Statistics(Box<crate::statistics::Statistics>),
    Error(ConsumerError),
}

/// Fetched data, in order per partition.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// Records, decoded a batch at a time by the handle.
    Messages {
        tp: Tp,
        epoch: u64,
        records: Box<PartitionRecords>,
        bytes: usize,
    },
    Eof {
        tp: Tp,
        epoch: u64,
        offset: i64,
    },
    Error {
        tp: Tp,
        epoch: u64,
        error: ConsumerError,
    },
}

/// Results of the engine's spawned work.
#[derive(Debug)]
enum Internal {
    Group(GroupReply),
    Resolved(Vec<(Tp, u64, std::result::Result<i64, ConsumerError>)>),
    Fetched {
        node: i32,
        targets: Vec<FetchTarget>,
        result: Result<FetchReply>,
    },
    CommitDone(Box<committing::CommitDone>),
    MetadataRefreshed,
    TopicsChecked(Vec<String>),
    /// Look these up again (after a retriable failure and a backoff).
    RetryResolve(Vec<(Tp, u64)>),
}

#[derive(Debug)]
enum Hold {
    /// Waiting for the handle to acknowledge a revoke.
    RevokeAck {
        rx: oneshot::Receiver<Vec<(Tp, i64)>>,
        deadline: Instant,
    },
    /// Committing the revoked partitions' offsets.
    Commit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartState {
    Resolving,
    Fetching,
    Failed,
}

#[derive(Debug)]
struct Part {
    epoch: u64,
    /// Where the partition starts, until it has started.
    spec: Spec,
    /// Where the current epoch started.
    start: i64,
    offset: i64,
    state: PartState,
    paused: bool,
    in_flight: bool,
    eof_sent: bool,
    retry_at: Option<Instant>,
    unknown_reported: bool,
}

/// The engine's half of the channels.
pub(crate) struct Channels {
    pub(crate) commands: mpsc::UnboundedReceiver<Command>,
    pub(crate) events: mpsc::UnboundedSender<Event>,
    pub(crate) data: mpsc::UnboundedSender<Fetched>,
}

pub(crate) struct Engine {
    cluster: Cluster,
    config: ClientConfig,
    shared: Arc<Shared>,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
    data: mpsc::UnboundedSender<Fetched>,
    internal_tx: mpsc::UnboundedSender<Internal>,
    internal_rx: mpsc::UnboundedReceiver<Internal>,
    membership: Option<GroupMember>,
    coordinator: Option<i32>,
    group_in_flight: bool,
    hold: Option<Hold>,
    suspended: Option<Instant>,
    closing: Option<oneshot::Sender<()>>,
    /// `close` began (see [`Command::Closing`]): no more fetches.
    stop_fetching: bool,
    close_deadline: Option<Instant>,
    done: bool,
    parts: HashMap<Tp, Part>,
    next_epoch: u64,
    fetching: HashSet<i32>,
    /// Commits waiting for the one in flight (see `committing`).
    commits: VecDeque<QueuedCommit>,
    committing: bool,
    /// Each broker's incremental fetch session.
    sessions: HashMap<i32, FetchSession>,
    /// The partitions with their own queue.
    splits: HashMap<Tp, Split>,
    refreshing: bool,
    /// A subscription with patterns, matched against each snapshot.
    patterns: Option<subscription::Patterns>,
    /// Every new metadata snapshot: the group leader checks its topics'
    /// partition counts against those it assigned from.
    metadata: watch::Receiver<Arc<ClusterMetadata>>,
    /// The handle was dropped: the engine is leaving the group on its own.
    handle_gone: bool,
    /// The handle was dropped and its last commit is still going: leave
    /// the group once commits are done, or at this instant at the latest.
    leave_after_commits: Option<Instant>,
    /// The handle's poll count when last looked at, and when that was
    /// (see [`Shared`]).
    seen_polls: u64,
    last_poll: Instant,
    /// When to tell the handle an auto commit is due (with auto commit on).
    next_auto_commit: Option<Instant>,
    stats: stats::EngineStats,
}

enum Wake {
    Command(Option<Command>),
    Internal(Internal),
    Ack(Option<Vec<(Tp, i64)>>),
    Metadata,
    Tick,
}

impl Engine {
    pub(crate) fn spawn(cluster: Cluster, shared: Arc<Shared>, channels: Channels) {
        let (internal_tx, internal_rx) = mpsc::unbounded_channel();
        let config = cluster.config().clone();
        let metadata = cluster.watch_metadata();
        let now = Instant::now();
        let next_auto_commit = (config.enable_auto_commit && config.group_id.is_some())
            .then(|| now + config.auto_commit_interval);
        let stats = stats::EngineStats::new(
            crate::statistics::next_name(&config.client_id, "consumer"),
            config
                .statistics_callback
                .as_ref()
                .map(|_| config.statistics_interval),
            now,
        );
        let engine = Engine {
            stats,
            metadata,
            patterns: None,
            seen_polls: 0,
            last_poll: now,
            next_auto_commit,
            handle_gone: false,
            leave_after_commits: None,
            cluster,
            config,
            shared,
            commands: channels.commands,
            events: channels.events,
            data: channels.data,
            internal_tx,
            internal_rx,
            membership: None,
            coordinator: None,
            group_in_flight: false,
            hold: None,
            suspended: None,
            closing: None,
            stop_fetching: false,
            close_deadline: None,
            done: false,
            parts: HashMap::new(),
            next_epoch: 1,
            fetching: HashSet::new(),
            sessions: HashMap::new(),
            splits: HashMap::new(),
            commits: VecDeque::new(),
            committing: false,
            refreshing: false,
        };
        tokio::spawn(engine.run());
    }

    async fn run(mut self) {
        while !self.done {
            let now = Instant::now();
            self.note_polls(now);
            self.emit_statistics(now);
            self.drive_group(now);
            self.start_fetches(now);
            let deadline = self.next_deadline(now);
            let wake = {
                let hold = &mut self.hold;
                let ack = async {
                    match hold {
                        Some(Hold::RevokeAck { rx, .. }) => rx.await.ok(),
                        _ => std::future::pending().await,
                    }
                };
                tokio::select! {
                    biased;
                    c = self.commands.recv(), if !self.handle_gone => Wake::Command(c),
                    Some(i) = self.internal_rx.recv() => Wake::Internal(i),
                    a = ack => Wake::Ack(a),
                    Ok(()) = self.metadata.changed() => Wake::Metadata,
                    _ = self.shared.room.notified() => Wake::Tick,
                    _ = tokio::time::sleep_until(deadline) => Wake::Tick,
                }
            };
            let now = Instant::now();
            match wake {
                Wake::Command(None) => {
                    if !self.leave_for_dropped_handle(now) {
                        return;
                    }
                }
                Wake::Command(Some(c)) => self.on_command(c, now),
                Wake::Metadata => self.check_partition_counts(now),
                Wake::Internal(i) => self.on_internal(i, now),
                Wake::Ack(offsets) => self.on_revoke_ack(offsets.unwrap_or_default()),
                Wake::Tick => {}
            }
            if let Some(Hold::RevokeAck { deadline, .. }) = &self.hold {
                if now >= *deadline {
                    warn!("the application did not acknowledge a revoke in time; rejoining without committing");
                    self.hold = None;
                }
            }
            if let Some(at) = self.leave_after_commits {
                if !self.commits_pending() || now >= at {
                    self.leave_after_commits = None;
                    if !self.leave_for_dropped_handle_now(now) {
                        return;
                    }
                }
            }
            if self.close_deadline.is_some_and(|d| now >= d) {
                if let Some(reply) = self.closing.take() {
                    let _ = reply.send(());
                }
                self.done = true;
            }
        }
    }

    /// Takes in the handle's polls since the last wake-up, and raises the
    /// auto-commit flag when it is time (see [`Shared`]).
    fn note_polls(&mut self, now: Instant) {
        let polls = self.shared.polls.load(Ordering::Relaxed);
        if polls != self.seen_polls {
            self.seen_polls = polls;
            self.last_poll = now;
        }
        if let Some(at) = self.next_auto_commit {
            if now >= at {
                self.shared.auto_commit_due.store(true, Ordering::Relaxed);
                self.next_auto_commit = Some(now + self.config.auto_commit_interval);
            }
        }
    }

    /// The handle was dropped without `close`: leave the group anyway (best
    /// effort), so the others need not wait out the session timeout.
    /// The handle's last commit (sent as it was dropped, with auto commit
    /// on) goes first, for up to `request.timeout.ms`: leaving first would
    /// end the generation it commits under. Returns whether the engine
    /// has more to do.
    fn leave_for_dropped_handle(&mut self, now: Instant) -> bool {
        self.handle_gone = true;
        self.stop_fetching = true;
        self.end_splits();
        self.close_fetch_sessions();
        if self.closing.is_some() {
            return true;
        }
        if self.commits_pending() {
            self.leave_after_commits = Some(now + self.config.request_timeout);
            return true;
        }
        self.leave_for_dropped_handle_now(now)
    }

    /// Leaves the group for a dropped handle, if it is in one. Returns
    /// whether there is a group to leave.
    fn leave_for_dropped_handle_now(&mut self, now: Instant) -> bool {
        if !self.membership.as_ref().is_some_and(|m| m.is_active()) {
            return false;
        }
        tracing::info!("consumer dropped without close: leaving the group");
        let (reply, _) = oneshot::channel();
        self.on_command(Command::Close { reply }, now);
        true
    }

    /// As group leader: new metadata may show partitions added to, or the
    /// creation of, a subscribed topic; the membership decides whether to
    /// rebalance.
    fn check_partition_counts(&mut self, now: Instant) {
        let snapshot = self.metadata.borrow_and_update().clone();
        self.match_patterns(&snapshot, now);
        let Some(m) = self.membership.as_mut() else {
            return;
        };
        let counts: HashMap<String, i32> = m
            .watched_topics()
            .iter()
            .filter_map(|t| snapshot.topic(t))
            .filter(|t| t.error == ErrorCode::None && t.partition_count() > 0)
            .map(|t| (t.name.clone(), t.partition_count()))
            .collect();
        if !counts.is_empty() {
            m.on_partition_counts(&counts, now);
        }
    }

    fn next_deadline(&self, now: Instant) -> Instant {
        let mut d = now + Duration::from_secs(1);
        if self.suspended.is_none() {
            if let Some(m) = &self.membership {
                if let Some(md) = m.next_deadline() {
                    d = d.min(md);
                }
            }
        }
        for p in self.parts.values() {
            if let Some(r) = p.retry_at {
                d = d.min(r);
            }
        }
        if let Some(Hold::RevokeAck { deadline, .. }) = &self.hold {
            d = d.min(*deadline);
        }
        if let Some(c) = self.close_deadline {
            d = d.min(c);
        }
        if let Some(a) = self.next_auto_commit {
            d = d.min(a);
        }
        if let Some(l) = self.leave_after_commits {
            d = d.min(l);
        }
        if let Some(s) = self.stats.next_emit {
            d = d.min(s);
        }
        d.max(now)
    }

    fn on_command(&mut self, command: Command, now: Instant) {
        match command {
            Command::Statistics(reply) => drop(reply.send(self.statistics(false))),
            Command::Split { split, at } => self.on_split(split, at),
            Command::Unsplit { state, at } => self.on_unsplit(&state, at),
            Command::Fence(states) => self.on_fence(states),
            Command::Subscribe(topics) => self.subscribe(topics, now),
            Command::Assign(list) => {
                let all: Vec<Tp> = self.parts.keys().cloned().collect();
                self.unassign(&all);
                self.assign_more(list);
            }
            Command::AssignMore(list) => self.assign_more(list),
            Command::Unassign(tps) => self.unassign(&tps),
            Command::Seek(tp, spec) => {
                if self.parts.contains_key(&tp) {
                    self.restart(&tp, spec);
                }
            }
            Command::Halt { tp, epoch, offset } => {
                let fresh = self.new_epoch();
                if let Some(p) = self.parts.get_mut(&tp) {
                    if p.epoch == epoch {
                        // A new epoch drops what was fetched past it.
                        p.epoch = fresh;
                        p.offset = offset;
                        p.in_flight = false;
                        p.state = PartState::Failed;
                        self.split_started(&tp, None);
                    }
                }
            }
            Command::Pause(tps) => {
                for tp in tps {
                    let epoch = self.new_epoch();
                    if let Some(p) = self.parts.get_mut(&tp) {
                        p.paused = true;
                        // A new epoch drops what is fetched meanwhile; a
                        // start offset still being looked up keeps its
                        // epoch so the answer is not lost.
                        if p.state == PartState::Fetching {
                            p.epoch = epoch;
                            p.in_flight = false;
                        }
                        self.split_started(&tp, None);
                        self.split_paused(&tp, true);
                    }
                }
            }
            Command::Resume(list) => {
                for (tp, position) in list {
                    let Some(p) = self.parts.get_mut(&tp) else {
                        continue;
                    };
                    p.paused = false;
                    let state = p.state;
                    let offset = p.offset;
                    self.split_paused(&tp, false);
                    match (position, state) {
                        (Some(offset), _) => self.restart(&tp, Spec::At(offset)),
                        (None, PartState::Fetching) => self.restart(&tp, Spec::At(offset)),
                        _ => {}
                    }
                }
            }
            Command::Commit {
                offsets,
                metadata,
                reply,
            } => self.spawn_commit(offsets, metadata, false, reply),
            Command::Committed { tps, reply } => {
                let Some(group_id) = self.config.group_id.clone() else {
                    let _ = reply.send(Err(no_group_id()));
                    return;
                };
                let cluster = self.cluster.clone();
                let coordinator = self.coordinator;
                let backoff = self.config.retry_backoff;
                tokio::spawn(async move {
                    let r =
                        offsets::committed_full(&cluster, coordinator, &group_id, &tps, backoff)
                            .await;
                    let _ = reply.send(r);
                });
            }
            Command::Closing => {
                self.stop_fetching = true;
                self.close_fetch_sessions();
            }
            Command::Close { reply } => {
                self.stop_fetching = true;
                self.close_fetch_sessions();
                match self.membership.as_mut() {
                    Some(m) => {
                        m.close();
                        self.closing = Some(reply);
                        self.hold = None;
                        self.close_deadline = Some(now + self.config.request_timeout);
                    }
                    None => {
                        let _ = reply.send(());
                        self.done = true;
                    }
                }
                self.parts.clear();
                self.end_splits();
            }
        }
    }

    fn on_internal(&mut self, internal: Internal, now: Instant) {
        match internal {
            Internal::Group(reply) => self.on_group_reply(reply, now),
            Internal::Resolved(results) => self.on_resolved(results),
            Internal::Fetched {
                node,
                targets,
                result,
            } => self.on_fetched(node, targets, result, now),
            Internal::CommitDone(done) => self.on_commit_done(*done),
            Internal::MetadataRefreshed => {
                self.refreshing = false;
                self.report_unknown_topics();
            }
            Internal::RetryResolve(list) => {
                for (tp, epoch) in list {
                    let spec = match self.parts.get(&tp) {
                        Some(p) if p.epoch == epoch && p.state == PartState::Resolving => p.spec,
                        _ => continue,
                    };
                    self.spawn_resolve(vec![(tp, epoch)], spec);
                }
            }
            Internal::TopicsChecked(unknown) => {
                for topic in unknown {
                    let _ = self
                        .events
                        .send(Event::Error(ConsumerError::UnknownTopic { topic }));
                }
            }
        }
    }

    fn new_epoch(&mut self) -> u64 {
        self.next_epoch += 1;
        self.next_epoch
    }

    /// Takes on partitions and finds where each starts.
    fn add_parts(&mut self, list: Vec<(Tp, Spec)>) {
        for (tp, spec) in list {
            let epoch = self.new_epoch();
            // What an earlier assignment of it saw is not news.
            self.shared.forget_watermarks(&tp);
            self.parts.insert(
                tp.clone(),
                Part {
                    epoch,
                    spec,
                    start: -1,
                    offset: -1,
                    state: PartState::Resolving,
                    paused: false,
                    in_flight: false,
                    eof_sent: false,
                    retry_at: None,
                    unknown_reported: false,
                },
            );
            self.restart(&tp, spec);
        }
    }

    /// A new epoch for `tp`, starting at `spec` (looked up first unless it
    /// is an offset).
    fn restart(&mut self, tp: &Tp, spec: Spec) {
        let epoch = self.new_epoch();
        let Some(p) = self.parts.get_mut(tp) else {
            return;
        };
        p.epoch = epoch;
        p.spec = spec;
        p.in_flight = false;
        p.eof_sent = false;
        p.retry_at = None;
        if let Spec::At(offset) = spec {
            p.offset = offset;
            p.start = offset;
            p.state = PartState::Fetching;
            let started = (!p.paused).then_some((epoch, offset));
            self.split_started(tp, started);
            let _ = self.events.send(Event::Started {
                tp: tp.clone(),
                epoch,
                offset,
            });
            return;
        }
        p.state = PartState::Resolving;
        self.split_started(tp, None);
        self.spawn_resolve(vec![(tp.clone(), epoch)], spec);
    }

    /// Subscribed topics that do not exist are reported at once rather
    /// than leaving the application with a silent, empty assignment.
    fn check_topics(&self, topics: Vec<String>) {
        let cluster = self.cluster.clone();
        let tx = self.internal_tx.clone();
        tokio::spawn(async move {
            let mut unknown = Vec::new();
            for t in topics {
                if let Ok(info) = cluster.topic(&t).await {
                    if info.error == ErrorCode::UnknownTopicOrPartition {
                        unknown.push(t);
                    }
                }
            }
            if !unknown.is_empty() {
                let _ = tx.send(Internal::TopicsChecked(unknown));
            }
        });
    }
}

fn no_group_id() -> Error {
    crate::config::ConfigError::Conflict("committing offsets requires group.id".into()).into()
}
