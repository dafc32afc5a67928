//! `lagesbild-bench-export`: exporting a million incidents from a real `lagesbild serve`
//! (issue 14's target: streamed, the server's peak memory ≤ 100 MB), in each format: time,
//! bytes, rows, and the server's peak resident memory (VmHWM) beside the target as a ratio.
//!
//! ```sh
//! cargo build --release -p lagesbild -p bench
//! $CARGO_TARGET_DIR/release/lagesbild-bench-export --lagesbild $CARGO_TARGET_DIR/release/lagesbild [--incidents 1000000]
//! ```
#![forbid(unsafe_code)]

#[path = "../common.rs"]
mod common;

use anyhow::{Context, Result, bail};
use common::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use store::Store;

/// GET with the token, reading the body as it comes: (status, bytes, newlines).
fn download(port: u16, path: &str, token: &str) -> Result<(u16, u64, u64)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = vec![0u8; 256 * 1024];
    let (mut bytes, mut lines, mut status) = (0u64, 0u64, 0u16);
    loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if status == 0 {
            let head = String::from_utf8_lossy(&buf[..n.min(32)]).to_string();
            status = head
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
        }
        bytes += n as u64;
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
    Ok((status, bytes, lines))
}

#[tokio::main]
async fn main() -> Result<()> {
    let bin = arg("--lagesbild").context("--lagesbild PATH (the release binary) is needed")?;
    let n: usize = arg("--incidents")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("export.db");
    let token = {
        let store = store_sqlite::SqliteStore::open(db.to_str().context("path")?).await?;
        let m = service::municipality("1960").context("Kungsör")?;
        let t = bench_tenant(&store, m).await?;
        let mut rng = StdRng::seed_from_u64(14);
        let start = jiff::Timestamp::from_second(1_700_000_000)?;
        let t0 = Instant::now();
        let mut left = n;
        while left > 0 {
            let k = left.min(50_000);
            let batch: Vec<_> = (0..k)
                .map(|i| {
                    let at = start + jiff::SignedDuration::from_secs(((n - left + i) as i64) * 60);
                    let cat = t.cats[i % t.cats.len()].clone();
                    // One organisation: the benchmark's administrator sees every row.
                    let p = point_in(&mut rng, m);
                    synthetic_incident(&mut rng, p, at, cat, "1960", &t.orgs[..1])
                })
                .collect();
            store.insert_incidents(t.tenant.id, &batch).await?;
            left -= k;
        }
        println!(
            "{n} incidents stored in {:.1} s",
            t0.elapsed().as_secs_f64()
        );
        bench_token(&store, &t).await?
    };
    let port = free_port()?;
    let mut serve = Command::new(&bin)
        .args([
            "serve",
            "--db",
            db.to_str().unwrap_or_default(),
            "--addr",
            &format!("127.0.0.1:{port}"),
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {bin}"))?;
    wait_healthy(port, &mut serve, Duration::from_secs(60))?;
    let pid = serve.id();
    println!(
        "server started: VmRSS {:.1} MB",
        vm(pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0
    );
    for format in ["csv", "excel-csv", "geojson", "xlsx"] {
        let t0 = Instant::now();
        let (status, bytes, lines) = download(
            port,
            &format!("/api/v1/incidents/export?format={format}"),
            &token,
        )?;
        if status != 200 {
            bail!("{format}: HTTP {status}");
        }
        let secs = t0.elapsed().as_secs_f64();
        let peak = vm(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0;
        println!(
            "{format:<10} {secs:>6.1} s  {:>7.1} MB  {lines:>8} lines",
            bytes as f64 / 1e6
        );
        row(
            &format!("  server peak memory after {format} (VmHWM)"),
            peak,
            100.0,
            "MB",
        );
    }
    let _ = serve.kill();
    Ok(())
}
