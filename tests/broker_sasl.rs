//! SASL against the broker's SASL_PLAINTEXT listener: PLAIN and
//! SCRAM-SHA-256/512 with the users scripts/kafka.sh created, wrong
//! passwords refused, and the connection usable once authenticated.

mod common;

use bytes::Bytes;
use ferrokafka::net::sasl::{plain, scram};
use ferrokafka::net::{Connection, ConnectionConfig};
use ferrokafka::protocol::messages::{
    MetadataRequest, SaslAuthenticateRequest, SaslHandshakeRequest,
};
use ferrokafka::protocol::ErrorCode;

fn user() -> (String, String) {
    (
        std::env::var("FERROKAFKA_SASL_USER")
            .expect("FERROKAFKA_SASL_USER is set by scripts/kafka.sh"),
        std::env::var("FERROKAFKA_SASL_PASSWORD")
            .expect("FERROKAFKA_SASL_PASSWORD is set by scripts/kafka.sh"),
    )
}

async fn handshake(mechanism: &str) -> Connection {
    let conn = Connection::connect(&common::sasl_bootstrap(), ConnectionConfig::default())
        .await
        .expect("connects to the SASL listener");
    let r = conn
        .send(&SaslHandshakeRequest {
            mechanism: mechanism.into(),
            ..Default::default()
        })
        .await
        .expect("SaslHandshake answered");
    assert_eq!(
        r.error_code, 0,
        "{mechanism} enabled; broker offers {:?}",
        r.mechanisms
    );
    conn
}

async fn authenticate(conn: &Connection, message: Vec<u8>) -> (i16, Bytes) {
    let r = conn
        .send(&SaslAuthenticateRequest {
            auth_bytes: Bytes::from(message),
            ..Default::default()
        })
        .await
        .expect("SaslAuthenticate answered");
    (r.error_code, r.auth_bytes)
}

async fn usable(conn: &Connection) {
    let m = conn
        .send(&MetadataRequest {
            topics: Some(vec![]),
            ..Default::default()
        })
        .await
        .expect("Metadata after authentication");
    assert!(!m.brokers.is_empty());
}

#[tokio::test]
async fn plain_accepts_the_user_and_refuses_a_wrong_password() {
    let (name, password) = user();
    let conn = handshake("PLAIN").await;
    let (code, _) = authenticate(&conn, plain::initial_response(&name, &password)).await;
    assert_eq!(code, 0);
    usable(&conn).await;

    let conn = handshake("PLAIN").await;
    let (code, _) = authenticate(&conn, plain::initial_response(&name, "wrong")).await;
    assert_eq!(
        ErrorCode::from_code(code).name(),
        "SASL_AUTHENTICATION_FAILED"
    );
}

async fn scram_exchange(
    mechanism: scram::ScramMechanism,
    password: &str,
) -> Result<Connection, String> {
    let (name, _) = user();
    let conn = handshake(mechanism.name()).await;
    let mut client = scram::ScramClient::new(mechanism, &name, password).expect("nonce");
    let (code, server_first) = authenticate(&conn, client.client_first()).await;
    if code != 0 {
        return Err(ErrorCode::from_code(code).name().into());
    }
    let last = client
        .handle_server_first(&server_first)
        .map_err(|e| e.to_string())?;
    let (code, server_final) = authenticate(&conn, last).await;
    if code != 0 {
        return Err(ErrorCode::from_code(code).name().into());
    }
    client
        .handle_server_final(&server_final)
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

#[tokio::test]
async fn scram_sha_256_and_512_authenticate_and_verify_the_broker() {
    let (_, password) = user();
    for mechanism in [scram::ScramMechanism::Sha256, scram::ScramMechanism::Sha512] {
        let conn = scram_exchange(mechanism, &password)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", mechanism.name()));
        usable(&conn).await;
        let refused = scram_exchange(mechanism, "wrong").await;
        assert_eq!(
            refused.err().as_deref(),
            Some("SASL_AUTHENTICATION_FAILED"),
            "{}",
            mechanism.name()
        );
    }
}
