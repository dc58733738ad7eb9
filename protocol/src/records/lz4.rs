//! LZ4 frames (the format Kafka's v2 batches use), decoded block by block
//! straight into one output buffer, every frame of the payload in turn.
//!
//! A frame's header only declares a maximum block size: nothing is
//! reserved for it. Each block's room is sized once its compressed bytes
//! are in hand (at most 255 times them, LZ4's largest expansion), and the
//! output never passes the cap. Linked blocks reference the previous 64
//! KiB of output, which is right there in the same buffer. Checksums are
//! not verified: the batch's CRC32C already covers the compressed bytes.

use super::compression::grow_to;
use crate::primitives::DecodeError;

const MAGIC: u32 = 0x184D_2204;
/// LZ4's window: a linked block may copy from this far back.
const WINDOW: usize = 64 * 1024;
/// The most one compressed byte can produce (a run-length extension byte).
const MAX_EXPANSION: usize = 255;

fn bad(reason: impl Into<String>) -> DecodeError {
    DecodeError::Decompression {
        codec: "lz4",
        reason: reason.into(),
    }
}

struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        if self.data.len() < n {
            return Err(bad(format!("truncated {what}")));
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn u32_le(&mut self, what: &str) -> Result<u32, DecodeError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Decompresses every LZ4 frame of `data` (skippable frames skipped),
/// refusing output past `limit` bytes.
pub(super) fn decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(limit).min(1 << 20));
    let mut input = Input { data };
    while !input.data.is_empty() {
        let magic = input.u32_le("frame magic")?;
        if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
            let size = input.u32_le("skippable frame size")? as usize;
            input.take(size, "skippable frame")?;
            continue;
        }
        if magic != MAGIC {
            return Err(bad(format!("bad frame magic {magic:#010x}")));
        }
        frame(&mut input, limit, &mut out)?;
    }
    Ok(out)
}

/// One frame, after its magic number.
fn frame(input: &mut Input<'_>, limit: usize, out: &mut Vec<u8>) -> Result<(), DecodeError> {
    let descriptor = input.take(2, "frame descriptor")?;
    let (flg, bd) = (descriptor[0], descriptor[1]);
    if flg >> 6 != 0b01 {
        return Err(bad(format!("unsupported frame version {}", flg >> 6)));
    }
    if flg & 0x01 != 0 {
        return Err(bad("frames with a dictionary id are not supported"));
    }
    let independent = flg & 0x20 != 0;
    let block_checksums = flg & 0x10 != 0;
    let content_size = flg & 0x08 != 0;
    let content_checksum = flg & 0x04 != 0;
    let block_max = match (bd >> 4) & 0x07 {
        4 => 64 << 10,
        5 => 256 << 10,
        6 => 1 << 20,
        7 => 4 << 20,
        other => return Err(bad(format!("invalid block size id {other}"))),
    };
    if content_size {
        input.take(8, "content size")?;
    }
    input.take(1, "header checksum")?;
    let frame_start = out.len();
    loop {
        let word = input.u32_le("block size")?;
        if word == 0 {
            break;
        }
        let uncompressed = word & 0x8000_0000 != 0;
        let len = (word & 0x7FFF_FFFF) as usize;
        if len > block_max {
            return Err(bad(format!(
                "a {len}-byte block in a frame of {block_max}-byte blocks"
            )));
        }
        let block = input.take(len, "block")?;
        if block_checksums {
            input.take(4, "block checksum")?;
        }
        let start = out.len();
        if uncompressed {
            if len > limit - start {
                return Err(too_large(limit));
            }
            out.extend_from_slice(block);
            continue;
        }
        // Room for what this block can produce, capped by the frame's
        // block size and by the limit (plus one byte to tell "exactly at
        // the limit" from "past it").
        let room = block_max
            .min(len.saturating_mul(MAX_EXPANSION).saturating_add(16))
            .min(limit + 1 - start);
        grow_to(out, start + room, limit);
        let (before, dst) = out.split_at_mut(start);
        let dict = if independent {
            &[][..]
        } else {
            // Linked blocks may reach back into this frame's output only.
            let frame_out = &before[frame_start..];
            &frame_out[frame_out.len().saturating_sub(WINDOW)..]
        };
        let n = lz4_flex::block::decompress_into_with_dict(block, dst, dict).map_err(|e| {
            // Out of room means the block produces more than the limit
            // allows (the room was capped by it) or more than a block may.
            if room == limit + 1 - start {
                too_large(limit)
            } else {
                bad(e.to_string())
            }
        });
        let n = match n {
            Ok(n) => n,
            Err(e) => {
                out.truncate(start);
                return Err(e);
            }
        };
        out.truncate(start + n);
        if out.len() > limit {
            return Err(too_large(limit));
        }
    }
    if content_checksum {
        input.take(4, "content checksum")?;
    }
    Ok(())
}

fn too_large(limit: usize) -> DecodeError {
    DecodeError::DecompressedTooLarge {
        codec: "lz4",
        limit,
    }
}
