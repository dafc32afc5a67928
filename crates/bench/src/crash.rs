//! The crash-durability generator (issue 15): reporters post through the API to a real
//! `lagesbild serve` on loopback while the server is killed with SIGKILL and started again;
//! every report answered 201 must be in the store afterwards, the audit chain must verify and
//! the store must open without repair. Bounded in reports and time. Used by
//! `lagesbild-bench-crash` (thousands of reports, several kills) and by the test suite's short
//! version (`crates/cli/tests/crash.rs`, a few hundred reports, one kill).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::Store;

pub struct Plan {
    /// The lagesbild binary.
    pub bin: String,
    /// A SQLite file or a PostgreSQL URL (an empty database).
    pub db: String,
    pub reporters: usize,
    /// Reports answered 201 to reach.
    pub reports: usize,
    pub kills: usize,
    /// A bound on the whole run.
    pub limit: Duration,
}

pub struct Outcome {
    pub acknowledged: usize,
    pub missing: Vec<i64>,
    pub refused_or_lost_connections: usize,
    pub kills: usize,
    pub audit_rows: u64,
    pub seconds: f64,
    /// Milliseconds of each acknowledged report, sorted.
    pub latencies: Vec<f64>,
}

impl Outcome {
    /// The `p` quantile (0–1) of the acknowledged reports' latencies, in ms.
    pub fn latency(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        self.latencies[i]
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(18_999)
}

/// The deployment key file for `db` (serve needs one for PostgreSQL; an SQLite file's is
/// beside it): one per database, so every server on it and every restart uses the same.
pub fn key_file(db: &str) -> std::path::PathBuf {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    db.hash(&mut h);
    std::env::temp_dir().join(format!("lagesbild-{:016x}.key", h.finish()))
}

pub fn start(bin: &str, db: &str, port: u16) -> std::io::Result<Child> {
    let child = Command::new(bin)
        .args(["serve", "--db", db, "--addr", &format!("127.0.0.1:{port}")])
        .env("LAGESBILD_KEY_FILE", key_file(db))
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60) {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = write!(
                s,
                "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            );
            let mut b = Vec::new();
            if s.read_to_end(&mut b).is_ok() && b.starts_with(b"HTTP/1.1 200") {
                return Ok(child);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(std::io::Error::other(
        "the server did not answer /healthz within 60 s",
    ))
}

/// One report: the id it was stored under when the answer was 201.
pub fn post(port: u16, token: &str, n: usize) -> Option<i64> {
    let body = serde_json::json!({
        "category": "skadegorelse-klotter",
        "occurred_at": "2026-11-20T10:00:00+01:00",
        "lat": 59.4224 + (n % 100) as f64 * 1e-5,
        "lon": 16.0978,
        "description": format!("Rapport {n} under belastning"),
    })
    .to_string();
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf);
    if !text.starts_with("HTTP/1.1 201") {
        return None;
    }
    let json = &text[text.find("\r\n\r\n")? + 4..];
    let json = json.trim();
    // A chunked answer: the JSON is between the size lines.
    let start = json.find('{')?;
    let end = json.rfind('}')?;
    let v: serde_json::Value = serde_json::from_str(&json[start..=end]).ok()?;
    v["id"].as_i64()
}

/// A new, empty database `{prefix}_{pid}` on the PostgreSQL server of `LAGESBILD_TEST_PG`
/// (scripts/test.sh starts a throwaway one): its URL.
// The tests that include this file use it; the bench binaries take --db.
#[allow(dead_code)]
pub async fn new_pg_database(prefix: &str) -> String {
    let server = std::env::var("LAGESBILD_TEST_PG").unwrap_or_else(|_| {
        panic!(
            "LAGESBILD_TEST_PG is not set: run ./scripts/test.sh (it starts a throwaway PostgreSQL)"
        )
    });
    let name = format!("{prefix}_{}", std::process::id());
    let admin = store_postgres::connect(&server)
        .await
        .expect("the test PostgreSQL server");
    admin
        .execute_admin(&format!("CREATE DATABASE {name}"))
        .await
        .expect("a new database");
    admin.close().await;
    store_postgres::with_database(&server, &name)
}

/// A tenant, a reporter and its API token in the empty database `db`.
pub async fn prepare(db: &str) -> anyhow::Result<String> {
    let store: Box<dyn Store> = if db.starts_with("postgres") {
        Box::new(store_postgres::PgStore::open(db).await?)
    } else {
        Box::new(store_sqlite::SqliteStore::open(db).await?)
    };
    let m = service::municipality("1960").ok_or_else(|| anyhow::anyhow!("Kungsör"))?;
    let tenant = store
        .create_tenant(&store::NewTenant {
            code: m.code.clone(),
            name: m.name.clone(),
            outline_geojson: m.outline.to_geojson().to_string(),
        })
        .await?;
    for c in service::taxonomy::est_defaults(tenant.id) {
        store.upsert_category(&c, None).await?;
    }
    let org = store
        .create_organisation(&store::NewOrganisation {
            by: None,
            tenant_id: tenant.id,
            name: "Skolan".into(),
            kind: "skola".into(),
        })
        .await?;
    let user = store
        .create_user(&store::NewUser {
            by: None,
            tenant_id: tenant.id,
            org_id: org.id,
            email: model::Email::parse("rapportor@kungsor.example")?,
            display_name: "Rapportör".into(),
            role: model::Role::Reporter,
            password_hash: "!".into(),
        })
        .await?;
    let token = service::auth::new_secret();
    store
        .create_api_token(&store::NewApiToken {
            token_hash: service::auth::hash_secret(&token),
            tenant_id: tenant.id,
            user_id: user.id,
            label: "crash".into(),
            created_at: jiff::Timestamp::now(),
            expires_at: jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24),
            by: None,
        })
        .await?;
    Ok(token)
}

/// Runs the plan: reporters post until `reports` are acknowledged, the server is killed
/// `kills` times along the way (evenly) and started again; then every acknowledged id is
/// looked up in the store and the audit chain verified.
pub async fn run(plan: &Plan, token: &str) -> anyhow::Result<Outcome> {
    let t0 = Instant::now();
    let port = free_port();
    let mut server = start(&plan.bin, &plan.db, port)?;
    let acked = Arc::new(Mutex::new(Vec::<(i64, f64)>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for r in 0..plan.reporters {
        let (acked, count, failed, stop) =
            (acked.clone(), count.clone(), failed.clone(), stop.clone());
        let token = token.to_string();
        let target = plan.reports;
        workers.push(std::thread::spawn(move || {
            let mut n = r * 1_000_000;
            while !stop.load(Ordering::SeqCst) && count.load(Ordering::SeqCst) < target {
                n += 1;
                let sent = Instant::now();
                match post(port, &token, n) {
                    Some(id) => {
                        let ms = sent.elapsed().as_secs_f64() * 1000.0;
                        acked
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((id, ms));
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    None => {
                        failed.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            }
        }));
    }
    let mut kills = 0;
    for k in 1..=plan.kills {
        let at = plan.reports * k / (plan.kills + 1);
        while count.load(Ordering::SeqCst) < at && t0.elapsed() < plan.limit {
            std::thread::sleep(Duration::from_millis(5));
        }
        // SIGKILL: no shutdown, no flush, as a power cut or the OOM killer.
        server.kill()?;
        server.wait()?;
        kills += 1;
        server = start(&plan.bin, &plan.db, port)?;
    }
    while count.load(Ordering::SeqCst) < plan.reports && t0.elapsed() < plan.limit {
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        let _ = w.join();
    }
    server.kill()?;
    server.wait()?;
    let seconds = t0.elapsed().as_secs_f64();
    let list = acked.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut latencies: Vec<f64> = list.iter().map(|(_, ms)| *ms).collect();
    latencies.sort_by(f64::total_cmp);
    let acked: BTreeSet<i64> = list.iter().map(|(id, _)| *id).collect();
    // The store opens as it is (no repair step exists), and holds every acknowledged report.
    let store: Box<dyn Store> = if plan.db.starts_with("postgres") {
        Box::new(store_postgres::PgStore::open(&plan.db).await?)
    } else {
        Box::new(store_sqlite::SqliteStore::open(&plan.db).await?)
    };
    let tenant = store
        .tenant_by_code("1960")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the tenant is gone"))?;
    let users = store.users(tenant.id).await?;
    let reporter = users
        .first()
        .ok_or_else(|| anyhow::anyhow!("the reporter is gone"))?;
    let stored: BTreeSet<i64> = store
        .list_incidents(
            &reporter.actor(),
            &store::IncidentQuery {
                limit: u32::MAX,
                ..Default::default()
            },
        )
        .await?
        .iter()
        .map(|i| i.id)
        .collect();
    let missing: Vec<i64> = acked.difference(&stored).copied().collect();
    let audit_rows = match store.verify_audit(tenant.id).await? {
        Ok(n) => n,
        Err(broken) => anyhow::bail!("the audit chain is broken: {broken}"),
    };
    Ok(Outcome {
        acknowledged: acked.len(),
        missing,
        refused_or_lost_connections: failed.load(Ordering::SeqCst),
        kills,
        audit_rows,
        seconds,
        latencies,
    })
}
