use super::*;

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn jwt(claims: serde_json::Value) -> String {
    format!(
        "{}.{}.sig",
        base64(br#"{"alg":"RS256"}"#, URL_SAFE).trim_end_matches('='),
        base64(claims.to_string().as_bytes(), URL_SAFE).trim_end_matches('=')
    )
}

#[test]
fn lifetime_and_principal_come_from_the_jwt_else_expires_in() {
    let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
    let token = jwt(serde_json::json!({"sub": "svc-a", "exp": 1_000_300}));
    let body = serde_json::json!({"access_token": token, "expires_in": 9999}).to_string();
    let fetched = parse_token_response(200, body.as_bytes(), now).expect("token");
    assert_eq!(fetched.lifetime, Duration::from_secs(300), "exp wins");
    assert_eq!(fetched.principal.as_deref(), Some("svc-a"));
    assert_eq!(fetched.token, token);

    let body = br#"{"access_token":"opaque","token_type":"bearer","expires_in":60}"#;
    let fetched = parse_token_response(200, body, now).expect("token");
    assert_eq!(fetched.lifetime, Duration::from_secs(60));
    assert_eq!(fetched.principal, None);
}

#[test]
fn bad_token_responses_say_why() {
    let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
    let expired = jwt(serde_json::json!({"sub": "a", "exp": 999_999}));
    for (status, body, expect) in [
        (
            401,
            r#"{"error":"invalid_client","error_description":"bad secret"}"#.to_owned(),
            "invalid_client bad secret",
        ),
        (200, "<html>".to_owned(), "not JSON"),
        (
            200,
            r#"{"token_type":"bearer"}"#.to_owned(),
            "no access_token",
        ),
        (
            200,
            r#"{"access_token":"x"}"#.to_owned(),
            "nothing of its lifetime",
        ),
        (
            200,
            serde_json::json!({ "access_token": expired }).to_string(),
            "already expired",
        ),
    ] {
        let err = parse_token_response(status, body.as_bytes(), now).unwrap_err();
        assert!(err.contains(expect), "{err}");
    }
}

#[test]
fn base64_both_ways() {
    assert_eq!(base64(b"app:secret", STANDARD), "YXBwOnNlY3JldA==");
    assert_eq!(base64(b"\xfb\xff", STANDARD), "+/8=");
    assert_eq!(base64url_decode("-_8").expect("valid"), b"\xfb\xff");
    assert_eq!(
        base64url_decode("YXBwOnNlY3JldA==").expect("valid"),
        b"app:secret"
    );
    assert_eq!(base64url_decode("a+b"), None);
}

fn oidc_config(url: &str, timeout_ms: u64) -> ClientConfig {
    ClientConfig::from_properties([
        ("sasl.oauthbearer.method", "oidc"),
        ("sasl.oauthbearer.client.id", "app"),
        ("sasl.oauthbearer.client.secret", "s3cret&"),
        ("sasl.oauthbearer.scope", "kafka read"),
        ("sasl.oauthbearer.token.endpoint.url", url),
        ("sasl.oauthbearer.extensions", "pool=p1"),
        ("request.timeout.ms", &timeout_ms.to_string()),
    ])
    .expect("valid")
}

/// A plain-HTTP token endpoint on 127.0.0.1 answering each request with
/// a new opaque token `t1`, `t2`, ... living `lifetime_secs`; returns its
/// URL, the request count and the last request.
async fn endpoint(lifetime_secs: f64) -> (String, Arc<AtomicUsize>, Arc<std::sync::Mutex<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!(
        "http://{}/oauth/token",
        listener.local_addr().expect("addr")
    );
    let count = Arc::new(AtomicUsize::new(0));
    let last = Arc::new(std::sync::Mutex::new(String::new()));
    let (c, l) = (count.clone(), last.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // The request is small; read until its body is in.
            while !String::from_utf8_lossy(&request).contains("grant_type") {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let n = c.fetch_add(1, Ordering::SeqCst) + 1;
            *l.lock().expect("lock") = String::from_utf8_lossy(&request).into_owned();
            let body = format!(
                r#"{{"access_token":"t{n}","token_type":"bearer","expires_in":{lifetime_secs}}}"#
            );
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    (url, count, last)
}

#[tokio::test]
async fn tokens_are_fetched_with_client_credentials_and_refreshed_before_expiry() {
    let (url, count, last) = endpoint(1.0).await;
    let provider = token_provider(&oidc_config(&url, 5000)).expect("provider");
    let first = provider.token().await.expect("token");
    assert_eq!(first.token, "t1");
    assert_eq!(first.principal, "app", "no JWT: the client id");
    assert_eq!(first.extensions, vec![("pool".to_owned(), "p1".to_owned())]);
    let request = last.lock().expect("lock").clone();
    assert!(
        request.starts_with("POST /oauth/token HTTP/1.1\r\n"),
        "{request}"
    );
    // Basic base64("app:s3cret%26"): id and secret form-escaped first.
    assert!(
        request.contains(&format!(
            "Authorization: Basic {}\r\n",
            base64(b"app:s3cret%26", STANDARD)
        )),
        "{request}"
    );
    assert!(
        request.ends_with("\r\n\r\ngrant_type=client_credentials&scope=kafka+read"),
        "{request}"
    );
    // Fresh: cached.
    assert_eq!(provider.token().await.expect("token").token, "t1");
    assert_eq!(count.load(Ordering::SeqCst), 1);
    // Past 80% of its second: fetched again before it expires.
    tokio::time::sleep(Duration::from_millis(850)).await;
    assert_eq!(provider.token().await.expect("token").token, "t2");
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_endpoint_that_is_down_or_silent_fails_within_the_timeout() {
    // Down: a port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = closed.local_addr().expect("addr");
    drop(closed);
    let provider =
        token_provider(&oidc_config(&format!("http://{addr}/token"), 2000)).expect("provider");
    let err = provider.token().await.unwrap_err();
    assert!(
        err.contains("OIDC token endpoint") && err.contains("connecting"),
        "{err}"
    );

    // Silent: accepts and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = silent.local_addr().expect("addr");
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let provider =
        token_provider(&oidc_config(&format!("http://{addr}/token"), 300)).expect("provider");
    let started = std::time::Instant::now();
    let err = provider.token().await.unwrap_err();
    assert!(err.contains("no answer"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    hold.abort();
}

#[test]
fn missing_settings_are_config_errors() {
    let c = ClientConfig::from_properties([
        ("sasl.oauthbearer.method", "oidc"),
        ("sasl.oauthbearer.client.id", "app"),
        ("sasl.oauthbearer.client.secret", "s"),
    ])
    .expect("valid");
    match token_provider(&c) {
        Err(ConfigError::Conflict(reason)) => {
            assert!(
                reason.contains("sasl.oauthbearer.token.endpoint.url"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
    let c = oidc_config("https://127.0.0.1:1/t", 1000)
        .set("https.ca.location", "/nonexistent/ca.pem")
        .expect("valid");
    match token_provider(&c) {
        Err(ConfigError::InvalidValue { name, .. }) => assert_eq!(name, "https.ca.location"),
        other => panic!("{other:?}"),
    }
}
