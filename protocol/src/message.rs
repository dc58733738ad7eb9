//! The traits every message and every nested structure implements.

use bytes::{Bytes, BytesMut};

use crate::api::ApiKey;
use crate::primitives::{DecodeError, DecodeResult, EncodeResult};

/// Writes a value in the wire format of a given version.
pub trait Encode {
    /// Appends `self`, as `version` encodes it, to `buf`.
    fn encode(&self, buf: &mut BytesMut, version: i16) -> EncodeResult;
}

/// Reads a value in the wire format of a given version.
pub trait Decode: Sized {
    /// Reads one value, as `version` encodes it, from the front of `buf`.
    fn decode(buf: &mut Bytes, version: i16) -> DecodeResult<Self>;
}

/// A top-level request or response body of one API.
pub trait Message: Encode + Decode + Default + Clone + std::fmt::Debug + PartialEq {
    /// The schema's name, e.g. `"MetadataRequest"`.
    const NAME: &'static str;
    /// The API this message belongs to.
    const API_KEY: ApiKey;
    /// The lowest version this crate speaks.
    const MIN_VERSION: i16;
    /// The highest version this crate speaks.
    const MAX_VERSION: i16;
    /// The first flexible version (compact encodings and tagged fields), if
    /// any.
    const FLEXIBLE_FROM: Option<i16>;

    /// Whether `version` uses the flexible encodings.
    fn is_flexible(version: i16) -> bool {
        Self::FLEXIBLE_FROM.is_some_and(|v| version >= v)
    }

    /// Whether this crate speaks `version` of the message.
    fn supports(version: i16) -> bool {
        (Self::MIN_VERSION..=Self::MAX_VERSION).contains(&version)
    }
}

/// A request, tied to its response type.
pub trait Request: Message {
    /// The response the broker answers with.
    type Response: Message;
}

/// Decodes a whole message body: the version must be one this crate speaks
/// and the body must end exactly where the message does.
pub fn decode_body<M: Message>(mut body: Bytes, version: i16) -> DecodeResult<M> {
    let message = M::decode(&mut body, version)?;
    if !body.is_empty() {
        return Err(DecodeError::TrailingData {
            what: M::NAME,
            remaining: body.len(),
        });
    }
    Ok(message)
}

/// The check every top-level `decode` starts with.
pub(crate) fn check_decode_version<M: Message>(version: i16) -> DecodeResult<()> {
    if M::supports(version) {
        Ok(())
    } else {
        Err(DecodeError::UnsupportedVersion {
            what: M::NAME,
            version,
        })
    }
}

/// The check every top-level `encode` starts with.
pub(crate) fn check_encode_version<M: Message>(version: i16) -> EncodeResult {
    if M::supports(version) {
        Ok(())
    } else {
        Err(crate::primitives::EncodeError::UnsupportedVersion {
            what: M::NAME,
            version,
        })
    }
}

/// Encodes `message` as [`Encode::encode`] does, except the payload of
/// every `bytes` field outside the tagged sections: its length prefix is
/// written, its bytes are not. Returns where in `buf` each payload belongs
/// and the payloads, in order. Refuses versions the crate does not speak.
pub(crate) fn encode_split<M: Message + crate::messages::field::Field>(
    message: &M,
    buf: &mut BytesMut,
    version: i16,
) -> Result<Vec<(usize, Bytes)>, crate::primitives::EncodeError> {
    use crate::messages::field::Split;
    check_encode_version::<M>(version)?;
    let mut split = Split::default();
    message.write_with(buf, version, M::is_flexible(version), M::NAME, &mut split)?;
    Ok(split.0)
}
