//! Re-authentication (KIP-368): a broker with `connections.max.reauth.ms`
//! gives each SASL session a lifetime and closes the connection when it
//! ends. Before that, between 85% and 95% of it (random, as the Java
//! client does, so that connections made together do not re-authenticate
//! together), the exchange runs again on the live connection, holding its
//! writer so that no other request comes between the exchange's frames.
//! Requests in flight keep their responses; requests queued meanwhile
//! wait, in order.

use std::time::Duration;

use tracing::{debug, warn};

use super::authenticate::authenticate_on;
use super::SaslCredentials;
use crate::net::Connection;

/// Keeps `conn` authenticated while anyone uses it: re-authenticates
/// before each session of `lifetime` ends. Ends with the connection, or
/// when a re-authentication fails (the broker then closes the connection
/// at the session's end, and the pool connects anew).
pub(crate) fn keep_authenticated(
    conn: &Connection,
    credentials: SaslCredentials,
    lifetime: Duration,
) {
    let weak = conn.downgrade();
    let broker = conn.broker().to_owned();
    tokio::spawn(async move {
        let mut lifetime = lifetime;
        loop {
            let percent = 85 + getrandom::u32().unwrap_or(0) % 11;
            tokio::time::sleep(lifetime * percent / 100).await;
            let Some(conn) = weak.upgrade() else { return };
            let result = match conn.exclusive().await {
                Ok(exclusive) => authenticate_on(&exclusive, &credentials).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(next) => {
                    conn.count_reauthentication();
                    debug!(%broker, mechanism = %credentials.mechanism, "re-authenticated");
                    match next {
                        Some(next) => lifetime = next,
                        None => return,
                    }
                }
                Err(e) => {
                    warn!(%broker, error = %e, "re-authentication failed; the broker will close the connection");
                    return;
                }
            }
        }
    });
}
