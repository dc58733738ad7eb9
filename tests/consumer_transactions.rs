//! read_committed against transactions written by librdkafka (Python
//! confluent-kafka): records of aborted transactions and the transaction
//! markers never reach the application; read_uncommitted sees everything.

mod consumer_util;

use std::time::Duration;

use consumer_util::*;
use ferrokafka::consumer::{Consumer, Offset};

const WRITER: &str = r#"
import sys
from confluent_kafka import Producer
bootstrap, topic = sys.argv[1], sys.argv[2]
p = Producer({"bootstrap.servers": bootstrap, "transactional.id": topic + "-tx"})
p.init_transactions(30)
for name, commit in (("c0", True), ("a", False), ("c1", True)):
    p.begin_transaction()
    for i in range(5):
        p.produce(topic, key=name, value=f"{name}-{i}", partition=0)
    p.flush(30)
    if commit:
        p.commit_transaction(30)
    else:
        p.abort_transaction(30)
"#;

#[tokio::test]
async fn read_committed_skips_aborted_transactions_and_markers() {
    let topic = unique("ferro-c-txn");
    create_topic(&topic, 1).await;
    let out = tokio::task::spawn_blocking({
        let topic = topic.clone();
        move || {
            std::process::Command::new("python3")
                .args(["-c", WRITER, &bootstrap(), &topic])
                .output()
        }
    })
    .await
    .expect("joins")
    .expect("python3 runs");
    assert!(
        out.status.success(),
        "the transactional writer failed (needs `pip install confluent-kafka`): {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Three transactions of five records and three markers: 18 offsets.
    let committed_config = group_config(&unique("ferro-g"))
        .set("enable.partition.eof", "true")
        .expect("valid");
    let mut c = Consumer::new(committed_config).expect("consumer");
    c.assign(&[(&topic, 0, Offset::Beginning)])
        .expect("assigns");
    let mut values = Vec::new();
    loop {
        match c.poll(Duration::from_secs(20)).await {
            Some(Ok(m)) => values.push(text(&m)),
            Some(Err(e)) if e.is_partition_eof() => {
                assert_eq!(eof(&e), Some((topic.clone(), 0, 18)), "{e}");
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let expected: Vec<String> = ["c0", "c1"]
        .iter()
        .flat_map(|n| (0..5).map(move |i| format!("{n}-{i}")))
        .collect();
    assert_eq!(values, expected);
    c.close().await.expect("closes");

    let uncommitted = group_config(&unique("ferro-g"))
        .set("isolation.level", "read_uncommitted")
        .expect("valid");
    let mut c = Consumer::new(uncommitted).expect("consumer");
    c.assign(&[(&topic, 0, Offset::Beginning)])
        .expect("assigns");
    let all = consume(&mut c, 15, Duration::from_secs(20)).await;
    assert_eq!(all.iter().filter(|m| m.key() == Some(&b"a"[..])).count(), 5);
    c.close().await.expect("closes");
}
