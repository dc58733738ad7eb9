//! `acl create|list|delete` through the admin client. Kinds, patterns,
//! operations and permissions are written as Kafka's tools print them
//! (`TOPIC`, `PREFIXED`, `DESCRIBE_CONFIGS`, `ALLOW`), any case, `-` or
//! `_` between words.

use clap::{Args as ClapArgs, Subcommand};
use ferrokafka::admin::{
    AclBinding, AclFilter, AclOperation, AclPermission, Admin, PatternType, ResourceType,
};
use serde_json::json;

use crate::admin::{fail, print_table};

/// `acl` subcommands.
#[derive(Subcommand, Debug)]
pub(crate) enum AclCommand {
    /// Creates ACLs: one per --operation.
    Create {
        /// The kind of resource: topic, group, cluster, transactional-id,
        /// delegation-token, user.
        #[arg(long = "resource-type")]
        resource_type: String,
        /// The resource's name (`*`: every one; kafka-cluster for the cluster).
        #[arg(long = "resource-name")]
        resource_name: String,
        /// literal or prefixed.
        #[arg(long, default_value = "literal")]
        pattern: String,
        /// Who, as `User:name`.
        #[arg(long)]
        principal: String,
        /// From which host (`*`: any).
        #[arg(long, default_value = "*")]
        host: String,
        /// The operation (repeatable): read, write, create, delete, alter,
        /// describe, cluster-action, describe-configs, alter-configs,
        /// idempotent-write, all, ...
        #[arg(long = "operation", required = true)]
        operations: Vec<String>,
        /// allow or deny.
        #[arg(long, default_value = "allow")]
        permission: String,
    },
    /// Lists the ACLs a filter matches (every ACL without one).
    List {
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Deletes the ACLs a filter matches (at least one filter is needed).
    Delete {
        #[command(flatten)]
        filter: FilterArgs,
    },
}

/// An ACL filter: every field left out matches anything.
#[derive(ClapArgs, Debug)]
pub(crate) struct FilterArgs {
    /// The kind of resource (any when left out).
    #[arg(long = "resource-type")]
    resource_type: Option<String>,
    /// The resource's name.
    #[arg(long = "resource-name")]
    resource_name: Option<String>,
    /// any, match (every ACL that applies to the name), literal, prefixed.
    #[arg(long)]
    pattern: Option<String>,
    /// The principal (`User:name`).
    #[arg(long)]
    principal: Option<String>,
    /// The host.
    #[arg(long)]
    host: Option<String>,
    /// The operation.
    #[arg(long)]
    operation: Option<String>,
    /// allow or deny.
    #[arg(long)]
    permission: Option<String>,
}

/// `TransactionalId` -> `TRANSACTIONAL_ID`, as Kafka's tools print it.
fn kafka_name(debug: &str) -> String {
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Parses `s` as one of the values of an enum known by its codes.
fn parse<T: std::fmt::Debug + Copy>(what: &str, s: &str, from_code: fn(i8) -> T) -> T {
    let want = normalize(s);
    let values: Vec<T> = (1..=20).map(from_code).collect();
    values
        .iter()
        .find(|v| normalize(&format!("{v:?}")) == want)
        .copied()
        .unwrap_or_else(|| {
            let mut names: Vec<String> = values
                .iter()
                .map(|v| kafka_name(&format!("{v:?}")).to_lowercase())
                .filter(|n| n != "unknown")
                .collect();
            names.dedup();
            fail(&format!("{what} {s} is not one of {}", names.join(", ")))
        })
}

impl FilterArgs {
    fn filter(&self) -> AclFilter {
        let mut f = AclFilter::any();
        if let Some(t) = &self.resource_type {
            f.resource_type = parse("resource type", t, ResourceType::from_code);
        }
        f.resource_name = self.resource_name.clone();
        if let Some(p) = &self.pattern {
            f.pattern_type = parse("pattern", p, PatternType::from_code);
        }
        f.principal = self.principal.clone();
        f.host = self.host.clone();
        if let Some(o) = &self.operation {
            f.operation = parse("operation", o, AclOperation::from_code);
        }
        if let Some(p) = &self.permission {
            f.permission = parse("permission", p, AclPermission::from_code);
        }
        f
    }

    fn is_empty(&self) -> bool {
        self.resource_type.is_none()
            && self.resource_name.is_none()
            && self.pattern.is_none()
            && self.principal.is_none()
            && self.host.is_none()
            && self.operation.is_none()
            && self.permission.is_none()
    }
}

fn describe_binding(a: &AclBinding) -> String {
    format!(
        "{} {} {} ({}) {} {} from {}",
        kafka_name(&format!("{:?}", a.permission)),
        a.principal,
        kafka_name(&format!("{:?}", a.operation)),
        kafka_name(&format!("{:?}", a.pattern_type)),
        kafka_name(&format!("{:?}", a.resource_type)),
        a.resource_name,
        a.host
    )
}

fn print_bindings(acls: &[AclBinding], json_out: bool) {
    if json_out {
        let v: Vec<_> = acls
            .iter()
            .map(|a| {
                json!({"resource_type": kafka_name(&format!("{:?}", a.resource_type)),
                    "resource_name": a.resource_name,
                    "pattern": kafka_name(&format!("{:?}", a.pattern_type)),
                    "principal": a.principal, "host": a.host,
                    "operation": kafka_name(&format!("{:?}", a.operation)),
                    "permission": kafka_name(&format!("{:?}", a.permission))})
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else {
        let rows: Vec<Vec<String>> = acls
            .iter()
            .map(|a| {
                vec![
                    kafka_name(&format!("{:?}", a.resource_type)),
                    a.resource_name.clone(),
                    kafka_name(&format!("{:?}", a.pattern_type)),
                    a.principal.clone(),
                    a.host.clone(),
                    kafka_name(&format!("{:?}", a.operation)),
                    kafka_name(&format!("{:?}", a.permission)),
                ]
            })
            .collect();
        print_table(
            &[
                "RESOURCE-TYPE",
                "RESOURCE-NAME",
                "PATTERN",
                "PRINCIPAL",
                "HOST",
                "OPERATION",
                "PERMISSION",
            ],
            &rows,
        );
    }
}

/// Runs an `acl` subcommand.
pub(crate) async fn run(admin: &Admin, command: AclCommand, json_out: bool) -> i32 {
    match command {
        AclCommand::Create {
            resource_type,
            resource_name,
            pattern,
            principal,
            host,
            operations,
            permission,
        } => {
            let resource_type = parse("resource type", &resource_type, ResourceType::from_code);
            let pattern_type = parse("pattern", &pattern, PatternType::from_code);
            let permission = parse("permission", &permission, AclPermission::from_code);
            if matches!(resource_type, ResourceType::Any)
                || matches!(pattern_type, PatternType::Any | PatternType::Match)
                || matches!(permission, AclPermission::Any)
            {
                fail("acl create needs a concrete resource type, pattern (literal or prefixed) and permission");
            }
            let bindings: Vec<AclBinding> = operations
                .iter()
                .map(|o| AclBinding {
                    resource_type,
                    resource_name: resource_name.clone(),
                    pattern_type,
                    principal: principal.clone(),
                    host: host.clone(),
                    operation: parse("operation", o, AclOperation::from_code),
                    permission,
                })
                .collect();
            let outcomes = admin
                .create_acls(&bindings)
                .await
                .unwrap_or_else(|e| fail(&format!("acls on {resource_name}: {e}")));
            let mut created = Vec::new();
            let mut failed = false;
            for o in outcomes {
                match o.result {
                    Ok(()) => created.push(o.resource),
                    Err(e) => {
                        eprintln!(
                            "ferrokafka: error: acl {}: {e}",
                            describe_binding(&o.resource)
                        );
                        failed = true;
                    }
                }
            }
            if json_out {
                print_bindings(&created, true);
            } else {
                for a in &created {
                    println!("created acl {}", describe_binding(a));
                }
            }
            i32::from(failed)
        }
        AclCommand::List { filter } => {
            let acls = admin
                .describe_acls(&filter.filter())
                .await
                .unwrap_or_else(|e| fail(&format!("acls: {e}")));
            print_bindings(&acls, json_out);
            0
        }
        AclCommand::Delete { filter } => {
            if filter.is_empty() {
                fail("acl delete needs a filter (--resource-type, --resource-name, --principal, ...)");
            }
            let outcomes = admin
                .delete_acls(&[filter.filter()])
                .await
                .unwrap_or_else(|e| fail(&format!("acls: {e}")));
            let mut deleted = Vec::new();
            for o in outcomes {
                match o.result {
                    Ok(d) => deleted.extend(d),
                    Err(e) => fail(&format!("acls: {e}")),
                }
            }
            if json_out {
                print_bindings(&deleted, true);
            } else {
                for a in &deleted {
                    println!("deleted acl {}", describe_binding(a));
                }
            }
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_and_print_as_kafkas_tools_write_them() {
        assert_eq!(
            parse("op", "describe-configs", AclOperation::from_code),
            AclOperation::DescribeConfigs
        );
        assert_eq!(
            parse("op", "DESCRIBE_CONFIGS", AclOperation::from_code),
            AclOperation::DescribeConfigs
        );
        assert_eq!(
            parse("type", "transactional-id", ResourceType::from_code),
            ResourceType::TransactionalId
        );
        assert_eq!(kafka_name("TransactionalId"), "TRANSACTIONAL_ID");
        assert_eq!(kafka_name("Read"), "READ");
    }
}
