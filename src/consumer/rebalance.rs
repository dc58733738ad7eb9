//! What a rebalance listener learns: the partitions the group gave this
//! consumer, took back, or that it lost; and the listener itself, a plain
//! function or an async one.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use tokio::sync::oneshot;
use tracing::warn;

use super::{Consumer, TopicPartition, Tp};

/// A change of the consumer's assignment, as
/// [`Consumer::set_rebalance_listener`] reports it.
///
/// With the eager assignors (`range`, `roundrobin`) every rebalance revokes
/// the whole assignment and assigns a new one. With `cooperative-sticky`
/// (KIP-429) only the partitions that move to another member are revoked,
/// and `Assigned` carries only those newly added: the listener sees the
/// increments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rebalance {
    /// These partitions are now this consumer's.
    Assigned(Vec<TopicPartition>),
    /// These are given back in an orderly rebalance; their offsets are
    /// committed (with auto commit) before anyone else gets them.
    Revoked(Vec<TopicPartition>),
    /// These were lost (the consumer fell out of the group); another
    /// member may own them already.
    Lost(Vec<TopicPartition>),
}

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The listener: called from `poll`, on the application's task.
pub(crate) enum Listener {
    Plain(Box<dyn FnMut(&Rebalance) + Send + Sync>),
    Async(Box<dyn FnMut(Rebalance) -> BoxFuture + Send + Sync>),
}

/// An async listener's call being run by `poll`, and the revoke waiting
/// for it: the offsets to commit, sent to the engine once it is done.
pub(crate) struct Listening {
    /// In a mutex only so that the consumer stays `Sync`; polled through
    /// `get_mut`, never locked.
    call: Mutex<BoxFuture>,
    revoke: Option<Revoke>,
}

/// A revoke's acknowledgement and the offsets it carries.
pub(crate) type Revoke = (oneshot::Sender<Vec<(Tp, i64)>>, Vec<(Tp, i64)>);

impl Consumer {
    /// Calls `listener` with every change of the group's assignment
    /// (replacing an earlier listener). It runs inside `poll`, before the
    /// messages that follow the change; a revoke's offsets are committed
    /// after it returns.
    ///
    /// ```no_run
    /// # fn f(consumer: &mut ferrokafka::consumer::Consumer) {
    /// use ferrokafka::consumer::Rebalance;
    /// consumer.set_rebalance_listener(|change: &Rebalance| match change {
    ///     Rebalance::Assigned(tps) => eprintln!("assigned {tps:?}"),
    ///     Rebalance::Revoked(tps) => eprintln!("revoked {tps:?}"),
    ///     Rebalance::Lost(tps) => eprintln!("lost {tps:?}"),
    /// });
    /// # }
    /// ```
    pub fn set_rebalance_listener(
        &mut self,
        listener: impl FnMut(&Rebalance) + Send + Sync + 'static,
    ) {
        self.listener = Some(Listener::Plain(Box::new(listener)));
    }

    /// Like [`Consumer::set_rebalance_listener`], with a listener that
    /// returns a future: `poll` runs it to its end before it hands out
    /// anything that follows the change (so it may, say, flush a
    /// partition's work on another task and await the answer). A revoke's
    /// offsets are committed, and the partitions given back to the group,
    /// only once the future is done; it must finish within
    /// `max.poll.interval.ms`, or the consumer rejoins without committing.
    /// With `cooperative-sticky` it sees each increment: only the
    /// partitions added or taken away.
    ///
    /// ```no_run
    /// # fn f(consumer: &mut ferrokafka::consumer::Consumer) {
    /// use ferrokafka::consumer::Rebalance;
    /// let (tx, _rx) = tokio::sync::mpsc::channel::<Rebalance>(16);
    /// consumer.set_async_rebalance_listener(move |change: Rebalance| {
    ///     let tx = tx.clone();
    ///     async move {
    ///         // Hand the change to the task that owns the partitions' state.
    ///         let _ = tx.send(change).await;
    ///     }
    /// });
    /// # }
    /// ```
    pub fn set_async_rebalance_listener<F, Fut>(&mut self, mut listener: F)
    where
        F: FnMut(Rebalance) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.listener = Some(Listener::Async(Box::new(move |change| {
            Box::pin(listener(change))
        })));
    }

    /// Tells the listener about `change`; a revoke's acknowledgement goes
    /// to the engine when the listener is done.
    pub(super) fn notify(&mut self, change: Rebalance, revoke: Option<Revoke>) {
        match self.listener.as_mut() {
            Some(Listener::Plain(listener)) => listener(&change),
            Some(Listener::Async(listener)) => {
                self.listening = Some(Listening {
                    call: Mutex::new(listener(change)),
                    revoke,
                });
                return;
            }
            None => {}
        }
        if let Some(revoke) = revoke {
            acknowledge(revoke);
        }
    }

    /// Runs an async listener's call; ready when there is none (left).
    pub(super) fn poll_listening(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(listening) = self.listening.as_mut() else {
            return Poll::Ready(());
        };
        let call = listening.call.get_mut().unwrap_or_else(|e| e.into_inner());
        if call.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        if let Some(revoke) = self.listening.take().and_then(|l| l.revoke) {
            acknowledge(revoke);
        }
        Poll::Ready(())
    }
}

fn acknowledge((ack, offsets): Revoke) {
    if ack.send(offsets).is_err() {
        warn!("the engine stopped waiting for a revoke");
    }
}

/// The public partitions, sorted.
pub(crate) fn public(tps: &[Tp]) -> Vec<TopicPartition> {
    let mut v: Vec<TopicPartition> = tps.iter().map(TopicPartition::from_tp).collect();
    v.sort();
    v
}
