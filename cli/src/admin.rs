//! The admin subcommands (`ferrokafka topic ...`, `watermarks`, `offsets`,
//! `group ...`, `config ...`, `acl ...`, `cluster describe`): clap arguments, a table by default, `--output json` for
//! machines; a failure is one line naming the resource and exit code 1.

use std::time::Duration;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use ferrokafka::admin::{Admin, NewTopic};
use ferrokafka::config::ClientConfig;
use ferrokafka::protocol::ErrorCode;
use serde_json::json;

use crate::acl::AclCommand;
use crate::configs::{ConfigCommand, Ops};
use crate::kcat::metadata::{cluster, err2str, fetch_metadata, list_offsets, Found};

/// The subcommand words that select this interface instead of kcat's.
pub(crate) const WORDS: &[&str] = &[
    "topic",
    "watermarks",
    "offsets",
    "group",
    "config",
    "acl",
    "cluster",
    "help",
];

#[derive(Parser, Debug)]
#[command(
    name = "ferrokafka",
    version,
    about = "Kafka admin commands (kcat's flags work too: ferrokafka -h)"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(ClapArgs, Debug)]
struct Common {
    /// Bootstrap broker(s) (host[:port],...).
    #[arg(short = 'b', long = "bootstrap", global = true)]
    brokers: Option<String>,
    /// A client property, librdkafka's names (repeatable).
    #[arg(short = 'X', value_name = "PROP=VAL", global = true)]
    props: Vec<String>,
    /// A properties file (`name=value` lines), as kcat's -F.
    #[arg(short = 'F', value_name = "FILE", global = true)]
    config_file: Option<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table, global = true)]
    output: Output,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Output {
    Table,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create, delete, list and describe topics.
    #[command(subcommand)]
    Topic(TopicCommand),
    /// Each partition's low and high watermark (earliest and latest offset).
    Watermarks {
        /// The topic.
        topic: String,
    },
    /// The offset of each partition for a time (ms since the epoch),
    /// `earliest` or `latest`.
    Offsets {
        /// The topic.
        topic: String,
        /// A timestamp in ms, `earliest` or `latest`.
        #[arg(long, default_value = "latest")]
        time: String,
    },
    /// Consumer group commands.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Cluster commands.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Describe and alter the configs of topics, brokers, broker loggers
    /// and groups.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Create, list and delete ACLs.
    #[command(subcommand)]
    Acl(AclCommand),
}

#[derive(Subcommand, Debug)]
enum ClusterCommand {
    /// The cluster id, the controller and the brokers.
    Describe,
}

#[derive(Subcommand, Debug)]
enum TopicCommand {
    /// Creates a topic.
    Create {
        /// The topic.
        name: String,
        /// How many partitions.
        #[arg(short = 'p', long, default_value_t = 1)]
        partitions: i32,
        /// How many replicas of each.
        #[arg(short = 'r', long = "replication-factor", default_value_t = 1)]
        replication_factor: i16,
        /// A topic config NAME=VALUE (repeatable).
        #[arg(short = 'c', long = "config")]
        configs: Vec<String>,
    },
    /// Deletes topics.
    Delete {
        /// The topics.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Lists the topics.
    List {
        /// Include internal topics (`__consumer_offsets`, ...).
        #[arg(long)]
        internal: bool,
    },
    /// Describes topics: partitions, leaders, replicas, ISR.
    Describe {
        /// The topics.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Grows a topic's partition count and/or changes its configs.
    Alter {
        /// The topic.
        name: String,
        /// The partition count wanted in total (only grows).
        #[arg(short = 'p', long)]
        partitions: Option<i32>,
        #[command(flatten)]
        ops: Ops,
    },
}

#[derive(Subcommand, Debug)]
enum GroupCommand {
    /// Lists the groups (every broker's).
    List {
        /// Only groups in these states (Stable, Empty, ...; repeatable).
        #[arg(long = "state")]
        states: Vec<String>,
        /// Only groups of these types (classic, consumer; repeatable).
        #[arg(long = "type")]
        types: Vec<String>,
    },
    /// Describes groups: state, members, and per partition the committed
    /// offset, log end offset, lag and owner (as kafka-consumer-groups.sh
    /// --describe).
    Describe {
        /// The groups.
        #[arg(required = true)]
        groups: Vec<String>,
    },
    /// Deletes groups (they must have no members).
    Delete {
        /// The groups.
        #[arg(required = true)]
        groups: Vec<String>,
    },
    /// Committed offset, high watermark and lag per partition.
    Lag {
        /// The group.
        group: String,
        /// The topics to look at (default: every topic).
        topics: Vec<String>,
    },
    /// Moves the group's committed offsets, as kafka-consumer-groups.sh
    /// --reset-offsets: a dry run printing the plan unless --execute. The
    /// group must have no active member.
    ResetOffsets {
        /// The group.
        group: String,
        /// The topic.
        topic: String,
        /// Where to: the oldest offset.
        #[arg(long, group = "to")]
        to_earliest: bool,
        /// Where to: the end.
        #[arg(long, group = "to")]
        to_latest: bool,
        /// Where to: this offset (kept within the partition's range).
        #[arg(long, group = "to", allow_hyphen_values = true)]
        to_offset: Option<i64>,
        /// Where to: the committed offset plus N (N may be negative).
        #[arg(long, group = "to", allow_hyphen_values = true)]
        shift_by: Option<i64>,
        /// Where to: the first offset at or after this time (ms since the
        /// epoch).
        #[arg(long, group = "to")]
        to_timestamp: Option<i64>,
        /// Commit the plan (without it: a dry run).
        #[arg(long)]
        execute: bool,
    },
}

pub(crate) fn fail(what: &str) -> ! {
    eprintln!("ferrokafka: error: {what}");
    std::process::exit(1)
}

fn config(common: &Common) -> ClientConfig {
    let mut args = crate::kcat::args::Args::default();
    if let Some(f) = &common.config_file {
        args.conf_file_seen = true;
        args.no_conf_search = true;
        crate::kcat::args::read_conf_file(&mut args, f);
    }
    for p in &common.props {
        match p.split_once('=') {
            Some((n, v)) => args.props.push((n.to_string(), v.to_string())),
            None => fail(&format!("expected -X property=value, not {p}")),
        }
    }
    args.brokers = common.brokers.clone();
    args.verbosity = 0;
    crate::kcat::client_config(&mut args)
}

pub(crate) fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.len());
        }
    }
    let line = |cells: Vec<&str>| {
        let s: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        println!("{}", s.join("  ").trim_end());
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}

/// Runs an admin subcommand with `argv` (without the program name).
pub(crate) async fn run(argv: Vec<String>) -> i32 {
    let cli = Cli::parse_from(std::iter::once("ferrokafka".to_string()).chain(argv));
    let json_out = cli.common.output == Output::Json;
    let config = config(&cli.common);
    let timeout = Duration::from_secs(30);
    match cli.command {
        Command::Topic(TopicCommand::Create {
            name,
            partitions,
            replication_factor,
            configs,
        }) => {
            let admin = Admin::new(config).unwrap_or_else(|e| fail(&e.to_string()));
            let mut topic = NewTopic::new(name.clone(), partitions, replication_factor);
            for c in configs {
                let Some((k, v)) = c.split_once('=') else {
                    fail(&format!("--config expects NAME=VALUE, not {c}"))
                };
                topic = topic.config(k, v);
            }
            if let Err(e) = admin.create_topic(topic).await {
                fail(&format!("topic {name}: {e}"));
            }
            if json_out {
                println!("{}", json!({"created": name, "partitions": partitions}));
            } else {
                println!("created topic {name} with {partitions} partitions");
            }
        }
        Command::Topic(TopicCommand::Delete { names }) => {
            let admin = Admin::new(config).unwrap_or_else(|e| fail(&e.to_string()));
            let mut failed = false;
            for name in &names {
                match admin.delete_topic(name).await {
                    Ok(()) if json_out => println!("{}", json!({"deleted": name})),
                    Ok(()) => println!("deleted topic {name}"),
                    Err(e) => {
                        eprintln!("ferrokafka: error: topic {name}: {e}");
                        failed = true;
                    }
                }
            }
            if failed {
                return 1;
            }
        }
        Command::Topic(TopicCommand::List { internal }) => {
            let c = cluster(&config);
            let md = fetch_metadata(&c, None, timeout)
                .await
                .unwrap_or_else(|e: String| fail(&e));
            let mut topics: Vec<(String, usize, bool)> = md
                .topics
                .iter()
                .filter(|t| internal || !t.is_internal)
                .map(|t| {
                    (
                        t.name.clone().unwrap_or_default(),
                        t.partitions.len(),
                        t.is_internal,
                    )
                })
                .collect();
            topics.sort();
            if json_out {
                let v: Vec<_> = topics
                    .iter()
                    .map(|(n, p, i)| json!({"topic": n, "partitions": p, "internal": i}))
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                let rows: Vec<Vec<String>> = topics
                    .iter()
                    .map(|(n, p, i)| vec![n.clone(), p.to_string(), i.to_string()])
                    .collect();
                print_table(&["TOPIC", "PARTITIONS", "INTERNAL"], &rows);
            }
        }
        Command::Topic(TopicCommand::Describe { names }) => {
            let c = cluster(&config);
            let md = fetch_metadata(&c, Some(&names), timeout)
                .await
                .unwrap_or_else(|e: String| fail(&e));
            let mut rows = Vec::new();
            let mut out = Vec::new();
            let mut failed = false;
            for t in &md.topics {
                let name = t.name.clone().unwrap_or_default();
                let code = ErrorCode::from_code(t.error_code);
                if code != ErrorCode::None {
                    eprintln!("ferrokafka: error: topic {name}: {}", err2str(code));
                    failed = true;
                    continue;
                }
                let mut parts = Vec::new();
                for p in &t.partitions {
                    let list =
                        |v: &[i32]| v.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
                    rows.push(vec![
                        name.clone(),
                        p.partition_index.to_string(),
                        p.leader_id.to_string(),
                        list(&p.replica_nodes),
                        list(&p.isr_nodes),
                        list(&p.offline_replicas),
                    ]);
                    parts.push(json!({"partition": p.partition_index, "leader": p.leader_id,
                        "replicas": p.replica_nodes, "isr": p.isr_nodes, "offline": p.offline_replicas}));
                }
                out.push(json!({"topic": name, "topic_id": topic_id(&t.topic_id.0),
                    "internal": t.is_internal, "partitions": parts}));
            }
            if json_out {
                println!("{}", serde_json::Value::Array(out));
            } else {
                print_table(
                    &["TOPIC", "PARTITION", "LEADER", "REPLICAS", "ISR", "OFFLINE"],
                    &rows,
                );
            }
            if failed {
                return 1;
            }
        }
        Command::Watermarks { topic } => {
            let rows = watermarks(&config, &topic, timeout).await;
            if json_out {
                let v: Vec<_> = rows
                    .iter()
                    .map(|(p, lo, hi)| json!({"topic": topic, "partition": p, "low": lo, "high": hi}))
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                let rows: Vec<Vec<String>> = rows
                    .iter()
                    .map(|(p, lo, hi)| {
                        vec![topic.clone(), p.to_string(), lo.to_string(), hi.to_string()]
                    })
                    .collect();
                print_table(&["TOPIC", "PARTITION", "LOW", "HIGH"], &rows);
            }
        }
        Command::Offsets { topic, time } => {
            let ts = match time.as_str() {
                "latest" => -1,
                "earliest" => -2,
                t => t.parse::<i64>().unwrap_or_else(|_| {
                    fail(&format!(
                        "--time expects ms since the epoch, earliest or latest, not {t}"
                    ))
                }),
            };
            let c = cluster(&config);
            let md = fetch_metadata(&c, Some(std::slice::from_ref(&topic)), timeout)
                .await
                .unwrap_or_else(|e: String| fail(&e));
            let parts = partitions_of(&md, &topic);
            let want: Vec<_> = parts.iter().map(|&p| (topic.clone(), p, ts)).collect();
            let mut found = list_offsets(&c, &md, &want).await;
            found.sort_by(|a, b| a.0.cmp(&b.0));
            let mut rows = Vec::new();
            let mut v = Vec::new();
            for ((t, p), r) in found {
                let r = r.unwrap_or_else(|code| fail(&format!("{t} [{p}]: {}", err2str(code))));
                rows.push(vec![t.clone(), p.to_string(), r.to_string()]);
                v.push(json!({"topic": t, "partition": p, "offset": r}));
            }
            if json_out {
                println!("{}", serde_json::Value::Array(v));
            } else {
                print_table(&["TOPIC", "PARTITION", "OFFSET"], &rows);
            }
        }
        Command::Cluster(ClusterCommand::Describe) => {
            let c = cluster(&config);
            let md = fetch_metadata(&c, Some(&[]), timeout)
                .await
                .unwrap_or_else(|e: String| fail(&e));
            let id = md.cluster_id.clone().unwrap_or_default();
            if json_out {
                let brokers: Vec<_> = md
                    .brokers
                    .iter()
                    .map(|b| json!({"id": b.node_id, "host": b.host, "port": b.port, "rack": b.rack}))
                    .collect();
                println!(
                    "{}",
                    json!({"cluster_id": id, "controller": md.controller_id, "brokers": brokers})
                );
            } else {
                println!("cluster {id}, controller {}", md.controller_id);
                let rows: Vec<Vec<String>> = md
                    .brokers
                    .iter()
                    .map(|b| {
                        vec![
                            b.node_id.to_string(),
                            format!("{}:{}", b.host, b.port),
                            b.rack.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                print_table(&["BROKER", "ADDRESS", "RACK"], &rows);
            }
        }
        Command::Topic(TopicCommand::Alter {
            name,
            partitions,
            ops,
        }) => {
            let admin = Admin::new(config).unwrap_or_else(|e| fail(&e.to_string()));
            return crate::configs::alter_topic(&admin, &name, partitions, &ops, json_out).await;
        }
        Command::Config(command) => {
            let admin = Admin::new(config).unwrap_or_else(|e| fail(&e.to_string()));
            return crate::configs::run(&admin, command, json_out).await;
        }
        Command::Acl(command) => {
            let admin = Admin::new(config).unwrap_or_else(|e| fail(&e.to_string()));
            return crate::acl::run(&admin, command, json_out).await;
        }
        Command::Group(GroupCommand::List { states, types }) => {
            let admin = Admin::new(config).unwrap_or_else(|e| fail(&e.to_string()));
            return crate::group_info::list(&admin, &states, &types, json_out).await;
        }
        Command::Group(GroupCommand::Describe { groups }) => {
            let admin = Admin::new(config).unwrap_or_else(|e| fail(&e.to_string()));
            return crate::group_info::describe(&admin, &groups, json_out).await;
        }
        Command::Group(GroupCommand::Delete { groups }) => {
            let admin = Admin::new(config).unwrap_or_else(|e| fail(&e.to_string()));
            return crate::group_info::delete(&admin, &groups, json_out).await;
        }
        Command::Group(GroupCommand::Lag { group, topics }) => {
            return crate::group::lag(config, &group, topics, json_out, timeout).await;
        }
        Command::Group(GroupCommand::ResetOffsets {
            group,
            topic,
            to_earliest,
            to_latest,
            to_offset,
            shift_by,
            to_timestamp,
            execute,
        }) => {
            use crate::group::Target;
            let target = match (to_earliest, to_latest, to_offset, shift_by, to_timestamp) {
                (true, ..) => Target::Earliest,
                (_, true, ..) => Target::Latest,
                (_, _, Some(o), ..) => Target::Offset(o),
                (_, _, _, Some(n), _) => Target::Shift(n),
                (.., Some(ts)) => Target::Timestamp(ts),
                _ => fail("reset-offsets needs one of --to-earliest, --to-latest, --to-offset, --shift-by, --to-timestamp"),
            };
            return crate::group::reset(config, &group, &topic, target, execute, json_out, timeout)
                .await;
        }
    }
    0
}

/// A topic id as Kafka's tools print it: URL-safe base64, no padding.
fn topic_id(id: &[u8; 16]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in id.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &b| (n << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

pub(crate) fn partitions_of(
    md: &ferrokafka::protocol::messages::MetadataResponse,
    topic: &str,
) -> Vec<i32> {
    let Some(t) = md.topics.iter().find(|t| t.name.as_deref() == Some(topic)) else {
        fail(&format!("topic {topic}: not in the cluster's metadata"))
    };
    let code = ErrorCode::from_code(t.error_code);
    if code != ErrorCode::None {
        fail(&format!("topic {topic}: {}", err2str(code)));
    }
    t.partitions.iter().map(|p| p.partition_index).collect()
}

/// (partition, low, high) for every partition of `topic`.
async fn watermarks(config: &ClientConfig, topic: &str, timeout: Duration) -> Vec<(i32, i64, i64)> {
    let c = cluster(config);
    let md = fetch_metadata(&c, Some(&[topic.to_string()]), timeout)
        .await
        .unwrap_or_else(|e: String| fail(&e));
    let parts = partitions_of(&md, topic);
    let mut want = Vec::new();
    for &p in &parts {
        want.push((topic.to_string(), p, -2));
        want.push((topic.to_string(), p, -1));
    }
    // One request per leader holds each partition twice; ask apart.
    let lows = list_offsets(
        &c,
        &md,
        &want
            .iter()
            .filter(|w| w.2 == -2)
            .cloned()
            .collect::<Vec<_>>(),
    )
    .await;
    let highs = list_offsets(
        &c,
        &md,
        &want
            .iter()
            .filter(|w| w.2 == -1)
            .cloned()
            .collect::<Vec<_>>(),
    )
    .await;
    let mut out = Vec::new();
    for &p in &parts {
        let get = |v: &[Found]| {
            v.iter()
                .find(|x| x.0 .1 == p)
                .map(|x| {
                    x.1.unwrap_or_else(|code| fail(&format!("{topic} [{p}]: {}", err2str(code))))
                })
                .unwrap_or_else(|| fail(&format!("{topic} [{p}]: no answer")))
        };
        out.push((p, get(&lows), get(&highs)));
    }
    out
}
