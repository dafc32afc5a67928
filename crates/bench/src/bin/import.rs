//! `lagesbild-bench-import`: importing a spreadsheet of incidents into SQLite (issue 14's
//! target: 100,000 rows in ≤ 5 s), the first time (all new) and again (all unchanged), each
//! beside its target as a ratio.
//!
//! ```sh
//! cargo build --release -p bench
//! $CARGO_TARGET_DIR/release/lagesbild-bench-import [--rows 100000]
//! ```
//!
//! The file is what a municipality's spreadsheet looks like saved by Swedish Excel: semicolons,
//! decimal commas, Swedish dates, category names, an id column; the points lie in Kungsör.
#![forbid(unsafe_code)]

use anyhow::{Context, Result};
use jiff::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use service::import::{self, Format, Mapping, OnError};
use std::fmt::Write;
use std::time::Instant;
use store::Store;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `rows` rows in Kungsör's centre (±1.5 km), over 2024–2025.
pub fn spreadsheet(rows: usize) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(14);
    let names = [
        "Klotter",
        "Glaskross",
        "Nedskräpning",
        "Trafik",
        "Narkotika",
        "Annat",
    ];
    let months = service::polisen::MONTHS;
    let mut out = String::with_capacity(rows * 90);
    out.push_str("Ärendenr;Kategori;Datum;Klockslag;Latitud;Longitud;Beskrivning\n");
    for i in 0..rows {
        let lat = 59.4225 + rng.gen_range(-0.012..0.012);
        let lon = 16.0985 + rng.gen_range(-0.025..0.025);
        let day = rng.gen_range(1..=28);
        let month = rng.gen_range(0..12);
        let year = rng.gen_range(2024..=2025);
        let date = if i % 2 == 0 {
            format!("{year}-{:02}-{day:02}", month + 1)
        } else {
            format!("{day} {} {year}", months[month])
        };
        let _ = writeln!(
            out,
            "F-{i};{};{date};{:02}.{:02};{};{};Anmält via felanmälan, ärende {i}",
            names[i % names.len()],
            rng.gen_range(0..24),
            rng.gen_range(0..60),
            format!("{lat:.6}").replace('.', ","),
            format!("{lon:.6}").replace('.', ","),
        );
    }
    out.into_bytes()
}

#[tokio::main]
async fn main() -> Result<()> {
    let rows = arg("--rows", 100_000);
    let dir = tempfile::tempdir()?;
    let store =
        store_sqlite::SqliteStore::open(dir.path().join("import.db").to_str().context("path")?)
            .await?;
    let now = Timestamp::now();
    service::demo::seed(&store, None, now, 1960).await?;
    let tenant = store.tenant_by_code("1960").await?.context("demo tenant")?;
    let org = store
        .organisations(tenant.id)
        .await?
        .into_iter()
        .find(|o| o.kind == "kommun")
        .context("kommun")?;
    let categories = store.categories(tenant.id).await?;
    let places = store.places(tenant.id).await?;
    let bytes = spreadsheet(rows);
    println!("{rows} rows, {:.1} MB of CSV", bytes.len() as f64 / 1e6);
    let target = 5.0 * rows as f64 / 100_000.0;
    for run in ["first import (all new)", "same file again (all unchanged)"] {
        let t0 = Instant::now();
        let parsed = import::parse(
            &bytes,
            Format::Csv,
            &Mapping::default(),
            &tenant,
            &categories,
            &places,
            org.id,
            now,
            |_, _| {},
        )?;
        let read = t0.elapsed().as_secs_f64();
        anyhow::ensure!(
            parsed.bad_rows == 0,
            "{:?}",
            &parsed.errors[..3.min(parsed.errors.len())]
        );
        let out = import::store(
            &store,
            &tenant,
            parsed,
            OnError::StoreNothing,
            "bench.csv",
            &bytes,
            None,
            now,
            |_, _| {},
        )
        .await?;
        let total = t0.elapsed().as_secs_f64();
        println!(
            "{run}: {total:.2} s (read and check {read:.2} s, store {:.2} s; {} new, {} unchanged) — target ≤ {target:.1} s, ratio {:.2}",
            total - read,
            out.stored.inserted,
            out.stored.unchanged,
            total / target
        );
    }
    Ok(())
}
