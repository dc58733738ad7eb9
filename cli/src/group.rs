//! `group lag` and `group reset-offsets`: committed offsets (OffsetFetch
//! through a consumer that never joins), watermarks (ListOffsets), and
//! commits with no generation, as Kafka's tool makes them.

use std::time::Duration;

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::Consumer;
use serde_json::json;

use crate::admin::{fail, partitions_of, print_table};
use crate::kcat::metadata::{cluster, err2str, fetch_metadata, list_offsets};

/// Where `reset-offsets` moves each partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// The log start.
    Earliest,
    /// The end.
    Latest,
    /// This offset, kept within [earliest, latest].
    Offset(i64),
    /// The committed offset (else the end) plus this, kept within range.
    Shift(i64),
    /// The first offset at or after this time, else the end.
    Timestamp(i64),
}

/// Where `target` lands for one partition, given its range and its
/// committed offset, as Kafka's ConsumerGroupCommand computes it.
pub(crate) fn land(
    target: Target,
    low: i64,
    high: i64,
    committed: Option<i64>,
    by_time: Option<i64>,
) -> i64 {
    let clamp = |o: i64| o.clamp(low, high.max(low));
    match target {
        Target::Earliest => low,
        Target::Latest => high,
        Target::Offset(o) => clamp(o),
        Target::Shift(n) => clamp(committed.unwrap_or(high).saturating_add(n)),
        Target::Timestamp(_) => by_time.filter(|&o| o >= 0).unwrap_or(high),
    }
}

fn consumer(config: ClientConfig, group: &str) -> Consumer {
    Consumer::new(config.group_id(group)).unwrap_or_else(|e| fail(&format!("group {group}: {e}")))
}

/// Prints committed offset, high watermark and lag per partition.
pub(crate) async fn lag(
    config: ClientConfig,
    group: &str,
    topics: Vec<String>,
    json_out: bool,
    timeout: Duration,
) -> i32 {
    let c = cluster(&config);
    let topics = if topics.is_empty() {
        let md = fetch_metadata(&c, None, timeout)
            .await
            .unwrap_or_else(|e: String| fail(&e));
        md.topics
            .iter()
            .filter(|t| !t.is_internal)
            .filter_map(|t| t.name.clone())
            .collect()
    } else {
        topics
    };
    let consumer = consumer(config, group);
    let md = fetch_metadata(&c, Some(&topics), timeout)
        .await
        .unwrap_or_else(|e: String| fail(&e));
    let mut rows = Vec::new();
    let mut v = Vec::new();
    for topic in &topics {
        let parts = partitions_of(&md, topic);
        let tps: Vec<(&str, i32)> = parts.iter().map(|&p| (topic.as_str(), p)).collect();
        let committed = consumer
            .committed(&tps, timeout)
            .await
            .unwrap_or_else(|e| fail(&format!("group {group}: {e}")));
        if committed.iter().all(|(_, o)| o.is_none()) {
            continue;
        }
        let want: Vec<_> = parts.iter().map(|&p| (topic.clone(), p, -1)).collect();
        let highs = list_offsets(&c, &md, &want).await;
        for (tp, off) in committed {
            let high = highs
                .iter()
                .find(|h| h.0 .1 == tp.partition)
                .and_then(|h| h.1.ok())
                .unwrap_or(-1);
            let lag = off.map(|o| (high - o).max(0));
            let show = |x: Option<i64>| x.map_or("-".to_string(), |x| x.to_string());
            rows.push(vec![
                group.to_string(),
                tp.topic.clone(),
                tp.partition.to_string(),
                show(off),
                high.to_string(),
                show(lag),
            ]);
            v.push(
                json!({"group": group, "topic": tp.topic, "partition": tp.partition,
                "committed": off, "high": high, "lag": lag}),
            );
        }
    }
    if json_out {
        println!("{}", serde_json::Value::Array(v));
    } else {
        print_table(
            &["GROUP", "TOPIC", "PARTITION", "COMMITTED", "HIGH", "LAG"],
            &rows,
        );
    }
    0
}

/// Plans (and with `execute` commits) the group's new offsets on `topic`.
pub(crate) async fn reset(
    config: ClientConfig,
    group: &str,
    topic: &str,
    target: Target,
    execute: bool,
    json_out: bool,
    timeout: Duration,
) -> i32 {
    let c = cluster(&config);
    let md = fetch_metadata(&c, Some(&[topic.to_string()]), timeout)
        .await
        .unwrap_or_else(|e: String| fail(&e));
    let parts = partitions_of(&md, topic);
    let ask = |ts: i64| {
        parts
            .iter()
            .map(|&p| (topic.to_string(), p, ts))
            .collect::<Vec<_>>()
    };
    let get = |found: &[crate::kcat::metadata::Found], p: i32| {
        found
            .iter()
            .find(|f| f.0 .1 == p)
            .map(|f| {
                f.1.unwrap_or_else(|code| fail(&format!("{topic} [{p}]: {}", err2str(code))))
            })
            .unwrap_or_else(|| fail(&format!("{topic} [{p}]: no answer")))
    };
    let lows = list_offsets(&c, &md, &ask(-2)).await;
    let highs = list_offsets(&c, &md, &ask(-1)).await;
    let by_time = match target {
        Target::Timestamp(ts) => Some(list_offsets(&c, &md, &ask(ts)).await),
        _ => None,
    };
    let mut consumer = consumer(config, group);
    let tps: Vec<(&str, i32)> = parts.iter().map(|&p| (topic, p)).collect();
    let committed = consumer
        .committed(&tps, timeout)
        .await
        .unwrap_or_else(|e| fail(&format!("group {group}: {e}")));
    let mut plan = Vec::new();
    for &p in &parts {
        let current = committed
            .iter()
            .find(|(tp, _)| tp.partition == p)
            .and_then(|x| x.1);
        let t = by_time.as_ref().map(|f| get(f, p));
        plan.push((
            p,
            current,
            land(target, get(&lows, p), get(&highs, p), current, t),
        ));
    }
    if execute {
        let offsets: Vec<(&str, i32, i64)> = plan.iter().map(|&(p, _, o)| (topic, p, o)).collect();
        if let Err(e) = consumer.commit_offsets(&offsets).await {
            fail(&format!("group {group}: {e}"));
        }
    }
    if json_out {
        let v: Vec<_> = plan
            .iter()
            .map(|(p, cur, new)| {
                json!({"group": group, "topic": topic, "partition": p,
                "current": cur, "new": new, "executed": execute})
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else {
        let rows: Vec<Vec<String>> = plan
            .iter()
            .map(|(p, cur, new)| {
                vec![
                    group.to_string(),
                    topic.to_string(),
                    p.to_string(),
                    cur.map_or("-".into(), |c| c.to_string()),
                    new.to_string(),
                ]
            })
            .collect();
        print_table(
            &[
                "GROUP",
                "TOPIC",
                "PARTITION",
                "CURRENT-OFFSET",
                "NEW-OFFSET",
            ],
            &rows,
        );
        if !execute {
            println!("(dry run: add --execute to commit)");
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_land_within_the_partition_range() {
        assert_eq!(land(Target::Earliest, 5, 20, Some(10), None), 5);
        assert_eq!(land(Target::Latest, 5, 20, Some(10), None), 20);
        assert_eq!(land(Target::Offset(2), 5, 20, None, None), 5);
        assert_eq!(land(Target::Offset(99), 5, 20, None, None), 20);
        assert_eq!(land(Target::Shift(-3), 5, 20, Some(10), None), 7);
        assert_eq!(land(Target::Shift(-30), 5, 20, Some(10), None), 5);
        assert_eq!(land(Target::Shift(3), 5, 20, None, None), 20);
        assert_eq!(land(Target::Timestamp(1), 5, 20, None, Some(12)), 12);
        assert_eq!(land(Target::Timestamp(1), 5, 20, None, Some(-1)), 20);
    }
}
