//! One broker's produce pipeline: requests reach its connection in the
//! order the sender made them (idempotent sequence numbers depend on it),
//! up to `max.in.flight` at once, and their results go back to the sender
//! in that same order.

use ferrokafka_protocol::messages::{ProduceRequest, ProduceResponse};
use tokio::sync::mpsc;

use super::batch::ProducerBatch;
use crate::cluster::Cluster;
use crate::config::Acks;
use crate::error::{Error, Result};
use crate::net::{Connection, PendingResponse};

/// A produce request and the batches it carries.
pub(crate) struct Outgoing {
    pub(crate) request: ProduceRequest,
    pub(crate) batches: Vec<ProducerBatch>,
}

/// A request's outcome, for the sender.
pub(crate) struct Produced {
    pub(crate) broker: i32,
    pub(crate) batches: Vec<ProducerBatch>,
    /// `None` with acks=0: there is no response.
    pub(crate) result: Result<Option<ProduceResponse>>,
    /// Whether the request was handed to the connection: an error then
    /// leaves its batches' fate unknown (the broker may have written
    /// them); before that, they surely were not written.
    pub(crate) sent: bool,
}

/// Starts broker `broker`'s pipeline; requests sent to the returned
/// channel come back as [`Produced`] through `done`.
pub(crate) fn start(
    broker: i32,
    cluster: Cluster,
    acks: Acks,
    done: impl Fn(Produced) + Send + Sync + Clone + 'static,
) -> mpsc::UnboundedSender<Outgoing> {
    let (tx, rx) = mpsc::unbounded_channel();
    let (waiting_tx, waiting_rx) = mpsc::unbounded_channel();
    tokio::spawn(write_in_order(
        broker,
        cluster.clone(),
        acks,
        rx,
        waiting_tx,
        done.clone(),
    ));
    tokio::spawn(answer_in_order(broker, cluster, waiting_rx, done));
    tx
}

type Waiting = (
    Result<(Connection, PendingResponse<ProduceRequest>)>,
    Vec<ProducerBatch>,
);

async fn write_in_order(
    broker: i32,
    cluster: Cluster,
    acks: Acks,
    mut requests: mpsc::UnboundedReceiver<Outgoing>,
    waiting: mpsc::UnboundedSender<Waiting>,
    done: impl Fn(Produced),
) {
    while let Some(Outgoing { request, batches }) = requests.recv().await {
        let conn = match cluster.broker(broker).await {
            Ok(conn) => conn,
            Err(e) => {
                let _ = waiting.send((Err(e), batches));
                continue;
            }
        };
        if acks == Acks::None {
            let result = conn.send_without_response(&request).await;
            if let Err(e) = &result {
                cluster.connection_failed(&conn, e);
            }
            done(Produced {
                broker,
                batches,
                sent: result.is_ok(),
                result: result.map(|()| None),
            });
            continue;
        }
        let queued = conn
            .queue_produce(&request)
            .await
            .map(|p| (conn.clone(), p));
        if waiting.send((queued, batches)).is_err() {
            return;
        }
    }
}

async fn answer_in_order(
    broker: i32,
    cluster: Cluster,
    mut waiting: mpsc::UnboundedReceiver<Waiting>,
    done: impl Fn(Produced),
) {
    while let Some((queued, batches)) = waiting.recv().await {
        let (result, sent) = match queued {
            Ok((conn, pending)) => {
                let r = pending.response().await;
                if let Err(e) = &r {
                    cluster.connection_failed(&conn, e);
                }
                (r.map(Some), true)
            }
            Err(e) => (Err::<_, Error>(e), false),
        };
        done(Produced {
            broker,
            batches,
            result,
            sent,
        });
    }
}
