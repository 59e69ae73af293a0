//! The headless CLI as a user runs it: the binary, from the repository root,
//! on the shipped profiles and inputs and on broken ones.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tailor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run tailor")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn shipped_profiles_check_clean() {
    let o = tailor(&["profiles", "check"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("0 errors"), "{out}");
    let json: Value =
        serde_json::from_slice(&tailor(&["profiles", "check", "--json"]).stdout).expect("json");
    let profiles = json["profiles"].as_array().expect("profiles");
    assert!(profiles.len() >= 7);
    assert!(profiles.iter().any(|p| p["name"] == "generic"));
}

#[test]
fn shipped_profiles_use_every_transform_and_a_conditional_branch() {
    let mut transforms = std::collections::BTreeSet::new();
    let mut conditional = false;
    for entry in std::fs::read_dir(root().join("profiles")).expect("profiles dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_owned();
        let o = tailor(&["profiles", "show", &name, "--json"]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let json: Value = serde_json::from_slice(&o.stdout).expect("json");
        for node in json["nodes"].as_array().expect("nodes") {
            transforms.insert(node["transform"].as_str().expect("transform").to_owned());
            conditional |= !node["when"].is_null();
        }
    }
    let all = [
        "specialize",
        "unroll",
        "vectorize",
        "inline_cache",
        "layout",
        "dce",
        "passes",
    ];
    for t in all {
        assert!(transforms.contains(t), "no shipped profile uses `{t}`");
    }
    assert!(conditional);
}

/// A folder with a valid `generic` profile and one more file.
fn profiles_with(file: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("generic.yaml"),
        "name: generic\npipeline: {}\n",
    )
    .expect("write");
    std::fs::write(dir.path().join(file), text).expect("write");
    dir
}

fn check_fails(file: &str, text: &str) -> String {
    let dir = profiles_with(file, text);
    let o = tailor(&[
        "--profiles",
        &dir.path().display().to_string(),
        "profiles",
        "check",
    ]);
    assert!(!o.status.success(), "accepted:\n{text}");
    let out = stdout(&o);
    let prefix = format!("{}/", dir.path().display());
    let line = out
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line in {out}"));
    line.trim_start_matches("error: ").replace(&prefix, "")
}

#[test]
fn each_broken_profile_kind_fails_check_with_a_precise_message() {
    assert_eq!(
        check_fails("syntax.yaml", "name: s\npipeline:\n  a: { transform: dce\n"),
        "syntax.yaml:4: did not find expected ',' or '}' at line 4 column 1, while parsing a flow mapping at line 3 column 6"
    );
    assert_eq!(
        check_fails("unknown.yaml", "name: u\npipeline:\n  v: { transform: vectorise }\n"),
        "unknown.yaml:3: node `v`: unknown transform `vectorise` (known: specialize, unroll, vectorize, inline_cache, layout, dce, passes, autotune)"
    );
    let feature = check_fails(
        "feature.yaml",
        "name: f\npipeline:\n  v:\n    transform: vectorize\n    when: a.nonnegative\n",
    );
    assert!(
        feature.starts_with(
            "feature.yaml:5: node `v`: unknown feature `nonnegative` in `when: a.nonnegative`"
        ),
        "{feature}"
    );
    assert_eq!(
        check_fails(
            "param.yaml",
            "name: p\npipeline:\n  u: { transform: unroll, count: 5000 }\n"
        ),
        "param.yaml:3: node `u`: bad parameter `count`: 5000 is outside 1..=1024"
    );
    assert_eq!(
        check_fails(
            "cycle.yaml",
            "name: c\npipeline:\n  a: { transform: dce, after: c }\n  b: { transform: dce, after: a }\n  c: { transform: dce, after: b }\n"
        ),
        "cycle.yaml:3: the pipeline has a cycle: a -> b -> c -> a"
    );
    assert_eq!(
        check_fails("zz-dup.yaml", "name: generic\npipeline: {}\n"),
        "zz-dup.yaml:1: profile name `generic` is already used by generic.yaml"
    );
    let passes = check_fails(
        "passes.yaml",
        "name: x\npipeline:\n  p: { transform: passes, pipeline: \"function(instcombine,nosuchpass)\" }\n",
    );
    assert!(
        passes.starts_with("passes.yaml:3: node `p`: bad parameter `pipeline`:")
            && passes.contains("nosuchpass"),
        "{passes}"
    );
}

#[test]
fn a_broken_profile_does_not_hide_the_good_ones() {
    let dir = profiles_with(
        "bad.yaml",
        "name: bad\npipeline: { a: { transform: nope } }\n",
    );
    let o = tailor(&[
        "--profiles",
        &dir.path().display().to_string(),
        "profiles",
        "show",
        "generic",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = tailor(&[
        "--profiles",
        &dir.path().display().to_string(),
        "profiles",
        "show",
        "bad",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("unknown transform `nope`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn profiles_show_and_dot() {
    let o = tailor(&["profiles", "show", "small-shapes"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("order     bind -> layout -> full -> partial -> vec -> clean"),
        "{out}"
    );
    let o = tailor(&["profiles", "dot", "small-shapes"]);
    let dot = stdout(&o);
    assert!(dot.starts_with("digraph \"small-shapes\" {"), "{dot}");
    assert!(dot.contains("\"layout\" -> \"full\";"), "{dot}");
    assert!(dot.contains("style=dashed"), "{dot}");
    let o = tailor(&["profiles", "show", "nope"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no profile `nope`"), "{}", stderr(&o));
}

fn features(input: &str) -> Value {
    let o = tailor(&["analyze", input, "--json"]);
    assert!(o.status.success(), "{input}: {}", stderr(&o));
    let json: Value = serde_json::from_slice(&o.stdout).expect("json");
    let mut map = serde_json::Map::new();
    for f in json["features"].as_array().expect("features") {
        map.insert(
            f["name"].as_str().expect("name").to_owned(),
            f["value"].clone(),
        );
    }
    Value::Object(map)
}

#[test]
fn analyze_gives_the_features_of_shipped_inputs() {
    // Inline weights [0.0625, 0.25, 0.375, 0.25, 0.0625].
    let f = features("sample-inputs/stencil-small.yaml");
    assert_eq!(f["w.len"], 5);
    assert_eq!(f["w.min"], 0.0625);
    assert_eq!(f["w.max"], 0.375);
    assert_eq!(f["w.mean"], 0.2);
    assert_eq!(f["w.distinct_est"], 3);
    assert_eq!(f["width"], 5);
    assert_eq!(f["x.len"], 256);
    assert_eq!(f["n"], 256);
    assert_eq!(f["y.len"], 252);
    // A range generator: 0, 4, 8, ...
    let f = features("sample-inputs/gather-small.yaml");
    assert_eq!(f["idx.progression"], true);
    assert_eq!(f["idx.step"], 4);
    assert_eq!(f["idx.min"], 0);
    assert_eq!(f["idx.max"], 1020);
    assert_eq!(f["idx.sorted"], 1.0);
    assert_eq!(f["idx.int_bits"], 10);
    assert_eq!(f["src.align"], 64);
    // Sparse data: 90% zeros asked for.
    let f = features("sample-inputs/filter-sparse.yaml");
    let z = f["a.zero_frac"].as_f64().expect("zero_frac");
    assert!((z - 0.9).abs() < 0.02, "{z}");
    // Normal data has negatives; uniform 0..1 does not.
    assert_eq!(features("sample-inputs/sum-normal.yaml")["a.nonneg"], false);
    assert_eq!(features("sample-inputs/sum-small.yaml")["a.nonneg"], true);
}

#[test]
fn analyze_reads_npy_csv_and_raw_files() {
    for input in [
        "reduce-npy.yaml",
        "filter-csv.yaml",
        "histogram-pixels.yaml",
    ] {
        let f = features(&format!("sample-inputs/{input}"));
        assert!(f["a.len"].as_i64().expect("len") > 0, "{input}: {f}");
    }
    let f = features("sample-inputs/histogram-pixels.yaml");
    assert_eq!(f["a.len"], 8192);
    assert_eq!(f["a.integral"], true);
}

#[test]
fn analyze_marks_sampled_features_on_large_inputs() {
    let o = tailor(&["analyze", "sample-inputs/sum-large.yaml", "--json"]);
    let json: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(json["sampled"], true);
    let feats = json["features"].as_array().expect("features");
    let exact = |n: &str| {
        feats
            .iter()
            .find(|f| f["name"] == n)
            .map(|f| f["exact"].clone())
    };
    assert_eq!(exact("a.len"), Some(Value::Bool(true)));
    assert_eq!(exact("a.mean"), Some(Value::Bool(false)));
    let table = stdout(&tailor(&["analyze", "sample-inputs/sum-large.yaml"]));
    assert!(
        table.contains("a.mean") && table.contains("sampled"),
        "{table}"
    );
}

fn write_spec(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

#[test]
fn bad_inputs_name_the_spec_and_the_argument() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kernel = root().join("kernels/sum.c").display().to_string();
    let missing = write_spec(
        dir.path(),
        "missing.yaml",
        &format!("kernel: {kernel}\nargs:\n  - a: {{ array: f64, file: nowhere.npy }}\n  - n: {{ i64: len(a) }}\n"),
    );
    let o = tailor(&["analyze", &missing]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("missing.yaml: argument `a`:") && err.contains("nowhere.npy"),
        "{err}"
    );

    let unbound = write_spec(
        dir.path(),
        "unbound.yaml",
        &format!("kernel: {kernel}\nargs:\n  - a: {{ array: f64, data: [1, 2] }}\n"),
    );
    let err = stderr(&tailor(&["analyze", &unbound]));
    assert!(
        err.contains("unbound.yaml") && err.contains("unbound: parameter 1 (i64 n)"),
        "{err}"
    );

    let wrong = write_spec(
        dir.path(),
        "wrong.yaml",
        &format!(
            "kernel: {kernel}\nargs:\n  - a: {{ array: f64, data: [1, 2] }}\n  - n: {{ i32: 2 }}\n"
        ),
    );
    let err = stderr(&tailor(&["analyze", &wrong]));
    assert!(
        err.contains("wrong.yaml: argument `n`:") && err.contains("i64"),
        "{err}"
    );
}

#[test]
fn a_kernel_calling_outside_the_allow_list_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("evil.c"),
        "int system(const char *);\nlong evil(long n) { return system(\"true\") + n; }\n",
    )
    .expect("write");
    let spec = write_spec(
        dir.path(),
        "evil.yaml",
        "kernel: evil.c\nargs:\n  - n: { i64: 1 }\n",
    );
    let o = tailor(&["analyze", &spec]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("function `evil` calls `system`"), "{err}");
}

#[test]
fn the_demo_selects_and_plans_every_shipped_input() {
    let o = tailor(&["demo", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(json["profile_errors"].as_array().map(Vec::len), Some(0));
    let inputs = json["inputs"].as_array().expect("inputs");
    let shipped = std::fs::read_dir(root().join("sample-inputs"))
        .expect("dir")
        .filter(|e| {
            e.as_ref()
                .map(|e| e.path().extension().is_some_and(|x| x == "yaml"))
                .unwrap_or(false)
        })
        .count();
    assert_eq!(inputs.len(), shipped);
    let profile = |name: &str| {
        inputs
            .iter()
            .find(|i| i["input"].as_str().is_some_and(|p| p.ends_with(name)))
            .map(|i| i["profile"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(profile("reduce.yaml").as_deref(), Some("table-dispatch"));
    assert_eq!(
        profile("matmul-small.yaml").as_deref(),
        Some("small-shapes")
    );
    assert_eq!(
        profile("gather-large.yaml").as_deref(),
        Some("strided-gather")
    );
    for i in inputs {
        assert!(i["error"].is_null(), "{i}");
        assert!(!i["plan"].is_null(), "{i}");
    }
    // The text form is what the README's first command shows.
    let o = tailor(&[]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(
        text.contains("reduce.yaml") && text.contains("profile   table-dispatch"),
        "{text}"
    );
}

/// A kernel that makes LLVM abort (in instruction selection) takes down a
/// sandboxed worker, never the command that asked: every command that
/// loads, builds or measures it ends with its own error and exit code.
#[test]
fn a_kernel_that_makes_llvm_abort_takes_no_cli_process_down() {
    use std::os::unix::process::ExitStatusExt;
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = cache.path().to_str().expect("utf-8 path");
    let spec = "tests/hostile/specs/llvm_abort.yaml";
    for args in [
        vec!["analyze", spec],
        vec!["run", spec],
        vec!["run", spec, "--diff", "0"],
        vec!["bench", "run", spec, "--runs", "3"],
    ] {
        let mut full = vec!["--cache-dir", dir];
        full.extend(&args);
        let o = tailor(&full);
        assert_eq!(
            o.status.signal(),
            None,
            "{args:?} was killed: {}",
            stderr(&o)
        );
        if args[0] == "analyze" {
            // Loading parses and admits it (in a worker); it aborts LLVM
            // only when compiled.
            assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        } else {
            let said = format!("{}{}", stdout(&o), stderr(&o));
            assert_eq!(o.status.code(), Some(1), "{args:?}: {said}");
            assert!(said.contains("LLVM did not finish"), "{args:?}: {said}");
        }
    }
}

/// The lean executor never links LLVM (DESIGN §7: what is forked per
/// execution stays small): its dynamic dependencies name no LLVM library.
#[test]
fn the_executor_binary_does_not_link_llvm() {
    let exec = env!("CARGO_BIN_EXE_tailor-exec");
    let o = Command::new("ldd").arg(exec).output().expect("ldd");
    let deps = stdout(&o);
    assert!(o.status.success(), "ldd {exec}: {}", stderr(&o));
    assert!(deps.contains("libc.so"), "{deps}");
    assert!(!deps.to_lowercase().contains("llvm"), "{deps}");
    // And the build worker does (the check can tell the two apart).
    let worker = Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_tailor"))
        .output()
        .expect("ldd");
    assert!(stdout(&worker).contains("libLLVM"), "{}", stdout(&worker));
}

/// `tailor bench hitpath --json` reports every case with the keys a script
/// reads, the floors measured in the same run, and ratios that follow.
#[test]
fn bench_hitpath_reports_stages_floors_and_ratios() {
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = cache.path().to_str().expect("utf-8 path");
    let o = tailor(&[
        "--cache-dir",
        dir,
        "bench",
        "hitpath",
        "sample-inputs/sum-small.yaml",
        "--runs",
        "20",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: Value = serde_json::from_slice(&o.stdout).expect("json");
    let cases = json["cases"].as_array().expect("cases");
    let modes: Vec<&str> = cases
        .iter()
        .map(|c| c["isolation"].as_str().expect("isolation"))
        .collect();
    assert_eq!(modes, ["fork", "process"]);
    for c in cases {
        for key in [
            "p50_total_us",
            "p50_kernel_us",
            "p50_overhead_us",
            "p99_overhead_us",
            "pipe_rtt_us",
            "memcpy_us",
            "overhead_over_rtt",
            "overhead_over_memcpy",
        ] {
            assert!(c[key].as_f64().is_some_and(|v| v >= 0.0), "{key}: {c}");
        }
        for stage in ["analyze", "decide", "lookup", "roundtrip", "kernel"] {
            assert!(c["stages"][stage]["p50_us"].is_number(), "{stage}: {c}");
        }
        let (o50, rtt) = (
            c["p50_overhead_us"].as_f64().unwrap_or(0.0),
            c["pipe_rtt_us"].as_f64().unwrap_or(0.0),
        );
        assert!(rtt > 0.0, "{c}");
        let ratio = c["overhead_over_rtt"].as_f64().unwrap_or(0.0);
        assert!((ratio - o50 / rtt).abs() <= 1e-6 * ratio.max(1.0), "{c}");
        assert!(
            c["p99_overhead_us"].as_f64() >= c["p50_overhead_us"].as_f64(),
            "{c}"
        );
    }
}

/// A profile's pipeline that crashes LLVM (`trigger-crash-module`), in a
/// node or as `finish`, or that makes LLVM write a file (`dot-callgraph`),
/// is checked in a sandboxed worker: `profiles check` reports it with its
/// file and line and goes on, no file appears, and the other profiles load.
#[test]
fn a_pipeline_that_crashes_llvm_is_a_profile_error_not_a_crash() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let profiles = dir.path().join("profiles");
    std::fs::create_dir_all(&profiles).expect("mkdir");
    std::fs::copy(
        root().join("profiles/generic.yaml"),
        profiles.join("generic.yaml"),
    )
    .expect("copy");
    std::fs::write(
        profiles.join("crash.yaml"),
        "name: crash\npriority: 5\npipeline:\n  boom: { transform: passes, pipeline: \"trigger-crash-module\" }\n",
    )
    .expect("write");
    std::fs::write(
        profiles.join("crash-finish.yaml"),
        "name: crash-finish\npriority: 6\nfinish: trigger-crash-module\npipeline: {}\n",
    )
    .expect("write");
    std::fs::write(
        profiles.join("dot.yaml"),
        "name: dot\npriority: 7\npipeline:\n  draw: { transform: passes, pipeline: \"dot-callgraph\" }\n",
    )
    .expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args([
            "--profiles",
            profiles.to_str().expect("utf-8"),
            "profiles",
            "check",
        ])
        .current_dir(dir.path())
        .output()
        .expect("run tailor");
    let said = format!("{}{}", stdout(&o), stderr(&o));
    assert_eq!(o.status.signal(), None, "killed: {said}");
    assert_eq!(o.status.code(), Some(1), "{said}");
    for file in ["crash.yaml", "crash-finish.yaml", "dot.yaml"] {
        assert!(said.contains(file), "{file} not reported: {said}");
    }
    assert!(said.contains("did not survive"), "{said}");
    assert!(said.contains("generic"), "{said}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n != "profiles")
        .collect();
    assert!(
        left.is_empty(),
        "files written by a pipeline check: {left:?}"
    );
}

/// A spec's `kernel:` never reaches clang as an option. Run from the
/// spec's own folder, `kernel: --config=./opts.c` once became clang's
/// `--config`: a configuration file that compiles another file and writes
/// one anywhere (`-MD -MF PATH`), or loads a plugin. Now clang reads C only
/// from a pipe and the kernel path is a file name in the spec's folder.
#[test]
fn a_kernel_path_is_never_a_clang_option() {
    let work = tempfile::tempdir().expect("tempdir");
    let cache = tempfile::tempdir().expect("tempdir");
    let marker = work.path().join("written-by-clang");
    std::fs::write(work.path().join("k.c"), "long k(long n) { return n; }\n").expect("write");
    std::fs::write(
        work.path().join("opts.c"),
        format!(
            "-MD -MF {} {}\n",
            marker.display(),
            work.path().join("k.c").display()
        ),
    )
    .expect("write");
    std::fs::write(
        work.path().join("opts.yaml"),
        "kernel: --config=./opts.c\nargs:\n  - n: { i64: 1 }\n",
    )
    .expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args(["--profiles"])
        .arg(root().join("profiles"))
        .arg("--cache-dir")
        .arg(cache.path())
        .args(["run", "opts.yaml"])
        .current_dir(work.path())
        .output()
        .expect("run tailor");
    let said = format!("{}{}", stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(said.contains("--config=./opts.c: no such file"), "{said}");
    assert!(
        !marker.exists(),
        "clang read the kernel path as an option: {said}"
    );
}

/// `RUST_LOG` turns the log on: a span per request carries its id and
/// input, engine events are logged at debug, and what a dying build worker
/// wrote to its stderr (LLVM's own message) reaches the log instead of
/// vanishing.
#[test]
fn rust_log_shows_requests_and_what_a_dying_worker_said() {
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = cache.path().to_str().expect("utf-8 path");
    let o = Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args([
            "--cache-dir",
            dir,
            "run",
            "tests/hostile/specs/llvm_abort.yaml",
        ])
        .env("RUST_LOG", "warn,tailor::engine=debug")
        .current_dir(root())
        .output()
        .expect("run tailor");
    let err = stderr(&o);
    assert!(
        err.contains("request{id=1") && err.contains("llvm_abort.yaml"),
        "{err}"
    );
    assert!(err.contains("\"stage\":\"received\""), "{err}");
    assert!(
        err.lines()
            .any(|l| l.contains("tailor::sandbox") && l.contains("LLVM ERROR")),
        "{err}"
    );
    let quiet = tailor(&[
        "--cache-dir",
        dir,
        "run",
        "tests/hostile/specs/llvm_abort.yaml",
    ]);
    assert!(
        !stderr(&quiet).contains("tailor::sandbox"),
        "{}",
        stderr(&quiet)
    );
}

/// `tailor bench` with no subcommand: the filtered suite, each case timed
/// beside its hand-specialized references (checked against generic), the
/// groups summarized, and a miss split beside clang -O3.
#[test]
fn bench_times_the_served_build_beside_checked_references() {
    let o = tailor(&[
        "--no-disk-cache",
        "bench",
        "--json",
        "--runs",
        "3",
        "--filter",
        "gemv.yaml",
        "--filter",
        "sum-small",
    ]);
    let text = stdout(&o);
    assert!(o.status.success(), "{text}{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&text).expect("bench --json is JSON");
    let rows = v["speedups"].as_array().expect("speedups");
    let names: Vec<&str> = rows.iter().filter_map(|r| r["input"].as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names
        .iter()
        .any(|n| n.ends_with("kernels/suite/inputs/gemv.yaml")));
    assert!(names
        .iter()
        .any(|n| n.ends_with("sample-inputs/sum-small.yaml")));
    for r in rows {
        let refs = r["references"].as_array().expect("references");
        let builds: Vec<&str> = refs.iter().filter_map(|x| x["build"].as_str()).collect();
        assert_eq!(builds, ["fixed", "fixed+reassoc"], "{r}");
        // The strict build keeps C's order: it agrees with generic.
        assert!(refs[0]["differs"].is_null(), "{r}");
        assert!(refs[0]["ns"].as_u64().is_some_and(|n| n > 0), "{r}");
        assert!(r["best_reference"].as_f64().is_some(), "{r}");
    }
    let groups = v["summary"].as_array().expect("summary");
    assert_eq!(groups.len(), 2, "{groups:?}");
    for l in v["latency"].as_array().expect("latency") {
        assert!(l["synthesis_us"].as_u64().is_some_and(|s| s > 0), "{l}");
        assert!(l["clang_o3_us"].as_u64().is_some_and(|s| s > 0), "{l}");
        assert!(l["analyzer_share"].as_f64().is_some(), "{l}");
    }

    // A filter nothing matches is an error that says so.
    let o = tailor(&["--no-disk-cache", "bench", "--filter", "no-such-kernel"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no-such-kernel"), "{}", stderr(&o));
}

/// A reference that computes something else is reported as differing and
/// never counted as the best build to compare against.
#[test]
fn bench_refuses_a_reference_that_disagrees_with_generic() {
    let refs = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        refs.path().join("sum.c"),
        "double sum(const double *a, long n) { (void)n; return a[0] + 1.0; }\n",
    )
    .expect("write reference");
    let o = tailor(&[
        "--no-disk-cache",
        "bench",
        "--json",
        "--runs",
        "3",
        "--references",
        refs.path().to_str().expect("utf-8 path"),
        "sample-inputs/sum-small.yaml",
    ]);
    let text = stdout(&o);
    assert!(o.status.success(), "{text}{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&text).expect("bench --json is JSON");
    let row = &v["speedups"][0];
    for r in row["references"].as_array().expect("references") {
        let differs = r["differs"].as_str().unwrap_or_default();
        assert!(differs.contains("result"), "{row}");
    }
    assert!(row["best_reference"].is_null(), "{row}");
    assert!(row["vs_reference"].is_null(), "{row}");
}
