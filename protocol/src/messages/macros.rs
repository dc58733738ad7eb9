//! Messages are declared as the field lists of Kafka's schemas, transcribed
//! by hand, one line per field:
//!
//! ```text
//! /// The topic's name.
//! name: Option<String> [0, nullable 10],        // versions 0+, null from v10
//! topic_id: Uuid [10],                          // versions 10+
//! throttle_time_ms: i32 [1],
//! cluster_id: Option<String> [12, nullable 12, tag 0],   // tagged field 0
//! session_epoch: i32 [7 to 11] = -1,            // versions 7-11, default -1
//! ```
//!
//! `kafka_struct!` turns such a list into the struct, its `Default` (the
//! schema's defaults) and its reading and writing: fields in schema order,
//! each only in its versions; nulls refused where the version does not
//! allow them; tagged fields in the flexible versions' tagged section,
//! written only when they differ from their default, unknown tags kept.
//! `kafka_message!` adds the top-level traits.
//!
//! A declaration mistake fails the build with one error at the
//! declaration: an empty version range, `nullable` on a type that cannot
//! be null, a tag before the message's first flexible version, two fields
//! with one tag, a type that is not a field type. The checks are bounds
//! on the declared types (`field::checks`), so rustc reports them on the
//! declaration's own tokens; `tests/ui` holds each mistake and its error.
//!
//! A decode error from inside a message carries the path of the field it
//! was met in (`FetchResponse.responses[2].partitions[0].records`), built
//! only while the error propagates.

/// The default of a field: the given expression or `Default::default()`.
macro_rules! default_or {
    () => {
        Default::default()
    };
    ($e:expr) => {
        $e
    };
}

/// The last version of a field: the given one or "to the end".
macro_rules! max_or {
    () => {
        i16::MAX
    };
    ($e:literal) => {
        $e
    };
}

/// The first version in which a field may be null; never by default.
macro_rules! nullable_or {
    () => {
        i16::MAX
    };
    ($e:literal) => {
        $e
    };
}

/// The first flexible version of a message as a number (`none`: never).
macro_rules! flexible_or_never {
    (none) => {
        i16::MAX
    };
    ($e:literal) => {
        $e
    };
}

/// The first flexible version of a message: a number or `none`.
macro_rules! flexible_from {
    (none) => {
        None
    };
    ($e:literal) => {
        Some($e)
    };
}

/// A field's tag, or -1 for a field that is not tagged.
macro_rules! tag_or {
    () => {
        -1i64
    };
    ($e:literal) => {
        $e
    };
}

macro_rules! kafka_struct {
    (
        $(#[$doc:meta])*
        pub struct $name:ident {
            $(
                $(#[$fdoc:meta])*
                $field:ident : $ty:ty [$min:literal $(to $max:literal)? $(, nullable $nmin:literal)? $(, tag $tag:literal)?] $(= $default:expr)?
            ),* $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize))]
        pub struct $name {
            $(
                $(#[$fdoc])*
                pub $field: $ty,
            )*
            /// Tagged fields this crate does not know, kept for re-encoding.
            #[cfg_attr(feature = "serde", serde(skip))]
            pub unknown_tagged_fields: Vec<$crate::primitives::RawTaggedField>,
        }

        // The declaration's checks: each fails the build with one error
        // on the declaration's own tokens (see `field::checks`).
        const _: () = {
            use $crate::messages::field::checks;
            $(
                checks::field_type::<$ty>();
                checks::non_empty_versions::<$ty, { $min <= max_or!($($max)?) }>();
                $(checks::nullable::<$ty>(); let _ = $nmin;)?
            )*
            #[allow(dead_code)]
            const TAGS: &[i64] = &[$(tag_or!($($tag)?)),*];
            #[allow(dead_code)]
            const NAMES: &[&str] = &[$(stringify!($field)),*];
            $(
                $(checks::tag_once::<$ty, { checks::first_with_tag(TAGS, NAMES, stringify!($field), $tag) }>();)?
            )*
        };

        impl Default for $name {
            fn default() -> Self {
                Self {
                    $($field: default_or!($($default)?),)*
                    unknown_tagged_fields: Vec::new(),
                }
            }
        }

        impl $crate::messages::field::Field for $name {
            #[allow(unused_variables, unused_mut)]
            fn read(
                buf: &mut ::bytes::Bytes,
                version: i16,
                flexible: bool,
                _what: &'static str,
            ) -> $crate::primitives::DecodeResult<Self> {
                #[allow(unused_imports)]
                use $crate::messages::field::{in_versions, NotAField, Slot, ViaField};
                let mut this = Self::default();
                $(
                    {
                        const MIN: i16 = $min;
                        const MAX: i16 = max_or!($($max)?);
                        const NULLABLE_FROM: i16 = nullable_or!($($nmin)?);
                        const TAG: i64 = tag_or!($($tag)?);
                        const WHAT: &str = concat!(stringify!($name), ".", stringify!($field));
                        if TAG < 0 && in_versions(version, MIN, MAX) {
                            let slot = &&Slot::<$ty>::NEW;
                            this.$field = slot
                                .read(buf, version, flexible, WHAT)
                                .map_err(|e| e.in_field(stringify!($field)))?;
                            if slot.is_null(&this.$field) && version < NULLABLE_FROM {
                                return Err($crate::primitives::DecodeError::UnexpectedNull { what: WHAT }
                                    .in_field(stringify!($field)));
                            }
                        }
                    }
                )*
                if flexible {
                    let unknown = $crate::primitives::read_tagged_fields(
                        buf,
                        concat!(stringify!($name), " tagged fields"),
                        |tag, b| {
                            $(
                                {
                                    const MIN: i16 = $min;
                                    const MAX: i16 = max_or!($($max)?);
                                    const NULLABLE_FROM: i16 = nullable_or!($($nmin)?);
                                    const TAG: i64 = tag_or!($($tag)?);
                                    const WHAT: &str = concat!(stringify!($name), ".", stringify!($field));
                                    if TAG >= 0 && i64::from(tag) == TAG && in_versions(version, MIN, MAX) {
                                        let slot = &&Slot::<$ty>::NEW;
                                        this.$field = slot
                                            .read(b, version, true, WHAT)
                                            .map_err(|e| e.in_field(stringify!($field)))?;
                                        if slot.is_null(&this.$field) && version < NULLABLE_FROM {
                                            return Err($crate::primitives::DecodeError::UnexpectedNull { what: WHAT }
                                                .in_field(stringify!($field)));
                                        }
                                        return Ok(true);
                                    }
                                }
                            )*
                            Ok(false)
                        },
                    )?;
                    this.unknown_tagged_fields = unknown;
                }
                Ok(this)
            }

            #[allow(unused_variables, unused_mut)]
            fn write_with<S: $crate::messages::field::Sink>(
                &self,
                buf: &mut ::bytes::BytesMut,
                version: i16,
                flexible: bool,
                _what: &'static str,
                sink: &mut S,
            ) -> $crate::primitives::EncodeResult {
                #[allow(unused_imports)]
                use $crate::messages::field::{in_versions, NotAField, Slot, ViaField};
                $(
                    {
                        const MIN: i16 = $min;
                        const MAX: i16 = max_or!($($max)?);
                        const NULLABLE_FROM: i16 = nullable_or!($($nmin)?);
                        const TAG: i64 = tag_or!($($tag)?);
                        const WHAT: &str = concat!(stringify!($name), ".", stringify!($field));
                        if TAG < 0 && in_versions(version, MIN, MAX) {
                            let slot = &&Slot::<$ty>::NEW;
                            if slot.is_null(&self.$field) && version < NULLABLE_FROM {
                                return Err($crate::primitives::EncodeError::UnexpectedNull { what: WHAT });
                            }
                            slot.write_with(&self.$field, buf, version, flexible, WHAT, sink)?;
                        }
                    }
                )*
                if flexible {
                    // Tagged fields are written whole (their bytes go
                    // through a buffer of their own before the section).
                    let mut tagged = $crate::primitives::TaggedFieldsWriter::new();
                    $(
                        {
                            const MIN: i16 = $min;
                            const MAX: i16 = max_or!($($max)?);
                            const NULLABLE_FROM: i16 = nullable_or!($($nmin)?);
                            const TAG: i64 = tag_or!($($tag)?);
                            const WHAT: &str = concat!(stringify!($name), ".", stringify!($field));
                            if TAG >= 0 && in_versions(version, MIN, MAX) {
                                let default: $ty = default_or!($($default)?);
                                if self.$field != default {
                                    let slot = &&Slot::<$ty>::NEW;
                                    if slot.is_null(&self.$field) && version < NULLABLE_FROM {
                                        return Err($crate::primitives::EncodeError::UnexpectedNull { what: WHAT });
                                    }
                                    tagged.field(TAG as u32, |b| {
                                        slot.write_with(&self.$field, b, version, true, WHAT, &mut $crate::messages::field::Inline)
                                    })?;
                                }
                            }
                        }
                    )*
                    tagged.finish(buf, &self.unknown_tagged_fields)?;
                }
                Ok(())
            }
        }

        impl $crate::messages::field::Struct for $name {}
    };
}

macro_rules! kafka_message {
    (
        $(#[$doc:meta])*
        pub struct $name:ident : $api:ident, versions $minv:literal to $maxv:expr, flexible $flex:tt $(, response $resp:ident)? {
            $(
                $(#[$fdoc:meta])*
                $field:ident : $ty:ty [$min:literal $(to $max:literal)? $(, nullable $nmin:literal)? $(, tag $tag:literal)?] $(= $default:expr)?
            ),* $(,)?
        }
    ) => {
        kafka_struct! {
            $(#[$doc])*
            pub struct $name {
                $(
                    $(#[$fdoc])*
                    $field : $ty [$min $(to $max)? $(, nullable $nmin)? $(, tag $tag)?] $(= $default)?
                ),*
            }
        }

        // The message's own checks (see `kafka_struct!`).
        const _: () = {
            use $crate::messages::field::checks;
            checks::message_versions::<{ $minv <= $maxv }>($maxv);
            $(
                $(
                    checks::tagged_in_flexible_versions::<$ty, { $min >= flexible_or_never!($flex) }>();
                    let _ = $tag;
                )?
            )*
        };

        impl $crate::message::Message for $name {
            const NAME: &'static str = stringify!($name);
            const API_KEY: $crate::api::ApiKey = $crate::api::ApiKey::$api;
            const MIN_VERSION: i16 = $minv;
            const MAX_VERSION: i16 = $maxv;
            const FLEXIBLE_FROM: Option<i16> = flexible_from!($flex);
        }

        $(
            impl $crate::message::Request for $name {
                type Response = $resp;
            }
        )?

        impl $crate::message::Encode for $name {
            fn encode(&self, buf: &mut ::bytes::BytesMut, version: i16) -> $crate::primitives::EncodeResult {
                use $crate::message::Message;
                $crate::message::check_encode_version::<Self>(version)?;
                $crate::messages::field::Field::write(self, buf, version, Self::is_flexible(version), Self::NAME)
            }
        }

        impl $crate::message::Decode for $name {
            fn decode(buf: &mut ::bytes::Bytes, version: i16) -> $crate::primitives::DecodeResult<Self> {
                use $crate::message::Message;
                $crate::message::check_decode_version::<Self>(version)?;
                <Self as $crate::messages::field::Field>::read(buf, version, Self::is_flexible(version), Self::NAME)
                    .map_err(|e| e.in_field(Self::NAME))
            }
        }
    };
}
