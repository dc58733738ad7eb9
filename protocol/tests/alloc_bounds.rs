//! Peak memory of decoders under hostile input, measured by a counting
//! global allocator (this test binary's own). Each test failed before its
//! fix: the array count reserved count x size_of, raw snappy resized to its
//! claimed length, gzip and lz4 read_to_end doubled past the cap, and an
//! LZ4 frame header declaring 4 MiB linked blocks reserved 12 MiB before a
//! block was read.
//!
//! `unsafe` here only implements `GlobalAlloc`, which is an unsafe trait:
//! measuring allocation is the point of this binary.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use bytes::{BufMut, Bytes, BytesMut};
use ferrokafka_protocol::messages::FetchResponse;
use ferrokafka_protocol::records::{compress, decompress, Compression};
use ferrokafka_protocol::Decode;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only
// counts the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            // Counted as resized in place (large blocks are remapped, not
            // copied): what is bounded here is the memory held.
            if new_size >= layout.size() {
                let grown = new_size - layout.size();
                let now = CURRENT.fetch_add(grown, Ordering::Relaxed) + grown;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// One measurement at a time: the tests of this binary share the counter.
static SERIAL: Mutex<()> = Mutex::new(());

/// The most memory `f` held at once beyond what was held before it.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

const MIB: usize = 1 << 20;

#[test]
fn a_huge_array_count_reserves_no_more_than_the_bytes_justify() {
    // FetchResponse v4: throttle time, one topic "t", a partitions count
    // of 0x100000, then 1 MiB of zeros (each 30 zero bytes decode as one
    // empty partition, until the bytes run out).
    let mut body = BytesMut::new();
    body.put_i32(0);
    body.put_i32(1);
    body.put_i16(1);
    body.put_slice(b"t");
    body.put_i32(0x10_0000);
    body.put_bytes(0, MIB);
    let body = body.freeze();
    let (result, peak) = peak_during(|| FetchResponse::decode(&mut body.clone(), 4));
    assert!(result.is_err(), "the partitions run out of bytes");
    // Before: 0x100000 x size_of::<PartitionData>() reserved up front
    // (232 MiB). Now what decodes (1 MiB / 30 bytes of partitions) and its
    // growth.
    assert!(peak < 32 * MIB, "peak {peak} bytes for 1 MiB of input");
}

#[test]
fn raw_snappy_does_not_allocate_what_it_claims() {
    // The varint 64 MiB: five bytes.
    let claim = [0x80, 0x80, 0x80, 0x20];
    let (result, peak) = peak_during(|| decompress(Compression::Snappy, &claim, 128 * MIB));
    assert!(result.is_err());
    assert!(peak < 64 * 1024, "peak {peak} bytes for a 4-byte payload");
}

fn zeros_payload(codec: Compression, n: usize) -> Vec<u8> {
    compress(codec, &vec![0u8; n]).expect("compresses")
}

#[test]
fn capped_decompression_never_holds_much_more_than_the_cap() {
    let cap = 10 * MIB;
    // zstd (ruzstd) keeps its window (up to the output so far) beside the
    // output: twice the cap at most, since nothing reads past it.
    let bound = |codec| match codec {
        Compression::Zstd => 2 * cap + cap / 8,
        _ => cap + cap / 8,
    };
    for codec in [
        Compression::Gzip,
        Compression::Lz4,
        Compression::Zstd,
        Compression::Snappy,
    ] {
        // Just under the cap: decodes into a buffer of at most the cap (and
        // a byte).
        let payload = zeros_payload(codec, cap - 1000);
        let (result, peak) = peak_during(|| decompress(codec, &payload, cap));
        let out = result.expect("decodes");
        assert_eq!(out.len(), cap - 1000, "{codec:?}");
        assert!(
            out.capacity() <= cap + 1,
            "{codec:?}: capacity {}",
            out.capacity()
        );
        assert!(
            peak <= bound(codec),
            "{codec:?}: peak {peak} bytes for a {cap}-byte cap"
        );
        // Far past the cap: refused, in about the cap's memory.
        let payload = zeros_payload(codec, 3 * cap);
        let (result, peak) = peak_during(|| decompress(codec, &payload, cap));
        assert!(result.is_err(), "{codec:?}");
        assert!(
            peak <= bound(codec),
            "{codec:?}: peak {peak} bytes refusing a bomb under a {cap}-byte cap"
        );
    }
}

#[test]
fn an_lz4_frame_declaring_large_linked_blocks_reserves_nothing_before_reading() {
    let mut info = lz4_flex::frame::FrameInfo::new();
    info.block_size = lz4_flex::frame::BlockSize::Max4MB;
    info.block_mode = lz4_flex::frame::BlockMode::Linked;
    let mut e = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
    e.write_all(b"tiny").expect("writes");
    let frame = Bytes::from(e.finish().expect("finishes"));
    let (result, peak) = peak_during(|| decompress(Compression::Lz4, &frame, 64 * MIB));
    assert_eq!(result.as_deref().ok(), Some(&b"tiny"[..]));
    assert!(peak < 64 * 1024, "peak {peak} bytes for a 4-byte frame");
}
