//! The PKCS#12 reader against stores made by `openssl pkcs12 -export`
//! (OpenSSL 3.0) and Java 17's keytool, in `testdata/`: a client key, its
//! certificate and the CA (`openssl.p12`, `keytool.p12`, password
//! `store-pass`), the same unencrypted (`plain.p12`), a keytool trust
//! store with the CA (`trust.p12`, `trust-pass`) and a `-legacy` store.

use super::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

const OPENSSL: &[u8] = include_bytes!("testdata/openssl.p12");
const KEYTOOL: &[u8] = include_bytes!("testdata/keytool.p12");
const PLAIN: &[u8] = include_bytes!("testdata/plain.p12");
const TRUST: &[u8] = include_bytes!("testdata/trust.p12");
const LEGACY: &[u8] = include_bytes!("testdata/legacy.p12");

fn pem_cert(pem: &[u8]) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem)
        .expect("PEM certificate")
        .as_ref()
        .to_vec()
}

fn client_cert() -> Vec<u8> {
    pem_cert(include_bytes!("testdata/client.pem"))
}

fn ca_cert() -> Vec<u8> {
    pem_cert(include_bytes!("testdata/ca.pem"))
}

#[test]
fn openssl_and_keytool_key_stores_give_the_key_and_the_chain() {
    for (name, store) in [("openssl", OPENSSL), ("keytool", KEYTOOL), ("plain", PLAIN)] {
        let contents = parse(store, "store-pass").unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(contents.keys.len(), 1, "{name}");
        let key = &contents.keys[0];
        // The key is a PKCS#8 PrivateKeyInfo rustls can load.
        let der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.der.clone().into());
        super::super::provider()
            .expect("provider")
            .key_provider
            .load_private_key(der)
            .unwrap_or_else(|e| panic!("{name}: key not usable: {e}"));
        let certs: Vec<&Vec<u8>> = contents.certs.iter().map(|c| &c.der).collect();
        assert!(
            certs.contains(&&client_cert()),
            "{name}: client certificate"
        );
        if name != "plain" {
            assert!(certs.contains(&&ca_cert()), "{name}: CA certificate");
        }
        // The key's localKeyId points at the client certificate.
        let id = key.local_key_id.as_ref().expect("localKeyId on the key");
        let paired = contents
            .certs
            .iter()
            .find(|c| c.local_key_id.as_ref() == Some(id))
            .expect("a certificate with the key's id");
        assert_eq!(paired.der, client_cert(), "{name}");
    }
}

#[test]
fn a_keytool_trust_store_gives_its_certificates() {
    let contents = parse(TRUST, "trust-pass").expect("trust store");
    assert!(contents.keys.is_empty());
    assert_eq!(contents.certs.len(), 1);
    assert_eq!(contents.certs[0].der, ca_cert());
}

#[test]
fn a_wrong_password_is_named() {
    for store in [OPENSSL, KEYTOOL, TRUST, PLAIN] {
        assert_eq!(
            parse(store, "not-the-password").unwrap_err(),
            Pkcs12Error::WrongPassword
        );
    }
}

#[test]
fn a_legacy_store_is_refused_with_the_way_to_convert_it() {
    match parse(LEGACY, "store-pass") {
        Err(Pkcs12Error::Unsupported(reason)) => {
            assert!(reason.contains("openssl pkcs12"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn damaged_stores_are_errors_never_panics() {
    // Every truncation, and every single-byte change of the first 200
    // bytes (the structure, not only the ciphertext).
    for len in 0..OPENSSL.len() {
        assert!(
            parse(&OPENSSL[..len], "store-pass").is_err(),
            "cut at {len}"
        );
    }
    for at in 0..200.min(PLAIN.len()) {
        let mut bytes = PLAIN.to_vec();
        bytes[at] ^= 0x5a;
        // Some changes still parse (a changed MAC iteration count fails the
        // MAC, a length change may still fit): none may panic.
        let _ = parse(&bytes, "store-pass");
    }
    assert!(parse(b"", "").is_err());
    assert!(parse(b"\x30\x80\x00\x00", "").is_err());
}

#[test]
fn a_changed_byte_in_the_content_fails_the_mac() {
    let mut bytes = PLAIN.to_vec();
    // A byte inside the client certificate (well past the headers).
    let at = bytes
        .windows(8)
        .position(|w| w == &client_cert()[40..48])
        .expect("the certificate is stored in clear");
    bytes[at] ^= 1;
    assert_eq!(
        parse(&bytes, "store-pass").unwrap_err(),
        Pkcs12Error::WrongPassword
    );
}

#[test]
fn the_password_is_derived_from_as_utf16_with_a_terminator() {
    assert_eq!(bmp_password("smeg"), b"\0s\0m\0e\0g\0\0");
    assert_eq!(bmp_password(""), b"\0\0");
    assert_eq!(bmp_password("\u{e9}"), b"\0\xe9\0\0");
}
