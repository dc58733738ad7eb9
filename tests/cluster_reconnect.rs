//! The broker pool's reconnects, through the mock cluster: a late failure
//! report about an old connection never drops the newer healthy one, and
//! reporting a failure never waits behind another caller's reconnect
//! (its backoff or its connect).
//!
//! Real time, not tokio's paused clock: the mock brokers are real local
//! sockets, and a paused clock would jump past timeouts while the runtime
//! waits on them. Every wait is bounded and short.

mod faults_util;

use std::time::Duration;

use faults_util::*;
use ferrokafka::cluster::Cluster;
use ferrokafka::config::ClientConfig;
use ferrokafka::error::Error;
use ferrokafka::protocol::messages::ApiVersionsRequest;
use ferrokafka::protocol::ApiKey;
use ferrokafka_mock::MockCluster;

fn cluster_config(mock: &MockCluster, backoff_ms: &str) -> ClientConfig {
    ClientConfig::from_properties([
        ("bootstrap.servers", mock.bootstrap_servers().as_str()),
        ("reconnect.backoff.ms", backoff_ms),
        ("reconnect.backoff.max.ms", backoff_ms),
        ("request.timeout.ms", "3000"),
        ("socket.connection.setup.timeout.ms", "1000"),
    ])
    .expect("valid config")
}

/// Connections the mock saw opened (each begins with ApiVersions).
fn handshakes(mock: &MockCluster) -> usize {
    count(mock, ApiKey::ApiVersions)
}

#[tokio::test]
async fn a_late_failure_report_leaves_the_newer_connection_be() {
    let mock = MockCluster::start(1).await.expect("mock starts");
    let cluster = Cluster::new(cluster_config(&mock, "20"), false).expect("cluster");
    let old = within("connect", cluster.broker(0))
        .await
        .expect("connects");
    let timed_out = Error::RequestTimeout {
        broker: old.broker().to_owned(),
        api: ApiKey::Fetch,
        timeout_ms: 3000,
    };
    // A request on `old` timed out: the pool drops it, and the next
    // caller gets a new connection.
    cluster.connection_failed(&old, &timed_out);
    let new = within("reconnect", cluster.broker(0))
        .await
        .expect("reconnects");
    let opened = handshakes(&mock);
    // A second request on `old` times out later and says so: `new` is
    // healthy and must stay.
    cluster.connection_failed(&old, &timed_out);
    let again = within("get", cluster.broker(0)).await.expect("connection");
    assert_eq!(
        handshakes(&mock),
        opened,
        "a report about the old connection dropped the new one (a needless reconnect)"
    );
    within("request", again.send(&ApiVersionsRequest::default()))
        .await
        .expect("the kept connection works");
    drop(new);
}

#[tokio::test]
async fn a_failure_report_does_not_wait_behind_a_reconnect_in_backoff() {
    let mock = MockCluster::start(1).await.expect("mock starts");
    let cluster = Cluster::new(cluster_config(&mock, "1000"), false).expect("cluster");
    let conn = within("connect", cluster.broker(0))
        .await
        .expect("connects");
    mock.broker_down(0).expect("down");
    let lost = within("request", conn.send(&ApiVersionsRequest::default()))
        .await
        .expect_err("the broker went down");
    cluster.connection_failed(&conn, &lost);
    // The first reconnect fails (the broker closes what it accepts) and
    // starts a backoff of about a second.
    assert!(within("reconnect", cluster.broker(0)).await.is_err());
    // Another caller waits out that backoff to reconnect ...
    let waiter = {
        let cluster = cluster.clone();
        tokio::spawn(async move { cluster.broker(0).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiter.is_finished(), "the waiter is in its backoff");
    // ... while a request on the old connection reports its failure: that
    // must not wait for the backoff or the connect.
    let started = tokio::time::Instant::now();
    cluster.connection_failed(&conn, &lost);
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(200),
        "a failure report waited {took:?} behind a reconnect"
    );
    // The broker comes back: the waiter's reconnect (after its backoff)
    // succeeds.
    mock.broker_up(0).expect("up");
    let reconnected = within("waiter", waiter)
        .await
        .expect("the waiter ran")
        .expect("reconnected once the broker is back");
    within("request", reconnected.send(&ApiVersionsRequest::default()))
        .await
        .expect("the new connection works");
}
