//! Configs: describe (topics, brokers, broker loggers, groups; with
//! sources and synonyms) and incremental alter (SET, DELETE, APPEND,
//! SUBTRACT).

use ferrokafka_protocol::messages::describe_configs::DescribeConfigsResource;
use ferrokafka_protocol::messages::incremental_alter_configs::{
    AlterConfigsResource, AlterableConfig,
};
use ferrokafka_protocol::messages::{DescribeConfigsRequest, IncrementalAlterConfigsRequest};

use super::topics::not_answered;
use super::{check, Admin, Outcome};
use crate::error::Result;

/// The kind of resource a config belongs to (Kafka's `ConfigResource.Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConfigResourceType {
    /// A topic, by name.
    Topic,
    /// A broker, by id (an empty name: the cluster-wide default).
    Broker,
    /// A broker's log4j loggers, by broker id.
    BrokerLogger,
    /// A client metrics subscription.
    ClientMetrics,
    /// A group, by id.
    Group,
}

impl ConfigResourceType {
    fn code(self) -> i8 {
        match self {
            ConfigResourceType::Topic => 2,
            ConfigResourceType::Broker => 4,
            ConfigResourceType::BrokerLogger => 8,
            ConfigResourceType::ClientMetrics => 16,
            ConfigResourceType::Group => 32,
        }
    }
}

/// A resource whose configs are described or altered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConfigResource {
    /// Its kind.
    pub kind: ConfigResourceType,
    /// Its name (a topic name, a broker id, a group id).
    pub name: String,
}

impl ConfigResource {
    /// The topic `name`.
    pub fn topic(name: impl Into<String>) -> Self {
        ConfigResource {
            kind: ConfigResourceType::Topic,
            name: name.into(),
        }
    }

    /// The broker `id`.
    pub fn broker(id: i32) -> Self {
        ConfigResource {
            kind: ConfigResourceType::Broker,
            name: id.to_string(),
        }
    }

    /// The loggers of broker `id`.
    pub fn broker_logger(id: i32) -> Self {
        ConfigResource {
            kind: ConfigResourceType::BrokerLogger,
            name: id.to_string(),
        }
    }

    /// The group `id`.
    pub fn group(id: impl Into<String>) -> Self {
        ConfigResource {
            kind: ConfigResourceType::Group,
            name: id.into(),
        }
    }

    /// The broker that must serve requests about this resource: a broker's
    /// own configs and loggers are only known to that broker.
    fn node(&self) -> Option<i32> {
        match self.kind {
            ConfigResourceType::Broker | ConfigResourceType::BrokerLogger => self.name.parse().ok(),
            _ => None,
        }
    }
}

impl std::fmt::Display for ConfigResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} {}", self.kind, self.name)
    }
}

/// Where a config's value comes from (Kafka's `ConfigEntry.ConfigSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    /// Set on the topic (or group).
    DynamicTopic,
    /// Set on this broker, dynamically.
    DynamicBroker,
    /// Set as the cluster-wide default for brokers, dynamically.
    DynamicDefaultBroker,
    /// Set in the broker's properties file.
    StaticBroker,
    /// Kafka's default.
    Default,
    /// Set on a broker logger.
    DynamicBrokerLogger,
    /// Set on a client metrics subscription.
    ClientMetrics,
    /// Set on a group.
    DynamicGroup,
    /// Unknown to this client (the code as sent).
    Unknown(i8),
}

impl ConfigSource {
    fn from_code(code: i8) -> Self {
        match code {
            1 => ConfigSource::DynamicTopic,
            2 => ConfigSource::DynamicBroker,
            3 => ConfigSource::DynamicDefaultBroker,
            4 => ConfigSource::StaticBroker,
            5 => ConfigSource::Default,
            6 => ConfigSource::DynamicBrokerLogger,
            7 => ConfigSource::ClientMetrics,
            8 => ConfigSource::DynamicGroup,
            c => ConfigSource::Unknown(c),
        }
    }
}

/// One synonym of a config: another place a value for it is set, in
/// precedence order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSynonym {
    /// The synonym's name (`log.retention.ms` for `retention.ms`, ...).
    pub name: String,
    /// Its value (`None` when sensitive).
    pub value: Option<String>,
    /// Where it is set.
    pub source: ConfigSource,
}

/// One config of a described resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    /// The name.
    pub name: String,
    /// The value (`None` when sensitive).
    pub value: Option<String>,
    /// Where the value comes from.
    pub source: ConfigSource,
    /// Whether it cannot be changed.
    pub read_only: bool,
    /// Whether it is sensitive (its value is not shown).
    pub sensitive: bool,
    /// Its synonyms, in precedence order (asked with `synonyms`).
    pub synonyms: Vec<ConfigSynonym>,
}

/// An incremental config change's operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigOperation {
    /// Sets the value.
    Set,
    /// Removes the setting (back to the default).
    Delete,
    /// Adds to a list value.
    Append,
    /// Removes from a list value.
    Subtract,
}

/// One incremental change to a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterConfigOp {
    /// The config's name.
    pub name: String,
    /// What to do.
    pub op: ConfigOperation,
    /// The value (ignored by `Delete`).
    pub value: Option<String>,
}

impl AlterConfigOp {
    /// Sets `name` to `value`.
    pub fn set(name: impl Into<String>, value: impl Into<String>) -> Self {
        AlterConfigOp {
            name: name.into(),
            op: ConfigOperation::Set,
            value: Some(value.into()),
        }
    }

    /// Deletes `name`'s setting.
    pub fn delete(name: impl Into<String>) -> Self {
        AlterConfigOp {
            name: name.into(),
            op: ConfigOperation::Delete,
            value: None,
        }
    }

    /// Appends `value` to the list config `name`.
    pub fn append(name: impl Into<String>, value: impl Into<String>) -> Self {
        AlterConfigOp {
            name: name.into(),
            op: ConfigOperation::Append,
            value: Some(value.into()),
        }
    }

    /// Removes `value` from the list config `name`.
    pub fn subtract(name: impl Into<String>, value: impl Into<String>) -> Self {
        AlterConfigOp {
            name: name.into(),
            op: ConfigOperation::Subtract,
            value: Some(value.into()),
        }
    }
}

impl Admin {
    /// The configs of `resources` (with `synonyms`: each config's
    /// synonyms too), a broker's own at that broker. One outcome per
    /// resource, in order, with its entries sorted by name.
    pub async fn describe_configs(
        &self,
        resources: &[ConfigResource],
        synonyms: bool,
    ) -> Result<Vec<Outcome<ConfigResource, Vec<ConfigEntry>>>> {
        let mut out = Vec::with_capacity(resources.len());
        for r in resources {
            let request = DescribeConfigsRequest {
                resources: vec![DescribeConfigsResource {
                    resource_type: r.kind.code(),
                    resource_name: r.name.clone(),
                    configuration_keys: None,
                    ..Default::default()
                }],
                include_synonyms: synonyms,
                ..Default::default()
            };
            let response = match r.node() {
                Some(node) => self.cluster.send_to(node, &request).await?,
                None => self.cluster.send_to_any(&request).await?,
            };
            let result = match response.results.into_iter().next() {
                None => Err(not_answered("DescribeConfigs", &r.to_string())),
                Some(res) => check(res.error_code, res.error_message.as_deref(), || {
                    format!("DescribeConfigs {r}")
                })
                .map(|()| {
                    let mut entries: Vec<ConfigEntry> = res
                        .configs
                        .into_iter()
                        .map(|c| ConfigEntry {
                            name: c.name,
                            value: c.value,
                            source: ConfigSource::from_code(c.config_source),
                            read_only: c.read_only,
                            sensitive: c.is_sensitive,
                            synonyms: c
                                .synonyms
                                .into_iter()
                                .map(|s| ConfigSynonym {
                                    name: s.name,
                                    value: s.value,
                                    source: ConfigSource::from_code(s.source),
                                })
                                .collect(),
                        })
                        .collect();
                    entries.sort_by(|a, b| a.name.cmp(&b.name));
                    entries
                }),
            };
            out.push(Outcome {
                resource: r.clone(),
                result,
            });
        }
        Ok(out)
    }

    /// Applies `changes` to each resource (or, with `validate_only`, only
    /// asks whether the broker would), a broker's own at that broker. One
    /// outcome per resource, in order.
    pub async fn incremental_alter_configs(
        &self,
        changes: &[(ConfigResource, Vec<AlterConfigOp>)],
        validate_only: bool,
    ) -> Result<Vec<Outcome<ConfigResource>>> {
        let mut out = Vec::with_capacity(changes.len());
        for (r, ops) in changes {
            let request = IncrementalAlterConfigsRequest {
                resources: vec![AlterConfigsResource {
                    resource_type: r.kind.code(),
                    resource_name: r.name.clone(),
                    configs: ops
                        .iter()
                        .map(|op| AlterableConfig {
                            name: op.name.clone(),
                            config_operation: match op.op {
                                ConfigOperation::Set => 0,
                                ConfigOperation::Delete => 1,
                                ConfigOperation::Append => 2,
                                ConfigOperation::Subtract => 3,
                            },
                            value: op.value.clone(),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                validate_only,
                ..Default::default()
            };
            let response = match r.node() {
                Some(node) => self.cluster.send_to(node, &request).await?,
                None => self.send_to_controller(&request).await?,
            };
            let result = match response.responses.into_iter().next() {
                None => Err(not_answered("IncrementalAlterConfigs", &r.to_string())),
                Some(res) => check(res.error_code, res.error_message.as_deref(), || {
                    format!("IncrementalAlterConfigs {r}")
                }),
            };
            out.push(Outcome {
                resource: r.clone(),
                result,
            });
        }
        Ok(out)
    }
}
