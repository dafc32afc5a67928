//! `lagesbild`: the one binary. It parses the command line and wires the store, the service
//! layer and the web server together; the logic lives in the library crates.
#![forbid(unsafe_code)]

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use jiff::Timestamp;
use model::{Email, Role};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::{NewUser, Store};
use store_postgres::PgStore;
use store_sqlite::SqliteStore;

#[derive(Parser)]
#[command(
    name = "lagesbild",
    version,
    about = "Gemensam lokal lägesbild för kommun och polis (EST)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Database: a SQLite file path or sqlite: URL (created if missing), or a PostgreSQL URL
    /// (postgres://user@host/db).
    #[arg(long, env = "LAGESBILD_DB", default_value = "lagesbild.db")]
    db: String,
    /// Address to listen on.
    #[arg(long, env = "LAGESBILD_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// External MapLibre style URL for the base map (default: offline municipality outline).
    #[arg(long, env = "LAGESBILD_MAP_STYLE_URL")]
    map_style_url: Option<String>,
    /// Mark cookies Secure (when served over HTTPS).
    #[arg(long, env = "LAGESBILD_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Poll the police's events API (e.g. https://polisen.se/api/events) for every tenant
    /// with a police organisation.
    #[arg(long, env = "LAGESBILD_POLISEN_URL")]
    polisen_url: Option<String>,
    /// Take a backup every night into this directory (SQLite).
    #[arg(long, env = "LAGESBILD_BACKUP_DIR")]
    backup_dir: Option<PathBuf>,
    /// Backups kept in --backup-dir (the oldest go).
    #[arg(long, env = "LAGESBILD_BACKUP_KEEP", default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=365))]
    backup_keep: u64,
    /// When the nightly backup is taken (HH:MM, Swedish time).
    #[arg(long, env = "LAGESBILD_BACKUP_AT", default_value = "02:30")]
    backup_at: String,
    /// Minutes between polls of the police's events API.
    #[arg(long, env = "LAGESBILD_POLISEN_EVERY", default_value_t = 30, value_parser = clap::value_parser!(u64).range(5..=1440))]
    polisen_every: u64,
    /// The deployment's key file, which seals the second factor's secrets in the store; made
    /// on first start. Keep it apart from the database and its backups (default: beside an
    /// SQLite database as DB.key; required for PostgreSQL, the same file for every server).
    #[arg(long, env = "LAGESBILD_KEY_FILE")]
    key_file: Option<PathBuf>,
}

/// The key file of a database: the one given, or `<db>.key` beside an SQLite file.
fn key_file_of(db: &str, given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p);
    }
    if is_postgres(db) {
        anyhow::bail!(
            "serving PostgreSQL needs --key-file (LAGESBILD_KEY_FILE): the deployment's key, the \
             same file for every server on the database"
        );
    }
    let path = sqlite_file(db);
    let path = path.split('?').next().unwrap_or(path);
    Ok(PathBuf::from(format!("{path}.key")))
}

/// Opens (or makes) the key and takes the store over with it: refuses a store sealed with
/// another key, seals the secrets stored before sealing began.
async fn sealer_for(store: &dyn Store, file: &std::path::Path) -> Result<service::sealing::Sealer> {
    let sealer = service::sealing::Sealer::load_or_create(file)?;
    let sealed = service::sealing::take_over(store, &sealer).await?;
    if sealed > 0 {
        println!(
            "Förseglade {sealed} tvåstegshemligheter med nyckeln i {}",
            file.display()
        );
    }
    Ok(sealer)
}

#[derive(Subcommand)]
enum Command {
    /// Create the Kungsör demo (on an empty database) and serve it.
    Demo {
        #[command(flatten)]
        serve: DemoServeArgs,
        /// The police events file to import Kungsör's events from
        /// (default: ../shared/data/polisen/events-2022-09-to-2026-08.jsonl.gz if present).
        #[arg(long, env = "LAGESBILD_POLISEN_FILE")]
        polisen: Option<PathBuf>,
        /// Seed the demo data and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Serve an existing database.
    Serve(ServeArgs),
    /// Move a municipality to another database (e.g. from its SQLite file into the shared
    /// PostgreSQL), checked table by table by row counts and SHA-256.
    Copy {
        /// The source database (SQLite file or PostgreSQL URL).
        #[arg(long)]
        from: String,
        /// The target database; the municipality must not be in it yet.
        #[arg(long)]
        to: String,
        /// The municipality's code, e.g. 1960.
        #[arg(long)]
        tenant: String,
    },
    /// A consistent copy of a SQLite database, taken while the server keeps serving
    /// (for PostgreSQL use pg_dump; see the README).
    Backup {
        #[arg(long, env = "LAGESBILD_DB")]
        db: String,
        /// The new file (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup back as the database: the copy is checked first (SQLite's integrity
    /// check, the schema, every tenant's audit chain). Stop the server first.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// The database file to restore into.
        #[arg(long, env = "LAGESBILD_DB")]
        db: String,
        /// Replace an existing database (it is kept beside as FILE.before-restore-TIME).
        #[arg(long)]
        replace: bool,
    },
    /// Apply pending schema migrations (serve and demo also do it when they start).
    Migrate {
        /// A PostgreSQL URL (postgres://…) or a SQLite file.
        #[arg(long, env = "LAGESBILD_DB")]
        db: String,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Retention (gallring): anonymise or delete incidents past their category's period.
    Gallra {
        #[arg(long)]
        db: String,
        /// Only this tenant (municipality code).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Retention settings.
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// Spatial analysis of a point file (CSV with x,y or lon,lat, and t): CSV on stdout.
    Analyze {
        #[command(subcommand)]
        command: AnalyzeCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The lägesbild of a period as a PDF (A4), e.g. for scheduled mailing.
    Report {
        /// A SQLite file or a PostgreSQL URL.
        #[arg(long, env = "LAGESBILD_DB")]
        db: String,
        /// The municipality's code, e.g. 1960.
        #[arg(long)]
        tenant: String,
        /// First day of the period (YYYY-MM-DD); default two weeks before --to.
        #[arg(long)]
        from: Option<String>,
        /// Last day of the period, included (YYYY-MM-DD); default yesterday.
        #[arg(long)]
        to: Option<String>,
        /// Only this area or school (its name as in the municipality's places).
        #[arg(long)]
        area: Option<String>,
        /// sv or en.
        #[arg(long, default_value = "sv")]
        lang: String,
        /// Who may read it: restricted (police and coordinator), partners, or management
        /// (aggregated figures only).
        #[arg(long, default_value = "restricted")]
        level: String,
        /// The PDF file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Import data.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
}

#[derive(Args, Clone)]
struct DemoServeArgs {
    #[arg(long, env = "LAGESBILD_DB", default_value = "lagesbild-demo.db")]
    db: String,
    #[arg(long, env = "LAGESBILD_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    #[arg(long, env = "LAGESBILD_MAP_STYLE_URL")]
    map_style_url: Option<String>,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        #[arg(long)]
        db: String,
        /// Tenant code (municipality code), e.g. 1960.
        #[arg(long)]
        tenant: String,
        /// Organisation name (must exist in the tenant).
        #[arg(long)]
        org: String,
        /// admin, analyst, reporter or reader.
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: String,
        /// Display name (default: the e-mail address).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input (required; passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API bearer token for a user and print it (only it) on standard output. An
    /// administrator or analyst must have set up two-step verification first.
    Create {
        #[arg(long)]
        db: String,
        #[arg(long)]
        email: String,
        /// Its name, to know it by in the lists.
        #[arg(long, alias = "label", default_value = "cli")]
        name: String,
        /// Days until it stops working (1–365).
        #[arg(long, default_value_t = service::tokens::DEFAULT_DAYS)]
        days: i64,
    },
    /// List a municipality's tokens (of one user with --email): id, user, name, expiry, last use.
    List {
        #[arg(long)]
        db: String,
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: Option<String>,
    },
    /// End a token by its id (from `token list`).
    Revoke {
        #[arg(long)]
        db: String,
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        id: String,
    },
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Set how long a category's incidents are kept in full (or --none for no limit), and/or
    /// what happens after (--action anonymise|delete).
    Set {
        #[arg(long)]
        db: String,
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        category: Option<String>,
        #[arg(long, conflicts_with = "none")]
        months: Option<u32>,
        #[arg(long)]
        none: bool,
        #[arg(long)]
        action: Option<String>,
    },
}

#[derive(Subcommand)]
enum AnalyzeCommand {
    /// Getis-Ord Gi* hot spots with FDR-corrected confidence bins.
    Gistar {
        #[arg(long)]
        points: PathBuf,
        /// Cell side in metres.
        #[arg(long)]
        cell: f64,
        /// queen or distance:METRES
        #[arg(long, default_value = "queen")]
        weights: String,
        /// minx,miny,maxx,maxy (SWEREF 99 TM metres); default: the points' bounding box.
        #[arg(long)]
        extent: Option<String>,
        /// csv or geojson
        #[arg(long, default_value = "csv")]
        format: String,
        /// Conditional permutations for a pseudo p-value per cell (column p_sim); 0: none.
        #[arg(long, default_value_t = 0)]
        permutations: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Local Moran's I (LISA) with conditional-permutation pseudo p-values.
    Moran {
        #[arg(long)]
        points: PathBuf,
        #[arg(long)]
        cell: f64,
        #[arg(long, default_value = "queen")]
        weights: String,
        #[arg(long, default_value_t = 999)]
        permutations: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        extent: Option<String>,
    },
    /// Quartic kernel density, incidents per km².
    Kde {
        #[arg(long)]
        points: PathBuf,
        #[arg(long)]
        cell: f64,
        /// Bandwidth in metres.
        #[arg(long)]
        bandwidth: f64,
        #[arg(long)]
        extent: Option<String>,
        #[arg(long, default_value = "csv")]
        format: String,
    },
    /// Prospective hot spots: the cells most at risk after --until.
    Forecast {
        #[arg(long)]
        points: PathBuf,
        #[arg(long)]
        cell: f64,
        /// Only points before this date (YYYY-MM-DD) or time are used.
        #[arg(long)]
        until: String,
        /// Share of the cells with any incident to flag, e.g. 0.036.
        #[arg(long)]
        area_share: f64,
        #[arg(long)]
        extent: Option<String>,
    },
    /// PAI and PEI of flagged cells against points.
    Pai {
        /// CSV with cell_x,cell_y (e.g. the output of forecast or gistar filtered on bin).
        #[arg(long)]
        flagged: PathBuf,
        #[arg(long)]
        points: PathBuf,
        #[arg(long)]
        cell: f64,
        #[arg(long)]
        extent: Option<String>,
    },
    /// Weighted Displacement Quotient of an action: incidents before,after in the treated
    /// area, the buffer around it and a control area (e.g. --treated 100,60).
    Wdq {
        #[arg(long)]
        treated: String,
        #[arg(long)]
        buffer: String,
        #[arg(long)]
        control: String,
    },
    /// Knox test for near repeats.
    Knox {
        #[arg(long)]
        points: PathBuf,
        /// Upper bounds of the spatial bands in metres, e.g. 100,200,400.
        #[arg(long)]
        space_bands: String,
        /// Upper bounds of the time bands in days, e.g. 7,14,28.
        #[arg(long)]
        time_bands: String,
        #[arg(long, default_value_t = 999)]
        permutations: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Manhattan distance (the Near Repeat Calculator's default) instead of Euclidean.
        #[arg(long)]
        manhattan: bool,
    },
}

fn analyze(command: AnalyzeCommand) -> Result<String, service::analyze::AnalyzeError> {
    use service::analyze as a;
    match command {
        AnalyzeCommand::Gistar {
            points,
            cell,
            weights,
            extent,
            format,
            permutations,
            seed,
        } => {
            let extent = extent.as_deref().map(a::parse_extent).transpose()?;
            let format = a::Format::parse(&format)?;
            a::gistar(&points, cell, &weights, extent, format, permutations, seed)
        }
        AnalyzeCommand::Kde {
            points,
            cell,
            bandwidth,
            extent,
            format,
        } => {
            let extent = extent.as_deref().map(a::parse_extent).transpose()?;
            a::kde(&points, cell, bandwidth, extent, a::Format::parse(&format)?)
        }
        AnalyzeCommand::Moran {
            points,
            cell,
            weights,
            permutations,
            seed,
            extent,
        } => {
            let extent = extent.as_deref().map(a::parse_extent).transpose()?;
            a::moran(&points, cell, &weights, permutations, seed, extent)
        }
        AnalyzeCommand::Forecast {
            points,
            cell,
            until,
            area_share,
            extent,
        } => {
            let extent = extent.as_deref().map(a::parse_extent).transpose()?;
            a::forecast(&points, cell, &until, area_share, extent)
        }
        AnalyzeCommand::Pai {
            flagged,
            points,
            cell,
            extent,
        } => {
            let extent = extent.as_deref().map(a::parse_extent).transpose()?;
            a::pai(&flagged, &points, cell, extent)
        }
        AnalyzeCommand::Wdq {
            treated,
            buffer,
            control,
        } => a::wdq(&treated, &buffer, &control),
        AnalyzeCommand::Knox {
            points,
            space_bands,
            time_bands,
            permutations,
            seed,
            manhattan,
        } => {
            let space = a::parse_bands("space-bands", &space_bands)?;
            let time = a::parse_bands("time-bands", &time_bands)?;
            a::knox(&points, &space, &time, permutations, seed, manhattan)
        }
    }
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the hash chain of a tenant's audit log (all tenants if none is given); reports
    /// the first broken row and exits with status 1 if there is one.
    Verify {
        #[arg(long)]
        db: String,
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import the police's public events (JSON lines, optionally gzip) for a tenant's
    /// municipality; incremental and idempotent by event id.
    Polisen {
        #[arg(long)]
        db: String,
        #[arg(long)]
        tenant: String,
        /// Name of the police organisation in the tenant that the events are attributed to.
        #[arg(long)]
        org: Option<String>,
        /// Fetch from the live API (e.g. https://polisen.se/api/events) instead of a file:
        /// the months from the newest event already stored to this month.
        #[arg(long, conflicts_with = "file")]
        url: Option<String>,
        /// With --url: fetch every month from this one (YYYY-MM-DD; a first backfill) instead
        /// of from the newest event already stored.
        #[arg(long, requires = "url")]
        since: Option<String>,
        #[arg(required_unless_present = "url")]
        file: Option<PathBuf>,
    },
    /// Import incidents from a CSV file (UTF-8 or Windows-1252; comma, semicolon or tab).
    /// Idempotent on the external id: importing the same file twice changes nothing.
    Csv(TableImport),
    /// Import incidents from a GeoJSON FeatureCollection of points.
    Geojson(TableImport),
}

#[derive(Args)]
struct TableImport {
    #[arg(long)]
    db: String,
    #[arg(long)]
    tenant: String,
    /// The organisation the incidents are attributed to (default: the municipality's own).
    #[arg(long)]
    org: Option<String>,
    /// A JSON file naming the columns and mapping category values to codes.
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Check every row and say what would be stored; store nothing.
    #[arg(long)]
    dry_run: bool,
    /// Store the good rows when some are wrong (default: store nothing then).
    #[arg(long)]
    keep_good: bool,
    file: PathBuf,
}

fn is_postgres(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// Opens the store at `db` — a PostgreSQL URL or a SQLite file (created if missing) — and
/// applies pending migrations; a database from a newer Lägesbild is refused.
async fn open(db: &str) -> Result<Arc<dyn Store>> {
    if is_postgres(db) {
        let store = PgStore::open(db)
            .await
            .context("opening the PostgreSQL database")?;
        return Ok(Arc::new(store));
    }
    let store = SqliteStore::open(db)
        .await
        .with_context(|| format!("opening database {db}"))?;
    Ok(Arc::new(store))
}

/// `lagesbild copy`: one municipality from one database to another, verified.
async fn copy(from: &str, to: &str, tenant: &str) -> Result<()> {
    let source = open(from).await?;
    let target = open(to).await?;
    let report = service::copy::copy_tenant(
        source.as_ref(),
        target.as_ref(),
        tenant,
        jiff::Timestamp::now(),
    )
    .await
    .with_context(|| format!("copying municipality {tenant}"))?;
    println!(
        "copied municipality {tenant} (tenant id {} in the target):",
        report.tenant_id
    );
    for t in &report.tables {
        println!(
            "  {:<20} {:>9} rows  sha256 {}  same in both",
            t.table, t.rows, t.sha256
        );
    }
    Ok(())
}

/// `lagesbild migrate`: brings the database's schema up to this program's.
async fn migrate(db: &str) -> Result<()> {
    if is_postgres(db) {
        let store = store_postgres::connect(db)
            .await
            .context("connecting to PostgreSQL")?;
        let applied = store.migrate().await?;
        store.close().await;
        if applied.is_empty() {
            println!("the database is up to date");
        } else {
            println!("applied migrations {applied:?}");
        }
        return Ok(());
    }
    // The SQLite store migrates when it is opened.
    let store = SqliteStore::open(db)
        .await
        .with_context(|| format!("opening database {db}"))?;
    store.close().await;
    println!("the database is up to date");
    Ok(())
}

/// The file of an SQLite location (a path, or a `sqlite:` URL).
fn sqlite_file(db: &str) -> &str {
    db.strip_prefix("sqlite://")
        .or_else(|| db.strip_prefix("sqlite:"))
        .unwrap_or(db)
}

/// The SQLite file that backup and restore work on.
fn sqlite_path(db: &str) -> Result<&str> {
    if is_postgres(db) {
        bail!(
            "backup and restore here are for SQLite; for PostgreSQL use pg_dump --format=custom and pg_restore (see the README)"
        );
    }
    Ok(sqlite_file(db))
}

async fn backup(db: &str, out: &Path) -> Result<()> {
    let path = sqlite_path(db)?;
    if !Path::new(path).is_file() {
        bail!("no database at {path}");
    }
    let store = SqliteStore::open(path)
        .await
        .with_context(|| format!("opening database {path}"))?;
    store
        .backup_into(out)
        .await
        .with_context(|| format!("backing up to {}", out.display()))?;
    store.close().await;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    println!(
        "backup of {path} written to {} ({:.1} MB)",
        out.display(),
        bytes as f64 / 1e6
    );
    Ok(())
}

/// Opens a database file and checks it whole: SQLite's integrity check and every tenant's
/// audit chain. Returns the tenants and audit rows checked.
async fn check_copy(path: &str) -> Result<(usize, u64)> {
    let store = SqliteStore::open(path)
        .await
        .with_context(|| format!("opening {path}"))?;
    let problems = store.integrity_problems().await?;
    if !problems.is_empty() {
        bail!("{path} is damaged: {}", problems.join("; "));
    }
    let tenants = store.tenants().await?;
    let mut rows = 0;
    for t in &tenants {
        match store.verify_audit(t.id).await? {
            Ok(n) => rows += n,
            Err(broken) => bail!("{path}: the audit trail of {} is broken: {broken}", t.code),
        }
    }
    store.close().await;
    Ok((tenants.len(), rows))
}

async fn restore(from: &Path, db: &str, replace: bool) -> Result<()> {
    let target = PathBuf::from(sqlite_path(db)?);
    if !from.is_file() {
        bail!("no backup at {}", from.display());
    }
    if target.exists() && !replace {
        bail!(
            "{} exists: stop the server and give --replace (the old file is kept beside)",
            target.display()
        );
    }
    // Check a copy next to the target, so the backup itself is never changed and the
    // target is replaced by a rename.
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let staging = dir.join(format!(
        ".{}.restoring",
        target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("lagesbild.db")
    ));
    for side in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{side}", staging.display()));
    }
    std::fs::copy(from, &staging)
        .with_context(|| format!("copying {} to {}", from.display(), staging.display()))?;
    let staging_str = staging
        .to_str()
        .context("the path is not UTF-8")?
        .to_string();
    let (tenants, rows) = match check_copy(&staging_str).await {
        Ok(x) => x,
        Err(e) => {
            let _ = std::fs::remove_file(&staging);
            return Err(e.context(format!("{} was not restored", from.display())));
        }
    };
    if target.exists() {
        let stamp = Timestamp::now().strftime("%Y%m%dT%H%M%S").to_string();
        for side in ["", "-wal", "-shm"] {
            let old = PathBuf::from(format!("{}{side}", target.display()));
            if old.exists() {
                let kept = format!("{}.before-restore-{stamp}{side}", target.display());
                std::fs::rename(&old, &kept)
                    .with_context(|| format!("moving {} aside", old.display()))?;
            }
        }
    }
    std::fs::rename(&staging, &target)
        .with_context(|| format!("putting the copy at {}", target.display()))?;
    println!(
        "restored {} to {}: {tenants} municipalities, {rows} audit rows verified",
        from.display(),
        target.display()
    );
    Ok(())
}

/// Every night at `at` (HH:MM, Swedish time) a backup into `dir`, keeping the newest `keep`.
fn spawn_nightly_backup(db: &str, dir: PathBuf, keep: usize, at: &str) -> Result<()> {
    let path = sqlite_path(db)?.to_string();
    let (h, m) = at
        .split_once(':')
        .and_then(|(h, m)| Some((h.parse::<i8>().ok()?, m.parse::<i8>().ok()?)))
        .filter(|(h, m)| (0..24).contains(h) && (0..60).contains(m))
        .with_context(|| format!("--backup-at {at:?} is not a time HH:MM"))?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(service::backup::until_next(Timestamp::now(), h, m)).await;
            let out = dir.join(service::backup::file_name(Timestamp::now()));
            match SqliteStore::open(&path).await {
                Ok(store) => {
                    match store.backup_into(&out).await {
                        Ok(()) => tracing::info!("backup written to {}", out.display()),
                        Err(e) => tracing::error!("nightly backup: {e}"),
                    }
                    store.close().await;
                }
                Err(e) => tracing::error!("nightly backup: opening {path}: {e}"),
            }
            match service::backup::prune(&dir, keep) {
                Ok(gone) => {
                    for g in gone {
                        tracing::info!("old backup removed: {}", g.display());
                    }
                }
                Err(e) => tracing::error!("pruning backups in {}: {e}", dir.display()),
            }
        }
    });
    Ok(())
}

/// Retention once a day (first a minute after start), for every tenant.
fn spawn_daily_retention(store: Arc<dyn Store>) {
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        let mut every_day = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
        loop {
            every_day.tick().await;
            match service::retention::run(store.as_ref(), None, Timestamp::now()).await {
                Ok(reports) => {
                    for (t, r) in &reports {
                        tracing::info!("retention: {}", service::retention::describe(t, r));
                    }
                }
                Err(e) => tracing::error!("retention failed: {e}"),
            }
        }
    });
}

async fn serve(store: Arc<dyn Store>, addr: &str, config: web::WebConfig) -> Result<()> {
    spawn_daily_retention(store.clone());
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    let local = listener.local_addr()?;
    println!("Lägesbild körs på http://{local}/  (avsluta med Ctrl-C)");
    tracing::info!("serving {} on http://{local}/", store.describe());
    let state = web::AppState::new(store, config);
    web::serve(state, listener).await?;
    Ok(())
}

fn default_polisen_file() -> Option<PathBuf> {
    let name = "data/polisen/events-2022-09-to-2026-08.jsonl.gz";
    let mut candidates: Vec<PathBuf> = std::env::var_os("LAGESBILD_SHARED")
        .map(|d| PathBuf::from(d).join(name))
        .into_iter()
        .collect();
    candidates.extend([
        PathBuf::from("../shared").join(name),
        PathBuf::from("shared").join(name),
    ]);
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            candidates.push(dir.join("../shared").join(name));
        }
    }
    candidates.into_iter().find(|p| p.is_file())
}

async fn demo(args: DemoServeArgs, polisen: Option<PathBuf>, no_serve: bool) -> Result<()> {
    let started = std::time::Instant::now();
    let store = open(&args.db).await?;
    let polisen = polisen.or_else(default_polisen_file);
    let report = service::demo::seed(store.as_ref(), polisen.as_deref(), Timestamp::now(), 1960)
        .await
        .context("creating the demo data")?;
    match report {
        None => println!(
            "Databasen {} har redan demodata; inloggningarna skrevs ut när den skapades.",
            args.db
        ),
        Some(r) => {
            println!(
                "Demodata skapad i {} på {:.1} s:",
                args.db,
                started.elapsed().as_secs_f64()
            );
            println!("  kommun: {} ({})", r.tenant.name, r.tenant.code);
            println!("  syntetiska händelser: {}", r.synthetic);
            match &r.police {
                Ok(s) => println!(
                    "  polisens händelser för {}: {} nya, {} uppdaterade, {} oförändrade ({} sammanfattningar hoppades över, {} rader med fel) från {}",
                    r.tenant.name,
                    s.stored.inserted,
                    s.stored.updated,
                    s.stored.unchanged,
                    s.read.summaries_skipped,
                    s.read.errors.len(),
                    polisen
                        .as_deref()
                        .map(Path::display)
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                ),
                Err(e) => println!("  polisens händelser importerades inte: {e}"),
            }
            println!();
            println!(
                "Inloggningar (lösenorden visas bara nu; administratör och analytiker ställer in"
            );
            println!("tvåstegsverifiering med en app för engångskoder vid första inloggningen):");
            for l in &r.logins {
                println!(
                    "  {:<34} lösenord: {}   roll: {:<8}  {}",
                    l.email,
                    l.password,
                    l.role.as_str(),
                    l.who
                );
            }
            println!();
        }
    }
    if no_serve {
        return Ok(());
    }
    let sealer = sealer_for(store.as_ref(), &key_file_of(&args.db, None)?).await?;
    serve(
        store,
        &args.addr,
        web::WebConfig {
            map_style_url: args.map_style_url,
            demo: true,
            sealer,
            ..Default::default()
        },
    )
    .await
}

async fn user_add(
    db: &str,
    tenant: &str,
    org: &str,
    role: &str,
    email: &str,
    name: Option<String>,
) -> Result<()> {
    let role = Role::parse(role)?;
    let email = Email::parse(email)?;
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']);
    let hash = service::auth::hash_password(password)?;
    let store = open(db).await?;
    let tenant = store
        .tenant_by_code(tenant)
        .await?
        .with_context(|| format!("no tenant with code {tenant:?}"))?;
    let orgs = store.organisations(tenant.id).await?;
    let Some(org) = orgs.iter().find(|o| o.name == org) else {
        bail!(
            "no organisation {org:?} in tenant {}; there are: {}",
            tenant.code,
            orgs.iter()
                .map(|o| format!("{:?}", o.name))
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let user = store
        .create_user(&NewUser {
            by: None,
            tenant_id: tenant.id,
            org_id: org.id,
            display_name: name.unwrap_or_else(|| email.to_string()),
            email,
            role,
            password_hash: hash,
        })
        .await?;
    eprintln!(
        "user {} ({}) added to {} in {}",
        user.email, user.role, org.name, tenant.name
    );
    Ok(())
}

async fn token_create(db: &str, email: &str, name: &str, days: i64) -> Result<()> {
    let store = open(db).await?;
    let email = Email::parse(email)?;
    let (user, _) = store
        .user_credentials(&email)
        .await?
        .with_context(|| format!("no user with e-mail {email}"))?;
    let token =
        service::tokens::issue(store.as_ref(), &user, name, days, None, Timestamp::now()).await?;
    println!("{token}");
    Ok(())
}

async fn tenant_of(store: &dyn Store, code: &str) -> Result<store::Tenant> {
    store
        .tenant_by_code(code)
        .await?
        .with_context(|| format!("no tenant with code {code:?}"))
}

async fn token_list(db: &str, tenant: &str, email: Option<&str>) -> Result<()> {
    let store = open(db).await?;
    let t = tenant_of(store.as_ref(), tenant).await?;
    let user = match email {
        None => None,
        Some(e) => {
            let email = Email::parse(e)?;
            let (u, _) = store
                .user_credentials(&email)
                .await?
                .filter(|(u, _)| u.tenant_id == t.id)
                .with_context(|| format!("no user with e-mail {email} in {}", t.name))?;
            Some(u.id)
        }
    };
    println!("id\tuser\tname\texpires\tlast used");
    for k in store.api_tokens(t.id, user).await? {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            k.id,
            k.user_name,
            k.label,
            k.expires_at,
            k.last_used_at
                .map(|t| t.to_string())
                .unwrap_or_else(|| "never".into())
        );
    }
    Ok(())
}

async fn token_revoke(db: &str, tenant: &str, id: &str) -> Result<()> {
    let store = open(db).await?;
    let t = tenant_of(store.as_ref(), tenant).await?;
    store
        .revoke_api_token(t.id, id.trim(), None, None)
        .await
        .with_context(|| format!("no token {id:?} in {}", t.name))?;
    eprintln!("token {id} revoked");
    Ok(())
}

async fn audit_verify(db: &str, tenant: Option<String>) -> Result<bool> {
    let store = open(db).await?;
    let tenants = match tenant {
        Some(code) => vec![
            store
                .tenant_by_code(&code)
                .await?
                .with_context(|| format!("no tenant with code {code:?}"))?,
        ],
        None => store.tenants().await?,
    };
    let mut all_ok = true;
    for t in tenants {
        match store.verify_audit(t.id).await? {
            Ok(rows) => {
                let head = store
                    .audit_log(
                        t.id,
                        &store::AuditFilter {
                            limit: 1,
                            ..Default::default()
                        },
                    )
                    .await?
                    .first()
                    .map(|e| e.hash.clone())
                    .unwrap_or_else(|| store::audit::GENESIS.to_string());
                println!("{} ({}): ok, {rows} rows, head {head}", t.name, t.code);
            }
            Err(broken) => {
                all_ok = false;
                println!(
                    "{} ({}): BROKEN at row {}: {}",
                    t.name, t.code, broken.seq, broken.reason
                );
            }
        }
    }
    Ok(all_ok)
}

async fn gallra(db: &str, tenant: Option<String>) -> Result<()> {
    let store = open(db).await?;
    let reports =
        service::retention::run(store.as_ref(), tenant.as_deref(), Timestamp::now()).await?;
    if reports.is_empty() {
        bail!("no tenant {}", tenant.unwrap_or_default());
    }
    for (t, r) in &reports {
        println!("{}", service::retention::describe(t, r));
    }
    Ok(())
}

async fn retention_set(
    db: &str,
    tenant: &str,
    category: Option<String>,
    months: Option<u32>,
    none: bool,
    action: Option<String>,
) -> Result<()> {
    let store = open(db).await?;
    let t = store
        .tenant_by_code(tenant)
        .await?
        .with_context(|| format!("no tenant with code {tenant:?}"))?;
    if let Some(a) = action {
        store
            .set_retention_action(t.id, model::RetentionAction::parse(&a)?)
            .await?;
    }
    if let Some(code) = category {
        let mut cats = store.categories(t.id).await?;
        let Some(c) = cats.iter_mut().find(|c| c.code.as_str() == code) else {
            bail!("no category {code:?} in tenant {}", t.code);
        };
        if months.is_none() && !none {
            bail!("give --months N or --none for category {code}");
        }
        c.retention_months = if none { None } else { months };
        store.upsert_category(c, None).await?;
    }
    let t = store.tenant(t.id).await?.context("tenant vanished")?;
    println!(
        "{} ({}): after the period incidents are {}",
        t.name,
        t.code,
        match t.retention_action {
            model::RetentionAction::Anonymise => "anonymised",
            model::RetentionAction::Delete => "deleted",
        }
    );
    for c in store.categories(t.id).await? {
        if let Some(m) = c.retention_months {
            println!("  {}: {m} months", c.code);
        }
    }
    Ok(())
}

async fn import_polisen(
    db: &str,
    tenant: &str,
    org: Option<String>,
    url: Option<&str>,
    since: Option<jiff::civil::Date>,
    file: Option<&Path>,
) -> Result<()> {
    let store = open(db).await?;
    let tenant = store
        .tenant_by_code(tenant)
        .await?
        .with_context(|| format!("no tenant with code {tenant:?}"))?;
    let orgs = store.organisations(tenant.id).await?;
    let police = match &org {
        Some(name) => orgs.iter().find(|o| &o.name == name),
        None => orgs.iter().find(|o| o.kind == "polis"),
    }
    .with_context(|| {
        format!(
            "no police organisation in tenant {} (give --org NAME)",
            tenant.code
        )
    })?;
    let (s, source) = match (url, file) {
        (Some(url), _) => {
            let live = web::polisen::import_live(
                store.as_ref(),
                &tenant,
                police.id,
                url,
                since,
                Timestamp::now(),
            )
            .await?;
            println!("months fetched: {}", live.months.join(", "));
            (live.import, url.to_string())
        }
        (None, Some(file)) => (
            service::polisen::import_file(
                store.as_ref(),
                &tenant,
                police.id,
                file,
                Timestamp::now(),
            )
            .await?,
            file.display().to_string(),
        ),
        (None, None) => bail!("give a FILE or --url"),
    };
    println!(
        "{} lines read: {} events for {}, {} summaries skipped, {} for other places; stored {} new, {} updated, {} unchanged",
        s.read.lines,
        s.read.events.len(),
        tenant.name,
        s.read.summaries_skipped,
        s.read.other_places,
        s.stored.inserted,
        s.stored.updated,
        s.stored.unchanged
    );
    for e in &s.read.errors {
        eprintln!("{source}: {e}");
    }
    if !s.read.errors.is_empty() {
        bail!(
            "{} lines could not be read (listed above); the others were imported",
            s.read.errors.len()
        );
    }
    Ok(())
}

fn bar(len: usize, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:10} [{bar:40}] {pos}/{len} ({eta})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

async fn import_table(a: TableImport, format: service::import::Format) -> Result<()> {
    use service::import::{self, ImportError, Mapping, OnError};
    let store = open(&a.db).await?;
    let tenant = store
        .tenant_by_code(&a.tenant)
        .await?
        .with_context(|| format!("no tenant with code {:?}", a.tenant))?;
    let orgs = store.organisations(tenant.id).await?;
    let org = match &a.org {
        Some(name) => orgs.iter().find(|o| &o.name == name),
        None => orgs.iter().find(|o| o.kind == "kommun"),
    }
    .with_context(|| {
        format!(
            "no organisation {} in tenant {} (give --org NAME; there are: {})",
            a.org.as_deref().unwrap_or("of kind kommun"),
            tenant.code,
            orgs.iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let mapping = match &a.mapping {
        None => Mapping::default(),
        Some(p) => Mapping::parse(
            &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        )
        .with_context(|| p.display().to_string())?,
    };
    let bytes = std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let categories = store.categories(tenant.id).await?;
    let places = store.places(tenant.id).await?;
    let now = Timestamp::now();
    let reading = bar(0, "Läser");
    let parsed = import::parse(
        &bytes,
        format,
        &mapping,
        &tenant,
        &categories,
        &places,
        org.id,
        now,
        |done, total| {
            reading.set_length(total as u64);
            reading.set_position(done as u64);
        },
    )
    .with_context(|| a.file.display().to_string())?;
    reading.finish_and_clear();
    let name = a.file.display().to_string();
    for e in &parsed.errors {
        eprintln!("{name}: {e}");
    }
    if parsed.bad_rows > parsed.errors.len() {
        eprintln!(
            "{name}: … (the first {} problems are listed)",
            parsed.errors.len()
        );
    }
    let used: Vec<String> = parsed
        .used
        .iter()
        .map(|(f, c)| format!("{}={c:?}", f.as_str()))
        .collect();
    println!(
        "{} rows read: {} good, {} wrong; columns {}; {} personal details removed from the text",
        parsed.rows,
        parsed.good.len(),
        parsed.bad_rows,
        used.join(", "),
        parsed.redacted
    );
    if a.dry_run {
        println!("dry run: nothing was stored");
        if parsed.bad_rows > 0 {
            bail!("{} rows are wrong (listed above)", parsed.bad_rows);
        }
        return Ok(());
    }
    let on_error = if a.keep_good {
        OnError::KeepGood
    } else {
        OnError::StoreNothing
    };
    let (bad, good) = (parsed.bad_rows, parsed.good.len());
    let storing = bar(parsed.good.len(), "Sparar");
    let outcome = match import::store(
        store.as_ref(),
        &tenant,
        parsed,
        on_error,
        &name,
        &bytes,
        None,
        now,
        |done, _| storing.set_position(done as u64),
    )
    .await
    {
        Err(ImportError::Rejected(_)) => bail!(
            "{bad} rows are wrong (listed above), so nothing was stored; correct them, or give --keep-good to store the {good} good rows"
        ),
        other => other?,
    };
    storing.finish_and_clear();
    println!(
        "stored {} new, {} updated, {} unchanged",
        outcome.stored.inserted, outcome.stored.updated, outcome.stored.unchanged
    );
    if bad > 0 {
        bail!("{bad} rows are wrong (listed above); the good rows were stored");
    }
    Ok(())
}

struct ReportArgs {
    db: String,
    tenant: String,
    from: Option<String>,
    to: Option<String>,
    area: Option<String>,
    lang: String,
    level: String,
    out: PathBuf,
}

fn parse_date(option: &str, value: &str) -> Result<jiff::civil::Date> {
    model::dates::date(value).with_context(|| {
        format!(
            "{option} {value:?} is not a date (YYYY-MM-DD) from {} to {}",
            model::dates::FIRST_YEAR,
            model::dates::LAST_YEAR
        )
    })
}

/// `lagesbild report`: the lägesbild PDF of a period.
async fn report(a: ReportArgs) -> Result<()> {
    use service::lagesbild::{self as lb, Language, Level, Request};
    let lang = Language::parse(&a.lang)?;
    let level = Level::parse(&a.level)?;
    let now = Timestamp::now();
    let today = now.to_zoned(service::stockholm()).date();
    let to = match &a.to {
        Some(v) => parse_date("--to", v)?,
        None => Request::default_period(today).1,
    };
    let from = match &a.from {
        Some(v) => parse_date("--from", v)?,
        None => to - jiff::ToSpan::days(13),
    };
    Request::period(from, to)?;
    let store = open(&a.db).await?;
    let tenant = store
        .tenant_by_code(&a.tenant)
        .await?
        .with_context(|| format!("no tenant with code {:?}", a.tenant))?;
    let area = match &a.area {
        Some(name) => Some(lb::find_area(&store.places(tenant.id).await?, name)?),
        None => None,
    };
    let req = Request {
        from,
        to,
        area,
        lang,
    };
    let actor = lb::view(tenant.id, None, level);
    let doc = lb::build(store.as_ref(), &actor, level, &tenant, &req, now).await?;
    let pdf =
        tokio::task::spawn_blocking(move || report::pdf(report::Kind::Lagesbild, &doc)).await??;
    std::fs::write(&a.out, &pdf).with_context(|| format!("writing {}", a.out.display()))?;
    println!(
        "{}: {} bytes, {} – {}",
        a.out.display(),
        pdf.len(),
        req.from,
        req.to
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Demo {
            serve,
            polisen,
            no_serve,
        } => demo(serve, polisen, no_serve).await,
        Command::Migrate { db } => migrate(&db).await,
        Command::Backup { db, out } => backup(&db, &out).await,
        Command::Restore { from, db, replace } => restore(&from, &db, replace).await,
        Command::Report {
            db,
            tenant,
            from,
            to,
            area,
            lang,
            level,
            out,
        } => {
            report(ReportArgs {
                db,
                tenant,
                from,
                to,
                area,
                lang,
                level,
                out,
            })
            .await
        }
        Command::Copy { from, to, tenant } => copy(&from, &to, &tenant).await,
        Command::Serve(a) => {
            let store = open(&a.db).await?;
            let sealer =
                sealer_for(store.as_ref(), &key_file_of(&a.db, a.key_file.clone())?).await?;
            if let Some(dir) = a.backup_dir.clone() {
                spawn_nightly_backup(&a.db, dir, a.backup_keep as usize, &a.backup_at)?;
            }
            if let Some(url) = a.polisen_url.clone() {
                web::polisen::spawn_poller(
                    store.clone(),
                    url,
                    std::time::Duration::from_secs(a.polisen_every * 60),
                );
            }
            serve(
                store,
                &a.addr,
                web::WebConfig {
                    map_style_url: a.map_style_url,
                    secure_cookies: a.secure_cookies,
                    sealer,
                    ..Default::default()
                },
            )
            .await
        }
        Command::User {
            command:
                UserCommand::Add {
                    db,
                    tenant,
                    org,
                    role,
                    email,
                    name,
                    password_stdin: _,
                },
        } => user_add(&db, &tenant, &org, &role, &email, name).await,
        Command::Token {
            command:
                TokenCommand::Create {
                    db,
                    email,
                    name,
                    days,
                },
        } => token_create(&db, &email, &name, days).await,
        Command::Token {
            command: TokenCommand::List { db, tenant, email },
        } => token_list(&db, &tenant, email.as_deref()).await,
        Command::Token {
            command: TokenCommand::Revoke { db, tenant, id },
        } => token_revoke(&db, &tenant, &id).await,
        Command::Gallra { db, tenant } => gallra(&db, tenant).await,
        // Bad input ends with one line naming file, line and value, and status 2.
        Command::Analyze { command } => match analyze(command) {
            Ok(out) => {
                use std::io::Write;
                match std::io::stdout().write_all(out.as_bytes()) {
                    // A reader that stopped early (| head) is not an error.
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                    other => Ok(other?),
                }
            }
            Err(e) => {
                eprintln!("lagesbild analyze: {e}");
                std::process::exit(2)
            }
        },
        Command::Retention {
            command:
                RetentionCommand::Set {
                    db,
                    tenant,
                    category,
                    months,
                    none,
                    action,
                },
        } => retention_set(&db, &tenant, category, months, none, action).await,
        Command::Audit {
            command: AuditCommand::Verify { db, tenant },
        } => {
            if audit_verify(&db, tenant).await? {
                Ok(())
            } else {
                std::process::exit(1)
            }
        }
        Command::Import {
            command:
                ImportCommand::Polisen {
                    db,
                    tenant,
                    org,
                    url,
                    since,
                    file,
                },
        } => {
            let since = since.map(|s| parse_date("--since", &s)).transpose()?;
            import_polisen(&db, &tenant, org, url.as_deref(), since, file.as_deref()).await
        }
        Command::Import {
            command: ImportCommand::Csv(a),
        } => import_table(a, service::import::Format::Csv).await,
        Command::Import {
            command: ImportCommand::Geojson(a),
        } => import_table(a, service::import::Format::GeoJson).await,
    }
}
