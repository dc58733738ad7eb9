//! What the binary's broker tests share: the broker's address and the
//! brokers' env file, the binary under test, running a program (and
//! Kafka's own tools), unique names, topics.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) fn bootstrap() -> String {
    std::env::var("FERROKAFKA_BOOTSTRAP").expect(
        "FERROKAFKA_BOOTSTRAP must name the broker (source the env file of scripts/kafka.sh)",
    )
}

/// A variable of the brokers' env file, which must be set.
pub(crate) fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} must be set (source the env file of scripts/kafka.sh)"))
}

pub(crate) fn ours() -> String {
    std::env::var("FERROKAFKA_CLI_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_ferrokafka").to_string())
}

pub(crate) fn run(program: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .env_remove("KCAT_CONFIG")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} (is kcat installed?): {e}"));
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("piped stdin");
        pipe.write_all(input).expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

/// Runs `program`, which must succeed.
pub(crate) fn ok(program: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let out = run(program, args, stdin);
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A successful run's stdout as JSON.
pub(crate) fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// Runs one of Kafka's own tools (`class`) from the broker's classpath,
/// which must succeed; its stdout.
pub(crate) fn kafka_tool(class: &str, args: &[&str]) -> String {
    let cp = env("FERROKAFKA_KAFKA_CLASSPATH");
    let mut full = vec!["-Xms64m", "-Xmx256m", "-cp", cp.as_str(), class];
    full.extend_from_slice(args);
    String::from_utf8_lossy(&ok("java", &full, None).stdout).into_owned()
}

pub(crate) fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!("cli-{prefix}-{}-{nanos}", std::process::id())
}

pub(crate) fn create_topic(topic: &str, partitions: u32) {
    let out = run(
        &ours(),
        &[
            "topic",
            "create",
            "-b",
            &bootstrap(),
            topic,
            "-p",
            &partitions.to_string(),
        ],
        None,
    );
    assert!(
        out.status.success(),
        "topic create: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs kcat and ours with `args` (after `-b <broker>`); asserts the same
/// stdout and exit code, returns kcat's stdout.
pub(crate) fn same(args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    let b = bootstrap();
    let mut full = vec!["-b", b.as_str()];
    full.extend_from_slice(args);
    let theirs = run("kcat", &full, stdin);
    let mine = run(&ours(), &full, stdin);
    assert_eq!(
        String::from_utf8_lossy(&mine.stdout),
        String::from_utf8_lossy(&theirs.stdout),
        "stdout differs for {args:?}; our stderr: {}",
        String::from_utf8_lossy(&mine.stderr)
    );
    assert_eq!(
        mine.stdout, theirs.stdout,
        "stdout bytes differ for {args:?}"
    );
    assert_eq!(
        mine.status.code(),
        theirs.status.code(),
        "exit code differs for {args:?}: kcat stderr {}; ours {}",
        String::from_utf8_lossy(&theirs.stderr),
        String::from_utf8_lossy(&mine.stderr)
    );
    theirs.stdout
}
