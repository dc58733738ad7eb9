//! Transactions and producers: list transactions (every broker's
//! coordinator), describe them (at their coordinator), and the producers
//! active on partitions (at each partition's leader).

use std::collections::BTreeMap;

use ferrokafka_protocol::messages::describe_producers::TopicRequest;
use ferrokafka_protocol::messages::{
    DescribeProducersRequest, DescribeTransactionsRequest, ListTransactionsRequest,
};

use super::topics::not_answered;
use super::{check, Admin, Outcome, TopicPartition};
use crate::error::{Error, Result};

/// One transaction of [`Admin::list_transactions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionListing {
    /// The transactional id.
    pub transactional_id: String,
    /// The producer id.
    pub producer_id: i64,
    /// The state (`Ongoing`, `CompleteCommit`, `Empty`, ...).
    pub state: String,
    /// The coordinator's broker id.
    pub coordinator: i32,
}

/// A transaction as [`Admin::describe_transactions`] describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionDescription {
    /// The state.
    pub state: String,
    /// The transaction timeout in ms.
    pub timeout_ms: i32,
    /// When the ongoing transaction started (ms since the epoch), -1 when
    /// none is.
    pub start_time_ms: i64,
    /// The producer id.
    pub producer_id: i64,
    /// The producer epoch.
    pub producer_epoch: i16,
    /// The partitions in the transaction, sorted.
    pub partitions: Vec<TopicPartition>,
    /// The coordinator's broker id.
    pub coordinator: i32,
}

/// A producer active on a partition ([`Admin::describe_producers`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerState {
    /// The producer id.
    pub producer_id: i64,
    /// Its epoch.
    pub producer_epoch: i32,
    /// The last sequence number written, -1 when none.
    pub last_sequence: i32,
    /// The last timestamp written, -1 when none.
    pub last_timestamp: i64,
    /// The epoch of the coordinator that last wrote a marker, -1 when none.
    pub coordinator_epoch: i32,
    /// The first offset of its open transaction, `None` when none is open.
    pub current_txn_start_offset: Option<i64>,
}

impl Admin {
    /// Every transaction the coordinators know, filtered by states
    /// (`Ongoing`, ...) and producer ids when those are not empty, sorted
    /// by transactional id.
    pub async fn list_transactions(
        &self,
        states: &[&str],
        producer_ids: &[i64],
    ) -> Result<Vec<TransactionListing>> {
        let metadata = self.cluster.refresh().await?;
        let brokers: Vec<i32> = metadata.brokers().map(|b| b.node_id).collect();
        let request = ListTransactionsRequest {
            state_filters: states.iter().map(|s| (*s).to_owned()).collect(),
            producer_id_filters: producer_ids.to_vec(),
            ..Default::default()
        };
        let mut out = BTreeMap::new();
        for broker in brokers {
            let response = self.cluster.send_to(broker, &request).await?;
            check(response.error_code, None, || {
                format!("ListTransactions on broker {broker}")
            })?;
            for t in response.transaction_states {
                out.insert(
                    t.transactional_id.clone(),
                    TransactionListing {
                        transactional_id: t.transactional_id,
                        producer_id: t.producer_id,
                        state: t.transaction_state,
                        coordinator: broker,
                    },
                );
            }
        }
        Ok(out.into_values().collect())
    }

    /// Describes the transactions of `ids`, each at its coordinator. One
    /// outcome per id, in order.
    pub async fn describe_transactions<S: AsRef<str>>(
        &self,
        ids: &[S],
    ) -> Result<Vec<Outcome<String, TransactionDescription>>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let id = id.as_ref();
            let request = DescribeTransactionsRequest {
                transactional_ids: vec![id.to_owned()],
                ..Default::default()
            };
            let result = self
                .with_coordinator(1, id, |node| {
                    let request = &request;
                    async move {
                        let response = self.cluster.send_to(node, request).await?;
                        let t = response
                            .transaction_states
                            .into_iter()
                            .find(|t| t.transactional_id == id)
                            .ok_or_else(|| not_answered("DescribeTransactions", id))?;
                        check(t.error_code, None, || format!("DescribeTransactions {id}"))?;
                        let mut partitions: Vec<TopicPartition> = t
                            .topics
                            .iter()
                            .flat_map(|tp| {
                                tp.partitions
                                    .iter()
                                    .map(|p| TopicPartition::new(tp.topic.clone(), *p))
                            })
                            .collect();
                        partitions.sort();
                        Ok(TransactionDescription {
                            state: t.transaction_state,
                            timeout_ms: t.transaction_timeout_ms,
                            start_time_ms: t.transaction_start_time_ms,
                            producer_id: t.producer_id,
                            producer_epoch: t.producer_epoch,
                            partitions,
                            coordinator: node,
                        })
                    }
                })
                .await;
            out.push(Outcome {
                resource: id.to_owned(),
                result,
            });
        }
        Ok(out)
    }

    /// The producers active on each of `partitions`, asked of its leader.
    /// One outcome per partition, in order.
    pub async fn describe_producers(
        &self,
        partitions: &[TopicPartition],
    ) -> Result<Vec<Outcome<TopicPartition, Vec<ProducerState>>>> {
        let leaders = self.leaders(partitions.iter()).await?;
        let mut out = Vec::with_capacity(partitions.len());
        for tp in partitions {
            let result = match leaders.get(tp) {
                None => Err(Error::kafka(
                    format!("DescribeProducers {tp}"),
                    ferrokafka_protocol::ErrorCode::UnknownTopicOrPartition.code(),
                )),
                Some(Err(code)) => Err(Error::kafka(format!("DescribeProducers {tp}"), *code)),
                Some(Ok(leader)) => {
                    let request = DescribeProducersRequest {
                        topics: vec![TopicRequest {
                            name: tp.topic.clone(),
                            partition_indexes: vec![tp.partition],
                            ..Default::default()
                        }],
                        ..Default::default()
                    };
                    let response = self.cluster.send_to(*leader, &request).await?;
                    response
                        .topics
                        .iter()
                        .filter(|t| t.name == tp.topic)
                        .flat_map(|t| &t.partitions)
                        .find(|p| p.partition_index == tp.partition)
                        .map(|p| {
                            check(p.error_code, p.error_message.as_deref(), || {
                                format!("DescribeProducers {tp}")
                            })
                            .map(|()| {
                                p.active_producers
                                    .iter()
                                    .map(|s| ProducerState {
                                        producer_id: s.producer_id,
                                        producer_epoch: s.producer_epoch,
                                        last_sequence: s.last_sequence,
                                        last_timestamp: s.last_timestamp,
                                        coordinator_epoch: s.coordinator_epoch,
                                        current_txn_start_offset: (s.current_txn_start_offset >= 0)
                                            .then_some(s.current_txn_start_offset),
                                    })
                                    .collect()
                            })
                        })
                        .unwrap_or_else(|| Err(not_answered("DescribeProducers", &tp.to_string())))
                }
            };
            out.push(Outcome {
                resource: tp.clone(),
                result,
            });
        }
        Ok(out)
    }
}
