//! One member of a consumer group for `scripts/bench-rebalance.sh`: reads
//! a topic until a stop file appears, and writes when it was made, when
//! its first record came, and every pause between two records of 10 ms
//! or more (Java's twin is `scripts/bench/RebalanceMember.java`).
//!
//! ```text
//! cargo run --profile fast --example rebalance_member -- \
//!     --bootstrap HOST:PORT --topic T --group G --protocol classic|consumer \
//!     --out FILE --stop FILE
//! ```
//!
//! The out file gets `created <ms>` and `first <ms>` as they happen, then
//! at the end one `gap <end ms> <length ms>` line per pause, `records <n>`
//! and `done <ms>` (milliseconds since the Unix epoch). `classic` uses the
//! cooperative-sticky assignor; `consumer` is KIP-848 with the broker's
//! assignor. Everything else is left at the client's defaults.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::Consumer;

/// Shorter pauses than this are not written.
const GAP_MS: u64 = 10;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::collections::HashMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        args.insert(flag.trim_start_matches("--").to_owned(), value);
    }
    let arg = |name: &str| {
        args.get(name)
            .cloned()
            .ok_or_else(|| format!("--{name} is required"))
    };
    let (bootstrap, topic, group) = (arg("bootstrap")?, arg("topic")?, arg("group")?);
    let protocol = arg("protocol")?;
    let (out_path, stop) = (PathBuf::from(arg("out")?), PathBuf::from(arg("stop")?));

    let mut props = vec![
        ("bootstrap.servers", bootstrap.as_str()),
        ("group.id", group.as_str()),
        ("auto.offset.reset", "latest"),
        ("group.protocol", protocol.as_str()),
    ];
    match protocol.as_str() {
        "classic" => props.push(("partition.assignment.strategy", "cooperative-sticky")),
        "consumer" => {}
        other => return Err(format!("--protocol {other}: classic or consumer").into()),
    }
    let mut out = std::fs::File::create(&out_path)?;
    let mut consumer = Consumer::new(ClientConfig::from_properties(props)?)?;
    writeln!(out, "created {}", now_ms())?;
    consumer.subscribe(&[topic.as_str()])?;

    let mut gaps = Vec::new();
    let mut last: Option<u64> = None;
    let mut records: u64 = 0;
    let mut checked = Instant::now();
    loop {
        if checked.elapsed() >= Duration::from_millis(100) {
            checked = Instant::now();
            if stop.exists() {
                break;
            }
        }
        match consumer.poll(Duration::from_millis(100)).await {
            Some(Ok(_)) => {
                let now = now_ms();
                match last {
                    None => {
                        writeln!(out, "first {now}")?;
                        out.flush()?;
                    }
                    Some(l) if now.saturating_sub(l) >= GAP_MS => gaps.push((now, now - l)),
                    Some(_) => {}
                }
                last = Some(now);
                records += 1;
            }
            Some(Err(e)) if e.is_retriable() => {}
            Some(Err(e)) => eprintln!("rebalance_member: {e}"),
            None => {}
        }
    }
    consumer.close().await?;
    for (end, len) in gaps {
        writeln!(out, "gap {end} {len}")?;
    }
    writeln!(out, "records {records}")?;
    writeln!(out, "done {}", now_ms())?;
    Ok(())
}
