//! The connection against a scripted broker on 127.0.0.1: the handshake,
//! pipelining, out-of-order responses, timeouts and a broker going away.

use super::*;
use bytes::{BufMut, BytesMut};
use ferrokafka_protocol::messages::api_versions::ApiVersion;
use ferrokafka_protocol::{Encode, RequestHeader};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the scripted broker does with each request after the handshake.
#[derive(Clone, Copy)]
enum Script {
    /// Answer every request at once.
    Echo,
    /// Hold the requests and answer them all, newest first, once `n` came.
    Reverse(usize),
    /// Never answer.
    Silent,
    /// Answer each request after this long.
    Slow(Duration),
    /// Close the socket at the first request.
    Hangup,
    /// Answer the first ApiVersions as a broker that only speaks v0-2.
    OldBroker,
    /// A SASL listener of Kafka before 3.9 before authentication: versions
    /// above 3 get UNSUPPORTED_VERSION, one ApiVersions at v0-3 is
    /// answered, and a second one closes the connection (Kafka's
    /// SaslServerAuthenticator: "Unexpected ApiVersions request").
    SaslOldBroker,
}

fn api_versions(error_code: i16, max: i16) -> ApiVersionsResponse {
    ApiVersionsResponse {
        error_code,
        api_keys: vec![
            ApiVersion {
                api_key: 18,
                min_version: 0,
                max_version: max,
                ..Default::default()
            },
            ApiVersion {
                api_key: 3,
                min_version: 0,
                max_version: 12,
                ..Default::default()
            },
        ],
        throttle_time_ms: 0,
        ..Default::default()
    }
}

fn response_frame(correlation_id: i32, version: i16, body: &ApiVersionsResponse) -> Vec<u8> {
    let mut buf = BytesMut::new();
    buf.put_i32(0);
    ResponseHeader {
        correlation_id,
        unknown_tagged_fields: vec![],
    }
    .encode(&mut buf, 0)
    .expect("header");
    body.encode(&mut buf, version).expect("body");
    let size = (buf.len() - 4) as i32;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    buf.to_vec()
}

async fn read_request(socket: &mut TcpStream) -> Option<RequestHeader> {
    let mut size = [0u8; 4];
    socket.read_exact(&mut size).await.ok()?;
    let mut frame = vec![0u8; i32::from_be_bytes(size) as usize];
    socket.read_exact(&mut frame).await.ok()?;
    let mut frame = Bytes::from(frame);
    let (key, version) = RequestHeader::peek_key_and_version(&frame).ok()?;
    let key = ApiKey::from_i16(key)?;
    RequestHeader::decode(&mut frame, RequestHeader::header_version(key, version)).ok()
}

async fn broker(script: Script) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut first = true;
        let mut held = Vec::new();
        let mut answered = false;
        while let Some(h) = read_request(&mut socket).await {
            if let Script::SaslOldBroker = script {
                if answered {
                    return;
                }
                let frame = if h.request_api_version > 3 {
                    response_frame(h.correlation_id, 0, &api_versions(35, 3))
                } else {
                    answered = true;
                    response_frame(h.correlation_id, h.request_api_version, &api_versions(0, 3))
                };
                socket.write_all(&frame).await.expect("write");
                continue;
            }
            if first {
                first = false;
                let frame = match script {
                    Script::OldBroker => response_frame(h.correlation_id, 0, &api_versions(35, 2)),
                    _ => {
                        response_frame(h.correlation_id, h.request_api_version, &api_versions(0, 4))
                    }
                };
                socket.write_all(&frame).await.expect("write");
                continue;
            }
            let max = if matches!(script, Script::OldBroker) {
                2
            } else {
                4
            };
            let answer = response_frame(
                h.correlation_id,
                h.request_api_version,
                &api_versions(0, max),
            );
            match script {
                Script::Echo | Script::OldBroker => socket.write_all(&answer).await.expect("write"),
                Script::Reverse(n) => {
                    held.push(answer);
                    if held.len() == n {
                        for frame in held.drain(..).rev() {
                            socket.write_all(&frame).await.expect("write");
                        }
                    }
                }
                Script::Slow(delay) => {
                    tokio::time::sleep(delay).await;
                    socket.write_all(&answer).await.expect("write");
                }
                Script::Silent | Script::SaslOldBroker => {}
                Script::Hangup => return,
            }
        }
    });
    addr
}

fn config() -> ConnectionConfig {
    ConnectionConfig {
        request_timeout: Duration::from_millis(500),
        ..Default::default()
    }
}

#[tokio::test]
async fn handshake_negotiates_the_highest_common_versions() {
    let conn = Connection::connect(&broker(Script::Echo).await, config())
        .await
        .expect("connects");
    assert_eq!(conn.version_for(ApiKey::ApiVersions).expect("speaks"), 4);
    assert!(matches!(
        conn.version_for(ApiKey::Produce),
        Err(Error::UnsupportedApi { .. })
    ));
}

#[tokio::test]
async fn old_broker_gets_asked_again_in_v0() {
    let conn = Connection::connect(&broker(Script::OldBroker).await, config())
        .await
        .expect("connects");
    assert_eq!(conn.version_for(ApiKey::ApiVersions).expect("speaks"), 2);
}

#[tokio::test]
async fn a_broker_refusing_our_newest_version_is_asked_once_more_at_its_own() {
    // Asking v0 and then v3 (two successful ApiVersions) made a 2.8-3.8
    // broker's SASL listener close the connection before authentication.
    let conn = Connection::connect(&broker(Script::SaslOldBroker).await, config())
        .await
        .expect("connects with two ApiVersions requests, one answered");
    assert_eq!(conn.version_for(ApiKey::ApiVersions).expect("speaks"), 3);
    assert_eq!(
        conn.versions().broker_range(ApiKey::Metadata),
        Some((0, 12))
    );
}

#[tokio::test]
async fn pipelined_responses_in_reverse_order_reach_their_callers() {
    let conn = Connection::connect(&broker(Script::Reverse(8)).await, config())
        .await
        .expect("connects");
    let mut calls = Vec::new();
    for v in 0..8i16 {
        let conn = conn.clone();
        // Each caller asks at its own version, so its answer is tellable.
        let version = v % 5;
        calls.push(tokio::spawn(async move {
            let r = conn
                .send_version(&ApiVersionsRequest::default(), version)
                .await;
            (version, r)
        }));
    }
    for call in calls {
        let (version, response) = call.await.expect("task");
        let response = response.expect("answered");
        assert_eq!(response.api_keys.len(), 2, "v{version}");
    }
}

#[tokio::test]
async fn silent_broker_times_out_the_request() {
    let conn = Connection::connect(&broker(Script::Silent).await, config())
        .await
        .expect("connects");
    let err = conn.send(&ApiVersionsRequest::default()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::RequestTimeout {
                api: ApiKey::ApiVersions,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.is_retriable());
}

#[tokio::test]
async fn a_longer_timeout_of_its_own_outlasts_the_request_timeout() {
    let slow = broker(Script::Slow(Duration::from_millis(800))).await;
    let conn = Connection::connect(&slow, config())
        .await
        .expect("connects");
    let response = conn
        .send_with_timeout(&ApiVersionsRequest::default(), Duration::from_secs(5))
        .await
        .expect("answered after the 500 ms request timeout");
    assert_eq!(response.api_keys.len(), 2);
    let err = conn
        .send_with_timeout(&ApiVersionsRequest::default(), Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::RequestTimeout {
                timeout_ms: 100,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn broker_hanging_up_fails_the_waiting_request_and_closes() {
    let conn = Connection::connect(&broker(Script::Hangup).await, config())
        .await
        .expect("connects");
    let err = conn.send(&ApiVersionsRequest::default()).await.unwrap_err();
    assert!(matches!(err, Error::Disconnected { .. }), "{err}");
    for _ in 0..50 {
        if conn.is_closed() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(conn.is_closed());
    let again = conn.send(&ApiVersionsRequest::default()).await.unwrap_err();
    assert!(matches!(again, Error::Disconnected { .. }), "{again}");
}

#[tokio::test]
async fn refused_connection_is_an_io_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    drop(listener);
    let err = Connection::connect(&addr, config()).await.unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
}

#[tokio::test]
async fn an_exclusive_handle_keeps_other_requests_off_the_wire_until_dropped() {
    // The broker answers in arrival order, 100 ms each.
    let conn = Connection::connect(
        &broker(Script::Slow(Duration::from_millis(100))).await,
        config(),
    )
    .await
    .expect("connects");
    conn.version_for(ApiKey::ApiVersions).expect("negotiated");
    let request = ApiVersionsRequest::default();
    // In flight before: it keeps its response.
    let before = conn.queue(&request).await.expect("queued");
    let exclusive = conn.exclusive().await.expect("exclusive");
    // Queued during: it must wait behind the exclusive exchange.
    let during = {
        let conn = conn.clone();
        tokio::spawn(async move { conn.send(&ApiVersionsRequest::default()).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let first = exclusive
        .send(&request)
        .await
        .expect("exclusive request answered");
    let second = exclusive.send(&request).await.expect("and another");
    assert_eq!((first.error_code, second.error_code), (0, 0));
    assert!(
        !during.is_finished(),
        "a request queued meanwhile was written between the exclusive ones"
    );
    before
        .response()
        .await
        .expect("the request in flight before keeps its response");
    drop(exclusive);
    let during = tokio::time::timeout(Duration::from_secs(2), during)
        .await
        .expect("written once the handle is dropped")
        .expect("task");
    during.expect("answered");
}
