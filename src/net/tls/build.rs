//! Builds the rustls configuration from the `ssl.*` settings: trusted CAs,
//! the client certificate and key, and how strictly the broker's
//! certificate is checked.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::RootCertStore;
use tracing::debug;

use super::pkcs12;
use super::verify::{AnyCertificate, ChainOnly};
use crate::config::{ConfigError, SslConfig};

/// The rustls configuration `ssl` describes.
pub(super) fn client_config(ssl: &SslConfig) -> Result<rustls::ClientConfig, ConfigError> {
    let provider = super::provider()?;
    let verifier: Arc<dyn ServerCertVerifier> = if ssl.verify_certificate {
        let roots = Arc::new(trusted_roots(ssl)?);
        let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| ConfigError::Conflict(format!("the trusted CAs are not usable: {e}")))?;
        if ssl.verify_hostname {
            webpki
        } else {
            Arc::new(ChainOnly { inner: webpki })
        }
    } else {
        Arc::new(AnyCertificate {
            provider: provider.clone(),
        })
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::Conflict(format!("TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match client_identity(ssl)? {
        None => Ok(builder.with_no_client_auth()),
        Some((chain, key)) => builder.with_client_auth_cert(chain, key).map_err(|e| {
            ConfigError::Conflict(format!(
                "the client certificate and key do not go together: {e}"
            ))
        }),
    }
}

fn invalid(name: &str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::InvalidValue {
        name: name.to_owned(),
        value: value.to_owned(),
        reason: reason.into(),
    }
}

/// The CAs to trust: those of `ssl.ca.location` and `ssl.ca.pem`, or the
/// system's when neither is given.
fn trusted_roots(ssl: &SslConfig) -> Result<RootCertStore, ConfigError> {
    let mut roots = RootCertStore::empty();
    let mut add = |certs: Vec<CertificateDer<'static>>, name: &str, value: &str| {
        if certs.is_empty() {
            return Err(invalid(name, value, "no PEM certificate in it"));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| invalid(name, value, format!("not a usable CA certificate: {e}")))?;
        }
        Ok(())
    };
    if let Some(pem) = &ssl.ca_pem {
        add(
            pem_certs(pem.as_bytes(), "ssl.ca.pem", "(PEM)")?,
            "ssl.ca.pem",
            "(PEM)",
        )?;
    }
    if let Some(location) = &ssl.ca_location {
        let shown = location.display().to_string();
        add(ca_location(location)?, "ssl.ca.location", &shown)?;
    }
    if let Some(store) = &ssl.truststore_location {
        let contents = read_store(
            store,
            ssl.truststore_password.as_deref(),
            "ssl.truststore.location",
            "ssl.truststore.password",
        )?;
        let shown = store.display().to_string();
        if contents.certs.is_empty() {
            return Err(invalid(
                "ssl.truststore.location",
                &shown,
                "holds no certificate",
            ));
        }
        let certs = contents
            .certs
            .into_iter()
            .map(|c| CertificateDer::from(c.der))
            .collect();
        add(certs, "ssl.truststore.location", &shown)?;
    }
    if ssl.ca_pem.is_none() && ssl.ca_location.is_none() && ssl.truststore_location.is_none() {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            debug!(error = %e, "reading the system's CA certificates");
        }
        let (added, _ignored) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            return Err(ConfigError::Conflict(
                "no CA certificate: the system's trust store is empty or unreadable; set ssl.ca.location".into(),
            ));
        }
    }
    Ok(roots)
}

/// The certificates of `ssl.ca.location`: a PEM file, or every PEM file of
/// a directory.
fn ca_location(location: &Path) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let shown = location.display().to_string();
    let io = |e: std::io::Error| invalid("ssl.ca.location", &shown, e.to_string());
    if location.is_dir() {
        let mut certs = Vec::new();
        let mut entries: Vec<_> = std::fs::read_dir(location)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        entries.sort();
        for path in entries {
            // Files of other kinds may sit beside the certificates (an
            // OpenSSL hash directory holds CRLs too): only certificates count.
            if let Ok(bytes) = std::fs::read(&path) {
                if let Ok(mut found) = pem_certs(&bytes, "ssl.ca.location", &shown) {
                    certs.append(&mut found);
                }
            }
        }
        Ok(certs)
    } else {
        let bytes = std::fs::read(location).map_err(io)?;
        pem_certs(&bytes, "ssl.ca.location", &shown)
    }
}

fn pem_certs(
    pem: &[u8],
    name: &str,
    value: &str,
) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(name, value, format!("bad PEM: {e}")))
}

type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// The client certificate chain and key, from `ssl.certificate.*` and
/// `ssl.key.*`, when given.
fn client_identity(ssl: &SslConfig) -> Result<Option<Identity>, ConfigError> {
    if let Some(store) = &ssl.keystore_location {
        if ssl.certificate_location.is_some()
            || ssl.certificate_pem.is_some()
            || ssl.key_location.is_some()
            || ssl.key_pem.is_some()
        {
            return Err(ConfigError::Conflict(
                "ssl.keystore.location holds the client certificate and key: do not also set ssl.certificate.* or ssl.key.*".into(),
            ));
        }
        return keystore_identity(store, ssl.keystore_password.as_deref()).map(Some);
    }
    let chain = match (&ssl.certificate_pem, &ssl.certificate_location) {
        (Some(pem), _) => Some(nonempty(
            pem_certs(pem.as_bytes(), "ssl.certificate.pem", "(PEM)")?,
            "ssl.certificate.pem",
            "(PEM)",
        )?),
        (None, Some(path)) => {
            let shown = path.display().to_string();
            let bytes = std::fs::read(path)
                .map_err(|e| invalid("ssl.certificate.location", &shown, e.to_string()))?;
            Some(nonempty(
                pem_certs(&bytes, "ssl.certificate.location", &shown)?,
                "ssl.certificate.location",
                &shown,
            )?)
        }
        (None, None) => None,
    };
    let key = match (&ssl.key_pem, &ssl.key_location) {
        (Some(pem), _) => Some(private_key(
            pem.as_bytes(),
            ssl.key_password.as_deref(),
            "ssl.key.pem",
            "(PEM)",
        )?),
        (None, Some(path)) => {
            let shown = path.display().to_string();
            let bytes = std::fs::read(path)
                .map_err(|e| invalid("ssl.key.location", &shown, e.to_string()))?;
            Some(private_key(
                &bytes,
                ssl.key_password.as_deref(),
                "ssl.key.location",
                &shown,
            )?)
        }
        (None, None) => None,
    };
    match (chain, key) {
        (Some(chain), Some(key)) => Ok(Some((chain, key))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(ConfigError::Conflict(
            "a client certificate needs its key: set ssl.key.location or ssl.key.pem".into(),
        )),
        (None, Some(_)) => Err(ConfigError::Conflict(
            "a client key needs its certificate: set ssl.certificate.location or ssl.certificate.pem".into(),
        )),
    }
}

/// Reads the PKCS#12 store at `path`; errors name `name` (or, for a wrong
/// password, `password_name`).
fn read_store(
    path: &Path,
    password: Option<&str>,
    name: &str,
    password_name: &str,
) -> Result<pkcs12::Contents, ConfigError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| invalid(name, &shown, e.to_string()))?;
    pkcs12::parse(&bytes, password.unwrap_or("")).map_err(|e| match e {
        pkcs12::Pkcs12Error::WrongPassword => invalid(
            password_name,
            "(hidden)",
            format!("cannot open {shown}: {e}"),
        ),
        other => invalid(name, &shown, other.to_string()),
    })
}

/// The client identity in a PKCS#12 key store: its one private key, the
/// certificate paired with it (same `localKeyId`, else the first), then
/// the store's other certificates as the chain.
fn keystore_identity(path: &Path, password: Option<&str>) -> Result<Identity, ConfigError> {
    const NAME: &str = "ssl.keystore.location";
    let shown = path.display().to_string();
    let mut contents = read_store(path, password, NAME, "ssl.keystore.password")?;
    if contents.keys.len() != 1 {
        return Err(invalid(
            NAME,
            &shown,
            format!(
                "holds {} private keys; a client key store needs exactly one",
                contents.keys.len()
            ),
        ));
    }
    let key = contents.keys.remove(0);
    let leaf = contents
        .certs
        .iter()
        .position(|c| c.local_key_id.is_some() && c.local_key_id == key.local_key_id)
        .unwrap_or(0);
    if contents.certs.is_empty() {
        return Err(invalid(NAME, &shown, "holds no certificate for its key"));
    }
    let mut chain = vec![CertificateDer::from(contents.certs.remove(leaf).der)];
    chain.extend(
        contents
            .certs
            .into_iter()
            .map(|c| CertificateDer::from(c.der)),
    );
    Ok((
        chain,
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.der)),
    ))
}

fn nonempty(
    certs: Vec<CertificateDer<'static>>,
    name: &str,
    value: &str,
) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    if certs.is_empty() {
        Err(invalid(name, value, "no PEM certificate in it"))
    } else {
        Ok(certs)
    }
}

/// A PEM private key: PKCS#8 (encrypted with `password` or not), PKCS#1
/// or SEC1.
fn private_key(
    pem: &[u8],
    password: Option<&str>,
    name: &str,
    value: &str,
) -> Result<PrivateKeyDer<'static>, ConfigError> {
    const ENCRYPTED: &[u8] = b"-----BEGIN ENCRYPTED PRIVATE KEY-----";
    if let Some(start) = pem.windows(ENCRYPTED.len()).position(|w| w == ENCRYPTED) {
        let Some(password) = password else {
            return Err(invalid(
                name,
                value,
                "the key is encrypted: set ssl.key.password",
            ));
        };
        const END: &str = "-----END ENCRYPTED PRIVATE KEY-----";
        let text = std::str::from_utf8(&pem[start..])
            .map_err(|_| invalid(name, value, "the PEM is not UTF-8"))?;
        let text = match text.find(END) {
            Some(end) => &text[..end + END.len()],
            None => return Err(invalid(name, value, "the encrypted key's PEM is cut short")),
        };
        let (_, doc) = pkcs8::Document::from_pem(text)
            .map_err(|e| invalid(name, value, format!("bad encrypted PKCS#8 PEM: {e}")))?;
        let info = pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes())
            .map_err(|e| invalid(name, value, format!("bad encrypted PKCS#8 key: {e}")))?;
        let key = info.decrypt(password).map_err(|e| {
            invalid(
                "ssl.key.password",
                "(hidden)",
                format!("cannot decrypt {value}: wrong password or unsupported encryption ({e})"),
            )
        })?;
        return Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            key.as_bytes().to_vec(),
        )));
    }
    if pem
        .windows(b"Proc-Type: 4,ENCRYPTED".len())
        .any(|w| w == b"Proc-Type: 4,ENCRYPTED")
    {
        return Err(invalid(
            name,
            value,
            "legacy OpenSSL key encryption is not supported; convert with `openssl pkcs8 -topk8`",
        ));
    }
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| invalid(name, value, format!("no usable PEM private key: {e}")))
}
