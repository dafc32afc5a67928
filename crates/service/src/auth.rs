//! Passwords (argon2id), session and API token secrets (random, stored only as SHA-256).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use rand::RngCore;

pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password has {0} characters; at least 12 are needed")]
    TooShort(usize),
    #[error("the password is longer than 1024 characters")]
    TooLong,
    #[error(
        "the password is too common or too easy to guess ({0}); choose a longer phrase of your own"
    )]
    Common(&'static str),
    #[error("could not hash the password: {0}")]
    Hash(String),
}

/// Checks the password policy and returns an argon2id PHC string (OWASP parameters:
/// m = 19 MiB, t = 2, p = 1).
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort(n));
    }
    if n > 1024 {
        return Err(PasswordError::TooLong);
    }
    if let Some(why) = weakness(password) {
        return Err(PasswordError::Common(why));
    }
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

const COMMON: &str = include_str!("common-passwords.txt");

/// Why a password of sufficient length is still easy to guess, if it is.
pub fn weakness(password: &str) -> Option<&'static str> {
    let lower = password.to_lowercase();
    if COMMON
        .lines()
        .any(|l| !l.starts_with('#') && l.trim() == lower)
    {
        return Some("on the list of common passwords");
    }
    let chars: Vec<char> = lower.chars().collect();
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return Some("fewer than five different characters");
    }
    // A short block repeated ("abcabcabcabc").
    for len in 1..=chars.len() / 2 {
        if chars.len().is_multiple_of(len) && chars.chunks(len).all(|c| c == &chars[..len]) {
            return Some("a repeated pattern");
        }
    }
    // A run up or down the alphabet or the digits ("123456789012" aside, "abcdefghijkl").
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|w| w[1] as i64 - w[0] as i64)
        .collect();
    if steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1) {
        return Some("a sequence");
    }
    None
}

/// A hash of a random password nobody knows, used to spend the same time on unknown accounts
/// as on known ones (no account enumeration by timing).
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&new_secret()).expect("a random secret meets the policy"))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A new random secret: 32 bytes, URL-safe base64 without padding.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored of a secret: its SHA-256, hex.
pub fn hash_secret(secret: &str) -> String {
    store::audit::sha256_hex(secret)
}

/// A readable random password for printed demo logins (16 characters, no look-alikes).
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_password("korrekt häst batteri").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("korrekt häst batteri", &h));
        assert!(!verify_password("korrekt hast batteri", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(!verify_password("anything at all", dummy_hash()));
    }

    #[test]
    fn policy() {
        assert_eq!(hash_password("kort"), Err(PasswordError::TooShort(4)));
        for weak in [
            "123456789012",
            "Lösenord1234",
            "SOMMAR2024!!",
            "aaaaaaaaaaaaaaa",
            "abababababab",
            "abcabcabcabc",
            "abcdefghijklmn",
            "zyxwvutsrqpo",
        ] {
            assert!(
                matches!(hash_password(weak), Err(PasswordError::Common(_))),
                "{weak} accepted"
            );
        }
        for fine in [
            "korrekt häst batteri",
            "Tre gula bilar på torget",
            "mKz7-pQ2x-Lw9r",
        ] {
            assert_eq!(weakness(fine), None, "{fine} refused");
        }
        assert!(hash_password(&"x".repeat(1025)).is_err());
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret();
        assert_ne!(a, new_secret());
        assert_eq!(a.len(), 43);
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let p = new_password();
        assert_eq!(p.chars().count(), 16);
        assert!(hash_password(&p).is_ok());
    }
}
