//! Statistics in librdkafka's JSON shape: a producer and a consumer with
//! `statistics.interval.ms=500` and a callback that prints each
//! interval's JSON (what librdkafka's `stats_cb` would receive, so the
//! same exporters read it), plus a few of its numbers.
//!
//! ```text
//! cargo run --example statistics -- [--bootstrap HOST:PORT]
//! ```
//!
//! Without `--bootstrap` it runs against the in-process mock cluster.

use std::time::{Duration, Instant};

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, Offset};
use ferrokafka::producer::{Producer, ProducerRecord};
use ferrokafka::statistics::Statistics;
use ferrokafka_mock::MockCluster;

#[derive(serde::Serialize, serde::Deserialize)]
struct Event {
    id: u64,
    name: String,
}

fn print(s: &Statistics) {
    let rtt: Vec<String> = s
        .brokers
        .values()
        .map(|b| {
            format!(
                "{} {} rtt avg {} us p99 {} us",
                b.name, b.state, b.rtt.avg, b.rtt.p99
            )
        })
        .collect();
    println!(
        "[{} {}] tx {} rx {} txmsgs {} rxmsgs {} | {}",
        s.kind,
        s.name,
        s.tx,
        s.rx,
        s.txmsgs,
        s.rxmsgs,
        rtt.join(", ")
    );
    println!("{}", s.to_json());
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut mock = None;
    let bootstrap = match (args.next().as_deref(), args.next()) {
        (Some("--bootstrap"), Some(b)) => b,
        (None, _) => {
            let cluster = MockCluster::start(1).await?;
            let b = cluster.bootstrap_servers();
            mock = Some(cluster);
            b
        }
        _ => return Err("usage: statistics [--bootstrap HOST:PORT]".into()),
    };
    let topic = format!("statistics-example-{}", std::process::id());
    if let Some(cluster) = &mock {
        cluster.create_topic(&topic, 1, 1)?;
    }
    let config = ClientConfig::new()
        .bootstrap_servers([bootstrap])
        .set("statistics.interval.ms", "500")?
        .statistics_callback(print);

    let producer = Producer::new(config.clone())?;
    for id in 0..1000 {
        let event = Event {
            id,
            name: format!("event {id}"),
        };
        let record = ProducerRecord::json(&topic, &event)?.partition(0);
        // The report is not needed here: flush waits for every record.
        drop(producer.send(record).await?);
    }
    producer.flush(Duration::from_secs(10)).await;
    // Let one interval pass so the callback sees everything delivered.
    tokio::time::sleep(Duration::from_millis(600)).await;
    producer.close(Duration::from_secs(5)).await;

    // The consumer's callback runs inside poll, as librdkafka's does.
    let mut consumer = Consumer::new(config.group_id("statistics-example"))?;
    consumer.assign(&[(&topic, 0, Offset::Beginning)])?;
    let mut read = 0;
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        if let Some(m) = consumer.poll(Duration::from_millis(100)).await {
            let event: Event = m?.json()?;
            read += 1;
            if event.id == 999 {
                println!("read {read} events, the last: {}", event.name);
            }
        }
    }
    let s = consumer.statistics().await?;
    let p = &s.topics[&topic].partitions["0"];
    println!(
        "consumer: app_offset {} hi_offset {} consumer_lag {}",
        p.app_offset, p.hi_offset, p.consumer_lag
    );
    consumer.close().await?;
    Ok(())
}
