//! A group's committed offsets: list, alter and delete them, reset them as
//! `kafka-consumer-groups.sh --reset-offsets` computes it, and the group's
//! lag per partition.

use std::collections::HashMap;

use ferrokafka_protocol::messages::offset_commit::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use ferrokafka_protocol::messages::offset_delete::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use ferrokafka_protocol::messages::offset_fetch::OffsetFetchRequestTopic;
use ferrokafka_protocol::messages::{OffsetCommitRequest, OffsetDeleteRequest, OffsetFetchRequest};
use ferrokafka_protocol::{ApiKey, ErrorCode};

use super::offsets::{group_by_topic, in_order, lookup, unknown_partition, OffsetSpec};
use super::topics::not_answered;
use super::{check, Admin, Outcome, TopicPartition};
use crate::error::{Error, Result};

/// OffsetFetch v8+ and OffsetCommit v10 change shape (groups batched,
/// topics by id); these versions take one group and topic names, and
/// every supported broker serves them.
const MAX_OFFSET_FETCH_VERSION: i16 = 7;
const MAX_OFFSET_COMMIT_VERSION: i16 = 9;

/// A group's committed offset for one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupOffset {
    /// The committed offset (-1: none).
    pub offset: i64,
    /// The leader epoch committed with it, -1 when none.
    pub leader_epoch: i32,
    /// The metadata committed with it.
    pub metadata: Option<String>,
}

/// How [`Admin::reset_group_offsets`] moves a group's offsets (the
/// options of `kafka-consumer-groups.sh --reset-offsets`). Targets are
/// kept within each partition's earliest and latest offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    /// To the earliest offset.
    Earliest,
    /// To the latest offset.
    Latest,
    /// To the first offset at or after a timestamp (ms since the epoch);
    /// the latest offset where none is.
    Timestamp(i64),
    /// By this many offsets from the committed one (negative: back).
    Shift(i64),
    /// To this offset.
    Offset(i64),
}

impl OffsetReset {
    /// `--to-datetime`: a reset to the first offset at or after `datetime`,
    /// `YYYY-MM-DDTHH:mm:SS[.sss]` with an optional `Z` or `±HH:MM` zone
    /// (UTC when none is given).
    pub fn datetime(datetime: &str) -> Result<OffsetReset> {
        parse_datetime(datetime)
            .map(OffsetReset::Timestamp)
            .ok_or_else(|| {
                Error::Config(crate::config::ConfigError::InvalidValue {
                    name: "datetime".into(),
                    value: datetime.into(),
                    reason: "expected YYYY-MM-DDTHH:mm:SS[.sss][Z|±HH:MM]".into(),
                })
            })
    }
}

/// A group's position and lag on one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLag {
    /// The partition.
    pub partition: TopicPartition,
    /// The committed offset, `None` when the group has none.
    pub committed: Option<i64>,
    /// The partition's log end offset (high watermark).
    pub log_end: i64,
    /// `log_end - committed`, `None` without a committed offset.
    pub lag: Option<i64>,
}

impl Admin {
    /// The offsets `group` committed: for `partitions`, or for every
    /// partition it committed to (`None`). Sorted by partition; a
    /// partition asked about with no commit has offset -1.
    pub async fn list_group_offsets(
        &self,
        group: &str,
        partitions: Option<&[TopicPartition]>,
    ) -> Result<Vec<Outcome<TopicPartition, GroupOffset>>> {
        let request = OffsetFetchRequest {
            group_id: group.to_owned(),
            topics: partitions.map(|ps| {
                group_by_topic(ps, |tp| (tp, tp.partition))
                    .into_iter()
                    .map(|(name, partition_indexes)| OffsetFetchRequestTopic {
                        name,
                        partition_indexes,
                        ..Default::default()
                    })
                    .collect()
            }),
            require_stable: true,
            ..Default::default()
        };
        let response = self
            .with_coordinator(0, group, |node| {
                let request = &request;
                async move {
                    let conn = self.cluster.broker(node).await?;
                    let version = conn
                        .version_for(ApiKey::OffsetFetch)?
                        .min(MAX_OFFSET_FETCH_VERSION);
                    let result = conn.send_version(request, version).await;
                    if let Err(e) = &result {
                        self.cluster.connection_failed(&conn, e);
                    }
                    let response = result?;
                    check(response.error_code, None, || format!("OffsetFetch {group}"))?;
                    Ok(response)
                }
            })
            .await?;
        let mut out: Vec<Outcome<TopicPartition, GroupOffset>> = response
            .topics
            .iter()
            .flat_map(|t| {
                t.partitions.iter().map(move |p| {
                    let tp = TopicPartition::new(t.name.clone(), p.partition_index);
                    let result = check(p.error_code, None, || format!("OffsetFetch {group} {tp}"))
                        .map(|()| GroupOffset {
                            offset: p.committed_offset,
                            leader_epoch: p.committed_leader_epoch,
                            metadata: p.metadata.clone(),
                        });
                    Outcome {
                        resource: tp,
                        result,
                    }
                })
            })
            .collect();
        out.sort_by(|a, b| a.resource.cmp(&b.resource));
        Ok(out)
    }

    /// Commits `offsets` for `group` as an admin (outside any generation:
    /// the group must have no active members). One outcome per partition.
    pub async fn alter_group_offsets(
        &self,
        group: &str,
        offsets: &[(TopicPartition, i64)],
    ) -> Result<Vec<Outcome<TopicPartition>>> {
        let request = OffsetCommitRequest {
            group_id: group.to_owned(),
            generation_id_or_member_epoch: -1,
            member_id: String::new(),
            topics: group_by_topic(offsets, |(tp, offset)| {
                (
                    tp,
                    OffsetCommitRequestPartition {
                        partition_index: tp.partition,
                        committed_offset: *offset,
                        ..Default::default()
                    },
                )
            })
            .into_iter()
            .map(|(name, partitions)| OffsetCommitRequestTopic {
                name,
                partitions,
                ..Default::default()
            })
            .collect(),
            ..Default::default()
        };
        let response = self
            .with_coordinator(0, group, |node| {
                let request = &request;
                async move {
                    let conn = self.cluster.broker(node).await?;
                    let version = conn
                        .version_for(ApiKey::OffsetCommit)?
                        .min(MAX_OFFSET_COMMIT_VERSION);
                    let result = conn.send_version(request, version).await;
                    if let Err(e) = &result {
                        self.cluster.connection_failed(&conn, e);
                    }
                    let response = result?;
                    // A moved coordinator answers every partition with it.
                    if let Some(code) = response
                        .topics
                        .iter()
                        .flat_map(|t| &t.partitions)
                        .map(|p| ErrorCode::from_code(p.error_code))
                        .find(|c| c.is_coordinator_error())
                    {
                        return Err(Error::kafka(format!("OffsetCommit {group}"), code.code()));
                    }
                    Ok(response)
                }
            })
            .await?;
        let answers = offsets
            .iter()
            .map(|(tp, _)| {
                let r = response
                    .topics
                    .iter()
                    .filter(|t| t.name == tp.topic)
                    .flat_map(|t| &t.partitions)
                    .find(|p| p.partition_index == tp.partition)
                    .map(|p| check(p.error_code, None, || format!("OffsetCommit {group} {tp}")))
                    .unwrap_or_else(|| Err(not_answered("OffsetCommit", &tp.to_string())));
                (tp.clone(), r)
            })
            .collect();
        Ok(in_order(
            offsets.iter().map(|(tp, _)| tp),
            answers,
            "OffsetCommit",
        ))
    }

    /// Deletes `group`'s committed offsets of `partitions` (the group must
    /// not be subscribed to their topics). One outcome per partition.
    pub async fn delete_group_offsets(
        &self,
        group: &str,
        partitions: &[TopicPartition],
    ) -> Result<Vec<Outcome<TopicPartition>>> {
        let request = OffsetDeleteRequest {
            group_id: group.to_owned(),
            topics: group_by_topic(partitions, |tp| {
                (
                    tp,
                    OffsetDeleteRequestPartition {
                        partition_index: tp.partition,
                        ..Default::default()
                    },
                )
            })
            .into_iter()
            .map(|(name, partitions)| OffsetDeleteRequestTopic {
                name,
                partitions,
                ..Default::default()
            })
            .collect(),
            ..Default::default()
        };
        let response = self
            .with_coordinator(0, group, |node| {
                let request = &request;
                async move {
                    let response = self.cluster.send_to(node, request).await?;
                    check(response.error_code, None, || {
                        format!("OffsetDelete {group}")
                    })?;
                    Ok(response)
                }
            })
            .await?;
        let answers = partitions
            .iter()
            .map(|tp| {
                let r = response
                    .topics
                    .iter()
                    .filter(|t| t.name == tp.topic)
                    .flat_map(|t| &t.partitions)
                    .find(|p| p.partition_index == tp.partition)
                    .map(|p| check(p.error_code, None, || format!("OffsetDelete {group} {tp}")))
                    .unwrap_or_else(|| Err(not_answered("OffsetDelete", &tp.to_string())));
                (tp.clone(), r)
            })
            .collect();
        Ok(in_order(partitions.iter(), answers, "OffsetDelete"))
    }

    /// Where [`Admin::reset_group_offsets`] would move `group` on each of
    /// `partitions` (`--dry-run`): one outcome per partition with its
    /// target offset.
    pub async fn plan_group_offsets_reset(
        &self,
        group: &str,
        partitions: &[TopicPartition],
        reset: OffsetReset,
    ) -> Result<Vec<Outcome<TopicPartition, i64>>> {
        let earliest = self.offsets_map(partitions, OffsetSpec::Earliest).await?;
        let latest = self.offsets_map(partitions, OffsetSpec::Latest).await?;
        let by_time = match reset {
            OffsetReset::Timestamp(ts) => Some(
                self.offsets_map(partitions, OffsetSpec::Timestamp(ts))
                    .await?,
            ),
            _ => None,
        };
        let committed: HashMap<TopicPartition, i64> = match reset {
            OffsetReset::Shift(_) => self
                .list_group_offsets(group, Some(partitions))
                .await?
                .into_iter()
                .filter_map(|o| o.result.ok().map(|g| (o.resource, g.offset)))
                .filter(|(_, offset)| *offset >= 0)
                .collect(),
            _ => HashMap::new(),
        };
        Ok(partitions
            .iter()
            .map(|tp| {
                let result = (|| {
                    let lo = lookup(&earliest, tp)?;
                    let hi = lookup(&latest, tp)?;
                    let target = match reset {
                        OffsetReset::Earliest => lo,
                        OffsetReset::Latest => hi,
                        OffsetReset::Offset(o) => o,
                        OffsetReset::Shift(n) => {
                            // Without a commit Kafka's tool shifts from the
                            // position the group would start at: latest.
                            committed.get(tp).copied().unwrap_or(hi).saturating_add(n)
                        }
                        OffsetReset::Timestamp(_) => {
                            let found = match &by_time {
                                Some(m) => lookup(m, tp)?,
                                None => return Err(unknown_partition("ListOffsets", tp)),
                            };
                            if found < 0 {
                                hi
                            } else {
                                found
                            }
                        }
                    };
                    Ok(target.clamp(lo, hi.max(lo)))
                })();
                Outcome {
                    resource: tp.clone(),
                    result,
                }
            })
            .collect())
    }

    /// Resets `group`'s committed offsets on `partitions` as `reset` says
    /// (`kafka-consumer-groups.sh --reset-offsets --execute`); the group
    /// must have no active members. One outcome per partition with the
    /// offset committed.
    pub async fn reset_group_offsets(
        &self,
        group: &str,
        partitions: &[TopicPartition],
        reset: OffsetReset,
    ) -> Result<Vec<Outcome<TopicPartition, i64>>> {
        let plan = self
            .plan_group_offsets_reset(group, partitions, reset)
            .await?;
        let targets: Vec<(TopicPartition, i64)> = plan
            .iter()
            .filter_map(|o| o.result.as_ref().ok().map(|t| (o.resource.clone(), *t)))
            .collect();
        let mut committed: HashMap<TopicPartition, Result<()>> = if targets.is_empty() {
            HashMap::new()
        } else {
            self.alter_group_offsets(group, &targets)
                .await?
                .into_iter()
                .map(|o| (o.resource, o.result))
                .collect()
        };
        Ok(plan
            .into_iter()
            .map(|o| {
                let result = match o.result {
                    Err(e) => Err(e),
                    Ok(t) => committed
                        .remove(&o.resource)
                        .unwrap_or_else(|| {
                            Err(not_answered("OffsetCommit", &o.resource.to_string()))
                        })
                        .map(|()| t),
                };
                Outcome {
                    resource: o.resource,
                    result,
                }
            })
            .collect())
    }

    /// `group`'s committed offset, the log end offset and the lag of every
    /// partition it committed to, sorted by partition (the LAG column of
    /// `kafka-consumer-groups.sh --describe`).
    pub async fn group_lag(&self, group: &str) -> Result<Vec<PartitionLag>> {
        let committed: Vec<(TopicPartition, i64)> = self
            .list_group_offsets(group, None)
            .await?
            .into_iter()
            .map(|o| o.result.map(|g| (o.resource, g.offset)))
            .collect::<Result<_>>()?;
        let tps: Vec<TopicPartition> = committed.iter().map(|(tp, _)| tp.clone()).collect();
        let latest = self.offsets_map(&tps, OffsetSpec::Latest).await?;
        committed
            .into_iter()
            .map(|(tp, offset)| {
                let log_end = lookup(&latest, &tp)?;
                let committed = (offset >= 0).then_some(offset);
                Ok(PartitionLag {
                    lag: committed.map(|c| (log_end - c).max(0)),
                    partition: tp,
                    committed,
                    log_end,
                })
            })
            .collect()
    }
}

/// Milliseconds since the epoch of `YYYY-MM-DDTHH:mm:SS[.sss][Z|±HH:MM]`.
pub(crate) fn parse_datetime(s: &str) -> Option<i64> {
    let (date, rest) = s.split_once('T')?;
    let mut d = date.split('-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: i64 = d.next()?.parse().ok()?;
    let day: i64 = d.next()?.parse().ok()?;
    if d.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (time, offset_min) = if let Some(t) = rest.strip_suffix('Z') {
        (t, 0)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (t, z) = rest.split_at(i);
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let (h, m) = z[1..].split_once(':')?;
        let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
        (t, sign * (h * 60 + m))
    } else {
        (rest, 0)
    };
    let (hms, frac) = match time.split_once('.') {
        Some((a, b)) => (a, b),
        None => (time, ""),
    };
    let mut t = hms.split(':');
    let h: i64 = t.next()?.parse().ok()?;
    let mi: i64 = t.next()?.parse().ok()?;
    let sec: i64 = t.next().unwrap_or("0").parse().ok()?;
    if t.next().is_some() || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let ms: i64 = if frac.is_empty() {
        0
    } else if frac.len() <= 3 && frac.bytes().all(|b| b.is_ascii_digit()) {
        format!("{frac:0<3}").parse().ok()?
    } else {
        return None;
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi - offset_min) * 60_000 + sec * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_parse_as_kafkas_tool_reads_them() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00"), Some(0));
        assert_eq!(parse_datetime("1970-01-01T00:00:01.5"), Some(1500));
        assert_eq!(
            parse_datetime("2024-02-29T12:34:56.789Z"),
            Some(1_709_210_096_789)
        );
        assert_eq!(
            parse_datetime("2024-02-29T14:34:56.789+02:00"),
            Some(1_709_210_096_789)
        );
        assert_eq!(parse_datetime("2024-13-01T00:00:00"), None);
        assert_eq!(parse_datetime("2024-01-01 00:00:00"), None);
        assert_eq!(parse_datetime("2024-01-01T25:00:00"), None);
        assert!(OffsetReset::datetime("yesterday").is_err());
    }
}
