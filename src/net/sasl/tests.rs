//! The client's SASL helper against the mock cluster's SASL/PLAIN.

use std::time::Duration;

use ferrokafka_mock::MockCluster;

use super::{authenticate, SaslCredentials};
use crate::error::Error;
use crate::net::{Connection, ConnectionConfig};

#[tokio::test]
async fn the_clients_sasl_helper_reports_a_wrong_password() {
    let mock = MockCluster::start(1).await.expect("starts");
    mock.require_sasl_plain("alice", "pw");
    let addr = mock.broker_address(0).expect("broker exists");
    let config = ConnectionConfig {
        request_timeout: Duration::from_secs(10),
        ..Default::default()
    };
    let conn = Connection::connect(&addr, config).await.expect("connects");
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
