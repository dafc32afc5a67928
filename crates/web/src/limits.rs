//! Rate limits on sign-in: failures in a sliding window per account *and* client address
//! (five wrong passwords lock that pair, not the account for everyone: one address cannot
//! lock a coordinator out), per client address over all accounts, and per account over all
//! addresses with a much higher bound (guessing spread over many addresses is still slowed).
//! Counted in the store, so that every server on it counts together (the tip page's limits,
//! `tips::TipGuard`, are too).

use jiff::{SignedDuration, Timestamp};
use store::{Store, StoreError};

pub const WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// Failures of one account from one address.
pub const PER_ACCOUNT: usize = 5;
pub const PER_ADDRESS: usize = 20;
/// Failures of one account from every address together.
pub const PER_ACCOUNT_ANYWHERE: usize = 50;

/// When `key` may act again, if it has `limit` events (in the store) within `window` before
/// `now`: the one sliding window behind the sign-in limits and the tip page's.
pub async fn blocked_until(
    store: &dyn Store,
    key: &str,
    window: SignedDuration,
    limit: usize,
    now: Timestamp,
) -> Result<Option<Timestamp>, StoreError> {
    let recent = store.limit_recent(key, now - window, limit).await?;
    Ok((recent.len() >= limit).then(|| recent[limit - 1] + window))
}

/// The sign-in limits, counted in the store: every server on it counts the same failures, so
/// a limit holds when several servers stand behind one address.
pub struct LoginLimiter<'a> {
    store: &'a dyn Store,
}

impl<'a> LoginLimiter<'a> {
    pub fn new(store: &'a dyn Store) -> LoginLimiter<'a> {
        LoginLimiter { store }
    }

    async fn blocked_until(
        &self,
        key: &str,
        limit: usize,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        blocked_until(self.store, key, WINDOW, limit, now).await
    }

    /// Whether an attempt for this account from this address may proceed; if not, until when.
    pub async fn check(
        &self,
        account: &str,
        address: Option<&str>,
        now: Timestamp,
    ) -> Result<Result<(), Timestamp>, StoreError> {
        let ip = address.unwrap_or("-");
        let a = self
            .blocked_until(&format!("pair:{account}|{ip}"), PER_ACCOUNT, now)
            .await?;
        let any = self
            .blocked_until(&format!("account:{account}"), PER_ACCOUNT_ANYWHERE, now)
            .await?;
        let b = match address {
            Some(ip) => {
                self.blocked_until(&format!("address:{ip}"), PER_ADDRESS, now)
                    .await?
            }
            None => None,
        };
        Ok(match a.into_iter().chain(any).chain(b).max() {
            Some(until) => Err(until),
            None => Ok(()),
        })
    }

    /// A failed attempt; failures older than a day are forgotten on the way.
    pub async fn failed(
        &self,
        account: &str,
        address: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let keys: Vec<String> = [
            Some(format!("pair:{account}|{}", address.unwrap_or("-"))),
            Some(format!("account:{account}")),
            address.map(|ip| format!("address:{ip}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        self.store.limit_record(&keys, now).await?;
        self.store
            .limit_prune(now - SignedDuration::from_hours(24))
            .await?;
        Ok(())
    }

    /// A good attempt forgets the account's failures (from every address), not the
    /// address's failures on other accounts.
    pub async fn succeeded(&self, account: &str) -> Result<(), StoreError> {
        self.store
            .limit_forget(
                &[format!("account:{account}")],
                &[format!("pair:{account}|")],
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, store_sqlite::SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = store_sqlite::SqliteStore::open(dir.path().join("l.db").to_str().unwrap())
            .await
            .unwrap();
        (dir, s)
    }

    #[tokio::test]
    async fn blocks_after_the_limit_and_releases_after_the_window() {
        let (_dir, s) = store().await;
        let l = LoginLimiter::new(&s);
        let t0: Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
        for i in 0..PER_ACCOUNT {
            assert!(
                l.check("a@x.se", Some("1.2.3.4"), t0)
                    .await
                    .unwrap()
                    .is_ok(),
                "attempt {i}"
            );
            l.failed(
                "a@x.se",
                Some("1.2.3.4"),
                t0 + SignedDuration::from_secs(i as i64),
            )
            .await
            .unwrap();
        }
        let until = l
            .check(
                "a@x.se",
                Some("1.2.3.4"),
                t0 + SignedDuration::from_secs(10),
            )
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(until, t0 + WINDOW);
        assert!(
            l.check("b@x.se", Some("1.2.3.4"), t0)
                .await
                .unwrap()
                .is_ok(),
            "other accounts from the address still may"
        );
        // The real owner, elsewhere, is not locked out by someone guessing from 1.2.3.4.
        assert!(
            l.check(
                "a@x.se",
                Some("10.0.0.7"),
                t0 + SignedDuration::from_secs(10)
            )
            .await
            .unwrap()
            .is_ok(),
            "the account from another address"
        );
        assert!(
            l.check(
                "a@x.se",
                Some("1.2.3.4"),
                t0 + WINDOW + SignedDuration::from_secs(5)
            )
            .await
            .unwrap()
            .is_ok()
        );
        l.succeeded("a@x.se").await.unwrap();
        assert!(l.check("a@x.se", None, t0).await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn guessing_one_account_from_many_addresses_is_bounded() {
        let (_dir, s) = store().await;
        let l = LoginLimiter::new(&s);
        let t0: Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
        for i in 0..PER_ACCOUNT_ANYWHERE {
            l.failed("a@x.se", Some(&format!("10.0.{}.{}", i / 200, i % 200)), t0)
                .await
                .unwrap();
        }
        assert!(
            l.check("a@x.se", Some("10.9.9.9"), t0)
                .await
                .unwrap()
                .is_err()
        );
    }

    #[tokio::test]
    async fn an_address_trying_many_accounts_is_blocked() {
        let (_dir, s) = store().await;
        let l = LoginLimiter::new(&s);
        let t0: Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
        for i in 0..PER_ADDRESS {
            l.failed(&format!("u{i}@x.se"), Some("5.6.7.8"), t0)
                .await
                .unwrap();
        }
        assert!(
            l.check("new@x.se", Some("5.6.7.8"), t0)
                .await
                .unwrap()
                .is_err()
        );
        assert!(
            l.check("new@x.se", Some("9.9.9.9"), t0)
                .await
                .unwrap()
                .is_ok()
        );
    }
}
