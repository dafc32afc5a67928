//! The store conformance suite against embedded SQLite, each test on a fresh file.

use store_sqlite::SqliteStore;

async fn fresh() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.db");
    let store = SqliteStore::open(path.to_str().unwrap()).await.unwrap();
    (store, dir)
}

struct Fresh(SqliteStore, #[allow(dead_code)] tempfile::TempDir);
impl std::ops::Deref for Fresh {
    type Target = SqliteStore;
    fn deref(&self) -> &SqliteStore {
        &self.0
    }
}

store::conformance_tests!({
    let (s, d) = fresh().await;
    Fresh(s, d)
});
