//! The group half of the engine: sending what [`Membership`] asks for to
//! the coordinator, feeding the answers back, and turning its events into
//! partitions to fetch or give back (committing before giving back).

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use bytes::Bytes;
use ferrokafka_protocol::messages::join_group::JoinGroupRequestProtocol;
use ferrokafka_protocol::messages::leave_group::MemberIdentity;
use ferrokafka_protocol::messages::sync_group::SyncGroupRequestAssignment;
use ferrokafka_protocol::messages::{
    ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, HeartbeatRequest,
    JoinGroupRequest, LeaveGroupRequest, MetadataRequest, SyncGroupRequest,
};
use ferrokafka_protocol::{ApiKey, ErrorCode, KafkaError, Request, Uuid};
use tokio::sync::oneshot;
use tracing::{debug, info, warn};

use super::{Engine, Event, Hold, Internal, Spec};
use crate::cluster::Cluster;
use crate::config::{ClientConfig, GroupProtocol};
use crate::consumer::group::assignor::Assignor;
use crate::consumer::group::consumer_member::{ConsumerMember, ConsumerMemberConfig};
use crate::consumer::group::member::GroupMember;
use crate::consumer::group::membership::{
    GroupEvent, GroupRequest, JoinOutcome, Membership, MembershipConfig,
};
use crate::consumer::offsets::find_coordinator;
use crate::consumer::{ConsumerError, Tp};
use crate::error::{Error, Result};

/// A coordinator's answer to one group request.
#[derive(Debug)]
pub(super) enum GroupReply {
    Coordinator(Result<i32>),
    Join(JoinOutcome),
    Sync(i16, Bytes),
    Heartbeat(i16),
    Leave(i16),
    Metadata(HashMap<String, i32>),
    ConsumerHeartbeat(ConsumerGroupHeartbeatResponse),
    TopicNames(HashMap<Uuid, String>),
    /// The coordinator does not speak ConsumerGroupHeartbeat (as needed).
    Unsupported(String),
    Failed(Error),
}

/// What a spawned group request needs.
struct GroupCtx {
    cluster: Cluster,
    group_id: String,
    group_instance_id: Option<String>,
    coordinator: Option<i32>,
    session_timeout_ms: i32,
    rebalance_timeout_ms: i32,
    /// How long JoinGroup and SyncGroup may take (see [`rebalance_wait`]).
    rebalance_wait: Duration,
}

impl GroupCtx {
    async fn send<R: Request>(&self, request: &R) -> Result<R::Response> {
        let node = self.coordinator.ok_or_else(|| {
            Error::kafka(
                format!("group {}", self.group_id),
                ErrorCode::CoordinatorNotAvailable.code(),
            )
        })?;
        self.cluster.coordinator_lane().send_to(node, request).await
    }

    /// [`GroupCtx::send`] for requests the coordinator holds until the
    /// rebalance completes.
    async fn send_rebalance<R: Request>(&self, request: &R) -> Result<R::Response> {
        let node = self.coordinator.ok_or_else(|| {
            Error::kafka(
                format!("group {}", self.group_id),
                ErrorCode::CoordinatorNotAvailable.code(),
            )
        })?;
        let cluster = self.cluster.coordinator_lane();
        let conn = cluster.broker(node).await?;
        let result = conn.send_with_timeout(request, self.rebalance_wait).await;
        if let Err(e) = &result {
            cluster.connection_failed(&conn, e);
        }
        result
    }

    /// KIP-848's heartbeat, at the highest version both sides speak; a
    /// broker without key 68 (or without v1 for a topic regex) is
    /// [`GroupReply::Unsupported`].
    async fn consumer_heartbeat(&self, request: &ConsumerGroupHeartbeatRequest) -> GroupReply {
        let Some(node) = self.coordinator else {
            return GroupReply::Failed(Error::kafka(
                format!("group {}", self.group_id),
                ErrorCode::CoordinatorNotAvailable.code(),
            ));
        };
        let cluster = self.cluster.coordinator_lane();
        let conn = match cluster.broker(node).await {
            Ok(c) => c,
            Err(e) => return GroupReply::Failed(e),
        };
        let version = match conn.version_for(ApiKey::ConsumerGroupHeartbeat) {
            Ok(v) => v,
            Err(e @ Error::UnsupportedApi { .. }) => return GroupReply::Unsupported(e.to_string()),
            Err(e) => return GroupReply::Failed(e),
        };
        if version < 1 && request.subscribed_topic_regex.is_some() {
            return GroupReply::Unsupported(format!(
                "node {node} speaks ConsumerGroupHeartbeat v0 only, which has no topic regex"
            ));
        }
        let result = conn.send_version(request, version).await;
        if let Err(e) = &result {
            cluster.connection_failed(&conn, e);
        }
        match result {
            Ok(r) => GroupReply::ConsumerHeartbeat(r),
            Err(e) => GroupReply::Failed(e),
        }
    }

    /// Topic names for ids: from the client's metadata (refreshed), else
    /// from a metadata request for every topic (a regex subscription's
    /// topics are not among the client's).
    async fn topic_names(&self, ids: Vec<Uuid>) -> Result<HashMap<Uuid, String>> {
        let snapshot = self.cluster.refresh().await?;
        let mut names: HashMap<Uuid, String> = snapshot
            .topics()
            .filter(|t| ids.contains(&t.topic_id))
            .map(|t| (t.topic_id, t.name.clone()))
            .collect();
        if names.len() < ids.len() {
            let all = self
                .cluster
                .send_to_any(&MetadataRequest {
                    topics: None,
                    allow_auto_topic_creation: false,
                    ..Default::default()
                })
                .await?;
            for t in all.topics {
                if let Some(name) = t.name.filter(|_| ids.contains(&t.topic_id)) {
                    names.insert(t.topic_id, name);
                }
            }
            self.cluster.add_topics(names.values());
        }
        Ok(names)
    }

    async fn run(self, request: GroupRequest) -> GroupReply {
        let result = match request {
            GroupRequest::ConsumerHeartbeat(request) => {
                return self.consumer_heartbeat(&request).await
            }
            GroupRequest::ResolveTopicIds(ids) => {
                self.topic_names(ids).await.map(GroupReply::TopicNames)
            }
            GroupRequest::FindCoordinator => {
                return GroupReply::Coordinator(
                    find_coordinator(&self.cluster.coordinator_lane(), &self.group_id).await,
                )
            }
            GroupRequest::JoinGroup {
                member_id,
                protocols,
            } => self
                .send_rebalance(&JoinGroupRequest {
                    group_id: self.group_id.clone(),
                    session_timeout_ms: self.session_timeout_ms,
                    rebalance_timeout_ms: self.rebalance_timeout_ms,
                    member_id,
                    group_instance_id: self.group_instance_id.clone(),
                    protocol_type: "consumer".into(),
                    protocols: protocols
                        .into_iter()
                        .map(|(name, metadata)| JoinGroupRequestProtocol {
                            name,
                            metadata,
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                })
                .await
                .map(|r| {
                    GroupReply::Join(JoinOutcome {
                        error_code: r.error_code,
                        generation_id: r.generation_id,
                        protocol_name: r.protocol_name,
                        leader: r.leader,
                        member_id: r.member_id,
                        members: r
                            .members
                            .into_iter()
                            .map(|m| (m.member_id, m.group_instance_id, m.metadata))
                            .collect(),
                    })
                }),
            GroupRequest::SyncGroup {
                generation_id,
                member_id,
                protocol_name,
                assignments,
            } => self
                .send_rebalance(&SyncGroupRequest {
                    group_id: self.group_id.clone(),
                    generation_id,
                    member_id,
                    group_instance_id: self.group_instance_id.clone(),
                    protocol_type: Some("consumer".into()),
                    protocol_name: Some(protocol_name),
                    assignments: assignments
                        .into_iter()
                        .map(|(member_id, assignment)| SyncGroupRequestAssignment {
                            member_id,
                            assignment,
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                })
                .await
                .map(|r| GroupReply::Sync(r.error_code, r.assignment)),
            GroupRequest::Heartbeat {
                generation_id,
                member_id,
            } => self
                .send(&HeartbeatRequest {
                    group_id: self.group_id.clone(),
                    generation_id,
                    member_id,
                    group_instance_id: self.group_instance_id.clone(),
                    ..Default::default()
                })
                .await
                .map(|r| GroupReply::Heartbeat(r.error_code)),
            GroupRequest::LeaveGroup { member_id } => self
                .send(&LeaveGroupRequest {
                    group_id: self.group_id.clone(),
                    member_id: member_id.clone(),
                    members: vec![MemberIdentity {
                        member_id,
                        group_instance_id: self.group_instance_id.clone(),
                        reason: Some("the consumer is closing".into()),
                        ..Default::default()
                    }],
                    ..Default::default()
                })
                .await
                .map(|r| {
                    let member_error = r.members.iter().map(|m| m.error_code).find(|c| *c != 0);
                    GroupReply::Leave(member_error.unwrap_or(r.error_code))
                }),
            GroupRequest::Metadata { topics } => {
                self.cluster.add_topics(&topics);
                self.cluster.refresh().await.map(|m| {
                    let counts = topics
                        .iter()
                        .filter_map(|t| m.topic(t))
                        .filter(|t| t.error == ErrorCode::None)
                        .map(|t| (t.name.clone(), t.partition_count()))
                        .collect();
                    GroupReply::Metadata(counts)
                })
            }
        };
        result.unwrap_or_else(GroupReply::Failed)
    }
}

impl Engine {
    /// Feeds the poll clock, then sends every group request that is due
    /// and handles every event, until the membership waits on something.
    pub(super) fn drive_group(&mut self, now: Instant) {
        if self.membership.is_none() {
            return;
        }
        let last_poll = self.last_poll;
        if let Some(since) = self.suspended {
            // After max.poll.interval.ms the member stays out until the
            // application polls again.
            if last_poll <= since {
                return;
            }
            self.suspended = None;
        }
        loop {
            let Some(m) = self.membership.as_mut() else {
                return;
            };
            if self.closing.is_none() {
                m.on_poll(last_poll);
            }
            for e in take_events(m) {
                self.on_group_event(e, now);
            }
            if self.hold.is_some()
                || self.suspended.is_some()
                || (self.group_in_flight && self.closing.is_none())
            {
                return;
            }
            let Some(m) = self.membership.as_mut() else {
                return;
            };
            let Some(request) = m.poll_request(now) else {
                // Requests can queue events (poll interval exceeded).
                let pending = take_events(m);
                if pending.is_empty() {
                    return;
                }
                for e in pending {
                    self.on_group_event(e, now);
                }
                continue;
            };
            self.send_group(request);
        }
    }

    fn send_group(&mut self, request: GroupRequest) {
        let Some(group_id) = self.config.group_id.clone() else {
            return;
        };
        debug!(?request, "group request");
        if request == GroupRequest::FindCoordinator {
            self.coordinator = None;
        }
        self.group_in_flight = true;
        let ctx = GroupCtx {
            cluster: self.cluster.clone(),
            group_id,
            group_instance_id: self.config.group_instance_id.clone(),
            coordinator: self.coordinator,
            session_timeout_ms: millis_i32(self.config.session_timeout),
            rebalance_timeout_ms: millis_i32(self.config.max_poll_interval),
            rebalance_wait: rebalance_wait(&self.config),
        };
        let tx = self.internal_tx.clone();
        tokio::spawn(async move {
            let reply = ctx.run(request).await;
            let _ = tx.send(Internal::Group(reply));
        });
    }

    pub(super) fn on_group_reply(&mut self, reply: GroupReply, now: Instant) {
        self.group_in_flight = false;
        let Some(m) = self.membership.as_mut() else {
            return;
        };
        match reply {
            GroupReply::Coordinator(Ok(node)) => {
                self.coordinator = Some(node);
                m.on_coordinator(0, now);
            }
            GroupReply::Coordinator(Err(e)) => {
                debug!(error = %e, "FindCoordinator failed");
                match e.kafka_code() {
                    Some(code) => m.on_coordinator(code.code(), now),
                    None => m.on_request_failed(now),
                }
            }
            GroupReply::Join(join) => {
                if join.error_code != 0 {
                    debug!(code = join.error_code, "JoinGroup error");
                }
                m.on_join(join, now)
            }
            GroupReply::Sync(code, assignment) => m.on_sync(code, assignment, now),
            GroupReply::Heartbeat(code) => m.on_heartbeat(code, now),
            GroupReply::Leave(code) => m.on_leave(code),
            GroupReply::Metadata(counts) => m.on_metadata(&counts),
            GroupReply::ConsumerHeartbeat(r) => {
                if r.error_code != 0 {
                    debug!(code = r.error_code, message = ?r.error_message, "ConsumerGroupHeartbeat error");
                    if ErrorCode::from_code(r.error_code).is_coordinator_error() {
                        self.coordinator = None;
                    }
                }
                m.on_consumer_heartbeat(r, now)
            }
            GroupReply::TopicNames(names) => m.on_topic_names(names, now),
            GroupReply::Unsupported(detail) => {
                warn!(%detail, "group.protocol=consumer is not supported by the coordinator");
                let _ = self
                    .events
                    .send(Event::Error(ConsumerError::GroupProtocolUnsupported {
                        group_id: self.config.group_id.clone().unwrap_or_default(),
                        detail,
                    }));
                self.membership = None;
                if let Some(reply) = self.closing.take() {
                    let _ = reply.send(());
                    self.done = true;
                }
            }
            GroupReply::Failed(e) => {
                debug!(error = %e, "group request failed");
                self.coordinator = None;
                m.on_request_failed(now);
            }
        }
    }

    fn on_group_event(&mut self, event: GroupEvent, now: Instant) {
        match event {
            GroupEvent::Assigned(assigned) => {
                let tps = flatten(assigned);
                info!(partitions = tps.len(), "partitions assigned");
                self.cluster.add_topics(tps.iter().map(|tp| &*tp.0));
                if let Some(m) = &self.membership {
                    let _ = self.events.send(Event::Generation {
                        generation_id: m.generation_id(),
                        member_id: m.member_id().to_owned(),
                    });
                }
                let _ = self.events.send(Event::Assigned(tps.clone()));
                self.add_parts(tps.into_iter().map(|tp| (tp, Spec::Stored)).collect());
            }
            GroupEvent::Revoked(revoked) => {
                let tps = flatten(revoked);
                info!(partitions = tps.len(), "partitions revoked");
                for tp in &tps {
                    self.parts.remove(tp);
                    self.split_taken_away(tp, Some(false));
                }
                if self.closing.is_some() {
                    // close() committed before asking to leave.
                    return;
                }
                let (ack, rx) = oneshot::channel();
                let _ = self.events.send(Event::Revoke { tps, ack });
                self.hold = Some(Hold::RevokeAck {
                    rx,
                    deadline: now + self.config.max_poll_interval,
                });
            }
            GroupEvent::Lost(lost) => {
                let tps = flatten(lost);
                warn!(partitions = tps.len(), "partitions lost");
                for tp in &tps {
                    self.parts.remove(tp);
                    self.split_taken_away(tp, Some(true));
                }
                let _ = self.events.send(Event::Lost(tps));
            }
            GroupEvent::PollIntervalExceeded => {
                warn!("max.poll.interval.ms exceeded: leaving the group");
                self.suspended = Some(self.last_poll);
                let _ = self
                    .events
                    .send(Event::Error(ConsumerError::MaxPollIntervalExceeded {
                        max_poll_interval_ms: self.config.max_poll_interval.as_millis() as u64,
                    }));
            }
            GroupEvent::Fatal(code) => {
                let _ = self.events.send(Event::Error(ConsumerError::Group {
                    group_id: self.config.group_id.clone().unwrap_or_default(),
                    source: KafkaError {
                        error: ErrorCode::from_code(code),
                    },
                }));
                if let Some(reply) = self.closing.take() {
                    let _ = reply.send(());
                    self.done = true;
                }
            }
            GroupEvent::ConsumerProtocolUnsupported => {
                let _ = self
                    .events
                    .send(Event::Error(ConsumerError::GroupProtocolUnsupported {
                        group_id: self.config.group_id.clone().unwrap_or_default(),
                        detail: "answered ConsumerGroupHeartbeat with UNSUPPORTED_VERSION".into(),
                    }));
                if let Some(reply) = self.closing.take() {
                    let _ = reply.send(());
                    self.done = true;
                }
            }
            GroupEvent::Left => {
                info!("left the group");
                if let Some(reply) = self.closing.take() {
                    let _ = reply.send(());
                    self.done = true;
                }
            }
        }
    }

    /// The revoke was acknowledged with the offsets to commit: commit them
    /// before rejoining, so the next owner starts where this one stopped.
    pub(super) fn on_revoke_ack(&mut self, offsets: Vec<(Tp, i64)>) {
        self.hold = None;
        if offsets.is_empty() {
            return;
        }
        self.hold = Some(Hold::Commit);
        self.spawn_commit(offsets, HashMap::new(), true, None);
    }
}

/// The membership's events, with "poll interval exceeded" after the
/// partitions it lost: the application learns of the error with its
/// assignment already emptied.
fn take_events(m: &mut GroupMember) -> Vec<GroupEvent> {
    let mut events: Vec<GroupEvent> = std::iter::from_fn(|| m.poll_event()).collect();
    events.sort_by_key(|e| matches!(e, GroupEvent::PollIntervalExceeded));
    events
}

fn flatten(tps: Vec<ferrokafka_protocol::consumer_protocol::TopicPartition>) -> Vec<Tp> {
    tps.into_iter()
        .flat_map(|t| {
            let topic: std::sync::Arc<str> = t.topic.into();
            t.partitions.into_iter().map(move |p| (topic.clone(), p))
        })
        .collect()
}

/// JoinGroup is answered once every member rejoined, which the
/// coordinator waits for up to the rebalance timeout
/// (`max.poll.interval.ms`); a follower's SyncGroup waits for the
/// leader's assignment. Both get that long plus a margin, as the Java
/// client does, rather than `request.timeout.ms`.
fn rebalance_wait(config: &crate::config::ClientConfig) -> Duration {
    config
        .request_timeout
        .max(config.max_poll_interval + Duration::from_secs(5))
}

fn millis_i32(d: std::time::Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

/// The member `group.protocol` asks for.
pub(super) fn new_member(config: &ClientConfig, now: Instant) -> GroupMember {
    match config.group_protocol {
        GroupProtocol::Consumer => GroupMember::Consumer(ConsumerMember::new(
            ConsumerMemberConfig {
                group_id: config.group_id.clone().unwrap_or_default(),
                group_instance_id: config.group_instance_id.clone(),
                rack_id: None,
                server_assignor: config.group_remote_assignor.clone(),
                max_poll_interval: config.max_poll_interval,
                retry_backoff: config.retry_backoff,
            },
            now,
        )),
        _ => GroupMember::Classic(Membership::new(membership_config(config), now)),
    }
}

fn membership_config(config: &ClientConfig) -> MembershipConfig {
    let assignors: Vec<Assignor> = config
        .partition_assignment_strategy
        .iter()
        .filter_map(|name| Assignor::from_name(name))
        .collect();
    MembershipConfig {
        group_id: config.group_id.clone().unwrap_or_default(),
        group_instance_id: config.group_instance_id.clone(),
        session_timeout: config.session_timeout,
        max_poll_interval: config.max_poll_interval,
        heartbeat_interval: config.heartbeat_interval,
        retry_backoff: config.retry_backoff,
        assignors: if assignors.is_empty() {
            vec![Assignor::Range]
        } else {
            assignors
        },
    }
}
