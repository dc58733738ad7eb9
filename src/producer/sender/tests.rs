//! The sender's result handling under simulated time: batches taken from
//! the accumulator as the sender would, answers made by hand, `now`
//! passed in. Nothing is sent (no dispatch): the cluster's bootstrap is
//! never contacted.

use super::*;
use crate::cluster::{PartitionInfo, TopicInfo};
use crate::config::{ClientConfig, Partitioner};
use crate::producer::accumulator::AccumulatorConfig;
use crate::producer::delivery::{DeliveryResult, Sink};
use crate::producer::record::ProducerRecord;
use ferrokafka_protocol::messages::produce::{PartitionProduceResponse, TopicProduceResponse};
use ferrokafka_protocol::messages::ProduceResponse;
use ferrokafka_protocol::records::Compression;
use std::sync::Mutex;

const T: &str = "my_events_topic";
const ID: i64 = 7;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Every report, by the record's value.
#[derive(Clone, Default)]
struct Reports(Arc<Mutex<Vec<(String, DeliveryResult)>>>);

impl Reports {
    fn sink(&self, value: &str) -> Sink {
        let log = self.0.clone();
        let value = value.to_owned();
        Sink::Callback(Box::new(move |r| {
            log.lock().expect("lock").push((value, r));
        }))
    }

    fn take(&self, shared: &Shared) -> Vec<(String, DeliveryResult)> {
        shared.run_callbacks();
        std::mem::take(&mut *self.0.lock().expect("lock"))
    }
}

struct Harness {
    sender: Sender,
    reports: Reports,
    shared: Arc<Shared>,
    start: Instant,
}

/// A sender with producer id `ID` epoch 0, topic `T` of `partitions`
/// partitions led by broker 0, `batch.num.messages=2`, retries 3,
/// `retry.backoff.ms=100`, `message.timeout.ms=10000`.
fn harness(partitions: i32) -> Harness {
    let start = Instant::now();
    let config =
        ClientConfig::from_properties([("bootstrap.servers", "127.0.0.1:1")]).expect("config");
    let cluster = Cluster::new(config, true).expect("cluster");
    let shared = Arc::new(Shared::new(1000, 1 << 20));
    let mut acc = Accumulator::new(AccumulatorConfig {
        linger: ms(5),
        batch_bytes: 16 * 1024,
        batch_records: 2,
        compression: Compression::None,
        partitioner: Partitioner::Murmur2Random,
        max_in_flight: 5,
        message_timeout: Some(Duration::from_secs(10)),
        idempotent: true,
    });
    acc.add_topic(0, T.into());
    let info = TopicInfo {
        name: T.into(),
        topic_id: Default::default(),
        error: ErrorCode::None,
        partitions: (0..partitions)
            .map(|partition| PartitionInfo {
                partition,
                leader: 0,
                leader_epoch: 0,
                error: ErrorCode::None,
            })
            .collect(),
    };
    assert!(acc.set_topic_info(Arc::new(info), start).is_empty());
    let config = SenderConfig {
        statistics_name: "test#producer-1".into(),
        statistics: None,
        acks: Acks::All,
        request_timeout: Duration::from_secs(30),
        retry_backoff: ms(100),
        retries: 3,
        message_timeout: Some(Duration::from_secs(10)),
        max_in_flight: 5,
        max_request_bytes: 1 << 20,
        transactional_id: None,
    };
    let (mut sender, _events) = Sender::new(cluster, shared.clone(), config, acc, true);
    sender.producer_id = ProducerId::Ready { id: ID, epoch: 0 };
    Harness {
        sender,
        reports: Reports::default(),
        shared,
        start,
    }
}

impl Harness {
    /// Queues records `values` for `partition`.
    fn append(&mut self, partition: i32, values: &[&str]) {
        for v in values {
            let record = ProducerRecord::new("")
                .partition(partition)
                .value(v.to_string());
            let sink = self.reports.sink(v);
            self.sender
                .acc
                .append(0, record, sink, 1, self.start, 1)
                .expect("queued");
        }
    }

    /// Takes what may be sent at `now` (all of it, flushing), encoded as
    /// the sender encodes it under the current producer id and epoch.
    fn take(&mut self, now: Instant) -> Vec<ProducerBatch> {
        let (id, epoch) = match self.sender.producer_id {
            ProducerId::Ready { id, epoch } | ProducerId::NeedsBump { id, epoch } => (id, epoch),
            ref other => panic!("no producer id: {other:?}"),
        };
        let resolving = matches!(self.sender.producer_id, ProducerId::NeedsBump { .. });
        let mut out = Vec::new();
        loop {
            let taken = self
                .sender
                .acc
                .take_ready(now, true, resolving, &HashMap::from([(0, 5)]));
            let Some(batches) = taken.into_values().next() else {
                break;
            };
            for mut b in batches {
                b.encoded(id, epoch).expect("encodes");
                out.push(b);
            }
        }
        out.sort_by_key(|b| (b.partition, b.base_sequence));
        out
    }

    fn answer(&mut self, batch: ProducerBatch, code: ErrorCode, offset: i64, now: Instant) {
        self.sender.on_batch_result(batch, code, offset, -1, now);
    }

    fn reports(&self) -> Vec<(String, DeliveryResult)> {
        self.reports.take(&self.shared)
    }
}

fn values(reports: &[(String, DeliveryResult)]) -> Vec<&str> {
    reports.iter().map(|(v, _)| v.as_str()).collect()
}

#[tokio::test]
async fn a_delivered_batch_reports_each_record_at_its_offset() {
    let mut h = harness(1);
    h.append(0, &["a", "b"]);
    let mut sent = h.take(h.start);
    assert_eq!(sent.len(), 1);
    let response = ProduceResponse {
        responses: vec![TopicProduceResponse {
            name: T.into(),
            partition_responses: vec![PartitionProduceResponse {
                index: 0,
                error_code: 0,
                base_offset: 40,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    h.sender
        .on_produced(vec![sent.remove(0)], Ok(Some(response)), true, h.start);
    let reports = h.reports();
    let offsets: Vec<(&str, i64)> = reports
        .iter()
        .map(|(v, r)| (v.as_str(), r.as_ref().expect("delivered").offset))
        .collect();
    assert_eq!(offsets, [("a", 40), ("b", 41)]);
    assert_eq!(h.sender.acc.in_flight(), 0);
}

#[tokio::test]
async fn a_retriable_error_retries_with_the_same_sequence_after_the_backoff() {
    let mut h = harness(1);
    h.sender.acc.acked(T, 0);
    h.append(0, &["a", "b", "c", "d"]);
    let sent = h.take(h.start);
    assert_eq!(
        sent.iter().map(|b| b.base_sequence).collect::<Vec<_>>(),
        [Some(0), Some(2)]
    );
    let now = h.start + ms(10);
    for b in sent {
        h.answer(b, ErrorCode::NotLeaderOrFollower, -1, now);
    }
    assert!(h.reports().is_empty(), "retried, not failed");
    assert!(
        h.sender.metadata_wanted,
        "a leader change asks for metadata"
    );
    assert!(h.take(now + ms(99)).is_empty(), "retry.backoff.ms");
    let again = h.take(now + ms(100));
    assert_eq!(
        again
            .iter()
            .map(|b| (b.base_sequence, b.attempts))
            .collect::<Vec<_>>(),
        [(Some(0), 1)],
        "one at a time while retrying, the first first"
    );
}

#[tokio::test]
async fn out_of_order_answers_across_five_requests_keep_the_partition_order() {
    let mut h = harness(1);
    h.sender.acc.acked(T, 0);
    let names: Vec<String> = (0..10).map(|i| format!("v{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    h.append(0, &refs);
    let mut sent: Vec<Option<ProducerBatch>> = h.take(h.start).into_iter().map(Some).collect();
    assert_eq!(sent.len(), 5, "five requests in flight");
    let now = h.start + ms(1);
    // The third fails retriably; the fifth, fourth and second meet the
    // broker's sequence check behind it (expected: no bump); the first is
    // written; the third then gets through.
    let mut answer = |h: &mut Harness, i: usize, code| {
        let b = sent[i].take().expect("answered once");
        h.answer(b, code, 100 + 2 * i as i64, now);
    };
    answer(&mut h, 2, ErrorCode::NotEnoughReplicas);
    answer(&mut h, 4, ErrorCode::OutOfOrderSequenceNumber);
    answer(&mut h, 3, ErrorCode::OutOfOrderSequenceNumber);
    answer(&mut h, 0, ErrorCode::None);
    answer(&mut h, 1, ErrorCode::None);
    assert_eq!(
        h.sender.producer_id,
        ProducerId::Ready { id: ID, epoch: 0 },
        "out of order behind a retried batch is expected"
    );
    let mut delivered = values(&h.reports()).join(",");
    // Retried one at a time, in sequence order, keeping their numbers.
    let mut later = now + ms(100);
    for expected in [4, 6, 8] {
        let again = h.take(later);
        assert_eq!(
            again.iter().map(|b| b.base_sequence).collect::<Vec<_>>(),
            [Some(expected)]
        );
        for b in again {
            h.answer(b, ErrorCode::None, 100 + i64::from(expected), later);
        }
        later += ms(1);
    }
    delivered.push(',');
    delivered.push_str(&values(&h.reports()).join(","));
    assert_eq!(delivered, "v0,v1,v2,v3,v4,v5,v6,v7,v8,v9");
}

#[tokio::test]
async fn a_broken_sequence_bumps_the_epoch() {
    for code in [
        ErrorCode::OutOfOrderSequenceNumber,
        ErrorCode::UnknownProducerId,
    ] {
        let mut h = harness(1);
        h.append(0, &["a"]);
        let b = h.take(h.start).remove(0);
        h.answer(b, code, -1, h.start);
        assert_eq!(
            h.sender.producer_id,
            ProducerId::NeedsBump { id: ID, epoch: 0 },
            "{code}"
        );
        assert!(h.reports().is_empty(), "{code}: retried after the bump");
    }
}

#[tokio::test]
async fn invalid_record_fails_the_batch_and_bumps_the_epoch() {
    let mut h = harness(1);
    h.append(0, &["a", "b"]);
    let mut b = h.take(h.start).remove(0);
    // Even after an attempt with no answer, a refusal for the content
    // settles it: not written.
    b.possibly_written = true;
    h.answer(b, ErrorCode::InvalidRecord, -1, h.start);
    let reports = h.reports();
    assert_eq!(values(&reports), ["a", "b"]);
    for (_, r) in &reports {
        let e = r.as_ref().expect_err("failed");
        assert_eq!(e.code(), Some(ErrorCode::InvalidRecord));
        assert!(!e.possibly_persisted());
    }
    assert_eq!(
        h.sender.producer_id,
        ProducerId::NeedsBump { id: ID, epoch: 0 }
    );
}

#[tokio::test]
async fn a_request_lost_after_it_was_written_marks_its_batches_possibly_written() {
    let mut h = harness(2);
    h.append(0, &["a"]);
    h.append(1, &["b"]);
    let sent = h.take(h.start);
    let lost = Error::RequestTimeout {
        broker: "b0".into(),
        api: ferrokafka_protocol::ApiKey::Produce,
        timeout_ms: 30_000,
    };
    let (p0, p1): (Vec<_>, Vec<_>) = sent.into_iter().partition(|b| b.partition == 0);
    h.sender.on_produced(p0, Err(lost), true, h.start);
    let refused = Error::RequestTimeout {
        broker: "b0".into(),
        api: ferrokafka_protocol::ApiKey::Produce,
        timeout_ms: 30_000,
    };
    // Never handed to a connection: surely not written.
    h.sender.on_produced(p1, Err(refused), false, h.start);
    assert!(h.reports().is_empty());
    // Another partition breaks the sequence: the epoch may not move while
    // partition 0's batch may be in the log under it.
    h.sender.bump_epoch();
    assert!(!h.sender.epoch_may_move());
    let later = h.start + ms(100);
    let resolving = h.take(later);
    assert_eq!(
        resolving
            .iter()
            .map(|b| (b.partition, b.base_sequence))
            .collect::<Vec<_>>(),
        [(0, Some(0))],
        "only the unknown batch goes, as numbered under the old epoch"
    );
    // The broker had it: answered under the old epoch as written.
    for b in resolving {
        h.answer(b, ErrorCode::None, 0, later);
    }
    assert!(h.sender.epoch_may_move());
    // The new epoch renumbers what is left from 0.
    h.sender.on_event(Event::ProducerId(Ok((ID, 1))));
    assert_eq!(h.sender.producer_id, ProducerId::Ready { id: ID, epoch: 1 });
    let renumbered = h.take(later + ms(100));
    assert_eq!(
        renumbered
            .iter()
            .map(|b| (b.partition, b.base_sequence))
            .collect::<Vec<_>>(),
        [(1, Some(0))]
    );
    assert_eq!(values(&h.reports()), ["a"]);
}

#[tokio::test]
async fn retries_running_out_fail_with_the_last_error_or_possibly_persisted() {
    let mut h = harness(2);
    h.append(0, &["a"]);
    h.append(1, &["b"]);
    let mut now = h.start;
    for attempt in 0..=3 {
        for mut b in h.take(now) {
            b.possibly_written |= b.partition == 1 && attempt == 0;
            h.answer(b, ErrorCode::NotEnoughReplicas, -1, now);
        }
        now += ms(100);
    }
    let mut reports = h.reports();
    reports.sort_by(|a, b| a.0.cmp(&b.0));
    match &reports[..] {
        [(a, Err(ea)), (b, Err(eb))] => {
            assert_eq!((a.as_str(), b.as_str()), ("a", "b"));
            assert_eq!(ea.code(), Some(ErrorCode::NotEnoughReplicas), "{ea}");
            assert!(
                eb.possibly_persisted(),
                "an attempt of b got no answer: {eb}"
            );
        }
        other => panic!("after four refusals with retries=3: {other:?}"),
    }
}

#[tokio::test]
async fn message_timeout_passed_in_flight_fails_on_the_answer() {
    let mut h = harness(1);
    h.append(0, &["a"]);
    let b = h.take(h.start).remove(0);
    h.answer(
        b,
        ErrorCode::NotEnoughReplicas,
        -1,
        h.start + Duration::from_secs(10),
    );
    match &h.reports()[..] {
        [(
            _,
            Err(ProduceError::TimedOut {
                last: Some(last), ..
            }),
        )] => {
            assert!(last.contains("NOT_ENOUGH_REPLICAS"), "{last}");
        }
        other => panic!("expected a timeout: {other:?}"),
    }
}

#[tokio::test]
async fn a_fenced_producer_fails_everything_for_good() {
    let mut h = harness(1);
    h.append(0, &["a"]);
    let b = h.take(h.start).remove(0);
    h.append(0, &["b"]);
    h.answer(b, ErrorCode::ProducerFenced, -1, h.start);
    let reports = h.reports();
    assert_eq!(values(&reports), ["a", "b"]);
    assert!(reports.iter().all(|(_, r)| matches!(
        r,
        Err(ProduceError::Fatal(_)) | Err(ProduceError::Kafka { .. })
    )));
    assert!(matches!(h.sender.producer_id, ProducerId::Fatal(_)));
}

#[tokio::test]
async fn closing_retries_nothing_and_says_what_may_be_written() {
    let mut h = harness(2);
    h.append(0, &["a"]);
    h.append(1, &["b"]);
    let sent = h.take(h.start);
    h.sender.closing = true;
    for mut b in sent {
        b.possibly_written = b.partition == 1;
        h.answer(b, ErrorCode::NotLeaderOrFollower, -1, h.start);
    }
    let mut reports = h.reports();
    reports.sort_by(|a, b| a.0.cmp(&b.0));
    match &reports[..] {
        [(_, Err(ProduceError::Closed)), (_, Err(e))] => assert!(e.possibly_persisted(), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(!h.sender.acc.has_queued());
}
