//! The broker-driven consumer group protocol (KIP-848,
//! `group.protocol=consumer`) against a real Kafka 4.3.1: members joining
//! and leaving mid-stream over 12 partitions, every record read exactly
//! once, only moved partitions revoked (the others keep consuming), and
//! the committed offsets at the end exactly the records produced.

mod consumer_util;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::{Duration, Instant};

use consumer_util::*;
use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, Rebalance};
use ferrokafka::protocol::Uuid;
use tokio::sync::{mpsc, oneshot};

const PARTITIONS: i32 = 12;
const PER_ROUND: i64 = 5;

/// A consumer-protocol member's config: the broker owns the session
/// timeout, heartbeat interval and assignor, so none of them is set.
fn kip848_config(group: &str) -> ClientConfig {
    ClientConfig::from_properties([
        ("bootstrap.servers", bootstrap().as_str()),
        ("group.id", group),
        ("group.protocol", "consumer"),
        ("auto.offset.reset", "earliest"),
        ("max.poll.interval.ms", "20000"),
        ("auto.commit.interval.ms", "200"),
        ("fetch.wait.max.ms", "100"),
        ("retry.backoff.ms", "100"),
    ])
    .expect("valid config")
}

#[derive(Debug)]
enum Seen {
    Record(usize, i32, i64),
    Change(usize, Rebalance),
}

fn member(
    n: usize,
    config: ClientConfig,
    topic: &str,
    tx: mpsc::UnboundedSender<Seen>,
) -> oneshot::Sender<()> {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let mut c = Consumer::new(config).expect("consumer");
    let changes = tx.clone();
    c.set_rebalance_listener(move |change| {
        let _ = changes.send(Seen::Change(n, change.clone()));
    });
    c.subscribe(&[topic]).expect("subscribes");
    tokio::spawn(async move {
        loop {
            if stopped.try_recv().is_ok() {
                c.close().await.expect("closes");
                return;
            }
            match c.poll(Duration::from_millis(100)).await {
                Some(Ok(m)) => {
                    let _ = tx.send(Seen::Record(n, m.partition(), m.offset()));
                }
                Some(Err(e)) if e.is_partition_eof() => {}
                Some(Err(e)) => panic!("member {n} poll failed: {e}"),
                None => {}
            }
        }
    });
    stop
}

#[derive(Default)]
struct Log {
    records: Vec<(usize, i32, i64)>,
    changes: Vec<(usize, Rebalance)>,
    owned: BTreeMap<usize, BTreeSet<i32>>,
}

impl Log {
    fn take(&mut self, seen: Seen) {
        match seen {
            Seen::Record(n, p, o) => self.records.push((n, p, o)),
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
    fn loads(&self) -> Vec<usize> {
        self.owned
            .values()
            .map(BTreeSet::len)
            .filter(|n| *n > 0)
            .collect()
    }

    fn distinct(&self) -> usize {
        self.records
            .iter()
            .map(|(_, p, o)| (*p, *o))
            .collect::<HashSet<_>>()
            .len()
    }

    async fn until(
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
                "{what}: never happened; owned {:?}, changes {:?}",
                self.owned,
                self.changes
            );
            if let Ok(Some(s)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
                self.take(s);
            }
        }
    }
}

async fn produce_round(topic: &str, id: Uuid, round: usize) {
    for p in 0..PARTITIONS {
        let values: Vec<String> = (0..PER_ROUND)
            .map(|i| format!("r{round}-p{p}-{i}"))
            .collect();
        produce(topic, id, p, &values).await;
    }
}

fn balanced(loads: &[usize], members: usize) -> bool {
    loads.len() == members
        && loads.iter().sum::<usize>() == PARTITIONS as usize
        && loads.iter().max().unwrap_or(&0) - loads.iter().min().unwrap_or(&0) <= 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_join_and_leave_over_twelve_partitions() {
    let topic = unique("ferro-kip848");
    let group = unique("ferro-g848");
    let id = create_topic(&topic, PARTITIONS).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut log = Log::default();
    // The broker's default heartbeat interval is 5 s
    // (group.consumer.heartbeat.interval.ms, also its minimum): each move
    // takes a heartbeat or two of the members involved.
    let within = Duration::from_secs(60);
    let per_round = PARTITIONS as usize * PER_ROUND as usize;

    produce_round(&topic, id, 1).await;
    let m1 = member(1, kip848_config(&group), &topic, tx.clone());
    log.until(&mut rx, within, "m1 owns all 12", |l| {
        balanced(&l.loads(), 1)
    })
    .await;
    produce_round(&topic, id, 2).await;
    let m2 = member(2, kip848_config(&group), &topic, tx.clone());
    log.until(&mut rx, within, "6/6", |l| balanced(&l.loads(), 2))
        .await;
    produce_round(&topic, id, 3).await;
    let m3 = member(3, kip848_config(&group), &topic, tx.clone());
    log.until(&mut rx, within, "4/4/4", |l| balanced(&l.loads(), 3))
        .await;
    produce_round(&topic, id, 4).await;
    log.until(&mut rx, within, "rounds 1-4 read", |l| {
        l.distinct() >= 4 * per_round
    })
    .await;
    // m2 leaves mid-stream: its partitions go to m1 and m3.
    let _ = m2.send(());
    // (A closing member's listener is not called: `close` commits.)
    log.until(&mut rx, within, "m2's partitions taken over", |l| {
        let loads: Vec<usize> = [1, 3]
            .iter()
            .map(|n| l.owned.get(n).map_or(0, BTreeSet::len))
            .collect();
        balanced(&loads, 2)
    })
    .await;
    produce_round(&topic, id, 5).await;
    let total = 5 * per_round;
    log.until(&mut rx, within, "every record read", |l| {
        l.distinct() >= total
    })
    .await;
    let quiet = Instant::now() + Duration::from_secs(2);
    while let Ok(Some(s)) = tokio::time::timeout_at(quiet.into(), rx.recv()).await {
        log.take(s);
    }

    assert_eq!(log.distinct(), total, "every record read");
    assert_eq!(
        log.records.len(),
        total,
        "no record read twice: {:?}",
        log.changes
    );
    // Incremental: a member gives back only what moves, never everything
    // it owns while it stays (no stop-the-world), and loses nothing.
    let mut owned: BTreeMap<usize, BTreeSet<i32>> = BTreeMap::new();
    for (n, change) in &log.changes {
        let mine = owned.entry(*n).or_default();
        match change {
            Rebalance::Assigned(tps) => mine.extend(tps.iter().map(|tp| tp.partition)),
            Rebalance::Revoked(tps) => {
                if *n != 2 {
                    assert!(
                        tps.len() < mine.len(),
                        "member {n} gave back everything: {:?}",
                        log.changes
                    );
                }
                for tp in tps {
                    mine.remove(&tp.partition);
                }
            }
            Rebalance::Lost(tps) => panic!("member {n} lost {tps:?}"),
        }
    }

    for stop in [m1, m3] {
        let _ = stop.send(());
    }
    // Committed offsets: exactly what was produced, each partition (the
    // closing members commit what they read).
    let checker = Consumer::new(kip848_config(&group)).expect("consumer");
    let tps: Vec<(&str, i32)> = (0..PARTITIONS).map(|p| (topic.as_str(), p)).collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let committed = checker
            .committed(&tps, Duration::from_secs(10))
            .await
            .expect("committed");
        let offsets: Vec<Option<i64>> = committed.iter().map(|(_, o)| *o).collect();
        if offsets.iter().all(|o| *o == Some(5 * PER_ROUND)) {
            break;
        }
        assert!(Instant::now() < deadline, "committed offsets {offsets:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
