//! Fetch responses built byte by byte with the protocol crate's batch
//! writer: offset skipping, control records, aborted transactions.

use super::*;
use bytes::{Bytes, BytesMut};
use ferrokafka_protocol::messages::fetch::AbortedTransaction;
use ferrokafka_protocol::records::{BatchOptions, Compression, RecordBatchWriter};

fn batch(base: i64, values: &[&str], pid: i64, transactional: bool) -> Bytes {
    let mut w = RecordBatchWriter::new(BatchOptions {
        base_offset: base,
        producer_id: pid,
        is_transactional: transactional,
        compression: Compression::Lz4,
        ..Default::default()
    });
    for v in values {
        w.append(1_000, Some(b"k"), Some(v.as_bytes()), &[("h", Some(b"x"))]);
    }
    w.finish().expect("batch encodes")
}

/// A control batch: one marker record, key (version 0, type), value
/// (version 0, coordinator epoch 0).
fn marker(offset: i64, pid: i64, commit: bool) -> Bytes {
    let mut w = RecordBatchWriter::new(BatchOptions {
        base_offset: offset,
        producer_id: pid,
        is_transactional: true,
        is_control: true,
        ..Default::default()
    });
    let key = [0, 0, 0, u8::from(commit)];
    w.append(1_000, Some(&key), Some(&[0, 0, 0, 0, 0, 0]), &[]);
    w.finish().expect("marker encodes")
}

fn data(batches: &[Bytes], hw: i64, aborted: Option<Vec<(i64, i64)>>) -> PartitionData {
    let mut records = BytesMut::new();
    for b in batches {
        records.extend_from_slice(b);
    }
    PartitionData {
        partition_index: 3,
        high_watermark: hw,
        last_stable_offset: hw,
        aborted_transactions: aborted.map(|a| {
            a.into_iter()
                .map(|(producer_id, first_offset)| AbortedTransaction {
                    producer_id,
                    first_offset,
                    ..Default::default()
                })
                .collect()
        }),
        records: Some(records.freeze()),
        ..Default::default()
    }
}

fn values(r: &PartitionRead) -> Vec<(i64, String)> {
    r.messages
        .iter()
        .map(|m| {
            (
                m.offset(),
                String::from_utf8_lossy(m.value().unwrap_or_default()).into_owned(),
            )
        })
        .collect()
}

fn read(d: &PartitionData, from: i64, committed: bool) -> PartitionRead {
    read_partition(
        &Arc::from("t"),
        from,
        d,
        committed,
        &DecodeOptions::default(),
    )
    .expect("reads")
}

#[test]
fn skips_records_below_the_fetch_offset_inside_a_batch() {
    let d = data(&[batch(10, &["a", "b", "c"], -1, false)], 13, None);
    let r = read(&d, 11, false);
    assert_eq!(values(&r), [(11, "b".into()), (12, "c".into())]);
    assert_eq!(r.next_offset, 13);
    assert_eq!(r.end_offset, 13);
    let m = &r.messages[0];
    assert_eq!(
        (m.topic(), m.partition(), m.key()),
        ("t", 3, Some(&b"k"[..]))
    );
    assert_eq!(m.header("h"), Some(&b"x"[..]));
}

#[test]
fn skips_whole_batches_below_the_fetch_offset() {
    let d = data(
        &[
            batch(0, &["a", "b"], -1, false),
            batch(2, &["c"], -1, false),
        ],
        3,
        None,
    );
    let r = read(&d, 2, false);
    assert_eq!(values(&r), [(2, "c".into())]);
}

#[test]
fn control_records_are_skipped_but_advance_the_offset() {
    let d = data(
        &[batch(0, &["a", "b"], 7, true), marker(2, 7, true)],
        3,
        Some(vec![]),
    );
    for committed in [false, true] {
        let r = read(&d, 0, committed);
        assert_eq!(values(&r), [(0, "a".into()), (1, "b".into())]);
        assert_eq!(r.next_offset, 3);
    }
}

#[test]
fn read_committed_leaves_out_aborted_transactions() {
    // pid 7 aborts offsets 0-1 (marker at 2); pid 8 commits 3 (marker 5);
    // pid 7 writes again at 6 and commits (marker 7); pid 9 is plain.
    let d = data(
        &[
            batch(0, &["a0", "a1"], 7, true),
            marker(2, 7, false),
            batch(3, &["c3"], 8, true),
            batch(4, &["p4"], 9, false),
            marker(5, 8, true),
            batch(6, &["c6"], 7, true),
            marker(7, 7, true),
        ],
        8,
        Some(vec![(7, 0)]),
    );
    let r = read(&d, 0, true);
    assert_eq!(
        values(&r),
        [(3, "c3".into()), (4, "p4".into()), (6, "c6".into())]
    );
    assert_eq!(r.next_offset, 8);
    let all = read(&d, 0, false);
    assert_eq!(
        all.messages.len(),
        5,
        "read_uncommitted sees aborted records"
    );
}

#[test]
fn an_empty_partition_at_its_end_reads_nothing() {
    let d = data(&[], 42, None);
    let r = read(&d, 42, false);
    assert!(r.messages.is_empty());
    assert_eq!((r.next_offset, r.end_offset), (42, 42));
}

#[test]
fn read_committed_ends_at_the_last_stable_offset() {
    let mut d = data(&[batch(0, &["a"], 7, true)], 5, Some(vec![]));
    d.last_stable_offset = 0;
    assert_eq!(read(&d, 0, true).end_offset, 0);
    assert_eq!(read(&d, 0, false).end_offset, 5);
}

#[test]
fn a_partial_last_batch_is_left_for_the_next_fetch() {
    let whole = batch(0, &["a"], -1, false);
    let next = batch(1, &["b"], -1, false);
    let cut = next.slice(..next.len() - 3);
    let d = data(&[whole, cut], 2, None);
    let r = read(&d, 0, false);
    assert_eq!(values(&r), [(0, "a".into())]);
    assert_eq!(r.next_offset, 1);
}

#[test]
fn rejects_a_corrupt_batch() {
    let mut b = BytesMut::from(&batch(0, &["a"], -1, false)[..]);
    let last = b.len() - 1;
    b[last] ^= 0xff;
    let d = data(&[b.freeze()], 1, None);
    assert!(read_partition(&Arc::from("t"), 0, &d, false, &DecodeOptions::default()).is_err());
}
