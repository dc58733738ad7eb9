//! Creates or deletes a benchmark topic with ferrokafka's admin client,
//! for `scripts/bench-e2e.sh` (a JVM start per topic would cost more than
//! a small run).
//!
//! ```text
//! cargo run --profile fast --example perf_topic -- create NAME PARTITIONS [REPLICAS] [--bootstrap HOST:PORT]
//! cargo run --profile fast --example perf_topic -- delete NAME [--bootstrap HOST:PORT]
//! ```

use ferrokafka::admin::{Admin, NewTopic};
use ferrokafka::config::ClientConfig;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut bootstrap =
        std::env::var("FERROKAFKA_BOOTSTRAP").unwrap_or_else(|_| "localhost:9092".to_owned());
    let mut words = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        if arg == "--bootstrap" {
            bootstrap = it.next().ok_or("--bootstrap needs a value")?;
        } else {
            words.push(arg);
        }
    }
    let config = ClientConfig::from_properties([("bootstrap.servers", bootstrap.as_str())])?;
    let admin = Admin::new(config)?;
    match words.as_slice() {
        [verb, name, partitions, replicas @ ..] if verb == "create" && replicas.len() <= 1 => {
            let partitions: i32 = partitions
                .parse()
                .map_err(|_| format!("{partitions}: not a number of partitions"))?;
            let replicas: i16 = match replicas.first() {
                Some(r) => r
                    .parse()
                    .map_err(|_| format!("{r}: not a number of replicas"))?,
                None => 1,
            };
            admin
                .create_topic(NewTopic::new(name.as_str(), partitions, replicas))
                .await?;
        }
        [verb, name] if verb == "delete" => admin.delete_topic(name).await?,
        _ => {
            return Err("usage: perf_topic create NAME PARTITIONS [REPLICAS] | delete NAME".into())
        }
    }
    Ok(())
}
