//! A member of a consumer group under the broker-driven protocol (KIP-848,
//! `group.protocol=consumer`), as a state machine with no sockets and no
//! clock, like the classic [`Membership`](super::membership::Membership):
//! the driver feeds it ConsumerGroupHeartbeat answers, topic names and the
//! current time; it says which request to send next and what the
//! application should learn.
//!
//! ```text
//! Idle -> FindCoordinator -> heartbeat epoch 0 (join, every field)
//!      -> heartbeats at the broker's interval, changed fields only
//!      -> an assignment (topic ids): names resolved through metadata,
//!         revoked partitions given back (Revoked: the driver stops
//!         fetching, commits, runs the listener), then the new ones taken
//!         (Assigned), then a heartbeat at once acknowledging what is owned
//! close(): Revoked, heartbeat epoch -1 (-2 for a static member) -> Left
//! ```
//!
//! Errors as the Java client treats them (its `HeartbeatRequestManager`
//! and `AbstractMembershipManager`): FENCED_MEMBER_EPOCH and
//! UNKNOWN_MEMBER_ID lose every partition and rejoin at epoch 0 with the
//! same member id; coordinator errors find the coordinator again and keep
//! the assignment; UNRELEASED_INSTANCE_ID, UNSUPPORTED_ASSIGNOR,
//! GROUP_MAX_SIZE_REACHED, INVALID_REQUEST and authorization failures are
//! fatal; UNSUPPORTED_VERSION means the broker does not run the protocol.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Duration;

use ferrokafka_protocol::consumer_protocol::TopicPartition;
use ferrokafka_protocol::messages::consumer_group_heartbeat::ConsumerGroupHeartbeatTopicPartitions;
use ferrokafka_protocol::messages::{
    ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse,
};
use ferrokafka_protocol::{ErrorCode, Uuid};
use tokio::time::Instant;

use super::membership::{GroupEvent, GroupRequest};

/// The epoch a member joins with.
pub const JOIN_EPOCH: i32 = 0;
/// The epoch a member leaves with.
pub const LEAVE_EPOCH: i32 = -1;
/// The epoch a static member leaves with for a while (it comes back with
/// the same `group.instance.id` and gets its partitions back).
pub const STATIC_LEAVE_EPOCH: i32 = -2;

/// How the member behaves.
#[derive(Debug, Clone)]
pub struct ConsumerMemberConfig {
    /// `group.id`.
    pub group_id: String,
    /// `group.instance.id`.
    pub group_instance_id: Option<String>,
    /// `client.rack`, if any.
    pub rack_id: Option<String>,
    /// `group.remote.assignor`.
    pub server_assignor: Option<String>,
    /// `max.poll.interval.ms`, also the rebalance timeout.
    pub max_poll_interval: Duration,
    /// `retry.backoff.ms`.
    pub retry_backoff: Duration,
}

/// What the member subscribes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscription {
    /// These topic names.
    Topics(Vec<String>),
    /// Topics whose whole name matches this RE2/J expression (matched by
    /// the broker; ConsumerGroupHeartbeat v1+).
    Pattern(String),
}

impl Subscription {
    /// From a librdkafka-style list: entries starting with `^` are
    /// patterns. Names and patterns together become one pattern.
    pub fn from_list(list: Vec<String>) -> Self {
        if !list.iter().any(|t| t.starts_with('^')) {
            return Subscription::Topics(list);
        }
        if let [only] = list.as_slice() {
            return Subscription::Pattern(only.clone());
        }
        let alternatives: Vec<String> = list
            .iter()
            .map(|t| match t.strip_prefix('^') {
                Some(pattern) => format!("(?:{})", pattern.strip_suffix('$').unwrap_or(pattern)),
                // Topic names are [a-zA-Z0-9._-]: only '.' is special.
                None => format!("(?:{})", t.replace('.', "\\.")),
            })
            .collect();
        Subscription::Pattern(alternatives.join("|"))
    }
}

/// Partitions by topic id.
type Assignment = BTreeMap<Uuid, BTreeSet<i32>>;

#[derive(Debug, Clone, PartialEq)]
enum State {
    /// No subscription yet.
    Idle,
    /// Find the coordinator at `at`.
    NeedCoordinator { at: Instant },
    /// A FindCoordinator is in flight.
    FindingCoordinator,
    /// In the group (or joining at epoch 0): heartbeat at `next`.
    Active { next: Instant },
    /// A leave heartbeat is due or in flight; after it, `Dead` (closing)
    /// or back to epoch 0 (after `max.poll.interval.ms`).
    Leaving { sent: bool, rejoin: bool },
    /// Done: left or failed.
    Dead,
}

/// What the last answered heartbeat told the coordinator, so the next one
/// sends only what changed. `None` sends everything (joining, or after a
/// heartbeat got no answer).
#[derive(Debug, Clone, PartialEq)]
struct Sent {
    subscription: Subscription,
    owned: Assignment,
}

/// One member of a consumer group under KIP-848.
#[derive(Debug)]
pub struct ConsumerMember {
    config: ConsumerMemberConfig,
    member_id: String,
    epoch: i32,
    state: State,
    subscription: Option<Subscription>,
    interval: Duration,
    in_flight: bool,
    /// What the heartbeat in flight carries, once answered the new `sent`.
    sending: Option<Sent>,
    sent: Option<Sent>,
    /// What this member owns, by topic id.
    owned: Assignment,
    /// The latest assignment from the coordinator, not yet all owned.
    target: Option<Assignment>,
    /// Topic names by id, from metadata.
    names: HashMap<Uuid, String>,
    /// Revoked partitions were handed to the driver: the next
    /// `poll_request` means it is done with them (stopped, committed).
    revoking: bool,
    /// Topic ids the driver was asked to resolve.
    resolving: bool,
    /// When to ask for unresolved topic ids again.
    resolve_at: Instant,
    /// No heartbeat before this (backoff after an error).
    not_before: Instant,
    last_poll: Instant,
    outbox: VecDeque<GroupRequest>,
    events: VecDeque<GroupEvent>,
}

impl ConsumerMember {
    /// A member with no subscription yet and a fresh member id (KIP-1082:
    /// the client generates it and keeps it for its whole life).
    pub fn new(config: ConsumerMemberConfig, now: Instant) -> Self {
        Self::with_member_id(config, new_member_id(), now)
    }

    /// [`ConsumerMember::new`] with a given member id.
    pub fn with_member_id(config: ConsumerMemberConfig, member_id: String, now: Instant) -> Self {
        Self {
            config,
            member_id,
            epoch: JOIN_EPOCH,
            state: State::Idle,
            subscription: None,
            interval: Duration::from_secs(5),
            in_flight: false,
            sending: None,
            sent: None,
            owned: Assignment::new(),
            target: None,
            names: HashMap::new(),
            revoking: false,
            resolving: false,
            resolve_at: now,
            not_before: now,
            last_poll: now,
            outbox: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The member id.
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// The member epoch (what commits carry), 0 before the first answer.
    pub fn member_epoch(&self) -> i32 {
        self.epoch
    }

    /// The partitions owned now.
    pub fn owned(&self) -> Vec<TopicPartition> {
        self.named(&self.owned)
    }

    /// Whether the member is in the group and owns all it was assigned
    /// (librdkafka's `steady` join state).
    pub fn is_stable(&self) -> bool {
        matches!(self.state, State::Active { .. })
            && self.epoch > 0
            && !self.revoking
            && self.target.as_ref().is_none_or(|t| *t == self.owned)
    }

    /// Whether the member is in the group or on its way in.
    pub fn is_active(&self) -> bool {
        matches!(
            self.state,
            State::NeedCoordinator { .. } | State::FindingCoordinator | State::Active { .. }
        ) || matches!(self.state, State::Leaving { rejoin: true, .. })
    }

    /// The heartbeat interval the broker asked for.
    pub fn heartbeat_interval(&self) -> Duration {
        self.interval
    }

    /// Subscribes (replacing the previous subscription) and joins, or
    /// tells the coordinator with the next heartbeat, sent at once.
    pub fn subscribe(&mut self, subscription: Subscription, now: Instant) {
        self.subscription = Some(subscription);
        match self.state {
            State::Idle => self.state = State::NeedCoordinator { at: now },
            State::Active { .. } => self.state = State::Active { next: now },
            _ => {}
        }
    }

    /// The subscription, if any.
    pub fn subscription(&self) -> Option<&Subscription> {
        self.subscription.as_ref()
    }

    /// The application polled: resets the `max.poll.interval.ms` clock.
    pub fn on_poll(&mut self, now: Instant) {
        self.last_poll = now;
    }

    /// Leaves the group: revokes what is owned (the driver commits it)
    /// and sends a heartbeat with epoch -1, or -2 for a static member,
    /// whose partitions the coordinator then keeps for it until the
    /// session times out.
    pub fn close(&mut self) {
        if matches!(self.state, State::Dead)
            || matches!(self.state, State::Leaving { rejoin: false, .. })
        {
            return;
        }
        self.revoke_all();
        self.target = None;
        self.revoking = false;
        if self.epoch <= 0 && !self.in_flight {
            // Never joined: nothing to leave.
            self.state = State::Dead;
            self.events.push_back(GroupEvent::Left);
            return;
        }
        self.state = State::Leaving {
            sent: false,
            rejoin: false,
        };
    }

    /// The next request to send, if one is due at `now`. The driver calls
    /// it only once it has handled the events (a revocation committed).
    pub fn poll_request(&mut self, now: Instant) -> Option<GroupRequest> {
        self.check_poll_interval(now);
        if let Some(r) = self.outbox.pop_front() {
            return Some(r);
        }
        if self.in_flight {
            return None;
        }
        match self.state.clone() {
            State::NeedCoordinator { at } if now >= at => {
                self.state = State::FindingCoordinator;
                Some(GroupRequest::FindCoordinator)
            }
            State::Leaving {
                sent: false,
                rejoin,
            } => {
                self.state = State::Leaving { sent: true, rejoin };
                self.in_flight = true;
                let epoch = if self.config.group_instance_id.is_some() {
                    STATIC_LEAVE_EPOCH
                } else {
                    LEAVE_EPOCH
                };
                Some(GroupRequest::ConsumerHeartbeat(Box::new(
                    ConsumerGroupHeartbeatRequest {
                        group_id: self.config.group_id.clone(),
                        member_id: self.member_id.clone(),
                        member_epoch: epoch,
                        instance_id: self.config.group_instance_id.clone(),
                        ..Default::default()
                    },
                )))
            }
            State::Active { next } => {
                if std::mem::take(&mut self.revoking) {
                    // The driver is done with the revoked partitions: take
                    // the new ones (or revoke more, for a newer target).
                    self.reconcile();
                    if self.revoking {
                        return None;
                    }
                }
                let unresolved = self.unresolved();
                if !unresolved.is_empty() && !self.resolving && now >= self.resolve_at {
                    self.resolving = true;
                    return Some(GroupRequest::ResolveTopicIds(unresolved));
                }
                let due = now >= self.not_before && (now >= next || self.changed());
                due.then(|| self.heartbeat())
            }
            _ => None,
        }
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<GroupEvent> {
        self.events.pop_front()
    }

    /// When [`ConsumerMember::poll_request`] next has something to do, if
    /// it waits on time rather than on an answer.
    pub fn next_deadline(&self) -> Option<Instant> {
        let poll_deadline = self.last_poll + self.config.max_poll_interval;
        let state = match self.state {
            State::NeedCoordinator { at } => Some(at),
            State::Active { next } if !self.in_flight => {
                let mut d = next.max(self.not_before);
                if self.changed() {
                    d = self.not_before;
                }
                if !self.unresolved().is_empty() && !self.resolving {
                    d = d.min(self.resolve_at);
                }
                Some(d)
            }
            _ => None,
        };
        match state {
            Some(d) => Some(d.min(poll_deadline)),
            None if self.is_active() => Some(poll_deadline),
            None => None,
        }
    }

    /// The FindCoordinator outcome (0 when found).
    pub fn on_coordinator(&mut self, error_code: i16, now: Instant) {
        if self.state != State::FindingCoordinator {
            return;
        }
        let error = ErrorCode::from_code(error_code);
        if error.is_ok() {
            // The member keeps its epoch and partitions: the coordinator
            // says in its answer whether they still stand.
            self.state = State::Active { next: now };
        } else if matches!(
            error,
            ErrorCode::GroupAuthorizationFailed | ErrorCode::InvalidGroupId
        ) {
            self.fail(error);
        } else {
            self.state = State::NeedCoordinator {
                at: now + self.config.retry_backoff,
            };
        }
    }

    /// Topic names for ids asked for with [`GroupRequest::ResolveTopicIds`]
    /// (ids still unknown are asked for again after the retry backoff;
    /// meanwhile the resolved part of the assignment is taken).
    pub fn on_topic_names(&mut self, names: HashMap<Uuid, String>, now: Instant) {
        self.resolving = false;
        self.names.extend(names);
        if !self.unresolved().is_empty() {
            self.resolve_at = now + self.config.retry_backoff;
        }
        self.reconcile();
    }

    /// A ConsumerGroupHeartbeat answer.
    pub fn on_heartbeat(&mut self, response: ConsumerGroupHeartbeatResponse, now: Instant) {
        self.in_flight = false;
        let sending = self.sending.take();
        if let State::Leaving { sent: true, rejoin } = self.state {
            // Any answer ends the membership (an error too: the
            // coordinator drops the member after its session anyway).
            if rejoin {
                self.rejoin_fresh(now);
            } else {
                self.state = State::Dead;
                self.epoch = LEAVE_EPOCH;
                self.events.push_back(GroupEvent::Left);
            }
            return;
        }
        if !matches!(self.state, State::Active { .. }) {
            return;
        }
        let error = ErrorCode::from_code(response.error_code);
        match error {
            ErrorCode::None => {}
            ErrorCode::FencedMemberEpoch | ErrorCode::UnknownMemberId => {
                tracing::warn!(group = %self.config.group_id, code = %error, epoch = self.epoch,
                    "fenced: partitions lost, rejoining at epoch 0");
                self.lose_all();
                self.rejoin_fresh(now);
                return;
            }
            ErrorCode::UnsupportedVersion => return self.fail_unsupported(),
            ErrorCode::CoordinatorLoadInProgress => return self.back_off(now),
            c if c.is_coordinator_error() => {
                self.state = State::NeedCoordinator { at: now };
                return;
            }
            ErrorCode::UnreleasedInstanceId
            | ErrorCode::UnsupportedAssignor
            | ErrorCode::GroupMaxSizeReached
            | ErrorCode::InvalidRequest
            | ErrorCode::GroupAuthorizationFailed
            | ErrorCode::TopicAuthorizationFailed
            | ErrorCode::FencedInstanceId
            | ErrorCode::InvalidGroupId => return self.fail(error),
            c if c.is_retriable() => return self.back_off(now),
            c => return self.fail(c),
        }
        if let Some(id) = response.member_id.filter(|id| !id.is_empty()) {
            self.member_id = id;
        }
        self.epoch = response.member_epoch;
        if let Ok(ms) = u64::try_from(response.heartbeat_interval_ms) {
            if ms > 0 {
                self.interval = Duration::from_millis(ms);
            }
        }
        self.sent = sending;
        self.state = State::Active {
            next: now + self.interval,
        };
        if let Some(assignment) = response.assignment {
            let mut target = Assignment::new();
            for tp in assignment.topic_partitions {
                target.entry(tp.topic_id).or_default().extend(tp.partitions);
            }
            self.target = Some(target);
            self.reconcile();
        }
    }

    /// A request got no answer (connection lost, timeout).
    pub fn on_request_failed(&mut self, now: Instant) {
        self.in_flight = false;
        self.sending = None;
        self.resolving = false;
        match self.state {
            State::Leaving { sent: true, rejoin } => {
                self.state = State::Leaving { sent: true, rejoin };
                let ok = ConsumerGroupHeartbeatResponse::default();
                self.on_heartbeat(ok, now);
            }
            State::Active { .. } | State::FindingCoordinator => {
                // Everything goes again with the next heartbeat, to the
                // coordinator found again.
                self.sent = None;
                self.state = State::NeedCoordinator {
                    at: now + self.config.retry_backoff,
                };
            }
            _ => {}
        }
    }

    fn heartbeat(&mut self) -> GroupRequest {
        let subscription = self
            .subscription
            .clone()
            .unwrap_or(Subscription::Topics(Vec::new()));
        let full = self.sent.is_none();
        let sent = self.sent.as_ref();
        let sub_changed = full || sent.is_some_and(|s| s.subscription != subscription);
        let owned_changed = full || sent.is_some_and(|s| s.owned != self.owned);
        let mut request = ConsumerGroupHeartbeatRequest {
            group_id: self.config.group_id.clone(),
            member_id: self.member_id.clone(),
            member_epoch: self.epoch,
            ..Default::default()
        };
        if full {
            request.instance_id = self.config.group_instance_id.clone();
            request.rack_id = self.config.rack_id.clone();
            request.rebalance_timeout_ms = millis_i32(self.config.max_poll_interval);
            request.server_assignor = self.config.server_assignor.clone();
        }
        if sub_changed {
            match &subscription {
                Subscription::Topics(names) => {
                    request.subscribed_topic_names = Some(names.clone());
                    if !full {
                        // From a pattern back to names: clear the pattern.
                        request.subscribed_topic_regex = Some(String::new());
                    }
                }
                Subscription::Pattern(p) => {
                    request.subscribed_topic_regex = Some(p.clone());
                    if !full {
                        request.subscribed_topic_names = Some(Vec::new());
                    }
                }
            }
        }
        if owned_changed {
            request.topic_partitions = Some(
                self.owned
                    .iter()
                    .map(|(id, ps)| ConsumerGroupHeartbeatTopicPartitions {
                        topic_id: *id,
                        partitions: ps.iter().copied().collect(),
                        ..Default::default()
                    })
                    .collect(),
            );
        }
        self.sending = Some(Sent {
            subscription,
            owned: self.owned.clone(),
        });
        self.in_flight = true;
        GroupRequest::ConsumerHeartbeat(Box::new(request))
    }

    /// Whether what the coordinator knows differs from the member's state
    /// (a heartbeat goes at once to acknowledge an assignment).
    fn changed(&self) -> bool {
        match &self.sent {
            None => true,
            Some(s) => s.owned != self.owned || Some(&s.subscription) != self.subscription.as_ref(),
        }
    }

    /// Target ids whose names are unknown.
    fn unresolved(&self) -> Vec<Uuid> {
        match &self.target {
            Some(t) => t
                .keys()
                .filter(|id| !self.names.contains_key(id))
                .copied()
                .collect(),
            None => Vec::new(),
        }
    }

    /// Moves towards the target: what is owned and not in it is revoked
    /// first (the driver stops fetching and commits); once the driver has
    /// handled that, the resolved rest is taken.
    fn reconcile(&mut self) {
        if self.revoking {
            // The newest target is taken once the revocation is done.
            return;
        }
        let Some(target) = &self.target else {
            return;
        };
        let mut revoked = Assignment::new();
        for (id, parts) in &self.owned {
            let keep = target.get(id);
            let gone: BTreeSet<i32> = parts
                .iter()
                .filter(|p| !keep.is_some_and(|k| k.contains(p)))
                .copied()
                .collect();
            if !gone.is_empty() {
                revoked.insert(*id, gone);
            }
        }
        if revoked.is_empty() {
            self.take_assigned_now();
            return;
        }
        for (id, gone) in &revoked {
            if let Some(parts) = self.owned.get_mut(id) {
                parts.retain(|p| !gone.contains(p));
                if parts.is_empty() {
                    self.owned.remove(id);
                }
            }
        }
        self.events
            .push_back(GroupEvent::Revoked(self.named(&revoked)));
        self.revoking = true;
    }

    /// Takes the resolved partitions of the target not owned yet.
    fn take_assigned_now(&mut self) {
        let Some(target) = &self.target else {
            return;
        };
        let mut added = Assignment::new();
        for (id, parts) in target {
            if !self.names.contains_key(id) {
                continue;
            }
            let have = self.owned.get(id);
            let new: BTreeSet<i32> = parts
                .iter()
                .filter(|p| !have.is_some_and(|h| h.contains(p)))
                .copied()
                .collect();
            if !new.is_empty() {
                added.insert(*id, new);
            }
        }
        for (id, new) in &added {
            self.owned
                .entry(*id)
                .or_default()
                .extend(new.iter().copied());
        }
        if self.unresolved().is_empty() {
            self.target = None;
        }
        if !added.is_empty() {
            self.events
                .push_back(GroupEvent::Assigned(self.named(&added)));
        }
    }

    fn named(&self, assignment: &Assignment) -> Vec<TopicPartition> {
        assignment
            .iter()
            .filter(|(_, ps)| !ps.is_empty())
            .map(|(id, ps)| TopicPartition {
                topic: self.names.get(id).cloned().unwrap_or_default(),
                partitions: ps.iter().copied().collect(),
            })
            .collect()
    }

    fn check_poll_interval(&mut self, now: Instant) {
        if !matches!(self.state, State::Active { .. }) || self.in_flight {
            return;
        }
        if now.duration_since(self.last_poll) <= self.config.max_poll_interval {
            return;
        }
        // KIP-62 as the Java client does it under KIP-848: the member
        // leaves (its partitions are lost) and joins again at epoch 0 once
        // the application polls.
        self.events.push_back(GroupEvent::PollIntervalExceeded);
        self.lose_all();
        self.target = None;
        self.revoking = false;
        self.state = State::Leaving {
            sent: false,
            rejoin: true,
        };
        self.last_poll = now;
    }

    fn back_off(&mut self, now: Instant) {
        self.not_before = now + self.config.retry_backoff;
        self.state = State::Active {
            next: self.not_before,
        };
    }

    fn rejoin_fresh(&mut self, now: Instant) {
        self.not_before = now;
        self.epoch = JOIN_EPOCH;
        self.sent = None;
        self.target = None;
        self.revoking = false;
        self.state = State::Active { next: now };
    }

    fn revoke_all(&mut self) {
        if !self.owned.is_empty() {
            let all = std::mem::take(&mut self.owned);
            self.events.push_back(GroupEvent::Revoked(self.named(&all)));
        }
    }

    fn lose_all(&mut self) {
        if !self.owned.is_empty() {
            let all = std::mem::take(&mut self.owned);
            self.events.push_back(GroupEvent::Lost(self.named(&all)));
        }
    }

    fn fail(&mut self, error: ErrorCode) {
        tracing::error!(group = %self.config.group_id, code = %error, "consumer group membership failed");
        self.lose_all();
        self.state = State::Dead;
        self.events.push_back(GroupEvent::Fatal(error.code()));
    }

    fn fail_unsupported(&mut self) {
        self.lose_all();
        self.state = State::Dead;
        self.events
            .push_back(GroupEvent::ConsumerProtocolUnsupported);
    }
}

/// A random member id: 16 random bytes, URL-safe base64 without padding
/// (22 characters, the form of the Java client's `Uuid.randomUuid()`).
fn new_member_id() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut raw = [0u8; 16];
    if getrandom::fill(&mut raw).is_err() {
        // No OS randomness: still unique enough within a process and time.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        raw = (nanos ^ (std::process::id() as u128) << 64).to_le_bytes();
    }
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut out = String::with_capacity(22);
    for b in raw {
        bits = (bits << 8) | u32::from(b);
        nbits += 8;
        while nbits >= 6 {
            nbits -= 6;
            out.push(ALPHABET[((bits >> nbits) & 63) as usize] as char);
        }
    }
    if nbits > 0 {
        out.push(ALPHABET[((bits << (6 - nbits)) & 63) as usize] as char);
    }
    out
}

fn millis_i32(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests;
