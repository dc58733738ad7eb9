//! What the consumer asks the brokers outside the engine: offsets by
//! timestamp ([`Consumer::offsets_for_times`]) and a partition's
//! watermarks ([`Consumer::fetch_watermarks`]); and what it reads from the
//! watermarks its fetches brought back ([`Consumer::get_watermark_offsets`],
//! [`Consumer::lag`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ferrokafka_protocol::messages::list_offsets::{ListOffsetsPartition, ListOffsetsTopic};
use ferrokafka_protocol::messages::ListOffsetsRequest;
use ferrokafka_protocol::ErrorCode;
use tracing::debug;

use super::offsets::{EARLIEST, LATEST};
use super::{Consumer, TopicPartition, Tp};
use crate::cluster::Cluster;
use crate::config::IsolationLevel;
use crate::error::{Error, Result};

/// A partition's offsets as the last fetch from it saw them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermarks {
    /// The log start offset: the oldest offset still in the log.
    pub low: i64,
    /// The high watermark: the offset after the last replicated record.
    pub high: i64,
    /// Where this consumer's reading ends: the last stable offset under
    /// `isolation.level=read_committed`, else the high watermark.
    pub end: i64,
}

impl Consumer {
    /// The offset of the first record of each partition whose timestamp is
    /// at or after the given timestamp (milliseconds since the epoch), as
    /// confluent-kafka's `offsets_for_times`; `None` where no record is that
    /// new. Asks each partition's leader (ListOffsets), honouring
    /// `isolation.level`. Works on any partition, assigned or not.
    ///
    /// ```no_run
    /// # async fn f(consumer: &mut ferrokafka::consumer::Consumer) -> ferrokafka::error::Result<()> {
    /// use std::time::Duration;
    /// use ferrokafka::consumer::Offset;
    /// let an_hour_ago = 1_700_000_000_000;
    /// let found = consumer
    ///     .offsets_for_times(&[("events", 0, an_hour_ago)], Duration::from_secs(10))
    ///     .await?;
    /// if let Some(offset) = found[0].1 {
    ///     consumer.seek("events", 0, Offset::At(offset))?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn offsets_for_times(
        &self,
        timestamps: &[(&str, i32, i64)],
        timeout: Duration,
    ) -> Result<Vec<(TopicPartition, Option<i64>)>> {
        let asked: Vec<(Tp, i64)> = timestamps
            .iter()
            .map(|(t, p, ts)| ((Arc::from(*t), *p), *ts))
            .collect();
        let found = self.list_offsets(&asked, timeout).await?;
        Ok(asked
            .iter()
            .map(|(tp, ts)| {
                let o = found.get(&(tp.clone(), *ts)).copied().filter(|o| *o >= 0);
                (TopicPartition::from_tp(tp), o)
            })
            .collect())
    }

    /// Asks the partition's leader for its low and high watermarks (the
    /// oldest offset in the log, and the offset after the newest), as
    /// rust-rdkafka's `fetch_watermarks`. The high watermark is the last
    /// stable offset under `isolation.level=read_committed`.
    ///
    /// ```no_run
    /// # async fn f(consumer: &ferrokafka::consumer::Consumer) -> ferrokafka::error::Result<()> {
    /// use std::time::Duration;
    /// let (low, high) = consumer.fetch_watermarks("events", 0, Duration::from_secs(10)).await?;
    /// println!("{} records in events [0]", high - low);
    /// # Ok(()) }
    /// ```
    pub async fn fetch_watermarks(
        &self,
        topic: &str,
        partition: i32,
        timeout: Duration,
    ) -> Result<(i64, i64)> {
        let tp: Tp = (Arc::from(topic), partition);
        let (low_asked, high_asked) = ([(tp.clone(), EARLIEST)], [(tp.clone(), LATEST)]);
        let low = self.list_offsets(&low_asked, timeout);
        let high = self.list_offsets(&high_asked, timeout);
        let (low, high) = tokio::join!(low, high);
        let missing = || {
            Error::kafka(
                format!("ListOffsets {topic} [{partition}]"),
                ErrorCode::UnknownTopicOrPartition.code(),
            )
        };
        let low = low?.get(&low_asked[0]).copied().ok_or_else(missing)?;
        let high = high?.get(&high_asked[0]).copied().ok_or_else(missing)?;
        Ok((low, high))
    }

    /// The watermarks of an assigned partition as its last fetch saw them,
    /// without asking the broker (librdkafka's `get_watermark_offsets`);
    /// `None` before the first fetch answered. See
    /// [`Consumer::fetch_watermarks`] to ask the broker.
    ///
    /// ```no_run
    /// # fn f(consumer: &ferrokafka::consumer::Consumer) {
    /// if let Some(w) = consumer.get_watermark_offsets("events", 0) {
    ///     println!("events [0]: {}..{}", w.low, w.high);
    /// }
    /// # }
    /// ```
    pub fn get_watermark_offsets(&self, topic: &str, partition: i32) -> Option<Watermarks> {
        let tp: Tp = (Arc::from(topic), partition);
        self.parts.get(&tp)?;
        self.shared.watermarks(&tp)
    }

    /// Each assigned partition's lag: how many offsets lie between its
    /// position (the next message handed out) and its end as the last
    /// fetch saw it (the last stable offset under read_committed, else the
    /// high watermark); `None` while either is unknown. Transaction
    /// markers count as offsets, as in every Kafka client.
    ///
    /// ```no_run
    /// # fn f(consumer: &ferrokafka::consumer::Consumer) {
    /// for (tp, lag) in consumer.lag() {
    ///     println!("{} [{}]: {lag:?} behind", tp.topic, tp.partition);
    /// }
    /// # }
    /// ```
    pub fn lag(&self) -> Vec<(TopicPartition, Option<i64>)> {
        let mut v: Vec<_> = self
            .parts
            .iter()
            .map(|(tp, p)| {
                let end = self.shared.watermarks(tp).map(|w| w.end);
                let lag = match (end, p.position()) {
                    (Some(end), Some(pos)) => Some((end - pos).max(0)),
                    _ => None,
                };
                (TopicPartition::from_tp(tp), lag)
            })
            .collect();
        v.sort();
        v
    }

    async fn list_offsets(
        &self,
        asked: &[(Tp, i64)],
        timeout: Duration,
    ) -> Result<HashMap<(Tp, i64), i64>> {
        let read_committed = self.config.isolation_level == IsolationLevel::ReadCommitted;
        let backoff = self.config.retry_backoff;
        let cluster = &self.cluster;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let attempt =
                tokio::time::timeout_at(deadline, list_offsets(cluster, asked, read_committed));
            let e = match attempt.await {
                Ok(Ok(found)) => return Ok(found),
                Ok(Err(e)) if e.is_retriable() => e,
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    return Err(Error::Timeout {
                        what: "ListOffsets".into(),
                        timeout_ms: timeout.as_millis() as u64,
                    })
                }
            };
            // Retriable (a leader moved, a topic still being created):
            // once the time is up, the broker's last answer is the news.
            if tokio::time::Instant::now() + backoff >= deadline {
                return Err(e);
            }
            debug!(error = %e, "ListOffsets failed; refreshing metadata and retrying");
            tokio::time::sleep(backoff).await;
            let _ = cluster.refresh().await;
        }
    }
}

/// The offsets of `asked` (each a partition and a timestamp, or
/// [`EARLIEST`] / [`LATEST`]), one ListOffsets per leader. An offset of -1
/// means no record at or after the timestamp. The first partition error
/// fails the whole lookup (its Kafka code says whether to retry).
pub(crate) async fn list_offsets(
    cluster: &Cluster,
    asked: &[(Tp, i64)],
    read_committed: bool,
) -> Result<HashMap<(Tp, i64), i64>> {
    // A request may name a partition once (INVALID_REQUEST otherwise):
    // the same partition at two timestamps goes in two rounds.
    let mut rounds: Vec<Vec<&(Tp, i64)>> = Vec::new();
    for a in asked {
        match rounds.iter_mut().find(|r| r.iter().all(|b| b.0 != a.0)) {
            Some(r) => r.push(a),
            None => rounds.push(vec![a]),
        }
    }
    let mut found = HashMap::new();
    for round in rounds {
        list_offsets_once(cluster, &round, read_committed, &mut found).await?;
    }
    Ok(found)
}

/// One round of [`list_offsets`]: each partition named once.
async fn list_offsets_once(
    cluster: &Cluster,
    asked: &[&(Tp, i64)],
    read_committed: bool,
    found: &mut HashMap<(Tp, i64), i64>,
) -> Result<()> {
    let mut by_leader: HashMap<i32, Vec<ListOffsetsTopic>> = HashMap::new();
    let mut timestamps: HashMap<&Tp, i64> = HashMap::new();
    for (tp, timestamp) in asked.iter().copied() {
        timestamps.insert(tp, *timestamp);
        let topic = cluster.topic(&tp.0).await?;
        if topic.error != ErrorCode::None {
            return Err(Error::kafka(
                format!("Metadata for {}", tp.0),
                topic.error.code(),
            ));
        }
        let (leader, leader_epoch) = cluster.metadata().leader(&tp.0, tp.1).ok_or_else(|| {
            Error::kafka(
                format!("ListOffsets {} [{}]", tp.0, tp.1),
                ErrorCode::LeaderNotAvailable.code(),
            )
        })?;
        let p = ListOffsetsPartition {
            partition_index: tp.1,
            current_leader_epoch: leader_epoch,
            timestamp: *timestamp,
            ..Default::default()
        };
        let topics = by_leader.entry(leader).or_default();
        match topics.iter_mut().find(|t| *t.name == *tp.0) {
            Some(t) => t.partitions.push(p),
            None => topics.push(ListOffsetsTopic {
                name: tp.0.to_string(),
                partitions: vec![p],
                ..Default::default()
            }),
        }
    }
    for (leader, topics) in by_leader {
        let request = ListOffsetsRequest {
            replica_id: -1,
            isolation_level: i8::from(read_committed),
            topics,
            timeout_ms: 30_000,
            ..Default::default()
        };
        let r = cluster.send_to(leader, &request).await?;
        for t in &r.topics {
            for p in &t.partitions {
                if p.error_code != 0 {
                    return Err(Error::kafka(
                        format!("ListOffsets {} [{}]", t.name, p.partition_index),
                        p.error_code,
                    ));
                }
                let tp: Tp = (Arc::from(t.name.as_str()), p.partition_index);
                // Only what was asked: a stray partition in the answer is
                // not taken for another.
                if let Some(ts) = timestamps.get(&tp) {
                    found.insert((tp, *ts), p.offset);
                }
            }
        }
    }
    Ok(())
}
