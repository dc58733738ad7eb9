//! The producer's statistics: on demand ([`Producer::statistics`]) and
//! every `statistics.interval.ms` to the application's callback, called
//! from a task of its own so a slow callback never holds up producing.

use std::sync::Weak;

use tokio::sync::{mpsc, oneshot};

use super::inbox::Command;
use super::transaction::TxnManager;
use super::Producer;
use crate::error::{Error, Result};
use crate::statistics::{Statistics, StatisticsCallback};

impl Producer {
    /// The producer's statistics now, in librdkafka's shape (see
    /// [`crate::statistics`]). Does not start a new rtt window: the
    /// interval's statistics keep theirs.
    ///
    /// Fails only with [`Error::Closed`] once the producer's task has
    /// ended.
    pub async fn statistics(&self) -> Result<Statistics> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Statistics {
                reset: false,
                reply,
            })
            .map_err(|_| Error::Closed)?;
        let mut s = rx.await.map_err(|_| Error::Closed)?;
        add_txn_state(&mut s, self.txn.as_deref());
        Ok(s)
    }
}

fn add_txn_state(s: &mut Statistics, txn: Option<&TxnManager>) {
    if let (Some(eos), Some(txn)) = (s.eos.as_mut(), txn) {
        eos.txn_state = txn.state_name().into();
    }
}

/// Calls `callback` with each interval's statistics from the producer's
/// task; ends with the task. Holds the transaction manager weakly, so it
/// keeps nothing of a dropped producer alive.
pub(super) async fn call_back(
    callback: StatisticsCallback,
    mut rx: mpsc::UnboundedReceiver<Statistics>,
    txn: Option<Weak<TxnManager>>,
) {
    while let Some(mut s) = rx.recv().await {
        let txn = txn.as_ref().and_then(Weak::upgrade);
        add_txn_state(&mut s, txn.as_deref());
        drop(txn);
        callback.call(&s);
    }
}
