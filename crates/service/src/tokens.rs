//! API tokens: made for a user with a name and an expiry (at most a year), only once the
//! user has the second factor their role requires; listed and revoked by the owner and the
//! administrator. The store ends a user's tokens on a password change or reset, when the
//! account is disabled, its role changes or its second factor is reset.

use jiff::{SignedDuration, Timestamp};
use model::Role;
use store::{NewApiToken, Store, StoreError, User, UserId};

/// A token lives this many days unless asked otherwise, and at most `MAX_DAYS`.
pub const DEFAULT_DAYS: i64 = 90;
pub const MAX_DAYS: i64 = 365;
/// The longest name of a token.
pub const MAX_NAME: usize = 80;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("a token lives 1 to {MAX_DAYS} days, not {0}")]
    Days(i64),
    #[error("a token needs a name of 1 to {MAX_NAME} characters without control characters: {0:?}")]
    Name(String),
    #[error(
        "{0} has the role {1}, which signs in with two-step verification: set it up (sign in \
         once) before a token is made"
    )]
    SecondFactorFirst(String, Role),
    #[error("{0} is disabled")]
    Disabled(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Makes a token for `user` and returns its secret (shown once, stored only as a hash).
pub async fn issue(
    store: &dyn Store,
    user: &User,
    name: &str,
    days: i64,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<String, TokenError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(TokenError::Name(name.to_string()));
    }
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(TokenError::Days(days));
    }
    if user.disabled {
        return Err(TokenError::Disabled(user.email.to_string()));
    }
    if user.role.requires_second_factor() && !user.mfa_enabled {
        return Err(TokenError::SecondFactorFirst(
            user.email.to_string(),
            user.role,
        ));
    }
    let secret = crate::auth::new_secret();
    store
        .create_api_token(&NewApiToken {
            token_hash: crate::auth::hash_secret(&secret),
            tenant_id: user.tenant_id,
            user_id: user.id,
            label: name.to_string(),
            created_at: now,
            expires_at: now + SignedDuration::from_hours(24 * days),
            by,
        })
        .await?;
    Ok(secret)
}
