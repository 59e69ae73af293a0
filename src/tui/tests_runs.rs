//! The Runs pane's tests: columns, filter, sort and per-profile
//! percentiles (fixtures from `tests`). Runs are fed as the engine sends
//! them: the fixture request's events, with the profile, cache key, times
//! and the guard's timing changed per run.

use super::panes::PaneId;
use super::tests::*;
use super::worker::Msg;
use crate::engine::EventKind;
use crossterm::event::KeyCode;
use std::path::PathBuf;

/// The cache key a profile's runs ask for: `small`'s is the fixture
/// cache's timed entry (1.43×), the others' entries have no timing.
fn key_of(profile: &str) -> String {
    match profile {
        "small" => request(1, "x", true, usize::MAX)
            .into_iter()
            .find_map(|m| match m {
                Msg::Event(e) => match e.kind {
                    EventKind::Cache { key, .. } => Some(key),
                    _ => None,
                },
                _ => None,
            })
            .unwrap_or_default(),
        "flags" => "7a".repeat(32),
        "generic" => "cf".repeat(32),
        other => format!("{other:0>64}"),
    }
}

/// A run as its events tell it.
struct Run {
    id: u64,
    input: &'static str,
    profile: &'static str,
    hit: bool,
    total_micros: u64,
    kernel_nanos: u64,
    /// The guard's timing of a miss's variant: (generic ns, variant ns).
    timed: Option<(u64, u64)>,
}

impl Run {
    fn new(
        id: u64,
        input: &'static str,
        profile: &'static str,
        hit: bool,
        total_micros: u64,
    ) -> Run {
        Run {
            id,
            input,
            profile,
            hit,
            total_micros,
            kernel_nanos: 8300,
            timed: None,
        }
    }

    fn kernel(self, kernel_nanos: u64) -> Run {
        Run {
            kernel_nanos,
            ..self
        }
    }

    fn timed(self, generic_ns: u64, variant_ns: u64) -> Run {
        Run {
            timed: Some((generic_ns, variant_ns)),
            ..self
        }
    }

    fn msgs(&self) -> Vec<Msg> {
        let key = key_of(self.profile);
        let mut out = Vec::new();
        for m in request(
            self.id,
            &format!("sample-inputs/{}", self.input),
            self.hit,
            usize::MAX,
        ) {
            let Msg::Event(mut e) = m else {
                out.push(m);
                continue;
            };
            let executed = matches!(e.kind, EventKind::Executed { .. });
            match &mut e.kind {
                EventKind::Selected { profile, .. } => *profile = self.profile.into(),
                EventKind::Planned { plan } => plan.profile = self.profile.into(),
                EventKind::Cache { key: k, .. } => *k = key.clone(),
                EventKind::Building {
                    profile, key: k, ..
                } => {
                    *profile = self.profile.into();
                    *k = key.clone();
                }
                EventKind::Executed {
                    execution, variant, ..
                } => {
                    execution.kernel_nanos = self.kernel_nanos;
                    *variant = key.clone();
                }
                EventKind::Finished { total_micros, .. } => *total_micros = self.total_micros,
                _ => {}
            }
            // The guard's timing comes before the execution.
            if let (true, Some((g, v))) = (executed, self.timed) {
                out.push(ev(
                    self.id,
                    29_000,
                    EventKind::Timed {
                        key: key.clone(),
                        profile: self.profile.into(),
                        timed: tailor_timed(g, v),
                    },
                ));
            }
            out.push(Msg::Event(e));
        }
        out
    }
}

fn feed(app: &mut super::app::App, runs: impl IntoIterator<Item = Run>) {
    for r in runs {
        for m in r.msgs() {
            app.model.apply(m);
        }
    }
}

/// A request that failed before it was selected.
fn failed(app: &mut super::app::App, id: u64, input: &str) {
    app.model.apply(ev(
        id,
        0,
        EventKind::Received {
            input: PathBuf::from(input),
        },
    ));
    app.model.apply(ev(
        id,
        10,
        EventKind::Failed {
            error: format!("{input}: no such file"),
        },
    ));
}

/// Six runs over three profiles: misses timed by the guard (one slower
/// than generic), hits timed by the cache, a long input name, a failure.
fn mixed() -> super::app::App {
    let mut app = app();
    focus(&mut app, PaneId::Runs);
    app.model.apply(Msg::Cache(Box::new(cache_view())));
    feed(
        &mut app,
        [
            Run::new(1, "dot-small.yaml", "small", false, 33_000).timed(2000, 1000),
            Run::new(2, "dot-small.yaml", "small", true, 640),
            Run::new(3, "reduce.yaml", "flags", false, 12_000)
                .kernel(21_000)
                .timed(20_000, 25_000),
            Run::new(
                4,
                "matrix-multiply-large-floats.yaml",
                "generic",
                false,
                48_000,
            )
            .kernel(1_200_000),
            Run::new(5, "reduce.yaml", "flags", true, 900).kernel(19_000),
        ],
    );
    failed(&mut app, 6, "sample-inputs/gone.yaml");
    app
}

/// Whether a screen line shows a run: inside a pane on the left (not the
/// status bar), with an input's name, whole or cut (not the summary,
/// which starts with a number too).
fn is_run(line: &str) -> bool {
    line.trim_start_matches('"').starts_with(['┃', '│'])
        && (line.contains(".yaml") || line.contains('…'))
}

/// The requests of the list's rows, top to bottom.
fn order(screen: &str) -> Vec<u64> {
    screen
        .lines()
        .filter(|l| is_run(l))
        .filter_map(|l| {
            let rest = l.trim_start_matches(['"', '┃', '│', ' ', '▸']);
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            rest[digits.len()..]
                .starts_with(' ')
                .then(|| digits.parse().ok())
                .flatten()
        })
        .collect()
}

/// The request of the list's selected row (a pane's rows start at its
/// left border, so other panes' marks are not taken for it).
fn selected(screen: &str) -> Option<u64> {
    screen.lines().find_map(|l| {
        let rest = l.trim_start_matches(['"', '┃', '│']).strip_prefix('▸')?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        rest[digits.len()..]
            .starts_with(' ')
            .then(|| digits.parse().ok())
            .flatten()
    })
}

/// The line of the list that shows request `id`.
fn row_of(screen: &str, id: u64) -> String {
    screen
        .lines()
        .find(|l| {
            let rest = l.trim_start_matches(['"', '┃', '│', ' ', '▸']);
            rest.starts_with(&format!("{id} ")) && is_run(l)
        })
        .unwrap_or_else(|| panic!("request {id} is not listed:\n{screen}"))
        .to_owned()
}

/// The text of the prompt typed after `f`, then Enter.
fn filter(app: &mut super::app::App, text: &str) {
    keys(app, "f");
    // Ctrl-U clears what the prompt was prefilled with.
    app.handle_key(crossterm::event::KeyEvent::new(
        KeyCode::Char('u'),
        crossterm::event::KeyModifiers::CONTROL,
    ));
    keys(app, text);
    key(app, KeyCode::Enter);
}

/// A `/` search for `text` (the prompt offers the last one: cleared).
fn search(app: &mut super::app::App, text: &str) {
    keys(app, "/");
    app.handle_key(crossterm::event::KeyEvent::new(
        KeyCode::Char('u'),
        crossterm::event::KeyModifiers::CONTROL,
    ));
    keys(app, text);
    key(app, KeyCode::Enter);
}

#[test]
fn runs_list_shows_version_and_speedup_and_says_what_has_no_room() {
    let mut app = mixed();
    let narrow = render(&mut app, 80, 24);
    // The main facts of every run read on 80 columns.
    for (id, facts) in [
        (
            1,
            &["dot-small.yaml", "small", "ok", "miss", "33 ms", "verified"][..],
        ),
        (
            2,
            &[
                "dot-small.yaml",
                "small",
                "ok",
                "hit",
                "0.64 ms",
                "verified (cached)",
            ],
        ),
        (
            3,
            &["reduce.yaml", "flags", "ok", "miss", "12 ms", "verified"],
        ),
        (4, &["generic", "ok", "miss", "48 ms", "verified"]),
        (5, &["reduce.yaml", "flags", "hit", "0.90 ms"]),
        (6, &["gone.yaml", "failed"]),
    ] {
        let row = row_of(&narrow, id);
        for f in facts {
            assert!(row.contains(f), "{f} of run {id} in `{row}`:\n{narrow}");
        }
    }
    // What has no room is said: the columns left out, and the one name
    // too long to fit whole ends in `…`.
    assert!(
        row_of(&narrow, 4).contains("matrix-multiply-large-floa… generic"),
        "{narrow}"
    );
    assert_eq!(narrow.matches('…').count(), 1, "{narrow}");
    assert!(
        narrow.contains("sort: newest first · no room for version, worker, kernel, speedup"),
        "{narrow}"
    );
    insta::assert_snapshot!("list_80x24", narrow);

    // Zoomed at 160: every column, nothing cut.
    keys(&mut app, "z");
    let wide = render(&mut app, 160, 48);
    let version: String = plan().profile_version.chars().take(8).collect();
    for h in ["version", "worker", "kernel", "speedup"] {
        assert!(wide.contains(h), "{h}:\n{wide}");
    }
    let row = |id| row_of(&wide, id);
    assert!(row(1).contains(&version), "{wide}");
    // A miss's speedup is the guard's timing of its own request; a hit's,
    // the cache entry's; a variant slower than generic says so; unknown
    // is `-`.
    assert!(row(1).contains("2.00×"), "{}", row(1));
    assert!(row(2).contains("1.43×"), "{}", row(2));
    assert!(row(3).contains("0.80×"), "{}", row(3));
    assert!(row(4).contains(" - "), "{}", row(4));
    assert!(row(4).contains("1.20 ms"), "kernel: {}", row(4));
    assert!(!wide.contains('…'), "nothing cut at 160:\n{wide}");
    insta::assert_snapshot!("list_160x48_zoomed", wide);

    // In the grid (the pane bottom left, room for five rows) the main
    // facts read whole; kernel and speedup give way to the long name.
    keys(&mut app, "z");
    let grid = render(&mut app, 160, 48);
    assert!(app.grid);
    for id in 2..=5 {
        let row = row_of(&grid, id);
        assert!(row.contains("ok") && row.contains(" ms"), "{row}");
    }
    assert!(
        row_of(&grid, 4).contains("matrix-multiply-large-floats.yaml"),
        "{grid}"
    );
}

#[test]
fn s_sorts_by_total_kernel_speedup_profile_and_back_to_newest() {
    let mut app = mixed();
    let screen = render(&mut app, 120, 30);
    assert_eq!(order(&screen), vec![6, 5, 4, 3, 2, 1], "{screen}");
    assert!(screen.contains("sort: newest first"), "{screen}");
    // End to end, slowest first; the failed run (no time) last.
    keys(&mut app, "s");
    let screen = render(&mut app, 120, 30);
    assert!(screen.contains("sort: slowest total first"), "{screen}");
    assert_eq!(order(&screen), vec![4, 1, 3, 5, 2, 6], "{screen}");
    // Kernel time, slowest first; ties newest first.
    keys(&mut app, "s");
    let screen = render(&mut app, 120, 30);
    assert!(screen.contains("sort: slowest kernel first"), "{screen}");
    assert_eq!(order(&screen), vec![4, 3, 5, 2, 1, 6], "{screen}");
    // Speedup, highest first: 2.00×, 1.43×, 0.80×, then unknown.
    keys(&mut app, "s");
    let screen = render(&mut app, 120, 30);
    assert!(screen.contains("sort: highest speedup first"), "{screen}");
    assert_eq!(order(&screen), vec![1, 2, 3, 6, 5, 4], "{screen}");
    // Profile by name, newest first within one; none last.
    keys(&mut app, "s");
    let screen = render(&mut app, 120, 30);
    assert!(screen.contains("sort: profile, then newest"), "{screen}");
    assert_eq!(order(&screen), vec![5, 3, 4, 2, 1, 6], "{screen}");
    keys(&mut app, "s");
    let screen = render(&mut app, 120, 30);
    assert_eq!(order(&screen), vec![6, 5, 4, 3, 2, 1], "{screen}");
}

#[test]
fn a_sort_shows_its_top_and_the_selection_stays_on_its_request_as_runs_come() {
    let mut app = mixed();
    render(&mut app, 120, 30);
    // Request 3, the fourth newest.
    keys(&mut app, "jjj");
    assert_eq!(selected(&render(&mut app, 120, 30)), Some(3));
    // Each sort starts at its top row.
    for _ in 0..5 {
        keys(&mut app, "s");
        let screen = render(&mut app, 120, 30);
        assert_eq!(
            selected(&screen),
            order(&screen).first().copied(),
            "{screen}"
        );
    }
    // Sorted by total (slowest first), request 3 selected, a new slower
    // run comes in above it.
    keys(&mut app, "s");
    let screen = render(&mut app, 120, 30);
    let at = order(&screen).iter().position(|&r| r == 3).unwrap_or(0);
    for _ in 0..at {
        keys(&mut app, "j");
    }
    feed(
        &mut app,
        [Run::new(7, "reduce.yaml", "flags", false, 90_000)],
    );
    let screen = render(&mut app, 120, 30);
    assert_eq!(order(&screen)[0], 7, "{screen}");
    assert_eq!(selected(&screen), Some(3), "{screen}");
    // Enter opens the selected request, wherever its row now is.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.focus, PaneId::Pipeline);
    let screen = render(&mut app, 100, 14);
    assert!(screen.contains("#3 reduce.yaml → flags"), "{screen}");

    // Newest first, the top row follows new runs.
    let mut app = mixed();
    render(&mut app, 120, 30);
    feed(&mut app, [Run::new(7, "reduce.yaml", "flags", true, 700)]);
    assert_eq!(selected(&render(&mut app, 120, 30)), Some(7));
}

#[test]
fn f_filters_the_runs_and_the_summary_says_how_many_show() {
    let mut app = mixed();
    let all = render(&mut app, 80, 24);
    assert!(all.contains("6 runs · hit 40%"), "{all}");
    filter(&mut app, "miss");
    let screen = render(&mut app, 80, 24);
    assert_eq!(order(&screen), vec![4, 3, 1], "{screen}");
    // The summary is of the runs shown, and says a filter is on.
    assert!(
        screen.contains("3 of 6 runs (filter: miss) · hit 0%"),
        "{screen}"
    );
    assert!(
        screen.contains("p50 33 ms · p95 48 ms · p99 48 ms"),
        "{screen}"
    );
    insta::assert_snapshot!("filtered_80x24", screen);
    // `f` again offers the filter to edit.
    keys(&mut app, "f");
    assert_eq!(app.prompt.as_ref().map(|p| p.input.as_str()), Some("miss"));
    key(&mut app, KeyCode::Esc);
    // Every word must hold, any case.
    filter(&mut app, "MISS reduce");
    assert_eq!(order(&render(&mut app, 80, 24)), vec![3]);
    // `profile:` is the profile exactly; `input:` the input's name.
    filter(&mut app, "profile:flags");
    let screen = render(&mut app, 80, 24);
    assert_eq!(order(&screen), vec![5, 3], "{screen}");
    assert!(
        screen.contains("2 of 6 runs (filter: profile:flags)"),
        "{screen}"
    );
    filter(&mut app, "profile:fla");
    assert!(order(&render(&mut app, 80, 24)).is_empty());
    filter(&mut app, "input:matrix");
    assert_eq!(order(&render(&mut app, 80, 24)), vec![4]);
    filter(&mut app, "failed");
    let screen = render(&mut app, 80, 24);
    assert_eq!(order(&screen), vec![6], "{screen}");
    assert!(screen.contains("1 failed"), "{screen}");
    // Empty shows all again.
    filter(&mut app, "");
    let screen = render(&mut app, 80, 24);
    assert_eq!(order(&screen), vec![6, 5, 4, 3, 2, 1], "{screen}");
    assert!(
        screen.contains("6 runs") && !screen.contains("filter:"),
        "{screen}"
    );
}

#[test]
fn a_filter_that_matches_nothing_says_so() {
    let mut app = mixed();
    filter(&mut app, "nothing-like-this");
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("0 of 6 runs (filter: nothing-like-this)"),
        "{screen}"
    );
    assert!(
        screen.contains("No run matches the filter `nothing-like-this`."),
        "{screen}"
    );
    assert!(screen.contains("shows all 6 runs"), "{screen}");
    insta::assert_snapshot!("no_match_80x24", screen);
    // Keys and clicks on the empty list do nothing.
    keys(&mut app, "jkGg");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.focus, PaneId::Runs);
}

/// Twenty `small` runs of 1 to 20 ms (every fourth a hit), five `flags`
/// runs, one of which failed.
fn percentiles() -> super::app::App {
    let mut app = app();
    focus(&mut app, PaneId::Runs);
    app.model.apply(Msg::Cache(Box::new(cache_view())));
    // Arrival order shuffled, so the percentiles sort.
    let totals = [
        7, 3, 15, 20, 1, 11, 9, 18, 2, 14, 5, 19, 8, 12, 4, 16, 10, 6, 17, 13,
    ];
    feed(
        &mut app,
        totals.iter().enumerate().map(|(i, ms)| {
            Run::new(
                i as u64 + 1,
                "dot-small.yaml",
                "small",
                i % 4 == 3,
                ms * 1000,
            )
            .kernel(1000 * *ms)
        }),
    );
    feed(
        &mut app,
        [
            Run::new(21, "reduce.yaml", "flags", false, 40_000).kernel(30_000),
            Run::new(22, "reduce.yaml", "flags", true, 500).kernel(10_000),
            Run::new(23, "reduce.yaml", "flags", true, 700).kernel(20_000),
            Run::new(24, "reduce.yaml", "flags", true, 600).kernel(40_000),
        ],
    );
    app.model.apply(ev(
        25,
        0,
        EventKind::Received {
            input: PathBuf::from("sample-inputs/reduce.yaml"),
        },
    ));
    app.model.apply(ev(
        25,
        950,
        EventKind::Selected {
            profile: "flags".into(),
            priority: 20,
            candidates: Vec::new(),
        },
    ));
    app.model.apply(ev(
        25,
        990,
        EventKind::Failed {
            error: "build worker crashed".into(),
        },
    ));
    app
}

/// The per-profile table's row `label`, its words one space apart.
fn profile_row(screen: &str, label: &str) -> String {
    let line = screen
        .lines()
        .find(|l| {
            l.trim_start_matches(['"', '┃', '│', ' ', '▸'])
                .starts_with(&format!("{label} "))
        })
        .unwrap_or_else(|| panic!("no row {label}:\n{screen}"));
    // Up to the pane's right border (a grid has panes to its right).
    line.trim_start_matches(['"', '┃', '│', '▸', ' '])
        .split(['┃', '│'])
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn p_shows_per_profile_percentiles_as_replay_counts_them() {
    let mut app = percentiles();
    keys(&mut app, "p");
    let screen = render(&mut app, 100, 30);
    for h in [
        "profile",
        "runs",
        "hit rate",
        "failed",
        "p50",
        "p95",
        "p99",
        "kernel p50",
    ] {
        assert!(screen.contains(h), "{h}:\n{screen}");
    }
    // small: 20 runs of 1..=20 ms, nearest rank: p50 the 10th (10 ms),
    // p95 the 19th (19 ms), p99 the 20th (20 ms); 5 hits of 20; kernel
    // 1..=20 µs, p50 the 10th.
    assert_eq!(
        profile_row(&screen, "small"),
        "small 20 25.0% 0 10 ms 19 ms 20 ms 10.0 µs",
        "{screen}"
    );
    // flags: 5 finished, 1 failed (left out of the rest, as replay does);
    // totals 0.5, 0.6, 0.7, 40 ms: p50 the 2nd, p95 and p99 the 4th;
    // 3 hits of 4; kernels 10, 20, 30, 40 µs: p50 the 2nd.
    assert_eq!(
        profile_row(&screen, "flags"),
        "flags 5 75.0% 1 0.60 ms 40 ms 40 ms 20.0 µs",
        "{screen}"
    );
    // All 24 completed: p50 the 12th of (0.5, 0.6, 0.7, 1..=20, 40 ms),
    // 9 ms; p95 the 23rd (20 ms); p99 the 24th (40 ms).
    assert_eq!(
        profile_row(&screen, "(all)"),
        "(all) 25 33.3% 1 9.00 ms 20 ms 40 ms 11.0 µs",
        "{screen}"
    );
    // Names come in order, as replay prints them, with all last.
    let (f, s, a) = (
        screen.find("flags ").unwrap_or(usize::MAX),
        screen.find("small ").unwrap_or(0),
        screen.find("(all)").unwrap_or(0),
    );
    assert!(f < s && s < a, "{screen}");

    // The table respects the filter.
    filter(&mut app, "hit");
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("8 of 25 runs (filter: hit)"), "{screen}");
    // small's hits: i = 3, 7, 11, 15, 19, of 20, 18, 19, 16, 13 ms: p50
    // the 3rd (18 ms), p95 and p99 the 5th (20 ms).
    assert_eq!(
        profile_row(&screen, "small"),
        "small 5 100.0% 0 18 ms 20 ms 20 ms 18.0 µs",
        "{screen}"
    );
    filter(&mut app, "");

    // Enter on a profile lists its runs; p goes back and forth.
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("25 runs"), "{screen}");
    keys(&mut app, "gj");
    key(&mut app, KeyCode::Enter);
    let screen = render(&mut app, 100, 30);
    assert!(
        screen.contains("20 of 25 runs (filter: profile:small)"),
        "{screen}"
    );
    assert!(screen.contains("sort: newest first"), "the list:\n{screen}");
    keys(&mut app, "p");
    let screen = render(&mut app, 100, 30);
    assert!(!screen.contains("flags "), "{screen}");
    key(&mut app, KeyCode::Esc);
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("sort: newest first"), "{screen}");
}

#[test]
fn per_profile_snapshots_at_80x24_and_160x48() {
    let mut app = percentiles();
    keys(&mut app, "p");
    insta::assert_snapshot!("per_profile_80x24", render(&mut app, 80, 24));
    keys(&mut app, "z");
    insta::assert_snapshot!("per_profile_160x48_zoomed", render(&mut app, 160, 48));
    keys(&mut app, "z");
    let grid = render(&mut app, 160, 48);
    assert!(app.grid);
    assert_eq!(
        profile_row(&grid, "small"),
        "small 20 25.0% 0 10 ms 19 ms 20 ms 10.0 µs",
        "{grid}"
    );
}

#[test]
fn search_goes_through_the_rows_shown_in_their_order() {
    let mut app = mixed();
    render(&mut app, 120, 30);
    // Sorted by total: 4, 1, 3, 5, 2, 6; filtered to misses: 4, 1, 3.
    keys(&mut app, "s");
    filter(&mut app, "miss");
    keys(&mut app, "g");
    search(&mut app, "small");
    let screen = render(&mut app, 120, 30);
    assert_eq!(selected(&screen), Some(1), "{screen}");
    assert!(screen.contains("match 1 of 1"), "{screen}");
    // In the per-profile view, the search goes through its rows.
    keys(&mut app, "p");
    search(&mut app, "flags");
    let screen = render(&mut app, 120, 30);
    let line = screen
        .lines()
        .find(|l| l.contains('▸'))
        .unwrap_or_default()
        .to_owned();
    assert!(line.contains("flags"), "{screen}");
}

#[test]
fn a_click_selects_the_row_under_it_after_a_sort_and_a_filter() {
    let mut app = mixed();
    keys(&mut app, "s");
    filter(&mut app, "ok");
    let screen = render(&mut app, 120, 30);
    assert_eq!(order(&screen), vec![4, 1, 3, 5, 2], "{screen}");
    click(&mut app, locate(&screen, "0.90 ms"));
    let screen = render(&mut app, 120, 30);
    assert_eq!(selected(&screen), Some(5), "{screen}");
    key(&mut app, KeyCode::Enter);
    let screen = render(&mut app, 100, 14);
    assert!(screen.contains("#5 reduce.yaml → flags"), "{screen}");
}

#[test]
fn the_runs_pane_draws_every_view_at_any_size() {
    let mut app = mixed();
    for view in ["", "p", "pf"] {
        for (w, h) in [
            (1, 1),
            (4, 2),
            (12, 3),
            (20, 5),
            (33, 7),
            (50, 12),
            (79, 23),
        ] {
            focus(&mut app, PaneId::Runs);
            keys(&mut app, view);
            if view.ends_with('f') {
                keys(&mut app, "zzz-no-match");
                key(&mut app, KeyCode::Enter);
            }
            render(&mut app, w, h);
            keys(&mut app, "sjG");
            render(&mut app, w, h);
            filter(&mut app, "");
            if view.starts_with('p') {
                keys(&mut app, "p");
            }
        }
    }
}

#[test]
fn a_summary_too_long_for_one_line_takes_two() {
    let mut app = mixed();
    app.model.apply(Msg::Job(super::worker::JobState::Started {
        label: "replay hot.yaml".into(),
        total: 300,
    }));
    filter(&mut app, "profile:small dot-small");
    let screen = render(&mut app, 80, 24);
    let lines: Vec<&str> = screen.lines().collect();
    assert!(
        lines[2].contains("2 of 6 runs (filter: profile:small dot-small) · hit 50%"),
        "{screen}"
    );
    assert!(
        lines[3].contains("┃p50 0.64 ms · p95 33 ms · p99 33 ms · replay hot.yaml 0/300"),
        "{screen}"
    );
    assert_eq!(order(&screen), vec![2, 1], "{screen}");
}

#[test]
fn columns_take_the_width_the_rows_in_view_need() {
    let mut app = app();
    focus(&mut app, PaneId::Runs);
    app.model.apply(Msg::Cache(Box::new(cache_view())));
    // An old failure with a long input, then many short runs after it.
    let long = format!("sample-inputs/{}.yaml", "a-long-input-name-".repeat(8));
    failed(&mut app, 1, &long);
    feed(
        &mut app,
        (2..=40).map(|id| Run::new(id, "dot-small.yaml", "small", id > 2, 640)),
    );
    let screen = render(&mut app, 120, 20);
    assert!(!screen.contains("no room for"), "{screen}");
    assert!(screen.contains("worker"), "{screen}");
    // Scrolled down to it, the long input is cut to make room.
    key(&mut app, KeyCode::Char('G'));
    let screen = render(&mut app, 120, 20);
    assert_eq!(selected(&screen), Some(1), "{screen}");
    assert!(row_of(&screen, 1).contains('…'), "{screen}");
}
