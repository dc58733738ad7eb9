//! SASL/OAUTHBEARER with `sasl.oauthbearer.method=oidc` over the OIDC
//! listener of the single broker (scripts/kafka.sh): tokens come from a
//! local token endpoint (scripts/oidc-endpoint.py, client-credentials
//! grant over HTTPS with the test CA) and the broker checks their RS256
//! signature against that endpoint's JWKS (Kafka's
//! OAuthBearerValidatorCallbackHandler). The flow, and the refusals: an
//! endpoint that is down, a wrong client secret, and a token signed with a
//! key the broker does not know. (Token refresh and re-authentication over
//! this listener: tests/tls_reauth.rs.) librdkafka on the same listener
//! reads what we produced and we read what it produced: through Python's
//! confluent-kafka, because Debian's kcat is built without libcurl and
//! refuses `sasl.oauthbearer.method=oidc`.

mod tls_util;

use std::collections::BTreeSet;
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

/// librdkafka's properties for the OIDC listener: its own token fetch
/// (libcurl) from the same endpoint, trusting the test CA.
fn librdkafka_oidc_props() -> serde_json::Value {
    let ca = env("FERROKAFKA_SSL_CA");
    serde_json::json!({
        "bootstrap.servers": env("FERROKAFKA_OIDC_BOOTSTRAP"),
        "security.protocol": "SASL_SSL",
        "ssl.ca.location": ca,
        "sasl.mechanism": "OAUTHBEARER",
        "sasl.oauthbearer.method": "oidc",
        "sasl.oauthbearer.client.id": env("FERROKAFKA_OIDC_CLIENT_ID"),
        "sasl.oauthbearer.client.secret": env("FERROKAFKA_OIDC_CLIENT_SECRET"),
        "sasl.oauthbearer.scope": "kafka",
        "sasl.oauthbearer.token.endpoint.url": env("FERROKAFKA_OIDC_TOKEN_URL"),
        "https.ca.location": ca,
    })
}

/// confluent-kafka (librdkafka): `read <topic> <n>` prints `n` records of
/// a new group as `key<TAB>value` lines; `write <topic>` produces the
/// `key<TAB>value` lines of stdin. Properties as JSON in argv[1].
const LIBRDKAFKA: &str = r#"
import json, sys, time
from confluent_kafka import Consumer, Producer
conf, mode, topic = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
if mode == "read":
    n = int(sys.argv[4])
    c = Consumer(dict(conf, **{"group.id": topic + "-librdkafka", "auto.offset.reset": "earliest"}))
    c.subscribe([topic])
    deadline, seen = time.time() + 60, 0
    while seen < n:
        if time.time() > deadline:
            sys.exit("only %d of %d records in 60 s" % (seen, n))
        m = c.poll(1)
        if m is None:
            continue
        if m.error():
            sys.exit(str(m.error()))
        print("%s\t%s" % (m.key().decode(), m.value().decode()))
        seen += 1
    c.close()
else:
    p = Producer(conf)
    errors = []
    def report(err, _msg):
        if err is not None:
            errors.append(str(err))
    for line in sys.stdin.read().splitlines():
        k, v = line.split("\t", 1)
        p.produce(topic, key=k, value=v, on_delivery=report)
    if p.flush(60) != 0 or errors:
        sys.exit("not delivered: %s" % errors)
"#;

/// Runs [`LIBRDKAFKA`] with `args`, `stdin` on its standard input; its
/// standard output as `(key, value)` pairs.
fn librdkafka(args: &[&str], stdin: &str) -> BTreeSet<(String, String)> {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .arg("-c")
        .arg(LIBRDKAFKA)
        .arg(librdkafka_oidc_props().to_string())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write to python3");
    let out = child.wait_with_output().expect("python3 ends");
    assert!(
        out.status.success(),
        "confluent-kafka over the OIDC listener failed (scripts/test.sh installs the package): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[tokio::test]
async fn flow_with_oidc_tokens_checked_against_the_jwks_and_librdkafka_both_ways() {
    let client = known_client();
    let topic = produce_and_consume(&client, "tls-oidc", 20).await;

    let expected: BTreeSet<(String, String)> = (0..20)
        .map(|i| (format!("k{i}"), format!("tls value {i}")))
        .collect();
    assert_eq!(
        librdkafka(&["read", &topic, "20"], ""),
        expected,
        "librdkafka reads what we produced over the OIDC listener"
    );

    let theirs = unique("tls-oidc-librdkafka");
    let admin = ferrokafka::admin::Admin::new(client.clone()).expect("admin");
    admin
        .create_topic(ferrokafka::admin::NewTopic::new(&theirs, 1, 1))
        .await
        .expect("topic over the OIDC listener");
    let records: BTreeSet<(String, String)> = (0..3)
        .map(|i| (format!("rd{i}"), format!("from librdkafka {i}")))
        .collect();
    let lines: String = records.iter().map(|(k, v)| format!("{k}\t{v}\n")).collect();
    librdkafka(&["write", &theirs], &lines);
    assert_eq!(
        consume(&client, &theirs, 3).await,
        records,
        "we read what librdkafka produced over the OIDC listener"
    );
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
