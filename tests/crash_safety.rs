//! Crash safety: SIGKILL at random moments loses nothing that was acknowledged and
//! never leaves a half-written file.
//!
//! * The review ledger: this test binary re-executes itself with
//!   `QINGLING_CRASH_CHILD=<project>` set; in that mode the ledger test applies
//!   review actions in a loop and prints `ack <n>` after each `Project::review`
//!   returns. The parent kills it at a random moment (after a random number of
//!   acknowledgements, or after a random delay that may fall in start-up or inside
//!   a commit), then reopens the project and checks that every acknowledged action
//!   is in the file, that the findings table and the history agree, and that
//!   `PRAGMA integrity_check` is `ok`. The same project goes through every trial,
//!   so damage from one kill would show in the next.
//! * Exports: the real `qingling check --out big.{xlsx,csv}` is killed at random
//!   moments (mostly while it writes the file) over an output that already holds
//!   known bytes; afterwards the output holds either those bytes or a complete new
//!   file equal to an uninterrupted run's. A kill between creating the temporary
//!   file and renaming it may leave a hidden `.big.xlsx.<pid>-<n>.tmp` beside the
//!   output; the next export to the same path removes it.
//!
//! Unix only: it needs SIGKILL (`Child::kill`) semantics. On Windows
//! `TerminateProcess` is as abrupt, but the test is not ported; the same code
//! paths (SQLite transactions, write-to-temporary-then-rename) are used there.
//!
//! Randomness comes from a seed printed at the start; set `QINGLING_CRASH_SEED` to
//! replay a run.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use qingling::model::{Finding, ReviewStatus, Severity};
use qingling::project::{Project, ReviewAction};
use qingling::synth::Rng;

/// Set in the child process: the project file to review in.
const CHILD_ENV: &str = "QINGLING_CRASH_CHILD";
/// Set in the child process: the trial number (part of every note).
const TRIAL_ENV: &str = "QINGLING_CRASH_TRIAL";
const SEED_ENV: &str = "QINGLING_CRASH_SEED";

/// The findings the child reviews in turn (action `n` touches `FINDING_IDS[n % 4]`).
const FINDING_IDS: [&str; 4] = [
    "F-crash-000000000a",
    "F-crash-000000000b",
    "F-crash-000000000c",
    "F-crash-000000000d",
];
const LEDGER_TRIALS: usize = 120;
const EXPORT_TRIALS_PER_FORMAT: usize = 10;

fn seed(salt: u64) -> u64 {
    let base = std::env::var(SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("crash_safety: {SEED_ENV}={base}");
    base ^ salt
}

fn note(trial: usize, n: usize) -> String {
    format!("第{trial}轮 操作{n}")
}

fn status(n: usize) -> ReviewStatus {
    ReviewStatus::ALL[(n / FINDING_IDS.len() + 1) % ReviewStatus::ALL.len()]
}

fn action(trial: usize, n: usize) -> ReviewAction {
    ReviewAction {
        finding_id: FINDING_IDS[n % FINDING_IDS.len()].to_string(),
        status: Some(status(n)),
        note: Some(note(trial, n)),
        reviewer: "崩溃测试".to_string(),
    }
}

/// The child: review in a loop, acknowledging each action on stdout once
/// `Project::review` has returned, until killed.
fn review_until_killed(project_path: &Path) -> ! {
    let trial: usize = std::env::var(TRIAL_ENV).unwrap().parse().unwrap();
    let mut project = Project::open(project_path).unwrap();
    let mut out = std::io::stdout().lock();
    // libtest has printed "test <name> ... " without a newline: end that line.
    writeln!(out).unwrap();
    for n in 0..1_000_000 {
        project.review(&action(trial, n)).unwrap();
        writeln!(out, "ack {n}").unwrap();
        out.flush().unwrap();
    }
    std::process::exit(0);
}

fn finding(id: &str, i: u64) -> Finding {
    Finding {
        finding_id: id.into(),
        rule_id: "water-level1".into(),
        severity: Severity::Violation,
        site_layer: "锅炉台账".into(),
        site_fid: i,
        site_name: format!("某锅炉房{i}"),
        zone_layer: Some("水源保护区".into()),
        zone_fid: Some(0),
        zone_name: Some("汾河二库".into()),
        zone_level: Some("一级保护区".into()),
        distance_m: Some(-12.5),
        lon: 112.3,
        lat: 37.6,
        county: Some("汾源县".into()),
        status: ReviewStatus::Pending,
        note: String::new(),
    }
}

/// Reads `ack <n>` lines from the child into a channel; returns every ack seen
/// when the pipe closes.
fn ack_reader(child: &mut Child) -> (mpsc::Receiver<usize>, JoinHandle<Vec<usize>>) {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let mut acks = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(n) = line.strip_prefix("ack ") {
                let n: usize = n.trim().parse().unwrap();
                acks.push(n);
                let _ = tx.send(n);
            }
        }
        acks
    });
    (rx, handle)
}

fn stderr_to_string(child: &mut Child) -> JoinHandle<String> {
    let mut stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    })
}

/// Checks the project after trial `trial`, whose child acknowledged actions
/// `0..acked`, when the history held `rows_before` rows before it. Returns the rows
/// now and whether the action after the last ack was committed as well (committed,
/// then killed before its ack reached the pipe).
fn verify_ledger(path: &Path, trial: usize, acked: usize, rows_before: usize) -> (usize, bool) {
    let project = Project::open(path)
        .unwrap_or_else(|e| panic!("trial {trial}: the project does not open after a kill: {e}"));
    let mut rows = 0;
    let mut this_trial = Vec::new();
    let prefix = format!("第{trial}轮 操作");
    for id in FINDING_IDS {
        let history = project.history(id).unwrap();
        rows += history.len();
        for h in &history {
            if let Some(n) = h.new_note.strip_prefix(&prefix) {
                let n: usize = n.parse().unwrap();
                assert_eq!(h.finding_id, FINDING_IDS[n % FINDING_IDS.len()]);
                assert_eq!(h.new_status, status(n), "trial {trial}, action {n}");
                this_trial.push(n);
            }
        }
        // The finding and its history are written in one transaction: the row
        // shows exactly the latest history entry.
        let row = project.finding(id).unwrap().unwrap();
        if let Some(last) = history.last() {
            assert_eq!(
                (row.finding.status, row.finding.note.as_str()),
                (last.new_status, last.new_note.as_str()),
                "trial {trial}: finding {id} disagrees with its history"
            );
        }
    }
    this_trial.sort_unstable();
    // Every acknowledged action is there, at most one more, none twice, and
    // nothing else was added.
    let acked_only: Vec<usize> = (0..acked).collect();
    let plus_one: Vec<usize> = (0..=acked).collect();
    assert!(
        this_trial == acked_only || this_trial == plus_one,
        "trial {trial}: acknowledged 0..{acked}, the file holds {this_trial:?}"
    );
    assert_eq!(
        rows,
        rows_before + this_trial.len(),
        "trial {trial}: history rows"
    );
    drop(project);
    let conn = rusqlite::Connection::open(path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok", "trial {trial}: integrity_check");
    (rows, this_trial.len() > acked)
}

#[test]
fn acknowledged_review_actions_survive_sigkill_at_random_moments() {
    if let Some(path) = std::env::var_os(CHILD_ENV) {
        review_until_killed(Path::new(&path));
    }
    let started = Instant::now();
    let mut rng = Rng::new(seed(0x1ed9e5));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("崩溃 测试.gpkg");
    {
        let mut project = Project::create(&path).unwrap();
        let findings: Vec<Finding> = FINDING_IDS
            .iter()
            .zip(0..)
            .map(|(id, i)| finding(id, i))
            .collect();
        project.apply_check_run(&findings).unwrap();
    }
    let (mut total_acked, mut history_rows) = (0, 0);
    let (mut before_first_ack, mut mid_run, mut committed_unacked) = (0, 0, 0);
    for trial in 0..LEDGER_TRIALS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "acknowledged_review_actions_survive_sigkill_at_random_moments",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .env(TRIAL_ENV, trial.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (acks_rx, acks_thread) = ack_reader(&mut child);
        let stderr_thread = stderr_to_string(&mut child);
        if rng.f64() < 0.5 {
            // Kill right after a random number of acknowledgements (possibly 0).
            let wanted = rng.below(25);
            for _ in 0..wanted {
                if acks_rx.recv_timeout(Duration::from_secs(20)).is_err() {
                    break;
                }
            }
            // ...plus a little, so the kill lands anywhere in the next action.
            std::thread::sleep(Duration::from_micros(rng.below(3000) as u64));
        } else {
            std::thread::sleep(Duration::from_micros(rng.below(150_000) as u64));
        }
        let exited_early = child.try_wait().unwrap();
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let acks = acks_thread.join().unwrap();
        let stderr = stderr_thread.join().unwrap();
        assert!(
            exited_early.is_none() && status.signal() == Some(9),
            "trial {trial}: the child stopped by itself ({status:?}):\n{stderr}"
        );
        assert_eq!(
            acks,
            (0..acks.len()).collect::<Vec<_>>(),
            "trial {trial}: acks out of order"
        );
        total_acked += acks.len();
        let (rows, unacked) = verify_ledger(&path, trial, acks.len(), history_rows);
        history_rows = rows;
        committed_unacked += usize::from(unacked);
        if acks.is_empty() {
            before_first_ack += 1;
        } else {
            mid_run += 1;
        }
    }
    eprintln!(
        "crash_safety ledger: {LEDGER_TRIALS} kills in {:.1} s: {before_first_ack} before \
         the first ack, {mid_run} after some, {total_acked} acknowledged actions, \
         {committed_unacked} more committed but killed before their ack, \
         {history_rows} history rows",
        started.elapsed().as_secs_f64()
    );
    assert!(mid_run > 0, "no kill landed after an acknowledgement");
}

// ---- exports --------------------------------------------------------------------

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data")
        .join(name)
}

/// A site ledger of `n` outfalls scattered within ~40 m of one that lies inside a
/// level-1 zone of the sample data, so nearly every row gives a finding.
fn write_sites(path: &Path, n: usize) {
    let mut rng = Rng::new(7);
    let mut text = String::from("\u{feff}排污口名称,排污口类型,县区,经度,纬度\n");
    for i in 0..n {
        let lon = 112.416_566_6 + rng.range(-0.000_4, 0.000_4);
        let lat = 37.562_270_3 + rng.range(-0.000_4, 0.000_4);
        text.push_str(&format!(
            "东河泵站排水口{i},雨污混合,汾源县,{lon:.7},{lat:.7}\n"
        ));
    }
    std::fs::write(path, text).unwrap();
}

fn check_command(sites: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qingling"));
    cmd.arg("check")
        .arg("--water-zones")
        .arg(sample("水源保护区.shp"))
        .arg("--sites")
        .arg(sites)
        .arg("--out")
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// The rows of the first sheet of an XLSX file, or `None` when it does not parse.
fn xlsx_rows(path: &Path) -> Option<Vec<Vec<String>>> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(path).ok()?;
    let sheet = book.sheet_names().first()?.clone();
    let range = book.worksheet_range(&sheet).ok()?;
    Some(
        range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect(),
    )
}

/// What a complete export looks like, to compare a killed run's output with.
enum Complete {
    /// CSV output is deterministic: byte for byte.
    Bytes(Vec<u8>),
    /// XLSX carries a creation time: compare the cells.
    Cells(Vec<Vec<String>>),
}

impl Complete {
    fn matches(&self, path: &Path) -> bool {
        match self {
            Complete::Bytes(b) => std::fs::read(path).is_ok_and(|got| &got == b),
            Complete::Cells(c) => xlsx_rows(path).is_some_and(|got| &got == c),
        }
    }
}

/// Hidden temporaries an export of `out` left beside it.
fn temporaries(out: &Path) -> Vec<PathBuf> {
    let name = out.file_name().unwrap().to_string_lossy().into_owned();
    let prefix = format!(".{name}.");
    let mut v: Vec<PathBuf> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(&prefix) && n.ends_with(".tmp")
        })
        .collect();
    v.sort();
    v
}

/// Runs `cmd` and reports on `tx` the moment stderr shows the export is next.
fn spawn_watched(cmd: &mut Command) -> (Child, mpsc::Receiver<()>, JoinHandle<String>) {
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("sorting findings") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    (child, rx, handle)
}

#[test]
fn a_killed_export_leaves_the_old_file_or_a_complete_new_one() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return; // a ledger child process: only the ledger test runs there
    }
    let started = Instant::now();
    let mut rng = Rng::new(seed(0xe8907));
    let dir = tempfile::tempdir().unwrap();
    let sites = dir.path().join("排污口.csv");
    write_sites(&sites, 2000);
    const OLD: &[u8] = b"the previous export, which must survive a crash\n";
    let (mut kept_old, mut complete_new, mut finished, mut leftovers) = (0, 0, 0, 0);
    for ext in ["xlsx", "csv"] {
        let out = dir.path().join(format!("big.{ext}"));
        // An uninterrupted run: the reference, and how long its phases take.
        let t0 = Instant::now();
        let (mut child, sorted, stderr) = spawn_watched(&mut check_command(&sites, &out));
        sorted.recv_timeout(Duration::from_secs(120)).unwrap();
        let t_sorted = t0.elapsed();
        let status = child.wait().unwrap();
        let t_total = t0.elapsed();
        let stderr = stderr.join().unwrap();
        assert!(status.success(), "{stderr}");
        let complete = match ext {
            "csv" => Complete::Bytes(std::fs::read(&out).unwrap()),
            _ => Complete::Cells(xlsx_rows(&out).unwrap()),
        };
        let rows = match &complete {
            Complete::Bytes(b) => b.iter().filter(|&&c| c == b'\n').count(),
            Complete::Cells(c) => c.len(),
        };
        assert!(rows > 1000, "only {rows} rows in the reference {ext}");
        let t_write = t_total - t_sorted;

        for trial in 0..EXPORT_TRIALS_PER_FORMAT {
            std::fs::write(&out, OLD).unwrap();
            let (mut child, sorted, stderr) = spawn_watched(&mut check_command(&sites, &out));
            if rng.f64() < 0.75 {
                // Mostly while the file is being written.
                let _ = sorted.recv_timeout(Duration::from_secs(120));
                std::thread::sleep(t_write.mul_f64(rng.range(0.0, 1.2)));
            } else {
                std::thread::sleep(t_total.mul_f64(rng.range(0.0, 1.1)));
            }
            if child.try_wait().unwrap().is_some() {
                finished += 1;
            } else {
                child.kill().unwrap();
            }
            child.wait().unwrap();
            let stderr = stderr.join().unwrap();
            if std::fs::read(&out).unwrap() == OLD {
                kept_old += 1;
            } else {
                assert!(
                    complete.matches(&out),
                    "{ext} trial {trial}: the output is neither the old file nor a \
                     complete export ({} bytes)\n{stderr}",
                    std::fs::metadata(&out).unwrap().len()
                );
                complete_new += 1;
            }
            // A kill before the rename may leave one hidden temporary.
            let tmps = temporaries(&out);
            assert!(tmps.len() <= 1, "{ext} trial {trial}: {tmps:?}");
            leftovers += tmps.len();
        }
        // The next export to the same path removes what a killed run left behind.
        let status = check_command(&sites, &out)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        assert!(complete.matches(&out));
        assert_eq!(temporaries(&out), Vec::<PathBuf>::new());
    }
    eprintln!(
        "crash_safety exports: {} runs in {:.1} s: {kept_old} kept the old file, \
         {complete_new} had the complete new one ({finished} had finished), \
         {leftovers} left a temporary",
        2 * EXPORT_TRIALS_PER_FORMAT,
        started.elapsed().as_secs_f64()
    );
    assert!(kept_old > 0, "no kill landed before the rename");
}
