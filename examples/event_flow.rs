//! The whole reference event flow: a producer sends five JSON events
//! `{id, message, timestamp}` with keys and reports each delivery, then a
//! consumer in group `my_consumer_group` (from the earliest offset, with
//! end-of-partition events) reads them back and closes, committing and
//! leaving the group.
//!
//! ```text
//! cargo run --example event_flow -- [--bootstrap HOST:PORT] [--topic NAME]
//! ```
//!
//! With no `--bootstrap` and no `$FERROKAFKA_BOOTSTRAP`, it starts the
//! embedded mock cluster in-process and says so on its first line: no
//! broker needed. With one, it runs against that cluster.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, ConsumerError};
use ferrokafka::producer::{DeliveryResult, Producer, ProducerRecord};
use ferrokafka_mock::MockCluster;

const EVENTS: i64 = 5;

fn args() -> Result<(Option<String>, String), String> {
    let mut bootstrap = std::env::var("FERROKAFKA_BOOTSTRAP")
        .ok()
        .filter(|b| !b.is_empty());
    let mut topic = "my_events_topic".to_owned();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bootstrap" => bootstrap = Some(value()?),
            "--topic" => topic = value()?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((bootstrap, topic))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (bootstrap, topic) = args()?;
    // Kept alive until the end: dropping it stops the brokers.
    let mut _mock = None;
    let bootstrap = match bootstrap {
        Some(b) => {
            println!("Using the Kafka cluster at {b}");
            b
        }
        None => {
            let mock = MockCluster::start(3).await?;
            mock.create_topic(&topic, 3, 1)?;
            let b = mock.bootstrap_servers();
            println!("No broker given: started the embedded mock cluster (3 brokers) at {b}");
            _mock = Some(mock);
            b
        }
    };

    let started = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs_f64();
    produce(&bootstrap, &topic).await?;
    consume(&bootstrap, &topic, started).await
}

fn delivery_report(result: DeliveryResult) {
    match result {
        Err(e) => println!("Message delivery failed: {e}"),
        Ok(d) => println!(
            "Message delivered to {} [{}] @ offset {}",
            d.topic, d.partition, d.offset
        ),
    }
}

async fn produce(bootstrap: &str, topic: &str) -> Result<(), Box<dyn std::error::Error>> {
    let producer = Producer::new(ClientConfig::from_properties([(
        "bootstrap.servers",
        bootstrap,
    )])?)?;
    for i in 0..EVENTS {
        let event = serde_json::json!({
            "id": i,
            "message": format!("Event {i} from the ferrokafka event flow"),
            "timestamp": SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs_f64(),
        });
        let record = ProducerRecord::new(topic)
            .key(i.to_string())
            .value(serde_json::to_vec(&event)?);
        producer.produce(record, delivery_report)?;
        producer.poll(Duration::ZERO).await;
    }
    let undelivered = producer.flush(Duration::from_secs(30)).await;
    if undelivered > 0 {
        return Err(format!("{undelivered} messages were not delivered").into());
    }
    println!("Finished producing messages.");
    Ok(())
}

/// The event as the producer wrote it.
#[derive(Debug, serde::Deserialize)]
struct Event {
    id: i64,
    timestamp: f64,
}

async fn consume(
    bootstrap: &str,
    topic: &str,
    started: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut consumer = Consumer::new(ClientConfig::from_properties([
        ("bootstrap.servers", bootstrap),
        ("group.id", "my_consumer_group"),
        ("auto.offset.reset", "earliest"),
        ("enable.partition.eof", "true"),
    ])?)?;
    consumer.subscribe(&[topic])?;

    // This run's events: earlier runs against a real cluster may have
    // left others, which the group has already committed past.
    let mut seen = HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let result = loop {
        if seen.len() as i64 == EVENTS {
            break Ok(());
        }
        if Instant::now() >= deadline {
            break Err(format!("only {} of {EVENTS} events consumed in 60 s", seen.len()).into());
        }
        match consumer.poll(Duration::from_secs(1)).await {
            None => continue,
            Some(Err(ConsumerError::PartitionEof {
                topic,
                partition,
                offset,
            })) => eprintln!("%% {topic} [{partition}] reached end at offset {offset}"),
            Some(Err(e)) => break Err(e.into()),
            Some(Ok(m)) => {
                println!(
                    "Consumed message from topic {}: key={}, value={}",
                    m.topic(),
                    String::from_utf8_lossy(m.key().unwrap_or_default()),
                    String::from_utf8_lossy(m.value().unwrap_or_default()),
                );
                if let Ok(event) = m.json::<Event>() {
                    if event.timestamp >= started {
                        seen.insert(event.id);
                    }
                }
            }
        }
    };
    consumer.close().await?;
    println!("Consumer closed: offsets committed, left the group.");
    result
}
