//! ACLs: create, describe and delete with filters (the authorizer's
//! bindings: a resource pattern and an access entry).

use ferrokafka_protocol::messages::create_acls::AclCreation;
use ferrokafka_protocol::messages::delete_acls::DeleteAclsFilter;
use ferrokafka_protocol::messages::{CreateAclsRequest, DeleteAclsRequest, DescribeAclsRequest};

use super::{check, Admin, Outcome};
use crate::error::Result;

macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// The code on the wire.
            pub fn code(self) -> i8 {
                match self {
                    $($name::$variant => $code,)*
                }
            }

            /// The value of a code from the wire (`Unknown` for codes this
            /// client does not know).
            pub fn from_code(code: i8) -> Self {
                match code {
                    $($code => $name::$variant,)*
                    _ => $name::Unknown,
                }
            }
        }
    };
}

code_enum! {
    /// The kind of resource an ACL is about (Kafka's `ResourceType`).
    ResourceType {
        /// Unknown to this client.
        Unknown = 0,
        /// Any kind (filters only).
        Any = 1,
        /// A topic.
        Topic = 2,
        /// A group.
        Group = 3,
        /// The cluster.
        Cluster = 4,
        /// A transactional id.
        TransactionalId = 5,
        /// A delegation token.
        DelegationToken = 6,
        /// A user.
        User = 7,
    }
}

code_enum! {
    /// How an ACL's resource name matches (Kafka's `PatternType`).
    PatternType {
        /// Unknown to this client.
        Unknown = 0,
        /// Any pattern type (filters only).
        Any = 1,
        /// Every binding that would match the name (filters only).
        Match = 2,
        /// The name exactly (`*`: every resource).
        Literal = 3,
        /// Every name starting with it.
        Prefixed = 4,
    }
}

code_enum! {
    /// What an ACL allows or denies (Kafka's `AclOperation`).
    AclOperation {
        /// Unknown to this client.
        Unknown = 0,
        /// Any operation (filters only).
        Any = 1,
        /// Every operation.
        All = 2,
        /// Read.
        Read = 3,
        /// Write.
        Write = 4,
        /// Create.
        Create = 5,
        /// Delete.
        Delete = 6,
        /// Alter.
        Alter = 7,
        /// Describe.
        Describe = 8,
        /// Cluster actions (between brokers).
        ClusterAction = 9,
        /// Describe configs.
        DescribeConfigs = 10,
        /// Alter configs.
        AlterConfigs = 11,
        /// Idempotent writes.
        IdempotentWrite = 12,
        /// Create delegation tokens.
        CreateTokens = 13,
        /// Describe delegation tokens.
        DescribeTokens = 14,
        /// Two-phase commit (KIP-939).
        TwoPhaseCommit = 15,
    }
}

code_enum! {
    /// Whether an ACL allows or denies (Kafka's `AclPermissionType`).
    AclPermission {
        /// Unknown to this client.
        Unknown = 0,
        /// Either (filters only).
        Any = 1,
        /// Denies.
        Deny = 2,
        /// Allows.
        Allow = 3,
    }
}

/// One ACL: who (`principal` from `host`) may or may not do `operation`
/// on the resources the pattern names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AclBinding {
    /// The resource kind.
    pub resource_type: ResourceType,
    /// The resource name (or prefix; `*` for every resource).
    pub resource_name: String,
    /// How the name matches.
    pub pattern_type: PatternType,
    /// The principal (`User:alice`).
    pub principal: String,
    /// The host (`*` for any).
    pub host: String,
    /// The operation.
    pub operation: AclOperation,
    /// Allow or deny.
    pub permission: AclPermission,
}

/// Which ACLs to describe or delete: `None` fields match anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclFilter {
    /// The resource kind (`Any` for all).
    pub resource_type: ResourceType,
    /// The resource name.
    pub resource_name: Option<String>,
    /// The pattern type (`Any`, `Match`, ...).
    pub pattern_type: PatternType,
    /// The principal.
    pub principal: Option<String>,
    /// The host.
    pub host: Option<String>,
    /// The operation (`Any` for all).
    pub operation: AclOperation,
    /// The permission (`Any` for both).
    pub permission: AclPermission,
}

impl AclFilter {
    /// Matches every ACL.
    pub fn any() -> Self {
        AclFilter {
            resource_type: ResourceType::Any,
            resource_name: None,
            pattern_type: PatternType::Any,
            principal: None,
            host: None,
            operation: AclOperation::Any,
            permission: AclPermission::Any,
        }
    }

    /// Matches exactly `binding`.
    pub fn exact(binding: &AclBinding) -> Self {
        AclFilter {
            resource_type: binding.resource_type,
            resource_name: Some(binding.resource_name.clone()),
            pattern_type: binding.pattern_type,
            principal: Some(binding.principal.clone()),
            host: Some(binding.host.clone()),
            operation: binding.operation,
            permission: binding.permission,
        }
    }
}

impl Admin {
    /// Creates `acls`; one outcome per binding, in order.
    pub async fn create_acls(&self, acls: &[AclBinding]) -> Result<Vec<Outcome<AclBinding>>> {
        let request = CreateAclsRequest {
            creations: acls
                .iter()
                .map(|a| AclCreation {
                    resource_type: a.resource_type.code(),
                    resource_name: a.resource_name.clone(),
                    resource_pattern_type: a.pattern_type.code(),
                    principal: a.principal.clone(),
                    host: a.host.clone(),
                    operation: a.operation.code(),
                    permission_type: a.permission.code(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let response = self.send_to_controller(&request).await?;
        Ok(acls
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let result = match response.results.get(i) {
                    Some(r) => check(r.error_code, r.error_message.as_deref(), || {
                        format!(
                            "CreateAcls {} {:?} on {}",
                            a.principal, a.operation, a.resource_name
                        )
                    }),
                    None => Err(super::topics::not_answered("CreateAcls", &a.resource_name)),
                };
                Outcome {
                    resource: a.clone(),
                    result,
                }
            })
            .collect())
    }

    /// The ACLs `filter` matches, sorted.
    pub async fn describe_acls(&self, filter: &AclFilter) -> Result<Vec<AclBinding>> {
        let request = DescribeAclsRequest {
            resource_type_filter: filter.resource_type.code(),
            resource_name_filter: filter.resource_name.clone(),
            pattern_type_filter: filter.pattern_type.code(),
            principal_filter: filter.principal.clone(),
            host_filter: filter.host.clone(),
            operation: filter.operation.code(),
            permission_type: filter.permission.code(),
            ..Default::default()
        };
        let response = self.cluster.send_to_any(&request).await?;
        check(
            response.error_code,
            response.error_message.as_deref(),
            || "DescribeAcls".into(),
        )?;
        let mut out: Vec<AclBinding> = response
            .resources
            .iter()
            .flat_map(|r| {
                r.acls.iter().map(move |a| AclBinding {
                    resource_type: ResourceType::from_code(r.resource_type),
                    resource_name: r.resource_name.clone(),
                    pattern_type: PatternType::from_code(r.pattern_type),
                    principal: a.principal.clone(),
                    host: a.host.clone(),
                    operation: AclOperation::from_code(a.operation),
                    permission: AclPermission::from_code(a.permission_type),
                })
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Deletes the ACLs each filter matches; one outcome per filter, with
    /// the bindings it deleted.
    pub async fn delete_acls(
        &self,
        filters: &[AclFilter],
    ) -> Result<Vec<Outcome<AclFilter, Vec<AclBinding>>>> {
        let request = DeleteAclsRequest {
            filters: filters
                .iter()
                .map(|f| DeleteAclsFilter {
                    resource_type_filter: f.resource_type.code(),
                    resource_name_filter: f.resource_name.clone(),
                    pattern_type_filter: f.pattern_type.code(),
                    principal_filter: f.principal.clone(),
                    host_filter: f.host.clone(),
                    operation: f.operation.code(),
                    permission_type: f.permission.code(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let response = self.send_to_controller(&request).await?;
        Ok(filters
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let result = match response.filter_results.get(i) {
                    None => Err(super::topics::not_answered("DeleteAcls", "a filter")),
                    Some(r) => check(r.error_code, r.error_message.as_deref(), || {
                        format!("DeleteAcls {f:?}")
                    })
                    .map(|()| {
                        let mut deleted: Vec<AclBinding> = r
                            .matching_acls
                            .iter()
                            .filter(|m| m.error_code == 0)
                            .map(|m| AclBinding {
                                resource_type: ResourceType::from_code(m.resource_type),
                                resource_name: m.resource_name.clone(),
                                pattern_type: PatternType::from_code(m.pattern_type),
                                principal: m.principal.clone(),
                                host: m.host.clone(),
                                operation: AclOperation::from_code(m.operation),
                                permission: AclPermission::from_code(m.permission_type),
                            })
                            .collect();
                        deleted.sort();
                        deleted
                    }),
                };
                Outcome {
                    resource: f.clone(),
                    result,
                }
            })
            .collect())
    }
}
