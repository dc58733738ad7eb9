//! What the consumer reads: a subscription (names and patterns) served
//! by the group, or partitions the application assigns itself, whole
//! ([`Consumer::assign`]) or a few at a time
//! ([`Consumer::incremental_assign`], [`Consumer::incremental_unassign`]).

use std::sync::Arc;

use super::engine::Command;
use super::{AppPart, Consumer, Offset, TopicPartition, Tp};
use crate::config::ConfigError;
use crate::error::Result;

impl Consumer {
    /// Joins the group (`group.id`) and consumes the partitions of
    /// `topics` it is given. Replaces an earlier subscription.
    ///
    /// A name starting with `^` is a regular expression (Rust's `regex`
    /// syntax, which for common patterns is librdkafka's and Java's): the
    /// consumer subscribes to every topic whose name it matches, internal
    /// topics left out, as librdkafka does with the classic protocol. The
    /// topics are matched against the cluster's metadata, and again at
    /// every refresh (`metadata.max.age.ms`), so topics created later are
    /// picked up. The pattern is not anchored at the end: `^orders` also
    /// matches `orders-eu`; write `^orders$` for one name.
    ///
    /// ```no_run
    /// # fn f(consumer: &mut ferrokafka::consumer::Consumer) -> ferrokafka::error::Result<()> {
    /// // Every topic named `metrics-<something>`, now and later, and `audit`.
    /// consumer.subscribe(&["^metrics-.*", "audit"])?;
    /// # Ok(()) }
    /// ```
    pub fn subscribe(&mut self, topics: &[&str]) -> Result<()> {
        if self.config.group_id.is_none() {
            return Err(ConfigError::Conflict("subscribe requires group.id".into()).into());
        }
        if topics.is_empty() || topics.iter().any(|t| t.is_empty()) {
            return Err(ConfigError::Conflict("subscribe needs topic names".into()).into());
        }
        if self.assigned {
            return Err(ConfigError::Conflict(
                "subscribe after assign: a consumer either subscribes or assigns".into(),
            )
            .into());
        }
        for t in topics.iter().filter(|t| t.starts_with('^')) {
            if let Err(e) = regex::Regex::new(t) {
                return Err(ConfigError::InvalidValue {
                    name: "subscription pattern".into(),
                    value: (*t).to_owned(),
                    reason: e.to_string(),
                }
                .into());
            }
        }
        let list: Vec<String> = topics.iter().map(|t| (*t).to_owned()).collect();
        self.send(Command::Subscribe(list.clone()))?;
        self.subscription = list;
        Ok(())
    }

    /// The topics and patterns of the current subscription, as given to
    /// [`Consumer::subscribe`] (empty when not subscribed).
    ///
    /// ```no_run
    /// # fn f(consumer: &mut ferrokafka::consumer::Consumer) -> ferrokafka::error::Result<()> {
    /// consumer.subscribe(&["^metrics-.*", "audit"])?;
    /// assert_eq!(consumer.subscription(), ["^metrics-.*", "audit"]);
    /// # Ok(()) }
    /// ```
    pub fn subscription(&self) -> Vec<String> {
        self.subscription.clone()
    }

    /// Consumes exactly these partitions, without a group (the previous
    /// assignment is replaced). Offsets can still be committed when
    /// `group.id` is set.
    pub fn assign(&mut self, partitions: &[(&str, i32, Offset)]) -> Result<()> {
        self.check_manual("assign")?;
        self.assigned = true;
        let fences = self.drop_all_parts();
        let list = self.take_on(partitions);
        self.send(Command::Assign(list))?;
        self.send_fence(fences)
    }

    /// Adds partitions to the manual assignment, the others read on
    /// undisturbed (confluent-kafka's `incremental_assign`). A partition
    /// already assigned keeps its position.
    ///
    /// ```no_run
    /// # fn f(consumer: &mut ferrokafka::consumer::Consumer) -> ferrokafka::error::Result<()> {
    /// use ferrokafka::consumer::Offset;
    /// consumer.assign(&[("events", 0, Offset::Beginning)])?;
    /// consumer.incremental_assign(&[("events", 1, Offset::Stored)])?;
    /// consumer.incremental_unassign(&[("events", 0)])?;
    /// assert_eq!(consumer.assignment().len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn incremental_assign(&mut self, partitions: &[(&str, i32, Offset)]) -> Result<()> {
        self.check_manual("incremental_assign")?;
        self.assigned = true;
        let fresh: Vec<(&str, i32, Offset)> = partitions
            .iter()
            .filter(|(t, p, _)| !self.parts.contains_key(&(Arc::from(*t), *p)))
            .copied()
            .collect();
        let list = self.take_on(&fresh);
        self.send(Command::AssignMore(list))
    }

    /// Removes partitions from the manual assignment; the others read on
    /// undisturbed (confluent-kafka's `incremental_unassign`). Nothing of
    /// theirs is handed out after this call; their offsets are not
    /// committed by it (call [`Consumer::commit`] first to keep them).
    ///
    /// ```no_run
    /// # async fn f(consumer: &mut ferrokafka::consumer::Consumer) -> ferrokafka::error::Result<()> {
    /// consumer.commit().await?;
    /// consumer.incremental_unassign(&[("events", 0)])?;
    /// # Ok(()) }
    /// ```
    pub fn incremental_unassign(&mut self, partitions: &[(&str, i32)]) -> Result<()> {
        self.check_manual("incremental_unassign")?;
        let tps: Vec<Tp> = partitions
            .iter()
            .map(|(t, p)| (Arc::from(*t), *p))
            .collect();
        let mut fences = Vec::new();
        for tp in &tps {
            if let Some(mut p) = self.parts.remove(tp) {
                fences.extend(p.invalidate(None, false));
            }
            self.drop_current(tp);
        }
        self.send(Command::Unassign(tps))?;
        self.send_fence(fences)
    }

    /// Drops the whole manual assignment: nothing is fetched until the
    /// next `assign` (or a `subscribe`, which is allowed again).
    ///
    /// ```no_run
    /// # fn f(consumer: &mut ferrokafka::consumer::Consumer) -> ferrokafka::error::Result<()> {
    /// use ferrokafka::consumer::Offset;
    /// consumer.assign(&[("events", 0, Offset::Beginning)])?;
    /// consumer.unassign()?;
    /// assert!(consumer.assignment().is_empty());
    /// consumer.subscribe(&["events"])?;
    /// # Ok(()) }
    /// ```
    pub fn unassign(&mut self) -> Result<()> {
        self.check_manual("unassign")?;
        self.assigned = false;
        let fences = self.drop_all_parts();
        self.send(Command::Assign(Vec::new()))?;
        self.send_fence(fences)
    }

    /// The partitions assigned now.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        let mut v: Vec<_> = self.parts.keys().map(TopicPartition::from_tp).collect();
        v.sort();
        v
    }

    fn check_manual(&self, call: &str) -> Result<()> {
        if self.subscription.is_empty() {
            return Ok(());
        }
        Err(ConfigError::Conflict(format!(
            "{call} after subscribe: a consumer either subscribes or assigns"
        ))
        .into())
    }

    /// Notes new partitions in the handle; returns them for the engine.
    fn take_on(&mut self, partitions: &[(&str, i32, Offset)]) -> Vec<(Tp, super::engine::Spec)> {
        let mut list = Vec::with_capacity(partitions.len());
        for (topic, partition, offset) in partitions {
            let tp: Tp = (Arc::from(*topic), *partition);
            self.parts.insert(tp.clone(), AppPart::default());
            self.attach_split(&tp);
            list.push((tp, offset.spec()));
        }
        list
    }

    /// Forgets the whole assignment; returns the partition queues to fence.
    fn drop_all_parts(&mut self) -> Vec<Arc<super::engine::SplitState>> {
        let fences = self
            .parts
            .values_mut()
            .filter_map(|p| p.invalidate(None, false))
            .collect();
        self.parts.clear();
        self.current = None;
        fences
    }
}
