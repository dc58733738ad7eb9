//! The broker-driven consumer group protocol (KIP-848,
//! `group.protocol=consumer`) against a real Kafka 4.3.1: members joining
//! and leaving mid-stream over 12 partitions, every record read exactly
//! once, only moved partitions revoked (the others keep consuming), and
//! the committed offsets at the end exactly the records produced.

mod consumer_util;
#[path = "kip848_util/members.rs"]
mod members;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::{Duration, Instant};

use consumer_util::*;
use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, Rebalance};
use ferrokafka::protocol::Uuid;
use members::{run, Log, Seen};
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

/// A member on its own task (`members::run`): a non-retriable poll
/// error is reported as `Seen::Failed`, and every test asserts there was
/// none.
fn member(
    n: usize,
    config: ClientConfig,
    topic: &str,
    tx: mpsc::UnboundedSender<Seen>,
) -> oneshot::Sender<()> {
    run(n, Consumer::new(config).expect("consumer"), &[topic], tx)
}

/// No member failed.
fn assert_no_failures(log: &Log) {
    assert!(
        log.failures.is_empty(),
        "members failed: {:?}",
        log.failures
    );
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
    members::balanced(loads, members, PARTITIONS as usize)
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
    log.settle(&mut rx, Duration::from_secs(2)).await;
    assert_no_failures(&log);

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

/// Kafka's console consumer under `group.protocol=consumer`, reporting
/// each record it prints as member 0; killed when dropped.
struct JavaMember(std::process::Child);

impl Drop for JavaMember {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
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
            "group.protocol=consumer",
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
    JavaMember(child)
}

/// Our member and Java's console consumer, both under the consumer
/// protocol, share one group: the broker's assignment splits the 12
/// partitions between them and every record is read once, by one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_java_consumer_and_ours_share_one_kip848_group() {
    let topic = unique("ferro-kip848-java");
    let group = unique("ferro-g848-java");
    let id = create_topic(&topic, PARTITIONS).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut log = Log::default();
    let within = Duration::from_secs(90);
    let per_round = PARTITIONS as usize * PER_ROUND as usize;

    produce_round(&topic, id, 1).await;
    let _java = java_member(&group, &topic, tx.clone());
    log.until(&mut rx, within, "java reads round 1", |l| {
        l.distinct() >= per_round
    })
    .await;
    let ours = member(1, kip848_config(&group), &topic, tx.clone());
    // The broker moves half of the partitions to us.
    log.until(&mut rx, within, "we own 6", |l| {
        l.loads() == [PARTITIONS as usize / 2]
    })
    .await;
    for round in 2..=3 {
        produce_round(&topic, id, round).await;
    }
    let total = 3 * per_round;
    log.until(&mut rx, within, "every record read", |l| {
        l.distinct() >= total
    })
    .await;
    log.settle(&mut rx, Duration::from_secs(3)).await;
    assert_no_failures(&log);
    assert_eq!(log.distinct(), total);
    assert_eq!(
        log.records.len(),
        total,
        "a record read twice: {:?}",
        log.changes
    );
    let mine: BTreeSet<i32> = log.owned[&1].clone();
    let java_after_join: BTreeSet<i32> = log
        .records
        .iter()
        .filter(|(n, _, o)| *n == 0 && *o >= PER_ROUND)
        .map(|(_, p, _)| *p)
        .collect();
    assert!(
        mine.is_disjoint(&java_after_join),
        "one assignment: ours {mine:?}, java read {java_after_join:?}"
    );
    assert_eq!(
        mine.len() + java_after_join.len(),
        PARTITIONS as usize,
        "java keeps the other half"
    );
    let ours_read = log.records.iter().filter(|(n, _, _)| *n == 1).count();
    assert_eq!(
        ours_read,
        mine.len() * 2 * PER_ROUND as usize,
        "we read rounds 2-3 of ours"
    );
    let _ = ours.send(());
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// A static member (`group.instance.id`) under the consumer protocol
/// leaves with epoch -2 on close; restarted with the same instance id
/// within the session timeout it gets the same partitions back, and
/// nothing is read twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_member_gets_its_partitions_back_after_a_restart() {
    let topic = unique("ferro-kip848-static");
    let group = unique("ferro-g848-static");
    let id = create_topic(&topic, 4).await;
    let config = |instance: &str| {
        kip848_config(&group)
            .set("group.instance.id", instance)
            .expect("valid")
    };
    for p in 0..4 {
        produce(&topic, id, p, &["a".to_string(), "b".to_string()]).await;
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut log = Log::default();
    let within = Duration::from_secs(60);
    let one = member(1, config("static-1"), &topic, tx.clone());
    let two = member(2, config("static-2"), &topic, tx.clone());
    log.until(&mut rx, within, "2/2 and all read", |l| {
        l.loads() == [2, 2] && l.distinct() >= 8
    })
    .await;
    let before = log.owned[&1].clone();
    let settled = log.changes.len();
    let _ = one.send(());
    // Away for longer than the heartbeat interval (5 s): a member that
    // left for good would see its partitions handed to member 2 by now.
    tokio::time::sleep(Duration::from_secs(7)).await;
    for p in 0..4 {
        produce(&topic, id, p, &["c".to_string()]).await;
    }
    // Back within the broker's session timeout (45 s): same instance id,
    // same partitions, no rebalance for member 2.
    let (tx3, mut rx3) = mpsc::unbounded_channel();
    let mut again = Log::default();
    let one = member(1, config("static-1"), &topic, tx3);
    again
        .until(&mut rx3, within, "back with its partitions", |l| {
            l.owned.get(&1).is_some_and(|o| !o.is_empty())
        })
        .await;
    assert_eq!(again.owned[&1], before, "the same partitions back");
    again
        .until(&mut rx3, within, "its new records read", |l| {
            l.records.len() >= 2
        })
        .await;
    log.until(&mut rx, within, "member 2's new records read", |l| {
        l.distinct() >= 10
    })
    .await;
    again.settle(&mut rx3, Duration::from_secs(2)).await;
    assert_no_failures(&again);
    log.settle(&mut rx, Duration::from_millis(200)).await;
    assert_no_failures(&log);
    let mut all: Vec<(i32, i64)> = log
        .records
        .iter()
        .chain(&again.records)
        .map(|(_, p, o)| (*p, *o))
        .collect();
    all.sort();
    let distinct: BTreeSet<(i32, i64)> = all.iter().copied().collect();
    assert_eq!(distinct.len(), 12, "{all:?}");
    assert_eq!(all.len(), 12, "nothing read twice: {all:?}");
    assert!(
        log.changes[settled..].iter().all(|(n, _)| *n != 2),
        "member 2's assignment did not move while member 1 was away: {:?}",
        log.changes
    );
    for stop in [one, two] {
        let _ = stop.send(());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// A regex subscription under the consumer protocol is sent to the broker
/// (SubscribedTopicRegex, RE2/J, matched whole): a matching topic created
/// after the member joined is assigned and read; one that does not match
/// is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regex_subscription_picks_up_a_topic_created_later() {
    let prefix = unique("ferro-kip848-re");
    let group = unique("ferro-g848-re");
    let first = format!("{prefix}-a");
    let id = create_topic(&first, 2).await;
    let other = unique("ferro-kip848-nomatch");
    let other_id = create_topic(&other, 1).await;
    produce(&other, other_id, 0, &["never".to_string()]).await;
    for p in 0..2 {
        produce(&first, id, p, &[format!("a{p}")]).await;
    }
    let mut c = Consumer::new(kip848_config(&group)).expect("consumer");
    let pattern = format!("^{prefix}-.*");
    c.subscribe(&[pattern.as_str()]).expect("subscribes");
    let got = consume(&mut c, 2, Duration::from_secs(60)).await;
    assert!(got.iter().all(|m| m.topic() == first), "{got:?}");
    let second = format!("{prefix}-b");
    let id2 = create_topic(&second, 1).await;
    produce(&second, id2, 0, &["b0".to_string()]).await;
    let got = consume(&mut c, 1, Duration::from_secs(90)).await;
    assert_eq!(got[0].topic(), second);
    assert_eq!(text(&got[0]), "b0");
    assert!(
        drain(&mut c, Duration::from_secs(1)).await.is_empty(),
        "nothing from {other}"
    );
    let mut topics: Vec<String> = c.assignment().into_iter().map(|tp| tp.topic).collect();
    topics.sort();
    topics.dedup();
    assert_eq!(topics, [first, second]);
    c.close().await.expect("closes");
}

/// The consumer example (`examples/consumer.rs`): `cargo test` builds the
/// examples beside the test binaries' `deps` directory.
fn consumer_example() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let path = dir.join("examples").join("consumer");
    assert!(
        path.exists(),
        "{} is missing: run through `cargo test`, which builds the examples",
        path.display()
    );
    path
}

/// Each partition's committed offset for `group`.
async fn committed(checker: &Consumer, topic: &str, partitions: i32) -> Vec<Option<i64>> {
    let tps: Vec<(&str, i32)> = (0..partitions).map(|p| (topic, p)).collect();
    checker
        .committed(&tps, Duration::from_secs(10))
        .await
        .expect("committed")
        .into_iter()
        .map(|(_, o)| o)
        .collect()
}

/// A member process killed with `kill -9` under the consumer protocol:
/// the broker hands its partitions to the survivor once its session times
/// out (45 s, the broker's default and minimum); nothing is lost, and the
/// group's committed offsets never go back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_killed_with_sigkill_hands_its_partitions_over() {
    use std::io::BufRead;
    let topic = unique("ferro-kip848-kill");
    let group = unique("ferro-g848-kill");
    let partitions = 6;
    let id = create_topic(&topic, partitions).await;
    let value = |round: usize, p: i32, i: i64| format!("r{round}-p{p}-{i}");
    for p in 0..partitions {
        let values: Vec<String> = (0..PER_ROUND).map(|i| value(1, p, i)).collect();
        produce(&topic, id, p, &values).await;
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut log = Log::default();
    let survivor = member(1, kip848_config(&group), &topic, tx.clone());
    log.until(&mut rx, Duration::from_secs(60), "survivor owns all", |l| {
        l.loads() == [6]
    })
    .await;

    let mut victim = std::process::Command::new(consumer_example())
        .args(["--bootstrap", &bootstrap(), "--topic", &topic])
        .args([
            "-X",
            &format!("group.id={group}"),
            "-X",
            "group.protocol=consumer",
        ])
        .args([
            "-X",
            "enable.partition.eof=false",
            "-X",
            "auto.commit.interval.ms=100",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the example starts");
    let (vtx, mut vrx) = mpsc::unbounded_channel::<String>();
    let stdout = victim.stdout.take().expect("piped");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(v) = line.split("value=").nth(1) {
                let _ = vtx.send(v.to_owned());
            }
        }
    });
    log.until(&mut rx, Duration::from_secs(60), "the victim took 3", |l| {
        l.loads() == [3]
    })
    .await;
    // Records for the victim's partitions too, then it dies mid-stream.
    for p in 0..partitions {
        let values: Vec<String> = (0..PER_ROUND).map(|i| value(2, p, i)).collect();
        produce(&topic, id, p, &values).await;
    }
    let checker = Consumer::new(kip848_config(&group)).expect("consumer");
    let mut last = committed(&checker, &topic, partitions).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    victim.kill().expect("SIGKILL");
    let _ = victim.wait();

    // Until the survivor owns everything again, committed offsets are
    // watched: they never go back.
    let deadline = Instant::now() + Duration::from_secs(90);
    while log.loads() != [6] {
        assert!(
            Instant::now() < deadline,
            "the partitions never moved: {:?}",
            log.owned
        );
        while let Ok(Some(s)) = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await {
            log.take(s);
        }
        let now = committed(&checker, &topic, partitions).await;
        for (p, (before, after)) in last.iter().zip(&now).enumerate() {
            assert!(
                after >= before,
                "partition {p}: committed went from {before:?} to {after:?}"
            );
        }
        last = now;
    }
    let want: HashSet<String> = (1..=2)
        .flat_map(|r| {
            (0..partitions).flat_map(move |p| (0..PER_ROUND).map(move |i| value(r, p, i)))
        })
        .collect();
    // Every record read by the victim before it died, or by the survivor
    // (from the victim's last commit on).
    let mut read: HashSet<String> = HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        while let Ok(v) = vrx.try_recv() {
            read.insert(v);
        }
        for (_, p, o) in &log.records {
            let (round, i) = if *o < PER_ROUND {
                (1, *o)
            } else {
                (2, *o - PER_ROUND)
            };
            read.insert(value(round, *p, i));
        }
        if want.is_subset(&read) || Instant::now() > deadline {
            break;
        }
        while let Ok(Some(s)) = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
            log.take(s);
        }
    }
    let lost: Vec<&String> = want.difference(&read).collect();
    assert!(lost.is_empty(), "lost: {lost:?}");
    assert_no_failures(&log);
    let _ = survivor.send(());
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        let now = committed(&checker, &topic, partitions).await;
        if now.iter().all(|o| *o == Some(2 * PER_ROUND)) {
            break;
        }
        assert!(Instant::now() < end, "final committed offsets {now:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
