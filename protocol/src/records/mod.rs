//! Record batches, magic v2: the unit Kafka stores, replicates and ships.
//!
//! [`RecordBatch::decode`] reads one batch (CRC32C checked, records
//! decompressed under a size cap) with keys, values and header values as
//! [`bytes::Bytes`] slices of the input or of the one decompressed buffer
//! of their batch: nothing is copied per record. [`decode_batches`] reads
//! the batches of a Fetch response, where a partial last batch is normal.
//! [`RecordBatchWriter`] encodes records once, straight into the batch
//! buffer, then compresses the records section and fills in the length
//! and CRC.

mod batch;
mod compression;
mod control;
mod lz4;
mod record;
mod writer;

pub use batch::{
    decode_batches, Batches, DecodeOptions, RawBatch, RecordBatch, TimestampType, BATCH_HEADER_LEN,
};
pub use compression::{compress, decompress, Compression, DEFAULT_MAX_DECOMPRESSED};
pub use control::{ControlRecord, ControlRecordType};
pub use record::{Record, RecordHeader};
pub use writer::{BatchOptions, RecordBatchWriter};

#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod tests;
