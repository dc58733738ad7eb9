//! The producer cross-checked with Kafka's own Java client, from the same
//! jars as the broker: keys land on the partition the Java client's
//! default partitioner picks, and batches of every codec are read back by
//! the Java console consumer.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use ferrokafka::config::ClientConfig;
use ferrokafka::producer::{Producer, ProducerRecord};

fn java(class: &str, args: &[&str], stdin: Option<&str>) -> String {
    let classpath = std::env::var("FERROKAFKA_KAFKA_CLASSPATH")
        .expect("FERROKAFKA_KAFKA_CLASSPATH is set by scripts/kafka.sh");
    let mut child = Command::new("java")
        .args(["-Xmx256m", "-cp", &classpath, class])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("java runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().expect("java finishes");
    assert!(
        out.status.success(),
        "{class} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn keys_land_where_the_java_client_puts_them() {
    let bootstrap = common::bootstrap();
    let topic = common::unique("ferro-java-keys");
    common::create_topic(&topic, 6).await;
    let keys: Vec<String> = (0..200).map(|i| format!("user-{i}")).collect();

    let lines: String = keys.iter().map(|k| format!("{k}:java\n")).collect();
    java(
        "org.apache.kafka.tools.ConsoleProducer",
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            &topic,
            "--property",
            "parse.key=true",
            "--property",
            "key.separator=:",
        ],
        Some(&lines),
    );

    let producer = Producer::new(ClientConfig::new().bootstrap_servers([bootstrap.as_str()]))
        .expect("producer");
    let mut futures = Vec::new();
    for k in &keys {
        futures.push(
            producer
                .send(ProducerRecord::new(&topic).key(k.clone()).value("ferro"))
                .await
                .expect("queued"),
        );
    }
    let mut ours = HashMap::new();
    for (k, f) in keys.iter().zip(futures) {
        ours.insert(k.clone(), f.await.expect("delivered").partition);
    }

    let mut java_partition = HashMap::new();
    for (p, _, key, value) in common::kcat_read(&bootstrap, &topic) {
        if value == "java" {
            java_partition.insert(key, p);
        }
    }
    assert_eq!(java_partition.len(), keys.len(), "every Java record read");
    let used: std::collections::HashSet<i32> = ours.values().copied().collect();
    assert_eq!(used.len(), 6, "200 keys spread over all 6 partitions");
    for k in &keys {
        assert_eq!(ours[k], java_partition[k], "key {k}");
    }
}

#[tokio::test]
async fn every_codec_is_read_back_by_the_java_console_consumer() {
    let bootstrap = common::bootstrap();
    let prefix = common::unique("ferro-java-codec");
    let codecs = ["none", "gzip", "snappy", "lz4", "zstd"];
    let per_codec = 50;
    for codec in codecs {
        let topic = format!("{prefix}-{codec}");
        common::create_topic(&topic, 1).await;
        let producer = Producer::new(
            ClientConfig::from_properties([
                ("bootstrap.servers", bootstrap.as_str()),
                ("compression.type", codec),
            ])
            .expect("config"),
        )
        .expect("producer");
        for i in 0..per_codec {
            // Reports are checked by the Java side; flush waits for them.
            let _delivery = producer
                .send(
                    ProducerRecord::new(&topic)
                        .key(format!("{codec}-{i}"))
                        .value(format!("{codec} value {i} {}", "y".repeat(i))),
                )
                .await
                .expect("queued");
        }
        assert_eq!(producer.flush(Duration::from_secs(30)).await, 0, "{codec}");
    }
    let total = (codecs.len() * per_codec).to_string();
    let out = java(
        "org.apache.kafka.tools.consumer.ConsoleConsumer",
        &[
            "--bootstrap-server",
            &bootstrap,
            "--include",
            &format!("{prefix}-.*"),
            "--from-beginning",
            "--max-messages",
            &total,
            "--timeout-ms",
            "60000",
            "--property",
            "print.key=true",
            "--property",
            "key.separator=|",
        ],
        None,
    );
    let mut got: Vec<(String, String)> = out
        .lines()
        .filter_map(|l| l.split_once('|'))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = codecs
        .iter()
        .flat_map(|codec| {
            (0..per_codec).map(move |i| {
                (
                    format!("{codec}-{i}"),
                    format!("{codec} value {i} {}", "y".repeat(i)),
                )
            })
        })
        .collect();
    want.sort();
    assert_eq!(got, want);
}
