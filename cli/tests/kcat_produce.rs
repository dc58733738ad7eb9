//! The `ferrokafka` producer (`-P`) against kcat's on the real broker:
//! what kcat reads back from our topics equals what it reads from its
//! own, for each codec and option; and `-P -J` (ours only). Needs
//! FERROKAFKA_BOOTSTRAP (scripts/kafka.sh) and kcat; fails loudly without.

use std::io::Write;
use std::process::{Command, Stdio};

mod common;
use common::{bootstrap, create_topic, ours, run, unique};

/// Our producer with each codec, keys (`-K`), a fixed key (`-k`) and
/// headers (`-H`): kcat reads back exactly what kcat's own producer wrote
/// from the same input; and what kcat writes, we read as kcat does.
#[test]
fn produce_with_each_codec_reads_back_identically() {
    let b = bootstrap();
    let input = b"a:1\nb:2\n:3\nc:\nplain\n\x01\xff:\x00bin\n";
    let read = |topic: &str, program: &str| {
        let out = run(
            program,
            &[
                "-C",
                "-b",
                &b,
                "-t",
                topic,
                "-e",
                "-q",
                "-f",
                "%k|%K|%s|%S|%h|%o\\n",
            ],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let mut written = Vec::new();
        for producer in ["kcat".to_string(), ours()] {
            let topic = unique(&format!("produce-{codec}"));
            create_topic(&topic, 1);
            let out = run(
                &producer,
                &[
                    "-P", "-b", &b, "-t", &topic, "-z", codec, "-K", ":", "-k", "fixed", "-H",
                    "h=v", "-H", "n",
                ],
                Some(input),
            );
            assert_eq!(
                out.status.code(),
                Some(0),
                "{producer} -P -z {codec}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let by_kcat = read(&topic, "kcat");
            assert_eq!(
                read(&topic, &ours()),
                by_kcat,
                "we read {producer}'s {codec} topic differently"
            );
            written.push(by_kcat);
        }
        assert_eq!(
            written[1], written[0],
            "kcat reads our {codec} records differently from its own"
        );
        assert_eq!(written[0].iter().filter(|&&c| c == b'\n').count(), 6);
    }
}

/// `-P -J` (ours only): key, payload, headers, partition and timestamp per
/// message; kcat reads them back.
#[test]
fn json_input_sets_key_headers_partition_timestamp() {
    let topic = unique("jsonin");
    create_topic(&topic, 2);
    let b = bootstrap();
    let input = br#"{"key":"k1","payload":"v1","headers":["a","1","b",null],"partition":1,"timestamp":1700000000000}
{"key":null,"value":"v2","headers":{"c":"3"},"partition":0,"ts":1700000000001}
{"payload":null,"key":"tomb","partition":1}
"#;
    let out = run(&ours(), &["-P", "-J", "-b", &b, "-t", &topic], Some(input));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p1 = run(
        "kcat",
        &[
            "-C",
            "-b",
            &b,
            "-t",
            &topic,
            "-p",
            "1",
            "-e",
            "-q",
            "-f",
            "%k|%K|%s|%S|%h|%T\\n",
        ],
        None,
    );
    let text = String::from_utf8_lossy(&p1.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "k1|2|v1|2|a=1,b=NULL|1700000000000");
    assert!(lines[1].starts_with("tomb|4||-1||"), "{}", lines[1]);
    let p0 = run(
        "kcat",
        &[
            "-C",
            "-b",
            &b,
            "-t",
            &topic,
            "-p",
            "0",
            "-e",
            "-q",
            "-f",
            "%k|%K|%s|%h|%T\\n",
        ],
        None,
    );
    assert_eq!(
        String::from_utf8_lossy(&p0.stdout),
        "|-1|v2|c=3|1700000000001\n"
    );
    let bad = run(
        &ours(),
        &["-P", "-J", "-b", &b, "-t", &topic],
        Some(b"not json\n"),
    );
    assert_eq!(bad.status.code(), Some(1));
}

/// The producer's other options: `-l` file with `-D`/`-K`, `-c`, `-T`
/// (tee), `-p`, `-Z`; whole files as messages with `-k`; configuration
/// from `-F` and from `$KCAT_CONFIG`. Each run by kcat and by us into
/// topics of their own; what kcat reads back, and our stdout, must match.
#[test]
fn producer_options_match_kcat() {
    let b = bootstrap();
    let dir = std::env::temp_dir().join(unique("files"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let lines = dir.join("lines");
    // The keyless "=3" comes after -c 4 stops the -Z case (random partition).
    std::fs::write(&lines, b"a=1;b=2;c=;;d=4;=3;e=5").expect("write");
    let (f1, f2, empty) = (dir.join("f1"), dir.join("f2"), dir.join("empty"));
    std::fs::write(&f1, b"whole\nfile\n").expect("write");
    std::fs::write(&f2, b"\x00\x01binary").expect("write");
    std::fs::write(&empty, b"").expect("write");
    let conf = dir.join("kcat.conf");
    std::fs::write(
        &conf,
        format!("# a comment\n\nbootstrap.servers={b}\nclient.id=parity\n"),
    )
    .expect("write");
    let (lines, f1, f2, empty, conf) = (
        lines.to_string_lossy().into_owned(),
        f1.to_string_lossy().into_owned(),
        f2.to_string_lossy().into_owned(),
        empty.to_string_lossy().into_owned(),
        conf.to_string_lossy().into_owned(),
    );
    let cases: Vec<Vec<&str>> = vec![
        vec!["-l", &lines, "-D", ";", "-K", "=", "-T", "-p", "1"],
        vec!["-l", &lines, "-D", ";", "-K", "=", "-Z", "-c", "4"],
        vec!["-k", "fixed", &f1, &f2, &empty],
        vec!["-F", &conf, "-K", "="],
    ];
    for case in cases {
        let mut outputs = Vec::new();
        for program in ["kcat".to_string(), ours()] {
            let topic = unique("popts");
            create_topic(&topic, 2);
            let mut args = vec!["-P", "-t", topic.as_str()];
            if case[0] != "-F" {
                args.extend_from_slice(&["-b", b.as_str()]);
            }
            args.extend_from_slice(&case);
            // Keyed only: a keyless message goes to a random partition.
            let out = run(&program, &args, Some(b"x=y\nw=z\n"));
            assert_eq!(
                out.status.code(),
                Some(0),
                "{program} {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let read = run(
                "kcat",
                &[
                    "-C",
                    "-b",
                    &b,
                    "-t",
                    &topic,
                    "-e",
                    "-q",
                    "-f",
                    "%p|%k|%K|%s|%S\\n",
                ],
                None,
            );
            let mut got: Vec<Vec<u8>> = read
                .stdout
                .split(|&c| c == b'\n')
                .map(<[u8]>::to_vec)
                .collect();
            got.sort();
            outputs.push((out.stdout, got));
        }
        assert_eq!(outputs[1], outputs[0], "{case:?}");
    }
    // $KCAT_CONFIG instead of -F (and no -b).
    let topic = unique("kcatconfig");
    create_topic(&topic, 1);
    let out = Command::new(ours())
        .args(["-P", "-t", &topic])
        .env("KCAT_CONFIG", &conf)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().expect("stdin").write_all(b"via-env\n")?;
            c.wait_with_output()
        })
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = run("kcat", &["-C", "-b", &b, "-t", &topic, "-e", "-q"], None);
    assert_eq!(read.stdout, b"via-env\n");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A delivery that fails (here `-p` names a partition the topic lacks)
/// makes the exit code 1, as in kcat, with one `% Delivery failed` line
/// per message on stderr; the run's other messages are still counted.
#[test]
fn failed_deliveries_exit_1_like_kcat() {
    let b = bootstrap();
    for program in ["kcat".to_string(), ours()] {
        let topic = unique("pfail");
        create_topic(&topic, 1);
        let out = run(
            &program,
            &["-P", "-b", &b, "-t", &topic, "-p", "5"],
            Some(b"a\nb\n"),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{program}: {stderr}");
        assert_eq!(
            stderr.matches("% Delivery failed for message").count(),
            2,
            "{program}: {stderr}"
        );
    }
}

/// Input far larger than one read buffer (about 2.5 MB, values of 0 to 240
/// bytes, keys split at `:`), through stdin, through `-l` with a regular
/// file (read on the runtime's thread) and through `-l` with a named pipe
/// (read asynchronously): every line comes back once, in order and
/// intact, however the reads cut it, while the read buffers are reused as
/// their lines are sent.
#[test]
fn long_input_across_read_buffers_reads_back_identically() {
    let b = bootstrap();
    let mut input = Vec::new();
    let mut expected = Vec::new();
    for i in 0..20_000u32 {
        let value: Vec<u8> = (0..(i * 7919) % 241)
            .map(|j| b'a' + ((i + j) % 26) as u8)
            .collect();
        input.extend_from_slice(format!("k{i}:").as_bytes());
        input.extend_from_slice(&value);
        input.push(b'\n');
        expected.extend_from_slice(format!("k{i}|").as_bytes());
        expected.extend_from_slice(&value);
        expected.push(b'\n');
    }
    let dir = std::env::temp_dir().join(unique("long-input"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("lines");
    std::fs::write(&file, &input).expect("write");
    let file = file.to_string_lossy().into_owned();
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");
    let fifo = fifo.to_string_lossy().into_owned();
    for from in ["stdin", "file", "fifo"] {
        let topic = unique("plong");
        create_topic(&topic, 1);
        let mut args = vec!["-P", "-b", b.as_str(), "-t", topic.as_str(), "-K", ":"];
        let writer = match from {
            "file" => {
                args.extend_from_slice(&["-l", file.as_str()]);
                None
            }
            "fifo" => {
                args.extend_from_slice(&["-l", fifo.as_str()]);
                let (path, bytes) = (fifo.clone(), input.clone());
                // Opening the pipe waits for the reader, our binary.
                Some(std::thread::spawn(move || {
                    std::fs::write(path, bytes).expect("write the pipe")
                }))
            }
            _ => None,
        };
        let out = run(&ours(), &args, (from == "stdin").then_some(&input[..]));
        if let Some(writer) = writer {
            writer.join().expect("pipe writer");
        }
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let read = run(
            "kcat",
            &["-C", "-b", &b, "-t", &topic, "-e", "-q", "-f", "%k|%s\\n"],
            None,
        );
        assert_eq!(read.status.code(), Some(0));
        assert!(
            read.stdout == expected,
            "from {from}: kcat read {} bytes, {} lines; expected {} bytes",
            read.stdout.len(),
            read.stdout.iter().filter(|&&c| c == b'\n').count(),
            expected.len()
        );
    }
}
