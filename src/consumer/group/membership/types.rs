//! What the membership and its driver exchange: the configuration, the
//! requests to send, the JoinGroup answer, and the events for the
//! application.

use std::time::Duration;

use bytes::Bytes;
use ferrokafka_protocol::consumer_protocol::TopicPartition;

use super::super::assignor::Assignor;

/// How the member behaves.
#[derive(Debug, Clone)]
pub struct MembershipConfig {
    /// `group.id`.
    pub group_id: String,
    /// `group.instance.id`.
    pub group_instance_id: Option<String>,
    /// `session.timeout.ms`.
    pub session_timeout: Duration,
    /// `max.poll.interval.ms`, also the rebalance timeout.
    pub max_poll_interval: Duration,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval: Duration,
    /// `retry.backoff.ms`.
    pub retry_backoff: Duration,
    /// The assignors, in preference order.
    pub assignors: Vec<Assignor>,
}

/// A request the driver should send to the coordinator (or, for
/// FindCoordinator, to any broker).
#[derive(Debug, Clone, PartialEq)]
pub enum GroupRequest {
    /// Find the group's coordinator.
    FindCoordinator,
    /// Join (or rejoin) the group.
    JoinGroup {
        /// Empty on the first join.
        member_id: String,
        /// `(assignor name, subscription)` in preference order.
        protocols: Vec<(String, Bytes)>,
    },
    /// Hand in (as leader) or fetch the assignment.
    SyncGroup {
        /// The generation joined.
        generation_id: i32,
        /// This member.
        member_id: String,
        /// The chosen assignor.
        protocol_name: String,
        /// As leader, every member's assignment; empty otherwise.
        assignments: Vec<(String, Bytes)>,
    },
    /// Stay in the group.
    Heartbeat {
        /// The current generation.
        generation_id: i32,
        /// This member.
        member_id: String,
    },
    /// Leave the group.
    LeaveGroup {
        /// This member.
        member_id: String,
    },
    /// As leader: the partition counts of these topics are needed (every
    /// member's subscription); answer with [`Membership::on_metadata`].
    Metadata {
        /// The topics.
        topics: Vec<String>,
    },
    /// KIP-848: a ConsumerGroupHeartbeat, as the member built it.
    ConsumerHeartbeat(Box<ferrokafka_protocol::messages::ConsumerGroupHeartbeatRequest>),
    /// KIP-848: the names of these topic ids are needed (from metadata);
    /// answer with `ConsumerMember::on_topic_names`.
    ResolveTopicIds(Vec<ferrokafka_protocol::Uuid>),
}

/// What the application learns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupEvent {
    /// These partitions are now this member's.
    Assigned(Vec<TopicPartition>),
    /// These partitions are being taken away in an orderly rebalance:
    /// commit their offsets now.
    Revoked(Vec<TopicPartition>),
    /// These partitions were lost (the member fell out of the group):
    /// another member may already own them; do not commit.
    Lost(Vec<TopicPartition>),
    /// The application stopped polling for longer than
    /// `max.poll.interval.ms`; the member left the group.
    PollIntervalExceeded,
    /// An error the membership cannot recover from (fenced instance id,
    /// authorization, invalid group id...).
    Fatal(i16),
    /// The member left the group after `close`.
    Left,
    /// `group.protocol=consumer`, and the coordinator does not speak
    /// ConsumerGroupHeartbeat (Kafka before 4.0, or the protocol is
    /// disabled on the broker).
    ConsumerProtocolUnsupported,
}

/// The JoinGroup response, as the membership needs it.
#[derive(Debug, Clone, Default)]
pub struct JoinOutcome {
    /// The response's error code.
    pub error_code: i16,
    /// The generation joined.
    pub generation_id: i32,
    /// The assignor the coordinator chose.
    pub protocol_name: Option<String>,
    /// The leader's member id.
    pub leader: String,
    /// This member's id.
    pub member_id: String,
    /// As leader: every member and its metadata.
    pub members: Vec<(String, Option<String>, Bytes)>,
}
