//! The admin client's config and cluster calls against the real broker:
//! describe configs (topic, broker, broker logger; sources and synonyms),
//! incremental alter (SET, APPEND, SUBTRACT, DELETE; validate_only),
//! describe cluster and features, log dirs, preferred leader election,
//! reassignments; Kafka's `kafka-configs` reads back what we set.

mod common;

use common::{bootstrap, create_topic, unique};
use ferrokafka::admin::{
    Admin, AlterConfigOp, ConfigResource, ConfigSource, ElectionType, TopicPartition,
};
use ferrokafka::config::ClientConfig;
use ferrokafka::protocol::ErrorCode;

fn admin() -> Admin {
    Admin::new(ClientConfig::new().bootstrap_servers([bootstrap()])).expect("admin client")
}

/// `name`'s entry in `resource`'s described configs.
async fn entry(
    admin: &Admin,
    resource: &ConfigResource,
    name: &str,
) -> ferrokafka::admin::ConfigEntry {
    let d = admin
        .describe_configs(std::slice::from_ref(resource), true)
        .await
        .expect("describe configs");
    d[0].result
        .as_ref()
        .expect("described")
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("{name} not described"))
        .clone()
}

/// `name`'s entry once its value is `want`: the broker applies a change
/// when the controller's metadata reaches it, a moment after the answer.
async fn settled(
    admin: &Admin,
    resource: &ConfigResource,
    name: &str,
    want: Option<&str>,
) -> ferrokafka::admin::ConfigEntry {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let e = entry(admin, resource, name).await;
        if e.value.as_deref() == want || tokio::time::Instant::now() >= deadline {
            return e;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn configs_are_described_and_altered_incrementally() {
    let admin = admin();
    let topic = unique("admin-configs");
    create_topic(&topic, 1).await;
    let resource = ConfigResource::topic(&topic);

    let retention = entry(&admin, &resource, "retention.ms").await;
    assert_eq!(retention.source, ConfigSource::Default);
    assert!(!retention.read_only);

    // validate_only changes nothing.
    let checked = admin
        .incremental_alter_configs(
            &[(
                resource.clone(),
                vec![AlterConfigOp::set("retention.ms", "12345")],
            )],
            true,
        )
        .await
        .expect("validate");
    assert!(checked[0].result.is_ok(), "{:?}", checked[0].result);
    assert_eq!(
        entry(&admin, &resource, "retention.ms").await.value,
        retention.value
    );

    // SET and APPEND in one call, then SUBTRACT.
    let altered = admin
        .incremental_alter_configs(
            &[(
                resource.clone(),
                vec![
                    AlterConfigOp::set("retention.ms", "12345"),
                    AlterConfigOp::append("cleanup.policy", "compact"),
                ],
            )],
            false,
        )
        .await
        .expect("alter");
    assert!(altered[0].result.is_ok(), "{:?}", altered[0].result);
    let set = settled(&admin, &resource, "retention.ms", Some("12345")).await;
    assert_eq!(set.value.as_deref(), Some("12345"));
    assert_eq!(set.source, ConfigSource::DynamicTopic);
    assert_eq!(
        set.synonyms[0].source,
        ConfigSource::DynamicTopic,
        "{:?}",
        set.synonyms
    );
    assert_eq!(set.synonyms[0].name, "retention.ms");
    let policy = settled(&admin, &resource, "cleanup.policy", Some("delete,compact")).await;
    assert_eq!(policy.value.as_deref(), Some("delete,compact"));
    kafka_configs_shows(&topic, "retention.ms=12345");
    let subtracted = admin
        .incremental_alter_configs(
            &[(
                resource.clone(),
                vec![AlterConfigOp::subtract("cleanup.policy", "delete")],
            )],
            false,
        )
        .await
        .expect("subtract");
    assert!(subtracted[0].result.is_ok(), "{:?}", subtracted[0].result);
    assert_eq!(
        settled(&admin, &resource, "cleanup.policy", Some("compact"))
            .await
            .value
            .as_deref(),
        Some("compact")
    );

    // DELETE: back to the default. A bad value and an unknown topic fail
    // alone.
    let missing = ConfigResource::topic(unique("admin-missing"));
    let mixed = admin
        .incremental_alter_configs(
            &[
                (
                    resource.clone(),
                    vec![AlterConfigOp::delete("retention.ms")],
                ),
                (
                    missing.clone(),
                    vec![AlterConfigOp::set("retention.ms", "1")],
                ),
                (
                    resource.clone(),
                    vec![AlterConfigOp::set("retention.ms", "not-a-number")],
                ),
            ],
            false,
        )
        .await
        .expect("mixed");
    assert!(mixed[0].result.is_ok(), "{:?}", mixed[0].result);
    assert_eq!(
        mixed[1].result.as_ref().err().and_then(|e| e.kafka_code()),
        Some(ErrorCode::UnknownTopicOrPartition)
    );
    assert_eq!(
        mixed[2].result.as_ref().err().and_then(|e| e.kafka_code()),
        Some(ErrorCode::InvalidConfig)
    );
    let back = settled(
        &admin,
        &resource,
        "retention.ms",
        retention.value.as_deref(),
    )
    .await;
    assert_eq!(back.source, ConfigSource::Default);
    assert_eq!(back.value, retention.value);

    // Broker configs and loggers, at that broker.
    let cluster = admin.describe_cluster().await.expect("describe cluster");
    let broker = cluster.brokers[0].id;
    let ids = entry(&admin, &ConfigResource::broker(broker), "node.id").await;
    assert_eq!(ids.value, Some(broker.to_string()));
    let loggers = admin
        .describe_configs(&[ConfigResource::broker_logger(broker)], false)
        .await
        .expect("loggers");
    let loggers = loggers[0].result.as_ref().expect("loggers described");
    assert!(!loggers.is_empty());
    assert!(loggers.iter().all(|l| l.value.is_some()));
    admin.delete_topic(&topic).await.expect("delete topic");
}

#[tokio::test]
async fn cluster_features_log_dirs_elections_and_reassignments() {
    let admin = admin();
    let cluster = admin.describe_cluster().await.expect("describe cluster");
    assert!(!cluster.cluster_id.is_empty());
    assert!(!cluster.brokers.is_empty());
    let metadata = admin.cluster().refresh().await.expect("metadata");
    assert_eq!(
        metadata.cluster_id.as_deref(),
        Some(cluster.cluster_id.as_str())
    );
    for b in &cluster.brokers {
        assert!(
            metadata.broker(b.id).is_some(),
            "broker {} in metadata too",
            b.id
        );
        assert!(!b.fenced);
    }
    let features = admin.describe_features().await.expect("features");
    let mv = features
        .finalized
        .get("metadata.version")
        .expect("metadata.version finalized");
    let supported = features
        .supported
        .get("metadata.version")
        .expect("supported");
    assert!(
        mv.max >= supported.min && mv.max <= supported.max,
        "{features:?}"
    );
    assert!(features.finalized_epoch >= 0);

    let topic = unique("admin-cluster");
    create_topic(&topic, 2).await;
    // The replicas reach the log dirs once the broker applied the new
    // topic's metadata.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let dirs = admin.describe_log_dirs(&[]).await.expect("log dirs");
        assert_eq!(dirs.len(), cluster.brokers.len());
        let all: Vec<_> = dirs
            .iter()
            .flat_map(|o| o.result.as_ref().expect("described"))
            .collect();
        assert!(all
            .iter()
            .all(|d| d.error.is_none() && d.path.starts_with('/')));
        let found = (0..2).all(|p| {
            let tp = TopicPartition::new(&topic, p);
            all.iter()
                .any(|d| d.partitions.iter().any(|r| r.partition == tp && !r.future))
        });
        if found {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{topic}'s partitions not in any log dir: {all:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // One replica each: the preferred leader already leads.
    let tps = [
        TopicPartition::new(&topic, 0),
        TopicPartition::new(&topic, 7),
    ];
    let elected = admin
        .elect_leaders(ElectionType::Preferred, &tps)
        .await
        .expect("elect");
    assert_eq!(
        elected[0]
            .result
            .as_ref()
            .err()
            .and_then(|e| e.kafka_code()),
        Some(ErrorCode::ElectionNotNeeded)
    );
    assert_eq!(
        elected[1]
            .result
            .as_ref()
            .err()
            .and_then(|e| e.kafka_code()),
        Some(ErrorCode::UnknownTopicOrPartition)
    );
    let ongoing = admin
        .list_partition_reassignments(None)
        .await
        .expect("reassignments");
    assert!(!ongoing.iter().any(|(tp, _)| tp.topic == topic));
    // Moving a partition to the replicas it has completes at once; a
    // missing broker is refused for that partition only.
    let broker = cluster.brokers[0].id;
    let moved = admin
        .alter_partition_reassignments(&[
            (tps[0].clone(), Some(vec![broker])),
            (TopicPartition::new(&topic, 1), Some(vec![broker + 1000])),
        ])
        .await
        .expect("alter reassignments");
    assert!(moved[0].result.is_ok(), "{:?}", moved[0].result);
    assert_eq!(
        moved[1].result.as_ref().err().and_then(|e| e.kafka_code()),
        Some(ErrorCode::InvalidReplicaAssignment)
    );
    admin.delete_topic(&topic).await.expect("delete topic");
}

/// Kafka's `kafka-configs --describe` lists `setting` for `topic`.
fn kafka_configs_shows(topic: &str, setting: &str) {
    let classpath = std::env::var("FERROKAFKA_KAFKA_CLASSPATH")
        .expect("FERROKAFKA_KAFKA_CLASSPATH is set by scripts/kafka.sh env");
    let out = std::process::Command::new("java")
        .args(["-cp", &classpath, "kafka.admin.ConfigCommand"])
        .args(["--bootstrap-server", &bootstrap(), "--describe"])
        .args(["--entity-type", "topics", "--entity-name", topic])
        .output()
        .expect("java runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "kafka-configs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(setting), "kafka-configs says: {text}");
}
