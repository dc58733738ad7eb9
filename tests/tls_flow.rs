//! The produce-and-consume flow over every TLS listener of the single
//! broker (scripts/kafka.sh): SSL, mTLS, and SASL_SSL with PLAIN,
//! SCRAM-SHA-256 and SCRAM-SHA-512; and kcat (librdkafka, OpenSSL) on the
//! same listener reading what we wrote and writing what we read.

mod tls_util;

use std::collections::BTreeSet;

use tls_util::*;

/// kcat reads what we produced over `props`, produces three records of
/// its own, and we read those back over `client`.
async fn kcat_both_ways(
    client: &ferrokafka::config::ClientConfig,
    bootstrap: &str,
    props: &[(&str, &str)],
    topic: &str,
    ours: usize,
) {
    let read = kcat_consume(bootstrap, props, topic);
    let expected: BTreeSet<(String, String)> = (0..ours)
        .map(|i| (format!("k{i}"), format!("tls value {i}")))
        .collect();
    assert_eq!(read, expected, "kcat reads what we produced over TLS");

    let theirs = unique("kcat-to-ferrokafka");
    let records: Vec<(String, String)> = (0..3)
        .map(|i| (format!("kcat{i}"), format!("from kcat {i}")))
        .collect();
    let admin = ferrokafka::admin::Admin::new(client.clone()).expect("admin");
    admin
        .create_topic(ferrokafka::admin::NewTopic::new(&theirs, 1, 1))
        .await
        .expect("topic over TLS");
    kcat_produce(bootstrap, props, &theirs, &records);
    assert_eq!(
        consume(client, &theirs, 3).await,
        records.into_iter().collect::<BTreeSet<_>>(),
        "we read what kcat produced over TLS"
    );
}

#[tokio::test]
async fn flow_over_ssl_and_kcat_on_the_same_listener() {
    let client = ssl();
    let topic = produce_and_consume(&client, "tls-ssl", 20).await;
    let ca = env("FERROKAFKA_SSL_CA");
    let props = [
        ("security.protocol", "SSL"),
        ("ssl.ca.location", ca.as_str()),
    ];
    kcat_both_ways(
        &client,
        &env("FERROKAFKA_SSL_BOOTSTRAP"),
        &props,
        &topic,
        20,
    )
    .await;
}

#[tokio::test]
async fn flow_over_mtls_and_kcat_on_the_same_listener() {
    let client = mtls();
    let topic = produce_and_consume(&client, "tls-mtls", 20).await;
    let (ca, cert, key) = (
        env("FERROKAFKA_SSL_CA"),
        env("FERROKAFKA_SSL_CLIENT_CERT"),
        env("FERROKAFKA_SSL_CLIENT_KEY"),
    );
    let props = [
        ("security.protocol", "SSL"),
        ("ssl.ca.location", ca.as_str()),
        ("ssl.certificate.location", cert.as_str()),
        ("ssl.key.location", key.as_str()),
    ];
    kcat_both_ways(
        &client,
        &env("FERROKAFKA_MTLS_BOOTSTRAP"),
        &props,
        &topic,
        20,
    )
    .await;
}

#[tokio::test]
async fn flow_over_mtls_with_an_encrypted_key() {
    let (ca, cert, key, password) = (
        env("FERROKAFKA_SSL_CA"),
        env("FERROKAFKA_SSL_CLIENT_CERT"),
        env("FERROKAFKA_SSL_CLIENT_KEY_ENCRYPTED"),
        env("FERROKAFKA_SSL_CLIENT_KEY_PASSWORD"),
    );
    let client = config(
        &env("FERROKAFKA_MTLS_BOOTSTRAP"),
        &[
            ("security.protocol", "SSL"),
            ("ssl.ca.location", &ca),
            ("ssl.certificate.location", &cert),
            ("ssl.key.location", &key),
            ("ssl.key.password", &password),
        ],
    );
    produce_and_consume(&client, "tls-mtls-enc", 5).await;
}

#[tokio::test]
async fn flow_over_sasl_ssl_plain_and_kcat_on_the_same_listener() {
    let client = sasl_ssl("PLAIN");
    let topic = produce_and_consume(&client, "tls-sasl-plain", 20).await;
    let (user, password) = sasl_user();
    let ca = env("FERROKAFKA_SSL_CA");
    let props = [
        ("security.protocol", "SASL_SSL"),
        ("ssl.ca.location", ca.as_str()),
        ("sasl.mechanism", "PLAIN"),
        ("sasl.username", user.as_str()),
        ("sasl.password", password.as_str()),
    ];
    kcat_both_ways(
        &client,
        &env("FERROKAFKA_SASL_SSL_BOOTSTRAP"),
        &props,
        &topic,
        20,
    )
    .await;
}

#[tokio::test]
async fn flow_over_sasl_ssl_scram_sha_256() {
    produce_and_consume(&sasl_ssl("SCRAM-SHA-256"), "tls-scram256", 20).await;
}

#[tokio::test]
async fn flow_over_sasl_ssl_scram_sha_512() {
    produce_and_consume(&sasl_ssl("SCRAM-SHA-512"), "tls-scram512", 20).await;
}

#[tokio::test]
async fn the_ca_from_a_directory_or_as_pem_text() {
    let ca = env("FERROKAFKA_SSL_CA");
    let dir = std::path::Path::new(&ca)
        .parent()
        .expect("the CA file has a directory")
        .display()
        .to_string();
    let bootstrap = env("FERROKAFKA_SSL_BOOTSTRAP");
    // A directory of PEM files (keys and requests beside them are skipped).
    let from_dir = config(
        &bootstrap,
        &[("security.protocol", "SSL"), ("ssl.ca.location", &dir)],
    );
    produce_and_consume(&from_dir, "tls-ca-dir", 3).await;
    // The same CA as PEM text.
    let pem = std::fs::read_to_string(&ca).expect("CA file");
    let from_pem = config(
        &bootstrap,
        &[("security.protocol", "SSL"), ("ssl.ca.pem", &pem)],
    );
    produce_and_consume(&from_pem, "tls-ca-pem", 3).await;
}
