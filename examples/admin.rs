//! A few admin calls: describe the cluster, create a topic, describe it,
//! set a config, list its offsets, and show a group's lag.
//!
//! ```text
//! cargo run --example admin -- [--bootstrap HOST:PORT] [--topic NAME] [--group ID]
//! ```
//!
//! `--bootstrap` defaults to `$FERROKAFKA_BOOTSTRAP`, else `localhost:9092`.

use ferrokafka::admin::{
    Admin, AlterConfigOp, ConfigResource, NewTopic, OffsetSpec, TopicPartition,
};
use ferrokafka::config::ClientConfig;
use ferrokafka::protocol::ErrorCode;

fn args() -> Result<(String, String, Option<String>), String> {
    let mut bootstrap =
        std::env::var("FERROKAFKA_BOOTSTRAP").unwrap_or_else(|_| "localhost:9092".to_owned());
    let mut topic = "admin_example_topic".to_owned();
    let mut group = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--bootstrap" => bootstrap = value,
            "--topic" => topic = value,
            "--group" => group = Some(value),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok((bootstrap, topic, group))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (bootstrap, topic, group) = args()?;
    let admin = Admin::new(ClientConfig::new().bootstrap_servers([bootstrap]))?;

    let cluster = admin.describe_cluster().await?;
    println!(
        "cluster {} (controller {})",
        cluster.cluster_id, cluster.controller
    );
    for b in &cluster.brokers {
        println!("  broker {} at {}:{}", b.id, b.host, b.port);
    }

    // Create the topic; one that exists already is fine here.
    match admin.create_topic(NewTopic::new(&topic, 3, 1)).await {
        Ok(()) => println!("created {topic}"),
        Err(e) if e.kafka_code() == Some(ErrorCode::TopicAlreadyExists) => {
            println!("{topic} exists")
        }
        Err(e) => return Err(e.into()),
    }
    for outcome in admin.describe_topics(&[&topic]).await? {
        let d = outcome.result?;
        for p in &d.partitions {
            println!(
                "  {}-{}: leader {} replicas {:?} isr {:?}",
                d.name, p.partition, p.leader, p.replicas, p.isr
            );
        }
    }

    // Each resource answers for itself.
    let resource = ConfigResource::topic(&topic);
    let altered = admin
        .incremental_alter_configs(
            &[(
                resource.clone(),
                vec![AlterConfigOp::set("retention.ms", "86400000")],
            )],
            false,
        )
        .await?;
    for o in altered {
        println!(
            "  set retention.ms on {}: {:?}",
            o.resource,
            o.result.map_err(|e| e.to_string())
        );
    }

    let asked: Vec<(TopicPartition, OffsetSpec)> = (0..3)
        .flat_map(|p| {
            [OffsetSpec::Earliest, OffsetSpec::Latest]
                .map(|spec| (TopicPartition::new(&topic, p), spec))
        })
        .collect();
    for (o, (_, spec)) in admin
        .list_offsets(&asked, false)
        .await?
        .into_iter()
        .zip(&asked)
    {
        match o.result {
            Ok(off) => println!("  {} {spec:?}: {}", o.resource, off.offset),
            Err(e) => println!("  {} {spec:?}: {e}", o.resource),
        }
    }

    if let Some(group) = group {
        for lag in admin.group_lag(&group).await? {
            println!(
                "  {group} {}: committed {:?} end {} lag {:?}",
                lag.partition, lag.committed, lag.log_end, lag.lag
            );
        }
    }
    Ok(())
}
