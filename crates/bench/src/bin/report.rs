//! The lägesbild PDF of a year: `lagesbild-bench-report [--incidents 50000] [--runs 10]`.
//! Seeds a fresh SQLite file with N synthetic incidents a year over Kungsör for two years (the
//! report compares with the year before), then makes the year's lägesbild (the store's reads
//! and the analysis: `service::lagesbild::build`) and its PDF (`report::pdf`) `runs` times, as
//! `lagesbild report` does, and prints the p50/p95 beside the target (≤ 1 s) as a ratio.

use anyhow::{Context, Result};
use jiff::{SignedDuration, Timestamp, ToSpan};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;
use store::{NewIncident, Store};

#[path = "../common.rs"]
mod common;
use common::*;

#[tokio::main]
async fn main() -> Result<()> {
    let n: usize = arg("--incidents")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(50_000);
    let runs: usize = arg("--runs").map(|v| v.parse()).transpose()?.unwrap_or(10);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("report.db");
    let store = store_sqlite::SqliteStore::open(path.to_str().context("path")?).await?;
    let m = service::municipality("1960").context("Kungsör boundary")?;
    let t = bench_tenant(&store, m).await?;
    let [w, s, e, nn] = m.outline.bbox();
    let mut rng = StdRng::seed_from_u64(7);
    let now = Timestamp::now();
    let started = Instant::now();
    let total = 2 * n;
    let mut done = 0;
    while done < total {
        let batch: Vec<NewIncident> = (0..(total - done).min(50_000))
            .map(|_| {
                // Half the reports gather around a few places, as real ones do.
                let (lon, lat) = loop {
                    let (lon, lat) = if rng.gen_bool(0.5) {
                        let c = [(16.097, 59.422), (16.110, 59.428), (16.085, 59.415)]
                            [rng.gen_range(0..3)];
                        (
                            c.0 + rng.gen_range(-0.004..0.004),
                            c.1 + rng.gen_range(-0.002..0.002),
                        )
                    } else {
                        (rng.gen_range(w..e), rng.gen_range(s..nn))
                    };
                    if m.outline.contains(lon, lat) {
                        break (lon, lat);
                    }
                };
                let age = rng.gen_range(0..730 * 86_400);
                let at = now - SignedDuration::from_secs(age);
                let c = t.cats[rng.gen_range(0..t.cats.len())].clone();
                synthetic_incident(&mut rng, (lon, lat), at, c, "1960", &t.orgs)
            })
            .collect();
        store.insert_incidents(t.tenant.id, &batch).await?;
        done += batch.len();
    }
    println!(
        "setup: {total} incidents (two years) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    use service::lagesbild::{self as lb, Language, Level, Request};
    let today = now.to_zoned(service::stockholm()).date();
    let req = Request {
        from: today - 365.days(),
        to: today - 1.days(),
        area: None,
        lang: Language::Sv,
    };
    let actor = lb::view(t.tenant.id, None, Level::Restricted);
    let (mut build_ms, mut pdf_ms, mut all_ms) = (Vec::new(), Vec::new(), Vec::new());
    let mut size = 0;
    let mut counted = 0;
    // One warm-up run: fonts are parsed once per process.
    for i in 0..=runs {
        // Every run from scratch: nothing memoised by the last one.
        report::forget();
        let t0 = Instant::now();
        let doc = lb::build(&store, &actor, Level::Restricted, &t.tenant, &req, now).await?;
        let t1 = Instant::now();
        let pdf = report::pdf(report::Kind::Lagesbild, &doc)?;
        let t2 = Instant::now();
        if i == 0 {
            println!(
                "first run (parses the fonts): {:.0} ms",
                (t2 - t0).as_secs_f64() * 1000.0
            );
            continue;
        }
        size = pdf.len();
        counted = doc.total.count;
        build_ms.push((t1 - t0).as_secs_f64() * 1000.0);
        pdf_ms.push((t2 - t1).as_secs_f64() * 1000.0);
        all_ms.push((t2 - t0).as_secs_f64() * 1000.0);
    }
    for v in [&mut build_ms, &mut pdf_ms, &mut all_ms] {
        v.sort_by(f64::total_cmp);
    }
    println!("a year: {counted} incidents in the report, PDF {size} bytes, {runs} runs");
    println!(
        "  figures (store + analysis) p50 {:.0} ms, PDF (Typst) p50 {:.0} ms",
        percentile(&build_ms, 0.5),
        percentile(&pdf_ms, 0.5)
    );
    row(
        "lägesbild PDF of a year, p50",
        percentile(&all_ms, 0.5),
        1000.0,
        "ms",
    );
    row(
        "lägesbild PDF of a year, p95",
        percentile(&all_ms, 0.95),
        1000.0,
        "ms",
    );
    Ok(())
}
