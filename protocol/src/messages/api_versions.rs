//! ApiVersions (key 18): which APIs, at which versions, a broker speaks.
//! The first request on every connection.

use bytes::{BufMut, Bytes, BytesMut};

use crate::api::ApiKey;
use crate::message::{
    check_decode_version, check_encode_version, Decode, Encode, Message, Request,
};
use crate::primitives::{
    read_array, read_bool, read_i16, read_i32, read_i64, read_string, read_tagged_fields,
    write_array, write_bool, write_string, DecodeResult, EncodeResult, RawTaggedField,
    TaggedFieldsWriter,
};

/// Asks a broker which APIs and versions it speaks.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ApiVersionsRequest {
    /// The name of the client (v3+).
    pub client_software_name: String,
    /// The version of the client (v3+).
    pub client_software_version: String,
    /// Tagged fields this crate does not know.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Message for ApiVersionsRequest {
    const NAME: &'static str = "ApiVersionsRequest";
    const API_KEY: ApiKey = ApiKey::ApiVersions;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 4;
    const FLEXIBLE_FROM: Option<i16> = Some(3);
}

impl Request for ApiVersionsRequest {
    type Response = ApiVersionsResponse;
}

impl Encode for ApiVersionsRequest {
    fn encode(&self, buf: &mut BytesMut, version: i16) -> EncodeResult {
        check_encode_version::<Self>(version)?;
        let flexible = Self::is_flexible(version);
        if version >= 3 {
            write_string(
                buf,
                flexible,
                &self.client_software_name,
                "ApiVersionsRequest.client_software_name",
            )?;
            write_string(
                buf,
                flexible,
                &self.client_software_version,
                "ApiVersionsRequest.client_software_version",
            )?;
        }
        if flexible {
            TaggedFieldsWriter::new().finish(buf, &self.unknown_tagged_fields)?;
        }
        Ok(())
    }
}

impl Decode for ApiVersionsRequest {
    fn decode(buf: &mut Bytes, version: i16) -> DecodeResult<Self> {
        check_decode_version::<Self>(version)?;
        let flexible = Self::is_flexible(version);
        let mut this = Self::default();
        if version >= 3 {
            this.client_software_name =
                read_string(buf, flexible, "ApiVersionsRequest.client_software_name")?;
            this.client_software_version =
                read_string(buf, flexible, "ApiVersionsRequest.client_software_version")?;
        }
        if flexible {
            this.unknown_tagged_fields =
                read_tagged_fields(buf, "ApiVersionsRequest", |_, _| Ok(false))?;
        }
        Ok(this)
    }
}

/// The APIs and versions a broker speaks, and its features.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ApiVersionsResponse {
    /// The top-level error code.
    pub error_code: i16,
    /// The APIs the broker supports.
    pub api_keys: Vec<ApiVersion>,
    /// Quota throttle time in milliseconds (v1+).
    pub throttle_time_ms: i32,
    /// Features the broker supports (v3+, tag 0).
    pub supported_features: Vec<SupportedFeatureKey>,
    /// The epoch of the finalized features, -1 if unknown (v3+, tag 1).
    pub finalized_features_epoch: i64,
    /// Cluster-wide finalized features (v3+, tag 2).
    pub finalized_features: Vec<FinalizedFeatureKey>,
    /// Set by a KRaft controller ready for ZK migration (v3+, tag 3).
    pub zk_migration_ready: bool,
    /// Tagged fields this crate does not know.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for ApiVersionsResponse {
    fn default() -> Self {
        Self {
            error_code: 0,
            api_keys: Vec::new(),
            throttle_time_ms: 0,
            supported_features: Vec::new(),
            finalized_features_epoch: -1,
            finalized_features: Vec::new(),
            zk_migration_ready: false,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl Message for ApiVersionsResponse {
    const NAME: &'static str = "ApiVersionsResponse";
    const API_KEY: ApiKey = ApiKey::ApiVersions;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 4;
    const FLEXIBLE_FROM: Option<i16> = Some(3);
}

impl Encode for ApiVersionsResponse {
    fn encode(&self, buf: &mut BytesMut, version: i16) -> EncodeResult {
        check_encode_version::<Self>(version)?;
        let flexible = Self::is_flexible(version);
        buf.put_i16(self.error_code);
        write_array(
            buf,
            flexible,
            &self.api_keys,
            "ApiVersionsResponse.api_keys",
            |b, k| k.encode(b, version),
        )?;
        if version >= 1 {
            buf.put_i32(self.throttle_time_ms);
        }
        if flexible {
            let mut tagged = TaggedFieldsWriter::new();
            if !self.supported_features.is_empty() {
                tagged.field(0, |b| {
                    write_array(
                        b,
                        true,
                        &self.supported_features,
                        "ApiVersionsResponse.supported_features",
                        |b, f| f.encode(b, version),
                    )
                })?;
            }
            if self.finalized_features_epoch != -1 {
                tagged.field(1, |b| {
                    b.put_i64(self.finalized_features_epoch);
                    Ok(())
                })?;
            }
            if !self.finalized_features.is_empty() {
                tagged.field(2, |b| {
                    write_array(
                        b,
                        true,
                        &self.finalized_features,
                        "ApiVersionsResponse.finalized_features",
                        |b, f| f.encode(b, version),
                    )
                })?;
            }
            if self.zk_migration_ready {
                tagged.field(3, |b| {
                    write_bool(b, true);
                    Ok(())
                })?;
            }
            tagged.finish(buf, &self.unknown_tagged_fields)?;
        }
        Ok(())
    }
}

impl Decode for ApiVersionsResponse {
    fn decode(buf: &mut Bytes, version: i16) -> DecodeResult<Self> {
        check_decode_version::<Self>(version)?;
        let flexible = Self::is_flexible(version);
        let mut this = Self {
            error_code: read_i16(buf, "ApiVersionsResponse.error_code")?,
            api_keys: read_array(buf, flexible, "ApiVersionsResponse.api_keys", |b| {
                ApiVersion::decode(b, version)
            })?,
            ..Self::default()
        };
        if version >= 1 {
            this.throttle_time_ms = read_i32(buf, "ApiVersionsResponse.throttle_time_ms")?;
        }
        if flexible {
            this.unknown_tagged_fields =
                read_tagged_fields(buf, "ApiVersionsResponse", |tag, b| {
                    match tag {
                        0 => {
                            this.supported_features = read_array(
                                b,
                                true,
                                "ApiVersionsResponse.supported_features",
                                |b| SupportedFeatureKey::decode(b, version),
                            )?
                        }
                        1 => {
                            this.finalized_features_epoch =
                                read_i64(b, "ApiVersionsResponse.finalized_features_epoch")?
                        }
                        2 => {
                            this.finalized_features = read_array(
                                b,
                                true,
                                "ApiVersionsResponse.finalized_features",
                                |b| FinalizedFeatureKey::decode(b, version),
                            )?
                        }
                        3 => {
                            this.zk_migration_ready =
                                read_bool(b, "ApiVersionsResponse.zk_migration_ready")?
                        }
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
        }
        Ok(this)
    }
}

/// One API a broker supports and its version range.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ApiVersion {
    /// The API key.
    pub api_key: i16,
    /// The lowest supported version, inclusive.
    pub min_version: i16,
    /// The highest supported version, inclusive.
    pub max_version: i16,
    /// Tagged fields this crate does not know.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Encode for ApiVersion {
    fn encode(&self, buf: &mut BytesMut, version: i16) -> EncodeResult {
        buf.put_i16(self.api_key);
        buf.put_i16(self.min_version);
        buf.put_i16(self.max_version);
        if version >= 3 {
            TaggedFieldsWriter::new().finish(buf, &self.unknown_tagged_fields)?;
        }
        Ok(())
    }
}

impl Decode for ApiVersion {
    fn decode(buf: &mut Bytes, version: i16) -> DecodeResult<Self> {
        let mut this = Self {
            api_key: read_i16(buf, "ApiVersion.api_key")?,
            min_version: read_i16(buf, "ApiVersion.min_version")?,
            max_version: read_i16(buf, "ApiVersion.max_version")?,
            unknown_tagged_fields: Vec::new(),
        };
        if version >= 3 {
            this.unknown_tagged_fields = read_tagged_fields(buf, "ApiVersion", |_, _| Ok(false))?;
        }
        Ok(this)
    }
}

/// A feature a broker supports and its version range (v3+).
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SupportedFeatureKey {
    /// The feature's name.
    pub name: String,
    /// The lowest supported version.
    pub min_version: i16,
    /// The highest supported version.
    pub max_version: i16,
    /// Tagged fields this crate does not know.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Encode for SupportedFeatureKey {
    fn encode(&self, buf: &mut BytesMut, _version: i16) -> EncodeResult {
        write_string(buf, true, &self.name, "SupportedFeatureKey.name")?;
        buf.put_i16(self.min_version);
        buf.put_i16(self.max_version);
        TaggedFieldsWriter::new().finish(buf, &self.unknown_tagged_fields)
    }
}

impl Decode for SupportedFeatureKey {
    fn decode(buf: &mut Bytes, _version: i16) -> DecodeResult<Self> {
        Ok(Self {
            name: read_string(buf, true, "SupportedFeatureKey.name")?,
            min_version: read_i16(buf, "SupportedFeatureKey.min_version")?,
            max_version: read_i16(buf, "SupportedFeatureKey.max_version")?,
            unknown_tagged_fields: read_tagged_fields(buf, "SupportedFeatureKey", |_, _| {
                Ok(false)
            })?,
        })
    }
}

/// A cluster-wide finalized feature (v3+).
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FinalizedFeatureKey {
    /// The feature's name.
    pub name: String,
    /// The finalized max version level.
    pub max_version_level: i16,
    /// The finalized min version level.
    pub min_version_level: i16,
    /// Tagged fields this crate does not know.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Encode for FinalizedFeatureKey {
    fn encode(&self, buf: &mut BytesMut, _version: i16) -> EncodeResult {
        write_string(buf, true, &self.name, "FinalizedFeatureKey.name")?;
        buf.put_i16(self.max_version_level);
        buf.put_i16(self.min_version_level);
        TaggedFieldsWriter::new().finish(buf, &self.unknown_tagged_fields)
    }
}

impl Decode for FinalizedFeatureKey {
    fn decode(buf: &mut Bytes, _version: i16) -> DecodeResult<Self> {
        Ok(Self {
            name: read_string(buf, true, "FinalizedFeatureKey.name")?,
            max_version_level: read_i16(buf, "FinalizedFeatureKey.max_version_level")?,
            min_version_level: read_i16(buf, "FinalizedFeatureKey.min_version_level")?,
            unknown_tagged_fields: read_tagged_fields(buf, "FinalizedFeatureKey", |_, _| {
                Ok(false)
            })?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::{check_roundtrip, check_version_bounds};

    #[test]
    fn request_roundtrips_every_version() {
        for version in 0..=4 {
            let mut m = ApiVersionsRequest::default();
            if version >= 3 {
                m.client_software_name = "ferrokafka".into();
                m.client_software_version = "0.1.0".into();
            }
            check_roundtrip(&m, version);
        }
        check_version_bounds::<ApiVersionsRequest>();
    }

    #[test]
    fn response_roundtrips_every_version() {
        for version in 0..=4 {
            let mut m = ApiVersionsResponse {
                error_code: 35,
                api_keys: vec![ApiVersion {
                    api_key: 3,
                    min_version: 0,
                    max_version: 13,
                    unknown_tagged_fields: vec![],
                }],
                ..Default::default()
            };
            if version >= 1 {
                m.throttle_time_ms = 250;
            }
            if version >= 3 {
                m.supported_features = vec![SupportedFeatureKey {
                    name: "kraft.version".into(),
                    min_version: 0,
                    max_version: 1,
                    unknown_tagged_fields: vec![],
                }];
                m.finalized_features_epoch = 42;
                m.finalized_features = vec![FinalizedFeatureKey {
                    name: "metadata.version".into(),
                    max_version_level: 27,
                    min_version_level: 27,
                    unknown_tagged_fields: vec![],
                }];
                m.zk_migration_ready = true;
                m.unknown_tagged_fields = vec![RawTaggedField {
                    tag: 9,
                    data: Bytes::from_static(b"xyz"),
                }];
            }
            check_roundtrip(&m, version);
        }
        check_version_bounds::<ApiVersionsResponse>();
    }
}
