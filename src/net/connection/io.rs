//! The connection's two tasks: the writer, which writes frames in the
//! order callers queue them, and the reader, which hands each response to
//! the caller waiting on its correlation id. Both run inside the
//! connection's span and count into the broker's [`BrokerCounters`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{debug, warn, Span};

use super::{BrokerCounters, Outgoing, Pending, ToWriter};
use crate::error::{Error, Result};
use crate::net::frame::split_frame;

pub(super) async fn write_loop<W: AsyncWrite + Unpin>(
    broker: String,
    mut socket: W,
    mut outgoing: mpsc::Receiver<ToWriter>,
    expect: mpsc::UnboundedSender<Pending>,
    counters: Arc<BrokerCounters>,
) {
    let clean = 'writing: loop {
        let out = tokio::select! {
            out = outgoing.recv() => match out {
                Some(out) => out,
                None => break true,
            },
            // The reader ended: the connection is gone.
            _ = expect.closed() => break false,
        };
        match out {
            ToWriter::Frame(out) => {
                if !write_one(&broker, &mut socket, &expect, out, &counters).await {
                    break false;
                }
            }
            ToWriter::Exclusive(mut only) => loop {
                let out = tokio::select! {
                    out = only.recv() => match out {
                        Some(out) => out,
                        None => break,
                    },
                    _ = expect.closed() => break 'writing false,
                };
                counters.outbuf.fetch_add(1, Ordering::Relaxed);
                if !write_one(&broker, &mut socket, &expect, out, &counters).await {
                    break 'writing false;
                }
            },
        }
    };
    // What was queued and never written leaves the outbuf count.
    outgoing.close();
    while let Ok(out) = outgoing.try_recv() {
        if let ToWriter::Frame(_) = out {
            counters.outbuf.fetch_sub(1, Ordering::Relaxed);
        }
    }
    if clean {
        let _ = socket.shutdown().await;
    }
}

/// Writes one request; `false` when the connection is gone.
async fn write_one<W: AsyncWrite + Unpin>(
    broker: &str,
    socket: &mut W,
    expect: &mpsc::UnboundedSender<Pending>,
    out: Outgoing,
    counters: &BrokerCounters,
) -> bool {
    let bytes = bytes::Buf::remaining(&out.frame);
    out.span.record("request_bytes", bytes);
    // The reader learns of the response before the request can reach
    // the broker, so it never sees a response it does not expect.
    if let Some(reply) = out.reply {
        let pending = Pending {
            correlation_id: out.correlation_id,
            reply,
            sent_at: Instant::now(),
            span: out.span,
        };
        counters.waitresp.fetch_add(1, Ordering::Relaxed);
        if let Err(mpsc::error::SendError(p)) = expect.send(pending) {
            counters.waitresp.fetch_sub(1, Ordering::Relaxed);
            counters.outbuf.fetch_sub(1, Ordering::Relaxed);
            let _ = p.reply.send(Err(Error::Disconnected {
                broker: broker.to_owned(),
            }));
            return false;
        }
    }
    let mut frame = out.frame;
    if let Err(e) = socket.write_all_buf(&mut frame).await {
        BrokerCounters::bump(&counters.txerrs);
        counters.outbuf.fetch_sub(1, Ordering::Relaxed);
        warn!(%broker, error = %e, "write failed; closing connection");
        return false;
    }
    counters.written(out.api, bytes);
    true
}

/// What the reader knows besides its socket and channel.
pub(super) struct ReadSide {
    pub(super) broker: String,
    /// `receive.message.max.bytes`.
    pub(super) limit: usize,
    pub(super) plaintext: bool,
    /// Set when the socket fails or closes.
    pub(super) closed: Arc<AtomicBool>,
    pub(super) counters: Arc<BrokerCounters>,
}

/// A response the reader waits for.
struct Waiting {
    reply: oneshot::Sender<Result<Bytes>>,
    sent_at: Instant,
    span: Span,
}

pub(super) async fn read_loop<R: AsyncRead + Unpin>(
    side: ReadSide,
    mut socket: R,
    mut expected: mpsc::UnboundedReceiver<Pending>,
) {
    let ReadSide {
        broker,
        limit,
        plaintext,
        closed,
        counters,
    } = side;
    let mut waiting: HashMap<i32, Waiting> = HashMap::new();
    let expect = |waiting: &mut HashMap<i32, Waiting>, p: Pending| {
        waiting.insert(
            p.correlation_id,
            Waiting {
                reply: p.reply,
                sent_at: p.sent_at,
                span: p.span,
            },
        );
    };
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let failure = loop {
        match split_frame(&mut buf, limit) {
            // A TLS record where a frame should be: the port is a TLS
            // listener (an alert is 0x15 0x03 ..., a handshake 0x16 0x03).
            Err(size)
                if plaintext && matches!(size >> 24, 0x15 | 0x16) && (size >> 16) & 0xff == 3 =>
            {
                break Some(Error::Tls {
                    broker: broker.clone(),
                    source: crate::net::TlsError::BrokerExpectsTls,
                })
            }
            Err(size) => {
                break Some(Error::FrameTooLarge {
                    broker: broker.clone(),
                    size,
                    limit,
                })
            }
            Ok(Some(frame)) => {
                if frame.len() < 4 {
                    break Some(Error::Decode {
                        broker: broker.clone(),
                        source: ferrokafka_protocol::DecodeError::Truncated {
                            what: "ResponseHeader.correlation_id",
                            needed: 4,
                            remaining: frame.len(),
                        },
                    });
                }
                let id = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
                while let Ok(p) = expected.try_recv() {
                    expect(&mut waiting, p);
                }
                match waiting.remove(&id) {
                    Some(w) => {
                        let rtt = w.sent_at.elapsed();
                        counters.answered(frame.len() + 4, rtt);
                        if !w.span.is_disabled() {
                            let latency_us = rtt.as_micros() as u64;
                            w.span.record("response_bytes", frame.len() + 4);
                            w.span.record("latency_us", latency_us);
                            w.span.in_scope(|| {
                                debug!(target: "ferrokafka::protocol", latency_us, bytes = frame.len() + 4, "response");
                            });
                        }
                        // The caller may have timed out; then nobody listens.
                        if w.reply.send(Ok(frame)).is_err() {
                            BrokerCounters::bump(&counters.rxcorriderrs);
                        }
                    }
                    None => {
                        BrokerCounters::bump(&counters.rxcorriderrs);
                        warn!(%broker, correlation_id = id, "response nobody asked for");
                    }
                }
                continue;
            }
            Ok(None) => {}
        }
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(64 * 1024);
        }
        tokio::select! {
            read = socket.read_buf(&mut buf) => match read {
                Ok(0) => break Some(Error::Disconnected { broker: broker.clone() }),
                Ok(_) => {}
                Err(source) => break Some(match crate::net::tls::from_io(&source, crate::net::tls::host_of(&broker)) {
                    Some(tls) => Error::Tls { broker: broker.clone(), source: tls },
                    None => Error::Io { broker: broker.clone(), source },
                }),
            },
            pending = expected.recv() => match pending {
                Some(p) => expect(&mut waiting, p),
                // Every handle is gone and the writer has finished.
                None => break None,
            },
        }
    };
    closed.store(true, Ordering::Release);
    counters.up.fetch_sub(1, Ordering::Relaxed);
    BrokerCounters::bump(&counters.disconnects);
    expected.close();
    while let Ok(p) = expected.try_recv() {
        expect(&mut waiting, p);
    }
    counters
        .waitresp
        .fetch_sub(waiting.len() as i64, Ordering::Relaxed);
    let Some(failure) = failure else {
        debug!(%broker, "connection closed: no handle left");
        return;
    };
    if !matches!(failure, Error::Disconnected { .. }) {
        BrokerCounters::bump(&counters.rxerrs);
    }
    debug!(%broker, error = %failure, "connection closed");
    for (_, w) in waiting.drain() {
        // A TLS failure tells the waiting callers why (a broker refusing
        // our certificate says so only after the handshake, in TLS 1.3);
        // anything else is the connection ending.
        let _ = w.reply.send(Err(match &failure {
            Error::Tls { source, .. } => Error::Tls {
                broker: broker.clone(),
                source: source.clone(),
            },
            _ => Error::Disconnected {
                broker: broker.clone(),
            },
        }));
    }
}
