//! The audit log resists and detects tampering with the SQLite file.

use sqlx::sqlite::SqlitePoolOptions;
use store::Store;
use store_sqlite::SqliteStore;

async fn store_with_log() -> (SqliteStore, tempfile::TempDir, String, i64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db").to_str().unwrap().to_string();
    let s = SqliteStore::open(&path).await.unwrap();
    let f = store::conformance::fixture(&s, "1960").await;
    // Five reports, one at a time: each has its own audit row with the incident.
    for h in 0..5 {
        let n =
            store::conformance::incident(&f.teacher, "trafik", &format!("2026-11-20T1{h}:00:00Z"));
        s.insert_incidents(f.tenant.id, &[n]).await.unwrap();
    }
    assert_eq!(s.verify_audit(f.tenant.id).await.unwrap(), Ok(16));
    (s, dir, path, f.tenant.id)
}

#[tokio::test]
async fn the_log_is_append_only() {
    let (_s, _dir, path, _) = store_with_log().await;
    let pool = SqlitePoolOptions::new()
        .connect(&format!("sqlite://{path}"))
        .await
        .unwrap();
    let upd = sqlx::query("UPDATE audit_log SET action = 'x' WHERE seq = 3")
        .execute(&pool)
        .await;
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    let del = sqlx::query("DELETE FROM audit_log WHERE seq = 3")
        .execute(&pool)
        .await;
    assert!(del.unwrap_err().to_string().contains("append-only"));
}

#[tokio::test]
async fn an_edited_row_is_found_by_verify() {
    let (s, _dir, path, tenant) = store_with_log().await;
    // Someone with the file drops the guard and edits row 12.
    let pool = SqlitePoolOptions::new()
        .connect(&format!("sqlite://{path}"))
        .await
        .unwrap();
    sqlx::query("DROP TRIGGER audit_log_no_update")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE audit_log SET after_json = replace(after_json, 'trafik', 'annat') WHERE seq = 12",
    )
    .execute(&pool)
    .await
    .unwrap();
    let broken = s.verify_audit(tenant).await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 12);
    assert!(broken.to_string().contains("row 12"), "{broken}");
    assert!(broken.reason.contains("edited"));
}

#[tokio::test]
async fn a_deleted_row_is_found_by_verify() {
    let (s, _dir, path, tenant) = store_with_log().await;
    let pool = SqlitePoolOptions::new()
        .connect(&format!("sqlite://{path}"))
        .await
        .unwrap();
    sqlx::query("DROP TRIGGER audit_log_no_delete")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = 4")
        .execute(&pool)
        .await
        .unwrap();
    let broken = s.verify_audit(tenant).await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 4);
    assert!(broken.reason.contains("missing"));
}
