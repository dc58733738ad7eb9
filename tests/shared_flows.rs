//! The same flows against the mock cluster and the real broker: each flow
//! is one function taking a [`Target`], run by a `..._on_mock` and a
//! `..._on_kafka` test. Where the two disagree, the mock is wrong. The
//! `_on_kafka` tests fail (never skip) without FERROKAFKA_BOOTSTRAP.

mod faults_util;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use faults_util::common;
use faults_util::*;
use ferrokafka::consumer::{Consumer, ConsumerError, Message, Offset};
use ferrokafka::producer::Producer;
use ferrokafka_mock::MockCluster;

/// Where a flow runs.
enum Target {
    /// An in-process mock cluster of three brokers.
    Mock(MockCluster),
    /// The real broker at this address.
    Kafka(String),
}

impl Target {
    async fn mock() -> Target {
        Target::Mock(MockCluster::start(3).await.expect("mock starts"))
    }

    /// The broker of FERROKAFKA_BOOTSTRAP; panics when it is not set.
    fn kafka() -> Target {
        Target::Kafka(common::bootstrap())
    }

    fn bootstrap(&self) -> String {
        match self {
            Target::Mock(c) => c.bootstrap_servers(),
            Target::Kafka(b) => b.clone(),
        }
    }

    async fn create_topic(&self, name: &str, partitions: i32) {
        match self {
            Target::Mock(c) => {
                c.create_topic(name, partitions, 1).expect("topic created");
            }
            Target::Kafka(_) => {
                within("create topic", common::create_topic(name, partitions)).await
            }
        }
    }
}

/// Each partition's end after `outcomes` on a fresh topic: one past the
/// highest offset delivered there.
fn ends(outcomes: &[Outcome], partitions: i32) -> Vec<i64> {
    let mut ends = vec![0; partitions as usize];
    for (_, r) in outcomes {
        let d = r.as_ref().expect("delivered");
        ends[d.partition as usize] = ends[d.partition as usize].max(d.offset + 1);
    }
    ends
}

/// Polls until `n` messages came, then for `quiet` more; EOF events are
/// skipped, any other error fails the test.
async fn poll_messages(consumer: &mut Consumer, n: usize, quiet: Duration) -> Vec<Message> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + LIMIT;
    while out.len() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {n} messages within {LIMIT:?}",
            out.len()
        );
        match within("poll", consumer.poll(Duration::from_millis(100))).await {
            None => {}
            Some(Ok(m)) => out.push(m),
            Some(Err(e)) if e.is_partition_eof() => {}
            Some(Err(e)) => panic!("poll: {e}"),
        }
    }
    let quiet_until = tokio::time::Instant::now() + quiet;
    while tokio::time::Instant::now() < quiet_until {
        match within("poll", consumer.poll(Duration::from_millis(50))).await {
            Some(Ok(m)) => out.push(m),
            Some(Err(e)) if !e.is_partition_eof() => panic!("poll: {e}"),
            _ => {}
        }
    }
    out
}

macro_rules! on_both {
    ($flow:ident, $mock:ident, $kafka:ident) => {
        #[tokio::test]
        async fn $mock() {
            $flow(Target::mock().await).await;
        }

        #[tokio::test]
        async fn $kafka() {
            $flow(Target::kafka()).await;
        }
    };
}

/// Keyed records produced through the partitioner come back once each,
/// in order per partition, to a group consumer; a key always lands on
/// the same partition.
async fn keyed_records_are_consumed_once_in_a_group(target: Target) {
    let topic = unique("flow-keyed");
    target.create_topic(&topic, 3).await;
    let producer = Producer::new(producer_config(&target.bootstrap(), &[])).expect("producer");
    let outcomes = send_range(&producer, &topic, 0..300, |_| None).await;
    assert_all_delivered(&outcomes);
    let mut partition_of_key: HashMap<usize, i32> = HashMap::new();
    for (i, r) in &outcomes {
        let p = r.as_ref().expect("delivered").partition;
        let first = *partition_of_key.entry(i % 7).or_insert(p);
        assert_eq!(first, p, "key k{} on two partitions", i % 7);
    }
    let group = unique("flow-keyed-group");
    let mut consumer =
        Consumer::new(consumer_config(&target.bootstrap(), Some(&group), &[])).expect("consumer");
    consumer.subscribe(&[&topic]).expect("subscribe");
    let messages = poll_messages(&mut consumer, 300, Duration::from_millis(300)).await;
    assert_eq!(assert_exactly_once(&outcomes, &messages), 300);
    for m in &messages {
        let key = std::str::from_utf8(m.key().expect("a key")).expect("utf-8");
        assert_eq!(key, format!("k{}", index_of(m) % 7));
    }
    within("close", consumer.close()).await.expect("close");
}

on_both!(
    keyed_records_are_consumed_once_in_a_group,
    keyed_records_are_consumed_once_in_a_group_on_mock,
    keyed_records_are_consumed_once_in_a_group_on_kafka
);

/// EOF comes once per partition each time its end is reached, at the end
/// offset: at once for the records there, again after new ones.
async fn eof_events_come_at_the_right_offsets(target: Target) {
    let topic = unique("flow-eof");
    target.create_topic(&topic, 2).await;
    let producer = Producer::new(producer_config(&target.bootstrap(), &[])).expect("producer");
    assert_all_delivered(&send_range(&producer, &topic, 0..5, |_| Some(0)).await);
    assert_all_delivered(&send_range(&producer, &topic, 5..8, |_| Some(1)).await);
    let mut consumer =
        Consumer::new(consumer_config(&target.bootstrap(), None, &[])).expect("consumer");
    consumer
        .assign(&[
            (&topic, 0, Offset::Beginning),
            (&topic, 1, Offset::Beginning),
        ])
        .expect("assign");
    // Everything polled, in order, until `eofs` end events came and then
    // quiet for a while.
    async fn events(consumer: &mut Consumer, eofs: usize) -> Vec<(i32, i64, bool)> {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + LIMIT;
        while out.iter().filter(|e: &&(i32, i64, bool)| e.2).count() < eofs {
            assert!(
                tokio::time::Instant::now() < deadline,
                "EOF events missing: {out:?}"
            );
            match within("poll", consumer.poll(Duration::from_millis(100))).await {
                None => {}
                Some(Ok(m)) => out.push((m.partition(), m.offset(), false)),
                Some(Err(ConsumerError::PartitionEof {
                    partition, offset, ..
                })) => out.push((partition, offset, true)),
                Some(Err(e)) => panic!("poll: {e}"),
            }
        }
        while let Some(item) = within("poll", consumer.poll(Duration::from_millis(300))).await {
            match item {
                Ok(m) => out.push((m.partition(), m.offset(), false)),
                Err(e) => panic!("nothing more expected, got {e}"),
            }
        }
        out
    }
    let first = events(&mut consumer, 2).await;
    let by_partition = |evs: &[(i32, i64, bool)], p: i32| -> Vec<(i64, bool)> {
        evs.iter()
            .filter(|e| e.0 == p)
            .map(|e| (e.1, e.2))
            .collect()
    };
    let offsets = |from: i64, to: i64| (from..to).map(|o| (o, false));
    let want0: Vec<(i64, bool)> = offsets(0, 5).chain([(5, true)]).collect();
    let want1: Vec<(i64, bool)> = offsets(0, 3).chain([(3, true)]).collect();
    assert_eq!(by_partition(&first, 0), want0);
    assert_eq!(by_partition(&first, 1), want1);
    assert_all_delivered(&send_range(&producer, &topic, 8..10, |_| Some(0)).await);
    let second = events(&mut consumer, 1).await;
    assert_eq!(second, vec![(0, 5, false), (0, 6, false), (0, 7, true)]);
    within("close", consumer.close()).await.expect("close");
}

on_both!(
    eof_events_come_at_the_right_offsets,
    eof_events_come_at_the_right_offsets_on_mock,
    eof_events_come_at_the_right_offsets_on_kafka
);

/// A group member commits its position and closes; the next member of the
/// group starts right after the committed offset.
async fn reopening_the_group_resumes_after_the_commit(target: Target) {
    let topic = unique("flow-resume");
    let group = unique("flow-resume-group");
    target.create_topic(&topic, 1).await;
    let producer = Producer::new(producer_config(&target.bootstrap(), &[])).expect("producer");
    let mut outcomes = send_range(&producer, &topic, 0..20, |_| Some(0)).await;
    assert_all_delivered(&outcomes);
    let no_auto = [("enable.auto.commit", "false")];
    let mut first = Consumer::new(consumer_config(&target.bootstrap(), Some(&group), &no_auto))
        .expect("consumer");
    first.subscribe(&[&topic]).expect("subscribe");
    let read = poll_messages(&mut first, 12, Duration::ZERO).await;
    assert_eq!(read.len(), 12);
    within("commit", first.commit()).await.expect("commit");
    assert_eq!(
        within(
            "committed",
            first.committed(&[(&topic, 0)], Duration::from_secs(10))
        )
        .await
        .expect("committed")[0]
            .1,
        Some(12)
    );
    within("close", first.close()).await.expect("close");

    outcomes.extend(send_range(&producer, &topic, 20..25, |_| Some(0)).await);
    assert_all_delivered(&outcomes);
    let mut second = Consumer::new(consumer_config(&target.bootstrap(), Some(&group), &no_auto))
        .expect("consumer");
    second.subscribe(&[&topic]).expect("subscribe");
    let rest = poll_messages(&mut second, 13, Duration::from_millis(300)).await;
    let offsets: Vec<i64> = rest.iter().map(|m| m.offset()).collect();
    assert_eq!(offsets, (12..25).collect::<Vec<_>>());
    let mut all = read;
    all.extend(rest);
    assert_eq!(assert_exactly_once(&outcomes, &all), 25);
    within("close", second.close()).await.expect("close");
}

on_both!(
    reopening_the_group_resumes_after_the_commit,
    reopening_the_group_resumes_after_the_commit_on_mock,
    reopening_the_group_resumes_after_the_commit_on_kafka
);

/// An idempotent producer spreading small batches over several partitions
/// (many requests, several in flight): offsets per partition are 0..n in
/// send order, and reading back finds each record once.
async fn idempotent_producer_over_several_partitions(target: Target) {
    let topic = unique("flow-idempotent");
    target.create_topic(&topic, 4).await;
    let producer = Producer::new(producer_config(
        &target.bootstrap(),
        &[
            ("enable.idempotence", "true"),
            ("acks", "all"),
            ("batch.num.messages", "10"),
            ("linger.ms", "0"),
        ],
    ))
    .expect("producer");
    let outcomes = send_range(&producer, &topic, 0..400, |i| Some(i as i32 % 4)).await;
    assert_all_delivered(&outcomes);
    let mut offsets: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for (_, r) in &outcomes {
        let d = r.as_ref().expect("delivered");
        offsets.entry(d.partition).or_default().push(d.offset);
    }
    for (p, o) in &offsets {
        assert_eq!(o, &(0..100).collect::<Vec<i64>>(), "partition {p}");
    }
    let log = read_to(&target.bootstrap(), &topic, &ends(&outcomes, 4)).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 400);
}

on_both!(
    idempotent_producer_over_several_partitions,
    idempotent_producer_over_several_partitions_on_mock,
    idempotent_producer_over_several_partitions_on_kafka
);
