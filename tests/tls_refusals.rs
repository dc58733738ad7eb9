//! Every way TLS with a broker can be refused ends in a typed error naming
//! the cause, within the timeout, with no hang and no tight retry loop:
//! an unknown CA, a certificate for another host (accepted with
//! ssl.endpoint.identification.algorithm=none), an expired certificate,
//! no client certificate on the mTLS listener, a wrong key password, a
//! plaintext client on a TLS port and the reverse, and a wrong SASL
//! password over TLS.

mod tls_util;

use std::time::{Duration, Instant};

use ferrokafka::config::{ClientConfig, ConfigError};
use ferrokafka::error::Error;
use ferrokafka::net::TlsError;
use tls_util::*;

/// What asking `client` for a new topic fails with, and how long it took
/// (at most 20 s: no hang).
async fn refusal(client: ClientConfig) -> (Error, Duration) {
    let started = Instant::now();
    let admin = ferrokafka::admin::Admin::new(client).expect("admin client");
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        admin.create_topic(ferrokafka::admin::NewTopic::new(
            unique("tls-refused"),
            1,
            1,
        )),
    )
    .await
    .expect("refused within 20 s, not hanging");
    match result {
        Ok(()) => panic!("the broker was reached"),
        Err(e) => (e, started.elapsed()),
    }
}

/// The TLS cause of `client`'s refusal; fails on any other error.
async fn tls_refusal(client: ClientConfig) -> TlsError {
    let (e, took) = refusal(client).await;
    assert!(
        took < Duration::from_secs(10),
        "refused after {took:?}: {e}"
    );
    match e {
        Error::Tls { source, .. } => source,
        other => panic!("expected a TLS error, got {other:?} ({other})"),
    }
}

/// [`tls_refusal`] for a cause that no retry can cure.
async fn non_retriable_tls_refusal(client: ClientConfig) -> TlsError {
    let e = tls_refusal(client).await;
    assert!(!e.is_retriable(), "{e:?} is not retriable");
    e
}

fn ssl_with(bootstrap: &str, ca: &str, extra: &[(&str, &str)]) -> ClientConfig {
    let mut props = vec![("security.protocol", "SSL"), ("ssl.ca.location", ca)];
    props.extend_from_slice(extra);
    config(bootstrap, &props)
}

#[tokio::test]
async fn unknown_ca_is_refused() {
    let e = non_retriable_tls_refusal(ssl_with(
        &env("FERROKAFKA_SSL_BOOTSTRAP"),
        &env("FERROKAFKA_SSL_OTHER_CA"),
        &[],
    ))
    .await;
    assert_eq!(e, TlsError::UnknownIssuer);
    assert!(e.to_string().contains("not signed by a trusted CA"), "{e}");
}

#[tokio::test]
async fn host_name_mismatch_is_refused_and_accepted_without_identification() {
    let bootstrap = env("FERROKAFKA_SSL_BADNAME_BOOTSTRAP");
    let ca = env("FERROKAFKA_SSL_CA");
    let e = non_retriable_tls_refusal(ssl_with(&bootstrap, &ca, &[])).await;
    assert_eq!(
        e,
        TlsError::NameMismatch {
            name: "127.0.0.1".into()
        }
    );
    // The same certificate, the host name unchecked: the flow runs.
    let relaxed = ssl_with(
        &bootstrap,
        &ca,
        &[("ssl.endpoint.identification.algorithm", "none")],
    );
    produce_and_consume(&relaxed, "tls-noident", 3).await;
    // ... but an unknown CA is still refused with the name unchecked.
    let e = non_retriable_tls_refusal(ssl_with(
        &bootstrap,
        &env("FERROKAFKA_SSL_OTHER_CA"),
        &[("ssl.endpoint.identification.algorithm", "none")],
    ))
    .await;
    assert_eq!(e, TlsError::UnknownIssuer);
}

#[tokio::test]
async fn expired_certificate_is_refused() {
    let e = non_retriable_tls_refusal(ssl_with(
        &env("FERROKAFKA_SSL_EXPIRED_BOOTSTRAP"),
        &env("FERROKAFKA_SSL_CA"),
        &[],
    ))
    .await;
    assert_eq!(e, TlsError::Expired);
}

#[tokio::test]
async fn no_verification_accepts_an_unknown_ca() {
    let client = ssl_with(
        &env("FERROKAFKA_SSL_EXPIRED_BOOTSTRAP"),
        &env("FERROKAFKA_SSL_OTHER_CA"),
        &[("enable.ssl.certificate.verification", "false")],
    );
    produce_and_consume(&client, "tls-noverify", 3).await;
}

#[tokio::test]
async fn mtls_without_a_client_certificate_is_refused() {
    let e = non_retriable_tls_refusal(ssl_with(
        &env("FERROKAFKA_MTLS_BOOTSTRAP"),
        &env("FERROKAFKA_SSL_CA"),
        &[],
    ))
    .await;
    assert!(
        matches!(e, TlsError::ClientCertificateRefused { .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn wrong_key_password_is_a_config_error_naming_the_property() {
    let (cert, key) = (
        env("FERROKAFKA_SSL_CLIENT_CERT"),
        env("FERROKAFKA_SSL_CLIENT_KEY_ENCRYPTED"),
    );
    let client = ssl_with(
        &env("FERROKAFKA_MTLS_BOOTSTRAP"),
        &env("FERROKAFKA_SSL_CA"),
        &[
            ("ssl.certificate.location", &cert),
            ("ssl.key.location", &key),
            ("ssl.key.password", "not-the-password"),
        ],
    );
    match ferrokafka::admin::Admin::new(client.clone()) {
        Err(Error::Config(ConfigError::InvalidValue { name, value, .. })) => {
            assert_eq!(name, "ssl.key.password");
            assert!(
                !value.contains("not-the-password"),
                "the password is not shown"
            );
        }
        other => panic!("expected a config error on ssl.key.password, got {other:?}"),
    }
    // No password at all for an encrypted key.
    let mut no_password = client;
    no_password.ssl.key_password = None;
    match ferrokafka::admin::Admin::new(no_password) {
        Err(Error::Config(ConfigError::InvalidValue { name, reason, .. })) => {
            assert_eq!(name, "ssl.key.location");
            assert!(reason.contains("ssl.key.password"), "{reason}");
        }
        other => panic!("expected a config error on ssl.key.location, got {other:?}"),
    }
}

#[tokio::test]
async fn plaintext_client_on_the_ssl_port_is_told_the_broker_speaks_tls() {
    let (e, took) = refusal(config(&env("FERROKAFKA_SSL_BOOTSTRAP"), &[])).await;
    assert!(took < Duration::from_secs(15), "after {took:?}: {e}");
    match &e {
        Error::Tls {
            source: TlsError::BrokerExpectsTls,
            ..
        } => {}
        other => panic!("expected the broker-speaks-TLS error, got {other:?}"),
    }
}

#[tokio::test]
async fn ssl_client_on_the_plaintext_port_is_refused() {
    let client = ssl_with(&env("FERROKAFKA_BOOTSTRAP"), &env("FERROKAFKA_SSL_CA"), &[]);
    // One connection: the typed cause.
    let connection = ferrokafka::net::ConnectionConfig {
        tls: Some(ferrokafka::net::TlsConnector::from_config(&client).expect("TLS config")),
        connect_timeout: Duration::from_secs(5),
        ..Default::default()
    };
    let started = Instant::now();
    match ferrokafka::net::Connection::connect(&env("FERROKAFKA_BOOTSTRAP"), connection).await {
        Err(Error::Tls {
            source: TlsError::ClosedDuringHandshake,
            ..
        }) => {}
        other => panic!("expected ClosedDuringHandshake, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    // A client: the broker is unreachable, and the error says why. (A
    // connection closed during the handshake may be a broker restarting,
    // so it is retried rather than final.)
    let (e, took) = refusal(client).await;
    assert!(took < Duration::from_secs(15), "after {took:?}: {e}");
    assert!(
        matches!(&e, Error::NoBrokerAvailable { last_error } if last_error.contains("TLS listener")),
        "{e:?}"
    );
}

#[tokio::test]
async fn wrong_sasl_password_over_ssl_is_an_authentication_error() {
    let mut client = sasl_ssl("SCRAM-SHA-512");
    client.sasl_password = Some("wrong".into());
    let (e, took) = refusal(client).await;
    assert!(took < Duration::from_secs(10), "after {took:?}: {e}");
    assert!(matches!(e, Error::Authentication { .. }), "{e:?}");
}

#[tokio::test]
async fn a_failing_handshake_is_retried_with_backoff_not_in_a_tight_loop() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    // A port that accepts and closes at once: every handshake fails.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let server = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::Relaxed);
            drop(socket);
        }
    });
    let client = config(
        &address,
        &[
            ("security.protocol", "SSL"),
            ("enable.ssl.certificate.verification", "false"),
            ("message.timeout.ms", "3000"),
            ("reconnect.backoff.ms", "100"),
            ("reconnect.backoff.max.ms", "1000"),
        ],
    );
    let producer = ferrokafka::producer::Producer::new(client).expect("producer");
    let started = Instant::now();
    let delivery = producer
        .send(ferrokafka::producer::ProducerRecord::new("t").value("v"))
        .await
        .expect("queued");
    let result = tokio::time::timeout(Duration::from_secs(15), delivery)
        .await
        .expect("the delivery report comes, no hang");
    assert!(result.is_err(), "nothing can be delivered: {result:?}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(2500),
        "a closed handshake is retried until message.timeout.ms, not failed at once ({took:?}: {result:?})"
    );
    let attempts = accepted.load(Ordering::Relaxed);
    server.abort();
    // Backoff 100 ms doubling to 1 s: about seven attempts in 3 s. A
    // tight loop would make hundreds.
    assert!(
        (1..=15).contains(&attempts),
        "{attempts} connection attempts in {took:?}"
    );
}
