//! Tagged fields (KIP-482): the optional, numbered fields at the end of every
//! flexible-version structure. Known tags are decoded into their fields;
//! unknown ones are kept as raw bytes and written back unchanged.

use bytes::{BufMut, Bytes, BytesMut};

use super::{
    read_unsigned_varint, unsigned_varint_len, write_unsigned_varint, DecodeError, DecodeResult,
    EncodeError, EncodeResult,
};

/// A tagged field this crate does not know, kept so that re-encoding a
/// decoded message loses nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawTaggedField {
    /// The field's tag.
    pub tag: u32,
    /// The field's encoded value.
    pub data: Bytes,
}

/// Reads a tagged-field section. `known` is called with each tag and a
/// buffer holding exactly that field's bytes; it returns `Ok(true)` when it
/// decoded the field (and must then have consumed every byte), `Ok(false)`
/// for a tag it does not know, which is kept in the returned list.
pub fn read_tagged_fields(
    buf: &mut Bytes,
    what: &'static str,
    mut known: impl FnMut(u32, &mut Bytes) -> DecodeResult<bool>,
) -> DecodeResult<Vec<RawTaggedField>> {
    let count = read_unsigned_varint(buf, what)?;
    // Each tagged field takes at least two bytes (tag and size).
    if count as usize > bytes::Buf::remaining(buf) / 2 {
        return Err(DecodeError::InvalidLength {
            what,
            length: i64::from(count),
        });
    }
    let mut unknown = Vec::new();
    let mut previous: Option<u32> = None;
    for _ in 0..count {
        let tag = read_unsigned_varint(buf, what)?;
        // KIP-482: tags are unique and in ascending order, which is also
        // what keeps a re-encoded message byte-identical.
        if previous.is_some_and(|p| tag <= p) {
            return Err(DecodeError::Invalid {
                what,
                reason: format!(
                    "tag {tag} follows tag {} out of order",
                    previous.unwrap_or(0)
                ),
            });
        }
        previous = Some(tag);
        let size = read_unsigned_varint(buf, what)? as usize;
        if size > bytes::Buf::remaining(buf) {
            return Err(DecodeError::InvalidLength {
                what,
                length: size as i64,
            });
        }
        let mut data = buf.split_to(size);
        if known(tag, &mut data)? {
            if !data.is_empty() {
                return Err(DecodeError::TrailingData {
                    what,
                    remaining: data.len(),
                });
            }
        } else {
            unknown.push(RawTaggedField { tag, data });
        }
    }
    Ok(unknown)
}

/// Collects the tagged fields of one structure and writes them, sorted by
/// tag, with the unknown fields kept from decoding.
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use ferrokafka_protocol::primitives::TaggedFieldsWriter;
///
/// let mut buf = BytesMut::new();
/// let mut tagged = TaggedFieldsWriter::new();
/// tagged.field(0, |b| {
///     b.put_i32(7);
///     Ok(())
/// })?;
/// tagged.finish(&mut buf, &[])?;
/// assert_eq!(&buf[..], &[1, 0, 4, 0, 0, 0, 7]);
/// # Ok::<(), ferrokafka_protocol::primitives::EncodeError>(())
/// ```
#[derive(Debug, Default)]
pub struct TaggedFieldsWriter {
    fields: Vec<(u32, BytesMut)>,
}

impl TaggedFieldsWriter {
    /// An empty section.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the field `tag`, written by `write`.
    pub fn field(
        &mut self,
        tag: u32,
        write: impl FnOnce(&mut BytesMut) -> EncodeResult,
    ) -> EncodeResult {
        let mut data = BytesMut::new();
        write(&mut data)?;
        self.fields.push((tag, data));
        Ok(())
    }

    /// Writes the section: the count, then every field (known and
    /// `unknown`) in tag order.
    pub fn finish(mut self, buf: &mut BytesMut, unknown: &[RawTaggedField]) -> EncodeResult {
        let count = self.fields.len() + unknown.len();
        let count = u32::try_from(count).map_err(|_| EncodeError::TooLong {
            what: "tagged fields",
            length: count,
        })?;
        write_unsigned_varint(buf, count);
        if unknown.is_empty() {
            self.fields.sort_by_key(|(tag, _)| *tag);
            for (tag, data) in &self.fields {
                write_one(buf, *tag, data)?;
            }
            return Ok(());
        }
        let mut all: Vec<(u32, &[u8])> = self
            .fields
            .iter()
            .map(|(t, d)| (*t, &d[..]))
            .chain(unknown.iter().map(|f| (f.tag, &f.data[..])))
            .collect();
        all.sort_by_key(|(tag, _)| *tag);
        for (tag, data) in all {
            write_one(buf, tag, data)?;
        }
        Ok(())
    }
}

fn write_one(buf: &mut BytesMut, tag: u32, data: &[u8]) -> EncodeResult {
    let size = u32::try_from(data.len()).map_err(|_| EncodeError::TooLong {
        what: "tagged field",
        length: data.len(),
    })?;
    buf.reserve(unsigned_varint_len(tag) + unsigned_varint_len(size) + data.len());
    write_unsigned_varint(buf, tag);
    write_unsigned_varint(buf, size);
    buf.put_slice(data);
    Ok(())
}
