//! `lagesbild-bench-screens`: each role's start page (`GET /`, issue 12/18: first response
//! ≤ 100 ms p95 on the demo) against a real `lagesbild serve` on the demo data, over loopback.
//!
//! ```sh
//! cargo build --release -p lagesbild -p bench
//! $CARGO_TARGET_DIR/release/lagesbild-bench-screens --lagesbild $CARGO_TARGET_DIR/release/lagesbild
//! ```
#![forbid(unsafe_code)]

#[path = "../common.rs"]
mod common;

use anyhow::{Context, Result, bail};
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use store::Store;

fn get(port: u16, path: &str, cookie: &str) -> Result<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf[..buf.len().min(16)])
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0))
}

#[tokio::main]
async fn main() -> Result<()> {
    let bin = arg("--lagesbild").context("--lagesbild PATH (the release binary) is required")?;
    let n: usize = arg("--requests")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(200);
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("demo.db");
    let db = db.to_str().context("utf-8 path")?;
    let mut args = vec!["demo", "--db", db, "--no-serve"];
    let polisen = service::shared_data("data/polisen/events-2022-09-to-2026-08.jsonl.gz");
    let polisen = polisen.to_str().unwrap_or_default().to_string();
    if std::path::Path::new(&polisen).exists() {
        args.extend(["--polisen", &polisen]);
    }
    let out = Command::new(&bin).args(&args).output()?;
    if !out.status.success() {
        bail!("demo: {}", String::from_utf8_lossy(&out.stderr));
    }
    // A signed-in session per role, made in the store as the sign-in would.
    let store = store_sqlite::SqliteStore::open(db).await?;
    let tenant = store
        .tenant_by_code("1960")
        .await?
        .context("the demo tenant")?;
    let now = jiff::Timestamp::now();
    let mut cookies = Vec::new();
    for role in [
        model::Role::Reporter,
        model::Role::Admin,
        model::Role::Analyst,
        model::Role::Reader,
    ] {
        let user = store
            .users(tenant.id)
            .await?
            .into_iter()
            .find(|u| u.role == role)
            .context("a demo user of the role")?;
        let secret = page_session(&store, &user, now).await?;
        cookies.push((role, format!("{}={secret}", web::SESSION_COOKIE)));
    }
    store.close().await;

    let port = free_port()?;
    let mut serve = Command::new(&bin)
        .args(["serve", "--db", db, "--addr", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    wait_healthy(port, &mut serve, Duration::from_secs(60))?;
    println!("lagesbild-bench-screens: the demo, SQLite, release build, loopback HTTP");
    for (role, cookie) in &cookies {
        for _ in 0..10 {
            get(port, "/", cookie)?;
        }
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            let status = get(port, "/", cookie)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if status != 200 {
                bail!("GET / as {role} answered {status}");
            }
        }
        times.sort_by(f64::total_cmp);
        row(
            &format!("GET / (start page) as {role}, {n} requests, p95"),
            percentile(&times, 0.95),
            100.0,
            "ms",
        );
        println!("  (p50 {:.1} ms)", percentile(&times, 0.5));
    }
    serve.kill()?;
    let _ = serve.wait();
    Ok(())
}
