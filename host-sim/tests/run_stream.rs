//! `host-sim run` as a stream: results name the file's own lines, and its memory does not grow
//! with the number of inputs.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Stdio},
};

use plaid_idv_test_support::host_sim;
use serde_json::{json, Value};

/// A directory of this test's files, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("host-sim-stream-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn input(user: &str) -> String {
    json!({"client_user_id": user, "template_id": "idvtmp_52xR9LKo77r1Np", "strategy": "reset"}).to_string()
}

/// Issue 13.6: a blank line is skipped, and the lines after it keep their own numbers.
#[test]
fn each_result_names_its_line_in_the_file_blank_lines_counted() {
    let scratch = Scratch::new("lines");
    // Lines 1 and 3 are blank (one of them whitespace), 4 is not a valid input, 6 follows an
    // empty line at 5.
    let text = format!("\n{}\n   \n{{\"strategy\":\"reset\"}}\n\n{}\n", input("user-a"), input("user-b"));
    let inputs = scratch.file("inputs.jsonl", &text);
    let out = host_sim().arg("run").arg("--inputs").arg(&inputs).arg("--json").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "a terminal failure among them: {stdout}");
    let rows: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary = &rows.last().unwrap()["summary"];
    assert_eq!((summary["inputs"].as_u64(), summary["completed"].as_u64()), (Some(3), Some(2)));
    let mut by_line: Vec<(u64, &str)> = rows[..rows.len() - 1]
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["result"]["status"].as_str().unwrap()))
        .collect();
    by_line.sort_unstable();
    assert_eq!(by_line, [(2, "COMPLETED"), (4, "FAILED_WITH_TERMINAL_ERROR"), (6, "COMPLETED")]);
}

/// `host-sim bench --serve-static`: answers every request with Plaid's example answer until its
/// standard input closes; killed when dropped (also when a test fails).
struct StaticResponder {
    child: Child,
    url: String,
}

impl StaticResponder {
    fn start() -> Self {
        let mut child = host_sim()
            .args(["bench", "--serve-static"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut url).unwrap();
        StaticResponder { child, url: url.trim().to_owned() }
    }
}

impl Drop for StaticResponder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The peak resident set, in KiB, of `host-sim run` over `count` inputs against `url`.
fn peak_rss_kib(scratch: &Scratch, url: &str, count: usize) -> u64 {
    let line = input("user-rss") + "\n";
    let inputs = scratch.file(&format!("inputs-{count}.jsonl"), &line.repeat(count));
    let settings = scratch.file("settings.json", r#"{"client_id":"id-1234","secret":"secret-1234"}"#);
    let mut child = host_sim()
        .args(["run", "--workers", "4", "--json", "--base-url", url])
        .arg("--settings")
        .arg(&settings)
        .arg("--inputs")
        .arg(Path::new(&inputs))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Its VmHWM, read until it exits: wait4's rusage would charge it this process's peak too
    // (spawned by vfork, then exec).
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        let hwm = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            let line = s.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.to_owned();
            line.trim().trim_end_matches("kB").trim().parse::<u64>().ok()
        });
        peak = peak.max(hwm.unwrap_or(0));
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    assert!(status.success(), "run over {count} failed: {status}");
    peak
}

/// Issue 14: results are written as tasks end and only counts are kept, so ten times the inputs
/// take no more memory. Before streaming, each task held its result until the end: about 50 KB
/// a task, 220 MB more for the larger run here.
#[test]
fn memory_does_not_grow_with_the_number_of_inputs() {
    let responder = StaticResponder::start();
    let scratch = Scratch::new("rss");
    let small = peak_rss_kib(&scratch, &responder.url, 500);
    let large = peak_rss_kib(&scratch, &responder.url, 5_000);
    eprintln!("peak RSS: 500 inputs {small} KiB, 5,000 inputs {large} KiB");
    assert!(large < small + 16 * 1024, "5,000 inputs peaked at {large} KiB, 500 at {small} KiB");
}
