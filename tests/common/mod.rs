//! Shared by the integration tests: where the brokers are.
#![allow(dead_code, unreachable_pub)]

pub mod nodes;

/// The single broker's PLAINTEXT address. A test that needs a broker fails
/// (never skips) when none was started.
pub fn bootstrap() -> String {
    required("FERROKAFKA_BOOTSTRAP")
}

/// The single broker's SASL_PLAINTEXT address.
pub fn sasl_bootstrap() -> String {
    required("FERROKAFKA_SASL_BOOTSTRAP")
}

/// The three-node cluster's addresses.
pub fn cluster_bootstrap() -> Vec<String> {
    required("FERROKAFKA_CLUSTER_BOOTSTRAP")
        .split(',')
        .map(str::to_owned)
        .collect()
}

fn required(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set: these tests need a real Kafka broker. \
             Run them with scripts/test.sh, or start one with \
             `scripts/kafka.sh start single` and `source \"$(scripts/kafka.sh env)\"`."
        ),
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

/// Creates `topic` on the single broker and waits for its leaders.
pub async fn create_topic(topic: &str, partitions: i32) {
    let admin = ferrokafka::admin::Admin::new(
        ferrokafka::config::ClientConfig::new().bootstrap_servers([bootstrap()]),
    )
    .expect("admin client");
    admin
        .create_topic(ferrokafka::admin::NewTopic::new(topic, partitions, 1))
        .await
        .unwrap_or_else(|e| panic!("creating {topic}: {e}"));
}

/// Every record of `topic` as librdkafka's kcat reads it, from the start
/// to the end: `(partition, offset, key, value)`, in partition order.
pub fn kcat_read(bootstrap: &str, topic: &str) -> Vec<(i32, i64, String, String)> {
    let out = std::process::Command::new("kcat")
        .args([
            "-C",
            "-b",
            bootstrap,
            "-t",
            topic,
            "-e",
            "-q",
            "-o",
            "beginning",
        ])
        .args(["-f", "%p\t%o\t%k\t%s\n"])
        .output()
        .expect("kcat runs (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "kcat failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rows: Vec<(i32, i64, String, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut f = line.splitn(4, '\t');
            Some((
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
                f.next()?.to_owned(),
                f.next()?.to_owned(),
            ))
        })
        .collect();
    rows.sort_by_key(|r| (r.0, r.1));
    rows
}
