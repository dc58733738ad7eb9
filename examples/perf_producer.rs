//! ferrokafka's side of the end-to-end producer benchmark
//! (`scripts/bench-e2e.sh`): produces `--records` records of
//! `--record-size` bytes as fast as the producer takes them, waits for
//! every delivery report, and prints one result line.
//!
//! ```text
//! cargo run --profile fast --example perf_producer -- --topic NAME [--bootstrap HOST:PORT]
//!     [--records N] [--record-size BYTES] [--acks all|1|0] [--compression none|lz4|...]
//!     [--api produce|send] [--window N] [--keys N]
//!     [--transactional-id ID [--transaction-records N]] [-X property=value ...]
//! ```
//!
//! As `ProducerPerformance` and `rdkafka_performance` do, every record has
//! the same value: `--record-size` random uppercase letters, and no key
//! unless `--keys N` (record `i` then has the key `key-<i mod N>`, zero
//! padded to 8 digits: the default partitioner hashes it with murmur2).
//! `--transactional-id` makes the producer transactional: one
//! `init_transactions` before the clock, then a transaction per
//! `--transaction-records` records (default 10,000), each committed before
//! the next begins.
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
    keys: usize,
    transactional_id: Option<String>,
    transaction_records: u64,
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
        keys: 0,
        transactional_id: None,
        transaction_records: 10_000,
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
            "--keys" => args.keys = number(&flag, &value()?)?,
            "--transactional-id" => args.transactional_id = Some(value()?),
            "--transaction-records" => {
                args.transaction_records = number(&flag, &value()?)?;
            }
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
    if args.transaction_records == 0 {
        return Err("--transaction-records must be at least 1".to_owned());
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
    if let Some(id) = &args.transactional_id {
        properties.push(("transactional.id".to_owned(), id.clone()));
    }
    properties.extend(args.properties.iter().cloned());
    let config = ClientConfig::from_properties(
        properties
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
    )?;
    let producer = Producer::new(config)?;
    let transactional = args.transactional_id.is_some();
    if transactional {
        producer.init_transactions(TXN_TIMEOUT).await?;
        producer.begin_transaction().await?;
    }
    // Connect and learn the topic's partitions before the clock starts.
    producer
        .send(ProducerRecord::new(args.topic.as_str()).value("warm-up"))
        .await?
        .await?;
    if transactional {
        producer.commit_transaction(TXN_TIMEOUT).await?;
    }
    // The warm-up record is not counted; the consumer benchmark's topic
    // is filled by another producer.

    let load = Load {
        topic: args.topic.clone(),
        value: payload(args.record_size),
        keys: (0..args.keys)
            .map(|k| Bytes::from(format!("key-{k:08}")))
            .collect(),
        transaction_records: args
            .transactional_id
            .as_ref()
            .map(|_| args.transaction_records),
    };
    let started = Instant::now();
    let errors = match args.api.as_str() {
        "produce" => produce(&producer, &args, &load).await?,
        _ => send(&producer, &args, &load).await?,
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

/// How long a transaction's init or commit may take.
const TXN_TIMEOUT: Duration = Duration::from_secs(60);

/// What every record is made of.
struct Load {
    topic: String,
    value: Bytes,
    /// Keys taken in turn; none when empty.
    keys: Vec<Bytes>,
    /// Records per transaction, for a transactional producer.
    transaction_records: Option<u64>,
}

impl Load {
    /// Record `i`.
    fn record(&self, i: u64) -> ProducerRecord {
        let record = ProducerRecord::new(self.topic.as_str()).value(self.value.clone());
        match self.keys.len() {
            0 => record,
            n => record.key(self.keys[(i % n as u64) as usize].clone()),
        }
    }

    /// Begins a transaction before record `i` when one starts there.
    async fn before(&self, producer: &Producer, i: u64) -> Result<(), Box<dyn std::error::Error>> {
        if let Some(n) = self.transaction_records {
            if i % n == 0 {
                producer.begin_transaction().await?;
            }
        }
        Ok(())
    }

    /// Commits the transaction after record `i` when it ends there.
    async fn after(
        &self,
        producer: &Producer,
        i: u64,
        records: u64,
    ) -> Result<(), Box<dyn std::error::Error>> {
        if let Some(n) = self.transaction_records {
            if i % n == n - 1 || i + 1 == records {
                producer.commit_transaction(TXN_TIMEOUT).await?;
            }
        }
        Ok(())
    }
}

/// `produce` with a callback that counts, served by `poll`.
async fn produce(
    producer: &Producer,
    args: &Args,
    load: &Load,
) -> Result<u64, Box<dyn std::error::Error>> {
    let delivered = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    for i in 0..args.records {
        load.before(producer, i).await?;
        let mut record = load.record(i);
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
                    record = load.record(i);
                }
                Err(e) => return Err(e.into()),
            }
        }
        if i % 1000 == 999 {
            producer.poll(Duration::ZERO).await;
        }
        load.after(producer, i, args.records).await?;
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
    load: &Load,
) -> Result<u64, Box<dyn std::error::Error>> {
    let window = args.window.max(1);
    let mut pending: VecDeque<DeliveryFuture> = VecDeque::with_capacity(window);
    let mut failed = 0;
    for i in 0..args.records {
        if pending.len() == window {
            if let Some(oldest) = pending.pop_front() {
                failed += u64::from(oldest.await.is_err());
            }
        }
        load.before(producer, i).await?;
        pending.push_back(producer.send(load.record(i)).await?);
        load.after(producer, i, args.records).await?;
    }
    for delivery in pending {
        failed += u64::from(delivery.await.is_err());
    }
    Ok(failed)
}
