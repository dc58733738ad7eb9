//! What the client shows through `tracing`, captured by a subscriber of
//! the test's own: a span per connection (broker address and id), a span
//! per request (api, version, correlation id, bytes, latency) inside it,
//! and per-batch events at trace level, never one per record.
//!
//! Its own test binary: tracing caches which callsites are enabled per
//! process, and this file's subscriber must be the only one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrokafka::config::ClientConfig;
use ferrokafka::producer::{Producer, ProducerRecord};
use ferrokafka_mock::MockCluster;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// A span or event as captured: name, target, level, fields, parent.
#[derive(Debug, Clone, Default)]
struct Captured {
    name: String,
    target: String,
    level: String,
    fields: HashMap<String, String>,
    parent: Option<u64>,
}

#[derive(Default)]
struct Store {
    spans: Mutex<HashMap<u64, Captured>>,
    events: Mutex<Vec<Captured>>,
    next: AtomicU64,
    current: Mutex<Vec<u64>>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Store>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
}

fn captured(meta: &Metadata<'_>) -> Captured {
    Captured {
        name: meta.name().into(),
        target: meta.target().into(),
        level: meta.level().to_string(),
        ..Default::default()
    }
}

impl Subscriber for Capture {
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        meta.target().starts_with("ferrokafka")
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut c = captured(span.metadata());
        span.record(&mut Fields(&mut c.fields));
        c.parent = match span.parent() {
            Some(p) => Some(p.into_u64()),
            None if span.is_contextual() => self.0.current.lock().expect("lock").last().copied(),
            None => None,
        };
        let id = self.0.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.0.spans.lock().expect("lock").insert(id, c);
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(c) = self.0.spans.lock().expect("lock").get_mut(&span.into_u64()) {
            values.record(&mut Fields(&mut c.fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut c = captured(event.metadata());
        event.record(&mut Fields(&mut c.fields));
        c.parent = self.0.current.lock().expect("lock").last().copied();
        self.0.events.lock().expect("lock").push(c);
    }
    fn enter(&self, span: &Id) {
        self.0.current.lock().expect("lock").push(span.into_u64());
    }
    fn exit(&self, span: &Id) {
        let mut cur = self.0.current.lock().expect("lock");
        if let Some(i) = cur.iter().rposition(|s| *s == span.into_u64()) {
            cur.remove(i);
        }
    }
}

#[test]
fn connections_requests_and_batches_show_as_spans_and_trace_events() {
    let capture = Capture::default();
    let store = capture.0.clone();
    let _guard = tracing::subscriber::set_default(capture);
    // One thread: the client's tasks run where the subscriber is set.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let records = 100;
    let bootstrap = rt.block_on(async {
        let cluster = MockCluster::start(1).await.expect("mock");
        cluster.create_topic("traced", 1, 1).expect("topic");
        let producer = Producer::new(
            ClientConfig::new()
                .bootstrap_servers([cluster.bootstrap_servers()])
                .linger(Duration::from_millis(50)),
        )
        .expect("producer");
        let mut futures = Vec::new();
        for i in 0..records {
            let r = ProducerRecord::new("traced").value(format!("{i}"));
            futures.push(producer.send(r).await.expect("queued"));
        }
        for f in futures {
            tokio::time::timeout(Duration::from_secs(10), f)
                .await
                .expect("in time")
                .expect("delivered");
        }
        drop(producer);
        cluster.bootstrap_servers()
    });
    drop(rt);

    let spans = store.spans.lock().expect("lock").clone();
    let connections: Vec<(&u64, &Captured)> = spans
        .iter()
        .filter(|(_, s)| s.name == "connection")
        .collect();
    assert!(!connections.is_empty(), "a span per connection");
    for (_, c) in &connections {
        assert_eq!(c.target, "ferrokafka::broker");
        assert_eq!(c.level, Level::DEBUG.to_string());
        assert_eq!(c.fields["broker"], bootstrap);
        assert!(c.fields.contains_key("node_id"));
    }
    assert!(
        connections.iter().any(|(_, c)| c.fields["node_id"] == "0"),
        "the connection to the leader knows its broker id: {connections:?}"
    );
    let requests: Vec<&Captured> = spans.values().filter(|s| s.name == "request").collect();
    let produce: Vec<&&Captured> = requests
        .iter()
        .filter(|r| r.fields.get("api").map(String::as_str) == Some("Produce"))
        .collect();
    assert!(!produce.is_empty(), "a span per Produce request");
    for r in &requests {
        assert_eq!(r.target, "ferrokafka::protocol");
        assert_eq!(r.level, Level::DEBUG.to_string());
        for f in [
            "api",
            "version",
            "correlation_id",
            "request_bytes",
            "response_bytes",
            "latency_us",
        ] {
            assert!(r.fields.contains_key(f), "request span without {f}: {r:?}");
        }
        let parent = r.parent.expect("inside its connection's span");
        assert_eq!(spans[&parent].name, "connection");
    }
    assert!(requests.iter().any(|r| r.fields["api"] == "ApiVersions"));

    let events = store.events.lock().expect("lock").clone();
    let batches: Vec<&Captured> = events
        .iter()
        .filter(|e| e.target == "ferrokafka::msg")
        .collect();
    assert!(!batches.is_empty(), "an event per delivered batch");
    for b in &batches {
        assert_eq!(b.level, Level::TRACE.to_string());
    }
    let delivered: usize = batches
        .iter()
        .map(|b| b.fields["records"].parse::<usize>().expect("a count"))
        .sum();
    assert_eq!(delivered, records, "the batches' records add up");
    assert!(
        batches.len() < records / 10,
        "{} events for {records} records: per batch, not per record",
        batches.len()
    );
    // Nothing at debug or above comes once per record.
    let loud = events
        .iter()
        .filter(|e| e.level != Level::TRACE.to_string())
        .count();
    assert!(
        loud < records / 2,
        "{loud} events above trace for {records} records"
    );
}
