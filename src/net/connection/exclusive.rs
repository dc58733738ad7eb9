//! Re-authenticating a live connection (KIP-368) needs its SaslHandshake
//! and SaslAuthenticate frames to reach the broker with no other request
//! between them: the broker reads every frame after the handshake as part
//! of the exchange. [`Connection::exclusive`] gives a handle whose
//! requests are the only ones written until it is dropped; requests
//! already in flight keep their responses (they are matched by
//! correlation id as always), and requests queued meanwhile wait, in
//! order, behind it.

use std::sync::atomic::Ordering;

use ferrokafka_protocol::Request;
use tokio::sync::{mpsc, oneshot};

use super::*;

/// Exclusive use of a connection's writer; see the module docs. Dropping
/// it lets the other requests go on.
pub struct Exclusive {
    conn: Connection,
    frames: mpsc::Sender<Outgoing>,
}

impl std::fmt::Debug for Exclusive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exclusive")
            .field("broker", &self.conn.wire.broker)
            .finish_non_exhaustive()
    }
}

impl Exclusive {
    /// The broker's address.
    pub fn broker(&self) -> &str {
        self.conn.broker()
    }

    /// Sends `request` at the negotiated version and waits for its
    /// response, within the request timeout.
    pub async fn send<R: Request>(&self, request: &R) -> Result<R::Response> {
        let version = self.conn.version_for(R::API_KEY)?;
        let wire = &self.conn.wire;
        let correlation_id = wire.next_id();
        let frame = encode_request(
            R::API_KEY,
            version,
            correlation_id,
            wire.config.client_id.as_deref(),
            request,
        )?;
        let (reply, response) = oneshot::channel();
        self.frames
            .send(Outgoing {
                correlation_id,
                frame: frame.into(),
                reply: Some(reply),
                api: R::API_KEY as i16,
                span: wire.request_span(R::API_KEY, version, correlation_id),
            })
            .await
            .map_err(|_| wire.disconnected())?;
        wire.response::<R>(response, version).await
    }
}

/// A connection that does not keep it open: for background work (such as
/// re-authentication) that should end when the connection's users are
/// gone.
#[derive(Clone)]
pub struct WeakConnection {
    wire: Weak<Wire>,
    versions: Arc<ApiVersionTable>,
}

impl std::fmt::Debug for WeakConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WeakConnection").finish_non_exhaustive()
    }
}

impl WeakConnection {
    /// The connection, if any handle to it is left and it is open.
    pub fn upgrade(&self) -> Option<Connection> {
        let conn = Connection {
            wire: self.wire.upgrade()?,
            versions: self.versions.clone(),
        };
        (!conn.is_closed()).then_some(conn)
    }
}

impl Connection {
    /// Waits until every request queued before is written, then returns a
    /// handle whose requests are the only ones written until it is
    /// dropped.
    pub async fn exclusive(&self) -> Result<Exclusive> {
        let (frames, only) = mpsc::channel(4);
        self.wire
            .requests
            .send(ToWriter::Exclusive(only))
            .await
            .map_err(|_| self.wire.disconnected())?;
        Ok(Exclusive {
            conn: self.clone(),
            frames,
        })
    }

    /// A handle that does not keep the connection open.
    pub fn downgrade(&self) -> WeakConnection {
        WeakConnection {
            wire: Arc::downgrade(&self.wire),
            versions: self.versions.clone(),
        }
    }

    /// How many times this connection re-authenticated (KIP-368).
    pub fn reauthentications(&self) -> u64 {
        self.wire.reauthentications.load(Ordering::Relaxed)
    }

    pub(crate) fn count_reauthentication(&self) {
        self.wire.reauthentications.fetch_add(1, Ordering::Relaxed);
    }
}
