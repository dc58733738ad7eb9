//! Fetch responses built byte by byte with the protocol crate's batch
//! writer: offset skipping, control records, aborted transactions.

use super::*;
use bytes::{Bytes, BytesMut};
use ferrokafka_protocol::messages::fetch::AbortedTransaction;
use ferrokafka_protocol::records::{BatchOptions, Compression, RecordBatchWriter};
use ferrokafka_protocol::DecodeError;

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

/// Every message of `r`, failing on an error.
fn messages(r: &mut PartitionRead) -> Vec<Message> {
    let mut out = Vec::new();
    while let Some(m) = r.records.next() {
        out.push(m.expect("no error"));
    }
    out
}

fn values(r: &mut PartitionRead) -> Vec<(i64, String)> {
    messages(r)
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
}

#[test]
fn skips_records_below_the_fetch_offset_inside_a_batch() {
    let d = data(&[batch(10, &["a", "b", "c"], -1, false)], 13, None);
    let r = read(&d, 11, false);
    assert_eq!(
        values(&mut read(&d, 11, false)),
        [(11, "b".into()), (12, "c".into())]
    );
    assert_eq!(r.next_offset, 13);
    assert_eq!(r.end_offset, 13);
    let m = &messages(&mut read(&d, 11, false))[0];
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
    let mut r = read(&d, 2, false);
    assert_eq!(values(&mut r), [(2, "c".into())]);
}

#[test]
fn control_records_are_skipped_but_advance_the_offset() {
    let d = data(
        &[batch(0, &["a", "b"], 7, true), marker(2, 7, true)],
        3,
        Some(vec![]),
    );
    for committed in [false, true] {
        let mut r = read(&d, 0, committed);
        assert_eq!(values(&mut r), [(0, "a".into()), (1, "b".into())]);
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
    let mut r = read(&d, 0, true);
    assert_eq!(
        values(&mut r),
        [(3, "c3".into()), (4, "p4".into()), (6, "c6".into())]
    );
    assert_eq!(r.next_offset, 8);
    let mut all = read(&d, 0, false);
    assert_eq!(
        messages(&mut all).len(),
        5,
        "read_uncommitted sees aborted records"
    );
}

#[test]
fn an_empty_partition_at_its_end_reads_nothing() {
    let d = data(&[], 42, None);
    let r = read(&d, 42, false);
    assert!(r.records.is_empty());
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
    let mut r = read(&d, 0, false);
    assert_eq!(values(&mut r), [(0, "a".into())]);
    assert_eq!(r.next_offset, 1);
}

/// The error that ends `r`'s records, after its messages.
fn error_after(r: &mut PartitionRead) -> (Vec<i64>, ConsumerError) {
    let mut offsets = Vec::new();
    loop {
        match r.records.next() {
            Some(Ok(m)) => offsets.push(m.offset()),
            Some(Err(e)) => {
                assert!(r.records.next().is_none(), "nothing after the error");
                return (offsets, e);
            }
            None => panic!("no error after {offsets:?}"),
        }
    }
}

#[test]
fn a_corrupt_batch_ends_the_data_with_an_error_naming_its_offset() {
    let good = batch(0, &["a", "b"], -1, false);
    let mut bad = BytesMut::from(&batch(2, &["c"], -1, false)[..]);
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    let after = batch(3, &["d"], -1, false);
    let d = data(&[good, bad.freeze(), after], 4, None);
    let mut r = read(&d, 0, false);
    // The engine stops fetching at the bad batch.
    assert_eq!((r.halt_at, r.next_offset), (Some(2), 2));
    let (delivered, err) = error_after(&mut r);
    assert_eq!(delivered, [0, 1]);
    match &err {
        ConsumerError::CorruptBatch {
            topic,
            partition,
            offset,
            next_offset,
            source,
        } => {
            assert_eq!((topic.as_str(), *partition, *offset), ("t", 3, 2));
            assert_eq!(*next_offset, Some(3), "seek to 3 skips it");
            assert!(
                matches!(source, DecodeError::CrcMismatch { .. }),
                "{source}"
            );
        }
        other => panic!("{other}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("t [3] offset 2") && text.contains("seek to 3"),
        "{text}"
    );
}

#[test]
fn a_header_key_that_is_not_utf8_reaches_the_application() {
    let mut w = RecordBatchWriter::new(BatchOptions::default());
    w.append(1_000, Some(b"k"), Some(b"a"), &[("h", Some(b"x"))]);
    let mut raw = BytesMut::from(&w.finish().expect("encodes")[..]);
    // The record ends with its header "h": make the key the byte 0xff.
    let at = raw.len() - 4;
    assert_eq!(
        &raw[at..at + 2],
        b"\x02h",
        "the header key's length and byte"
    );
    raw[at + 1] = 0xff;
    let crc = crc32c::crc32c(&raw[21..]);
    raw[17..21].copy_from_slice(&crc.to_be_bytes());
    let d = data(&[raw.freeze()], 1, None);
    let mut r = read(&d, 0, false);
    let m = messages(&mut r);
    assert_eq!(m.len(), 1, "the record is delivered");
    let h = &m[0].headers()[0];
    assert_eq!((h.key.as_str(), h.key_bytes()), ("\u{FFFD}", &b"\xff"[..]));
}

/// The zstd bomb: a batch of one record whose value is `blocks`
/// RLE blocks of 128 KiB of zeros, the record's head in a raw block
/// before them: a couple of kilobytes that decompress to `blocks` x 128 KiB.
fn zstd_bomb(base_offset: i64, blocks: usize) -> Bytes {
    const BLOCK: usize = 128 * 1024;
    let value_len = blocks * BLOCK - 1; // the last zero is the header count
    let mut head = vec![0u8]; // attributes
    head.extend_from_slice(&[0, 0, 1]); // timestamp delta, offset delta, key -1
    let mut v = (value_len as u64) << 1; // zigzag of a positive varint
    let mut value_varint = Vec::new();
    while v >= 0x80 {
        value_varint.push((v as u8) | 0x80);
        v >>= 7;
    }
    value_varint.push(v as u8);
    head.extend_from_slice(&value_varint);
    let record_len = head.len() + value_len + 1;
    let mut l = (record_len as u64) << 1;
    let mut section = Vec::new();
    while l >= 0x80 {
        section.push((l as u8) | 0x80);
        l >>= 7;
    }
    section.push(l as u8);
    section.extend_from_slice(&head);
    // The zstd frame: magic, descriptor (no checksum, no content size),
    // window 128 KiB, a raw block of the record's head, then RLE blocks
    // (the head's bytes are taken out of the first one).
    let mut z = 0xFD2F_B528u32.to_le_bytes().to_vec();
    z.extend_from_slice(&[0x00, 0x38]);
    let raw_len = section.len();
    z.extend_from_slice(&((raw_len as u32) << 3).to_le_bytes()[..3]);
    z.extend_from_slice(&section);
    // The value's zeros and the header count's zero.
    let mut remaining = value_len + 1;
    while remaining > 0 {
        let n = remaining.min(BLOCK);
        remaining -= n;
        let last = u32::from(remaining == 0);
        let header = last | (1 << 1) | ((n as u32) << 3);
        z.extend_from_slice(&header.to_le_bytes()[..3]);
        z.push(0);
    }
    let mut w = RecordBatchWriter::new(BatchOptions {
        base_offset,
        ..Default::default()
    });
    w.append(1_000, None, Some(b"x"), &[]);
    let plain = w.finish().expect("encodes");
    // Keep the plain batch's header, swap in the zstd section.
    let mut out = BytesMut::from(&plain[..RECORDS_START]);
    out.extend_from_slice(&z);
    let len = (out.len() - 12) as i32;
    out[8..12].copy_from_slice(&len.to_be_bytes());
    out[21..23].copy_from_slice(&4i16.to_be_bytes()); // attributes: zstd
    let crc = crc32c::crc32c(&out[21..]);
    out[17..21].copy_from_slice(&crc.to_be_bytes());
    out.freeze()
}

/// Where a batch's records section starts.
const RECORDS_START: usize = 61;

#[test]
fn a_fetch_of_zstd_bombs_is_decompressed_one_batch_at_a_time() {
    // Four bombs of 16 MiB each: before, all four were decompressed when
    // the fetch was read (the four 64 MiB bombs held 255 MiB).
    let bombs: Vec<Bytes> = (0..4).map(|i| zstd_bomb(i, 128)).collect();
    assert!(bombs.iter().all(|b| b.len() < 1000), "small on the wire");
    let d = data(&bombs, 4, None);
    let mut r = read(&d, 0, false);
    assert_eq!(r.records.held(), 0, "nothing is decompressed by the fetch");
    let mut seen = Vec::new();
    let mut most = 0;
    while let Some(m) = r.records.next() {
        let m = m.expect("each bomb is within the default cap");
        most = most.max(r.records.held());
        seen.push((m.offset(), m.value().map_or(0, <[u8]>::len)));
        drop(m);
    }
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|&(_, len)| len == 16 * 1024 * 1024 - 1));
    assert!(
        most <= 16 * 1024 * 1024 + 64,
        "one batch held at a time: {most}"
    );
}

#[test]
fn a_batch_past_the_decompression_cap_is_an_error_naming_its_offset() {
    let small = DecodeOptions {
        max_decompressed: 4 << 20,
        ..Default::default()
    };
    let good = batch(0, &["a"], -1, false);
    let d = data(&[good, zstd_bomb(1, 64)], 2, None);
    let mut r = read_partition(&Arc::from("t"), 0, &d, false, &small);
    assert_eq!(r.halt_at, None, "the header is fine: found when consumed");
    let (delivered, err) = error_after(&mut r);
    assert_eq!(delivered, [0]);
    match err {
        ConsumerError::CorruptBatch {
            offset: 1,
            next_offset: Some(2),
            source: DecodeError::DecompressedTooLarge { limit, .. },
            ..
        } => assert_eq!(limit, 4 << 20),
        other => panic!("{other}"),
    }
}

#[test]
fn old_format_data_is_an_error_naming_the_format() {
    // A v1 message: offset 0, size, crc, magic 1, attributes, timestamp,
    // null key, value "abc".
    let mut m = vec![0u8; 8];
    m.extend_from_slice(&25i32.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0, 1, 0]);
    m.extend_from_slice(&[0u8; 8]);
    m.extend_from_slice(&(-1i32).to_be_bytes());
    m.extend_from_slice(&3i32.to_be_bytes());
    m.extend_from_slice(b"abc");
    let d = data(&[Bytes::from(m)], 1, None);
    let mut r = read(&d, 0, false);
    assert_eq!(r.halt_at, Some(0));
    let (delivered, err) = error_after(&mut r);
    assert!(delivered.is_empty());
    assert!(
        err.to_string()
            .contains("message format v1 is not supported"),
        "{err}"
    );
}
