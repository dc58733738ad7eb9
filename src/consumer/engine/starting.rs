//! Starting partitions: the committed offset (OffsetFetch) or, without
//! one, `auto.offset.reset` (ListOffsets); retriable failures are retried
//! after a backoff, the rest reported to the application.

use std::collections::HashMap;
use std::time::Duration;

use ferrokafka_protocol::ErrorCode;
use tracing::debug;

use super::{Engine, Event, Fetched, Internal, PartState, Spec};
use crate::config::{AutoOffsetReset, IsolationLevel};
use crate::consumer::offsets::{self, EARLIEST, LATEST};
use crate::consumer::{ConsumerError, Tp};
use crate::error::Error;

impl Engine {
    pub(super) fn spawn_resolve(&self, tps: Vec<(Tp, u64)>, spec: Spec) {
        let cluster = self.cluster.clone();
        let group_id = self.config.group_id.clone();
        let coordinator = self.coordinator;
        let policy = self.config.auto_offset_reset;
        let read_committed = self.config.isolation_level == IsolationLevel::ReadCommitted;
        let backoff = self.config.retry_backoff;
        let tx = self.internal_tx.clone();
        tokio::spawn(async move {
            let mut results = Vec::with_capacity(tps.len());
            let mut stored: HashMap<Tp, Option<i64>> = HashMap::new();
            if spec == Spec::Stored {
                if let Some(g) = &group_id {
                    let list: Vec<Tp> = tps.iter().map(|(tp, _)| tp.clone()).collect();
                    match offsets::committed(&cluster, coordinator, g, &list, backoff).await {
                        Ok(found) => stored.extend(found),
                        Err(e) => {
                            for (tp, epoch) in tps {
                                results.push((tp, epoch, Err(clone_error(&e))));
                            }
                            let _ = tx.send(Internal::Resolved(results));
                            return;
                        }
                    }
                }
            }
            for (tp, epoch) in tps {
                if let Some(Some(o)) = stored.get(&tp) {
                    results.push((tp, epoch, Ok(*o)));
                    continue;
                }
                let timestamp = match spec {
                    Spec::Earliest => EARLIEST,
                    Spec::Latest => LATEST,
                    Spec::At(o) => {
                        results.push((tp, epoch, Ok(o)));
                        continue;
                    }
                    Spec::Stored | Spec::Reset => match policy {
                        AutoOffsetReset::Earliest => EARLIEST,
                        AutoOffsetReset::Latest => LATEST,
                        AutoOffsetReset::Error => {
                            let e = ConsumerError::NoOffset {
                                topic: tp.0.to_string(),
                                partition: tp.1,
                            };
                            results.push((tp, epoch, Err(e)));
                            continue;
                        }
                    },
                };
                let r = offsets::list_offset(&cluster, &tp, timestamp, read_committed)
                    .await
                    .map_err(|e| match e.kafka_code() {
                        Some(ErrorCode::UnknownTopicOrPartition) => ConsumerError::UnknownTopic {
                            topic: tp.0.to_string(),
                        },
                        _ => ConsumerError::from(e),
                    });
                results.push((tp, epoch, r));
            }
            let _ = tx.send(Internal::Resolved(results));
        });
    }

    pub(super) fn on_resolved(
        &mut self,
        results: Vec<(Tp, u64, std::result::Result<i64, ConsumerError>)>,
    ) {
        let mut retry = Vec::new();
        for (tp, epoch, result) in results {
            let Some(p) = self.parts.get_mut(&tp) else {
                continue;
            };
            if p.epoch != epoch {
                continue;
            }
            match result {
                Ok(offset) => {
                    debug!(topic = %tp.0, partition = tp.1, offset, "starting");
                    p.offset = offset;
                    p.start = offset;
                    p.state = PartState::Fetching;
                    let started = (!p.paused).then_some((epoch, offset));
                    self.split_started(&tp, started);
                    let _ = self.events.send(Event::Started { tp, epoch, offset });
                }
                Err(e) if e.is_retriable() => {
                    let report = match &e {
                        ConsumerError::UnknownTopic { .. } => {
                            !std::mem::replace(&mut p.unknown_reported, true)
                        }
                        _ => false,
                    };
                    debug!(topic = %tp.0, partition = tp.1, error = %e, "retrying the start offset");
                    if report {
                        self.deliver(Fetched::Error {
                            tp: tp.clone(),
                            epoch,
                            error: e,
                        });
                    }
                    retry.push(tp);
                }
                Err(e) => {
                    p.state = PartState::Failed;
                    self.deliver(Fetched::Error {
                        tp,
                        epoch,
                        error: e,
                    });
                }
            }
        }
        if !retry.is_empty() {
            let backoff = self.config.retry_backoff.max(Duration::from_millis(500));
            let tx = self.internal_tx.clone();
            let list: Vec<(Tp, u64)> = retry
                .into_iter()
                .filter_map(|tp| self.parts.get(&tp).map(|p| (tp, p.epoch)))
                .collect();
            tokio::spawn(async move {
                tokio::time::sleep(backoff).await;
                let _ = tx.send(Internal::RetryResolve(list));
            });
        }
    }
}

/// Errors are not `Clone` (they carry `io::Error`); one failed lookup is
/// reported to every partition it covered: Kafka errors as they are,
/// anything else (the network) as a retriable error with its message.
fn clone_error(e: &Error) -> ConsumerError {
    match e {
        Error::Kafka { context, source } => ConsumerError::Client(Error::Kafka {
            context: context.clone(),
            source: *source,
        }),
        Error::Config(c) => ConsumerError::Client(Error::Config(c.clone())),
        other => ConsumerError::Client(Error::NoBrokerAvailable {
            last_error: other.to_string(),
        }),
    }
}
