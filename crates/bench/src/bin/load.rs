//! `lagesbild-bench-load`: reports and reads at once against a real `lagesbild serve`
//! (issue 15, load): W reporters post through the API while R readers ask for the incident
//! list, map tiles and the lägesbild page (and with `--analysis` the analysis of the last 28
//! days too), for a fixed time; sustained reports per second, each route's p50/p95/p99,
//! answers other than 200/201 (503 under overload is counted apart), and the server's peak
//! memory.
//!
//! ```sh
//! cargo build --release -p lagesbild -p bench
//! $CARGO_TARGET_DIR/release/lagesbild-bench-load --lagesbild $CARGO_TARGET_DIR/release/lagesbild \
//!     [--incidents 100000] [--reporters 16] [--readers 100] [--seconds 20] [--analysis] [--db postgres://…]
//! ```
#![forbid(unsafe_code)]

#[path = "../common.rs"]
mod common;
// The crash generator's server start, its report and its set-up; not its run.
#[allow(dead_code)]
#[path = "../crash.rs"]
mod crash;

use anyhow::{Context, Result};
use common::{arg, percentile, vm};
use rand::SeedableRng;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::Store;

/// GET with the API token, or (for a page) with the session cookie.
fn get(port: u16, path: &str, token: &str, cookie: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(120))).ok()?;
    let auth = if path.starts_with("/api/") {
        format!("Authorization: Bearer {token}")
    } else {
        format!("Cookie: {}={cookie}", web::SESSION_COOKIE)
    };
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\n{auth}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    String::from_utf8_lossy(&buf[..buf.len().min(16)])
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[tokio::main]
async fn main() -> Result<()> {
    let bin = arg("--lagesbild").context("--lagesbild PATH (the release binary) is needed")?;
    let num =
        |name: &str, default: usize| arg(name).and_then(|v| v.parse().ok()).unwrap_or(default);
    let (incidents, reporters, readers) = (
        num("--incidents", 100_000),
        num("--reporters", 16),
        num("--readers", 100),
    );
    let seconds = num("--seconds", 20) as u64;
    let analysis = std::env::args().any(|a| a == "--analysis");
    let dir = tempfile::tempdir()?;
    let db = arg("--db").unwrap_or_else(|| dir.path().join("load.db").display().to_string());
    let token = crash::prepare(&db).await?;
    let cookie: String;
    {
        let store: Box<dyn Store> = if db.starts_with("postgres") {
            Box::new(store_postgres::PgStore::open(&db).await?)
        } else {
            Box::new(store_sqlite::SqliteStore::open(&db).await?)
        };
        let tenant = store.tenant_by_code("1960").await?.context("tenant")?;
        let user = store
            .users(tenant.id)
            .await?
            .into_iter()
            .next()
            .context("user")?;
        // The page readers' session (the API readers use the token).
        cookie = common::page_session(store.as_ref(), &user, jiff::Timestamp::now()).await?;
        let m = service::municipality("1960").context("Kungsör")?;
        let cats: Vec<_> = service::taxonomy::est_defaults(tenant.id)
            .into_iter()
            .map(|c| c.code)
            .collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(15);
        let start = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 365);
        let mut left = incidents;
        while left > 0 {
            let k = left.min(50_000);
            let batch: Vec<_> = (0..k)
                .map(|i| {
                    let at = start
                        + jiff::SignedDuration::from_secs(
                            ((incidents - left + i) as i64 * 31_536_000) / incidents as i64,
                        );
                    let p = common::point_in(&mut rng, m);
                    let mut n = common::synthetic_incident(
                        &mut rng,
                        p,
                        at,
                        cats[i % cats.len()].clone(),
                        "1960",
                        &[user.org_id],
                    );
                    n.user_id = Some(user.id);
                    n
                })
                .collect();
            store.insert_incidents(tenant.id, &batch).await?;
            left -= k;
        }
    }
    let port = crash::free_port();
    let server = crash::start(&bin, &db, port)?;
    let pid = server.id();
    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(Mutex::new(Vec::<f64>::new()));
    let reads: Arc<Mutex<Vec<(usize, f64, u16)>>> = Arc::new(Mutex::new(Vec::new()));
    let routes = [
        "/api/v1/incidents?limit=50",
        "/api/v1/tiles/14/8924/4573.mvt",
        "/lagesbild",
        "/api/v1/analysis?days=28",
    ];
    let t0 = Instant::now();
    let mut threads = Vec::new();
    for r in 0..reporters {
        let (stop, writes, token) = (stop.clone(), writes.clone(), token.clone());
        threads.push(std::thread::spawn(move || {
            let mut n = r * 10_000_000;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let t = Instant::now();
                if crash::post(port, &token, n).is_some() {
                    writes
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }));
    }
    for r in 0..readers {
        let (stop, reads, token, cookie) =
            (stop.clone(), reads.clone(), token.clone(), cookie.clone());
        threads.push(std::thread::spawn(move || {
            let mut k = r;
            while !stop.load(Ordering::SeqCst) {
                // The lägesbild page is heavy (a route that runs two at a time): one request
                // in ten is for it. With `--analysis`, one in twenty is for the analysis
                // instead (not in issue 15's mix: its Knox test is the heaviest work there is).
                let route = match k % 20 {
                    9 => 2,
                    19 if analysis => 3,
                    19 => 2,
                    _ => k % 2,
                };
                k += 1;
                let t = Instant::now();
                let status = get(port, routes[route], &token, &cookie).unwrap_or(0);
                reads.lock().unwrap_or_else(|p| p.into_inner()).push((
                    route,
                    t.elapsed().as_secs_f64() * 1000.0,
                    status,
                ));
            }
        }));
    }
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::SeqCst);
    for t in threads {
        let _ = t.join();
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let peak = vm(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0;
    let mut server = server;
    let _ = server.kill();
    let _ = server.wait();
    let mut w = writes.lock().unwrap_or_else(|p| p.into_inner()).clone();
    w.sort_by(f64::total_cmp);
    println!(
        "{} on loopback: {incidents} incidents, {reporters} reporters and {readers} readers for {elapsed:.0} s; server peak memory {peak:.0} MB",
        if db.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        },
    );
    if !w.is_empty() {
        println!(
            "  reports: {:.0}/s, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms (target ≥ 2,000/s, p99 ≤ 50 ms)",
            w.len() as f64 / elapsed,
            percentile(&w, 0.5),
            percentile(&w, 0.95),
            percentile(&w, 0.99)
        );
    }
    let reads = reads.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for (i, route) in routes.iter().enumerate() {
        let mut ms: Vec<f64> = reads
            .iter()
            .filter(|r| r.0 == i && r.2 == 200)
            .map(|r| r.1)
            .collect();
        ms.sort_by(f64::total_cmp);
        let busy = reads.iter().filter(|r| r.0 == i && r.2 == 503).count();
        let other: Vec<u16> = reads
            .iter()
            .filter(|r| r.0 == i && r.2 != 200 && r.2 != 503 && r.2 != 0)
            .map(|r| r.2)
            .collect();
        let other = match other.first() {
            Some(code) => format!("{} × {code} or other", other.len()),
            None => "0".into(),
        };
        let silent = reads.iter().filter(|r| r.0 == i && r.2 == 0).count();
        if !reads.iter().any(|r| r.0 == i) {
            continue; // Not in this run's mix.
        }
        if ms.is_empty() {
            println!(
                "  {route}: no 200 answers ({busy} × 503, {other} other, {silent} without an answer in 120 s)"
            );
            continue;
        }
        println!(
            "  {route}: {} answers, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms; {busy} × 503 (Retry-After), {other} other, {silent} without an answer{}",
            ms.len(),
            percentile(&ms, 0.5),
            percentile(&ms, 0.95),
            percentile(&ms, 0.99),
            if i == 0 {
                " (target p95 ≤ 50 ms)"
            } else {
                ""
            }
        );
    }
    Ok(())
}
