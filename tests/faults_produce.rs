//! The producer's error paths, proved through the mock cluster's fault
//! injection: for each fault, every record delivered is in the log exactly
//! once, at the offset reported, in send order per partition; records
//! that must fail fail with the right error and are not in the log; and
//! nothing hangs (every await is bounded).

mod faults_util;

use std::time::{Duration, Instant};

use faults_util::*;
use ferrokafka::producer::{ProduceError, Producer};
use ferrokafka::protocol::messages::RequestBody;
use ferrokafka::protocol::{ApiKey, ErrorCode};

/// Records of index `i` go to partition `i % n`.
fn round_robin(n: i32) -> impl Fn(usize) -> Option<i32> + Copy {
    move |i| Some(i as i32 % n)
}

#[tokio::test]
async fn not_leader_on_produce_without_a_move_is_retried_in_order() {
    let topic = unique("faults-nl");
    let cluster = mock_with_topic(2, &topic, 2).await;
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let first = send_range(&producer, &topic, 0..20, round_robin(2)).await;
    cluster.push_request_errors(ApiKey::Produce, &[ErrorCode::NotLeaderOrFollower; 4]);
    let metadata_before = count(&cluster, ApiKey::Metadata);
    let mut outcomes = first;
    outcomes.extend(send_waves(&producer, &topic, 20, 5, 40, round_robin(2)).await);
    assert_all_delivered(&outcomes);
    assert!(
        count(&cluster, ApiKey::Metadata) > metadata_before,
        "NOT_LEADER_OR_FOLLOWER makes the producer refresh its metadata"
    );
    assert!(
        resent_batches(&cluster) >= 4,
        "each refused request was sent again"
    );
    let log = read_back(&cluster, &topic, 2).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 220);
}

/// UNKNOWN_TOPIC_ID (the topic was recreated under a new id) is one of the
/// codes that invalidate metadata: the producer refreshes before retrying.
#[tokio::test]
async fn unknown_topic_id_on_produce_refreshes_metadata_and_is_retried_in_order() {
    let topic = unique("faults-tid");
    let cluster = mock_with_topic(2, &topic, 2).await;
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let first = send_range(&producer, &topic, 0..20, round_robin(2)).await;
    cluster.push_request_errors(ApiKey::Produce, &[ErrorCode::UnknownTopicId; 2]);
    let metadata_before = count(&cluster, ApiKey::Metadata);
    let mut outcomes = first;
    outcomes.extend(send_waves(&producer, &topic, 20, 5, 40, round_robin(2)).await);
    assert_all_delivered(&outcomes);
    assert!(
        count(&cluster, ApiKey::Metadata) > metadata_before,
        "UNKNOWN_TOPIC_ID makes the producer refresh its metadata"
    );
    let log = read_back(&cluster, &topic, 2).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 220);
}

#[tokio::test]
async fn a_leader_move_mid_stream_sends_to_the_new_leader_in_order() {
    let topic = unique("faults-move");
    let cluster = mock_with_topic(3, &topic, 3).await;
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let mut outcomes = send_range(&producer, &topic, 0..30, round_robin(3)).await;
    for b in 0..3 {
        // Slows the waves down so the moves land in the middle of them.
        cluster.set_rtt(b, Duration::from_millis(8)).expect("rtt");
    }
    // Moves while a stream of waves is on its way, so some requests reach
    // the old leader after the move.
    let stream = {
        let producer = producer.clone();
        let topic = topic.clone();
        tokio::spawn(async move { send_waves(&producer, &topic, 30, 8, 30, round_robin(3)).await })
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    cluster.set_leader(&topic, 0, 1).expect("move p0");
    tokio::time::sleep(Duration::from_millis(30)).await;
    cluster.set_leader(&topic, 1, 2).expect("move p1");
    cluster.set_leader(&topic, 2, 0).expect("move p2");
    outcomes.extend(within("waves", stream).await.expect("sender task"));
    // A last wave after the moves goes to the new leaders only.
    cluster.clear_requests();
    outcomes.extend(send_range(&producer, &topic, 270..300, round_robin(3)).await);
    assert_all_delivered(&outcomes);
    let leaders = [(0, 1), (1, 2), (2, 0)];
    for r in cluster.requests() {
        let Some(RequestBody::Produce(req)) = &r.body else {
            continue;
        };
        for d in req.topic_data.iter().flat_map(|t| &t.partition_data) {
            let (_, leader) = leaders[d.index as usize];
            assert_eq!(
                r.broker_id, leader,
                "partition {} sent to its old leader",
                d.index
            );
        }
    }
    let log = read_back(&cluster, &topic, 3).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 300);
}

#[tokio::test]
async fn retriable_errors_mid_stream_lose_and_duplicate_nothing() {
    let topic = unique("faults-retriable");
    let cluster = mock_with_topic(1, &topic, 2).await;
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let mut outcomes = send_range(&producer, &topic, 0..10, round_robin(2)).await;
    use ErrorCode as E;
    // Some requests pass between the failures: those behind a failed one
    // meet the broker's sequence check (OUT_OF_ORDER_SEQUENCE_NUMBER) and
    // must be retried behind it, not bump the epoch.
    cluster.push_request_errors(
        ApiKey::Produce,
        &[
            E::RequestTimedOut,
            E::None,
            E::NotEnoughReplicas,
            E::LeaderNotAvailable,
            E::None,
            E::None,
            E::RequestTimedOut,
            E::NotEnoughReplicasAfterAppend,
            E::LeaderNotAvailable,
        ],
    );
    // Many requests in flight at once: each wave is sent without waiting.
    let mut futures = Vec::new();
    for i in 10..310 {
        futures.push((
            i,
            within("send", producer.send(record(&topic, i, Some(i as i32 % 2))))
                .await
                .expect("queued"),
        ));
        if i % 30 == 0 {
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    }
    for (i, f) in futures {
        outcomes.push((i, within("report", f).await));
    }
    assert_all_delivered(&outcomes);
    assert!(
        resent_batches(&cluster) >= 6,
        "each refused request was sent again"
    );
    let log = read_back(&cluster, &topic, 2).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 310);
}

/// Broker 1 (leader of partition 1) refuses one Produce request with
/// `code`: exactly the records of that request fail with `code`; every
/// other record, before and after, on both partitions, is delivered.
async fn one_refused_request_fails_exactly_its_records(code: ErrorCode) {
    let topic = unique("faults-refused");
    let cluster = mock_with_topic(2, &topic, 2).await;
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let mut outcomes = send_range(&producer, &topic, 0..10, round_robin(2)).await;
    assert_all_delivered(&outcomes);
    cluster
        .push_broker_request_errors(1, ApiKey::Produce, &[code])
        .expect("broker 1");
    outcomes.extend(send_range(&producer, &topic, 10..70, round_robin(2)).await);
    outcomes.extend(send_range(&producer, &topic, 70..100, round_robin(2)).await);
    let failed: Vec<usize> = outcomes
        .iter()
        .filter_map(|(i, r)| match r {
            Ok(_) => None,
            Err(e) => {
                assert_eq!(e.code(), Some(code), "record {i}: {e}");
                assert!(
                    matches!(e, ProduceError::Kafka { partition: 1, .. }),
                    "record {i}: {e:?}"
                );
                assert!(!e.is_retriable(), "{e}");
                Some(*i)
            }
        })
        .collect();
    assert!(!failed.is_empty(), "the refused request failed its records");
    assert!(
        failed.iter().all(|i| i % 2 == 1),
        "only partition 1 failed: {failed:?}"
    );
    // The refused records are the first of partition 1 after the fault:
    // anything sent behind them got through.
    let first_ok_after = outcomes
        .iter()
        .filter(|(i, r)| *i >= 10 && i % 2 == 1 && r.is_ok())
        .map(|(i, _)| *i)
        .min()
        .expect("partition 1 delivered again");
    assert!(
        failed.iter().all(|&i| i < first_ok_after),
        "{failed:?} then {first_ok_after}"
    );
    let log = read_back(&cluster, &topic, 2).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 100 - failed.len());
}

/// INVALID_PRODUCER_EPOCH on a Produce answer fails that batch, not the
/// idempotent producer (Java's `InvalidProducerEpochException` is not in
/// its `TransactionManager`'s fatal set; `ErrorCode::is_fatal_for_producer`).
#[tokio::test]
async fn invalid_producer_epoch_fails_only_the_refused_records() {
    one_refused_request_fails_exactly_its_records(ErrorCode::InvalidProducerEpoch).await;
}

#[tokio::test]
async fn topic_authorization_failed_fails_only_the_refused_records() {
    one_refused_request_fails_exactly_its_records(ErrorCode::TopicAuthorizationFailed).await;
}

#[tokio::test]
async fn message_too_large_from_the_broker_fails_only_the_refused_records() {
    one_refused_request_fails_exactly_its_records(ErrorCode::MessageTooLarge).await;
}

#[tokio::test]
async fn invalid_record_fails_only_the_refused_records() {
    one_refused_request_fails_exactly_its_records(ErrorCode::InvalidRecord).await;
}

/// A broken sequence (`code` on one Produce request) bumps the producer
/// epoch once; then every record is delivered exactly once.
async fn a_broken_sequence_bumps_the_epoch(code: ErrorCode) {
    let topic = unique("faults-sequence");
    let cluster = mock_with_topic(1, &topic, 2).await;
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let mut outcomes = send_range(&producer, &topic, 0..20, round_robin(2)).await;
    cluster.push_request_errors(ApiKey::Produce, &[code]);
    outcomes.extend(send_waves(&producer, &topic, 20, 4, 25, round_robin(2)).await);
    assert_all_delivered(&outcomes);
    let inits: Vec<(i64, i16)> = cluster
        .requests()
        .iter()
        .filter_map(|r| match &r.body {
            Some(RequestBody::InitProducerId(req)) => Some((req.producer_id, req.producer_epoch)),
            _ => None,
        })
        .collect();
    assert_eq!(inits.len(), 2, "one id, then one epoch bump: {inits:?}");
    assert_eq!(inits[0], (-1, -1));
    assert!(inits[1].0 >= 0, "the bump names the producer id: {inits:?}");
    let log = read_back(&cluster, &topic, 2).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 120);
}

#[tokio::test]
async fn out_of_order_sequence_bumps_the_epoch_and_delivers_once() {
    a_broken_sequence_bumps_the_epoch(ErrorCode::OutOfOrderSequenceNumber).await;
}

#[tokio::test]
async fn unknown_producer_id_bumps_the_epoch_and_delivers_once() {
    a_broken_sequence_bumps_the_epoch(ErrorCode::UnknownProducerId).await;
}

#[tokio::test]
async fn a_connection_dropped_with_requests_in_flight_is_retried_in_order() {
    let topic = unique("faults-drop");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let producer = Producer::new(producer_config(
        &cluster.bootstrap_servers(),
        &[("linger.ms", "0"), ("batch.num.messages", "5")],
    ))
    .expect("producer");
    let mut outcomes = send_range(&producer, &topic, 0..5, |_| Some(0)).await;
    // A delay keeps several small requests in flight on the connection
    // when it is cut.
    cluster.set_rtt(0, Duration::from_millis(15)).expect("rtt");
    cluster.drop_connection_after_requests(0, 3).expect("drop");
    let mut futures = Vec::new();
    for i in 5..205 {
        futures.push((
            i,
            within("send", producer.send(record(&topic, i, Some(0))))
                .await
                .expect("queued"),
        ));
        if i % 10 == 0 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    for (i, f) in futures {
        outcomes.push((i, within("report", f).await));
    }
    assert_all_delivered(&outcomes);
    assert!(
        resent_batches(&cluster) > 0,
        "the cut made the producer send batches again"
    );
    let log = read_back(&cluster, &topic, 1).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 205);
    // Several requests were in flight when the cut came.
    let produces = count(&cluster, ApiKey::Produce);
    assert!(produces > 10, "{produces} produce requests");
}

#[tokio::test]
async fn answers_lost_to_a_cut_connection_are_not_written_twice() {
    let topic = unique("faults-lost-answers");
    let cluster = mock_with_topic(1, &topic, 2).await;
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let mut outcomes = send_range(&producer, &topic, 0..10, round_robin(2)).await;
    // Requests are written at once but answered 150 ms later; the broker
    // goes down in between, so their answers are lost and the retries meet
    // batches the broker already has.
    cluster.set_rtt(0, Duration::from_millis(150)).expect("rtt");
    let stream = {
        let producer = producer.clone();
        let topic = topic.clone();
        tokio::spawn(async move { send_range(&producer, &topic, 10..110, round_robin(2)).await })
    };
    tokio::time::sleep(Duration::from_millis(60)).await;
    cluster.broker_down(0).expect("down");
    tokio::time::sleep(Duration::from_millis(200)).await;
    cluster.set_rtt(0, Duration::ZERO).expect("rtt");
    cluster.broker_up(0).expect("up");
    outcomes.extend(within("stream", stream).await.expect("sender task"));
    assert_all_delivered(&outcomes);
    assert!(
        resent_batches(&cluster) > 0,
        "batches already written were sent again"
    );
    let log = read_back(&cluster, &topic, 2).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 110);
}

#[tokio::test]
async fn a_broker_down_past_message_timeout_fails_records_then_recovers() {
    let topic = unique("faults-down-long");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let producer = Producer::new(producer_config(
        &cluster.bootstrap_servers(),
        &[("message.timeout.ms", "800")],
    ))
    .expect("producer");
    let mut outcomes = send_range(&producer, &topic, 0..5, |_| Some(0)).await;
    assert_all_delivered(&outcomes);
    cluster.broker_down(0).expect("down");
    let start = Instant::now();
    let timed_out = send_range(&producer, &topic, 5..25, |_| Some(0)).await;
    let took = start.elapsed();
    for (i, r) in &timed_out {
        match r {
            Err(e @ ProduceError::TimedOut { partition: 0, .. }) => assert!(e.is_retriable()),
            other => panic!("record {i}: expected a timeout, got {other:?}"),
        }
    }
    assert!(
        took < Duration::from_secs(5),
        "the timeout came late: {took:?}"
    );
    outcomes.extend(timed_out);
    cluster.broker_up(0).expect("up");
    let after = send_range(&producer, &topic, 25..45, |_| Some(0)).await;
    assert_all_delivered(&after);
    outcomes.extend(after);
    let log = read_back(&cluster, &topic, 1).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 25);
}

#[tokio::test]
async fn a_broker_down_briefly_delays_but_delivers_everything_once() {
    let topic = unique("faults-down-brief");
    let cluster = mock_with_topic(2, &topic, 2).await;
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let mut outcomes = send_range(&producer, &topic, 0..10, round_robin(2)).await;
    cluster.broker_down(1).expect("down");
    let stream = {
        let producer = producer.clone();
        let topic = topic.clone();
        tokio::spawn(async move { send_waves(&producer, &topic, 10, 5, 20, round_robin(2)).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    cluster.broker_up(1).expect("up");
    outcomes.extend(within("stream", stream).await.expect("sender task"));
    assert_all_delivered(&outcomes);
    let log = read_back(&cluster, &topic, 2).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 110);
}

#[tokio::test]
async fn added_round_trip_time_keeps_order_and_delivers_once() {
    let topic = unique("faults-rtt");
    let cluster = mock_with_topic(2, &topic, 4).await;
    cluster.set_rtt(0, Duration::from_millis(80)).expect("rtt");
    cluster.set_rtt(1, Duration::from_millis(20)).expect("rtt");
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let start = Instant::now();
    let outcomes = send_waves(&producer, &topic, 0, 4, 50, round_robin(4)).await;
    assert_all_delivered(&outcomes);
    assert!(
        start.elapsed() >= Duration::from_millis(80),
        "the delay applied"
    );
    let log = read_back(&cluster, &topic, 4).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 200);
}

#[tokio::test]
async fn a_response_slower_than_request_timeout_is_retried_without_a_duplicate() {
    let topic = unique("faults-slow");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let producer = Producer::new(producer_config(
        &cluster.bootstrap_servers(),
        &[("request.timeout.ms", "300")],
    ))
    .expect("producer");
    let mut outcomes = send_range(&producer, &topic, 0..5, |_| Some(0)).await;
    // Written at once, answered after the client gave up on the request.
    cluster.set_rtt(0, Duration::from_millis(500)).expect("rtt");
    let stream = {
        let producer = producer.clone();
        let topic = topic.clone();
        tokio::spawn(async move { send_range(&producer, &topic, 5..25, |_| Some(0)).await })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    cluster.set_rtt(0, Duration::ZERO).expect("rtt");
    outcomes.extend(within("stream", stream).await.expect("sender task"));
    assert_all_delivered(&outcomes);
    assert!(
        resent_batches(&cluster) > 0,
        "the timed-out request was sent again"
    );
    let log = read_back(&cluster, &topic, 1).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 25);
}

#[tokio::test]
async fn init_producer_id_retries_coordinator_not_available() {
    let topic = unique("faults-pid");
    let cluster = mock_with_topic(1, &topic, 2).await;
    cluster.push_request_errors(
        ApiKey::InitProducerId,
        &[
            ErrorCode::CoordinatorNotAvailable,
            ErrorCode::CoordinatorNotAvailable,
        ],
    );
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let outcomes = send_range(&producer, &topic, 0..40, round_robin(2)).await;
    assert_all_delivered(&outcomes);
    assert_eq!(count(&cluster, ApiKey::InitProducerId), 3);
    let log = read_back(&cluster, &topic, 2).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 40);
}

#[tokio::test]
async fn init_producer_id_refused_for_good_fails_every_record_as_fatal() {
    let topic = unique("faults-pid-fatal");
    let cluster = mock_with_topic(1, &topic, 1).await;
    cluster.push_request_errors(
        ApiKey::InitProducerId,
        &[ErrorCode::ClusterAuthorizationFailed],
    );
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let mut outcomes = send_range(&producer, &topic, 0..10, |_| Some(0)).await;
    outcomes.extend(send_range(&producer, &topic, 10..12, |_| Some(0)).await);
    for (i, r) in &outcomes {
        match r {
            Err(e @ ProduceError::Fatal(reason)) => {
                assert!(
                    reason.contains("CLUSTER_AUTHORIZATION_FAILED"),
                    "record {i}: {e}"
                );
                assert!(!e.is_retriable());
            }
            other => panic!("record {i}: expected a fatal error, got {other:?}"),
        }
    }
    assert_eq!(
        cluster.offsets(&topic, 0).expect("p0"),
        (0, 0),
        "nothing written"
    );
}

#[tokio::test]
async fn retries_running_out_fail_with_the_last_error() {
    let topic = unique("faults-retries");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let producer = Producer::new(producer_config(
        &cluster.bootstrap_servers(),
        &[("retries", "2")],
    ))
    .expect("producer");
    let mut outcomes = send_range(&producer, &topic, 0..3, |_| Some(0)).await;
    cluster.push_request_errors(ApiKey::Produce, &[ErrorCode::NotEnoughReplicas; 3]);
    let refused = send_range(&producer, &topic, 3..4, |_| Some(0)).await;
    match &refused[0].1 {
        Err(e) => assert_eq!(e.code(), Some(ErrorCode::NotEnoughReplicas), "{e}"),
        Ok(d) => panic!("delivered after three refusals with retries=2: {d:?}"),
    }
    outcomes.extend(refused);
    outcomes.extend(send_range(&producer, &topic, 4..10, |_| Some(0)).await);
    let log = read_back(&cluster, &topic, 1).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 9);
}

#[tokio::test]
async fn a_refused_first_batch_on_a_fresh_partition_is_not_overtaken() {
    // Kafka (and the mock) take any first sequence from a producer with no
    // state on the partition: were later batches pipelined behind a first
    // one refused retriably, they would be written first, and the first
    // refused as out of order from then on. Seen against the real broker
    // on freshly created topics (NOT_LEADER_OR_FOLLOWER at first).
    let topic = unique("faults-fresh");
    let cluster = mock_with_topic(1, &topic, 2).await;
    cluster.push_request_errors(ApiKey::Produce, &[ErrorCode::NotLeaderOrFollower]);
    let producer = Producer::new(producer_config(
        &cluster.bootstrap_servers(),
        &[("linger.ms", "0"), ("batch.num.messages", "10")],
    ))
    .expect("producer");
    let outcomes = send_range(&producer, &topic, 0..200, round_robin(2)).await;
    assert_all_delivered(&outcomes);
    assert_eq!(
        count(&cluster, ApiKey::InitProducerId),
        1,
        "no epoch bump needed"
    );
    let log = read_back(&cluster, &topic, 2).await;
    assert_eq!(assert_exactly_once(&outcomes, &log), 200);
}
