//! cooperative-sticky (KIP-429) against a real broker: members join one
//! by one and only the partitions that move are revoked; every other
//! partition is consumed straight through the rebalances, and every record
//! is read exactly once. Kafka's own console consumer shares the group both
//! as leader and as newcomer, so both sides of the protocol are checked
//! against the Java implementation.

mod consumer_util;
#[path = "kip848_util/members.rs"]
mod members;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use consumer_util::*;
use ferrokafka::consumer::{Consumer, Rebalance};
use ferrokafka::protocol::Uuid;
use members::{Log, Seen};
use tokio::sync::{mpsc, oneshot};

/// Member `n`, polling on its own task until told to close.
fn member(
    n: usize,
    group: &str,
    topic: &str,
    tx: mpsc::UnboundedSender<Seen>,
) -> oneshot::Sender<()> {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let config = group_config(group)
        .set("partition.assignment.strategy", "cooperative-sticky")
        .expect("valid");
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

async fn produce_round(topic: &str, id: Uuid, round: usize) {
    for p in 0..6 {
        let values: Vec<String> = (0..10).map(|i| format!("r{round}-p{p}-{i}")).collect();
        produce(topic, id, p, &values).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_joining_one_by_one_revoke_only_what_moves() {
    let topic = unique("ferro-c-coop");
    let group = unique("ferro-g");
    let id = create_topic(&topic, 6).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut log = Log::default();
    let within = Duration::from_secs(40);

    produce_round(&topic, id, 1).await;
    let m1 = member(1, &group, &topic, tx.clone());
    log.until(&mut rx, within, "m1 owns all", |l| l.loads() == [6])
        .await;
    produce_round(&topic, id, 2).await;
    let m2 = member(2, &group, &topic, tx.clone());
    log.until(&mut rx, within, "3/3", |l| l.loads() == [3, 3])
        .await;
    produce_round(&topic, id, 3).await;
    let m3 = member(3, &group, &topic, tx.clone());
    log.until(&mut rx, within, "2/2/2", |l| l.loads() == [2, 2, 2])
        .await;
    produce_round(&topic, id, 4).await;
    let total = 4 * 60;
    log.until(&mut rx, within, "every record read", |l| {
        l.distinct() >= total
    })
    .await;
    // Anything read twice, or any late revoke, would show up shortly.
    log.settle(&mut rx, Duration::from_secs(2)).await;

    assert_eq!(log.distinct(), total, "every record read");
    assert_eq!(log.records.len(), total, "no record read twice");
    assert_eq!(log.loads(), [2, 2, 2], "{:?}", log.changes);

    // Only what moved was revoked (the fewest moves there are): m1 gave 3
    // to m2, then m1 and m2 gave one each to m3; nothing was lost, and no member ever got back a
    // partition it had given up.
    let mut revoked = 0;
    for (n, change) in &log.changes {
        match change {
            Rebalance::Revoked(tps) => {
                revoked += tps.len();
                for tp in tps {
                    assert!(
                        !log.owned[n].contains(&tp.partition),
                        "member {n} revoked {tp:?} and got it back: {:?}",
                        log.changes
                    );
                }
            }
            Rebalance::Lost(tps) => panic!("member {n} lost {tps:?}"),
            Rebalance::Assigned(_) => {}
        }
    }
    assert_eq!(revoked, 5, "{:?}", log.changes);
    let assigned_twice = log.owned.iter().any(|(n, owned)| {
        owned.iter().any(|p| {
            log.changes
                .iter()
                .filter(|(m, c)| m == n && matches!(c, Rebalance::Assigned(t) if t.iter().any(|tp| tp.partition == *p)))
                .count()
                > 1
        })
    });
    assert!(!assigned_twice, "{:?}", log.changes);

    for stop in [m1, m2, m3] {
        let _ = stop.send(());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// Kafka's own console consumer in the group, cooperative-sticky,
/// reporting each record it prints; killed when dropped.
struct JavaMember {
    child: std::process::Child,
}

impl Drop for JavaMember {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn java_member(group: &str, topic: &str, tx: mpsc::UnboundedSender<Seen>) -> JavaMember {
    use std::io::BufRead;
    let classpath = std::env::var("FERROKAFKA_KAFKA_CLASSPATH")
        .expect("FERROKAFKA_KAFKA_CLASSPATH is set (source the brokers' env file)");
    let mut child = std::process::Command::new("java")
        .args([
            "-Xms64m",
            "-Xmx256m",
            "-cp",
            &classpath,
            "org.apache.kafka.tools.consumer.ConsoleConsumer",
            "--bootstrap-server",
            &bootstrap(),
            "--topic",
            topic,
            "--group",
            group,
            "--from-beginning",
            "--formatter-property",
            "print.partition=true",
            "--formatter-property",
            "print.offset=true",
            "--command-property",
            "partition.assignment.strategy=org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
            "--command-property",
            "heartbeat.interval.ms=300",
            "--command-property",
            "session.timeout.ms=6000",
            "--command-property",
            "auto.commit.interval.ms=200",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("java runs");
    let stdout = child.stdout.take().expect("piped");
    std::thread::spawn(move || {
        // "Partition:3\tOffset:12\tvalue"
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let mut cols = line.split('\t');
            let p = cols
                .next()
                .and_then(|c| c.strip_prefix("Partition:")?.parse().ok());
            let o = cols
                .next()
                .and_then(|c| c.strip_prefix("Offset:")?.parse().ok());
            if let (Some(p), Some(o)) = (p, o) {
                if tx.send(Seen::Record(0, p, o)).is_err() {
                    return;
                }
            }
        }
    });
    JavaMember { child }
}

/// Records read, split by who read them (Java's come through `java_rx`).
async fn read_both(
    ours: &mut Log,
    rx: &mut mpsc::UnboundedReceiver<Seen>,
    java: &mut Vec<(i32, i64)>,
    java_rx: &mut mpsc::UnboundedReceiver<Seen>,
    total: usize,
    within: Duration,
) {
    let deadline = Instant::now() + within;
    while ours.records.len() + java.len() < total {
        assert!(
            Instant::now() < deadline,
            "{} + {} of {total} records; we own {:?}",
            ours.records.len(),
            java.len(),
            ours.owned
        );
        tokio::select! {
            Some(s) = rx.recv() => ours.take(s),
            Some(Seen::Record(_, p, o)) = java_rx.recv() => java.push((p, o)),
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
    // Anything read twice would show up shortly.
    let quiet = Instant::now() + Duration::from_secs(2);
    loop {
        tokio::select! {
            Some(s) = rx.recv() => ours.take(s),
            Some(Seen::Record(_, p, o)) = java_rx.recv() => java.push((p, o)),
            _ = tokio::time::sleep_until(quiet.into()) => return,
        }
    }
}

/// Our members' records as (partition, offset).
fn pairs(records: &[(usize, i32, i64)]) -> Vec<(i32, i64)> {
    records.iter().map(|(_, p, o)| (*p, *o)).collect()
}

fn assert_once(ours: &[(i32, i64)], java: &[(i32, i64)], want: &BTreeSet<(i32, i64)>) {
    let all: Vec<(i32, i64)> = ours.iter().chain(java).copied().collect();
    let unique: BTreeSet<(i32, i64)> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len(), "a record read twice");
    assert_eq!(&unique, want, "exactly the records produced");
}

fn offsets(partitions: std::ops::Range<i32>, range: std::ops::Range<i64>) -> BTreeSet<(i32, i64)> {
    partitions
        .flat_map(|p| range.clone().map(move |o| (p, o)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_java_leader_hands_us_partitions_incrementally() {
    let topic = unique("ferro-c-coop-java");
    let group = unique("ferro-g");
    let id = create_topic(&topic, 6).await;
    let within = Duration::from_secs(60);
    produce_round(&topic, id, 1).await;
    let (java_tx, mut java_rx) = mpsc::unbounded_channel();
    let _java = java_member(&group, &topic, java_tx);
    let mut java = Vec::new();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut ours = Log::default();
    read_both(&mut ours, &mut rx, &mut java, &mut java_rx, 60, within).await;
    assert_eq!(java.len(), 60, "java alone reads round 1");

    let m = member(1, &group, &topic, tx);
    ours.until(&mut rx, within, "we own 3", |l| l.loads() == [3])
        .await;
    let mine = ours.owned[&1].clone();
    produce_round(&topic, id, 2).await;
    java.clear();
    read_both(&mut ours, &mut rx, &mut java, &mut java_rx, 60, within).await;
    assert_once(&pairs(&ours.records), &java, &offsets(0..6, 10..20));
    assert!(ours.records.iter().all(|(_, p, _)| mine.contains(p)));
    assert!(java.iter().all(|(p, _)| !mine.contains(p)));
    let taken_back = ours
        .changes
        .iter()
        .any(|(_, c)| !matches!(c, Rebalance::Assigned(_)));
    assert!(!taken_back, "{:?}", ours.changes);
    let _ = m.send(());
    tokio::time::sleep(Duration::from_millis(500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_java_member_joining_our_group_gets_only_what_we_revoke() {
    let topic = unique("ferro-c-coop-java");
    let group = unique("ferro-g");
    let id = create_topic(&topic, 6).await;
    let within = Duration::from_secs(60);
    produce_round(&topic, id, 1).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut ours = Log::default();
    let m = member(1, &group, &topic, tx);
    ours.until(&mut rx, within, "round 1 read", |l| l.records.len() == 60)
        .await;

    let (java_tx, mut java_rx) = mpsc::unbounded_channel();
    let _java = java_member(&group, &topic, java_tx);
    ours.until(&mut rx, within, "we keep 3", |l| l.loads() == [3])
        .await;
    let kept = ours.owned[&1].clone();
    produce_round(&topic, id, 2).await;
    let mut java = Vec::new();
    let round1 = std::mem::take(&mut ours.records);
    read_both(&mut ours, &mut rx, &mut java, &mut java_rx, 60, within).await;
    assert_eq!(round1.len(), 60);
    assert_once(&pairs(&ours.records), &java, &offsets(0..6, 10..20));
    assert!(ours.records.iter().all(|(_, p, _)| kept.contains(p)));
    assert!(java.iter().all(|(p, _)| !kept.contains(p)));
    let revoked: Vec<&Rebalance> = ours
        .changes
        .iter()
        .map(|(_, c)| c)
        .filter(|c| !matches!(c, Rebalance::Assigned(_)))
        .collect();
    assert!(
        matches!(revoked.as_slice(), [Rebalance::Revoked(tps)] if tps.len() == 3),
        "{revoked:?}"
    );
    let _ = m.send(());
    tokio::time::sleep(Duration::from_millis(500)).await;
}
