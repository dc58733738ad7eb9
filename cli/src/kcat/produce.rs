//! `-P`: messages from stdin (or one `-l` file) split at `-D`, keys split
//! at `-K` or fixed by `-k`, headers from `-H`; or whole files, one
//! message each; with `-J`, one JSON object per message (key, payload,
//! headers, partition, timestamp). Every delivery is awaited before the
//! exit; a failed one makes the exit code 1, as in kcat. Ctrl-C stops
//! reading, then delivers what was read.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferrokafka::config::ClientConfig;
use ferrokafka::producer::{DeliveryResult, ProduceError, Producer, ProducerRecord};
use tokio::io::AsyncReadExt;

use crate::kcat::args::{parse_delim, Args};
use crate::kcat::progress::Progress;
use crate::kcat::{fatal, info, metadata_timeout};

/// What every message of the run shares.
struct Sender {
    producer: Producer,
    topic: String,
    partition: Option<i32>,
    fixed_key: Option<Bytes>,
    headers: Vec<(String, Option<Bytes>)>,
    sent: u64,
}

/// Deliveries that failed in this run (the exit code), and whether to say
/// so on stderr (`-v`). Statics rather than captures, so the delivery
/// callback is a zero-sized closure: boxing it allocates nothing.
static FAILED: AtomicU64 = AtomicU64::new(0);
static REPORT_FAILURES: AtomicBool = AtomicBool::new(false);

fn on_delivery(r: DeliveryResult) {
    if let Err(e) = r {
        if REPORT_FAILURES.load(Ordering::Relaxed) {
            eprintln!("% Delivery failed for message: {e}");
        }
        FAILED.fetch_add(1, Ordering::Relaxed);
    }
}

impl Sender {
    /// Sends `record` as it is (a file's content, a `-J` object).
    async fn send(&mut self, record: ProducerRecord) {
        self.send_with(|_| record.clone()).await;
    }

    /// Sends one input line's key and value to the run's topic.
    async fn send_line(&mut self, key: Option<Bytes>, value: Option<Bytes>) {
        self.send_with(|topic| ProducerRecord {
            topic: topic.to_string(),
            key: key.clone(),
            value: value.clone(),
            ..ProducerRecord::default()
        })
        .await;
    }

    /// Sends the record `make` builds for the run's topic, waiting for
    /// space while the buffer is full (`produce` consumes its record, so
    /// each attempt gets a new one: the line's bytes are shared, only
    /// the topic name is copied).
    async fn send_with(&mut self, make: impl Fn(&str) -> ProducerRecord) {
        loop {
            let mut record = make(&self.topic);
            if record.key.is_none() {
                record.key = self.fixed_key.clone();
            }
            if record.partition.is_none() {
                record.partition = self.partition;
            }
            if record.headers.is_empty() {
                record.headers = self.headers.clone();
            }
            let size = record.value.as_ref().map_or(0, Bytes::len);
            match self.producer.produce(record, on_delivery) {
                Ok(()) => break,
                Err(ProduceError::QueueFull) => {
                    self.producer.poll(Duration::from_millis(5)).await;
                }
                Err(e) => fatal(&format!("Failed to produce message ({size} bytes): {e}")),
            }
        }
        self.sent += 1;
        if self.sent % 64 == 0 {
            self.producer.poll(Duration::ZERO).await;
        }
    }
}

/// Where the first `needle` starts in `hay` (kcat's `rd_strnstr`).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    // memchr's vectorised search, not a byte-at-a-time loop: every input
    // byte of `-P` passes through here.
    memchr::memmem::find(hay, needle)
}

/// One message of `-J` input.
fn json_record(topic: &str, line: &[u8]) -> Result<ProducerRecord, String> {
    let v: serde_json::Value = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    let obj = v.as_object().ok_or("expected a JSON object")?;
    let bytes_of = |name: &str| -> Result<Option<Bytes>, String> {
        match obj.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(Bytes::from(s.clone()))),
            Some(other) => Ok(Some(Bytes::from(other.to_string()))),
        }
    };
    let int_of = |name: &str| -> Result<Option<i64>, String> {
        match obj.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(x) => x
                .as_i64()
                .map(Some)
                .ok_or(format!("{name} must be an integer")),
        }
    };
    let mut record =
        ProducerRecord::new(obj.get("topic").and_then(|t| t.as_str()).unwrap_or(topic));
    record.key = bytes_of("key")?;
    record.value = if obj.contains_key("payload") {
        bytes_of("payload")?
    } else {
        bytes_of("value")?
    };
    if let Some(p) = int_of("partition")? {
        record.partition = Some(i32::try_from(p).map_err(|_| "partition out of range")?);
    }
    record.timestamp = int_of("timestamp")?.or(int_of("ts")?);
    let value_of = |x: &serde_json::Value| match x {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(Bytes::from(s.clone())),
        other => Some(Bytes::from(other.to_string())),
    };
    match obj.get("headers") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Array(a)) => {
            if a.len() % 2 != 0 {
                return Err("headers: expected [name, value, ...] pairs".into());
            }
            for pair in a.chunks(2) {
                let name = pair[0].as_str().ok_or("headers: a name must be a string")?;
                record.headers.push((name.to_string(), value_of(&pair[1])));
            }
        }
        Some(serde_json::Value::Object(m)) => {
            for (name, value) in m {
                record.headers.push((name.clone(), value_of(value)));
            }
        }
        Some(_) => return Err("headers: expected an array or an object".into()),
    }
    Ok(record)
}

/// Runs `-P`; returns the exit code.
pub(crate) async fn run(args: &Args, config: ClientConfig) -> i32 {
    let transactional = config.transactional_id.is_some();
    let producer = match Producer::new(config) {
        Ok(p) => p,
        Err(e) => fatal(&format!("Failed to create producer: {e}")),
    };
    if transactional {
        info(args, 1, "Using transactional producer");
        if let Err(e) = producer.init_transactions(metadata_timeout(args)).await {
            fatal(&format!("init_transactions(): {e}"));
        }
        if let Err(e) = producer.begin_transaction().await {
            fatal(&format!("begin_transaction(): {e}"));
        }
    }
    let topic = args.topic.clone().unwrap_or_default();
    let mut sender = Sender {
        producer,
        topic: topic.clone(),
        partition: (args.partition != -1).then_some(args.partition),
        fixed_key: args.fixed_key.clone().map(Bytes::from),
        headers: args
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone().map(Bytes::from)))
            .collect(),
        sent: 0,
    };
    FAILED.store(0, Ordering::Relaxed);
    REPORT_FAILURES.store(args.verbosity >= 1, Ordering::Relaxed);
    let mut exit = 0;
    let mut interrupted = false;
    if !args.operands.is_empty() && !args.line_mode {
        let mut good = 0;
        for path in &args.operands {
            match std::fs::read(path) {
                Ok(data) if data.is_empty() => {
                    info(args, 3, &format!("Skipping empty file {path}"));
                    good += 1;
                }
                Ok(data) => {
                    let record = ProducerRecord::new(topic.clone()).value(data);
                    sender.send(record).await;
                    good += 1;
                }
                Err(e) => info(args, 1, &format!("Failed to open {path}: {e}")),
            }
        }
        if good == 0 {
            exit = 1;
        } else if good < args.operands.len() {
            info(
                args,
                1,
                &format!(
                    "Failed to produce from {}/{} files",
                    args.operands.len() - good,
                    args.operands.len()
                ),
            );
        }
    } else {
        interrupted = read_input(args, &mut sender).await;
    }
    let Sender { producer, .. } = sender;
    if transactional {
        let result = if interrupted {
            info(args, 0, "Aborting transaction due to termination signal");
            producer.abort_transaction(metadata_timeout(args)).await
        } else {
            info(args, 1, "Committing transaction");
            producer.commit_transaction(metadata_timeout(args)).await
        };
        if let Err(e) = result {
            fatal(&format!("transaction: {e}"));
        }
    }
    while producer.flush(Duration::from_secs(3600)).await > 0 {}
    producer.close(Duration::from_secs(5)).await;
    if FAILED.load(Ordering::Relaxed) > 0 {
        exit = 1;
    }
    exit
}

/// Reads delimited messages from stdin or the `-l` file and sends them;
/// true when Ctrl-C stopped it.
async fn read_input(args: &Args, sender: &mut Sender) -> bool {
    let delim = parse_delim(&args.delim);
    if delim.is_empty() {
        fatal("Message delimiter -D must not be empty when producing");
    }
    let key_delim = args.key_delim.as_deref().map(parse_delim);
    let mut input = match args.operands.first() {
        Some(path) if args.line_mode => match Input::open(path) {
            Ok(input) => input,
            Err(e) => fatal(&format!("Cannot open {path}: {e}")),
        },
        _ => Input::Stream(Box::new(tokio::io::stdin())),
    };
    let mut progress = Progress::new("produced", args.verbosity == 0, false);
    let mut tee = std::io::stdout().lock();
    // Messages are zero-copy slices of the input: complete ones are split
    // off the front of `buf` and frozen; the partial tail stays.
    let mut buf = BytesMut::with_capacity(CHUNK);
    let mut chunks = Chunks::default();
    let mut scanned = 0;
    let ctrl_c = crate::kcat::interrupted();
    tokio::pin!(ctrl_c);
    loop {
        let mut start = 0;
        let mut ends = Vec::new();
        while let Some(at) = find(&buf[scanned..], &delim).map(|i| i + scanned) {
            ends.push((start, at));
            start = at + delim.len();
            scanned = start;
        }
        if start > 0 {
            let done = buf.split_to(start).freeze();
            for (from, to) in ends {
                let msg = done.slice(from..to);
                if !send_one(args, sender, &key_delim, msg, &mut tee, &mut progress).await {
                    progress.finish();
                    return false;
                }
            }
        }
        scanned = buf.len().saturating_sub(delim.len() - 1);
        // Read straight into the tail of `buf` (no copy through a chunk);
        // the frozen messages keep their part of its allocation.
        if buf.capacity() - buf.len() < MIN_READ {
            chunks.next(&mut buf);
        }
        buf.reserve(MIN_READ);
        let n = tokio::select! {
            r = input.read(&mut buf) => match r {
                Ok(n) => n,
                Err(e) => fatal(&format!("Unable to read message: {e}")),
            },
            _ = &mut ctrl_c => { progress.finish(); return true; }
        };
        if n == 0 {
            if !buf.is_empty() {
                let msg = std::mem::take(&mut buf).freeze();
                send_one(args, sender, &key_delim, msg, &mut tee, &mut progress).await;
            }
            break;
        }
    }
    progress.finish();
    false
}

/// Where `-P` reads its messages from.
enum Input {
    /// A regular file (`-l`), read on the runtime's own thread: a read
    /// from it does not wait for a writer, and tokio's file reads go
    /// through its blocking pool, a thread hand-over and a copy per read.
    File(std::fs::File),
    /// Stdin, or a `-l` path that is not a regular file (a pipe may wait).
    Stream(Box<dyn tokio::io::AsyncRead + Unpin>),
}

impl Input {
    fn open(path: &str) -> std::io::Result<Input> {
        let file = std::fs::File::open(path)?;
        Ok(if file.metadata()?.is_file() {
            Input::File(file)
        } else {
            Input::Stream(Box::new(tokio::fs::File::from_std(file)))
        })
    }

    /// Appends what the next read returns to `buf` (which has room for
    /// [`MIN_READ`]); 0 at the end.
    async fn read(&mut self, buf: &mut BytesMut) -> std::io::Result<usize> {
        match self {
            Input::File(file) => {
                use std::io::Read;
                let len = buf.len();
                buf.resize(len + MIN_READ.max(buf.capacity() - len), 0);
                let read = loop {
                    match file.read(&mut buf[len..]) {
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        read => break read,
                    }
                };
                buf.truncate(len + *read.as_ref().unwrap_or(&0));
                // The producer's task runs between reads, as it does
                // while an asynchronous read waits.
                tokio::task::yield_now().await;
                read
            }
            Input::Stream(stream) => stream.read_buf(buf).await,
        }
    }
}

/// The input's read buffer, and the room a read wants in it.
const CHUNK: usize = 1 << 17;
const MIN_READ: usize = 1 << 16;

/// Read buffers whose messages may still be in the producer, oldest
/// first, for the next buffer to reuse once they are all sent.
///
/// A fresh buffer per 128 KiB of input cost the static binary a page
/// fault per 4 KiB read while it used musl's allocator, which gives freed
/// blocks of this size back to the kernel, so each new one was mapped
/// anew. (Measured before the binary took dlmalloc, see `main.rs`; a
/// glibc build also keeps this reuse.)
#[derive(Default)]
struct Chunks {
    retired: std::collections::VecDeque<BytesMut>,
}

impl Chunks {
    /// How many used buffers to keep; past it the oldest is let go (the
    /// producer's buffer bound limits how many hold unsent messages).
    const KEPT: usize = 32;

    /// Moves the partial message at the end of `buf` into a buffer whose
    /// messages have all gone (or a new one), and keeps `buf`'s for later.
    fn next(&mut self, buf: &mut BytesMut) {
        // Empty and no message left in it: the whole allocation is ours.
        let reusable = self
            .retired
            .front_mut()
            .is_some_and(|oldest| oldest.try_reclaim(CHUNK));
        let free = if reusable {
            self.retired.pop_front()
        } else {
            None
        };
        let mut next = free.unwrap_or_else(|| BytesMut::with_capacity(CHUNK));
        next.extend_from_slice(buf);
        buf.clear();
        self.retired.push_back(std::mem::replace(buf, next));
        if self.retired.len() > Self::KEPT {
            self.retired.pop_front();
        }
    }
}

/// Sends one input message; false once `-c` is reached.
async fn send_one(
    args: &Args,
    sender: &mut Sender,
    key_delim: &Option<Vec<u8>>,
    msg: Bytes,
    tee: &mut std::io::StdoutLock<'_>,
    progress: &mut Progress,
) -> bool {
    use std::io::Write;
    if msg.is_empty() {
        return true;
    }
    progress.add(msg.len());
    // `-T` writes the line out after it is sent; otherwise the line's
    // bytes move into the record without another reference taken.
    let teed = args.tee.then(|| msg.clone());
    if args.json {
        let record = match json_record(&sender.topic, &msg) {
            Ok(r) => r,
            Err(e) => fatal(&format!("-J input: {e}: {}", String::from_utf8_lossy(&msg))),
        };
        sender.send(record).await;
    } else {
        let split = key_delim
            .as_deref()
            .and_then(|kd| Some((find(&msg, kd)?, kd.len())));
        let (key, value) = match split {
            Some((at, len)) => {
                let k = msg.slice(..at);
                let v = msg.slice(at + len..);
                let null = args.null;
                (
                    (!(null && k.is_empty())).then_some(k),
                    (!(null && v.is_empty())).then_some(v),
                )
            }
            None => (None, Some(msg)),
        };
        sender.send_line(key, value).await;
    }
    if let Some(line) = teed {
        if tee.write_all(&line).is_err() {
            fatal("Tee write error");
        }
    }
    !(args.count >= 0 && sender.sent == args.count as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_delimiters() {
        assert_eq!(find(b"abc\ndef", b"\n"), Some(3));
        assert_eq!(find(b"k::v", b"::"), Some(1));
        assert_eq!(find(b"k:v", b"::"), None);
    }

    #[test]
    fn json_input_takes_kcats_envelope_and_objects() {
        let r = json_record(
            "t",
            br#"{"key":"k","payload":"v","headers":["a","1","b",null],"partition":2,"ts":7}"#,
        )
        .expect("valid");
        assert_eq!(r.key.as_deref(), Some(&b"k"[..]));
        assert_eq!(r.value.as_deref(), Some(&b"v"[..]));
        assert_eq!(r.partition, Some(2));
        assert_eq!(r.timestamp, Some(7));
        assert_eq!(r.headers[1], ("b".to_string(), None));
        let r =
            json_record("t", br#"{"value":"x","key":null,"headers":{"h":"y"}}"#).expect("valid");
        assert_eq!(r.key, None);
        assert_eq!(r.value.as_deref(), Some(&b"x"[..]));
        assert_eq!(r.headers, vec![("h".to_string(), Some(Bytes::from("y")))]);
        assert!(json_record("t", b"[1]").is_err());
        assert!(json_record("t", br#"{"headers":["a"]}"#).is_err());
        assert!(json_record("t", br#"{"partition":"x"}"#).is_err());
    }
}
