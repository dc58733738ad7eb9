//! What the producer tells the application about each record: where it
//! was written, or why it was not.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::shared::Shared;

use ferrokafka_protocol::ErrorCode;
use tokio::sync::oneshot;

/// Where a record was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The topic.
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
    /// The record's offset; -1 with `acks=0` (the broker does not say).
    pub offset: i64,
    /// The record's timestamp: the producer's, or the broker's with
    /// `LogAppendTime` topics.
    pub timestamp: i64,
}

/// Why a record was not delivered. Cheap to clone: every record of a
/// failed batch gets the same one.
///
/// # Which errors are safe to send again
///
/// Every variant but one says the record is **not** in the log: the
/// producer never sent it, or a broker answered and refused it. Sending it
/// again cannot duplicate it; [`is_retriable`](Self::is_retriable) says
/// whether that may succeed ([`QueueFull`](Self::QueueFull),
/// [`TimedOut`](Self::TimedOut), retriable [`Kafka`](Self::Kafka) codes),
/// or is pointless as it stands ([`MessageTooLarge`](Self::MessageTooLarge),
/// [`UnknownPartition`](Self::UnknownPartition), [`Fatal`](Self::Fatal),
/// [`Closed`](Self::Closed)).
///
/// [`PossiblyPersisted`](Self::PossiblyPersisted) is the exception: a
/// request carrying the record reached a broker and no answer settled its
/// fate before the producer gave up (librdkafka's `PossiblyPersisted`
/// message status). The record may be in the log; sending it again may
/// write it twice. [`possibly_persisted`](Self::possibly_persisted) tells
/// them apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProduceError {
    /// The record is larger than `message.max.bytes` (MSG_SIZE_TOO_LARGE);
    /// refused before it was queued.
    #[error("record of about {size} bytes exceeds message.max.bytes ({max})")]
    MessageTooLarge {
        /// The record's size, estimated with its framing.
        size: usize,
        /// `message.max.bytes`.
        max: usize,
    },
    /// The buffer (`queue.buffering.max.messages` /
    /// `queue.buffering.max.kbytes`) is full; only from the non-waiting
    /// calls.
    #[error("the producer's queue is full")]
    QueueFull,
    /// The record asked for a partition the topic does not have.
    #[error("{topic} has no partition {partition}")]
    UnknownPartition {
        /// The topic.
        topic: String,
        /// The partition asked for.
        partition: i32,
    },
    /// The record was not delivered within `message.timeout.ms`; `last`
    /// says what stood in the way, if anything did.
    #[error("{topic} [{partition}]: message timed out{}", last.as_ref().map(|l| format!(" ({l})")).unwrap_or_default())]
    TimedOut {
        /// The topic.
        topic: String,
        /// The partition, -1 when none was chosen yet.
        partition: i32,
        /// The last error met while trying, if any.
        last: Option<String>,
    },
    /// The broker refused the record with an error that retrying does not
    /// fix (or the retries ran out).
    #[error("{topic} [{partition}]: {error}: {}", error.description())]
    Kafka {
        /// The topic.
        topic: String,
        /// The partition, -1 when none was chosen yet.
        partition: i32,
        /// The Kafka error.
        error: ErrorCode,
    },
    /// The producer is fenced or failed fatally (another producer took its
    /// id, or it is not authorized); nothing more will be delivered.
    #[error("fatal producer error: {0}")]
    Fatal(String),
    /// The producer was closed or dropped before the record was sent.
    #[error("the producer was closed before the record was delivered")]
    Closed,
    /// A transactional producer takes records only inside a transaction
    /// (between `begin_transaction` and its commit or abort).
    #[error("no transaction is open: call begin_transaction first")]
    NoTransaction,
    /// The record's transaction was aborted before the record was sent.
    #[error("the record's transaction was aborted")]
    Aborted,
    /// A request carrying the record reached a broker, and no answer
    /// settled whether it was written before the producer gave up on it
    /// (`message.timeout.ms` passed, the retries ran out, or the producer
    /// was closed or failed): the record **may be in the log**. Sending it
    /// again may duplicate it.
    #[error(
        "{topic} [{partition}]: possibly persisted: sent, but its outcome is unknown ({reason})"
    )]
    PossiblyPersisted {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// Why the producer gave up, and the last error met.
        reason: String,
    },
}

impl ProduceError {
    /// The Kafka error code this error stands for, if one does.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ProduceError::MessageTooLarge { .. } => Some(ErrorCode::MessageTooLarge),
            ProduceError::Kafka { error, .. } => Some(*error),
            ProduceError::UnknownPartition { .. } => Some(ErrorCode::UnknownTopicOrPartition),
            ProduceError::TimedOut { .. } => Some(ErrorCode::RequestTimedOut),
            _ => None,
        }
    }

    /// Whether the record may be in the log although it is reported
    /// failed ([`ProduceError::PossiblyPersisted`]). When false, the record
    /// is surely not in the log, and sending it again cannot duplicate it.
    pub fn possibly_persisted(&self) -> bool {
        matches!(self, ProduceError::PossiblyPersisted { .. })
    }

    /// Whether sending the record again may succeed without writing it
    /// twice: false for [`ProduceError::PossiblyPersisted`], whose record
    /// may already be in the log.
    pub fn is_retriable(&self) -> bool {
        match self {
            ProduceError::QueueFull | ProduceError::TimedOut { .. } => true,
            ProduceError::Kafka { error, .. } => error.is_retriable(),
            _ => false,
        }
    }
}

/// A record's delivery report.
pub type DeliveryResult = Result<Delivery, ProduceError>;

/// A callback served by [`Producer::poll`](super::Producer::poll) and
/// [`Producer::flush`](super::Producer::flush).
pub type DeliveryCallback = Box<dyn FnOnce(DeliveryResult) + Send + 'static>;

/// Resolves to the record's delivery report.
///
/// The record holds its place in the producer's buffer bound
/// (`queue.buffering.max.messages` / `queue.buffering.max.kbytes`) until
/// its report is taken: when this future completes, or when it is dropped.
/// Drop it to not wait for the report; a caller that keeps more unawaited
/// futures than the bound allows fills the buffer
/// ([`ProduceError::QueueFull`] from the non-waiting calls, and
/// [`Producer::send`](super::Producer::send) waits until one is taken).
#[must_use = "a delivery future does nothing unless awaited; drop it to not wait"]
pub struct DeliveryFuture {
    pub(crate) rx: oneshot::Receiver<Report>,
    /// The buffer bound, given back its record's space once the report
    /// is taken.
    pub(crate) shared: Arc<Shared>,
    /// The report was taken (and its space given back).
    pub(crate) taken: bool,
}

impl std::fmt::Debug for DeliveryFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryFuture")
            .field("taken", &self.taken)
            .finish_non_exhaustive()
    }
}

impl Future for DeliveryFuture {
    type Output = DeliveryResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<DeliveryResult> {
        if self.taken {
            return Poll::Ready(Err(ProduceError::Closed));
        }
        let report = std::task::ready!(Pin::new(&mut self.rx).poll(cx));
        self.taken = true;
        Poll::Ready(match report {
            Ok(report) => {
                self.shared.release_one(report.bytes);
                report.result
            }
            // The task dropped the record unreported: it has ended.
            Err(_) => Err(ProduceError::Closed),
        })
    }
}

impl Drop for DeliveryFuture {
    fn drop(&mut self) {
        if self.taken {
            return;
        }
        // After `close` the task's send fails (and the task gives the
        // space back); a report sent before it is taken here.
        self.rx.close();
        if let Ok(report) = self.rx.try_recv() {
            self.shared.release_one(report.bytes);
        }
    }
}

/// A report on its way to a [`DeliveryFuture`], with the buffer space
/// its record holds until it is taken.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) result: DeliveryResult,
    pub(crate) bytes: usize,
}

/// Where a record's report goes.
pub(crate) enum Sink {
    /// A [`DeliveryFuture`].
    Future(oneshot::Sender<Report>),
    /// A callback for `poll` to run.
    Callback(DeliveryCallback),
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Sink::Future(_) => "Future",
            Sink::Callback(_) => "Callback",
        })
    }
}
