//! SASL mechanisms, sans IO: each turns the broker's challenges into the
//! client's responses. The connection carries them in SaslAuthenticate
//! requests after a SaslHandshake.

mod authenticate;
mod base64;
pub mod plain;
pub mod scram;

pub use authenticate::{authenticate, SaslCredentials};

/// A SASL exchange that failed on the client's side.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// The broker's message does not parse.
    #[error("malformed {mechanism} server message: {reason}")]
    Malformed {
        /// The mechanism.
        mechanism: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The broker sent an error (`e=...`), or its proof did not verify.
    #[error("{mechanism} authentication failed: {reason}")]
    Failed {
        /// The mechanism.
        mechanism: &'static str,
        /// What the broker said, or that its signature was wrong.
        reason: String,
    },
}

#[cfg(test)]
mod tests;
