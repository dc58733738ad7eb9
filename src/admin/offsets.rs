//! Records: list a partition's offsets (earliest, latest, by timestamp,
//! max timestamp) and delete records before an offset, each at the
//! partition's leader; the helpers the group-offset calls share.

use std::collections::{BTreeMap, HashMap};

use ferrokafka_protocol::messages::delete_records::{DeleteRecordsPartition, DeleteRecordsTopic};
use ferrokafka_protocol::messages::list_offsets::{ListOffsetsPartition, ListOffsetsTopic};
use ferrokafka_protocol::messages::{DeleteRecordsRequest, ListOffsetsRequest};
use ferrokafka_protocol::ErrorCode;

use super::topics::not_answered;
use super::{check, Admin, Outcome, TopicPartition};
use crate::error::{Error, Result};

/// Rounds of a per-leader request whose leaders moved.
const LEADER_TRIES: usize = 3;

/// Which offset of a partition [`Admin::list_offsets`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The first offset still in the log (the log start offset).
    Earliest,
    /// The offset the next record will get (the high watermark; with
    /// `read_committed`, the last stable offset).
    Latest,
    /// The offset of the record with the highest timestamp (ListOffsets v7+).
    MaxTimestamp,
    /// The first offset whose record's timestamp is at or after this one
    /// (ms since the epoch); -1 as the offset when there is none.
    Timestamp(i64),
}

impl OffsetSpec {
    fn timestamp(self) -> i64 {
        match self {
            OffsetSpec::Earliest => -2,
            OffsetSpec::Latest => -1,
            OffsetSpec::MaxTimestamp => -3,
            OffsetSpec::Timestamp(t) => t,
        }
    }
}

/// One partition's answer to [`Admin::list_offsets`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionOffset {
    /// The offset; -1 when no record matches a timestamp.
    pub offset: i64,
    /// The record's timestamp, -1 when the spec has none.
    pub timestamp: i64,
    /// The leader epoch of that offset, -1 when unknown.
    pub leader_epoch: i32,
}

impl Admin {
    /// The offsets `spec` names for each partition, asked of each
    /// partition's leader (`read_committed`: up to the last stable offset).
    /// One outcome per partition, in order.
    pub async fn list_offsets(
        &self,
        partitions: &[(TopicPartition, OffsetSpec)],
        read_committed: bool,
    ) -> Result<Vec<Outcome<TopicPartition, PartitionOffset>>> {
        let mut answers: Vec<Option<Result<PartitionOffset>>> =
            partitions.iter().map(|_| None).collect();
        let mut pending: Vec<usize> = (0..partitions.len()).collect();
        for round in 0..LEADER_TRIES {
            let leaders = self
                .leaders(pending.iter().map(|i| &partitions[*i].0))
                .await?;
            let mut by_leader: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
            for i in pending.drain(..) {
                let tp = &partitions[i].0;
                match leaders.get(tp) {
                    Some(Ok(leader)) => by_leader.entry(*leader).or_default().push(i),
                    Some(Err(code)) => {
                        answers[i] = Some(Err(Error::kafka(format!("ListOffsets {tp}"), *code)));
                    }
                    None => answers[i] = Some(Err(unknown_partition("ListOffsets", tp))),
                }
            }
            for (leader, mut items) in by_leader {
                // A request names each partition once: a partition asked
                // with several specs goes in several requests.
                while !items.is_empty() {
                    let mut batch: Vec<usize> = Vec::new();
                    let mut later: Vec<usize> = Vec::new();
                    for i in items.drain(..) {
                        if batch.iter().any(|b| partitions[*b].0 == partitions[i].0) {
                            later.push(i);
                        } else {
                            batch.push(i);
                        }
                    }
                    items = later;
                    let asked: Vec<(TopicPartition, OffsetSpec)> =
                        batch.iter().map(|i| partitions[*i].clone()).collect();
                    let request = ListOffsetsRequest {
                        replica_id: -1,
                        isolation_level: i8::from(read_committed),
                        topics: group_by_topic(&asked, |(tp, spec)| {
                            (
                                tp,
                                ListOffsetsPartition {
                                    partition_index: tp.partition,
                                    timestamp: spec.timestamp(),
                                    ..Default::default()
                                },
                            )
                        })
                        .into_iter()
                        .map(|(name, partitions)| ListOffsetsTopic {
                            name,
                            partitions,
                            ..Default::default()
                        })
                        .collect(),
                        timeout_ms: self.timeout_ms(),
                        ..Default::default()
                    };
                    let response = match self.cluster.send_to(leader, &request).await {
                        Ok(r) => r,
                        Err(e) if e.is_retriable() && round + 1 < LEADER_TRIES => {
                            pending.extend(batch);
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    for i in batch {
                        let tp = &partitions[i].0;
                        let answer = response
                            .topics
                            .iter()
                            .filter(|t| t.name == tp.topic)
                            .flat_map(|t| &t.partitions)
                            .find(|p| p.partition_index == tp.partition);
                        match answer {
                            None => {
                                answers[i] =
                                    Some(Err(not_answered("ListOffsets", &tp.to_string())));
                            }
                            Some(p)
                                if ErrorCode::from_code(p.error_code).invalidates_metadata()
                                    && round + 1 < LEADER_TRIES =>
                            {
                                pending.push(i);
                            }
                            Some(p) => {
                                answers[i] = Some(
                                    check(p.error_code, None, || format!("ListOffsets {tp}")).map(
                                        |()| PartitionOffset {
                                            offset: p.offset,
                                            timestamp: p.timestamp,
                                            leader_epoch: p.leader_epoch,
                                        },
                                    ),
                                );
                            }
                        }
                    }
                }
            }
            if pending.is_empty() {
                break;
            }
            self.cluster.refresh().await?;
        }
        Ok(partitions
            .iter()
            .zip(answers)
            .map(|((tp, _), answer)| Outcome {
                resource: tp.clone(),
                result: answer.unwrap_or_else(|| Err(not_answered("ListOffsets", &tp.to_string()))),
            })
            .collect())
    }

    /// Deletes every record before each partition's given offset (-1: the
    /// high watermark), on each partition's leader. Each outcome carries
    /// the partition's new low watermark.
    pub async fn delete_records(
        &self,
        before: &[(TopicPartition, i64)],
    ) -> Result<Vec<Outcome<TopicPartition, i64>>> {
        let leaders = self.leaders(before.iter().map(|(tp, _)| tp)).await?;
        let mut answers: HashMap<TopicPartition, Result<i64>> = HashMap::new();
        let mut by_leader: BTreeMap<i32, Vec<(TopicPartition, i64)>> = BTreeMap::new();
        for (tp, offset) in before {
            match leaders.get(tp) {
                Some(Ok(leader)) => by_leader
                    .entry(*leader)
                    .or_default()
                    .push((tp.clone(), *offset)),
                Some(Err(code)) => {
                    answers.insert(
                        tp.clone(),
                        Err(Error::kafka(format!("DeleteRecords {tp}"), *code)),
                    );
                }
                None => {
                    answers.insert(tp.clone(), Err(unknown_partition("DeleteRecords", tp)));
                }
            }
        }
        for (leader, parts) in by_leader {
            let request = DeleteRecordsRequest {
                topics: group_by_topic(&parts, |(tp, offset)| {
                    (
                        tp,
                        DeleteRecordsPartition {
                            partition_index: tp.partition,
                            offset: *offset,
                            ..Default::default()
                        },
                    )
                })
                .into_iter()
                .map(|(name, partitions)| DeleteRecordsTopic {
                    name,
                    partitions,
                    ..Default::default()
                })
                .collect(),
                timeout_ms: self.timeout_ms(),
                ..Default::default()
            };
            let response = self.cluster.send_to(leader, &request).await?;
            for (tp, _) in parts {
                let r = response
                    .topics
                    .iter()
                    .filter(|t| t.name == tp.topic)
                    .flat_map(|t| &t.partitions)
                    .find(|p| p.partition_index == tp.partition)
                    .map(|p| {
                        check(p.error_code, None, || format!("DeleteRecords {tp}"))
                            .map(|()| p.low_watermark)
                    })
                    .unwrap_or_else(|| Err(not_answered("DeleteRecords", &tp.to_string())));
                answers.insert(tp, r);
            }
        }
        Ok(in_order(
            before.iter().map(|(tp, _)| tp),
            answers,
            "DeleteRecords",
        ))
    }

    /// Each partition's offset for `spec`, keyed by partition.
    pub(super) async fn offsets_map(
        &self,
        partitions: &[TopicPartition],
        spec: OffsetSpec,
    ) -> Result<HashMap<TopicPartition, Result<i64>>> {
        let asked: Vec<(TopicPartition, OffsetSpec)> =
            partitions.iter().map(|tp| (tp.clone(), spec)).collect();
        Ok(self
            .list_offsets(&asked, false)
            .await?
            .into_iter()
            .map(|o| (o.resource, o.result.map(|p| p.offset)))
            .collect())
    }

    /// Each partition's leader, or its error code, from a fresh Metadata.
    pub(super) async fn leaders<'a>(
        &self,
        partitions: impl Iterator<Item = &'a TopicPartition>,
    ) -> Result<HashMap<TopicPartition, std::result::Result<i32, i16>>> {
        let mut topics: Vec<String> = partitions.map(|tp| tp.topic.clone()).collect();
        topics.sort();
        topics.dedup();
        if topics.is_empty() {
            return Ok(HashMap::new());
        }
        let response = self.metadata(Some(&topics)).await?;
        let mut out = HashMap::new();
        for t in &response.topics {
            let Some(name) = &t.name else { continue };
            for p in &t.partitions {
                let v = if p.leader_id >= 0 {
                    Ok(p.leader_id)
                } else if p.error_code != 0 {
                    Err(p.error_code)
                } else {
                    Err(ErrorCode::LeaderNotAvailable.code())
                };
                let v = match (t.error_code, v) {
                    (0, v) => v,
                    (code, _) => Err(code),
                };
                out.insert(TopicPartition::new(name.clone(), p.partition_index), v);
            }
        }
        Ok(out)
    }
}

/// `tp`'s offset in `m`, or its error (copied: one answer may serve
/// several callers).
pub(super) fn lookup(m: &HashMap<TopicPartition, Result<i64>>, tp: &TopicPartition) -> Result<i64> {
    match m.get(tp) {
        Some(Ok(v)) => Ok(*v),
        Some(Err(Error::Kafka { context, source })) => Err(Error::Kafka {
            context: context.clone(),
            source: *source,
        }),
        Some(Err(e)) => Err(Error::kafka(
            e.to_string(),
            ErrorCode::UnknownServerError.code(),
        )),
        None => Err(unknown_partition("ListOffsets", tp)),
    }
}

/// UNKNOWN_TOPIC_OR_PARTITION for `tp`.
pub(super) fn unknown_partition(api: &str, tp: &TopicPartition) -> Error {
    Error::kafka(
        format!("{api} {tp}"),
        ErrorCode::UnknownTopicOrPartition.code(),
    )
}

/// `items` grouped by topic, in topic order, each mapped by `f` to its
/// topic partition and the request's partition entry.
pub(super) fn group_by_topic<'a, I: 'a, P>(
    items: &'a [I],
    f: impl Fn(&'a I) -> (&'a TopicPartition, P),
) -> Vec<(String, Vec<P>)> {
    let mut out: BTreeMap<String, Vec<P>> = BTreeMap::new();
    for item in items {
        let (tp, p) = f(item);
        out.entry(tp.topic.clone()).or_default().push(p);
    }
    out.into_iter().collect()
}

/// The answers in the order asked (a partition asked twice gets the same
/// answer's error text; its value once).
pub(super) fn in_order<'a, T>(
    asked: impl Iterator<Item = &'a TopicPartition>,
    mut answers: HashMap<TopicPartition, Result<T>>,
    api: &str,
) -> Vec<Outcome<TopicPartition, T>> {
    asked
        .map(|tp| Outcome {
            resource: tp.clone(),
            result: answers
                .remove(tp)
                .unwrap_or_else(|| Err(not_answered(api, &tp.to_string()))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_group_partitions_by_topic() {
        let tps = [
            TopicPartition::new("b", 1),
            TopicPartition::new("a", 0),
            TopicPartition::new("b", 0),
        ];
        let grouped = group_by_topic(&tps, |tp| (tp, tp.partition));
        assert_eq!(
            grouped,
            vec![("a".to_owned(), vec![0]), ("b".to_owned(), vec![1, 0])]
        );
    }
}
