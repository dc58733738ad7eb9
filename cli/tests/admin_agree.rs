//! `group describe|list|delete`, `config describe|alter`, `topic alter`
//! and `acl create|list|delete` against Kafka's own tools on the same
//! broker: ConsumerGroupCommand's lag, ConfigCommand's and TopicCommand's
//! read-back, AclCommand's list. Needs the brokers' env file
//! (FERROKAFKA_BOOTSTRAP with the authorizer of scripts/kafka.sh,
//! FERROKAFKA_CLUSTER_BOOTSTRAP, FERROKAFKA_KAFKA_CLASSPATH) and kcat;
//! fails loudly without them.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{bootstrap, env, json, kafka_tool, ok, ours, run, unique};

/// Polls `check` every 200 ms for up to 15 s (metadata reaches the
/// brokers a moment after the controller answers).
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A one-line error naming the resource, exit code 1.
fn fails_naming(args: &[&str], prefix: &str) {
    let out = run(&ours(), args, None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(err.starts_with(prefix), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn group_describe_lag_agrees_with_kafka_consumer_groups() {
    let b = bootstrap();
    let topic = unique("gdesc");
    ok(
        &ours(),
        &["topic", "create", "-b", &b, &topic, "-p", "3"],
        None,
    );
    let lines: String = (0..30).map(|i| format!("k{}:m{i}\n", i % 7)).collect();
    ok(
        "kcat",
        &["-P", "-b", &b, "-t", &topic, "-K", ":"],
        Some(lines.as_bytes()),
    );
    let group = unique("gdesc-g");
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
    // More records after the commit: lag on some partitions.
    let more: String = (0..11).map(|i| format!("k{i}:n{i}\n")).collect();
    ok(
        "kcat",
        &["-P", "-b", &b, "-t", &topic, "-K", ":"],
        Some(more.as_bytes()),
    );
    let mine = json(&ok(
        &ours(),
        &["group", "describe", "-b", &b, &group, "-o", "json"],
        None,
    ));
    assert_eq!(mine[0]["state"], "Empty", "{mine}");
    let mut ours_rows = BTreeMap::new();
    for p in mine[0]["partitions"].as_array().expect("partitions") {
        ours_rows.insert(
            p["partition"].as_i64().expect("partition"),
            (
                p["committed"].as_i64().expect("committed"),
                p["log_end"].as_i64().expect("log end"),
                p["lag"].as_i64().expect("lag"),
            ),
        );
    }
    let theirs = kafka_tool(
        "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
        &["--bootstrap-server", &b, "--describe", "--group", &group],
    );
    let mut their_rows = BTreeMap::new();
    for c in theirs
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
    {
        if c.len() >= 6 && c[1] == topic {
            let n = |s: &str| s.parse::<i64>().expect(s);
            their_rows.insert(n(c[2]), (n(c[3]), n(c[4]), n(c[5])));
        }
    }
    assert_eq!(ours_rows.len(), 3, "{mine}");
    assert_eq!(ours_rows, their_rows, "{theirs}");
    assert_eq!(ours_rows.values().map(|r| r.2).sum::<i64>(), 11);
    // The table says the same.
    let table = ok(&ours(), &["group", "describe", "-b", &b, &group], None);
    let text = String::from_utf8_lossy(&table.stdout);
    for (p, (c, e, l)) in &ours_rows {
        let want = [
            group.clone(),
            topic.clone(),
            p.to_string(),
            c.to_string(),
            e.to_string(),
            l.to_string(),
            "-".into(),
            "-".into(),
            "-".into(),
        ];
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == want),
            "{text}"
        );
    }
    let listed = json(&ok(
        &ours(),
        &["group", "list", "-b", &b, "--state", "Empty", "-o", "json"],
        None,
    ));
    assert!(
        listed
            .as_array()
            .expect("groups")
            .iter()
            .any(|g| g["group"] == group.as_str() && g["state"] == "Empty"),
        "{listed}"
    );
    ok(&ours(), &["group", "delete", "-b", &b, &group], None);
    fails_naming(
        &["group", "describe", "-b", &b, &group],
        &format!("ferrokafka: error: group {group}: "),
    );
    fails_naming(
        &["group", "delete", "-b", &b, &group],
        &format!("ferrokafka: error: group {group}: "),
    );
}

/// `  name=value sensitive=...` lines of ConfigCommand's --describe.
fn kafka_configs(b: &str, kind: &str, name: &str) -> BTreeMap<String, String> {
    let out = kafka_tool(
        "kafka.admin.ConfigCommand",
        &[
            "--bootstrap-server",
            b,
            "--describe",
            "--entity-type",
            kind,
            "--entity-name",
            name,
        ],
    );
    out.lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter_map(|l| l.split(" sensitive=").next())
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn our_configs(b: &str, kind: &str, name: &str) -> BTreeMap<String, String> {
    json(&ok(
        &ours(),
        &["config", "describe", kind, name, "-b", b, "-o", "json"],
        None,
    ))
    .as_array()
    .expect("configs")
    .iter()
    .map(|c| {
        (
            c["name"].as_str().expect("name").to_string(),
            c["value"].as_str().expect("value").to_string(),
        )
    })
    .collect()
}

#[test]
fn config_alter_is_read_back_by_kafka_configs() {
    let b = bootstrap();
    let topic = unique("conf");
    ok(&ours(), &["topic", "create", "-b", &b, &topic], None);
    let alter = |args: &[&str]| {
        let mut full = vec!["config", "alter", "topic", topic.as_str(), "-b", b.as_str()];
        full.extend_from_slice(args);
        ok(&ours(), &full, None);
    };
    alter(&[
        "--set",
        "retention.ms=123456",
        "--set",
        "cleanup.policy=compact",
        "--set",
        "max.message.bytes=65536",
    ]);
    alter(&["--append", "cleanup.policy=delete"]);
    alter(&["--delete", "max.message.bytes"]);
    let want: BTreeMap<String, String> = [
        ("cleanup.policy", "compact,delete"),
        ("retention.ms", "123456"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    eventually("our describe reads the change back", || {
        our_configs(&b, "topic", &topic) == want
    });
    assert_eq!(kafka_configs(&b, "topics", &topic), want);
    alter(&["--subtract", "cleanup.policy=compact"]);
    eventually("SUBTRACT is read back", || {
        our_configs(&b, "topic", &topic).get("cleanup.policy") == Some(&"delete".to_string())
    });
    // --validate-only changes nothing.
    ok(
        &ours(),
        &[
            "config",
            "alter",
            "topic",
            &topic,
            "-b",
            &b,
            "--set",
            "retention.ms=1000",
            "--validate-only",
        ],
        None,
    );
    assert_eq!(
        our_configs(&b, "topic", &topic).get("retention.ms"),
        Some(&"123456".to_string())
    );
    // A group's config, set and read back by Kafka's tool.
    let group = unique("conf-g");
    ok(
        &ours(),
        &[
            "config",
            "alter",
            "group",
            &group,
            "-b",
            &b,
            "--set",
            "consumer.session.timeout.ms=50000",
        ],
        None,
    );
    eventually("the group config is read back", || {
        our_configs(&b, "group", &group).get("consumer.session.timeout.ms")
            == Some(&"50000".to_string())
    });
    assert_eq!(
        kafka_configs(&b, "groups", &group).get("consumer.session.timeout.ms"),
        Some(&"50000".to_string())
    );
    // A broker's static config shows with --all and its source.
    let broker = json(&ok(
        &ours(),
        &[
            "config", "describe", "broker", "1", "--all", "-b", &b, "-o", "json",
        ],
        None,
    ));
    assert!(
        broker
            .as_array()
            .expect("configs")
            .iter()
            .any(|c| c["name"] == "offsets.topic.num.partitions"
                && c["value"] == "4"
                && c["source"] == "STATIC_BROKER_CONFIG"),
        "{broker}"
    );
    // A logger of the broker, set then removed.
    let logger = "kafka.log.LogCleaner";
    let level = |b: &str| {
        json(&ok(
            &ours(),
            &[
                "config",
                "describe",
                "broker-logger",
                "1",
                "-b",
                b,
                "-o",
                "json",
            ],
            None,
        ))
        .as_array()
        .expect("loggers")
        .iter()
        .find(|c| c["name"] == logger)
        .map(|c| c["value"].as_str().unwrap_or("").to_string())
    };
    ok(
        &ours(),
        &[
            "config",
            "alter",
            "broker-logger",
            "1",
            "-b",
            &b,
            "--set",
            &format!("{logger}=ERROR"),
        ],
        None,
    );
    assert_eq!(level(&b).as_deref(), Some("ERROR"));
    ok(
        &ours(),
        &[
            "config",
            "alter",
            "broker-logger",
            "1",
            "-b",
            &b,
            "--delete",
            logger,
        ],
        None,
    );
    assert_ne!(level(&b).as_deref(), Some("ERROR"));
    fails_naming(
        &[
            "config",
            "alter",
            "topic",
            &topic,
            "-b",
            &b,
            "--set",
            "no.such.config=1",
        ],
        &format!("ferrokafka: error: topic {topic}: "),
    );
}

#[test]
fn topic_alter_is_read_back_by_kafka_topics() {
    let b = env("FERROKAFKA_CLUSTER_BOOTSTRAP");
    let topic = unique("alter");
    ok(
        &ours(),
        &["topic", "create", "-b", &b, &topic, "-p", "1", "-r", "2"],
        None,
    );
    ok(
        &ours(),
        &[
            "topic",
            "alter",
            &topic,
            "-b",
            &b,
            "-p",
            "3",
            "--set",
            "retention.ms=7200000",
        ],
        None,
    );
    let theirs = kafka_tool(
        "org.apache.kafka.tools.TopicCommand",
        &["--bootstrap-server", &b, "--describe", "--topic", &topic],
    );
    let head = theirs.lines().next().expect("a header line");
    assert!(head.contains("PartitionCount: 3"), "{theirs}");
    assert!(head.contains("retention.ms=7200000"), "{theirs}");
    assert_eq!(
        theirs.lines().filter(|l| l.contains("Partition: ")).count(),
        3,
        "{theirs}"
    );
    let mine = json(&ok(
        &ours(),
        &["topic", "describe", "-b", &b, &topic, "-o", "json"],
        None,
    ));
    assert_eq!(mine[0]["partitions"].as_array().map(Vec::len), Some(3));
    // Shrinking is refused, naming the topic.
    fails_naming(
        &["topic", "alter", &topic, "-b", &b, "-p", "2"],
        &format!("ferrokafka: error: topic {topic}: "),
    );
    let missing = unique("nope");
    fails_naming(
        &["topic", "alter", &missing, "-b", &b, "-p", "2"],
        &format!("ferrokafka: error: topic {missing}: "),
    );
}

/// `(principal, host, operation, permission)` of AclCommand's --list.
fn kafka_acls(b: &str, args: &[&str]) -> Vec<(String, String, String, String)> {
    let mut full = vec!["--bootstrap-server", b, "--list"];
    full.extend_from_slice(args);
    let out = kafka_tool("org.apache.kafka.tools.AclCommand", &full);
    let mut v: Vec<_> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("(principal="))
        .filter_map(|l| {
            let f: Vec<&str> = l.trim_end_matches(')').split(", ").collect();
            let get = |k: &str| f.iter().find_map(|x| x.strip_prefix(k)).map(str::to_string);
            Some((
                f.first()?.to_string(),
                get("host=")?,
                get("operation=")?,
                get("permissionType=")?,
            ))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn acls_we_create_are_listed_by_kafka_acls_and_deleted() {
    let b = bootstrap();
    let topic = unique("acl");
    let principal = format!("User:{}", unique("alice"));
    let created = json(&ok(
        &ours(),
        &[
            "acl",
            "create",
            "-b",
            &b,
            "--resource-type",
            "topic",
            "--resource-name",
            &topic,
            "--principal",
            &principal,
            "--operation",
            "read",
            "--operation",
            "describe-configs",
            "-o",
            "json",
        ],
        None,
    ));
    assert_eq!(created.as_array().map(Vec::len), Some(2), "{created}");
    let list = || {
        json(&ok(
            &ours(),
            &[
                "acl",
                "list",
                "-b",
                &b,
                "--resource-type",
                "topic",
                "--resource-name",
                &topic,
                "-o",
                "json",
            ],
            None,
        ))
    };
    eventually("both ACLs are listed", || {
        list().as_array().map(Vec::len) == Some(2)
    });
    let mut mine: Vec<_> = list()
        .as_array()
        .expect("acls")
        .iter()
        .map(|a| {
            assert_eq!(a["pattern"], "LITERAL");
            assert_eq!(a["resource_type"], "TOPIC");
            let s = |k: &str| a[k].as_str().expect(k).to_string();
            (s("principal"), s("host"), s("operation"), s("permission"))
        })
        .collect();
    mine.sort();
    assert_eq!(mine[0].2, "DESCRIBE_CONFIGS");
    assert_eq!(mine, kafka_acls(&b, &["--topic", &topic]));
    let deleted = json(&ok(
        &ours(),
        &[
            "acl",
            "delete",
            "-b",
            &b,
            "--resource-type",
            "topic",
            "--resource-name",
            &topic,
            "--operation",
            "read",
            "-o",
            "json",
        ],
        None,
    ));
    assert_eq!(deleted.as_array().map(Vec::len), Some(1), "{deleted}");
    assert_eq!(deleted[0]["operation"], "READ");
    eventually("one ACL is left", || {
        list().as_array().map(Vec::len) == Some(1)
    });
    assert_eq!(kafka_acls(&b, &["--topic", &topic]), vec![mine[0].clone()]);
    ok(
        &ours(),
        &["acl", "delete", "-b", &b, "--principal", &principal],
        None,
    );
    eventually("no ACL is left", || {
        list().as_array().map(Vec::len) == Some(0)
    });
    let bad = run(
        &ours(),
        &[
            "acl",
            "create",
            "-b",
            &b,
            "--resource-type",
            "topics",
            "--resource-name",
            &topic,
            "--principal",
            &principal,
            "--operation",
            "read",
        ],
        None,
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("resource type topics"));
}
