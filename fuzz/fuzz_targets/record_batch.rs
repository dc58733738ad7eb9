//! Record batches as a Fetch response carries them. CRC checks are off so
//! that the fuzzer reaches the records; whatever decodes is written again
//! by our writer and must decode to the same records.
#![no_main]

use bytes::Bytes;
use ferrokafka_protocol::records::{
    decode_batches, BatchOptions, DecodeOptions, RecordBatchWriter,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = DecodeOptions {
        max_decompressed: 1 << 20,
        check_crc: false,
    };
    let Ok(batches) = decode_batches(Bytes::copy_from_slice(data), &options) else {
        return;
    };
    for batch in batches.batches {
        let records: Vec<_> = batch.records().collect();
        let Some(first) = records.first() else {
            continue;
        };
        let mut w = RecordBatchWriter::new(BatchOptions {
            compression: batch.compression,
            base_offset: first.offset,
            ..Default::default()
        });
        for r in &records {
            let headers: Vec<(&str, Option<&[u8]>)> = r
                .headers
                .iter()
                .map(|h| (h.key.as_str(), h.value.as_deref()))
                .collect();
            w.append(r.timestamp, r.key.as_deref(), r.value.as_deref(), &headers);
        }
        let bytes = w.finish().expect("re-encodes");
        let again = decode_batches(bytes, &DecodeOptions::default()).expect("our batch decodes");
        let again = &again.batches[0];
        assert_eq!(again.len(), records.len());
        for (a, b) in again.records().zip(&records) {
            assert_eq!((&a.key, &a.value), (&b.key, &b.value));
            // A header key that was not UTF-8 was read leniently (U+FFFD
            // in `key`, its bytes in `raw_key`); the writer takes the
            // lenient string, so the strings and values must match.
            let headers = |r: &ferrokafka_protocol::records::Record| -> Vec<(String, Option<Bytes>)> {
                r.headers
                    .iter()
                    .map(|h| (h.key.clone(), h.value.clone()))
                    .collect()
            };
            assert_eq!(headers(&a), headers(b));
            assert_eq!(a.timestamp, b.timestamp);
        }
    }
});
