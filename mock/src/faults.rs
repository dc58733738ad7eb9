//! Faults a test has asked for: error codes queued per API (cluster-wide
//! or for one broker), response delays, and connections to cut after a
//! number of requests or bytes. The broker loop consults these for every request;
//! each API's `error` in [`super::api`] turns a queued code into its response.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use ferrokafka_protocol::{ApiKey, ErrorCode};

/// The faults in force.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// Codes for the next requests of an API: `None` for any broker.
    errors: HashMap<(Option<i32>, ApiKey), VecDeque<ErrorCode>>,
    /// Delay before each response, by broker.
    rtt: HashMap<i32, Duration>,
    /// Requests a broker still answers before it cuts a connection.
    drop_after: HashMap<i32, u64>,
    /// Request bytes a broker still takes before it cuts a connection.
    drop_after_bytes: HashMap<i32, u64>,
}

impl Faults {
    /// Queues `codes` for the next requests of `api` (to `broker`, or to
    /// any broker).
    pub(crate) fn push_errors(&mut self, broker: Option<i32>, api: ApiKey, codes: &[ErrorCode]) {
        self.errors
            .entry((broker, api))
            .or_default()
            .extend(codes.iter().copied());
    }

    /// The code for this request of `api` to `broker`, if one is queued:
    /// the broker's own queue first, then the cluster-wide one.
    /// `ErrorCode::None` in a queue lets one request through unharmed.
    pub(crate) fn next_error(&mut self, broker: i32, api: ApiKey) -> Option<ErrorCode> {
        let code = [Some(broker), None]
            .into_iter()
            .find_map(|b| self.errors.get_mut(&(b, api)).and_then(VecDeque::pop_front))?;
        (!code.is_ok()).then_some(code)
    }

    /// Delays every response of `broker` by `rtt` (zero for none).
    pub(crate) fn set_rtt(&mut self, broker: i32, rtt: Duration) {
        self.rtt.insert(broker, rtt);
    }

    /// The delay before `broker`'s responses.
    pub(crate) fn rtt(&self, broker: i32) -> Duration {
        self.rtt.get(&broker).copied().unwrap_or_default()
    }

    /// `broker` answers `n` more requests, then closes the connection the
    /// next one arrives on, without answering it.
    pub(crate) fn drop_connection_after(&mut self, broker: i32, n: u64) {
        self.drop_after.insert(broker, n);
    }

    /// `broker` takes `n` more bytes of requests (size prefixes included),
    /// then closes the connection of the request that goes past them,
    /// without answering it.
    pub(crate) fn drop_connection_after_bytes(&mut self, broker: i32, n: u64) {
        self.drop_after_bytes.insert(broker, n);
    }

    /// Counts a request of `bytes` to `broker`; true when its connection
    /// must be cut.
    pub(crate) fn should_drop(&mut self, broker: i32, bytes: u64) -> bool {
        let by_count = match self.drop_after.get_mut(&broker) {
            None => false,
            Some(0) => {
                self.drop_after.remove(&broker);
                true
            }
            Some(n) => {
                *n -= 1;
                false
            }
        };
        let by_bytes = match self.drop_after_bytes.get_mut(&broker) {
            None => false,
            Some(n) if *n < bytes => {
                self.drop_after_bytes.remove(&broker);
                true
            }
            Some(n) => {
                *n -= bytes;
                false
            }
        };
        by_count || by_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_queue_goes_first_and_none_passes_one_through() {
        let mut f = Faults::default();
        f.push_errors(None, ApiKey::Produce, &[ErrorCode::NotLeaderOrFollower]);
        f.push_errors(
            Some(1),
            ApiKey::Produce,
            &[ErrorCode::None, ErrorCode::RequestTimedOut],
        );
        assert_eq!(f.next_error(1, ApiKey::Produce), None);
        assert_eq!(
            f.next_error(1, ApiKey::Produce),
            Some(ErrorCode::RequestTimedOut)
        );
        assert_eq!(f.next_error(2, ApiKey::Fetch), None);
        assert_eq!(
            f.next_error(2, ApiKey::Produce),
            Some(ErrorCode::NotLeaderOrFollower)
        );
        assert_eq!(f.next_error(1, ApiKey::Produce), None);
    }

    #[test]
    fn drop_counts_requests_down() {
        let mut f = Faults::default();
        f.drop_connection_after(0, 2);
        assert!(!f.should_drop(0, 1));
        assert!(!f.should_drop(1, 1));
        assert!(!f.should_drop(0, 1));
        assert!(f.should_drop(0, 1));
        assert!(!f.should_drop(0, 1), "once");
    }

    #[test]
    fn drop_counts_bytes_down() {
        let mut f = Faults::default();
        f.drop_connection_after_bytes(0, 100);
        assert!(!f.should_drop(0, 60));
        assert!(!f.should_drop(0, 40), "exactly 100 taken");
        assert!(f.should_drop(0, 1));
        assert!(!f.should_drop(0, 1000), "once");
    }
}
