//! The reference producer flow, as people write it with confluent-kafka:
//! five JSON events with keys, a delivery callback per message, `poll(0)`
//! after each produce to serve earlier reports, `flush` at the end.
//!
//! ```text
//! cargo run --example producer -- [--bootstrap HOST:PORT] [--topic NAME] [-X NAME=VALUE ...]
//! ```
//!
//! `--bootstrap` defaults to `$FERROKAFKA_BOOTSTRAP`, else `localhost:9092`.
//! `-X` sets any property, as kcat does: `-X security.protocol=SASL_SSL
//! -X ssl.ca.location=ca.pem -X sasl.mechanism=SCRAM-SHA-512 ...`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrokafka::config::ClientConfig;
use ferrokafka::producer::{DeliveryResult, Producer, ProducerRecord};

type Properties = Vec<(String, String)>;

fn args() -> Result<(String, String, Properties), String> {
    let mut properties = Vec::new();
    let mut bootstrap =
        std::env::var("FERROKAFKA_BOOTSTRAP").unwrap_or_else(|_| "localhost:9092".to_owned());
    let mut topic = "my_events_topic".to_owned();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bootstrap" => bootstrap = value()?,
            "--topic" => topic = value()?,
            "-X" => {
                let v = value()?;
                let (name, value) = v
                    .split_once('=')
                    .ok_or_else(|| format!("-X {v}: expected NAME=VALUE"))?;
                properties.push((name.to_owned(), value.to_owned()));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((bootstrap, topic, properties))
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (bootstrap, topic, properties) = args()?;
    let config = ClientConfig::from_properties(
        [("bootstrap.servers", bootstrap.as_str())]
            .into_iter()
            .chain(properties.iter().map(|(n, v)| (n.as_str(), v.as_str()))),
    )?;
    let producer = Producer::new(config)?;

    for i in 0..5 {
        let event = serde_json::json!({
            "id": i,
            "message": format!("Event {i} from the ferrokafka producer example"),
            "timestamp": SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs_f64(),
        });
        let record = ProducerRecord::new(&topic)
            .key(i.to_string())
            .value(serde_json::to_vec(&event)?);
        producer.produce(record, delivery_report)?;
        // Serves the delivery reports of earlier messages.
        producer.poll(Duration::ZERO).await;
    }

    let undelivered = producer.flush(Duration::from_secs(30)).await;
    if undelivered > 0 {
        return Err(format!("{undelivered} messages were not delivered").into());
    }
    println!("Finished producing messages.");
    Ok(())
}
