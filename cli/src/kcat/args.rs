//! kcat's command line: the same option letters, parsed the way glibc's
//! `getopt` parses kcat's option string (letters may be grouped, an
//! argument may follow its letter directly or be the next word, options
//! and operands may be mixed, `--` ends the options).

use crate::kcat::fatal;

/// Where a consumer starts (`-o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StartOffset {
    /// `-o beginning` (the default).
    Beginning,
    /// `-o end`.
    End,
    /// `-o stored`: the group's committed offset.
    Stored,
    /// `-o N`.
    At(i64),
    /// `-o -N`: N records before the end.
    Tail(i64),
}

/// Everything kcat's flags say.
#[derive(Debug, Clone)]
pub(crate) struct Args {
    /// `-P`, `-C`, `-G`, `-L`, `-Q` (as the letter), if given.
    pub(crate) mode: Option<char>,
    /// `-G <group>`.
    pub(crate) group: Option<String>,
    /// `-t <topic>` (not in `-Q` mode).
    pub(crate) topic: Option<String>,
    /// `-p <partition>`; -1 (kcat's "unassigned") when not given.
    pub(crate) partition: i32,
    /// `-b <brokers>`.
    pub(crate) brokers: Option<String>,
    /// `-o` (not the timestamp forms), if given.
    pub(crate) offset: Option<StartOffset>,
    /// `-o s@<ts>`.
    pub(crate) start_ts: i64,
    /// `-o e@<ts>`.
    pub(crate) stop_ts: i64,
    /// `-e`.
    pub(crate) exit_eof: bool,
    /// `-f <fmt>`.
    pub(crate) format: Option<String>,
    /// `-J`.
    pub(crate) json: bool,
    /// `-D <delim>`, as typed.
    pub(crate) delim: String,
    /// `-K <delim>`, as typed.
    pub(crate) key_delim: Option<String>,
    /// `-k <key>`.
    pub(crate) fixed_key: Option<String>,
    /// `-H name=value` / `-H name` (a null value).
    pub(crate) headers: Vec<(String, Option<String>)>,
    /// `-l`.
    pub(crate) line_mode: bool,
    /// `-c <count>`; -1 when not given.
    pub(crate) count: i64,
    /// `-m <seconds>`.
    pub(crate) metadata_timeout: i64,
    /// `-Z`.
    pub(crate) null: bool,
    /// 1 by default, 0 with `-q`, one more per `-v`.
    pub(crate) verbosity: i32,
    /// `-T`.
    pub(crate) tee: bool,
    /// `-u`.
    pub(crate) unbuffered: bool,
    /// `-E`: do not exit on non-fatal errors.
    pub(crate) no_exit_on_error: bool,
    /// Properties from `-X`, `-F` and `-z`, in the order kcat applies them.
    pub(crate) props: Vec<(String, String)>,
    /// Whether `-F` was given (then `$KCAT_CONFIG` is not read).
    pub(crate) conf_file_seen: bool,
    /// Whether `-F -`/`-F none` or a file turned the default file off.
    pub(crate) no_conf_search: bool,
    /// `-X dump`.
    pub(crate) dump: bool,
    /// `-Q -t topic:partition:ts`.
    pub(crate) queries: Vec<(String, i32, i64)>,
    /// `-V`.
    pub(crate) version: bool,
    /// `-h`.
    pub(crate) help: bool,
    /// Operands: files for `-P`, topics for `-G`.
    pub(crate) operands: Vec<String>,
    /// `-s key=<pack>` (or `-s <pack>`).
    pub(crate) key_pack: Option<super::pack::Pack>,
    /// `-s value=<pack>` (or `-s <pack>`).
    pub(crate) value_pack: Option<super::pack::Pack>,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            mode: None,
            group: None,
            topic: None,
            partition: -1,
            brokers: None,
            offset: None,
            start_ts: 0,
            stop_ts: 0,
            exit_eof: false,
            format: None,
            json: false,
            delim: "\n".into(),
            key_delim: None,
            fixed_key: None,
            headers: Vec::new(),
            line_mode: false,
            count: -1,
            metadata_timeout: 5,
            null: false,
            verbosity: 1,
            tee: false,
            unbuffered: false,
            no_exit_on_error: false,
            props: Vec::new(),
            conf_file_seen: false,
            no_conf_search: false,
            dump: false,
            queries: Vec::new(),
            version: false,
            help: false,
            operands: Vec::new(),
            key_pack: None,
            value_pack: None,
        }
    }
}

/// kcat's option letters; `:` after a letter: it takes an argument.
const OPTSTRING: &str = "PCG:LQM:t:p:b:z:o:eED:K:k:H:Od:qvF:X:c:Tuf:ZlVhs:r:Jm:U";

fn takes_argument(opt: char) -> Option<bool> {
    let mut chars = OPTSTRING.chars().peekable();
    while let Some(c) = chars.next() {
        let arg = chars.peek() == Some(&':');
        if arg {
            chars.next();
        }
        if c == opt {
            return Some(arg);
        }
    }
    None
}

/// C's `strtoll(s, NULL, 10)`: leading blanks, a sign, digits; whatever
/// follows is ignored and no digits give 0 (kcat's lenient parsing).
pub(crate) fn strtoll(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -v
    } else {
        v
    }
}

/// C's `atoi`.
pub(crate) fn atoi(s: &str) -> i32 {
    strtoll(s).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Why the command line is refused: kcat prints its usage and exits 1.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UsageError {
    /// A letter kcat does not know, or one missing its argument.
    #[error("unknown argument")]
    Unknown,
}

/// Parses kcat's arguments (without the program name).
pub(crate) fn parse(argv: &[String]) -> Result<Args, UsageError> {
    let mut a = Args::default();
    let mut i = 0;
    while i < argv.len() {
        let word = &argv[i];
        i += 1;
        if word == "--" {
            a.operands.extend(argv[i..].iter().cloned());
            break;
        }
        if !word.starts_with('-') || word.len() == 1 {
            a.operands.push(word.clone());
            continue;
        }
        let letters: Vec<char> = word[1..].chars().collect();
        let mut j = 0;
        while j < letters.len() {
            let opt = letters[j];
            j += 1;
            let value = match takes_argument(opt) {
                None => return Err(UsageError::Unknown),
                Some(false) => None,
                Some(true) => {
                    if j < letters.len() {
                        let rest: String = letters[j..].iter().collect();
                        j = letters.len();
                        Some(rest)
                    } else if i < argv.len() {
                        i += 1;
                        Some(argv[i - 1].clone())
                    } else {
                        return Err(UsageError::Unknown);
                    }
                }
            };
            apply(&mut a, opt, value.unwrap_or_default());
        }
    }
    Ok(a)
}

/// The last mode letter wins, as in kcat 1.7.1 (later kcat refuses a
/// mix; Debian ships 1.7.1).
fn set_mode(a: &mut Args, opt: char) {
    a.mode = Some(opt);
}

fn apply(a: &mut Args, opt: char, v: String) {
    match opt {
        'P' | 'C' | 'L' | 'Q' => set_mode(a, opt),
        'G' => {
            set_mode(a, opt);
            a.props.push(("group.id".into(), v.clone()));
            a.group = Some(v);
        }
        'M' => fatal("This build of kcat lacks mock cluster support"),
        't' => {
            if a.mode == Some('Q') {
                a.queries.push(parse_query(&v));
            } else {
                a.topic = Some(v);
            }
        }
        'p' => a.partition = atoi(&v),
        'b' => a.brokers = Some(v),
        'z' => a.props.push(("compression.codec".into(), v)),
        'o' => {
            if v == "end" {
                a.offset = Some(StartOffset::End);
            } else if v == "beginning" {
                a.offset = Some(StartOffset::Beginning);
            } else if v == "stored" {
                a.offset = Some(StartOffset::Stored);
            } else if let Some(ts) = v.strip_prefix("s@") {
                a.start_ts = strtoll(ts);
            } else if let Some(ts) = v.strip_prefix("e@") {
                a.stop_ts = strtoll(ts);
            } else {
                let o = strtoll(&v);
                a.offset = Some(if o < 0 {
                    StartOffset::Tail(-o)
                } else {
                    StartOffset::At(o)
                });
            }
        }
        'e' => a.exit_eof = true,
        'E' => a.no_exit_on_error = true,
        'D' => a.delim = v,
        'K' => a.key_delim = Some(v),
        'k' => a.fixed_key = Some(v),
        'H' => {
            let (name, value) = match v.split_once('=') {
                Some((n, val)) => (n.to_string(), Some(val.to_string())),
                None => (v.clone(), None),
            };
            if name.is_empty() {
                fatal("Expected -H \"name=value..\" or -H \"name\"");
            }
            a.headers.push((name, value));
        }
        'l' => a.line_mode = true,
        'O' | 'U' => {}
        'c' => a.count = strtoll(&v),
        'm' => a.metadata_timeout = strtoll(&v),
        'Z' => a.null = true,
        'd' => {}
        'q' => a.verbosity = 0,
        'v' => a.verbosity += 1,
        'T' => a.tee = true,
        'u' => a.unbuffered = true,
        'F' => {
            a.conf_file_seen = true;
            a.no_conf_search = true;
            if v != "-" && v != "none" {
                read_conf_file(a, &v);
            }
        }
        'X' => {
            if v == "list" || v == "help" {
                print!("{}", property_list());
                std::process::exit(0);
            }
            if v == "dump" {
                a.dump = true;
                return;
            }
            match v.split_once('=') {
                Some((name, value)) => a.props.push((name.to_string(), value.to_string())),
                None => {
                    eprintln!(
                        "% Expected -X property=value, not {v}, use -X list to display available properties"
                    );
                    std::process::exit(1);
                }
            }
        }
        'f' => a.format = Some(v),
        'J' => a.json = true,
        's' => {
            let (key, value, fmt) = if let Some(f) = v.strip_prefix("key=") {
                (true, false, f)
            } else if let Some(f) = v.strip_prefix("value=") {
                (false, true, f)
            } else {
                (true, true, v.as_str())
            };
            if fmt == "avro" {
                fatal("This build lacks Avro/Schema-Registry support");
            }
            let pack =
                |what: &str| super::pack::Pack::parse(fmt, what).unwrap_or_else(|e| fatal(&e));
            if key {
                a.key_pack = Some(pack("key"));
            }
            if value {
                a.value_pack = Some(pack("value"));
            }
        }
        'r' => fatal("This build lacks Avro/Schema-Registry support"),
        'V' => a.version = true,
        'h' => a.help = true,
        _ => {}
    }
}

/// `-X list`: the properties we accept in the layout of librdkafka's
/// CONFIGURATION.md, as kcat prints it (no range or importance column
/// values: the client does not keep them).
pub(crate) fn property_list() -> String {
    let mut out = String::from("## Global configuration properties\n\n");
    out.push_str(&format!(
        "{:<40} | C/P | {:<15} | {:>13} | {:<10} | {:<25}\n",
        "Property", "Range", "Default", "Importance", "Description"
    ));
    out.push_str(
        "-----------------------------------------|-----|-----------------|--------------:|------------| --------------------------\n",
    );
    for p in ferrokafka::config::PROPERTIES {
        out.push_str(&format!(
            "{:<40} | {:^3} | {:<15} | {:>13} | {:<10} | {}\n",
            p.name, p.scope, "", p.default, "", p.description
        ));
    }
    out.push_str("\n### C/P legend: C = Consumer, P = Producer, * = both\n");
    out
}

fn parse_query(v: &str) -> (String, i32, i64) {
    let bad = || -> ! { fatal("-t: expected \"topic:partition:offset_or_timestamp\"") };
    let Some((topic, rest)) = v.split_once(':') else {
        bad()
    };
    let Some((part, ts)) = rest.split_once(':') else {
        bad()
    };
    let digits = |s: &str| {
        s.trim_start()
            .trim_start_matches(['-', '+'])
            .starts_with(|c: char| c.is_ascii_digit())
    };
    if !digits(part) || !digits(ts) {
        bad()
    }
    (topic.to_string(), atoi(part), strtoll(ts))
}

/// Reads a kcat/librdkafka/Java properties file (`-F`, `$KCAT_CONFIG`):
/// `name=value` lines, `#` comments, `\:` and `\=` unescaped.
pub(crate) fn read_conf_file(a: &mut Args, path: &str) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => fatal(&format!("Failed to open {path}: {e}")),
    };
    if a.verbosity >= 1 {
        eprintln!("% Reading configuration from file {path}");
    }
    for (n, line) in text.lines().enumerate() {
        let s = line.trim();
        if s.is_empty() || s.starts_with('#') {
            continue;
        }
        let s = s.replace("\\:", ":").replace("\\=", "=");
        match s.split_once('=') {
            Some((name, value)) if !name.is_empty() => {
                a.props.push((name.to_string(), value.to_string()))
            }
            _ => fatal(&format!("{path}:{}: expected property=value", n + 1)),
        }
    }
}

/// kcat's delimiter syntax (`-D`, `-K`): `\n`, `\t` and `\xNN` anywhere.
pub(crate) fn parse_delim(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'n' => {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                b't' => {
                    out.push(b'\t');
                    i += 2;
                    continue;
                }
                b'x' => {
                    let hex: Vec<u8> = b[i + 2..]
                        .iter()
                        .copied()
                        .take_while(u8::is_ascii_hexdigit)
                        .collect();
                    if hex.is_empty() {
                        fatal(&format!(
                            "Delimiter {} expects hex number",
                            String::from_utf8_lossy(&b[i..])
                        ));
                    }
                    let mut v: u32 = 0;
                    for h in &hex {
                        v = v
                            .wrapping_mul(16)
                            .wrapping_add((*h as char).to_digit(16).unwrap_or(0));
                    }
                    out.push((v & 0xff) as u8);
                    i += 2 + hex.len();
                    continue;
                }
                _ => {}
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_list_has_kcats_layout_and_every_property() {
        let text = property_list();
        let lines: Vec<&str> = text.lines().collect();
        // kcat 1.7.1's first lines, byte for byte.
        assert_eq!(lines[0], "## Global configuration properties");
        assert_eq!(lines[1], "");
        assert_eq!(
            lines[2],
            "Property                                 | C/P | Range           |       Default | Importance | Description              "
        );
        assert_eq!(
            lines[3],
            "-----------------------------------------|-----|-----------------|--------------:|------------| --------------------------"
        );
        assert_eq!(
            lines.last(),
            Some(&"### C/P legend: C = Consumer, P = Producer, * = both")
        );
        let rows: Vec<Vec<&str>> = lines[4..lines.len() - 2]
            .iter()
            .map(|l| l.split(" | ").map(str::trim).collect())
            .collect();
        assert_eq!(rows.len(), ferrokafka::config::PROPERTIES.len());
        for (row, p) in rows.iter().zip(ferrokafka::config::PROPERTIES) {
            assert_eq!((row[0], row[1], row[3]), (p.name, p.scope, p.default));
        }
        assert!(lines[4].starts_with("bootstrap.servers                        |  *  |"));
    }

    fn args(s: &[&str]) -> Args {
        parse(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>()).expect("parses")
    }

    #[test]
    fn grouped_letters_and_attached_arguments() {
        let a = args(&["-Ceb", "host:1", "-tfoo", "-o-3", "-qu"]);
        assert_eq!(a.mode, Some('C'));
        assert!(a.exit_eof && a.unbuffered);
        assert_eq!(a.brokers.as_deref(), Some("host:1"));
        assert_eq!(a.topic.as_deref(), Some("foo"));
        assert_eq!(a.offset, Some(StartOffset::Tail(3)));
        assert_eq!(a.verbosity, 0);
    }

    #[test]
    fn operands_mix_with_options_as_glibc_permutes() {
        let a = args(&["-b", "h", "-G", "g", "t1", "-e", "t2"]);
        assert_eq!(a.operands, ["t1", "t2"]);
        assert!(a.exit_eof);
        assert_eq!(a.group.as_deref(), Some("g"));
    }

    #[test]
    fn offsets_and_queries() {
        let a = args(&["-o", "s@1000", "-o", "e@2000x"]);
        assert_eq!((a.start_ts, a.stop_ts), (1000, 2000));
        let a = args(&["-Q", "-t", "t:2:-1", "-t", "u:0:1700000000000"]);
        assert_eq!(a.queries[0], ("t".to_string(), 2, -1));
        assert_eq!(a.queries[1], ("u".to_string(), 0, 1_700_000_000_000));
    }

    #[test]
    fn unknown_letter_and_missing_argument_are_usage_errors() {
        assert!(parse(&["-Y".to_string()]).is_err());
        assert!(parse(&["-t".to_string()]).is_err());
    }

    #[test]
    fn delimiters() {
        assert_eq!(parse_delim("\\n"), b"\n");
        assert_eq!(parse_delim("a\\tb"), b"a\tb");
        assert_eq!(parse_delim("\\x00;\\x41"), b"\0;A");
        assert_eq!(parse_delim("::"), b"::");
    }

    #[test]
    fn c_number_parsing() {
        assert_eq!(strtoll("12abc"), 12);
        assert_eq!(strtoll("x"), 0);
        assert_eq!(strtoll(" -7"), -7);
        assert_eq!(atoi("99999999999"), i32::MAX);
    }
}
