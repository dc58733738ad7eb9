//! Batches whose fate the producer does not know: a request written to a
//! broker whose answer never came (it timed out, the connection was cut).
//! Such a batch may be in the log. With idempotence the producer must not
//! take a new epoch (which restarts sequence numbers, so the broker can
//! no longer recognise a retry as a duplicate) until each is resolved;
//! and a record given up on in that state is reported as possibly
//! persisted, never as "not delivered".

mod faults_util;

use std::time::Duration;

use faults_util::*;
use ferrokafka::producer::{ProduceError, Producer};
use ferrokafka::protocol::messages::RequestBody;
use ferrokafka::protocol::{ApiKey, ErrorCode};

/// Records of index `i` go to partition `i % n`.
fn round_robin(n: i32) -> impl Fn(usize) -> Option<i32> + Copy {
    move |i| Some(i as i32 % n)
}

/// The (producer id, epoch) of every InitProducerId request, in order.
fn inits(cluster: &ferrokafka_mock::MockCluster) -> Vec<(i64, i16)> {
    cluster
        .requests()
        .iter()
        .filter_map(|r| match &r.body {
            Some(RequestBody::InitProducerId(req)) => Some((req.producer_id, req.producer_epoch)),
            _ => None,
        })
        .collect()
}

/// Partition 0's leader writes a batch but answers only after
/// `request.timeout.ms`; meanwhile partition 1's leader answers `code`,
/// which makes the producer take a new epoch. The retry of partition 0's
/// batch must go out under the epoch it was first sent with (so the
/// broker sees the duplicate), not be renumbered under the new one.
async fn an_epoch_bump_waits_for_a_batch_past_request_timeout(code: ErrorCode) -> Vec<Outcome> {
    let topic = unique("faults-unresolved");
    // Partition p is led by broker p.
    let cluster = mock_with_topic(2, &topic, 2).await;
    let producer = Producer::new(producer_config(
        &cluster.bootstrap_servers(),
        &[("request.timeout.ms", "300"), ("linger.ms", "0")],
    ))
    .expect("producer");
    let mut outcomes = send_range(&producer, &topic, 0..10, round_robin(2)).await;
    assert_all_delivered(&outcomes);
    cluster
        .set_rtt(0, Duration::from_millis(1000))
        .expect("rtt");
    cluster
        .push_broker_request_errors(1, ApiKey::Produce, &[code])
        .expect("broker 1");
    let slow = within("send", producer.send(record(&topic, 10, Some(0))))
        .await
        .expect("queued");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let refused = within("send", producer.send(record(&topic, 11, Some(1))))
        .await
        .expect("queued");
    // Partition 0's request times out (300 ms) and is retried, each
    // attempt again answered too late, until the broker is fast again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.set_rtt(0, Duration::ZERO).expect("rtt");
    outcomes.push((10, within("report", slow).await));
    outcomes.push((11, within("report", refused).await));
    outcomes.extend(send_range(&producer, &topic, 12..40, round_robin(2)).await);
    let ids = inits(&cluster);
    assert_eq!(ids.len(), 2, "one id, then one epoch bump: {ids:?}");
    let log = read_back(&cluster, &topic, 2).await;
    assert_exactly_once(&outcomes, &log);
    assert!(
        matches!(outcomes[10], (10, Ok(_))),
        "partition 0's slow record: {:?}",
        outcomes[10]
    );
    outcomes
}

#[tokio::test]
async fn invalid_record_elsewhere_does_not_duplicate_a_batch_past_request_timeout() {
    let outcomes =
        an_epoch_bump_waits_for_a_batch_past_request_timeout(ErrorCode::InvalidRecord).await;
    match &outcomes[11].1 {
        Err(e) => assert_eq!(e.code(), Some(ErrorCode::InvalidRecord), "{e}"),
        Ok(d) => panic!("the refused record was delivered: {d:?}"),
    }
    assert!(outcomes[12..].iter().all(|(_, r)| r.is_ok()));
}

#[tokio::test]
async fn out_of_order_sequence_elsewhere_does_not_duplicate_a_batch_past_request_timeout() {
    let outcomes =
        an_epoch_bump_waits_for_a_batch_past_request_timeout(ErrorCode::OutOfOrderSequenceNumber)
            .await;
    assert_all_delivered(&outcomes);
}

#[tokio::test]
async fn unknown_producer_id_elsewhere_does_not_duplicate_a_batch_past_request_timeout() {
    let outcomes =
        an_epoch_bump_waits_for_a_batch_past_request_timeout(ErrorCode::UnknownProducerId).await;
    assert_all_delivered(&outcomes);
}

/// `close` with a record whose request the broker wrote but answers only
/// after `request.timeout.ms`, every attempt: the record is in the log,
/// so its report must say "possibly persisted", not "closed before it was
/// delivered" (an application resending on that would duplicate it).
async fn close_reports_a_written_but_unanswered_record_as_possibly_persisted(idempotent: bool) {
    let topic = unique("faults-close-unknown");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let idempotence = if idempotent { "true" } else { "false" };
    let acks = if idempotent { "all" } else { "1" };
    let producer = Producer::new(producer_config(
        &cluster.bootstrap_servers(),
        &[
            ("request.timeout.ms", "300"),
            ("enable.idempotence", idempotence),
            ("acks", acks),
        ],
    ))
    .expect("producer");
    let before = send_range(&producer, &topic, 0..3, |_| Some(0)).await;
    assert_all_delivered(&before);
    cluster
        .set_rtt(0, Duration::from_millis(1000))
        .expect("rtt");
    let report = within("send", producer.send(record(&topic, 3, Some(0))))
        .await
        .expect("queued");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let left = within("close", producer.close(Duration::from_millis(700))).await;
    assert_eq!(
        left, 1,
        "the record was not delivered within close's timeout"
    );
    let result = within("report", report).await;
    match &result {
        Err(e @ ProduceError::PossiblyPersisted { partition: 0, .. }) => {
            assert!(e.possibly_persisted(), "{e}");
            assert!(!e.is_retriable(), "resending may duplicate: {e}");
        }
        other => panic!("expected PossiblyPersisted, got {other:?}"),
    }
    cluster.set_rtt(0, Duration::ZERO).expect("rtt");
    let end = cluster.offsets(&topic, 0).expect("p0").1;
    let log = read_to(&cluster.bootstrap_servers(), &topic, &[end]).await;
    assert!(
        log.iter().any(|m| index_of(m) == 3),
        "the record reported possibly persisted is in the log"
    );
}

#[tokio::test]
async fn close_reports_possibly_persisted_not_closed_with_idempotence() {
    close_reports_a_written_but_unanswered_record_as_possibly_persisted(true).await;
}

#[tokio::test]
async fn close_reports_possibly_persisted_not_closed_without_idempotence() {
    close_reports_a_written_but_unanswered_record_as_possibly_persisted(false).await;
}

/// `close` whose timeout passes while a request is in flight waits for
/// its answer (within `request.timeout.ms`) rather than give up on it.
#[tokio::test]
async fn close_waits_for_the_answer_of_a_request_in_flight() {
    let topic = unique("faults-close-wait");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let before = send_range(&producer, &topic, 0..3, |_| Some(0)).await;
    assert_all_delivered(&before);
    cluster
        .set_rtt(0, Duration::from_millis(1500))
        .expect("rtt");
    let (tx, rx) = tokio::sync::oneshot::channel();
    producer
        .produce(record(&topic, 3, Some(0)), move |r| {
            let _ = tx.send(r);
        })
        .expect("queued");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let left = within("close", producer.close(Duration::from_millis(200))).await;
    assert_eq!(left, 1, "not delivered within close's own timeout");
    let result = within("callback", rx)
        .await
        .expect("close ran the callback");
    let delivery = result.expect("the answer that came after the timeout is reported");
    assert_eq!((delivery.partition, delivery.offset), (0, 3));
}

/// A record that never reached a broker is reported as not persisted: an
/// application may send it again without a duplicate.
#[tokio::test]
async fn close_reports_a_never_sent_record_as_not_persisted() {
    let topic = unique("faults-close-unsent");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let before = send_range(&producer, &topic, 0..3, |_| Some(0)).await;
    assert_all_delivered(&before);
    cluster.broker_down(0).expect("down");
    let report = within("send", producer.send(record(&topic, 3, Some(0))))
        .await
        .expect("queued");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let left = within("close", producer.close(Duration::from_millis(300))).await;
    assert_eq!(left, 1);
    match within("report", report).await {
        Err(e) => assert!(!e.possibly_persisted(), "never sent, yet {e:?}"),
        Ok(d) => panic!("delivered by a broker that is down: {d:?}"),
    }
    cluster.broker_up(0).expect("up");
    assert_eq!(cluster.offsets(&topic, 0).expect("p0").1, 3, "not written");
}

/// Dropping the producer while a written record's answer is late: its
/// report says "possibly persisted", not "closed before it was delivered".
#[tokio::test]
async fn dropping_the_producer_reports_an_unanswered_record_as_possibly_persisted() {
    let topic = unique("faults-drop-unknown");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let producer = Producer::new(producer_config(
        &cluster.bootstrap_servers(),
        &[("request.timeout.ms", "300")],
    ))
    .expect("producer");
    let before = send_range(&producer, &topic, 0..3, |_| Some(0)).await;
    assert_all_delivered(&before);
    cluster
        .set_rtt(0, Duration::from_millis(1000))
        .expect("rtt");
    let report = within("send", producer.send(record(&topic, 3, Some(0))))
        .await
        .expect("queued");
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(producer);
    match within("report", report).await {
        Err(e) => assert!(e.possibly_persisted(), "{e:?}"),
        Ok(d) => panic!("no answer came in time, yet delivered: {d:?}"),
    }
    cluster.set_rtt(0, Duration::ZERO).expect("rtt");
    assert_eq!(
        cluster.offsets(&topic, 0).expect("p0").1,
        4,
        "the broker wrote it"
    );
}
