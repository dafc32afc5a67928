//! The short version of the crash-durability run (issue 15): 16 reporters post a few hundred
//! reports through the API while the server is killed with SIGKILL once and started again;
//! every report answered 201 is in the store, and the audit chain verifies. The long run, on
//! SQLite and PostgreSQL, is `lagesbild-bench-crash`.

#[path = "../../bench/src/crash.rs"]
mod crash;

/// 300 reports, one kill, on the empty database `db`; the outcome checked.
async fn short_run(db: String, store: &str) {
    let token = crash::prepare(&db).await.unwrap();
    let plan = crash::Plan {
        bin: env!("CARGO_BIN_EXE_lagesbild").into(),
        db,
        reporters: 16,
        reports: 300,
        kills: 1,
        limit: std::time::Duration::from_secs(120),
    };
    let out = tokio::task::spawn_blocking(move || {
        tokio::runtime::Handle::current().block_on(crash::run(&plan, &token))
    })
    .await
    .unwrap()
    .unwrap();
    eprintln!(
        "{store}: {} acknowledged, {} refused or cut off by the kill, {:.1} s, p99 {:.1} ms",
        out.acknowledged,
        out.refused_or_lost_connections,
        out.seconds,
        out.latency(0.99)
    );
    assert_eq!(out.kills, 1);
    assert!(out.acknowledged >= 300, "{} acknowledged", out.acknowledged);
    assert_eq!(out.missing, Vec::<i64>::new(), "acknowledged but missing");
    assert!(
        out.audit_rows as usize >= out.acknowledged,
        "each report is audited"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_report_is_lost_when_the_server_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    short_run(dir.path().join("crash.db").display().to_string(), "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_report_is_lost_when_the_server_is_killed_on_postgresql() {
    short_run(crash::new_pg_database("lb_crash").await, "PostgreSQL").await;
}
