//! Control records: the transaction markers (commit, abort) a
//! transaction coordinator writes into a partition.

use bytes::Bytes;

use crate::primitives::{read_i16, read_i32, DecodeError, DecodeResult};

/// What a control record marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlRecordType {
    /// The transaction was aborted.
    Abort,
    /// The transaction was committed.
    Commit,
    /// A type this crate does not know.
    Unknown(i16),
}

/// A decoded control record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlRecord {
    /// The key's version (0).
    pub version: i16,
    /// Commit or abort.
    pub kind: ControlRecordType,
    /// The coordinator epoch in the value, if the value holds one.
    pub coordinator_epoch: Option<i32>,
}

impl ControlRecord {
    /// Reads a control record from its key and value.
    pub fn parse(key: Option<&Bytes>, value: Option<&Bytes>) -> DecodeResult<ControlRecord> {
        let mut key = key.cloned().ok_or(DecodeError::UnexpectedNull {
            what: "ControlRecord.key",
        })?;
        let version = read_i16(&mut key, "ControlRecord.version")?;
        let kind = match read_i16(&mut key, "ControlRecord.type")? {
            0 => ControlRecordType::Abort,
            1 => ControlRecordType::Commit,
            other => ControlRecordType::Unknown(other),
        };
        let coordinator_epoch = match value.cloned() {
            Some(mut v) if v.len() >= 6 => {
                let _version = read_i16(&mut v, "EndTransactionMarker.version")?;
                Some(read_i32(&mut v, "EndTransactionMarker.coordinator_epoch")?)
            }
            _ => None,
        };
        Ok(ControlRecord {
            version,
            kind,
            coordinator_epoch,
        })
    }
}
