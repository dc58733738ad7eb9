//! The exactly-once example (`examples/exactly_once.rs`) killed with
//! SIGKILL at three random points and restarted each time: afterwards the
//! output topic, read with read_committed, holds each of the 100,000 input
//! records exactly once, and the group's committed offsets are the input's
//! end offsets.

mod consumer_util;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use consumer_util::*;
use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::Consumer;
use ferrokafka::producer::{Producer, ProducerRecord};

const INPUT: usize = 100_000;
const PARTITIONS: i32 = 3;

/// The example's binary: `cargo test` builds the examples beside the
/// test binaries' `deps` directory.
fn example() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let path = dir.join("examples").join("exactly_once");
    assert!(
        path.exists(),
        "{} is missing: run through `cargo test`, which builds the examples",
        path.display()
    );
    path
}

fn start(input: &str, output: &str, group: &str, idle_exit: bool) -> Child {
    start_as(
        input,
        output,
        group,
        idle_exit,
        &format!("{group}-pipeline"),
    )
}

fn start_as(input: &str, output: &str, group: &str, idle_exit: bool, id: &str) -> Child {
    let mut command = Command::new(example());
    command.args(["--bootstrap", &bootstrap(), "--transactional-id", id]);
    command.args(["--input", input, "--output", output, "--group", group]);
    if idle_exit {
        command.args(["--max-idle-secs", "25"]);
    }
    command.spawn().expect("the example starts")
}

/// A pseudo-random duration in `lo..hi` ms (no rand crate in the tests).
fn random_ms(lo: u64, hi: u64) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    Duration::from_millis(lo + u64::from(nanos) % (hi - lo))
}

/// Every output value as kcat (librdkafka) reads it with read_committed.
fn committed_output(topic: &str) -> Vec<String> {
    let out = Command::new("kcat")
        .args(["-C", "-b", &bootstrap(), "-t", topic, "-e", "-q"])
        .args(["-o", "beginning", "-X", "isolation.level=read_committed"])
        .args(["-f", "%s\n"])
        .output()
        .expect("kcat runs");
    assert!(out.status.success(), "kcat failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Creates the topics and writes the input: `in-<i>` to partition
/// `i % PARTITIONS`.
async fn setup(input: &str, output: &str) {
    create_topic(input, PARTITIONS).await;
    create_topic(output, PARTITIONS).await;

    let producer =
        Producer::new(ClientConfig::new().bootstrap_servers([bootstrap()])).expect("producer");
    for i in 0..INPUT {
        let record = ProducerRecord::new(input)
            .partition(i as i32 % PARTITIONS)
            .key(i.to_string())
            .value(format!("in-{i}"));
        producer
            .produce(record, |r| {
                r.expect("input delivered");
            })
            .expect("queued");
        if i % 10_000 == 0 {
            producer.flush(Duration::from_secs(60)).await;
        }
    }
    assert_eq!(producer.flush(Duration::from_secs(60)).await, 0);
}

/// Waits for `child` to exit on its own, successfully.
async fn finishes(mut child: Child) {
    let deadline = Instant::now() + Duration::from_secs(600);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        assert!(Instant::now() < deadline, "the pipeline did not finish");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(status.success(), "the last run failed: {status}");
}

#[tokio::test]
async fn killed_three_times_the_pipeline_writes_each_input_exactly_once() {
    let input = unique("ferro-eos-in");
    let output = unique("ferro-eos-out");
    let group = unique("ferro-eos-group");
    setup(&input, &output).await;
    for kill in 1..=3 {
        let mut child = start(&input, &output, &group, false);
        let lived = random_ms(3_000, 9_000);
        tokio::time::sleep(lived).await;
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        eprintln!("killed the pipeline ({kill}) after {lived:?}");
    }
    finishes(start(&input, &output, &group, true)).await;
    check(&input, &output, &group).await;
}

#[tokio::test]
async fn two_instances_one_killed_write_each_input_exactly_once() {
    let input = unique("ferro-eos2-in");
    let output = unique("ferro-eos2-out");
    let group = unique("ferro-eos2-group");
    setup(&input, &output).await;
    let survivor = start_as(&input, &output, &group, true, &format!("{group}-a"));
    let mut victim = start_as(&input, &output, &group, false, &format!("{group}-b"));
    let lived = random_ms(3_000, 8_000);
    tokio::time::sleep(lived).await;
    victim.kill().expect("SIGKILL");
    let _ = victim.wait();
    eprintln!("killed one of two instances after {lived:?}");
    finishes(survivor).await;
    check(&input, &output, &group).await;
}

/// The output read with read_committed holds each input exactly once, and
/// the group's committed offsets are the input's end offsets.
async fn check(input: &str, output: &str, group: &str) {
    // The commit's markers are written after EndTxn returns: wait until
    // read_committed shows as many records as went in (or stops growing).
    let waited = Instant::now();
    let mut values = committed_output(output);
    while values.len() < INPUT && waited.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_secs(2)).await;
        values = committed_output(output);
    }
    eprintln!(
        "read_committed shows {} records after {:?}",
        values.len(),
        waited.elapsed()
    );
    let mut per_input_partition = [0usize; PARTITIONS as usize];
    for v in &values {
        if let Some(i) = v
            .strip_prefix("out-in-")
            .and_then(|i| i.parse::<usize>().ok())
        {
            per_input_partition[i % PARTITIONS as usize] += 1;
        }
    }
    eprintln!("output records per input partition: {per_input_partition:?}");
    let distinct: HashSet<&String> = values.iter().collect();
    assert_eq!(distinct.len(), values.len(), "duplicates in the output");
    let expected: HashSet<String> = (0..INPUT).map(|i| format!("out-in-{i}")).collect();
    let got: HashSet<String> = values.iter().cloned().collect();
    let missing: Vec<usize> = (0..INPUT)
        .filter(|i| !got.contains(&format!("out-in-{i}")))
        .collect();
    eprintln!(
        "missing: {} (first {:?}, last {:?})",
        missing.len(),
        missing.first(),
        missing.last()
    );
    assert_eq!(got.len(), INPUT, "records missing from the output");
    assert_eq!(got, expected);

    let c = Consumer::new(group_config(group)).expect("consumer");
    let tps: Vec<(&str, i32)> = (0..PARTITIONS).map(|p| (input, p)).collect();
    let committed = c
        .committed(&tps, Duration::from_secs(10))
        .await
        .expect("committed offsets");
    for (tp, offset) in committed {
        let end = (INPUT as i64 + i64::from(PARTITIONS) - 1 - i64::from(tp.partition))
            / i64::from(PARTITIONS);
        assert_eq!(offset, Some(end), "committed offset of {tp:?}");
    }
}
