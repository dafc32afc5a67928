//! The binary's administrative commands, run as a user would run them.

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_lagesbild");

fn polisen_file() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/polisen/events-2022-09-to-2026-08.jsonl.gz"
    )
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
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "only the token on stdout: {out:?}");
    assert_eq!(lines[0].len(), 43);

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
