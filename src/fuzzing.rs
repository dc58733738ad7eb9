//! Entry points for the fuzz targets (feature `fuzzing`, off by default):
//! the consumer's internal paths, reachable from `fuzz/` without making
//! them public API.

use std::sync::Arc;

use bytes::Bytes;
use ferrokafka_protocol::messages::FetchResponse;
use ferrokafka_protocol::records::DecodeOptions;

use crate::consumer::fetch::read_partition;

/// What the fetch path handed out.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FetchPathOutcome {
    /// Messages handed out.
    pub messages: usize,
    /// Errors handed out (at most one per partition).
    pub errors: usize,
}

/// The consumer's whole fetch path on one Fetch response body at
/// `version`: decoded as the client decodes it, each partition read as the
/// fetcher reads it (from `fetch_offset`), and every message handed out as
/// `poll` hands them out, one batch decompressed at a time under
/// `max_decompressed`. Each message is dropped before the next, as an
/// application that processes and forgets would.
pub fn fetch_path(
    body: Bytes,
    version: i16,
    fetch_offset: i64,
    read_committed: bool,
    max_decompressed: usize,
) -> FetchPathOutcome {
    let mut out = FetchPathOutcome::default();
    let Ok(response) = ferrokafka_protocol::decode_body::<FetchResponse>(body, version) else {
        return out;
    };
    let options = DecodeOptions {
        max_decompressed,
        check_crc: true,
    };
    for topic in &response.responses {
        let name: Arc<str> = Arc::from(topic.topic.as_str());
        for p in topic.partitions.iter().filter(|p| p.error_code == 0) {
            let mut read = read_partition(&name, fetch_offset, p, read_committed, &options);
            while let Some(item) = read.records.next() {
                match item {
                    Ok(m) => {
                        out.messages += 1;
                        drop(m);
                    }
                    Err(_) => out.errors += 1,
                }
            }
        }
    }
    out
}
