//! SaslAuthenticate (key 36): one step of a SASL exchange.

use bytes::Bytes;

kafka_message! {
    /// The client's SASL message.
    pub struct SaslAuthenticateRequest: SaslAuthenticate, versions 0 to 2, flexible 2, response SaslAuthenticateResponse {
        /// The mechanism's bytes.
        auth_bytes: Bytes [0],
    }
}

kafka_message! {
    /// The server's SASL message, or why authentication failed.
    pub struct SaslAuthenticateResponse: SaslAuthenticate, versions 0 to 2, flexible 2 {
        /// The error code, or 0.
        error_code: i16 [0],
        /// The error message.
        error_message: Option<String> [0, nullable 0] = Some(String::new()),
        /// The mechanism's bytes.
        auth_bytes: Bytes [0],
        /// When the session must re-authenticate, in ms, 0 for never (v1+).
        session_lifetime_ms: i64 [1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;
    use crate::{Encode, RawTaggedField};
    use bytes::BytesMut;

    #[test]
    fn request_v0_and_v2_bytes_by_hand() {
        let m = SaslAuthenticateRequest {
            auth_bytes: Bytes::from_static(b"\0u\0p"),
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 0).expect("encodes");
        assert_eq!(&buf[..], b"\0\0\0\x04\0u\0p");
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 2).expect("encodes");
        assert_eq!(&buf[..], b"\x05\0u\0p\0");
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|v| SaslAuthenticateRequest {
            auth_bytes: Bytes::from_static(b"n,,n=user,r=abc"),
            unknown_tagged_fields: if v >= 2 {
                vec![RawTaggedField {
                    tag: 0,
                    data: Bytes::from_static(b"a"),
                }]
            } else {
                vec![]
            },
        });
        check_every_version(|_| SaslAuthenticateResponse {
            error_code: 58,
            error_message: Some("bad credentials".into()),
            auth_bytes: Bytes::from_static(b"v=sig"),
            session_lifetime_ms: 3_600_000,
            ..Default::default()
        });
    }
}
