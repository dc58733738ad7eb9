//! One connection to one broker.
//!
//! The socket is split in two tasks: the writer sends frames in the order
//! callers hand them over, and the reader matches response frames to
//! callers by correlation id. They are separate so that a large request
//! being written never stops responses from being read (the broker stops
//! reading a connection while its response waits to be sent). Many
//! requests can be in flight at once; a caller that times out simply stops
//! waiting, and its late response is dropped.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use ferrokafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse, ProduceRequest};
use ferrokafka_protocol::{decode_body, ApiKey, Message, Request, ResponseHeader};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{debug, debug_span, Instrument, Span};

use super::frame::{encode_produce_request, encode_request, Frame};
use super::tls::TlsConnector;
use super::versions::ApiVersionTable;
use crate::error::{Error, Result};

/// UNSUPPORTED_VERSION: a broker that does not speak the ApiVersions
/// version asked answers in v0 with this code and its own ranges.
const UNSUPPORTED_VERSION: i16 = 35;

/// How a connection behaves.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// Sent in every request header (`client.id`).
    pub client_id: Option<String>,
    /// How long connecting may take (`socket.connection.setup.timeout.ms`).
    pub connect_timeout: Duration,
    /// How long a request may wait for its response (`request.timeout.ms`).
    pub request_timeout: Duration,
    /// The largest response frame accepted (`receive.message.max.bytes`).
    pub max_response_size: usize,
    /// How many requests may be queued for the writer before callers wait.
    pub queue_depth: usize,
    /// TLS, when `security.protocol` is `ssl` or `sasl_ssl`.
    pub tls: Option<TlsConnector>,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            client_id: Some("ferrokafka".into()),
            connect_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            max_response_size: 100_000_000,
            queue_depth: 64,
            tls: None,
        }
    }
}

/// A request handed to the writer task.
struct Outgoing {
    correlation_id: i32,
    frame: Frame,
    /// `None` when no response will come (Produce with acks=0).
    reply: Option<oneshot::Sender<Result<Bytes>>>,
    /// The API key, for the per-API request counts.
    api: i16,
    /// The request's span (`Span::none()` unless `ferrokafka::protocol`
    /// is enabled at debug).
    span: Span,
}

/// What the writer task is handed.
enum ToWriter {
    /// A request to write in turn.
    Frame(Outgoing),
    /// Write only what comes on this channel until it closes: for a
    /// re-authentication, whose frames no other request may come between
    /// (see [`Exclusive`]).
    Exclusive(mpsc::Receiver<Outgoing>),
}

/// A response the reader should expect.
struct Pending {
    correlation_id: i32,
    reply: oneshot::Sender<Result<Bytes>>,
    /// When the request was written: the round-trip time starts there.
    sent_at: Instant,
    span: Span,
}

/// The socket side shared by every handle of one connection.
struct Wire {
    broker: String,
    config: ConnectionConfig,
    next_correlation_id: AtomicI32,
    requests: mpsc::Sender<ToWriter>,
    /// Re-authentications completed on this connection (KIP-368).
    reauthentications: AtomicU64,
    /// Set by the reader when the socket fails or closes.
    closed: Arc<AtomicBool>,
    /// What this broker's connections count for the statistics.
    counters: Arc<BrokerCounters>,
    /// The connection's span (target `ferrokafka::broker`).
    span: Span,
    /// The broker id, -1 until known (a bootstrap connection learns it
    /// from metadata).
    node_id: AtomicI32,
}

/// A connection to one broker, after the ApiVersions handshake. Cheap to
/// clone; every clone shares the socket. The connection closes when the
/// last clone is dropped or the broker goes away; [`Connection::is_closed`]
/// tells.
#[derive(Clone)]
pub struct Connection {
    wire: Arc<Wire>,
    versions: Arc<ApiVersionTable>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("broker", &self.wire.broker)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects to `broker` (`host:port`) and learns what it speaks.
    /// With [`ConnectionConfig::tls`], the TLS handshake is part of
    /// connecting (and of its timeout).
    pub async fn connect(broker: &str, config: ConnectionConfig) -> Result<Connection> {
        Self::connect_counted(broker, -1, config, Arc::default()).await
    }

    /// [`Connection::connect`] to broker `node_id` (-1 when not known),
    /// counting into `counters` (shared by every connection to that
    /// address).
    pub(crate) async fn connect_counted(
        broker: &str,
        node_id: i32,
        config: ConnectionConfig,
        counters: Arc<BrokerCounters>,
    ) -> Result<Connection> {
        BrokerCounters::bump(&counters.connects);
        counters.connecting.fetch_add(1, Ordering::Relaxed);
        let span = debug_span!(target: "ferrokafka::broker", "connection", broker, node_id);
        let result = Self::connect_in(broker, node_id, config, counters.clone(), span.clone())
            .instrument(span)
            .await;
        counters.connecting.fetch_sub(1, Ordering::Relaxed);
        result
    }

    async fn connect_in(
        broker: &str,
        node_id: i32,
        config: ConnectionConfig,
        counters: Arc<BrokerCounters>,
        span: Span,
    ) -> Result<Connection> {
        let timed_out = || Error::ConnectTimeout {
            broker: broker.to_owned(),
            timeout_ms: config.connect_timeout.as_millis() as u64,
        };
        let deadline = tokio::time::Instant::now() + config.connect_timeout;
        let stream = tokio::time::timeout_at(deadline, TcpStream::connect(broker))
            .await
            .map_err(|_| timed_out())?
            .map_err(|source| Error::Io {
                broker: broker.to_owned(),
                source,
            })?;
        stream.set_nodelay(true).map_err(|source| Error::Io {
            broker: broker.to_owned(),
            source,
        })?;
        let wire = match config.tls.clone() {
            None => {
                let (read, write) = stream.into_split();
                Wire::start(broker.to_owned(), read, write, config, counters, span)
            }
            Some(tls) => {
                let stream = tokio::time::timeout_at(deadline, tls.handshake(broker, stream))
                    .await
                    .map_err(|_| timed_out())??;
                let (read, write) = tokio::io::split(stream);
                Wire::start(broker.to_owned(), read, write, config, counters, span)
            }
        };
        let wire = Arc::new(wire);
        wire.node_id.store(node_id, Ordering::Relaxed);
        let versions = handshake(&wire).await?;
        debug!(
            broker,
            transaction_version = versions.transaction_version(),
            negotiated = %versions.describe_negotiated(),
            "connected; API versions negotiated"
        );
        Ok(Connection {
            wire,
            versions: Arc::new(versions),
        })
    }

    /// Notes that this connection's broker is `node_id` (a connection
    /// made to a bootstrap address learns it from metadata), for its span.
    pub(crate) fn learn_node_id(&self, node_id: i32) {
        if node_id >= 0 && self.wire.node_id.load(Ordering::Relaxed) != node_id {
            self.wire.node_id.store(node_id, Ordering::Relaxed);
            self.wire.span.record("node_id", node_id);
        }
    }

    /// The broker's address.
    pub fn broker(&self) -> &str {
        &self.wire.broker
    }

    /// What the broker speaks.
    pub fn versions(&self) -> &ApiVersionTable {
        &self.versions
    }

    /// Whether `other` is a handle of this same connection (the same
    /// socket), not merely one to the same broker.
    pub fn same_as(&self, other: &Connection) -> bool {
        Arc::ptr_eq(&self.wire, &other.wire)
    }

    /// Whether the connection has ended (the broker closed it or it failed).
    pub fn is_closed(&self) -> bool {
        self.wire.requests.is_closed() || self.wire.closed.load(Ordering::Acquire)
    }

    /// The version of `api` this connection uses: the highest both sides
    /// speak.
    pub fn version_for(&self, api: ApiKey) -> Result<i16> {
        self.versions
            .negotiate(api)
            .ok_or_else(|| Error::UnsupportedApi {
                broker: self.wire.broker.clone(),
                api,
            })
    }

    /// Sends `request` at the negotiated version and waits for its response.
    pub async fn send<R: Request>(&self, request: &R) -> Result<R::Response> {
        let version = self.version_for(R::API_KEY)?;
        self.wire.roundtrip(request, version).await
    }

    /// Sends `request` at the negotiated version and waits up to `timeout`
    /// (rather than `request.timeout.ms`) for its response: for requests
    /// the broker may rightly hold longer, such as JoinGroup, which waits
    /// up to the group's rebalance timeout for the other members.
    pub async fn send_with_timeout<R: Request>(
        &self,
        request: &R,
        timeout: Duration,
    ) -> Result<R::Response> {
        let version = self.version_for(R::API_KEY)?;
        let response = self.wire.queue(request, version).await?;
        self.wire
            .response_within::<R>(response, version, timeout)
            .await
    }

    /// Sends `request` at `version`, which must be one the broker speaks.
    pub async fn send_version<R: Request>(&self, request: &R, version: i16) -> Result<R::Response> {
        self.wire.roundtrip(request, version).await
    }

    /// Queues `request` at the negotiated version and returns once its
    /// frame is in line for the socket: requests queued one after another
    /// are written in that order (what idempotent producing needs with
    /// several requests in flight). The response is awaited separately.
    pub async fn queue<R: Request>(&self, request: &R) -> Result<PendingResponse<R>> {
        let version = self.version_for(R::API_KEY)?;
        let response = self.wire.queue(request, version).await?;
        Ok(PendingResponse {
            wire: self.wire.clone(),
            response,
            version,
            _request: std::marker::PhantomData,
        })
    }

    /// [`Connection::queue`] for a Produce request, whose record batches
    /// go to the socket as they are (a vectored write) rather than copied
    /// into the request's buffer.
    pub async fn queue_produce(
        &self,
        request: &ProduceRequest,
    ) -> Result<PendingResponse<ProduceRequest>> {
        let version = self.version_for(ApiKey::Produce)?;
        let client_id = self.wire.config.client_id.as_deref();
        let response = self
            .wire
            .queue_frame(ApiKey::Produce, version, |id| {
                encode_produce_request(version, id, client_id, request)
            })
            .await?;
        Ok(PendingResponse {
            wire: self.wire.clone(),
            response,
            version,
            _request: std::marker::PhantomData,
        })
    }

    /// Sends a request that gets no response (Produce with acks=0) and
    /// returns once it is handed to the socket writer.
    pub async fn send_without_response<R: Request>(&self, request: &R) -> Result<()> {
        let version = self.version_for(R::API_KEY)?;
        let correlation_id = self.wire.next_id();
        let frame = encode_request(
            R::API_KEY,
            version,
            correlation_id,
            self.wire.config.client_id.as_deref(),
            request,
        )?;
        let span = self.wire.request_span(R::API_KEY, version, correlation_id);
        self.wire
            .enqueue(Outgoing {
                correlation_id,
                frame: frame.into(),
                reply: None,
                api: R::API_KEY as i16,
                span,
            })
            .await
    }
}

impl Wire {
    fn start<R, W>(
        broker: String,
        read: R,
        write: W,
        config: ConnectionConfig,
        counters: Arc<BrokerCounters>,
        span: Span,
    ) -> Wire
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let plaintext = config.tls.is_none();
        let (requests, outgoing) = mpsc::channel(config.queue_depth.max(1));
        let (expect, expected) = mpsc::unbounded_channel();
        counters.up.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(
            write_loop(broker.clone(), write, outgoing, expect, counters.clone())
                .instrument(span.clone()),
        );
        let closed = Arc::new(AtomicBool::new(false));
        tokio::spawn(
            read_loop(
                ReadSide {
                    broker: broker.clone(),
                    limit: config.max_response_size,
                    plaintext,
                    closed: closed.clone(),
                    counters: counters.clone(),
                },
                read,
                expected,
            )
            .instrument(span.clone()),
        );
        Wire {
            broker,
            config,
            next_correlation_id: AtomicI32::new(0),
            requests,
            reauthentications: AtomicU64::new(0),
            closed,
            counters,
            span,
            node_id: AtomicI32::new(-1),
        }
    }

    /// A request's span, inside the connection's: api, version and
    /// correlation id now, bytes and latency as they are known.
    fn request_span(&self, api: ApiKey, version: i16, correlation_id: i32) -> Span {
        debug_span!(
            target: "ferrokafka::protocol",
            parent: &self.span,
            "request",
            api = ?api,
            version,
            correlation_id,
            request_bytes = tracing::field::Empty,
            response_bytes = tracing::field::Empty,
            latency_us = tracing::field::Empty,
        )
    }

    fn next_id(&self) -> i32 {
        // Wraps past i32::MAX; ids only need to be unique among those in
        // flight.
        self.next_correlation_id.fetch_add(1, Ordering::Relaxed)
    }

    fn disconnected(&self) -> Error {
        Error::Disconnected {
            broker: self.broker.clone(),
        }
    }

    async fn enqueue(&self, outgoing: Outgoing) -> Result<()> {
        self.counters.outbuf.fetch_add(1, Ordering::Relaxed);
        let sent = self.requests.send(ToWriter::Frame(outgoing)).await;
        if sent.is_err() {
            self.counters.outbuf.fetch_sub(1, Ordering::Relaxed);
        }
        sent.map_err(|_| self.disconnected())
    }

    async fn roundtrip<R: Request>(&self, request: &R, version: i16) -> Result<R::Response> {
        let response = self.queue(request, version).await?;
        self.response::<R>(response, version).await
    }

    /// Hands the request's frame to the writer; requests queued one after
    /// another reach the socket in that order.
    async fn queue<R: Request>(
        &self,
        request: &R,
        version: i16,
    ) -> Result<oneshot::Receiver<Result<Bytes>>> {
        let client_id = self.config.client_id.as_deref();
        self.queue_frame(R::API_KEY, version, |id| {
            encode_request(R::API_KEY, version, id, client_id, request).map(Frame::from)
        })
        .await
    }

    /// [`Wire::queue`] with the frame made by `encode` from the request's
    /// correlation id.
    async fn queue_frame(
        &self,
        api: ApiKey,
        version: i16,
        encode: impl FnOnce(i32) -> Result<Frame>,
    ) -> Result<oneshot::Receiver<Result<Bytes>>> {
        let correlation_id = self.next_id();
        let frame = encode(correlation_id)?;
        let (reply, response) = oneshot::channel();
        self.enqueue(Outgoing {
            correlation_id,
            frame,
            reply: Some(reply),
            api: api as i16,
            span: self.request_span(api, version, correlation_id),
        })
        .await?;
        Ok(response)
    }

    /// Waits (within the request timeout) for a queued request's response
    /// and decodes it.
    async fn response<R: Request>(
        &self,
        response: oneshot::Receiver<Result<Bytes>>,
        version: i16,
    ) -> Result<R::Response> {
        self.response_within::<R>(response, version, self.config.request_timeout)
            .await
    }

    /// [`Wire::response`] with its own timeout.
    async fn response_within<R: Request>(
        &self,
        response: oneshot::Receiver<Result<Bytes>>,
        version: i16,
        timeout: Duration,
    ) -> Result<R::Response> {
        let mut body = match tokio::time::timeout(timeout, response).await {
            Err(_) => {
                BrokerCounters::bump(&self.counters.req_timeouts);
                debug!(target: "ferrokafka::protocol", broker = %self.broker, api = ?R::API_KEY, timeout_ms = timeout.as_millis() as u64, "request timed out");
                return Err(Error::RequestTimeout {
                    broker: self.broker.clone(),
                    api: R::API_KEY,
                    timeout_ms: timeout.as_millis() as u64,
                });
            }
            Ok(Err(_)) => return Err(self.disconnected()),
            Ok(Ok(result)) => result?,
        };
        let header_version = ResponseHeader::header_version(R::API_KEY, version);
        ResponseHeader::decode(&mut body, header_version).map_err(|e| self.decode_error(e))?;
        decode_body::<R::Response>(body, version).map_err(|e| self.decode_error(e))
    }

    fn decode_error(&self, source: ferrokafka_protocol::DecodeError) -> Error {
        Error::Decode {
            broker: self.broker.clone(),
            source,
        }
    }

    /// One ApiVersions exchange at `version`. A broker that does not speak
    /// that version answers with UNSUPPORTED_VERSION in a v0 body (since
    /// Kafka 2.4 listing its own ApiVersions range, KIP-511): a body that
    /// does not read at `version`, or reads with that code, is read as v0.
    async fn ask_versions(&self, request: &ApiVersionsRequest, version: i16) -> Result<Asked> {
        let response = self.queue(request, version).await?;
        let mut body = match tokio::time::timeout(self.config.request_timeout, response).await {
            Err(_) => {
                return Err(Error::RequestTimeout {
                    broker: self.broker.clone(),
                    api: ApiKey::ApiVersions,
                    timeout_ms: self.config.request_timeout.as_millis() as u64,
                })
            }
            Ok(Err(_)) => return Err(self.disconnected()),
            Ok(Ok(result)) => result?,
        };
        // ApiVersions responses always have the v0 header.
        ResponseHeader::decode(&mut body, 0).map_err(|e| self.decode_error(e))?;
        let at_version = decode_body::<ApiVersionsResponse>(body.clone(), version);
        match at_version {
            Ok(r) if r.error_code != UNSUPPORTED_VERSION => Ok(Asked::Answer(r)),
            at_version => match decode_body::<ApiVersionsResponse>(body, 0) {
                Ok(r) if r.error_code == UNSUPPORTED_VERSION => Ok(Asked::Unsupported(r)),
                _ => at_version
                    .map(Asked::Unsupported)
                    .map_err(|e| self.decode_error(e)),
            },
        }
    }
}

/// What one ApiVersions exchange brought.
enum Asked {
    /// The broker answered at the version asked (its error code not yet
    /// checked).
    Answer(ApiVersionsResponse),
    /// The broker does not speak the version asked; what it said, read as
    /// v0.
    Unsupported(ApiVersionsResponse),
}

/// A request queued on a connection whose response is still to come:
/// [`Connection::queue`] returns once the frame is in line for the
/// socket, so a caller can queue several in order and await their
/// responses elsewhere.
pub struct PendingResponse<R: Request> {
    wire: Arc<Wire>,
    response: oneshot::Receiver<Result<Bytes>>,
    version: i16,
    _request: std::marker::PhantomData<fn() -> R>,
}

impl<R: Request> std::fmt::Debug for PendingResponse<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingResponse")
            .field("broker", &self.wire.broker)
            .field("api", &R::API_KEY)
            .finish_non_exhaustive()
    }
}

impl<R: Request> PendingResponse<R> {
    /// Waits for the response, within the request timeout.
    pub async fn response(self) -> Result<R::Response> {
        self.wire.response::<R>(self.response, self.version).await
    }
}

/// Learns the broker's API versions: ApiVersions at our highest version;
/// a broker that does not speak it is asked once more, at the highest
/// version both speak (from its UNSUPPORTED_VERSION answer; v0 when that
/// names none), as the Java client does. Never a third time: before
/// authentication, a SASL listener of Kafka before 3.9 (whose ApiVersions
/// ends at v3) answers one successful ApiVersions and closes the
/// connection at a second one.
async fn handshake(wire: &Wire) -> Result<ApiVersionTable> {
    let request = ApiVersionsRequest {
        client_software_name: "ferrokafka".into(),
        client_software_version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    };
    let newest = ApiVersionsRequest::MAX_VERSION;
    let response = match wire.ask_versions(&request, newest).await? {
        Asked::Answer(r) => r,
        Asked::Unsupported(r) => {
            let version = ApiVersionTable::from_response(&r)
                .negotiate(ApiKey::ApiVersions)
                .filter(|&v| v < newest)
                .unwrap_or(0);
            debug!(
                broker = %wire.broker,
                version, "the broker does not speak ApiVersions v{newest}; asking again"
            );
            match wire.ask_versions(&request, version).await? {
                Asked::Answer(r) => r,
                Asked::Unsupported(r) => r,
            }
        }
    };
    if response.error_code != 0 {
        return Err(Error::kafka(
            format!("{}: ApiVersions", wire.broker),
            response.error_code,
        ));
    }
    Ok(ApiVersionTable::from_response(&response))
}

mod io;
mod stats;
use io::{read_loop, write_loop, ReadSide};
pub(crate) use stats::BrokerCounters;

mod exclusive;
pub use exclusive::{Exclusive, WeakConnection};

#[cfg(test)]
mod tests;
