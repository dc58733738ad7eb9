//! The admin client's topic calls against the real broker: create (with
//! configs, an explicit assignment, validate_only, one failing among
//! several), list, describe, create partitions, delete by name and by id;
//! Kafka's own `kafka-topics` describes what we created the same way.

mod common;

use common::{bootstrap, unique};
use ferrokafka::admin::{Admin, NewPartitions, NewTopic};
use ferrokafka::config::ClientConfig;
use ferrokafka::protocol::{ErrorCode, Uuid};

fn admin() -> Admin {
    Admin::new(ClientConfig::new().bootstrap_servers([bootstrap()])).expect("admin client")
}

#[tokio::test]
async fn topics_are_created_described_grown_and_deleted_per_resource() {
    let admin = admin();
    let broker = admin
        .describe_cluster()
        .await
        .expect("describe cluster")
        .brokers[0]
        .id;
    let plain = unique("admin-topic");
    let assigned = unique("admin-assigned");
    let checked = unique("admin-validated");

    // One call, three topics, each its own outcome.
    let created = admin
        .create_topics(
            vec![
                NewTopic::new(&plain, 3, 1).config("retention.ms", "3600000"),
                NewTopic::with_assignment(&assigned, vec![vec![broker], vec![broker]]),
            ],
            false,
        )
        .await
        .expect("create topics");
    assert_eq!(created.len(), 2);
    for o in &created {
        let c = o
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", o.resource));
        assert_ne!(c.topic_id, Uuid::default(), "{} has an id", o.resource);
    }
    assert_eq!(
        created[0].result.as_ref().map(|c| c.partitions).ok(),
        Some(3)
    );
    assert_eq!(
        created[1].result.as_ref().map(|c| c.partitions).ok(),
        Some(2)
    );
    admin.wait_for_topic(&plain, 3).await.expect("leaders");
    admin.wait_for_topic(&assigned, 2).await.expect("leaders");

    // Creating one that exists fails that one only; validate_only creates nothing.
    let again = admin
        .create_topics(
            vec![NewTopic::new(&plain, 1, 1), NewTopic::new(&checked, 2, 1)],
            true,
        )
        .await
        .expect("create again");
    assert_eq!(
        again[0].result.as_ref().err().and_then(|e| e.kafka_code()),
        Some(ErrorCode::TopicAlreadyExists)
    );
    assert!(again[1].result.is_ok(), "{:?}", again[1].result);
    let listed = admin.list_topics(false).await.expect("list");
    assert!(listed.iter().any(|t| t.name == plain && t.partitions == 3));
    assert!(listed
        .iter()
        .any(|t| t.name == assigned && t.partitions == 2));
    assert!(
        !listed.iter().any(|t| t.name == checked),
        "validate_only created it"
    );
    assert!(listed.iter().all(|t| !t.internal));
    assert!(listed.windows(2).all(|w| w[0].name < w[1].name), "sorted");
    let with_internal = admin.list_topics(true).await.expect("list internal");
    assert!(with_internal.len() >= listed.len());

    // Describe: partitions, leader, replicas, ISR, ids; unknown topics fail alone.
    let missing = unique("admin-missing");
    let described = admin
        .describe_topics(&[&plain, &missing])
        .await
        .expect("describe");
    let d = described[0].result.as_ref().expect("plain described");
    assert_eq!(d.topic_id, created[0].result.as_ref().expect("id").topic_id);
    assert_eq!(d.partitions.len(), 3);
    for (i, p) in d.partitions.iter().enumerate() {
        assert_eq!(p.partition, i as i32);
        assert_eq!(p.leader, broker);
        assert_eq!(p.replicas, vec![broker]);
        assert_eq!(p.isr, vec![broker]);
        assert!(p.offline.is_empty());
        assert_eq!(p.error, None);
    }
    assert_eq!(
        described[1]
            .result
            .as_ref()
            .err()
            .and_then(|e| e.kafka_code()),
        Some(ErrorCode::UnknownTopicOrPartition)
    );
    kafka_topics_agrees(&plain, 3, broker);

    // Grow: validate_only changes nothing, then 3 -> 5; shrinking fails.
    let grown = admin
        .create_partitions(vec![NewPartitions::new(&plain, 5)], true)
        .await
        .expect("validate partitions");
    assert!(grown[0].result.is_ok(), "{:?}", grown[0].result);
    let grown = admin
        .create_partitions(
            vec![
                NewPartitions::new(&plain, 5),
                NewPartitions::new(&assigned, 1),
            ],
            false,
        )
        .await
        .expect("create partitions");
    assert!(grown[0].result.is_ok(), "{:?}", grown[0].result);
    assert_eq!(
        grown[1].result.as_ref().err().and_then(|e| e.kafka_code()),
        Some(ErrorCode::InvalidPartitions)
    );
    admin.wait_for_topic(&plain, 5).await.expect("5 partitions");
    let d = admin.describe_topics(&[&plain]).await.expect("describe");
    assert_eq!(d[0].result.as_ref().expect("described").partitions.len(), 5);

    // Delete by id and by name; a missing one fails alone.
    let id = created[1].result.as_ref().expect("id").topic_id;
    let by_id = admin
        .delete_topics_by_id(&[id])
        .await
        .expect("delete by id");
    assert!(by_id[0].result.is_ok(), "{:?}", by_id[0].result);
    let deleted = admin
        .delete_topics(&[&plain, &missing])
        .await
        .expect("delete");
    assert!(deleted[0].result.is_ok(), "{:?}", deleted[0].result);
    assert_eq!(
        deleted[1]
            .result
            .as_ref()
            .err()
            .and_then(|e| e.kafka_code()),
        Some(ErrorCode::UnknownTopicOrPartition)
    );
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let left = admin.list_topics(false).await.expect("list");
        if !left.iter().any(|t| t.name == plain || t.name == assigned) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "topics still listed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Kafka's `kafka-topics --describe` sees `topic` with `partitions`
/// partitions led by `broker`.
fn kafka_topics_agrees(topic: &str, partitions: usize, broker: i32) {
    let classpath = std::env::var("FERROKAFKA_KAFKA_CLASSPATH")
        .expect("FERROKAFKA_KAFKA_CLASSPATH is set by scripts/kafka.sh env");
    let out = std::process::Command::new("java")
        .args(["-cp", &classpath, "org.apache.kafka.tools.TopicCommand"])
        .args([
            "--bootstrap-server",
            &bootstrap(),
            "--describe",
            "--topic",
            topic,
        ])
        .output()
        .expect("java runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "kafka-topics failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("PartitionCount: {partitions}")),
        "kafka-topics says: {text}"
    );
    let rows: Vec<&str> = text.lines().filter(|l| l.contains("Partition: ")).collect();
    assert_eq!(rows.len(), partitions, "{text}");
    for row in rows {
        assert!(row.contains(&format!("Leader: {broker}")), "{row}");
        assert!(row.contains(&format!("Isr: {broker}")), "{row}");
    }
}
