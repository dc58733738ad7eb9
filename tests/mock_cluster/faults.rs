//! Each fault injection primitive, the request log, garbage from a
//! client, and dropping the cluster.

use std::time::Instant;

use ferrokafka_protocol::messages::{
    FindCoordinatorRequest, JoinGroupRequest, MetadataRequest, RequestBody,
};
use ferrokafka_protocol::{ApiKey, ErrorCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;
use ferrokafka::Error;
use ferrokafka_mock::MockError;

fn all_topics() -> MetadataRequest {
    MetadataRequest {
        topics: None,
        ..Default::default()
    }
}

/// Waits until the connection notices it was closed.
async fn closed(conn: &Connection) -> bool {
    for _ in 0..200 {
        if conn.is_closed() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// Whether the peer closes `socket` (EOF or reset) within two seconds.
async fn peer_closes(socket: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    matches!(
        tokio::time::timeout(Duration::from_secs(2), socket.read(&mut buf)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

#[tokio::test]
async fn queued_errors_fail_the_next_requests_in_order() {
    let cluster = MockCluster::start(2).await.expect("starts");
    let t = create(&cluster, "t", 1);
    let conn = connect(&cluster, 0).await;
    cluster.push_request_errors(
        ApiKey::Produce,
        &[
            ErrorCode::NotLeaderOrFollower,
            ErrorCode::None,
            ErrorCode::RequestTimedOut,
        ],
    );
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(produce(&conn, &t, 0, batch(&["x"])).await);
    }
    assert_eq!(
        got,
        vec![
            (ErrorCode::NotLeaderOrFollower.code(), -1),
            (0, 0),
            (ErrorCode::RequestTimedOut.code(), -1),
            (0, 1),
        ]
    );

    // Metadata carries it per topic and (v13) at the top.
    cluster.push_request_errors(ApiKey::Metadata, &[ErrorCode::UnknownServerError]);
    let r = conn.send(&all_topics()).await.expect("answered");
    assert_eq!(r.error_code, -1);
    assert_eq!(r.topics[0].error_code, -1);
    assert_eq!(r.brokers.len(), 2, "brokers still listed");

    // A broker's own queue only fails requests to that broker.
    cluster
        .push_broker_request_errors(
            1,
            ApiKey::FindCoordinator,
            &[ErrorCode::CoordinatorLoadInProgress],
        )
        .expect("broker 1 exists");
    let find = FindCoordinatorRequest {
        coordinator_keys: vec!["g".into()],
        ..Default::default()
    };
    let r = conn.send(&find).await.expect("answered");
    assert_eq!(r.coordinators[0].error_code, 0, "broker 0 unaffected");
    let other = connect(&cluster, 1).await;
    let r = other.send(&find).await.expect("answered");
    assert_eq!(
        r.coordinators[0].error_code,
        ErrorCode::CoordinatorLoadInProgress.code()
    );
    let r = other.send(&find).await.expect("answered");
    assert_eq!(r.coordinators[0].error_code, 0, "one code, one request");

    cluster.push_request_errors(ApiKey::JoinGroup, &[ErrorCode::CoordinatorNotAvailable]);
    let r = conn
        .send(&JoinGroupRequest {
            group_id: "g".into(),
            ..Default::default()
        })
        .await
        .expect("answered");
    assert_eq!(r.error_code, ErrorCode::CoordinatorNotAvailable.code());
    assert_eq!(
        cluster.push_broker_request_errors(5, ApiKey::Fetch, &[]),
        Err(MockError::UnknownBroker(5))
    );
}

#[tokio::test]
async fn an_injected_unsupported_version_on_api_versions_is_answered_in_v0() {
    let cluster = MockCluster::start(1).await.expect("starts");
    cluster.push_request_errors(ApiKey::ApiVersions, &[ErrorCode::UnsupportedVersion]);
    let conn = connect(&cluster, 0).await;
    let asked: Vec<i16> = cluster
        .requests()
        .iter()
        .filter(|r| r.api_key == ApiKey::ApiVersions)
        .map(|r| r.api_version)
        .collect();
    // The refusal comes in v0 (as Kafka's does) and names v4, the version
    // it just refused: the client asks once more, at v0, and never again
    // (a pre-3.9 SASL listener takes one ApiVersions before SASL).
    assert_eq!(asked, vec![4, 0], "one more ask, at v0");
    assert_eq!(conn.version_for(ApiKey::Fetch).expect("negotiated"), 18);
}

#[tokio::test]
async fn a_broker_down_drops_its_connections_and_comes_back_on_its_port() {
    let cluster = MockCluster::start(2).await.expect("starts");
    let address = cluster.broker_address(0).expect("addr");
    let conn = connect(&cluster, 0).await;
    let survivor = connect(&cluster, 1).await;
    cluster.broker_down(0).expect("exists");
    assert!(closed(&conn).await, "open connections are dropped");
    assert!(conn.send(&all_topics()).await.is_err());
    assert!(
        Connection::connect(&address, config()).await.is_err(),
        "new connections are closed at once"
    );
    survivor
        .send(&all_topics())
        .await
        .expect("other brokers go on");
    cluster.broker_up(0).expect("exists");
    let back = Connection::connect(&address, config())
        .await
        .expect("same port serves again");
    back.send(&all_topics()).await.expect("answered");
}

#[tokio::test]
async fn moving_a_leader_bumps_its_epoch_and_redirects_clients() {
    let cluster = MockCluster::start(2).await.expect("starts");
    let t = create(&cluster, "t", 1);
    let old = connect(&cluster, 0).await;
    let new = connect(&cluster, 1).await;
    assert_eq!(produce(&old, &t, 0, batch(&["before"])).await, (0, 0));
    assert_eq!(cluster.set_leader("t", 0, 1), Ok(1));
    let m = new.send(&all_topics()).await.expect("answered");
    let p = &m.topics[0].partitions[0];
    assert_eq!((p.leader_id, p.leader_epoch), (1, 1));
    let (code, _) = produce(&old, &t, 0, batch(&["x"])).await;
    assert_eq!(code, ErrorCode::NotLeaderOrFollower.code());
    assert_eq!(produce(&new, &t, 0, batch(&["after"])).await, (0, 1));
    // A fetch naming the old epoch is fenced; the new one reads it all.
    let mut fenced = fetch_request(&t, 0, 0, 0);
    fenced.topics[0].partitions[0].current_leader_epoch = 0;
    let r = new.send(&fenced).await.expect("answered");
    assert_eq!(
        r.responses[0].partitions[0].error_code,
        ErrorCode::FencedLeaderEpoch.code()
    );
    fenced.topics[0].partitions[0].current_leader_epoch = 1;
    let r = new.send(&fenced).await.expect("answered");
    let got = values(r.responses[0].partitions[0].records.as_ref());
    assert_eq!(got.len(), 2);
    let epochs: Vec<i32> = batches(r.responses[0].partitions[0].records.as_ref())
        .iter()
        .map(|b| b.partition_leader_epoch)
        .collect();
    assert_eq!(epochs, vec![0, 1], "batches keep the epoch that wrote them");
    assert_eq!(
        cluster.set_leader("t", 3, 1),
        Err(MockError::UnknownPartition {
            topic: "t".into(),
            partition: 3
        })
    );
}

#[tokio::test]
async fn rtt_delays_each_response() {
    let cluster = MockCluster::start(2).await.expect("starts");
    let slow = connect(&cluster, 0).await;
    let fast = connect(&cluster, 1).await;
    cluster
        .set_rtt(0, Duration::from_millis(200))
        .expect("exists");
    let started = Instant::now();
    slow.send(&all_topics()).await.expect("answered");
    assert!(started.elapsed() >= Duration::from_millis(190));
    let started = Instant::now();
    fast.send(&all_topics()).await.expect("answered");
    assert!(started.elapsed() < Duration::from_millis(190));
}

#[tokio::test]
async fn a_connection_is_cut_after_n_requests() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let conn = connect(&cluster, 0).await;
    cluster
        .drop_connection_after_requests(0, 2)
        .expect("exists");
    conn.send(&all_topics()).await.expect("first answered");
    conn.send(&all_topics()).await.expect("second answered");
    let err = conn.send(&all_topics()).await.expect_err("third cut");
    assert!(matches!(err, Error::Disconnected { .. }), "{err}");
    let again = connect(&cluster, 0).await;
    again.send(&all_topics()).await.expect("once only");
}

#[tokio::test]
async fn a_connection_is_cut_past_n_bytes() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let conn = connect(&cluster, 0).await;
    let t = create(&cluster, "t", 1);
    // Small requests fit; a large Produce goes past the budget.
    cluster
        .drop_connection_after_bytes(0, 1000)
        .expect("exists");
    conn.send(&all_topics())
        .await
        .expect("small request answered");
    let big = "x".repeat(2000);
    let err = conn
        .send(&produce_request(&t, 0, batch(&[&big]), 1))
        .await
        .expect_err("cut");
    assert!(matches!(err, Error::Disconnected { .. }), "{err}");
    assert_eq!(cluster.offsets("t", 0), Ok((0, 0)), "not written");
}

#[tokio::test]
async fn requests_are_recorded_in_order_and_cleared() {
    let cluster = MockCluster::start(2).await.expect("starts");
    let conn = connect(&cluster, 1).await;
    conn.send(&all_topics()).await.expect("answered");
    conn.send_version(&all_topics(), 4).await.expect("answered");
    let seen = cluster.requests();
    let summary: Vec<(i32, ApiKey, i16)> = seen
        .iter()
        .map(|r| (r.broker_id, r.api_key, r.api_version))
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, ApiKey::ApiVersions, 4),
            (1, ApiKey::Metadata, 13),
            (1, ApiKey::Metadata, 4),
        ]
    );
    assert!(seen
        .windows(2)
        .all(|w| w[0].correlation_id < w[1].correlation_id));
    assert!(seen
        .iter()
        .all(|r| r.client_id.as_deref() == Some("mock-test")));
    assert!(matches!(
        &seen[2].body,
        Some(RequestBody::Metadata(m)) if m.topics.is_none()
    ));
    cluster.clear_requests();
    assert!(cluster.requests().is_empty());
}

#[tokio::test]
async fn garbage_closes_that_connection_and_nothing_else() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let conn = connect(&cluster, 0).await;
    let address = cluster.broker_address(0).expect("addr");
    let frames: Vec<Vec<u8>> = vec![
        // HTTP: a frame size of ~1.2 GB.
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        // A negative size.
        vec![0xff, 0xff, 0xff, 0xfe],
        // An API key nobody speaks.
        vec![0, 0, 0, 8, 0x7f, 0, 0, 0, 0, 0, 0, 1],
        // Metadata v1 whose body ends mid-field.
        vec![0, 0, 0, 12, 0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0, 0],
        // A header cut short.
        vec![0, 0, 0, 3, 0, 3, 0],
    ];
    for frame in frames {
        let mut socket = TcpStream::connect(&address).await.expect("connects");
        socket.write_all(&frame).await.expect("sent");
        assert!(peer_closes(&mut socket).await, "{frame:?}");
    }
    cluster.set_max_frame_size(64);
    let mut socket = TcpStream::connect(&address).await.expect("connects");
    socket.write_all(&[0, 0, 0, 65]).await.expect("sent");
    assert!(peer_closes(&mut socket).await, "past the frame limit");
    conn.send(&all_topics()).await.expect("others unharmed");
}

#[tokio::test]
async fn dropping_the_cluster_stops_every_broker() {
    let cluster = MockCluster::start(2).await.expect("starts");
    let conn = connect(&cluster, 0).await;
    let addresses: Vec<String> = cluster
        .bootstrap_servers()
        .split(',')
        .map(str::to_owned)
        .collect();
    assert_eq!(addresses.len(), 2);
    assert!(addresses.iter().all(|a| a.starts_with("127.0.0.1:")));
    drop(cluster);
    assert!(closed(&conn).await, "connections closed");
    for address in addresses {
        let mut refused = false;
        for _ in 0..100 {
            if TcpStream::connect(&address).await.is_err() {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(refused, "{address} still listening");
    }
}
