//! SASL/PLAIN: the right password lets a connection in, a wrong one is
//! refused and disconnected, and nothing else goes before it.

use ferrokafka_protocol::messages::{
    MetadataRequest, SaslAuthenticateRequest, SaslHandshakeRequest,
};
use ferrokafka_protocol::ErrorCode;

use super::*;
use ferrokafka::net::sasl::plain;

fn handshake(mechanism: &str) -> SaslHandshakeRequest {
    SaslHandshakeRequest {
        mechanism: mechanism.into(),
        ..Default::default()
    }
}

fn authenticate(user: &str, password: &str) -> SaslAuthenticateRequest {
    SaslAuthenticateRequest {
        auth_bytes: Bytes::from(plain::initial_response(user, password)),
        ..Default::default()
    }
}

fn some_metadata() -> MetadataRequest {
    MetadataRequest {
        topics: Some(vec![]),
        ..Default::default()
    }
}

async fn wait_closed(conn: &Connection) -> bool {
    for _ in 0..200 {
        if conn.is_closed() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn plain_with_the_right_password_opens_the_connection() {
    let cluster = MockCluster::start(1).await.expect("starts");
    cluster.require_sasl_plain("alice", "s3cret");
    let conn = connect(&cluster, 0).await;
    let r = conn.send(&handshake("PLAIN")).await.expect("answered");
    assert_eq!(r.error_code, 0);
    assert_eq!(r.mechanisms, vec!["PLAIN".to_owned()]);
    let r = conn
        .send(&authenticate("alice", "s3cret"))
        .await
        .expect("answered");
    assert_eq!(r.error_code, 0);
    let m = conn.send(&some_metadata()).await.expect("usable");
    assert_eq!(m.brokers.len(), 1);
}

#[tokio::test]
async fn plain_with_a_wrong_password_is_refused_and_disconnected() {
    let cluster = MockCluster::start(1).await.expect("starts");
    cluster.require_sasl_plain("alice", "s3cret");
    let conn = connect(&cluster, 0).await;
    conn.send(&handshake("PLAIN")).await.expect("answered");
    let r = conn
        .send(&authenticate("alice", "wrong"))
        .await
        .expect("answered");
    assert_eq!(r.error_code, ErrorCode::SaslAuthenticationFailed.code());
    assert!(wait_closed(&conn).await);
}

#[tokio::test]
async fn requests_before_authentication_close_the_connection() {
    let cluster = MockCluster::start(1).await.expect("starts");
    cluster.require_sasl_plain("alice", "s3cret");
    let conn = connect(&cluster, 0).await;
    assert!(conn.send(&some_metadata()).await.is_err());
    assert!(wait_closed(&conn).await);

    let conn = connect(&cluster, 0).await;
    let r = conn
        .send(&handshake("SCRAM-SHA-512"))
        .await
        .expect("answered");
    assert_eq!(r.error_code, ErrorCode::UnsupportedSaslMechanism.code());
    assert_eq!(r.mechanisms, vec!["PLAIN".to_owned()]);
}

#[tokio::test]
async fn a_handshake_without_sasl_configured_is_an_illegal_state() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let conn = connect(&cluster, 0).await;
    let r = conn.send(&handshake("PLAIN")).await.expect("answered");
    assert_eq!(r.error_code, ErrorCode::IllegalSaslState.code());
    conn.send(&some_metadata()).await.expect("still usable");
}
