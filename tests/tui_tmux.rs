//! The workbench end to end, driven as a person would: the real binary in a
//! tmux pane, keys sent with `send-keys`, the screen read with
//! `capture-pane`. Opens it, moves between panes, runs a sample input and
//! reads its result and Plan, edits a profile file from outside and watches
//! the reload (timing it), breaks the file and checks the error (file and
//! line) while the last good version still serves a request, fixes it,
//! checks the layout at 80×24, quits, and checks the terminal was restored.
//!
//! Robust on a loaded machine: every wait polls the screen up to a
//! deadline rather than sleeping a fixed time; a private tmux socket, a
//! fresh cache and a copy of the profiles keep runs apart; the tmux server
//! is killed on every way out. Without tmux the test says so and skips.

mod serve;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(20);

use serve::root;

/// Whether tmux is installed. Without it these tests fail, as they must
/// under CI (the README's test command installs it); a developer without
/// tmux skips them only by asking, with `TAILOR_SKIP_TMUX=1`.
fn tmux_present() -> bool {
    if Command::new("tmux").arg("-V").output().is_ok() {
        return true;
    }
    if std::env::var_os("TAILOR_SKIP_TMUX").is_some_and(|v| v == "1") {
        eprintln!("SKIPPED: tmux is not installed and TAILOR_SKIP_TMUX=1");
        return false;
    }
    panic!("tmux is not installed: scripts/setup.sh installs it (TAILOR_SKIP_TMUX=1 skips these tests)");
}

/// A tmux server on its own socket, killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("-f")
            .arg("/dev/null")
            .args(args)
            .output();
        match out {
            Ok(o) => o,
            Err(e) => panic!("tmux {args:?}: {e}"),
        }
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "main"]).stdout)
            .into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    fn format(&self, f: &str) -> String {
        String::from_utf8_lossy(&self.run(&["display-message", "-p", "-t", "main", f]).stdout)
            .trim()
            .to_owned()
    }

    /// Polls the screen until `pred` holds; the screen it held on.
    fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait_within(DEADLINE, what, pred)
    }

    /// [`Tmux::wait`] with a deadline of its own (a long replay).
    fn wait_within(&self, deadline: Duration, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if started.elapsed() > deadline {
                panic!("waited {deadline:?} for {what}; the screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_for(&self, needle: &str) -> String {
        self.wait(&format!("`{needle}`"), |s| s.contains(needle))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    if let Err(e) = std::fs::create_dir_all(to) {
        panic!("{}: {e}", to.display());
    }
    let entries = match std::fs::read_dir(from) {
        Ok(e) => e,
        Err(e) => panic!("{}: {e}", from.display()),
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_file() {
            if let Err(e) = std::fs::copy(&p, to.join(e.file_name())) {
                panic!("copy {}: {e}", p.display());
            }
        }
    }
}

fn write(path: &Path, text: &str) {
    if let Err(e) = std::fs::write(path, text) {
        panic!("{}: {e}", path.display());
    }
}

/// The status bar (the last non-empty line).
/// The status bar: the rows under the panes' bottom border (one, or two
/// when it does not fit on one row), joined.
fn status(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let border = lines
        .iter()
        .rposition(|l| l.starts_with('┗') || l.starts_with('└'))
        .map_or(lines.len().saturating_sub(1), |i| i + 1);
    lines[border.min(lines.len())..]
        .iter()
        .map(|l| l.trim_end())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn sh_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

#[test]
fn workbench_end_to_end_in_tmux() {
    if !tmux_present() {
        return;
    }
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let profiles = dir.path().join("profiles");
    copy_dir(&root().join("profiles"), &profiles);
    let cache = dir.path().join("cache");
    let inputs = root().join("sample-inputs");
    let count = std::fs::read_dir(&profiles)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
                .count()
        })
        .unwrap_or(0);

    let tmux = Tmux {
        socket: format!("tailor-e2e-{}", std::process::id()),
    };
    // After the workbench exits, the shell reports how it left the
    // terminal: raw mode would show as -icanon.
    let cmd = format!(
        "{} --profiles {} --cache-dir {} --inputs {}; echo \"tailor exited $?\"; \
         if stty -a | grep -q -- -icanon; then echo 'tty: raw'; else echo 'tty: cooked'; fi; \
         exec sleep 600",
        sh_quote(Path::new(env!("CARGO_BIN_EXE_tailor"))),
        sh_quote(&profiles),
        sh_quote(&cache),
        sh_quote(&inputs),
    );
    let root_dir = root();
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "main",
        "-x",
        "120",
        "-y",
        "40",
        "-c",
        &root_dir.display().to_string(),
        &cmd,
    ]);
    assert!(
        started.status.success(),
        "tmux new-session: {}",
        String::from_utf8_lossy(&started.stderr)
    );

    // Open: the Profiles pane, every profile valid, the engine up.
    let s = tmux.wait("the engine to be up", |s| {
        status(s).contains(&format!("{count} profiles"))
            && status(s).contains("sandbox ")
            && status(s).contains(" idle")
    });
    assert!(s.contains("┏ 1  Profiles"), "{s}");
    assert!(s.contains("table-dispatch"), "{s}");
    assert_eq!(tmux.format("#{alternate_on}"), "1");

    // Move between panes: Tab, Shift-Tab and the numbers.
    tmux.keys(&["Tab"]);
    tmux.wait_for("┏ 2  Inputs");
    tmux.keys(&["BTab"]);
    tmux.wait_for("┏ 1  Profiles");
    tmux.keys(&["4"]);
    tmux.wait_for("The cache is empty.");

    // Select reduce.yaml in the Inputs pane: its vector and verdicts.
    let mut names: Vec<String> = std::fs::read_dir(&inputs)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().is_file() && e.path().extension().is_some_and(|x| x == "yaml"))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let at = match names.iter().position(|n| n == "reduce.yaml") {
        Some(i) => i,
        None => panic!("no sample-inputs/reduce.yaml"),
    };
    tmux.keys(&["2"]);
    tmux.wait_for("┏ 2  Inputs");
    for _ in 0..at {
        tmux.keys(&["j"]);
    }
    let s = tmux.wait("reduce.yaml's analysis", |s| {
        s.contains("reduce.yaml  f64 reduce(") && s.contains("✓ table-dispatch")
    });
    assert!(s.contains("Characteristic vector"), "{s}");

    // Run it; the Pipeline pane shows its Plan, each step ran, verified.
    tmux.keys(&["r"]);
    tmux.keys(&["3"]);
    let s = tmux.wait("the request's Plan", |s| {
        s.contains("#1 reduce.yaml → table-dispatch")
            && s.contains("verified")
            && s.contains("✓ vec")
    });
    assert!(s.contains("✓ cache") && s.contains("inline_cache"), "{s}");
    // Its IR diff loads from the cache.
    tmux.wait_for("IR diff");
    // The Runs pane has the execution; the Log its result.
    tmux.keys(&["5"]);
    let s = tmux.wait("the run", |s| {
        s.contains("reduce.yaml") && s.contains(" ok ")
    });
    assert!(s.contains("miss"), "{s}");
    tmux.keys(&["6"]);
    tmux.wait_for("finished  result 50038.8");

    // Edit a profile from outside: the reload shows within a second.
    tmux.keys(&["1"]);
    tmux.wait_for("┏ 1  Profiles");
    let file = profiles.join("table-dispatch.yaml");
    let good = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) => panic!("{}: {e}", file.display()),
    };
    assert!(good.contains("priority: 50"), "{good}");
    let changed = Instant::now();
    write(&file, &good.replace("priority: 50", "priority: 55"));
    let s = tmux.wait("the reload", |s| {
        status(s).contains("reloaded table-dispatch.yaml") && s.contains("priority 55")
    });
    let latency = changed.elapsed();
    eprintln!("reload latency (file written → status bar shows it): {latency:?}");
    assert!(
        latency < Duration::from_secs(1),
        "reload took {latency:?}\n{s}"
    );

    // Break it: the error with file and line, the last good version live.
    let broken_at = Instant::now();
    write(&file, &good.replace("priority: 50", "priority: [55"));
    let s = tmux.wait("the broken reload", |s| {
        status(s).contains("table-dispatch.yaml:") && status(s).contains("broken")
    });
    eprintln!("broken-file report latency: {:?}", broken_at.elapsed());
    assert!(
        status(&s).contains("last good table-dispatch still live"),
        "{s}"
    );
    // Its row carries the error with the file's path and line.
    let s = tmux.wait("the error in the Profiles pane", |s| {
        s.contains("table-dispatch.yaml:") && s.contains("stays live until the file is fixed")
    });
    assert!(
        s.contains("priority 55"),
        "the last good version is shown: {s}"
    );
    // The last good version still serves: the same input selects it.
    tmux.keys(&["2"]);
    tmux.wait_for("┏ 2  Inputs");
    tmux.keys(&["r"]);
    tmux.keys(&["5"]);
    let s = tmux.wait("the second run", |s| {
        s.lines().any(|l| {
            l.contains(" 2 ")
                && l.contains("reduce.yaml")
                && l.contains("table-dispatch")
                && l.contains(" ok ")
        })
    });
    assert!(s.contains("2 runs"), "{s}");

    // Fix it: reloaded, nothing broken.
    write(&file, &good.replace("priority: 50", "priority: 60"));
    tmux.wait("the fixed reload", |s| {
        status(s).contains("reloaded table-dispatch.yaml") && !status(s).contains("broken")
    });
    tmux.keys(&["1"]);
    tmux.wait("the fixed profile", |s| {
        s.contains("priority 60") && !s.contains("stays live until")
    });

    // At 80×24 the tabs, the pane and the status bar still fit.
    tmux.run(&["resize-window", "-t", "main", "-x", "80", "-y", "24"]);
    let s = tmux.wait("the 80×24 layout", |s| {
        s.lines().count() <= 24 && s.lines().next().is_some_and(|l| l.contains("1 Prof"))
    });
    let lines: Vec<&str> = s.lines().collect();
    assert!(lines.iter().all(|l| l.chars().count() <= 80), "{s}");
    assert!(status(&s).contains("profiles"), "{s}");
    assert!(s.contains("┏ 1  Profiles"), "{s}");
    tmux.keys(&["?"]);
    tmux.wait_for("Keys");
    tmux.keys(&["?"]);
    tmux.wait("the help to close", |s| !s.contains("╭ Keys"));

    // Quit: the terminal is back as it was.
    tmux.keys(&["q"]);
    let s = tmux.wait("the exit", |s| s.contains("tailor exited"));
    assert!(s.contains("tailor exited 0"), "{s}");
    let s = tmux.wait_for("tty: ");
    assert!(s.contains("tty: cooked"), "raw mode left on:\n{s}");
    assert!(!s.contains("┏"), "the workbench is still on screen:\n{s}");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "alternate screen left on"
    );
    assert_eq!(tmux.format("#{cursor_flag}"), "1", "cursor left hidden");
    assert_eq!(
        tmux.format("#{mouse_any_flag}"),
        "0",
        "mouse reporting left on"
    );

    // Ctrl-C ends it the same way, even in the middle of a replay.
    tmux.run(&["kill-session", "-t", "main"]);
    // Killing the last session ends the tmux server, and a new session
    // asked for while it shuts down can fail: try again a few times.
    let root = root_dir.display().to_string();
    let new_session = [
        "new-session",
        "-d",
        "-s",
        "main",
        "-x",
        "100",
        "-y",
        "30",
        "-c",
        &root,
        &cmd,
    ];
    let mut started = tmux.run(&new_session);
    for _ in 0..20 {
        if started.status.success() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        started = tmux.run(&new_session);
    }
    assert!(
        started.status.success(),
        "tmux new-session: {}",
        String::from_utf8_lossy(&started.stderr)
    );
    tmux.wait("the engine to be up again", |s| {
        status(s).contains("sandbox ") && status(s).contains(" idle")
    });
    tmux.keys(&["2"]);
    tmux.wait_for("┏ 2  Inputs");
    tmux.keys(&["G"]);
    tmux.wait_for("requests over");
    tmux.keys(&["r"]);
    tmux.wait("the replay to start", |s| status(s).contains("busy"));
    tmux.keys(&["C-c"]);
    let s = tmux.wait("the exit on Ctrl-C", |s| s.contains("tty: "));
    assert!(
        s.contains("tailor exited 0") && s.contains("tty: cooked"),
        "{s}"
    );
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "alternate screen left on"
    );
}

/// A kernel that makes LLVM abort, analyzed and run from the workbench:
/// a sandboxed worker dies, the workbench says why and stays up.
#[test]
fn a_kernel_that_makes_llvm_abort_leaves_the_workbench_up() {
    if !tmux_present() {
        return;
    }
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let inputs = dir.path().join("inputs");
    if let Err(e) = std::fs::create_dir_all(&inputs) {
        panic!("{e}");
    }
    if let Err(e) = std::fs::copy(
        root().join("tests/hostile/kernels/llvm_abort.bc"),
        inputs.join("llvm_abort.bc"),
    ) {
        panic!("{e}");
    }
    write(
        &inputs.join("abort.yaml"),
        "kernel: llvm_abort.bc\nargs:\n  - n: { i64: 3 }\n",
    );
    let tmux = Tmux {
        socket: format!("tailor-abort-{}", std::process::id()),
    };
    let cmd = format!(
        "{} --profiles {} --cache-dir {} --inputs {}; echo \"tailor exited $?\"; exec sleep 600",
        sh_quote(Path::new(env!("CARGO_BIN_EXE_tailor"))),
        sh_quote(&root().join("profiles")),
        sh_quote(&dir.path().join("cache")),
        sh_quote(&inputs),
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "main",
        "-x",
        "160",
        "-y",
        "48",
        &cmd,
    ]);
    assert!(started.status.success());
    tmux.wait("the engine to be up", |s| {
        status(s).contains("sandbox ") && status(s).contains(" idle")
    });
    tmux.keys(&["2"]);
    tmux.wait("abort.yaml's analysis", |s| {
        s.contains("abort.yaml  i64 llvm_abort(")
    });
    tmux.keys(&["r"]);
    let s = tmux.wait("the run's error in the Pipeline pane", |s| {
        s.contains("failed: the generic build of `llvm_abort` failed")
    });
    assert!(!s.contains("tailor exited"), "{s}");
    // Still answering keys, and it quits cleanly.
    tmux.keys(&["1"]);
    tmux.wait_for("┏ 1  Profiles");
    tmux.keys(&["q"]);
    let s = tmux.wait("the exit", |s| s.contains("tailor exited"));
    assert!(s.contains("tailor exited 0"), "{s}");
}

/// The workbench attached to a running service (`tailor --connect`): it
/// draws a run sent to the service through HTTP by someone else, and a
/// profile saved in it goes to the service through the admin API.
#[test]
fn the_workbench_attached_to_a_service_shows_a_run_sent_with_curl() {
    if !tmux_present() {
        return;
    }
    let server = serve::Server::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("token");
    write(&token, serve::ADMIN);
    let tmux = Tmux {
        socket: format!("tailor-attach-{}", std::process::id()),
    };
    let mirror = dir.path().join("mirror");
    let cmd = format!(
        "{} --connect {} --token-file {} --profiles {} --inputs {}; exec sleep 600",
        sh_quote(Path::new(env!("CARGO_BIN_EXE_tailor"))),
        server.base,
        sh_quote(&token),
        sh_quote(&mirror),
        sh_quote(&root().join("sample-inputs")),
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "main",
        "-x",
        "160",
        "-y",
        "48",
        &cmd,
    ]);
    assert!(started.status.success());
    let s = tmux.wait("the service's profiles", |s| {
        s.contains("small-shapes") && status(s).contains("sandbox ")
    });
    assert!(s.contains("table-dispatch"), "{s}");

    // Someone else runs a kernel on the service with curl.
    let run = std::process::Command::new("curl")
        .args(["-fsS", "-H"])
        .arg(format!("Authorization: Bearer {}", serve::CLIENT))
        .args(["-H", "Content-Type: application/json", "-d"])
        .arg(r#"{"kernel": {"source": "double sum(const double *a, long n) { double s = 0; for (long i = 0; i < n; i++) s += a[i]; return s; }", "format": "c", "name": "curlsum"}, "args": [{"a": {"array": "f64", "data": [1, 2, 3.5]}}, {"n": {"i64": "len(a)"}}]}"#)
        .arg(format!("{}/v1/run", server.base))
        .output()
        .expect("curl runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // Its events reach the Runs pane and the Log; the cache shows it.
    let s = tmux.wait("the curl run in Runs and Cache", |s| {
        s.contains("request-") && s.contains("curlsum") && s.contains("result 6.5")
    });
    assert!(s.contains("┌ 5  Runs"), "{s}");

    // A profile edited in the mirror goes to the service's admin API.
    let file = mirror.join("generic.yaml");
    let text = std::fs::read_to_string(&file).expect("mirrored generic");
    write(
        &file,
        &format!("{text}\n# edited in the attached workbench\n"),
    );
    let started = Instant::now();
    loop {
        let live = server
            .get("/v1/profiles/generic", Some(serve::ADMIN))
            .json();
        if live["source"]
            .as_str()
            .unwrap_or("")
            .contains("edited in the attached workbench")
        {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the edit never reached the service: {live}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts the workbench in a new tmux session of `w`×`h` in `cwd`; `args`
/// follow the binary (already quoted for the shell).
fn start(tmux: &Tmux, cwd: &Path, w: u16, h: u16, args: &str) {
    let cmd = format!(
        "{} {args}; echo \"tailor exited $?\"; exec sleep 600",
        sh_quote(Path::new(env!("CARGO_BIN_EXE_tailor"))),
    );
    let (w, h) = (w.to_string(), h.to_string());
    let cwd = cwd.display().to_string();
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "main",
        "-x",
        &w,
        "-y",
        &h,
        "-c",
        &cwd,
        &cmd,
    ]);
    assert!(
        started.status.success(),
        "tmux new-session: {}",
        String::from_utf8_lossy(&started.stderr)
    );
}

/// The workbench at 160×48 in a fresh folder, on a copy of the shipped
/// profiles (the test may change them), a cache of its own and the sample
/// inputs, once its engine is up: the folder, the profiles' copy, the tmux.
fn workbench_on_copied_profiles(name: &str) -> (tempfile::TempDir, std::path::PathBuf, Tmux) {
    let dir = tempfile::tempdir().expect("tempdir");
    let profiles = dir.path().join("profiles");
    copy_dir(&root().join("profiles"), &profiles);
    let tmux = Tmux {
        socket: format!("tailor-{name}-{}", std::process::id()),
    };
    start(
        &tmux,
        dir.path(),
        160,
        48,
        &format!(
            "--profiles {} --cache-dir {} --inputs {}",
            sh_quote(&profiles),
            sh_quote(&dir.path().join("cache")),
            sh_quote(&root().join("sample-inputs")),
        ),
    );
    tmux.wait("the engine to be up", |s| {
        status(s).contains("sandbox ") && status(s).contains(" idle")
    });
    (dir, profiles, tmux)
}

/// Issue 15, fix 3: after a reload and a 1 000-request replay, the Log
/// with engine events hidden still shows the reload, and `w` saves a file
/// that holds it.
#[test]
fn the_log_keeps_a_reload_through_a_long_replay_and_saves_it() {
    if !tmux_present() {
        return;
    }
    let (dir, profiles, tmux) = workbench_on_copied_profiles("log");
    // A reload: the administrator's line to keep.
    let file = profiles.join("table-dispatch.yaml");
    let good = std::fs::read_to_string(&file).expect("table-dispatch.yaml");
    write(&file, &good.replace("priority: 50", "priority: 52"));
    tmux.wait("the reload", |s| {
        status(s).contains("reloaded table-dispatch.yaml")
    });
    // Replay hot.yaml (1 000 requests): the first of the two workloads.
    tmux.keys(&["2"]);
    tmux.wait_for("┏ 2  Inputs");
    tmux.keys(&["G", "k"]);
    tmux.wait_for("1000 requests over");
    tmux.keys(&["r"]);
    tmux.wait_within(Duration::from_secs(300), "the replay to finish", |s| {
        status(s).contains("replay hot.yaml: done, 1000/1000")
    });
    // The Log, zoomed, engine events hidden: the reload is still there.
    tmux.keys(&["6", "z", "e"]);
    let s = tmux.wait_for("engine events hidden");
    assert!(
        s.contains("reloaded table-dispatch.yaml: table-dispatch v"),
        "the reload fell out of the Log:\n{s}"
    );
    assert!(s.contains("replay hot.yaml: 1000 requests"), "{s}");
    // `w` saves it; the status bar names the file.
    tmux.keys(&["w"]);
    let s = tmux.wait("the save", |s| {
        status(s).contains("saved the Log to ") && s.contains("tailor-log-")
    });
    let saved: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path())
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("tailor-log-") && n.ends_with(".txt"))
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        saved.len(),
        1,
        "one log file in the current folder: {saved:?}\n{s}"
    );
    let text = std::fs::read_to_string(&saved[0]).expect("the saved log");
    assert!(
        text.contains("reloaded table-dispatch.yaml: table-dispatch v"),
        "{}",
        &text[..text.len().min(3000)]
    );
    assert!(text.contains("replay hot.yaml: done, 1000/1000"));
    assert!(text.contains(" event #1000"), "engine events are saved too");
    tmux.keys(&["q"]);
    let s = tmux.wait("the exit", |s| s.contains("tailor exited"));
    assert!(s.contains("tailor exited 0"), "{s}");
}

/// Issue 15, fix 5: `--profiles` and `--inputs` naming folders that do
/// not exist yet. The workbench says so (status bar, Log, panes), and
/// when they are made it loads what they hold and hot reload works; the
/// same when the profiles folder is deleted and made again.
#[test]
fn missing_folders_are_said_watched_for_and_loaded_when_they_appear() {
    if !tmux_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let profiles = dir.path().join("profiles");
    let inputs = dir.path().join("inputs");
    let tmux = Tmux {
        socket: format!("tailor-missing-{}", std::process::id()),
    };
    start(
        &tmux,
        dir.path(),
        160,
        48,
        &format!(
            "--profiles {} --cache-dir {} --inputs {}",
            sh_quote(&profiles),
            sh_quote(&dir.path().join("cache")),
            sh_quote(&inputs),
        ),
    );
    let missing = format!(
        "profiles folder {} is missing; watching for it",
        profiles.display()
    );
    let s = tmux.wait("the status bar to say the folder is missing", |s| {
        status(s).contains(&missing) && status(s).contains("sandbox ")
    });
    assert!(!status(&s).contains("watching profiles"), "{s}");
    // The Profiles pane says it too; so does the Log (zoomed: one row).
    assert!(s.contains("┃ ") && s.matches(&missing).count() >= 2, "{s}");
    tmux.keys(&["6", "z"]);
    let s = tmux.wait_for("┏ 6  Log");
    assert!(s.contains(&missing), "{s}");
    assert!(
        s.contains(&format!(
            "inputs folder {} is missing; watching for it",
            inputs.display()
        )),
        "{s}"
    );
    assert!(!s.contains("hot reload is off"), "{s}");
    tmux.keys(&["z", "2"]);
    let s = tmux.wait_for("┏ 2  Inputs");
    assert!(s.contains("inputs folder"), "{s}");

    // The profiles folder is made and filled: its profiles load.
    let count = std::fs::read_dir(root().join("profiles"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
                .count()
        })
        .unwrap_or(0);
    copy_dir(&root().join("profiles"), &profiles);
    let s = tmux.wait("the profiles to load", |s| {
        status(s).starts_with(&format!("{count} profiles │"))
    });
    assert!(!status(&s).contains("broken"), "{s}");
    tmux.keys(&["1"]);
    let s = tmux.wait_for("┏ 1  Profiles");
    assert!(s.contains("table-dispatch") && !s.contains(&missing), "{s}");
    // Hot reload works as usual.
    let file = profiles.join("table-dispatch.yaml");
    let good = std::fs::read_to_string(&file).expect("table-dispatch.yaml");
    write(&file, &good.replace("priority: 50", "priority: 57"));
    tmux.wait("the reload", |s| {
        status(s).contains("reloaded table-dispatch.yaml")
            && s.lines()
                .any(|l| l.contains("✓ table-dispatch") && l.contains(" 57 "))
    });

    // Deleted while the workbench runs: said, and what is loaded stays.
    std::fs::remove_dir_all(&profiles).expect("rm -rf profiles");
    let s = tmux.wait("the deletion to be said", |s| {
        status(s).contains(&missing) && status(s).contains("was deleted")
    });
    assert!(
        status(&s).starts_with(&format!("{count} profiles │")),
        "{s}"
    );
    // Made again, one profile fewer: that one unloads, the rest reload,
    // and the new folder is watched.
    copy_dir(&root().join("profiles"), &profiles);
    std::fs::remove_file(profiles.join("table-dispatch.yaml")).expect("rm");
    let s = tmux.wait("the new folder's profiles", |s| {
        status(s).starts_with(&format!("{} profiles │", count - 1))
    });
    assert!(!s.contains(&missing), "{s}");
    let file = profiles.join("small-shapes.yaml");
    let good = std::fs::read_to_string(&file).expect("small-shapes.yaml");
    write(&file, &good.replace("priority: 40", "priority: 41"));
    tmux.wait("the reload in the new folder", |s| {
        status(s).contains("reloaded small-shapes.yaml")
    });

    // The inputs folder is made: the Inputs pane lists what it holds.
    std::fs::create_dir_all(inputs.join("workloads")).expect("mkdir inputs");
    if let Err(e) = std::fs::copy(
        root().join("sample-inputs/reduce.yaml"),
        inputs.join("reduce.yaml"),
    ) {
        panic!("copy: {e}");
    }
    tmux.keys(&["2"]);
    let s = tmux.wait("the inputs to show", |s| {
        // The Inputs pane's selected row is the new input.
        s.lines()
            .any(|l| l.contains("┃▸") && l.contains("reduce.yaml"))
    });
    assert!(s.contains("┏ 2  Inputs"), "{s}");
    // The window grows before the workbench quits: nothing of it stays on
    // the shell's screen (tmux keeps an uncleared alternate screen's rows).
    tmux.run(&["resize-window", "-t", "main", "-x", "200", "-y", "60"]);
    tmux.wait("the larger frame", |s| {
        s.lines().any(|l| l.chars().count() > 160)
    });
    tmux.keys(&["q"]);
    let s = tmux.wait("the exit", |s| s.contains("tailor exited"));
    assert!(s.contains("tailor exited 0"), "{s}");
    assert!(
        !s.contains(['┃', '│', '━', '─']),
        "the frame stayed behind:\n{s}"
    );
}

/// Issue 15, fixes 1 and 2, driven as an administrator would: a profile
/// broken on disk and then restored to its exact old content clears its
/// error at once with a Log line; `q` with an unsaved edit asks before it
/// drops it.
#[test]
fn a_restored_profile_clears_its_error_and_quit_asks_for_unsaved_edits() {
    if !tmux_present() {
        return;
    }
    let (_dir, profiles, tmux) = workbench_on_copied_profiles("restore");
    let file = profiles.join("narrow-ints.yaml");
    let good = std::fs::read_to_string(&file).expect("narrow-ints.yaml");
    assert!(good.contains("priority: 30\n"));
    write(&file, &good.replace("priority: 30\n", "priority: 30x\n"));
    tmux.wait("the broken file in the status bar", |s| {
        status(s).contains("narrow-ints.yaml") && status(s).contains("broken")
    });
    // The exact old content again, as `sed` back or `cp` would write it.
    write(&file, &good);
    let s = tmux.wait("the error to clear", |s| {
        status(s).contains("narrow-ints.yaml is back to the live narrow-ints")
    });
    assert!(!status(&s).contains("broken"), "{}", status(&s));
    tmux.keys(&["6", "z"]);
    let s = tmux.wait_for("is back to the live narrow-ints: its errors are cleared");
    assert!(!s.contains("✗ narrow-ints"), "{s}");
    tmux.keys(&["z", "1"]);
    tmux.wait_for("┏ 1  Profiles");

    // An unsaved edit, then q: asked, and n keeps the workbench up.
    tmux.keys(&["j", "Enter"]);
    tmux.wait_for("a add · d remove");
    tmux.keys(&["j", "j", "w", "C-u"]);
    tmux.keys(&["-l", "arrays.all(x, x.len <= 300)"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("● small-shapes");
    tmux.keys(&["Escape"]);
    // Apart, or the terminal reads Esc and q as one key, Alt-q.
    std::thread::sleep(Duration::from_millis(300));
    tmux.keys(&["q"]);
    tmux.wait_for("Quit and drop the unsaved edits of");
    tmux.keys(&["n"]);
    std::thread::sleep(Duration::from_millis(300));
    let s = tmux.screen();
    assert!(
        !s.contains("tailor exited"),
        "n kept the workbench up:\n{s}"
    );
    tmux.keys(&["q"]);
    tmux.wait_for("Quit and drop the unsaved edits of");
    tmux.keys(&["y"]);
    let s = tmux.wait("the exit", |s| s.contains("tailor exited"));
    assert!(s.contains("tailor exited 0"), "{s}");
    let small = std::fs::read_to_string(profiles.join("small-shapes.yaml")).expect("small-shapes");
    assert!(
        !small.contains("x.len <= 300"),
        "quitting dropped the edit; the file is as it was"
    );
}

/// Issue 15, additions 1, 3 and 5 as a person uses them: a profile field
/// set with `f`, its diff shown by `s` and written by `y`; two runs, the
/// Runs list filtered to one; `/` in the Log finds the reload.
#[test]
fn a_field_edit_its_diff_a_runs_filter_and_a_log_search_in_tmux() {
    if !tmux_present() {
        return;
    }
    let (_dir, profiles, tmux) = workbench_on_copied_profiles("additions");
    let file = profiles.join("table-dispatch.yaml");
    let before = std::fs::read_to_string(&file).expect("table-dispatch.yaml");
    assert!(before.contains("priority: 50\n"));

    tmux.keys(&["1", "f"]);
    tmux.wait_for("field of table-dispatch");
    tmux.keys(&["-l", "priority: 45"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("● table-dispatch");
    tmux.keys(&["s"]);
    let s = tmux.wait_for("Save table-dispatch.yaml?");
    assert!(
        s.contains("-priority: 50") && s.contains("+priority: 45"),
        "{s}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        before,
        "nothing is written before y"
    );
    tmux.keys(&["y"]);
    tmux.wait("the saved profile to reload", |s| {
        status(s).contains("reloaded table-dispatch.yaml")
    });
    let after = std::fs::read_to_string(&file).expect("read");
    assert!(after.contains("priority: 45\n"), "{after}");

    // Two inputs run; the filter keeps one.
    tmux.keys(&["2", "g", "j", "r"]);
    tmux.wait("the first run", |s| status(s).contains("done, 1/1"));
    tmux.keys(&["j", "j", "j", "r"]);
    tmux.wait("the second run", |s| {
        status(s).contains("run filter.yaml: done, 1/1")
    });
    tmux.keys(&["5"]);
    tmux.wait("two runs", |s| s.contains("2 runs"));
    tmux.keys(&["f"]);
    tmux.wait_for("filter");
    tmux.keys(&["C-u"]);
    tmux.keys(&["-l", "dot-small"]);
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("1 of 2 runs");
    assert!(s.contains("dot-small.yaml"), "{s}");

    // `/` in the Log: the reload, found and counted.
    tmux.keys(&["6", "/"]);
    tmux.wait_for("search Log");
    tmux.keys(&["-l", "reloaded table-dispatch"]);
    tmux.keys(&["Enter"]);
    tmux.wait("the match", |s| {
        status(s).contains("/reloaded table-dispatch: match 1 of 1")
    });
    // Esc ends the search (sent alone: Esc then q at once reads as Alt-q).
    tmux.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(200));
    tmux.keys(&["q"]);
    let s = tmux.wait("the exit", |s| s.contains("tailor exited"));
    assert!(s.contains("tailor exited 0"), "{s}");
}
