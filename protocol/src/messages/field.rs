//! How each field type of Kafka's schemas is read and written, so that a
//! message is declared as a list of its fields (see `macros.rs`) rather
//! than as hand-rolled read and write calls.

use bytes::{BufMut, Bytes, BytesMut};

use crate::primitives::{
    read_bool, read_f64, read_i16, read_i32, read_i64, read_i8, read_nullable_array,
    read_nullable_bytes, read_nullable_string, read_u16, read_u32, read_uuid, write_bool,
    write_nullable_array, write_nullable_bytes, write_nullable_string, write_uuid, DecodeError,
    DecodeResult, EncodeResult, Uuid,
};

/// A value that can stand in a message field. `flexible` selects the
/// compact encodings of flexible versions; `version` is the message's.
pub trait Field: Sized {
    /// Reads the field.
    fn read(
        buf: &mut Bytes,
        version: i16,
        flexible: bool,
        what: &'static str,
    ) -> DecodeResult<Self>;
    /// Writes the field.
    fn write(
        &self,
        buf: &mut BytesMut,
        version: i16,
        flexible: bool,
        what: &'static str,
    ) -> EncodeResult;
    /// Whether this value is null (only nullable types can be).
    fn is_null(&self) -> bool {
        false
    }
}

macro_rules! fixed_field {
    ($($ty:ty => $read:ident, $put:ident;)*) => {$(
        impl Field for $ty {
            #[inline]
            fn read(buf: &mut Bytes, _: i16, _: bool, what: &'static str) -> DecodeResult<Self> {
                $read(buf, what)
            }
            #[inline]
            fn write(&self, buf: &mut BytesMut, _: i16, _: bool, _: &'static str) -> EncodeResult {
                buf.$put(*self);
                Ok(())
            }
        }
    )*};
}

fixed_field! {
    i8 => read_i8, put_i8;
    i16 => read_i16, put_i16;
    i32 => read_i32, put_i32;
    i64 => read_i64, put_i64;
    u16 => read_u16, put_u16;
    u32 => read_u32, put_u32;
    f64 => read_f64, put_f64;
}

impl Field for bool {
    fn read(buf: &mut Bytes, _: i16, _: bool, what: &'static str) -> DecodeResult<Self> {
        read_bool(buf, what)
    }
    fn write(&self, buf: &mut BytesMut, _: i16, _: bool, _: &'static str) -> EncodeResult {
        write_bool(buf, *self);
        Ok(())
    }
}

impl Field for Uuid {
    fn read(buf: &mut Bytes, _: i16, _: bool, what: &'static str) -> DecodeResult<Self> {
        read_uuid(buf, what)
    }
    fn write(&self, buf: &mut BytesMut, _: i16, _: bool, _: &'static str) -> EncodeResult {
        write_uuid(buf, self);
        Ok(())
    }
}

impl Field for Option<String> {
    fn read(buf: &mut Bytes, _: i16, flexible: bool, what: &'static str) -> DecodeResult<Self> {
        read_nullable_string(buf, flexible, what)
    }
    fn write(
        &self,
        buf: &mut BytesMut,
        _: i16,
        flexible: bool,
        what: &'static str,
    ) -> EncodeResult {
        write_nullable_string(buf, flexible, self.as_deref(), what)
    }
    fn is_null(&self) -> bool {
        self.is_none()
    }
}

impl Field for String {
    fn read(buf: &mut Bytes, _: i16, flexible: bool, what: &'static str) -> DecodeResult<Self> {
        read_nullable_string(buf, flexible, what)?.ok_or(DecodeError::UnexpectedNull { what })
    }
    fn write(
        &self,
        buf: &mut BytesMut,
        _: i16,
        flexible: bool,
        what: &'static str,
    ) -> EncodeResult {
        write_nullable_string(buf, flexible, Some(self), what)
    }
}

impl Field for Option<Bytes> {
    fn read(buf: &mut Bytes, _: i16, flexible: bool, what: &'static str) -> DecodeResult<Self> {
        read_nullable_bytes(buf, flexible, what)
    }
    fn write(
        &self,
        buf: &mut BytesMut,
        _: i16,
        flexible: bool,
        what: &'static str,
    ) -> EncodeResult {
        write_nullable_bytes(buf, flexible, self.as_deref(), what)
    }
    fn is_null(&self) -> bool {
        self.is_none()
    }
}

impl Field for Bytes {
    fn read(buf: &mut Bytes, _: i16, flexible: bool, what: &'static str) -> DecodeResult<Self> {
        read_nullable_bytes(buf, flexible, what)?.ok_or(DecodeError::UnexpectedNull { what })
    }
    fn write(
        &self,
        buf: &mut BytesMut,
        _: i16,
        flexible: bool,
        what: &'static str,
    ) -> EncodeResult {
        write_nullable_bytes(buf, flexible, Some(self), what)
    }
}

impl<T: Field> Field for Option<Vec<T>> {
    fn read(
        buf: &mut Bytes,
        version: i16,
        flexible: bool,
        what: &'static str,
    ) -> DecodeResult<Self> {
        read_nullable_array(buf, flexible, what, |b| T::read(b, version, flexible, what))
    }
    fn write(
        &self,
        buf: &mut BytesMut,
        version: i16,
        flexible: bool,
        what: &'static str,
    ) -> EncodeResult {
        write_nullable_array(buf, flexible, self.as_deref(), what, |b, item| {
            item.write(b, version, flexible, what)
        })
    }
    fn is_null(&self) -> bool {
        self.is_none()
    }
}

impl<T: Field> Field for Vec<T> {
    fn read(
        buf: &mut Bytes,
        version: i16,
        flexible: bool,
        what: &'static str,
    ) -> DecodeResult<Self> {
        read_nullable_array(buf, flexible, what, |b| T::read(b, version, flexible, what))?
            .ok_or(DecodeError::UnexpectedNull { what })
    }
    fn write(
        &self,
        buf: &mut BytesMut,
        version: i16,
        flexible: bool,
        what: &'static str,
    ) -> EncodeResult {
        write_nullable_array(buf, flexible, Some(self), what, |b, item| {
            item.write(b, version, flexible, what)
        })
    }
}

/// A field whose version range says whether `version` carries it.
#[inline]
pub(crate) fn in_versions(version: i16, min: i16, max: i16) -> bool {
    version >= min && version <= max
}
