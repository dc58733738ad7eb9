//! Consumer groups against a real broker: members joining and leaving
//! mid-stream (nothing lost, nothing read twice across clean rebalances,
//! offsets checked with Kafka's own ConsumerGroupCommand), a member that
//! stops polling losing its partitions, and close() (or dropping the
//! consumer) leaving at once.

mod consumer_util;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use consumer_util::*;
use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, ConsumerError};
use ferrokafka::protocol::Uuid;
use tokio::sync::{mpsc, oneshot};

/// A member polling on its own task until told to close; sends every
/// (partition, offset, "name value") it reads.
fn member(
    name: &'static str,
    group: &str,
    topic: &str,
    seen: mpsc::UnboundedSender<(i32, i64, String)>,
) -> oneshot::Sender<()> {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let mut c = Consumer::new(group_config(group)).expect("consumer");
    c.subscribe(&[topic]).expect("subscribes");
    tokio::spawn(async move {
        loop {
            if stopped.try_recv().is_ok() {
                c.close().await.expect("closes");
                return;
            }
            match c.poll(Duration::from_millis(100)).await {
                Some(Ok(m)) => {
                    let _ = seen.send((m.partition(), m.offset(), format!("{name} {}", text(&m))));
                }
                Some(Err(e)) if e.is_partition_eof() => {}
                Some(Err(e)) => panic!("member poll failed: {e}"),
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
async fn members_join_and_leave_mid_stream_every_record_read_once() {
    let topic = unique("ferro-c-group");
    let group = unique("ferro-g");
    let id = create_topic(&topic, 6).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut round = 0;
    let next_round = |n: &mut usize| {
        *n += 1;
        *n
    };
    produce_round(&topic, id, next_round(&mut round)).await;
    let m1 = member("m1", &group, &topic, tx.clone());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    produce_round(&topic, id, next_round(&mut round)).await;
    let m2 = member("m2", &group, &topic, tx.clone());
    tokio::time::sleep(Duration::from_millis(1000)).await;
    produce_round(&topic, id, next_round(&mut round)).await;
    let m3 = member("m3", &group, &topic, tx.clone());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    produce_round(&topic, id, next_round(&mut round)).await;
    let _ = m1.send(());
    tokio::time::sleep(Duration::from_millis(1000)).await;
    produce_round(&topic, id, next_round(&mut round)).await;
    let _ = m2.send(());
    produce_round(&topic, id, next_round(&mut round)).await;
    let total = round * 6 * 10;

    let mut seen: Vec<(i32, i64, String)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.len() < total && Instant::now() < deadline {
        if let Ok(Some(s)) = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await {
            seen.push(s);
        }
    }
    // Anything read twice would show up shortly after.
    while let Ok(Some(s)) = tokio::time::timeout(Duration::from_millis(1500), rx.recv()).await {
        seen.push(s);
    }
    let _ = m3.send(());
    let unique_seen: HashSet<(i32, i64)> = seen.iter().map(|(p, o, _)| (*p, *o)).collect();
    assert_eq!(unique_seen.len(), total, "every record read");
    let read_twice: Vec<&(i32, i64, String)> = seen
        .iter()
        .filter(|(p, o, _)| seen.iter().filter(|s| s.0 == *p && s.1 == *o).count() > 1)
        .collect();
    assert!(read_twice.is_empty(), "read twice (by): {read_twice:?}");
    assert_eq!(seen.len(), total, "no record read twice");
    for p in 0..6 {
        for o in 0..(round as i64 * 10) {
            assert!(unique_seen.contains(&(p, o)), "missing {p}/{o}");
        }
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    check_with_kafka_tool(&group, &topic, round as i64 * 10).await;
}

/// Kafka's own ConsumerGroupCommand must see every partition's committed
/// offset at its end.
async fn check_with_kafka_tool(group: &str, topic: &str, end: i64) {
    let classpath = std::env::var("FERROKAFKA_KAFKA_CLASSPATH")
        .expect("FERROKAFKA_KAFKA_CLASSPATH is set (source the brokers' env file)");
    let (group, bootstrap) = (group.to_owned(), bootstrap());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("java")
            .args([
                "-Xms64m",
                "-Xmx256m",
                "-cp",
                &classpath,
                "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
                "--bootstrap-server",
                &bootstrap,
                "--describe",
                "--group",
                &group,
            ])
            .output()
    })
    .await
    .expect("joins")
    .expect("java runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut partitions = HashSet::new();
    for line in stdout.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() >= 5 && cols[1] == topic {
            let p: i32 = cols[2].parse().expect("partition");
            assert_eq!(cols[3], end.to_string(), "current offset of {p}: {line}");
            assert_eq!(cols[4], end.to_string(), "log end offset of {p}: {line}");
            partitions.insert(p);
        }
    }
    assert_eq!(partitions.len(), 6, "{stdout}");
}

/// Polls both until `ok` says the assignments are as wanted.
async fn poll_both_until(
    a: &mut Consumer,
    b: &mut Consumer,
    within: Duration,
    ok: impl Fn(&Consumer, &Consumer) -> bool,
) {
    let deadline = Instant::now() + within;
    while !ok(a, b) {
        assert!(
            Instant::now() < deadline,
            "assignments never settled: {:?} / {:?}",
            a.assignment(),
            b.assignment()
        );
        for c in [&mut *a, &mut *b] {
            if let Some(Err(e)) = c.poll(Duration::from_millis(50)).await {
                assert!(e.is_partition_eof(), "{e}");
            }
        }
    }
}

/// Two members of one group (`config`) on a fresh topic of `partitions`
/// partitions, polled until each owns half of them.
async fn settled_pair(prefix: &str, partitions: i32, config: ClientConfig) -> (Consumer, Consumer) {
    let topic = unique(prefix);
    create_topic(&topic, partitions).await;
    let mut a = Consumer::new(config.clone()).expect("consumer");
    let mut b = Consumer::new(config).expect("consumer");
    a.subscribe(&[&topic]).expect("subscribes");
    b.subscribe(&[&topic]).expect("subscribes");
    let half = partitions as usize / 2;
    poll_both_until(&mut a, &mut b, Duration::from_secs(30), |a, b| {
        a.assignment().len() == half && b.assignment().len() == half
    })
    .await;
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_stops_polling_loses_its_partitions_to_the_others() {
    let config = group_config(&unique("ferro-g"))
        .set("max.poll.interval.ms", "3000")
        .expect("valid");
    let (mut a, mut b) = settled_pair("ferro-c-stall", 6, config).await;
    // `a` stops polling; `b` goes on and must end up with everything.
    let stalled_at = Instant::now();
    while b.assignment().len() < 6 {
        assert!(
            stalled_at.elapsed() < Duration::from_secs(20),
            "b never got a's partitions: {:?}",
            b.assignment()
        );
        if let Some(Err(e)) = b.poll(Duration::from_millis(100)).await {
            assert!(e.is_partition_eof(), "{e}");
        }
    }
    assert!(stalled_at.elapsed() >= Duration::from_millis(2500));
    // `a` learns what happened when it polls again.
    match a.poll(Duration::from_secs(5)).await {
        Some(Err(ConsumerError::MaxPollIntervalExceeded {
            max_poll_interval_ms,
        })) => {
            assert_eq!(max_poll_interval_ms, 3000)
        }
        other => panic!("expected MaxPollIntervalExceeded, got {other:?}"),
    }
    assert!(a.assignment().is_empty());
    b.close().await.expect("closes");
    a.close().await.expect("closes");
}

/// Two members share 4 partitions under a 30 s session; `go` makes the
/// first one go away. The other must own all 4 within 10 s: without a
/// LeaveGroup it would wait out the session.
async fn the_survivor_takes_over_at_once<F, Fut>(prefix: &str, go: F)
where
    F: FnOnce(Consumer) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let config = group_config(&unique("ferro-g"))
        .set("session.timeout.ms", "30000")
        .expect("valid");
    let (a, mut b) = settled_pair(prefix, 4, config).await;
    let gone = Instant::now();
    go(a).await;
    while b.assignment().len() < 4 {
        assert!(
            gone.elapsed() < Duration::from_secs(10),
            "the other member still waits: {:?}",
            b.assignment()
        );
        if let Some(Err(e)) = b.poll(Duration::from_millis(100)).await {
            assert!(e.is_partition_eof(), "{e}");
        }
    }
    b.close().await.expect("closes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_leaves_the_group_at_once() {
    the_survivor_takes_over_at_once("ferro-c-close", |mut a| async move {
        a.close().await.expect("closes");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_consumer_still_leaves_the_group_promptly() {
    the_survivor_takes_over_at_once("ferro-c-drop", |a| async move { drop(a) }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_after_consuming_does_not_wait_for_a_long_poll() {
    let topic = unique("ferro-c-close-fast");
    let group = unique("ferro-g");
    let id = create_topic(&topic, 1).await;
    let values: Vec<String> = (0..20).map(|i| format!("v{i}")).collect();
    produce(&topic, id, 0, &values).await;
    let config = group_config(&group)
        .set("fetch.wait.max.ms", "500")
        .expect("valid");
    let mut c = Consumer::new(config.clone()).expect("consumer");
    c.subscribe(&[&topic]).expect("subscribes");
    consume(&mut c, 20, Duration::from_secs(30)).await;
    // Nothing more to read: the broker now holds the next fetch for
    // fetch.wait.max.ms. The final commit and LeaveGroup must not queue
    // behind it (before they had their own connection: ~0.9 s).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let closing = Instant::now();
    c.close().await.expect("closes");
    let took = closing.elapsed();
    assert!(
        took < Duration::from_millis(400),
        "close took {took:?} with fetch.wait.max.ms=500"
    );
    // And it did commit.
    let check = Consumer::new(config).expect("consumer");
    let committed = check
        .committed(&[(&topic, 0)], Duration::from_secs(10))
        .await
        .expect("committed");
    assert_eq!(committed[0].1, Some(20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_are_not_held_behind_a_long_poll() {
    let topic = unique("ferro-c-hb");
    let group = unique("ferro-g");
    create_topic(&topic, 1).await;
    // The broker holds each (empty) fetch longer than the session lasts:
    // heartbeats queued behind it on the same connection would come too
    // late, and the member would be expelled and rebalanced.
    let config = group_config(&group)
        .set("fetch.wait.max.ms", "8000")
        .and_then(|c| c.set("session.timeout.ms", "6000"))
        .expect("valid");
    let changes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut c = Consumer::new(config).expect("consumer");
    let log = changes.clone();
    c.set_rebalance_listener(move |change| {
        log.lock().expect("lock").push(format!("{change:?}"));
    });
    c.subscribe(&[&topic]).expect("subscribes");
    let started = Instant::now();
    while c.assignment().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never assigned"
        );
        if let Some(Err(e)) = c.poll(Duration::from_millis(100)).await {
            assert!(e.is_partition_eof(), "{e}");
        }
    }
    let stable = Instant::now();
    while stable.elapsed() < Duration::from_secs(10) {
        if let Some(Err(e)) = c.poll(Duration::from_millis(200)).await {
            assert!(e.is_partition_eof(), "{e}");
        }
    }
    let changes = changes.lock().expect("lock").clone();
    assert_eq!(changes.len(), 1, "rebalanced while idle: {changes:?}");
    c.close().await.expect("closes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_polls_served_from_the_buffer_still_count_as_polls() {
    let topic = unique("ferro-c-slowpoll");
    let group = unique("ferro-g");
    let id = create_topic(&topic, 1).await;
    let values: Vec<String> = (0..50).map(|i| format!("v{i}")).collect();
    produce(&topic, id, 0, &values).await;
    let config = group_config(&group)
        .set("max.poll.interval.ms", "2000")
        .expect("valid");
    let mut c = Consumer::new(config).expect("consumer");
    c.subscribe(&[&topic]).expect("subscribes");
    consume(&mut c, 1, Duration::from_secs(30)).await;
    // Every poll below is answered from the fetched batch, without a
    // clock read; each must still reset the max.poll.interval.ms clock.
    let slow = Instant::now();
    while slow.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(700)).await;
        match c.poll(Duration::from_secs(1)).await {
            Some(Ok(_)) => {}
            other => panic!("expected a message, got {other:?}"),
        }
    }
    assert_eq!(c.assignment().len(), 1);
    c.close().await.expect("closes");
}
