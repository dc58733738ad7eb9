//! ferrokafka's side of the end-to-end producer benchmark
//! (`scripts/bench-e2e.sh`): produces `--records` records of
//! `--record-size` bytes as fast as the producer takes them, waits for
//! every delivery report, and prints one result line.
//!
//! ```text
//! cargo run --release --example perf_producer -- --topic NAME [--bootstrap HOST:PORT]
//!     [--records N] [--record-size BYTES] [--acks all|1|0] [--compression none|lz4|...]
//!     [--api produce|send] [--window N] [-X property=value ...]
//! ```
//!
//! As `ProducerPerformance` and `rdkafka_performance` do, every record has
//! no key and the same value: `--record-size` random uppercase letters.
//! Two ways a user writes a fast producer:
//!
//! - `--api produce` (default): `produce` with a counting callback,
//!   `poll(0)` every 1,000 records to serve the callbacks and a `poll`
//!   that waits when the buffer is full, as with confluent-kafka;
//! - `--api send`: `send` futures, at most `--window` unanswered (each
//!   record past the window first awaits the oldest report).
//!
//! The clock runs from the first record handed over to the last report;
//! connecting and the first metadata request are before it. The line:
//!
//! ```text
//! RESULT client=ferrokafka api=produce records=1000000 bytes=100000000 seconds=1.234 msgs_per_sec=810372.8 mb_per_sec=77.28 errors=0
//! ```
//!
//! (`mb_per_sec` in MiB, as the Java tools print it.)

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrokafka::config::ClientConfig;
use ferrokafka::producer::{
    DeliveryFuture, DeliveryResult, ProduceError, Producer, ProducerRecord,
};

struct Args {
    bootstrap: String,
    topic: String,
    records: u64,
    record_size: usize,
    acks: String,
    compression: String,
    api: String,
    window: usize,
    properties: Vec<(String, String)>,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        bootstrap: std::env::var("FERROKAFKA_BOOTSTRAP")
            .unwrap_or_else(|_| "localhost:9092".to_owned()),
        topic: String::new(),
        records: 1_000_000,
        record_size: 100,
        acks: "all".to_owned(),
        compression: "none".to_owned(),
        api: "produce".to_owned(),
        window: 10_000,
        properties: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bootstrap" => args.bootstrap = value()?,
            "--topic" => args.topic = value()?,
            "--records" => args.records = number(&flag, &value()?)?,
            "--record-size" => args.record_size = number(&flag, &value()?)?,
            "--acks" => args.acks = value()?,
            "--compression" => args.compression = value()?,
            "--api" => args.api = value()?,
            "--window" => args.window = number(&flag, &value()?)?,
            "-X" => {
                let v = value()?;
                let (k, v) = v
                    .split_once('=')
                    .ok_or_else(|| format!("-X {v}: expected property=value"))?;
                args.properties.push((k.to_owned(), v.to_owned()));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.topic.is_empty() {
        return Err("--topic is required".to_owned());
    }
    if args.api != "produce" && args.api != "send" {
        return Err(format!("--api {}: expected produce or send", args.api));
    }
    Ok(args)
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("{flag} {v}: not a number"))
}

/// `size` random uppercase letters, as `ProducerPerformance` makes its
/// payload (a small xorshift: no dependency for a benchmark).
fn payload(size: usize) -> Bytes {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            b'A' + (state % 26) as u8
        })
        .collect::<Vec<u8>>()
        .into()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let mut properties = vec![
        ("bootstrap.servers".to_owned(), args.bootstrap.clone()),
        ("acks".to_owned(), args.acks.clone()),
        ("compression.type".to_owned(), args.compression.clone()),
    ];
    properties.extend(args.properties.iter().cloned());
    let config = ClientConfig::from_properties(
        properties
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
    )?;
    let producer = Producer::new(config)?;
    // Connect and learn the topic's partitions before the clock starts.
    producer
        .send(ProducerRecord::new(args.topic.as_str()).value("warm-up"))
        .await?
        .await?;
    // The warm-up record is not counted; the consumer benchmark's topic
    // is filled by another producer.

    let value = payload(args.record_size);
    let started = Instant::now();
    let errors = match args.api.as_str() {
        "produce" => produce(&producer, &args, &value).await?,
        _ => send(&producer, &args, &value).await?,
    };
    let seconds = started.elapsed().as_secs_f64();
    let left = producer.close(Duration::from_secs(30)).await;
    if left > 0 {
        return Err(format!("{left} records left undelivered").into());
    }
    let bytes = args.records * args.record_size as u64;
    println!(
        "RESULT client=ferrokafka api={} records={} bytes={} seconds={:.3} msgs_per_sec={:.1} mb_per_sec={:.2} errors={}",
        args.api,
        args.records,
        bytes,
        seconds,
        args.records as f64 / seconds,
        bytes as f64 / seconds / (1024.0 * 1024.0),
        errors
    );
    if errors > 0 {
        return Err(format!("{errors} records failed").into());
    }
    Ok(())
}

/// `produce` with a callback that counts, served by `poll`.
async fn produce(
    producer: &Producer,
    args: &Args,
    value: &Bytes,
) -> Result<u64, Box<dyn std::error::Error>> {
    let delivered = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    for i in 0..args.records {
        let mut record = ProducerRecord::new(args.topic.as_str()).value(value.clone());
        loop {
            let (delivered, failed) = (delivered.clone(), failed.clone());
            let counter = move |result: DeliveryResult| {
                let counter = if result.is_ok() { delivered } else { failed };
                counter.fetch_add(1, Ordering::Relaxed);
            };
            match producer.produce(record, counter) {
                Ok(()) => break,
                Err(ProduceError::QueueFull) => {
                    // The record was consumed by the refused call: make it
                    // again, after waiting for reports to free room.
                    producer.poll(Duration::from_millis(100)).await;
                    record = ProducerRecord::new(args.topic.as_str()).value(value.clone());
                }
                Err(e) => return Err(e.into()),
            }
        }
        if i % 1000 == 999 {
            producer.poll(Duration::ZERO).await;
        }
    }
    let left = producer.flush(Duration::from_secs(60)).await;
    if left > 0 {
        return Err(format!("{left} records undelivered after flush").into());
    }
    // `flush` can return with callbacks still queued: it drains the queue
    // and then reads the undelivered count, and the reports that came in
    // between are counted as done but not run. One more `poll` runs them.
    producer.poll(Duration::ZERO).await;
    let counted = delivered.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed);
    if counted != args.records {
        return Err(format!("{counted} reports for {} records", args.records).into());
    }
    Ok(failed.load(Ordering::Relaxed))
}

/// `send` futures, at most `--window` of them unanswered: each new record
/// past the window first awaits the oldest report.
async fn send(
    producer: &Producer,
    args: &Args,
    value: &Bytes,
) -> Result<u64, Box<dyn std::error::Error>> {
    let window = args.window.max(1);
    let mut pending: VecDeque<DeliveryFuture> = VecDeque::with_capacity(window);
    let mut failed = 0;
    for _ in 0..args.records {
        if pending.len() == window {
            if let Some(oldest) = pending.pop_front() {
                failed += u64::from(oldest.await.is_err());
            }
        }
        let record = ProducerRecord::new(args.topic.as_str()).value(value.clone());
        pending.push_back(producer.send(record).await?);
    }
    for delivery in pending {
        failed += u64::from(delivery.await.is_err());
    }
    Ok(failed)
}
