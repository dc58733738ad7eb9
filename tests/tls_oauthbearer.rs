//! SASL/OAUTHBEARER over the SASL_SSL listener, whose validator is
//! Kafka's unsecured-JWT one: the flow with librdkafka-style
//! `sasl.oauthbearer.config`, the flow with an application token provider
//! (asked once per fresh token, not once per connection), and a token the
//! broker refuses, which is an authentication error naming the reason.

mod tls_util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferrokafka::config::ClientConfig;
use ferrokafka::config::{OAuthBearerToken, TokenProvider};
use ferrokafka::error::Error;
use tls_util::*;

fn over_sasl_ssl(extra: &[(&str, &str)]) -> ClientConfig {
    let ca = env("FERROKAFKA_SSL_CA");
    let mut props = vec![
        ("security.protocol", "SASL_SSL"),
        ("ssl.ca.location", ca.as_str()),
        ("sasl.mechanism", "OAUTHBEARER"),
    ];
    props.extend_from_slice(extra);
    config(&env("FERROKAFKA_SASL_SSL_BOOTSTRAP"), &props)
}

#[tokio::test]
async fn flow_with_unsecured_jwt_from_sasl_oauthbearer_config() {
    let client = over_sasl_ssl(&[
        ("enable.sasl.oauthbearer.unsecure.jwt", "true"),
        (
            "sasl.oauthbearer.config",
            "principal=ferro-oauth lifeSeconds=600 scope=kafka",
        ),
    ]);
    produce_and_consume(&client, "tls-oauth-unsecured", 10).await;
}

/// An unsecured JWT made by the test itself, as an identity provider
/// would hand one out.
fn jwt(principal: &str, life: Duration) -> String {
    fn b64url(data: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let claims = serde_json::json!({"sub": principal, "iat": now, "exp": now + life.as_secs()});
    format!(
        "{}.{}.",
        b64url(br#"{"alg":"none"}"#),
        b64url(claims.to_string().as_bytes())
    )
}

#[tokio::test]
async fn flow_with_an_application_token_provider() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let provider = TokenProvider::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async move {
            Ok(OAuthBearerToken {
                token: jwt("ferro-app", Duration::from_secs(600)),
                lifetime: Duration::from_secs(600),
                principal: "ferro-app".into(),
                extensions: vec![("traceId".into(), "abc".into())],
            })
        }
    });
    let client = over_sasl_ssl(&[]).oauthbearer_token_provider(provider);
    produce_and_consume(&client, "tls-oauth-provider", 10).await;
    // Admin, producer and consumer each connect (several times): one
    // token served them all while it was fresh.
    assert_eq!(calls.load(Ordering::SeqCst), 1, "token fetched once");
}

#[tokio::test]
async fn an_expired_token_is_refused_with_the_brokers_reason() {
    let provider = TokenProvider::new(|| async {
        Ok(OAuthBearerToken {
            token: jwt("ferro-late", Duration::ZERO),
            lifetime: Duration::from_secs(600),
            principal: "ferro-late".into(),
            extensions: Vec::new(),
        })
    });
    // exp == iat: expired by the time the broker looks.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let client = over_sasl_ssl(&[]).oauthbearer_token_provider(provider);
    let admin = ferrokafka::admin::Admin::new(client).expect("admin");
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        admin.create_topic(ferrokafka::admin::NewTopic::new(
            unique("tls-oauth-refused"),
            1,
            1,
        )),
    )
    .await
    .expect("no hang");
    match result {
        Err(Error::Authentication { reason, .. }) => {
            assert!(
                reason.contains("OAUTHBEARER token refused") && reason.contains("invalid_token"),
                "{reason}"
            )
        }
        other => panic!("expected an authentication error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_failing_provider_is_an_authentication_error() {
    let provider = TokenProvider::new(|| async { Err("identity provider down".to_owned()) });
    let client = over_sasl_ssl(&[]).oauthbearer_token_provider(provider);
    let admin = ferrokafka::admin::Admin::new(client).expect("admin");
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        admin.create_topic(ferrokafka::admin::NewTopic::new(
            unique("tls-oauth-down"),
            1,
            1,
        )),
    )
    .await
    .expect("no hang");
    match result {
        Err(Error::Authentication { reason, .. }) => {
            assert!(reason.contains("identity provider down"), "{reason}")
        }
        other => panic!("expected an authentication error, got {other:?}"),
    }
}

#[test]
fn oauthbearer_without_a_token_source_is_a_config_error() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let _guard = rt.enter();
    let client = ClientConfig::from_properties([
        ("bootstrap.servers", "127.0.0.1:1"),
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "OAUTHBEARER"),
        ("sasl.oauthbearer.config", "principal=x"),
    ])
    .expect("valid properties");
    match ferrokafka::admin::Admin::new(client) {
        Err(Error::Config(e)) => assert!(e.to_string().contains("unsecure.jwt"), "{e}"),
        other => panic!("expected a config error, got {other:?}"),
    }
}
