//! Request headers (v1, v2) and response headers (v0, v1).
//!
//! A flexible request version takes header v2, an older one v1; a flexible
//! response takes header v1, an older one v0, except ApiVersionsResponse,
//! which always takes v0 so that a client can read it before it knows what
//! the broker speaks.

use bytes::{BufMut, Bytes, BytesMut};

use crate::api::ApiKey;
use crate::primitives::{
    read_i16, read_i32, read_nullable_string, read_tagged_fields, write_nullable_string,
    DecodeResult, EncodeResult, RawTaggedField, TaggedFieldsWriter,
};

/// The header before every request body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RequestHeader {
    /// The API of the request.
    pub request_api_key: i16,
    /// The version of the request body.
    pub request_api_version: i16,
    /// Echoed in the response, to match the two.
    pub correlation_id: i32,
    /// The client's id, for the broker's logs and quotas.
    pub client_id: Option<String>,
    /// Tagged fields this crate does not know.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl RequestHeader {
    /// The header version for `version` of `api_key`: 2 when flexible.
    pub fn header_version(api_key: ApiKey, version: i16) -> i16 {
        match api_key.support().flexible_from {
            Some(f) if version >= f => 2,
            _ => 1,
        }
    }

    /// Writes the header in `header_version` (1 or 2).
    pub fn encode(&self, buf: &mut BytesMut, header_version: i16) -> EncodeResult {
        buf.put_i16(self.request_api_key);
        buf.put_i16(self.request_api_version);
        buf.put_i32(self.correlation_id);
        // The client id stays a classic string even in header v2.
        write_nullable_string(
            buf,
            false,
            self.client_id.as_deref(),
            "RequestHeader.client_id",
        )?;
        if header_version >= 2 {
            TaggedFieldsWriter::new().finish(buf, &self.unknown_tagged_fields)?;
        }
        Ok(())
    }

    /// Reads a header in `header_version` (1 or 2).
    pub fn decode(buf: &mut Bytes, header_version: i16) -> DecodeResult<Self> {
        let request_api_key = read_i16(buf, "RequestHeader.request_api_key")?;
        let request_api_version = read_i16(buf, "RequestHeader.request_api_version")?;
        let correlation_id = read_i32(buf, "RequestHeader.correlation_id")?;
        let client_id = read_nullable_string(buf, false, "RequestHeader.client_id")?;
        let unknown_tagged_fields = if header_version >= 2 {
            read_tagged_fields(buf, "RequestHeader tagged fields", |_, _| Ok(false))?
        } else {
            Vec::new()
        };
        Ok(Self {
            request_api_key,
            request_api_version,
            correlation_id,
            client_id,
            unknown_tagged_fields,
        })
    }

    /// Reads just the key and version at the front of a request, without
    /// consuming anything, to choose the header version.
    pub fn peek_key_and_version(buf: &Bytes) -> DecodeResult<(i16, i16)> {
        let mut b = buf.clone();
        Ok((
            read_i16(&mut b, "RequestHeader.request_api_key")?,
            read_i16(&mut b, "RequestHeader.request_api_version")?,
        ))
    }
}

/// The header before every response body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ResponseHeader {
    /// The request's correlation id.
    pub correlation_id: i32,
    /// Tagged fields this crate does not know.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl ResponseHeader {
    /// The header version for a response to `version` of `api_key`.
    pub fn header_version(api_key: ApiKey, version: i16) -> i16 {
        if api_key == ApiKey::ApiVersions {
            return 0;
        }
        match api_key.support().flexible_from {
            Some(f) if version >= f => 1,
            _ => 0,
        }
    }

    /// Writes the header in `header_version` (0 or 1).
    pub fn encode(&self, buf: &mut BytesMut, header_version: i16) -> EncodeResult {
        buf.put_i32(self.correlation_id);
        if header_version >= 1 {
            TaggedFieldsWriter::new().finish(buf, &self.unknown_tagged_fields)?;
        }
        Ok(())
    }

    /// Reads a header in `header_version` (0 or 1).
    pub fn decode(buf: &mut Bytes, header_version: i16) -> DecodeResult<Self> {
        let correlation_id = read_i32(buf, "ResponseHeader.correlation_id")?;
        let unknown_tagged_fields = if header_version >= 1 {
            read_tagged_fields(buf, "ResponseHeader tagged fields", |_, _| Ok(false))?
        } else {
            Vec::new()
        };
        Ok(Self {
            correlation_id,
            unknown_tagged_fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_header_v1_matches_the_protocol_guide_layout() {
        let h = RequestHeader {
            request_api_key: 18,
            request_api_version: 3,
            correlation_id: 7,
            client_id: Some("ab".into()),
            unknown_tagged_fields: vec![],
        };
        let mut buf = BytesMut::new();
        h.encode(&mut buf, 2).expect("encodes");
        assert_eq!(&buf[..], &[0, 18, 0, 3, 0, 0, 0, 7, 0, 2, b'a', b'b', 0]);
        let back = RequestHeader::decode(&mut buf.freeze(), 2).expect("decodes");
        assert_eq!(back, h);
    }

    #[test]
    fn api_versions_response_always_takes_header_v0() {
        assert_eq!(ResponseHeader::header_version(ApiKey::ApiVersions, 4), 0);
        assert_eq!(ResponseHeader::header_version(ApiKey::Metadata, 12), 1);
        assert_eq!(ResponseHeader::header_version(ApiKey::Metadata, 8), 0);
        assert_eq!(RequestHeader::header_version(ApiKey::Metadata, 9), 2);
        assert_eq!(RequestHeader::header_version(ApiKey::SaslHandshake, 1), 1);
    }
}
