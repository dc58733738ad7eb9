//! SaslHandshake (key 17): the SASL mechanism a connection will use.

kafka_message! {
    /// Names the mechanism.
    pub struct SaslHandshakeRequest: SaslHandshake, versions 0 to 1, flexible none, response SaslHandshakeResponse {
        /// The mechanism, e.g. "SCRAM-SHA-512".
        mechanism: String [0],
    }
}

kafka_message! {
    /// Whether the broker takes it, and what it takes.
    pub struct SaslHandshakeResponse: SaslHandshake, versions 0 to 1, flexible none {
        /// The error code, or 0.
        error_code: i16 [0],
        /// The mechanisms the broker enables.
        mechanisms: Vec<String> [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;
    use crate::Encode;
    use bytes::BytesMut;

    #[test]
    fn request_bytes_by_hand() {
        let m = SaslHandshakeRequest {
            mechanism: "PLAIN".into(),
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 1).expect("encodes");
        assert_eq!(&buf[..], b"\0\x05PLAIN");
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| SaslHandshakeRequest {
            mechanism: "SCRAM-SHA-256".into(),
            ..Default::default()
        });
        check_every_version(|_| SaslHandshakeResponse {
            error_code: 33,
            mechanisms: vec!["PLAIN".into(), "SCRAM-SHA-512".into()],
            ..Default::default()
        });
    }
}
