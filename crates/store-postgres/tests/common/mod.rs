//! Shared by the PostgreSQL store's tests: a fresh database on the test server.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use store_postgres::{PgStore, with_database};

/// The server to test against. Without it the suite cannot run, and says so rather than
/// passing by doing nothing.
pub fn server() -> String {
    std::env::var("LAGESBILD_TEST_PG").unwrap_or_else(|_| {
        panic!(
            "LAGESBILD_TEST_PG is not set: run ./scripts/test.sh (it starts a throwaway \
             PostgreSQL), or point it at a server, e.g. postgres:///postgres?host=/tmp/pg"
        )
    })
}

/// A new, empty database on the test server, migrated.
pub async fn fresh() -> PgStore {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "lb_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        jiff::Timestamp::now().as_millisecond() % 1_000_000
    );
    let admin = store_postgres::connect(&server()).await.unwrap();
    admin
        .execute_admin(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    admin.close().await;
    PgStore::open(&with_database(&server(), &name))
        .await
        .unwrap()
}
