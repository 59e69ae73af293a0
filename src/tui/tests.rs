//! Component tests: the workbench rendered into a `TestBackend` in each
//! pane's main states and compared with insta snapshots, plus the
//! behaviour behind the keys (which commands a key sends, how edits are
//! refused). No engine and no terminal: state is built from fixtures and
//! engine messages, exactly as the engine thread would send them.

use super::app::App;
use super::panes::PaneId;
use super::worker::{
    Analysis, AnalysisView, CacheView, Command, JobState, Msg, ProfileView, ReloadView, StoreView,
    VariantView,
};
use crate::analyze::{Feature, FeatureValue};
use crate::cache::{CacheStats, EntryInfo, Variant, VariantKey, Verification};
use crate::engine::{EngineStats, Event, EventKind, Served, StepEvent};
use crate::profile::{Candidate, Plan, PlannedStep, Profile, Reload, SkippedNode, Step, Verdict};
use crate::sandbox::{Execution, Outcome};
use crate::target::Target;
use crate::transform::log::{IrStats, StepRecord};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// 2023-11-14 22:13:20 UTC: a fixed clock, so times in snapshots stay.
pub(super) const NOW: u64 = 1_700_000_000_000;

const SMALL: &str = "# Small arrays: unroll, vectorize when finite.\nname: small\npriority: 40\nmatch: size(arrays) > 0 && arrays.all(x, x.len <= 1024)\npipeline:\n  full:    { transform: unroll, full: true, when: \"arrays.all(x, x.len <= 64)\" }\n  partial: { transform: unroll, count: 4, when: \"arrays.exists(x, x.len > 64)\" }\n  vec:     { transform: vectorize, reassoc: true, after: partial, when: \"arrays.all(x, x.finite)\" }\n  clean:   { transform: dce, after: [full, partial, vec] }\n";
const FLAGS: &str = "name: flags\npriority: 20\nmatch: size(ints) > 0\npipeline:\n  clean: { transform: dce, aggressive: true }\n";
const GENERIC: &str = "name: generic\npriority: 0\npipeline: {}\n";
const BROKEN: &str =
    "name: narrow\npriority: 30\npipeline:\n  bind: { transform: specialise, bind: ints }\n";

pub(super) fn parse(file: &str, text: &str) -> Profile {
    match Profile::parse(Path::new(file), text, None) {
        Ok(p) => p,
        Err(e) => panic!("fixture {file} does not parse: {e:?}"),
    }
}

pub(super) fn store() -> StoreView {
    let broken = match Profile::parse(Path::new("profiles/narrow.yaml"), BROKEN, None) {
        Err(e) => e,
        Ok(_) => panic!("the broken fixture parses"),
    };
    StoreView {
        dir: Some(PathBuf::from("profiles")),
        profiles: vec![
            ProfileView::from_profile(&parse("profiles/small.yaml", SMALL)),
            ProfileView::from_profile(&parse("profiles/flags.yaml", FLAGS)),
            ProfileView::from_profile(&parse("profiles/generic.yaml", GENERIC)),
        ],
        errors: broken,
    }
}

pub(super) fn plan() -> Plan {
    let p = parse("profiles/small.yaml", SMALL);
    Plan {
        profile: p.name.clone(),
        profile_version: p.version.clone(),
        steps: vec![
            PlannedStep {
                node: "partial".into(),
                step: Step::Unroll {
                    count: 4,
                    full: false,
                },
            },
            PlannedStep {
                node: "vec".into(),
                step: Step::Vectorize {
                    width: 0,
                    interleave: 0,
                    isa: "native".into(),
                    reassoc: true,
                    defer: false,
                },
            },
            PlannedStep {
                node: "clean".into(),
                step: Step::Dce { aggressive: false },
            },
        ],
        skipped: vec![SkippedNode {
            node: "full".into(),
            reason: "when `arrays.all(x, x.len <= 64)` is false".into(),
        }],
        finish: "default<O3>".into(),
        tolerance: p.tolerance,
    }
}

pub(super) fn candidates() -> Vec<Candidate> {
    vec![
        Candidate {
            profile: "small".into(),
            priority: 40,
            verdict: Verdict::Selected,
        },
        Candidate {
            profile: "flags".into(),
            priority: 20,
            verdict: Verdict::Shadowed,
        },
        Candidate {
            profile: "generic".into(),
            priority: 0,
            verdict: Verdict::Shadowed,
        },
    ]
}

pub(super) fn analysis(input: &str) -> Msg {
    let f = |name: &str, value: FeatureValue, exact: bool| Feature {
        name: name.into(),
        value,
        exact,
    };
    Msg::Analysis(Box::new(Analysis {
        input: PathBuf::from(input),
        result: Ok(AnalysisView {
            kernel: "dot".into(),
            signature: "f64 dot(ptr a, ptr b, i64 n)".into(),
            summary: "a: f64[256] 0.006..0.99 finite nonneg · b: f64[256] · n=256".into(),
            sampled: false,
            micros: 12,
            features: vec![
                f("a.len", FeatureValue::Int(256), true),
                f("a.min", FeatureValue::Float(0.006727), true),
                f("a.finite", FeatureValue::Bool(true), true),
                f("b.len", FeatureValue::Int(256), true),
                f("n", FeatureValue::Int(256), true),
                f("total_bytes", FeatureValue::Int(4104), true),
            ],
            selected: "small".into(),
            candidates: candidates(),
            plan: Ok(plan()),
        }),
    }))
}

pub(super) fn stats(instructions: u32, blocks: u32, loops: u32, vector: u32) -> IrStats {
    IrStats {
        functions: 1,
        blocks,
        instructions,
        loops,
        vector_instructions: vector,
        indirect_calls: 0,
    }
}

pub(super) fn step_event(
    node: &str,
    transform: &str,
    micros: u64,
    b: IrStats,
    a: IrStats,
) -> StepEvent {
    StepEvent {
        node: node.into(),
        transform: transform.into(),
        params: String::new(),
        micros,
        before: b,
        after: a,
        note: format!("{node} did its part"),
    }
}

pub(super) fn ev(request: u64, at_micros: u64, kind: EventKind) -> Msg {
    Msg::Event(Box::new(Event {
        request,
        at_micros,
        kind,
    }))
}

const KEY: &str = "0e3c1f2a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e";

pub(super) fn execution(nanos: u64) -> Execution {
    Execution {
        outcome: Outcome::Ok,
        ret: None,
        kernel_nanos: nanos,
        roundtrip_nanos: nanos + 40_000,
        isolation: "fork · executor 1".into(),
    }
}

/// The events of one request, up to and including `upto` of its stages.
pub(super) fn request(id: u64, input: &str, hit: bool, upto: usize) -> Vec<Msg> {
    let s = stats;
    let mut all = vec![
        ev(
            id,
            0,
            EventKind::Received {
                input: PathBuf::from(input),
            },
        ),
        ev(
            id,
            900,
            EventKind::Analyzed {
                kernel: "dot".into(),
                kernel_hash: "ab".repeat(32),
                signature: "f64 dot(ptr a, ptr b, i64 n)".into(),
                summary: "a: f64[256] · n=256".into(),
                sampled: false,
                micros: 12,
            },
        ),
        ev(
            id,
            950,
            EventKind::Selected {
                profile: "small".into(),
                priority: 40,
                candidates: candidates(),
            },
        ),
        ev(id, 960, EventKind::Planned { plan: plan() }),
        ev(
            id,
            970,
            EventKind::Cache {
                key: KEY.into(),
                hit,
                tier: None,
            },
        ),
    ];
    if !hit {
        all.extend([
            ev(
                id,
                980,
                EventKind::Building {
                    key: KEY.into(),
                    profile: "small".into(),
                    steps: 3,
                },
            ),
            ev(
                id,
                3000,
                EventKind::Step(step_event(
                    "prepare",
                    "passes",
                    2100,
                    s(60, 9, 1, 0),
                    s(30, 5, 1, 0),
                )),
            ),
            ev(
                id,
                4000,
                EventKind::Step(step_event(
                    "partial",
                    "unroll",
                    900,
                    s(30, 5, 1, 0),
                    s(52, 5, 1, 0),
                )),
            ),
            ev(
                id,
                9000,
                EventKind::Step(step_event(
                    "vec",
                    "vectorize",
                    4900,
                    s(52, 5, 1, 0),
                    s(75, 8, 2, 12),
                )),
            ),
            ev(
                id,
                9100,
                EventKind::Step(step_event(
                    "clean",
                    "dce",
                    100,
                    s(75, 8, 2, 12),
                    s(70, 8, 2, 12),
                )),
            ),
            ev(
                id,
                11000,
                EventKind::Step(step_event(
                    "finish",
                    "passes",
                    1900,
                    s(70, 8, 2, 12),
                    s(68, 8, 2, 12),
                )),
            ),
            ev(
                id,
                12000,
                EventKind::Compiled {
                    object_bytes: 1232,
                    transform_micros: 10_000,
                    codegen_micros: 2000,
                },
            ),
            ev(
                id,
                30000,
                EventKind::Verified {
                    verification: Verification::Verified,
                    variant: None,
                    generic: None,
                    micros: 17_000,
                },
            ),
        ]);
    }
    let total = if hit { 640 } else { 33_000 };
    all.extend([
        ev(
            id,
            total - 100,
            EventKind::Executed {
                variant: KEY.into(),
                served_by: Served::Variant,
                execution: execution(8300),
            },
        ),
        ev(
            id,
            total,
            EventKind::Finished {
                result: None,
                hit,
                total_micros: total,
            },
        ),
    ]);
    all.truncate(upto);
    all
}

pub(super) fn variant() -> Variant {
    let p = plan();
    let ir = |body: &str| {
        format!("target triple = \"x86_64-pc-linux-gnu\"\n\ndefine double @dot(ptr %a, ptr %b, i64 %n) {{\nentry:\n{body}  ret double %s\n}}\n")
    };
    let record = |node: &str, transform: &str, micros, b, a, body: &str| StepRecord {
        node: node.into(),
        transform: transform.into(),
        params: String::new(),
        micros,
        before: b,
        after: a,
        note: format!("{node} did its part"),
        ir_after: ir(body),
    };
    let s = stats;
    Variant {
        key: VariantKey(KEY.into()),
        kernel_name: "dot".into(),
        kernel_hash: "ab".repeat(32),
        entry: "dot".into(),
        plan: p,
        target: Target {
            triple: "x86_64-pc-linux-gnu".into(),
            cpu: "znver4".into(),
            features: "+avx2".into(),
        },
        object: Vec::new(),
        optimized_ir: ir("  %v = fadd fast <8 x double> %x, %y\n  %s = call double @llvm.vector.reduce.fadd(double 0.0, <8 x double> %v)\n"),
        writes: Vec::new(),
        steps: vec![
            record("prepare", "passes", 2100, s(60, 9, 1, 0), s(30, 5, 1, 0), "  %s = fadd double 0.0, 0.0\n"),
            record("partial", "unroll", 900, s(30, 5, 1, 0), s(52, 5, 1, 0), "  %s = fadd double 0.0, 1.0\n"),
            record("vec", "vectorize", 4900, s(52, 5, 1, 0), s(75, 8, 2, 12), "  %v = fadd fast <8 x double> %x, %y\n  %s = call double @llvm.vector.reduce.fadd(double 0.0, <8 x double> %v)\n"),
            record("clean", "dce", 100, s(75, 8, 2, 12), s(70, 8, 2, 12), "  %v = fadd fast <8 x double> %x, %y\n  %s = call double @llvm.vector.reduce.fadd(double 0.0, <8 x double> %v)\n"),
        ],
        transform_micros: 10_000,
        codegen_micros: 2000,
        verification: Verification::Verified,
        timed: None,
        tuned: None,
        created: NOW / 1000 - 120,
    }
}

pub(super) fn tailor_timed(generic_ns: u64, variant_ns: u64) -> crate::cache::Timed {
    crate::cache::Timed::judge(generic_ns, variant_ns, 5, 0.03)
}

pub(super) fn cache_view() -> CacheView {
    let entry = |key: &str, profile: &str, verification, hits, ago_s: u64, mem| EntryInfo {
        kernel_hash: "k1".into(),
        key: VariantKey(key.into()),
        kernel_name: "dot".into(),
        entry: "dot".into(),
        profile: String::from(profile),
        plan_summary: if profile == "generic" {
            "finish default<O3>".into()
        } else {
            "partial unroll(count=4) -> vec vectorize(reassoc) -> clean dce -> finish default<O3>"
                .into()
        },
        size: 38_500,
        hits,
        last_use: NOW / 1000 - ago_s,
        verification,
        timed: None,
        in_memory: mem,
        on_disk: true,
    };
    // The guard's verdicts: one variant faster than generic, one slower
    // (verified, but generic serves its key).
    let timed = |generic_ns, variant_ns| Some(tailor_timed(generic_ns, variant_ns));
    let mut fast = entry(KEY, "small", Verification::Verified, 41, 3, true);
    fast.timed = timed(1430, 1000);
    let mut slow = entry(
        &"5e".repeat(32),
        "bound",
        Verification::Verified,
        0,
        30,
        true,
    );
    slow.timed = timed(22_200, 353_800);
    CacheView {
        entries: vec![
            fast,
            slow,
            entry(
                &"cf".repeat(32),
                "generic",
                Verification::Reference,
                2,
                65,
                true,
            ),
            entry(
                &"7a".repeat(32),
                "flags",
                Verification::Rejected("result 3.0 differs from generic 3.5".into()),
                0,
                7200,
                false,
            ),
        ],
        stats: CacheStats {
            hits: 43,
            misses: 3,
            insertions: 3,
            evictions: 1,
            rejections: 1,
            disk_hits: 1,
            entries: 3,
            bytes: 115_500,
            ..CacheStats::default()
        },
        engine: EngineStats {
            requests: 44,
            hits: 41,
            misses: 3,
            ..EngineStats::default()
        },
        sandbox: (2, 2),
    }
}

/// A workbench with the fixture store, analyses and engine up.
pub(super) fn app() -> App {
    let mut app = App::new(
        vec![
            PathBuf::from("sample-inputs/dot-small.yaml"),
            PathBuf::from("sample-inputs/reduce.yaml"),
        ],
        vec![PathBuf::from("sample-inputs/workloads/hot.yaml")],
    );
    app.model.now_ms = NOW;
    app.model.apply(Msg::Ready {
        host: "znver4".into(),
    });
    app.model.apply(Msg::Store(Arc::new(store())));
    app.model.apply(analysis("sample-inputs/dot-small.yaml"));
    app
}

pub(super) fn render(app: &mut App, w: u16, h: u16) -> String {
    let mut t = match Terminal::new(TestBackend::new(w, h)) {
        Ok(t) => t,
        Err(e) => panic!("test terminal: {e}"),
    };
    app.tick();
    if let Err(e) = t.draw(|f| super::ui::draw(f, app)) {
        panic!("draw: {e}");
    }
    t.backend().to_string()
}

pub(super) fn key(app: &mut App, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
}

pub(super) fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

pub(super) fn focus(app: &mut App, pane: PaneId) {
    app.focus = pane;
}

// ---- Profiles ----------------------------------------------------------

#[test]
fn profiles_list_with_states_and_the_dag() {
    let mut app = app();
    insta::assert_snapshot!(render(&mut app, 100, 30));
}

#[test]
fn profiles_dag_coloured_by_the_selected_inputs_plan_at_80x24() {
    let mut app = app();
    insta::assert_snapshot!(render(&mut app, 80, 24));
}

#[test]
fn profiles_broken_file_shows_its_error_with_file_and_line() {
    let mut app = app();
    key(&mut app, KeyCode::End);
    insta::assert_snapshot!(render(&mut app, 100, 20));
}

#[test]
fn profiles_node_editor_refuses_a_cycle_and_names_it() {
    let mut app = app();
    key(&mut app, KeyCode::Enter);
    assert!(app.profiles.in_graph());
    // The first node in order is `full`; `clean` after it: make `full`
    // run after `clean` and the cycle is refused.
    key(&mut app, KeyCode::Char('e'));
    assert!(app.prompt.is_some());
    keys(&mut app, "clean");
    key(&mut app, KeyCode::Enter);
    let screen = render(&mut app, 100, 30);
    assert!(
        screen.contains("refused: the pipeline has a cycle: full -> clean -> full"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn profiles_node_editor_edits_undoes_and_marks_unsaved_work() {
    let mut app = app();
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('G')); // the last node: clean
    key(&mut app, KeyCode::Char('a'));
    keys(&mut app, "tidy passes");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('w'));
    keys(&mut app, "a.len > 8");
    key(&mut app, KeyCode::Enter);
    let screen = render(&mut app, 100, 34);
    assert!(screen.contains("● 2 unsaved edits"), "{screen}");
    assert!(screen.contains("?tidy passes"), "{screen}");
    insta::assert_snapshot!(screen);
    key(&mut app, KeyCode::Char('u'));
    key(&mut app, KeyCode::Char('u'));
    let screen = render(&mut app, 100, 34);
    assert!(!screen.contains("tidy"), "{screen}");
    assert!(screen.contains("undone (0 more to undo)"), "{screen}");
}

#[test]
fn profiles_prompt_overlay() {
    let mut app = app();
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('p'));
    keys(&mut app, "count: 8");
    insta::assert_snapshot!(render(&mut app, 100, 24));
}

// ---- Inputs ------------------------------------------------------------

#[test]
fn inputs_vector_verdicts_and_plan() {
    let mut app = app();
    focus(&mut app, PaneId::Inputs);
    insta::assert_snapshot!(render(&mut app, 110, 30));
}

#[test]
fn inputs_asks_for_an_analysis_and_runs_what_is_selected() {
    let mut app = app();
    focus(&mut app, PaneId::Inputs);
    key(&mut app, KeyCode::Down);
    app.tick();
    assert!(app.model.outbox.contains(&Command::Analyze(PathBuf::from(
        "sample-inputs/reduce.yaml"
    ))));
    // Asked once, not every frame.
    let before = app.model.outbox.len();
    app.tick();
    assert_eq!(app.model.outbox.len(), before);
    let screen = render(&mut app, 90, 14);
    assert!(screen.contains("analyzing…"), "{screen}");
    app.model.outbox.clear();
    key(&mut app, KeyCode::Char('r'));
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    keys(&mut app, "25");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.model.outbox,
        vec![
            Command::Run {
                input: PathBuf::from("sample-inputs/reduce.yaml"),
                times: 1
            },
            Command::Run {
                input: PathBuf::from("sample-inputs/reduce.yaml"),
                times: 25
            }
        ]
    );
    key(&mut app, KeyCode::Down); // the workload
    app.model.outbox.clear();
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.model.outbox,
        vec![Command::Replay(PathBuf::from(
            "sample-inputs/workloads/hot.yaml"
        ))]
    );
}

#[test]
fn inputs_workload_summary() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let w = dir.path().join("hot.yaml");
    if let Err(e) = std::fs::write(
        &w,
        "requests:\n  - { input: ../sum-small.yaml, repeat: 500 }\n  - { input: ../reduce.yaml, repeat: 300 }\n",
    ) {
        panic!("write: {e}");
    }
    let mut app = App::new(vec![], vec![w]);
    app.model.now_ms = NOW;
    focus(&mut app, PaneId::Inputs);
    insta::assert_snapshot!(render(&mut app, 80, 12));
}

// ---- Pipeline ----------------------------------------------------------

#[test]
fn pipeline_empty_says_how_to_start() {
    let mut app = app();
    focus(&mut app, PaneId::Pipeline);
    insta::assert_snapshot!(render(&mut app, 90, 10));
}

#[test]
fn pipeline_live_during_a_build() {
    let mut app = app();
    focus(&mut app, PaneId::Pipeline);
    // Received .. Building, prepare and partial: vec is running.
    for m in request(1, "sample-inputs/dot-small.yaml", false, 8) {
        app.model.apply(m);
    }
    let screen = render(&mut app, 100, 16);
    assert!(screen.contains("▶"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn pipeline_done_with_the_diff_of_a_step() {
    let mut app = app();
    focus(&mut app, PaneId::Pipeline);
    for m in request(1, "sample-inputs/dot-small.yaml", false, usize::MAX) {
        app.model.apply(m);
    }
    app.tick();
    assert!(app.model.outbox.contains(&Command::LoadVariant {
        key: KEY.into(),
        input: Some(PathBuf::from("sample-inputs/dot-small.yaml")),
    }));
    app.model.apply(Msg::Variant(Arc::new(VariantView {
        key: KEY.into(),
        variant: Ok(Arc::new(variant())),
        kernel_ir: Some("define double @dot() {\nentry:\n  ret double 0.0\n}\n".into()),
    })));
    // prepare, full (skipped), partial, vec: the vectorizer's diff.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    let screen = render(&mut app, 110, 30);
    assert!(
        screen.contains("instr 52→75 · blocks 5→8 · loops 1→2 · vector 0→12"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
    // The skipped node says why.
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    let screen = render(&mut app, 110, 30);
    assert!(
        screen.contains("skipped: when `arrays.all(x, x.len <= 64)` is false"),
        "{screen}"
    );
}

// ---- Cache -------------------------------------------------------------

#[test]
fn cache_entries_and_totals() {
    let mut app = app();
    focus(&mut app, PaneId::Cache);
    app.model.apply(Msg::Cache(Box::new(cache_view())));
    insta::assert_snapshot!(render(&mut app, 120, 12));
    insta::assert_snapshot!("cache_entries_and_totals_80", render(&mut app, 80, 12));
}

#[test]
fn cache_empty() {
    let mut app = app();
    focus(&mut app, PaneId::Cache);
    insta::assert_snapshot!(render(&mut app, 80, 10));
}

#[test]
fn cache_open_entry_ir_and_assembly_evict_and_clear() {
    let mut app = app();
    focus(&mut app, PaneId::Cache);
    app.model.apply(Msg::Cache(Box::new(cache_view())));
    key(&mut app, KeyCode::Enter);
    app.tick();
    assert!(app.model.outbox.contains(&Command::LoadVariant {
        key: KEY.into(),
        input: None
    }));
    app.model.apply(Msg::Variant(Arc::new(VariantView {
        key: KEY.into(),
        variant: Ok(Arc::new(variant())),
        kernel_ir: None,
    })));
    insta::assert_snapshot!(render(&mut app, 100, 14));
    key(&mut app, KeyCode::Char('a'));
    app.tick();
    assert!(app.model.outbox.contains(&Command::Assembly(KEY.into())));
    app.model.apply(Msg::Assembly {
        key: KEY.into(),
        text: Ok("\t.text\n\t.globl\tdot\ndot:\n\tvaddpd\t%zmm1, %zmm0, %zmm0\n\tretq\n".into()),
    });
    let screen = render(&mut app, 100, 14);
    assert!(
        screen.contains("        vaddpd  %zmm1, %zmm0, %zmm0"),
        "{screen}"
    );
    key(&mut app, KeyCode::Esc);
    app.model.outbox.clear();
    key(&mut app, KeyCode::Char('d'));
    let screen = render(&mut app, 80, 16);
    assert!(
        screen.contains("Evict 0e3c1f2a9b8c from memory and disk?"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('y'));
    key(&mut app, KeyCode::Char('D'));
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Char('D'));
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(
        app.model.outbox,
        vec![Command::Evict(KEY.into()), Command::ClearCache]
    );
}

/// `v` on a variant opens it beside its generic build: both texts as
/// aligned columns of a line diff, the guard's measured speedup, and the
/// steps that changed the IR with their notes; `u` shows the step that
/// changed nothing, which is hidden at first; `v` on generic itself says
/// there is nothing to compare.
#[test]
fn cache_entry_beside_its_generic_build() {
    let mut app = app();
    focus(&mut app, PaneId::Cache);
    app.model.apply(Msg::Cache(Box::new(cache_view())));
    let generic_key = "cf".repeat(32);
    key(&mut app, KeyCode::Char('v'));
    app.tick();
    for k in [KEY.to_owned(), generic_key.clone()] {
        assert!(
            app.model.outbox.contains(&Command::LoadVariant {
                key: k,
                input: None
            }),
            "{:?}",
            app.model.outbox
        );
    }
    let mut v = variant();
    let last = v.steps.last().cloned().expect("the variant has steps");
    v.steps.push(crate::transform::log::StepRecord {
        node: "noop".into(),
        transform: "passes".into(),
        before: last.after,
        note: "noop did nothing".into(),
        ..last
    });
    let mut g = variant();
    g.key = VariantKey(generic_key.clone());
    g.plan.profile = "generic".into();
    g.steps.clear();
    g.optimized_ir = "target triple = \"x86_64-pc-linux-gnu\"\n\ndefine double @dot(ptr %a, ptr %b, i64 %n) {\nentry:\n  %s = fadd double %x, %y\n  ret double %s\n}\n".into();
    for (k, v) in [(KEY.to_owned(), v), (generic_key, g)] {
        app.model.apply(Msg::Variant(Arc::new(VariantView {
            key: k,
            variant: Ok(Arc::new(v)),
            kernel_ir: None,
        })));
    }
    let screen = render(&mut app, 160, 30);
    assert!(
        screen.contains("IR: generic cfcfcfcfcfcf | small 0e3c1f2a9b8c"),
        "{screen}"
    );
    assert!(screen.contains("+2 −1 lines"), "{screen}");
    assert!(screen.contains("measured 1.43×"), "{screen}");
    assert!(screen.contains("✓ vec vectorize"), "{screen}");
    assert!(screen.contains("vec did its part"), "{screen}");
    assert!(!screen.contains("noop passes"), "{screen}");
    assert!(
        screen.contains("1 step(s) changed nothing, hidden (u shows them)"),
        "{screen}"
    );
    // Generic's line on the left, the variant's on the right, one row.
    let row = screen
        .lines()
        .find(|l| l.contains("%s = fadd double %x, %y"))
        .unwrap_or_else(|| panic!("generic's line:\n{screen}"));
    assert!(row.contains("%v = fadd fast <8 x double> %x, %y"), "{row}");
    insta::assert_snapshot!(screen);
    key(&mut app, KeyCode::Char('u'));
    let screen = render(&mut app, 160, 30);
    assert!(screen.contains("· noop passes"), "{screen}");
    // Back to the list, then the generic entry itself.
    key(&mut app, KeyCode::Esc);
    for _ in 0..2 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Char('v'));
    let screen = render(&mut app, 160, 30);
    assert!(screen.contains("this is the generic build"), "{screen}");
}

/// The what-if overlay: `m` without an unsaved edit says there is nothing
/// to judge; an answer lists the inputs that move first, each with what it
/// selects now and what the draft changes, and Esc closes it.
#[test]
fn what_if_lists_the_inputs_a_draft_moves() {
    use crate::tui::worker::{WhatIfChange, WhatIfRow, WhatIfView};
    let mut app = app();
    focus(&mut app, PaneId::Profiles);
    key(&mut app, KeyCode::Char('m'));
    let screen = render(&mut app, 120, 30);
    assert!(screen.contains("no unsaved edits"), "{screen}");
    assert!(app.what_if.is_none());

    app.effect(crate::tui::panes::Effect::WhatIf {
        file: "profiles/small.yaml".into(),
        text: "name: small\n".into(),
    });
    assert!(
        app.model
            .outbox
            .iter()
            .any(|c| matches!(c, Command::WhatIf { file, .. } if file.ends_with("small.yaml"))),
        "{:?}",
        app.model.outbox
    );
    let screen = render(&mut app, 120, 30);
    assert!(screen.contains("judging the draft"), "{screen}");
    let row = |input: &str, change, now: &str, delta: &str| WhatIfRow {
        input: input.into(),
        now: now.into(),
        draft: String::new(),
        delta: delta.into(),
        change,
    };
    app.model.apply(Msg::WhatIf(Box::new(WhatIfView {
        file: "profiles/small.yaml".into(),
        rows: Ok(vec![
            row(
                "sample-inputs/dot-large.yaml",
                WhatIfChange::Same,
                "flags: bind",
                "",
            ),
            row(
                "sample-inputs/sum-small.yaml",
                WhatIfChange::Plan,
                "small: bind -> partial unroll(count=4)",
                "+full unroll(full)",
            ),
            row(
                "sample-inputs/reduce.yaml",
                WhatIfChange::Profile,
                "table: cache",
                "small: bind -> vec vectorize(reassoc)",
            ),
        ]),
    })));
    let screen = render(&mut app, 120, 30);
    insta::assert_snapshot!(screen);
    assert!(screen.contains("What if small.yaml were saved"), "{screen}");
    assert!(screen.contains("2 of 3 sample inputs change"), "{screen}");
    let at = |needle: &str| {
        screen
            .find(needle)
            .unwrap_or_else(|| panic!("{needle}:\n{screen}"))
    };
    assert!(
        at("reduce.yaml") < at("sum-small.yaml") && at("sum-small.yaml") < at("dot-large.yaml")
    );
    assert!(screen.contains("after +full unroll(full)"), "{screen}");
    key(&mut app, KeyCode::Esc);
    assert!(app.what_if.is_none());
}

// ---- Runs --------------------------------------------------------------

#[test]
fn a_batch_of_one_is_one_request_in_the_log() {
    let mut app = app();
    for total in [1, 2] {
        app.model.apply(Msg::Job(JobState::Started {
            label: format!("run ×{total}"),
            total,
        }));
    }
    let lines: Vec<&str> = app
        .model
        .log
        .lines(false)
        .iter()
        .map(|l| l.text.as_str())
        .collect();
    assert!(lines.contains(&"run ×1: 1 request"), "{lines:?}");
    assert!(lines.contains(&"run ×2: 2 requests"), "{lines:?}");
}

/// A batch asked for while another runs is shown queued (Log and status
/// bar) until it starts; `x` says the queued one is still to run.
#[test]
fn a_queued_batch_is_shown_until_it_starts() {
    let mut app = app();
    app.model.apply(Msg::Ready {
        host: "test".into(),
    });
    app.model.apply(Msg::Job(JobState::Started {
        label: "run ×50".into(),
        total: 50,
    }));
    app.model.apply(Msg::Job(JobState::Queued {
        label: "replay mixed.yaml".into(),
        total: 303,
        ahead: 1,
    }));
    let lines: Vec<&str> = app
        .model
        .log
        .lines(true)
        .into_iter()
        .map(|l| l.text.as_str())
        .collect();
    assert!(
        lines.contains(&"replay mixed.yaml: 303 requests, queued behind 1 batch"),
        "{lines:?}"
    );
    let screen = render(&mut app, 160, 48);
    assert!(
        screen.contains("busy: run ×50 0/50 (+1 queued)"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('x'));
    let screen = render(&mut app, 160, 48);
    let status = screen.lines().last().unwrap_or_default().to_owned();
    assert!(status.contains("1 queued still to run"), "{status}");
    app.model.apply(Msg::Job(JobState::Finished {
        label: "run ×50".into(),
        done: 7,
        total: 50,
        errors: 0,
        cancelled: true,
    }));
    app.model.apply(Msg::Job(JobState::Started {
        label: "replay mixed.yaml".into(),
        total: 303,
    }));
    assert!(app.model.queue.is_empty());
    let screen = render(&mut app, 160, 48);
    assert!(screen.contains("busy: replay mixed.yaml 0/303"), "{screen}");
    assert!(!screen.contains("queued)"), "{screen}");
}

#[test]
fn clearing_the_runs_asks_first() {
    let mut app = app();
    focus(&mut app, PaneId::Runs);
    for id in 1..=3 {
        for m in request(id, "sample-inputs/dot-small.yaml", id > 1, usize::MAX) {
            app.model.apply(m);
        }
    }
    key(&mut app, KeyCode::Char('c'));
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("Clear the 3 runs"), "{screen}");
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.model.runs.len(), 3, "no keeps them");
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Char('y'));
    assert!(app.model.runs.is_empty(), "yes clears them");
}

#[test]
fn runs_table_sparklines_and_summary() {
    let mut app = app();
    focus(&mut app, PaneId::Runs);
    app.model.apply(Msg::Job(JobState::Started {
        label: "run dot-small.yaml ×6".into(),
        total: 6,
    }));
    for id in 1..=5 {
        for m in request(id, "sample-inputs/dot-small.yaml", id > 1, usize::MAX) {
            app.model.apply(m);
        }
    }
    app.model.apply(ev(
        6,
        0,
        EventKind::Received {
            input: PathBuf::from("sample-inputs/missing.yaml"),
        },
    ));
    app.model.apply(ev(
        6,
        10,
        EventKind::Failed {
            error: "sample-inputs/missing.yaml: no such file".into(),
        },
    ));
    app.model.apply(Msg::Job(JobState::Progress {
        label: "run dot-small.yaml ×6".into(),
        done: 6,
        total: 6,
    }));
    app.model.apply(Msg::Cache(Box::new(cache_view())));
    insta::assert_snapshot!(render(&mut app, 120, 16));
    // Enter shows the selected run's Plan in the Pipeline pane.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.focus, PaneId::Pipeline);
    let screen = render(&mut app, 100, 14);
    assert!(screen.contains("#5 dot-small.yaml → small"), "{screen}");
}

// ---- Log, status bar, help, layout ------------------------------------

#[test]
fn log_and_the_status_bar_after_a_reload_that_failed() {
    let mut app = app();
    focus(&mut app, PaneId::Log);
    let broken = store().errors;
    app.model.apply(Msg::Reloaded(Box::new(ReloadView {
        path: PathBuf::from("profiles/small.yaml"),
        reload: Reload::Loaded {
            name: "small".into(),
            version: "3f2e8d42aa".into(),
        },
        latency_ms: Some(180),
    })));
    app.model.apply(Msg::Reloaded(Box::new(ReloadView {
        path: PathBuf::from("profiles/narrow.yaml"),
        reload: Reload::Failed {
            errors: broken,
            kept: Some("narrow".into()),
        },
        latency_ms: Some(170),
    })));
    insta::assert_snapshot!(render(&mut app, 100, 12));
    insta::assert_snapshot!("status_bar_80", render(&mut app, 80, 6));
}

#[test]
fn help_is_generated_from_the_key_map() {
    let mut app = app();
    key(&mut app, KeyCode::Char('?'));
    let screen = render(&mut app, 100, 40);
    for b in super::keymap::BINDINGS.iter().take(12) {
        assert!(screen.contains(b.help), "{} missing:\n{screen}", b.help);
    }
    insta::assert_snapshot!(screen);
    key(&mut app, KeyCode::Esc);
    assert!(app.help.is_none());
}

#[test]
fn profiles_that_fail_at_start_up_are_in_the_log_once() {
    let mut app = app();
    let logged = |app: &App| {
        app.model
            .log
            .lines(true)
            .iter()
            .filter(|l| l.text.starts_with("at start: ") && l.text.contains("narrow.yaml:4"))
            .count()
    };
    assert_eq!(logged(&app), 1, "{:?}", app.model.log.lines(true));
    // Later views of the store (every reload sends one) say it no more.
    app.model.apply(Msg::Store(Arc::new(store())));
    assert_eq!(logged(&app), 1);
}

#[test]
fn help_ends_with_a_legend_of_every_state_mark() {
    let mut app = app();
    key(&mut app, KeyCode::Char('?'));
    // Scrolled to the end: the legend is the overlay's last part.
    for _ in 0..200 {
        key(&mut app, KeyCode::Down);
    }
    let screen = render(&mut app, 100, 40);
    for (mark, meaning) in [
        ("!", "broken on disk; its last good version is live"),
        ("●", "unsaved edits in the workbench"),
        ("▶", "a workload"),
        ("◌", "pending"),
        ("⊘", "skipped"),
        ("✗", "failed"),
    ] {
        assert!(
            screen
                .lines()
                .any(|l| l.contains(mark) && l.contains(meaning)),
            "{mark} {meaning} missing:\n{screen}"
        );
    }
}

#[test]
fn every_pane_in_a_grid_on_a_large_terminal() {
    let mut app = app();
    for m in request(1, "sample-inputs/dot-small.yaml", false, usize::MAX) {
        app.model.apply(m);
    }
    app.model.apply(Msg::Cache(Box::new(cache_view())));
    let screen = render(&mut app, 180, 50);
    for p in PaneId::ALL {
        assert!(screen.contains(p.title()), "{}", p.title());
    }
    assert!(app.grid);
    insta::assert_snapshot!(screen);
    // Zoom shows the focused pane alone.
    key(&mut app, KeyCode::Char('z'));
    render(&mut app, 180, 50);
    assert!(!app.grid);
}

#[test]
fn tab_keys_mouse_and_ctrl_c() {
    let mut app = app();
    render(&mut app, 100, 30);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, PaneId::Inputs);
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus, PaneId::Profiles);
    key(&mut app, KeyCode::Char('5'));
    assert_eq!(app.focus, PaneId::Runs);
    // A click on a tab focuses its pane.
    render(&mut app, 100, 30);
    let tab = app.tab_areas[PaneId::Cache.index()].unwrap_or_default();
    app.handle_mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: tab.x + 1,
        row: tab.y,
        modifiers: KeyModifiers::NONE,
    });
    assert_eq!(app.focus, PaneId::Cache);
    app.handle_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(app.quit);
}

#[test]
fn a_reload_asks_for_the_analysis_again() {
    let mut app = app();
    app.tick();
    assert!(app.model.outbox.is_empty());
    app.model.apply(Msg::Reloaded(Box::new(ReloadView {
        path: PathBuf::from("profiles/small.yaml"),
        reload: Reload::Loaded {
            name: "small".into(),
            version: "0011223344".into(),
        },
        latency_ms: None,
    })));
    app.tick();
    assert_eq!(
        app.model.outbox,
        vec![Command::Analyze(PathBuf::from(
            "sample-inputs/dot-small.yaml"
        ))]
    );
}

/// Where `needle` is on a rendered screen (column, row), in cells.
pub(super) fn locate(screen: &str, needle: &str) -> (u16, u16) {
    for (row, line) in screen.lines().enumerate() {
        // Each line is quoted by the test backend.
        let line = line.trim_start_matches('"');
        if let Some(byte) = line.find(needle) {
            return (line[..byte].chars().count() as u16, row as u16);
        }
    }
    panic!("`{needle}` is not on the screen:\n{screen}");
}

pub(super) fn click(app: &mut App, (column, row): (u16, u16)) {
    app.handle_mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    });
}

#[test]
fn the_mouse_selects_nodes_and_rows_and_scrolls() {
    let mut app = app();
    let screen = render(&mut app, 100, 30);
    click(&mut app, locate(&screen, "?vec vectorize"));
    assert!(app.profiles.in_graph());
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("▸ vec vectorize reassoc: true"), "{screen}");

    focus(&mut app, PaneId::Cache);
    app.model.apply(Msg::Cache(Box::new(cache_view())));
    let screen = render(&mut app, 100, 12);
    click(&mut app, locate(&screen, "cfcfcfcf"));
    key(&mut app, KeyCode::Enter);
    app.tick();
    assert!(app.model.outbox.contains(&Command::LoadVariant {
        key: "cf".repeat(32),
        input: None
    }));

    // The wheel over the Log scrolls it back; `f` follows again.
    focus(&mut app, PaneId::Log);
    for i in 0..40 {
        app.model.log(super::app::Level::Info, format!("line {i}"));
    }
    let screen = render(&mut app, 60, 10);
    assert!(screen.contains("line 39"), "{screen}");
    app.handle_mouse(MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: 10,
        row: 4,
        modifiers: KeyModifiers::NONE,
    });
    let screen = render(&mut app, 60, 10);
    assert!(
        !screen.contains("line 39") && screen.contains("scrolled"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('f'));
    let screen = render(&mut app, 60, 10);
    assert!(screen.contains("line 39"), "{screen}");
}

#[test]
fn every_pane_draws_at_any_size_without_panicking() {
    let mut app = app();
    for m in request(1, "sample-inputs/dot-small.yaml", false, usize::MAX) {
        app.model.apply(m);
    }
    app.model.apply(Msg::Cache(Box::new(cache_view())));
    app.model.apply(Msg::Variant(Arc::new(VariantView {
        key: KEY.into(),
        variant: Ok(Arc::new(variant())),
        kernel_ir: None,
    })));
    for (w, h) in [
        (1, 1),
        (4, 2),
        (12, 3),
        (20, 5),
        (33, 7),
        (50, 12),
        (79, 23),
    ] {
        for p in PaneId::ALL {
            focus(&mut app, p);
            render(&mut app, w, h);
            // With the node editor, an open entry and overlays too.
            key(&mut app, KeyCode::Enter);
            render(&mut app, w, h);
            key(&mut app, KeyCode::Char('?'));
            render(&mut app, w, h);
            key(&mut app, KeyCode::Esc);
            key(&mut app, KeyCode::Esc);
        }
    }
}

#[test]
fn quitting_with_unsaved_edits_asks_first() {
    let mut clean = app();
    key(&mut clean, KeyCode::Char('q'));
    assert!(clean.quit, "nothing unsaved: q quits at once");

    let mut app = app();
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('G'));
    key(&mut app, KeyCode::Char('w'));
    keys(&mut app, "a.len > 8");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('q'));
    assert!(!app.quit, "unsaved edits: q asks");
    let screen = render(&mut app, 100, 34);
    assert!(
        screen.contains("Quit and drop the unsaved edits of"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('n'));
    assert!(!app.quit && app.confirm.is_none(), "declined: still open");
    key(&mut app, KeyCode::Char('q'));
    key(&mut app, KeyCode::Char('y'));
    assert!(app.quit, "confirmed: quits");
}

// ---- The Log keeps the administrator's lines ---------------------------

/// A reload, as the engine thread reports it.
fn reloaded(file: &str, name: &str) -> Msg {
    Msg::Reloaded(Box::new(ReloadView {
        path: PathBuf::from(file),
        reload: Reload::Loaded {
            name: name.into(),
            version: "3f2e8d42aa".into(),
        },
        latency_ms: Some(120),
    }))
}

#[test]
fn engine_events_cannot_push_a_reload_out_of_the_log() {
    let mut app = app();
    app.model.apply(reloaded("profiles/small.yaml", "small"));
    // A 1 000-request replay: some 16 000 event lines.
    for id in 1..=1000 {
        for m in request(id, "sample-inputs/dot-small.yaml", id > 1, usize::MAX) {
            app.model.apply(m);
        }
    }
    let admin = app.model.log.lines(false);
    assert!(
        admin
            .iter()
            .any(|l| l.text.starts_with("reloaded small.yaml: small v3f2e8d4")),
        "{admin:?}"
    );
    // Both histories stay bounded.
    let all = app.model.log.lines(true);
    assert!(
        all.len() <= super::app::ADMIN_LINES + super::app::EVENT_LINES,
        "{}",
        all.len()
    );
    // Merged in order of arrival: the reload came before every kept event.
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(all[0].text.contains("engine ready"), "{:?}", all[0]);
    // And the user sees it: the Log with engine events hidden.
    focus(&mut app, PaneId::Log);
    key(&mut app, KeyCode::Char('e'));
    let screen = render(&mut app, 100, 12);
    assert!(screen.contains("reloaded small.yaml"), "{screen}");
}

#[test]
fn a_replay_whose_every_request_fails_keeps_the_reloads_in_the_log() {
    let mut app = app();
    app.model.apply(reloaded("profiles/small.yaml", "small"));
    for id in 1..=3000 {
        app.model.apply(ev(
            id,
            0,
            EventKind::Received {
                input: PathBuf::from("inputs/gather-small.yaml"),
            },
        ));
        app.model.apply(ev(
            id,
            1,
            EventKind::Failed {
                error: "inputs/../kernels/gather.c: no such file".into(),
            },
        ));
    }
    let admin = app.model.log.lines(false);
    assert!(
        admin
            .iter()
            .any(|l| l.text.starts_with("reloaded small.yaml")),
        "the reload is kept"
    );
    // The failures show, red, the newest of them kept.
    let failed: Vec<_> = admin
        .iter()
        .filter(|l| l.level == super::app::Level::Failed)
        .collect();
    assert_eq!(failed.len(), super::app::FAILED_LINES);
    assert!(
        failed
            .last()
            .is_some_and(|l| l.text.starts_with("request #3000:")),
        "{:?}",
        failed.last()
    );
}

#[test]
fn the_admin_history_is_bounded_by_its_own_lines_only() {
    let mut app = app();
    for i in 0..super::app::ADMIN_LINES + 10 {
        app.model.log(super::app::Level::Info, format!("admin {i}"));
    }
    for i in 0..super::app::EVENT_LINES + 10 {
        app.model
            .log(super::app::Level::Event, format!("event {i}"));
    }
    let admin = app.model.log.lines(false);
    assert_eq!(admin.len(), super::app::ADMIN_LINES);
    assert_eq!(
        admin.last().map(|l| l.text.as_str()),
        Some(format!("admin {}", super::app::ADMIN_LINES + 9).as_str())
    );
    let all = app.model.log.lines(true);
    assert_eq!(all.len(), super::app::ADMIN_LINES + super::app::EVENT_LINES);
    assert_eq!(
        all.last().map(|l| l.text.as_str()),
        Some(format!("event {}", super::app::EVENT_LINES + 9).as_str())
    );
}

#[test]
fn a_long_error_wraps_in_the_log_and_reads_whole() {
    let mut app = app();
    focus(&mut app, PaneId::Log);
    let error = "profiles: no profile named `generic`: every request needs the generic fallback (the built-in default<O3> stands in)";
    app.model.log(super::app::Level::Error, error);
    let screen = render(&mut app, 60, 12);
    let text: String = screen
        .lines()
        .map(|l| l.trim_matches('"').trim_matches(|c| c == '┃' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ");
    for word in error.split(' ') {
        assert!(text.contains(word), "`{word}` is missing:\n{screen}");
    }
    assert!(screen.contains("stands in)"), "{screen}");
}

#[test]
fn w_in_the_log_saves_it_to_a_file_with_the_admin_lines() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let mut app = app();
    app.model.apply(reloaded("profiles/small.yaml", "small"));
    for id in 1..=300 {
        for m in request(id, "sample-inputs/dot-small.yaml", id > 1, usize::MAX) {
            app.model.apply(m);
        }
    }
    let path = match super::panes::log::save(&app.model, dir.path()) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(
        path.file_name().and_then(|n| n.to_str()),
        Some("tailor-log-20231114-221320.txt")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        text.contains("22:13:20.000 info  reloaded small.yaml: small v3f2e8d4"),
        "{}",
        &text[..text.len().min(2000)]
    );
    assert!(text.contains("engine ready on znver4"));
    let last = text.lines().last().unwrap_or_default();
    assert!(
        last.contains("event #300") && last.contains("finished"),
        "{last}"
    );
    // A second save in the same second does not overwrite the first.
    let again = super::panes::log::save(&app.model, dir.path());
    assert_eq!(
        again
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())),
        Some("tailor-log-20231114-221320-2.txt".into())
    );
    // Through the key: the status bar names the file or the error.
    focus(&mut app, PaneId::Log);
    key(&mut app, KeyCode::Char('w'));
    let flash = app
        .model
        .flash
        .clone()
        .map(|(t, _, _)| t)
        .unwrap_or_default();
    assert!(
        flash.starts_with("saved the Log to ") || flash.starts_with("cannot "),
        "{flash}"
    );
    if let Some(p) = flash.strip_prefix("saved the Log to ") {
        let _ = std::fs::remove_file(p);
    }
}

// ---- Lists never keep a stale scroll offset ----------------------------

#[test]
fn a_list_offset_never_leaves_blank_rows_below_hidden_ones() {
    use super::panes::list_offset;
    // Grown from 10 rows to 40 with 31 rows: all show.
    assert_eq!(list_offset(21, 31, 40, Some(30)), 0);
    // 21 of 31 visible: the last row is at the bottom, not above blanks.
    assert_eq!(list_offset(20, 31, 21, Some(30)), 10);
    assert_eq!(list_offset(15, 31, 21, Some(12)), 10);
    // The selection stays in view either way.
    assert_eq!(list_offset(0, 31, 10, Some(30)), 21);
    assert_eq!(list_offset(9, 31, 10, Some(3)), 3);
    // Rows removed under the offset.
    assert_eq!(list_offset(25, 4, 10, Some(0)), 0);
    for len in 0..40 {
        for visible in 1..30 {
            for offset in 0..45 {
                for sel in 0..len {
                    let o = list_offset(offset, len, visible, Some(sel));
                    // Rows hidden above: the window is full.
                    assert!(
                        o == 0 || o + visible <= len,
                        "{offset} {len} {visible} {sel}"
                    );
                    assert!(
                        o <= len.saturating_sub(visible),
                        "{offset} {len} {visible} {sel}"
                    );
                    assert!(
                        sel >= o && sel < o + visible,
                        "{offset} {len} {visible} {sel}"
                    );
                }
            }
        }
    }
}

/// Whether `needle` is on a rendered screen.
fn shows(screen: &str, needle: &str) -> bool {
    screen.contains(needle)
}

#[test]
fn cache_rows_fill_the_pane_after_it_grows() {
    let mut app = app();
    focus(&mut app, PaneId::Cache);
    let mut view = cache_view();
    let template = view.entries[2].clone();
    view.entries = (0..31)
        .map(|i| {
            let mut e = template.clone();
            e.key = VariantKey(format!("{i:02}").repeat(32));
            e
        })
        .collect();
    app.model.apply(Msg::Cache(Box::new(view)));
    render(&mut app, 100, 14);
    key(&mut app, KeyCode::Char('G'));
    let small = render(&mut app, 100, 14);
    assert!(
        shows(&small, "30303030") && !shows(&small, "00000000"),
        "{small}"
    );
    // Taller: all 31 fit, so all 31 show, the first at the top.
    let tall = render(&mut app, 100, 44);
    assert!(shows(&tall, "31 entries"), "{tall}");
    for i in 0..31 {
        assert!(
            shows(&tall, &format!("{i:02}").repeat(4)),
            "entry {i}:\n{tall}"
        );
    }
    // 21 rows of room: the last 21, with no blank row under them.
    let mid = render(&mut app, 100, 28);
    assert!(shows(&mid, "10101010") && shows(&mid, "30303030"), "{mid}");
    assert!(!shows(&mid, "09090909"), "{mid}");
}

#[test]
fn runs_show_the_newest_rows_after_the_pane_grows() {
    let mut app = app();
    focus(&mut app, PaneId::Runs);
    for id in 1..=30 {
        for m in request(id, "sample-inputs/dot-small.yaml", id > 1, usize::MAX) {
            app.model.apply(m);
        }
    }
    render(&mut app, 100, 16);
    // The row of run `n` on a screen.
    let row = |screen: &str, n: u64| {
        screen.lines().position(|l| {
            l.trim_start_matches(['"', '┃', '│', ' ', '▸'])
                .starts_with(&format!("{n} "))
                && l.contains("dot-small.yaml")
        })
    };
    // The oldest run, at the bottom of a short list.
    key(&mut app, KeyCode::Char('G'));
    let small = render(&mut app, 100, 16);
    assert!(
        row(&small, 1).is_some() && row(&small, 30).is_none(),
        "{small}"
    );
    // Taller than the list: every run shows, the newest first.
    let tall = render(&mut app, 100, 44);
    assert!(
        row(&tall, 30).is_some() && row(&tall, 1).is_some(),
        "{tall}"
    );
    assert!(row(&tall, 30) < row(&tall, 1), "newest first:\n{tall}");
}

#[test]
fn inputs_and_profiles_show_their_top_rows_after_a_resize() {
    let inputs: Vec<PathBuf> = (0..30)
        .map(|i| PathBuf::from(format!("sample-inputs/in-{i:02}.yaml")))
        .collect();
    let mut app = App::new(
        inputs,
        vec![PathBuf::from("sample-inputs/workloads/hot.yaml")],
    );
    app.model.now_ms = NOW;
    let mut s = store();
    s.profiles = (0..20)
        .map(|i| {
            let text = FLAGS.replace("name: flags", &format!("name: p{i:02}"));
            ProfileView::from_profile(&parse(&format!("profiles/p{i:02}.yaml"), &text))
        })
        .chain(std::iter::once(ProfileView::from_profile(&parse(
            "profiles/generic.yaml",
            GENERIC,
        ))))
        .collect();
    s.errors.clear();
    app.model.apply(Msg::Store(Arc::new(s)));

    // At 80×24 the last row selected scrolls the list; at 160×48 all fit.
    focus(&mut app, PaneId::Inputs);
    render(&mut app, 80, 24);
    key(&mut app, KeyCode::Char('G'));
    let small = render(&mut app, 80, 24);
    assert!(!small.contains("in-00.yaml"), "{small}");
    key(&mut app, KeyCode::Char('z'));
    let big = render(&mut app, 160, 48);
    assert!(
        big.contains("in-00.yaml") && big.contains("hot.yaml"),
        "{big}"
    );

    focus(&mut app, PaneId::Profiles);
    render(&mut app, 80, 16);
    key(&mut app, KeyCode::Char('G'));
    let small = render(&mut app, 80, 16);
    assert!(!small.contains(" p00 "), "{small}");
    let big = render(&mut app, 160, 48);
    assert!(big.contains(" p00 ") && big.contains(" generic "), "{big}");
}

#[test]
fn the_log_is_never_scrolled_past_its_top_after_it_grows() {
    let mut app = app();
    focus(&mut app, PaneId::Log);
    for i in 0..40 {
        app.model.log(super::app::Level::Info, format!("line {i}"));
    }
    render(&mut app, 60, 10);
    key(&mut app, KeyCode::Char('g'));
    let small = render(&mut app, 60, 10);
    assert!(
        small.contains("scrolled") && !small.contains("line 39"),
        "{small}"
    );
    let tall = render(&mut app, 60, 60);
    assert!(
        tall.contains("line 0") && tall.contains("line 39"),
        "{tall}"
    );
    assert!(!tall.contains("scrolled"), "{tall}");
}

// ---- A missing folder --------------------------------------------------

#[test]
fn a_missing_profiles_folder_is_said_in_the_status_bar_and_the_pane() {
    let mut app = App::new(vec![], vec![]);
    app.model.now_ms = NOW;
    app.model.watch = super::app::WatchState::Missing(PathBuf::from("/srv/profiles"));
    app.inputs.set_missing(Path::new("/srv/inputs"));
    let screen = render(&mut app, 160, 20);
    let said = "profiles folder /srv/profiles is missing; watching for it";
    let bar = screen.lines().last().unwrap_or_default();
    assert!(bar.contains(said), "{screen}");
    assert!(!bar.contains("watching profiles"), "{screen}");
    assert!(
        screen.matches(said).count() == 2,
        "the pane says it too:\n{screen}"
    );
    focus(&mut app, PaneId::Inputs);
    let screen = render(&mut app, 100, 20);
    assert!(
        screen.contains("inputs folder /srv/inputs is missing; watching for it"),
        "{screen}"
    );
    // The folder appears: the status bar says so and watches as usual.
    app.apply(Msg::FolderAppeared {
        folder: super::worker::Folder::Profiles,
        path: PathBuf::from("/srv/profiles"),
    });
    let screen = render(&mut app, 160, 20);
    let bar = screen.lines().last().unwrap_or_default();
    assert!(bar.contains("appeared"), "{screen}");
    // The inputs folder still missing, that is what the bar says then.
    assert!(
        bar.contains("inputs folder /srv/inputs is missing"),
        "{screen}"
    );
    app.inputs.load(Path::new("/srv/inputs"));
    app.model.flash = None;
    let screen = render(&mut app, 160, 20);
    let bar = screen.lines().last().unwrap_or_default();
    assert!(bar.contains("watching profiles"), "{screen}");
}

#[test]
fn an_inputs_folder_that_appears_is_listed() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let inputs = dir.path().join("inputs");
    let mut app = App::new(vec![], vec![]);
    app.model.now_ms = NOW;
    app.inputs.follow(&inputs);
    app.inputs.set_missing(&inputs);
    focus(&mut app, PaneId::Inputs);
    let screen = render(&mut app, 100, 16);
    assert!(screen.contains("is missing; watching for it"), "{screen}");
    assert!(
        !screen.contains(" workloads "),
        "no heading over nothing:\n{screen}"
    );
    let made = std::fs::create_dir_all(inputs.join("workloads"))
        .and_then(|()| std::fs::write(inputs.join("dot.yaml"), "kernel: dot.c\n"))
        .and_then(|()| std::fs::write(inputs.join("workloads/w.yaml"), "requests: []\n"));
    if let Err(e) = made {
        panic!("{e}");
    }
    // Looked for with the next listing, a second on.
    app.model.now_ms += 1500;
    let screen = render(&mut app, 100, 16);
    assert!(
        screen.contains("dot.yaml") && screen.contains("w.yaml"),
        "{screen}"
    );
    assert!(!screen.contains("is missing"), "{screen}");
    assert!(
        screen.contains(&format!("inputs folder {} appeared", inputs.display())),
        "{screen}"
    );
}

#[test]
fn a_profiles_folder_made_after_start_loads_without_its_old_error() {
    use crate::profile::ProfileStore;
    let parent = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let dir = parent.path().join("profiles");
    let mut store = ProfileStore::load_dir(&dir, None);
    assert_eq!(store.errors().len(), 2, "{:?}", store.errors());
    if let Err(e) =
        std::fs::create_dir(&dir).and_then(|()| std::fs::write(dir.join("generic.yaml"), GENERIC))
    {
        panic!("{e}");
    }
    let r = store.reload_file(&dir.join("generic.yaml"), None);
    assert!(matches!(r, Reload::Loaded { .. }), "{r:?}");
    assert!(store.errors().is_empty(), "{:?}", store.errors());
}

// ---- Losing the generic profile ----------------------------------------

/// The fixture store after `generic.yaml` was deleted on disk.
fn store_without_generic() -> StoreView {
    let mut s = store();
    s.profiles.retain(|p| p.name != "generic");
    s.errors = vec![crate::profile::ProfileError::new(
        Path::new("profiles"),
        crate::profile::ErrorKind::NoGeneric,
    )];
    s
}

#[test]
fn deleting_generic_yaml_is_an_error_said_whole_in_the_status_bar_and_the_log() {
    let mut app = app();
    app.model.apply(Msg::Reloaded(Box::new(ReloadView {
        path: PathBuf::from("profiles/generic.yaml"),
        reload: Reload::Removed {
            name: "generic".into(),
        },
        latency_ms: Some(90),
    })));
    app.model
        .apply(Msg::Store(Arc::new(store_without_generic())));
    let said = "✗ generic.yaml deleted: no generic profile; built-in O3 stands in";
    for (w, h) in [(160, 48), (80, 24)] {
        let screen = render(&mut app, w, h);
        let bar = screen.lines().last().unwrap_or_default();
        assert!(bar.contains(said), "{w}×{h}:\n{screen}");
        assert!(!screen.contains("generic unloaded"), "{screen}");
        // The Profiles pane has the store's error across the pane, whole.
        let text: String = screen
            .lines()
            .map(|l| l.trim_matches(|c| c == '"' || c == '┃' || c == '│' || c == ' '))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            text.contains(
                "✗ profiles: no profile named `generic`: every request needs the generic fallback"
            ),
            "{w}×{h}:\n{screen}"
        );
    }
    let log: Vec<String> = app
        .model
        .log
        .lines(false)
        .iter()
        .filter(|l| l.level == super::app::Level::Error)
        .map(|l| l.text.clone())
        .collect();
    assert!(
        log.iter()
            .any(|l| l.starts_with("generic.yaml deleted: no generic profile")),
        "{log:?}"
    );
    assert!(
        log.iter().any(|l| l
            == "profiles: no profile named `generic`: every request needs the generic fallback; until one loads, a built-in default<O3> stands in"),
        "{log:?}"
    );
}

#[test]
fn a_save_that_would_leave_no_generic_profile_asks_first() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let file = dir.path().join("generic.yaml");
    let on_disk = "name: generic\npriority: 0\npipeline: {}\n";
    if let Err(e) = std::fs::write(&file, on_disk) {
        panic!("{e}");
    }
    // The live generic's text, as the editor starts from, names another
    // profile: saving it would take `generic` away.
    let mut live = ProfileView::from_profile(&parse(&file.display().to_string(), on_disk));
    live.source = on_disk.replace("name: generic", "name: fallback");
    let mut app = app();
    app.model.apply(Msg::Store(Arc::new(StoreView {
        dir: Some(dir.path().to_owned()),
        profiles: vec![live],
        errors: vec![],
    })));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('a'));
    keys(&mut app, "tidy dce");
    key(&mut app, KeyCode::Enter);
    app.model.outbox.clear();
    key(&mut app, KeyCode::Char('s'));
    // The preview of the diff says it before yes is pressed.
    let screen = render(&mut app, 120, 30);
    assert!(
        screen.contains("! saved as `fallback`, this file leaves no `generic` profile"),
        "the preview warns:\n{screen}"
    );
    key(&mut app, KeyCode::Char('y'));
    let screen = render(&mut app, 120, 30);
    assert!(
        screen.contains("leaves no `generic` profile"),
        "the save asks first:\n{screen}"
    );
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(
        std::fs::read_to_string(&file).ok().as_deref(),
        Some(on_disk)
    );
    assert!(app.model.outbox.is_empty(), "{:?}", app.model.outbox);
    // Yes saves it (the fixture's file differs from the text the editor
    // began from, so the overwrite is asked too: both questions, in turn).
    key(&mut app, KeyCode::Char('s'));
    // The preview of the diff, then yes.
    key(&mut app, KeyCode::Char('y'));
    key(&mut app, KeyCode::Char('y'));
    let asked = app.confirm.as_ref().map(|c| c.question.clone());
    assert!(
        asked
            .as_deref()
            .is_some_and(|q| q.contains("changed on disk")),
        "{asked:?}"
    );
    key(&mut app, KeyCode::Char('y'));
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        text.contains("name: fallback") && text.contains("tidy"),
        "{text}"
    );
    assert_eq!(app.model.outbox, vec![Command::ReloadFile(file.clone())]);
    // An ordinary save of generic.yaml does not ask.
    let mut app2 = self::app();
    if let Err(e) = std::fs::write(&file, on_disk) {
        panic!("{e}");
    }
    app2.model.apply(Msg::Store(Arc::new(StoreView {
        dir: Some(dir.path().to_owned()),
        profiles: vec![ProfileView::from_profile(&parse(
            &file.display().to_string(),
            on_disk,
        ))],
        errors: vec![],
    })));
    key(&mut app2, KeyCode::Enter);
    key(&mut app2, KeyCode::Char('a'));
    keys(&mut app2, "tidy dce");
    key(&mut app2, KeyCode::Enter);
    key(&mut app2, KeyCode::Char('s'));
    // The preview of the diff, then yes.
    key(&mut app2, KeyCode::Char('y'));
    assert!(app2.confirm.is_none(), "{:?}", app2.confirm);
    assert!(std::fs::read_to_string(&file)
        .unwrap_or_default()
        .contains("tidy"));
}

// ---- A saved profile that does not reload -------------------------------

#[test]
fn a_saved_profile_that_fails_to_reload_keeps_its_text_and_asks_nothing_false() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let file = dir.path().join("small.yaml");
    if let Err(e) = std::fs::write(&file, SMALL) {
        panic!("{e}");
    }
    let live = ProfileView::from_profile(&parse(&file.display().to_string(), SMALL));
    let live_version = live.version[..8].to_owned();
    let mut s = store();
    s.profiles[0] = live.clone();
    s.errors.clear();
    let mut app = app();
    app.model.apply(Msg::Store(Arc::new(s.clone())));
    // Add a node and save: the engine refuses the file (a `passes`
    // pipeline LLVM does not know, say); the last good version stays.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('G'));
    key(&mut app, KeyCode::Char('a'));
    keys(&mut app, "tidy passes");
    key(&mut app, KeyCode::Enter);
    let draft = app.profiles.unsaved().first().cloned().unwrap_or_default();
    assert_eq!(draft, file);
    key(&mut app, KeyCode::Char('s'));
    // The preview of the diff, then yes.
    key(&mut app, KeyCode::Char('y'));
    assert!(app.confirm.is_none(), "{:?}", app.confirm);
    render(&mut app, 120, 40);
    let saved = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(saved.contains("tidy"), "{saved}");
    let refused = crate::profile::ProfileError::new(
        file.clone(),
        crate::profile::ErrorKind::Io("node `tidy`: bad parameter `pipeline`: unknown pass".into()),
    );
    app.model.apply(Msg::Reloaded(Box::new(ReloadView {
        path: file.clone(),
        reload: Reload::Failed {
            errors: vec![refused.clone()],
            kept: Some("small".into()),
        },
        latency_ms: Some(40),
    })));
    s.errors = vec![refused];
    app.model.apply(Msg::Store(Arc::new(s)));
    let screen = render(&mut app, 120, 40);
    // The error block names the live version, not the saved draft.
    assert!(
        screen.contains(&format!(
            "the last good version (v{live_version}) stays live"
        )),
        "{screen}"
    );
    assert!(screen.contains("(saved; does not load)"), "{screen}");
    // Editing goes on from what was saved, and saving again is no
    // "changed on disk" question.
    assert!(screen.contains("tidy passes"), "{screen}");
    key(&mut app, KeyCode::Char('a'));
    keys(&mut app, "more dce");
    key(&mut app, KeyCode::Enter);
    // With an unsaved draft too, the live version is the one named.
    let screen = render(&mut app, 120, 40);
    assert!(
        screen.contains(&format!(
            "the last good version (v{live_version}) stays live"
        )),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('s'));
    // The preview of the diff, then yes.
    key(&mut app, KeyCode::Char('y'));
    assert!(
        app.confirm.is_none(),
        "a false prompt: {:?}",
        app.confirm.as_ref().map(|c| &c.question)
    );
    let saved = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(saved.contains("tidy") && saved.contains("more"), "{saved}");
    // A change made outside is still a change on disk.
    key(&mut app, KeyCode::Char('a'));
    keys(&mut app, "last dce");
    key(&mut app, KeyCode::Enter);
    if let Err(e) = std::fs::write(&file, SMALL.replace("priority: 40", "priority: 41")) {
        panic!("{e}");
    }
    key(&mut app, KeyCode::Char('s'));
    // The preview of the diff, then yes.
    key(&mut app, KeyCode::Char('y'));
    assert!(
        app.confirm
            .as_ref()
            .is_some_and(|c| c.question.contains("changed on disk")),
        "{:?}",
        app.confirm
    );
}

/// The row of `needle` on screen (its line number).
fn row_of(screen: &str, needle: &str) -> Option<usize> {
    screen.lines().position(|l| l.contains(needle))
}

#[test]
fn slash_searches_the_focused_list_and_n_goes_on_wrapping_around() {
    let mut app = app();
    focus(&mut app, PaneId::Inputs);
    // `n` is "run N times" here until a search is on.
    key(&mut app, KeyCode::Char('/'));
    assert!(app.prompt.is_some());
    keys(&mut app, "RED");
    key(&mut app, KeyCode::Enter);
    // Smart case: a capital makes it exact, and nothing is called RED.
    let flash = app.model.flash.clone().map(|f| f.0).unwrap_or_default();
    assert_eq!(flash, "/RED: no match in Inputs");
    key(&mut app, KeyCode::Char('/'));
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    keys(&mut app, "yaml");
    key(&mut app, KeyCode::Enter);
    // dot-small (selected) matches where the search starts.
    assert_eq!(
        app.inputs.selected_input(),
        Some(Path::new("sample-inputs/dot-small.yaml"))
    );
    let flash = app.model.flash.clone().map(|f| f.0).unwrap_or_default();
    assert_eq!(flash, "/yaml: match 1 of 3");
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(
        app.inputs.selected_input(),
        Some(Path::new("sample-inputs/reduce.yaml"))
    );
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.inputs.selected_input(), None, "the workload");
    assert!(app.prompt.is_none(), "n is the next match, not a prompt");
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(
        app.inputs.selected_input(),
        Some(Path::new("sample-inputs/dot-small.yaml")),
        "wraps around"
    );
    key(&mut app, KeyCode::Char('N'));
    assert_eq!(app.inputs.selected_input(), None, "N goes back");
    // Esc ends the search; n is the pane's own key again.
    key(&mut app, KeyCode::Esc);
    assert!(app.model.search.is_none());
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::Char('n'));
    assert!(
        matches!(&app.prompt, Some(p) if p.label.contains("how many")),
        "{:?}",
        app.prompt
    );
}

#[test]
fn slash_searches_the_log_back_in_time_and_marks_the_match() {
    let mut app = app();
    focus(&mut app, PaneId::Log);
    app.model
        .log(super::app::Level::Error, "cache: entry 0badc0de is corrupt");
    for i in 0..200 {
        app.model
            .log(super::app::Level::Event, format!("#{i} received an input"));
    }
    render(&mut app, 100, 14);
    key(&mut app, KeyCode::Char('/'));
    keys(&mut app, "corrupt");
    key(&mut app, KeyCode::Enter);
    let screen = render(&mut app, 100, 14);
    assert!(
        screen.contains("0badc0de is corrupt"),
        "scrolled to it:\n{screen}"
    );
    // The match is marked black on yellow in the buffer.
    let mut t = match Terminal::new(TestBackend::new(100, 14)) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    if let Err(e) = t.draw(|f| super::ui::draw(f, &mut app)) {
        panic!("{e}");
    }
    let buf = t.backend().buffer().clone();
    let marked = (0..buf.area.height).any(|y| {
        let row: String = (0..buf.area.width)
            .filter(|&x| buf[(x, y)].bg == ratatui::style::Color::Yellow)
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect();
        row == "corrupt"
    });
    assert!(marked, "the match is highlighted");
    // Lines newest first: `n` goes further back, then wraps to the newest.
    key(&mut app, KeyCode::Char('/'));
    if let Some(p) = app.prompt.as_mut() {
        p.input.clear();
    }
    keys(&mut app, "#19");
    key(&mut app, KeyCode::Enter);
    let screen = render(&mut app, 100, 14);
    assert!(screen.contains("#199 received"), "{screen}");
    key(&mut app, KeyCode::Char('n'));
    let screen = render(&mut app, 100, 14);
    assert!(screen.contains("#198 received"), "{screen}");
    assert!(!screen.contains("#199 received"), "{screen}");
}

#[test]
fn slash_searches_an_open_ir_view() {
    let mut app = app();
    focus(&mut app, PaneId::Cache);
    app.model.apply(Msg::Cache(Box::new(cache_view())));
    key(&mut app, KeyCode::Enter);
    app.model.apply(Msg::Variant(Arc::new(VariantView {
        key: KEY.into(),
        variant: Ok(Arc::new(variant())),
        kernel_ir: None,
    })));
    render(&mut app, 100, 14);
    key(&mut app, KeyCode::Char('/'));
    keys(&mut app, "ret double");
    key(&mut app, KeyCode::Enter);
    let screen = render(&mut app, 100, 14);
    let flash = app.model.flash.clone().map(|f| f.0).unwrap_or_default();
    assert!(flash.starts_with("/ret double: match 1 of"), "{flash}");
    assert!(screen.contains("ret double %s"), "{screen}");
}

/// A workbench whose one profile is `SMALL`, written to a file of a
/// folder of its own: the folder (kept while it lives), the file, the app.
fn editing_small() -> (tempfile::TempDir, PathBuf, App) {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let file = dir.path().join("small.yaml");
    if let Err(e) = std::fs::write(&file, SMALL) {
        panic!("{e}");
    }
    let mut app = app();
    app.model.apply(Msg::Store(Arc::new(StoreView {
        dir: Some(dir.path().to_owned()),
        profiles: vec![ProfileView::from_profile(&parse(
            &file.display().to_string(),
            SMALL,
        ))],
        errors: vec![],
    })));
    (dir, file, app)
}

#[test]
fn f_sets_a_profile_field_s_shows_the_diff_and_y_saves_u_and_redo() {
    let (_dir, file, mut app) = editing_small();
    // A field the loader refuses is refused with its message.
    key(&mut app, KeyCode::Char('f'));
    assert!(
        matches!(&app.prompt, Some(p) if p.hint.contains("priority: 40")),
        "the hint shows the current values: {:?}",
        app.prompt
    );
    keys(&mut app, "priority: high");
    key(&mut app, KeyCode::Enter);
    assert!(app.profiles.unsaved().is_empty(), "refused");
    key(&mut app, KeyCode::Char('f'));
    keys(&mut app, "priority: 45");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('f'));
    keys(&mut app, "description: small arrays: unrolled");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('f'));
    keys(&mut app, "tolerance: { rel: 1e-9, abs: 1e-9 }");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.profiles.unsaved(), vec![file.clone()]);
    // Undo the tolerance, redo it.
    key(&mut app, KeyCode::Char('u'));
    key(&mut app, KeyCode::Char('U'));
    key(&mut app, KeyCode::Char('s'));
    let screen = render(&mut app, 120, 30);
    assert!(screen.contains("Save small.yaml?"), "{screen}");
    assert!(screen.contains("-priority: 40"), "{screen}");
    assert!(screen.contains("+priority: 45"), "{screen}");
    assert!(
        screen.contains("+tolerance: { rel: 1e-9, abs: 1e-9 }"),
        "{screen}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).ok().as_deref(),
        Some(SMALL),
        "nothing written before yes"
    );
    // n keeps editing; s then y writes.
    key(&mut app, KeyCode::Char('n'));
    assert!(app.preview.is_none());
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Char('y'));
    let saved = std::fs::read_to_string(&file).unwrap_or_default();
    let p = parse(&file.display().to_string(), &saved);
    assert_eq!(p.priority, 45);
    assert_eq!(p.description, "small arrays: unrolled");
    assert!(
        saved.contains("tolerance: { rel: 1e-9, abs: 1e-9 }"),
        "{saved}"
    );
    assert!(
        app.model
            .outbox
            .contains(&Command::ReloadFile(file.clone())),
        "{:?}",
        app.model.outbox
    );
}

#[test]
fn a_batch_ends_after_its_last_requests_events() {
    let mut app = app();
    focus(&mut app, PaneId::Log);
    app.model.apply(Msg::Job(JobState::Started {
        label: "run dot-small.yaml ×1".into(),
        total: 1,
    }));
    let events = request(1, "sample-inputs/dot-small.yaml", true, usize::MAX);
    let (head, tail) = events.split_at(events.len() - 2);
    for m in head.iter().cloned() {
        app.model.apply(m);
    }
    // The engine thread's end overtakes the event thread's last lines.
    app.model.apply(Msg::Job(JobState::Finished {
        label: "run dot-small.yaml ×1".into(),
        done: 1,
        total: 1,
        errors: 0,
        cancelled: false,
    }));
    assert!(app.model.job.is_some(), "still busy until the request ends");
    for m in tail.iter().cloned() {
        app.model.apply(m);
    }
    assert!(app.model.job.is_none());
    let lines: Vec<String> = app
        .model
        .log
        .lines(true)
        .iter()
        .map(|l| l.text.clone())
        .collect();
    let done = lines
        .iter()
        .position(|l| l.contains("run dot-small.yaml ×1: done, 1/1"));
    let last = lines.iter().rposition(|l| l.starts_with("#1 "));
    assert!(
        matches!((done, last), (Some(d), Some(l)) if d > l),
        "{lines:#?}"
    );
}

#[test]
fn a_batch_end_whose_events_never_come_is_said_after_a_wait() {
    let mut app = app();
    app.model.apply(Msg::Job(JobState::Started {
        label: "replay hot.yaml".into(),
        total: 1,
    }));
    for m in request(1, "sample-inputs/dot-small.yaml", true, 3) {
        app.model.apply(m);
    }
    app.model.apply(Msg::Job(JobState::Finished {
        label: "replay hot.yaml".into(),
        done: 1,
        total: 1,
        errors: 0,
        cancelled: false,
    }));
    app.tick();
    assert!(app.model.job.is_some());
    app.model.now_ms += 2500;
    app.tick();
    assert!(app.model.job.is_none(), "ended after the wait");
}

#[test]
fn a_run_keeps_the_order_of_the_profile_it_ran_after_an_edit() {
    let mut app = app();
    for m in request(1, "sample-inputs/dot-small.yaml", false, usize::MAX) {
        app.model.apply(m);
    }
    app.effect(super::panes::Effect::ShowRun(1));
    let before = render(&mut app, 100, 20);
    // The profile is edited: its new version lists `full` last.
    let edited = SMALL.replace(
        "  full:    { transform: unroll, full: true, when: \"arrays.all(x, x.len <= 64)\" }\n",
        "",
    ) + "  full:    { transform: unroll, full: true, after: vec, when: \"arrays.all(x, x.len <= 64)\" }\n";
    let mut s = store();
    s.profiles[0] = ProfileView::from_profile(&parse("profiles/small.yaml", &edited));
    app.model.apply(Msg::Store(Arc::new(s)));
    app.effect(super::panes::Effect::ShowRun(1));
    let after = render(&mut app, 100, 20);
    for screen in [&before, &after] {
        let (full, partial) = (row_of(screen, "full"), row_of(screen, "partial"));
        assert!(
            matches!((full, partial), (Some(f), Some(p)) if f < p),
            "the skipped `full` stays where it was in the run's order:\n{screen}"
        );
    }
}

#[test]
fn the_status_bar_keeps_its_facts_at_80_columns_and_says_the_rest_below() {
    let mut app = app();
    focus(&mut app, PaneId::Runs);
    app.model.apply(reloaded("small.yaml", "small"));
    app.model.apply(Msg::Job(JobState::Started {
        label: "replay mixed.yaml".into(),
        total: 303,
    }));
    app.model.apply(Msg::Job(JobState::Progress {
        label: "replay mixed.yaml".into(),
        done: 209,
        total: 303,
    }));
    app.handle_key(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE));
    let screen = render(&mut app, 80, 24);
    let rows: Vec<&str> = screen.lines().collect();
    let bar = rows[rows.len() - 2..].join("\n");
    assert!(bar.contains("busy: replay mixed.yaml 209/303"), "{bar}");
    assert!(bar.contains("hit -"), "{bar}");
    assert!(bar.contains("cancelling this batch"), "{bar}");
    assert!(bar.contains("reloaded small.yaml"), "{bar}");
    // With nothing passing and room enough, one row.
    app.model.flash = None;
    app.model.job = None;
    let screen = render(&mut app, 160, 48);
    let last = screen.lines().last().unwrap_or_default();
    assert!(
        last.contains("reloaded small.yaml") && last.contains("hit -"),
        "{last}"
    );
}

#[test]
fn a_long_batch_name_gives_way_before_its_counts_at_80_columns() {
    let mut app = app();
    let label = "replay mixed-traffic-weekday-peak-hours.yaml".to_owned();
    app.model.apply(Msg::Job(JobState::Started {
        label: label.clone(),
        total: 3030,
    }));
    for ahead in 1..=2 {
        app.model.apply(Msg::Job(JobState::Queued {
            label: label.clone(),
            total: 3030,
            ahead,
        }));
    }
    app.model.apply(Msg::Job(JobState::Progress {
        label,
        done: 1433,
        total: 3030,
    }));
    let screen = render(&mut app, 80, 24);
    let rows: Vec<&str> = screen.lines().collect();
    let bar = rows[rows.len() - 2..].join("\n");
    assert!(bar.contains(" 1433/3030 (+2 queued)"), "{bar}");
    assert!(bar.contains("busy: replay mix"), "{bar}");
    assert!(bar.contains('…'), "the name is cut, and says so: {bar}");
    // Narrower, the name goes whole before a count is cut.
    let screen = render(&mut app, 68, 24);
    let rows: Vec<&str> = screen.lines().collect();
    let bar = rows[rows.len() - 2..].join("\n");
    assert!(bar.contains("busy: 1433/3030 (+2 queued)"), "{bar}");
}

/// A workbench in the state an administrator sees after a few runs: an
/// input analyzed, requests done (a miss and hits), the cache listed and
/// a variant loaded, reloads and events in the Log.
fn busy_app() -> App {
    let mut app = app();
    app.model.apply(reloaded("small.yaml", "small"));
    // The reload asked for the analysis again; here it is.
    app.model.apply(analysis("sample-inputs/dot-small.yaml"));
    for id in 1..=4 {
        for m in request(id, "sample-inputs/dot-small.yaml", id > 1, usize::MAX) {
            app.model.apply(m);
        }
    }
    app.model.apply(Msg::Cache(Box::new(cache_view())));
    app.model.apply(Msg::Variant(Arc::new(VariantView {
        key: KEY.into(),
        variant: Ok(Arc::new(variant())),
        kernel_ir: None,
    })));
    app
}

/// Every pane alone at 80×24 (one pane a screen) and at 160×48, where a
/// zoomed pane has the whole width: the main facts read uncut.
#[test]
fn every_pane_at_80x24_and_160x48() {
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        for pane in PaneId::ALL {
            let mut app = busy_app();
            focus(&mut app, pane);
            if (w, h) == (160, 48) {
                key(&mut app, KeyCode::Char('z'));
            }
            let screen = render(&mut app, w, h);
            assert!(!app.grid, "one pane at {w}×{h}");
            insta::assert_snapshot!(
                format!("pane_{}_{w}x{h}", pane.title().to_lowercase()),
                screen
            );
        }
    }
    // The panes' other main states, at both sizes.
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let zoomed = |app: &mut App, pane: PaneId| {
            focus(app, pane);
            if w > 80 {
                key(app, KeyCode::Char('z'));
            }
        };
        let mut states: Vec<(&str, App)> = Vec::new();
        // The node editor, a node selected.
        let mut app = busy_app();
        zoomed(&mut app, PaneId::Profiles);
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Down);
        states.push(("profiles_node_editor", app));
        // A workload selected.
        let mut app = busy_app();
        zoomed(&mut app, PaneId::Inputs);
        key(&mut app, KeyCode::Char('G'));
        states.push(("inputs_workload", app));
        // A step's diff, the step skipped.
        let mut app = busy_app();
        zoomed(&mut app, PaneId::Pipeline);
        key(&mut app, KeyCode::Down);
        states.push(("pipeline_skipped_step", app));
        // An entry's optimized IR, with a search's matches marked.
        let mut app = busy_app();
        zoomed(&mut app, PaneId::Cache);
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Char('/'));
        keys(&mut app, "fadd");
        key(&mut app, KeyCode::Enter);
        states.push(("cache_open_ir_searched", app));
        // An entry beside its generic build.
        let mut app = busy_app();
        zoomed(&mut app, PaneId::Cache);
        let mut g = variant();
        let generic_key = "cf".repeat(32);
        g.key = VariantKey(generic_key.clone());
        g.plan.profile = "generic".into();
        g.steps.clear();
        g.optimized_ir = "target triple = \"x86_64-pc-linux-gnu\"\n\ndefine double @dot(ptr %a, ptr %b, i64 %n) {\nentry:\n  %s = fadd double %x, %y\n  ret double %s\n}\n".into();
        app.model.apply(Msg::Variant(Arc::new(VariantView {
            key: generic_key,
            variant: Ok(Arc::new(g)),
            kernel_ir: None,
        })));
        key(&mut app, KeyCode::Char('v'));
        states.push(("cache_beside_generic", app));
        // The Log with engine events hidden.
        let mut app = busy_app();
        zoomed(&mut app, PaneId::Log);
        key(&mut app, KeyCode::Char('e'));
        states.push(("log_without_events", app));
        for (name, mut app) in states {
            let screen = render(&mut app, w, h);
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen);
        }
    }
    // And the grid at 160×48.
    let mut app = busy_app();
    let screen = render(&mut app, 160, 48);
    assert!(app.grid);
    insta::assert_snapshot!("grid_160x48", screen);
}

#[test]
fn a_bad_count_for_n_is_said_on_screen_at_80x24() {
    for bad in ["0", "abc"] {
        let mut app = busy_app();
        focus(&mut app, PaneId::Inputs);
        app.model.outbox.clear();
        key(&mut app, KeyCode::Char('n'));
        if let Some(p) = app.prompt.as_mut() {
            p.input.clear();
        }
        keys(&mut app, bad);
        key(&mut app, KeyCode::Enter);
        let screen = render(&mut app, 80, 24);
        let said = format!("`{bad}` is not a count from 1 to 100000");
        let bar: Vec<&str> = screen.lines().rev().take(2).collect();
        assert!(bar.iter().any(|l| l.contains(&said)), "{screen}");
        assert!(
            !app.model
                .outbox
                .iter()
                .any(|c| matches!(c, Command::Run { .. })),
            "nothing runs"
        );
    }
    // Nothing typed: the default the hint names.
    let mut app = busy_app();
    focus(&mut app, PaneId::Inputs);
    app.model.outbox.clear();
    key(&mut app, KeyCode::Char('n'));
    let hint = app
        .prompt
        .as_ref()
        .map(|p| p.hint.clone())
        .unwrap_or_default();
    assert!(hint.starts_with("Enter alone: 10"), "{hint}");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.model
            .outbox
            .iter()
            .any(|c| matches!(c, Command::Run { times: 10, .. })),
        "{:?}",
        app.model.outbox
    );
}

/// The Pipeline pane after a request built the fixture variant, its
/// steps and their text loaded, drawn once.
fn pipeline_of_a_built_variant() -> App {
    let mut app = app();
    focus(&mut app, PaneId::Pipeline);
    for m in request(1, "sample-inputs/dot-small.yaml", false, usize::MAX) {
        app.model.apply(m);
    }
    app.model.apply(Msg::Variant(Arc::new(VariantView {
        key: KEY.into(),
        variant: Ok(Arc::new(variant())),
        kernel_ir: Some("define double @dot() {\nentry:\n  ret double 0.0\n}\n".into()),
    })));
    render(&mut app, 110, 30);
    app
}

#[test]
fn slash_in_the_pipeline_finds_steps_then_the_selected_steps_text() {
    let mut app = pipeline_of_a_built_variant();
    // A step by name, before any text is drawn for it.
    key(&mut app, KeyCode::Char('/'));
    keys(&mut app, "vectorize");
    key(&mut app, KeyCode::Enter);
    let screen = render(&mut app, 110, 30);
    assert!(
        screen.contains("instr 52→75"),
        "the vec step is selected:\n{screen}"
    );
    // Then the lines of that step's diff, searched without drawing first.
    key(&mut app, KeyCode::Char('/'));
    if let Some(p) = app.prompt.as_mut() {
        p.input = "ret double".into();
    }
    key(&mut app, KeyCode::Enter);
    let flash = app.model.flash.clone().map(|f| f.0).unwrap_or_default();
    assert!(flash.starts_with("/ret double: match 1 of"), "{flash}");
    let screen = render(&mut app, 110, 30);
    assert!(screen.contains("ret double"), "{screen}");
}

#[test]
fn n_in_a_pipeline_search_walks_every_match_and_wraps() {
    let mut app = pipeline_of_a_built_variant();
    key(&mut app, KeyCode::Char('/'));
    keys(&mut app, "double");
    key(&mut app, KeyCode::Enter);
    let said = |app: &App| app.model.flash.clone().map(|f| f.0).unwrap_or_default();
    let mut seen = vec![said(&app)];
    for _ in 0..6 {
        key(&mut app, KeyCode::Char('n'));
        render(&mut app, 110, 30);
        seen.push(said(&app));
    }
    let first = seen[0].clone();
    assert!(first.starts_with("/double: match 1 of "), "{seen:?}");
    // Each `n` moves on: no message repeats the one before it, and the
    // walk comes back round to the first match.
    for w in seen.windows(2) {
        assert_ne!(w[0], w[1], "{seen:?}");
    }
    assert!(
        seen[1..]
            .iter()
            .any(|s| s.starts_with("/double: match 1 of ")),
        "{seen:?}"
    );
}

#[test]
fn the_save_diff_is_against_the_file_on_disk_and_says_when_it_changed() {
    let (_dir, file, mut app) = editing_small();
    key(&mut app, KeyCode::Char('f'));
    keys(&mut app, "priority: 45");
    key(&mut app, KeyCode::Enter);
    // Unchanged on disk: the plain header.
    key(&mut app, KeyCode::Char('s'));
    let screen = render(&mut app, 120, 30);
    assert!(screen.contains("the file on disk (-)"), "{screen}");
    key(&mut app, KeyCode::Esc);
    // Someone else edits the file meanwhile.
    if let Err(e) = std::fs::write(&file, format!("{SMALL}# tuned by ops\n")) {
        panic!("{e}");
    }
    key(&mut app, KeyCode::Char('s'));
    let screen = render(&mut app, 120, 30);
    assert!(
        screen.contains("-# tuned by ops"),
        "the diff is the disk's:\n{screen}"
    );
    assert!(
        screen.contains("! the file changed on disk since you began editing"),
        "{screen}"
    );
    // Yes asks before overwriting, its keys on screen at 80×24.
    key(&mut app, KeyCode::Char('y'));
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("changed on disk since you began editing."),
        "{screen}"
    );
    assert!(screen.contains("Overwrite it?"), "{screen}");
    assert!(screen.contains("y yes · n no"), "{screen}");
    key(&mut app, KeyCode::Char('y'));
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        text.contains("priority: 45") && !text.contains("tuned by ops"),
        "{text}"
    );
}

#[test]
fn a_prompt_wraps_its_hint_and_shows_the_end_of_a_long_input() {
    let mut app = app();
    focus(&mut app, PaneId::Inputs);
    key(&mut app, KeyCode::Char('/'));
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("then n next, N previous,"), "{screen}");
    assert!(screen.contains("│Esc ends"), "{screen}");
    keys(&mut app, &"x".repeat(100));
    keys(&mut app, "THE-END");
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("THE-END█"), "{screen}");
}

#[test]
fn the_status_bar_keeps_its_rows_while_a_batch_runs() {
    let mut app = app();
    app.model.apply(Msg::Job(JobState::Started {
        label: "replay mixed.yaml".into(),
        total: 303,
    }));
    let pane_top = |screen: &str| screen.lines().position(|l| l.contains("┗")).unwrap_or(0);
    app.model.say(
        "a message long enough to need a second row of the status bar at this width, surely",
        false,
    );
    let two = render(&mut app, 100, 24);
    app.model.flash = None;
    let after = render(&mut app, 100, 24);
    assert_eq!(pane_top(&two), pane_top(&after), "{two}\n{after}");
    // The batch over, the bar takes what it needs again.
    app.model.job = None;
    let idle = render(&mut app, 100, 24);
    assert_eq!(pane_top(&idle), pane_top(&two) + 1, "{idle}");
}

#[test]
fn a_missing_inputs_folder_is_said_in_the_status_bar() {
    let mut app = app();
    app.inputs.set_missing(Path::new("/srv/inputs"));
    let screen = render(&mut app, 120, 24);
    let bar = screen.lines().last().unwrap_or_default().to_owned();
    assert!(
        bar.contains("! inputs folder /srv/inputs is missing; watching for it"),
        "{screen}"
    );
    app.inputs.load(Path::new("/srv/inputs"));
    let screen = render(&mut app, 120, 24);
    assert!(screen.contains("watching profiles"), "{screen}");
}

#[test]
fn a_node_editor_key_in_the_profiles_list_says_how_to_get_there() {
    let mut app = app();
    focus(&mut app, PaneId::Profiles);
    key(&mut app, KeyCode::Char('p'));
    let said = app.model.flash.clone().map(|f| f.0).unwrap_or_default();
    assert!(
        said.contains("Enter first selects the profile's nodes"),
        "{said}"
    );
    assert!(app.prompt.is_none());
}

#[test]
fn a_long_input_name_is_cut_with_an_ellipsis_in_the_list() {
    let long = PathBuf::from("sample-inputs/workloads/mixed-traffic-weekday-peak-hours.yaml");
    let mut app = App::new(
        vec![PathBuf::from("sample-inputs/dot-small.yaml")],
        vec![long],
    );
    app.model.now_ms = NOW;
    focus(&mut app, PaneId::Inputs);
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("▶ mixed-traffic-weekday-…"), "{screen}");
}

#[test]
fn n_and_n_walk_every_log_match_even_near_its_top() {
    let mut app = app();
    focus(&mut app, PaneId::Log);
    // Old matches, near the top, where the view cannot put them at its
    // bottom row; then newer lines without a match.
    for i in 0..5 {
        app.model
            .log(super::app::Level::Info, format!("reloaded p{i}.yaml"));
    }
    for i in 0..30 {
        app.model.log(super::app::Level::Event, format!("#{i} ran"));
    }
    render(&mut app, 100, 14);
    key(&mut app, KeyCode::Char('/'));
    keys(&mut app, "reloaded");
    key(&mut app, KeyCode::Enter);
    let said = |app: &App| app.model.flash.clone().map(|f| f.0).unwrap_or_default();
    let mut seen = vec![said(&app)];
    for _ in 0..5 {
        key(&mut app, KeyCode::Char('n'));
        render(&mut app, 100, 14);
        seen.push(said(&app));
    }
    let k: Vec<String> = seen
        .iter()
        .map(|s| s.trim_start_matches("/reloaded: ").to_owned())
        .collect();
    assert_eq!(
        k,
        [
            "match 1 of 5",
            "match 2 of 5",
            "match 3 of 5",
            "match 4 of 5",
            "match 5 of 5",
            "match 1 of 5"
        ],
        "{seen:?}"
    );
    key(&mut app, KeyCode::Char('N'));
    assert_eq!(said(&app), "/reloaded: match 5 of 5");
    key(&mut app, KeyCode::Char('N'));
    assert_eq!(said(&app), "/reloaded: match 4 of 5");
}

#[test]
fn generic_yaml_renamed_to_another_profile_is_an_error_like_its_deletion() {
    let mut app = app();
    app.model.apply(Msg::Reloaded(Box::new(ReloadView {
        path: PathBuf::from("/abs/profiles/generic.yaml"),
        reload: Reload::Loaded {
            name: "gen2".into(),
            version: "0123456789".into(),
        },
        latency_ms: None,
    })));
    let screen = render(&mut app, 120, 24);
    let bar = screen.lines().last().unwrap_or_default();
    assert!(
        bar.contains("✗ generic.yaml now holds `gen2`: no generic profile; built-in O3 stands in"),
        "{screen}"
    );
    // Another file's reload is as ever.
    app.model.apply(reloaded("profiles/small.yaml", "small"));
    let screen = render(&mut app, 120, 24);
    assert!(screen.contains("⟳ reloaded small.yaml"), "{screen}");
}

#[test]
fn evicting_names_only_the_tiers_the_entry_is_in() {
    let mut app = app();
    focus(&mut app, PaneId::Cache);
    let mut view = cache_view();
    for e in &mut view.entries {
        e.on_disk = false;
    }
    app.model.apply(Msg::Cache(Box::new(view)));
    render(&mut app, 100, 20);
    key(&mut app, KeyCode::Char('d'));
    let asked = app.confirm.as_ref().map(|c| c.question.clone());
    assert_eq!(asked.as_deref(), Some("Evict 0e3c1f2a9b8c from memory?"));
}

#[test]
fn a_passing_message_fades_and_an_error_stays() {
    let mut app = app();
    app.model.say("saved small.yaml", false);
    app.model.now_ms += 9000;
    let screen = render(&mut app, 120, 24);
    assert!(!screen.contains("saved small.yaml"), "{screen}");
    app.model.say("cannot save small.yaml: read-only", true);
    app.model.now_ms += 60_000;
    let screen = render(&mut app, 120, 24);
    assert!(
        screen.contains("cannot save small.yaml: read-only"),
        "{screen}"
    );
}

#[test]
fn inputs_added_and_removed_while_the_workbench_runs_show() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let write = |name: &str| {
        if let Err(e) = std::fs::write(dir.path().join(name), "kernel: k.c\n") {
            panic!("{e}");
        }
    };
    write("b.yaml");
    write("c.yaml");
    let mut app = App::new(super::panes::inputs::yaml_files(dir.path()), vec![]);
    app.model.now_ms = NOW;
    app.inputs.follow(dir.path());
    focus(&mut app, PaneId::Inputs);
    key(&mut app, KeyCode::Down);
    write("a.yaml");
    app.model.now_ms += 1500;
    let screen = render(&mut app, 100, 20);
    assert!(screen.contains("a.yaml"), "{screen}");
    // The selection stays on c.yaml, now the third row.
    assert_eq!(
        app.inputs.selected_input(),
        Some(dir.path().join("c.yaml").as_path())
    );
    if let Err(e) = std::fs::remove_file(dir.path().join("b.yaml")) {
        panic!("{e}");
    }
    app.model.now_ms += 1500;
    let screen = render(&mut app, 100, 20);
    assert!(!screen.contains("b.yaml"), "{screen}");
}
