//! Consumer groups: list (with state and type filters), describe (classic
//! groups with DescribeGroups, KIP-848 consumer groups with
//! ConsumerGroupDescribe), delete.

use std::collections::BTreeMap;

use ferrokafka_protocol::consumer_protocol::ConsumerProtocolAssignment;
use ferrokafka_protocol::messages::{
    ConsumerGroupDescribeRequest, DeleteGroupsRequest, DescribeGroupsRequest, ListGroupsRequest,
};
use ferrokafka_protocol::{ApiKey, ErrorCode};

use super::topics::not_answered;
use super::{check, Admin, Outcome, TopicPartition};
use crate::error::Result;

/// One group of [`Admin::list_groups`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    /// The group id.
    pub group_id: String,
    /// The protocol type (`consumer` for consumer groups, empty for groups
    /// that only commit offsets).
    pub protocol_type: String,
    /// The state (`Stable`, `Empty`, ...; ListGroups v4+).
    pub state: String,
    /// The type (`classic`, `consumer`, `share`, ...; ListGroups v5+).
    pub group_type: String,
    /// The coordinator's broker id.
    pub coordinator: i32,
}

/// What a member holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberAssignment {
    /// The partitions assigned, sorted.
    pub partitions: Vec<TopicPartition>,
}

/// One member of a described group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// The member id.
    pub member_id: String,
    /// The static member's instance id.
    pub instance_id: Option<String>,
    /// The client id.
    pub client_id: String,
    /// The client host.
    pub client_host: String,
    /// The member's current assignment (for classic groups, decoded when
    /// the protocol type is `consumer`).
    pub assignment: MemberAssignment,
    /// The topics a consumer-group member subscribes to (empty for
    /// classic groups).
    pub subscribed_topics: Vec<String>,
}

/// A group as [`Admin::describe_groups`] describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    /// The group id.
    pub group_id: String,
    /// `classic` (DescribeGroups) or `consumer` (ConsumerGroupDescribe).
    pub group_type: String,
    /// The state (`Stable`, `Empty`, `Dead`, ...).
    pub state: String,
    /// The protocol type of a classic group (`consumer`, ...).
    pub protocol_type: String,
    /// The assignor: the classic group's protocol (`range`, ...) or the
    /// consumer group's server-side assignor (`uniform`, ...).
    pub assignor: String,
    /// The group (or assignment) epoch of a consumer group, -1 for classic.
    pub epoch: i32,
    /// The coordinator's broker id.
    pub coordinator: i32,
    /// The members.
    pub members: Vec<GroupMember>,
}

impl Admin {
    /// Every group of every broker, sorted by id, filtered by states
    /// (`Stable`, `Empty`, ...; ListGroups v4+) and types (`classic`,
    /// `consumer`; v5+) when those are not empty. A broker that cannot be
    /// asked fails the call.
    pub async fn list_groups(&self, states: &[&str], types: &[&str]) -> Result<Vec<GroupListing>> {
        let metadata = self.cluster.refresh().await?;
        let brokers: Vec<i32> = metadata.brokers().map(|b| b.node_id).collect();
        let request = ListGroupsRequest {
            states_filter: states.iter().map(|s| (*s).to_owned()).collect(),
            types_filter: types.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        };
        let mut out = BTreeMap::new();
        for broker in brokers {
            let response = self.cluster.send_to(broker, &request).await?;
            check(response.error_code, None, || {
                format!("ListGroups on broker {broker}")
            })?;
            for g in response.groups {
                // Brokers before v4/v5 ignore the filters: apply them here.
                if (!states.is_empty()
                    && !g.group_state.is_empty()
                    && !states
                        .iter()
                        .any(|s| s.eq_ignore_ascii_case(&g.group_state)))
                    || (!types.is_empty()
                        && !g.group_type.is_empty()
                        && !types.iter().any(|t| t.eq_ignore_ascii_case(&g.group_type)))
                {
                    continue;
                }
                out.insert(
                    g.group_id.clone(),
                    GroupListing {
                        group_id: g.group_id,
                        protocol_type: g.protocol_type,
                        state: g.group_state,
                        group_type: g.group_type,
                        coordinator: broker,
                    },
                );
            }
        }
        Ok(out.into_values().collect())
    }

    /// Describes `groups`, each at its coordinator: a consumer group
    /// (KIP-848) with ConsumerGroupDescribe, a classic group with
    /// DescribeGroups. A group that does not exist is described in state
    /// `Dead` (as Kafka answers). One outcome per group, in order.
    pub async fn describe_groups<S: AsRef<str>>(
        &self,
        groups: &[S],
    ) -> Result<Vec<Outcome<String, GroupDescription>>> {
        let mut out = Vec::with_capacity(groups.len());
        for g in groups {
            let group = g.as_ref();
            let result = self
                .with_coordinator(0, group, |node| async move {
                    match self.describe_consumer_group(node, group).await? {
                        Some(d) => Ok(d),
                        None => self.describe_classic_group(node, group).await,
                    }
                })
                .await;
            out.push(Outcome {
                resource: group.to_owned(),
                result,
            });
        }
        Ok(out)
    }

    /// ConsumerGroupDescribe of `group` at `node`; `None` when the group
    /// is not a consumer group or the broker lacks the API.
    async fn describe_consumer_group(
        &self,
        node: i32,
        group: &str,
    ) -> Result<Option<GroupDescription>> {
        let conn = self.cluster.broker(node).await?;
        if conn.version_for(ApiKey::ConsumerGroupDescribe).is_err() {
            return Ok(None);
        }
        let request = ConsumerGroupDescribeRequest {
            group_ids: vec![group.to_owned()],
            ..Default::default()
        };
        let result = conn.send(&request).await;
        if let Err(e) = &result {
            self.cluster.connection_failed(&conn, e);
        }
        let response = result?;
        let Some(d) = response.groups.into_iter().find(|d| d.group_id == group) else {
            return Err(not_answered("ConsumerGroupDescribe", group));
        };
        if matches!(
            ErrorCode::from_code(d.error_code),
            ErrorCode::GroupIdNotFound | ErrorCode::UnsupportedVersion
        ) {
            return Ok(None);
        }
        check(d.error_code, d.error_message.as_deref(), || {
            format!("ConsumerGroupDescribe {group}")
        })?;
        Ok(Some(GroupDescription {
            group_id: d.group_id,
            group_type: "consumer".into(),
            state: d.group_state,
            protocol_type: "consumer".into(),
            assignor: d.assignor_name,
            epoch: d.group_epoch,
            coordinator: node,
            members: d
                .members
                .into_iter()
                .map(|m| {
                    let mut partitions: Vec<TopicPartition> = m
                        .assignment
                        .topic_partitions
                        .iter()
                        .flat_map(|t| {
                            t.partitions
                                .iter()
                                .map(|p| TopicPartition::new(t.topic_name.clone(), *p))
                        })
                        .collect();
                    partitions.sort();
                    GroupMember {
                        member_id: m.member_id,
                        instance_id: m.instance_id,
                        client_id: m.client_id,
                        client_host: m.client_host,
                        assignment: MemberAssignment { partitions },
                        subscribed_topics: m.subscribed_topic_names,
                    }
                })
                .collect(),
        }))
    }

    /// DescribeGroups of `group` at `node`.
    async fn describe_classic_group(&self, node: i32, group: &str) -> Result<GroupDescription> {
        let request = DescribeGroupsRequest {
            groups: vec![group.to_owned()],
            ..Default::default()
        };
        let response = self.cluster.send_to(node, &request).await?;
        let Some(d) = response.groups.into_iter().find(|d| d.group_id == group) else {
            return Err(not_answered("DescribeGroups", group));
        };
        check(d.error_code, d.error_message.as_deref(), || {
            format!("DescribeGroups {group}")
        })?;
        let consumer = d.protocol_type == "consumer";
        Ok(GroupDescription {
            group_id: d.group_id,
            group_type: "classic".into(),
            state: d.group_state,
            protocol_type: d.protocol_type,
            assignor: d.protocol_data,
            epoch: -1,
            coordinator: node,
            members: d
                .members
                .into_iter()
                .map(|m| {
                    let mut partitions: Vec<TopicPartition> =
                        if consumer && !m.member_assignment.is_empty() {
                            ConsumerProtocolAssignment::decode(m.member_assignment.clone())
                                .map(|a| {
                                    a.assigned_partitions
                                        .iter()
                                        .flat_map(|t| {
                                            t.partitions
                                                .iter()
                                                .map(|p| TopicPartition::new(t.topic.clone(), *p))
                                        })
                                        .collect()
                                })
                                .unwrap_or_default()
                        } else {
                            Vec::new()
                        };
                    partitions.sort();
                    GroupMember {
                        member_id: m.member_id,
                        instance_id: m.group_instance_id,
                        client_id: m.client_id,
                        client_host: m.client_host,
                        assignment: MemberAssignment { partitions },
                        subscribed_topics: Vec::new(),
                    }
                })
                .collect(),
        })
    }

    /// Deletes `groups` (each must be empty), each at its coordinator. One
    /// outcome per group, in order.
    pub async fn delete_groups<S: AsRef<str>>(&self, groups: &[S]) -> Result<Vec<Outcome<String>>> {
        let mut out = Vec::with_capacity(groups.len());
        for g in groups {
            let group = g.as_ref();
            let request = DeleteGroupsRequest {
                groups_names: vec![group.to_owned()],
                ..Default::default()
            };
            let result = self
                .with_coordinator(0, group, |node| {
                    let request = &request;
                    async move {
                        let response = self.cluster.send_to(node, request).await?;
                        let r = response
                            .results
                            .iter()
                            .find(|r| r.group_id == group)
                            .ok_or_else(|| not_answered("DeleteGroups", group))?;
                        check(r.error_code, None, || format!("DeleteGroups {group}"))
                    }
                })
                .await;
            out.push(Outcome {
                resource: group.to_owned(),
                result,
            });
        }
        Ok(out)
    }
}
