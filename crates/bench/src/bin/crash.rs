//! `lagesbild-bench-crash`: no acknowledged report lost when the server is killed (issue 15).
//! Reporters post through the API while `lagesbild serve` is killed with SIGKILL and started
//! again; afterwards every report answered 201 must be in the store and the audit chain must
//! verify. On SQLite (a new file) or on PostgreSQL (`--db URL`, an empty database).
//!
//! ```sh
//! cargo build --release -p lagesbild -p bench
//! $CARGO_TARGET_DIR/release/lagesbild-bench-crash --lagesbild $CARGO_TARGET_DIR/release/lagesbild \
//!     [--reports 10000] [--reporters 16] [--kills 5] [--db postgres://…]
//! ```
#![forbid(unsafe_code)]

#[path = "../crash.rs"]
mod crash;

use anyhow::{Context, Result, bail};
use std::time::Duration;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() -> Result<()> {
    let bin = arg("--lagesbild").context("--lagesbild PATH (the release binary) is needed")?;
    let num =
        |name: &str, default: usize| arg(name).and_then(|v| v.parse().ok()).unwrap_or(default);
    let dir = tempfile::tempdir()?;
    let db = arg("--db").unwrap_or_else(|| dir.path().join("crash.db").display().to_string());
    let token = crash::prepare(&db).await?;
    let plan = crash::Plan {
        bin,
        db: db.clone(),
        reporters: num("--reporters", 16),
        reports: num("--reports", 10_000),
        kills: num("--kills", 5),
        limit: Duration::from_secs(num("--seconds", 900) as u64),
    };
    let out = crash::run(&plan, &token).await?;
    println!(
        "{} reporters, {} kills (SIGKILL) in {:.1} s on {}: {} reports answered 201, {} missing afterwards; {} requests refused or cut off by a kill; audit chain of {} rows verifies",
        plan.reporters,
        out.kills,
        out.seconds,
        if db.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        out.acknowledged,
        out.missing.len(),
        out.refused_or_lost_connections,
        out.audit_rows
    );
    println!(
        "throughput {:.0} reports/s (kills and restarts included); latency of an acknowledged report p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        out.acknowledged as f64 / out.seconds,
        out.latency(0.50),
        out.latency(0.95),
        out.latency(0.99)
    );
    if !out.missing.is_empty() {
        bail!(
            "acknowledged but missing: {:?}",
            &out.missing[..out.missing.len().min(20)]
        );
    }
    Ok(())
}
