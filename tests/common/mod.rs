//! Shared by the integration tests: where the brokers are.
#![allow(dead_code, unreachable_pub)]

/// The single broker's PLAINTEXT address. A test that needs a broker fails
/// (never skips) when none was started.
pub fn bootstrap() -> String {
    required("FERROKAFKA_BOOTSTRAP")
}

/// The single broker's SASL_PLAINTEXT address.
pub fn sasl_bootstrap() -> String {
    required("FERROKAFKA_SASL_BOOTSTRAP")
}

/// The three-node cluster's addresses.
pub fn cluster_bootstrap() -> Vec<String> {
    required("FERROKAFKA_CLUSTER_BOOTSTRAP")
        .split(',')
        .map(str::to_owned)
        .collect()
}

fn required(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set: these tests need a real Kafka broker. \
             Run them with scripts/test.sh, or start one with \
             `scripts/kafka.sh start single` and `source \"$(scripts/kafka.sh env)\"`."
        ),
    }
}
