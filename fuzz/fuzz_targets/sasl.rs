//! SCRAM and PLAIN message handling (`ferrokafka::net::sasl`): the
//! server-first and server-final messages of a SCRAM exchange as a hostile
//! server could send them, after a fixed client-first (the RFC 7677 nonce,
//! so that inputs can extend it). The first byte picks the mechanism; a
//! zero byte separates the two server messages. PLAIN's initial response
//! is built from the same bytes as username and password.
#![no_main]

use ferrokafka::net::sasl::plain;
use ferrokafka::net::sasl::scram::{ScramClient, ScramMechanism};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let mechanism = if pick & 1 == 0 {
        ScramMechanism::Sha256
    } else {
        ScramMechanism::Sha512
    };
    let mut parts = rest.splitn(2, |&b| b == 0);
    let first = parts.next().unwrap_or_default();
    let last = parts.next().unwrap_or_default();
    let mut client = ScramClient::with_nonce(mechanism, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
    let _ = client.client_first();
    if let Ok(reply) = client.handle_server_first(first) {
        assert!(reply.starts_with(b"c=biws,r=rOprNGfwEbeRWgbNEkqO"));
        let _ = client.handle_server_final(last);
    }
    // Out of turn: a second server-first is refused, never a panic.
    assert!(client.handle_server_first(first).is_err());
    let user = String::from_utf8_lossy(first);
    let password = String::from_utf8_lossy(last);
    let message = plain::initial_response(&user, &password);
    assert_eq!(message.len(), 2 + user.len() + password.len());
});
