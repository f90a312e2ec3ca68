//! Project files from elsewhere: nothing in them may make qingling open a file the
//! user did not open, and layer names never become paths.
//!
//! Review of `src/project` and its callers (CLI `check --project`, the app's
//! `open_project`): a layer's `source_path` is stored for display only; loading a
//! project reads every layer from the project's own tables (`load_layer`) and
//! never from `source_path`. Table names come from `[a-z0-9_]` slugs of layer
//! names and are checked again on load (`is_safe_table_name`); rule text is
//! stored as text, not as a path. SQLite runs the file with an untrusted schema
//! (views and triggers may call only innocuous functions) in defensive mode.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use qingling::project::Project;

use super::*;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data")
        .join(name)
}

/// Runs the binary, killing it (and failing) after `secs`.
fn run_with_timeout(cmd: &mut Command, secs: u64) -> (i32, String) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.code().unwrap_or(-1), err);
        }
        if started.elapsed() > Duration::from_secs(secs) {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("qingling did not finish within {secs} s (did it open a FIFO?)");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A FIFO: opening it for reading blocks, so any read of it would hang the run.
/// Windows has no FIFOs; there the path simply does not exist, and the test still
/// checks that the project loads without it.
#[cfg(unix)]
fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo failed");
}

#[cfg(not(unix))]
fn mkfifo(_path: &Path) {}

fn findings_in(csv: &Path) -> usize {
    let text = std::fs::read_to_string(csv).unwrap();
    text.lines().count() - 1
}

#[test]
fn a_project_with_hostile_source_paths_loads_without_touching_them() {
    let d = tmp();
    let project = d.path().join("项目.gpkg");
    let first = d.path().join("first.csv");
    let (code, err) = run_with_timeout(
        Command::new(env!("CARGO_BIN_EXE_qingling"))
            .args(["check", "--quiet", "--project"])
            .arg(&project)
            .arg("--water-zones")
            .arg(sample("水源保护区.shp"))
            .arg("--boilers")
            .arg(sample("锅炉台账.xlsx"))
            .arg("--out")
            .arg(&first),
        60,
    );
    assert_eq!(code, 0, "{err}");
    let n = findings_in(&first);
    assert!(n > 0);

    // A FIFO blocks whoever opens it for reading: if anything opened a
    // source_path, the run below would hang and be killed.
    let fifo = d.path().join("陷阱.shp");
    mkfifo(&fifo);
    let hostile = [
        fifo.to_string_lossy().into_owned(),
        "/etc/passwd".to_string(),
        "..\\..\\x".to_string(),
    ];
    {
        let conn = rusqlite::Connection::open(&project).unwrap();
        let layers: i64 = conn
            .query_row("SELECT count(*) FROM qingling_layers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(layers, 2);
        conn.execute(
            "UPDATE qingling_layers SET source_path = ?1 WHERE role = 'boiler'",
            [&hostile[0]],
        )
        .unwrap();
        conn.execute(
            "UPDATE qingling_layers SET source_path = ?1 WHERE role = 'water_zone'",
            [&hostile[1]],
        )
        .unwrap();
    }

    // The library: the layers come back from the project, the paths only shown.
    let p = project.clone();
    let sources = within_secs(20, move || {
        let project = Project::open(&p).unwrap();
        project
            .layers()
            .unwrap()
            .iter()
            .map(|e| {
                let layer = project.load_layer(&e.table_name).unwrap();
                assert!(!layer.features.is_empty());
                (e.source_path.clone(), layer.source)
            })
            .collect::<Vec<_>>()
    });
    for (listed, loaded) in &sources {
        assert_eq!(listed, loaded);
        assert!(hostile.iter().any(|h| Path::new(h) == loaded), "{loaded:?}");
    }

    // The binary: a re-run from the project alone gives the same findings.
    let second = d.path().join("second.csv");
    let (code, err) = run_with_timeout(
        Command::new(env!("CARGO_BIN_EXE_qingling"))
            .args(["check", "--quiet", "--project"])
            .arg(&project)
            .arg("--out")
            .arg(&second),
        60,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(findings_in(&second), n);

    // A windows-style traversal path is displayed, never resolved.
    let conn = rusqlite::Connection::open(&project).unwrap();
    conn.execute(
        "UPDATE qingling_layers SET source_path = ?1 WHERE role = 'boiler'",
        [&hostile[2]],
    )
    .unwrap();
    drop(conn);
    let project = Project::open(&project).unwrap();
    let entry = project
        .layers()
        .unwrap()
        .into_iter()
        .find(|e| e.role == "boiler")
        .unwrap();
    assert_eq!(entry.source_path, PathBuf::from("..\\..\\x"));
    assert!(
        !project
            .load_layer(&entry.table_name)
            .unwrap()
            .features
            .is_empty()
    );
}

#[test]
fn layer_names_with_paths_and_sql_never_leave_the_project_file() {
    let d = tmp();
    let inner = d.path().join("项目夹");
    std::fs::create_dir(&inner).unwrap();
    let project_path = inner.join("p.gpkg");
    let mut project = Project::create(&project_path).unwrap();
    let src = write_points(d.path(), "点", 2);
    let base = load(&src);
    let names = [
        "../../逃逸",
        "/etc/passwd",
        "..\\..\\x",
        "a\"; DROP TABLE gpkg_contents; --",
        "gpkg_contents",
        "",
    ];
    let mut tables = Vec::new();
    for name in names {
        let mut layer = base.clone();
        layer.name = name.to_string();
        let t = project.save_layer(&layer, "boiler", "{}").unwrap();
        assert!(qingling::project::gpkg::is_safe_table_name(&t), "{t}");
        tables.push(t);
    }
    // The project folder holds the project (and at most a journal); nothing else
    // was created next to it or above it.
    let mut files: Vec<String> = std::fs::read_dir(&inner)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with("-journal") && !n.ends_with("-wal") && !n.ends_with("-shm"))
        .collect();
    files.sort();
    assert_eq!(files, vec!["p.gpkg"]);
    let mut top: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top.len(), 1 + 5, "{top:?}"); // 项目夹 + the 5 files of the source set
    // Every layer comes back under its name; gpkg_contents survived.
    for (t, name) in tables.iter().zip(names) {
        let layer = project.load_layer(t).unwrap();
        assert_eq!(layer.name, name);
        assert_eq!(layer.features.len(), 2);
    }
    assert_eq!(project.layers().unwrap().len(), names.len());
}
