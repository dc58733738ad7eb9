//! One partition of a Fetch response turned into messages: records below
//! the fetch offset skipped (a fetch starts at the batch holding the
//! offset), control records skipped, and under read_committed the records
//! of aborted transactions left out using the response's list of aborted
//! transactions (the Java consumer's algorithm).

use std::collections::HashSet;
use std::sync::Arc;

use ferrokafka_protocol::messages::fetch::PartitionData;
use ferrokafka_protocol::records::{
    decode_batches, ControlRecord, ControlRecordType, DecodeOptions,
};
use ferrokafka_protocol::DecodeError;

use crate::consumer::Message;

/// What one partition's data in a Fetch response yielded.
#[derive(Debug, Default)]
pub(crate) struct PartitionRead {
    /// The records at or after the fetch offset, in offset order.
    pub(crate) messages: Vec<Message>,
    /// Where the next fetch starts (past control and aborted batches too).
    pub(crate) next_offset: i64,
    /// The partition's end as the consumer sees it: the last stable offset
    /// under read_committed, else the high watermark.
    pub(crate) end_offset: i64,
    /// The memory the messages hold, for the prefetch bound.
    pub(crate) bytes: usize,
}

/// Reads `data` (error code already checked to be 0), fetched from
/// `fetch_offset`.
pub(crate) fn read_partition(
    topic: &Arc<str>,
    fetch_offset: i64,
    data: &PartitionData,
    read_committed: bool,
    options: &DecodeOptions,
) -> Result<PartitionRead, DecodeError> {
    let records = data.records.clone().unwrap_or_default();
    let batches = decode_batches(records, options)?;
    let end_offset = if read_committed && data.last_stable_offset >= 0 {
        data.last_stable_offset
    } else {
        data.high_watermark
    };
    let mut aborted: Vec<(i64, i64)> = if read_committed {
        data.aborted_transactions
            .iter()
            .flatten()
            .map(|a| (a.first_offset, a.producer_id))
            .collect()
    } else {
        Vec::new()
    };
    // Popped from the back in first-offset order.
    aborted.sort_unstable_by(|a, b| b.cmp(a));
    let mut aborting: HashSet<i64> = HashSet::new();
    let mut out = PartitionRead {
        messages: Vec::with_capacity(batches.batches.iter().map(|b| b.len()).sum()),
        next_offset: fetch_offset,
        end_offset,
        bytes: 0,
    };
    for batch in &batches.batches {
        let last_offset = batch.next_offset() - 1;
        // A transaction is aborted from its first offset until its abort
        // marker; every batch it wrote in between is left out.
        while let Some(&(first, pid)) = aborted.last() {
            if first > last_offset {
                break;
            }
            aborting.insert(pid);
            aborted.pop();
        }
        if batch.next_offset() <= fetch_offset {
            continue;
        }
        out.next_offset = out.next_offset.max(batch.next_offset());
        if batch.is_control {
            if read_committed {
                if let Some(r) = batch.records().next() {
                    if let Ok(c) = ControlRecord::parse(r.key.as_ref(), r.value.as_ref()) {
                        if c.kind == ControlRecordType::Abort {
                            aborting.remove(&batch.producer_id);
                        }
                    }
                }
            }
            continue;
        }
        if read_committed && batch.is_transactional && aborting.contains(&batch.producer_id) {
            continue;
        }
        for r in batch.records() {
            if r.offset < fetch_offset {
                continue;
            }
            let m = Message {
                topic: topic.clone(),
                partition: data.partition_index,
                offset: r.offset,
                timestamp: r.timestamp,
                timestamp_type: batch.timestamp_type,
                leader_epoch: batch.partition_leader_epoch,
                key: r.key,
                value: r.value,
                headers: r.headers,
            };
            out.bytes += m.size();
            out.messages.push(m);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
