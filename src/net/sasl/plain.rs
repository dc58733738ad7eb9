//! SASL/PLAIN (RFC 4616): one message, `authzid NUL authcid NUL password`.

/// The single client message of PLAIN, with no authorization id.
pub fn initial_response(username: &str, password: &str) -> Vec<u8> {
    let mut msg = Vec::with_capacity(username.len() + password.len() + 2);
    msg.push(0);
    msg.extend_from_slice(username.as_bytes());
    msg.push(0);
    msg.extend_from_slice(password.as_bytes());
    msg
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_message_layout() {
        assert_eq!(super::initial_response("alice", "s3cr"), b"\0alice\0s3cr");
    }
}
