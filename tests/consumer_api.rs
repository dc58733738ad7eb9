//! The consumer calls people port from confluent-kafka and rust-rdkafka,
//! each against a real broker: `offsets_for_times` (checked against
//! Kafka's own GetOffsetShell for the same timestamps), `fetch_watermarks`,
//! `get_watermark_offsets` and `lag`, `incremental_assign` /
//! `incremental_unassign` / `unassign`, commits with metadata, pattern
//! subscriptions picking up a topic created later (classic protocol; the
//! KIP-848 one is in `consumer_kip848.rs`), an async rebalance listener
//! seeing cooperative increments, and per-partition queues read on
//! separate tasks.

mod consumer_util;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use consumer_util::*;
use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, Offset, Rebalance, TopicPartition};
use ferrokafka::net::Connection;
use ferrokafka::protocol::messages::produce::{PartitionProduceData, TopicProduceData};
use ferrokafka::protocol::messages::ProduceRequest;
use ferrokafka::protocol::records::{BatchOptions, RecordBatchWriter};
use ferrokafka::protocol::{ErrorCode, Uuid};

const T: Duration = Duration::from_secs(20);

/// Produces `records` (timestamp, value) to `topic` [`partition`] as one
/// batch with those timestamps (CreateTime).
async fn produce_at(
    conn: &Connection,
    topic: &str,
    id: Uuid,
    partition: i32,
    records: &[(i64, &str)],
) {
    let mut w = RecordBatchWriter::new(BatchOptions::default());
    for (ts, v) in records {
        w.append(*ts, None, Some(v.as_bytes()), &[]);
    }
    let records = w.finish().expect("encodes");
    for _ in 0..50 {
        let r = conn
            .send(&ProduceRequest {
                acks: -1,
                timeout_ms: 30_000,
                topic_data: vec![TopicProduceData {
                    name: topic.into(),
                    topic_id: id,
                    partition_data: vec![PartitionProduceData {
                        index: partition,
                        records: Some(records.clone()),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .expect("Produce answered");
        let code = ErrorCode::from_code(r.responses[0].partition_responses[0].error_code);
        if code == ErrorCode::None {
            return;
        }
        // A topic just created may not have its leader everywhere yet.
        assert!(
            code.is_retriable(),
            "produce to {topic} [{partition}]: {code:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("produce to {topic} [{partition}] never succeeded");
}

fn values(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

fn tp(topic: &str, partition: i32) -> TopicPartition {
    TopicPartition {
        topic: topic.into(),
        partition,
    }
}

/// A consumer without a group.
fn plain_config() -> ClientConfig {
    ClientConfig::from_properties([
        ("bootstrap.servers", bootstrap().as_str()),
        ("fetch.wait.max.ms", "100"),
        ("retry.backoff.ms", "100"),
    ])
    .expect("valid config")
}

/// GetOffsetShell's answer for `topic` at `time`: partition -> offset (a
/// partition with no record that new is left out, as the tool does).
async fn get_offset_shell(topic: &str, time: i64) -> BTreeMap<i32, i64> {
    let out = kafka_tool(
        "org.apache.kafka.tools.GetOffsetShell",
        &[
            "--bootstrap-server",
            &bootstrap(),
            "--topic",
            &format!("^{topic}$"),
            "--time",
            &time.to_string(),
        ],
    )
    .await;
    let mut found = BTreeMap::new();
    for line in out.lines() {
        // topic:partition:offset
        let mut parts = line.rsplitn(3, ':');
        let (Some(o), Some(p), Some(t)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if t == topic && !o.is_empty() {
            found.insert(
                p.parse().expect("partition number"),
                o.parse().expect("offset"),
            );
        }
    }
    found
}

/// Runs the futures concurrently, answers in order.
async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in set.iter_mut().zip(out.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

#[tokio::test]
async fn offsets_for_times_agree_with_get_offset_shell() {
    let topic = unique("api-times");
    let id = create_topic(&topic, 2).await;
    let conn = connect().await;
    // Ten minutes ago: within the topic's retention (records older than
    // retention.ms are deleted at the broker's next check).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64;
    let base = now - 600_000;
    // Partition 0: timestamps base, base+10, ..., base+90 (offsets 0..10).
    let p0: Vec<(i64, String)> = (0..10).map(|i| (base + 10 * i, format!("a{i}"))).collect();
    // Partition 1: out of order in one batch, as CreateTime allows.
    let p1: Vec<(i64, String)> = [50, 5, 70, 20, 95]
        .iter()
        .enumerate()
        .map(|(i, d)| (base + d, format!("b{i}")))
        .collect();
    let p0r: Vec<(i64, &str)> = p0.iter().map(|(t, s)| (*t, s.as_str())).collect();
    let p1r: Vec<(i64, &str)> = p1.iter().map(|(t, s)| (*t, s.as_str())).collect();
    produce_at(&conn, &topic, id, 0, &p0r).await;
    produce_at(&conn, &topic, id, 1, &p1r).await;

    let c = Consumer::new(plain_config()).expect("consumer");
    // Before all, exactly a record's (partition 0) and later than an
    // earlier offset's (partition 1, out of order), between records,
    // after all.
    let times = [base - 1000, base + 20, base + 71, base + 5000];
    // Kafka's tool takes one timestamp per run: the runs go in parallel.
    let shell = futures_join(times.iter().map(|t| get_offset_shell(&topic, *t))).await;
    for (time, theirs) in times.iter().zip(shell) {
        let ours = c
            .offsets_for_times(&[(&topic, 0, *time), (&topic, 1, *time)], T)
            .await
            .expect("offsets_for_times");
        let ours: BTreeMap<i32, i64> = ours
            .into_iter()
            .filter_map(|(tp, o)| o.map(|o| (tp.partition, o)))
            .collect();
        assert_eq!(ours, theirs, "at base{:+} ms", time - base);
    }
    // A few expectations spelled out, so an agreement on nonsense fails too.
    let found = c
        .offsets_for_times(
            &[
                (&topic, 0, base + 15),
                (&topic, 1, base + 60),
                (&topic, 0, base + 91),
            ],
            T,
        )
        .await
        .expect("offsets_for_times");
    assert_eq!(found[0], (tp(&topic, 0), Some(2)));
    // The first record at or after base+60 in offset order is b2 (base+70).
    assert_eq!(found[1], (tp(&topic, 1), Some(2)));
    assert_eq!(found[2], (tp(&topic, 0), None));

    let err = c
        .offsets_for_times(
            &[(&unique("api-times-none"), 0, base)],
            Duration::from_secs(2),
        )
        .await
        .expect_err("no such topic");
    assert!(
        err.kafka_code() == Some(ErrorCode::UnknownTopicOrPartition),
        "the broker's answer is the error: {err}"
    );
}

#[tokio::test]
async fn watermarks_from_the_broker_and_from_fetches_and_lag() {
    let topic = unique("api-watermarks");
    let id = create_topic(&topic, 1).await;
    produce(&topic, id, 0, &values(10, "w")).await;

    let mut c = Consumer::new(plain_config()).expect("consumer");
    assert_eq!(
        c.fetch_watermarks(&topic, 0, T).await.expect("watermarks"),
        (0, 10)
    );
    // Not assigned, nothing fetched yet: nothing cached.
    assert_eq!(c.get_watermark_offsets(&topic, 0), None);
    c.assign(&[(&topic, 0, Offset::At(3))]).expect("assign");
    assert_eq!(c.lag(), vec![(tp(&topic, 0), None)], "nothing fetched yet");
    let got = consume(&mut c, 4, T).await;
    assert_eq!(got.last().map(|m| m.offset()), Some(6));
    let w = c
        .get_watermark_offsets(&topic, 0)
        .expect("cached after a fetch");
    assert_eq!((w.low, w.high, w.end), (0, 10, 10));
    assert_eq!(c.lag(), vec![(tp(&topic, 0), Some(3))]);

    // More records: the cache follows the fetches, the broker knows now.
    produce(&topic, id, 0, &values(5, "x")).await;
    assert_eq!(
        c.fetch_watermarks(&topic, 0, T).await.expect("watermarks"),
        (0, 15)
    );
    let got = consume(&mut c, 8, T).await;
    assert_eq!(got.last().map(|m| m.offset()), Some(14));
    let deadline = Instant::now() + T;
    while c.lag() != vec![(tp(&topic, 0), Some(0))] {
        assert!(Instant::now() < deadline, "lag {:?}", c.lag());
        let _ = c.poll(Duration::from_millis(100)).await;
    }
    assert_eq!(c.get_watermark_offsets(&topic, 0).map(|w| w.high), Some(15));

    let err = c
        .fetch_watermarks(&topic, 7, Duration::from_secs(2))
        .await
        .expect_err("no partition 7");
    assert!(err.kafka_code().is_some(), "a Kafka error: {err}");
}

#[tokio::test]
async fn incremental_assign_and_unassign_leave_the_other_partitions_alone() {
    let topic = unique("api-incremental");
    let id = create_topic(&topic, 3).await;
    for p in 0..3 {
        produce(&topic, id, p, &values(5, &format!("p{p}-"))).await;
    }
    let mut c = Consumer::new(plain_config()).expect("consumer");
    c.assign(&[(&topic, 0, Offset::Beginning)]).expect("assign");
    let got = consume(&mut c, 5, T).await;
    assert!(got.iter().all(|m| m.partition() == 0));

    c.incremental_assign(&[
        (&topic, 1, Offset::Beginning),
        (&topic, 0, Offset::Beginning),
    ])
    .expect("incremental_assign");
    assert_eq!(c.assignment(), vec![tp(&topic, 0), tp(&topic, 1)]);
    let got = consume(&mut c, 5, T).await;
    // Partition 0 kept its position: only partition 1's records came.
    assert!(got.iter().all(|m| m.partition() == 1), "{got:?}");

    c.incremental_unassign(&[(&topic, 0)])
        .expect("incremental_unassign");
    c.incremental_assign(&[(&topic, 2, Offset::At(3))])
        .expect("incremental_assign");
    produce(&topic, id, 0, &values(3, "late0-")).await;
    produce(&topic, id, 1, &values(3, "late1-")).await;
    let got = consume(&mut c, 5, T).await;
    let mut got: Vec<(i32, i64)> = got.iter().map(|m| (m.partition(), m.offset())).collect();
    got.extend(
        drain(&mut c, Duration::from_millis(800))
            .await
            .iter()
            .map(|m| (m.partition(), m.offset())),
    );
    got.sort();
    assert_eq!(
        got,
        vec![(1, 5), (1, 6), (1, 7), (2, 3), (2, 4)],
        "nothing of partition 0"
    );
    assert_eq!(c.assignment(), vec![tp(&topic, 1), tp(&topic, 2)]);

    c.unassign().expect("unassign");
    assert!(c.assignment().is_empty());
    produce(&topic, id, 1, &values(2, "after-")).await;
    assert!(drain(&mut c, Duration::from_millis(800)).await.is_empty());
    // After unassign the consumer may subscribe; then assigning is refused.
    let mut g = Consumer::new(group_config(&unique("api-incremental-group"))).expect("consumer");
    g.assign(&[(&topic, 0, Offset::Beginning)]).expect("assign");
    g.unassign().expect("unassign");
    g.subscribe(&[&topic]).expect("subscribe after unassign");
    assert_eq!(g.subscription(), vec![topic.clone()]);
    assert!(g
        .incremental_assign(&[(&topic, 0, Offset::Beginning)])
        .is_err());
    g.close().await.expect("close");
}

#[tokio::test]
async fn commits_carry_metadata_and_committed_returns_it() {
    let topic = unique("api-metadata");
    let group = unique("api-metadata-group");
    let id = create_topic(&topic, 2).await;
    produce(&topic, id, 0, &values(3, "m")).await;
    let mut c = Consumer::new(group_config(&group)).expect("consumer");
    c.commit_offsets_with_metadata(&[(&topic, 0, 2, "checkpoint-7"), (&topic, 1, 0, "")])
        .await
        .expect("commit");
    // A fresh consumer of the group reads them back from the broker.
    let reader = Consumer::new(group_config(&group)).expect("consumer");
    let found = reader
        .committed_with_metadata(&[(&topic, 0), (&topic, 1)], T)
        .await
        .expect("committed");
    let c0 = found[0].1.as_ref().expect("partition 0 committed");
    assert_eq!(
        (found[0].0.partition, c0.offset, c0.metadata.as_str()),
        (0, 2, "checkpoint-7")
    );
    let c1 = found[1].1.as_ref().expect("partition 1 committed");
    assert_eq!((c1.offset, c1.metadata.as_str()), (0, ""));
    // A plain commit replaces the metadata with none, as Java's does.
    c.commit_offsets(&[(&topic, 0, 3)]).await.expect("commit");
    let found = reader
        .committed_with_metadata(&[(&topic, 0)], T)
        .await
        .expect("committed");
    let c0 = found[0].1.as_ref().expect("committed");
    assert_eq!((c0.offset, c0.metadata.as_str()), (3, ""));
    assert_eq!(
        reader
            .committed(&[(&topic, 0)], T)
            .await
            .expect("committed"),
        vec![(tp(&topic, 0), Some(3))]
    );
}

#[tokio::test]
async fn pattern_subscription_picks_up_a_topic_created_later() {
    let prefix = unique("api-regex");
    let first = format!("{prefix}-first");
    let other = unique("api-regex-other");
    let id = create_topic(&first, 1).await;
    let other_id = create_topic(&other, 1).await;
    produce(&first, id, 0, &values(3, "first-")).await;
    produce(&other, other_id, 0, &values(3, "other-")).await;

    // The classic protocol: the client matches the pattern against the
    // metadata it refreshes.
    let config = group_config(&unique("api-regex-group"))
        .set("metadata.max.age.ms", "1000")
        .and_then(|c| c.set("group.protocol", "classic"))
        .expect("valid");
    let mut c = Consumer::new(config).expect("consumer");
    let pattern = format!("^{prefix}-.*");
    assert!(Consumer::new(group_config("g"))
        .expect("consumer")
        .subscribe(&["^(unclosed"])
        .is_err());
    c.subscribe(&[&pattern]).expect("subscribe");
    assert_eq!(c.subscription(), vec![pattern.clone()]);
    let got = consume(&mut c, 3, T).await;
    assert!(
        got.iter().all(|m| m.topic() == first),
        "{:?}",
        got.iter().map(|m| m.topic()).collect::<Vec<_>>()
    );
    assert_eq!(c.assignment(), vec![tp(&first, 0)]);

    let second = format!("{prefix}-second");
    let id2 = create_topic(&second, 2).await;
    produce(&second, id2, 0, &values(2, "second-")).await;
    produce(&second, id2, 1, &values(2, "second-")).await;
    let started = Instant::now();
    let got = consume(&mut c, 4, Duration::from_secs(30)).await;
    let topics: BTreeSet<&str> = got.iter().map(|m| m.topic()).collect();
    assert_eq!(topics, BTreeSet::from([second.as_str()]));
    eprintln!(
        "the new topic's records came {:?} after it was written",
        started.elapsed()
    );
    assert_eq!(
        c.assignment(),
        vec![tp(&first, 0), tp(&second, 0), tp(&second, 1)]
    );
    // The other topic was never read.
    assert!(drain(&mut c, Duration::from_millis(500))
        .await
        .iter()
        .all(|m| m.topic() != other));
    c.close().await.expect("close");
}

#[tokio::test]
async fn async_rebalance_listener_sees_cooperative_increments_before_the_records_after_them() {
    let topic = unique("api-async-listener");
    let group = unique("api-async-listener-group");
    let id = create_topic(&topic, 4).await;
    for p in 0..4 {
        produce(&topic, id, p, &values(2, "r")).await;
    }
    let config = || {
        group_config(&group)
            .set("partition.assignment.strategy", "cooperative-sticky")
            .expect("valid")
    };
    let mut first = Consumer::new(config()).expect("consumer");
    let changes = Arc::new(std::sync::Mutex::new(Vec::<Rebalance>::new()));
    let done = Arc::new(AtomicBool::new(true));
    let (log, flag) = (changes.clone(), done.clone());
    first.set_async_rebalance_listener(move |change| {
        let (log, flag) = (log.clone(), flag.clone());
        async move {
            flag.store(false, Ordering::SeqCst);
            // A listener that awaits: nothing is handed out meanwhile.
            tokio::time::sleep(Duration::from_millis(300)).await;
            log.lock().expect("lock").push(change);
            flag.store(true, Ordering::SeqCst);
        }
    });
    first.subscribe(&[&topic]).expect("subscribe");
    let got = consume(&mut first, 8, T).await;
    assert_eq!(got.len(), 8);
    assert_eq!(
        changes.lock().expect("lock").clone(),
        vec![Rebalance::Assigned((0..4).map(|p| tp(&topic, p)).collect())]
    );

    // A second member: the first gives back two partitions and keeps two.
    let mut second = Consumer::new(config()).expect("consumer");
    second.subscribe(&[&topic]).expect("subscribe");
    let deadline = Instant::now() + Duration::from_secs(30);
    while first.assignment().len() != 2 || second.assignment().len() != 2 {
        assert!(
            Instant::now() < deadline,
            "no rebalance: {:?} / {:?}",
            first.assignment(),
            second.assignment()
        );
        if let Some(Ok(_)) = first.poll(Duration::from_millis(50)).await {
            assert!(
                done.load(Ordering::SeqCst),
                "a record came while the listener ran"
            );
        }
        let _ = second.poll(Duration::from_millis(50)).await;
    }
    let seen = changes.lock().expect("lock").clone();
    let revoked: Vec<TopicPartition> = seen
        .iter()
        .filter_map(|c| match c {
            Rebalance::Revoked(tps) => Some(tps.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(
        revoked.len(),
        2,
        "only the moving partitions are revoked: {seen:?}"
    );
    let kept: BTreeSet<TopicPartition> = first.assignment().into_iter().collect();
    assert!(revoked.iter().all(|t| !kept.contains(t)), "{seen:?}");
    // No change re-assigned what the first member kept: increments only.
    let assigned = seen
        .iter()
        .filter(|c| matches!(c, Rebalance::Assigned(tps) if !tps.is_empty()))
        .count();
    assert_eq!(assigned, 1, "{seen:?}");
    assert!(
        seen.iter().all(|c| !matches!(c, Rebalance::Lost(_))),
        "{seen:?}"
    );
    second.close().await.expect("close");
    first.close().await.expect("close");
}

#[tokio::test]
async fn partition_queues_on_three_tasks_see_every_record_once_in_order() {
    let topic = unique("api-split");
    let id = create_topic(&topic, 3).await;
    for p in 0..3 {
        produce(&topic, id, p, &values(40, &format!("p{p}-"))).await;
    }
    let mut c = Consumer::new(group_config(&unique("api-split-group"))).expect("consumer");
    let mut tasks = Vec::new();
    for p in 0..3 {
        let mut q = c.split_partition_queue(&topic, p).expect("queue");
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while got.len() < 40 {
                match tokio::time::timeout(T, q.recv()).await {
                    Ok(Ok(m)) => got.push(m),
                    Ok(Err(e)) if e.is_partition_eof() => {}
                    Ok(Err(e)) => panic!("queue {p}: {e}"),
                    Err(_) => panic!("queue {p}: only {} of 40 within {T:?}", got.len()),
                }
            }
            // Nothing more comes on it.
            let extra = q.poll(Duration::from_millis(500)).await;
            assert!(
                !matches!(extra, Some(Ok(_))),
                "queue {p} handed out more: {extra:?}"
            );
            (q, got)
        }));
    }
    c.subscribe(&[&topic]).expect("subscribe");
    // The consumer's own poll serves the group meanwhile and hands out none
    // of the split partitions' records.
    let joined = async {
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("queue task"));
        }
        out
    };
    tokio::pin!(joined);
    let results = loop {
        tokio::select! {
            r = &mut joined => break r,
            item = c.poll(Duration::from_millis(100)) => {
                if let Some(Ok(m)) = item {
                    panic!("poll handed out {} [{}] {}", m.topic(), m.partition(), m.offset());
                }
            }
        }
    };
    for (p, (q, got)) in results.iter().enumerate() {
        assert!(got
            .iter()
            .all(|m| m.partition() == p as i32 && m.topic() == topic));
        assert_eq!(
            got.iter().map(|m| m.offset()).collect::<Vec<_>>(),
            (0..40).collect::<Vec<i64>>()
        );
        assert_eq!(
            got.iter().map(text).collect::<Vec<_>>(),
            values(40, &format!("p{p}-"))
        );
        assert_eq!(q.position(), Some(40));
    }
    // What the queues handed out is what the consumer commits.
    c.commit().await.expect("commit");
    let committed = c
        .committed(&[(&topic, 0), (&topic, 1), (&topic, 2)], T)
        .await
        .expect("committed");
    assert_eq!(
        committed,
        (0..3)
            .map(|p| (tp(&topic, p), Some(40)))
            .collect::<Vec<_>>()
    );
    drop(results);
    c.close().await.expect("close");
}
