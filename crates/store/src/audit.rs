//! The audit trail: an append-only log per tenant whose rows are hash-chained, so that any
//! edit or deletion of a stored row is detected by [`verify`].
//!
//! `hash = SHA-256(prev_hash ␟ tenant ␟ seq ␟ at ␟ user ␟ action ␟ entity ␟ entity_id ␟ before ␟ after)`
//! in lower-case hex, where ␟ is the unit separator U+001F and absent values are empty. The first
//! row of a tenant chains from [`GENESIS`].

use crate::{AuditEntry, TenantId, UserId};
use jiff::Timestamp;
use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[allow(clippy::too_many_arguments)]
pub fn chain_hash(
    prev_hash: &str,
    tenant_id: TenantId,
    seq: i64,
    at: Timestamp,
    user_id: Option<UserId>,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> String {
    let mut h = Sha256::new();
    let sep = [0x1f_u8];
    for part in [
        prev_hash.as_bytes(),
        tenant_id.to_string().as_bytes(),
        seq.to_string().as_bytes(),
        at.as_second().to_string().as_bytes(),
        user_id
            .map(|u| u.to_string())
            .unwrap_or_default()
            .as_bytes(),
        action.as_bytes(),
        entity.as_bytes(),
        entity_id.as_bytes(),
        before.unwrap_or("").as_bytes(),
        after.unwrap_or("").as_bytes(),
    ] {
        h.update(part);
        h.update(sep);
    }
    hex(&h.finalize())
}

/// Lower-case hexadecimal (a table lookup: formatting byte by byte was a tenth of a bulk
/// import's time in the importer).
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

pub fn sha256_hex_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub fn entry_hash(e: &AuditEntry) -> String {
    chain_hash(
        &e.prev_hash,
        e.tenant_id,
        e.seq,
        e.at,
        e.user_id,
        &e.action,
        &e.entity,
        &e.entity_id,
        e.before.as_deref(),
        e.after.as_deref(),
    )
}

/// The first row that breaks the chain, and how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit log of tenant {tenant_id} is broken at row {seq}: {reason}")]
pub struct Broken {
    pub tenant_id: TenantId,
    pub seq: i64,
    pub reason: &'static str,
}

/// Checks rows in `seq` order, continuing from `prev` (the hash of the row before the first,
/// or [`GENESIS`]) and `expected_seq`. Returns the hash of the last row.
pub fn verify<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    mut prev: String,
    mut expected_seq: i64,
) -> Result<String, Broken> {
    for e in entries {
        let broken = |reason| Broken {
            tenant_id: e.tenant_id,
            seq: e.seq,
            reason,
        };
        if e.seq != expected_seq {
            return Err(Broken {
                tenant_id: e.tenant_id,
                seq: expected_seq,
                reason: "row missing (sequence has a gap)",
            });
        }
        if e.prev_hash != prev {
            return Err(broken("its previous hash does not match the row before"));
        }
        if entry_hash(e) != e.hash {
            return Err(broken("its content does not match its hash (edited)"));
        }
        prev = e.hash.clone();
        expected_seq += 1;
    }
    Ok(prev)
}
