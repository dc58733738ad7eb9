//! The classic group protocol's state machine, sans IO: members join,
//! the coordinator waits for every known member to rejoin (or its
//! rebalance timeout), picks a leader and a protocol, the leader's
//! assignment is handed out, heartbeats keep members in, and members that
//! leave or go silent start the next rebalance. Time is passed in, so the
//! machine is tested without sleeping; the group APIs in `api/` drive it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use bytes::Bytes;
use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;

/// Where a group is in its rebalance cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum GroupState {
    /// No members.
    #[default]
    Empty,
    /// Waiting for the members to (re)join.
    PreparingRebalance,
    /// Joined: waiting for the leader's assignment.
    CompletingRebalance,
    /// Assigned: members heartbeat.
    Stable,
}

/// What a member joining sent.
#[derive(Debug, Clone)]
pub(crate) struct JoinParams {
    pub(crate) member_id: String,
    pub(crate) group_instance_id: Option<String>,
    pub(crate) client_id: String,
    pub(crate) session_timeout: Duration,
    pub(crate) rebalance_timeout: Duration,
    pub(crate) protocol_type: String,
    pub(crate) protocols: Vec<(String, Bytes)>,
    /// Whether the member speaks JoinGroup v4+ (and so must learn its
    /// member id before joining).
    pub(crate) requires_known_member_id: bool,
}

/// What a member gets back from a completed join.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JoinResult {
    pub(crate) generation: i32,
    pub(crate) protocol_type: String,
    pub(crate) protocol_name: String,
    pub(crate) leader: String,
    /// Every member with its metadata, for the leader only.
    pub(crate) members: Vec<(String, Option<String>, Bytes)>,
}

/// What `join` decided.
#[derive(Debug, PartialEq)]
pub(crate) enum JoinOutcome {
    /// The member must join again with this id (KIP-394).
    MemberIdRequired(String),
    /// The member is in; its result comes when the rebalance completes.
    Wait(String),
}

/// One member.
#[derive(Debug)]
pub(crate) struct Member {
    group_instance_id: Option<String>,
    session_timeout: Duration,
    rebalance_timeout: Duration,
    protocols: Vec<(String, Bytes)>,
    /// Rejoined in the current rebalance.
    joined: bool,
    join_result: Option<JoinResult>,
    assignment: Option<Bytes>,
    last_heartbeat: Instant,
    /// Waiting in JoinGroup or SyncGroup: kept alive meanwhile, as Kafka
    /// does.
    waiting: bool,
}

/// One group.
#[derive(Debug, Default)]
pub(crate) struct Group {
    pub(crate) state: GroupState,
    pub(crate) generation: i32,
    protocol_type: Option<String>,
    protocol_name: Option<String>,
    leader: Option<String>,
    pub(crate) members: BTreeMap<String, Member>,
    /// Ids handed out with MEMBER_ID_REQUIRED, not yet used.
    pending: HashSet<String>,
    rebalance_deadline: Option<Instant>,
    next_member: u64,
}

impl Group {
    fn new_member_id(&mut self, client_id: &str) -> String {
        self.next_member += 1;
        format!("{client_id}-{:08x}", self.next_member)
    }

    /// The protocol type and name of the current generation.
    pub(crate) fn protocol(&self) -> (Option<&str>, Option<&str>) {
        (self.protocol_type.as_deref(), self.protocol_name.as_deref())
    }

    fn member_by_instance(&self, instance: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|(_, m)| m.group_instance_id.as_deref() == Some(instance))
            .map(|(id, _)| id.as_str())
    }

    /// A member joins or rejoins.
    pub(crate) fn join(&mut self, p: JoinParams, now: Instant) -> Result<JoinOutcome, ErrorCode> {
        if p.protocols.is_empty() || p.protocol_type.is_empty() {
            return Err(ErrorCode::InconsistentGroupProtocol);
        }
        let others = self.members.iter().filter(|(id, _)| **id != p.member_id);
        if self.members.len() > usize::from(self.members.contains_key(&p.member_id)) {
            if self.protocol_type.as_deref() != Some(p.protocol_type.as_str()) {
                return Err(ErrorCode::InconsistentGroupProtocol);
            }
            let shared = |name: &String| {
                others
                    .clone()
                    .all(|(_, m)| m.protocols.iter().any(|(n, _)| n == name))
            };
            if !p.protocols.iter().any(|(n, _)| shared(n)) {
                return Err(ErrorCode::InconsistentGroupProtocol);
            }
        }
        let member_id = if p.member_id.is_empty() {
            match &p.group_instance_id {
                Some(instance) => {
                    // A static member coming back replaces (fences) its
                    // old incarnation.
                    if let Some(old) = self.member_by_instance(instance).map(str::to_owned) {
                        self.members.remove(&old);
                    }
                    self.new_member_id(&p.client_id)
                }
                None if p.requires_known_member_id => {
                    let id = self.new_member_id(&p.client_id);
                    self.pending.insert(id.clone());
                    return Ok(JoinOutcome::MemberIdRequired(id));
                }
                None => self.new_member_id(&p.client_id),
            }
        } else if self.pending.remove(&p.member_id) {
            p.member_id.clone()
        } else if let Some(m) = self.members.get(&p.member_id) {
            if p.group_instance_id.is_some() && m.group_instance_id != p.group_instance_id {
                return Err(ErrorCode::FencedInstanceId);
            }
            p.member_id.clone()
        } else {
            return Err(ErrorCode::UnknownMemberId);
        };
        self.members.insert(
            member_id.clone(),
            Member {
                group_instance_id: p.group_instance_id,
                session_timeout: p.session_timeout,
                rebalance_timeout: p.rebalance_timeout,
                protocols: p.protocols,
                joined: true,
                join_result: None,
                assignment: None,
                last_heartbeat: now,
                waiting: false,
            },
        );
        if self.protocol_type.is_none() {
            self.protocol_type = Some(p.protocol_type);
        }
        if self.state != GroupState::PreparingRebalance {
            self.prepare_rebalance(now, Some(&member_id));
        }
        self.maybe_complete_join(now);
        Ok(JoinOutcome::Wait(member_id))
    }

    /// Starts a rebalance: every member (but `joined`) must rejoin within
    /// the longest rebalance timeout.
    fn prepare_rebalance(&mut self, now: Instant, joined: Option<&str>) {
        self.state = GroupState::PreparingRebalance;
        for (id, m) in &mut self.members {
            if Some(id.as_str()) != joined {
                m.joined = false;
                m.join_result = None;
            }
            m.assignment = None;
        }
        let timeout = self
            .members
            .values()
            .map(|m| m.rebalance_timeout)
            .max()
            .unwrap_or_default();
        self.rebalance_deadline = Some(now + timeout);
    }

    fn maybe_complete_join(&mut self, now: Instant) {
        if self.state == GroupState::PreparingRebalance && self.members.values().all(|m| m.joined) {
            self.complete_join(now);
        }
    }

    /// Every member is in: the next generation, its leader and protocol.
    fn complete_join(&mut self, now: Instant) {
        self.generation += 1;
        self.rebalance_deadline = None;
        if self.members.is_empty() {
            self.state = GroupState::Empty;
            self.protocol_type = None;
            self.protocol_name = None;
            self.leader = None;
            return;
        }
        let leader = match &self.leader {
            Some(l) if self.members.contains_key(l) => l.clone(),
            _ => self.members.keys().next().cloned().unwrap_or_default(),
        };
        let protocol = self.select_protocol(&leader);
        let members: Vec<(String, Option<String>, Bytes)> = self
            .members
            .iter()
            .map(|(id, m)| {
                let metadata = m
                    .protocols
                    .iter()
                    .find(|(n, _)| *n == protocol)
                    .map(|(_, md)| md.clone())
                    .unwrap_or_default();
                (id.clone(), m.group_instance_id.clone(), metadata)
            })
            .collect();
        let protocol_type = self.protocol_type.clone().unwrap_or_default();
        for (id, m) in &mut self.members {
            m.last_heartbeat = now;
            m.join_result = Some(JoinResult {
                generation: self.generation,
                protocol_type: protocol_type.clone(),
                protocol_name: protocol.clone(),
                leader: leader.clone(),
                members: if *id == leader {
                    members.clone()
                } else {
                    Vec::new()
                },
            });
        }
        self.leader = Some(leader);
        self.protocol_name = Some(protocol);
        self.state = GroupState::CompletingRebalance;
    }

    /// Kafka's choice: among the protocols every member supports, the one
    /// most members list first (ties go the leader's way).
    fn select_protocol(&self, leader: &str) -> String {
        let supported = |name: &str| {
            self.members
                .values()
                .all(|m| m.protocols.iter().any(|(n, _)| n == name))
        };
        let mut votes: HashMap<&str, usize> = HashMap::new();
        for m in self.members.values() {
            if let Some((n, _)) = m.protocols.iter().find(|(n, _)| supported(n)) {
                *votes.entry(n.as_str()).or_default() += 1;
            }
        }
        let order = self
            .members
            .get(leader)
            .map(|m| m.protocols.as_slice())
            .unwrap_or_default();
        let mut best: Option<(&str, usize)> = None;
        for (name, _) in order {
            let v = votes.get(name.as_str()).copied().unwrap_or(0);
            if v > 0 && best.is_none_or(|(_, b)| v > b) {
                best = Some((name, v));
            }
        }
        best.map(|(n, _)| n.to_owned()).unwrap_or_default()
    }

    /// A member starts waiting in JoinGroup or SyncGroup: its session does
    /// not expire meanwhile.
    pub(crate) fn park(&mut self, member_id: &str) {
        if let Some(m) = self.members.get_mut(member_id) {
            m.waiting = true;
        }
    }

    /// A member stops waiting: its session runs again from `now`.
    pub(crate) fn unpark(&mut self, member_id: &str, now: Instant) {
        if let Some(m) = self.members.get_mut(member_id) {
            m.waiting = false;
            m.last_heartbeat = now;
        }
    }

    /// A waiting joiner's result, once there is one.
    pub(crate) fn take_join_result(
        &mut self,
        member_id: &str,
    ) -> Option<Result<JoinResult, ErrorCode>> {
        match self.members.get_mut(member_id) {
            None => Some(Err(ErrorCode::UnknownMemberId)),
            Some(m) => m.join_result.take().map(Ok),
        }
    }

    /// The checks every request of a member in a generation goes through.
    fn check_member(
        &self,
        member_id: &str,
        instance: Option<&str>,
        generation: i32,
    ) -> Result<(), ErrorCode> {
        let m = self
            .members
            .get(member_id)
            .ok_or(ErrorCode::UnknownMemberId)?;
        if instance.is_some() && m.group_instance_id.as_deref() != instance {
            return Err(ErrorCode::FencedInstanceId);
        }
        if generation != self.generation {
            return Err(ErrorCode::IllegalGeneration);
        }
        Ok(())
    }

    /// SyncGroup: the leader hands in the assignment; anyone gets theirs
    /// once it is there (`Ok(None)`: wait).
    pub(crate) fn sync(
        &mut self,
        member_id: &str,
        instance: Option<&str>,
        generation: i32,
        assignments: Vec<(String, Bytes)>,
        now: Instant,
    ) -> Result<Option<Bytes>, ErrorCode> {
        self.check_member(member_id, instance, generation)?;
        if self.state == GroupState::PreparingRebalance {
            return Err(ErrorCode::RebalanceInProgress);
        }
        if self.state == GroupState::CompletingRebalance
            && self.leader.as_deref() == Some(member_id)
        {
            let mut assignments: HashMap<String, Bytes> = assignments.into_iter().collect();
            for (id, m) in &mut self.members {
                m.assignment = Some(assignments.remove(id).unwrap_or_default());
            }
            self.state = GroupState::Stable;
        }
        if let Some(m) = self.members.get_mut(member_id) {
            m.last_heartbeat = now;
        }
        self.sync_result(member_id, generation).transpose()
    }

    /// A waiting syncer's assignment, once there is one.
    pub(crate) fn sync_result(
        &self,
        member_id: &str,
        generation: i32,
    ) -> Option<Result<Bytes, ErrorCode>> {
        let Some(m) = self.members.get(member_id) else {
            return Some(Err(ErrorCode::UnknownMemberId));
        };
        if generation != self.generation || self.state == GroupState::PreparingRebalance {
            return Some(Err(ErrorCode::RebalanceInProgress));
        }
        match (&m.assignment, self.state) {
            (Some(a), GroupState::Stable) => Some(Ok(a.clone())),
            _ => None,
        }
    }

    /// Heartbeat: the member is alive; REBALANCE_IN_PROGRESS tells it to
    /// rejoin.
    pub(crate) fn heartbeat(
        &mut self,
        member_id: &str,
        instance: Option<&str>,
        generation: i32,
        now: Instant,
    ) -> Result<(), ErrorCode> {
        let m = self
            .members
            .get_mut(member_id)
            .ok_or(ErrorCode::UnknownMemberId)?;
        if instance.is_some() && m.group_instance_id.as_deref() != instance {
            return Err(ErrorCode::FencedInstanceId);
        }
        m.last_heartbeat = now;
        if self.state == GroupState::PreparingRebalance {
            return Err(ErrorCode::RebalanceInProgress);
        }
        if generation != self.generation {
            return Err(ErrorCode::IllegalGeneration);
        }
        Ok(())
    }

    /// OffsetCommit's checks: outside a group (generation -1, no member
    /// id) only an empty group takes commits; inside, the member and its
    /// generation must be current and the group not waiting for its
    /// assignment. As in Kafka, a group preparing a rebalance still takes
    /// commits of the current generation: that is how an eager member
    /// commits the partitions it gives back before rejoining.
    pub(crate) fn check_commit(
        &self,
        member_id: &str,
        instance: Option<&str>,
        generation: i32,
    ) -> Result<(), ErrorCode> {
        if generation < 0 && member_id.is_empty() {
            return if self.members.is_empty() {
                Ok(())
            } else {
                Err(ErrorCode::UnknownMemberId)
            };
        }
        self.check_member(member_id, instance, generation)?;
        match self.state {
            GroupState::CompletingRebalance => Err(ErrorCode::RebalanceInProgress),
            _ => Ok(()),
        }
    }

    /// A member leaves, by member id or (static members) instance id.
    pub(crate) fn leave(
        &mut self,
        member_id: &str,
        instance: Option<&str>,
        now: Instant,
    ) -> Result<(), ErrorCode> {
        let id = match instance {
            Some(i) => {
                let id = self
                    .member_by_instance(i)
                    .ok_or(ErrorCode::UnknownMemberId)?
                    .to_owned();
                if !member_id.is_empty() && member_id != id {
                    return Err(ErrorCode::FencedInstanceId);
                }
                id
            }
            None if self.members.contains_key(member_id) => member_id.to_owned(),
            None => return Err(ErrorCode::UnknownMemberId),
        };
        self.remove_member(&id, now);
        Ok(())
    }

    fn remove_member(&mut self, member_id: &str, now: Instant) {
        self.members.remove(member_id);
        tracing::debug!(member_id, "mock: member removed from group");
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(now, None)
            }
            GroupState::Empty | GroupState::PreparingRebalance => {}
        }
        self.maybe_complete_join(now);
    }

    /// Time passing: silent members' sessions expire and overdue
    /// rebalances complete without the members that did not rejoin.
    /// Returns whether anything changed.
    pub(crate) fn expire(&mut self, now: Instant) -> bool {
        let mut changed = false;
        if self.state == GroupState::PreparingRebalance
            && self.rebalance_deadline.is_some_and(|d| now >= d)
        {
            self.members.retain(|_, m| m.joined);
            self.complete_join(now);
            changed = true;
        }
        let expired: Vec<String> = self
            .members
            .iter()
            .filter(|(_, m)| !m.waiting && now.duration_since(m.last_heartbeat) > m.session_timeout)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            self.remove_member(&id, now);
            changed = true;
        }
        changed
    }
}

pub(crate) mod consumer;

#[cfg(test)]
mod tests;
