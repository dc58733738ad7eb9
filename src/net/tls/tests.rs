use super::*;
use crate::config::{ClientConfig, ConfigError};

#[test]
fn host_of_strips_the_port_and_ipv6_brackets() {
    assert_eq!(host_of("broker-1.example:9093"), "broker-1.example");
    assert_eq!(host_of("127.0.0.1:9093"), "127.0.0.1");
    assert_eq!(host_of("[::1]:9093"), "::1");
}

#[test]
fn this_machine_can_run_the_provider() {
    // The machines the project builds on can; on others `provider` must
    // refuse with a typed error rather than stop the process.
    match provider() {
        Ok(_) => assert!(cpu_supported()),
        Err(e) => assert!(e.to_string().contains("not available on this CPU"), "{e}"),
    }
}

fn ssl_config(properties: &[(&str, &str)]) -> ClientConfig {
    let mut c = ClientConfig::new()
        .set("security.protocol", "ssl")
        .expect("valid");
    for (name, value) in properties {
        c = c.set(name, value).expect("valid property");
    }
    c
}

fn refused(properties: &[(&str, &str)]) -> ConfigError {
    match TlsConnector::from_config(&ssl_config(properties)) {
        Ok(_) => panic!("{properties:?} accepted"),
        Err(e) => e,
    }
}

#[test]
fn unreadable_or_empty_files_name_their_property() {
    let missing = "/nonexistent/ferrokafka/ca.pem";
    match refused(&[("ssl.ca.location", missing)]) {
        ConfigError::InvalidValue { name, value, .. } => {
            assert_eq!(name, "ssl.ca.location");
            assert_eq!(value, missing);
        }
        other => panic!("{other:?}"),
    }
    // A file with no certificate in it.
    let dir = std::env::temp_dir().join(format!("ferrokafka-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "no PEM here\n").expect("write");
    let empty = empty.display().to_string();
    match refused(&[("ssl.ca.location", &empty)]) {
        ConfigError::InvalidValue { name, reason, .. } => {
            assert_eq!(name, "ssl.ca.location");
            assert!(reason.contains("no PEM certificate"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    match refused(&[
        ("enable.ssl.certificate.verification", "false"),
        ("ssl.key.location", &empty),
    ]) {
        ConfigError::InvalidValue { name, .. } => assert_eq!(name, "ssl.key.location"),
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_certificate_without_its_key_is_a_conflict() {
    let pem = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
    match refused(&[
        ("enable.ssl.certificate.verification", "false"),
        ("ssl.certificate.pem", pem),
    ]) {
        ConfigError::Conflict(reason) => assert!(reason.contains("ssl.key"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

fn testdata(file: &str) -> String {
    format!("{}/src/net/tls/testdata/{file}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn pkcs12_key_and_trust_stores_are_read() {
    // openssl's and keytool's key stores, keytool's trust store.
    for store in ["openssl.p12", "keytool.p12"] {
        TlsConnector::from_config(&ssl_config(&[
            ("ssl.truststore.location", &testdata("trust.p12")),
            ("ssl.truststore.password", "trust-pass"),
            ("ssl.keystore.location", &testdata(store)),
            ("ssl.keystore.password", "store-pass"),
        ]))
        .unwrap_or_else(|e| panic!("{store}: {e}"));
    }
}

#[test]
fn pkcs12_refusals_name_their_property() {
    let wrong = refused(&[
        ("ssl.ca.location", &testdata("ca.pem")),
        ("ssl.keystore.location", &testdata("openssl.p12")),
        ("ssl.keystore.password", "wrong"),
    ]);
    match wrong {
        ConfigError::InvalidValue {
            name,
            value,
            reason,
        } => {
            assert_eq!(name, "ssl.keystore.password");
            assert_eq!(value, "(hidden)");
            assert!(reason.contains("wrong password"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    match refused(&[
        ("ssl.truststore.location", &testdata("trust.p12")),
        ("ssl.truststore.password", "wrong"),
    ]) {
        ConfigError::InvalidValue { name, .. } => assert_eq!(name, "ssl.truststore.password"),
        other => panic!("{other:?}"),
    }
    match refused(&[
        ("ssl.ca.location", &testdata("ca.pem")),
        ("ssl.keystore.location", &testdata("legacy.p12")),
        ("ssl.keystore.password", "store-pass"),
    ]) {
        ConfigError::InvalidValue { name, reason, .. } => {
            assert_eq!(name, "ssl.keystore.location");
            assert!(reason.contains("legacy"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Not a store at all.
    match refused(&[("ssl.truststore.location", &testdata("ca.pem"))]) {
        ConfigError::InvalidValue { name, reason, .. } => {
            assert_eq!(name, "ssl.truststore.location");
            assert!(reason.contains("not a PKCS#12 store"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // A key store and PEM files for the same thing.
    match refused(&[
        ("ssl.ca.location", &testdata("ca.pem")),
        ("ssl.keystore.location", &testdata("openssl.p12")),
        ("ssl.keystore.password", "store-pass"),
        ("ssl.certificate.location", &testdata("client.pem")),
    ]) {
        ConfigError::Conflict(reason) => assert!(reason.contains("ssl.keystore.location")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_application_rustls_config_is_used_as_is() {
    let own = Arc::new(
        rustls::ClientConfig::builder_with_provider(provider().expect("provider"))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth(),
    );
    let c = ssl_config(&[("ssl.ca.location", "/nonexistent")]).tls_config(own.clone());
    let connector = TlsConnector::from_config(&c).expect("the ssl.* files are not read");
    assert!(Arc::ptr_eq(&connector.config, &own));
}
