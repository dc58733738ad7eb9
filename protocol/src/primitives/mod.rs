//! Kafka's primitive types: fixed-width integers, varints, (compact)
//! strings, bytes and arrays, UUIDs and tagged fields.
//!
//! Decoders read from a [`Bytes`] so that byte fields can be returned as
//! cheap slices of the input. Every length read from the wire is checked
//! against the bytes remaining before anything is allocated, and every
//! function says which field it was reading when it fails.
//!
//! `compact` selects the flexible-version encodings (unsigned-varint
//! lengths, plus one) over the classic ones (`int16`/`int32` lengths).

mod errors;
mod tagged;

pub use errors::{DecodeError, EncodeError};
pub use tagged::{read_tagged_fields, RawTaggedField, TaggedFieldsWriter};

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// The result of every decoder in this crate.
pub type DecodeResult<T> = Result<T, DecodeError>;
/// The result of every encoder in this crate.
pub type EncodeResult = Result<(), EncodeError>;

/// A 128-bit UUID as Kafka sends it: 16 bytes, most significant first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// The all-zero UUID, Kafka's "no id".
    pub const ZERO: Uuid = Uuid([0; 16]);
}

#[inline]
fn need(buf: &Bytes, n: usize, what: &'static str) -> DecodeResult<()> {
    if buf.remaining() < n {
        return Err(DecodeError::Truncated {
            what,
            needed: n,
            remaining: buf.remaining(),
        });
    }
    Ok(())
}

macro_rules! fixed {
    ($(#[$doc:meta] $name:ident -> $ty:ty = $get:ident;)*) => {$(
        #[$doc]
        #[inline]
        pub fn $name(buf: &mut Bytes, what: &'static str) -> DecodeResult<$ty> {
            need(buf, std::mem::size_of::<$ty>(), what)?;
            Ok(buf.$get())
        }
    )*};
}

fixed! {
    /// Reads an `int8`.
    read_i8 -> i8 = get_i8;
    /// Reads an `int16`, big-endian.
    read_i16 -> i16 = get_i16;
    /// Reads an `int32`, big-endian.
    read_i32 -> i32 = get_i32;
    /// Reads an `int64`, big-endian.
    read_i64 -> i64 = get_i64;
    /// Reads a `uint16`, big-endian.
    read_u16 -> u16 = get_u16;
    /// Reads a `uint32`, big-endian.
    read_u32 -> u32 = get_u32;
    /// Reads a `float64`, big-endian IEEE 754.
    read_f64 -> f64 = get_f64;
}

/// Reads a `bool`: any non-zero byte is true, as Kafka reads it.
#[inline]
pub fn read_bool(buf: &mut Bytes, what: &'static str) -> DecodeResult<bool> {
    Ok(read_i8(buf, what)? != 0)
}

/// Reads a `uuid`.
#[inline]
pub fn read_uuid(buf: &mut Bytes, what: &'static str) -> DecodeResult<Uuid> {
    need(buf, 16, what)?;
    let mut id = [0u8; 16];
    buf.copy_to_slice(&mut id);
    Ok(Uuid(id))
}

/// Reads an unsigned varint of at most 5 bytes (a `u32`).
#[inline]
pub fn read_unsigned_varint(buf: &mut Bytes, what: &'static str) -> DecodeResult<u32> {
    let mut value: u32 = 0;
    for i in 0..5 {
        need(buf, 1, what)?;
        let b = buf.get_u8();
        if i == 4 && b > 0x0f {
            return Err(DecodeError::VarintTooLong { what, max_bytes: 5 });
        }
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(DecodeError::VarintTooLong { what, max_bytes: 5 })
}

/// Reads an unsigned varint of at most 10 bytes (a `u64`).
#[inline]
pub fn read_unsigned_varlong(buf: &mut Bytes, what: &'static str) -> DecodeResult<u64> {
    let mut value: u64 = 0;
    for i in 0..10 {
        need(buf, 1, what)?;
        let b = buf.get_u8();
        if i == 9 && b > 0x01 {
            return Err(DecodeError::VarintTooLong {
                what,
                max_bytes: 10,
            });
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(DecodeError::VarintTooLong {
        what,
        max_bytes: 10,
    })
}

/// Reads a zigzag-encoded signed varint (`varint`).
#[inline]
pub fn read_varint(buf: &mut Bytes, what: &'static str) -> DecodeResult<i32> {
    let v = read_unsigned_varint(buf, what)?;
    Ok(((v >> 1) as i32) ^ -((v & 1) as i32))
}

/// Reads a zigzag-encoded signed varlong (`varlong`).
#[inline]
pub fn read_varlong(buf: &mut Bytes, what: &'static str) -> DecodeResult<i64> {
    let v = read_unsigned_varlong(buf, what)?;
    Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
}

/// Reads a length prefix: `int16` (classic strings), `int32` (classic bytes
/// and arrays) or an unsigned varint minus one (compact). `None` is null.
/// A length larger than the bytes remaining is refused here, before anyone
/// allocates for it.
#[inline]
fn read_len(
    buf: &mut Bytes,
    compact: bool,
    wide: bool,
    what: &'static str,
) -> DecodeResult<Option<usize>> {
    let len: i64 = if compact {
        i64::from(read_unsigned_varint(buf, what)?) - 1
    } else if wide {
        i64::from(read_i32(buf, what)?)
    } else {
        i64::from(read_i16(buf, what)?)
    };
    if len == -1 {
        return Ok(None);
    }
    // Strings (the narrow kind) hold at most 32,767 bytes in flexible
    // versions too, as Kafka's generated code checks on both sides.
    if len < 0 || len > buf.remaining() as i64 || (!wide && len > MAX_STRING_LEN as i64) {
        return Err(DecodeError::InvalidLength { what, length: len });
    }
    Ok(Some(len as usize))
}

/// The longest string Kafka reads or writes, compact or classic: 32,767
/// bytes (its `int16` length, kept for compact strings too).
pub const MAX_STRING_LEN: usize = i16::MAX as usize;

/// The capacity to reserve for an array of `count` elements of `T` with
/// `remaining` input bytes behind the count: never more memory than those
/// bytes, whatever the count claims (an element may take far more memory
/// than its wire bytes: a count of 2^20 must not reserve 2^20 structs).
/// The vector grows past it only as elements actually decode.
#[inline]
pub fn array_capacity<T>(count: usize, remaining: usize) -> usize {
    count.min(remaining / std::mem::size_of::<T>().max(1))
}

/// Reads a nullable `string` (classic `int16` length or compact).
pub fn read_nullable_string(
    buf: &mut Bytes,
    compact: bool,
    what: &'static str,
) -> DecodeResult<Option<String>> {
    match read_len(buf, compact, false, what)? {
        None => Ok(None),
        Some(len) => {
            let raw = buf.split_to(len);
            match std::str::from_utf8(&raw) {
                Ok(s) => Ok(Some(s.to_owned())),
                Err(_) => Err(DecodeError::InvalidUtf8 { what }),
            }
        }
    }
}

/// Reads a non-null `string`.
pub fn read_string(buf: &mut Bytes, compact: bool, what: &'static str) -> DecodeResult<String> {
    read_nullable_string(buf, compact, what)?.ok_or(DecodeError::UnexpectedNull { what })
}

/// Reads nullable `bytes` as a slice of the input (no copy).
pub fn read_nullable_bytes(
    buf: &mut Bytes,
    compact: bool,
    what: &'static str,
) -> DecodeResult<Option<Bytes>> {
    Ok(read_len(buf, compact, true, what)?.map(|len| buf.split_to(len)))
}

/// Reads non-null `bytes` as a slice of the input (no copy).
pub fn read_bytes(buf: &mut Bytes, compact: bool, what: &'static str) -> DecodeResult<Bytes> {
    read_nullable_bytes(buf, compact, what)?.ok_or(DecodeError::UnexpectedNull { what })
}

/// Reads a nullable array, each element by `element`. The count is capped
/// by the bytes remaining (no element is encoded in zero bytes), and the
/// first reservation by [`array_capacity`], so a hostile count never
/// decides an allocation.
pub fn read_nullable_array<T>(
    buf: &mut Bytes,
    compact: bool,
    what: &'static str,
    mut element: impl FnMut(&mut Bytes) -> DecodeResult<T>,
) -> DecodeResult<Option<Vec<T>>> {
    let Some(count) = read_len(buf, compact, true, what)? else {
        return Ok(None);
    };
    let mut items = Vec::with_capacity(array_capacity::<T>(count, buf.remaining()));
    for _ in 0..count {
        items.push(element(buf)?);
    }
    Ok(Some(items))
}

/// Reads a non-null array, each element by `element`.
pub fn read_array<T>(
    buf: &mut Bytes,
    compact: bool,
    what: &'static str,
    element: impl FnMut(&mut Bytes) -> DecodeResult<T>,
) -> DecodeResult<Vec<T>> {
    read_nullable_array(buf, compact, what, element)?.ok_or(DecodeError::UnexpectedNull { what })
}

/// Writes an unsigned varint.
#[inline]
pub fn write_unsigned_varint(buf: &mut BytesMut, mut value: u32) {
    while value >= 0x80 {
        buf.put_u8((value as u8) | 0x80);
        value >>= 7;
    }
    buf.put_u8(value as u8);
}

/// Writes an unsigned varlong.
#[inline]
pub fn write_unsigned_varlong(buf: &mut BytesMut, mut value: u64) {
    while value >= 0x80 {
        buf.put_u8((value as u8) | 0x80);
        value >>= 7;
    }
    buf.put_u8(value as u8);
}

/// Writes a zigzag-encoded `varint`.
#[inline]
pub fn write_varint(buf: &mut BytesMut, value: i32) {
    write_unsigned_varint(buf, ((value << 1) ^ (value >> 31)) as u32);
}

/// Writes a zigzag-encoded `varlong`.
#[inline]
pub fn write_varlong(buf: &mut BytesMut, value: i64) {
    write_unsigned_varlong(buf, ((value << 1) ^ (value >> 63)) as u64);
}

/// The number of bytes [`write_varint`] uses for `value`.
#[inline]
pub fn varint_len(value: i32) -> usize {
    unsigned_varint_len(((value << 1) ^ (value >> 31)) as u32)
}

/// The number of bytes [`write_varlong`] uses for `value`.
#[inline]
pub fn varlong_len(value: i64) -> usize {
    let v = ((value << 1) ^ (value >> 63)) as u64;
    (64 - (v | 1).leading_zeros()).div_ceil(7) as usize
}

/// The number of bytes [`write_unsigned_varint`] uses for `value`.
#[inline]
pub fn unsigned_varint_len(value: u32) -> usize {
    (32 - (value | 1).leading_zeros()).div_ceil(7) as usize
}

/// Writes a `bool`.
#[inline]
pub fn write_bool(buf: &mut BytesMut, value: bool) {
    buf.put_u8(u8::from(value));
}

/// Writes a `uuid`.
#[inline]
pub fn write_uuid(buf: &mut BytesMut, value: &Uuid) {
    buf.put_slice(&value.0);
}

/// Writes a length prefix; `None` is null.
#[inline]
pub(crate) fn write_len(
    buf: &mut BytesMut,
    compact: bool,
    wide: bool,
    len: Option<usize>,
    what: &'static str,
) -> EncodeResult {
    match (len, compact) {
        (None, true) => write_unsigned_varint(buf, 0),
        (None, false) if wide => buf.put_i32(-1),
        (None, false) => buf.put_i16(-1),
        (Some(n), true) => {
            let n = u32::try_from(n)
                .ok()
                .filter(|&n| n < u32::MAX && (wide || n as usize <= MAX_STRING_LEN))
                .ok_or(EncodeError::TooLong { what, length: n })?;
            write_unsigned_varint(buf, n + 1);
        }
        (Some(n), false) if wide => {
            let n = i32::try_from(n).map_err(|_| EncodeError::TooLong { what, length: n })?;
            buf.put_i32(n);
        }
        (Some(n), false) => {
            let n = i16::try_from(n).map_err(|_| EncodeError::TooLong { what, length: n })?;
            buf.put_i16(n);
        }
    }
    Ok(())
}

/// Writes a nullable `string`.
pub fn write_nullable_string(
    buf: &mut BytesMut,
    compact: bool,
    value: Option<&str>,
    what: &'static str,
) -> EncodeResult {
    write_len(buf, compact, false, value.map(str::len), what)?;
    if let Some(s) = value {
        buf.put_slice(s.as_bytes());
    }
    Ok(())
}

/// Writes a non-null `string`.
pub fn write_string(
    buf: &mut BytesMut,
    compact: bool,
    value: &str,
    what: &'static str,
) -> EncodeResult {
    write_nullable_string(buf, compact, Some(value), what)
}

/// Writes nullable `bytes`.
pub fn write_nullable_bytes(
    buf: &mut BytesMut,
    compact: bool,
    value: Option<&[u8]>,
    what: &'static str,
) -> EncodeResult {
    write_len(buf, compact, true, value.map(<[u8]>::len), what)?;
    if let Some(b) = value {
        buf.put_slice(b);
    }
    Ok(())
}

/// Writes non-null `bytes`.
pub fn write_bytes(
    buf: &mut BytesMut,
    compact: bool,
    value: &[u8],
    what: &'static str,
) -> EncodeResult {
    write_nullable_bytes(buf, compact, Some(value), what)
}

/// Writes a nullable array, each element by `element`.
pub fn write_nullable_array<T>(
    buf: &mut BytesMut,
    compact: bool,
    items: Option<&[T]>,
    what: &'static str,
    mut element: impl FnMut(&mut BytesMut, &T) -> EncodeResult,
) -> EncodeResult {
    write_len(buf, compact, true, items.map(<[T]>::len), what)?;
    for item in items.unwrap_or_default() {
        element(buf, item)?;
    }
    Ok(())
}

/// Writes a non-null array, each element by `element`.
pub fn write_array<T>(
    buf: &mut BytesMut,
    compact: bool,
    items: &[T],
    what: &'static str,
    element: impl FnMut(&mut BytesMut, &T) -> EncodeResult,
) -> EncodeResult {
    write_nullable_array(buf, compact, Some(items), what, element)
}

#[cfg(test)]
mod tests;
