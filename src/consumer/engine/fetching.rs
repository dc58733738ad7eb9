//! Fetching: which partitions go to which leader, one Fetch in flight per
//! broker while the prefetch queue has room, and what each partition's
//! outcome means (records, end of partition, a moved leader, an offset
//! out of range).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use ferrokafka_protocol::records::DecodeOptions;
use ferrokafka_protocol::ErrorCode;
use tracing::{debug, warn};

use super::{split, Engine, Fetched, Internal, PartState, Spec};
use crate::config::IsolationLevel;
use crate::consumer::fetch::{
    fetch, FetchOutcome, FetchParams, FetchReply, FetchTarget, SessionOutcome,
};
use crate::consumer::lookup::Watermarks;
use crate::consumer::ConsumerError;
use crate::error::Result;

impl Engine {
    pub(super) fn start_fetches(&mut self, now: Instant) {
        if self.shared.full() || self.stop_fetching {
            return;
        }
        let metadata = self.cluster.metadata();
        let mut per_broker: HashMap<i32, Vec<FetchTarget>> = HashMap::new();
        let mut need_refresh = false;
        for (tp, p) in &mut self.parts {
            if p.state != PartState::Fetching
                || p.paused
                || p.in_flight
                || p.retry_at.is_some_and(|t| t > now)
                || split::full(&self.splits, tp)
            {
                continue;
            }
            p.retry_at = None;
            match metadata.leader(&tp.0, tp.1) {
                Some((leader, leader_epoch)) => {
                    if self.fetching.contains(&leader) {
                        continue;
                    }
                    per_broker.entry(leader).or_default().push(FetchTarget {
                        tp: tp.clone(),
                        epoch: p.epoch,
                        offset: p.offset,
                        leader_epoch,
                    });
                }
                None => {
                    need_refresh = true;
                    p.retry_at = Some(now + self.config.retry_backoff);
                }
            }
        }
        let params = self.fetch_params();
        for (node, targets) in per_broker {
            for t in &targets {
                if let Some(p) = self.parts.get_mut(&t.tp) {
                    p.in_flight = true;
                }
            }
            self.fetching.insert(node);
            let plan = self.sessions.entry(node).or_default().plan(&targets);
            let cluster = self.cluster.clone();
            let tx = self.internal_tx.clone();
            tokio::spawn(async move {
                let result = fetch(&cluster, node, &targets, plan, params).await;
                let _ = tx.send(Internal::Fetched {
                    node,
                    targets,
                    result,
                });
            });
        }
        if need_refresh {
            self.refresh_metadata();
        }
    }

    pub(super) fn on_fetched(
        &mut self,
        node: i32,
        targets: Vec<FetchTarget>,
        result: Result<FetchReply>,
        now: Instant,
    ) {
        self.fetching.remove(&node);
        if self.stop_fetching {
            // Closing: nobody will read it, and the session it names was
            // closed after it was sent.
            return;
        }
        let session = self.sessions.entry(node).or_default();
        let outcomes = match result {
            Ok(reply) => match session.on_response(reply.error_code, reply.session_id) {
                SessionOutcome::Usable => reply.outcomes,
                // Nothing was fetched; the next fetch is a full one.
                SessionOutcome::Reset => targets.iter().map(|_| FetchOutcome::Missing).collect(),
                SessionOutcome::Error(code) => {
                    targets.iter().map(|_| FetchOutcome::Error(code)).collect()
                }
            },
            Err(e) => {
                session.on_failure();
                debug!(broker = node, error = %e, "fetch failed");
                for t in &targets {
                    if let Some(p) = self.parts.get_mut(&t.tp) {
                        if p.epoch == t.epoch {
                            p.in_flight = false;
                            p.retry_at = Some(now + self.config.retry_backoff);
                        }
                    }
                }
                self.refresh_metadata();
                return;
            }
        };
        let eof_enabled = self.config.enable_partition_eof;
        let mut refresh = false;
        for (t, outcome) in targets.into_iter().zip(outcomes) {
            let Some(p) = self.parts.get_mut(&t.tp) else {
                continue;
            };
            if p.epoch != t.epoch {
                continue;
            }
            p.in_flight = false;
            if p.offset != t.offset || p.state != PartState::Fetching {
                continue;
            }
            match outcome {
                FetchOutcome::Read(r) => {
                    self.shared.set_watermarks(
                        &t.tp,
                        Watermarks {
                            low: r.log_start_offset,
                            high: r.high_watermark,
                            end: r.end_offset,
                        },
                    );
                    self.stats.fetched(&t.tp, &r);
                    p.offset = p.offset.max(r.next_offset);
                    if let Some(at) = r.halt_at {
                        // The records end in an error at `at`: nothing past
                        // it is fetched until the application seeks.
                        warn!(topic = %t.tp.0, partition = t.tp.1, offset = at, "unreadable record batch: the partition stops there until a seek");
                        p.offset = at;
                        p.state = PartState::Failed;
                    }
                    let has_records = !r.records.is_empty();
                    if has_records {
                        p.eof_sent = false;
                    }
                    let eof = eof_enabled
                        && !p.eof_sent
                        && r.halt_at.is_none()
                        && p.offset >= r.end_offset;
                    p.eof_sent |= eof;
                    let offset = p.offset;
                    if has_records {
                        self.shared.queued.fetch_add(r.bytes, Ordering::AcqRel);
                        self.deliver(Fetched::Messages {
                            tp: t.tp.clone(),
                            epoch: t.epoch,
                            records: r.records,
                            bytes: r.bytes,
                        });
                    }
                    if eof {
                        self.deliver(Fetched::Eof {
                            tp: t.tp,
                            epoch: t.epoch,
                            offset,
                        });
                    }
                }
                FetchOutcome::Missing => {}
                FetchOutcome::Error(code) => match ErrorCode::from_code(code) {
                    ErrorCode::OffsetOutOfRange => {
                        warn!(topic = %t.tp.0, partition = t.tp.1, offset = t.offset, "offset out of range: applying auto.offset.reset");
                        self.restart(&t.tp, Spec::Reset);
                    }
                    stale if stale.invalidates_metadata() => {
                        debug!(topic = %t.tp.0, partition = t.tp.1, code, "leader moved; refreshing metadata");
                        p.retry_at = Some(now + self.config.retry_backoff);
                        refresh = true;
                    }
                    other => {
                        let error = ConsumerError::partition(&t.tp.0, t.tp.1, code);
                        if other.is_retriable() {
                            p.retry_at = Some(now + Duration::from_secs(1));
                        } else {
                            p.state = PartState::Failed;
                        }
                        self.deliver(Fetched::Error {
                            tp: t.tp,
                            epoch: t.epoch,
                            error,
                        });
                    }
                },
            }
        }
        if refresh {
            self.refresh_metadata();
        }
    }

    /// Closes every fetch session (best effort, nobody waits): the brokers
    /// free their slots now rather than after the sessions idled out.
    pub(super) fn close_fetch_sessions(&mut self) {
        let params = FetchParams {
            max_wait_ms: 0,
            ..self.fetch_params()
        };
        for (node, session) in &mut self.sessions {
            let Some(plan) = session.close() else {
                continue;
            };
            let (cluster, node) = (self.cluster.clone(), *node);
            tokio::spawn(async move {
                if let Err(e) = fetch(&cluster, node, &[], plan, params).await {
                    debug!(broker = node, error = %e, "closing the fetch session failed");
                }
            });
        }
    }

    fn fetch_params(&self) -> FetchParams {
        FetchParams {
            max_wait_ms: i32::try_from(self.config.fetch_wait_max.as_millis()).unwrap_or(i32::MAX),
            min_bytes: self.config.fetch_min_bytes,
            max_bytes: self.config.fetch_max_bytes,
            partition_max_bytes: self.config.max_partition_fetch_bytes,
            read_committed: self.config.isolation_level == IsolationLevel::ReadCommitted,
            decode: DecodeOptions {
                max_decompressed: self.config.decompressed_batch_max_bytes,
                check_crc: true,
            },
        }
    }

    pub(super) fn refresh_metadata(&mut self) {
        if self.refreshing {
            return;
        }
        self.refreshing = true;
        let cluster = self.cluster.clone();
        let tx = self.internal_tx.clone();
        tokio::spawn(async move {
            if let Err(e) = cluster.refresh().await {
                debug!(error = %e, "metadata refresh failed");
            }
            let _ = tx.send(Internal::MetadataRefreshed);
        });
    }

    /// Tells the application, once per partition, that its topic is gone.
    pub(super) fn report_unknown_topics(&mut self) {
        let metadata = self.cluster.metadata();
        let mut reported = Vec::new();
        for (tp, p) in &mut self.parts {
            let unknown = metadata
                .topic(&tp.0)
                .is_some_and(|t| t.error == ErrorCode::UnknownTopicOrPartition);
            if unknown && !p.unknown_reported {
                p.unknown_reported = true;
                reported.push(Fetched::Error {
                    tp: tp.clone(),
                    epoch: p.epoch,
                    error: ConsumerError::UnknownTopic {
                        topic: tp.0.to_string(),
                    },
                });
            }
        }
        for item in reported {
            self.deliver(item);
        }
    }
}
