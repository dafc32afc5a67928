//! Secrets kept sealed in the store with the deployment's key: a TOTP secret read out of a
//! stolen database or backup is no use without the key file, which is kept apart from it.
//!
//! The key is 32 random bytes in a file of its own (`serve --key-file`, by default beside an
//! SQLite database as `<db>.key`), made on first start with mode 0600. A sealed value is
//! `sealed:v1:` and base64url of a 24-byte random nonce and the XChaCha20-Poly1305 ciphertext.
//! The store keeps the key's fingerprint (`server_secret("sealing-key")`): a server started
//! with another key refuses to start rather than lock everyone's second factor out.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::path::{Path, PathBuf};

const PREFIX: &str = "sealed:v1:";

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the key file {path} holds {len} bytes; a key is 32")]
    Length { path: PathBuf, len: usize },
    #[error("a sealed value that does not open with this key (it begins {0:?})")]
    Open(String),
    #[error(
        "this database's secrets were sealed with another key (fingerprint {stored}, this key \
         {ours}): start with the key file it was made with (--key-file)"
    )]
    OtherKey { stored: String, ours: String },
}

/// The deployment's key.
#[derive(Clone)]
pub struct Sealer {
    key: [u8; 32],
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer({})", self.fingerprint())
    }
}

impl Default for Sealer {
    /// A key of this process alone (tests, and tools that seal nothing that outlives them).
    fn default() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Sealer { key }
    }
}

impl Sealer {
    pub fn from_bytes(key: [u8; 32]) -> Sealer {
        Sealer { key }
    }

    /// Reads the key file, or makes it (32 random bytes, readable by its owner only) when
    /// there is none.
    pub fn load_or_create(path: &Path) -> Result<Sealer, SealError> {
        let io = |source| SealError::Io {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::read(path) {
            Ok(bytes) => {
                let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| SealError::Length {
                    path: path.to_path_buf(),
                    len: bytes.len(),
                })?;
                Ok(Sealer { key })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let s = Sealer::default();
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                use std::io::Write;
                let mut f = opts.open(path).map_err(io)?;
                f.write_all(&s.key).map_err(io)?;
                f.sync_all().map_err(io)?;
                Ok(s)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Names the key without revealing it.
    pub fn fingerprint(&self) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        mac.update(b"lagesbild sealing key fingerprint");
        data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes()[..8])
    }

    pub fn seal(&self, plain: &str) -> String {
        let cipher = XChaCha20Poly1305::new((&self.key).into());
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(XNonce::from_slice(&nonce), plain.as_bytes())
            .expect("sealing a short text cannot fail");
        let mut out = nonce.to_vec();
        out.extend(ct);
        format!("{PREFIX}{}", data_encoding::BASE64URL_NOPAD.encode(&out))
    }

    /// Whether a stored value is sealed (a value stored before sealing began is not).
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }

    /// The plain text of a stored value: opened when sealed, as it is when stored before
    /// sealing began.
    pub fn open(&self, stored: &str) -> Result<String, SealError> {
        let Some(body) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_string());
        };
        let bad = || SealError::Open(stored.chars().take(16).collect());
        let bytes = data_encoding::BASE64URL_NOPAD
            .decode(body.as_bytes())
            .map_err(|_| bad())?;
        if bytes.len() < 24 {
            return Err(bad());
        }
        let (nonce, ct) = bytes.split_at(24);
        let cipher = XChaCha20Poly1305::new((&self.key).into());
        let plain = cipher
            .decrypt(XNonce::from_slice(nonce), ct)
            .map_err(|_| bad())?;
        String::from_utf8(plain).map_err(|_| bad())
    }
}

/// Checks the store was sealed with this key (recording it when nothing was sealed yet), and
/// seals the TOTP secrets stored before sealing began. Returns how many it sealed.
pub async fn take_over(store: &dyn store::Store, sealer: &Sealer) -> Result<usize, TakeOverError> {
    let ours = sealer.fingerprint();
    let stored = store.server_secret("sealing-key", &ours).await?;
    if stored != ours {
        return Err(SealError::OtherKey { stored, ours }.into());
    }
    let mut sealed = 0;
    for (tenant, user, secret) in store.totp_secrets().await? {
        if !Sealer::is_sealed(&secret) {
            store
                .replace_totp_secret(tenant, user, &secret, &sealer.seal(&secret))
                .await?;
            sealed += 1;
        }
    }
    Ok(sealed)
}

#[derive(Debug, thiserror::Error)]
pub enum TakeOverError {
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_refuses_another_key() {
        let a = Sealer::default();
        let sealed = a.seal("JBSWY3DPEHPK3PXP");
        assert!(Sealer::is_sealed(&sealed));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(
            sealed,
            a.seal("JBSWY3DPEHPK3PXP"),
            "a fresh nonce each time"
        );
        assert_eq!(a.open(&sealed).unwrap(), "JBSWY3DPEHPK3PXP");
        assert_eq!(a.open("JBSWY3DPEHPK3PXP").unwrap(), "JBSWY3DPEHPK3PXP");
        let b = Sealer::default();
        assert!(matches!(b.open(&sealed), Err(SealError::Open(_))));
        assert!(b.open("sealed:v1:AAAA").is_err());
        assert_ne!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn the_key_file_is_made_once_for_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.key");
        let a = Sealer::load_or_create(&path).unwrap();
        let b = Sealer::load_or_create(&path).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, b"short").unwrap();
        assert!(matches!(
            Sealer::load_or_create(&path),
            Err(SealError::Length { len: 5, .. })
        ));
    }
}
