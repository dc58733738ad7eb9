//! librdkafka's `debug` property as tracing targets (see [`DebugContext`]).

use std::str::FromStr;

use super::{ClientConfig, ConfigError};

/// One of librdkafka's `debug` contexts, and what it shows.
///
/// ferrokafka logs through `tracing` and never installs a subscriber or
/// filter itself: a library that did would fight the application's own.
/// So `debug=broker,protocol` installs and enables nothing by itself; it
/// is parsed (an unknown context is refused, as librdkafka refuses it)
/// and kept, and [`ClientConfig::debug_directives`] turns it into the
/// filter directives (the `RUST_LOG` / `EnvFilter` syntax of
/// `tracing-subscriber`) that show what librdkafka would show for those
/// contexts. An application with a subscriber passes them to its filter:
///
/// ```text
/// let filter = EnvFilter::new(config.debug_directives().unwrap_or_default());
/// tracing_subscriber::fmt().with_env_filter(filter).init();
/// ```
///
/// | context | targets (level) | what they show |
/// |---|---|---|
/// | `generic` | `ferrokafka` (info) | the client's notable events |
/// | `broker` | `ferrokafka::broker`, `ferrokafka::net`, `ferrokafka::cluster::pool` (debug) | a span per connection (`broker`, `node_id`); connects, disconnects, backoff |
/// | `topic`, `metadata` | `ferrokafka::cluster` (debug) | metadata refreshes, leaders |
/// | `protocol` | `ferrokafka::protocol` (debug) | a span per request (`api`, `version`, `correlation_id`, `request_bytes`, `response_bytes`, `latency_us`) and its response event; timeouts |
/// | `msg` | `ferrokafka::msg` (trace), `ferrokafka::producer` (debug) | an event per produced batch (topic, partition, records, bytes, base offset) |
/// | `fetch` | `ferrokafka::fetch` (trace), `ferrokafka::consumer::engine::fetching`, `ferrokafka::consumer::fetch` (debug) | an event per fetched partition (batches, records, bytes, high watermark) |
/// | `cgrp`, `consumer`, `assignor` | `ferrokafka::consumer::group`, `ferrokafka::consumer::engine`, `ferrokafka::consumer::commit` (debug) | group membership, rebalances, commits |
/// | `eos` | `ferrokafka::producer::transaction`, `ferrokafka::producer::sender` (debug) | producer ids, epochs, transactions |
/// | `security` | `ferrokafka::net::sasl`, `ferrokafka::net::tls` (debug) | SASL and TLS |
/// | `admin` | `ferrokafka::admin` (debug) | admin requests |
/// | `all` | `ferrokafka` (trace) | everything |
///
/// librdkafka's other contexts (`feature`, `queue`, `interceptor`,
/// `plugin`, `mock`, `conf`, `telemetry`) are accepted and show nothing
/// more. Nothing is logged per record above trace level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DebugContext {
    /// `generic`.
    Generic,
    /// `broker`.
    Broker,
    /// `topic`.
    Topic,
    /// `metadata`.
    Metadata,
    /// `msg`.
    Msg,
    /// `protocol`.
    Protocol,
    /// `cgrp`.
    Cgrp,
    /// `consumer`.
    Consumer,
    /// `assignor`.
    Assignor,
    /// `fetch`.
    Fetch,
    /// `eos`.
    Eos,
    /// `security`.
    Security,
    /// `admin`.
    Admin,
    /// `all`.
    All,
    /// A context librdkafka has that maps to nothing here (`feature`,
    /// `queue`, `interceptor`, `plugin`, `mock`, `conf`, `telemetry`).
    Other,
}

impl DebugContext {
    /// The tracing filter directives showing this context.
    pub fn directives(self) -> &'static [&'static str] {
        match self {
            DebugContext::Generic => &["ferrokafka=info"],
            DebugContext::Broker => &[
                "ferrokafka::broker=debug",
                "ferrokafka::net=debug",
                "ferrokafka::cluster::pool=debug",
            ],
            DebugContext::Topic | DebugContext::Metadata => &["ferrokafka::cluster=debug"],
            DebugContext::Msg => &["ferrokafka::msg=trace", "ferrokafka::producer=debug"],
            DebugContext::Protocol => &["ferrokafka::protocol=debug"],
            DebugContext::Cgrp | DebugContext::Consumer | DebugContext::Assignor => &[
                "ferrokafka::consumer::group=debug",
                "ferrokafka::consumer::engine=debug",
                "ferrokafka::consumer::commit=debug",
            ],
            DebugContext::Fetch => &[
                "ferrokafka::fetch=trace",
                "ferrokafka::consumer::engine::fetching=debug",
                "ferrokafka::consumer::fetch=debug",
            ],
            DebugContext::Eos => &[
                "ferrokafka::producer::transaction=debug",
                "ferrokafka::producer::sender=debug",
            ],
            DebugContext::Security => {
                &["ferrokafka::net::sasl=debug", "ferrokafka::net::tls=debug"]
            }
            DebugContext::Admin => &["ferrokafka::admin=debug"],
            DebugContext::All => &["ferrokafka=trace"],
            DebugContext::Other => &[],
        }
    }
}

impl FromStr for DebugContext {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s {
            "generic" => DebugContext::Generic,
            "broker" => DebugContext::Broker,
            "topic" => DebugContext::Topic,
            "metadata" => DebugContext::Metadata,
            "msg" => DebugContext::Msg,
            "protocol" => DebugContext::Protocol,
            "cgrp" => DebugContext::Cgrp,
            "consumer" => DebugContext::Consumer,
            "assignor" => DebugContext::Assignor,
            "fetch" => DebugContext::Fetch,
            "eos" => DebugContext::Eos,
            "security" => DebugContext::Security,
            "admin" => DebugContext::Admin,
            "all" => DebugContext::All,
            "feature" | "queue" | "interceptor" | "plugin" | "mock" | "conf" | "telemetry" => {
                DebugContext::Other
            }
            _ => return Err(()),
        })
    }
}

/// Parses the `debug` property's comma-separated list.
pub(super) fn parse(name: &str, value: &str) -> Result<Vec<DebugContext>, ConfigError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse().map_err(|()| ConfigError::InvalidValue {
                name: name.to_owned(),
                value: value.to_owned(),
                reason: format!(
                    "unknown debug context {s:?} (expected generic, broker, topic, metadata, \
                     msg, protocol, cgrp, consumer, assignor, fetch, eos, security, admin, all, ...)"
                ),
            })
        })
        .collect()
}

impl ClientConfig {
    /// The tracing filter directives for the `debug` contexts set
    /// (comma-separated, for `tracing-subscriber`'s `EnvFilter`), `None`
    /// when none is. The mapping is [`DebugContext`]'s.
    ///
    /// ```
    /// use ferrokafka::config::ClientConfig;
    ///
    /// let config = ClientConfig::new().set("debug", "broker,protocol").unwrap();
    /// let directives = config.debug_directives().unwrap();
    /// assert!(directives.contains("ferrokafka::protocol=debug"));
    /// assert!(directives.contains("ferrokafka::broker=debug"));
    /// ```
    pub fn debug_directives(&self) -> Option<String> {
        let mut all: Vec<&str> = Vec::new();
        for c in &self.debug {
            for d in c.directives() {
                if !all.contains(d) {
                    all.push(d);
                }
            }
        }
        (!all.is_empty()).then(|| all.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_librdkafka_context_parses_and_unknown_ones_are_refused() {
        let c = ClientConfig::new()
            .set("debug", "broker,topic,msg,protocol,cgrp,fetch,eos,all")
            .expect("librdkafka's contexts");
        assert_eq!(c.debug.len(), 8);
        let d = c.debug_directives().expect("directives");
        for target in [
            "ferrokafka::broker=debug",
            "ferrokafka::cluster=debug",
            "ferrokafka::msg=trace",
            "ferrokafka::protocol=debug",
            "ferrokafka::consumer::group=debug",
            "ferrokafka::fetch=trace",
            "ferrokafka::producer::transaction=debug",
            "ferrokafka=trace",
        ] {
            assert!(
                d.split(',').any(|x| x == target),
                "{target} missing from {d}"
            );
        }
        let err = ClientConfig::new()
            .set("debug", "broker,nonsense")
            .unwrap_err();
        assert!(err.to_string().contains("nonsense"), "{err}");
        assert_eq!(ClientConfig::new().debug_directives(), None);
        let quiet = ClientConfig::new().set("debug", "conf").expect("accepted");
        assert_eq!(quiet.debug_directives(), None);
    }
}
