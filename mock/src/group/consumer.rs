//! The broker-driven consumer group protocol (KIP-848) as the coordinator
//! runs it, sans IO: members heartbeat with their subscription and the
//! partitions they own; the coordinator keeps a group epoch, computes a
//! target assignment with a server-side assignor whenever members or
//! subscriptions change, and moves each member towards its target
//! incrementally, as Kafka's `CurrentAssignmentBuilder` does: partitions
//! the member must give up are taken out of its assignment first (its
//! epoch stays); once its heartbeat no longer lists them it advances to
//! the group epoch and gets the new partitions that no other member still
//! holds. A partition never has two owners. Time is passed in; the
//! ConsumerGroupHeartbeat handler in `api/` drives it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;

/// The epoch a member joins with.
const JOIN: i32 = 0;
/// The epoch a member leaves with.
const LEAVE: i32 = -1;
/// The epoch a static member leaves with for a while.
const STATIC_LEAVE: i32 = -2;

/// A partition, by topic name.
pub(crate) type Tp = (String, i32);

/// The assignors the coordinator runs (Kafka's
/// `group.consumer.assignors`); the first is the default.
pub(crate) const ASSIGNORS: [&str; 2] = ["uniform", "range"];

/// One heartbeat as the coordinator reads it: `None` fields did not
/// change.
#[derive(Debug, Clone, Default)]
pub(crate) struct Beat {
    pub(crate) member_id: String,
    pub(crate) member_epoch: i32,
    pub(crate) instance_id: Option<String>,
    pub(crate) client_id: String,
    pub(crate) rebalance_timeout: Option<Duration>,
    pub(crate) topic_names: Option<Vec<String>>,
    /// Empty clears the pattern.
    pub(crate) topic_regex: Option<String>,
    pub(crate) assignor: Option<String>,
    /// The partitions the member owns.
    pub(crate) owned: Option<BTreeSet<Tp>>,
}

/// The coordinator's answer to a heartbeat.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub(crate) member_id: String,
    pub(crate) member_epoch: i32,
    /// The member's assignment, when the member must learn it.
    pub(crate) assignment: Option<BTreeSet<Tp>>,
}

/// One member.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) instance_id: Option<String>,
    pub(crate) client_id: String,
    pub(crate) epoch: i32,
    previous_epoch: i32,
    rebalance_timeout: Duration,
    pub(crate) topic_names: Vec<String>,
    pub(crate) topic_regex: Option<String>,
    assignor: Option<String>,
    /// What the member was told it owns.
    pub(crate) assigned: BTreeSet<Tp>,
    /// Taken out of its assignment, not yet acknowledged as given back.
    revoking: BTreeSet<Tp>,
    /// Since when revocation has been pending.
    revoking_since: Option<Instant>,
    last_heartbeat: Instant,
    /// A static member that left with epoch -2: its partitions wait for
    /// it until its session ends.
    departed: bool,
}

/// A consumer group under the KIP-848 protocol.
#[derive(Debug, Default)]
pub(crate) struct ConsumerGroup {
    /// Bumped whenever the target assignment must be computed again.
    pub(crate) epoch: i32,
    /// The epoch the target assignment was computed at.
    pub(crate) assignment_epoch: i32,
    pub(crate) members: BTreeMap<String, Member>,
    /// Each member's target.
    pub(crate) target: BTreeMap<String, BTreeSet<Tp>>,
    /// The subscribed partitions the target was computed from.
    subscribed: BTreeSet<Tp>,
    next_member: u64,
}

/// Whether `name` matches `pattern` whole (RE2/J, as the broker matches
/// `SubscribedTopicRegex`). An invalid pattern matches nothing.
fn whole_match(pattern: &str, name: &str) -> bool {
    regex::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|r| r.is_match(name))
}

impl Member {
    fn subscribes(&self, topic: &str) -> bool {
        self.topic_names.iter().any(|t| t == topic)
            || self
                .topic_regex
                .as_deref()
                .is_some_and(|p| !p.is_empty() && whole_match(p, topic))
    }
}

/// The limits a heartbeat is checked against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// `group.consumer.max.size`.
    pub(crate) max_size: usize,
}

impl ConsumerGroup {
    /// The assignor in use: the one the members ask for (the first one
    /// that does), else the default.
    pub(crate) fn assignor(&self) -> &str {
        self.members
            .values()
            .find_map(|m| m.assignor.as_deref())
            .unwrap_or(ASSIGNORS[0])
    }

    /// Kafka's group state name.
    pub(crate) fn state_name(&self) -> &'static str {
        if self.members.is_empty() {
            "Empty"
        } else if self.assignment_epoch != self.epoch {
            "Assigning"
        } else if self
            .members
            .iter()
            .any(|(id, m)| m.epoch != self.epoch || self.target.get(id) != Some(&m.assigned))
        {
            "Reconciling"
        } else {
            "Stable"
        }
    }

    fn by_instance(&self, instance: &str) -> Option<String> {
        self.members
            .iter()
            .find(|(_, m)| m.instance_id.as_deref() == Some(instance))
            .map(|(id, _)| id.clone())
    }

    /// A heartbeat: join, stay, acknowledge, or leave. `topics` are the
    /// cluster's topics with their partition counts.
    pub(crate) fn heartbeat(
        &mut self,
        mut beat: Beat,
        topics: &BTreeMap<String, i32>,
        limits: Limits,
        now: Instant,
    ) -> Result<Reply, ErrorCode> {
        if let Some(a) = beat.assignor.as_deref().filter(|a| !a.is_empty()) {
            if !ASSIGNORS.contains(&a) {
                return Err(ErrorCode::UnsupportedAssignor);
            }
        }
        if beat.member_epoch == LEAVE || beat.member_epoch == STATIC_LEAVE {
            return self.leave(&beat, topics, now);
        }
        if beat.member_id.is_empty() {
            if beat.member_epoch != JOIN {
                return Err(ErrorCode::UnknownMemberId);
            }
            self.next_member += 1;
            beat.member_id = format!("{}-mock-{:08x}", beat.client_id, self.next_member);
        }
        let id = beat.member_id.clone();
        let mut changed = false;
        if beat.member_epoch == JOIN {
            changed |= self.join(&beat, limits, now)?;
        } else {
            let m = self
                .members
                .get_mut(&id)
                .ok_or(ErrorCode::UnknownMemberId)?;
            if beat.instance_id.is_some() && beat.instance_id != m.instance_id {
                return Err(ErrorCode::FencedInstanceId);
            }
            let acceptable = beat.member_epoch == m.epoch
                || (beat.member_epoch == m.previous_epoch
                    && beat
                        .owned
                        .as_ref()
                        .is_some_and(|o| o.is_subset(&m.assigned)));
            if !acceptable {
                return Err(ErrorCode::FencedMemberEpoch);
            }
            m.departed = false;
        }
        let m = self
            .members
            .get_mut(&id)
            .ok_or(ErrorCode::UnknownMemberId)?;
        m.last_heartbeat = now;
        if let Some(t) = beat.rebalance_timeout {
            m.rebalance_timeout = t;
        }
        if let Some(names) = beat.topic_names.take() {
            changed |= names != m.topic_names;
            m.topic_names = names;
        }
        if let Some(regex) = beat.topic_regex.take() {
            let regex = (!regex.is_empty()).then_some(regex);
            changed |= regex != m.topic_regex;
            m.topic_regex = regex;
        }
        if let Some(a) = beat.assignor.take().filter(|a| !a.is_empty()) {
            changed |= m.assignor.as_deref() != Some(a.as_str());
            m.assignor = Some(a);
        }
        if let Some(owned) = &beat.owned {
            // Given back: what it no longer lists is free for others.
            m.revoking.retain(|tp| owned.contains(tp));
        }
        if changed {
            self.epoch += 1;
        }
        self.compute_target(topics);
        let full = beat.member_epoch == JOIN || beat.owned.is_some();
        Ok(self.reconcile(&id, full, now))
    }

    /// A member joining (epoch 0), new or again (after being fenced);
    /// returns whether the group changed.
    fn join(&mut self, beat: &Beat, limits: Limits, now: Instant) -> Result<bool, ErrorCode> {
        let id = &beat.member_id;
        let mut inherited = None;
        if let Some(instance) = &beat.instance_id {
            if let Some(old_id) = self.by_instance(instance) {
                let old = &self.members[&old_id];
                if old_id != *id && !old.departed {
                    return Err(ErrorCode::UnreleasedInstanceId);
                }
                // The static member is back: it takes over its old
                // incarnation's assignment and epoch.
                inherited = self.members.remove(&old_id);
                if let Some(t) = self.target.remove(&old_id) {
                    self.target.insert(id.clone(), t);
                }
            }
        }
        if let Some(mut m) = inherited {
            m.departed = false;
            m.client_id = beat.client_id.clone();
            m.last_heartbeat = now;
            self.members.insert(id.clone(), m);
            return Ok(false);
        }
        let rejoin = self.members.remove(id).is_some();
        if !rejoin && self.members.len() >= limits.max_size {
            return Err(ErrorCode::GroupMaxSizeReached);
        }
        self.members.insert(
            id.clone(),
            Member {
                instance_id: beat.instance_id.clone(),
                client_id: beat.client_id.clone(),
                epoch: JOIN,
                previous_epoch: JOIN,
                rebalance_timeout: beat.rebalance_timeout.unwrap_or(Duration::from_secs(300)),
                topic_names: Vec::new(),
                topic_regex: None,
                assignor: None,
                assigned: BTreeSet::new(),
                revoking: BTreeSet::new(),
                revoking_since: None,
                last_heartbeat: now,
                departed: false,
            },
        );
        tracing::debug!(member_id = %id, rejoin, "mock: consumer group member joined");
        Ok(true)
    }

    fn leave(
        &mut self,
        beat: &Beat,
        topics: &BTreeMap<String, i32>,
        now: Instant,
    ) -> Result<Reply, ErrorCode> {
        let id = match (&beat.instance_id, beat.member_id.is_empty()) {
            (Some(i), _) => self.by_instance(i).ok_or(ErrorCode::UnknownMemberId)?,
            (None, false) => beat.member_id.clone(),
            (None, true) => return Err(ErrorCode::UnknownMemberId),
        };
        if !beat.member_id.is_empty() && id != beat.member_id {
            return Err(ErrorCode::FencedInstanceId);
        }
        let m = self
            .members
            .get_mut(&id)
            .ok_or(ErrorCode::UnknownMemberId)?;
        if beat.member_epoch == STATIC_LEAVE && m.instance_id.is_some() {
            // It keeps its partitions until its session ends.
            m.departed = true;
            m.last_heartbeat = now;
        } else {
            self.remove(&id, topics);
        }
        Ok(Reply {
            member_id: id,
            member_epoch: beat.member_epoch,
            assignment: None,
        })
    }

    /// Drops a member: its partitions are free at once.
    fn remove(&mut self, id: &str, topics: &BTreeMap<String, i32>) {
        if self.members.remove(id).is_some() {
            tracing::debug!(member_id = id, "mock: consumer group member removed");
            self.target.remove(id);
            self.epoch += 1;
            self.compute_target(topics);
        }
    }

    /// Computes the target assignment again when the group epoch moved or
    /// the subscribed topics' partitions changed.
    fn compute_target(&mut self, topics: &BTreeMap<String, i32>) {
        let subscribed: BTreeSet<Tp> = topics
            .iter()
            .filter(|(t, _)| self.members.values().any(|m| m.subscribes(t)))
            .flat_map(|(t, &n)| (0..n).map(move |p| (t.clone(), p)))
            .collect();
        if subscribed != self.subscribed && self.assignment_epoch == self.epoch {
            self.epoch += 1;
        }
        if self.assignment_epoch == self.epoch {
            return;
        }
        self.subscribed = subscribed;
        self.target = match self.assignor() {
            "range" => self.range(topics),
            _ => self.uniform(),
        };
        self.assignment_epoch = self.epoch;
    }

    /// Kafka's range assignor: per topic, contiguous ranges over the
    /// subscribed members in id order.
    fn range(&self, topics: &BTreeMap<String, i32>) -> BTreeMap<String, BTreeSet<Tp>> {
        let mut target: BTreeMap<String, BTreeSet<Tp>> = self
            .members
            .keys()
            .map(|id| (id.clone(), BTreeSet::new()))
            .collect();
        for (topic, &n) in topics {
            let subs: Vec<&String> = self
                .members
                .iter()
                .filter(|(_, m)| m.subscribes(topic))
                .map(|(id, _)| id)
                .collect();
            if subs.is_empty() {
                continue;
            }
            let (each, extra) = (n as usize / subs.len(), n as usize % subs.len());
            let mut next = 0;
            for (i, id) in subs.into_iter().enumerate() {
                let count = each + usize::from(i < extra);
                let set = target.entry(id.clone()).or_default();
                set.extend((next..next + count).map(|p| (topic.clone(), p as i32)));
                next += count;
            }
        }
        target
    }

    /// A sticky uniform assignor: members keep what they had up to their
    /// fair share, the rest goes one by one to the subscribed member with
    /// the fewest.
    fn uniform(&self) -> BTreeMap<String, BTreeSet<Tp>> {
        let n = self.members.len().max(1);
        let (floor, extra) = (self.subscribed.len() / n, self.subscribed.len() % n);
        let mut target: BTreeMap<String, BTreeSet<Tp>> = BTreeMap::new();
        let mut taken = BTreeSet::new();
        let mut order: Vec<(&String, &Member)> = self.members.iter().collect();
        order.sort_by_key(|(id, _)| {
            std::cmp::Reverse(self.target.get(*id).map_or(0, BTreeSet::len))
        });
        let mut at_ceiling = 0;
        for (id, m) in order {
            let quota = if at_ceiling < extra { floor + 1 } else { floor };
            let keep: BTreeSet<Tp> = self
                .target
                .get(id)
                .into_iter()
                .flatten()
                .filter(|tp| self.subscribed.contains(*tp) && m.subscribes(&tp.0))
                .filter(|tp| !taken.contains(*tp))
                .take(quota)
                .cloned()
                .collect();
            if keep.len() > floor {
                at_ceiling += 1;
            }
            taken.extend(keep.iter().cloned());
            target.insert(id.clone(), keep);
        }
        for tp in &self.subscribed {
            if taken.contains(tp) {
                continue;
            }
            let fewest = target
                .iter_mut()
                .filter(|(id, _)| self.members[*id].subscribes(&tp.0))
                .min_by_key(|(_, set)| set.len());
            if let Some((_, set)) = fewest {
                set.insert(tp.clone());
            }
        }
        target
    }

    /// Moves member `id` towards its target; `full` answers with its
    /// assignment even when unchanged.
    fn reconcile(&mut self, id: &str, full: bool, now: Instant) -> Reply {
        let desired = self.target.get(id).cloned().unwrap_or_default();
        // Held by the others, given or still being given back.
        let held: BTreeSet<Tp> = self
            .members
            .iter()
            .filter(|(other, _)| other.as_str() != id)
            .flat_map(|(_, m)| m.assigned.iter().chain(&m.revoking))
            .cloned()
            .collect();
        let epoch = self.epoch;
        let Some(m) = self.members.get_mut(id) else {
            return Reply {
                member_id: id.to_owned(),
                member_epoch: LEAVE,
                assignment: None,
            };
        };
        let before = m.assigned.clone();
        let revoke: BTreeSet<Tp> = m.assigned.difference(&desired).cloned().collect();
        if !revoke.is_empty() {
            m.assigned.retain(|tp| desired.contains(tp));
            m.revoking.extend(revoke);
            m.revoking_since.get_or_insert(now);
        } else if m.revoking.is_empty() {
            m.revoking_since = None;
            if m.epoch != epoch {
                m.previous_epoch = m.epoch;
                m.epoch = epoch;
            }
            m.assigned = desired.difference(&held).cloned().collect();
        }
        let changed = m.assigned != before;
        Reply {
            member_id: id.to_owned(),
            member_epoch: m.epoch,
            assignment: (changed || full).then(|| m.assigned.clone()),
        }
    }

    /// OffsetCommit's member check: outside the group (no member id,
    /// negative epoch) only an empty group takes commits; a member's
    /// epoch must be its current one, else STALE_MEMBER_EPOCH (older or
    /// newer alike, as Kafka's `ConsumerGroup.validateMemberEpoch`).
    pub(crate) fn check_commit(&self, member_id: &str, epoch: i32) -> Result<(), ErrorCode> {
        if member_id.is_empty() && epoch < 0 {
            return if self.members.is_empty() {
                Ok(())
            } else {
                Err(ErrorCode::UnknownMemberId)
            };
        }
        let m = self
            .members
            .get(member_id)
            .ok_or(ErrorCode::UnknownMemberId)?;
        if epoch != m.epoch {
            return Err(ErrorCode::StaleMemberEpoch);
        }
        Ok(())
    }

    /// Time passing: members silent past `session` are removed, and so
    /// are members that did not give back revoked partitions within their
    /// rebalance timeout. Returns whether anything changed.
    pub(crate) fn expire(
        &mut self,
        session: Duration,
        topics: &BTreeMap<String, i32>,
        now: Instant,
    ) -> bool {
        let gone: Vec<String> = self
            .members
            .iter()
            .filter(|(_, m)| {
                now.duration_since(m.last_heartbeat) > session
                    || m.revoking_since
                        .is_some_and(|t| now.duration_since(t) > m.rebalance_timeout)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in &gone {
            self.remove(id, topics);
        }
        !gone.is_empty()
    }
}

#[cfg(test)]
#[path = "consumer_tests.rs"]
mod tests;
