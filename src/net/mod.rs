//! Broker connections: one task pair per connection, size-prefixed frames,
//! correlation ids, pipelined in-flight requests, and the ApiVersions
//! handshake that fixes the version of every later request.

mod connection;
mod frame;
mod oidc;
pub mod sasl;
mod tls;
mod versions;

pub(crate) use connection::BrokerCounters;
pub use connection::{Connection, ConnectionConfig, Exclusive, PendingResponse, WeakConnection};
pub use tls::{TlsConnector, TlsError};
pub use versions::ApiVersionTable;

pub(crate) use oidc::token_provider as oidc_token_provider;
