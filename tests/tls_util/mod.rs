//! Shared by the TLS tests: the TLS listeners scripts/kafka.sh adds to the
//! single broker, client configs for each, and the produce-then-consume
//! flow with kcat on the same listener. Every getter panics when the
//! broker's env file was not sourced: these tests never skip.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::Consumer;
use ferrokafka::producer::{Producer, ProducerRecord};

#[path = "../common/mod.rs"]
mod common;
#[allow(unused_imports)]
pub use common::{kcat_read, unique};

/// The variable `name` that scripts/kafka.sh exports.
pub fn env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set: the TLS tests need the single broker of \
             `scripts/kafka.sh start single` (source \"$(scripts/kafka.sh env)\")"
        ),
    }
}

/// The SASL user and password.
pub fn sasl_user() -> (String, String) {
    (env("FERROKAFKA_SASL_USER"), env("FERROKAFKA_SASL_PASSWORD"))
}

/// A client of `bootstrap` with short timeouts and `properties` on top.
pub fn config(bootstrap: &str, properties: &[(&str, &str)]) -> ClientConfig {
    let mut c = ClientConfig::from_properties([
        ("bootstrap.servers", bootstrap),
        ("socket.connection.setup.timeout.ms", "5000"),
        ("request.timeout.ms", "10000"),
        ("reconnect.backoff.ms", "100"),
        ("reconnect.backoff.max.ms", "1000"),
    ])
    .expect("valid config");
    for (name, value) in properties {
        c = c
            .set(name, value)
            .unwrap_or_else(|e| panic!("{name}={value}: {e}"));
    }
    c
}

/// The SSL listener, trusting the test CA.
pub fn ssl() -> ClientConfig {
    let ca = env("FERROKAFKA_SSL_CA");
    config(
        &env("FERROKAFKA_SSL_BOOTSTRAP"),
        &[("security.protocol", "SSL"), ("ssl.ca.location", &ca)],
    )
}

/// The mTLS listener with the client certificate.
pub fn mtls() -> ClientConfig {
    let (ca, cert, key) = (
        env("FERROKAFKA_SSL_CA"),
        env("FERROKAFKA_SSL_CLIENT_CERT"),
        env("FERROKAFKA_SSL_CLIENT_KEY"),
    );
    config(
        &env("FERROKAFKA_MTLS_BOOTSTRAP"),
        &[
            ("security.protocol", "SSL"),
            ("ssl.ca.location", &ca),
            ("ssl.certificate.location", &cert),
            ("ssl.key.location", &key),
        ],
    )
}

/// The SASL_SSL listener with `mechanism`.
pub fn sasl_ssl(mechanism: &str) -> ClientConfig {
    let (user, password) = sasl_user();
    let ca = env("FERROKAFKA_SSL_CA");
    config(
        &env("FERROKAFKA_SASL_SSL_BOOTSTRAP"),
        &[
            ("security.protocol", "SASL_SSL"),
            ("ssl.ca.location", &ca),
            ("sasl.mechanism", mechanism),
            ("sasl.username", &user),
            ("sasl.password", &password),
        ],
    )
}

/// Produces `n` keyed records to a new topic over `client` (the topic is
/// created through it, so that too goes over TLS), reads them back with a
/// group consumer over the same listener, and returns the topic.
pub async fn produce_and_consume(client: &ClientConfig, prefix: &str, n: usize) -> String {
    let topic = unique(prefix);
    let admin = ferrokafka::admin::Admin::new(client.clone()).expect("admin client");
    tokio::time::timeout(
        Duration::from_secs(60),
        admin.create_topic(ferrokafka::admin::NewTopic::new(&topic, 2, 1)),
    )
    .await
    .expect("create_topic within 60 s")
    .unwrap_or_else(|e| panic!("creating {topic}: {e}"));

    let producer = Producer::new(client.clone()).expect("producer");
    let mut deliveries = Vec::new();
    for i in 0..n {
        let record = ProducerRecord::new(&topic)
            .key(format!("k{i}"))
            .value(format!("tls value {i}"));
        deliveries.push(producer.send(record).await.expect("queued"));
    }
    assert_eq!(
        producer.flush(Duration::from_secs(60)).await,
        0,
        "all delivered"
    );
    for d in deliveries {
        d.await.expect("delivered");
    }

    let expected: BTreeSet<(String, String)> = (0..n)
        .map(|i| (format!("k{i}"), format!("tls value {i}")))
        .collect();
    assert_eq!(consume(client, &topic, n).await, expected);
    topic
}

/// What a new group reads from `topic` over `client`: `n` records as
/// `(key, value)`, within 60 s.
pub async fn consume(client: &ClientConfig, topic: &str, n: usize) -> BTreeSet<(String, String)> {
    let group = unique("tls-group");
    let mut consumer = Consumer::new(
        client
            .clone()
            .set("group.id", &group)
            .and_then(|c| c.set("auto.offset.reset", "earliest"))
            .and_then(|c| c.set("session.timeout.ms", "6000"))
            .and_then(|c| c.set("heartbeat.interval.ms", "500"))
            .expect("consumer properties"),
    )
    .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut got = BTreeSet::new();
    while got.len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} records in 60 s",
            got.len()
        );
        match consumer.poll(Duration::from_millis(500)).await {
            None => {}
            Some(Ok(m)) => {
                got.insert((
                    String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                    String::from_utf8_lossy(m.value().unwrap_or_default()).into_owned(),
                ));
            }
            Some(Err(e)) if e.is_partition_eof() => {}
            Some(Err(e)) => panic!("poll over TLS failed: {e}"),
        }
    }
    consumer.close().await.expect("close");
    got
}

/// kcat (librdkafka with OpenSSL) on the same listener: `-X` properties.
pub fn kcat_props(props: &[(&str, &str)]) -> Vec<String> {
    props
        .iter()
        .flat_map(|(k, v)| ["-X".to_owned(), format!("{k}={v}")])
        .collect()
}

/// Every record of `topic` as kcat reads it over the listener `props`
/// describe: `(key, value)`.
pub fn kcat_consume(
    bootstrap: &str,
    props: &[(&str, &str)],
    topic: &str,
) -> BTreeSet<(String, String)> {
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
        .args(kcat_props(props))
        .args(["-f", "%k\t%s\n"])
        .output()
        .expect("kcat runs");
    assert!(
        out.status.success(),
        "kcat -C failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Produces `records` (`key`, `value`) to `topic` with kcat over the
/// listener `props` describe.
pub fn kcat_produce(
    bootstrap: &str,
    props: &[(&str, &str)],
    topic: &str,
    records: &[(String, String)],
) {
    use std::io::Write;
    let mut child = std::process::Command::new("kcat")
        .args(["-P", "-b", bootstrap, "-t", topic, "-K", "\t"])
        .args(kcat_props(props))
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kcat runs");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for (k, v) in records {
            writeln!(stdin, "{k}\t{v}").expect("write to kcat");
        }
    }
    let out = child.wait_with_output().expect("kcat ends");
    assert!(
        out.status.success(),
        "kcat -P failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
