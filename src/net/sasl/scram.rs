//! SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), client side, as a
//! three-step exchange: [`ScramClient::client_first`], then
//! [`ScramClient::handle_server_first`] gives the client's final message,
//! then [`ScramClient::handle_server_final`] verifies the broker.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

use super::{base64, SaslError};

/// Kafka's own limits on the iteration count (`ScramMechanism`): fewer is
/// weak, more is a way for a hostile server to burn the client's CPU.
const MIN_ITERATIONS: u32 = 4096;
const MAX_ITERATIONS: u32 = 16384;

/// Which hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScramMechanism {
    /// SCRAM-SHA-256.
    Sha256,
    /// SCRAM-SHA-512.
    Sha512,
}

impl ScramMechanism {
    /// The SASL mechanism name.
    pub fn name(self) -> &'static str {
        match self {
            ScramMechanism::Sha256 => "SCRAM-SHA-256",
            ScramMechanism::Sha512 => "SCRAM-SHA-512",
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
            // HMAC takes keys of any length; the error case cannot happen.
            match <M as hmac::digest::KeyInit>::new_from_slice(key) {
                Ok(mut mac) => {
                    mac.update(data);
                    mac.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            }
        }
        match self {
            ScramMechanism::Sha256 => run::<Hmac<Sha256>>(key, data),
            ScramMechanism::Sha512 => run::<Hmac<Sha512>>(key, data),
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramMechanism::Sha256 => Sha256::digest(data).to_vec(),
            ScramMechanism::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    pub(crate) fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            ScramMechanism::Sha256 => {
                let mut out = vec![0u8; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
                out
            }
            ScramMechanism::Sha512 => {
                let mut out = vec![0u8; 64];
                pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iterations, &mut out);
                out
            }
        }
    }
}

enum State {
    Initial,
    SentFirst,
    SentFinal { server_signature: Vec<u8> },
    Done,
}

/// One SCRAM exchange.
pub struct ScramClient {
    mechanism: ScramMechanism,
    username: String,
    password: String,
    nonce: String,
    state: State,
}

impl std::fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramClient")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl ScramClient {
    /// A new exchange with a fresh random nonce.
    pub fn new(
        mechanism: ScramMechanism,
        username: &str,
        password: &str,
    ) -> Result<Self, SaslError> {
        let mut raw = [0u8; 24];
        getrandom::fill(&mut raw).map_err(|e| SaslError::Failed {
            mechanism: mechanism.name(),
            reason: format!("no randomness for the nonce: {e}"),
        })?;
        Ok(Self::with_nonce(
            mechanism,
            username,
            password,
            &base64::encode(&raw),
        ))
    }

    /// A new exchange with the given nonce (for recorded test exchanges).
    pub fn with_nonce(
        mechanism: ScramMechanism,
        username: &str,
        password: &str,
        nonce: &str,
    ) -> Self {
        Self {
            mechanism,
            username: username.to_owned(),
            password: password.to_owned(),
            nonce: nonce.to_owned(),
            state: State::Initial,
        }
    }

    fn client_first_bare(&self) -> String {
        let name = self.username.replace('=', "=3D").replace(',', "=2C");
        format!("n={name},r={}", self.nonce)
    }

    fn malformed(&self, reason: impl Into<String>) -> SaslError {
        SaslError::Malformed {
            mechanism: self.mechanism.name(),
            reason: reason.into(),
        }
    }

    /// The client's first message.
    pub fn client_first(&mut self) -> Vec<u8> {
        self.state = State::SentFirst;
        format!("n,,{}", self.client_first_bare()).into_bytes()
    }

    /// Takes the server's first message; returns the client's final one.
    pub fn handle_server_first(&mut self, message: &[u8]) -> Result<Vec<u8>, SaslError> {
        if !matches!(self.state, State::SentFirst) {
            return Err(self.malformed("server-first-message out of turn"));
        }
        let text = std::str::from_utf8(message).map_err(|_| self.malformed("not UTF-8"))?;
        let (mut nonce, mut salt, mut iterations) = (None, None, None);
        for attr in text.split(',') {
            match attr.split_once('=') {
                Some(("r", v)) => nonce = Some(v),
                Some(("s", v)) => salt = Some(v),
                Some(("i", v)) => iterations = Some(v),
                Some(("e", v)) => {
                    return Err(SaslError::Failed {
                        mechanism: self.mechanism.name(),
                        reason: v.to_owned(),
                    })
                }
                _ => {}
            }
        }
        let nonce = nonce.ok_or_else(|| self.malformed("no nonce (r=)"))?;
        if !nonce.starts_with(&self.nonce) || nonce.len() == self.nonce.len() {
            return Err(self.malformed("server nonce does not extend the client's"));
        }
        let salt = salt
            .and_then(base64::decode)
            .ok_or_else(|| self.malformed("no valid salt (s=)"))?;
        let iterations: u32 = iterations
            .and_then(|i| i.parse().ok())
            .ok_or_else(|| self.malformed("no valid iteration count (i=)"))?;
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
            return Err(self.malformed(format!(
                "iteration count {iterations} outside {MIN_ITERATIONS}..={MAX_ITERATIONS}"
            )));
        }
        let m = self.mechanism;
        let salted = m.salted_password(self.password.as_bytes(), &salt, iterations);
        let client_key = m.hmac(&salted, b"Client Key");
        let stored_key = m.hash(&client_key);
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{text},{without_proof}", self.client_first_bare());
        let client_signature = m.hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(a, b)| a ^ b)
            .collect();
        let server_key = m.hmac(&salted, b"Server Key");
        let server_signature = m.hmac(&server_key, auth_message.as_bytes());
        self.state = State::SentFinal { server_signature };
        Ok(format!("{without_proof},p={}", base64::encode(&proof)).into_bytes())
    }

    /// Takes the server's final message and checks the server's signature.
    pub fn handle_server_final(&mut self, message: &[u8]) -> Result<(), SaslError> {
        let State::SentFinal { server_signature } = &self.state else {
            return Err(self.malformed("server-final-message out of turn"));
        };
        let text = std::str::from_utf8(message).map_err(|_| self.malformed("not UTF-8"))?;
        if let Some(error) = text.strip_prefix("e=") {
            return Err(SaslError::Failed {
                mechanism: self.mechanism.name(),
                reason: error.to_owned(),
            });
        }
        let verifier = text
            .split(',')
            .find_map(|a| a.strip_prefix("v="))
            .and_then(base64::decode)
            .ok_or_else(|| self.malformed("no verifier (v=)"))?;
        if &verifier != server_signature {
            return Err(SaslError::Failed {
                mechanism: self.mechanism.name(),
                reason: "the server's signature does not verify".into(),
            });
        }
        self.state = State::Done;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SCRAM-SHA-256 exchange of RFC 7677, section 3.
    #[test]
    fn rfc7677_exchange() {
        let mut c = ScramClient::with_nonce(
            ScramMechanism::Sha256,
            "user",
            "pencil",
            "rOprNGfwEbeRWgbNEkqO",
        );
        assert_eq!(c.client_first(), b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let last = c
            .handle_server_first(
                b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            )
            .expect("server-first accepted");
        assert_eq!(
            String::from_utf8(last).expect("utf8"),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        c.handle_server_final(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .expect("server verified");
    }

    #[test]
    fn rejects_a_wrong_server_signature() {
        let mut c = ScramClient::with_nonce(
            ScramMechanism::Sha256,
            "user",
            "pencil",
            "rOprNGfwEbeRWgbNEkqO",
        );
        c.client_first();
        c.handle_server_first(
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        )
        .expect("accepted");
        let err = c
            .handle_server_final(b"v=AAAATRBi23WpRR/wt3nzDe55WdhLvNGqrSXX8wRPYZM=")
            .expect_err("must not verify");
        assert!(matches!(err, SaslError::Failed { .. }));
    }

    #[test]
    fn rejects_hostile_server_first_messages() {
        for bad in [
            &b"r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"[..],
            b"r=abcXYZ,s=!!,i=4096",
            b"r=abcXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4000000000",
            b"r=abcXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=10",
            b"e=unknown-user",
            b"\xff\xfe",
        ] {
            let mut c = ScramClient::with_nonce(ScramMechanism::Sha512, "u", "p", "abc");
            c.client_first();
            assert!(
                c.handle_server_first(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn escapes_username_and_makes_fresh_nonces() {
        let mut c = ScramClient::with_nonce(ScramMechanism::Sha512, "a=b,c", "p", "n");
        assert_eq!(c.client_first(), b"n,,n=a=3Db=2Cc,r=n");
        let a = ScramClient::new(ScramMechanism::Sha256, "u", "p").expect("nonce");
        let b = ScramClient::new(ScramMechanism::Sha256, "u", "p").expect("nonce");
        assert_ne!(a.nonce, b.nonce);
    }
}
