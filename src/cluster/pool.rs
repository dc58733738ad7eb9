//! Connections to brokers, one per address, made when first needed and
//! made again after they break, with exponential backoff between failed
//! attempts (`reconnect.backoff.ms` doubling up to
//! `reconnect.backoff.max.ms`, with jitter so that clients do not retry in
//! step).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use tracing::{debug, warn};

use crate::error::Result;
use crate::net::sasl::{authenticate_on, keep_authenticated, SaslCredentials};
use crate::net::{BrokerCounters, Connection, ConnectionConfig};

/// Each broker address's counters, shared by both lanes' pools.
pub(crate) type Counters = Arc<Mutex<HashMap<String, Arc<BrokerCounters>>>>;

/// The counters of `address`, made on first use.
pub(crate) fn counters_of(counters: &Counters, address: &str) -> Arc<BrokerCounters> {
    let mut map = counters.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(address.to_owned()).or_default().clone()
}

/// How the pool connects.
#[derive(Debug, Clone)]
pub(crate) struct PoolConfig {
    pub(crate) connection: ConnectionConfig,
    pub(crate) sasl: Option<SaslCredentials>,
    pub(crate) backoff: Duration,
    pub(crate) backoff_max: Duration,
}

#[derive(Default)]
struct SlotState {
    conn: Option<Connection>,
    failures: u32,
    retry_at: Option<Instant>,
}

/// One broker address: its state behind a lock held only for a few
/// instructions (never across an await), and a turn to connect.
#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    /// Held by the one caller connecting (through its backoff and the
    /// connect); the others wait for its connection rather than open
    /// their own. Failure reports and backoff checks never take it.
    connecting: tokio::sync::Mutex<()>,
}

impl Slot {
    fn state(&self) -> std::sync::MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection, if there is one that has not ended.
    fn live(&self, address: &str) -> Option<Connection> {
        let mut state = self.state();
        match &state.conn {
            Some(conn) if !conn.is_closed() => Some(conn.clone()),
            Some(_) => {
                debug!(broker = address, "connection lost; reconnecting");
                state.conn = None;
                None
            }
            None => None,
        }
    }
}

/// One connection per broker address (a [`Cluster`](super::Cluster) has
/// one pool per lane).
///
/// Connecting never blocks unrelated work: one caller per address
/// connects (after the backoff, if the last attempt failed) while the
/// others wait for its result, and [`BrokerPool::reset`] and
/// [`BrokerPool::in_backoff`] only touch the slot's state, so a failure
/// report is never held up by a reconnect. A reset names the connection
/// that failed, and drops it only if it is still the pool's: a late
/// report about an old connection leaves a newer healthy one be.
pub(crate) struct BrokerPool {
    config: PoolConfig,
    counters: Counters,
    // Held only to find or add a slot.
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

impl BrokerPool {
    pub(crate) fn new(config: PoolConfig, counters: Counters) -> Self {
        Self {
            config,
            counters,
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, address: &str) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.entry(address.to_owned()).or_default().clone()
    }

    /// The connection to `address` (broker `node_id`, -1 when not known),
    /// connecting (after the backoff, if the last attempt failed) when
    /// there is none or it broke.
    pub(crate) async fn get(&self, address: &str, node_id: i32) -> Result<Connection> {
        let slot = self.slot(address);
        if let Some(conn) = slot.live(address) {
            conn.learn_node_id(node_id);
            return Ok(conn);
        }
        let _turn = slot.connecting.lock().await;
        // Whoever connected before us may have succeeded.
        if let Some(conn) = slot.live(address) {
            return Ok(conn);
        }
        let retry_at = slot.state().retry_at;
        if let Some(at) = retry_at {
            tokio::time::sleep_until(at).await;
        }
        let result = self.connect(address, node_id).await;
        let mut state = slot.state();
        match result {
            Ok(conn) => {
                state.failures = 0;
                state.retry_at = None;
                state.conn = Some(conn.clone());
                Ok(conn)
            }
            Err(e) => {
                state.failures = state.failures.saturating_add(1);
                let wait = backoff(self.config.backoff, self.config.backoff_max, state.failures);
                state.retry_at = Some(Instant::now() + wait);
                drop(state);
                warn!(broker = address, error = %e, retry_in_ms = wait.as_millis() as u64, "connect failed");
                Err(e)
            }
        }
    }

    /// Whether the last attempt to reach `address` failed and its backoff
    /// has not passed yet.
    pub(crate) fn in_backoff(&self, address: &str) -> bool {
        let slot = self.slot(address);
        let retry_at = slot.state().retry_at;
        retry_at.is_some_and(|at| at > Instant::now())
    }

    /// Drops `failed` (a connection to `address`) so that the next `get`
    /// makes a new one (after a request on it timed out, for instance),
    /// unless the pool already replaced it. Never waits.
    pub(crate) fn reset(&self, address: &str, failed: &Connection) {
        let slot = self.slot(address);
        let mut state = slot.state();
        if state.conn.as_ref().is_some_and(|c| c.same_as(failed)) {
            state.conn = None;
        }
    }

    async fn connect(&self, address: &str, node_id: i32) -> Result<Connection> {
        let counters = counters_of(&self.counters, address);
        let conn =
            Connection::connect_counted(address, node_id, self.config.connection.clone(), counters)
                .await?;
        if let Some(sasl) = &self.config.sasl {
            if let Some(lifetime) = authenticate_on(&conn, sasl).await? {
                keep_authenticated(&conn, sasl.clone(), lifetime);
            }
        }
        Ok(conn)
    }
}

/// The wait after `failures` failed attempts: `base` doubled per failure up
/// to `max`, then between 80% and 120% of that.
fn backoff(base: Duration, max: Duration, failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(20);
    let wait = base.saturating_mul(1u32 << exp).min(max);
    let jitter = getrandom::u32().unwrap_or(0) % 401; // 0..=400 -> 80%..120%
    wait.mul_f64(0.8 + f64::from(jitter) / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_max_with_bounded_jitter() {
        let base = Duration::from_millis(100);
        let max = Duration::from_millis(1000);
        for (failures, nominal) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (60, 1000),
        ] {
            let w = backoff(base, max, failures).as_millis() as u64;
            assert!(
                w >= nominal * 8 / 10 && w <= nominal * 12 / 10,
                "{failures} failures: {w} ms, nominal {nominal}"
            );
        }
    }

    #[tokio::test]
    async fn a_refused_address_backs_off_and_says_so() {
        let (addr, pool) = refused(Duration::from_secs(5));
        assert!(pool.get(&addr, -1).await.is_err());
        assert!(pool.in_backoff(&addr));
    }

    /// A refused address and a pool whose backoff is `backoff`.
    fn refused(backoff: Duration) -> (String, BrokerPool) {
        // Bind then drop: the port is (almost certainly) closed now.
        let addr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").to_string()
        };
        let pool = BrokerPool::new(
            PoolConfig {
                connection: ConnectionConfig::default(),
                sasl: None,
                backoff,
                backoff_max: backoff,
            },
            Counters::default(),
        );
        (addr, pool)
    }

    /// On tokio's paused clock: no real second passes.
    #[tokio::test(start_paused = true)]
    async fn a_reconnect_waits_out_the_backoff_on_the_client_clock() {
        let (addr, pool) = refused(Duration::from_secs(30));
        let t0 = Instant::now();
        assert!(pool.get(&addr, -1).await.is_err());
        assert!(pool.in_backoff(&addr));
        // The next try waits out the backoff (24 s to 36 s with jitter).
        assert!(pool.get(&addr, -1).await.is_err());
        let waited = t0.elapsed();
        assert!(
            waited >= Duration::from_secs(24) && waited <= Duration::from_secs(36),
            "waited {waited:?}"
        );
        assert!(pool.in_backoff(&addr));
    }

    #[tokio::test]
    async fn a_caller_waiting_out_the_backoff_does_not_hide_it() {
        let (addr, pool) = refused(Duration::from_secs(5));
        let pool = Arc::new(pool);
        assert!(pool.get(&addr, -1).await.is_err());
        // Another caller waits out the backoff to connect again ...
        let waiter = {
            let (pool, addr) = (pool.clone(), addr.clone());
            tokio::spawn(async move { pool.get(&addr, -1).await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "the waiter is in its backoff");
        // ... meanwhile the address still reads as backing off (any_broker
        // sorts on it), at once.
        assert!(pool.in_backoff(&addr));
        waiter.abort();
    }
}
