//! One mock broker: its listener, and each connection's loop (frame in,
//! header and body decoded by the protocol crate, SASL gate, faults,
//! dispatch, frame out). A connection handles one request at a time, as
//! Kafka mutes a connection until its response is sent. Anything a client
//! sends that does not parse closes that connection with a warning.

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use ferrokafka_protocol::messages::{ApiVersionsRequest, RequestBody, ResponseBody};
use ferrokafka_protocol::{ApiKey, ErrorCode, Message, RequestHeader, ResponseHeader};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{debug, warn};

use super::api::{self, dispatch, sasl_authenticate, sasl_handshake, Call, Outcome};
use super::sasl::{self, Auth};
use super::state::Shared;
use super::ReceivedRequest;

/// Accepts connections while the broker is up; when it goes down, drops
/// every open connection and closes new ones at once. Ends (closing the
/// listener and every connection) when the cluster is dropped.
pub(crate) async fn run(
    shared: Arc<Shared>,
    broker: i32,
    listener: TcpListener,
    mut up: watch::Receiver<bool>,
) {
    // Owning the connections here means aborting this task ends them all.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    if *up.borrow() {
                        debug!(broker, %peer, "mock: connection accepted");
                        connections.spawn(serve(shared.clone(), broker, stream));
                    } else {
                        debug!(broker, %peer, "mock: broker down, connection closed");
                        drop(stream);
                    }
                }
                Err(e) => warn!(broker, error = %e, "mock: accept failed"),
            },
            changed = up.changed() => {
                if changed.is_err() {
                    return;
                }
                if !*up.borrow_and_update() {
                    connections.abort_all();
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Why a connection ends.
enum Close {
    /// The client went away.
    Eof,
    /// The client sent something the mock refuses.
    Garbage(String),
    /// The mock closes on purpose (a fault, a failed authentication).
    Deliberate(&'static str),
}

/// Reads one size-prefixed frame; `Ok(None)` at a clean end of stream.
async fn read_frame(stream: &mut TcpStream, limit: usize) -> Result<Option<Bytes>, Close> {
    let mut size = [0u8; 4];
    match stream.read_exact(&mut size).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        // A reset is a client going away, not garbage.
        Err(_) => return Err(Close::Eof),
    }
    let size = i32::from_be_bytes(size);
    let len = usize::try_from(size)
        .ok()
        .filter(|&n| n <= limit)
        .ok_or_else(|| Close::Garbage(format!("frame size {size} (limit {limit})")))?;
    // Grown as bytes arrive, so a size from the wire never decides an
    // allocation up front.
    let mut frame = Vec::with_capacity(len.min(64 * 1024));
    let read = (&mut *stream)
        .take(len as u64)
        .read_to_end(&mut frame)
        .await
        .map_err(|_| Close::Eof)?;
    if read != len {
        return Err(Close::Garbage(format!(
            "frame cut short: {read} of {len} bytes"
        )));
    }
    Ok(Some(Bytes::from(frame)))
}

/// A response frame: size, header, body.
fn encode_response(
    api: ApiKey,
    version: i16,
    correlation_id: i32,
    body: &ResponseBody,
) -> Result<Bytes, ferrokafka_protocol::EncodeError> {
    let mut buf = BytesMut::with_capacity(256);
    buf.put_i32(0);
    ResponseHeader {
        correlation_id,
        unknown_tagged_fields: Vec::new(),
    }
    .encode(&mut buf, ResponseHeader::header_version(api, version))?;
    api::encode_response(body, &mut buf, version)?;
    let size =
        i32::try_from(buf.len() - 4).map_err(|_| ferrokafka_protocol::EncodeError::TooLong {
            what: "response frame",
            length: buf.len() - 4,
        })?;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    Ok(buf.freeze())
}

/// One connection, until it ends.
async fn serve(shared: Arc<Shared>, broker: i32, mut stream: TcpStream) {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| "?".to_owned(), |a| a.to_string());
    match connection(&shared, broker, &mut stream).await {
        Close::Eof => debug!(broker, %peer, "mock: client closed the connection"),
        Close::Deliberate(why) => debug!(broker, %peer, why, "mock: connection closed"),
        Close::Garbage(why) => warn!(broker, %peer, why, "mock: closing connection"),
    }
}

async fn connection(shared: &Shared, broker: i32, stream: &mut TcpStream) -> Close {
    let (limit, credentials) = {
        let state = shared.lock();
        (
            state.settings.max_frame_size,
            state.settings.sasl_plain.clone(),
        )
    };
    let mut auth = Auth::new(credentials.is_some());
    loop {
        let mut frame = match read_frame(stream, limit).await {
            Ok(Some(f)) => f,
            Ok(None) => return Close::Eof,
            Err(close) => return close,
        };
        if auth == Auth::AwaitingRawToken {
            // SaslHandshake v0: the PLAIN message travels bare, and so
            // does the (empty) answer.
            let ok = credentials
                .as_ref()
                .is_some_and(|(u, p)| sasl::check_plain(&frame, u, p));
            if !ok {
                return Close::Deliberate("SASL/PLAIN (raw) authentication failed");
            }
            auth = Auth::Done;
            if stream.write_all(&0i32.to_be_bytes()).await.is_err() {
                return Close::Eof;
            }
            continue;
        }
        let frame_bytes = 4 + frame.len() as u64;
        let (key, version) = match RequestHeader::peek_key_and_version(&frame) {
            Ok(kv) => kv,
            Err(e) => return Close::Garbage(format!("request header: {e}")),
        };
        let Some(api) = ApiKey::from_i16(key) else {
            return Close::Garbage(format!("unknown api key {key}"));
        };
        let header =
            match RequestHeader::decode(&mut frame, RequestHeader::header_version(api, version)) {
                Ok(h) => h,
                Err(e) => return Close::Garbage(format!("request header: {e}")),
            };
        let correlation_id = header.correlation_id;
        let client_id = header.client_id.clone().unwrap_or_default();
        let support = api.support();
        let in_range = (support.min_version..=support.max_version).contains(&version);
        let body = if in_range {
            api::decode_request(api, version, frame).map_err(|e| e.to_string())
        } else {
            Err(format!("{api:?} v{version} is not supported"))
        };
        let drop_now = {
            let mut state = shared.lock();
            state.record(ReceivedRequest {
                broker_id: broker,
                api_key: api,
                api_version: version,
                correlation_id,
                client_id: header.client_id,
                body: body.as_ref().ok().cloned(),
            });
            state.faults.should_drop(broker, frame_bytes)
        };
        if drop_now {
            return Close::Deliberate("drop_connection_after_requests/bytes");
        }
        // A client newer than us asks ApiVersions above our range: answer
        // in v0 with our ranges and UNSUPPORTED_VERSION, as Kafka does, so
        // it can ask again in a version we both speak.
        let (version, body) = match body {
            Ok(b) => (version, b),
            Err(_) if api == ApiKey::ApiVersions && version > ApiVersionsRequest::MAX_VERSION => {
                let request = RequestBody::ApiVersions(ApiVersionsRequest::default());
                let call = Call {
                    shared,
                    broker,
                    version: 0,
                    client_id: &client_id,
                };
                let response = api::error_response(
                    &shared.lock(),
                    &call,
                    &request,
                    ErrorCode::UnsupportedVersion,
                );
                let Some(response) = response else {
                    return Close::Garbage("ApiVersions fallback".into());
                };
                if let Err(close) =
                    send(shared, broker, stream, api, 0, correlation_id, &response).await
                {
                    return close;
                }
                continue;
            }
            Err(e) => return Close::Garbage(format!("{api:?} v{version}: {e}")),
        };
        if !auth.allows(api) {
            return Close::Garbage(format!("{api:?} before SASL authentication"));
        }
        let outcome = match (&body, auth) {
            (RequestBody::SaslHandshake(r), Auth::AwaitingHandshake)
            | (RequestBody::SaslHandshake(r), Auth::Open) => {
                let (response, next) = sasl_handshake::handshake(auth, version, r);
                auth = next;
                Outcome::Respond(ResponseBody::SaslHandshake(response))
            }
            (RequestBody::SaslAuthenticate(r), Auth::AwaitingAuthenticate) => {
                let (response, ok) = sasl_authenticate::authenticate(auth, credentials.as_ref(), r);
                let refused = !ok;
                if let Err(close) = send(
                    shared,
                    broker,
                    stream,
                    api,
                    version,
                    correlation_id,
                    &ResponseBody::SaslAuthenticate(response),
                )
                .await
                {
                    return close;
                }
                if refused {
                    return Close::Deliberate("SASL/PLAIN authentication failed");
                }
                auth = Auth::Done;
                continue;
            }
            _ => {
                let call = Call {
                    shared,
                    broker,
                    version,
                    client_id: &client_id,
                };
                dispatch(&call, &body).await
            }
        };
        match outcome {
            Outcome::Respond(response) => {
                // An injected UNSUPPORTED_VERSION on ApiVersions is answered
                // in v0, as Kafka answers it.
                let version = match &response {
                    ResponseBody::ApiVersions(r)
                        if r.error_code == ErrorCode::UnsupportedVersion.code() =>
                    {
                        0
                    }
                    _ => version,
                };
                if let Err(close) = send(
                    shared,
                    broker,
                    stream,
                    api,
                    version,
                    correlation_id,
                    &response,
                )
                .await
                {
                    return close;
                }
            }
            Outcome::Silent => {}
            Outcome::Close => return Close::Garbage(format!("{api:?} is not served")),
        }
    }
}

/// Writes one response, after the broker's configured delay.
async fn send(
    shared: &Shared,
    broker: i32,
    stream: &mut TcpStream,
    api: ApiKey,
    version: i16,
    correlation_id: i32,
    response: &ResponseBody,
) -> Result<(), Close> {
    // Kafka answers an ApiVersions it refuses as UNSUPPORTED_VERSION in
    // version 0 (the one version every client reads), naming its range.
    let version = match response {
        ResponseBody::ApiVersions(r) if r.error_code == ErrorCode::UnsupportedVersion.code() => 0,
        _ => version,
    };
    let frame = encode_response(api, version, correlation_id, response)
        .map_err(|e| Close::Garbage(format!("mock could not encode {api:?} v{version}: {e}")))?;
    let rtt = shared.lock().faults.rtt(broker);
    if !rtt.is_zero() {
        tokio::time::sleep(rtt).await;
    }
    stream.write_all(&frame).await.map_err(|_| Close::Eof)
}
