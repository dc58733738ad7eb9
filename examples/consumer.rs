//! The reference consumer flow, as people write it with confluent-kafka:
//! subscribe, poll in a loop, report the end of each partition, stop on
//! Ctrl-C, close.
//!
//! ```text
//! cargo run --example consumer -- [--bootstrap HOST:PORT] [--topic NAME] [--max-idle-secs N] [-X NAME=VALUE ...]
//! ```
//!
//! `-X` sets any property, as kcat does (`-X security.protocol=SSL -X
//! ssl.ca.location=ca.pem`).
//!
//! `--bootstrap` defaults to `$FERROKAFKA_BOOTSTRAP`, else `localhost:9092`;
//! `--max-idle-secs N` ends the loop after N seconds without a message (for
//! scripts); without it the consumer runs until Ctrl-C.

use std::time::{Duration, Instant};

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::Consumer;

struct Args {
    bootstrap: String,
    topic: String,
    max_idle: Option<Duration>,
    properties: Vec<(String, String)>,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        bootstrap: std::env::var("FERROKAFKA_BOOTSTRAP")
            .unwrap_or_else(|_| "localhost:9092".to_owned()),
        topic: "my_events_topic".to_owned(),
        max_idle: None,
        properties: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bootstrap" => args.bootstrap = value()?,
            "--topic" => args.topic = value()?,
            "-X" => {
                let v = value()?;
                let (name, value) = v
                    .split_once('=')
                    .ok_or_else(|| format!("-X {v}: expected NAME=VALUE"))?;
                args.properties.push((name.to_owned(), value.to_owned()));
            }
            "--max-idle-secs" => {
                let v = value()?;
                let secs: u64 = v
                    .parse()
                    .map_err(|_| format!("--max-idle-secs {v}: not a number"))?;
                args.max_idle = Some(Duration::from_secs(secs));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let config = ClientConfig::from_properties(
        [
            ("bootstrap.servers", args.bootstrap.as_str()),
            ("group.id", "my_consumer_group"),
            ("auto.offset.reset", "earliest"),
            ("enable.partition.eof", "true"),
        ]
        .into_iter()
        .chain(
            args.properties
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str())),
        ),
    )?;
    let mut consumer = Consumer::new(config)?;
    consumer.subscribe(&[&args.topic])?;

    let result = run(&mut consumer, args.max_idle).await;
    consumer.close().await?;
    result
}

async fn run(
    consumer: &mut Consumer,
    max_idle: Option<Duration>,
) -> Result<(), Box<dyn std::error::Error>> {
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut last_message = Instant::now();
    loop {
        let polled = tokio::select! {
            _ = &mut ctrl_c => {
                eprintln!("%% Aborted by user");
                return Ok(());
            }
            polled = consumer.poll(Duration::from_secs(1)) => polled,
        };
        match polled {
            None => {
                if max_idle.is_some_and(|idle| last_message.elapsed() >= idle) {
                    return Ok(());
                }
                continue;
            }
            Some(Err(e)) if e.is_partition_eof() => {
                if let ferrokafka::consumer::ConsumerError::PartitionEof {
                    topic,
                    partition,
                    offset,
                } = &e
                {
                    eprintln!("%% {topic} [{partition}] reached end at offset {offset}");
                }
            }
            Some(Err(e)) => return Err(e.into()),
            Some(Ok(m)) => {
                last_message = Instant::now();
                println!(
                    "Consumed message from topic {}: key={}, value={}",
                    m.topic(),
                    String::from_utf8_lossy(m.key().unwrap_or_default()),
                    String::from_utf8_lossy(m.value().unwrap_or_default()),
                );
            }
        }
        if max_idle.is_some_and(|idle| last_message.elapsed() >= idle) {
            return Ok(());
        }
    }
}
