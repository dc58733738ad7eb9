//! The engine's one view of group membership, whichever protocol
//! `group.protocol` chose: the classic [`Membership`] or the KIP-848
//! [`ConsumerMember`]. Calls that only one protocol answers are ignored by
//! the other (a classic reply cannot reach a KIP-848 member, and the
//! reverse, since each only asks its own requests).

use std::collections::HashMap;

use bytes::Bytes;
use ferrokafka_protocol::messages::ConsumerGroupHeartbeatResponse;
use ferrokafka_protocol::Uuid;
use tokio::time::Instant;

use super::consumer_member::{ConsumerMember, Subscription};
use super::membership::{GroupEvent, GroupRequest, JoinOutcome, Membership};

/// A member of a group under either protocol.
#[derive(Debug)]
pub enum GroupMember {
    /// `group.protocol=classic`.
    Classic(Membership),
    /// `group.protocol=consumer` (KIP-848).
    Consumer(ConsumerMember),
}

impl GroupMember {
    /// The member id (empty before a classic member's first join).
    pub fn member_id(&self) -> &str {
        match self {
            Self::Classic(m) => m.member_id(),
            Self::Consumer(m) => m.member_id(),
        }
    }

    /// What commits carry: the classic generation, or the member epoch.
    pub fn generation_id(&self) -> i32 {
        match self {
            Self::Classic(m) => m.generation_id(),
            Self::Consumer(m) => m.member_epoch(),
        }
    }

    /// Whether the member is in a stable group with its assignment.
    pub fn is_stable(&self) -> bool {
        match self {
            Self::Classic(m) => m.is_stable(),
            Self::Consumer(m) => m.is_stable(),
        }
    }

    /// Whether the member is in the group or on its way in.
    pub fn is_active(&self) -> bool {
        match self {
            Self::Classic(m) => m.is_active(),
            Self::Consumer(m) => m.is_active(),
        }
    }

    /// Subscribes to `topics` (entries starting with `^` are patterns
    /// under KIP-848, matched by the broker).
    pub fn subscribe(&mut self, topics: Vec<String>, now: Instant) {
        match self {
            Self::Classic(m) => m.subscribe(topics, now),
            Self::Consumer(m) => m.subscribe(Subscription::from_list(topics), now),
        }
    }

    /// The application polled.
    pub fn on_poll(&mut self, now: Instant) {
        match self {
            Self::Classic(m) => m.on_poll(now),
            Self::Consumer(m) => m.on_poll(now),
        }
    }

    /// Leaves the group.
    pub fn close(&mut self) {
        match self {
            Self::Classic(m) => m.close(),
            Self::Consumer(m) => m.close(),
        }
    }

    /// The next request due at `now`.
    pub fn poll_request(&mut self, now: Instant) -> Option<GroupRequest> {
        match self {
            Self::Classic(m) => m.poll_request(now),
            Self::Consumer(m) => m.poll_request(now),
        }
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<GroupEvent> {
        match self {
            Self::Classic(m) => m.poll_event(),
            Self::Consumer(m) => m.poll_event(),
        }
    }

    /// When the member next has something to do on its own.
    pub fn next_deadline(&self) -> Option<Instant> {
        match self {
            Self::Classic(m) => m.next_deadline(),
            Self::Consumer(m) => m.next_deadline(),
        }
    }

    /// Classic leader: the topics whose partition counts it watches.
    pub fn watched_topics(&self) -> &[String] {
        match self {
            Self::Classic(m) => m.watched_topics(),
            // The broker watches them under KIP-848.
            Self::Consumer(_) => &[],
        }
    }

    /// Classic leader: fresh partition counts.
    pub fn on_partition_counts(&mut self, counts: &HashMap<String, i32>, now: Instant) {
        if let Self::Classic(m) = self {
            m.on_partition_counts(counts, now);
        }
    }

    /// The FindCoordinator outcome.
    pub fn on_coordinator(&mut self, error_code: i16, now: Instant) {
        match self {
            Self::Classic(m) => m.on_coordinator(error_code, now),
            Self::Consumer(m) => m.on_coordinator(error_code, now),
        }
    }

    /// Classic: the JoinGroup outcome.
    pub fn on_join(&mut self, join: JoinOutcome, now: Instant) {
        if let Self::Classic(m) = self {
            m.on_join(join, now);
        }
    }

    /// Classic: the SyncGroup outcome.
    pub fn on_sync(&mut self, error_code: i16, assignment: Bytes, now: Instant) {
        if let Self::Classic(m) = self {
            m.on_sync(error_code, assignment, now);
        }
    }

    /// Classic: the Heartbeat outcome.
    pub fn on_heartbeat(&mut self, error_code: i16, now: Instant) {
        if let Self::Classic(m) = self {
            m.on_heartbeat(error_code, now);
        }
    }

    /// Classic: the LeaveGroup outcome.
    pub fn on_leave(&mut self, error_code: i16) {
        if let Self::Classic(m) = self {
            m.on_leave(error_code);
        }
    }

    /// Classic leader: partition counts for the assignment.
    pub fn on_metadata(&mut self, counts: &HashMap<String, i32>) {
        if let Self::Classic(m) = self {
            m.on_metadata(counts);
        }
    }

    /// KIP-848: a ConsumerGroupHeartbeat answer.
    pub fn on_consumer_heartbeat(
        &mut self,
        response: ConsumerGroupHeartbeatResponse,
        now: Instant,
    ) {
        if let Self::Consumer(m) = self {
            m.on_heartbeat(response, now);
        }
    }

    /// KIP-848: names of topic ids.
    pub fn on_topic_names(&mut self, names: HashMap<Uuid, String>, now: Instant) {
        if let Self::Consumer(m) = self {
            m.on_topic_names(names, now);
        }
    }

    /// A request got no answer.
    pub fn on_request_failed(&mut self, now: Instant) {
        match self {
            Self::Classic(m) => m.on_request_failed(now),
            Self::Consumer(m) => m.on_request_failed(now),
        }
    }
}
