//! What can go wrong turning bytes into messages and messages into bytes.

/// A decoder refused its input. `what` names the field (or structure) being
/// read when it went wrong, e.g. `"MetadataResponse.brokers.host"`; an
/// error from inside a message comes wrapped in [`DecodeError::At`], whose
/// path says which element of which array, e.g.
/// `MetadataResponse.brokers[1].host`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the field did.
    #[error("truncated {what}: needs {needed} bytes, {remaining} remain")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the input.
        remaining: usize,
    },
    /// A length or count is negative (where null is not allowed) or larger
    /// than the bytes in hand could hold.
    #[error("invalid length {length} for {what}")]
    InvalidLength {
        /// The field being read.
        what: &'static str,
        /// The length or count as read from the wire.
        length: i64,
    },
    /// A null where the schema does not allow one.
    #[error("{what} is null, which this version does not allow")]
    UnexpectedNull {
        /// The field being read.
        what: &'static str,
    },
    /// A string that is not UTF-8.
    #[error("{what} is not valid UTF-8")]
    InvalidUtf8 {
        /// The field being read.
        what: &'static str,
    },
    /// A varint longer than its type allows.
    #[error("varint in {what} is longer than {max_bytes} bytes")]
    VarintTooLong {
        /// The field being read.
        what: &'static str,
        /// The longest encoding the type allows.
        max_bytes: usize,
    },
    /// The message or structure does not exist in this version.
    #[error("{what} has no version {version}")]
    UnsupportedVersion {
        /// The message or structure.
        what: &'static str,
        /// The version asked for.
        version: i16,
    },
    /// Bytes were left over where a structure should have ended exactly.
    #[error("{remaining} trailing bytes after {what}")]
    TrailingData {
        /// The structure that should have ended.
        what: &'static str,
        /// Bytes left unread.
        remaining: usize,
    },
    /// A record batch's CRC32C does not match its contents.
    #[error(
        "record batch CRC mismatch: header says {expected:#010x}, contents give {computed:#010x}"
    )]
    CrcMismatch {
        /// The CRC in the batch header.
        expected: u32,
        /// The CRC computed over the bytes.
        computed: u32,
    },
    /// A value outside what the field allows (an unknown magic byte, codec,
    /// API key...).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// The field being read.
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A compressed payload could not be decompressed.
    #[error("{codec} decompression failed: {reason}")]
    Decompression {
        /// gzip, snappy, lz4 or zstd.
        codec: &'static str,
        /// What the codec reported.
        reason: String,
    },
    /// An error inside a message, with the path of the field it was met
    /// in (see [`DecodeError::path`] and [`DecodeError::root`]).
    #[error("{path}: {error}")]
    At {
        /// Where, e.g. `FetchResponse.responses[2].partitions[0].records`.
        path: String,
        /// What went wrong there.
        error: Box<DecodeError>,
    },
    /// A compressed payload would decompress past the limit.
    #[error("{codec} payload decompresses past the {limit}-byte limit")]
    DecompressedTooLarge {
        /// gzip, snappy, lz4 or zstd.
        codec: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
}

impl DecodeError {
    /// Where in the message it went wrong, e.g.
    /// `FetchResponse.responses[2].partitions[0].records`, when the error
    /// came from inside a message.
    pub fn path(&self) -> Option<&str> {
        match self {
            DecodeError::At { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The error itself, without where.
    pub fn root(&self) -> &DecodeError {
        match self {
            DecodeError::At { error, .. } => error,
            other => other,
        }
    }

    /// The error, met inside the field (or message) `name`: the path
    /// grows by one step as the error propagates outward, so a decode
    /// that succeeds builds no path at all.
    #[cold]
    pub fn in_field(self, name: &'static str) -> DecodeError {
        match self {
            DecodeError::At { path, error } => {
                let sep = if path.starts_with('[') { "" } else { "." };
                DecodeError::At {
                    path: format!("{name}{sep}{path}"),
                    error,
                }
            }
            other => DecodeError::At {
                path: name.to_string(),
                error: Box::new(other),
            },
        }
    }

    /// The error, met in element `index` of an array.
    #[cold]
    pub fn at_index(self, index: usize) -> DecodeError {
        match self {
            DecodeError::At { path, error } => DecodeError::At {
                path: format!("[{index}].{path}"),
                error,
            },
            other => DecodeError::At {
                path: format!("[{index}]"),
                error: Box::new(other),
            },
        }
    }
}

/// An encoder refused a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A string, byte array or array longer than its length prefix can say.
    #[error("{what} is {length} long, more than its encoding allows")]
    TooLong {
        /// The field being written.
        what: &'static str,
        /// Its length.
        length: usize,
    },
    /// A null where the version does not allow one.
    #[error("{what} is null, which this version does not allow")]
    UnexpectedNull {
        /// The field being written.
        what: &'static str,
    },
    /// The message or structure does not exist in this version.
    #[error("{what} has no version {version}")]
    UnsupportedVersion {
        /// The message or structure.
        what: &'static str,
        /// The version asked for.
        version: i16,
    },
    /// A compressor failed.
    #[error("{codec} compression failed: {reason}")]
    Compression {
        /// gzip, snappy, lz4 or zstd.
        codec: &'static str,
        /// What the codec reported.
        reason: String,
    },
}
