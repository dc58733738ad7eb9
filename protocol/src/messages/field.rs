//! How each field type of Kafka's schemas is read and written, so that a
//! message is declared as a list of its fields (see `macros.rs`) rather
//! than as hand-rolled read and write calls.

use std::marker::PhantomData;

use bytes::{BufMut, Bytes, BytesMut};

use crate::primitives::{
    read_bool, read_f64, read_i16, read_i32, read_i64, read_i8, read_nullable_array,
    read_nullable_bytes, read_nullable_string, read_u16, read_u32, read_uuid, write_bool,
    write_len, write_nullable_array, write_nullable_string, write_uuid, DecodeError, DecodeResult,
    EncodeResult, Uuid,
};

/// A value that can stand in a message field. `flexible` selects the
/// compact encodings of flexible versions; `version` is the message's.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Kafka field type",
    label = "unsupported field type",
    note = "a field is i8, i16, i32, i64, u16, u32, f64, bool, Uuid, String, Bytes, a struct declared with `kafka_struct!`, an `Option` of String, Bytes or Vec, or a `Vec` of a field type"
)]
pub trait Field: Sized {
    /// Reads the field.
    fn read(
        buf: &mut Bytes,
        version: i16,
        flexible: bool,
        what: &'static str,
    ) -> DecodeResult<Self>;
    /// Writes the field, handing byte payloads to `sink`.
    fn write_with<S: Sink>(
        &self,
        buf: &mut BytesMut,
        version: i16,
        flexible: bool,
        what: &'static str,
        sink: &mut S,
    ) -> EncodeResult;
    /// Writes the field, payloads and all.
    #[inline]
    fn write(
        &self,
        buf: &mut BytesMut,
        version: i16,
        flexible: bool,
        what: &'static str,
    ) -> EncodeResult {
        self.write_with(buf, version, flexible, what, &mut Inline)
    }
    /// Whether this value is null (only nullable types can be).
    fn is_null(&self) -> bool {
        false
    }
}

/// Where the bytes of `bytes` fields go once their length prefix is
/// written: into the buffer ([`Inline`]), or aside as a slice the caller
/// writes in their place ([`Split`]).
pub trait Sink {
    /// Takes `data`, whose length prefix ends `buf`.
    fn bytes(&mut self, buf: &mut BytesMut, data: &Bytes);
}

/// Byte payloads are copied into the buffer: the ordinary encoding.
#[derive(Debug, Default)]
pub struct Inline;

impl Sink for Inline {
    #[inline]
    fn bytes(&mut self, buf: &mut BytesMut, data: &Bytes) {
        buf.put_slice(data);
    }
}

/// Byte payloads are kept aside: each as where in the buffer it belongs
/// and the bytes themselves, in order.
#[derive(Debug, Default)]
pub struct Split(pub Vec<(usize, Bytes)>);

impl Sink for Split {
    #[inline]
    fn bytes(&mut self, buf: &mut BytesMut, data: &Bytes) {
        self.0.push((buf.len(), data.clone()));
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
            fn write_with<S: Sink>(&self, buf: &mut BytesMut, _: i16, _: bool, _: &'static str, _: &mut S) -> EncodeResult {
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
    fn write_with<S: Sink>(
        &self,
        buf: &mut BytesMut,
        _: i16,
        _: bool,
        _: &'static str,
        _: &mut S,
    ) -> EncodeResult {
        write_bool(buf, *self);
        Ok(())
    }
}

impl Field for Uuid {
    fn read(buf: &mut Bytes, _: i16, _: bool, what: &'static str) -> DecodeResult<Self> {
        read_uuid(buf, what)
    }
    fn write_with<S: Sink>(
        &self,
        buf: &mut BytesMut,
        _: i16,
        _: bool,
        _: &'static str,
        _: &mut S,
    ) -> EncodeResult {
        write_uuid(buf, self);
        Ok(())
    }
}

impl Field for Option<String> {
    fn read(buf: &mut Bytes, _: i16, flexible: bool, what: &'static str) -> DecodeResult<Self> {
        read_nullable_string(buf, flexible, what)
    }
    fn write_with<S: Sink>(
        &self,
        buf: &mut BytesMut,
        _: i16,
        flexible: bool,
        what: &'static str,
        _: &mut S,
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
    fn write_with<S: Sink>(
        &self,
        buf: &mut BytesMut,
        _: i16,
        flexible: bool,
        what: &'static str,
        _: &mut S,
    ) -> EncodeResult {
        write_nullable_string(buf, flexible, Some(self), what)
    }
}

impl Field for Option<Bytes> {
    fn read(buf: &mut Bytes, _: i16, flexible: bool, what: &'static str) -> DecodeResult<Self> {
        read_nullable_bytes(buf, flexible, what)
    }
    fn write_with<S: Sink>(
        &self,
        buf: &mut BytesMut,
        _: i16,
        flexible: bool,
        what: &'static str,
        sink: &mut S,
    ) -> EncodeResult {
        write_len(buf, flexible, true, self.as_ref().map(Bytes::len), what)?;
        if let Some(data) = self {
            sink.bytes(buf, data);
        }
        Ok(())
    }
    fn is_null(&self) -> bool {
        self.is_none()
    }
}

impl Field for Bytes {
    fn read(buf: &mut Bytes, _: i16, flexible: bool, what: &'static str) -> DecodeResult<Self> {
        read_nullable_bytes(buf, flexible, what)?.ok_or(DecodeError::UnexpectedNull { what })
    }
    fn write_with<S: Sink>(
        &self,
        buf: &mut BytesMut,
        _: i16,
        flexible: bool,
        what: &'static str,
        sink: &mut S,
    ) -> EncodeResult {
        write_len(buf, flexible, true, Some(self.len()), what)?;
        sink.bytes(buf, self);
        Ok(())
    }
}

/// A struct declared with `kafka_struct!`, which may then stand in a
/// nullable field as `Option<T>`.
#[doc(hidden)]
pub trait Struct: Field {}

/// A nullable struct: one signed byte, -1 for null and 1 for a struct that
/// follows (Kafka's encoding in every version).
impl<T: Struct> Field for Option<T> {
    fn read(
        buf: &mut Bytes,
        version: i16,
        flexible: bool,
        what: &'static str,
    ) -> DecodeResult<Self> {
        if read_i8(buf, what)? < 0 {
            return Ok(None);
        }
        T::read(buf, version, flexible, what).map(Some)
    }
    fn write_with<S: Sink>(
        &self,
        buf: &mut BytesMut,
        version: i16,
        flexible: bool,
        what: &'static str,
        sink: &mut S,
    ) -> EncodeResult {
        match self {
            None => {
                buf.put_i8(-1);
                Ok(())
            }
            Some(inner) => {
                buf.put_i8(1);
                inner.write_with(buf, version, flexible, what, sink)
            }
        }
    }
    fn is_null(&self) -> bool {
        self.is_none()
    }
}

impl<T: Field> Field for Option<Vec<T>> {
    fn read(
        buf: &mut Bytes,
        version: i16,
        flexible: bool,
        what: &'static str,
    ) -> DecodeResult<Self> {
        read_elements(buf, version, flexible, what)
    }
    fn write_with<S: Sink>(
        &self,
        buf: &mut BytesMut,
        version: i16,
        flexible: bool,
        what: &'static str,
        sink: &mut S,
    ) -> EncodeResult {
        write_nullable_array(buf, flexible, self.as_deref(), what, |b, item| {
            item.write_with(b, version, flexible, what, sink)
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
        read_elements(buf, version, flexible, what)?.ok_or(DecodeError::UnexpectedNull { what })
    }
    fn write_with<S: Sink>(
        &self,
        buf: &mut BytesMut,
        version: i16,
        flexible: bool,
        what: &'static str,
        sink: &mut S,
    ) -> EncodeResult {
        write_nullable_array(buf, flexible, Some(self), what, |b, item| {
            item.write_with(b, version, flexible, what, sink)
        })
    }
}

/// Reads an array's elements; an element's error says which element.
fn read_elements<T: Field>(
    buf: &mut Bytes,
    version: i16,
    flexible: bool,
    what: &'static str,
) -> DecodeResult<Option<Vec<T>>> {
    let mut index = 0;
    read_nullable_array(buf, flexible, what, |b| {
        let element = T::read(b, version, flexible, what).map_err(|e| e.at_index(index));
        index += 1;
        element
    })
}

/// A field whose version range says whether `version` carries it.
#[doc(hidden)]
#[inline]
pub fn in_versions(version: i16, min: i16, max: i16) -> bool {
    version >= min && version <= max
}

/// How the declaration macros reach a field's [`Field`] methods: through
/// [`ViaField`] when the type is a field type, else through
/// [`NotAField`], whose methods are never called because the
/// declaration's own check (`checks::field_type`) has already failed the
/// build with one error at the field. Without it, an unsupported type
/// gives one error per use of the field in the generated code.
#[doc(hidden)]
pub struct Slot<T>(PhantomData<T>);

impl<T> Slot<T> {
    /// The slot of a field of type `T`.
    pub const NEW: Self = Slot(PhantomData);
}

/// [`Field`]'s methods as reached through a [`Slot`].
#[doc(hidden)]
pub trait ViaField<T> {
    /// [`Field::read`].
    fn read(
        &self,
        buf: &mut Bytes,
        version: i16,
        flexible: bool,
        what: &'static str,
    ) -> DecodeResult<T>;
    /// [`Field::write_with`].
    fn write_with<S: Sink>(
        &self,
        value: &T,
        buf: &mut BytesMut,
        version: i16,
        flexible: bool,
        what: &'static str,
        sink: &mut S,
    ) -> EncodeResult;
    /// [`Field::is_null`].
    fn is_null(&self, value: &T) -> bool;
}

impl<T: Field> ViaField<T> for &Slot<T> {
    #[inline(always)]
    fn read(
        &self,
        buf: &mut Bytes,
        version: i16,
        flexible: bool,
        what: &'static str,
    ) -> DecodeResult<T> {
        T::read(buf, version, flexible, what)
    }
    #[inline(always)]
    fn write_with<S: Sink>(
        &self,
        value: &T,
        buf: &mut BytesMut,
        version: i16,
        flexible: bool,
        what: &'static str,
        sink: &mut S,
    ) -> EncodeResult {
        value.write_with(buf, version, flexible, what, sink)
    }
    #[inline(always)]
    fn is_null(&self, value: &T) -> bool {
        value.is_null()
    }
}

/// The fallback of [`ViaField`] for a type that is not a field type.
#[doc(hidden)]
pub trait NotAField<T> {
    /// Never called: the build has already failed.
    fn read(
        &self,
        buf: &mut Bytes,
        version: i16,
        flexible: bool,
        what: &'static str,
    ) -> DecodeResult<T>;
    /// Never called: the build has already failed.
    fn write_with<S: Sink>(
        &self,
        value: &T,
        buf: &mut BytesMut,
        version: i16,
        flexible: bool,
        what: &'static str,
        sink: &mut S,
    ) -> EncodeResult;
    /// Never called: the build has already failed.
    fn is_null(&self, value: &T) -> bool;
}

impl<T> NotAField<T> for Slot<T> {
    fn read(&self, _: &mut Bytes, _: i16, _: bool, what: &'static str) -> DecodeResult<T> {
        Err(DecodeError::Invalid {
            what,
            reason: "not a field type".into(),
        })
    }
    fn write_with<S: Sink>(
        &self,
        _: &T,
        _: &mut BytesMut,
        _: i16,
        _: bool,
        what: &'static str,
        _: &mut S,
    ) -> EncodeResult {
        Err(crate::primitives::EncodeError::UnsupportedVersion { what, version: -1 })
    }
    fn is_null(&self, _: &T) -> bool {
        false
    }
}

/// Compile-time checks of declarations (see `macros.rs`). Each trait holds
/// only for a correct declaration, so a mistake is one unsatisfied bound on
/// a type the declaration wrote, reported there with the message below.
#[doc(hidden)]
pub mod checks {
    use super::Field;

    /// A field's or a message's version range is not empty.
    #[diagnostic::on_unimplemented(
        message = "empty version range: the last version is before the first",
        label = "this declaration's version range is empty"
    )]
    pub trait NonEmptyVersions<const OK: bool> {}
    impl<T: ?Sized> NonEmptyVersions<true> for T {}

    /// A `nullable` field can hold null.
    #[diagnostic::on_unimplemented(
        message = "`nullable` on a field of type `{Self}`, which cannot be null",
        label = "only an `Option` field can be `nullable`"
    )]
    pub trait Nullable {}
    impl<T> Nullable for Option<T> {}

    /// A tagged field exists only in flexible versions.
    #[diagnostic::on_unimplemented(
        message = "tagged field in a version that is not flexible",
        label = "this field has a tag from a version before the message's first flexible version"
    )]
    pub trait TaggedInFlexibleVersions<const OK: bool> {}
    impl<T: ?Sized> TaggedInFlexibleVersions<true> for T {}

    /// No two fields of a struct share a tag.
    #[diagnostic::on_unimplemented(
        message = "two fields with the same tag",
        label = "an earlier field of this struct has this field's tag"
    )]
    pub trait TagOnce<const OK: bool> {}
    impl<T: ?Sized> TagOnce<true> for T {}

    /// `T` is a field type.
    pub const fn field_type<T: Field>() {}
    /// The range is not empty.
    pub const fn non_empty_versions<T: ?Sized + NonEmptyVersions<OK>, const OK: bool>() {}
    /// `T` can be null.
    pub const fn nullable<T: Nullable>() {}
    /// The tagged field starts in a flexible version.
    pub const fn tagged_in_flexible_versions<
        T: ?Sized + TaggedInFlexibleVersions<OK>,
        const OK: bool,
    >() {
    }
    /// The message's range is not empty (the error points at its last
    /// version).
    pub const fn message_versions<const OK: bool>(_: impl NonEmptyVersions<OK> + Copy) {}
    /// No earlier field has this field's tag.
    pub const fn tag_once<T: ?Sized + TagOnce<OK>, const OK: bool>() {}

    /// Whether no field before `name` (in `names`, the fields in order,
    /// beside `tags`, their tags) has the tag `tag`.
    pub const fn first_with_tag(tags: &[i64], names: &[&str], name: &str, tag: i64) -> bool {
        let mut i = 0;
        while i < names.len() && i < tags.len() {
            if same(names[i].as_bytes(), name.as_bytes()) {
                return true;
            }
            if tags[i] == tag {
                return false;
            }
            i += 1;
        }
        true
    }

    const fn same(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
}
