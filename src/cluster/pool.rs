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
use crate::net::{Connection, ConnectionConfig};

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

/// One connection per broker address (a [`Cluster`](super::Cluster) has
/// one pool per lane).
pub(crate) struct BrokerPool {
    config: PoolConfig,
    // Held only to find or add a slot; each slot's own lock serialises
    // connecting to that broker, so one broker's slow connect never holds
    // up another's.
    slots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<SlotState>>>>,
}

impl BrokerPool {
    pub(crate) fn new(config: PoolConfig) -> Self {
        Self {
            config,
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, address: &str) -> Arc<tokio::sync::Mutex<SlotState>> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.entry(address.to_owned()).or_default().clone()
    }

    /// The connection to `address`, connecting (after the backoff, if the
    /// last attempt failed) when there is none or it broke.
    pub(crate) async fn get(&self, address: &str) -> Result<Connection> {
        let slot = self.slot(address);
        let mut state = slot.lock().await;
        if let Some(conn) = &state.conn {
            if !conn.is_closed() {
                return Ok(conn.clone());
            }
            debug!(broker = address, "connection lost; reconnecting");
            state.conn = None;
        }
        if let Some(at) = state.retry_at {
            tokio::time::sleep_until(at).await;
        }
        match self.connect(address).await {
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
                warn!(broker = address, error = %e, retry_in_ms = wait.as_millis() as u64, "connect failed");
                Err(e)
            }
        }
    }

    /// Whether the last attempt to reach `address` failed and its backoff
    /// has not passed yet.
    pub(crate) fn in_backoff(&self, address: &str) -> bool {
        let slot = self.slot(address);
        let Ok(state) = slot.try_lock() else {
            return false;
        };
        state.retry_at.is_some_and(|at| at > Instant::now())
    }

    /// Drops the connection to `address` so that the next `get` makes a new
    /// one (after a request on it timed out, for instance).
    pub(crate) async fn reset(&self, address: &str) {
        self.slot(address).lock().await.conn = None;
    }

    async fn connect(&self, address: &str) -> Result<Connection> {
        let conn = Connection::connect(address, self.config.connection.clone()).await?;
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
        // Bind then drop: the port is (almost certainly) closed now.
        let addr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").to_string()
        };
        let pool = BrokerPool::new(PoolConfig {
            connection: ConnectionConfig::default(),
            sasl: None,
            backoff: Duration::from_secs(5),
            backoff_max: Duration::from_secs(5),
        });
        assert!(pool.get(&addr).await.is_err());
        assert!(pool.in_backoff(&addr));
    }
}
