//! ferrokafka's side of the end-to-end consumer benchmark
//! (`scripts/bench-e2e.sh`): joins a group of one, consumes `--records`
//! records of `--topic` from the earliest offset, and prints one result
//! line.
//!
//! ```text
//! cargo run --profile fast --example perf_consumer -- --topic NAME [--bootstrap HOST:PORT]
//!     [--records N] [--group ID] [--timeout-secs S] [--idle-exit-secs S]
//!     [-X property=value ...]
//! ```
//!
//! The clock runs from the first message to the `--records`-th, so the
//! group join is outside it (as in `ConsumerPerformance`'s `fetch.*`
//! columns), and so is `close`; both are printed. The loop touches every
//! value, as an application would.
//! `--group` defaults to a fresh name. `--idle-exit-secs S` is for a
//! member of a larger group (which gets an unknown share of `--records`):
//! it stops once no record came for S seconds after the first (or for 10
//! s after joining when none came: `records=0`, `first_ms=0`), and its
//! clock ends at the last record. The line (`first_ms` and `last_ms`: the
//! first and last record's arrival, milliseconds since the Unix epoch, so
//! a group's members can be put on one clock):
//!
//! ```text
//! RESULT client=ferrokafka records=1000000 bytes=100000000 seconds=0.987 msgs_per_sec=1013171.2 mb_per_sec=96.62 join_seconds=0.012 close_seconds=0.004 first_ms=... last_ms=...
//! ```
//!
//! (`bytes` counts values, `mb_per_sec` in MiB, as the Java tools print
//! them.)

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::Consumer;

struct Args {
    bootstrap: String,
    topic: String,
    records: u64,
    group: String,
    timeout: Duration,
    idle_exit: Option<Duration>,
    properties: Vec<(String, String)>,
}

fn args() -> Result<Args, String> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut args = Args {
        bootstrap: std::env::var("FERROKAFKA_BOOTSTRAP")
            .unwrap_or_else(|_| "localhost:9092".to_owned()),
        topic: String::new(),
        records: 1_000_000,
        group: format!("perf-consumer-{nanos}"),
        timeout: Duration::from_secs(30),
        idle_exit: None,
        properties: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bootstrap" => args.bootstrap = value()?,
            "--topic" => args.topic = value()?,
            "--records" => {
                let v = value()?;
                args.records = v
                    .parse()
                    .map_err(|_| format!("--records {v}: not a number"))?;
            }
            "--group" => args.group = value()?,
            "--timeout-secs" => {
                let v = value()?;
                let secs: u64 = v
                    .parse()
                    .map_err(|_| format!("--timeout-secs {v}: not a number"))?;
                args.timeout = Duration::from_secs(secs);
            }
            "--idle-exit-secs" => {
                let v = value()?;
                let secs: f64 = v
                    .parse()
                    .map_err(|_| format!("--idle-exit-secs {v}: not a number"))?;
                args.idle_exit = Some(Duration::from_secs_f64(secs));
            }
            // Accepted so the script can pass the producer's flags to both.
            "--record-size" | "--acks" | "--compression" => {
                value()?;
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
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let mut properties = vec![
        ("bootstrap.servers".to_owned(), args.bootstrap.clone()),
        ("group.id".to_owned(), args.group.clone()),
        ("auto.offset.reset".to_owned(), "earliest".to_owned()),
    ];
    properties.extend(args.properties.iter().cloned());
    let config = ClientConfig::from_properties(
        properties
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
    )?;
    let mut consumer = Consumer::new(config)?;
    let joining = Instant::now();
    consumer.subscribe(&[args.topic.as_str()])?;

    let mut count = 0u64;
    let mut bytes = 0u64;
    let mut started = None;
    let mut last: Option<Instant> = None;
    while count < args.records {
        let wait = match (args.idle_exit, last) {
            (Some(idle), Some(_)) => idle.min(args.timeout),
            _ => args.timeout,
        };
        let idle = match (args.idle_exit, last) {
            (Some(idle), Some(at)) => at.elapsed() >= idle,
            // A member the others left nothing to: it waits a while for
            // partitions (a rebalance), then leaves with none.
            (Some(idle), None) => joining.elapsed() >= idle.max(MEMBER_FIRST_WAIT),
            _ => false,
        };
        if idle && last.is_none() {
            break;
        }
        match consumer.poll(wait).await {
            // A member of a larger group: the others took the rest.
            None if args.idle_exit.is_some() && last.is_some() => break,
            None if idle => break,
            Some(Err(e)) if e.is_partition_eof() && idle => break,
            None => {
                return Err(format!(
                    "no message for {:?} after {count} of {}",
                    args.timeout, args.records
                )
                .into())
            }
            Some(Err(e)) if e.is_partition_eof() => {}
            Some(Err(e)) => return Err(e.into()),
            Some(Ok(m)) => {
                started.get_or_insert_with(Instant::now);
                last = Some(Instant::now());
                bytes += m.value().map_or(0, |v| v.len()) as u64;
                count += 1;
            }
        }
    }
    let first = started.unwrap_or(joining);
    let end = last.unwrap_or_else(Instant::now);
    let seconds = (end - first).as_secs_f64();
    // A member that read nothing has no clock.
    let (first_ms, last_ms) = match last {
        Some(_) => (epoch_ms(first), epoch_ms(end)),
        None => (0, 0),
    };
    let join_seconds = (first - joining).as_secs_f64();
    let closing = Instant::now();
    consumer.close().await?;
    let close_seconds = closing.elapsed().as_secs_f64();
    println!(
        "RESULT client=ferrokafka records={count} bytes={bytes} seconds={seconds:.3} msgs_per_sec={:.1} mb_per_sec={:.2} join_seconds={join_seconds:.3} close_seconds={close_seconds:.3} first_ms={first_ms} last_ms={last_ms}",
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
