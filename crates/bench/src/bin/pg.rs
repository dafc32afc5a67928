//! The PostgreSQL store at national scale: `lagesbild-bench-pg --lagesbild BIN --url URL
//! [--incidents 10000000] [--tenants 290] [--queries 300] [--import-workers 2] [--reuse]`. Creates (or reuses) the
//! database `lb_bench` on the server at URL, seeds the municipalities and the incidents through
//! the store (the import rate), then times a real `lagesbild serve` process over loopback HTTP:
//! one tenant's 30-day filtered list and its map tiles (p95).

use anyhow::{Context, Result, bail};
use jiff::{SignedDuration, Timestamp};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{NewIncident, Store};
use store_postgres::{PgStore, with_database};

#[path = "../common.rs"]
mod common;
use common::*;

struct Seeded {
    t: BenchTenant,
    bbox: [f64; 4],
}

#[tokio::main]
async fn main() -> Result<()> {
    let bin = arg("--lagesbild").context("--lagesbild PATH (the release binary) is required")?;
    let url =
        arg("--url").context("--url postgres://… of a server where a database may be created")?;
    let n: usize = arg("--incidents")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(10_000_000);
    let tenants: usize = arg("--tenants")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(290);
    let queries: usize = arg("--queries")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(300);
    // Importers at once, each a municipality at a time (while one prepares its next batch,
    // the other's is written).
    let workers: usize = arg("--import-workers")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(2);
    let reuse = std::env::args().any(|a| a == "--reuse");
    let db = with_database(&url, "lb_bench");
    let token_file = std::env::temp_dir().join("lb_bench.token");
    let token = if reuse && token_file.exists() {
        println!("setup: reusing lb_bench");
        std::fs::read_to_string(&token_file)?.trim().to_string()
    } else {
        let admin = store_postgres::connect(&url).await?;
        admin
            .execute_admin("DROP DATABASE IF EXISTS lb_bench")
            .await?;
        admin.execute_admin("CREATE DATABASE lb_bench").await?;
        admin.close().await;
        let token = seed(&db, n, tenants, workers).await?;
        std::fs::write(&token_file, &token)?;
        token
    };

    let port = free_port()?;
    let mut serve = Command::new(&bin)
        .args(["serve", "--db", &db, "--addr", &format!("127.0.0.1:{port}")])
        .env(
            "LAGESBILD_KEY_FILE",
            std::env::temp_dir().join("lagesbild-bench-pg.key"),
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {bin}"))?;
    wait_healthy(port, &mut serve, Duration::from_secs(60))?;
    let codes: Vec<String> = service::taxonomy::EST_DEFAULTS
        .iter()
        .map(|c| c.0.to_string())
        .collect();
    let mut rng = StdRng::seed_from_u64(2);
    let now = Timestamp::now();
    for _ in 0..20 {
        http_get(port, "/api/v1/incidents?limit=10", &token)?;
    }
    let mut lat = Vec::with_capacity(queries);
    for _ in 0..queries {
        let from = now - SignedDuration::from_secs(rng.gen_range(30 * 86_400..730 * 86_400));
        let to = from + SignedDuration::from_hours(30 * 24);
        let cat = &codes[rng.gen_range(0..codes.len())];
        let path = format!("/api/v1/incidents?from={from}&to={to}&category={cat}");
        let t = Instant::now();
        let (status, _) = http_get(port, &path, &token)?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            bail!("{path} answered {status}");
        }
    }
    lat.sort_by(f64::total_cmp);
    let (tiles, bytes) = time_gets(port, &kungsor_tiles(&mut rng, queries, false), &token)?;
    let (fresh, _) = time_gets(port, &kungsor_tiles(&mut rng, queries, true), &token)?;
    serve.kill()?;
    let _ = serve.wait();
    println!();
    println!(
        "lagesbild-bench-pg: {n} incidents over {tenants} municipalities, PostgreSQL, release build, loopback HTTP"
    );
    row(
        "GET /api/v1/incidents 30 days + 1 category (one tenant), p95",
        percentile(&lat, 0.95),
        50.0,
        "ms",
    );
    row(
        &format!(
            "GET /api/v1/tiles z10–15 over Kungsör ({:.0} kB avg), p95",
            bytes as f64 / queries as f64 / 1000.0
        ),
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
    Ok(())
}

async fn seed(db: &str, n: usize, tenants: usize, importers: usize) -> Result<String> {
    let store = Arc::new(PgStore::open(db).await?);
    let munis = geo::load_municipalities(service::MUNICIPALITIES_GEOJSON)?;
    // Kungsör first: its admin's token is the one the queries use.
    let mut order: Vec<&geo::Municipality> = munis.iter().filter(|m| m.code == "1960").collect();
    order.extend(munis.iter().filter(|m| m.code != "1960"));
    let started = Instant::now();
    let mut seeded = Vec::new();
    let mut token = String::new();
    for m in order.into_iter().take(tenants) {
        let t = bench_tenant(store.as_ref(), m).await?;
        if m.code == "1960" {
            token = bench_token(store.as_ref(), &t).await?;
        }
        seeded.push(Seeded {
            bbox: m.outline.bbox(),
            t,
        });
    }
    println!(
        "setup: {} municipalities in {:.1} s",
        seeded.len(),
        started.elapsed().as_secs_f64()
    );
    // The import: every municipality's share, in batches of 20,000 in time order, two
    // municipalities at a time (two cores).
    let started = Instant::now();
    let per = n / seeded.len();
    let seeded = Arc::new(seeded);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for w in 0..importers as u64 {
        let (store, seeded, next) = (store.clone(), seeded.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(10 + w);
            let now = Timestamp::now();
            loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(s) = seeded.get(k) else { break };
                let [w, so, e, no] = s.bbox;
                let mut done = 0;
                while done < per {
                    let size = (per - done).min(20_000);
                    let slice = 730 * 86_400 / per.div_ceil(20_000).max(1) as i64;
                    let batch_no = (done / 20_000) as i64;
                    let batch: Vec<NewIncident> = (0..size)
                        .map(|_| {
                            let (lon, lat) = (rng.gen_range(w..e), rng.gen_range(so..no));
                            let age =
                                730 * 86_400 - batch_no * slice - rng.gen_range(0..slice.max(1));
                            let t = now - SignedDuration::from_secs(age.max(0));
                            let c = s.t.cats[rng.gen_range(0..s.t.cats.len())].clone();
                            synthetic_incident(
                                &mut rng,
                                (lon, lat),
                                t,
                                c,
                                &s.t.tenant.code,
                                &s.t.orgs,
                            )
                        })
                        .collect();
                    store.insert_incidents(s.t.tenant.id, &batch).await?;
                    done += size;
                }
            }
            anyhow::Ok(())
        }));
    }
    for w in workers {
        w.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let total = per * seeded.len();
    println!("import: {total} incidents through the store in {secs:.1} s");
    let rate = total as f64 / secs;
    println!(
        "{:<58} {rate:>10.0} /s  target {:>7} /s  ratio {:>5.2} {}",
        "bulk import through the store (with audit rows)",
        "50000",
        rate / 50_000.0,
        if rate >= 50_000.0 { "ok" } else { "UNDER" }
    );
    store.execute_admin("VACUUM ANALYZE").await?;
    store.close().await;
    Ok(token)
}
