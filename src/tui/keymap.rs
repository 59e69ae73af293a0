//! Every key binding of the workbench, once, with its description. Keys
//! are looked up here and the help overlay is generated from this table,
//! so the two cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies. A pane's own bindings win over global ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    Profiles,
    /// The Profiles pane with a node selected in the graph.
    Graph,
    Inputs,
    Pipeline,
    Cache,
    Runs,
    Log,
    /// A line of text being typed (a prompt).
    Prompt,
    /// A yes/no question.
    Confirm,
    /// The focused pane after a `/` search found something in it.
    Search,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::Profiles => "Profiles",
            Scope::Graph => "Profiles: node editor (Enter on a profile)",
            Scope::Inputs => "Inputs",
            Scope::Pipeline => "Pipeline",
            Scope::Cache => "Cache",
            Scope::Runs => "Runs",
            Scope::Log => "Log",
            Scope::Prompt => "Typing a value",
            Scope::Confirm => "Confirming",
            Scope::Search => "After a / search",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Help,
    NextPane,
    PrevPane,
    Focus(u8),
    Zoom,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    CancelJob,
    // Profiles / node editor
    AddNode,
    RemoveNode,
    SetTransform,
    SetParam,
    SetWhen,
    AddEdge,
    RemoveEdge,
    Undo,
    Save,
    Revert,
    // Inputs
    RunOnce,
    RunTimes,
    // Pipeline
    FollowLatest,
    ToggleFullIr,
    // Cache
    Evict,
    ClearCache,
    ToggleAsm,
    ShowPipeline,
    Refresh,
    Compare,
    ToggleUnchanged,
    // Profiles: the pending edit
    WhatIf,
    // Runs
    ClearRuns,
    SortRuns,
    FilterRuns,
    RunsByProfile,
    // Search (every pane)
    Search,
    NextMatch,
    PrevMatch,
    ClearSearch,
    // Profiles: the whole profile
    SetField,
    Redo,
    // Log
    ToggleEngineEvents,
    SaveLog,
    // Prompt / confirm
    Accept,
    Dismiss,
}

/// A key with its modifiers, as written in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn k(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}

const fn code(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

pub struct Binding {
    pub scope: Scope,
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
}

const fn b(scope: Scope, keys: &'static [Key], action: Action, help: &'static str) -> Binding {
    Binding {
        scope,
        keys,
        action,
        help,
    }
}

use Action as A;
use Scope as S;

pub const BINDINGS: &[Binding] = &[
    b(
        S::Global,
        &[k('q'), ctrl('c')],
        A::Quit,
        "quit (the terminal is restored)",
    ),
    b(
        S::Global,
        &[k('?'), code(KeyCode::F(1))],
        A::Help,
        "this help",
    ),
    b(S::Global, &[code(KeyCode::Tab)], A::NextPane, "next pane"),
    b(
        S::Global,
        &[code(KeyCode::BackTab)],
        A::PrevPane,
        "previous pane",
    ),
    b(S::Global, &[k('1')], A::Focus(0), "Profiles pane"),
    b(S::Global, &[k('2')], A::Focus(1), "Inputs pane"),
    b(S::Global, &[k('3')], A::Focus(2), "Pipeline pane"),
    b(S::Global, &[k('4')], A::Focus(3), "Cache pane"),
    b(S::Global, &[k('5')], A::Focus(4), "Runs pane"),
    b(S::Global, &[k('6')], A::Focus(5), "Log pane"),
    b(
        S::Global,
        &[k('z')],
        A::Zoom,
        "zoom: the focused pane alone, or all panes",
    ),
    b(S::Global, &[k('k'), code(KeyCode::Up)], A::Up, "up"),
    b(S::Global, &[k('j'), code(KeyCode::Down)], A::Down, "down"),
    b(
        S::Global,
        &[k('h'), code(KeyCode::Left)],
        A::Left,
        "left / back",
    ),
    b(
        S::Global,
        &[k('l'), code(KeyCode::Right)],
        A::Right,
        "right / into",
    ),
    b(
        S::Global,
        &[code(KeyCode::PageUp), ctrl('u')],
        A::PageUp,
        "page up (text: scroll)",
    ),
    b(
        S::Global,
        &[code(KeyCode::PageDown), ctrl('d')],
        A::PageDown,
        "page down (text: scroll)",
    ),
    b(S::Global, &[k('g'), code(KeyCode::Home)], A::Top, "first"),
    b(S::Global, &[k('G'), code(KeyCode::End)], A::Bottom, "last"),
    b(S::Global, &[code(KeyCode::Enter)], A::Open, "open / select"),
    b(S::Global, &[code(KeyCode::Esc)], A::Back, "back / close"),
    b(
        S::Global,
        &[k('x')],
        A::CancelJob,
        "cancel the running batch (runs, replay)",
    ),
    b(
        S::Global,
        &[k('/')],
        A::Search,
        "search the focused pane: its list, the Log, an IR or assembly view",
    ),
    // Profiles
    b(
        S::Profiles,
        &[code(KeyCode::Enter), k('l'), code(KeyCode::Right)],
        A::Open,
        "edit the profile: select its nodes",
    ),
    b(
        S::Profiles,
        &[k('s')],
        A::Save,
        "save the profile's edits: the diff first, y writes it (atomically)",
    ),
    b(S::Profiles, &[k('u')], A::Undo, "undo the last edit"),
    b(
        S::Profiles,
        &[k('U'), ctrl('r')],
        A::Redo,
        "redo the edit undone last",
    ),
    b(
        S::Profiles,
        &[k('f')],
        A::SetField,
        "set a field of the profile (`match`, `priority`, `tolerance`, `finish`, `sandbox`, `guard`, `description`, `name`): `key: value`; `key:` removes",
    ),
    b(
        S::Profiles,
        &[k('m')],
        A::WhatIf,
        "what-if: which sample inputs the unsaved edits would move to another profile or Plan",
    ),
    b(
        S::Profiles,
        &[k('R')],
        A::Revert,
        "drop the edits, back to the file",
    ),
    // Node editor
    b(
        S::Graph,
        &[k('a')],
        A::AddNode,
        "add a node after the selected one",
    ),
    b(
        S::Graph,
        &[k('d')],
        A::RemoveNode,
        "remove the selected node",
    ),
    b(
        S::Graph,
        &[k('t')],
        A::SetTransform,
        "change the node's transform",
    ),
    b(
        S::Graph,
        &[k('p')],
        A::SetParam,
        "set a parameter (`key: value`; `key:` removes)",
    ),
    b(
        S::Graph,
        &[k('w')],
        A::SetWhen,
        "set the node's `when` (empty: always)",
    ),
    b(
        S::Graph,
        &[k('e')],
        A::AddEdge,
        "add an edge into the node (from a predecessor)",
    ),
    b(
        S::Graph,
        &[k('E')],
        A::RemoveEdge,
        "remove an edge into the node",
    ),
    b(S::Graph, &[k('u')], A::Undo, "undo the last edit"),
    b(
        S::Graph,
        &[k('m')],
        A::WhatIf,
        "what-if of the unsaved edits over the sample inputs",
    ),
    b(
        S::Graph,
        &[k('s')],
        A::Save,
        "save: the diff first, y writes it (the engine hot-reloads it)",
    ),
    b(
        S::Graph,
        &[k('R')],
        A::Revert,
        "drop the edits, back to the file",
    ),
    b(
        S::Graph,
        &[code(KeyCode::Esc), k('h'), code(KeyCode::Left)],
        A::Back,
        "back to the profile list",
    ),
    // Inputs
    b(
        S::Inputs,
        &[k('r'), code(KeyCode::Enter)],
        A::RunOnce,
        "run the input once / replay the workload",
    ),
    b(S::Inputs, &[k('n')], A::RunTimes, "run the input N times"),
    // Pipeline
    b(
        S::Pipeline,
        &[k('f')],
        A::FollowLatest,
        "follow the latest request",
    ),
    b(
        S::Pipeline,
        &[k('i')],
        A::ToggleFullIr,
        "diff / whole IR after the step",
    ),
    // Cache
    b(
        S::Cache,
        &[code(KeyCode::Enter)],
        A::Open,
        "open the entry: its optimized IR",
    ),
    b(
        S::Cache,
        &[k('a')],
        A::ToggleAsm,
        "IR / assembly of the open entry",
    ),
    b(
        S::Cache,
        &[k('p')],
        A::ShowPipeline,
        "the entry's steps in the Pipeline pane",
    ),
    b(
        S::Cache,
        &[k('v')],
        A::Compare,
        "the entry beside its generic build: a side-by-side diff (a: assembly), its speedup and the steps that changed it",
    ),
    b(
        S::Cache,
        &[k('u')],
        A::ToggleUnchanged,
        "side by side: show / hide the steps that changed nothing",
    ),
    b(S::Cache, &[k('d')], A::Evict, "evict the entry"),
    b(S::Cache, &[k('D')], A::ClearCache, "clear the whole cache"),
    b(S::Cache, &[k('r')], A::Refresh, "refresh"),
    // Runs
    b(
        S::Runs,
        &[code(KeyCode::Enter)],
        A::Open,
        "the run's Plan in the Pipeline pane (per-profile view: that profile's runs; Esc back)",
    ),
    b(S::Runs, &[k('c')], A::ClearRuns, "clear the list"),
    b(
        S::Runs,
        &[k('s')],
        A::SortRuns,
        "sort by: newest, total time, kernel time, speedup, profile (again: the next)",
    ),
    b(
        S::Runs,
        &[k('f')],
        A::FilterRuns,
        "filter the list: words every shown run contains (`profile:NAME`, `miss`, `failed`); empty shows all",
    ),
    b(
        S::Runs,
        &[k('p')],
        A::RunsByProfile,
        "per-profile percentiles (p50/p95/p99, hit rate) / the list",
    ),
    // Log
    b(
        S::Log,
        &[k('e')],
        A::ToggleEngineEvents,
        "show / hide engine events",
    ),
    b(S::Log, &[k('f')], A::FollowLatest, "follow new lines"),
    b(
        S::Log,
        &[k('w')],
        A::SaveLog,
        "save the Log to tailor-log-<time>.txt in the current folder",
    ),
    // Prompt and confirm
    b(S::Prompt, &[code(KeyCode::Enter)], A::Accept, "apply"),
    b(S::Prompt, &[code(KeyCode::Esc)], A::Dismiss, "cancel"),
    b(S::Confirm, &[k('y')], A::Accept, "yes"),
    b(S::Confirm, &[k('n'), code(KeyCode::Esc)], A::Dismiss, "no"),
    b(S::Search, &[k('n')], A::NextMatch, "next match"),
    b(S::Search, &[k('N')], A::PrevMatch, "previous match"),
    b(
        S::Search,
        &[code(KeyCode::Esc)],
        A::ClearSearch,
        "end the search (n is the pane's own key again)",
    ),
];

fn matches(key: &Key, ev: &KeyEvent) -> bool {
    // Terminals report Shift with upper-case letters and symbols
    // inconsistently; the character itself is what counts.
    let mods = ev.modifiers & !KeyModifiers::SHIFT;
    let code = match ev.code {
        KeyCode::Char(c) if c.is_ascii_uppercase() => KeyCode::Char(c),
        other => other,
    };
    key.code == code && key.mods == mods
}

/// The action `ev` stands for in the first of `scopes` that binds it.
pub fn lookup(scopes: &[Scope], ev: &KeyEvent) -> Option<Action> {
    scopes.iter().find_map(|s| {
        BINDINGS
            .iter()
            .filter(|b| b.scope == *s)
            .find(|b| b.keys.iter().any(|k| matches(k, ev)))
            .map(|b| b.action)
    })
}

/// A key as people write it: `q`, `Ctrl-c`, `↑`, `Enter`.
pub fn key_label(k: &Key) -> String {
    let base = match k.code {
        KeyCode::Char(' ') => "Space".to_owned(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    if k.mods.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{base}")
    } else {
        base
    }
}

/// The help text: one section per scope, one line per binding.
pub fn help_lines() -> Vec<(Option<Scope>, String, &'static str)> {
    let order = [
        S::Global,
        S::Profiles,
        S::Graph,
        S::Inputs,
        S::Pipeline,
        S::Cache,
        S::Runs,
        S::Log,
        S::Search,
        S::Prompt,
        S::Confirm,
    ];
    let mut out = Vec::new();
    for scope in order {
        out.push((Some(scope), String::new(), ""));
        for bnd in BINDINGS.iter().filter(|b| b.scope == scope) {
            let keys: Vec<String> = bnd.keys.iter().map(key_label).collect();
            out.push((None, keys.join(" "), bnd.help));
        }
    }
    out
}

/// The first key bound to `action` in `scope`, for hints in titles.
pub fn first_key(scope: Scope, action: Action) -> String {
    BINDINGS
        .iter()
        .find(|b| b.scope == scope && b.action == action)
        .and_then(|b| b.keys.first())
        .map(key_label)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice_in_one_scope() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for bnd in &BINDINGS[i + 1..] {
                if a.scope != bnd.scope {
                    continue;
                }
                for key in a.keys {
                    assert!(
                        !bnd.keys.contains(key),
                        "{:?} bound twice in {:?}",
                        key_label(key),
                        a.scope
                    );
                }
            }
        }
    }

    #[test]
    fn pane_bindings_win_over_global_ones() {
        let d = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::NONE);
        assert_eq!(lookup(&[S::Cache, S::Global], &d), Some(A::Evict));
        assert_eq!(lookup(&[S::Log, S::Global], &d), None);
        let shift_d = KeyEvent::new(KeyCode::Char('D'), KeyModifiers::SHIFT);
        assert_eq!(
            lookup(&[S::Cache, S::Global], &shift_d),
            Some(A::ClearCache)
        );
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(&[S::Runs, S::Global], &ctrl_c), Some(A::Quit));
    }

    #[test]
    fn every_binding_is_in_the_help() {
        let help = help_lines();
        assert_eq!(
            help.iter().filter(|(s, _, _)| s.is_none()).count(),
            BINDINGS.len()
        );
    }
}
