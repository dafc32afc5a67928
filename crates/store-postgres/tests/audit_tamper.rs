//! The audit log resists and detects tampering by someone with SQL access to the database.

mod common;
use store::Store;
use store_postgres::PgStore;

async fn store_with_log() -> (PgStore, i64) {
    let s = common::fresh().await;
    let f = store::conformance::fixture(&s, "1960").await;
    // Five reports, one at a time: each has its own audit row with the incident.
    for h in 0..5 {
        let n =
            store::conformance::incident(&f.teacher, "trafik", &format!("2026-11-20T1{h}:00:00Z"));
        s.insert_incidents(f.tenant.id, &[n]).await.unwrap();
    }
    assert_eq!(s.verify_audit(f.tenant.id).await.unwrap(), Ok(16));
    (s, f.tenant.id)
}

#[tokio::test]
async fn the_log_is_append_only() {
    let (s, _) = store_with_log().await;
    for sql in [
        "UPDATE audit_log SET action = 'x' WHERE seq = 3",
        "DELETE FROM audit_log WHERE seq = 3",
        "TRUNCATE audit_log",
    ] {
        let e = s.execute_admin(sql).await.unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
}

#[tokio::test]
async fn an_edited_row_is_found_by_verify() {
    let (s, tenant) = store_with_log().await;
    // Someone with the database drops the guard and edits row 12.
    s.execute_admin("DROP TRIGGER audit_log_no_update ON audit_log")
        .await
        .unwrap();
    s.execute_admin(
        "UPDATE audit_log SET after_json = replace(after_json, 'trafik', 'annat') WHERE seq = 12",
    )
    .await
    .unwrap();
    let broken = s.verify_audit(tenant).await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 12);
    assert!(broken.to_string().contains("row 12"), "{broken}");
    assert!(broken.reason.contains("edited"));
}

#[tokio::test]
async fn a_deleted_row_is_found_by_verify() {
    let (s, tenant) = store_with_log().await;
    s.execute_admin("DROP TRIGGER audit_log_no_update ON audit_log")
        .await
        .unwrap();
    s.execute_admin("DELETE FROM audit_log WHERE seq = 4")
        .await
        .unwrap();
    let broken = s.verify_audit(tenant).await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 4);
    assert!(broken.reason.contains("missing"));
}

#[tokio::test]
async fn a_database_from_a_newer_program_is_refused() {
    let s = common::fresh().await;
    s.execute_admin(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from the future', TRUE, '\\x00', 0)",
    )
    .await
    .unwrap();
    let e = s.migrate().await.unwrap_err().to_string();
    assert!(e.contains("newer") && e.contains("99990101000000"), "{e}");
}
