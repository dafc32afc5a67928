//! Incidents stored before migration 0007 get their world positions when the store opens the
//! database, the same ones a new incident gets.

use sqlx::Row;
use sqlx::sqlite::SqlitePoolOptions;
use store::Store;
use store_sqlite::SqliteStore;

#[tokio::test]
async fn old_rows_get_their_world_positions_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db").to_str().unwrap().to_string();
    let s = SqliteStore::open(&path).await.unwrap();
    let f = store::conformance::fixture(&s, "1960").await;
    let mut n = store::conformance::incident(&f.teacher, "trafik", "2026-11-20T10:00:00Z");
    (n.lon, n.lat) = (16.0978, 59.4224);
    s.insert_incidents(f.tenant.id, &[n]).await.unwrap();
    s.close().await;
    // As a database written before the migration: no positions, and the migration's note
    // that they are to be filled.
    let pool = SqlitePoolOptions::new()
        .connect(&format!("sqlite://{path}"))
        .await
        .unwrap();
    sqlx::query("UPDATE incidents SET wx = NULL, wy = NULL")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO pending_fills (what) VALUES ('world_positions')")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let s = SqliteStore::open(&path).await.unwrap();
    s.close().await;
    let pool = SqlitePoolOptions::new()
        .connect(&format!("sqlite://{path}"))
        .await
        .unwrap();
    let r = sqlx::query("SELECT wx, wy FROM incidents")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        (r.get::<i64, _>(0), r.get::<i64, _>(1)),
        geo::tile::world(16.0978, 59.4224)
    );
}
