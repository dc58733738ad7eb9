//! Re-authentication (KIP-368) over the SASL_SSL listener, whose sessions
//! last 10 s (`connections.max.reauth.ms=10000`): a 40-second produce and
//! consume stream with SCRAM-SHA-512 and with OAUTHBEARER, every record
//! delivered and read exactly once, in order, with no error, and the
//! producer's connection re-authenticated at least three times (the same
//! connection: a broker that closed it would have made a new one, with
//! its count at zero).

mod tls_util;

use std::time::{Duration, Instant};

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::Consumer;
use ferrokafka::producer::{Producer, ProducerRecord};
use tls_util::*;

async fn stream_for_40_seconds(client: ClientConfig, prefix: &str) {
    let topic = unique(prefix);
    let admin = ferrokafka::admin::Admin::new(client.clone()).expect("admin");
    admin
        .create_topic(ferrokafka::admin::NewTopic::new(&topic, 1, 1))
        .await
        .expect("topic over SASL_SSL");

    let mut consumer = Consumer::new(
        client
            .clone()
            .set("group.id", &unique("tls-reauth-group"))
            .and_then(|c| c.set("auto.offset.reset", "earliest"))
            .and_then(|c| c.set("session.timeout.ms", "10000"))
            .and_then(|c| c.set("heartbeat.interval.ms", "1000"))
            .and_then(|c| c.set("fetch.wait.max.ms", "200"))
            .expect("consumer properties"),
    )
    .expect("consumer");
    consumer.subscribe(&[&topic]).expect("subscribe");
    let reader = tokio::spawn(async move {
        let mut values = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            assert!(Instant::now() < deadline, "the stream did not end");
            match consumer.poll(Duration::from_millis(500)).await {
                None => {}
                Some(Ok(m)) => {
                    let v = String::from_utf8_lossy(m.value().unwrap_or_default()).into_owned();
                    let done = v == "end";
                    values.push(v);
                    if done {
                        break;
                    }
                }
                Some(Err(e)) if e.is_partition_eof() => {}
                Some(Err(e)) => panic!("consumer error during re-authentication: {e}"),
            }
        }
        consumer.close().await.expect("close");
        values
    });

    let producer = Producer::new(client).expect("producer");
    let started = Instant::now();
    let mut deliveries = Vec::new();
    let mut sent = Vec::new();
    while started.elapsed() < Duration::from_secs(40) {
        let v = format!("r{}", sent.len());
        deliveries.push(
            producer
                .send(ProducerRecord::new(&topic).value(v.clone()))
                .await
                .expect("queued"),
        );
        sent.push(v);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    deliveries.push(
        producer
            .send(ProducerRecord::new(&topic).value("end"))
            .await
            .expect("queued"),
    );
    sent.push("end".into());
    for d in deliveries {
        d.await.expect("delivered despite re-authentication");
    }
    let conn = producer.cluster().broker(1).await.expect("broker 1");
    let reauths = conn.reauthentications();
    let read = reader.await.expect("reader");
    assert_eq!(read, sent, "every record read once, in order");
    assert!(
        reauths >= 3,
        "{reauths} re-authentications in 40 s of 10-s sessions"
    );
}

#[tokio::test]
async fn scram_sessions_are_renewed_during_a_40_second_stream() {
    stream_for_40_seconds(sasl_ssl("SCRAM-SHA-512"), "tls-reauth-scram").await;
}

#[tokio::test]
async fn oauthbearer_sessions_are_renewed_during_a_40_second_stream() {
    let ca = env("FERROKAFKA_SSL_CA");
    let client = config(
        &env("FERROKAFKA_SASL_SSL_BOOTSTRAP"),
        &[
            ("security.protocol", "SASL_SSL"),
            ("ssl.ca.location", &ca),
            ("sasl.mechanism", "OAUTHBEARER"),
            ("enable.sasl.oauthbearer.unsecure.jwt", "true"),
            (
                "sasl.oauthbearer.config",
                "principal=ferro-reauth lifeSeconds=3600",
            ),
        ],
    );
    stream_for_40_seconds(client, "tls-reauth-oauth").await;
}

#[tokio::test]
async fn oidc_tokens_are_refreshed_and_sessions_renewed_during_a_40_second_stream() {
    // The OIDC listener's tokens live 8 s: the stream needs new ones from
    // the endpoint (fetched at 80% of a token's life) for each renewal.
    let issued = || -> u64 {
        std::fs::read_to_string(env("FERROKAFKA_OIDC_TOKENS_ISSUED"))
            .map(|s| s.trim().parse().unwrap_or(0))
            .unwrap_or(0)
    };
    let before = issued();
    let ca = env("FERROKAFKA_SSL_CA");
    let client = config(
        &env("FERROKAFKA_OIDC_BOOTSTRAP"),
        &[
            ("security.protocol", "SASL_SSL"),
            ("ssl.ca.location", &ca),
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.oauthbearer.method", "oidc"),
            (
                "sasl.oauthbearer.client.id",
                &env("FERROKAFKA_OIDC_CLIENT_ID"),
            ),
            (
                "sasl.oauthbearer.client.secret",
                &env("FERROKAFKA_OIDC_CLIENT_SECRET"),
            ),
            (
                "sasl.oauthbearer.token.endpoint.url",
                &env("FERROKAFKA_OIDC_TOKEN_URL"),
            ),
            ("https.ca.location", &ca),
        ],
    );
    stream_for_40_seconds(client, "tls-reauth-oidc").await;
    let fetched = issued() - before;
    // Producer, consumer and admin share nothing, so each client fetches
    // its own: at least 40 s / 8 s for one of them.
    assert!(
        fetched >= 5,
        "{fetched} tokens fetched in 40 s of 8-s tokens"
    );
}
