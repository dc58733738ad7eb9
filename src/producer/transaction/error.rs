//! The transactional API's error, classified as librdkafka does: retriable
//! (call the same method again), abortable (abort the transaction and
//! start over), fatal (the producer is done: fenced, not authorized).

use ferrokafka_protocol::ErrorCode;

/// What a transactional call failed with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TransactionError {
    /// Nothing is lost: call the same method again (a coordinator was
    /// away, or the timeout passed before it answered).
    #[error("{context}: {reason} (retriable: call again)")]
    Retriable {
        /// What was being done.
        context: String,
        /// The Kafka error code, when the broker sent one.
        code: Option<ErrorCode>,
        /// What went wrong.
        reason: String,
    },
    /// The transaction cannot commit: call
    /// [`abort_transaction`](crate::producer::Producer::abort_transaction)
    /// and start a new one (librdkafka's `txn_requires_abort`).
    #[error("{context}: {reason} (the transaction must be aborted)")]
    Abortable {
        /// What was being done.
        context: String,
        /// The Kafka error code, when the broker sent one.
        code: Option<ErrorCode>,
        /// What went wrong.
        reason: String,
    },
    /// The producer can do no more transactions: another producer with
    /// the same `transactional.id` fenced it, or it is not authorized.
    /// Its open transaction is aborted by the coordinator.
    #[error("{context}: {reason} (fatal)")]
    Fatal {
        /// What was being done.
        context: String,
        /// The Kafka error code, when the broker sent one.
        code: Option<ErrorCode>,
        /// What went wrong.
        reason: String,
    },
    /// The call does not fit the transaction's state (a `begin` inside a
    /// transaction, a `commit` outside one, ...); nothing changed.
    #[error("{operation} is not allowed in state {state}")]
    State {
        /// The call.
        operation: &'static str,
        /// The state the producer is in.
        state: &'static str,
    },
    /// The producer has no `transactional.id`.
    #[error("the producer has no transactional.id")]
    NotTransactional,
}

impl TransactionError {
    /// Whether calling the same method again may succeed.
    pub fn is_retriable(&self) -> bool {
        matches!(self, TransactionError::Retriable { .. })
    }

    /// Whether the transaction must be aborted (librdkafka's
    /// `txn_requires_abort`).
    pub fn txn_requires_abort(&self) -> bool {
        matches!(self, TransactionError::Abortable { .. })
    }

    /// Whether the producer can do no more transactions.
    pub fn is_fatal(&self) -> bool {
        matches!(self, TransactionError::Fatal { .. })
    }

    /// The Kafka error code behind it, if the broker sent one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            TransactionError::Retriable { code, .. }
            | TransactionError::Abortable { code, .. }
            | TransactionError::Fatal { code, .. } => *code,
            _ => None,
        }
    }

    /// The error for a broker's `code` met while doing `context`.
    pub(crate) fn from_code(context: &str, code: ErrorCode) -> TransactionError {
        let (context, reason, code) = (context.to_owned(), code.to_string(), Some(code));
        match classify(code) {
            Class::Retriable => TransactionError::Retriable {
                context,
                code,
                reason,
            },
            Class::Abortable => TransactionError::Abortable {
                context,
                code,
                reason,
            },
            Class::Fatal => TransactionError::Fatal {
                context,
                code,
                reason,
            },
        }
    }
}

/// How a transactional call treats a broker's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Ask again (after a backoff, the coordinator looked up again).
    Retriable,
    /// The transaction must be aborted.
    Abortable,
    /// The producer is done.
    Fatal,
}

/// The class of a transactional response's error code.
pub(crate) fn classify(code: Option<ErrorCode>) -> Class {
    use ErrorCode as E;
    match code {
        None => Class::Retriable,
        Some(
            E::ProducerFenced
            | E::InvalidProducerEpoch
            | E::TransactionalIdAuthorizationFailed
            | E::ClusterAuthorizationFailed
            | E::InvalidTxnState
            | E::UnsupportedVersion
            | E::UnsupportedForMessageFormat
            | E::InvalidTransactionTimeout,
        ) => Class::Fatal,
        Some(
            E::CoordinatorNotAvailable
            | E::NotCoordinator
            | E::CoordinatorLoadInProgress
            | E::ConcurrentTransactions
            | E::RequestTimedOut
            | E::NetworkException
            | E::UnknownTopicOrPartition
            | E::NotEnoughReplicas
            | E::NotEnoughReplicasAfterAppend,
        ) => Class::Retriable,
        Some(c) if c.is_retriable() => Class::Retriable,
        Some(_) => Class::Abortable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_as_librdkafka() {
        for (code, class) in [
            (ErrorCode::ProducerFenced, Class::Fatal),
            (ErrorCode::InvalidProducerEpoch, Class::Fatal),
            (ErrorCode::TransactionalIdAuthorizationFailed, Class::Fatal),
            (ErrorCode::InvalidTxnState, Class::Fatal),
            (ErrorCode::ConcurrentTransactions, Class::Retriable),
            (ErrorCode::CoordinatorLoadInProgress, Class::Retriable),
            (ErrorCode::NotCoordinator, Class::Retriable),
            (ErrorCode::TransactionAbortable, Class::Abortable),
            (ErrorCode::GroupAuthorizationFailed, Class::Abortable),
            (ErrorCode::UnknownMemberId, Class::Abortable),
            (ErrorCode::IllegalGeneration, Class::Abortable),
        ] {
            assert_eq!(classify(Some(code)), class, "{code:?}");
        }
        let e = TransactionError::from_code("EndTxn", ErrorCode::ProducerFenced);
        assert!(e.is_fatal() && !e.txn_requires_abort() && !e.is_retriable());
        assert_eq!(e.code(), Some(ErrorCode::ProducerFenced));
        let e = TransactionError::from_code("EndTxn", ErrorCode::TransactionAbortable);
        assert!(e.txn_requires_abort());
    }
}
