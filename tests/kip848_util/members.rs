//! Consumer group members on their own tasks reporting what they saw
//! (records, rebalance events, failures), and a log of it: shared by the
//! KIP-848 flows on the mock (`kip848_util`) and against Kafka
//! (`consumer_kip848.rs`, which includes this file alone).

#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::{Duration, Instant};

use ferrokafka::consumer::{Consumer, ConsumerError, Rebalance};
use tokio::sync::{mpsc, oneshot};

/// How long a member's close may take before the test calls it a hang.
const CLOSE_LIMIT: Duration = Duration::from_secs(30);

/// What a member saw.
#[derive(Debug)]
pub enum Seen {
    Record(usize, i32, i64),
    Change(usize, Rebalance),
    Failed(usize, ConsumerError),
}

/// Runs consumer `c` as member `n` on its own task until told to stop
/// (then closes it, asserting close succeeds) or it fails for good.
pub fn run(
    n: usize,
    mut c: Consumer,
    topics: &[&str],
    tx: mpsc::UnboundedSender<Seen>,
) -> oneshot::Sender<()> {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let changes = tx.clone();
    c.set_rebalance_listener(move |change| {
        let _ = changes.send(Seen::Change(n, change.clone()));
    });
    c.subscribe(topics).expect("subscribes");
    tokio::spawn(async move {
        loop {
            if stopped.try_recv().is_ok() {
                tokio::time::timeout(CLOSE_LIMIT, c.close())
                    .await
                    .expect("close: no answer (hang)")
                    .expect("closes");
                return;
            }
            match c.poll(Duration::from_millis(50)).await {
                Some(Ok(m)) => {
                    let _ = tx.send(Seen::Record(n, m.partition(), m.offset()));
                }
                Some(Err(e)) if e.is_partition_eof() => {}
                Some(Err(e)) if e.is_retriable() => {}
                Some(Err(e)) => {
                    let _ = tx.send(Seen::Failed(n, e));
                    return;
                }
                None => {}
            }
        }
    });
    stop
}

/// Everything the members reported, in order.
#[derive(Debug, Default)]
pub struct Log {
    pub records: Vec<(usize, i32, i64)>,
    pub changes: Vec<(usize, Rebalance)>,
    pub owned: BTreeMap<usize, BTreeSet<i32>>,
    pub failures: Vec<(usize, ConsumerError)>,
}

impl Log {
    pub fn take(&mut self, seen: Seen) {
        match seen {
            Seen::Record(n, p, o) => self.records.push((n, p, o)),
            Seen::Failed(n, e) => self.failures.push((n, e)),
            Seen::Change(n, change) => {
                let owned = self.owned.entry(n).or_default();
                match &change {
                    Rebalance::Assigned(tps) => owned.extend(tps.iter().map(|tp| tp.partition)),
                    Rebalance::Revoked(tps) | Rebalance::Lost(tps) => {
                        for tp in tps {
                            owned.remove(&tp.partition);
                        }
                    }
                }
                self.changes.push((n, change));
            }
        }
    }

    /// Each member's partition count, members owning nothing left out.
    pub fn loads(&self) -> Vec<usize> {
        self.owned
            .values()
            .map(BTreeSet::len)
            .filter(|n| *n > 0)
            .collect()
    }

    /// Records read, each (partition, offset) once.
    pub fn distinct(&self) -> usize {
        self.records
            .iter()
            .map(|(_, p, o)| (*p, *o))
            .collect::<HashSet<_>>()
            .len()
    }

    /// Takes reports until `done`, failing after `within`.
    pub async fn until(
        &mut self,
        rx: &mut mpsc::UnboundedReceiver<Seen>,
        within: Duration,
        what: &str,
        done: impl Fn(&Log) -> bool,
    ) {
        let deadline = Instant::now() + within;
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "{what}: never happened; owned {:?}, changes {:?}, failures {:?}",
                self.owned,
                self.changes,
                self.failures
            );
            if let Ok(Some(s)) = tokio::time::timeout(Duration::from_millis(50), rx.recv()).await {
                self.take(s);
            }
        }
    }

    /// Takes what arrives for `quiet`.
    pub async fn settle(&mut self, rx: &mut mpsc::UnboundedReceiver<Seen>, quiet: Duration) {
        let end = tokio::time::Instant::now() + quiet;
        while let Ok(Some(s)) = tokio::time::timeout_at(end, rx.recv()).await {
            self.take(s);
        }
    }
}

/// Whether `loads` is `members` members sharing `partitions` evenly.
pub fn balanced(loads: &[usize], members: usize, partitions: usize) -> bool {
    loads.len() == members
        && loads.iter().sum::<usize>() == partitions
        && loads.iter().max().unwrap_or(&0) - loads.iter().min().unwrap_or(&0) <= 1
}
