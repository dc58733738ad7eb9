//! The property names: librdkafka's, with the Java client's spellings and
//! librdkafka's aliases beside them, each parsed into its typed field.

use std::str::FromStr;
use std::time::Duration;

use super::{ClientConfig, ConfigError};

/// Properties librdkafka accepts that change nothing here, taken so that a
/// confluent-kafka configuration carries over unchanged.
const ACCEPTED_WITHOUT_EFFECT: &[&str] = &[
    "api.version.request",
    "broker.address.family",
    "log_level",
    "socket.keepalive.enable",
    "topic.metadata.refresh.interval.ms",
];

pub(super) fn apply(c: &mut ClientConfig, name: &str, value: &str) -> Result<(), ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidValue {
        name: name.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let ms = || -> Result<Duration, ConfigError> {
        value
            .trim()
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| invalid("expected a whole number of milliseconds"))
    };
    let count = |min: usize| -> Result<usize, ConfigError> {
        match value.trim().parse::<usize>() {
            Ok(n) if n >= min => Ok(n),
            _ => Err(invalid(&format!(
                "expected a whole number of at least {min}"
            ))),
        }
    };
    let int32 = |min: i32| -> Result<i32, ConfigError> {
        match value.trim().parse::<i32>() {
            Ok(n) if n >= min => Ok(n),
            _ => Err(invalid(&format!(
                "expected a 32-bit whole number of at least {min}"
            ))),
        }
    };
    let boolean = || -> Result<bool, ConfigError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(invalid("expected true or false")),
        }
    };
    fn parsed<T: FromStr<Err = String>>(
        value: &str,
        invalid: impl Fn(&str) -> ConfigError,
    ) -> Result<T, ConfigError> {
        value.parse::<T>().map_err(|reason| invalid(&reason))
    }
    let text = || -> Result<String, ConfigError> {
        if value.is_empty() {
            Err(invalid("expected a non-empty string"))
        } else {
            Ok(value.to_owned())
        }
    };

    match name {
        "bootstrap.servers" | "metadata.broker.list" => {
            let servers: Vec<String> = value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if servers.is_empty() || servers.iter().any(|s| !valid_host_port(s)) {
                return Err(invalid("expected host:port[,host:port...]"));
            }
            c.bootstrap_servers = servers;
        }
        "client.id" => c.client_id = text()?,
        "statistics.interval.ms" => c.statistics_interval = ms()?,
        "debug" => c.debug = super::debug::parse(name, value)?,
        "request.timeout.ms" | "socket.timeout.ms" => c.request_timeout = ms()?,
        "socket.connection.setup.timeout.ms" => c.connect_timeout = ms()?,
        "reconnect.backoff.ms" => c.reconnect_backoff = ms()?,
        "reconnect.backoff.max.ms" => c.reconnect_backoff_max = ms()?,
        "metadata.max.age.ms" => c.metadata_max_age = ms()?,
        "receive.message.max.bytes" => c.receive_message_max_bytes = count(1000)?,
        "security.protocol" => c.security_protocol = parsed(value, invalid)?,
        "sasl.mechanism" | "sasl.mechanisms" => {
            let m = value.trim().to_ascii_uppercase();
            if !matches!(
                m.as_str(),
                "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512" | "OAUTHBEARER"
            ) {
                return Err(invalid(
                    "expected PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
                ));
            }
            c.sasl_mechanism = Some(m);
        }
        "sasl.username" => c.sasl_username = Some(text()?),
        "sasl.password" => c.sasl_password = Some(value.to_owned()),
        "sasl.oauthbearer.config" => {
            // Checked now, so that a typo is an error at once.
            super::TokenProvider::unsecured_jwt(value)?;
            c.sasl_oauthbearer_config = Some(value.to_owned())
        }
        "enable.sasl.oauthbearer.unsecure.jwt" => {
            c.enable_sasl_oauthbearer_unsecure_jwt = boolean()?
        }
        "acks" | "request.required.acks" => c.acks = parsed(value, invalid)?,
        "linger.ms" | "queue.buffering.max.ms" => c.linger = ms()?,
        "batch.size" => c.batch_size = count(1)?,
        "batch.num.messages" => c.batch_num_messages = count(1)?,
        "queue.buffering.max.messages" => c.queue_buffering_max_messages = count(1)?,
        "queue.buffering.max.kbytes" => c.queue_buffering_max_kbytes = count(1)?,
        "compression.type" | "compression.codec" => c.compression = parsed(value, invalid)?,
        "enable.idempotence" => c.enable_idempotence = boolean()?,
        "transactional.id" => c.transactional_id = Some(text()?),
        "transaction.timeout.ms" => c.transaction_timeout = ms()?,
        "message.timeout.ms" | "delivery.timeout.ms" => c.message_timeout = ms()?,
        "retries" | "message.send.max.retries" => {
            c.retries = value
                .trim()
                .parse::<u32>()
                .map_err(|_| invalid("expected a whole number"))?
        }
        "retry.backoff.ms" => c.retry_backoff = ms()?,
        "max.in.flight.requests.per.connection" | "max.in.flight" => c.max_in_flight = count(1)?,
        "partitioner" => c.partitioner = parsed(value, invalid)?,
        "message.max.bytes" | "max.request.size" => c.message_max_bytes = count(1000)?,

        "group.id" => c.group_id = Some(text()?),
        "group.instance.id" => c.group_instance_id = Some(text()?),
        "auto.offset.reset" => c.auto_offset_reset = parsed(value, invalid)?,
        "enable.partition.eof" => c.enable_partition_eof = boolean()?,
        "enable.auto.commit" => c.enable_auto_commit = boolean()?,
        "auto.commit.interval.ms" => c.auto_commit_interval = ms()?,
        "enable.auto.offset.store" => c.enable_auto_offset_store = boolean()?,
        "session.timeout.ms" => c.session_timeout = ms()?,
        "heartbeat.interval.ms" => c.heartbeat_interval = ms()?,
        "max.poll.interval.ms" => c.max_poll_interval = ms()?,
        "partition.assignment.strategy" => {
            let strategies: Vec<String> = value
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect();
            let known = ["range", "roundrobin", "cooperative-sticky"];
            if strategies.is_empty() || strategies.iter().any(|s| !known.contains(&s.as_str())) {
                return Err(invalid("expected range, roundrobin or cooperative-sticky"));
            }
            c.partition_assignment_strategy = strategies;
        }
        "group.protocol" => c.group_protocol = parsed(value, invalid)?,
        "group.remote.assignor" => {
            let v = value.trim();
            c.group_remote_assignor = (!v.is_empty()).then(|| v.to_owned());
        }
        "fetch.min.bytes" => c.fetch_min_bytes = int32(1)?,
        "fetch.wait.max.ms" | "fetch.max.wait.ms" => c.fetch_wait_max = ms()?,
        "fetch.max.bytes" => c.fetch_max_bytes = int32(1)?,
        "max.partition.fetch.bytes" | "fetch.message.max.bytes" => {
            c.max_partition_fetch_bytes = int32(1)?
        }
        "queued.max.messages.kbytes" => c.queued_max_messages_kbytes = count(1)?,
        "decompressed.batch.max.bytes" => c.decompressed_batch_max_bytes = count(1)?,
        "isolation.level" => c.isolation_level = parsed(value, invalid)?,
        "allow.auto.create.topics" => c.allow_auto_create_topics = Some(boolean()?),
        _ if ACCEPTED_WITHOUT_EFFECT.contains(&name) => {}
        _ if super::ssl::apply(&mut c.ssl, name, value)? => {}
        _ if super::oidc::apply(&mut c.oidc, name, value)? => {}
        _ => {
            return Err(ConfigError::UnknownProperty {
                name: name.to_owned(),
            })
        }
    }
    Ok(())
}

pub(super) fn valid_host_port(s: &str) -> bool {
    match s.rsplit_once(':') {
        Some((host, port)) => !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Acks, AutoOffsetReset, ClientConfig, Compression, ConfigError};
    use std::time::Duration;

    #[test]
    fn reference_flow_properties_are_taken() {
        let c = ClientConfig::from_properties([
            ("bootstrap.servers", "localhost:9092, 127.0.0.1:9093"),
            ("group.id", "my_consumer_group"),
            ("auto.offset.reset", "earliest"),
            ("enable.partition.eof", "true"),
            ("acks", "all"),
            ("linger.ms", "10"),
            ("compression.type", "lz4"),
            ("delivery.timeout.ms", "120000"),
        ])
        .expect("valid");
        assert_eq!(c.bootstrap_servers, ["localhost:9092", "127.0.0.1:9093"]);
        assert_eq!(c.group_id.as_deref(), Some("my_consumer_group"));
        assert_eq!(c.auto_offset_reset, AutoOffsetReset::Earliest);
        assert!(c.enable_partition_eof);
        assert_eq!(c.acks, Acks::All);
        assert_eq!(c.linger, Duration::from_millis(10));
        assert_eq!(c.compression, Compression::Lz4);
        assert_eq!(c.message_timeout, Duration::from_millis(120_000));
        c.validate().expect("consistent");
    }

    /// Accepted and ignored before statistics existed: now it sets the
    /// interval, and a bad value is refused.
    #[test]
    fn statistics_interval_is_taken() {
        let c = ClientConfig::new()
            .set("statistics.interval.ms", "250")
            .expect("ok");
        assert_eq!(c.statistics_interval, Duration::from_millis(250));
        assert!(ClientConfig::new()
            .set("statistics.interval.ms", "often")
            .is_err());
    }

    #[test]
    fn aliases_set_the_same_field() {
        let a = ClientConfig::new()
            .set("queue.buffering.max.ms", "7")
            .expect("ok");
        let b = ClientConfig::new().set("linger.ms", "7").expect("ok");
        assert_eq!(a, b);
        let a = ClientConfig::new()
            .set("request.required.acks", "-1")
            .expect("ok");
        assert_eq!(a.acks, Acks::All);
    }

    #[test]
    fn rejects_unknown_property_by_name() {
        let err = ClientConfig::new().set("linger.msec", "5").unwrap_err();
        assert_eq!(
            err,
            ConfigError::UnknownProperty {
                name: "linger.msec".into()
            }
        );
    }

    #[test]
    fn rejects_bad_values_naming_property_and_value() {
        for (name, value) in [
            ("acks", "2"),
            ("linger.ms", "-1"),
            ("compression.type", "brotli"),
            ("bootstrap.servers", "localhost"),
            ("bootstrap.servers", "host:99999"),
            ("enable.idempotence", "maybe"),
            ("auto.offset.reset", "middle"),
            ("partition.assignment.strategy", "sticky-ish"),
            ("fetch.max.bytes", "5000000000"),
        ] {
            let err = ClientConfig::new().set(name, value).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(name) && text.contains(value), "{text}");
        }
    }

    #[test]
    fn builder_takes_comma_separated_servers_and_validate_refuses_bad_ones() {
        let c = ClientConfig::new().bootstrap_servers(["a:1, b:2", "c:3"]);
        assert_eq!(c.bootstrap_servers, ["a:1", "b:2", "c:3"]);
        c.validate().expect("three good servers");
        let bad = ClientConfig::new().bootstrap_servers(["a:1", "nohostport"]);
        match bad.validate() {
            Err(ConfigError::InvalidValue { name, value, .. }) => {
                assert_eq!(name, "bootstrap.servers");
                assert_eq!(value, "nohostport");
            }
            other => panic!("expected InvalidValue, got {other:?}"),
        }
    }

    #[test]
    fn group_protocol_consumer_refuses_what_the_broker_owns() {
        let base = [("bootstrap.servers", "a:1"), ("group.protocol", "consumer")];
        let c = ClientConfig::from_properties(base).expect("parses");
        assert_eq!(c.group_protocol, super::super::GroupProtocol::Consumer);
        c.validate().expect("defaults are fine");
        for (name, value) in [
            ("session.timeout.ms", "10000"),
            ("heartbeat.interval.ms", "1000"),
            ("partition.assignment.strategy", "cooperative-sticky"),
        ] {
            let c = ClientConfig::from_properties(base)
                .and_then(|c| c.set(name, value))
                .expect("parses");
            let err = c.validate().expect_err("refused");
            assert!(
                matches!(&err, ConfigError::BrokerOwned { name: n, .. } if *n == name),
                "{err}"
            );
            assert!(err.to_string().contains("group.protocol=classic"), "{err}");
            // The same settings are the application's under classic.
            c.set("group.protocol", "classic")
                .expect("parses")
                .validate()
                .expect("classic accepts them");
        }
        let c = ClientConfig::from_properties(base)
            .and_then(|c| c.set("group.remote.assignor", "uniform"))
            .expect("parses");
        assert_eq!(c.group_remote_assignor.as_deref(), Some("uniform"));
        assert!(ClientConfig::new().set("group.protocol", "modern").is_err());
    }

    #[test]
    fn validate_refuses_idempotence_without_acks_all() {
        let c = ClientConfig::from_properties([("bootstrap.servers", "a:1"), ("acks", "1")])
            .expect("parses");
        assert!(matches!(c.validate(), Err(ConfigError::Conflict(_))));
        let c = c.set("enable.idempotence", "false").expect("parses");
        c.validate().expect("consistent without idempotence");
        assert!(
            ClientConfig::new().validate().is_err(),
            "bootstrap.servers is required"
        );
    }
}
