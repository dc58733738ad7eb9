//! Request and response headers of both versions: decode never panics, and
//! what decodes re-encodes to the bytes it came from.
#![no_main]

use bytes::{Bytes, BytesMut};
use ferrokafka_protocol::{RequestHeader, ResponseHeader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for header_version in [1, 2] {
        let mut input = Bytes::copy_from_slice(data);
        let before = input.len();
        if let Ok(h) = RequestHeader::decode(&mut input, header_version) {
            let used = before - input.len();
            let mut out = BytesMut::new();
            h.encode(&mut out, header_version).expect("re-encodes");
            let mut back = out.clone().freeze();
            let again = RequestHeader::decode(&mut back, header_version).expect("decodes");
            assert_eq!(again, h);
            assert!(out.len() <= used + 8, "header grew on re-encode");
        }
    }
    for header_version in [0, 1] {
        let mut input = Bytes::copy_from_slice(data);
        if let Ok(h) = ResponseHeader::decode(&mut input, header_version) {
            let mut out = BytesMut::new();
            h.encode(&mut out, header_version).expect("re-encodes");
            let again = ResponseHeader::decode(&mut out.freeze(), header_version).expect("decodes");
            assert_eq!(again, h);
        }
    }
});
