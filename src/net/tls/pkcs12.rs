//! PKCS#12 key and trust stores (RFC 7292), as `openssl pkcs12 -export`
//! and Java's keytool write them: the `ssl.keystore.*` and
//! `ssl.truststore.*` properties.
//!
//! Read by hand over RustCrypto: a small DER reader for the store's
//! structure, the PKCS#12 key derivation (RFC 7292 appendix B) with HMAC
//! for its integrity check, and the `pkcs5`/`pkcs8` crates for the PBES2
//! encryption (PBKDF2 + AES-CBC) of the bags. That is what OpenSSL 3 and
//! Java (since 8u301 / 11.0.12) write by default. The legacy algorithms
//! (SHA-1 + 3DES or RC2-40, `openssl pkcs12 -legacy`, older keytools) are
//! refused with a typed error saying how to convert the store.
//!
//! Nothing here trusts the input: every length is checked against the
//! bytes in hand, nesting is bounded, and decryption never produces more
//! than its ciphertext.

use hmac::{Mac, SimpleHmac};
use pkcs8::der::asn1::ObjectIdentifier;
use sha2::digest::core_api::BlockSizeUser;
use sha2::digest::Digest;

/// What a store holds: private keys (PKCS#8 DER) and certificates (DER),
/// each with its `localKeyId` attribute when it has one.
#[derive(Debug, Default)]
pub(super) struct Contents {
    /// The private keys, decrypted.
    pub(super) keys: Vec<Entry>,
    /// The certificates, in the order of the store.
    pub(super) certs: Vec<Entry>,
}

/// One key or certificate and the id that pairs a key with its certificate.
#[derive(Debug)]
pub(super) struct Entry {
    /// DER bytes.
    pub(super) der: Vec<u8>,
    /// The `localKeyId` attribute, if any.
    pub(super) local_key_id: Option<Vec<u8>>,
}

/// Why a store could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(super) enum Pkcs12Error {
    /// The bytes are not a PKCS#12 store (or one cut short); names the part.
    #[error("not a PKCS#12 store: {0}")]
    Malformed(&'static str),
    /// The integrity check failed or a bag did not decrypt.
    #[error("wrong password (or a damaged store)")]
    WrongPassword,
    /// An algorithm or form this reader does not implement.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

type Result<T> = std::result::Result<T, Pkcs12Error>;

const fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

const DATA: ObjectIdentifier = oid("1.2.840.113549.1.7.1");
const ENCRYPTED_DATA: ObjectIdentifier = oid("1.2.840.113549.1.7.6");
const KEY_BAG: ObjectIdentifier = oid("1.2.840.113549.1.12.10.1.1");
const SHROUDED_KEY_BAG: ObjectIdentifier = oid("1.2.840.113549.1.12.10.1.2");
const CERT_BAG: ObjectIdentifier = oid("1.2.840.113549.1.12.10.1.3");
const SAFE_CONTENTS_BAG: ObjectIdentifier = oid("1.2.840.113549.1.12.10.1.6");
const X509_CERTIFICATE: ObjectIdentifier = oid("1.2.840.113549.1.9.22.1");
const LOCAL_KEY_ID: ObjectIdentifier = oid("1.2.840.113549.1.9.21");
const SHA1: ObjectIdentifier = oid("1.3.14.3.2.26");
const SHA224: ObjectIdentifier = oid("2.16.840.1.101.3.4.2.4");
const SHA256: ObjectIdentifier = oid("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = oid("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = oid("2.16.840.1.101.3.4.2.3");
/// The PKCS#12 password-based encryptions (pbeWithSHAAnd...), arc prefix.
const PKCS12_PBE_ARC: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01];

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const OBJECT_ID: u8 = 0x06;
const EXPLICIT_0: u8 = 0xa0;
const IMPLICIT_0: u8 = 0x80;

/// Bags inside bags (`safeContentsBag`) nest at most this deep.
const MAX_DEPTH: usize = 4;
/// MAC and PBKDF2 iterations above this are refused (a hostile store
/// could ask for billions); OpenSSL and keytool write 2048 to 10000.
const MAX_ITERATIONS: u64 = 10_000_000;

/// Reads the store `der`, checking its MAC and decrypting its bags with
/// `password`.
pub(super) fn parse(der: &[u8], password: &str) -> Result<Contents> {
    let mut top = Der::new(der);
    let pfx = top.expect(SEQUENCE, "PFX")?;
    if !top.is_empty() {
        return Err(Pkcs12Error::Malformed("bytes after the PFX"));
    }
    let mut pfx = Der::new(pfx);
    let version = pfx.expect(INTEGER, "PFX version")?;
    if version != [3] {
        return Err(Pkcs12Error::Unsupported(format!(
            "PFX version {version:?} (only 3 exists)"
        )));
    }
    let mut auth_safe = Der::new(pfx.expect(SEQUENCE, "authSafe")?);
    if auth_safe.oid("authSafe content type")? != DATA {
        return Err(Pkcs12Error::Unsupported(
            "a public-key-signed store (only password-protected ones are read)".into(),
        ));
    }
    let auth_bytes = data_content(&mut auth_safe)?;
    if !pfx.is_empty() {
        verify_mac(pfx.expect(SEQUENCE, "macData")?, auth_bytes, password)?;
    }
    let mut contents = Contents::default();
    let mut infos = Der::new(Der::new(auth_bytes).expect(SEQUENCE, "AuthenticatedSafe")?);
    while !infos.is_empty() {
        let mut info = Der::new(infos.expect(SEQUENCE, "ContentInfo")?);
        let kind = info.oid("ContentInfo type")?;
        let safe_contents = if kind == DATA {
            data_content(&mut info)?.to_vec()
        } else if kind == ENCRYPTED_DATA {
            encrypted_content(&mut info, password)?
        } else {
            return Err(Pkcs12Error::Unsupported(format!(
                "content of type {kind} (only data and encryptedData are read)"
            )));
        };
        read_bags(&safe_contents, password, &mut contents, 0)?;
    }
    Ok(contents)
}

/// The OCTET STRING of a `data` ContentInfo (after its type).
fn data_content<'a>(info: &mut Der<'a>) -> Result<&'a [u8]> {
    let mut content = Der::new(info.expect(EXPLICIT_0, "data content")?);
    match content.next()? {
        (OCTET_STRING, bytes) => Ok(bytes),
        // BER: an OCTET STRING in pieces (Windows writes some this way).
        (0x24, _) => Err(Pkcs12Error::Unsupported(
            "BER-encoded store (constructed OCTET STRING); re-export it with openssl".into(),
        )),
        _ => Err(Pkcs12Error::Malformed(
            "data content is not an OCTET STRING",
        )),
    }
}

/// The decrypted SafeContents of an `encryptedData` ContentInfo.
fn encrypted_content(info: &mut Der<'_>, password: &str) -> Result<Vec<u8>> {
    let mut wrapper = Der::new(info.expect(EXPLICIT_0, "encryptedData content")?);
    let mut data = Der::new(wrapper.expect(SEQUENCE, "EncryptedData")?);
    data.expect(INTEGER, "EncryptedData version")?;
    let mut eci = Der::new(data.expect(SEQUENCE, "EncryptedContentInfo")?);
    eci.oid("EncryptedContentInfo type")?;
    let algorithm = eci.expect_tlv(SEQUENCE, "contentEncryptionAlgorithm")?;
    let ciphertext = match eci.next()? {
        (IMPLICIT_0, bytes) => bytes,
        (0xa0, _) => {
            return Err(Pkcs12Error::Unsupported(
                "BER-encoded store (constructed encryptedContent); re-export it with openssl"
                    .into(),
            ))
        }
        _ => return Err(Pkcs12Error::Malformed("encryptedContent")),
    };
    decrypt(algorithm, ciphertext, password)
}

/// Decrypts `ciphertext` with the algorithm identifier `algorithm` (DER).
fn decrypt(algorithm: &[u8], ciphertext: &[u8], password: &str) -> Result<Vec<u8>> {
    refuse_legacy(algorithm)?;
    let scheme = pkcs8::pkcs5::EncryptionScheme::try_from(algorithm)
        .map_err(|e| Pkcs12Error::Unsupported(format!("bag encryption ({e})")))?;
    // PBES2 with PBKDF2 (what OpenSSL 3 and keytool write), its cost
    // bounded: the store, not the reader, would otherwise choose it.
    let Some(pbkdf2) = scheme.pbes2().and_then(|p| p.kdf.pbkdf2()) else {
        return Err(Pkcs12Error::Unsupported(
            "bag encryption other than PBES2 with PBKDF2".into(),
        ));
    };
    if u64::from(pbkdf2.iteration_count) > MAX_ITERATIONS {
        return Err(Pkcs12Error::Unsupported(format!(
            "{} PBKDF2 iterations",
            pbkdf2.iteration_count
        )));
    }
    scheme.decrypt(password, ciphertext).map_err(|e| match e {
        pkcs8::pkcs5::Error::DecryptFailed => Pkcs12Error::WrongPassword,
        other => Pkcs12Error::Unsupported(format!("bag encryption ({other})")),
    })
}

/// The legacy PKCS#12 encryptions get a message saying how to convert.
fn refuse_legacy(algorithm: &[u8]) -> Result<()> {
    let mut alg = Der::new(Der::new(algorithm).expect(SEQUENCE, "AlgorithmIdentifier")?);
    let (tag, oid) = alg.next()?;
    if tag == OBJECT_ID && oid.starts_with(PKCS12_PBE_ARC) {
        return Err(Pkcs12Error::Unsupported(
            "legacy PKCS#12 encryption (3DES or RC2 with SHA-1); convert the store with \
             `openssl pkcs12 -legacy -in old.p12 -nodes | openssl pkcs12 -export -out new.p12` \
             (AES-256-CBC)"
                .into(),
        ));
    }
    Ok(())
}

/// Reads the SafeBags of `safe_contents` into `out`.
fn read_bags(safe_contents: &[u8], password: &str, out: &mut Contents, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Pkcs12Error::Malformed("bags nested too deep"));
    }
    let mut bags = Der::new(Der::new(safe_contents).expect(SEQUENCE, "SafeContents")?);
    while !bags.is_empty() {
        let mut bag = Der::new(bags.expect(SEQUENCE, "SafeBag")?);
        let kind = bag.oid("SafeBag type")?;
        let mut value = Der::new(bag.expect(EXPLICIT_0, "SafeBag value")?);
        let local_key_id = if bag.is_empty() {
            None
        } else {
            local_key_id(bag.expect(SET, "SafeBag attributes")?)?
        };
        if kind == KEY_BAG {
            let der = value.expect_tlv(SEQUENCE, "PrivateKeyInfo")?.to_vec();
            out.keys.push(Entry { der, local_key_id });
        } else if kind == SHROUDED_KEY_BAG {
            let info = value.expect_tlv(SEQUENCE, "EncryptedPrivateKeyInfo")?;
            let mut parts = Der::new(Der::new(info).expect(SEQUENCE, "EncryptedPrivateKeyInfo")?);
            let algorithm = parts.expect_tlv(SEQUENCE, "key encryption algorithm")?;
            let ciphertext = parts.expect(OCTET_STRING, "encrypted key")?;
            let der = decrypt(algorithm, ciphertext, password)?;
            // The decrypted bytes must be one PrivateKeyInfo.
            let mut check = Der::new(&der);
            check.expect(SEQUENCE, "decrypted PrivateKeyInfo")?;
            if !check.is_empty() {
                return Err(Pkcs12Error::WrongPassword);
            }
            out.keys.push(Entry { der, local_key_id });
        } else if kind == CERT_BAG {
            let mut cert_bag = Der::new(value.expect(SEQUENCE, "CertBag")?);
            if cert_bag.oid("CertBag type")? == X509_CERTIFICATE {
                let mut cert = Der::new(cert_bag.expect(EXPLICIT_0, "CertBag value")?);
                let der = cert.expect(OCTET_STRING, "certificate")?.to_vec();
                out.certs.push(Entry { der, local_key_id });
            }
        } else if kind == SAFE_CONTENTS_BAG {
            let inner = value.expect_tlv(SEQUENCE, "nested SafeContents")?;
            read_bags(inner, password, out, depth + 1)?;
        }
        // CRL, secret and other bags carry nothing TLS needs.
    }
    Ok(())
}

/// The `localKeyId` among a bag's attributes.
fn local_key_id(attributes: &[u8]) -> Result<Option<Vec<u8>>> {
    let mut attributes = Der::new(attributes);
    while !attributes.is_empty() {
        let mut attribute = Der::new(attributes.expect(SEQUENCE, "attribute")?);
        if attribute.oid("attribute type")? == LOCAL_KEY_ID {
            let mut values = Der::new(attribute.expect(SET, "localKeyId values")?);
            return Ok(Some(values.expect(OCTET_STRING, "localKeyId")?.to_vec()));
        }
    }
    Ok(None)
}

/// Checks the store's MAC: HMAC over the AuthenticatedSafe with a key
/// derived from the password (RFC 7292 appendix B, ID 3).
fn verify_mac(mac_data: &[u8], content: &[u8], password: &str) -> Result<()> {
    let mut mac_data = Der::new(mac_data);
    let mut digest_info = Der::new(mac_data.expect(SEQUENCE, "MAC DigestInfo")?);
    let mut algorithm = Der::new(digest_info.expect(SEQUENCE, "MAC algorithm")?);
    let hash = algorithm.oid("MAC digest")?;
    let expected = digest_info.expect(OCTET_STRING, "MAC")?;
    let salt = mac_data.expect(OCTET_STRING, "MAC salt")?;
    let iterations = if mac_data.is_empty() {
        1
    } else {
        uint(mac_data.expect(INTEGER, "MAC iterations")?)?
    };
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(Pkcs12Error::Unsupported(format!(
            "{iterations} MAC iterations"
        )));
    }
    let password = bmp_password(password);
    let ok =
        match hash {
            h if h == SHA256 => {
                mac_matches::<sha2::Sha256>(&password, salt, iterations, content, expected)
            }
            h if h == SHA384 => {
                mac_matches::<sha2::Sha384>(&password, salt, iterations, content, expected)
            }
            h if h == SHA512 => {
                mac_matches::<sha2::Sha512>(&password, salt, iterations, content, expected)
            }
            h if h == SHA224 => {
                mac_matches::<sha2::Sha224>(&password, salt, iterations, content, expected)
            }
            h if h == SHA1 => return Err(Pkcs12Error::Unsupported(
                "a SHA-1 MAC (legacy store); re-export it with `openssl pkcs12 -export` (SHA-256)"
                    .into(),
            )),
            other => return Err(Pkcs12Error::Unsupported(format!("MAC digest {other}"))),
        };
    if ok {
        Ok(())
    } else {
        Err(Pkcs12Error::WrongPassword)
    }
}

fn mac_matches<D>(
    password: &[u8],
    salt: &[u8],
    iterations: u64,
    content: &[u8],
    expected: &[u8],
) -> bool
where
    D: Digest + BlockSizeUser + Clone,
{
    let key = pkcs12_kdf::<D>(password, salt, iterations, 3, <D as Digest>::output_size());
    let Ok(mut mac) = <SimpleHmac<D> as Mac>::new_from_slice(&key) else {
        return false;
    };
    mac.update(content);
    // Constant time: the comparison is `Mac::verify_slice`'s.
    mac.verify_slice(expected).is_ok()
}

/// The password as PKCS#12 wants it for key derivation: UTF-16 big-endian
/// with a two-byte terminator.
fn bmp_password(password: &str) -> Vec<u8> {
    let mut out: Vec<u8> = password.encode_utf16().flat_map(u16::to_be_bytes).collect();
    out.extend_from_slice(&[0, 0]);
    out
}

/// RFC 7292 appendix B.2: `n` bytes of key material of purpose `id` (1 key,
/// 2 IV, 3 MAC) from a BMP password and a salt.
pub(super) fn pkcs12_kdf<D>(
    password: &[u8],
    salt: &[u8],
    iterations: u64,
    id: u8,
    n: usize,
) -> Vec<u8>
where
    D: Digest + BlockSizeUser,
{
    let v = D::block_size();
    let u = <D as Digest>::output_size();
    let repeat = |src: &[u8]| -> Vec<u8> {
        if src.is_empty() {
            return Vec::new();
        }
        let len = v * src.len().div_ceil(v);
        src.iter().copied().cycle().take(len).collect()
    };
    let mut i_block = repeat(salt);
    i_block.extend(repeat(password));
    let d = vec![id; v];
    let mut out = Vec::with_capacity(n + u);
    while out.len() < n {
        let mut a = D::new().chain_update(&d).chain_update(&i_block).finalize();
        for _ in 1..iterations {
            a = D::digest(&a);
        }
        out.extend_from_slice(&a);
        if out.len() >= n {
            break;
        }
        // I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block of I.
        let b: Vec<u8> = a.iter().copied().cycle().take(v).collect();
        for chunk in i_block.chunks_mut(v) {
            let mut carry = 1u16;
            for (x, y) in chunk.iter_mut().zip(&b).rev() {
                let sum = u16::from(*x) + u16::from(*y) + carry;
                *x = sum as u8;
                carry = sum >> 8;
            }
        }
    }
    out.truncate(n);
    out
}

/// A non-negative DER INTEGER that fits in a u64.
fn uint(bytes: &[u8]) -> Result<u64> {
    let bytes = match bytes {
        [0, rest @ ..] => rest,
        [b, ..] if b & 0x80 != 0 => return Err(Pkcs12Error::Malformed("negative integer")),
        b => b,
    };
    if bytes.len() > 8 {
        return Err(Pkcs12Error::Malformed("integer too large"));
    }
    Ok(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// A DER reader over a slice: tag, definite length, value. Only the
/// one-byte tags PKCS#12 uses; lengths are checked against what is left.
struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next element: its tag, its value, and the whole element.
    fn next_tlv(&mut self) -> Result<(u8, &'a [u8], &'a [u8])> {
        let start = self.rest;
        let (&tag, rest) = start
            .split_first()
            .ok_or(Pkcs12Error::Malformed("cut short"))?;
        if tag & 0x1f == 0x1f {
            return Err(Pkcs12Error::Malformed("multi-byte tag"));
        }
        let (&first, mut rest) = rest
            .split_first()
            .ok_or(Pkcs12Error::Malformed("cut short"))?;
        let len = match first {
            0x80 => {
                return Err(Pkcs12Error::Unsupported(
                    "BER indefinite lengths; re-export the store with openssl".into(),
                ))
            }
            l if l < 0x80 => usize::from(l),
            l => {
                let count = usize::from(l & 0x7f);
                if count > 4 || rest.len() < count {
                    return Err(Pkcs12Error::Malformed("bad length"));
                }
                let (digits, after) = rest.split_at(count);
                rest = after;
                digits
                    .iter()
                    .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
            }
        };
        if rest.len() < len {
            return Err(Pkcs12Error::Malformed("cut short"));
        }
        let (value, after) = rest.split_at(len);
        let whole_len = start.len() - after.len();
        self.rest = after;
        Ok((tag, value, &start[..whole_len]))
    }

    fn next(&mut self) -> Result<(u8, &'a [u8])> {
        self.next_tlv().map(|(tag, value, _)| (tag, value))
    }

    /// The value of the next element, which must have tag `tag`.
    fn expect(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8]> {
        self.expect_element(tag, what).map(|(value, _)| value)
    }

    /// The next element whole (tag and length included).
    fn expect_tlv(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8]> {
        self.expect_element(tag, what).map(|(_, whole)| whole)
    }

    fn expect_element(&mut self, tag: u8, what: &'static str) -> Result<(&'a [u8], &'a [u8])> {
        match self.next_tlv() {
            Ok((t, value, whole)) if t == tag => Ok((value, whole)),
            Ok(_) | Err(Pkcs12Error::Malformed(_)) => Err(Pkcs12Error::Malformed(what)),
            Err(e) => Err(e),
        }
    }

    fn oid(&mut self, what: &'static str) -> Result<ObjectIdentifier> {
        let bytes = self.expect(OBJECT_ID, what)?;
        ObjectIdentifier::from_bytes(bytes).map_err(|_| Pkcs12Error::Malformed(what))
    }
}

#[cfg(test)]
#[path = "pkcs12_tests.rs"]
mod tests;
