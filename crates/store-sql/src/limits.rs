//! Rate limit events, counted in the store so that every server on it counts together
//! (a sign-in limit holds when two servers stand behind one address).

use crate::SqlStore;
use crate::exec::{Backend, Row, Sql};
use jiff::Timestamp;
use store::Result;
use store::backend::from_ts;

pub async fn record<B: Backend>(s: &SqlStore<B>, keys: &[String], at: Timestamp) -> Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let marks = vec!["(?, ?)"; keys.len()].join(", ");
    let mut q = Sql::new(format!("INSERT INTO limit_events (key, at) VALUES {marks}"));
    for k in keys {
        q = q.bind(k.as_str()).bind(at);
    }
    s.write().await?.execute(q).await?;
    Ok(())
}

pub async fn recent<B: Backend>(
    s: &SqlStore<B>,
    key: &str,
    since: Timestamp,
    n: usize,
) -> Result<Vec<Timestamp>> {
    let rows = s
        .read()
        .await?
        .all(
            Sql::new(
                "SELECT at FROM limit_events WHERE key = ? AND at > ? ORDER BY at DESC LIMIT ?",
            )
            .bind(key)
            .bind(since)
            .bind(i64::try_from(n).unwrap_or(i64::MAX)),
        )
        .await?;
    rows.iter()
        .map(|r| from_ts("limit_events", 0, "at", r.int("at")?))
        .collect()
}

pub async fn forget<B: Backend>(
    s: &SqlStore<B>,
    exact: &[String],
    prefixes: &[String],
) -> Result<u64> {
    let mut c = s.write().await?;
    let mut gone = 0;
    for k in exact {
        gone += c
            .execute(Sql::new("DELETE FROM limit_events WHERE key = ?").bind(k.as_str()))
            .await?;
    }
    for p in prefixes {
        // Compared as text, not LIKE: an e-mail address may hold `_` or `%`.
        gone += c
            .execute(
                Sql::new("DELETE FROM limit_events WHERE substr(key, 1, CAST(? AS INTEGER)) = ?")
                    .bind(i64::try_from(p.chars().count()).unwrap_or(i64::MAX))
                    .bind(p.as_str()),
            )
            .await?;
    }
    Ok(gone)
}

pub async fn prune<B: Backend>(s: &SqlStore<B>, before: Timestamp) -> Result<u64> {
    s.write()
        .await?
        .execute(Sql::new("DELETE FROM limit_events WHERE at < ?").bind(before))
        .await
}

pub async fn server_secret<B: Backend>(s: &SqlStore<B>, name: &str, fresh: &str) -> Result<String> {
    let mut c = s.write().await?;
    c.execute(
        Sql::new(
            "INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh),
    )
    .await?;
    let row = c
        .one(Sql::new("SELECT value FROM server_secrets WHERE name = ?").bind(name))
        .await?;
    row.text("value")
}
