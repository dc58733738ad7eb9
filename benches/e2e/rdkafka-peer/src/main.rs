//! librdkafka's side of the end-to-end benchmark (`scripts/bench-e2e.sh`),
//! through the `rdkafka` crate's thinnest layer (`BaseProducer`,
//! `BaseConsumer`): the same flags and the same result line as
//! ferrokafka's `perf_producer` and `perf_consumer` examples.
//!
//! ```text
//! rdkafka-peer produce --topic NAME [--bootstrap HOST:PORT] [--records N]
//!     [--record-size BYTES] [--acks all] [--compression none|lz4|gzip|snappy|zstd]
//!     [--keys N] [--transactional-id ID [--transaction-records N]] [-X property=value ...]
//! rdkafka-peer consume --topic NAME [--bootstrap HOST:PORT] [--records N]
//!     [--group ID] [--timeout-secs S] [--idle-exit-secs S] [-X property=value ...]
//! ```
//!
//! The producer sets `enable.idempotence=true` (librdkafka's default is
//! false; ferrokafka's and Java's is true) so all three give the same
//! guarantee; `-X enable.idempotence=false` undoes it. `--keys` and
//! `--transactional-id` do what they do in `perf_producer`: keys
//! `key-<i mod N>` (8 digits), a transaction per `--transaction-records`;
//! so does `perf_consumer`'s `--idle-exit-secs` (a member of a larger
//! group stops once idle that long, its clock ending at its last record).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;

type Error = Box<dyn std::error::Error>;

struct Args {
    mode: String,
    bootstrap: String,
    topic: String,
    records: u64,
    record_size: usize,
    acks: String,
    compression: String,
    group: String,
    timeout: Duration,
    keys: usize,
    idle_exit: Option<Duration>,
    transactional_id: Option<String>,
    transaction_records: u64,
    properties: Vec<(String, String)>,
}

fn args() -> Result<Args, String> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut it = std::env::args().skip(1);
    let mode = it.next().unwrap_or_default();
    if mode != "produce" && mode != "consume" {
        return Err(format!(
            "first argument {mode:?}: expected produce or consume"
        ));
    }
    let mut args = Args {
        mode,
        bootstrap: std::env::var("FERROKAFKA_BOOTSTRAP")
            .unwrap_or_else(|_| "localhost:9092".to_owned()),
        topic: String::new(),
        records: 1_000_000,
        record_size: 100,
        acks: "all".to_owned(),
        compression: "none".to_owned(),
        group: format!("perf-consumer-{nanos}"),
        timeout: Duration::from_secs(30),
        keys: 0,
        idle_exit: None,
        transactional_id: None,
        transaction_records: 10_000,
        properties: Vec::new(),
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bootstrap" => args.bootstrap = value()?,
            "--topic" => args.topic = value()?,
            "--records" => args.records = number(&flag, &value()?)?,
            "--record-size" => args.record_size = number(&flag, &value()?)?,
            "--acks" => args.acks = value()?,
            "--compression" => args.compression = value()?,
            "--group" => args.group = value()?,
            "--keys" => args.keys = number(&flag, &value()?)?,
            "--idle-exit-secs" => {
                args.idle_exit = Some(Duration::from_secs_f64(number(&flag, &value()?)?));
            }
            "--transactional-id" => args.transactional_id = Some(value()?),
            "--transaction-records" => {
                args.transaction_records = number(&flag, &value()?)?;
            }
            "--timeout-secs" => args.timeout = Duration::from_secs(number(&flag, &value()?)?),
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
    if args.transaction_records == 0 {
        return Err("--transaction-records must be at least 1".to_owned());
    }
    Ok(args)
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("{flag} {v}: not a number"))
}

/// The same payload as ferrokafka's `perf_producer`: `size` random
/// uppercase letters.
fn payload(size: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            b'A' + (state % 26) as u8
        })
        .collect()
}

/// How long a transaction's init or commit may take.
const TXN_TIMEOUT: Duration = Duration::from_secs(60);

/// Counts delivery reports, as ferrokafka's counting callback does.
#[derive(Default)]
struct Counter {
    delivered: AtomicU64,
    failed: AtomicU64,
}

impl ClientContext for Counter {}

impl ProducerContext for Counter {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        let counter = if result.is_ok() {
            &self.delivered
        } else {
            &self.failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

fn main() -> Result<(), Error> {
    let args = args()?;
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &args.bootstrap);
    if args.mode == "produce" {
        config
            .set("acks", &args.acks)
            .set("compression.type", &args.compression)
            .set("enable.idempotence", "true");
        if let Some(id) = &args.transactional_id {
            config.set("transactional.id", id);
        }
    } else {
        config
            .set("group.id", &args.group)
            .set("auto.offset.reset", "earliest");
    }
    for (k, v) in &args.properties {
        config.set(k, v);
    }
    if args.mode == "produce" {
        produce(&args, &config)
    } else {
        consume(&args, &config)
    }
}

fn produce(args: &Args, config: &ClientConfig) -> Result<(), Error> {
    let producer: BaseProducer<Counter> = config.create_with_context(Counter::default())?;
    let txn = args
        .transactional_id
        .as_ref()
        .map(|_| args.transaction_records);
    if txn.is_some() {
        producer.init_transactions(TXN_TIMEOUT)?;
        producer.begin_transaction()?;
    }
    // Connect and learn the topic's partitions before the clock starts.
    producer
        .send(BaseRecord::<(), _>::to(&args.topic).payload("warm-up"))
        .map_err(|(e, _)| e)?;
    producer.flush(Duration::from_secs(30))?;
    if txn.is_some() {
        producer.commit_transaction(TXN_TIMEOUT)?;
    }
    let warm = producer.context().delivered.swap(0, Ordering::Relaxed);
    if warm != 1 {
        return Err("the warm-up record was not delivered".into());
    }

    let value = payload(args.record_size);
    let keys: Vec<Vec<u8>> = (0..args.keys)
        .map(|k| format!("key-{k:08}").into_bytes())
        .collect();
    let started = Instant::now();
    for i in 0..args.records {
        if let Some(n) = txn {
            if i % n == 0 {
                producer.begin_transaction()?;
            }
        }
        let mut record = BaseRecord::<[u8], _>::to(&args.topic).payload(value.as_slice());
        if !keys.is_empty() {
            record = record.key(keys[(i % keys.len() as u64) as usize].as_slice());
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    producer.poll(Duration::from_millis(100));
                    record = back;
                }
                Err((e, _)) => return Err(e.into()),
            }
        }
        if i % 1000 == 999 {
            producer.poll(Duration::ZERO);
        }
        if let Some(n) = txn {
            if i % n == n - 1 || i + 1 == args.records {
                // Flushes the transaction's records, as ferrokafka's does.
                producer.commit_transaction(TXN_TIMEOUT)?;
            }
        }
    }
    producer.flush(Duration::from_secs(60))?;
    let seconds = started.elapsed().as_secs_f64();
    let counter = producer.context();
    let (delivered, failed) = (
        counter.delivered.load(Ordering::Relaxed),
        counter.failed.load(Ordering::Relaxed),
    );
    if delivered + failed != args.records {
        return Err(format!(
            "{} reports for {} records",
            delivered + failed,
            args.records
        )
        .into());
    }
    let bytes = args.records * args.record_size as u64;
    println!(
        "RESULT client=librdkafka api=produce records={} bytes={} seconds={:.3} msgs_per_sec={:.1} mb_per_sec={:.2} errors={}",
        args.records,
        bytes,
        seconds,
        args.records as f64 / seconds,
        bytes as f64 / seconds / (1024.0 * 1024.0),
        failed
    );
    if failed > 0 {
        return Err(format!("{failed} records failed").into());
    }
    Ok(())
}

fn consume(args: &Args, config: &ClientConfig) -> Result<(), Error> {
    let consumer: BaseConsumer = config.create()?;
    let joining = Instant::now();
    consumer.subscribe(&[&args.topic])?;
    let mut count = 0u64;
    let mut bytes = 0u64;
    let mut started = None;
    let mut newest = None;
    // When the count last moved (checked only on empty polls).
    let (mut last, mut seen) = (Instant::now(), 0);
    while count < args.records {
        let (wait, idle) = match (args.idle_exit, newest) {
            (Some(idle), Some(at)) => (idle.min(args.timeout), Instant::elapsed(&at) >= idle),
            // A member the others left nothing to: it waits a while for
            // partitions (a rebalance), then leaves with none.
            (Some(idle), None) => (
                idle.min(args.timeout),
                joining.elapsed() >= idle.max(MEMBER_FIRST_WAIT),
            ),
            _ => (args.timeout, false),
        };
        if idle {
            // A member of a larger group: the others took the rest.
            break;
        }
        match consumer.poll(wait) {
            // Also what an event served inside `poll` (a rebalance) gives.
            None if count != seen || last.elapsed() < args.timeout => {
                if count != seen {
                    (last, seen) = (Instant::now(), count);
                }
            }
            None => {
                return Err(format!(
                    "no message for {:?} after {count} of {}",
                    args.timeout, args.records
                )
                .into())
            }
            Some(Err(KafkaError::PartitionEOF(_))) => {}
            Some(Err(e)) => return Err(e.into()),
            Some(Ok(m)) => {
                started.get_or_insert_with(Instant::now);
                newest = Some(Instant::now());
                bytes += m.payload().map_or(0, |v| v.len()) as u64;
                count += 1;
            }
        }
    }
    let first = started.unwrap_or(joining);
    let end = newest.unwrap_or_else(Instant::now);
    let seconds = (end - first).as_secs_f64();
    let join_seconds = (first - joining).as_secs_f64();
    // A member that read nothing has no clock.
    let (first_ms, last_ms) = match newest {
        Some(_) => (epoch_ms(first), epoch_ms(end)),
        None => (0, 0),
    };
    consumer.unsubscribe();
    drop(consumer);
    println!(
        "RESULT client=librdkafka records={count} bytes={bytes} seconds={seconds:.3} msgs_per_sec={:.1} mb_per_sec={:.2} join_seconds={join_seconds:.3} first_ms={first_ms} last_ms={last_ms}",
        count as f64 / seconds,
        bytes as f64 / seconds / (1024.0 * 1024.0),
    );
    Ok(())
}

/// How long a group member (`--idle-exit-secs`) waits for its first
/// record before it leaves with none.
const MEMBER_FIRST_WAIT: Duration = Duration::from_secs(10);

/// `at` in milliseconds since the Unix epoch.
fn epoch_ms(at: Instant) -> u128 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    now.saturating_sub(at.elapsed()).as_millis()
}
