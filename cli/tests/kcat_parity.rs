//! The `ferrokafka` binary against Debian's kcat (librdkafka) on the real
//! broker: the same invocation must give the same stdout bytes and the
//! same exit code. Needs FERROKAFKA_BOOTSTRAP (scripts/kafka.sh) and kcat
//! on the PATH; fails loudly without them. FERROKAFKA_CLI_BIN runs another
//! build of the binary (scripts/musl-check.sh runs the static one).

use std::sync::OnceLock;

mod common;
use common::{bootstrap, create_topic, ours, run, same, unique};

/// A one-partition topic written by kcat (librdkafka): keyed, keyless,
/// empty and null keys and values, binary bytes, JSON-hostile bytes;
/// then a second batch with headers (one with a null value), a few ms
/// later. Returns the topic and the timestamp of the second batch's
/// first message.
fn fixture() -> &'static (String, i64) {
    static FIXTURE: OnceLock<(String, i64)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let topic = unique("parity");
        create_topic(&topic, 1);
        let b = bootstrap();
        let first: &[u8] = b"k1\x1fv1\x1e\x1fkey-less-but-empty\x1ek3\x1f\x1enokey\x1e\
bin\x00\x01\xff\x7f\x1f\x00\x02\xfe\"q\\u\x1e\x1fnull-key\x1ek-null-value\x1f\x1e\
json\"\\/\x08\x0c\n\r\t\x1f\"x\" \\ \x07 \xc3\xa9\x1e";
        let out = run(
            "kcat",
            &[
                "-P", "-b", &b, "-t", &topic, "-K", "\\x1f", "-D", "\\x1e", "-Z",
            ],
            Some(first),
        );
        assert!(
            out.status.success(),
            "kcat -P: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
        let second: &[u8] = b"hk1:hv1\nhk2:hv2\n:hv3\nhk4:\n";
        let out = run(
            "kcat",
            &[
                "-P", "-b", &b, "-t", &topic, "-K", ":", "-H", "h1=x", "-H", "empty=", "-H",
                "nullh", "-z", "gzip",
            ],
            Some(second),
        );
        assert!(
            out.status.success(),
            "kcat -P: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ts = run(
            "kcat",
            &[
                "-C", "-b", &b, "-t", &topic, "-o", "-4", "-c", "1", "-f", "%T", "-q",
            ],
            None,
        );
        let ts: i64 = String::from_utf8_lossy(&ts.stdout)
            .parse()
            .expect("a timestamp");
        (topic, ts)
    })
}

#[test]
fn every_format_token_matches_kcat() {
    let (topic, _) = fixture();
    for fmt in [
        "%t\\n",
        "%p\\n",
        "%o\\n",
        "%k\\n",
        "%K\\n",
        "%s\\n",
        "%S\\n",
        "%R",
        "%T\\n",
        "%h\\n",
        "%%\\t|\\x41\\n",
        "Topic %t [%p] at offset %o: key %k: %s (%K/%S) @%T {%h}\\n",
        "%s",
        "no tokens\\n",
    ] {
        same(&["-C", "-t", topic, "-e", "-q", "-f", fmt], None);
    }
}

#[test]
fn json_envelope_and_delimiters_match_kcat() {
    let (topic, _) = fixture();
    same(&["-C", "-t", topic, "-e", "-q", "-J"], None);
    same(&["-C", "-t", topic, "-e", "-q", "-J", "-D", "\\x1e"], None);
    same(
        &["-C", "-t", topic, "-e", "-q", "-K", "::", "-D", "|"],
        None,
    );
    same(&["-C", "-t", topic, "-e", "-q", "-K", "\\t", "-Z"], None);
    same(
        &["-C", "-t", topic, "-e", "-q", "-Z", "-f", "[%k][%s]\\n"],
        None,
    );
    same(&["-C", "-t", topic, "-e", "-q", "-u", "-p", "0"], None);
    same(&["-Ceqt", topic, "-D\\n"], None);
}

#[test]
fn every_offset_form_and_count_match_kcat() {
    let (topic, ts) = fixture();
    let start = format!("s@{ts}");
    let stop = format!("e@{ts}");
    for o in [
        "beginning",
        "end",
        "0",
        "3",
        "-2",
        "-100",
        "100",
        start.as_str(),
        stop.as_str(),
    ] {
        same(
            &["-C", "-t", topic, "-e", "-q", "-o", o, "-f", "%o %k %s\\n"],
            None,
        );
    }
    for c in ["1", "3", "0"] {
        same(&["-C", "-t", topic, "-e", "-q", "-c", c, "-J"], None);
    }
    same(
        &["-C", "-t", topic, "-q", "-o", &start, "-c", "2", "-J"],
        None,
    );
    // (`-o stored` is checked in group_mode_commits_and_lag_shows_it:
    // kcat's legacy consumer fails it at random with NOT_COORDINATOR.)
}

#[test]
fn multi_partition_topic_matches_kcat_per_partition() {
    let topic = unique("parts");
    create_topic(&topic, 3);
    let b = bootstrap();
    let lines: String = (0..60).map(|i| format!("key{i}:value{i}\n")).collect();
    let out = run(
        "kcat",
        &["-P", "-b", &b, "-t", &topic, "-K", ":"],
        Some(lines.as_bytes()),
    );
    assert!(out.status.success());
    for p in ["0", "1", "2"] {
        same(&["-C", "-t", &topic, "-p", p, "-e", "-q", "-J"], None);
    }
    // All partitions at once: the interleaving is the broker's, the lines
    // are the same.
    let sorted = |args: &[&str], program: &str| {
        let mut full = vec!["-b", b.as_str()];
        full.extend_from_slice(args);
        let out = run(program, &full, None);
        assert_eq!(out.status.code(), Some(0));
        let mut lines: Vec<Vec<u8>> = out
            .stdout
            .split(|&c| c == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        lines.sort();
        lines
    };
    let args = [
        "-C",
        "-t",
        topic.as_str(),
        "-e",
        "-q",
        "-f",
        "%p %o %k %s\\n",
    ];
    assert_eq!(sorted(&args, &ours()), sorted(&args, "kcat"));
    assert_eq!(sorted(&args, &ours()).len(), 61);
}

/// `-s` pack formats, kcat's layout and quirks included (`<` has no
/// effect, `s` stops at a NUL, a key or value that does not fit ends the
/// run with exit 1 after what was written), and `-J` leaving them raw.
#[test]
fn pack_deserializers_match_kcat() {
    let (topic, _) = fixture();
    for s in [
        "s",
        "key=s",
        "value=c",
        "bBs",
        "key=<Bh",
        "value=>H",
        "I",
        "value=q",
        "key=bb$",
        "value=cs$",
    ] {
        same(
            &[
                "-C",
                "-t",
                topic,
                "-e",
                "-q",
                "-s",
                s,
                "-f",
                "[%k|%K][%s|%S]\\n",
            ],
            None,
        );
    }
    same(&["-C", "-t", topic, "-e", "-q", "-s", "b", "-J"], None);
    same(
        &["-C", "-t", topic, "-e", "-q", "-s", "value=s", "-K", ":"],
        None,
    );
    same(&["-C", "-t", topic, "-e", "-q", "-s", "key=x"], None);
    same(&["-C", "-t", topic, "-e", "-q", "-s", "avro"], None);
}

#[test]
fn errors_exit_as_kcat_does() {
    let missing = unique("missing");
    same(&["-C", "-t", &missing, "-e", "-q"], None);
    let (topic, _) = fixture();
    // kcat 1.7 has no %H: both refuse it.
    same(&["-C", "-t", topic, "-e", "-q", "-f", "%H\\n"], None);
    same(&["-C", "-t", topic, "-e", "-q", "-f", "%"], None);
    same(&["-C", "-t", topic, "-p", "7", "-e", "-q"], None);
    same(&["-C", "-e", "-q"], None);
    same(&["-Y"], None);
    same(&["-C", "-P", "-t", topic], None);
}

#[test]
fn metadata_and_query_match_kcat() {
    let (topic, ts) = fixture();
    same(&["-L", "-t", topic], None);
    same(&["-L", "-J", "-t", topic], None);
    same(&["-Q", "-t", &format!("{topic}:0:{ts}")], None);
    same(
        &[
            "-Q",
            "-t",
            &format!("{topic}:0:-1"),
            "-t",
            &format!("{topic}:0:-2"),
        ],
        None,
    );
    same(&["-Q", "-J", "-t", &format!("{topic}:0:0")], None);
    same(
        &["-Q", "-t", &format!("{topic}:0:{}", ts + 3_600_000)],
        None,
    );
}

#[test]
fn all_topics_listing_names_the_same_brokers_and_topics() {
    let (topic, _) = fixture();
    let b = bootstrap();
    let parse = |program: &str| -> serde_json::Value {
        let out = run(program, &["-L", "-J", "-b", &b], None);
        assert_eq!(out.status.code(), Some(0));
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    let (theirs, mine) = (parse("kcat"), parse(&ours()));
    assert_eq!(mine["brokers"], theirs["brokers"]);
    assert_eq!(mine["controllerid"], theirs["controllerid"]);
    let find = |v: &serde_json::Value| {
        v["topics"]
            .as_array()
            .expect("topics")
            .iter()
            .find(|t| t["topic"] == topic.as_str())
            .cloned()
    };
    assert!(find(&mine).is_some());
    assert_eq!(find(&mine), find(&theirs));
}

/// `-G`: the group consumer reads every message once and commits; a
/// second run of the same group finds nothing left; `group lag` shows 0.
#[test]
fn group_mode_commits_and_lag_shows_it() {
    let topic = unique("group");
    create_topic(&topic, 2);
    let b = bootstrap();
    let lines: String = (0..20).map(|i| format!("m{i}\n")).collect();
    assert_eq!(
        run(
            "kcat",
            &["-P", "-b", &b, "-t", &topic],
            Some(lines.as_bytes())
        )
        .status
        .code(),
        Some(0)
    );
    let group = unique("g");
    let consume = || {
        let out = run(
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
                "-f",
                "%s\\n",
            ],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut got: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(String::from)
            .collect();
        got.sort();
        got
    };
    let mut want: Vec<String> = (0..20).map(|i| format!("m{i}")).collect();
    want.sort();
    // -G with -o beginning (the offset applied at assignment), fresh
    // groups: the same lines as kcat's, in the broker's interleaving.
    let from_start = |program: &str| {
        let g = unique("g-start");
        let out = run(
            program,
            &[
                "-b",
                &b,
                "-G",
                &g,
                &topic,
                "-o",
                "beginning",
                "-e",
                "-q",
                "-J",
            ],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{program}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(String::from)
            .collect();
        lines.sort();
        lines
    };
    let theirs = from_start("kcat");
    assert_eq!(theirs.len(), 20);
    assert_eq!(from_start(&ours()), theirs);
    assert_eq!(consume(), want);
    // Three more: `-C -o stored` with the group starts at its commit.
    assert_eq!(
        run(
            "kcat",
            &["-P", "-b", &b, "-t", &topic],
            Some(b"m20\nm21\nm22\n")
        )
        .status
        .code(),
        Some(0)
    );
    let stored = run(
        &ours(),
        &[
            "-C",
            "-b",
            &b,
            "-t",
            &topic,
            "-o",
            "stored",
            "-X",
            &format!("group.id={group}"),
            // kcat's sticky partitioner may have left one partition empty
            // in the first batch: nothing consumed there, nothing
            // committed, so it starts by auto.offset.reset.
            "-X",
            "auto.offset.reset=earliest",
            "-e",
        ],
        None,
    );
    assert_eq!(
        stored.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&stored.stderr)
    );
    let mut rest: Vec<String> = String::from_utf8_lossy(&stored.stdout)
        .lines()
        .map(String::from)
        .collect();
    rest.sort();
    assert_eq!(
        rest,
        ["m20", "m21", "m22"],
        "{}",
        String::from_utf8_lossy(&stored.stderr)
    );
    assert_eq!(consume(), ["m20", "m21", "m22"]);
    assert_eq!(consume(), Vec::<String>::new());
    let lag = run(
        &ours(),
        &["group", "lag", "-b", &b, &group, &topic, "--output", "json"],
        None,
    );
    assert_eq!(
        lag.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&lag.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&lag.stdout).expect("JSON");
    let rows = v.as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    let committed: i64 = rows
        .iter()
        .map(|r| r["committed"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(committed, 23);
    assert!(rows
        .iter()
        .all(|r| r["lag"] == 0 || (r["committed"].is_null() && r["high"] == 0)));
}

/// A LogAppendTime topic: `-J` says "logappend" and `%T` is the broker's
/// time, as kcat has them.
#[test]
fn log_append_time_matches_kcat() {
    let b = bootstrap();
    let topic = unique("logappend");
    let out = run(
        &ours(),
        &[
            "topic",
            "create",
            "-b",
            &b,
            &topic,
            "-p",
            "1",
            "-c",
            "message.timestamp.type=LogAppendTime",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        "kcat",
        &["-P", "-b", &b, "-t", &topic, "-K", ":"],
        Some(b"a:1\nb:2\n"),
    );
    assert!(out.status.success());
    let json = same(&["-C", "-t", &topic, "-e", "-q", "-J"], None);
    assert!(String::from_utf8_lossy(&json).contains("\"tstype\":\"logappend\""));
    same(&["-C", "-t", &topic, "-e", "-q", "-f", "%T %k\\n"], None);
}

/// `-L -t` on a topic that does not exist creates it, as kcat's producer
/// handle lets the broker do (auto.create.topics.enable).
#[test]
fn listing_a_missing_topic_creates_it_as_kcat_does() {
    let b = bootstrap();
    let topic = unique("autocreate");
    let out = run(&ours(), &["-L", "-b", &b, "-t", &topic], None);
    assert_eq!(out.status.code(), Some(0));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let out = run(
            &ours(),
            &["topic", "list", "-b", &b, "--output", "json"],
            None,
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        if v.as_array()
            .expect("topics")
            .iter()
            .any(|t| t["topic"] == topic.as_str())
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{topic} was not created"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
