//! Group membership (the classic protocol) as a state machine with no
//! sockets and no clock: the driver feeds it responses and the current
//! time, and it says which request to send next and what the application
//! should learn (partitions assigned, revoked or lost).
//!
//! ```text
//! Unjoined -> FindCoordinator -> JoinGroup -> (leader: metadata, assign)
//!          -> SyncGroup -> Stable (Heartbeat every heartbeat.interval.ms)
//! any error: back to the step that fixes it; close(): LeaveGroup -> Left
//! ```
//!
//! Two rebalance protocols, chosen by the assignors configured:
//! - eager (`range`, `roundrobin`, or any mix): every partition is revoked
//!   before rejoining, and the new assignment is taken whole;
//! - cooperative (KIP-429, when every assignor is `cooperative-sticky`):
//!   members keep consuming through a rebalance and send what they own
//!   with JoinGroup; after SyncGroup only the partitions that moved away
//!   are revoked, and then the member rejoins so they can be handed out.
//!
//! The leader also remembers the partition counts it assigned from, and
//! rejoins when the metadata shows them changed (partitions added, a
//! subscribed topic created), so new partitions get consumers.

use std::collections::{HashMap, VecDeque};
use tokio::time::Instant;

use bytes::Bytes;
use ferrokafka_protocol::consumer_protocol::{
    ConsumerProtocolAssignment, ConsumerProtocolSubscription, TopicPartition,
    CONSUMER_PROTOCOL_VERSION,
};
use ferrokafka_protocol::ErrorCode;

use super::assignor::{Assignor, Member};

mod types;
pub use types::{GroupEvent, GroupRequest, JoinOutcome, MembershipConfig};

#[derive(Debug, Clone, PartialEq)]
enum State {
    /// No subscription yet.
    Idle,
    /// The coordinator is unknown; ask for it at `at`.
    NeedCoordinator { at: Instant },
    /// A FindCoordinator is in flight.
    FindingCoordinator,
    /// Send JoinGroup at `at`.
    NeedJoin { at: Instant },
    /// A JoinGroup is in flight.
    Joining,
    /// As leader, waiting for partition counts.
    NeedMetadata { join: JoinSnapshot },
    /// A SyncGroup is in flight.
    Syncing,
    /// In the group; heartbeat at `next_heartbeat`.
    Stable {
        next_heartbeat: Instant,
        heartbeat_in_flight: bool,
    },
    /// A LeaveGroup is in flight or done.
    Leaving,
    /// Done: left or failed.
    Dead,
}

#[derive(Debug, Clone, PartialEq)]
struct JoinSnapshot {
    protocol: String,
    members: Vec<Member>,
    topics: Vec<String>,
}

/// One member's view of its group.
#[derive(Debug)]
pub struct Membership {
    config: MembershipConfig,
    topics: Vec<String>,
    state: State,
    member_id: String,
    generation_id: i32,
    protocol: Option<String>,
    owned: Vec<TopicPartition>,
    /// The coordinator was lost while the member was stable: once it is
    /// found again the member heartbeats in its generation, keeping its
    /// partitions, rather than joining again without giving them back.
    resume_heartbeats: bool,
    last_heartbeat_ok: Instant,
    last_poll: Instant,
    outbox: VecDeque<GroupRequest>,
    events: VecDeque<GroupEvent>,
    /// Every configured assignor is cooperative.
    cooperative: bool,
    /// As leader of the current generation: every member's topics and
    /// the partition counts the assignment was computed from.
    assigned_from: Option<(Vec<String>, HashMap<String, i32>)>,
}

impl Membership {
    /// A member with no subscription yet.
    pub fn new(config: MembershipConfig, now: Instant) -> Self {
        let cooperative =
            !config.assignors.is_empty() && config.assignors.iter().all(|a| a.is_cooperative());
        Self {
            cooperative,
            assigned_from: None,
            config,
            topics: Vec::new(),
            state: State::Idle,
            member_id: String::new(),
            generation_id: -1,
            protocol: None,
            owned: Vec::new(),
            resume_heartbeats: false,
            last_heartbeat_ok: now,
            last_poll: now,
            outbox: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The member id the coordinator gave (empty before the first join).
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// The current generation, -1 before the first.
    pub fn generation_id(&self) -> i32 {
        self.generation_id
    }

    /// The partitions this member owns now.
    pub fn owned(&self) -> &[TopicPartition] {
        &self.owned
    }

    /// Whether the member is in the group or on its way in (not idle,
    /// leaving or done).
    pub fn is_active(&self) -> bool {
        self.in_group()
    }

    /// Whether the member is in a stable group with an assignment.
    pub fn is_stable(&self) -> bool {
        matches!(self.state, State::Stable { .. })
    }

    /// Whether rebalances are cooperative (see the module docs).
    pub fn is_cooperative(&self) -> bool {
        self.cooperative
    }

    /// Subscribes to `topics` (replacing the previous subscription) and
    /// (re)joins.
    pub fn subscribe(&mut self, topics: Vec<String>, now: Instant) {
        if self.cooperative {
            // Partitions of topics no longer wanted go back now; the rest
            // stay through the rebalance.
            let (kept, dropped) =
                split_owned(&self.owned, |topic, _| topics.iter().any(|t| t == topic));
            self.owned = kept;
            if !dropped.is_empty() {
                self.events.push_back(GroupEvent::Revoked(dropped));
            }
        }
        self.topics = topics;
        match self.state {
            State::Idle => self.state = State::NeedCoordinator { at: now },
            State::Dead | State::Leaving => {}
            _ => self.rejoin(now, false),
        }
    }

    /// The application polled: resets the max.poll.interval clock.
    pub fn on_poll(&mut self, now: Instant) {
        self.last_poll = now;
    }

    /// Leaves the group: revokes what is owned (so it can be committed
    /// first) and sends LeaveGroup.
    pub fn close(&mut self) {
        if matches!(self.state, State::Dead | State::Leaving) {
            return;
        }
        self.revoke_all();
        // A static member (group.instance.id) does not leave: the
        // coordinator keeps its place for session.timeout.ms, so a restart
        // with the same instance id gets its partitions back without a
        // rebalance (KIP-345), as in the Java client and librdkafka.
        let stays = self.config.group_instance_id.is_some();
        if stays || self.member_id.is_empty() || matches!(self.state, State::Idle) {
            self.state = State::Dead;
            self.events.push_back(GroupEvent::Left);
        } else {
            self.state = State::Leaving;
            self.outbox.push_back(GroupRequest::LeaveGroup {
                member_id: self.member_id.clone(),
            });
        }
    }

    /// The next request to send, if one is due at `now`.
    pub fn poll_request(&mut self, now: Instant) -> Option<GroupRequest> {
        self.check_timers(now);
        if let Some(r) = self.outbox.pop_front() {
            return Some(r);
        }
        match self.state.clone() {
            State::NeedCoordinator { at } if now >= at => {
                self.state = State::FindingCoordinator;
                Some(GroupRequest::FindCoordinator)
            }
            State::NeedJoin { at } if now >= at => {
                self.state = State::Joining;
                Some(GroupRequest::JoinGroup {
                    member_id: self.member_id.clone(),
                    protocols: self.protocols(),
                })
            }
            State::Stable {
                next_heartbeat,
                heartbeat_in_flight: false,
            } if now >= next_heartbeat => {
                self.state = State::Stable {
                    next_heartbeat: now + self.config.heartbeat_interval,
                    heartbeat_in_flight: true,
                };
                Some(GroupRequest::Heartbeat {
                    generation_id: self.generation_id,
                    member_id: self.member_id.clone(),
                })
            }
            _ => None,
        }
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<GroupEvent> {
        self.events.pop_front()
    }

    /// When [`Membership::poll_request`] will next have something to do,
    /// if it is waiting on time rather than on a response.
    pub fn next_deadline(&self) -> Option<Instant> {
        let poll_deadline = self.last_poll + self.config.max_poll_interval;
        let state_deadline = match self.state {
            State::NeedCoordinator { at } | State::NeedJoin { at } => Some(at),
            State::Stable {
                next_heartbeat,
                heartbeat_in_flight: false,
            } => Some(next_heartbeat),
            _ => None,
        };
        match state_deadline {
            Some(d) => Some(d.min(poll_deadline)),
            None if self.in_group() => Some(poll_deadline),
            None => None,
        }
    }

    /// The FindCoordinator outcome: its error code (0 when found).
    pub fn on_coordinator(&mut self, error_code: i16, now: Instant) {
        if self.state != State::FindingCoordinator {
            return;
        }
        let error = ErrorCode::from_code(error_code);
        if error.is_ok() {
            if std::mem::take(&mut self.resume_heartbeats) {
                // A stable member keeps its generation and partitions: the
                // new coordinator says in its heartbeat answer whether the
                // generation still stands (or a rebalance is under way),
                // as the Java client does.
                self.state = State::Stable {
                    next_heartbeat: now,
                    heartbeat_in_flight: false,
                };
            } else {
                if !self.cooperative {
                    // Eager: nothing may be owned while joining.
                    self.revoke_all();
                }
                self.state = State::NeedJoin { at: now };
            }
        } else if error.is_fatal_for_group_member() {
            self.fail(error_code);
        } else {
            self.state = State::NeedCoordinator {
                at: now + self.config.retry_backoff,
            };
        }
    }

    /// The JoinGroup outcome.
    pub fn on_join(&mut self, join: JoinOutcome, now: Instant) {
        if self.state != State::Joining {
            return;
        }
        match ErrorCode::from_code(join.error_code) {
            ErrorCode::None => {}
            ErrorCode::MemberIdRequired => {
                // KIP-394: the coordinator assigned an id; join again with it.
                self.member_id = join.member_id;
                self.state = State::NeedJoin { at: now };
                return;
            }
            ErrorCode::UnknownMemberId | ErrorCode::IllegalGeneration => {
                self.member_id.clear();
                self.generation_id = -1;
                self.state = State::NeedJoin { at: now };
                return;
            }
            c if c.is_coordinator_error() => {
                self.coordinator_lost(now);
                return;
            }
            c if c.is_fatal_for_group_member() => {
                self.fail(c.code());
                return;
            }
            _ => {
                self.state = State::NeedJoin {
                    at: now + self.config.retry_backoff,
                };
                return;
            }
        }
        self.member_id = join.member_id.clone();
        self.generation_id = join.generation_id;
        self.assigned_from = None;
        let protocol = join.protocol_name.clone().unwrap_or_default();
        self.protocol = Some(protocol.clone());
        if join.leader != join.member_id {
            self.state = State::Syncing;
            self.outbox.push_back(self.sync_request(Vec::new()));
            return;
        }
        let mut members = Vec::with_capacity(join.members.len());
        for (member_id, group_instance_id, metadata) in join.members {
            // A member whose subscription does not parse gets nothing
            // rather than failing the whole group.
            let subscription = ConsumerProtocolSubscription::decode(metadata).unwrap_or_default();
            members.push(Member {
                member_id,
                group_instance_id,
                subscription,
            });
        }
        let mut topics: Vec<String> = members
            .iter()
            .flat_map(|m| m.subscription.topics.iter().cloned())
            .collect();
        topics.sort();
        topics.dedup();
        self.state = State::NeedMetadata {
            join: JoinSnapshot {
                protocol,
                members,
                topics: topics.clone(),
            },
        };
        self.outbox.push_back(GroupRequest::Metadata { topics });
    }

    /// As leader: the partition counts asked for by
    /// [`GroupRequest::Metadata`]. Runs the assignor and sends SyncGroup.
    pub fn on_metadata(&mut self, partitions_per_topic: &HashMap<String, i32>) {
        let State::NeedMetadata { join } = &self.state else {
            return;
        };
        let assignor = Assignor::from_name(&join.protocol)
            .or_else(|| self.config.assignors.first().copied())
            .unwrap_or(Assignor::Range);
        let assignment = assignor.assign(&join.members, partitions_per_topic);
        self.assigned_from = Some((join.topics.clone(), partitions_per_topic.clone()));
        let mut assignments = Vec::with_capacity(assignment.len());
        for (member, partitions) in assignment {
            let payload = ConsumerProtocolAssignment {
                assigned_partitions: partitions,
                user_data: None,
            };
            // Encoding can only fail on a version this crate does not
            // speak, and the version is its own.
            if let Ok(bytes) = payload.encode(CONSUMER_PROTOCOL_VERSION) {
                assignments.push((member, bytes));
            }
        }
        self.state = State::Syncing;
        self.outbox.push_back(self.sync_request(assignments));
    }

    /// The SyncGroup outcome: its error code and this member's assignment.
    pub fn on_sync(&mut self, error_code: i16, assignment: Bytes, now: Instant) {
        if self.state != State::Syncing {
            return;
        }
        match ErrorCode::from_code(error_code) {
            ErrorCode::None => {}
            ErrorCode::RebalanceInProgress => return self.rejoin(now, false),
            ErrorCode::UnknownMemberId | ErrorCode::IllegalGeneration => {
                return self.rejoin(now, true)
            }
            c if c.is_coordinator_error() => return self.coordinator_lost(now),
            c if c.is_fatal_for_group_member() => return self.fail(c.code()),
            _ => return self.rejoin(now, false),
        }
        let Ok(assignment) = ConsumerProtocolAssignment::decode(assignment) else {
            return self.rejoin(now, false);
        };
        self.last_heartbeat_ok = now;
        self.state = State::Stable {
            next_heartbeat: now + self.config.heartbeat_interval,
            heartbeat_in_flight: false,
        };
        if !self.cooperative {
            self.owned = assignment.assigned_partitions;
            self.events
                .push_back(GroupEvent::Assigned(self.owned.clone()));
            return;
        }
        let new = assignment.assigned_partitions;
        let (kept, revoked) = split_owned(&self.owned, |t, p| owns(&new, t, p));
        let (_, added) = split_owned(&new, |t, p| owns(&kept, t, p));
        self.owned = new;
        let must_rejoin = !revoked.is_empty();
        if must_rejoin {
            self.events.push_back(GroupEvent::Revoked(revoked));
        }
        self.events.push_back(GroupEvent::Assigned(added));
        if must_rejoin {
            // KIP-429: what was revoked goes to its new owner in the next
            // generation; rejoin (after the driver committed) to get there.
            self.state = State::NeedJoin { at: now };
        }
    }

    /// As leader of a stable group: every topic any member subscribes to,
    /// whose partition counts decide the assignment. The driver watches
    /// them in the metadata and reports with
    /// [`Membership::on_partition_counts`]. Empty otherwise.
    pub fn watched_topics(&self) -> &[String] {
        match (&self.assigned_from, &self.state) {
            (Some((topics, _)), State::Stable { .. }) => topics,
            _ => &[],
        }
    }

    /// As leader: fresh partition counts of the watched topics (a topic
    /// missing from `counts` is unknown right now, not taken as deleted).
    /// A count that differs from the one assigned from, or a topic that
    /// appeared since, triggers a rebalance.
    pub fn on_partition_counts(&mut self, counts: &HashMap<String, i32>, now: Instant) {
        let Some((topics, assigned_from)) = &self.assigned_from else {
            return;
        };
        if !matches!(self.state, State::Stable { .. }) {
            return;
        }
        let changed = topics.iter().any(|t| {
            counts
                .get(t)
                .is_some_and(|n| assigned_from.get(t) != Some(n))
        });
        if changed {
            tracing::info!(group = %self.config.group_id, "partition counts changed: rebalancing");
            self.rejoin(now, false);
        }
    }

    /// The Heartbeat outcome.
    pub fn on_heartbeat(&mut self, error_code: i16, now: Instant) {
        let State::Stable { next_heartbeat, .. } = self.state else {
            return;
        };
        match ErrorCode::from_code(error_code) {
            ErrorCode::None => {
                self.last_heartbeat_ok = now;
                self.state = State::Stable {
                    next_heartbeat,
                    heartbeat_in_flight: false,
                };
            }
            ErrorCode::RebalanceInProgress => self.rejoin(now, false),
            ErrorCode::UnknownMemberId | ErrorCode::IllegalGeneration => self.rejoin(now, true),
            c if c.is_coordinator_error() => self.coordinator_lost(now),
            c if c.is_fatal_for_group_member() => self.fail(c.code()),
            _ => {
                self.state = State::Stable {
                    next_heartbeat: now + self.config.retry_backoff,
                    heartbeat_in_flight: false,
                }
            }
        }
    }

    /// The LeaveGroup outcome (any error still means the member is gone).
    pub fn on_leave(&mut self, _error_code: i16) {
        if self.state == State::Leaving {
            self.state = State::Dead;
            self.member_id.clear();
            self.events.push_back(GroupEvent::Left);
        }
    }

    /// A request failed without a response (connection lost, timeout).
    pub fn on_request_failed(&mut self, now: Instant) {
        match self.state {
            State::Leaving => self.on_leave(0),
            State::Dead | State::Idle => {}
            State::Stable { .. } => {
                self.on_heartbeat(ErrorCode::CoordinatorNotAvailable.code(), now)
            }
            _ => self.coordinator_lost(now),
        }
    }

    fn in_group(&self) -> bool {
        !matches!(self.state, State::Idle | State::Dead | State::Leaving)
    }

    fn check_timers(&mut self, now: Instant) {
        if self.in_group() && now.duration_since(self.last_poll) > self.config.max_poll_interval {
            // KIP-62: a member that stops polling leaves, so the group can
            // move on without waiting for its session to expire.
            self.events.push_back(GroupEvent::PollIntervalExceeded);
            self.lose_all();
            let member_id = std::mem::take(&mut self.member_id);
            self.generation_id = -1;
            if !member_id.is_empty() {
                self.outbox
                    .push_back(GroupRequest::LeaveGroup { member_id });
            }
            // Rejoin once the application polls again.
            self.state = State::NeedJoin {
                at: now + self.config.retry_backoff,
            };
            self.last_poll = now;
            return;
        }
        let silent = now.duration_since(self.last_heartbeat_ok) > self.config.session_timeout;
        match self.state {
            State::Stable { .. } if silent => {
                // The coordinator has surely expired the session by now.
                self.lose_all();
                self.member_id.clear();
                self.generation_id = -1;
                self.coordinator_lost(now);
            }
            // Looking for a coordinator while still owning partitions
            // (cooperative, or right after losing it): past the session
            // timeout another member may own them already.
            State::NeedCoordinator { .. } | State::FindingCoordinator
                if silent && !self.owned.is_empty() =>
            {
                self.lose_all();
                self.member_id.clear();
                self.generation_id = -1;
            }
            _ => {}
        }
    }

    fn protocols(&self) -> Vec<(String, Bytes)> {
        // Eager members own nothing here; cooperative ones tell the
        // leader what they kept, so the assignor can leave it with them.
        let subscription = ConsumerProtocolSubscription {
            topics: self.topics.clone(),
            owned_partitions: self.owned.clone(),
            generation_id: self.generation_id,
            ..Default::default()
        };
        let metadata = subscription
            .encode(CONSUMER_PROTOCOL_VERSION)
            .unwrap_or_default();
        self.config
            .assignors
            .iter()
            .map(|a| (a.name().to_owned(), metadata.clone()))
            .collect()
    }

    fn sync_request(&self, assignments: Vec<(String, Bytes)>) -> GroupRequest {
        GroupRequest::SyncGroup {
            generation_id: self.generation_id,
            member_id: self.member_id.clone(),
            protocol_name: self.protocol.clone().unwrap_or_default(),
            assignments,
        }
    }

    fn revoke_all(&mut self) {
        if !self.owned.is_empty() {
            self.events
                .push_back(GroupEvent::Revoked(std::mem::take(&mut self.owned)));
        }
    }

    fn lose_all(&mut self) {
        if !self.owned.is_empty() {
            self.events
                .push_back(GroupEvent::Lost(std::mem::take(&mut self.owned)));
        }
    }

    /// Joins again. Eager: gives everything back first. Cooperative:
    /// keeps consuming; only the assignment that comes back says what to
    /// give up. Either way a member the coordinator forgot has lost what
    /// it owned.
    fn rejoin(&mut self, now: Instant, reset_member: bool) {
        if reset_member {
            self.lose_all();
            self.member_id.clear();
            self.generation_id = -1;
        } else if !self.cooperative {
            self.revoke_all();
        }
        self.assigned_from = None;
        self.state = State::NeedJoin { at: now };
    }

    fn coordinator_lost(&mut self, now: Instant) {
        let looking = matches!(
            self.state,
            State::NeedCoordinator { .. } | State::FindingCoordinator
        );
        let stable = matches!(self.state, State::Stable { .. }) && !self.member_id.is_empty();
        self.resume_heartbeats = stable || (looking && self.resume_heartbeats);
        self.state = State::NeedCoordinator {
            at: now + self.config.retry_backoff,
        };
    }

    fn fail(&mut self, error_code: i16) {
        self.lose_all();
        self.state = State::Dead;
        self.events.push_back(GroupEvent::Fatal(error_code));
    }
}

/// Splits `owned` into the partitions `keep(topic, partition)` accepts and
/// the rest.
fn split_owned(
    owned: &[TopicPartition],
    keep: impl Fn(&str, i32) -> bool,
) -> (Vec<TopicPartition>, Vec<TopicPartition>) {
    let (mut kept, mut gone) = (Vec::new(), Vec::new());
    for tp in owned {
        let (mut k, mut g) = (Vec::new(), Vec::new());
        for &p in &tp.partitions {
            if keep(&tp.topic, p) {
                k.push(p);
            } else {
                g.push(p);
            }
        }
        for (list, partitions) in [(&mut kept, k), (&mut gone, g)] {
            if !partitions.is_empty() {
                list.push(TopicPartition {
                    topic: tp.topic.clone(),
                    partitions,
                });
            }
        }
    }
    (kept, gone)
}

/// Whether `list` holds `topic` [`partition`].
fn owns(list: &[TopicPartition], topic: &str, partition: i32) -> bool {
    list.iter()
        .any(|tp| tp.topic == topic && tp.partitions.contains(&partition))
}

#[cfg(test)]
mod cooperative_tests;
#[cfg(test)]
mod tests;
