//! Consuming from the three-node cluster while partition leadership moves
//! (replica order rotated with Kafka's ReassignPartitionsCommand, then a
//! preferred leader election with LeaderElectionCommand; no broker is
//! stopped): the consumer follows the new leaders and reads every record
//! exactly once.

mod consumer_util;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use consumer_util::*;
use ferrokafka::admin::{Admin, NewTopic};
use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::Consumer;
use ferrokafka::net::{Connection, ConnectionConfig};
use ferrokafka::producer::{Producer, ProducerRecord};
use ferrokafka::protocol::messages::metadata::MetadataRequestTopic;
use ferrokafka::protocol::messages::MetadataRequest;
use tokio::sync::mpsc;

const PARTITIONS: i32 = 3;

fn cluster() -> String {
    cluster_bootstrap().join(",")
}

/// Each partition's (leader, replicas), as the cluster reports them.
async fn layout(topic: &str) -> BTreeMap<i32, (i32, Vec<i32>)> {
    let first = cluster_bootstrap()[0].clone();
    let conn = Connection::connect(&first, ConnectionConfig::default())
        .await
        .expect("connects to the cluster");
    let m = conn
        .send(&MetadataRequest {
            topics: Some(vec![MetadataRequestTopic {
                name: Some(topic.into()),
                ..Default::default()
            }]),
            ..Default::default()
        })
        .await
        .expect("Metadata answered");
    m.topics[0]
        .partitions
        .iter()
        .map(|p| (p.partition_index, (p.leader_id, p.replica_nodes.clone())))
        .collect()
}

/// Makes the next replica of each partition its preferred leader, and
/// elects it. Returns the leaders wanted.
async fn move_leaders(topic: &str, dir: &std::path::Path) -> BTreeMap<i32, i32> {
    let before = layout(topic).await;
    let mut plan = Vec::new();
    let mut wanted = BTreeMap::new();
    for (p, (leader, replicas)) in &before {
        // Rotate so that a replica other than the current leader leads.
        let mut order = replicas.clone();
        while order.first() == Some(leader) || order == *replicas {
            order.rotate_left(1);
        }
        wanted.insert(*p, order[0]);
        plan.push(format!(
            r#"{{"topic":"{topic}","partition":{p},"replicas":[{}]}}"#,
            order
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    let reassign = dir.join(format!("{topic}-reassign.json"));
    std::fs::write(
        &reassign,
        format!(r#"{{"version":1,"partitions":[{}]}}"#, plan.join(",")),
    )
    .expect("writes the plan");
    let reassign = reassign.to_string_lossy().into_owned();
    let bootstrap = cluster();
    kafka_tool(
        "org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
        &[
            "--bootstrap-server",
            &bootstrap,
            "--reassignment-json-file",
            &reassign,
            "--execute",
        ],
    )
    .await;
    let _ = std::fs::remove_file(&reassign);
    // Same replicas, new order: done once the metadata shows the order.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = layout(topic).await;
        if now.iter().all(|(p, (_, r))| r.first() == wanted.get(p)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "reassignment never showed: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let election = dir.join(format!("{topic}-election.json"));
    let partitions: Vec<String> = (0..PARTITIONS)
        .map(|p| format!(r#"{{"topic":"{topic}","partition":{p}}}"#))
        .collect();
    std::fs::write(
        &election,
        format!(r#"{{"partitions":[{}]}}"#, partitions.join(",")),
    )
    .expect("writes the election");
    let election = election.to_string_lossy().into_owned();
    kafka_tool(
        "org.apache.kafka.tools.LeaderElectionCommand",
        &[
            "--bootstrap-server",
            &bootstrap,
            "--election-type",
            "PREFERRED",
            "--path-to-json-file",
            &election,
        ],
    )
    .await;
    let _ = std::fs::remove_file(&election);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = layout(topic).await;
        if now.iter().all(|(p, (l, _))| wanted.get(p) == Some(l)) {
            return wanted;
        }
        assert!(Instant::now() < deadline, "leaders never moved: {now:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consuming_while_leaders_move_reads_every_record_once() {
    let topic = unique("ferro-c-lead");
    let bootstrap = cluster();
    let admin = Admin::new(ClientConfig::new().bootstrap_servers(cluster_bootstrap()))
        .expect("admin client");
    admin
        .create_topic(NewTopic::new(&topic, PARTITIONS, 3))
        .await
        .expect("creates the topic");
    let first = layout(&topic).await;

    let config = ClientConfig::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("group.id", unique("ferro-g").as_str()),
        ("auto.offset.reset", "earliest"),
        ("session.timeout.ms", "6000"),
        ("heartbeat.interval.ms", "300"),
        ("fetch.wait.max.ms", "100"),
        ("retry.backoff.ms", "100"),
    ])
    .expect("valid config");
    let mut consumer = Consumer::new(config).expect("consumer");
    consumer.subscribe(&[&topic]).expect("subscribes");
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let reader = tokio::spawn(async move {
        loop {
            if stopped.try_recv().is_ok() {
                consumer.close().await.expect("closes");
                return;
            }
            match consumer.poll(Duration::from_millis(100)).await {
                Some(Ok(m)) => {
                    let _ = seen_tx.send((m.partition(), m.offset(), text(&m)));
                }
                Some(Err(e)) if e.is_partition_eof() => {}
                // Leadership moving is the consumer's business, not the
                // application's: nothing may surface.
                Some(Err(e)) => panic!("poll failed: {e}"),
                None => {}
            }
        }
    });

    let producer = Producer::new(
        ClientConfig::from_properties([("bootstrap.servers", bootstrap.as_str())])
            .expect("valid config"),
    )
    .expect("producer");
    let writer = {
        let (producer, topic) = (producer.clone(), topic.clone());
        tokio::spawn(async move {
            let mut delivered = Vec::new();
            for i in 0..300 {
                let record = ProducerRecord::new(topic.clone())
                    .partition(i % PARTITIONS)
                    .value(format!("v{i}"));
                let d = producer
                    .send(record)
                    .await
                    .expect("queued")
                    .await
                    .expect("delivered");
                delivered.push((d.partition, d.offset, format!("v{i}")));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            delivered
        })
    };

    let dir = std::env::temp_dir();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let moved = move_leaders(&topic, &dir).await;
    for (p, (leader, _)) in &first {
        assert_ne!(moved.get(p), Some(leader), "partition {p} changed leader");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    move_leaders(&topic, &dir).await;

    let delivered = writer.await.expect("writer finished");
    producer.flush(Duration::from_secs(10)).await;
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.len() < delivered.len() && Instant::now() < deadline {
        if let Ok(Some(s)) = tokio::time::timeout(Duration::from_millis(500), seen.recv()).await {
            got.push(s);
        }
    }
    while let Ok(Some(s)) = tokio::time::timeout(Duration::from_millis(1500), seen.recv()).await {
        got.push(s);
    }
    let _ = stop.send(());
    reader.await.expect("reader finished");

    let unique_got: HashSet<&(i32, i64, String)> = got.iter().collect();
    assert_eq!(unique_got.len(), got.len(), "no record read twice");
    let want: HashSet<&(i32, i64, String)> = delivered.iter().collect();
    assert_eq!(unique_got, want, "exactly the records delivered");
}
