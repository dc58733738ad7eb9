//! The codecs of record batches, all pure Rust: gzip (flate2's Rust
//! backend), snappy (raw, and the xerial framing the Java client writes),
//! LZ4 frames, and zstd (ruzstd). Decompression is capped: a payload that
//! would grow past the limit is refused before it can take the memory, and
//! the output buffer never holds more than the limit plus one byte.
//!
//! Like the Java client, every frame of a payload is read: gzip members,
//! zstd frames (skippable frames are skipped) and LZ4 frames may follow
//! one another.

use std::io::{Read, Write};

use super::lz4;

use crate::primitives::{DecodeError, EncodeError};

/// The largest decompressed records section accepted by default (64 MiB).
pub const DEFAULT_MAX_DECOMPRESSED: usize = 64 << 20;

/// A batch's codec (attribute bits 0-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Compression {
    /// Uncompressed.
    #[default]
    None,
    /// gzip.
    Gzip,
    /// Snappy.
    Snappy,
    /// LZ4 frame format.
    Lz4,
    /// Zstandard.
    Zstd,
}

impl Compression {
    /// The codec of attribute bits 0-2.
    pub fn from_attributes(attributes: i16) -> Result<Compression, DecodeError> {
        match attributes & 0x07 {
            0 => Ok(Compression::None),
            1 => Ok(Compression::Gzip),
            2 => Ok(Compression::Snappy),
            3 => Ok(Compression::Lz4),
            4 => Ok(Compression::Zstd),
            other => Err(DecodeError::Invalid {
                what: "RecordBatch.attributes",
                reason: format!("unknown compression codec {other}"),
            }),
        }
    }

    /// The codec's attribute bits.
    pub fn attribute_bits(self) -> i16 {
        match self {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        }
    }

    /// The codec's name, as in `compression.type`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }
}

/// The header the Java client (snappy-java's `SnappyOutputStream`) puts
/// before its snappy blocks.
const XERIAL_MAGIC: &[u8; 8] = b"\x82SNAPPY\0";
/// snappy-java's block size.
const XERIAL_BLOCK: usize = 32 * 1024;

/// Compresses `data` with `codec` (Snappy in the xerial framing, as the
/// Java client writes it).
pub fn compress(codec: Compression, data: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let failed = |e: &dyn std::fmt::Display| EncodeError::Compression {
        codec: codec.name(),
        reason: e.to_string(),
    };
    match codec {
        Compression::None => Ok(data.to_vec()),
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(
                Vec::with_capacity(data.len() / 2),
                flate2::Compression::fast(),
            );
            enc.write_all(data).map_err(|e| failed(&e))?;
            enc.finish().map_err(|e| failed(&e))
        }
        Compression::Snappy => {
            let mut out = Vec::with_capacity(16 + data.len() / 2);
            out.extend_from_slice(XERIAL_MAGIC);
            out.extend_from_slice(&1i32.to_be_bytes());
            out.extend_from_slice(&1i32.to_be_bytes());
            let mut enc = snap::raw::Encoder::new();
            for block in data.chunks(XERIAL_BLOCK) {
                let compressed = enc.compress_vec(block).map_err(|e| failed(&e))?;
                out.extend_from_slice(&(compressed.len() as i32).to_be_bytes());
                out.extend_from_slice(&compressed);
            }
            Ok(out)
        }
        Compression::Lz4 => {
            let mut info = lz4_flex::frame::FrameInfo::new();
            info.block_size = lz4_flex::frame::BlockSize::Max64KB;
            let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(
                info,
                Vec::with_capacity(data.len() / 2),
            );
            enc.write_all(data).map_err(|e| failed(&e))?;
            enc.finish().map_err(|e| failed(&e))
        }
        Compression::Zstd => Ok(ruzstd::encoding::compress_to_vec(
            data,
            ruzstd::encoding::CompressionLevel::Fastest,
        )),
    }
}

/// Decompresses `data` with `codec`, refusing output past `limit` bytes.
pub fn decompress(codec: Compression, data: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let name = codec.name();
    match codec {
        Compression::None => {
            if data.len() > limit {
                return Err(DecodeError::DecompressedTooLarge { codec: name, limit });
            }
            Ok(data.to_vec())
        }
        Compression::Gzip => {
            let mut out = initial_output(data.len(), limit);
            read_capped(
                flate2::read::MultiGzDecoder::new(data),
                name,
                limit,
                &mut out,
            )?;
            Ok(out)
        }
        Compression::Lz4 => lz4::decompress(data, limit),
        Compression::Zstd => unzstd(data, limit),
        Compression::Snappy => {
            if data.starts_with(XERIAL_MAGIC) {
                unxerial(data, limit)
            } else {
                let mut out = Vec::new();
                snappy_block(data, limit, &mut out)?;
                Ok(out)
            }
        }
    }
}

/// The first output buffer: a guess from the input, never past the limit.
fn initial_output(input_len: usize, limit: usize) -> Vec<u8> {
    Vec::with_capacity(input_len.saturating_mul(4).min(limit).min(1 << 20))
}

/// Makes room for `out` to reach `len` bytes (zero-filled), doubling the
/// capacity as a `Vec` would but never past `limit + 1` bytes: a capped
/// decoder must not hold twice its cap because of amortised growth. The
/// caller has checked `len <= limit + 1`.
pub(super) fn grow_to(out: &mut Vec<u8>, len: usize, limit: usize) {
    if len > out.capacity() {
        let cap = out
            .capacity()
            .saturating_mul(2)
            .max(4096)
            .min(limit.saturating_add(1))
            .max(len);
        out.reserve_exact(cap - out.len());
    }
    out.resize(len, 0);
}

/// Reads a decoder to its end into `out`, or fails once the output passes
/// `limit`. Memory grows with the output actually produced, never with a
/// size a header claims, and never past `limit + 1` bytes.
fn read_capped(
    mut reader: impl Read,
    codec: &'static str,
    limit: usize,
    out: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    const CHUNK: usize = 32 * 1024;
    let mut filled = out.len();
    loop {
        if filled > limit {
            out.truncate(filled);
            return Err(DecodeError::DecompressedTooLarge { codec, limit });
        }
        if filled == out.len() {
            let room = out
                .capacity()
                .saturating_sub(filled)
                .max(CHUNK)
                .min(limit + 1 - filled);
            grow_to(out, filled + room, limit);
        }
        match reader.read(&mut out[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                out.truncate(filled);
                return Err(DecodeError::Decompression {
                    codec,
                    reason: e.to_string(),
                });
            }
        }
    }
    out.truncate(filled);
    Ok(())
}

/// zstd's skippable frames: magic 0x184D2A50 to 0x184D2A5F, a 4-byte
/// little-endian size, that many bytes of anything.
fn skippable_frame_len(data: &[u8]) -> Option<Result<usize, DecodeError>> {
    let magic = u32::from_le_bytes(data.get(..4)?.try_into().ok()?);
    if magic & 0xFFFF_FFF0 != 0x184D_2A50 {
        return None;
    }
    let size = data
        .get(4..8)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes);
    Some(
        size.and_then(|s| 8usize.checked_add(s as usize))
            .filter(|&len| len <= data.len())
            .ok_or_else(|| DecodeError::Decompression {
                codec: "zstd",
                reason: "truncated skippable frame".into(),
            }),
    )
}

/// Every frame of a zstd payload, one after another, skippable frames
/// skipped.
fn unzstd(data: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = initial_output(data.len(), limit);
    let mut rest = data;
    while !rest.is_empty() {
        if let Some(skip) = skippable_frame_len(rest) {
            rest = &rest[skip?..];
            continue;
        }
        let before = rest.len();
        let decoder = ruzstd::decoding::StreamingDecoder::new(&mut rest).map_err(|e| {
            DecodeError::Decompression {
                codec: "zstd",
                reason: e.to_string(),
            }
        })?;
        read_capped(decoder, "zstd", limit, &mut out)?;
        if rest.len() == before {
            // Cannot happen (a frame header has bytes), but a loop that
            // reads nothing must not spin.
            return Err(DecodeError::Decompression {
                codec: "zstd",
                reason: "a frame consumed no input".into(),
            });
        }
    }
    Ok(out)
}

/// The most a raw snappy block can expand: a 3-byte copy element writes at
/// most 64 bytes (21.3x); literals do not expand. A block claiming more
/// than this of its input is refused without decoding or allocating.
fn snappy_can_hold(input_len: usize) -> usize {
    input_len.saturating_mul(22).saturating_add(64)
}

/// Appends one raw snappy block's output to `out`, checking the size the
/// block claims against what is left of the limit, and against what the
/// block's bytes could possibly produce, before allocating.
fn snappy_block(block: &[u8], limit: usize, out: &mut Vec<u8>) -> Result<(), DecodeError> {
    let claimed = snap::raw::decompress_len(block).map_err(|e| DecodeError::Decompression {
        codec: "snappy",
        reason: e.to_string(),
    })?;
    if claimed > limit.saturating_sub(out.len()) {
        return Err(DecodeError::DecompressedTooLarge {
            codec: "snappy",
            limit,
        });
    }
    if claimed > snappy_can_hold(block.len()) {
        return Err(DecodeError::Decompression {
            codec: "snappy",
            reason: format!(
                "a {}-byte block claims {claimed} bytes, more than snappy can expand to",
                block.len()
            ),
        });
    }
    let start = out.len();
    grow_to(out, start + claimed, limit);
    let n = snap::raw::Decoder::new()
        .decompress(block, &mut out[start..])
        .map_err(|e| DecodeError::Decompression {
            codec: "snappy",
            reason: e.to_string(),
        })?;
    out.truncate(start + n);
    Ok(())
}

fn unxerial(data: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let bad = |reason: &str| DecodeError::Decompression {
        codec: "snappy",
        reason: reason.to_owned(),
    };
    // Magic (8), version (4), compatible version (4).
    let mut rest = data
        .get(16..)
        .ok_or_else(|| bad("truncated xerial header"))?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let len_bytes: [u8; 4] = rest
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad("truncated xerial block length"))?;
        let len = i32::from_be_bytes(len_bytes);
        let len = usize::try_from(len).map_err(|_| bad("negative xerial block length"))?;
        let block = rest
            .get(4..4 + len)
            .ok_or_else(|| bad("truncated xerial block"))?;
        snappy_block(block, limit, &mut out)?;
        rest = &rest[4 + len..];
    }
    Ok(out)
}
