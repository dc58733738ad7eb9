//! SASL/OAUTHBEARER with `sasl.oauthbearer.method=oidc` over the OIDC
//! listener of the single broker (scripts/kafka.sh): tokens come from a
//! local token endpoint (scripts/oidc-endpoint.py, client-credentials
//! grant over HTTPS with the test CA) and the broker checks their RS256
//! signature against that endpoint's JWKS (Kafka's
//! OAuthBearerValidatorCallbackHandler). The flow, and the refusals: an
//! endpoint that is down, a wrong client secret, and a token signed with a
//! key the broker does not know. (Token refresh and re-authentication over
//! this listener: tests/tls_reauth.rs.)

mod tls_util;

use std::time::{Duration, Instant};

use ferrokafka::config::ClientConfig;
use ferrokafka::error::Error;
use tls_util::*;

/// A client of the OIDC listener as `client_id` with `secret`, fetching
/// tokens from `token_url`.
pub fn oidc(client_id: &str, secret: &str, token_url: &str) -> ClientConfig {
    let ca = env("FERROKAFKA_SSL_CA");
    config(
        &env("FERROKAFKA_OIDC_BOOTSTRAP"),
        &[
            ("security.protocol", "SASL_SSL"),
            ("ssl.ca.location", &ca),
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.oauthbearer.method", "oidc"),
            ("sasl.oauthbearer.client.id", client_id),
            ("sasl.oauthbearer.client.secret", secret),
            ("sasl.oauthbearer.scope", "kafka"),
            ("sasl.oauthbearer.token.endpoint.url", token_url),
            ("https.ca.location", &ca),
        ],
    )
}

fn known_client() -> ClientConfig {
    oidc(
        &env("FERROKAFKA_OIDC_CLIENT_ID"),
        &env("FERROKAFKA_OIDC_CLIENT_SECRET"),
        &env("FERROKAFKA_OIDC_TOKEN_URL"),
    )
}

#[tokio::test]
async fn flow_with_oidc_tokens_checked_against_the_jwks() {
    produce_and_consume(&known_client(), "tls-oidc", 20).await;
}

/// The authentication error asking `client` for a topic ends in, within
/// 20 s.
async fn authentication_refusal(client: ClientConfig) -> String {
    let started = Instant::now();
    let admin = ferrokafka::admin::Admin::new(client).expect("admin client");
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        admin.create_topic(ferrokafka::admin::NewTopic::new(
            unique("tls-oidc-refused"),
            1,
            1,
        )),
    )
    .await
    .expect("refused within 20 s, not hanging");
    match result {
        Err(Error::Authentication { reason, .. }) => {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{:?}",
                started.elapsed()
            );
            reason
        }
        other => panic!("expected an authentication error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_oidc_endpoint_that_is_down_is_an_authentication_error() {
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("https://{}/token", closed.local_addr().expect("addr"));
    drop(closed);
    let reason = authentication_refusal(oidc(
        &env("FERROKAFKA_OIDC_CLIENT_ID"),
        &env("FERROKAFKA_OIDC_CLIENT_SECRET"),
        &url,
    ))
    .await;
    assert!(
        reason.contains("OIDC token endpoint") && reason.contains(&url),
        "{reason}"
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_authentication_error_with_the_endpoints_answer() {
    let reason = authentication_refusal(oidc(
        &env("FERROKAFKA_OIDC_CLIENT_ID"),
        "not-the-secret",
        &env("FERROKAFKA_OIDC_TOKEN_URL"),
    ))
    .await;
    assert!(
        reason.contains("401") && reason.contains("invalid_client"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_token_the_broker_cannot_verify_is_refused() {
    // The endpoint signs this client's tokens with a key not in its JWKS.
    let reason = authentication_refusal(oidc(
        &env("FERROKAFKA_OIDC_BAD_CLIENT_ID"),
        &env("FERROKAFKA_OIDC_CLIENT_SECRET"),
        &env("FERROKAFKA_OIDC_TOKEN_URL"),
    ))
    .await;
    assert!(reason.contains("OAUTHBEARER token refused"), "{reason}");
}
