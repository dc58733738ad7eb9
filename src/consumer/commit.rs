//! What the application commits: stored offsets, `commit` and its
//! variants, auto commit, and what a dropped [`Consumer`] commits.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::engine::Command;
use super::{not_assigned, CommittedOffset, Consumer, Message, TopicPartition, Tp};
use crate::error::Result;

impl Consumer {
    /// Marks `message` processed: its offset + 1 (the next offset to
    /// read, as Kafka stores it) is what the next [`Consumer::commit`],
    /// auto commit or [`Consumer::close`] commits for its partition. Only
    /// needed with `enable.auto.offset.store=false`.
    pub fn store_offset(&mut self, message: &Message) -> Result<()> {
        let tp: Tp = (message.topic.clone(), message.partition);
        match self.parts.get_mut(&tp) {
            Some(p) => {
                p.set_stored(message.offset + 1);
                Ok(())
            }
            None => Err(not_assigned(&tp)),
        }
    }

    /// Commits what the application consumed and waits for the broker:
    /// with `enable.auto.offset.store=true` (the default) each partition's
    /// position (the offset after its last message handed out); with
    /// `enable.auto.offset.store=false` the offsets given to
    /// [`Consumer::store_offset`] (a partition with none stored is not
    /// committed), as librdkafka does. So "store after processing, then
    /// commit" never commits past a record that was handed out but not
    /// processed.
    pub async fn commit(&mut self) -> Result<()> {
        let offsets = self.to_commit();
        if offsets.is_empty() {
            return Ok(());
        }
        self.commit_list(offsets).await
    }

    /// Commits these offsets (the next offset to read, as Kafka stores
    /// them) and waits for the broker.
    pub async fn commit_offsets(&mut self, offsets: &[(&str, i32, i64)]) -> Result<()> {
        let list = offsets
            .iter()
            .map(|(t, p, o)| ((Arc::from(*t), *p), *o))
            .collect();
        self.commit_list(list).await
    }

    /// Commits what [`Consumer::commit`] would, without waiting; a
    /// failure is logged.
    pub fn commit_async(&mut self) -> Result<()> {
        let offsets = self.to_commit();
        if offsets.is_empty() {
            return Ok(());
        }
        self.send(Command::Commit {
            offsets,
            metadata: HashMap::new(),
            reply: None,
        })
    }

    /// The committed offsets of `partitions` (`None`: nothing committed).
    pub async fn committed(
        &self,
        partitions: &[(&str, i32)],
        timeout: Duration,
    ) -> Result<Vec<(TopicPartition, Option<i64>)>> {
        let found = self.committed_with_metadata(partitions, timeout).await?;
        Ok(found
            .into_iter()
            .map(|(tp, c)| (tp, c.map(|c| c.offset)))
            .collect())
    }

    /// The committed offsets of `partitions` with the metadata committed
    /// with them and their leader epochs (`None`: nothing committed), as
    /// confluent-kafka's `committed` returns them.
    ///
    /// ```no_run
    /// # async fn f(consumer: &mut ferrokafka::consumer::Consumer) -> ferrokafka::error::Result<()> {
    /// use std::time::Duration;
    /// consumer.commit_offsets_with_metadata(&[("events", 0, 42, "batch 7")]).await?;
    /// let found = consumer.committed_with_metadata(&[("events", 0)], Duration::from_secs(5)).await?;
    /// let c = found[0].1.as_ref().expect("committed");
    /// assert_eq!((c.offset, c.metadata.as_str()), (42, "batch 7"));
    /// # Ok(()) }
    /// ```
    pub async fn committed_with_metadata(
        &self,
        partitions: &[(&str, i32)],
        timeout: Duration,
    ) -> Result<Vec<(TopicPartition, Option<CommittedOffset>)>> {
        let (reply, rx) = oneshot::channel();
        let tps = partitions
            .iter()
            .map(|(t, p)| (Arc::from(*t), *p))
            .collect();
        self.send(Command::Committed { tps, reply })?;
        let found = self.wait(rx, timeout, "committed offsets").await??;
        Ok(found
            .into_iter()
            .map(|(tp, c)| (TopicPartition::from_tp(&tp), c))
            .collect())
    }

    /// Commits these offsets, each with its metadata (any string the
    /// application wants back from [`Consumer::committed_with_metadata`],
    /// up to the broker's `offset.metadata.max.bytes`, 4096 by default),
    /// and waits for the broker. Offsets are the next offset to read, as
    /// Kafka stores them.
    ///
    /// ```no_run
    /// # async fn f(consumer: &mut ferrokafka::consumer::Consumer) -> ferrokafka::error::Result<()> {
    /// consumer.commit_offsets_with_metadata(&[("events", 0, 42, "checkpoint 2026-12-01")]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn commit_offsets_with_metadata(
        &mut self,
        offsets: &[(&str, i32, i64, &str)],
    ) -> Result<()> {
        let mut list = Vec::with_capacity(offsets.len());
        let mut metadata = HashMap::with_capacity(offsets.len());
        for (t, p, o, m) in offsets {
            let tp: Tp = (Arc::from(*t), *p);
            metadata.insert(tp.clone(), (*m).to_owned());
            list.push((tp, *o));
        }
        self.commit_with(list, metadata).await
    }

    pub(super) async fn commit_list(&mut self, offsets: Vec<(Tp, i64)>) -> Result<()> {
        self.commit_with(offsets, HashMap::new()).await
    }

    async fn commit_with(
        &mut self,
        offsets: Vec<(Tp, i64)>,
        metadata: HashMap<Tp, String>,
    ) -> Result<()> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Commit {
            offsets,
            metadata,
            reply: Some(reply),
        })?;
        let timeout = self.config.request_timeout + Duration::from_secs(1);
        self.wait(rx, timeout, "commit").await?
    }

    /// What `commit` commits: the positions with auto offset store on,
    /// the stored offsets with it off.
    fn to_commit(&self) -> Vec<(Tp, i64)> {
        if self.config.enable_auto_offset_store {
            return self.positions();
        }
        self.stored()
    }

    /// Each partition's stored offset, where it has one.
    pub(super) fn stored(&self) -> Vec<(Tp, i64)> {
        self.parts
            .iter()
            .filter_map(|(tp, p)| p.stored().map(|o| (tp.clone(), o)))
            .collect()
    }

    /// Commits the stored offsets that changed, every
    /// `auto.commit.interval.ms` (the engine's timer raises the flag),
    /// without waiting.
    pub(super) fn maybe_auto_commit(&mut self) {
        if self.closed || !self.shared.take_auto_commit_due() {
            return;
        }
        let mut offsets = Vec::new();
        for (tp, p) in &mut self.parts {
            let stored = p.stored();
            if stored.is_some() && stored != p.auto_committed {
                p.auto_committed = stored;
                if let Some(o) = stored {
                    offsets.push((tp.clone(), o));
                }
            }
        }
        if !offsets.is_empty() {
            let _ = self.send(Command::Commit {
                offsets,
                metadata: HashMap::new(),
                reply: None,
            });
        }
    }
}

impl Drop for Consumer {
    /// See [the type's docs](Consumer#dropping-without-close): hands the
    /// engine the offsets auto commit would commit; the engine commits
    /// them, then leaves the group. Never blocks.
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        self.close_splits();
        if !self.config.enable_auto_commit || self.config.group_id.is_none() {
            return;
        }
        let offsets = self.stored();
        if offsets.is_empty() {
            return;
        }
        tracing::debug!(
            partitions = offsets.len(),
            "consumer dropped without close: committing its stored offsets"
        );
        let _ = self.commands.send(Command::Commit {
            offsets,
            metadata: HashMap::new(),
            reply: None,
        });
    }
}
