//! The connection layer against a real Apache Kafka broker (started by
//! scripts/kafka.sh; the address comes from FERROKAFKA_BOOTSTRAP).

mod common;

use ferrokafka::net::{Connection, ConnectionConfig};
use ferrokafka::protocol::messages::ApiVersionsRequest;
use ferrokafka::protocol::ApiKey;

/// The broker refuses v3+ ApiVersions without a valid software name and
/// version (INVALID_REQUEST), so every request here carries them.
fn api_versions_request() -> ApiVersionsRequest {
    ApiVersionsRequest {
        client_software_name: "ferrokafka-tests".into(),
        client_software_version: "0.1.0".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn handshake_with_a_real_broker_negotiates_every_api_we_speak() {
    let broker = common::bootstrap();
    let conn = Connection::connect(&broker, ConnectionConfig::default())
        .await
        .expect("connects to the broker");
    for api in ferrokafka::protocol::SUPPORTED_APIS {
        let version = conn
            .version_for(api.api_key)
            .unwrap_or_else(|e| panic!("{:?}: {e}", api.api_key));
        let (lo, hi) = conn
            .versions()
            .broker_range(api.api_key)
            .expect("broker lists it");
        assert!(
            (lo..=hi).contains(&version),
            "{:?} v{version} outside {lo}..={hi}",
            api.api_key
        );
        // AddPartitionsToTxn v4+ is the brokers' batched form: clients
        // stay at v3 (as Kafka's Java client does).
        let cap = match api.api_key {
            ferrokafka::protocol::ApiKey::AddPartitionsToTxn => 3,
            _ => api.max_version,
        };
        assert_eq!(
            version,
            hi.min(api.max_version).min(cap),
            "{:?} highest common",
            api.api_key
        );
    }
    // Every ApiVersions version we speak decodes from the broker.
    for version in 0..=4 {
        let r = conn
            .send_version(&api_versions_request(), version)
            .await
            .unwrap_or_else(|e| panic!("ApiVersions v{version}: {e}"));
        assert_eq!(r.error_code, 0);
        assert!(r.api_keys.iter().any(|k| k.api_key == ApiKey::Fetch as i16));
        if version >= 3 {
            assert!(
                r.finalized_features_epoch >= 0,
                "v{version} carries the features epoch"
            );
            assert!(r
                .finalized_features
                .iter()
                .any(|f| f.name == "metadata.version"));
        }
    }
}

#[tokio::test]
async fn many_pipelined_requests_on_one_connection() {
    let conn = Connection::connect(&common::bootstrap(), ConnectionConfig::default())
        .await
        .expect("connects");
    let calls: Vec<_> = (0..200)
        .map(|_| {
            let conn = conn.clone();
            tokio::spawn(async move { conn.send(&api_versions_request()).await })
        })
        .collect();
    for call in calls {
        let r = call.await.expect("task").expect("answered");
        assert_eq!(r.error_code, 0);
    }
}

#[tokio::test]
async fn invalid_software_name_is_refused_by_the_broker() {
    let conn = Connection::connect(&common::bootstrap(), ConnectionConfig::default())
        .await
        .expect("connects");
    // Empty names fail the broker's validation at v3+: INVALID_REQUEST (42).
    let r = conn
        .send_version(&ApiVersionsRequest::default(), 3)
        .await
        .expect("answered");
    assert_eq!(r.error_code, 42);
}
