//! `-C` (assigned partitions, nothing committed) and `-G` (a group
//! member, committing): messages written as `-f`/`-K`/`-D`/`-J` say, the
//! stop conditions (`-e`, `-c`, `e@ts`) and the `% Reached end ...` lines
//! as kcat has them. Ctrl-C stops the loop; `-G` then commits and leaves
//! the group.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrokafka::cluster::Cluster;
use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, Offset, Rebalance};
use ferrokafka::protocol::messages::MetadataResponse;
use ferrokafka::protocol::ErrorCode;

use crate::kcat::args::{parse_delim, Args, StartOffset};
use crate::kcat::format::{self, Context, Token};
use crate::kcat::metadata::{self, err2str, fetch_metadata, leaders, list_offsets};
use crate::kcat::pack::Pack;
use crate::kcat::progress::Progress;
use crate::kcat::{fatal, info, metadata_timeout};

/// How messages are written.
struct Output {
    tokens: Vec<Token>,
    key_pack: Option<Pack>,
    value_pack: Option<Pack>,
    json: bool,
    json_end: Vec<u8>,
    null: bool,
    unbuffered: bool,
    buf: Vec<u8>,
}

impl Output {
    fn new(args: &Args) -> Output {
        let delim = parse_delim(&args.delim);
        let key_delim = args.key_delim.as_deref().map(parse_delim);
        let fmt: Vec<u8> = match &args.format {
            Some(f) => f.as_bytes().to_vec(),
            None if args.json => delim.clone(),
            None => {
                let mut f = Vec::new();
                if let Some(k) = &key_delim {
                    f.extend_from_slice(b"%k");
                    f.extend_from_slice(k);
                }
                f.extend_from_slice(b"%s");
                f.extend_from_slice(&delim);
                // kcat builds this in a 64-byte buffer (63 and a NUL).
                f.truncate(63);
                f
            }
        };
        let tokens = format::parse(&fmt);
        let json_end = match tokens.first() {
            Some(Token::Str(s)) => s.clone(),
            _ => Vec::new(),
        };
        Output {
            tokens,
            key_pack: args.key_pack.clone(),
            value_pack: args.value_pack.clone(),
            json: args.json,
            json_end,
            null: args.null,
            unbuffered: args.unbuffered,
            buf: Vec::with_capacity(1 << 16),
        }
    }

    fn write(&mut self, msg: &ferrokafka::consumer::Message, broker: i32) {
        let ctx = Context {
            null: self.null,
            broker,
            json_end: &self.json_end,
            key_pack: self.key_pack.as_ref(),
            value_pack: self.value_pack.as_ref(),
        };
        if self.json {
            format::write_json(&mut self.buf, msg, &ctx);
        } else {
            if let Err(e) = format::write_tokens(&mut self.buf, &self.tokens, msg, &ctx) {
                // kcat writes what it formatted before the field that failed.
                self.flush();
                fatal(&format!(
                    "Failed to format message in {} [{}] at offset {}: {e}: terminating",
                    msg.topic(),
                    msg.partition(),
                    msg.offset()
                ));
            }
        }
        if self.unbuffered || self.buf.len() >= 1 << 16 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout.write_all(&self.buf).and_then(|_| stdout.flush()) {
            fatal(&format!("Write error for message output: {e}"));
        }
        self.buf.clear();
    }
}

/// Resolves `-o` for one partition into where the consumer starts.
async fn start_offset(
    cluster: &Cluster,
    md: &MetadataResponse,
    topic: &str,
    partition: i32,
    offset: StartOffset,
) -> Offset {
    match offset {
        StartOffset::Beginning => Offset::Beginning,
        StartOffset::End => Offset::End,
        StartOffset::Stored => Offset::Stored,
        StartOffset::At(o) => Offset::At(o),
        StartOffset::Tail(n) => {
            let want = [
                (topic.to_string(), partition, -1),
                (topic.to_string(), partition, -2),
            ];
            let found = list_offsets(cluster, md, &want).await;
            let get = |i: usize| found.get(i).and_then(|f| f.1.ok());
            match (get(0), get(1)) {
                (Some(end), Some(start)) => Offset::At((end - n).max(start)),
                _ => fatal(&format!("Failed to query offsets of {topic} [{partition}]")),
            }
        }
    }
}

/// Runs `-C` or `-G`; returns the exit code.
pub(crate) async fn run(args: &Args, config: ClientConfig) -> i32 {
    let group_mode = args.mode == Some('G');
    if group_mode && (args.start_ts != 0 || args.stop_ts != 0) {
        fatal("-o ..@ timestamps can't be used with -G mode");
    }
    let topics: Vec<String> = if group_mode {
        args.operands.clone()
    } else {
        args.topic.iter().cloned().collect()
    };
    let cluster = metadata::cluster(&config);
    let md = match fetch_metadata(&cluster, Some(&topics), metadata_timeout(args)).await {
        Ok(md) => md,
        Err(e) => fatal(&format!(
            "Failed to query metadata for topic {}: {e}",
            topics.join(",")
        )),
    };
    let mut leader: HashMap<(String, i32), i32> = HashMap::new();
    for t in &topics {
        for (p, l) in leaders(&md, t) {
            leader.insert((t.clone(), p), l);
        }
    }
    let mut config = config.enable_partition_eof(true);
    if !group_mode {
        config.enable_auto_commit = false;
    }
    let mut consumer = match Consumer::new(config) {
        Ok(c) => c,
        Err(e) => fatal(&format!("Failed to create consumer: {e}")),
    };
    // -C: the partitions to read and where each starts.
    let mut wanted: BTreeSet<i32> = BTreeSet::new();
    let assigned: Arc<Mutex<Vec<(String, i32)>>> = Arc::new(Mutex::new(Vec::new()));
    let mut assignment: BTreeMap<(String, i32), bool> = BTreeMap::new();
    if group_mode {
        let seen = assigned.clone();
        consumer.set_rebalance_listener(move |change: &Rebalance| {
            if let Ok(mut s) = seen.lock() {
                match change {
                    Rebalance::Assigned(tps) => {
                        s.extend(tps.iter().map(|tp| (tp.topic.clone(), tp.partition)))
                    }
                    Rebalance::Revoked(tps) | Rebalance::Lost(tps) => {
                        s.retain(|x| !tps.iter().any(|tp| tp.topic == x.0 && tp.partition == x.1))
                    }
                }
            }
        });
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        if let Err(e) = consumer.subscribe(&names) {
            fatal(&format!(
                "Failed to subscribe to {} topics: {e}",
                names.len()
            ));
        }
        info(args, 1, "Waiting for group rebalance");
    } else {
        let topic = &topics[0];
        let Some(t) = md.topics.iter().find(|t| t.name.as_deref() == Some(topic)) else {
            fatal(&format!("No such topic in cluster: {topic}"))
        };
        let code = ErrorCode::from_code(t.error_code);
        if code != ErrorCode::None {
            fatal(&format!("Topic {topic} error: {}", err2str(code)));
        }
        if t.partitions.is_empty() {
            fatal(&format!("Topic {topic} has no partitions"));
        }
        let count = t.partitions.len() as i32;
        if args.partition != -1 {
            if !t
                .partitions
                .iter()
                .any(|p| p.partition_index == args.partition)
            {
                fatal(&format!(
                    "Topic {topic} (with partitions 0..{}): partition {} does not exist",
                    count - 1,
                    args.partition
                ));
            }
            wanted.insert(args.partition);
        } else {
            wanted.extend(t.partitions.iter().map(|p| p.partition_index));
        }
        let by_time: HashMap<i32, i64> = if args.start_ts != 0 {
            let want: Vec<_> = wanted
                .iter()
                .map(|&p| (topic.clone(), p, args.start_ts))
                .collect();
            list_offsets(&cluster, &md, &want)
                .await
                .into_iter()
                .map(|((_, p), r)| match r {
                    Ok(o) => (p, o),
                    Err(code) => fatal(&format!("offsets_for_times failed: {}", err2str(code))),
                })
                .collect()
        } else {
            HashMap::new()
        };
        let mut parts = Vec::new();
        for &p in &wanted {
            let offset = match by_time.get(&p) {
                Some(&o) if o >= 0 => Offset::At(o),
                Some(_) => Offset::End,
                None => {
                    let o = args.offset.unwrap_or(StartOffset::Beginning);
                    start_offset(&cluster, &md, topic, p, o).await
                }
            };
            parts.push((topic.as_str(), p, offset));
        }
        if let Err(e) = consumer.assign(&parts) {
            fatal(&format!("Failed to start consuming topic {topic}: {e}"));
        }
    }

    let mut out = Output::new(args);
    let mut progress = Progress::new("consumed", args.verbosity == 0, true);
    let mut stopped: BTreeSet<i32> = BTreeSet::new();
    // The last message's topic, partition and leader (see below).
    let mut current: Option<(String, i32, i32)> = None;
    let mut rx: u64 = 0;
    let mut run = true;
    let ctrl_c = crate::kcat::interrupted();
    tokio::pin!(ctrl_c);
    while run {
        let polled = tokio::select! {
            m = consumer.poll(Duration::from_millis(100)) => m,
            _ = &mut ctrl_c => { run = false; None }
        };
        if group_mode {
            let newly: Vec<(String, i32)> = match assigned.lock() {
                Ok(mut s) => s.drain(..).collect(),
                Err(_) => Vec::new(),
            };
            if !newly.is_empty() {
                current = None;
                let list: Vec<String> = newly.iter().map(|(t, p)| format!("{t} [{p}]")).collect();
                info(
                    args,
                    1,
                    &format!(
                        "Group {} rebalanced: assigned: {}",
                        args.group.as_deref().unwrap_or(""),
                        list.join(", ")
                    ),
                );
                assignment = newly.iter().map(|tp| (tp.clone(), false)).collect();
                if let Some(o) = args.offset {
                    for (t, p) in &newly {
                        let off = start_offset(&cluster, &md, t, *p, o).await;
                        if let Err(e) = consumer.seek(t, *p, off) {
                            fatal(&format!("Failed to seek {t} [{p}]: {e}"));
                        }
                    }
                }
            }
        }
        let Some(result) = polled else { continue };
        match result {
            Ok(msg) => {
                let partition = msg.partition();
                if !group_mode && stopped.contains(&partition) {
                    continue;
                }
                // Messages come in runs from one partition: its broker and
                // its end-of-partition mark are looked up when the
                // partition changes (or after an end-of-partition event or
                // a rebalance), not with two String copies per message.
                let known = matches!(&current, Some((t, p, _)) if *p == partition && t.as_str() == msg.topic());
                if !known {
                    let key = (msg.topic().to_string(), partition);
                    if let Some(at_eof) = assignment.get_mut(&key) {
                        *at_eof = false;
                    }
                    let broker = leader.get(&key).copied().unwrap_or(-1);
                    current = Some((key.0, partition, broker));
                }
                if args.stop_ts != 0 && msg.timestamp() >= args.stop_ts {
                    let topic = msg.topic();
                    stopped.insert(partition);
                    let _ = consumer.pause(&[(topic, partition)]);
                    if stopped.len() >= wanted.len() {
                        run = false;
                    }
                    info(
                        args,
                        1,
                        &format!(
                            "Reached stop timestamp for topic {topic} [{partition}] at offset {}{}",
                            msg.offset(),
                            if run { "" } else { ": exiting" }
                        ),
                    );
                    continue;
                }
                let broker = current.as_ref().map_or(-1, |c| c.2);
                out.write(&msg, broker);
                progress.add(msg.value().map_or(0, <[u8]>::len));
                rx += 1;
                if args.count >= 0 && rx == args.count as u64 {
                    run = false;
                }
            }
            Err(e) if e.is_partition_eof() => {
                current = None;
                let ferrokafka::consumer::ConsumerError::PartitionEof {
                    topic,
                    partition,
                    offset,
                } = &e
                else {
                    continue;
                };
                if args.exit_eof {
                    if group_mode {
                        if let Some(at_eof) = assignment.get_mut(&(topic.clone(), *partition)) {
                            *at_eof = true;
                        }
                        if !assignment.is_empty() && assignment.values().all(|&v| v) {
                            run = false;
                        }
                    } else {
                        if stopped.insert(*partition) {
                            let _ = consumer.pause(&[(topic.as_str(), *partition)]);
                        }
                        if stopped.len() >= wanted.len() {
                            run = false;
                        }
                    }
                }
                out.flush();
                info(
                    args,
                    1,
                    &format!(
                        "Reached end of topic {topic} [{partition}] at offset {offset}{}",
                        if run { "" } else { ": exiting" }
                    ),
                );
            }
            Err(e) if e.is_retriable() => info(args, 1, &format!("ERROR: {e}")),
            Err(e) => {
                out.flush();
                fatal(&format!("Consumer error: {e}"));
            }
        }
    }
    out.flush();
    progress.finish();
    if let Err(e) = consumer.close().await {
        fatal(&format!("Failed to close consumer: {e}"));
    }
    0
}
