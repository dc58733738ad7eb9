//! The client's cluster layer (bootstrap, SASL, metadata refresh) against
//! the mock: the two sides of the same protocol crate agreeing.

use crate::cluster::Cluster;
use crate::config::ClientConfig;
use crate::error::Error;
use crate::net::sasl::{authenticate, SaslCredentials};

use super::*;

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

#[tokio::test]
async fn the_clients_sasl_helper_reports_a_wrong_password() {
    let mock = MockCluster::start(1).await.expect("starts");
    mock.require_sasl_plain("alice", "pw");
    let conn = connect(&mock, 0).await;
    let credentials = SaslCredentials {
        mechanism: "PLAIN".into(),
        username: "alice".into(),
        password: "nope".into(),
    };
    let err = authenticate(&conn, &credentials)
        .await
        .expect_err("refused");
    assert!(matches!(err, Error::Authentication { .. }), "{err}");
}
