//! The transaction's state machine, sans IO: which call may come in which
//! state, and what each outcome leads to. The manager (`mod.rs`) does the
//! requests and feeds their outcomes here.
//!
//! ```text
//! Uninitialized --init--> Initializing --ok--> Ready --begin--> InTransaction
//! InTransaction --commit--> Committing --ok--> Ready
//! InTransaction | AbortableError --abort--> Aborting --ok--> Ready
//! any --fatal error--> Fatal (final)
//! ```
//!
//! A call that times out (a retriable error) leaves the state where it
//! was (`Initializing`, `Committing`, `Aborting`), so the application can
//! call the same method again and it resumes, as in librdkafka.

use super::error::TransactionError;

/// Where the transaction is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TxnState {
    /// `init_transactions` not called yet.
    Uninitialized,
    /// `init_transactions` started and has not finished.
    Initializing,
    /// No transaction open; `begin_transaction` may come.
    Ready,
    /// A transaction is open: records and offsets may be added.
    InTransaction,
    /// `commit_transaction` started and has not finished.
    Committing,
    /// `abort_transaction` started and has not finished.
    Aborting,
    /// The open transaction cannot commit; only `abort` helps.
    AbortableError(TransactionError),
    /// Nothing more may be done.
    Fatal(TransactionError),
}

/// A call of the transactional API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call {
    Init,
    Begin,
    SendOffsets,
    Commit,
    Abort,
}

impl Call {
    fn name(self) -> &'static str {
        match self {
            Call::Init => "init_transactions",
            Call::Begin => "begin_transaction",
            Call::SendOffsets => "send_offsets_to_transaction",
            Call::Commit => "commit_transaction",
            Call::Abort => "abort_transaction",
        }
    }
}

impl TxnState {
    fn name(&self) -> &'static str {
        match self {
            TxnState::Uninitialized => "Uninitialized",
            TxnState::Initializing => "Initializing",
            TxnState::Ready => "Ready",
            TxnState::InTransaction => "InTransaction",
            TxnState::Committing => "Committing",
            TxnState::Aborting => "Aborting",
            TxnState::AbortableError(_) => "AbortableError",
            TxnState::Fatal(_) => "Fatal",
        }
    }

    /// Starts `call`: the state it moves to, or why it may not come now.
    /// A call that resumes one that timed out (`commit` while
    /// `Committing`, ...) is allowed.
    pub(crate) fn start(&mut self, call: Call) -> Result<(), TransactionError> {
        use TxnState as S;
        let next = match (&*self, call) {
            (S::Fatal(e), _) => return Err(e.clone()),
            (S::Uninitialized | S::Initializing, Call::Init) => S::Initializing,
            (S::Ready, Call::Begin) => S::InTransaction,
            (S::InTransaction, Call::SendOffsets) => S::InTransaction,
            (S::InTransaction | S::Committing, Call::Commit) => S::Committing,
            (S::AbortableError(e), Call::Commit | Call::SendOffsets) => return Err(e.clone()),
            (
                S::InTransaction | S::Committing | S::AbortableError(_) | S::Aborting,
                Call::Abort,
            ) => S::Aborting,
            (state, call) => {
                return Err(TransactionError::State {
                    operation: call.name(),
                    state: state.name(),
                })
            }
        };
        *self = next;
        Ok(())
    }

    /// The outcome of a call started with [`TxnState::start`]: success
    /// moves on; a retriable error leaves the state for the call to be
    /// made again; an abortable one needs an abort (an abort that fails
    /// so stays `Aborting`); a fatal one ends everything.
    pub(crate) fn finish(&mut self, call: Call, outcome: &Result<(), TransactionError>) {
        use TxnState as S;
        match outcome {
            Ok(()) => {
                *self = match call {
                    Call::Init | Call::Commit | Call::Abort => S::Ready,
                    Call::Begin | Call::SendOffsets => S::InTransaction,
                }
            }
            Err(e) if e.is_fatal() => *self = S::Fatal(e.clone()),
            Err(e) if e.txn_requires_abort() && call != Call::Abort && call != Call::Init => {
                *self = S::AbortableError(e.clone())
            }
            // Retriable, or a state error: stay, to be called again.
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrokafka_protocol::ErrorCode;

    fn ok(s: &mut TxnState, call: Call) {
        s.start(call).expect("allowed");
        s.finish(call, &Ok(()));
    }

    #[test]
    fn a_transaction_goes_init_begin_commit_begin_abort() {
        let mut s = TxnState::Uninitialized;
        assert!(s.start(Call::Begin).is_err(), "begin before init");
        ok(&mut s, Call::Init);
        assert_eq!(s, TxnState::Ready);
        ok(&mut s, Call::Begin);
        ok(&mut s, Call::SendOffsets);
        ok(&mut s, Call::Commit);
        assert_eq!(s, TxnState::Ready);
        ok(&mut s, Call::Begin);
        ok(&mut s, Call::Abort);
        assert_eq!(s, TxnState::Ready);
    }

    #[test]
    fn calls_out_of_place_are_state_errors_and_change_nothing() {
        let mut s = TxnState::Ready;
        for call in [Call::Commit, Call::Abort, Call::SendOffsets, Call::Init] {
            assert!(
                matches!(s.start(call), Err(TransactionError::State { .. })),
                "{call:?} in Ready"
            );
            assert_eq!(s, TxnState::Ready);
        }
        let mut s = TxnState::InTransaction;
        assert!(matches!(
            s.start(Call::Begin),
            Err(TransactionError::State { .. })
        ));
        assert_eq!(s, TxnState::InTransaction);
    }

    #[test]
    fn a_timed_out_commit_resumes_when_called_again() {
        let mut s = TxnState::InTransaction;
        s.start(Call::Commit).expect("commit");
        let timeout = Err(TransactionError::Retriable {
            context: "EndTxn".into(),
            code: None,
            reason: "timed out".into(),
        });
        s.finish(Call::Commit, &timeout);
        assert_eq!(s, TxnState::Committing);
        assert!(s.start(Call::Begin).is_err(), "no begin while committing");
        ok(&mut s, Call::Commit);
        assert_eq!(s, TxnState::Ready);
    }

    #[test]
    fn an_abortable_error_allows_only_abort() {
        let mut s = TxnState::InTransaction;
        s.start(Call::Commit).expect("commit");
        let e = TransactionError::from_code("EndTxn", ErrorCode::TransactionAbortable);
        s.finish(Call::Commit, &Err(e.clone()));
        assert_eq!(s, TxnState::AbortableError(e.clone()));
        assert_eq!(s.start(Call::Commit), Err(e.clone()));
        assert_eq!(s.start(Call::SendOffsets), Err(e));
        ok(&mut s, Call::Abort);
        assert_eq!(s, TxnState::Ready);
    }

    #[test]
    fn fenced_is_final() {
        let mut s = TxnState::InTransaction;
        s.start(Call::Commit).expect("commit");
        let e = TransactionError::from_code("EndTxn", ErrorCode::ProducerFenced);
        s.finish(Call::Commit, &Err(e.clone()));
        for call in [Call::Init, Call::Begin, Call::Commit, Call::Abort] {
            assert_eq!(s.start(call), Err(e.clone()), "{call:?} after fencing");
        }
    }
}
