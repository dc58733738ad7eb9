//! Hostile or surprising bytes from a broker (issue 9, items 7 and 12-14):
//! each test here failed on the decoder before its fix.

use std::io::Write;

use bytes::{Bytes, BytesMut};

use super::*;
use crate::primitives::DecodeError;

const T0: i64 = 1_700_000_000_000;

/// A record's value and headers.
type Rec<'a> = (&'a [u8], &'a [(&'a str, Option<&'a [u8]>)]);

fn batch_with(codec: Compression, records: &[Rec<'_>]) -> BytesMut {
    let mut w = RecordBatchWriter::new(BatchOptions {
        compression: codec,
        ..Default::default()
    });
    for (value, headers) in records {
        w.append(T0, None, Some(value), headers);
    }
    BytesMut::from(&w.finish().expect("encodes")[..])
}

fn fix_crc(mut bytes: BytesMut) -> Bytes {
    let crc = crc32c::crc32c(&bytes[21..]);
    bytes[17..21].copy_from_slice(&crc.to_be_bytes());
    bytes.freeze()
}

#[test]
fn a_header_key_that_is_not_utf8_is_read_leniently() {
    let mut bytes = batch_with(
        Compression::None,
        &[
            (b"v0", &[("k\x01", Some(&b"hv"[..]))]),
            (b"v1", &[("ok", None)]),
        ],
    );
    let at = bytes
        .windows(2)
        .position(|w| w == b"k\x01")
        .expect("the key is in the batch");
    bytes[at + 1] = 0xff;
    let batch = RecordBatch::decode(&mut fix_crc(bytes), &DecodeOptions::default())
        .expect("one odd header key does not fail the batch");
    let records: Vec<Record> = batch.records().collect();
    assert_eq!(records.len(), 2);
    let h = &records[0].headers[0];
    assert_eq!(h.key, "k\u{FFFD}");
    assert_eq!(h.key_bytes(), b"k\xff");
    assert_eq!(h.raw_key.as_deref(), Some(&b"k\xff"[..]));
    assert_eq!(h.value.as_deref(), Some(&b"hv"[..]));
    let ok = &records[1].headers[0];
    assert_eq!((ok.key.as_str(), ok.raw_key.as_ref()), ("ok", None));
    assert_eq!(ok.key_bytes(), b"ok");
}

#[test]
fn a_base_offset_whose_batch_passes_i64_max_is_refused() {
    let mut bytes = batch_with(Compression::None, &[(b"a", &[]), (b"b", &[])]);
    // The base offset is outside the CRC.
    bytes[..8].copy_from_slice(&(i64::MAX - 1).to_be_bytes());
    let err = RecordBatch::decode(&mut bytes.clone().freeze(), &DecodeOptions::default())
        .expect_err("the batch's last offset would be past i64::MAX");
    assert!(
        matches!(
            err,
            DecodeError::Invalid {
                what: "RecordBatch.base_offset",
                ..
            }
        ),
        "{err}"
    );
    // The largest base offset that still fits decodes.
    bytes[..8].copy_from_slice(&(i64::MAX - 2).to_be_bytes());
    let batch =
        RecordBatch::decode(&mut bytes.freeze(), &DecodeOptions::default()).expect("fits exactly");
    assert_eq!(batch.next_offset(), i64::MAX);
}

/// Found by the fuzz campaign of 2026-12-02 (`record_batch`): a record
/// whose offset delta is negative or past the batch's last offset delta
/// was handed out with an offset outside its batch (-7224 in a batch at
/// 0), which the writer could not even write back.
#[test]
fn a_record_offset_delta_outside_its_batch_is_refused() {
    for (zigzag, delta) in [(0x01u8, -1), (0x02, 1)] {
        let mut bytes = batch_with(Compression::None, &[(b"a", &[])]);
        // The batch header is 61 bytes; the record's length, attributes
        // and timestamp delta take one byte each, then its offset delta.
        assert_eq!(bytes[64], 0, "the only record's offset delta is 0");
        bytes[64] = zigzag;
        let err = RecordBatch::decode(&mut fix_crc(bytes), &DecodeOptions::default())
            .expect_err("the record's offset is outside its batch");
        assert!(
            matches!(
                err,
                DecodeError::Invalid {
                    what: "Record.offset_delta",
                    ..
                }
            ),
            "delta {delta}: {err}"
        );
    }
}

/// A v1 message (magic 1): offset, size, crc, magic, attributes,
/// timestamp, key, value.
fn v1_message() -> Bytes {
    let mut body = vec![1u8, 0];
    body.extend_from_slice(&T0.to_be_bytes());
    body.extend_from_slice(&(-1i32).to_be_bytes());
    body.extend_from_slice(&3i32.to_be_bytes());
    body.extend_from_slice(b"abc");
    let mut m = Vec::new();
    m.extend_from_slice(&7i64.to_be_bytes());
    m.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    m.extend_from_slice(&0u32.to_be_bytes());
    m.extend_from_slice(&body);
    Bytes::from(m)
}

#[test]
fn old_message_formats_are_named_as_unsupported() {
    for magic in [0u8, 1] {
        let mut m = v1_message().to_vec();
        m[16] = magic;
        let err = decode_batches(Bytes::from(m), &DecodeOptions::default())
            .expect_err("v0/v1 data is not read");
        let text = err.to_string();
        assert!(
            text.contains(&format!("message format v{magic} is not supported")),
            "{text}"
        );
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("writes");
    e.finish().expect("finishes")
}

fn lz4_frame(data: &[u8], linked: bool, size: lz4_flex::frame::BlockSize) -> Vec<u8> {
    let mut info = lz4_flex::frame::FrameInfo::new();
    info.block_size = size;
    info.block_mode = if linked {
        lz4_flex::frame::BlockMode::Linked
    } else {
        lz4_flex::frame::BlockMode::Independent
    };
    info.content_checksum = true;
    info.block_checksums = linked;
    let mut e = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
    e.write_all(data).expect("writes");
    e.finish().expect("finishes")
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

fn text(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| b'a' + ((((i as u64) * 2_654_435_761) >> 7) as u8 ^ seed) % 26)
        .collect()
}

#[test]
fn every_frame_of_a_multi_frame_payload_is_read() {
    let (a, b) = (text(5000, 1), text(7000, 2));
    let both = [a.clone(), b.clone()].concat();
    let mut skippable = 0x184D_2A53u32.to_le_bytes().to_vec();
    skippable.extend_from_slice(&5u32.to_le_bytes());
    skippable.extend_from_slice(b"hello");
    let cases: Vec<(Compression, Vec<u8>)> = vec![
        (Compression::Gzip, [gzip(&a), gzip(&b)].concat()),
        (Compression::Zstd, [zstd(&a), zstd(&b)].concat()),
        (
            Compression::Zstd,
            [skippable.clone(), zstd(&a), skippable.clone(), zstd(&b)].concat(),
        ),
        (
            Compression::Lz4,
            [
                lz4_frame(&a, false, lz4_flex::frame::BlockSize::Max64KB),
                lz4_frame(&b, true, lz4_flex::frame::BlockSize::Max4MB),
            ]
            .concat(),
        ),
        (
            Compression::Lz4,
            [
                skippable.clone(),
                lz4_frame(&a, true, lz4_flex::frame::BlockSize::Max64KB),
                lz4_frame(&b, false, lz4_flex::frame::BlockSize::Max256KB),
            ]
            .concat(),
        ),
    ];
    for (codec, payload) in cases {
        let out = decompress(codec, &payload, 1 << 20).expect("decompresses");
        assert_eq!(out.len(), both.len(), "{codec:?}");
        assert!(out == both, "{codec:?}: wrong bytes");
    }
}

#[test]
fn linked_lz4_blocks_reach_back_into_earlier_blocks() {
    // Repeats 64 KiB apart: a linked block's matches cross block edges.
    let unit = text(40_000, 3);
    let data: Vec<u8> = unit.iter().cycle().take(1 << 20).copied().collect();
    for size in [
        lz4_flex::frame::BlockSize::Max64KB,
        lz4_flex::frame::BlockSize::Max1MB,
    ] {
        let frame = lz4_frame(&data, true, size);
        assert!(frame.len() < data.len() / 4, "linked frames compress");
        let out = decompress(Compression::Lz4, &frame, 2 << 20).expect("decompresses");
        assert!(out == data, "{size:?}");
        // One byte short of the size is refused as too large.
        let err = decompress(Compression::Lz4, &frame, data.len() - 1).unwrap_err();
        assert!(
            matches!(err, DecodeError::DecompressedTooLarge { .. }),
            "{err}"
        );
        assert_eq!(
            decompress(Compression::Lz4, &frame, data.len()).map(|o| o.len()),
            Ok(data.len())
        );
    }
}

#[test]
fn every_codec_decodes_exactly_at_the_cap_and_refuses_one_byte_past_it() {
    let data = text(300_000, 4);
    for codec in [
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let payload = compress(codec, &data).expect("compresses");
        assert_eq!(
            decompress(codec, &payload, data.len()).map(|o| o.len()),
            Ok(data.len()),
            "{codec:?}"
        );
        let err = decompress(codec, &payload, data.len() - 1).unwrap_err();
        assert!(
            matches!(err, DecodeError::DecompressedTooLarge { .. }),
            "{codec:?}: {err}"
        );
    }
}

#[test]
fn raw_snappy_claiming_more_than_its_bytes_can_expand_to_is_refused() {
    // The varint 64 MiB and nothing else: no snappy block of 5 bytes can
    // produce that much.
    let mut claim = Vec::new();
    let mut n = 64u32 << 20;
    while n >= 0x80 {
        claim.push((n as u8) | 0x80);
        n >>= 7;
    }
    claim.push(n as u8);
    let err = decompress(Compression::Snappy, &claim, 128 << 20).unwrap_err();
    assert!(
        matches!(&err, DecodeError::Decompression { reason, .. } if reason.contains("more than snappy can expand to")),
        "{err}"
    );
    // A legitimate maximal expansion (zeros) is within the bound.
    let zeros = vec![0u8; 1 << 20];
    let raw = snap::raw::Encoder::new()
        .compress_vec(&zeros)
        .expect("compresses");
    assert_eq!(
        decompress(Compression::Snappy, &raw, 2 << 20).map(|o| o.len()),
        Ok(zeros.len())
    );
}
