//! The binary's administrative commands, run as a user would run them.

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_lagesbild");

fn polisen_file() -> String {
    service::shared_data("data/polisen/events-2022-09-to-2026-08.jsonl.gz")
        .to_str()
        .unwrap()
        .to_string()
}

fn run(args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn demo_user_token_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let db = db.to_str().unwrap();

    let (ok, out, err) = run(
        &[
            "demo",
            "--db",
            db,
            "--no-serve",
            "--polisen",
            &polisen_file(),
        ],
        None,
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("samordnare@kungsor.example"), "{out}");
    assert!(out.contains("46 nya"), "{out}");
    // A second run finds the data and does not print passwords again.
    let (ok, out, _) = run(&["demo", "--db", db, "--no-serve"], None);
    assert!(ok);
    assert!(!out.contains("lösenord:"), "{out}");

    let (ok, out, err) = run(
        &[
            "user",
            "add",
            "--db",
            db,
            "--tenant",
            "1960",
            "--org",
            "Kungsörs kommun",
            "--role",
            "analyst",
            "--email",
            "ny@kungsor.example",
            "--password-stdin",
        ],
        Some("ett tillräckligt långt lösenord\n"),
    );
    assert!(ok, "{out}{err}");
    let (ok, _, err) = run(
        &[
            "user",
            "add",
            "--db",
            db,
            "--tenant",
            "1960",
            "--org",
            "Finns inte",
            "--role",
            "analyst",
            "--email",
            "x@kungsor.example",
            "--password-stdin",
        ],
        Some("ett tillräckligt långt lösenord\n"),
    );
    assert!(!ok);
    assert!(
        err.contains("\"Finns inte\"") && err.contains("Kungsörs kommun"),
        "{err}"
    );
    let (ok, _, err) = run(
        &[
            "user",
            "add",
            "--db",
            db,
            "--tenant",
            "1960",
            "--org",
            "Kungsörs kommun",
            "--role",
            "analyst",
            "--email",
            "kort@kungsor.example",
            "--password-stdin",
        ],
        Some("kort\n"),
    );
    assert!(!ok);
    assert!(err.contains("at least 12"), "{err}");

    // An analyst signs in with two-step verification: no token before it is set up.
    let (ok, out, err) = run(
        &[
            "token",
            "create",
            "--db",
            db,
            "--email",
            "ny@kungsor.example",
        ],
        None,
    );
    assert!(!ok && out.is_empty(), "{out}");
    assert!(err.contains("two-step verification"), "{err}");
    let (ok, out, err) = run(
        &[
            "user",
            "add",
            "--db",
            db,
            "--tenant",
            "1960",
            "--org",
            "Kungsörs kommun",
            "--role",
            "reporter",
            "--email",
            "app@kungsor.example",
            "--password-stdin",
        ],
        Some("ett tillräckligt långt lösenord\n"),
    );
    assert!(ok, "{out}{err}");
    let (ok, out, err) = run(
        &[
            "token",
            "create",
            "--db",
            db,
            "--email",
            "app@kungsor.example",
            "--name",
            "Skolappen",
            "--days",
            "30",
        ],
        None,
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "only the token on stdout: {out:?}");
    assert_eq!(lines[0].len(), 43);
    let (ok, _, err) = run(
        &[
            "token",
            "create",
            "--db",
            db,
            "--email",
            "app@kungsor.example",
            "--days",
            "400",
        ],
        None,
    );
    assert!(!ok && err.contains("1 to 365 days"), "{err}");
    // Listed with its name and expiry, revoked by its id.
    let (ok, out, err) = run(&["token", "list", "--db", db, "--tenant", "1960"], None);
    assert!(ok, "{err}");
    let row = out
        .lines()
        .find(|l| l.contains("Skolappen"))
        .expect("the token is listed");
    assert!(row.contains("never"), "{row}");
    let id = row.split('\t').next().unwrap().to_string();
    assert_eq!(id.len(), 12);
    let (ok, _, err) = run(
        &[
            "token", "revoke", "--db", db, "--tenant", "1960", "--id", &id,
        ],
        None,
    );
    assert!(ok, "{err}");
    let (_, out, _) = run(&["token", "list", "--db", db, "--tenant", "1960"], None);
    assert!(!out.contains("Skolappen"), "{out}");
    let (ok, _, err) = run(
        &[
            "token", "revoke", "--db", db, "--tenant", "1960", "--id", &id,
        ],
        None,
    );
    assert!(!ok && err.contains("no token"), "{err}");

    let (ok, out, err) = run(&["audit", "verify", "--db", db, "--tenant", "1960"], None);
    assert!(ok, "{out}{err}");
    assert!(out.contains("Kungsör (1960): ok,"), "{out}");

    // Retention: nothing has a period yet; then klotter 1 month, which anonymises old reports.
    let (ok, out, err) = run(&["gallra", "--db", db], None);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("0 anonymised, 0 deleted (no category has a retention period)"),
        "{out}"
    );
    let (ok, out, err) = run(
        &[
            "retention",
            "set",
            "--db",
            db,
            "--tenant",
            "1960",
            "--category",
            "skadegorelse-klotter",
            "--months",
            "1",
        ],
        None,
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("skadegorelse-klotter: 1 months"), "{out}");
    let (ok, out, err) = run(&["gallra", "--db", db, "--tenant", "1960"], None);
    assert!(ok, "{out}{err}");
    let anonymised: u64 = out
        .split(": ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(anonymised > 50, "{out}");
    let (ok, out, _) = run(&["gallra", "--db", db], None);
    assert!(
        ok && out.contains("0 anonymised"),
        "a second run changes nothing: {out}"
    );
    let (ok, _, err) = run(
        &[
            "retention",
            "set",
            "--db",
            db,
            "--tenant",
            "1960",
            "--category",
            "ufo",
            "--months",
            "1",
        ],
        None,
    );
    assert!(!ok && err.contains("\"ufo\""), "{err}");

    // Importing the same file again changes nothing.
    let (ok, out, err) = run(
        &[
            "import",
            "polisen",
            "--db",
            db,
            "--tenant",
            "1960",
            &polisen_file(),
        ],
        None,
    );
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("stored 0 new, 0 updated, 46 unchanged"),
        "{out}"
    );
}

#[test]
fn analyze_commands_follow_the_csv_contract() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../analysis/tests/fixtures");
    let points = format!("{fixtures}/points-2000-1.csv");
    let (ok, out, err) = run(
        &[
            "analyze",
            "gistar",
            "--points",
            &points,
            "--cell",
            "250",
            "--weights",
            "queen",
        ],
        None,
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "cell_x,cell_y,count,z,p,bin");
    assert_eq!(lines.len(), 1 + 80 * 80);
    assert!(
        lines[1].starts_with("560000,6570000,0,-0.097413629369162"),
        "{}",
        lines[1]
    );
    let (ok, out_w, err) = run(
        &[
            "analyze",
            "wdq",
            "--treated",
            "100,60",
            "--buffer",
            "50,45",
            "--control",
            "200,200",
        ],
        None,
    );
    assert!(ok, "{err}");
    let row: Vec<&str> = out_w.lines().nth(1).unwrap().split(',').collect();
    assert!(out_w.starts_with("success,buffer,wdq,verdict\n"), "{out_w}");
    let num = |k: usize| row[k].parse::<f64>().unwrap();
    assert!(
        (num(0) + 0.2).abs() < 1e-12 && (num(1) + 0.025).abs() < 1e-12,
        "{out_w}"
    );
    assert!(
        (num(2) - 0.125).abs() < 1e-12 && row[3] == "diffusion",
        "{out_w}"
    );
    let (ok, _, err) = run(
        &[
            "analyze",
            "wdq",
            "--treated",
            "100",
            "--buffer",
            "1,1",
            "--control",
            "1,1",
        ],
        None,
    );
    assert!(
        !ok && err.contains("--treated") && err.contains("100"),
        "{err}"
    );
    // With permutations: the same columns and a pseudo p-value last.
    let (ok, out2, err) = run(
        &[
            "analyze",
            "gistar",
            "--points",
            &points,
            "--cell",
            "250",
            "--permutations",
            "99",
            "--seed",
            "3",
        ],
        None,
    );
    assert!(ok, "{err}");
    let lines2: Vec<&str> = out2.lines().collect();
    assert_eq!(lines2[0], "cell_x,cell_y,count,z,p,bin,p_sim");
    assert_eq!(lines2.len(), lines.len());
    for (a, b) in lines.iter().zip(&lines2).skip(1) {
        let (head, p_sim) = b.rsplit_once(',').unwrap();
        assert_eq!(*a, head);
        let p: f64 = p_sim.parse().unwrap();
        assert!((0.01..=0.5).contains(&p), "{b}");
    }
    let (ok, out, err) = run(
        &[
            "analyze",
            "kde",
            "--points",
            &points,
            "--cell",
            "250",
            "--bandwidth",
            "500",
            "--format",
            "geojson",
        ],
        None,
    );
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["features"].as_array().unwrap().len(), 6400);
    let (ok, out, _) = run(
        &[
            "analyze",
            "knox",
            "--points",
            &format!("{fixtures}/points-1500-3.csv"),
            "--space-bands",
            "100,200,400",
            "--time-bands",
            "7,14,28",
            "--permutations",
            "99",
        ],
        None,
    );
    assert!(ok);
    assert!(
        out.starts_with(
            "space_from,space_to,time_from,time_to,observed,expected,ratio,p\n0,100,0,7,104,"
        ),
        "{out}"
    );

    let (ok, out, err) = run(
        &[
            "analyze",
            "moran",
            "--points",
            &points,
            "--cell",
            "250",
            "--permutations",
            "99",
            "--seed",
            "3",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.starts_with("cell_x,cell_y,count,i,p_sim,quadrant\n"));
    assert!(
        out.lines()
            .skip(1)
            .all(|l| ["HH", "LH", "LL", "HL"].iter().any(|q| l.ends_with(q)))
    );

    // Bad input: one line naming file, line and value; exit status 2.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "x,y\n1,2\n3,abc\n").unwrap();
    let status = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let o = status(&[
        "analyze",
        "gistar",
        "--points",
        bad.to_str().unwrap(),
        "--cell",
        "100",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&o.stderr);
    assert_eq!(msg.lines().count(), 1, "{msg}");
    assert!(
        msg.contains("line 3") && msg.contains("\"abc\"") && msg.contains("bad.csv"),
        "{msg}"
    );
    std::fs::write(&bad, "x,y\n").unwrap();
    assert_eq!(
        status(&[
            "analyze",
            "gistar",
            "--points",
            bad.to_str().unwrap(),
            "--cell",
            "100"
        ])
        .status
        .code(),
        Some(2)
    );
    std::fs::write(&bad, "a,b\n1,2\n").unwrap();
    assert_eq!(
        status(&[
            "analyze",
            "kde",
            "--points",
            bad.to_str().unwrap(),
            "--cell",
            "100",
            "--bandwidth",
            "300"
        ])
        .status
        .code(),
        Some(2)
    );
    let far = status(&[
        "analyze",
        "gistar",
        "--points",
        &points,
        "--cell",
        "250",
        "--extent",
        "0,0,10,10",
    ]);
    assert_eq!(far.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&far.stderr).contains("line 2"));
    std::fs::write(&bad, "x,y\n5,5\n5,5\n").unwrap();
    let constant = status(&[
        "analyze",
        "gistar",
        "--points",
        bad.to_str().unwrap(),
        "--cell",
        "100",
    ]);
    assert_eq!(constant.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&constant.stderr).contains("Gi* is undefined"));
}

#[test]
fn forecast_then_pai_on_real_data() {
    let sf = service::shared_data("data/sf-2012/incidents.csv")
        .to_str()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    // The analysis reads x, y and t: give the file a t column, and keep October–December apart.
    let text = std::fs::read_to_string(sf).unwrap();
    let mut all = String::from("x,y,t\n");
    let mut later = String::from("x,y\n");
    for line in text.lines().skip(1) {
        let p: Vec<&str> = line.rsplitn(7, ',').collect();
        all.push_str(&format!("{},{},{}\n", p[4], p[3], p[5]));
        if p[5] >= "2012-10-01" {
            later.push_str(&format!("{},{}\n", p[4], p[3]));
        }
    }
    let (all_path, later_path, flagged) = (
        dir.path().join("all.csv"),
        dir.path().join("later.csv"),
        dir.path().join("flagged.csv"),
    );
    std::fs::write(&all_path, all).unwrap();
    std::fs::write(&later_path, later).unwrap();
    let (ok, out, err) = run(
        &[
            "analyze",
            "forecast",
            "--points",
            all_path.to_str().unwrap(),
            "--cell",
            "150",
            "--until",
            "2012-10-01",
            "--area-share",
            "0.036",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.starts_with("cell_x,cell_y,risk\n"));
    assert!(out.lines().count() > 20);
    std::fs::write(&flagged, out).unwrap();
    let (ok, out, err) = run(
        &[
            "analyze",
            "pai",
            "--flagged",
            flagged.to_str().unwrap(),
            "--points",
            later_path.to_str().unwrap(),
            "--cell",
            "150",
        ],
        None,
    );
    assert!(ok, "{err}");
    let row: Vec<f64> = out
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    let pei = row[5];
    assert!(pei > 0.85 && pei <= 1.0, "{out}");
    // A flagged cell that is not a cell corner of this size is refused with its line.
    std::fs::write(&flagged, "cell_x,cell_y\n1827750,636450\n1827760,636450\n").unwrap();
    let o = Command::new(BIN)
        .args([
            "analyze",
            "pai",
            "--flagged",
            flagged.to_str().unwrap(),
            "--points",
            later_path.to_str().unwrap(),
            "--cell",
            "150",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 3"));
}

/// The text of a PDF, page by page (pdftotext from poppler-utils; scripts/test.sh installs it).
fn pdf_pages(path: &std::path::Path) -> Vec<String> {
    let out = Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (Debian poppler-utils) must be installed: scripts/test.sh does it");
    assert!(
        out.status.success(),
        "pdftotext failed on {}",
        path.display()
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// The number in the first column after `label` on the line that starts with it.
fn figure_after(text: &str, label: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no line starting with {label:?} in\n{text}"));
    line[line.find(label).unwrap() + label.len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.trim_end_matches('.').parse().ok())
        .unwrap_or_else(|| panic!("no number after {label:?}: {line}"))
}

/// What the database holds for the report's period, counted by the store the way the report's
/// reader (the coordinator's view) may see it.
fn db_count(
    db: &str,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    area: Option<&str>,
    source: Option<model::Source>,
) -> u64 {
    use store::Store;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = store_sqlite::SqliteStore::open(db).await.unwrap();
        let t = s.tenant_by_code("1960").await.unwrap().unwrap();
        let area_id = match area {
            Some(name) => Some(
                s.places(t.id)
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|p| p.name == name)
                    .unwrap()
                    .id,
            ),
            None => None,
        };
        let level = service::lagesbild::Level::Restricted;
        let actor = service::lagesbild::view(t.id, None, level);
        let tz = service::stockholm();
        let midnight = |d: jiff::civil::Date| d.to_zoned(tz.clone()).unwrap().timestamp();
        let filter = store::IncidentFilter {
            from: Some(midnight(from)),
            to: Some(midnight(to.tomorrow().unwrap())),
            area_id,
            source,
            ..Default::default()
        };
        s.count_incidents(&actor, &filter).await.unwrap()
    })
}

#[test]
fn report_writes_the_lagesbild_pdf_with_the_database_figures() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("report.db");
    let db = db.to_str().unwrap();
    let (ok, out, err) = run(
        &[
            "demo",
            "--db",
            db,
            "--no-serve",
            "--polisen",
            &polisen_file(),
        ],
        None,
    );
    assert!(ok, "{out}{err}");

    // A year that holds police events (the shared file ends 2026-08) when the demo's
    // incidents (the last two years, counted from today) reach back to it.
    let today = jiff::Zoned::now().date();
    let to = jiff::civil::date(2026, 8, 31).max(today - jiff::ToSpan::days(90));
    let from = to - jiff::ToSpan::days(364);
    let pdf = dir.path().join("year.pdf");
    let (ok, out, err) = run(
        &[
            "report",
            "--db",
            db,
            "--tenant",
            "1960",
            "--from",
            &from.to_string(),
            "--to",
            &to.to_string(),
            "--out",
            pdf.to_str().unwrap(),
        ],
        None,
    );
    assert!(ok, "{out}{err}");
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let pages = pdf_pages(&pdf);
    assert!(pages.len() >= 2, "{} pages", pages.len());
    let period = format!("{from} – {to}");
    for (i, page) in pages.iter().enumerate() {
        // Every page names the period and its visibility level and is numbered.
        assert!(page.contains(&period), "page {}: no period\n{page}", i + 1);
        assert!(
            page.contains("Synlighet: Begränsad"),
            "page {}\n{page}",
            i + 1
        );
        assert!(
            page.contains(&format!("Sida {} av {}", i + 1, pages.len())),
            "page {}\n{page}",
            i + 1
        );
    }
    let text = pages.join("\n");
    assert!(text.contains("Lägesbild Kungsör"), "{text}");
    let total = db_count(db, from, to, None, None);
    assert!(total > 100, "the demo should fill a year: {total}");
    assert_eq!(figure_after(&text, "Alla händelser"), total, "{text}");
    let police = db_count(db, from, to, None, Some(model::Source::ImportPolisen));
    assert_eq!(
        figure_after(&text, "Antal under perioden:"),
        police,
        "{text}"
    );
    // A year's lägesbild is the survey, analysis and action plan of the law 2023:196.
    for part in [
        "(2023:196)",
        "1. Kartläggning",
        "2. Analys",
        "3. Åtgärdsplan",
    ] {
        assert!(text.contains(part), "no {part}:\n{text}");
    }
    for section in [
        "Händelser per kategori",
        "Karta: hot spots och täthet",
        "Veckodag och timme",
        "Åtgärder",
    ] {
        assert!(text.contains(section), "no {section}:\n{text}");
    }

    // An area, in English, for management: the area's own figure, no single incidents.
    let area = "Centrum och torget (demo)";
    let pdf = dir.path().join("area.pdf");
    let (ok, out, err) = run(
        &[
            "report",
            "--db",
            db,
            "--tenant",
            "1960",
            "--from",
            &from.to_string(),
            "--to",
            &to.to_string(),
            "--area",
            area,
            "--lang",
            "en",
            "--level",
            "management",
            "--out",
            pdf.to_str().unwrap(),
        ],
        None,
    );
    assert!(ok, "{out}{err}");
    let pages = pdf_pages(&pdf);
    let text = pages.join("\n");
    assert!(
        text.contains(&format!("Situation report Kungsör – {area}")),
        "{text}"
    );
    assert!(
        pages
            .iter()
            .all(|p| p.contains("Management: aggregated figures only")),
        "{text}"
    );
    assert!(
        pages[0].contains(&format!("Page 1 of {}", pages.len())),
        "{}",
        pages[0]
    );
    assert!(
        !text.contains("Notable incidents") && !text.contains("Police events"),
        "{text}"
    );
    let in_area = db_count(db, from, to, Some(area), None);
    assert!(in_area > 0 && in_area < total);
    assert_eq!(figure_after(&text, "All incidents"), in_area, "{text}");

    // Bad input says what is wrong and writes nothing.
    let bad = dir.path().join("bad.pdf");
    for (args, expect) in [
        (
            vec!["--from", "2026-05-02", "--to", "2026-05-01"],
            "from 2026-05-02, to 2026-05-01",
        ),
        (
            vec!["--from", "2025-01-01", "--to", "2026-05-01"],
            "at most 366 days",
        ),
        (
            vec!["--to", "2026-13-01"],
            "--to \"2026-13-01\" is not a date",
        ),
        (
            vec!["--area", "Ingenstans"],
            "no area or school named \"Ingenstans\"",
        ),
        (vec!["--lang", "de"], "unknown language \"de\""),
    ] {
        let mut all = vec![
            "report",
            "--db",
            db,
            "--tenant",
            "1960",
            "--out",
            bad.to_str().unwrap(),
        ];
        all.extend(args);
        let (ok, out, err) = run(&all, None);
        assert!(!ok, "{all:?} should fail: {out}");
        assert!(err.contains(expect), "{all:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!bad.exists());
    }
}

#[test]
fn import_csv_and_geojson_with_dry_run_and_the_choice_of_keeping_good_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("import.db");
    let db = db.to_str().unwrap();
    let (ok, out, err) = run(&["demo", "--db", db, "--no-serve"], None);
    assert!(ok, "{out}{err}");
    let csv = dir.path().join("felanmalan.csv");
    std::fs::write(
        &csv,
        "Ärendenr;Kategori;Datum;Latitud;Longitud;Beskrivning\n\
         1;Klotter;2026-05-01 14:30;59,4225;16,0985;Tag på elskåpet\n\
         2;Glaskross;igår;59,4225;16,0985;\n\
         3;Nedskräpning;1 maj 2026;59,4230;16,0990;Skräp\n",
    )
    .unwrap();
    let csv = csv.to_str().unwrap();
    let count = || db_count_source(db, model::Source::ImportCsv);
    let import = |extra: &[&str]| {
        let mut args = vec!["import", "csv", "--db", db, "--tenant", "1960"];
        args.extend_from_slice(extra);
        args.push(csv);
        run(&args, None)
    };
    // A dry run names the bad row by row, column and value and stores nothing.
    let (ok, out, err) = import(&["--dry-run"]);
    assert!(!ok, "a bad row fails the command");
    assert!(
        err.contains("row 3, column \"Datum\"") && err.contains("\"igår\""),
        "{err}"
    );
    assert!(out.contains("3 rows read: 2 good, 1 wrong"), "{out}");
    assert!(out.contains("dry run"), "{out}");
    assert_eq!(count(), 0);
    // Without --keep-good nothing is stored either.
    let (ok, _, err) = import(&[]);
    assert!(!ok);
    assert!(
        err.contains("nothing was stored") && err.contains("--keep-good"),
        "{err}"
    );
    assert_eq!(count(), 0);
    // With it the good rows are, and the command still says one was wrong.
    let (ok, out, err) = import(&["--keep-good"]);
    assert!(!ok, "{out}{err}");
    assert!(
        out.contains("stored 2 new, 0 updated, 0 unchanged"),
        "{out}"
    );
    assert!(err.contains("the good rows were stored"), "{err}");
    assert_eq!(count(), 2);
    let (_, out, _) = import(&["--keep-good"]);
    assert!(
        out.contains("stored 0 new, 0 updated, 2 unchanged"),
        "{out}"
    );
    assert_eq!(count(), 2);
    // GeoJSON, with a mapping file naming its property and the partner system's ids.
    let geojson = dir.path().join("tips.geojson");
    std::fs::write(
        &geojson,
        serde_json::json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [16.0985, 59.4225]},
             "properties": {"nr": "g1", "slag": "belysning", "datum": "2026-05-02"}}]})
        .to_string(),
    )
    .unwrap();
    let mapping = dir.path().join("mapping.json");
    std::fs::write(
        &mapping,
        r#"{"columns": {"external_id": "nr", "category": "slag"},
            "categories": {"belysning": "otrygg-plats-belysning"}, "system": "tips"}"#,
    )
    .unwrap();
    let (ok, out, err) = run(
        &[
            "import",
            "geojson",
            "--db",
            db,
            "--tenant",
            "1960",
            "--mapping",
            mapping.to_str().unwrap(),
            geojson.to_str().unwrap(),
        ],
        None,
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("stored 1 new"), "{out}");
    assert_eq!(count(), 3);
    let (ok, _, err) = run(
        &[
            "import",
            "csv",
            "--db",
            db,
            "--tenant",
            "1960",
            "--org",
            "Finns inte",
            csv,
        ],
        None,
    );
    assert!(!ok && err.contains("Finns inte"), "{err}");
}

fn db_count_source(db: &str, source: model::Source) -> u64 {
    use store::Store;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = store_sqlite::SqliteStore::open(db).await.unwrap();
        let t = s.tenant_by_code("1960").await.unwrap().unwrap();
        let actor = service::lagesbild::view(t.id, None, service::lagesbild::Level::Restricted);
        let filter = store::IncidentFilter {
            source: Some(source),
            ..Default::default()
        };
        s.count_incidents(&actor, &filter).await.unwrap()
    })
}

/// A local stand-in for the police's events API: it answers `/api/events?DateTime=YYYY-MM&
/// locationname=A;B` with the recorded events (the shared file, as the API published them)
/// published that month whose `location.name` or place in `name` is one of the names, as a
/// JSON array; `/broken` answers 503. It records the queries it was asked.
struct PoliceApi {
    port: u16,
    asked: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    extra: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
}

fn police_api() -> PoliceApi {
    use std::io::{BufRead, Read};
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(polisen_file()).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let extra = std::sync::Arc::new(std::sync::Mutex::new(Vec::<serde_json::Value>::new()));
    let (a, x) = (asked.clone(), extra.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap() == 0 || h == "\r\n" {
                    break;
                }
            }
            let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let param = |k: &str| {
                query
                    .split('&')
                    .find_map(|p| p.strip_prefix(&format!("{k}=")))
                    .map(percent_decode)
                    .unwrap_or_default()
            };
            let (status, body) = if path != "/api/events" {
                ("503 Service Unavailable", "<html>nere</html>".to_string())
            } else {
                let month = param("DateTime");
                let names = param("locationname");
                a.lock().unwrap().push(format!("{month} {names}"));
                let names: Vec<&str> = names.split(';').collect();
                let all: Vec<serde_json::Value> = events
                    .iter()
                    .chain(x.lock().unwrap().iter())
                    .filter(|e| e["datetime"].as_str().unwrap().starts_with(&month))
                    .filter(|e| {
                        let place = e["name"]
                            .as_str()
                            .unwrap()
                            .rsplit(',')
                            .next()
                            .unwrap()
                            .trim();
                        names.contains(&place)
                            || names.contains(&e["location"]["name"].as_str().unwrap_or(""))
                    })
                    .cloned()
                    .collect();
                ("200 OK", serde_json::to_string(&all).unwrap())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    PoliceApi { port, asked, extra }
}

fn percent_decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
            out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn police_events_from_the_live_api_incrementally_and_idempotently() {
    let api = police_api();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let db = db.to_str().unwrap();
    let (ok, out, err) = run(&["demo", "--db", db, "--no-serve"], None);
    assert!(ok, "{out}{err}");
    let url = format!("http://127.0.0.1:{}/api/events", api.port);
    let count = || db_count_source(db, model::Source::ImportPolisen);
    // The demo imported Kungsör's 46 events from the file.
    assert_eq!(count(), 46);
    // A backfill from May 2026: each month asked for Kungsör and its county (the location of
    // 2026's events). The API's events are the file's, so they are all there already.
    let (ok, out, err) = run(
        &[
            "import",
            "polisen",
            "--db",
            db,
            "--tenant",
            "1960",
            "--url",
            &url,
            "--since",
            "2026-05-01",
        ],
        None,
    );
    assert!(ok, "{out}{err}");
    let asked = api.asked.lock().unwrap().clone();
    assert!(
        asked[0].starts_with("2026-05 Kungsör;Västmanlands län"),
        "{asked:?}"
    );
    assert!(asked.iter().any(|a| a.starts_with("2026-08 ")), "{asked:?}");
    assert!(out.contains("stored 0 new, 0 updated, "), "{out}");
    assert!(
        !out.contains(" 0 unchanged"),
        "the API's events are the file's: {out}"
    );
    let first = count();
    assert_eq!(first, 46);
    // Again, without --since: from the month of the newest stored event on; nothing changes.
    api.asked.lock().unwrap().clear();
    let (ok, out, err) = run(
        &[
            "import", "polisen", "--db", db, "--tenant", "1960", "--url", &url,
        ],
        None,
    );
    assert!(ok, "{out}{err}");
    let asked = api.asked.lock().unwrap().clone();
    assert!(
        !asked.iter().any(|a| a.starts_with("2026-05 ")),
        "incremental: {asked:?}"
    );
    assert!(out.contains("stored 0 new, 0 updated"), "{out}");
    assert_eq!(count(), first);
    // The police publish a new event (with an unpadded hour) and a newer version of it.
    api.extra.lock().unwrap().extend([
        serde_json::json!({"id": 900001, "datetime": "2026-08-30 9:05:00 +02:00",
            "name": "30 augusti 08.40, Skadegörelse, Kungsör", "summary": "Krossade rutor.",
            "url": "/aktuellt/handelser/2026/augusti/30/x/", "type": "Skadegörelse",
            "location": {"name": "Västmanlands län", "gps": "59.6,16.5"}}),
        serde_json::json!({"id": 900001, "datetime": "2026-08-30 11:05:00 +02:00",
            "name": "30 augusti 08.40, Skadegörelse, Kungsör", "summary": "Krossade rutor vid skolan.",
            "url": "/aktuellt/handelser/2026/augusti/30/x/", "type": "Skadegörelse",
            "location": {"name": "Västmanlands län", "gps": "59.6,16.5"}}),
    ]);
    let (ok, out, err) = run(
        &[
            "import", "polisen", "--db", db, "--tenant", "1960", "--url", &url,
        ],
        None,
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("stored 1 new"), "{out}");
    assert_eq!(count(), first + 1);
    // `serve` polls the API on a schedule: its first round fetches the next new event.
    api.extra
        .lock()
        .unwrap()
        .push(serde_json::json!({"id": 900002,
        "datetime": "2026-08-31 22:15:00 +02:00", "name": "31 augusti 21:50, Brand, Kungsör",
        "summary": "Brand i container.", "url": "/x/", "type": "Brand",
        "location": {"name": "Västmanlands län", "gps": "59.6,16.5"}}));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut serve = Command::new(BIN)
        .args([
            "serve",
            "--db",
            db,
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--polisen-url",
            &url,
            "--polisen-every",
            "30",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while count() < first + 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let _ = serve.kill();
    let _ = serve.wait();
    assert_eq!(count(), first + 2, "serve's poller stored the new event");
    // An API that is down: a clear error naming the address; nothing stored is lost.
    let (ok, _, err) = run(
        &[
            "import",
            "polisen",
            "--db",
            db,
            "--tenant",
            "1960",
            "--url",
            &format!("http://127.0.0.1:{}/broken", api.port),
        ],
        None,
    );
    assert!(!ok);
    assert!(err.contains("/broken") && err.contains("503"), "{err}");
    assert_eq!(count(), first + 2);
}

fn tenant_rows(db: &str) -> store::copy::TenantRows {
    use store::Store;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = store_sqlite::SqliteStore::open(db).await.unwrap();
        let t = s.tenant_by_code("1960").await.unwrap().unwrap();
        let rows = s.export_tenant(t.id).await.unwrap();
        s.close().await;
        rows
    })
}

#[test]
fn a_backup_taken_while_serving_and_writing_restores_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let db = db.to_str().unwrap().to_string();
    let (ok, out, err) = run(&["demo", "--db", &db, "--no-serve"], None);
    assert!(ok, "{out}{err}");
    // The server serves while another process writes: imports of small files, one after the
    // other, each audited.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut serve = Command::new(BIN)
        .args(["serve", "--db", &db, "--addr", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (db, dir, stop) = (db.clone(), dir.path().to_path_buf(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) && n < 40 {
                let f = dir.join(format!("w{n}.csv"));
                std::fs::write(
                    &f,
                    format!("id,kategori,datum,lat,lon\nw{n},Klotter,2026-11-01,59.4224,16.0978\n"),
                )
                .unwrap();
                let (ok, out, err) = run(
                    &[
                        "import",
                        "csv",
                        "--db",
                        &db,
                        "--tenant",
                        "1960",
                        f.to_str().unwrap(),
                    ],
                    None,
                );
                assert!(ok, "{out}{err}");
                n += 1;
            }
            n
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(500));
    let backup = dir.path().join("kopia.db");
    let (ok, out, err) = run(
        &["backup", "--db", &db, "--out", backup.to_str().unwrap()],
        None,
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("backup of"), "{out}");
    // The server answered throughout.
    let health = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
        use std::io::Read;
        write!(
            s,
            "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )?;
        let mut b = String::new();
        s.read_to_string(&mut b)?;
        Ok(b)
    });
    assert!(health.unwrap().starts_with("HTTP/1.1 200"));
    // A second backup to the same file is refused: nothing is overwritten.
    let (ok, _, err) = run(
        &["backup", "--db", &db, "--out", backup.to_str().unwrap()],
        None,
    );
    assert!(!ok && err.contains("already exists"), "{err}");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let written = writer.join().unwrap();
    assert!(written > 0);
    let _ = serve.kill();
    let _ = serve.wait();
    // Restored elsewhere: whole (integrity check, every audit chain), consistent (a
    // snapshot: at most what was written, each import whole with its audit row).
    let restored = dir.path().join("aterstalld.db");
    let restored = restored.to_str().unwrap().to_string();
    let (ok, out, err) = run(
        &[
            "restore",
            "--from",
            backup.to_str().unwrap(),
            "--db",
            &restored,
        ],
        None,
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("audit rows verified"), "{out}");
    let (ok, out, err) = run(&["audit", "verify", "--db", &restored], None);
    assert!(ok, "{out}{err}");
    let in_copy = db_count_source(&restored, model::Source::ImportCsv);
    assert!(in_copy <= written as u64, "{in_copy} of {written}");
    // A quiet backup restores exactly: every table of the municipality, row for row.
    let quiet = dir.path().join("tyst.db");
    let (ok, out, err) = run(
        &["backup", "--db", &db, "--out", quiet.to_str().unwrap()],
        None,
    );
    assert!(ok, "{out}{err}");
    let (ok, out, err) = run(
        &[
            "restore",
            "--from",
            quiet.to_str().unwrap(),
            "--db",
            &restored,
        ],
        None,
    );
    assert!(
        !ok && err.contains("--replace"),
        "an existing database is not replaced unasked: {out}{err}"
    );
    let (ok, out, err) = run(
        &[
            "restore",
            "--from",
            quiet.to_str().unwrap(),
            "--db",
            &restored,
            "--replace",
        ],
        None,
    );
    assert!(ok, "{out}{err}");
    assert_eq!(tenant_rows(&restored), tenant_rows(&db));
    assert!(
        std::fs::read_dir(dir.path()).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("aterstalld.db.before-restore-")),
        "the replaced database is kept beside"
    );
    // A damaged backup is refused and nothing is replaced.
    let broken = dir.path().join("trasig.db");
    let mut bytes = std::fs::read(&quiet).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 4096] {
        *b = 0x5a;
    }
    std::fs::write(&broken, &bytes).unwrap();
    let before = tenant_rows(&restored);
    let (ok, _, err) = run(
        &[
            "restore",
            "--from",
            broken.to_str().unwrap(),
            "--db",
            &restored,
            "--replace",
        ],
        None,
    );
    assert!(!ok, "a damaged copy is refused");
    assert!(err.contains("was not restored"), "{err}");
    assert_eq!(tenant_rows(&restored), before);
    // PostgreSQL is pg_dump's.
    let (ok, _, err) = run(
        &["backup", "--db", "postgres://x/y", "--out", "/tmp/x.db"],
        None,
    );
    assert!(!ok && err.contains("pg_dump"), "{err}");
}

/// The second factor's secrets are sealed with the deployment's key file: serve makes the key
/// beside the database, seals the secrets stored before sealing began, and refuses to start
/// with another key rather than lock everyone's second factor out.
#[test]
fn serve_seals_the_second_factor_secrets_with_the_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sealed.db").to_str().unwrap().to_string();
    let (ok, out, err) = run(&["demo", "--db", &db, "--no-serve"], None);
    assert!(ok, "{out}{err}");
    // A secret stored before sealing began, in the clear.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (tenant, user) = rt.block_on(async {
        use store::Store;
        let s = store_sqlite::SqliteStore::open(&db).await.unwrap();
        let t = s.tenant_by_code("1960").await.unwrap().unwrap();
        let u = s.users(t.id).await.unwrap().remove(0);
        s.enable_totp(
            t.id,
            u.id,
            &store::TotpState {
                secret: "JBSWY3DPEHPK3PXP".into(),
                last_step: None,
                recovery_hashes: vec![],
            },
        )
        .await
        .unwrap();
        s.close().await;
        (t.id, u.id)
    });
    let start = |key: Option<&str>| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut args = vec![
            "serve".to_string(),
            "--db".into(),
            db.clone(),
            "--addr".into(),
            format!("127.0.0.1:{port}"),
        ];
        if let Some(k) = key {
            args.extend(["--key-file".to_string(), k.to_string()]);
        }
        let mut child = Command::new(BIN)
            .args(&args)
            .env("RUST_LOG", "warn")
            .env_remove("LAGESBILD_KEY_FILE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Up within 30 s, or ended (refused).
        for _ in 0..300 {
            if let Some(status) = child.try_wait().unwrap() {
                let out = child.wait_with_output().unwrap();
                return (
                    Some(status.success()),
                    String::from_utf8_lossy(&out.stderr).into_owned(),
                );
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                let _ = child.kill();
                let _ = child.wait();
                return (None, String::new());
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = child.kill();
        panic!("serve neither started nor ended");
    };
    let (ended, err) = start(None);
    assert_eq!(
        ended, None,
        "serve starts with a new key beside the database: {err}"
    );
    let key_path = format!("{db}.key");
    let key = std::fs::read(&key_path).unwrap();
    assert_eq!(key.len(), 32);
    let stored = rt.block_on(async {
        use store::Store;
        let s = store_sqlite::SqliteStore::open(&db).await.unwrap();
        let t = s.user_totp(tenant, user).await.unwrap().unwrap();
        s.close().await;
        t.secret
    });
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
    assert!(!stored.contains("JBSWY3DPEHPK3PXP"));
    let sealer = service::sealing::Sealer::from_bytes(key.try_into().unwrap());
    assert_eq!(sealer.open(&stored).unwrap(), "JBSWY3DPEHPK3PXP");
    // Started again with the same key: it starts, and the secret is not sealed twice.
    let (ended, err) = start(Some(&key_path));
    assert_eq!(ended, None, "{err}");
    let again = rt.block_on(async {
        use store::Store;
        let s = store_sqlite::SqliteStore::open(&db).await.unwrap();
        let t = s.user_totp(tenant, user).await.unwrap().unwrap();
        s.close().await;
        t.secret
    });
    assert_eq!(again, stored, "sealed once");
    // With another key file it refuses, and says why.
    let other = dir.path().join("other.key");
    let (ended, err) = start(Some(other.to_str().unwrap()));
    assert_eq!(ended, Some(false));
    assert!(
        err.contains("another key") && err.contains("--key-file"),
        "{err}"
    );
}
