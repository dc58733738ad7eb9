//! Partition reassignment on the three-node cluster: the admin client
//! moves one replica of a fresh topic holding records, waits until the
//! move is done (no reassignment listed, replicas and ISR as asked), and
//! Kafka's own tools agree (`kafka-reassign-partitions --verify`,
//! `kafka-topics --describe`); the records are all still there.

mod common;

use std::time::Duration;

use common::{cluster_bootstrap, kcat_read, unique};
use ferrokafka::admin::{Admin, NewTopic, TopicPartition};
use ferrokafka::config::ClientConfig;

fn kafka_tool(class: &str, args: &[&str]) -> String {
    let classpath = std::env::var("FERROKAFKA_KAFKA_CLASSPATH")
        .expect("FERROKAFKA_KAFKA_CLASSPATH is set by scripts/kafka.sh env");
    let out = std::process::Command::new("java")
        .args(["-Xms64m", "-Xmx256m", "-cp", &classpath, class])
        .args(args)
        .output()
        .expect("java runs");
    assert!(
        out.status.success(),
        "{class} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn a_moved_replica_is_where_kafkas_tools_see_it() {
    let servers = cluster_bootstrap();
    let bootstrap = servers.join(",");
    let admin = Admin::new(ClientConfig::new().bootstrap_servers(servers.clone())).expect("admin");
    let topic = unique("admin-reassign");
    admin
        .create_topic(NewTopic::with_assignment(topic.clone(), vec![vec![1, 2]]))
        .await
        .expect("create topic");
    let lines: String = (0..50).map(|i| format!("r{i}\n")).collect();
    let mut kcat = std::process::Command::new("kcat")
        .args(["-P", "-b", &bootstrap, "-t", &topic, "-p", "0"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("kcat runs");
    {
        use std::io::Write;
        let mut stdin = kcat.stdin.take().expect("stdin");
        stdin.write_all(lines.as_bytes()).expect("write");
    }
    assert!(kcat.wait().expect("kcat exits").success());

    let tp = TopicPartition::new(&topic, 0);
    let moved = admin
        .alter_partition_reassignments(&[(tp.clone(), Some(vec![3, 2]))])
        .await
        .expect("alter reassignments");
    assert!(moved[0].result.is_ok(), "{:?}", moved[0].result);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let ongoing = admin
            .list_partition_reassignments(Some(std::slice::from_ref(&tp)))
            .await
            .expect("list reassignments");
        let described = admin.describe_topics(&[&topic]).await.expect("describe");
        let p = &described[0].result.as_ref().expect("described").partitions[0];
        let mut isr = p.isr.clone();
        isr.sort_unstable();
        if ongoing.is_empty() && p.replicas == [3, 2] && isr == [2, 3] {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "reassignment not done: {ongoing:?} {p:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let plan = std::env::temp_dir().join(format!("{topic}.json"));
    std::fs::write(
        &plan,
        format!(
            r#"{{"version":1,"partitions":[{{"topic":"{topic}","partition":0,"replicas":[3,2]}}]}}"#
        ),
    )
    .expect("write plan");
    let verified = kafka_tool(
        "org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
        &[
            "--bootstrap-server",
            &bootstrap,
            "--verify",
            "--reassignment-json-file",
            &plan.to_string_lossy(),
        ],
    );
    let _ = std::fs::remove_file(&plan);
    assert!(
        verified.contains(&format!("Reassignment of partition {topic}-0 is completed")),
        "{verified}"
    );
    let described = kafka_tool(
        "org.apache.kafka.tools.TopicCommand",
        &[
            "--bootstrap-server",
            &bootstrap,
            "--describe",
            "--topic",
            &topic,
        ],
    );
    assert!(described.contains("Replicas: 3,2"), "{described}");
    assert_eq!(kcat_read(&bootstrap, &topic).len(), 50);
    admin.delete_topic(&topic).await.expect("delete topic");
}
