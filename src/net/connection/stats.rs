//! What the connections to one broker address count for the statistics
//! (librdkafka's `brokers.*`): shared by every connection to that address
//! (both lanes, and each reconnect), updated once per request and
//! response, never per record.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use ferrokafka_protocol::ApiKey;

use crate::statistics::{BrokerStatistics, Window};

/// API keys counted per name (Kafka's keys are below this).
const APIS: usize = 128;

/// Counters for one broker address.
#[derive(Debug)]
pub(crate) struct BrokerCounters {
    pub(crate) tx: AtomicU64,
    pub(crate) txbytes: AtomicU64,
    pub(crate) txerrs: AtomicU64,
    pub(crate) req_timeouts: AtomicU64,
    pub(crate) rx: AtomicU64,
    pub(crate) rxbytes: AtomicU64,
    pub(crate) rxerrs: AtomicU64,
    pub(crate) rxcorriderrs: AtomicU64,
    pub(crate) connects: AtomicU64,
    pub(crate) disconnects: AtomicU64,
    /// Requests handed to a writer, not yet written.
    pub(crate) outbuf: AtomicI64,
    /// Requests written, waiting for their response.
    pub(crate) waitresp: AtomicI64,
    /// Live connections.
    pub(crate) up: AtomicI64,
    /// Connects under way.
    pub(crate) connecting: AtomicI64,
    req: [AtomicU64; APIS],
    rtt: Mutex<Window>,
}

impl Default for BrokerCounters {
    fn default() -> Self {
        BrokerCounters {
            tx: AtomicU64::new(0),
            txbytes: AtomicU64::new(0),
            txerrs: AtomicU64::new(0),
            req_timeouts: AtomicU64::new(0),
            rx: AtomicU64::new(0),
            rxbytes: AtomicU64::new(0),
            rxerrs: AtomicU64::new(0),
            rxcorriderrs: AtomicU64::new(0),
            connects: AtomicU64::new(0),
            disconnects: AtomicU64::new(0),
            outbuf: AtomicI64::new(0),
            waitresp: AtomicI64::new(0),
            up: AtomicI64::new(0),
            connecting: AtomicI64::new(0),
            req: std::array::from_fn(|_| AtomicU64::new(0)),
            rtt: Mutex::new(Window::default()),
        }
    }
}

fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

impl BrokerCounters {
    /// A request of `api` was written: `bytes` with its size prefix (the
    /// writer counts it in `waitresp` itself, before writing).
    pub(crate) fn written(&self, api: i16, bytes: usize) {
        add(&self.tx, 1);
        add(&self.txbytes, bytes as u64);
        self.outbuf.fetch_sub(1, Ordering::Relaxed);
        if let Some(slot) = usize::try_from(api).ok().and_then(|k| self.req.get(k)) {
            add(slot, 1);
        }
    }

    /// A response of `bytes` (with its size prefix) came after `rtt`.
    pub(crate) fn answered(&self, bytes: usize, rtt: Duration) {
        add(&self.rx, 1);
        add(&self.rxbytes, bytes as u64);
        self.waitresp.fetch_sub(1, Ordering::Relaxed);
        let micros = u64::try_from(rtt.as_micros()).unwrap_or(u64::MAX);
        self.rtt
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(micros);
    }

    /// Counts one more on `counter` (`txerrs`, `req_timeouts`, ...).
    pub(crate) fn bump(counter: &AtomicU64) {
        add(counter, 1);
    }

    /// The broker's entry, without its identity and toppars (the cluster
    /// adds them). `reset` starts a new rtt window.
    pub(crate) fn statistics(&self, reset: bool) -> BrokerStatistics {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed) as i64;
        let rtt = {
            let mut w = self.rtt.lock().unwrap_or_else(|e| e.into_inner());
            let s = w.statistics();
            if reset {
                w.reset();
            }
            s
        };
        let state = if self.up.load(Ordering::Relaxed) > 0 {
            "UP"
        } else if self.connecting.load(Ordering::Relaxed) > 0 {
            "CONNECT"
        } else if get(&self.connects) == 0 {
            "INIT"
        } else {
            "DOWN"
        };
        let req = self
            .req
            .iter()
            .enumerate()
            .filter_map(|(k, c)| {
                let n = get(c);
                let api = ApiKey::from_i16(i16::try_from(k).ok()?)?;
                (n > 0).then(|| (format!("{api:?}"), n))
            })
            .collect();
        BrokerStatistics {
            state: state.into(),
            outbuf_cnt: self.outbuf.load(Ordering::Relaxed).max(0),
            waitresp_cnt: self.waitresp.load(Ordering::Relaxed).max(0),
            tx: get(&self.tx),
            txbytes: get(&self.txbytes),
            txerrs: get(&self.txerrs),
            req_timeouts: get(&self.req_timeouts),
            rx: get(&self.rx),
            rxbytes: get(&self.rxbytes),
            rxerrs: get(&self.rxerrs),
            rxcorriderrs: get(&self.rxcorriderrs),
            connects: get(&self.connects),
            disconnects: get(&self.disconnects),
            req,
            rtt,
            ..Default::default()
        }
    }
}
