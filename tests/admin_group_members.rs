//! Describing live groups against the real broker: a KIP-848 consumer
//! group (librdkafka's consumer with `group.protocol=consumer`, through
//! confluent-kafka) is described with ConsumerGroupDescribe, its member
//! and assignment shown, and listed under the `consumer` type filter.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{bootstrap, create_topic, unique};
use ferrokafka::admin::{Admin, TopicPartition};
use ferrokafka::config::ClientConfig;

const MEMBER: &str = r#"
import sys
from confluent_kafka import Consumer
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[2],
              "group.protocol": "consumer", "client.id": "admin-test-member"})
c.subscribe([sys.argv[3]])
while not c.assignment():
    c.poll(0.1)
print("assigned", flush=True)
sys.stdin.read()
c.close()
"#;

#[tokio::test]
async fn a_consumer_group_is_described_with_its_member_and_assignment() {
    let admin = Admin::new(ClientConfig::new().bootstrap_servers([bootstrap()])).expect("admin");
    let topic = unique("admin-members");
    let group = unique("admin-kip848");
    create_topic(&topic, 2).await;
    let mut member = Command::new("python3")
        .args(["-c", MEMBER, &bootstrap(), &group, &topic])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs (scripts/test.sh installs confluent-kafka)");
    let stdout = member.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    });
    let line = tokio::time::timeout(Duration::from_secs(60), line)
        .await
        .expect("the member is assigned within 60 s")
        .expect("reader")
        .expect("line");
    assert_eq!(line.trim(), "assigned");

    let described = admin.describe_groups(&[&group]).await.expect("describe");
    let d = described[0].result.as_ref().expect("described");
    assert_eq!(d.group_type, "consumer");
    assert_eq!(d.state, "Stable");
    assert!(d.epoch > 0);
    assert_eq!(d.members.len(), 1);
    let m = &d.members[0];
    assert_eq!(m.client_id, "admin-test-member");
    assert_eq!(m.subscribed_topics, vec![topic.clone()]);
    assert_eq!(
        m.assignment.partitions,
        vec![
            TopicPartition::new(&topic, 0),
            TopicPartition::new(&topic, 1)
        ]
    );
    let listed = admin.list_groups(&[], &["consumer"]).await.expect("list");
    let g = listed
        .iter()
        .find(|g| g.group_id == group)
        .expect("listed as consumer");
    assert_eq!(g.group_type, "consumer");
    let classic = admin.list_groups(&[], &["classic"]).await.expect("list");
    assert!(!classic.iter().any(|g| g.group_id == group));

    // A group with an active member cannot be deleted: that group fails.
    let deleted = admin.delete_groups(&[&group]).await.expect("delete");
    assert_eq!(
        deleted[0]
            .result
            .as_ref()
            .err()
            .and_then(|e| e.kafka_code()),
        Some(ferrokafka::protocol::ErrorCode::NonEmptyGroup)
    );
    if let Some(mut stdin) = member.stdin.take() {
        let _ = stdin.write_all(b"done\n");
    }
    drop(member.stdin.take());
    let _ = member.wait();
    admin.delete_topic(&topic).await.expect("delete topic");
}
