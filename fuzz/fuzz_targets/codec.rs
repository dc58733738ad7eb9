//! Each codec's decompressor on any input (the first byte picks the
//! codec), under a 1 MiB cap; what decompresses must survive our own
//! compress/decompress round trip.
#![no_main]

use ferrokafka_protocol::records::{compress, decompress, Compression};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, payload)) = data.split_first() else {
        return;
    };
    let codec = match pick % 4 {
        0 => Compression::Gzip,
        1 => Compression::Snappy,
        2 => Compression::Lz4,
        _ => Compression::Zstd,
    };
    let limit = 1 << 20;
    if let Ok(plain) = decompress(codec, payload, limit) {
        assert!(plain.len() <= limit);
        let packed = compress(codec, &plain).expect("compresses");
        assert_eq!(
            decompress(codec, &packed, limit).expect("round trip"),
            plain
        );
    }
});
