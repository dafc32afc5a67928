//! Rate limits on sign-in: failures in a sliding window per account *and* client address
//! (five wrong passwords lock that pair, not the account for everyone: one address cannot
//! lock a coordinator out), per client address over all accounts, and per account over all
//! addresses with a much higher bound (guessing spread over many addresses is still slowed).
//! Kept in memory of the serving process (a deployment with several servers limits per
//! server).

use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use std::sync::Mutex;

pub const WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// Failures of one account from one address.
pub const PER_ACCOUNT: usize = 5;
pub const PER_ADDRESS: usize = 20;
/// Failures of one account from every address together.
pub const PER_ACCOUNT_ANYWHERE: usize = 50;

/// Events per key in a sliding window: the one counter behind the sign-in limits and the
/// tip page's limits (`tips::TipGuard`).
#[derive(Default)]
pub struct Windows {
    events: Mutex<HashMap<String, Vec<Timestamp>>>,
}

impl Windows {
    /// When `key` may act again, if it has `limit` events within `window` before `now`.
    pub fn blocked_until(
        &self,
        key: &str,
        window: SignedDuration,
        limit: usize,
        now: Timestamp,
    ) -> Option<Timestamp> {
        let mut map = self.events.lock().unwrap_or_else(|p| p.into_inner());
        let list = map.get_mut(key)?;
        list.retain(|t| *t > now - window);
        (list.len() >= limit).then(|| list[list.len() - limit] + window)
    }

    /// An event for each key at `now`. Once more than `max_keys` keys are remembered, those
    /// silent for `forget` are forgotten, so the map does not grow without bound.
    pub fn record(
        &self,
        keys: impl IntoIterator<Item = String>,
        now: Timestamp,
        forget: SignedDuration,
        max_keys: usize,
    ) {
        let mut map = self.events.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > max_keys {
            map.retain(|_, v| v.last().is_some_and(|t| *t > now - forget));
        }
        for k in keys {
            map.entry(k).or_default().push(now);
        }
    }

    /// Forgets the keys `pred` picks.
    pub fn forget(&self, pred: impl Fn(&str) -> bool) {
        let mut map = self.events.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|k, _| !pred(k));
    }
}

#[derive(Default)]
pub struct LoginLimiter {
    failures: Windows,
}

impl LoginLimiter {
    /// When the key may try again, if it is over `limit` failures in the window.
    fn blocked_until(&self, key: &str, limit: usize, now: Timestamp) -> Option<Timestamp> {
        self.failures.blocked_until(key, WINDOW, limit, now)
    }

    /// Whether an attempt for this account from this address may proceed; if not, until when.
    pub fn check(
        &self,
        account: &str,
        address: Option<&str>,
        now: Timestamp,
    ) -> Result<(), Timestamp> {
        let ip = address.unwrap_or("-");
        let a = self.blocked_until(&format!("pair:{account}|{ip}"), PER_ACCOUNT, now);
        let any = self.blocked_until(&format!("account:{account}"), PER_ACCOUNT_ANYWHERE, now);
        let b =
            address.and_then(|ip| self.blocked_until(&format!("address:{ip}"), PER_ADDRESS, now));
        match a.into_iter().chain(any).chain(b).max() {
            Some(until) => Err(until),
            None => Ok(()),
        }
    }

    pub fn failed(&self, account: &str, address: Option<&str>, now: Timestamp) {
        let keys = [
            Some(format!("pair:{account}|{}", address.unwrap_or("-"))),
            Some(format!("account:{account}")),
            address.map(|ip| format!("address:{ip}")),
        ];
        self.failures
            .record(keys.into_iter().flatten(), now, WINDOW, 10_000);
    }

    pub fn succeeded(&self, account: &str) {
        let (whole, pair) = (format!("account:{account}"), format!("pair:{account}|"));
        self.failures.forget(|k| k == whole || k.starts_with(&pair));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_and_releases_after_the_window() {
        let l = LoginLimiter::default();
        let t0: Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
        for i in 0..PER_ACCOUNT {
            assert!(
                l.check("a@x.se", Some("1.2.3.4"), t0).is_ok(),
                "attempt {i}"
            );
            l.failed(
                "a@x.se",
                Some("1.2.3.4"),
                t0 + SignedDuration::from_secs(i as i64),
            );
        }
        let until = l
            .check(
                "a@x.se",
                Some("1.2.3.4"),
                t0 + SignedDuration::from_secs(10),
            )
            .unwrap_err();
        assert_eq!(until, t0 + WINDOW);
        assert!(
            l.check("b@x.se", Some("1.2.3.4"), t0).is_ok(),
            "other accounts from the address still may"
        );
        // The real owner, elsewhere, is not locked out by someone guessing from 1.2.3.4.
        assert!(
            l.check(
                "a@x.se",
                Some("10.0.0.7"),
                t0 + SignedDuration::from_secs(10)
            )
            .is_ok(),
            "the account from another address"
        );
        assert!(
            l.check(
                "a@x.se",
                Some("1.2.3.4"),
                t0 + WINDOW + SignedDuration::from_secs(5)
            )
            .is_ok()
        );
        l.succeeded("a@x.se");
        assert!(l.check("a@x.se", None, t0).is_ok());
    }

    #[test]
    fn guessing_one_account_from_many_addresses_is_bounded() {
        let l = LoginLimiter::default();
        let t0: Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
        for i in 0..PER_ACCOUNT_ANYWHERE {
            l.failed("a@x.se", Some(&format!("10.0.{}.{}", i / 200, i % 200)), t0);
        }
        assert!(l.check("a@x.se", Some("10.9.9.9"), t0).is_err());
    }

    #[test]
    fn an_address_trying_many_accounts_is_blocked() {
        let l = LoginLimiter::default();
        let t0: Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
        for i in 0..PER_ADDRESS {
            l.failed(&format!("u{i}@x.se"), Some("5.6.7.8"), t0);
        }
        assert!(l.check("new@x.se", Some("5.6.7.8"), t0).is_err());
        assert!(l.check("new@x.se", Some("9.9.9.9"), t0).is_ok());
    }
}
