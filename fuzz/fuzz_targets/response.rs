//! Decodes any response body; whatever decodes must re-encode, decode to the
//! same value, and re-encode to the same bytes.
#![no_main]

use bytes::{Bytes, BytesMut};
use ferrokafka_protocol::messages::ResponseBody;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let Some((api_key, version, body)) = common::split(data) else {
        return;
    };
    let Ok(message) = ResponseBody::decode(api_key, version, Bytes::copy_from_slice(body)) else {
        return;
    };
    let mut first = BytesMut::new();
    message
        .encode(&mut first, version)
        .expect("a decoded message re-encodes");
    let again = ResponseBody::decode(api_key, version, first.clone().freeze())
        .expect("our own encoding decodes");
    // Float64 fields (client quotas) may hold NaN, which is not equal to
    // itself: there the value is compared through its debug form, and the
    // bytes below must still be the same bit for bit.
    if again != message {
        assert_eq!(
            format!("{again:?}"),
            format!("{message:?}"),
            "decode(encode(m)) != m"
        );
    }
    let mut second = BytesMut::new();
    again.encode(&mut second, version).expect("re-encodes");
    assert_eq!(first, second, "encoding is not stable");
});
