//! The admin subcommands against Kafka's own tools on the same cluster:
//! a topic we create is described by TopicCommand as we describe it, and
//! `group reset-offsets` lands where ConsumerGroupCommand's would. Needs
//! the brokers' env file (FERROKAFKA_BOOTSTRAP, FERROKAFKA_CLUSTER_BOOTSTRAP,
//! FERROKAFKA_KAFKA_CLASSPATH) and kcat; fails loudly without them.

mod common;

use std::process::Command;

use common::{env, json, kafka_tool, ok, ours, unique};

#[test]
fn topic_describe_agrees_with_kafka_topics() {
    let b = env("FERROKAFKA_CLUSTER_BOOTSTRAP");
    let topic = unique("describe");
    ok(
        &ours(),
        &[
            "topic",
            "create",
            "-b",
            &b,
            &topic,
            "-p",
            "3",
            "-r",
            "3",
            "-c",
            "retention.ms=3600000",
        ],
        None,
    );
    let mine = json(&ok(
        &ours(),
        &["topic", "describe", "-b", &b, &topic, "--output", "json"],
        None,
    ));
    let theirs = kafka_tool(
        "org.apache.kafka.tools.TopicCommand",
        &["--bootstrap-server", &b, "--describe", "--topic", &topic],
    );
    let field = |line: &str, name: &str| -> String {
        let at = line
            .find(&format!("{name}: "))
            .unwrap_or_else(|| panic!("{name} in {line}"))
            + name.len()
            + 2;
        line[at..]
            .split(['\t', ' '])
            .next()
            .unwrap_or("")
            .to_string()
    };
    let head = theirs.lines().next().expect("a header line");
    assert_eq!(
        field(head, "TopicId"),
        mine[0]["topic_id"].as_str().expect("id")
    );
    assert_eq!(field(head, "PartitionCount"), "3");
    let list = |v: &serde_json::Value| {
        v.as_array()
            .expect("list")
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut seen = 0;
    for line in theirs.lines().filter(|l| l.contains("Partition: ")) {
        let p: usize = field(line, "Partition").parse().expect("partition");
        let ours = &mine[0]["partitions"][p];
        assert_eq!(field(line, "Leader"), ours["leader"].to_string(), "{line}");
        assert_eq!(field(line, "Replicas"), list(&ours["replicas"]), "{line}");
        assert_eq!(field(line, "Isr"), list(&ours["isr"]), "{line}");
        seen += 1;
    }
    assert_eq!(seen, 3, "{theirs}");
    ok(&ours(), &["topic", "delete", "-b", &b, &topic], None);
    let listed = json(&ok(
        &ours(),
        &["topic", "list", "-b", &b, "--output", "json"],
        None,
    ));
    assert!(!listed
        .as_array()
        .expect("topics")
        .iter()
        .any(|t| t["topic"] == topic.as_str()));
}

#[test]
fn reset_offsets_lands_where_kafkas_tool_would() {
    let b = env("FERROKAFKA_BOOTSTRAP");
    let topic = unique("reset");
    ok(
        &ours(),
        &["topic", "create", "-b", &b, &topic, "-p", "2"],
        None,
    );
    let lines: String = (0..20).map(|i| format!("k{}:m{i}\n", i % 4)).collect();
    ok(
        "kcat",
        &["-P", "-b", &b, "-t", &topic, "-K", ":"],
        Some(lines.as_bytes()),
    );
    let group = unique("reset-g");
    ok(
        &ours(),
        &[
            "-b",
            &b,
            "-G",
            &group,
            &topic,
            "-e",
            "-q",
            "-X",
            "auto.offset.reset=earliest",
        ],
        None,
    );
    let tool = |how: &[&str]| -> Vec<(i32, i64)> {
        let mut args = vec!["--bootstrap-server", b.as_str(), "--group", group.as_str()];
        if how[0] == "--reset-offsets" {
            args.extend_from_slice(&["--topic", topic.as_str()]);
        }
        args.extend_from_slice(how);
        let out = kafka_tool(
            "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
            &args,
        );
        let mut rows: Vec<(i32, i64)> = out
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|c| c.len() >= 4 && c[1] == topic)
            .map(|c| {
                (
                    c[2].parse().expect("partition"),
                    c[3].parse().expect("offset"),
                )
            })
            .collect();
        rows.sort();
        rows
    };
    let mine = |how: &[&str]| -> Vec<(i32, i64)> {
        let mut args = vec![
            "group",
            "reset-offsets",
            "-b",
            b.as_str(),
            group.as_str(),
            topic.as_str(),
            "--output",
            "json",
        ];
        args.extend_from_slice(how);
        let v = json(&ok(&ours(), &args, None));
        let mut rows: Vec<(i32, i64)> = v
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                (
                    r["partition"].as_i64().expect("p") as i32,
                    r["new"].as_i64().expect("new"),
                )
            })
            .collect();
        rows.sort();
        rows
    };
    // Move it first (ours, executed), then compare dry runs from there.
    let moved = mine(&["--shift-by", "-3", "--execute"]);
    let described = tool(&["--describe"]);
    assert_eq!(described, moved, "Kafka's tool sees our reset");
    // Each run of Kafka's tool is a JVM start: two, arithmetic and clamp.
    for how in [&["--shift-by", "-2"][..], &["--shift-by", "100"][..]] {
        let mut theirs = vec!["--reset-offsets", "--dry-run"];
        theirs.extend_from_slice(how);
        assert_eq!(mine(how), tool(&theirs), "{how:?}");
    }
}

/// `watermarks` and `offsets` against what kcat says (`-Q` for a time,
/// `-o -1` for the last offset).
#[test]
fn watermarks_and_offsets_agree_with_kcat() {
    let b = env("FERROKAFKA_BOOTSTRAP");
    let topic = unique("marks");
    ok(
        &ours(),
        &["topic", "create", "-b", &b, &topic, "-p", "2"],
        None,
    );
    ok(
        "kcat",
        &["-P", "-b", &b, "-t", &topic, "-p", "1"],
        Some(b"a\nb\nc\n"),
    );
    let marks = json(&ok(
        &ours(),
        &["watermarks", &topic, "-b", &b, "-o", "json"],
        None,
    ));
    assert_eq!(marks[0]["partition"], 0);
    assert_eq!(
        (marks[0]["low"].as_i64(), marks[0]["high"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        (marks[1]["low"].as_i64(), marks[1]["high"].as_i64()),
        (Some(0), Some(3))
    );
    let ts = ok(
        "kcat",
        &[
            "-C", "-b", &b, "-t", &topic, "-p", "1", "-o", "1", "-c", "1", "-q", "-f", "%T",
        ],
        None,
    );
    let ts = String::from_utf8_lossy(&ts.stdout).into_owned();
    let theirs = ok(
        "kcat",
        &["-Q", "-b", &b, "-t", &format!("{topic}:1:{ts}")],
        None,
    );
    let mine = json(&ok(
        &ours(),
        &["offsets", &topic, "--time", &ts, "-b", &b, "-o", "json"],
        None,
    ));
    let line = String::from_utf8_lossy(&theirs.stdout);
    assert!(
        line.ends_with(&format!("offset {}\n", mine[1]["offset"])),
        "{line} / {mine}"
    );
    let earliest = json(&ok(
        &ours(),
        &[
            "offsets", &topic, "--time", "earliest", "-b", &b, "-o", "json",
        ],
        None,
    ));
    assert_eq!(earliest[1]["offset"], 0);
    let table = ok(&ours(), &["watermarks", &topic, "-b", &b], None);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("TOPIC"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == [topic.as_str(), "1", "0", "3"]),
        "{text}"
    );
    let missing = Command::new(ours())
        .args(["watermarks", &unique("nope"), "-b", &b])
        .output()
        .expect("runs");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr).starts_with("ferrokafka: error: topic cli-nope-")
    );
}
