//! `lagesbild-bench-field`: the numbers of field reporting (issue 13) against a real
//! `lagesbild serve` over loopback HTTP, each beside its target as a ratio.
//!
//! ```sh
//! cargo build --release -p lagesbild -p bench
//! $CARGO_TARGET_DIR/release/lagesbild-bench-field --lagesbild $CARGO_TARGET_DIR/release/lagesbild [--incidents 1000000]
//! ```
//!
//! 1. The report page's own scripts and styles, as the server sends them compressed (gzip),
//!    when no map is asked for (target ≤ 100 kB); the map's scripts are listed apart.
//! 2. `POST /incidents` of a report with one photo of about 2 MB, as the phone's queue sends it
//!    (multipart, its own key each time): p50/p95/p99 (target p95 ≤ 300 ms).
//! 3. `GET /api/v1/incidents/nearby` (the duplicate hint) on N incidents in one municipality
//!    (default 1,000,000, two years), at random points, categories and times: p50/p95/p99
//!    (target p95 ≤ 10 ms); and the store's own time in-process, for the record.
#![forbid(unsafe_code)]

#[path = "../common.rs"]
mod common;

use anyhow::{Context, Result, bail};
use common::*;
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use store::{NewIncident, Store};

const PASSWORD: &str = "ett langt losenord for matningen 42";

/// One HTTP/1.1 request on a fresh connection: status, headers, body.
fn request(port: u16, head: &str, body: &[u8]) -> Result<(u16, String, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of headers")?;
    let headers = String::from_utf8_lossy(&buf[..split]).to_string();
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut body = buf[split + 4..].to_vec();
    if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok((status, headers, body))
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = b.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&b[start..(start + size).min(b.len())]);
        b = &b[(start + size + 2).min(b.len())..];
    }
    out
}

fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

fn get(port: u16, path: &str, cookie: &str, gzip: bool) -> Result<(u16, String, Vec<u8>)> {
    let enc = if gzip {
        "Accept-Encoding: gzip\r\n"
    } else {
        ""
    };
    request(
        port,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n{enc}Connection: close\r\n\r\n"
        ),
        b"",
    )
}

async fn seed(path: &str, n: usize) -> Result<(String, Vec<String>)> {
    let store = store_sqlite::SqliteStore::open(path).await?;
    let m = service::municipality("1960").context("Kungsör boundary")?;
    let t = bench_tenant(&store, m).await?;
    let token = bench_token(&store, &t).await?;
    store
        .create_user(&store::NewUser {
            by: None,
            tenant_id: t.tenant.id,
            org_id: t.orgs[2],
            email: model::Email::parse("falt@kungsor.example")?,
            display_name: "Fältrapportör".into(),
            role: model::Role::Reporter,
            password_hash: service::auth::hash_password(PASSWORD)?,
        })
        .await?;
    let mut rng = StdRng::seed_from_u64(1);
    let now = Timestamp::now();
    let started = Instant::now();
    let mut done = 0;
    while done < n {
        let batch: Vec<NewIncident> = (0..(n - done).min(50_000))
            .map(|_| {
                let (lon, lat) = point_in(&mut rng, m);
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
        "setup: {n} incidents written through the store in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok((token, t.cats.iter().map(|c| c.to_string()).collect()))
}

/// A photo of about `bytes` as a phone sends it after shrinking: 2048 × 1536, noisy enough
/// that JPEG cannot make it small.
fn photo(bytes: usize) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut quality = 98u8;
    let img = image::RgbImage::from_fn(2048, 1536, |x, y| {
        let base = ((x / 8 + y / 8) % 150) as u8;
        image::Rgb([
            base.wrapping_add(rng.gen_range(0..100)),
            base.wrapping_add(rng.gen_range(0..100)),
            base / 2 + rng.gen_range(0..100),
        ])
    });
    loop {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(&img)
            .expect("encodes");
        if out.len() <= bytes + bytes / 20 || quality < 40 {
            return out;
        }
        quality -= 2;
    }
}

fn login(port: u16) -> Result<(String, String)> {
    let form = format!(
        "email=falt%40kungsor.example&password={}&next=%2Fincidents%2Fnew",
        PASSWORD.replace(' ', "+")
    );
    let (status, headers, _) = request(
        port,
        &format!(
            "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            form.len()
        ),
        form.as_bytes(),
    )?;
    if status != 303 {
        bail!("sign-in answered {status}");
    }
    let cookie = header(&headers, "set-cookie")
        .and_then(|c| c.split(';').next())
        .context("no session cookie")?
        .to_string();
    let (_, _, page) = get(port, "/incidents/new", &cookie, false)?;
    let page = String::from_utf8_lossy(&page);
    let key = r#"name="csrf" value=""#;
    let at = page.find(key).context("no csrf field")? + key.len();
    let csrf = page[at..].split('"').next().unwrap_or_default().to_string();
    Ok((cookie, csrf))
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
    let db = arg("--db")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("field.db"));
    let (token, codes) = if db.exists() {
        println!("setup: reusing {}", db.display());
        let token = std::fs::read_to_string(db.with_extension("token"))?;
        let codes = service::taxonomy::EST_DEFAULTS
            .iter()
            .map(|c| c.0.to_string())
            .collect();
        (token.trim().to_string(), codes)
    } else {
        let (token, codes) = seed(db.to_str().context("utf-8 path")?, n).await?;
        std::fs::write(db.with_extension("token"), &token)?;
        (token, codes)
    };

    // The store's own time for the duplicate hint, in-process.
    let m = service::municipality("1960").context("Kungsör boundary")?;
    let mut rng = StdRng::seed_from_u64(3);
    let now = Timestamp::now();
    let mut points = Vec::new();
    while points.len() < queries {
        let (lon, lat) = point_in(&mut rng, m);
        let at = now - SignedDuration::from_secs(rng.gen_range(0..700 * 86_400));
        let cat = codes[rng.gen_range(0..codes.len())].clone();
        points.push((lon, lat, at, cat));
    }
    let in_process = {
        let store = store_sqlite::SqliteStore::open(db.to_str().unwrap_or_default()).await?;
        // Half the questions where a report is: the same spot, kind and day as one made before
        // (what a duplicate is), so the store has candidates to sort by distance.
        {
            let (admin, _) = store
                .user_credentials(&model::Email::parse("bench@kungsor.example")?)
                .await?
                .context("the bench user")?;
            let pts = store
                .incident_points(&admin.actor(), &store::IncidentFilter::default(), 100_000)
                .await?;
            for q in points.iter_mut().step_by(2) {
                let p = &pts[rng.gen_range(0..pts.len())];
                *q = (
                    p.lon + 0.0001,
                    p.lat,
                    p.occurred_from + SignedDuration::from_hours(3),
                    p.category.to_string(),
                );
            }
        }
        let (user, _) = store
            .user_credentials(&model::Email::parse("falt@kungsor.example")?)
            .await?
            .context("the reporter")?;
        let (admin, _) = store
            .user_credentials(&model::Email::parse("bench@kungsor.example")?)
            .await?
            .context("the bench user")?;
        let mut times = Vec::new();
        let mut found = 0;
        for (who, (lon, lat, at, cat)) in [&admin, &user].iter().cycle().zip(&points) {
            let t = Instant::now();
            found += store
                .nearby_incidents(
                    &who.actor(),
                    &store::NearbyQuery {
                        lon: *lon,
                        lat: *lat,
                        category: model::CategoryCode::parse(cat)?,
                        at: *at,
                        radius_m: 50.0,
                        hours: 48,
                        limit: 10,
                    },
                )
                .await?
                .len();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        store.close().await;
        println!(
            "store.nearby_incidents in-process, {} questions (half at a reported spot): p50 {:.2} ms, p95 {:.2} ms, {found} found",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.95)
        );
        times
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
    let (cookie, csrf) = login(port)?;

    // 1. The weight of the report page without a map.
    let (_, _, html) = get(port, "/incidents/new", &cookie, true)?;
    let page = String::from_utf8_lossy(&html).to_string();
    if page.contains("maplibre") {
        bail!("the report page names MapLibre before the map is asked for");
    }
    let mut weight = 0usize;
    println!("report page, as sent compressed:");
    let mut files: Vec<String> = web::REPORT_PAGE_FILES
        .iter()
        .map(|f| format!("/static/{f}"))
        .collect();
    files.push("/categories.css".into());
    for path in &files {
        if !page.contains(path.as_str()) && !path.ends_with("queue.js") {
            bail!("the report page does not load {path}: update web::REPORT_PAGE_FILES");
        }
        let (status, headers, body) = get(port, path, &cookie, true)?;
        if status != 200 {
            bail!("{path} answered {status}");
        }
        let enc = header(&headers, "content-encoding").unwrap_or("none");
        println!("  {path:<28} {:>7} bytes ({enc})", body.len());
        weight += body.len();
    }
    let (_, _, form_js) = get(port, "/static/report-form.js", &cookie, false)?;
    if String::from_utf8_lossy(&form_js).contains("from '/static/maplibre") {
        bail!("report-form.js imports MapLibre at once");
    }
    let mut map_weight = 0;
    for path in [
        "/static/pick-map.js",
        "/static/maplibre/maplibre-gl.mjs",
        "/static/maplibre/maplibre-gl-worker.mjs",
        "/static/maplibre/maplibre-gl.css",
    ] {
        map_weight += get(port, path, &cookie, true)?.2.len();
    }
    println!(
        "  (the map, loaded only when asked for: {:.0} kB more)",
        map_weight as f64 / 1000.0
    );
    let page_kb = html.len() as f64 / 1000.0;

    // 2. Reports with a 2 MB photo.
    let jpeg = photo(2_000_000);
    let reports = (queries / 3).max(30);
    let mut times = Vec::with_capacity(reports);
    for k in 0..reports {
        let boundary = "----bench-boundary";
        let mut body = Vec::new();
        for (name, value) in [
            ("csrf", csrf.as_str()),
            ("category", "skadegorelse-klotter"),
            ("occurred_from", "2026-11-27T07:40"),
            ("lat", "59.4224"),
            ("lon", "16.0978"),
            ("description", "Klotter på busskuren, mätning"),
        ] {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"IMG_{k}.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&jpeg);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let head = format!(
            "POST /incidents HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nAccept: application/json\r\nIdempotency-Key: bench-{k}-{}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            now.as_second(),
            body.len()
        );
        let t = Instant::now();
        let (status, _, answer) = request(port, &head, &body)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if status != 201 || !String::from_utf8_lossy(&answer).contains("\"photos_refused\":[]") {
            bail!(
                "a report with a photo answered {status}: {}",
                String::from_utf8_lossy(&answer)
            );
        }
    }
    times.sort_by(f64::total_cmp);

    // 3. The duplicate hint over HTTP.
    let mut hint = Vec::with_capacity(points.len());
    for (lon, lat, at, cat) in &points {
        let path = format!(
            "/api/v1/incidents/nearby?lat={lat:.6}&lon={lon:.6}&category={cat}&at={}",
            at
        );
        let t = Instant::now();
        let (status, _) = http_get(port, &path, &token)?;
        hint.push(t.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            bail!("{path} answered {status}");
        }
    }
    hint.sort_by(f64::total_cmp);
    let hwm = vm(serve.id(), "VmHWM:").unwrap_or(0) as f64 / 1024.0;
    serve.kill()?;
    let _ = serve.wait();

    println!();
    println!(
        "lagesbild-bench-field: {n} incidents, SQLite, release build, loopback HTTP; photo {:.2} MB",
        jpeg.len() as f64 / 1e6
    );
    row(
        "report page's own JS + CSS, compressed, no map",
        weight as f64 / 1000.0,
        100.0,
        "kB",
    );
    println!("  (the page's HTML itself: {page_kb:.1} kB compressed)");
    row(
        &format!("POST /incidents with one photo, {reports} reports, p95"),
        percentile(&times, 0.95),
        300.0,
        "ms",
    );
    println!(
        "  (p50 {:.0} ms, p99 {:.0} ms)",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    row(
        &format!("GET /api/v1/incidents/nearby on {n} incidents, p95"),
        percentile(&hint, 0.95),
        10.0,
        "ms",
    );
    println!(
        "  (p50 {:.2} ms, p99 {:.2} ms; the store alone p95 {:.2} ms)",
        percentile(&hint, 0.5),
        percentile(&hint, 0.99),
        percentile(&in_process, 0.95)
    );
    println!("serve resident memory, peak (VmHWM): {hwm:.0} MB");
    Ok(())
}
