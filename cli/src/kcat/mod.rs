//! kcat's interface: the same flags, output bytes and exit codes as
//! kcat 1.7 (`-P`, `-C`, `-G`, `-L`, `-Q`), over the ferrokafka client.

pub(crate) mod args;
mod consume;
pub(crate) mod format;
pub(crate) mod metadata;
mod pack;
mod produce;
mod progress;

use std::io::IsTerminal;
use std::time::Duration;

use ferrokafka::config::ClientConfig;

use args::Args;

/// kcat's `KC_FATAL`: `% ERROR: <why>` on stderr, exit code 1.
pub(crate) fn fatal(why: &str) -> ! {
    eprintln!("% ERROR: {why}");
    std::process::exit(1)
}

/// kcat's `KC_INFO`: a `% `-prefixed line on stderr at `level` or above.
pub(crate) fn info(args: &Args, level: i32, line: &str) {
    if args.verbosity >= level {
        eprintln!("% {line}");
    }
}

const USAGE: &str = "\
Usage: ferrokafka <options> [file1 file2 .. | topic1 topic2 ..]]
       ferrokafka <topic|group|config|acl|cluster|offsets|watermarks> ... (admin; see ferrokafka help)
ferrokafka - Apache Kafka producer and consumer tool with kcat's options
Version VERSION (pure Rust, no librdkafka)

General options:
  -C | -P | -L | -Q  Mode: Consume, Produce, Metadata List, Query mode
  -G <group-id>      Mode: High-level KafkaConsumer (group, committing)
                     Expects a list of topics to subscribe to
  -t <topic>         Topic to consume from, produce to, or list
  -p <partition>     Partition
  -b <brokers,..>    Bootstrap broker(s) (host[:port])
  -D <delim>         Message delimiter string: a-z | \\r | \\n | \\t | \\xNN ..  Default: \\n
  -K <delim>         Key delimiter (same format as -D)
  -c <cnt>           Limit message count
  -m <seconds>       Metadata (et.al.) request timeout. Default: 5 seconds.
  -F <config-file>   Read configuration properties from file (also $KCAT_CONFIG)
  -X list            List the configuration properties accepted
  -X prop=val        Set a configuration property (librdkafka names)
  -X dump            Dump configuration and exit.
  -q                 Be quiet (verbosity set to 0)
  -v                 Increase verbosity
  -V                 Print version
  -h                 Print usage help

Producer options:
  -z snappy|gzip|lz4|zstd Message compression. Default: none
  -p -1              Use the partitioner
  -k <str>           Use a fixed key for all messages.
  -H <header=value>  Add Message Headers (may be specified multiple times)
  -l                 Send messages from a file separated by delimiter
  -T                 Output sent messages to stdout, acting like tee.
  -Z                 Send empty messages as NULL messages
  -J                 Input lines are JSON objects: {\"key\":..,\"payload\":..,
                     \"headers\":[name,value,..] or {name:value,..},
                     \"partition\":N, \"timestamp\":ms} (ferrokafka addition)
  file1 file2..      Read messages from files (each file one message).

Consumer options:
  -o <offset>        beginning | end | stored | <value> | -<value> |
                     s@<ts ms> (start at) | e@<ts ms> (stop at, not included)
  -e                 Exit successfully when last message received
  -f <fmt..>         Output formatting string (%t %p %o %k %K %s %S %R %T %h %%)
  -J                 Output with JSON envelope
  -s key=<pack>      Deserialize non-NULL keys using <pack>.
  -s value=<pack>    Deserialize non-NULL values using <pack>.
  -s <pack>          Deserialize non-NULL keys and values using <pack>:
                     b B h H i I q Q (signed/unsigned 8/16/32/64-bit
                     integers, big-endian; < and > accepted as kcat 1.7.1
                     does, without effect), c (a byte), s (the rest as a
                     string), $ (no bytes may remain). No Avro (-s avro, -r).
  -D <delim>         Delimiter to separate messages on output
  -K <delim>         Print message keys prefixing the message with this delimiter
  -Z                 Print NULL values and keys as \"NULL\" instead of empty.
  -u                 Unbuffered output

Metadata options (-L):
  -t <topic>         Topic to query (optional)

Query options (-Q):
  -t <t>:<p>:<ts>    Get offset for topic <t>, partition <p>, timestamp <ts>.
";

fn usage(code: i32, reason: Option<&str>) -> ! {
    let text = USAGE.replace("VERSION", env!("CARGO_PKG_VERSION"));
    if code == 0 {
        print!("{text}");
    } else {
        eprint!("{text}");
    }
    if let Some(r) = reason {
        eprintln!("Error: {r}");
    }
    std::process::exit(code)
}

/// Builds the client configuration the way kcat does: `-X`/`-F` in order,
/// then `$KCAT_CONFIG` (when no `-F`), then `~/.config/kcat.conf` (when
/// neither), then `-b`. Java-style names kcat converts are converted.
pub(crate) fn client_config(args: &mut Args) -> ClientConfig {
    if !args.conf_file_seen {
        if let Some(p) = std::env::var("KCAT_CONFIG").ok().filter(|p| !p.is_empty()) {
            args.no_conf_search = true;
            args::read_conf_file(args, &p);
        }
    }
    if !args.no_conf_search {
        if let Some(home) = std::env::var("HOME").ok().filter(|h| !h.is_empty()) {
            let path = format!("{home}/.config/kcat.conf");
            if std::path::Path::new(&path).exists() {
                args::read_conf_file(args, &path);
            }
        }
    }
    // librdkafka's default partitioner (CRC32 of the key), so that keyed
    // messages land where kcat puts them; -X partitioner=... overrides.
    let mut config = set(ClientConfig::new(), "partitioner", "consistent_random");
    for (name, value) in &args.props {
        let name = name.strip_prefix("topic.").unwrap_or(name);
        if name == "ssl.endpoint.identification.algorithm" && value.is_empty() {
            continue;
        }
        if name == "sasl.jaas.config" {
            if let Some((user, pass)) = jaas_plain(value) {
                config = set(config, "sasl.username", &user);
                config = set(config, "sasl.password", &pass);
                continue;
            }
        }
        config = set(config, name, value);
    }
    if let Some(b) = &args.brokers {
        config = set(config, "bootstrap.servers", b);
    }
    config
}

fn set(config: ClientConfig, name: &str, value: &str) -> ClientConfig {
    match config.set(name, value) {
        Ok(c) => c,
        Err(e) => fatal(&e.to_string()),
    }
}

/// `username="u" password="p"` out of a Java PlainLoginModule line.
fn jaas_plain(v: &str) -> Option<(String, String)> {
    if !v.contains("PlainLoginModule") {
        return None;
    }
    let field = |name: &str| {
        let at = v.find(&format!("{name}=\""))? + name.len() + 2;
        let end = v[at..].find('"')? + at;
        Some(v[at..end].to_string())
    };
    Some((field("username")?, field("password")?))
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM, the signals kcat stops on.
pub(crate) async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// The metadata timeout (`-m`), at least one second.
pub(crate) fn metadata_timeout(args: &Args) -> Duration {
    Duration::from_secs(args.metadata_timeout.max(1) as u64)
}

/// Runs kcat's interface with `argv` (without the program name); returns
/// the exit code.
pub(crate) async fn run(mut argv: Vec<String>) -> i32 {
    if matches!(argv.first().map(String::as_str), Some("kcat" | "kafkacat")) {
        argv.remove(0);
    }
    let mut args = match args::parse(&argv) {
        Ok(a) => a,
        Err(e) => usage(1, Some(&e.to_string())),
    };
    if args.version {
        println!("ferrokafka {} (kcat-compatible)", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    if args.help {
        usage(0, None);
    }
    let config = client_config(&mut args);
    if args.dump {
        println!("# Global config");
        for (name, value) in &args.props {
            println!("{name} = {value}");
        }
        if let Some(b) = &args.brokers {
            println!("bootstrap.servers = {b}");
        }
        return 0;
    }
    if args.brokers.is_none() && !args.props.iter().any(|(n, _)| is_bootstrap(n)) {
        usage(1, Some("-b <broker,..> missing"));
    }
    let mode = match args.mode {
        Some(m) => m,
        None => {
            let m = if std::io::stdin().is_terminal() {
                'C'
            } else {
                'P'
            };
            info(
                &args,
                1,
                &format!(
                    "Auto-selecting {} mode (use -P or -C to override)",
                    if m == 'C' { "Consumer" } else { "Producer" }
                ),
            );
            args.mode = Some(m);
            m
        }
    };
    if !"GLQ".contains(mode) && args.topic.is_none() {
        usage(1, Some("-t <topic> missing"));
    }
    if mode == 'Q' && args.queries.is_empty() {
        usage(
            1,
            Some("-t <topic>:<partition>:<offset_or_timestamp> missing"),
        );
    }
    if !args.operands.is_empty() && !"PG".contains(mode) {
        usage(
            1,
            Some("file/topic list only allowed in producer(-P)/kafkaconsumer(-G) mode"),
        );
    }
    match mode {
        'C' | 'G' => consume::run(&args, config).await,
        'P' => produce::run(&args, config).await,
        'L' => metadata::list(&args, config).await,
        'Q' => metadata::query(&args, config).await,
        _ => usage(0, None),
    }
}

fn is_bootstrap(name: &str) -> bool {
    name == "bootstrap.servers" || name == "metadata.broker.list"
}
