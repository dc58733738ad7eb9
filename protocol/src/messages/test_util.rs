//! Checks every message module runs on its own values.

use bytes::{Bytes, BytesMut};

use crate::message::{decode_body, Message};

/// Encodes `message` at `version`, checks it decodes back equal, that it
/// re-encodes to the same bytes, and that every strict prefix of the
/// encoding is refused with an error (never a panic).
pub(crate) fn check_roundtrip<M: Message>(message: &M, version: i16) {
    let mut buf = BytesMut::new();
    message
        .encode(&mut buf, version)
        .unwrap_or_else(|e| panic!("{} v{version} encodes: {e}", M::NAME));
    let bytes = buf.freeze();
    let back: M = decode_body(bytes.clone(), version)
        .unwrap_or_else(|e| panic!("{} v{version} decodes: {e}", M::NAME));
    assert_eq!(&back, message, "{} v{version} round trip", M::NAME);
    let mut again = BytesMut::new();
    back.encode(&mut again, version)
        .unwrap_or_else(|e| panic!("{} v{version} re-encodes: {e}", M::NAME));
    assert_eq!(&again[..], &bytes[..], "{} v{version} re-encode", M::NAME);
    for cut in 0..bytes.len() {
        let prefix: Bytes = bytes.slice(..cut);
        assert!(
            decode_body::<M>(prefix, version).is_err(),
            "{} v{version}: a {cut}-byte prefix of {} bytes decoded",
            M::NAME,
            bytes.len()
        );
    }
}

/// Checks that `M` refuses versions outside its range in both directions.
pub(crate) fn check_version_bounds<M: Message>() {
    for version in [M::MIN_VERSION - 1, M::MAX_VERSION + 1] {
        let mut buf = BytesMut::new();
        assert!(
            M::default().encode(&mut buf, version).is_err(),
            "{} v{version} encodes",
            M::NAME
        );
        assert!(
            decode_body::<M>(Bytes::new(), version).is_err(),
            "{} v{version} decodes",
            M::NAME
        );
    }
}

/// For a value filled in every field of every version: at each version the
/// crate speaks, what is encoded decodes, re-encodes to the same bytes, and
/// every strict prefix is refused. Fields a version lacks are dropped by
/// the encoder, so the decoded value is compared with itself, re-encoded.
pub(crate) fn check_every_version<M: Message>(filled: impl Fn(i16) -> M) {
    for version in M::MIN_VERSION..=M::MAX_VERSION {
        let message = filled(version);
        let mut buf = BytesMut::new();
        message
            .encode(&mut buf, version)
            .unwrap_or_else(|e| panic!("{} v{version} encodes: {e}", M::NAME));
        let decoded: M = decode_body(buf.clone().freeze(), version)
            .unwrap_or_else(|e| panic!("{} v{version} decodes: {e}", M::NAME));
        check_roundtrip(&decoded, version);
        assert_eq!(decoded, {
            let again: M = decode_body(buf.freeze(), version).expect("decodes twice");
            again
        });
    }
    check_version_bounds::<M>();
}
