//! Record batches against batches Kafka's Java client wrote, round trips of
//! our own through every codec, and the refusals of hostile input.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use super::*;
use crate::primitives::DecodeError;

const T0: i64 = 1_700_000_000_000;

fn java(name: &str) -> Bytes {
    let bytes: &'static [u8] = match name {
        "none" => include_bytes!("../../tests/data/records/java-none.bin"),
        "gzip" => include_bytes!("../../tests/data/records/java-gzip.bin"),
        "snappy" => include_bytes!("../../tests/data/records/java-snappy.bin"),
        "lz4" => include_bytes!("../../tests/data/records/java-lz4.bin"),
        "zstd" => include_bytes!("../../tests/data/records/java-zstd.bin"),
        "transactional" => include_bytes!("../../tests/data/records/java-transactional.bin"),
        "control-commit" => include_bytes!("../../tests/data/records/java-control-commit.bin"),
        other => panic!("no vector {other}"),
    };
    Bytes::from_static(bytes)
}

/// A record as the Java vectors write it: timestamp, key, value, headers.
type JavaRecord = (
    i64,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<(&'static str, Option<&'static [u8]>)>,
);

/// The records RecordBatchVectors.java writes.
fn java_records() -> Vec<JavaRecord> {
    vec![
        (
            T0,
            Some(b"key-0".to_vec()),
            Some(b"value-0".to_vec()),
            vec![("h1", Some(&b"v1"[..]))],
        ),
        (T0 + 5, None, Some(b"value-1".to_vec()), vec![]),
        (
            T0 + 10,
            Some(b"key-2".to_vec()),
            None,
            vec![("n", None), ("x", Some(&b"y"[..]))],
        ),
        (
            T0 + 3,
            Some(b"key-3".to_vec()),
            Some(b"abcdefghij".repeat(30)),
            vec![],
        ),
    ]
}

fn one_batch(bytes: Bytes) -> RecordBatch {
    let batches = decode_batches(bytes, &DecodeOptions::default()).expect("decodes");
    assert_eq!(batches.partial_tail, 0);
    assert_eq!(batches.batches.len(), 1);
    batches.batches.into_iter().next().expect("one batch")
}

fn check_java_records(batch: &RecordBatch) {
    let want = java_records();
    assert_eq!(batch.len(), want.len());
    for (i, (r, (ts, key, value, headers))) in batch.records().zip(want).enumerate() {
        assert_eq!(r.offset, 100 + i as i64);
        assert_eq!(r.timestamp, ts);
        assert_eq!(r.key.as_deref(), key.as_deref());
        assert_eq!(r.value.as_deref(), value.as_deref());
        let got: Vec<(&str, Option<&[u8]>)> = r
            .headers
            .iter()
            .map(|h| (h.key.as_str(), h.value.as_deref()))
            .collect();
        assert_eq!(got, headers);
    }
}

#[test]
fn decodes_java_batches_with_every_codec() {
    for (name, codec) in [
        ("none", Compression::None),
        ("gzip", Compression::Gzip),
        ("snappy", Compression::Snappy),
        ("lz4", Compression::Lz4),
        ("zstd", Compression::Zstd),
    ] {
        let batch = one_batch(java(name));
        assert_eq!(batch.compression, codec, "{name}");
        assert_eq!(
            (
                batch.base_offset,
                batch.partition_leader_epoch,
                batch.producer_id,
                batch.producer_epoch,
                batch.base_sequence
            ),
            (100, 5, 4242, 3, 17),
            "{name}"
        );
        assert_eq!(
            (
                batch.base_timestamp,
                batch.max_timestamp,
                batch.last_offset_delta
            ),
            (T0, T0 + 10, 3)
        );
        assert!(!batch.is_transactional && !batch.is_control);
        assert_eq!(batch.next_offset(), 104);
        check_java_records(&batch);
    }
    let tx = one_batch(java("transactional"));
    assert!(tx.is_transactional && !tx.is_control);
    check_java_records(&tx);
}

#[test]
fn decodes_javas_commit_marker() {
    let batch = one_batch(java("control-commit"));
    assert!(batch.is_control && batch.is_transactional);
    assert_eq!((batch.base_offset, batch.producer_id), (200, 4242));
    let r = &batch.record(0).expect("one record");
    let marker = ControlRecord::parse(r.key.as_ref(), r.value.as_ref()).expect("control record");
    assert_eq!(marker.kind, ControlRecordType::Commit);
    assert_eq!(marker.coordinator_epoch, Some(9));
}

fn write_java_records(options: BatchOptions) -> Bytes {
    let mut w = RecordBatchWriter::new(options);
    for (ts, key, value, headers) in java_records() {
        w.append(ts, key.as_deref(), value.as_deref(), &headers);
    }
    w.finish().expect("encodes")
}

fn java_options() -> BatchOptions {
    BatchOptions {
        base_offset: 100,
        partition_leader_epoch: 5,
        producer_id: 4242,
        producer_epoch: 3,
        base_sequence: 17,
        ..Default::default()
    }
}

#[test]
fn writes_the_same_bytes_as_the_java_client() {
    assert_eq!(write_java_records(java_options()), java("none"));
    let tx = BatchOptions {
        is_transactional: true,
        ..java_options()
    };
    assert_eq!(write_java_records(tx), java("transactional"));
}

#[test]
fn compressed_batches_of_ours_decode_to_the_same_records() {
    for codec in [
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let bytes = write_java_records(BatchOptions {
            compression: codec,
            ..java_options()
        });
        let batch = one_batch(bytes);
        assert_eq!(batch.compression, codec);
        check_java_records(&batch);
    }
}

#[test]
fn uncompressed_keys_and_values_are_slices_of_the_input() {
    let input = java("none");
    let batch = one_batch(input.clone());
    let range = input.as_ptr() as usize..input.as_ptr() as usize + input.len();
    for r in batch.records() {
        for b in [&r.key, &r.value].into_iter().flatten() {
            assert!(range.contains(&(b.as_ptr() as usize)), "copied, not sliced");
        }
    }
}

#[test]
fn a_partial_last_batch_is_not_an_error() {
    let mut two = BytesMut::new();
    two.extend_from_slice(&java("none"));
    two.extend_from_slice(&java("gzip")[..40]);
    let batches = decode_batches(two.freeze(), &DecodeOptions::default()).expect("decodes");
    assert_eq!(batches.batches.len(), 1);
    assert_eq!(batches.partial_tail, 40);
}

#[test]
fn rejects_a_bad_crc() {
    let mut b = BytesMut::from(&java("none")[..]);
    let last = b.len() - 1;
    b[last] ^= 0xff;
    let err = RecordBatch::decode(&mut b.freeze(), &DecodeOptions::default()).unwrap_err();
    assert!(matches!(err, DecodeError::CrcMismatch { .. }), "{err}");
}

#[test]
fn rejects_truncated_batches_and_bad_magic() {
    let full = java("none");
    for cut in [0, 11, 12, 60, full.len() - 1] {
        let err =
            RecordBatch::decode(&mut full.slice(..cut), &DecodeOptions::default()).unwrap_err();
        assert!(
            matches!(err, DecodeError::Truncated { .. }),
            "cut {cut}: {err}"
        );
    }
    let mut b = BytesMut::from(&full[..]);
    b[16] = 1;
    let err = RecordBatch::decode(&mut b.freeze(), &DecodeOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::Invalid {
                what: "RecordBatch.magic",
                ..
            }
        ),
        "{err}"
    );
}

/// Rewrites a batch's fields after the header and fixes its CRC, so that
/// only the field under test is wrong.
fn patched(mut bytes: BytesMut, at: usize, value: &[u8]) -> Bytes {
    bytes[at..at + value.len()].copy_from_slice(value);
    let crc = crc32c::crc32c(&bytes[21..]);
    bytes[17..21].copy_from_slice(&crc.to_be_bytes());
    bytes.freeze()
}

#[test]
fn rejects_record_counts_the_bytes_cannot_hold() {
    let b = patched(
        BytesMut::from(&java("none")[..]),
        57,
        &i32::MAX.to_be_bytes(),
    );
    let err = RecordBatch::decode(&mut b.clone(), &DecodeOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::InvalidLength {
                what: "RecordBatch.records_count",
                ..
            }
        ),
        "{err}"
    );
    let b = patched(
        BytesMut::from(&java("none")[..]),
        57,
        &(-1i32).to_be_bytes(),
    );
    assert!(RecordBatch::decode(&mut b.clone(), &DecodeOptions::default()).is_err());
}

#[test]
fn rejects_negative_record_lengths() {
    // The first record's length varint: 0x01 is zigzag -1.
    let b = patched(BytesMut::from(&java("none")[..]), 61, &[0x01]);
    let err = RecordBatch::decode(&mut b.clone(), &DecodeOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::InvalidLength {
                what: "Record.length",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn rejects_decompression_bombs_of_every_codec() {
    let zeros = vec![0u8; 4 << 20];
    for codec in [
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let mut w = RecordBatchWriter::new(BatchOptions {
            compression: codec,
            ..Default::default()
        });
        w.append(T0, None, Some(&zeros), &[]);
        let bytes = w.finish().expect("encodes");
        assert!(bytes.len() < zeros.len() / 20, "{codec:?} compresses zeros");
        let small = DecodeOptions {
            max_decompressed: 1 << 20,
            ..Default::default()
        };
        let err = RecordBatch::decode(&mut bytes.clone(), &small).unwrap_err();
        assert!(
            matches!(err, DecodeError::DecompressedTooLarge { .. }),
            "{codec:?}: {err}"
        );
        // Within the default cap it decodes.
        let batch = one_batch(bytes);
        assert_eq!(
            batch.record(0).and_then(|r| r.value).map(|v| v.len()),
            Some(zeros.len())
        );
    }
}

#[test]
fn reads_raw_snappy_as_well_as_xerial_frames() {
    let data = b"hello hello hello hello snappy".repeat(20);
    let raw = snap::raw::Encoder::new()
        .compress_vec(&data)
        .expect("compresses");
    assert_eq!(
        decompress(Compression::Snappy, &raw, 1 << 20).expect("raw"),
        data
    );
    let framed = compress(Compression::Snappy, &data).expect("compresses");
    assert!(framed.starts_with(b"\x82SNAPPY\0"));
    assert_eq!(
        decompress(Compression::Snappy, &framed, 1 << 20).expect("xerial"),
        data
    );
    let claimed_huge = [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00];
    assert!(decompress(Compression::Snappy, &claimed_huge, 1 << 20).is_err());
}

type Rec = (
    i64,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<(String, Option<Vec<u8>>)>,
);

fn record_strategy() -> impl Strategy<Value = Rec> {
    (
        0i64..1_000_000,
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200)),
        proptest::collection::vec(
            (
                "[a-z]{0,8}",
                proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16)),
            ),
            0..3,
        ),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_records_roundtrip_with_any_codec(
        records in proptest::collection::vec(record_strategy(), 1..20),
        codec in prop_oneof![
            Just(Compression::None), Just(Compression::Gzip), Just(Compression::Snappy),
            Just(Compression::Lz4), Just(Compression::Zstd)
        ],
        base_offset in 0i64..1_000_000,
    ) {
        let mut w = RecordBatchWriter::new(BatchOptions { compression: codec, base_offset, ..Default::default() });
        for (ts, key, value, headers) in &records {
            let hs: Vec<(&str, Option<&[u8]>)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_deref())).collect();
            let before = w.size();
            let predicted = w.record_size(T0 + ts, key.as_deref(), value.as_deref(), &hs);
            w.append(T0 + ts, key.as_deref(), value.as_deref(), &hs);
            prop_assert_eq!(w.size() - before, predicted);
        }
        let batch = one_batch(w.finish().expect("encodes"));
        prop_assert_eq!(batch.len(), records.len());
        prop_assert_eq!(batch.max_timestamp, records.iter().map(|r| T0 + r.0).max().unwrap_or(-1));
        for (i, (r, (ts, key, value, headers))) in batch.records().zip(&records).enumerate() {
            prop_assert_eq!(r.offset, base_offset + i as i64);
            prop_assert_eq!(r.timestamp, T0 + ts);
            prop_assert_eq!(r.key.as_deref(), key.as_deref());
            prop_assert_eq!(r.value.as_deref(), value.as_deref());
            let got: Vec<(String, Option<Vec<u8>>)> = r.headers.iter().map(|h| (h.key.clone(), h.value.as_ref().map(|v| v.to_vec()))).collect();
            prop_assert_eq!(&got, headers);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_batches(Bytes::from(data), &DecodeOptions { max_decompressed: 1 << 16, check_crc: false });
    }
}
