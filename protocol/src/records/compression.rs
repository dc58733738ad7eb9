//! The codecs of record batches, all pure Rust: gzip (flate2's Rust
//! backend), snappy (raw, and the xerial framing the Java client writes),
//! LZ4 frames, and zstd (ruzstd). Decompression is capped: a payload that
//! would grow past the limit is refused before it can take the memory.

use std::io::{Read, Write};

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
    let failed = |e: &dyn std::fmt::Display| DecodeError::Decompression {
        codec: name,
        reason: e.to_string(),
    };
    match codec {
        Compression::None => {
            if data.len() > limit {
                return Err(DecodeError::DecompressedTooLarge { codec: name, limit });
            }
            Ok(data.to_vec())
        }
        Compression::Gzip => {
            read_capped(flate2::read::GzDecoder::new(data), name, limit, data.len())
        }
        Compression::Lz4 => read_capped(
            lz4_flex::frame::FrameDecoder::new(data),
            name,
            limit,
            data.len(),
        ),
        Compression::Zstd => {
            let decoder = ruzstd::decoding::StreamingDecoder::new(data).map_err(|e| failed(&e))?;
            read_capped(decoder, name, limit, data.len())
        }
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

/// Reads a decoder to its end, or fails once it passes `limit`. Memory
/// grows with the output actually produced, never with a size a header
/// claims.
fn read_capped(
    reader: impl Read,
    codec: &'static str,
    limit: usize,
    input_len: usize,
) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(input_len.saturating_mul(4).min(limit).min(1 << 20));
    let read = reader
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Decompression {
            codec,
            reason: e.to_string(),
        })?;
    if read > limit {
        return Err(DecodeError::DecompressedTooLarge { codec, limit });
    }
    Ok(out)
}

/// Appends one raw snappy block's output to `out`, checking the size the
/// block claims against what is left of the limit before allocating.
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
    let start = out.len();
    out.resize(start + claimed, 0);
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
