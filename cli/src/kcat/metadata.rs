//! `-L` (metadata, with `-J`) and `-Q` (offsets by timestamp), printed as
//! kcat prints them, and the metadata and ListOffsets requests the other
//! modes share.

use std::collections::BTreeMap;
use std::io::Write;

use ferrokafka::cluster::Cluster;
use ferrokafka::config::ClientConfig;
use ferrokafka::protocol::messages::list_offsets::{ListOffsetsPartition, ListOffsetsTopic};
use ferrokafka::protocol::messages::metadata::MetadataRequestTopic;
use ferrokafka::protocol::messages::{ListOffsetsRequest, MetadataRequest, MetadataResponse};
use ferrokafka::protocol::ErrorCode;

use crate::kcat::args::Args;
use crate::kcat::fatal;
use crate::kcat::format::json_string;

/// librdkafka's text for a broker error code (`rd_kafka_err2str`).
pub(crate) fn err2str(code: ErrorCode) -> String {
    let text = match code.code() {
        1 => "Offset out of range",
        3 => "Unknown topic or partition",
        5 => "Leader not available",
        6 => "Not leader for partition",
        7 => "Request timed out",
        9 => "Replica not available",
        29 => "Topic authorization failed",
        30 => "Group authorization failed",
        _ => return format!("Broker: {}", code.description()),
    };
    format!("Broker: {text}")
}

/// A cluster handle for `config`, or kcat's fatal error.
pub(crate) fn cluster(config: &ClientConfig) -> Cluster {
    match Cluster::new(config.clone(), false) {
        Ok(c) => c,
        Err(e) => fatal(&format!("Failed to create client: {e}")),
    }
}

/// One Metadata request for `topics` (None: all topics); the broker
/// creates none of them.
pub(crate) async fn fetch_metadata(
    cluster: &Cluster,
    topics: Option<&[String]>,
    timeout: std::time::Duration,
) -> Result<MetadataResponse, String> {
    metadata_request(cluster, topics, false, timeout).await
}

/// One Metadata request for `topics`, letting the broker create missing
/// ones (with its `auto.create.topics.enable`) when `allow_create`.
async fn metadata_request(
    cluster: &Cluster,
    topics: Option<&[String]>,
    allow_create: bool,
    timeout: std::time::Duration,
) -> Result<MetadataResponse, String> {
    let request = MetadataRequest {
        topics: topics.map(|ts| {
            ts.iter()
                .map(|t| MetadataRequestTopic {
                    name: Some(t.clone()),
                    ..Default::default()
                })
                .collect()
        }),
        allow_auto_topic_creation: allow_create,
        ..Default::default()
    };
    match tokio::time::timeout(timeout, cluster.send_to_any(&request)).await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("Local: Timed out".into()),
    }
}

/// The leader of each partition of `topic` in `md`.
pub(crate) fn leaders(md: &MetadataResponse, topic: &str) -> BTreeMap<i32, i32> {
    md.topics
        .iter()
        .filter(|t| t.name.as_deref() == Some(topic))
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(|p| (p.partition_index, p.leader_id))
        })
        .collect()
}

/// A partition to look up: topic, partition, timestamp (-1 latest, -2
/// earliest).
pub(crate) type Lookup = (String, i32, i64);

/// A partition's answer: its offset or the broker's error.
pub(crate) type Found = ((String, i32), Result<i64, ErrorCode>);

/// ListOffsets for `(topic, partition, timestamp)` (timestamp -1: the
/// end, -2: the beginning), each sent to its partition's leader. Returns
/// each partition's offset, or the error code.
pub(crate) async fn list_offsets(
    cluster: &Cluster,
    md: &MetadataResponse,
    wanted: &[Lookup],
) -> Vec<Found> {
    // A partition may appear once per request: the n-th time a partition
    // is asked about goes into the n-th request to its leader.
    let mut by_leader: BTreeMap<(usize, i32), Vec<&Lookup>> = BTreeMap::new();
    let mut seen: BTreeMap<(&str, i32), usize> = BTreeMap::new();
    let mut out = Vec::new();
    for w in wanted {
        match leaders(md, &w.0).get(&w.1) {
            Some(&l) if l >= 0 => {
                let round = seen.entry((&w.0, w.1)).or_insert(0);
                by_leader.entry((*round, l)).or_default().push(w);
                *round += 1;
            }
            Some(_) => out.push(((w.0.clone(), w.1), Err(ErrorCode::LeaderNotAvailable))),
            None => out.push(((w.0.clone(), w.1), Err(ErrorCode::UnknownTopicOrPartition))),
        }
    }
    for ((_, leader), ws) in by_leader {
        let mut topics: BTreeMap<&str, Vec<ListOffsetsPartition>> = BTreeMap::new();
        for w in &ws {
            topics.entry(&w.0).or_default().push(ListOffsetsPartition {
                partition_index: w.1,
                timestamp: w.2,
                ..Default::default()
            });
        }
        let request = ListOffsetsRequest {
            replica_id: -1,
            topics: topics
                .into_iter()
                .map(|(name, partitions)| ListOffsetsTopic {
                    name: name.to_string(),
                    partitions,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        match cluster.send_to(leader, &request).await {
            Ok(resp) => {
                for t in resp.topics {
                    for p in t.partitions {
                        let code = ErrorCode::from_code(p.error_code);
                        let r = if code == ErrorCode::None {
                            Ok(p.offset)
                        } else {
                            Err(code)
                        };
                        out.push(((t.name.clone(), p.partition_index), r));
                    }
                }
            }
            Err(e) => fatal(&format!("offsets_for_times failed: {e}")),
        }
    }
    out
}

fn broker_name(md: &MetadataResponse, node: i32) -> String {
    md.brokers.iter().find(|b| b.node_id == node).map_or_else(
        || "-1".into(),
        |b| format!("{}:{}/{}", b.host, b.port, b.node_id),
    )
}

/// `-L`: the brokers and topics, as kcat prints them (`-J`: its JSON).
pub(crate) async fn list(args: &Args, config: ClientConfig) -> i32 {
    let cluster = cluster(&config);
    let topics = args.topic.as_ref().map(std::slice::from_ref);
    // kcat lists through a producer handle, which lets the broker create
    // the topic it names (`allow.auto.create.topics`, true for producers).
    let md = match metadata_request(&cluster, topics, true, super::metadata_timeout(args)).await {
        Ok(md) => md,
        Err(e) => fatal(&format!("Failed to acquire metadata: {e}")),
    };
    // The broker that answered is not known to the caller; kcat names
    // the one it asked, which for a fresh client is the first bootstrap
    // broker: name the controller's entry's first broker the same way.
    let orig = md.brokers.first().map_or(-1, |b| b.node_id);
    let orig_name = broker_name(&md, orig);
    let mut out = Vec::new();
    if args.json {
        out.extend_from_slice(b"{\"originating_broker\":{\"id\":");
        let _ = write!(out, "{orig},\"name\":");
        json_string(&mut out, orig_name.as_bytes());
        out.extend_from_slice(b"},\"query\":{\"topic\":");
        json_string(&mut out, args.topic.as_deref().unwrap_or("*").as_bytes());
        let _ = write!(
            out,
            "}},\"controllerid\":{},\"brokers\":[",
            md.controller_id
        );
        for (i, b) in md.brokers.iter().enumerate() {
            let _ = write!(
                out,
                "{}{{\"id\":{},\"name\":",
                if i > 0 { "," } else { "" },
                b.node_id
            );
            json_string(&mut out, format!("{}:{}", b.host, b.port).as_bytes());
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"topics\":[");
        for (i, t) in md.topics.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"topic\":");
            json_string(&mut out, t.name.as_deref().unwrap_or("").as_bytes());
            let code = ErrorCode::from_code(t.error_code);
            if code != ErrorCode::None {
                out.extend_from_slice(b",\"error\":");
                json_string(&mut out, err2str(code).as_bytes());
            }
            out.extend_from_slice(b",\"partitions\":[");
            for (j, p) in t.partitions.iter().enumerate() {
                let _ = write!(
                    out,
                    "{}{{\"partition\":{}",
                    if j > 0 { "," } else { "" },
                    p.partition_index
                );
                let code = ErrorCode::from_code(p.error_code);
                if code != ErrorCode::None {
                    out.extend_from_slice(b",\"error\":");
                    json_string(&mut out, err2str(code).as_bytes());
                }
                let ids = |v: &[i32]| {
                    v.iter()
                        .map(|id| format!("{{\"id\":{id}}}"))
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let _ = write!(
                    out,
                    ",\"leader\":{},\"replicas\":[{}],\"isrs\":[{}]}}",
                    p.leader_id,
                    ids(&p.replica_nodes),
                    ids(&p.isr_nodes)
                );
            }
            out.extend_from_slice(b"]}");
        }
        out.extend_from_slice(b"]}");
    } else {
        let _ = writeln!(
            out,
            "Metadata for {} (from broker {orig}: {orig_name}):",
            args.topic.as_deref().unwrap_or("all topics")
        );
        let _ = writeln!(out, " {} brokers:", md.brokers.len());
        for b in &md.brokers {
            let ctl = if b.node_id == md.controller_id {
                " (controller)"
            } else {
                ""
            };
            let _ = writeln!(out, "  broker {} at {}:{}{ctl}", b.node_id, b.host, b.port);
        }
        let _ = writeln!(out, " {} topics:", md.topics.len());
        for t in &md.topics {
            let _ = write!(
                out,
                "  topic \"{}\" with {} partitions:",
                t.name.as_deref().unwrap_or(""),
                t.partitions.len()
            );
            let code = ErrorCode::from_code(t.error_code);
            if code != ErrorCode::None {
                let _ = write!(out, " {}", err2str(code));
                if code == ErrorCode::LeaderNotAvailable {
                    let _ = write!(out, " (try again)");
                }
            }
            out.push(b'\n');
            for p in &t.partitions {
                let list = |v: &[i32]| v.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
                let _ = write!(
                    out,
                    "    partition {}, leader {}, replicas: {}, isrs: {}",
                    p.partition_index,
                    p.leader_id,
                    list(&p.replica_nodes),
                    list(&p.isr_nodes)
                );
                let code = ErrorCode::from_code(p.error_code);
                if code != ErrorCode::None {
                    let _ = write!(out, ", {}", err2str(code));
                }
                out.push(b'\n');
            }
        }
    }
    write_stdout(&out);
    0
}

/// Writes `out` to stdout; a failed write is kcat's fatal output error.
pub(crate) fn write_stdout(out: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(out).and_then(|_| stdout.flush()) {
        fatal(&format!("Output write error: {e}"));
    }
}

/// `-Q`: the offset of each `topic:partition:timestamp`, sorted by topic
/// and partition, as kcat prints them (`-J`: its JSON map).
pub(crate) async fn query(args: &Args, config: ClientConfig) -> i32 {
    let cluster = cluster(&config);
    let mut topics: Vec<String> = args.queries.iter().map(|q| q.0.clone()).collect();
    topics.sort();
    topics.dedup();
    let md = match fetch_metadata(&cluster, Some(&topics), super::metadata_timeout(args)).await {
        Ok(md) => md,
        Err(e) => fatal(&format!("offsets_for_times failed: {e}")),
    };
    // As librdkafka's partition list, a partition asked twice is asked
    // once (the last timestamp wins) and answered twice.
    let mut queries: Vec<(String, i32, i64)> = Vec::new();
    for q in args.queries.iter().rev() {
        if !queries.iter().any(|x| x.0 == q.0 && x.1 == q.1) {
            queries.push(q.clone());
        }
    }
    let answers = list_offsets(&cluster, &md, &queries).await;
    // One line per -t, each with its partition's (last query's) answer.
    let mut found: Vec<_> = args
        .queries
        .iter()
        .filter_map(|q| {
            answers
                .iter()
                .find(|a| a.0 .0 == q.0 && a.0 .1 == q.1)
                .cloned()
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::new();
    if args.json {
        out.push(b'{');
        let mut last: Option<&str> = None;
        for (i, ((topic, partition), r)) in found.iter().enumerate() {
            if last != Some(topic.as_str()) {
                if last.is_some() {
                    out.extend_from_slice(b"},");
                }
                json_string(&mut out, topic.as_bytes());
                out.extend_from_slice(b":{\"topic\":");
                json_string(&mut out, topic.as_bytes());
                last = Some(topic);
            }
            let _ = i;
            let offset = *r.as_ref().unwrap_or(&-1);
            let _ = write!(
                out,
                ",\"{partition}\":{{\"partition\":{partition},\"offset\":{offset}"
            );
            if let Err(code) = r {
                out.extend_from_slice(b",\"error\":");
                json_string(&mut out, err2str(*code).as_bytes());
            }
            out.push(b'}');
        }
        if last.is_some() {
            out.push(b'}');
        }
        out.push(b'}');
    } else {
        for ((topic, partition), r) in &found {
            match r {
                Ok(o) => {
                    let _ = writeln!(out, "{topic} [{partition}] offset {o}");
                }
                Err(code) => {
                    let _ = writeln!(out, "{topic} [{partition}] offset -1: {}", err2str(*code));
                }
            }
        }
    }
    write_stdout(&out);
    0
}
