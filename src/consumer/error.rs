//! What `poll` can hand out instead of a message: the end-of-partition
//! event, or an error the application should know about.

use ferrokafka_protocol::{ErrorCode, KafkaError};

use crate::error::Error;

/// An event or error from [`Consumer::poll`](super::Consumer::poll) (or a
/// [`PartitionQueue`](super::PartitionQueue)).
///
/// [`ConsumerError::PartitionEof`] is not a failure: it says the consumer
/// caught up with a partition (confluent-kafka's `_PARTITION_EOF`); tell it
/// apart with [`ConsumerError::is_partition_eof`].
///
/// ```
/// use ferrokafka::consumer::ConsumerError;
///
/// let eof = ConsumerError::PartitionEof { topic: "t".into(), partition: 0, offset: 5 };
/// assert!(eof.is_partition_eof());
/// assert_eq!(eof.to_string(), "t [0] reached end at offset 5");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsumerError {
    /// The consumer reached the end of a partition (its high watermark, or
    /// its last stable offset under read_committed). Sent once each time
    /// the end is reached, only with `enable.partition.eof=true`.
    #[error("{topic} [{partition}] reached end at offset {offset}")]
    PartitionEof {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The end offset: where the next record will be.
        offset: i64,
    },
    /// A rebalance took the partition of a
    /// [`PartitionQueue`](super::PartitionQueue) away from this consumer:
    /// the queue hands out nothing more of it until it is assigned here
    /// again. An event, not a failure (only partition queues yield it).
    /// `lost`: the consumer lost the partition (it fell out of the group)
    /// and its offsets were not committed; otherwise what the queue handed
    /// out was committed first (with auto commit).
    #[error("{topic} [{partition}] {}", if *lost { "lost" } else { "revoked" })]
    PartitionRevoked {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// Lost rather than revoked in an orderly rebalance.
        lost: bool,
    },
    /// A subscribed or assigned topic does not exist (and is not created
    /// automatically). The consumer keeps checking for it.
    #[error("topic {topic:?} does not exist")]
    UnknownTopic {
        /// The topic.
        topic: String,
    },
    /// A partition has no committed offset (or it is out of range) and
    /// `auto.offset.reset=error`.
    #[error("{topic} [{partition}]: no valid offset to start from and auto.offset.reset=error")]
    NoOffset {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
    },
    /// The broker refused a partition with an error no retry fixes
    /// (authorization, corrupt data...).
    #[error("{topic} [{partition}]: {source}")]
    Partition {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The Kafka error.
        #[source]
        source: KafkaError,
    },
    /// A record batch the consumer cannot read: corrupt bytes, a codec
    /// failure, a batch decompressing past `decompressed.batch.max.bytes`,
    /// or a message format older than v2. The partition stops at `offset`
    /// (nothing past it is handed out, nothing is fetched again): the
    /// records before it were delivered, and the position (and what a
    /// commit stores) is `offset`. To skip the batch, seek past it:
    /// `consumer.seek(topic, partition, Offset::At(next_offset))`, with
    /// `offset + 1` when `next_offset` is unknown (the batch header itself
    /// was unreadable). To read it, raise the setting that refused it and
    /// seek to `offset`.
    #[error(
        "{topic} [{partition}] offset {offset}: cannot read record batch: {source} \
         (seek to {} to skip it)", next_offset.unwrap_or(offset.saturating_add(1))
    )]
    CorruptBatch {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// Where the batch starts (or, under the fetch offset, where
        /// reading stopped).
        offset: i64,
        /// The offset after the batch, when its header could be read.
        next_offset: Option<i64>,
        /// What was wrong with it.
        #[source]
        source: ferrokafka_protocol::DecodeError,
    },
    /// The application did not poll within `max.poll.interval.ms`: the
    /// consumer left its group and lost its partitions. Polling again
    /// rejoins.
    #[error("max.poll.interval.ms ({max_poll_interval_ms} ms) exceeded: left the group, partitions lost")]
    MaxPollIntervalExceeded {
        /// The interval.
        max_poll_interval_ms: u64,
    },
    /// The group coordinator refused this member for good (invalid group
    /// id, authorization, fenced instance id...). The consumer is no
    /// longer in the group.
    #[error("group {group_id:?}: {source}")]
    Group {
        /// The group.
        group_id: String,
        /// The Kafka error.
        #[source]
        source: KafkaError,
    },
    /// `group.protocol=consumer`, but the group coordinator does not speak
    /// the KIP-848 protocol (ConsumerGroupHeartbeat, API key 68): Kafka
    /// before 4.0, a broker with it disabled, or Redpanda. Not retriable.
    #[error("group {group_id:?}: the broker {detail}; it does not support group.protocol=consumer (KIP-848, ConsumerGroupHeartbeat): use group.protocol=classic")]
    GroupProtocolUnsupported {
        /// The group.
        group_id: String,
        /// What the broker said (no API key 68, or UNSUPPORTED_VERSION).
        detail: String,
    },
    /// A client error (network, configuration, closed consumer...).
    #[error(transparent)]
    Client(#[from] Error),
}

impl ConsumerError {
    /// Whether this is the end-of-partition event rather than an error.
    pub fn is_partition_eof(&self) -> bool {
        matches!(self, ConsumerError::PartitionEof { .. })
    }

    /// Whether this is a partition queue's revoke (or loss) event rather
    /// than an error.
    pub fn is_partition_revoked(&self) -> bool {
        matches!(self, ConsumerError::PartitionRevoked { .. })
    }

    /// The Kafka error code behind the error, if there is one.
    pub fn kafka_code(&self) -> Option<ErrorCode> {
        match self {
            ConsumerError::Partition { source, .. } | ConsumerError::Group { source, .. } => {
                Some(source.error)
            }
            ConsumerError::UnknownTopic { .. } => Some(ErrorCode::UnknownTopicOrPartition),
            ConsumerError::CorruptBatch { .. } => Some(ErrorCode::CorruptMessage),
            ConsumerError::GroupProtocolUnsupported { .. } => Some(ErrorCode::UnsupportedVersion),
            ConsumerError::Client(e) => e.kafka_code(),
            _ => None,
        }
    }

    /// Whether the condition may pass by itself (the consumer keeps
    /// trying): true for the EOF and revoke events, a missing topic, a poll interval
    /// exceeded (poll again) and retriable client errors.
    pub fn is_retriable(&self) -> bool {
        match self {
            ConsumerError::PartitionEof { .. }
            | ConsumerError::PartitionRevoked { .. }
            | ConsumerError::UnknownTopic { .. }
            | ConsumerError::MaxPollIntervalExceeded { .. } => true,
            ConsumerError::Partition { source, .. } | ConsumerError::Group { source, .. } => {
                source.is_retriable()
            }
            ConsumerError::Client(e) => e.is_retriable(),
            ConsumerError::NoOffset { .. }
            | ConsumerError::CorruptBatch { .. }
            | ConsumerError::GroupProtocolUnsupported { .. } => false,
        }
    }

    pub(crate) fn partition(topic: &str, partition: i32, code: i16) -> ConsumerError {
        ConsumerError::Partition {
            topic: topic.to_owned(),
            partition,
            source: KafkaError {
                error: ErrorCode::from_code(code),
            },
        }
    }
}
