//! Records written by librdkafka through the Python confluent-kafka
//! package, with every codec and with headers, read back by our consumer;
//! and records of our producer read by confluent-kafka's consumer.

mod common;

use std::time::Duration;

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, Offset};
use ferrokafka::producer::{Producer, ProducerRecord};

const WRITER: &str = r#"
import sys
from confluent_kafka import Producer
bootstrap, topic, codec = sys.argv[1], sys.argv[2], sys.argv[3]
p = Producer({"bootstrap.servers": bootstrap, "compression.type": codec, "linger.ms": 5})
for i in range(100):
    p.produce(topic, key=f"k{i}", value=f"{codec}-{i}-" + "z" * i,
              headers=[("n", str(i).encode()), ("codec", codec.encode())], partition=i % 2)
assert p.flush(30) == 0
"#;

const READER: &str = r#"
import sys
from confluent_kafka import Consumer, TopicPartition
bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = Consumer({"bootstrap.servers": bootstrap, "group.id": topic + "-py",
              "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.assign([TopicPartition(topic, 0, 0)])
seen = 0
while seen < n:
    m = c.poll(20)
    if m is None:
        sys.exit("timed out after %d records" % seen)
    if m.error():
        sys.exit(str(m.error()))
    hs = dict(m.headers() or [])
    print("%s|%s|%s|%d" % (m.key().decode(), m.value().decode(), hs.get("h", b"").decode(), m.offset()))
    seen += 1
c.close()
"#;

fn python(script: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "confluent-kafka script failed (scripts/test.sh installs the package): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn records_from_confluent_kafka_with_every_codec_and_headers() {
    let bootstrap = common::bootstrap();
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let topic = common::unique(&format!("ferro-confluent-{codec}"));
        common::create_topic(&topic, 2).await;
        python(WRITER, &[&bootstrap, &topic, codec]);

        let mut consumer = Consumer::new(
            ClientConfig::from_properties([
                ("bootstrap.servers", bootstrap.as_str()),
                ("enable.partition.eof", "true"),
            ])
            .expect("config"),
        )
        .expect("consumer");
        consumer
            .assign(&[
                (&topic, 0, Offset::Beginning),
                (&topic, 1, Offset::Beginning),
            ])
            .expect("assign");
        let mut got = Vec::new();
        let mut eofs = 0;
        while eofs < 2 || got.len() < 100 {
            match tokio::time::timeout(
                Duration::from_secs(30),
                consumer.poll(Duration::from_secs(5)),
            )
            .await
            .expect("no hang")
            {
                Some(Ok(m)) => {
                    let key = String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned();
                    let i: usize = key[1..].parse().expect("key");
                    assert_eq!(m.partition(), (i % 2) as i32, "{codec} {key}");
                    assert_eq!(
                        m.value().unwrap_or_default(),
                        format!("{codec}-{i}-{}", "z".repeat(i)).as_bytes()
                    );
                    let headers: Vec<(String, Vec<u8>)> = m
                        .headers()
                        .iter()
                        .map(|h| {
                            (
                                h.key.to_string(),
                                h.value.as_deref().unwrap_or_default().to_vec(),
                            )
                        })
                        .collect();
                    assert_eq!(
                        headers,
                        vec![
                            ("n".to_owned(), i.to_string().into_bytes()),
                            ("codec".to_owned(), codec.as_bytes().to_vec())
                        ],
                        "{codec} {key}"
                    );
                    got.push(i);
                }
                Some(Err(e)) if e.is_partition_eof() => eofs += 1,
                Some(Err(e)) => panic!("{codec}: {e}"),
                None => panic!("{codec}: nothing more after {} records", got.len()),
            }
        }
        got.sort_unstable();
        assert_eq!(
            got,
            (0..100).collect::<Vec<_>>(),
            "{codec}: each record once"
        );
        consumer.close().await.expect("close");
    }
}

#[tokio::test]
async fn confluent_kafka_reads_what_we_produce() {
    let bootstrap = common::bootstrap();
    let topic = common::unique("ferro-to-confluent");
    common::create_topic(&topic, 1).await;
    let producer = Producer::new(
        ClientConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("compression.type", "zstd"),
        ])
        .expect("config"),
    )
    .expect("producer");
    for i in 0..50 {
        let _delivery = producer
            .send(
                ProducerRecord::new(&topic)
                    .key(format!("k{i}"))
                    .value(format!("v{i}"))
                    .header("h", format!("h{i}")),
            )
            .await
            .expect("queued");
    }
    assert_eq!(producer.flush(Duration::from_secs(30)).await, 0);
    let out = python(READER, &[&bootstrap, &topic, "50"]);
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 50);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(*row, format!("k{i}|v{i}|h{i}|{i}"));
    }
}
