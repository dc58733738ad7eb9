//! The compatibility suite's broker (from the environment) and helpers.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::time::Duration;

use ferrokafka::admin::{Admin, NewTopic};
use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, Message};
use ferrokafka::net::ApiVersionTable;
use ferrokafka::producer::{Producer, ProducerRecord};
use ferrokafka::protocol::ApiKey;

/// How long any one step may take before the test fails.
pub const LIMIT: Duration = Duration::from_secs(60);

/// ConsumerGroupHeartbeat, the KIP-848 group protocol's API (the client
/// has no `ApiKey` for it yet).
pub const CONSUMER_GROUP_HEARTBEAT: i16 = 68;

/// The broker under test.
pub struct Broker {
    /// PLAINTEXT address.
    pub bootstrap: String,
    /// SASL_PLAINTEXT address (PLAIN, SCRAM-SHA-256/512).
    pub sasl_bootstrap: String,
    pub user: String,
    pub password: String,
    /// Its version, e.g. "3.9.1".
    pub full: String,
    /// (major, minor).
    pub version: (u32, u32),
    /// That version's jars (its Java client).
    pub classpath: String,
}

fn required(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set: the compatibility suite needs a broker. Run it with \
             scripts/compat.sh (every version) or scripts/test.sh (3.9), or start one with \
             `scripts/kafka-compat.sh start 3.9` and `source \"$(scripts/kafka-compat.sh env 3.9)\"`."
        ),
    }
}

/// The broker of FERROKAFKA_COMPAT_*; panics when it is not set.
pub fn broker() -> Broker {
    let full = required("FERROKAFKA_COMPAT_VERSION");
    let mut parts = full.split('.').map(|p| p.parse::<u32>());
    let version = match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => (major, minor),
        _ => panic!("FERROKAFKA_COMPAT_VERSION={full} is not a Kafka version"),
    };
    Broker {
        bootstrap: required("FERROKAFKA_COMPAT_BOOTSTRAP"),
        sasl_bootstrap: required("FERROKAFKA_COMPAT_SASL_BOOTSTRAP"),
        user: required("FERROKAFKA_COMPAT_SASL_USER"),
        password: required("FERROKAFKA_COMPAT_SASL_PASSWORD"),
        full,
        version,
        classpath: required("FERROKAFKA_COMPAT_CLASSPATH"),
    }
}

/// A name no other test run uses.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}-{nanos}")
}

/// Fails the test when `f` takes longer than [`LIMIT`].
pub async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, f)
        .await
        .unwrap_or_else(|_| panic!("{what} took longer than {LIMIT:?}"))
}

pub fn config(b: &Broker) -> ClientConfig {
    ClientConfig::new().bootstrap_servers([b.bootstrap.clone()])
}

pub fn admin(b: &Broker) -> Admin {
    Admin::new(config(b)).expect("admin client")
}

/// A group member's config with short timeouts.
pub fn group_config(b: &Broker, group: &str) -> ClientConfig {
    ClientConfig::from_properties([
        ("bootstrap.servers", b.bootstrap.as_str()),
        ("group.id", group),
        ("auto.offset.reset", "earliest"),
        ("session.timeout.ms", "6000"),
        ("heartbeat.interval.ms", "300"),
        ("max.poll.interval.ms", "10000"),
        ("fetch.wait.max.ms", "100"),
        ("retry.backoff.ms", "100"),
    ])
    .expect("valid config")
}

/// The versions the client negotiated with the broker; fails unless each
/// of `apis` is shared, at the highest version both speak.
pub async fn api_versions(b: &Broker, apis: &[ApiKey]) -> ApiVersionTable {
    let t = within("ApiVersions", admin(b).api_versions())
        .await
        .unwrap_or_else(|e| panic!("ApiVersions with {}: {e}", b.full));
    for &api in apis {
        let ours = api.support();
        let (min, max) = t
            .broker_range(api)
            .unwrap_or_else(|| panic!("Kafka {} does not offer {}", b.full, ours.name));
        assert_eq!(
            t.negotiate(api),
            Some(max.min(ours.max_version)),
            "{} on Kafka {} (broker {min}..={max}, client {}..={})",
            ours.name,
            b.full,
            ours.min_version,
            ours.max_version
        );
    }
    t
}

/// Creates `topic` and waits for its leaders.
pub async fn create_topic(b: &Broker, topic: &str, partitions: i32) {
    within(
        "create topic",
        admin(b).create_topic(NewTopic::new(topic, partitions, 1)),
    )
    .await
    .unwrap_or_else(|e| panic!("creating {topic}: {e}"));
}

/// Sends `n` records spread over `partitions` ("v{i}" to partition
/// i % partitions) and waits for each report.
pub async fn produce_values(b: &Broker, topic: &str, partitions: i32, n: usize) {
    let p = Producer::new(config(b)).expect("producer");
    let mut pending = Vec::new();
    for i in 0..n {
        let r = ProducerRecord::new(topic)
            .partition(i as i32 % partitions)
            .value(format!("v{i}"));
        pending.push(p.send(r).await.expect("queued"));
    }
    for d in pending {
        within("delivery", d).await.expect("delivered");
    }
    within("close", p.close(Duration::from_secs(10))).await;
}

/// Polls until `n` messages came (fails after `limit`); EOF events are
/// skipped, other errors fail the test.
pub async fn consume(c: &mut Consumer, n: usize, limit: Duration) -> Vec<Message> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut out = Vec::new();
    while out.len() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {n} messages within {limit:?}",
            out.len()
        );
        match c.poll(Duration::from_millis(200)).await {
            None => {}
            Some(Ok(m)) => out.push(m),
            Some(Err(e)) if e.is_partition_eof() => {}
            Some(Err(e)) => panic!("poll failed: {e}"),
        }
    }
    out
}

/// The value as text.
pub fn text(m: &Message) -> String {
    String::from_utf8_lossy(m.value().unwrap_or_default()).into_owned()
}

/// Writes three transactions to partition 0 of `topic` with the broker's
/// own version of the Java client (tests/compat/TxnWriter.java): c0
/// committed, a aborted, c1 committed, five records each.
pub async fn java_transactions(b: &Broker, topic: &str) {
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/compat/TxnWriter.java");
    let mut command = std::process::Command::new("java");
    command
        .args(["-Xms64m", "-Xmx256m", "-cp", &b.classpath, source])
        .args([&b.bootstrap, topic]);
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("joins")
        .expect("java runs");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("written"),
        "the Java client {} failed to write transactions: {}",
        b.full,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// With FERROKAFKA_COMPAT_REPORT_DIR set (scripts/compat.sh), writes the
/// negotiated versions to `<dir>/<version>.tsv`: API, broker range, the
/// client's range, the version used. COMPATIBILITY.md is made from them.
pub fn write_report(b: &Broker, t: &ApiVersionTable) {
    let Ok(dir) = std::env::var("FERROKAFKA_COMPAT_REPORT_DIR") else {
        return;
    };
    let mut out = format!(
        "# Kafka {}\ttransaction.version={}\n",
        b.full,
        t.transaction_version()
    );
    for s in ferrokafka::protocol::SUPPORTED_APIS {
        let broker = t
            .broker_range(s.api_key)
            .map_or("-".to_owned(), |(lo, hi)| format!("{lo}-{hi}"));
        let used = t
            .negotiate(s.api_key)
            .map_or("-".to_owned(), |v| v.to_string());
        out.push_str(&format!(
            "{}\t{broker}\t{}-{}\t{used}\n",
            s.name, s.min_version, s.max_version
        ));
    }
    let kip848 = t
        .broker_range_of_key(CONSUMER_GROUP_HEARTBEAT)
        .map_or("-".to_owned(), |(lo, hi)| format!("{lo}-{hi}"));
    out.push_str(&format!("ConsumerGroupHeartbeat\t{kip848}\t-\t-\n"));
    let path = format!("{dir}/{}.tsv", b.full);
    std::fs::write(&path, out).unwrap_or_else(|e| panic!("writing {path}: {e}"));
}

/// With FERROKAFKA_COMPAT_REPORT_DIR set, appends `line` to
/// `<dir>/<version>.notes`: what a test saw that COMPATIBILITY.md reports
/// (a broker's refusal, with its error).
pub fn note(b: &Broker, line: &str) {
    let Ok(dir) = std::env::var("FERROKAFKA_COMPAT_REPORT_DIR") else {
        return;
    };
    use std::io::Write;
    let path = format!("{dir}/{}.notes", b.full);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("opening {path}: {e}"));
    writeln!(f, "{line}").unwrap_or_else(|e| panic!("writing {path}: {e}"));
}
