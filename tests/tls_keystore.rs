//! PKCS#12 stores (`ssl.keystore.*`, `ssl.truststore.*`) on the mTLS
//! listener of the single broker: the client certificate and key from a
//! key store written by openssl and from one written by Java's keytool,
//! the CA from a keytool trust store (all made by scripts/kafka.sh), and
//! kcat (librdkafka) using the same openssl store on the same listener.

mod tls_util;

use std::collections::BTreeSet;

use ferrokafka::config::ConfigError;
use ferrokafka::error::Error;
use tls_util::*;

fn keystore_props<'a>(store: &'a str, password: &'a str, ca: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("security.protocol", "SSL"),
        ("ssl.ca.location", ca),
        ("ssl.keystore.location", store),
        ("ssl.keystore.password", password),
    ]
}

#[tokio::test]
async fn flow_over_mtls_with_an_openssl_key_store_and_kcat_with_the_same_store() {
    let (store, password, ca) = (
        env("FERROKAFKA_SSL_KEYSTORE"),
        env("FERROKAFKA_SSL_STORE_PASSWORD"),
        env("FERROKAFKA_SSL_CA"),
    );
    let bootstrap = env("FERROKAFKA_MTLS_BOOTSTRAP");
    let props = keystore_props(&store, &password, &ca);
    let client = config(&bootstrap, &props);
    let topic = produce_and_consume(&client, "tls-p12-openssl", 10).await;
    let read = kcat_consume(&bootstrap, &props, &topic);
    let expected: BTreeSet<(String, String)> = (0..10)
        .map(|i| (format!("k{i}"), format!("tls value {i}")))
        .collect();
    assert_eq!(read, expected, "kcat with the same key store reads it");
}

#[tokio::test]
async fn flow_over_mtls_with_a_keytool_key_store_and_trust_store() {
    let (store, truststore, password) = (
        env("FERROKAFKA_SSL_KEYSTORE_KEYTOOL"),
        env("FERROKAFKA_SSL_TRUSTSTORE"),
        env("FERROKAFKA_SSL_STORE_PASSWORD"),
    );
    let client = config(
        &env("FERROKAFKA_MTLS_BOOTSTRAP"),
        &[
            ("security.protocol", "SSL"),
            ("ssl.truststore.location", &truststore),
            ("ssl.truststore.password", &password),
            ("ssl.keystore.location", &store),
            ("ssl.keystore.password", &password),
        ],
    );
    produce_and_consume(&client, "tls-p12-keytool", 10).await;
}

#[tokio::test]
async fn a_wrong_key_store_password_is_a_config_error_naming_the_property() {
    let (store, ca) = (env("FERROKAFKA_SSL_KEYSTORE"), env("FERROKAFKA_SSL_CA"));
    let client = config(
        &env("FERROKAFKA_MTLS_BOOTSTRAP"),
        &keystore_props(&store, "not-the-password", &ca),
    );
    match ferrokafka::admin::Admin::new(client) {
        Err(Error::Config(ConfigError::InvalidValue {
            name,
            value,
            reason,
        })) => {
            assert_eq!(name, "ssl.keystore.password");
            assert!(
                !value.contains("not-the-password"),
                "the password is not shown"
            );
            assert!(reason.contains("wrong password"), "{reason}");
        }
        other => panic!("expected a config error on ssl.keystore.password, got {other:?}"),
    }
}
