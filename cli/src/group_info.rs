//! `group list`, `group describe` (members and lag, as
//! `kafka-consumer-groups.sh --describe` shows them) and `group delete`,
//! through the admin client.

use std::collections::BTreeMap;

use ferrokafka::admin::{Admin, OffsetSpec, TopicPartition};
use serde_json::json;

use crate::admin::{fail, print_table};

fn show(x: Option<i64>) -> String {
    x.map_or("-".to_string(), |x| x.to_string())
}

/// Prints the groups, filtered by states and types when given.
pub(crate) async fn list(
    admin: &Admin,
    states: &[String],
    types: &[String],
    json_out: bool,
) -> i32 {
    let states: Vec<&str> = states.iter().map(String::as_str).collect();
    let types: Vec<&str> = types.iter().map(String::as_str).collect();
    let groups = admin
        .list_groups(&states, &types)
        .await
        .unwrap_or_else(|e| fail(&format!("groups: {e}")));
    if json_out {
        let v: Vec<_> = groups
            .iter()
            .map(|g| {
                json!({"group": g.group_id, "state": g.state, "type": g.group_type,
                    "protocol_type": g.protocol_type, "coordinator": g.coordinator})
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else {
        let rows: Vec<Vec<String>> = groups
            .iter()
            .map(|g| {
                vec![
                    g.group_id.clone(),
                    g.state.clone(),
                    g.group_type.clone(),
                    g.protocol_type.clone(),
                    g.coordinator.to_string(),
                ]
            })
            .collect();
        print_table(
            &["GROUP", "STATE", "TYPE", "PROTOCOL-TYPE", "COORDINATOR"],
            &rows,
        );
    }
    0
}

/// One row of `group describe`: a partition the group committed to or a
/// member holds.
struct Row {
    tp: TopicPartition,
    committed: Option<i64>,
    log_end: Option<i64>,
    member: Option<(String, String, String)>,
}

/// Prints each group's state, then per partition its committed offset,
/// log end offset, lag and the member holding it (`-` when none), as
/// `kafka-consumer-groups.sh --describe` does.
pub(crate) async fn describe(admin: &Admin, groups: &[String], json_out: bool) -> i32 {
    let described = admin
        .describe_groups(groups)
        .await
        .unwrap_or_else(|e| fail(&format!("groups: {e}")));
    let mut failed = false;
    let mut out = Vec::new();
    for d in described {
        let name = d.resource;
        let g = match d.result {
            Ok(g) if g.state == "Dead" => {
                eprintln!("ferrokafka: error: group {name}: does not exist");
                failed = true;
                continue;
            }
            Ok(g) => g,
            Err(e) => {
                eprintln!("ferrokafka: error: group {name}: {e}");
                failed = true;
                continue;
            }
        };
        let lag = match admin.group_lag(&name).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("ferrokafka: error: group {name}: {e}");
                failed = true;
                continue;
            }
        };
        let mut rows: BTreeMap<TopicPartition, Row> = BTreeMap::new();
        for l in lag {
            rows.insert(
                l.partition.clone(),
                Row {
                    tp: l.partition,
                    committed: l.committed,
                    log_end: Some(l.log_end),
                    member: None,
                },
            );
        }
        let mut unknown_end = Vec::new();
        for m in &g.members {
            for tp in &m.assignment.partitions {
                let who = (
                    m.member_id.clone(),
                    format!("/{}", m.client_host.trim_start_matches('/')),
                    m.client_id.clone(),
                );
                let row = rows.entry(tp.clone()).or_insert_with(|| {
                    unknown_end.push((tp.clone(), OffsetSpec::Latest));
                    Row {
                        tp: tp.clone(),
                        committed: None,
                        log_end: None,
                        member: None,
                    }
                });
                row.member = Some(who);
            }
        }
        if !unknown_end.is_empty() {
            if let Ok(found) = admin.list_offsets(&unknown_end, false).await {
                for f in found {
                    if let (Ok(o), Some(row)) = (f.result, rows.get_mut(&f.resource)) {
                        row.log_end = Some(o.offset);
                    }
                }
            }
        }
        if json_out {
            let members: Vec<_> = g
                .members
                .iter()
                .map(|m| {
                    json!({"member_id": m.member_id, "instance_id": m.instance_id,
                        "client_id": m.client_id, "host": m.client_host,
                        "assignment": m.assignment.partitions.iter()
                            .map(|tp| json!({"topic": tp.topic, "partition": tp.partition}))
                            .collect::<Vec<_>>()})
                })
                .collect();
            let parts: Vec<_> = rows
                .values()
                .map(|r| {
                    json!({"topic": r.tp.topic, "partition": r.tp.partition,
                        "committed": r.committed, "log_end": r.log_end,
                        "lag": r.committed.zip(r.log_end).map(|(c, e)| (e - c).max(0)),
                        "member_id": r.member.as_ref().map(|m| &m.0)})
                })
                .collect();
            out.push(
                json!({"group": name, "state": g.state, "type": g.group_type,
                "assignor": g.assignor, "coordinator": g.coordinator,
                "members": members, "partitions": parts}),
            );
        } else {
            println!(
                "group {name}: state {}, type {}, {} member(s), coordinator {}",
                g.state,
                g.group_type,
                g.members.len(),
                g.coordinator
            );
            let table: Vec<Vec<String>> = rows
                .values()
                .map(|r| {
                    let (id, host, client) = r
                        .member
                        .clone()
                        .unwrap_or_else(|| ("-".into(), "-".into(), "-".into()));
                    vec![
                        name.clone(),
                        r.tp.topic.clone(),
                        r.tp.partition.to_string(),
                        show(r.committed),
                        show(r.log_end),
                        show(r.committed.zip(r.log_end).map(|(c, e)| (e - c).max(0))),
                        id,
                        host,
                        client,
                    ]
                })
                .collect();
            print_table(
                &[
                    "GROUP",
                    "TOPIC",
                    "PARTITION",
                    "CURRENT-OFFSET",
                    "LOG-END-OFFSET",
                    "LAG",
                    "CONSUMER-ID",
                    "HOST",
                    "CLIENT-ID",
                ],
                &table,
            );
        }
    }
    if json_out {
        println!("{}", serde_json::Value::Array(out));
    }
    i32::from(failed)
}

/// Deletes groups (each must have no members); one line per group.
pub(crate) async fn delete(admin: &Admin, groups: &[String], json_out: bool) -> i32 {
    let outcomes = admin
        .delete_groups(groups)
        .await
        .unwrap_or_else(|e| fail(&format!("groups: {e}")));
    let mut failed = false;
    for o in outcomes {
        match o.result {
            Ok(()) if json_out => println!("{}", json!({"deleted": o.resource})),
            Ok(()) => println!("deleted group {}", o.resource),
            Err(e) => {
                eprintln!("ferrokafka: error: group {}: {e}", o.resource);
                failed = true;
            }
        }
    }
    i32::from(failed)
}
