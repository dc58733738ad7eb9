//! The accumulator under simulated time: no sockets, no sleeps; every
//! instant is `start` plus a duration handed in.

use super::*;
use crate::cluster::PartitionInfo;
use crate::config::Partitioner;
use std::sync::Mutex;

const T: &str = "my_events_topic";

fn config() -> AccumulatorConfig {
    AccumulatorConfig {
        linger: Duration::from_millis(5),
        batch_bytes: 16 * 1024,
        batch_records: 1000,
        compression: Compression::None,
        partitioner: Partitioner::Murmur2Random,
        max_in_flight: 5,
        message_timeout: Some(Duration::from_secs(10)),
        idempotent: true,
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// An accumulator with topic `T` of `partitions` partitions, each led by
/// broker 0, known at `now`.
fn accumulator(config: AccumulatorConfig, partitions: i32, now: Instant) -> Accumulator {
    let mut acc = Accumulator::new(config);
    acc.add_topic(0, T.into());
    let failed = acc.set_topic_info(topic_info(partitions), now);
    assert!(failed.is_empty());
    acc
}

fn topic_info(partitions: i32) -> Arc<TopicInfo> {
    topic_led_by(&vec![0; partitions as usize])
}

/// Topic `T` whose partition `p` is led by `leaders[p]` (-1: none).
fn topic_led_by(leaders: &[i32]) -> Arc<TopicInfo> {
    Arc::new(TopicInfo {
        name: T.into(),
        topic_id: Default::default(),
        error: ErrorCode::None,
        partitions: leaders
            .iter()
            .enumerate()
            .map(|(partition, &leader)| PartitionInfo {
                partition: partition as i32,
                leader,
                leader_epoch: 0,
                error: ErrorCode::None,
            })
            .collect(),
    })
}

/// The reports records got, in the order they came.
#[derive(Clone, Default)]
struct Reports(Arc<Mutex<Vec<Result<(), ProduceError>>>>);

impl Reports {
    fn sink(&self) -> Sink {
        let log = self.0.clone();
        Sink::Callback(Box::new(move |r| {
            log.lock().expect("lock").push(r.map(|_| ()));
        }))
    }
}

fn append(
    acc: &mut Accumulator,
    partition: i32,
    value: &[u8],
    now: Instant,
) -> Result<Appended, Failed> {
    let record = ProducerRecord::new("")
        .partition(partition)
        .value(value.to_vec());
    acc.append(0, record, Reports::default().sink(), value.len(), now, 1)
}

fn slots(n: usize) -> HashMap<i32, usize> {
    HashMap::from([(0, n)])
}

/// Every batch `take_ready` gives at `now`, in order.
fn take(acc: &mut Accumulator, now: Instant, flushing: bool) -> Vec<ProducerBatch> {
    acc.take_ready(now, flushing, false, &slots(5))
        .remove(&0)
        .unwrap_or_default()
}

fn sequences(batches: &[ProducerBatch]) -> Vec<Option<i32>> {
    batches.iter().map(|b| b.base_sequence).collect()
}

#[test]
fn a_batch_waits_for_linger_then_goes() {
    let start = Instant::now();
    let mut acc = accumulator(config(), 1, start);
    assert!(matches!(
        append(&mut acc, 0, b"a", start),
        Ok(Appended::Batched)
    ));
    assert!(matches!(
        append(&mut acc, 0, b"b", start + ms(1)),
        Ok(Appended::Batched)
    ));
    assert!(take(&mut acc, start + ms(4), false).is_empty(), "lingering");
    assert_eq!(acc.next_wakeup(start + ms(4)), Some(start + ms(5)));
    let sent = take(&mut acc, start + ms(5), false);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].len(), 2, "both records in one batch");
    assert!(!acc.has_queued());
}

#[test]
fn flush_sends_without_waiting_for_linger() {
    let start = Instant::now();
    let mut acc = accumulator(config(), 1, start);
    append(&mut acc, 0, b"a", start).expect("queued");
    assert_eq!(take(&mut acc, start, true).len(), 1);
}

#[test]
fn batch_num_messages_cuts_batches() {
    let start = Instant::now();
    let mut acc = accumulator(
        AccumulatorConfig {
            batch_records: 3,
            idempotent: false,
            ..config()
        },
        1,
        start,
    );
    for _ in 0..7 {
        append(&mut acc, 0, b"v", start).expect("queued");
    }
    // Full batches go at once, one per partition per call; the last,
    // partly filled, waits for linger.
    let sizes: Vec<usize> = (0..3)
        .flat_map(|_| take(&mut acc, start, false))
        .map(|b| b.len())
        .collect();
    assert_eq!(sizes, [3, 3]);
    let last = take(&mut acc, start + ms(5), false);
    assert_eq!(last.iter().map(ProducerBatch::len).collect::<Vec<_>>(), [1]);
}

#[test]
fn batch_size_cuts_batches() {
    let start = Instant::now();
    let mut acc = accumulator(
        AccumulatorConfig {
            batch_bytes: 400,
            idempotent: false,
            ..config()
        },
        1,
        start,
    );
    for _ in 0..10 {
        append(&mut acc, 0, &[7; 100], start).expect("queued");
    }
    let mut batches = Vec::new();
    for _ in 0..10 {
        batches.extend(take(&mut acc, start + ms(5), false));
    }
    assert!(batches.len() >= 3, "{} batches", batches.len());
    assert_eq!(batches.iter().map(ProducerBatch::len).sum::<usize>(), 10);
    for b in &batches {
        assert!(b.size() <= 400, "a batch of {} bytes", b.size());
    }
}

#[test]
fn a_record_larger_than_batch_size_goes_alone() {
    let start = Instant::now();
    let mut acc = accumulator(
        AccumulatorConfig {
            batch_bytes: 100,
            idempotent: false,
            ..config()
        },
        1,
        start,
    );
    append(&mut acc, 0, &[1; 10], start).expect("queued");
    append(&mut acc, 0, &[2; 500], start).expect("queued");
    let first = take(&mut acc, start, false);
    let second = take(&mut acc, start, false);
    assert_eq!((first.len(), second.len()), (1, 1));
    assert_eq!((first[0].len(), second[0].len()), (1, 1));
}

#[test]
fn in_flight_limits_hold_batches_back() {
    let start = Instant::now();
    let mut acc = accumulator(
        AccumulatorConfig {
            batch_records: 1,
            max_in_flight: 2,
            idempotent: false,
            ..config()
        },
        1,
        start,
    );
    for _ in 0..4 {
        append(&mut acc, 0, b"v", start).expect("queued");
    }
    assert_eq!(take(&mut acc, start, false).len(), 1);
    assert_eq!(take(&mut acc, start, false).len(), 1);
    assert!(take(&mut acc, start, false).is_empty(), "two in flight");
    assert_eq!(acc.in_flight(), 2);
    acc.done(T, 0);
    assert_eq!(take(&mut acc, start, false).len(), 1);
    // A broker with no free request slot gets nothing.
    acc.done(T, 0);
    assert!(acc.take_ready(start, false, false, &slots(0)).is_empty());
    assert!(acc
        .take_ready(start, false, false, &HashMap::new())
        .is_empty());
}

#[test]
fn idempotent_sequences_follow_record_counts_and_pipeline_once_acked() {
    let start = Instant::now();
    let mut acc = accumulator(
        AccumulatorConfig {
            batch_records: 3,
            ..config()
        },
        1,
        start,
    );
    for _ in 0..12 {
        append(&mut acc, 0, b"v", start).expect("queued");
    }
    let first = take(&mut acc, start, false);
    assert_eq!(sequences(&first), [Some(0)]);
    assert!(
        take(&mut acc, start, false).is_empty(),
        "one batch at a time until the broker acknowledged one"
    );
    acc.done(T, 0);
    acc.acked(T, 0);
    let mut rest = Vec::new();
    for _ in 0..5 {
        rest.extend(take(&mut acc, start, false));
    }
    assert_eq!(sequences(&rest), [Some(3), Some(6), Some(9)]);
}

#[test]
fn sequences_wrap_past_i32_max() {
    assert_eq!(next_sequence(i32::MAX - 1, 3), 1);
    assert_eq!(next_sequence(0, 5), 5);
}

#[test]
fn a_retry_keeps_its_sequence_and_waits_for_retry_backoff() {
    let start = Instant::now();
    let mut acc = accumulator(
        AccumulatorConfig {
            batch_records: 2,
            ..config()
        },
        1,
        start,
    );
    acc.acked(T, 0);
    for _ in 0..6 {
        append(&mut acc, 0, b"v", start).expect("queued");
    }
    let mut sent = Vec::new();
    for _ in 0..3 {
        sent.extend(take(&mut acc, start, false));
    }
    assert_eq!(sequences(&sent), [Some(0), Some(2), Some(4)]);
    // The answers come back out of order: the third batch fails first,
    // then the first; the second is delivered.
    let mut sent = sent.into_iter();
    let (first, second, third) = (
        sent.next().expect("1"),
        sent.next().expect("2"),
        sent.next().expect("3"),
    );
    acc.retry(third, start + ms(100));
    acc.done(&second.topic, second.partition);
    acc.retry(first, start + ms(100));
    assert!(take(&mut acc, start + ms(99), false).is_empty(), "backoff");
    assert_eq!(acc.next_wakeup(start + ms(50)), Some(start + ms(100)));
    // Back in sequence order, one at a time while retrying.
    let again = take(&mut acc, start + ms(100), false);
    assert_eq!(sequences(&again), [Some(0)]);
    assert_eq!(again[0].attempts, 1);
    assert!(take(&mut acc, start + ms(100), false).is_empty());
    acc.done(T, 0);
    assert_eq!(
        sequences(&take(&mut acc, start + ms(100), false)),
        [Some(4)]
    );
}

#[test]
fn a_retry_storm_is_bounded_by_retry_backoff() {
    let start = Instant::now();
    let mut acc = accumulator(config(), 1, start);
    append(&mut acc, 0, b"v", start).expect("queued");
    let backoff = ms(100);
    let mut sends = 0;
    let mut now = start;
    // A second of answers that all fail at once, checked every
    // millisecond.
    while now < start + Duration::from_secs(1) {
        for b in take(&mut acc, now, true) {
            sends += 1;
            acc.retry(b, now + backoff);
        }
        now += ms(1);
    }
    assert!((10..=11).contains(&sends), "{sends} sends in one second");
}

#[test]
fn message_timeout_expires_a_record_in_each_state_outside_a_request() {
    let start = Instant::now();
    let timeout = Duration::from_secs(10);
    let mut acc = Accumulator::new(AccumulatorConfig {
        batch_records: 10,
        linger: Duration::from_secs(3600),
        ..config()
    });
    acc.add_topic(0, T.into());
    let reports = Reports::default();
    let record = |p| ProducerRecord::new("").partition(p).value("v");
    // Waiting for the topic's metadata.
    assert!(matches!(
        acc.append(0, record(0), reports.sink(), 1, start, 1),
        Ok(Appended::NeedsMetadata)
    ));
    assert!(acc.expire(start + timeout - ms(1)).0.is_empty());
    let (failed, gap) = acc.expire(start + timeout);
    assert_eq!(failed.len(), 1);
    assert!(!gap);
    assert!(matches!(
        failed[0].error,
        ProduceError::TimedOut { partition: -1, .. }
    ));

    let later = start + timeout;
    // Partition 1 has no leader: its batches cannot leave.
    acc.set_topic_info(topic_led_by(&[0, -1, 0]), later);
    // Partition 0: an open batch, lingering.
    acc.append(0, record(0), reports.sink(), 1, later, 1)
        .expect("open");
    // Partition 1: a closed batch and an open one, waiting for a leader.
    for _ in 0..11 {
        acc.append(0, record(1), reports.sink(), 1, later, 1)
            .expect("queued");
    }
    // Partition 2: a full batch sent, its answer unknown, queued for a
    // retry.
    for _ in 0..10 {
        acc.append(0, record(2), reports.sink(), 1, later, 1)
            .expect("queued");
    }
    let mut sent = acc
        .take_ready(later, false, false, &slots(5))
        .remove(&0)
        .expect("sent");
    assert_eq!(sent.len(), 1, "only partition 2's batch may go");
    let mut unknown = sent.pop().expect("partition 2's batch");
    unknown.possibly_written = true;
    acc.retry(unknown, later + ms(10));

    assert!(acc.expire(later + timeout - ms(1)).0.is_empty());
    let (failed, gap) = acc.expire(later + timeout);
    assert!(gap, "a numbered batch expired: the sequence has a gap");
    let mut by_kind: HashMap<(i32, bool), usize> = HashMap::new();
    for f in &failed {
        let kind = match &f.error {
            ProduceError::TimedOut { partition, .. } => (*partition, false),
            ProduceError::PossiblyPersisted { partition, .. } => (*partition, true),
            other => panic!("unexpected {other:?}"),
        };
        *by_kind.entry(kind).or_default() += 1;
    }
    assert_eq!(
        by_kind,
        HashMap::from([((0, false), 1), ((1, false), 11), ((2, true), 10)]),
        "the batch whose answer is unknown is reported possibly persisted"
    );
    assert!(!acc.has_queued());
}

#[test]
fn message_timeout_none_never_expires() {
    let start = Instant::now();
    let mut acc = accumulator(
        AccumulatorConfig {
            message_timeout: None,
            linger: Duration::from_secs(3600),
            ..config()
        },
        1,
        start,
    );
    append(&mut acc, 0, b"v", start).expect("queued");
    let far = start + Duration::from_secs(365 * 24 * 3600);
    assert!(acc.expire(far).0.is_empty());
    assert_eq!(
        acc.next_wakeup(start),
        Some(start + Duration::from_secs(3600))
    );
}

#[test]
fn restarting_sequences_renumbers_retries_in_order_from_zero() {
    let start = Instant::now();
    let mut acc = accumulator(
        AccumulatorConfig {
            batch_records: 2,
            ..config()
        },
        1,
        start,
    );
    acc.acked(T, 0);
    for _ in 0..6 {
        append(&mut acc, 0, b"v", start).expect("queued");
    }
    let mut sent = Vec::new();
    for _ in 0..2 {
        sent.extend(take(&mut acc, start, false));
    }
    for mut b in sent {
        b.encoded(7, 0).expect("encodes");
        acc.retry(b, start);
    }
    acc.restart_sequences(7, 1);
    let mut again = Vec::new();
    for _ in 0..3 {
        again.extend(take(&mut acc, start, false));
        acc.done(T, 0);
    }
    assert_eq!(sequences(&again), [Some(0), Some(2), Some(4)]);
}

#[test]
fn resolving_sends_only_numbered_batches_of_partitions_with_an_unknown_outcome() {
    let start = Instant::now();
    let mut acc = accumulator(config(), 2, start);
    acc.acked(T, 0);
    acc.acked(T, 1);
    append(&mut acc, 0, b"a", start).expect("queued");
    append(&mut acc, 1, b"b", start).expect("queued");
    let sent = take(&mut acc, start, true);
    assert_eq!(sent.len(), 2);
    for mut b in sent {
        b.possibly_written = b.partition == 0;
        acc.retry(b, start);
    }
    append(&mut acc, 1, b"c", start).expect("queued");
    assert!(acc.has_possibly_written());
    let resolving = acc
        .take_ready(start, true, true, &slots(5))
        .remove(&0)
        .unwrap_or_default();
    assert_eq!(
        resolving.iter().map(|b| b.partition).collect::<Vec<_>>(),
        [0],
        "partition 1's batches wait for the new epoch"
    );
    acc.done(T, 0);
    assert!(!acc.has_possibly_written());
}

#[test]
fn purge_reports_possibly_written_batches_as_possibly_persisted() {
    let start = Instant::now();
    let mut acc = accumulator(config(), 1, start);
    append(&mut acc, 0, b"a", start).expect("queued");
    let mut sent = take(&mut acc, start, true);
    let mut b = sent.pop().expect("sent");
    b.possibly_written = true;
    acc.retry(b, start);
    append(&mut acc, 0, b"b", start).expect("queued");
    let failed = acc.purge(&ProduceError::Closed);
    let kinds: Vec<bool> = failed
        .iter()
        .map(|f| f.error.possibly_persisted())
        .collect();
    assert_eq!(kinds, [true, false]);
    assert!(matches!(failed[1].error, ProduceError::Closed));
}

/// A delivered batch's record list, emptied, is what the next batch
/// collects its records in: no list grows from nothing again (past
/// 128 KiB every growth was a fresh mapping under musl). At most
/// `RECYCLED_LISTS` are kept.
#[test]
fn delivered_record_lists_are_reused_by_new_batches() {
    let start = Instant::now();
    let config = AccumulatorConfig {
        idempotent: false,
        ..config()
    };
    let mut acc = accumulator(config, 1, start);
    for _ in 0..500 {
        append(&mut acc, 0, b"v", start).expect("queued");
    }
    let mut first = take(&mut acc, start + ms(5), true);
    assert_eq!(first.len(), 1);
    let list = std::mem::take(&mut first[0].records);
    let (capacity, ptr) = (list.capacity(), list.as_ptr());
    assert!(capacity >= 500);
    acc.recycle_records(list);
    append(&mut acc, 0, b"v", start).expect("queued");
    let next = take(&mut acc, start + ms(10), true);
    assert_eq!(next[0].records.len(), 1);
    assert_eq!(next[0].records.as_ptr(), ptr, "the same allocation");
    assert_eq!(next[0].records.capacity(), capacity);
    for _ in 0..RECYCLED_LISTS + 4 {
        acc.recycle_records(Vec::with_capacity(8));
    }
    assert_eq!(acc.record_lists.len(), RECYCLED_LISTS);
}
