//! The catalog of the properties `ClientConfig::set` accepts: name,
//! whether producers, consumers or both use it, its default and what it
//! does (what `ferrokafka -X list` prints). A unit test keeps it in step
//! with the parsers in `properties.rs`, `ssl.rs` and `oidc.rs`.

/// One property `ClientConfig::set` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertyInfo {
    /// Its name (librdkafka's, or an alias).
    pub name: &'static str,
    /// `*` (every client), `P` (producer) or `C` (consumer), as
    /// librdkafka's CONFIGURATION.md marks it.
    pub scope: &'static str,
    /// The default, as a value `set` takes (empty: none).
    pub default: &'static str,
    /// What it does.
    pub description: &'static str,
}

/// Every property `ClientConfig::set` accepts, aliases included.
pub const PROPERTIES: &[PropertyInfo] = &[
    PropertyInfo {
        name: "bootstrap.servers",
        scope: "*",
        default: "",
        description: "Initial brokers, host:port[,host:port...].",
    },
    PropertyInfo {
        name: "metadata.broker.list",
        scope: "*",
        default: "",
        description: "Alias for `bootstrap.servers`.",
    },
    PropertyInfo {
        name: "client.id",
        scope: "*",
        default: "ferrokafka",
        description: "Client identifier sent to the brokers.",
    },
    PropertyInfo {
        name: "statistics.interval.ms",
        scope: "*",
        default: "0",
        description: "Interval of the statistics callback (0: off).",
    },
    PropertyInfo {
        name: "debug",
        scope: "*",
        default: "",
        description: "Debug contexts to log (tracing): generic, broker, topic, metadata, msg, protocol, cgrp, security, fetch, consumer, eos, all, ...",
    },
    PropertyInfo {
        name: "request.timeout.ms",
        scope: "*",
        default: "30000",
        description: "Timeout of one request to a broker.",
    },
    PropertyInfo {
        name: "socket.timeout.ms",
        scope: "*",
        default: "30000",
        description: "Alias for `request.timeout.ms`.",
    },
    PropertyInfo {
        name: "socket.connection.setup.timeout.ms",
        scope: "*",
        default: "30000",
        description: "Timeout of a connection's setup (TCP, TLS, SASL).",
    },
    PropertyInfo {
        name: "reconnect.backoff.ms",
        scope: "*",
        default: "100",
        description: "First wait before reconnecting to a broker.",
    },
    PropertyInfo {
        name: "reconnect.backoff.max.ms",
        scope: "*",
        default: "10000",
        description: "Longest wait before reconnecting to a broker.",
    },
    PropertyInfo {
        name: "metadata.max.age.ms",
        scope: "*",
        default: "900000",
        description: "Age after which metadata is refreshed.",
    },
    PropertyInfo {
        name: "receive.message.max.bytes",
        scope: "*",
        default: "100000000",
        description: "Largest response accepted from a broker.",
    },
    PropertyInfo {
        name: "security.protocol",
        scope: "*",
        default: "plaintext",
        description: "plaintext, ssl, sasl_plaintext or sasl_ssl.",
    },
    PropertyInfo {
        name: "sasl.mechanism",
        scope: "*",
        default: "",
        description: "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER.",
    },
    PropertyInfo {
        name: "sasl.mechanisms",
        scope: "*",
        default: "",
        description: "Alias for `sasl.mechanism`.",
    },
    PropertyInfo {
        name: "sasl.username",
        scope: "*",
        default: "",
        description: "SASL user (PLAIN, SCRAM).",
    },
    PropertyInfo {
        name: "sasl.password",
        scope: "*",
        default: "",
        description: "SASL password (PLAIN, SCRAM).",
    },
    PropertyInfo {
        name: "sasl.oauthbearer.config",
        scope: "*",
        default: "",
        description: "Settings of the unsecured JWT (principal=..., scope=..., lifeSeconds=...).",
    },
    PropertyInfo {
        name: "enable.sasl.oauthbearer.unsecure.jwt",
        scope: "*",
        default: "false",
        description: "Make unsecured JWTs for OAUTHBEARER (testing only).",
    },
    PropertyInfo {
        name: "sasl.oauthbearer.method",
        scope: "*",
        default: "default",
        description: "default or oidc (client-credentials tokens from an endpoint).",
    },
    PropertyInfo {
        name: "sasl.oauthbearer.client.id",
        scope: "*",
        default: "",
        description: "OIDC client id.",
    },
    PropertyInfo {
        name: "sasl.oauthbearer.client.secret",
        scope: "*",
        default: "",
        description: "OIDC client secret.",
    },
    PropertyInfo {
        name: "sasl.oauthbearer.scope",
        scope: "*",
        default: "",
        description: "OIDC scope.",
    },
    PropertyInfo {
        name: "sasl.oauthbearer.token.endpoint.url",
        scope: "*",
        default: "",
        description: "OIDC token endpoint (https).",
    },
    PropertyInfo {
        name: "sasl.oauthbearer.extensions",
        scope: "*",
        default: "",
        description: "SASL extensions, key=value[,key=value...].",
    },
    PropertyInfo {
        name: "https.ca.location",
        scope: "*",
        default: "",
        description: "CA file (PEM) for the OIDC endpoint, or probe.",
    },
    PropertyInfo {
        name: "https.ca.pem",
        scope: "*",
        default: "",
        description: "CA (PEM text) for the OIDC endpoint.",
    },
    PropertyInfo {
        name: "ssl.ca.location",
        scope: "*",
        default: "",
        description: "CA file or directory (PEM), or probe for the system's.",
    },
    PropertyInfo {
        name: "ssl.ca.pem",
        scope: "*",
        default: "",
        description: "CA certificates (PEM text).",
    },
    PropertyInfo {
        name: "ssl.truststore.location",
        scope: "*",
        default: "",
        description: "CA certificates as a PKCS#12 trust store.",
    },
    PropertyInfo {
        name: "ssl.truststore.password",
        scope: "*",
        default: "",
        description: "Password of the trust store.",
    },
    PropertyInfo {
        name: "ssl.truststore.type",
        scope: "*",
        default: "",
        description: "PKCS12 or PEM.",
    },
    PropertyInfo {
        name: "ssl.keystore.type",
        scope: "*",
        default: "",
        description: "PKCS12 or PEM.",
    },
    PropertyInfo {
        name: "ssl.certificate.location",
        scope: "*",
        default: "",
        description: "Client certificate file (PEM).",
    },
    PropertyInfo {
        name: "ssl.certificate.pem",
        scope: "*",
        default: "",
        description: "Client certificate (PEM text).",
    },
    PropertyInfo {
        name: "ssl.key.location",
        scope: "*",
        default: "",
        description: "Client private key file (PEM, PKCS#8 or PKCS#1/SEC1).",
    },
    PropertyInfo {
        name: "ssl.key.pem",
        scope: "*",
        default: "",
        description: "Client private key (PEM text).",
    },
    PropertyInfo {
        name: "ssl.key.password",
        scope: "*",
        default: "",
        description: "Password of an encrypted private key.",
    },
    PropertyInfo {
        name: "ssl.keystore.location",
        scope: "*",
        default: "",
        description: "Client key and certificate as a PKCS#12 key store.",
    },
    PropertyInfo {
        name: "ssl.keystore.password",
        scope: "*",
        default: "",
        description: "Password of the key store.",
    },
    PropertyInfo {
        name: "ssl.endpoint.identification.algorithm",
        scope: "*",
        default: "https",
        description: "https: check the broker's host name; none: do not.",
    },
    PropertyInfo {
        name: "enable.ssl.certificate.verification",
        scope: "*",
        default: "true",
        description: "Verify the broker's certificate.",
    },
    PropertyInfo {
        name: "acks",
        scope: "P",
        default: "all",
        description: "Acknowledgements the leader waits for: 0, 1 or all (-1).",
    },
    PropertyInfo {
        name: "request.required.acks",
        scope: "P",
        default: "all",
        description: "Alias for `acks`.",
    },
    PropertyInfo {
        name: "linger.ms",
        scope: "P",
        default: "5",
        description: "Wait for more records before sending a batch.",
    },
    PropertyInfo {
        name: "queue.buffering.max.ms",
        scope: "P",
        default: "5",
        description: "Alias for `linger.ms`.",
    },
    PropertyInfo {
        name: "batch.size",
        scope: "P",
        default: "1000000",
        description: "Largest batch in bytes.",
    },
    PropertyInfo {
        name: "batch.num.messages",
        scope: "P",
        default: "10000",
        description: "Most records in one batch.",
    },
    PropertyInfo {
        name: "queue.buffering.max.messages",
        scope: "P",
        default: "100000",
        description: "Most records waiting in the producer.",
    },
    PropertyInfo {
        name: "queue.buffering.max.kbytes",
        scope: "P",
        default: "1048576",
        description: "Most kilobytes waiting in the producer.",
    },
    PropertyInfo {
        name: "compression.type",
        scope: "P",
        default: "none",
        description: "none, gzip, snappy, lz4 or zstd.",
    },
    PropertyInfo {
        name: "compression.codec",
        scope: "P",
        default: "none",
        description: "Alias for `compression.type`.",
    },
    PropertyInfo {
        name: "enable.idempotence",
        scope: "P",
        default: "true",
        description: "Exactly-once, in-order writes per partition.",
    },
    PropertyInfo {
        name: "transactional.id",
        scope: "P",
        default: "",
        description: "Transactional id (enables transactions).",
    },
    PropertyInfo {
        name: "transaction.timeout.ms",
        scope: "P",
        default: "60000",
        description: "Timeout of a transaction at the coordinator.",
    },
    PropertyInfo {
        name: "message.timeout.ms",
        scope: "P",
        default: "300000",
        description: "Time a record may take to be delivered (0: unbounded).",
    },
    PropertyInfo {
        name: "delivery.timeout.ms",
        scope: "P",
        default: "300000",
        description: "Alias for `message.timeout.ms`.",
    },
    PropertyInfo {
        name: "retries",
        scope: "P",
        default: "2147483647",
        description: "Retries of a failed send.",
    },
    PropertyInfo {
        name: "message.send.max.retries",
        scope: "P",
        default: "2147483647",
        description: "Alias for `retries`.",
    },
    PropertyInfo {
        name: "retry.backoff.ms",
        scope: "*",
        default: "100",
        description: "Wait before retrying a request.",
    },
    PropertyInfo {
        name: "max.in.flight.requests.per.connection",
        scope: "*",
        default: "5",
        description: "Requests in flight per broker connection.",
    },
    PropertyInfo {
        name: "max.in.flight",
        scope: "*",
        default: "5",
        description: "Alias for `max.in.flight.requests.per.connection`.",
    },
    PropertyInfo {
        name: "partitioner",
        scope: "P",
        default: "murmur2_random",
        description: "murmur2_random, murmur2, consistent_random, consistent, random, fnv1a or fnv1a_random.",
    },
    PropertyInfo {
        name: "message.max.bytes",
        scope: "*",
        default: "1000000",
        description: "Largest request (produce) in bytes.",
    },
    PropertyInfo {
        name: "max.request.size",
        scope: "*",
        default: "1000000",
        description: "Alias for `message.max.bytes`.",
    },
    PropertyInfo {
        name: "group.id",
        scope: "C",
        default: "",
        description: "Consumer group id.",
    },
    PropertyInfo {
        name: "group.instance.id",
        scope: "C",
        default: "",
        description: "Static member id.",
    },
    PropertyInfo {
        name: "auto.offset.reset",
        scope: "C",
        default: "latest",
        description: "Where to start without a committed offset: earliest, latest or error.",
    },
    PropertyInfo {
        name: "enable.partition.eof",
        scope: "C",
        default: "false",
        description: "Report reaching the end of a partition.",
    },
    PropertyInfo {
        name: "enable.auto.commit",
        scope: "C",
        default: "true",
        description: "Commit offsets in the background.",
    },
    PropertyInfo {
        name: "auto.commit.interval.ms",
        scope: "C",
        default: "5000",
        description: "Interval of the background commits.",
    },
    PropertyInfo {
        name: "enable.auto.offset.store",
        scope: "C",
        default: "true",
        description: "Store each delivered record's offset for commit.",
    },
    PropertyInfo {
        name: "session.timeout.ms",
        scope: "C",
        default: "45000",
        description: "Group session timeout (classic protocol).",
    },
    PropertyInfo {
        name: "heartbeat.interval.ms",
        scope: "C",
        default: "3000",
        description: "Group heartbeat interval (classic protocol).",
    },
    PropertyInfo {
        name: "max.poll.interval.ms",
        scope: "C",
        default: "300000",
        description: "Longest time between polls before leaving the group.",
    },
    PropertyInfo {
        name: "partition.assignment.strategy",
        scope: "C",
        default: "range,roundrobin",
        description: "range, roundrobin and/or cooperative-sticky.",
    },
    PropertyInfo {
        name: "group.protocol",
        scope: "C",
        default: "classic",
        description: "classic or consumer (KIP-848).",
    },
    PropertyInfo {
        name: "group.remote.assignor",
        scope: "C",
        default: "",
        description: "Server-side assignor (consumer protocol).",
    },
    PropertyInfo {
        name: "fetch.min.bytes",
        scope: "C",
        default: "1",
        description: "Bytes a fetch waits for.",
    },
    PropertyInfo {
        name: "fetch.wait.max.ms",
        scope: "C",
        default: "500",
        description: "Longest wait of a fetch at the broker.",
    },
    PropertyInfo {
        name: "fetch.max.wait.ms",
        scope: "C",
        default: "500",
        description: "Alias for `fetch.wait.max.ms`.",
    },
    PropertyInfo {
        name: "fetch.max.bytes",
        scope: "C",
        default: "52428800",
        description: "Most bytes of one fetch response.",
    },
    PropertyInfo {
        name: "max.partition.fetch.bytes",
        scope: "C",
        default: "1048576",
        description: "Most bytes per partition of one fetch.",
    },
    PropertyInfo {
        name: "fetch.message.max.bytes",
        scope: "C",
        default: "1048576",
        description: "Alias for `max.partition.fetch.bytes`.",
    },
    PropertyInfo {
        name: "queued.max.messages.kbytes",
        scope: "C",
        default: "65536",
        description: "Most kilobytes fetched ahead of the application.",
    },
    PropertyInfo {
        name: "decompressed.batch.max.bytes",
        scope: "C",
        default: "67108864",
        description: "Largest decompressed batch accepted.",
    },
    PropertyInfo {
        name: "isolation.level",
        scope: "C",
        default: "read_committed",
        description: "read_committed or read_uncommitted.",
    },
    PropertyInfo {
        name: "allow.auto.create.topics",
        scope: "C",
        default: "",
        description: "Let the broker create a subscribed topic that does not exist.",
    },
    PropertyInfo {
        name: "api.version.request",
        scope: "*",
        default: "true",
        description: "Accepted; no effect here (always on).",
    },
    PropertyInfo {
        name: "broker.address.family",
        scope: "*",
        default: "any",
        description: "Accepted; no effect here.",
    },
    PropertyInfo {
        name: "log_level",
        scope: "*",
        default: "6",
        description: "Accepted; no effect here (use tracing's filters).",
    },
    PropertyInfo {
        name: "socket.keepalive.enable",
        scope: "*",
        default: "false",
        description: "Accepted; no effect here.",
    },
    PropertyInfo {
        name: "topic.metadata.refresh.interval.ms",
        scope: "*",
        default: "300000",
        description: "Accepted; no effect here.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ClientConfig, ConfigError};

    /// The property names the parsers match on: quoted lowercase dotted
    /// names followed by `=>` or `|`.
    fn parsed_names(source: &str) -> Vec<String> {
        let mut names = Vec::new();
        for piece in source.split('"').collect::<Vec<_>>().windows(2) {
            let (name, after) = (piece[0], piece[1].trim_start());
            let looks_like = name.contains('.')
                && name.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_'
                });
            if looks_like && (after.starts_with("=>") || after.starts_with('|')) {
                names.push(name.to_string());
            }
        }
        names
    }

    #[test]
    fn every_parsed_property_is_in_the_catalog() {
        let mut names = parsed_names(include_str!("properties.rs"));
        names.extend(parsed_names(include_str!("ssl.rs")));
        names.extend(parsed_names(include_str!("oidc.rs")));
        assert!(names.len() > 60, "{names:?}");
        for n in &names {
            assert!(
                PROPERTIES.iter().any(|p| p.name == n),
                "{n} is parsed but not in the catalog"
            );
        }
    }

    #[test]
    fn every_catalogued_property_is_accepted_with_its_default() {
        for p in PROPERTIES {
            assert!(matches!(p.scope, "*" | "P" | "C"), "{p:?}");
            if p.default.is_empty() {
                let r = ClientConfig::new().set(p.name, "x");
                assert!(
                    !matches!(r, Err(ConfigError::UnknownProperty { .. })),
                    "{} unknown",
                    p.name
                );
            } else {
                let r = ClientConfig::new().set(p.name, p.default);
                assert!(r.is_ok(), "{} = {}: {:?}", p.name, p.default, r.err());
            }
        }
    }
}
