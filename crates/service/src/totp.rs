//! Second factor: time-based one-time passwords (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits),
//! as authenticator apps use them, and single-use recovery codes.

use base64::Engine;
use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use rand::RngCore;
use sha1::Sha1;

pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;
pub const RECOVERY_CODES: usize = 10;

/// A new shared secret, base32 without padding (what apps accept when typed in).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    BASE32_NOPAD.encode(&bytes)
}

fn hotp(key: &[u8], counter: u64) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[19] & 0x0f) as usize;
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    bin % 10u32.pow(DIGITS)
}

pub fn step_of(t: Timestamp) -> i64 {
    t.as_second().div_euclid(STEP_SECONDS)
}

/// The code for a time step, zero-padded.
pub fn code_at_step(secret: &str, step: i64) -> Option<String> {
    let key = BASE32_NOPAD
        .decode(secret.trim().to_uppercase().as_bytes())
        .ok()?;
    Some(format!(
        "{:0width$}",
        hotp(&key, step as u64),
        width = DIGITS as usize
    ))
}

pub fn code(secret: &str, now: Timestamp) -> Option<String> {
    code_at_step(secret, step_of(now))
}

/// The step the code belongs to, if it is valid now (one step of clock drift allowed) and later
/// than `last_step` (a code is accepted once).
pub fn verify(secret: &str, input: &str, now: Timestamp, last_step: Option<i64>) -> Option<i64> {
    let input: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if input.len() != DIGITS as usize || !input.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now_step = step_of(now);
    [now_step, now_step - 1, now_step + 1]
        .into_iter()
        .find(|step| {
            last_step.is_none_or(|last| *step > last)
                && code_at_step(secret, *step)
                    .is_some_and(|c| constant_eq(c.as_bytes(), input.as_bytes()))
        })
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The otpauth URI apps scan.
pub fn uri(secret: &str, account: &str, issuer: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~@".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

/// The URI as a QR code, an SVG data URI for an `<img>`.
pub fn qr_data_uri(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    Some(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

/// New recovery codes (shown once) and their hashes (stored).
pub fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let s: String = bytes
                .iter()
                .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
                .collect();
            format!("{}-{}", &s[..5], &s[5..])
        })
        .collect();
    let hashes = codes.iter().map(|c| recovery_hash(c)).collect();
    (codes, hashes)
}

/// Recovery codes are compared by hash, ignoring case, spaces and the hyphen.
pub fn recovery_hash(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    crate::auth::hash_secret(&norm)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 secret "12345678901234567890" (8 digits there; the last 6
    /// digits are what a 6-digit code shows).
    #[test]
    fn rfc_6238_vectors() {
        let secret = BASE32_NOPAD.encode(b"12345678901234567890");
        for (t, eight) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
        ] {
            let c = code(&secret, Timestamp::from_second(t).unwrap()).unwrap();
            assert_eq!(c, &eight[2..], "t = {t}");
        }
    }

    #[test]
    fn verify_window_and_replay() {
        let secret = new_secret();
        let now: Timestamp = "2026-11-27T12:00:10Z".parse().unwrap();
        let c = code(&secret, now).unwrap();
        let step = verify(&secret, &c, now, None).unwrap();
        assert_eq!(step, step_of(now));
        assert_eq!(
            verify(&secret, &c, now, Some(step)),
            None,
            "a code is used once"
        );
        let prev = code_at_step(&secret, step_of(now) - 1).unwrap();
        assert!(verify(&secret, &prev, now, None).is_some(), "30 s of drift");
        let old = code_at_step(&secret, step_of(now) - 3).unwrap();
        assert_eq!(
            verify(&secret, &old, now, None).filter(|_| old != c && old != prev),
            None
        );
        assert_eq!(verify(&secret, "12345", now, None), None);
        assert_eq!(verify(&secret, "abcdef", now, None), None);
        assert!(verify(&secret, &format!("{} {}", &c[..3], &c[3..]), now, None).is_some());
    }

    #[test]
    fn recovery_codes_and_qr() {
        let (codes, hashes) = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(
            recovery_hash(&codes[0].to_uppercase().replace('-', " ")),
            hashes[0]
        );
        let uri = uri("JBSWY3DPEHPK3PXP", "anna@kungsor.se", "Lägesbild Kungsör");
        assert!(uri.starts_with(
            "otpauth://totp/L%C3%A4gesbild%20Kungs%C3%B6r:anna@kungsor.se?secret=JBSWY3DPEHPK3PXP"
        ));
        assert!(
            qr_data_uri(&uri)
                .unwrap()
                .starts_with("data:image/svg+xml;base64,")
        );
    }
}
