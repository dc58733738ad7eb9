//! Exactly-once consume-transform-produce: reads an input topic in a
//! consumer group, writes one output record per input record, and commits
//! the input offsets in the same transaction as the output. Killed at any
//! point and restarted, the output read with `read_committed` holds every
//! input record exactly once: `init_transactions` fences the killed
//! instance and aborts its open transaction, and the group's committed
//! offsets are exactly those of the output committed so far.
//!
//! ```text
//! cargo run --example exactly_once -- --input IN --output OUT --group G \
//!     [--bootstrap HOST:PORT] [--transactional-id ID] [--max-idle-secs N]
//! ```
//!
//! Each output record's value is `out-` followed by the input's value.
//! `--max-idle-secs N` exits after N seconds with partitions assigned and
//! no input (for scripts).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, Offset};
use ferrokafka::producer::{Producer, ProducerRecord, TransactionError};

/// Records per transaction, at most.
const BATCH: usize = 1000;
const TIMEOUT: Duration = Duration::from_secs(30);

struct Args {
    bootstrap: String,
    input: String,
    output: String,
    group: String,
    transactional_id: Option<String>,
    max_idle: Option<Duration>,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        bootstrap: std::env::var("FERROKAFKA_BOOTSTRAP")
            .unwrap_or_else(|_| "localhost:9092".to_owned()),
        input: String::new(),
        output: String::new(),
        group: String::new(),
        transactional_id: None,
        max_idle: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bootstrap" => args.bootstrap = value()?,
            "--input" => args.input = value()?,
            "--output" => args.output = value()?,
            "--group" => args.group = value()?,
            "--transactional-id" => args.transactional_id = Some(value()?),
            "--max-idle-secs" => {
                let v = value()?;
                let secs = v
                    .parse()
                    .map_err(|_| format!("--max-idle-secs {v}: not a number"))?;
                args.max_idle = Some(Duration::from_secs(secs));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.input.is_empty() || args.output.is_empty() || args.group.is_empty() {
        return Err("--input, --output and --group are required".into());
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let transactional_id = args
        .transactional_id
        .clone()
        .unwrap_or_else(|| format!("{}-pipeline", args.group));
    let producer = Producer::new(ClientConfig::from_properties([
        ("bootstrap.servers", args.bootstrap.as_str()),
        ("transactional.id", transactional_id.as_str()),
        ("linger.ms", "5"),
    ])?)?;
    // First: fences a killed predecessor and aborts its open transaction,
    // so the offsets the consumer starts from are settled.
    producer.init_transactions(TIMEOUT).await?;
    let mut consumer = Consumer::new(ClientConfig::from_properties([
        ("bootstrap.servers", args.bootstrap.as_str()),
        ("group.id", args.group.as_str()),
        ("enable.auto.commit", "false"),
        ("auto.offset.reset", "earliest"),
        ("isolation.level", "read_committed"),
        // Static membership (KIP-345): a restarted instance takes over its
        // killed predecessor's partitions at once.
        ("group.instance.id", transactional_id.as_str()),
        // Else a killed instance's partitions move on after 10 s.
        ("session.timeout.ms", "10000"),
        ("heartbeat.interval.ms", "1000"),
    ])?)?;
    consumer.subscribe(&[&args.input])?;
    let result = run(&producer, &mut consumer, &args).await;
    consumer.close().await?;
    producer.close(TIMEOUT).await;
    result
}

async fn run(
    producer: &Producer,
    consumer: &mut Consumer,
    args: &Args,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut last_input = Instant::now();
    loop {
        // Where this transaction's input starts: rewound to on an abort.
        let mut start: HashMap<(String, i32), i64> = HashMap::new();
        let mut next: HashMap<(String, i32), i64> = HashMap::new();
        producer.begin_transaction().await?;
        let mut deliveries = Vec::new();
        let mut failed: Option<TransactionError> = None;
        // The generation the input was read in (KIP-447): if the group
        // rebalanced since, the coordinator refuses the offsets and the
        // transaction is aborted, so a partition's new owner and this
        // instance never both commit the same input.
        let mut meta = None;
        while deliveries.len() < BATCH {
            let wait = if deliveries.is_empty() { 1000 } else { 50 };
            let message = match consumer.poll(Duration::from_millis(wait)).await {
                Some(Ok(m)) => m,
                Some(Err(e)) => return Err(e.into()),
                None => break,
            };
            meta.get_or_insert_with(|| consumer.group_metadata());
            let tp = (message.topic().to_owned(), message.partition());
            start.entry(tp.clone()).or_insert(message.offset());
            next.insert(tp, message.offset() + 1);
            let mut value = b"out-".to_vec();
            value.extend_from_slice(message.value().unwrap_or_default());
            let mut record = ProducerRecord::new(&args.output).value(value);
            if let Some(key) = message.key() {
                record = record.key(key.to_vec());
            }
            match producer.send(record).await {
                Ok(d) => deliveries.push(d),
                Err(e) => {
                    failed = Some(TransactionError::Abortable {
                        context: "send".into(),
                        code: e.code(),
                        reason: e.to_string(),
                    });
                    break;
                }
            }
        }
        if deliveries.is_empty() && failed.is_none() {
            producer.abort_transaction(TIMEOUT).await?;
            if consumer.assignment().is_empty() {
                // Idle time counts only while there is input to read.
                last_input = Instant::now();
            }
            if args
                .max_idle
                .is_some_and(|idle| last_input.elapsed() >= idle)
            {
                return Ok(());
            }
            continue;
        }
        last_input = Instant::now();
        let offsets: Vec<(&str, i32, i64)> = next
            .iter()
            .map(|((t, p), o)| (t.as_str(), *p, *o))
            .collect();
        let outcome = match (failed, meta) {
            (Some(e), _) => Err(e),
            (None, meta) => {
                let meta = meta.unwrap_or_else(|| consumer.group_metadata());
                match producer
                    .send_offsets_to_transaction(&offsets, &meta, TIMEOUT)
                    .await
                {
                    Ok(()) => commit(producer).await,
                    Err(e) => Err(e),
                }
            }
        };
        match outcome {
            Ok(()) => {}
            Err(e) if e.txn_requires_abort() || e.is_retriable() => {
                eprintln!("aborting: {e}");
                producer.abort_transaction(TIMEOUT).await?;
                // Back to the transaction's first input offsets, for the
                // partitions still ours (a revoked one starts over from
                // its committed offset with its next owner).
                let assigned = consumer.assignment();
                for ((t, p), o) in &start {
                    if assigned
                        .iter()
                        .any(|tp| tp.topic == *t && tp.partition == *p)
                    {
                        consumer.seek(t, *p, Offset::At(*o))?;
                    }
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Commits, calling again while the error is retriable.
async fn commit(producer: &Producer) -> Result<(), TransactionError> {
    let mut tries = 0;
    loop {
        match producer.commit_transaction(TIMEOUT).await {
            Err(e) if e.is_retriable() && tries < 3 => tries += 1,
            other => return other,
        }
    }
}
