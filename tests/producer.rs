//! The producer against a real Apache Kafka broker: every record
//! delivered once, where the Java client would put its key, readable by
//! librdkafka (kcat) with every codec; bad input refused clearly; no hang
//! when the cluster is unreachable; dropped records reported.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrokafka::config::ClientConfig;
use ferrokafka::producer::{partitioner, ProduceError, Producer, ProducerRecord};
use ferrokafka::protocol::ErrorCode;

fn config(extra: &[(&str, &str)]) -> ClientConfig {
    let bootstrap = common::bootstrap();
    let mut props = vec![
        ("bootstrap.servers", bootstrap.as_str()),
        ("linger.ms", "5"),
    ];
    props.extend_from_slice(extra);
    ClientConfig::from_properties(props).expect("valid config")
}

#[tokio::test]
async fn many_keyed_records_land_once_each_where_murmur2_puts_them() {
    let topic = common::unique("ferro-produce-many");
    common::create_topic(&topic, 6).await;
    let producer = Producer::new(config(&[])).expect("producer");
    let n = 3000;
    let mut futures = Vec::with_capacity(n);
    for i in 0..n {
        let record = ProducerRecord::new(&topic)
            .key(format!("key-{}", i % 97))
            .value(format!("value-{i}"));
        futures.push(producer.send(record).await.expect("queued"));
    }
    let mut by_partition: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for (i, f) in futures.into_iter().enumerate() {
        let d = f.await.unwrap_or_else(|e| panic!("record {i}: {e}"));
        let key = format!("key-{}", i % 97);
        let expected = partitioner::to_positive(partitioner::murmur2(key.as_bytes())) % 6;
        assert_eq!(d.partition, expected, "{key}");
        by_partition.entry(d.partition).or_default().push(d.offset);
    }
    // Offsets per partition are 0..count, each once, in send order.
    for (p, offsets) in &by_partition {
        let want: Vec<i64> = (0..offsets.len() as i64).collect();
        assert_eq!(offsets, &want, "partition {p}");
    }
    assert_eq!(producer.flush(Duration::from_secs(10)).await, 0);

    let rows = common::kcat_read(&common::bootstrap(), &topic);
    assert_eq!(rows.len(), n, "kcat reads every record once");
    let values: HashSet<&str> = rows.iter().map(|r| r.3.as_str()).collect();
    assert_eq!(values.len(), n, "no duplicate values");
    for (p, _, key, value) in &rows {
        let i: usize = value["value-".len()..].parse().expect("value");
        assert_eq!(key, &format!("key-{}", i % 97));
        assert_eq!(
            *p,
            partitioner::to_positive(partitioner::murmur2(key.as_bytes())) % 6
        );
    }
}

#[tokio::test]
async fn every_codec_is_read_back_by_librdkafka() {
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let topic = common::unique(&format!("ferro-produce-{codec}"));
        common::create_topic(&topic, 2).await;
        let producer = Producer::new(config(&[("compression.type", codec)])).expect("producer");
        let mut futures = Vec::new();
        for i in 0..200 {
            let r = ProducerRecord::new(&topic)
                .key(format!("k{i}"))
                .value(format!("{codec} payload {i} {}", "x".repeat(i % 50)));
            futures.push(producer.send(r).await.expect("queued"));
        }
        for f in futures {
            f.await.unwrap_or_else(|e| panic!("{codec}: {e}"));
        }
        let rows = common::kcat_read(&common::bootstrap(), &topic);
        assert_eq!(rows.len(), 200, "{codec}");
        for (_, _, key, value) in rows {
            let i: usize = key[1..].parse().expect("key");
            assert_eq!(value, format!("{codec} payload {i} {}", "x".repeat(i % 50)));
        }
    }
}

#[tokio::test]
async fn callbacks_are_served_by_poll_and_flush() {
    let topic = common::unique("ferro-produce-callbacks");
    common::create_topic(&topic, 3).await;
    let producer = Producer::new(config(&[("acks", "all")])).expect("producer");
    let reports: Arc<Mutex<Vec<(i32, i64)>>> = Arc::default();
    for i in 0..5 {
        let reports = reports.clone();
        producer
            .produce(
                ProducerRecord::new(&topic)
                    .key(i.to_string())
                    .value(format!("{{\"id\": {i}}}")),
                move |r| {
                    let d = r.expect("delivered");
                    reports.lock().expect("lock").push((d.partition, d.offset));
                },
            )
            .expect("queued");
        producer.poll(Duration::ZERO).await;
    }
    assert_eq!(producer.flush(Duration::from_secs(30)).await, 0);
    let reports = reports.lock().expect("lock").clone();
    assert_eq!(reports.len(), 5, "every callback ran by the end of flush");
    assert!(reports.iter().all(|&(p, o)| (0..3).contains(&p) && o >= 0));
}

#[tokio::test]
async fn a_record_over_message_max_bytes_fails_at_once() {
    let producer = Producer::new(config(&[("message.max.bytes", "10000")])).expect("producer");
    let err = producer
        .send(ProducerRecord::new("any").value(vec![0u8; 20_000]))
        .await
        .expect_err("too large");
    assert!(
        matches!(err, ProduceError::MessageTooLarge { max: 10000, .. }),
        "{err}"
    );
    assert_eq!(err.code(), Some(ErrorCode::MessageTooLarge));
    assert!(!err.is_retriable());
}

#[tokio::test]
async fn an_unknown_topic_without_auto_create_fails_after_the_timeout() {
    let producer = Producer::new(config(&[
        ("allow.auto.create.topics", "false"),
        ("message.timeout.ms", "2000"),
    ]))
    .expect("producer");
    let topic = common::unique("ferro-missing");
    let start = std::time::Instant::now();
    let f = producer
        .send(ProducerRecord::new(&topic).value("v"))
        .await
        .expect("queued");
    let err = tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("no hang")
        .expect_err("unknown topic");
    assert_eq!(
        err.code(),
        Some(ErrorCode::UnknownTopicOrPartition),
        "{err}"
    );
    assert!(
        start.elapsed() >= Duration::from_millis(1900),
        "waited for the timeout"
    );
}

#[tokio::test]
async fn an_unreachable_cluster_fails_every_record_after_the_timeout() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").to_string()
    };
    let config = ClientConfig::from_properties([
        ("bootstrap.servers", closed.as_str()),
        ("message.timeout.ms", "1500"),
        ("reconnect.backoff.ms", "50"),
        ("reconnect.backoff.max.ms", "200"),
    ])
    .expect("config");
    let producer = Producer::new(config).expect("producer");
    let mut futures = Vec::new();
    for i in 0..10 {
        futures.push(
            producer
                .send(ProducerRecord::new("t").value(format!("{i}")))
                .await
                .expect("queued"),
        );
    }
    for f in futures {
        let err = tokio::time::timeout(Duration::from_secs(20), f)
            .await
            .expect("no hang")
            .expect_err("undeliverable");
        assert!(matches!(err, ProduceError::TimedOut { .. }), "{err}");
    }
    assert_eq!(producer.flush(Duration::from_secs(1)).await, 0);
}

#[tokio::test]
async fn dropping_the_producer_reports_what_was_not_delivered() {
    let producer = Producer::new(config(&[("linger.ms", "60000")])).expect("producer");
    let topic = common::unique("ferro-dropped");
    let f = producer
        .send(ProducerRecord::new(&topic).value("never sent"))
        .await
        .expect("queued");
    drop(producer);
    let err = tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("no hang")
        .expect_err("not delivered");
    assert_eq!(err, ProduceError::Closed);
}

#[tokio::test]
async fn acks_zero_and_one_deliver_without_idempotence() {
    for acks in ["0", "1"] {
        let topic = common::unique(&format!("ferro-acks{acks}"));
        common::create_topic(&topic, 1).await;
        let producer = Producer::new(config(&[("acks", acks), ("enable.idempotence", "false")]))
            .expect("producer");
        let mut futures = Vec::new();
        for i in 0..100 {
            futures.push(
                producer
                    .send(ProducerRecord::new(&topic).key("k").value(format!("{i}")))
                    .await
                    .expect("queued"),
            );
        }
        for f in futures {
            let d = f.await.expect("delivered");
            if acks == "0" {
                assert_eq!(d.offset, -1, "acks=0 has no offset");
            }
        }
        producer.flush(Duration::from_secs(5)).await;
        let rows = common::kcat_read(&common::bootstrap(), &topic);
        assert_eq!(rows.len(), 100, "acks={acks}");
        let values: Vec<String> = rows.into_iter().map(|r| r.3).collect();
        let want: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        assert_eq!(values, want, "acks={acks}: in order");
    }
}

#[tokio::test]
async fn a_full_buffer_refuses_without_waiting_and_waits_otherwise() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").to_string()
    };
    let producer = Producer::new(
        ClientConfig::from_properties([
            ("bootstrap.servers", closed.as_str()),
            ("queue.buffering.max.messages", "5"),
            ("message.timeout.ms", "1000"),
        ])
        .expect("config"),
    )
    .expect("producer");
    let mut queued = Vec::new();
    for i in 0..5 {
        queued.push(
            producer
                .try_send(ProducerRecord::new("t").value(format!("{i}")))
                .expect("room for five"),
        );
    }
    let err = producer
        .try_send(ProducerRecord::new("t").value("sixth"))
        .expect_err("full");
    assert_eq!(err, ProduceError::QueueFull);
    assert!(err.is_retriable());
    let err = producer
        .produce(ProducerRecord::new("t").value("sixth"), |_| {})
        .expect_err("full");
    assert_eq!(err, ProduceError::QueueFull);
    // The waiting path gets in once room is freed: the first five time
    // out, and their reports, once taken, give their room back.
    let start = std::time::Instant::now();
    let waiting = {
        let producer = producer.clone();
        tokio::spawn(async move { producer.send(ProducerRecord::new("t").value("sixth")).await })
    };
    for f in queued {
        assert!(f.await.is_err(), "nothing is reachable");
    }
    let sixth = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("no hang")
        .expect("task")
        .expect("queued after room was freed");
    assert!(start.elapsed() >= Duration::from_millis(500), "it waited");
    assert!(sixth.await.is_err());
}

#[test]
fn clients_outside_a_runtime_are_refused_and_producers_are_send_sync() {
    fn send_sync<T: Send + Sync + Clone>() {}
    send_sync::<Producer>();
    let err = Producer::new(ClientConfig::new().bootstrap_servers(["127.0.0.1:1"]))
        .expect_err("no runtime");
    assert!(matches!(err, ferrokafka::Error::NoRuntime), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_returns_only_after_every_callback_ran() {
    // Reports arrive on the producer's task while flush runs callbacks on
    // this one; a count of zero must mean every callback has run.
    let topic = common::unique("ferro-flush-callbacks");
    common::create_topic(&topic, 3).await;
    let producer = Producer::new(config(&[("linger.ms", "1")])).expect("producer");
    let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let n = 50_000;
    for i in 0..n {
        let ran = ran.clone();
        let record = ProducerRecord::new(&topic).value(format!("{i}"));
        loop {
            let ran = ran.clone();
            match producer.produce(record.clone(), move |r| {
                assert!(r.is_ok(), "{r:?}");
                ran.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }) {
                Ok(()) => break,
                Err(ProduceError::QueueFull) => {
                    producer.poll(Duration::from_millis(10)).await;
                }
                Err(e) => panic!("{e}"),
            }
        }
        drop(ran);
        if i % 1000 == 0 {
            producer.poll(Duration::ZERO).await;
        }
    }
    assert_eq!(producer.flush(Duration::from_secs(60)).await, 0);
    assert_eq!(ran.load(std::sync::atomic::Ordering::SeqCst), n);
}
