//! `config describe|alter` (topics, brokers, broker loggers, groups;
//! incremental SET, DELETE, APPEND, SUBTRACT) and `topic alter`
//! (partition count and configs), through the admin client.

use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use ferrokafka::admin::{
    Admin, AlterConfigOp, ConfigEntry, ConfigResource, ConfigSource, NewPartitions,
};
use serde_json::json;

use crate::admin::{fail, print_table};

/// The kind of resource a config belongs to.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A topic, by name.
    Topic,
    /// A broker, by id.
    Broker,
    /// A broker's log4j loggers, by broker id.
    BrokerLogger,
    /// A group, by id.
    Group,
}

/// `config` subcommands.
#[derive(Subcommand, Debug)]
pub(crate) enum ConfigCommand {
    /// A resource's configs: the ones set on it (as kafka-configs
    /// --describe), every one with --all.
    Describe {
        /// The kind of resource.
        #[arg(value_enum)]
        kind: Kind,
        /// Its name (a topic, a broker id, a group id).
        name: String,
        /// Every config, defaults included, with its source.
        #[arg(long)]
        all: bool,
    },
    /// Changes a resource's configs incrementally.
    Alter {
        /// The kind of resource.
        #[arg(value_enum)]
        kind: Kind,
        /// Its name (a topic, a broker id, a group id).
        name: String,
        #[command(flatten)]
        ops: Ops,
        /// Only ask the broker whether it would accept the change.
        #[arg(long)]
        validate_only: bool,
    },
}

/// Incremental config changes (each repeatable).
#[derive(ClapArgs, Debug, Default)]
pub(crate) struct Ops {
    /// Sets NAME=VALUE.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// Removes NAME's setting (back to its default).
    #[arg(long = "delete", value_name = "NAME")]
    delete: Vec<String>,
    /// Adds VALUE to the list config NAME.
    #[arg(long = "append", value_name = "NAME=VALUE")]
    append: Vec<String>,
    /// Removes VALUE from the list config NAME.
    #[arg(long = "subtract", value_name = "NAME=VALUE")]
    subtract: Vec<String>,
}

impl Ops {
    fn is_empty(&self) -> bool {
        self.set.is_empty()
            && self.delete.is_empty()
            && self.append.is_empty()
            && self.subtract.is_empty()
    }

    fn to_ops(&self) -> Vec<AlterConfigOp> {
        let pair = |flag: &str, s: &str| -> (String, String) {
            match s.split_once('=') {
                Some((n, v)) if !n.is_empty() => (n.to_string(), v.to_string()),
                _ => fail(&format!("--{flag} expects NAME=VALUE, not {s}")),
            }
        };
        let mut ops = Vec::new();
        for s in &self.set {
            let (n, v) = pair("set", s);
            ops.push(AlterConfigOp::set(n, v));
        }
        for n in &self.delete {
            ops.push(AlterConfigOp::delete(n.clone()));
        }
        for s in &self.append {
            let (n, v) = pair("append", s);
            ops.push(AlterConfigOp::append(n, v));
        }
        for s in &self.subtract {
            let (n, v) = pair("subtract", s);
            ops.push(AlterConfigOp::subtract(n, v));
        }
        ops
    }
}

fn resource(kind: Kind, name: &str) -> ConfigResource {
    let id = || {
        name.parse::<i32>()
            .unwrap_or_else(|_| fail(&format!("a broker is named by its id, not {name}")))
    };
    match kind {
        Kind::Topic => ConfigResource::topic(name),
        Kind::Broker => ConfigResource::broker(id()),
        Kind::BrokerLogger => ConfigResource::broker_logger(id()),
        Kind::Group => ConfigResource::group(name),
    }
}

/// How a resource is named in error lines: `topic t`, `broker 1`, ...
fn label(kind: Kind, name: &str) -> String {
    let k = match kind {
        Kind::Topic => "topic",
        Kind::Broker => "broker",
        Kind::BrokerLogger => "broker-logger",
        Kind::Group => "group",
    };
    format!("{k} {name}")
}

fn source_name(s: ConfigSource) -> String {
    match s {
        ConfigSource::DynamicTopic => "DYNAMIC_TOPIC_CONFIG".into(),
        ConfigSource::DynamicBroker => "DYNAMIC_BROKER_CONFIG".into(),
        ConfigSource::DynamicDefaultBroker => "DYNAMIC_DEFAULT_BROKER_CONFIG".into(),
        ConfigSource::StaticBroker => "STATIC_BROKER_CONFIG".into(),
        ConfigSource::Default => "DEFAULT_CONFIG".into(),
        ConfigSource::DynamicBrokerLogger => "DYNAMIC_BROKER_LOGGER_CONFIG".into(),
        ConfigSource::ClientMetrics => "CLIENT_METRICS_CONFIG".into(),
        ConfigSource::DynamicGroup => "DYNAMIC_GROUP_CONFIG".into(),
        ConfigSource::Unknown(c) => format!("UNKNOWN({c})"),
    }
}

/// Whether a config is set on the resource itself (what kafka-configs
/// --describe lists without --all).
fn set_here(kind: Kind, e: &ConfigEntry) -> bool {
    match kind {
        Kind::Topic => e.source == ConfigSource::DynamicTopic,
        Kind::Broker => e.source == ConfigSource::DynamicBroker,
        Kind::BrokerLogger => true,
        Kind::Group => e.source == ConfigSource::DynamicGroup,
    }
}

/// Runs a `config` subcommand.
pub(crate) async fn run(admin: &Admin, command: ConfigCommand, json_out: bool) -> i32 {
    match command {
        ConfigCommand::Describe { kind, name, all } => {
            describe(admin, kind, &name, all, json_out).await
        }
        ConfigCommand::Alter {
            kind,
            name,
            ops,
            validate_only,
        } => {
            if ops.is_empty() {
                fail("config alter needs --set, --delete, --append or --subtract");
            }
            alter(admin, kind, &name, &ops, validate_only, json_out).await
        }
    }
}

async fn describe(admin: &Admin, kind: Kind, name: &str, all: bool, json_out: bool) -> i32 {
    let what = label(kind, name);
    let described = admin
        .describe_configs(&[resource(kind, name)], false)
        .await
        .unwrap_or_else(|e| fail(&format!("{what}: {e}")));
    let Some(entries) = described.into_iter().next().map(|o| o.result) else {
        fail(&format!("{what}: no answer"))
    };
    let entries = entries.unwrap_or_else(|e| fail(&format!("{what}: {e}")));
    let shown: Vec<&ConfigEntry> = entries
        .iter()
        .filter(|e| all || set_here(kind, e))
        .collect();
    let value = |e: &ConfigEntry| {
        if e.sensitive {
            None
        } else {
            e.value.clone()
        }
    };
    if json_out {
        let v: Vec<_> = shown
            .iter()
            .map(|e| {
                json!({"name": e.name, "value": value(e), "source": source_name(e.source),
                    "read_only": e.read_only, "sensitive": e.sensitive})
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else {
        let rows: Vec<Vec<String>> = shown
            .iter()
            .map(|e| {
                vec![
                    e.name.clone(),
                    if e.sensitive {
                        "(sensitive)".into()
                    } else {
                        e.value.clone().unwrap_or_else(|| "null".into())
                    },
                    source_name(e.source),
                    e.read_only.to_string(),
                ]
            })
            .collect();
        print_table(&["NAME", "VALUE", "SOURCE", "READ-ONLY"], &rows);
    }
    0
}

async fn alter(
    admin: &Admin,
    kind: Kind,
    name: &str,
    ops: &Ops,
    validate_only: bool,
    json_out: bool,
) -> i32 {
    let what = label(kind, name);
    let outcome = admin
        .incremental_alter_configs(&[(resource(kind, name), ops.to_ops())], validate_only)
        .await
        .unwrap_or_else(|e| fail(&format!("{what}: {e}")));
    for o in outcome {
        if let Err(e) = o.result {
            fail(&format!("{what}: {e}"));
        }
    }
    let verb = if validate_only {
        "validated"
    } else {
        "altered"
    };
    if json_out {
        println!("{}", json!({verb: what}));
    } else {
        println!("{verb} the configs of {what}");
    }
    0
}

/// `topic alter`: grows the partition count and/or changes configs.
pub(crate) async fn alter_topic(
    admin: &Admin,
    topic: &str,
    partitions: Option<i32>,
    ops: &Ops,
    json_out: bool,
) -> i32 {
    if partitions.is_none() && ops.is_empty() {
        fail("topic alter needs --partitions or a config change (--set, --delete, ...)");
    }
    let mut done = Vec::new();
    if let Some(total) = partitions {
        let outcome = admin
            .create_partitions(vec![NewPartitions::new(topic, total)], false)
            .await
            .unwrap_or_else(|e| fail(&format!("topic {topic}: {e}")));
        for o in outcome {
            if let Err(e) = o.result {
                fail(&format!("topic {topic}: {e}"));
            }
        }
        done.push(format!("{total} partitions"));
    }
    if !ops.is_empty() {
        let outcome = admin
            .incremental_alter_configs(&[(ConfigResource::topic(topic), ops.to_ops())], false)
            .await
            .unwrap_or_else(|e| fail(&format!("topic {topic}: {e}")));
        for o in outcome {
            if let Err(e) = o.result {
                fail(&format!("topic {topic}: {e}"));
            }
        }
        done.push("configs altered".into());
    }
    if json_out {
        println!("{}", json!({"altered": topic, "partitions": partitions}));
    } else {
        println!("altered topic {topic}: {}", done.join(", "));
    }
    0
}
