//! `lagesbild-bench`: measures a real `lagesbild serve` process against the performance targets
//! of the issues, over loopback HTTP, and prints each figure beside its target as a ratio.
//!
//! ```sh
//! cargo build --release -p lagesbild -p bench
//! $CARGO_TARGET_DIR/release/lagesbild-bench --lagesbild $CARGO_TARGET_DIR/release/lagesbild [--incidents 1000000]
//! ```
//!
//! 1. Writes N synthetic incidents (default 1,000,000, two years, Kungsör) into a fresh SQLite
//!    file through the store (setup, timed for information).
//! 2. Starts `lagesbild serve` on it and sends, one at a time, `GET /api/v1/incidents` for a
//!    random 30-day window and one random category: p50/p95/p99 (target p95 ≤ 50 ms).
//! 3. `GET /api/v1/incidents.geojson?limit=100000`: the newest 100,000 incidents (≤ 1 s).
//! 4. Peak resident memory of the serve process (VmHWM, ≤ 300 MB).
//! 5. `lagesbild demo` on an empty database: time until /healthz answers (≤ 10 s).
#![forbid(unsafe_code)]

use anyhow::{Context, Result, bail};
use jiff::{SignedDuration, Timestamp};
use model::{CategoryCode, Email};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use store::{NewIncident, Store};

mod common;
use common::*;

async fn seed(path: &str, n: usize) -> Result<(String, Vec<String>)> {
    let store = store_sqlite::SqliteStore::open(path).await?;
    let m = service::municipality("1960").context("Kungsör boundary")?;
    let t = bench_tenant(&store, m).await?;
    let token = bench_token(&store, &t).await?;
    let (tenant, cats, org_ids) = (&t.tenant, &t.cats, &t.orgs);
    let mut rng = StdRng::seed_from_u64(1);
    let now = Timestamp::now();
    let started = Instant::now();
    let mut done = 0;
    while done < n {
        let batch: Vec<NewIncident> = (0..(n - done).min(50_000))
            .map(|_| {
                let (lon, lat) = point_in(&mut rng, m);
                // Reports arrive roughly in time order, as they do in real use: batch by batch
                // from two years ago to now, shuffled within a batch.
                let slice = 730 * 86_400 / ((n as u64).div_ceil(50_000).max(1) as i64);
                let batch_no = (done / 50_000) as i64;
                let age = 730 * 86_400 - batch_no * slice - rng.gen_range(0..slice.max(1));
                let t = now - SignedDuration::from_secs(age.max(0));
                let c = cats[rng.gen_range(0..cats.len())].clone();
                synthetic_incident(&mut rng, (lon, lat), t, c, "1960", org_ids)
            })
            .collect();
        store.insert_incidents(tenant.id, &batch).await?;
        done += batch.len();
    }
    println!(
        "setup: {n} incidents written through the store in {:.1} s ({:.0}/s)",
        started.elapsed().as_secs_f64(),
        n as f64 / started.elapsed().as_secs_f64()
    );
    store.close().await;
    let codes = cats.iter().map(|c| c.to_string()).collect();
    Ok((token, codes))
}

#[tokio::main]
async fn main() -> Result<()> {
    let bin = arg("--lagesbild").context("--lagesbild PATH (the release binary) is required")?;
    let n: usize = arg("--incidents")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let queries: usize = arg("--queries")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(300);
    let dir = tempfile::tempdir()?;
    // --db PATH keeps the seeded database (and its token in PATH.token) for later runs.
    let db = arg("--db")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("bench.db"));
    let token_file = db.with_extension("token");
    let (token, codes) = if db.exists() && token_file.exists() {
        println!("setup: reusing {}", db.display());
        let token = std::fs::read_to_string(&token_file)?.trim().to_string();
        let codes = service::taxonomy::EST_DEFAULTS
            .iter()
            .map(|c| c.0.to_string())
            .collect();
        (token, codes)
    } else {
        let (token, codes) = seed(db.to_str().context("utf-8 path")?, n).await?;
        std::fs::write(&token_file, &token)?;
        (token, codes)
    };
    let _ = CategoryCode::parse(&codes[0])?;

    {
        // In-process, for the record: the store's share of the GeoJSON answer.
        let store = store_sqlite::SqliteStore::open(db.to_str().unwrap_or_default()).await?;
        let (user, _) = store
            .user_credentials(&Email::parse("bench@kungsor.example")?)
            .await?
            .context("bench user")?;
        for _ in 0..2 {
            let t = Instant::now();
            let pts = store
                .incident_points(&user.actor(), &store::IncidentFilter::default(), 100_000)
                .await?;
            println!(
                "store.incident_points: {} points in {:.0} ms (in-process)",
                pts.len(),
                t.elapsed().as_secs_f64() * 1000.0
            );
        }
        store.close().await;
    }
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
    let startup = wait_healthy(port, &mut serve, Duration::from_secs(60))?;
    println!(
        "serve on {n} incidents answered /healthz after {:.0} ms",
        startup.as_secs_f64() * 1000.0
    );

    let mut rng = StdRng::seed_from_u64(2);
    let now = Timestamp::now();
    // Warm-up, as a server that has been running would be.
    for _ in 0..20 {
        http_get(port, "/api/v1/incidents?limit=10", &token)?;
    }
    let mut lat = Vec::with_capacity(queries);
    let mut rows = 0usize;
    for _ in 0..queries {
        let from = now - SignedDuration::from_secs(rng.gen_range(30 * 86_400..730 * 86_400));
        let to = from + SignedDuration::from_hours(30 * 24);
        let cat = &codes[rng.gen_range(0..codes.len())];
        let path = format!("/api/v1/incidents?from={from}&to={to}&category={cat}");
        let t = Instant::now();
        let (status, bytes) = http_get(port, &path, &token)?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            bail!("{path} answered {status}");
        }
        rows += bytes;
    }
    lat.sort_by(f64::total_cmp);
    println!(
        "GET /api/v1/incidents, 30-day window, one category, {queries} requests: p50 {:.1} ms, p99 {:.1} ms, {:.0} kB/answer",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        rows as f64 / queries as f64 / 1000.0
    );

    // Map tiles over Kungsör at zooms 10–15, as the PostgreSQL bench asks for them.
    let (tiles, _) = time_gets(port, &kungsor_tiles(&mut rng, queries, false), &token)?;
    let (fresh, _) = time_gets(port, &kungsor_tiles(&mut rng, queries, true), &token)?;

    let mut gj = Vec::new();
    let mut size = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let (status, bytes) = http_get(port, "/api/v1/incidents.geojson?limit=100000", &token)?;
        gj.push(t.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            bail!("geojson answered {status}");
        }
        size = bytes;
    }
    gj.sort_by(f64::total_cmp);
    let hwm = vm(serve.id(), "VmHWM:").unwrap_or(0) as f64 / 1024.0;
    let rss = vm(serve.id(), "VmRSS:").unwrap_or(0) as f64 / 1024.0;
    serve.kill()?;
    let _ = serve.wait();

    let demo_db = dir.path().join("demo.db");
    let demo_port = free_port()?;
    let mut demo = Command::new(&bin)
        .args([
            "demo",
            "--db",
            demo_db.to_str().unwrap_or_default(),
            "--addr",
            &format!("127.0.0.1:{demo_port}"),
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    let demo_time = wait_healthy(demo_port, &mut demo, Duration::from_secs(120))?;
    demo.kill()?;
    let _ = demo.wait();

    println!();
    println!("lagesbild-bench: {n} incidents, SQLite, release build, loopback HTTP");
    row(
        "GET /api/v1/incidents 30 days + 1 category, p95",
        percentile(&lat, 0.95),
        50.0,
        "ms",
    );
    row(
        &format!(
            "GeoJSON of 100,000 incidents ({:.1} MB), median of 5",
            size as f64 / 1e6
        ),
        gj[2],
        1000.0,
        "ms",
    );
    row(
        "GET /api/v1/tiles z10–15 over Kungsör, p95",
        percentile(&tiles, 0.95),
        30.0,
        "ms",
    );
    row(
        "  the same, every tile made anew (no tile cache), p95",
        percentile(&fresh, 0.95),
        30.0,
        "ms",
    );
    row(
        "lagesbild demo, empty database to serving",
        demo_time.as_secs_f64() * 1000.0,
        10_000.0,
        "ms",
    );
    row("serve resident memory, peak (VmHWM)", hwm, 300.0, "MB");
    println!("(serve resident memory at the end: {rss:.0} MB)");
    Ok(())
}
