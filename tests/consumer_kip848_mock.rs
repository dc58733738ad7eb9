//! `group.protocol=consumer` against a broker that does not speak
//! ConsumerGroupHeartbeat (API key 68): the mock cluster with the protocol
//! switched off, like Kafka before 4.0 or Redpanda, does not advertise it. The consumer must say so
//! and name the fix, not retry forever.

use std::time::{Duration, Instant};

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, ConsumerError};
use ferrokafka_mock::MockCluster;

#[tokio::test]
async fn a_broker_without_key_68_is_a_clear_error_naming_classic() {
    let cluster = MockCluster::start(1).await.expect("starts");
    cluster.set_consumer_group_protocol(false);
    cluster.create_topic("t", 2, 1).expect("created");
    let config = ClientConfig::from_properties([
        ("bootstrap.servers", cluster.bootstrap_servers().as_str()),
        ("group.id", "g"),
        ("group.protocol", "consumer"),
        ("retry.backoff.ms", "20"),
    ])
    .expect("valid");
    let mut c = Consumer::new(config).expect("consumer");
    c.subscribe(&["t"]).expect("subscribes");
    let deadline = Instant::now() + Duration::from_secs(10);
    let error = loop {
        assert!(Instant::now() < deadline, "no error within 10 s");
        match c.poll(Duration::from_millis(200)).await {
            Some(Err(e)) if e.is_partition_eof() => {}
            Some(Err(e)) => break e,
            Some(Ok(m)) => panic!("consumed without a group: {m:?}"),
            None => {}
        }
    };
    assert!(
        matches!(error, ConsumerError::GroupProtocolUnsupported { ref group_id, .. } if group_id == "g"),
        "{error:?}"
    );
    assert!(!error.is_retriable());
    let text = error.to_string();
    assert!(text.contains("group.protocol=classic"), "{text}");
    assert!(c.assignment().is_empty());
}
