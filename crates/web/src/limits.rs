//! Rate limits on sign-in: failures per account and per client address in a sliding window.
//! Kept in memory of the serving process (a deployment with several servers limits per
//! server; the per-account limit still bounds guessing to a few attempts a minute).

use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use std::sync::Mutex;

pub const WINDOW: SignedDuration = SignedDuration::from_mins(15);
pub const PER_ACCOUNT: usize = 5;
pub const PER_ADDRESS: usize = 20;

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Timestamp>>>,
}

impl LoginLimiter {
    /// When the key may try again, if it is over `limit` failures in the window.
    fn blocked_until(&self, key: &str, limit: usize, now: Timestamp) -> Option<Timestamp> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let list = map.get_mut(key)?;
        list.retain(|t| *t > now - WINDOW);
        (list.len() >= limit).then(|| list[list.len() - limit] + WINDOW)
    }

    /// Whether an attempt for this account from this address may proceed; if not, until when.
    pub fn check(
        &self,
        account: &str,
        address: Option<&str>,
        now: Timestamp,
    ) -> Result<(), Timestamp> {
        let a = self.blocked_until(&format!("account:{account}"), PER_ACCOUNT, now);
        let b =
            address.and_then(|ip| self.blocked_until(&format!("address:{ip}"), PER_ADDRESS, now));
        match a.into_iter().chain(b).max() {
            Some(until) => Err(until),
            None => Ok(()),
        }
    }

    pub fn failed(&self, account: &str, address: Option<&str>, now: Timestamp) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(format!("account:{account}"))
            .or_default()
            .push(now);
        if let Some(ip) = address {
            map.entry(format!("address:{ip}")).or_default().push(now);
        }
        // Forget old entries now and then so the map does not grow without bound.
        if map.len() > 10_000 {
            map.retain(|_, v| v.last().is_some_and(|t| *t > now - WINDOW));
        }
    }

    pub fn succeeded(&self, account: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("account:{account}"));
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
        assert!(
            l.check("a@x.se", None, t0 + WINDOW + SignedDuration::from_secs(5))
                .is_ok()
        );
        l.succeeded("a@x.se");
        assert!(l.check("a@x.se", None, t0).is_ok());
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
