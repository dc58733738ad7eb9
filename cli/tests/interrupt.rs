//! Ctrl-C (SIGINT) and SIGTERM on the `ferrokafka` binary against the real broker:
//! `-G` commits what it wrote out and leaves, `-P` delivers what it read;
//! both exit 0. Needs FERROKAFKA_BOOTSTRAP (scripts/kafka.sh) and kcat.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn bootstrap() -> String {
    std::env::var("FERROKAFKA_BOOTSTRAP").expect(
        "FERROKAFKA_BOOTSTRAP must name the broker (source the env file of scripts/kafka.sh)",
    )
}

fn ours() -> String {
    std::env::var("FERROKAFKA_CLI_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_ferrokafka").to_string())
}

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!("cli-{prefix}-{}-{nanos}", std::process::id())
}

fn signal(sig: &str, pid: u32) {
    let status = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn ok(program: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn ctrl_c_in_group_mode_commits_and_exits_cleanly() {
    let b = bootstrap();
    let topic = unique("sigint-g");
    ok(
        &ours(),
        &["topic", "create", "-b", &b, &topic, "-p", "1"],
        b"",
    );
    let lines: String = (0..10).map(|i| format!("m{i}\n")).collect();
    ok("kcat", &["-P", "-b", &b, "-t", &topic], lines.as_bytes());
    let group = unique("sigint");
    let mut child = Command::new(ours())
        .args([
            "-b",
            &b,
            "-G",
            &group,
            &topic,
            "-q",
            "-X",
            "auto.offset.reset=earliest",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut seen = Vec::new();
    let mut line = String::new();
    while seen.len() < 10 {
        line.clear();
        assert!(
            out.read_line(&mut line).expect("read") > 0,
            "stdout closed early"
        );
        seen.push(line.trim_end().to_string());
    }
    signal("-INT", child.id());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "no exit 30 s after SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    let lag = ok(
        &ours(),
        &["group", "lag", "-b", &b, &group, &topic, "--output", "json"],
        b"",
    );
    let v: serde_json::Value = serde_json::from_slice(&lag).expect("JSON");
    assert_eq!(v[0]["committed"], 10, "{v}");
    assert_eq!(v[0]["lag"], 0);
}

#[test]
fn sigterm_while_producing_delivers_what_was_read() {
    let b = bootstrap();
    let topic = unique("sigint-p");
    ok(
        &ours(),
        &["topic", "create", "-b", &b, &topic, "-p", "1"],
        b"",
    );
    let mut child = Command::new(ours())
        .args(["-P", "-b", &b, "-t", &topic, "-X", "linger.ms=1000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"a\nb\nc\n").expect("write");
    stdin.flush().expect("flush");
    // stdin stays open: only the signal ends the run.
    std::thread::sleep(Duration::from_millis(500));
    signal("-TERM", child.id());
    let out = child.wait_with_output().expect("wait");
    drop(stdin);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = ok("kcat", &["-C", "-b", &b, "-t", &topic, "-e", "-q"], b"");
    assert_eq!(String::from_utf8_lossy(&read), "a\nb\nc\n");
}
