//! The cluster layer (bootstrap, SASL, metadata refresh) against the mock
//! cluster: the two sides of the same protocol crate agreeing.

use ferrokafka_mock::MockCluster;

use crate::cluster::Cluster;
use crate::config::ClientConfig;

fn sasl_config(cluster: &MockCluster, password: &str) -> ClientConfig {
    let bootstrap = cluster.bootstrap_servers();
    ClientConfig::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("security.protocol", "sasl_plaintext"),
        ("sasl.mechanism", "PLAIN"),
        ("sasl.username", "alice"),
        ("sasl.password", password),
    ])
    .expect("valid config")
}

#[tokio::test]
async fn the_cluster_layer_bootstraps_over_sasl_and_follows_a_leader_move() {
    let mock = MockCluster::start(3).await.expect("starts");
    mock.require_sasl_plain("alice", "pw");
    mock.create_topic("t", 3, 2).expect("created");
    let cluster = Cluster::new(sasl_config(&mock, "pw"), false).expect("config ok");
    let topic = cluster.topic("t").await.expect("metadata");
    assert_eq!(topic.partitions.len(), 3);
    assert_eq!(cluster.metadata().leader("t", 1), Some((1, 0)));
    assert_eq!(mock.set_leader("t", 1, 2), Ok(1));
    let m = cluster.refresh().await.expect("refreshed");
    assert_eq!(m.leader("t", 1), Some((2, 1)));
    assert_eq!(m.brokers().count(), 3);
}
