//! The producer's limits as an application meets them, on the mock
//! cluster: the buffer bound counts delivery reports until they are
//! served (callbacks run, futures taken or dropped), `message.timeout.ms=0`
//! means no limit, and a configuration that may reorder records says so.

mod faults_util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use faults_util::*;
use ferrokafka::producer::{ProduceError, Producer};

/// 20,000 `produce` calls without a `poll`: once the bound's worth of
/// reports waits for its callbacks, `produce` refuses with QueueFull; a
/// `flush` (or `poll`) runs them and frees the space.
#[tokio::test]
async fn unserved_callbacks_count_against_the_buffer_bound() {
    let topic = unique("bounds-callbacks");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let producer = Producer::new(producer_config(
        &cluster.bootstrap_servers(),
        &[("queue.buffering.max.messages", "100"), ("linger.ms", "0")],
    ))
    .expect("producer");
    let ran = Arc::new(AtomicUsize::new(0));
    let (mut accepted, mut full) = (0, 0);
    for i in 0..20_000 {
        let ran = ran.clone();
        match producer.produce(record(&topic, i, Some(0)), move |r| {
            r.expect("delivered");
            ran.fetch_add(1, Ordering::Relaxed);
        }) {
            Ok(()) => accepted += 1,
            Err(ProduceError::QueueFull) => full += 1,
            Err(e) => panic!("record {i}: {e}"),
        }
        if i % 100 == 99 {
            // Time for the broker to answer: reports are made, not served.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    assert_eq!(accepted, 100, "{accepted} accepted, {full} refused");
    assert_eq!(ran.load(Ordering::Relaxed), 0, "no poll, no callback");
    assert_eq!(within("flush", producer.flush(LIMIT)).await, 0);
    assert_eq!(ran.load(Ordering::Relaxed), 100);
    // The space is back: another bound's worth is accepted, and `poll`
    // serves it too.
    for i in 0..100 {
        let ran = ran.clone();
        producer
            .produce(record(&topic, 20_000 + i, Some(0)), move |_| {
                ran.fetch_add(1, Ordering::Relaxed);
            })
            .unwrap_or_else(|e| panic!("after flush, record {i}: {e}"));
    }
    let deadline = tokio::time::Instant::now() + LIMIT;
    while ran.load(Ordering::Relaxed) < 200 {
        assert!(tokio::time::Instant::now() < deadline, "poll served all");
        producer.poll(Duration::from_millis(100)).await;
    }
    producer
        .produce(record(&topic, 30_000, Some(0)), |_| {})
        .expect("poll freed the space");
    assert_eq!(within("flush", producer.flush(LIMIT)).await, 0);
}

/// A future's report holds its record's space until the future is
/// awaited or dropped; `send` waiting for space is woken by either.
#[tokio::test]
async fn delivery_futures_hold_their_space_until_taken_or_dropped() {
    let topic = unique("bounds-futures");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let producer = Producer::new(producer_config(
        &cluster.bootstrap_servers(),
        &[("queue.buffering.max.messages", "10"), ("linger.ms", "0")],
    ))
    .expect("producer");
    let mut held: Vec<_> = (0..10)
        .map(|i| producer.try_send(record(&topic, i, Some(0))).expect("room"))
        .collect();
    assert_eq!(within("flush", producer.flush(LIMIT)).await, 0);
    assert!(
        matches!(
            producer.try_send(record(&topic, 10, Some(0))),
            Err(ProduceError::QueueFull)
        ),
        "ten reports not taken hold the ten places"
    );
    // Taking one report frees one place.
    let first = held.remove(0);
    within("report", first).await.expect("delivered");
    let one_more = producer
        .try_send(record(&topic, 10, Some(0)))
        .expect("the taken report's place");
    assert!(matches!(
        producer.try_send(record(&topic, 11, Some(0))),
        Err(ProduceError::QueueFull)
    ));
    // A waiting `send` is woken when reports are dropped untaken.
    let waiting = {
        let producer = producer.clone();
        let topic = topic.clone();
        tokio::spawn(async move { producer.send(record(&topic, 11, Some(0))).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "the buffer is full");
    drop(held);
    let f = within("send", waiting)
        .await
        .expect("task")
        .expect("queued once the dropped reports freed space");
    within("report", f).await.expect("delivered");
    within("report", one_more).await.expect("delivered");
    // Futures dropped before their report comes free their place too.
    for i in 12..22 {
        drop(producer.try_send(record(&topic, i, Some(0))).expect("room"));
    }
    assert_eq!(within("flush", producer.flush(LIMIT)).await, 0);
    for i in 22..32 {
        drop(
            producer
                .try_send(record(&topic, i, Some(0)))
                .unwrap_or_else(|e| panic!("record {i}: {e}")),
        );
    }
    assert_eq!(within("flush", producer.flush(LIMIT)).await, 0);
    assert_eq!(cluster.offsets(&topic, 0).expect("p0").1, 32);
}

/// Taken reports give their space back in groups (the semaphores' lock
/// is per call), yet a full producer sees every place freed at once: by
/// `try_send`, by a `send` that finds the buffer full, and by a `send`
/// already waiting when the report is taken.
#[tokio::test]
async fn space_of_each_taken_report_is_free_at_once() {
    let topic = unique("bounds-deferred");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let producer = Producer::new(producer_config(
        &cluster.bootstrap_servers(),
        &[("queue.buffering.max.messages", "1000"), ("linger.ms", "0")],
    ))
    .expect("producer");
    let mut held: std::collections::VecDeque<_> = (0..1000)
        .map(|i| producer.try_send(record(&topic, i, Some(0))).expect("room"))
        .collect();
    assert_eq!(within("flush", producer.flush(LIMIT)).await, 0);
    let mut next = 1000;
    // One taken report: one place, for the non-waiting call.
    take_one(&mut held).await;
    let a = producer
        .try_send(record(&topic, next, Some(0)))
        .expect("the taken report's place");
    next += 1;
    assert!(matches!(
        producer.try_send(record(&topic, next, Some(0))),
        Err(ProduceError::QueueFull)
    ));
    // One more: `send` finds it without waiting for anything else.
    take_one(&mut held).await;
    let b = within("send", producer.send(record(&topic, next, Some(0))))
        .await
        .expect("the second taken report's place");
    next += 1;
    // A `send` already waiting is woken by a single taken report.
    let waiting = {
        let producer = producer.clone();
        let topic = topic.clone();
        tokio::spawn(async move { producer.send(record(&topic, next, Some(0))).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "the buffer is full");
    take_one(&mut held).await;
    let c = within("send", waiting)
        .await
        .expect("task")
        .expect("queued once one report was taken");
    for f in [a, b, c] {
        within("report", f).await.expect("delivered");
    }
    drop(held);
    assert_eq!(within("flush", producer.flush(LIMIT)).await, 0);
}

/// Awaits the oldest held report.
async fn take_one(held: &mut std::collections::VecDeque<ferrokafka::producer::DeliveryFuture>) {
    let f = held.pop_front().expect("a held report");
    within("report", f).await.expect("delivered");
}

/// `message.timeout.ms=0` means no limit, as in librdkafka: a record
/// waits for a broker that is down rather than fail at once.
#[tokio::test]
async fn message_timeout_zero_means_no_limit() {
    let topic = unique("bounds-no-timeout");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let producer = Producer::new(producer_config(
        &cluster.bootstrap_servers(),
        &[("message.timeout.ms", "0")],
    ))
    .expect("producer");
    let first = send_range(&producer, &topic, 0..3, |_| Some(0)).await;
    assert_all_delivered(&first);
    cluster.broker_down(0).expect("down");
    let waiting = within("send", producer.send(record(&topic, 3, Some(0))))
        .await
        .expect("queued");
    tokio::time::sleep(Duration::from_millis(600)).await;
    cluster.broker_up(0).expect("up");
    let delivered = within("report", waiting).await.expect("delivered");
    assert_eq!((delivered.partition, delivered.offset), (0, 3));
}

/// A tracing subscriber that counts WARN events whose message mentions
/// `needle`.
struct WarnCounter {
    needle: &'static str,
    hits: Arc<AtomicUsize>,
}

struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl tracing::Subscriber for WarnCounter {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() != tracing::Level::WARN {
            return;
        }
        let mut m = Message(String::new());
        event.record(&mut m);
        if m.0.contains(self.needle) {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// How many reordering warnings making a producer with `props` logs.
fn reorder_warnings(props: &[(&str, &str)]) -> usize {
    let hits = Arc::new(AtomicUsize::new(0));
    let subscriber = WarnCounter {
        needle: "reorder",
        hits: hits.clone(),
    };
    let producer = tracing::subscriber::with_default(subscriber, || {
        Producer::new(producer_config("127.0.0.1:1", props)).expect("producer")
    });
    drop(producer);
    hits.load(Ordering::Relaxed)
}

/// With idempotence off, retries and several requests in flight, a retried
/// batch can land behind later ones: the producer warns once, when made.
#[tokio::test]
async fn a_configuration_that_may_reorder_warns_once_at_start() {
    let off = [("enable.idempotence", "false"), ("acks", "1")];
    assert_eq!(reorder_warnings(&off), 1, "idempotence off, 5 in flight");
    let one_in_flight = [
        ("enable.idempotence", "false"),
        ("acks", "1"),
        ("max.in.flight", "1"),
    ];
    assert_eq!(reorder_warnings(&one_in_flight), 0, "one request at a time");
    let no_retries = [
        ("enable.idempotence", "false"),
        ("acks", "1"),
        ("retries", "0"),
    ];
    assert_eq!(reorder_warnings(&no_retries), 0, "no retry, no reordering");
    assert_eq!(
        reorder_warnings(&[]),
        0,
        "idempotence (the default) keeps order"
    );
}
