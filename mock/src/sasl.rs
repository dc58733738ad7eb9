//! SASL/PLAIN on a mock connection: which requests a connection may send
//! before it has authenticated, and the check of the PLAIN message. The
//! two SASL APIs are `api/sasl_handshake.rs` and
//! `api/sasl_authenticate.rs`.

use ferrokafka_protocol::ApiKey;

/// The only mechanism the mock speaks.
pub(crate) const PLAIN: &str = "PLAIN";

/// Where a connection is in authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// SASL is not required: everything goes.
    Open,
    /// SASL is required and no mechanism was chosen yet.
    AwaitingHandshake,
    /// PLAIN was chosen; a SaslAuthenticate comes next.
    AwaitingAuthenticate,
    /// PLAIN was chosen with SaslHandshake v0: the next frame is the raw
    /// PLAIN message, outside any Kafka request.
    AwaitingRawToken,
    /// Authenticated.
    Done,
}

impl Auth {
    /// The state of a new connection.
    pub(crate) fn new(required: bool) -> Auth {
        if required {
            Auth::AwaitingHandshake
        } else {
            Auth::Open
        }
    }

    /// Whether `api` may be sent now. ApiVersions always may: clients ask
    /// it before authenticating, as Kafka allows.
    pub(crate) fn allows(self, api: ApiKey) -> bool {
        match self {
            Auth::Open | Auth::Done => true,
            Auth::AwaitingHandshake => matches!(api, ApiKey::ApiVersions | ApiKey::SaslHandshake),
            Auth::AwaitingAuthenticate => {
                matches!(api, ApiKey::ApiVersions | ApiKey::SaslAuthenticate)
            }
            Auth::AwaitingRawToken => false,
        }
    }
}

/// Whether `message` is PLAIN's `authzid NUL user NUL password` for the
/// expected user (an authorization id, if any, must be the user).
pub(crate) fn check_plain(message: &[u8], user: &str, password: &str) -> bool {
    let mut parts = message.split(|&b| b == 0);
    let (Some(authzid), Some(authcid), Some(pass), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    (authzid.is_empty() || authzid == authcid)
        && authcid == user.as_bytes()
        && pass == password.as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_message_checks_user_password_and_authzid() {
        assert!(check_plain(b"\0alice\0pw", "alice", "pw"));
        assert!(check_plain(b"alice\0alice\0pw", "alice", "pw"));
        assert!(!check_plain(b"bob\0alice\0pw", "alice", "pw"));
        assert!(!check_plain(b"\0alice\0wrong", "alice", "pw"));
        assert!(!check_plain(b"\0alice\0pw\0", "alice", "pw"));
        assert!(!check_plain(b"alice", "alice", "pw"));
    }

    #[test]
    fn only_api_versions_and_the_handshake_come_before_authentication() {
        let a = Auth::new(true);
        assert!(a.allows(ApiKey::ApiVersions));
        assert!(a.allows(ApiKey::SaslHandshake));
        assert!(!a.allows(ApiKey::Metadata));
        assert!(!a.allows(ApiKey::SaslAuthenticate));
        assert!(Auth::new(false).allows(ApiKey::Metadata));
    }
}
