//! What both benchmarks use: arguments, a minimal HTTP client, process helpers, reporting.
#![allow(dead_code)]

use anyhow::{Result, bail};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Child;
use std::time::{Duration, Instant};

pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

pub fn http_get(port: u16, path: &str, token: &str) -> Result<(u16, usize)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let head = String::from_utf8_lossy(&buf[..buf.len().min(32)]).to_string();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, buf.len()))
}

pub fn wait_healthy(port: u16, child: &mut Child, limit: Duration) -> Result<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait()? {
            bail!("server exited early: {status}");
        }
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = write!(
                s,
                "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            );
            let mut buf = Vec::new();
            if s.read_to_end(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.1 200") {
                return Ok(start.elapsed());
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!("no /healthz within {limit:?}")
}

/// A signed-in session of `user` (past its second factor) for a page reader: its secret, the
/// session cookie's value.
pub async fn page_session(
    store: &dyn store::Store,
    user: &store::User,
    now: jiff::Timestamp,
) -> Result<String> {
    let secret = service::auth::new_secret();
    store
        .create_session(&store::NewSession {
            token_hash: service::auth::hash_secret(&secret),
            tenant_id: user.tenant_id,
            user_id: user.id,
            csrf_token: service::auth::new_secret(),
            created_at: now,
            expires_at: now + jiff::SignedDuration::from_hours(8),
            stage: store::SessionStage::Full,
        })
        .await?;
    Ok(secret)
}

pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

pub fn vm(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

pub fn row(what: &str, measured: f64, target: f64, unit: &str) {
    println!(
        "{what:<58} {measured:>10.1} {unit:<3} target {target:>7.1} {unit:<3} ratio {:>5.2} {}",
        measured / target,
        if measured <= target { "ok" } else { "OVER" }
    );
}

/// One synthetic report for the benchmarks: a point, a time, a category; visibility and
/// organisation drawn from `rng` (in that order).
pub fn synthetic_incident(
    rng: &mut rand::rngs::StdRng,
    (lon, lat): (f64, f64),
    t: jiff::Timestamp,
    category: model::CategoryCode,
    municipality: &str,
    orgs: &[i64],
) -> store::NewIncident {
    use model::{IncidentStatus, Precision, Source, Visibility};
    use rand::Rng;
    let p = geo::to_sweref99tm(lon, lat);
    store::NewIncident {
        category,
        occurred_from: t,
        occurred_to: t,
        lon,
        lat,
        e: p.e,
        n: p.n,
        precision: Precision::Exact,
        place_id: None,
        area_ids: vec![],
        place_text: None,
        municipality_code: Some(municipality.into()),
        description: "Syntetisk händelse för prestandamätning".into(),
        school_id: None,
        persons_involved: None,
        visibility: [
            Visibility::AllPartners,
            Visibility::PoliceAndCoordinator,
            Visibility::OwnOrganisation,
        ][rng.gen_range(0..3)],
        status: IncidentStatus::New,
        source: Source::Bulk,
        external_id: None,
        external_url: None,
        org_id: orgs[rng.gen_range(0..orgs.len())],
        user_id: None,
        created_at: t,
        same_as: None,
    }
}

/// Tile paths over Kungsör at zooms 10–15, as a map panned and zoomed there asks for them.
/// With `anew`, each path carries filters that change no tile but every key of the server's
/// tile cache (a `to` far ahead, a `from` long ago), so every tile is made from the database.
pub fn kungsor_tiles(rng: &mut rand::rngs::StdRng, queries: usize, anew: bool) -> Vec<String> {
    use rand::Rng;
    let (lon0, lat0) = (16.0978f64, 59.4224f64);
    (0..queries)
        .map(|k| {
            let z = 10 + (k % 6) as u32;
            let nz = f64::from(1u32 << z);
            let lon = lon0 + rng.gen_range(-0.05..0.05);
            let la = (lat0 + rng.gen_range(-0.03..0.03f64)).to_radians();
            let x = ((lon + 180.0) / 360.0 * nz) as u32;
            let y =
                ((1.0 - (la.tan() + 1.0 / la.cos()).ln() / std::f64::consts::PI) / 2.0 * nz) as u32;
            let mut path = format!("/api/v1/tiles/{z}/{x}/{y}.mvt");
            if anew {
                path.push_str(&format!(
                    "?to=2100-01-01T00:00:{:02}Z&from=2000-01-{:02}",
                    k % 60,
                    1 + k / 60 % 28
                ));
            }
            path
        })
        .collect()
}

/// Times GET of each path (ms, sorted) and the bytes they answered; an answer other than 200
/// is an error.
pub fn time_gets(port: u16, paths: &[String], token: &str) -> anyhow::Result<(Vec<f64>, usize)> {
    let mut times = Vec::with_capacity(paths.len());
    let mut bytes = 0;
    for path in paths {
        let t = std::time::Instant::now();
        let (status, size) = http_get(port, path, token)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            anyhow::bail!("{path} answered {status}");
        }
        bytes += size;
    }
    times.sort_by(f64::total_cmp);
    Ok((times, bytes))
}

/// A municipality as both benchmarks set it up: the tenant, the EST categories and three
/// organisations.
pub struct BenchTenant {
    pub tenant: store::Tenant,
    pub cats: Vec<model::CategoryCode>,
    pub orgs: Vec<i64>,
}

pub async fn bench_tenant(
    store: &dyn store::Store,
    m: &geo::Municipality,
) -> anyhow::Result<BenchTenant> {
    let tenant = store
        .create_tenant(&store::NewTenant {
            code: m.code.clone(),
            name: m.name.clone(),
            outline_geojson: m.outline.to_geojson().to_string(),
        })
        .await?;
    let cats = service::taxonomy::est_defaults(tenant.id);
    for c in &cats {
        store.upsert_category(c, None).await?;
    }
    let mut orgs = Vec::new();
    for (name, kind) in [
        ("Kommunen", "kommun"),
        ("Polisen", "polis"),
        ("Skolan", "skola"),
    ] {
        let o = store
            .create_organisation(&store::NewOrganisation {
                by: None,
                tenant_id: tenant.id,
                name: name.into(),
                kind: kind.into(),
            })
            .await?;
        orgs.push(o.id);
    }
    Ok(BenchTenant {
        tenant,
        cats: cats.into_iter().map(|c| c.code).collect(),
        orgs,
    })
}

/// The benchmark's administrator in a tenant, and an API token for its requests.
pub async fn bench_token(store: &dyn store::Store, t: &BenchTenant) -> anyhow::Result<String> {
    let user = store
        .create_user(&store::NewUser {
            by: None,
            tenant_id: t.tenant.id,
            org_id: t.orgs[0],
            email: model::Email::parse("bench@kungsor.example")?,
            display_name: "Bench".into(),
            role: model::Role::Admin,
            password_hash: "!".into(),
        })
        .await?;
    let token = service::auth::new_secret();
    store
        .create_api_token(&store::NewApiToken {
            token_hash: service::auth::hash_secret(&token),
            tenant_id: t.tenant.id,
            user_id: user.id,
            label: "bench".into(),
            created_at: jiff::Timestamp::now(),
            expires_at: jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 30),
            by: None,
        })
        .await?;
    Ok(token)
}

/// A point drawn uniformly from the municipality's bounding box until one falls inside it.
pub fn point_in(rng: &mut rand::rngs::StdRng, m: &geo::Municipality) -> (f64, f64) {
    use rand::Rng;
    let [w, s, e, n] = m.outline.bbox();
    loop {
        let lon = rng.gen_range(w..e);
        let lat = rng.gen_range(s..n);
        if m.outline.contains(lon, lat) {
            return (lon, lat);
        }
    }
}
