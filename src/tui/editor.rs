//! The node editor: edits to a profile's YAML, each validated as it is
//! made, with undo and an atomic save.
//!
//! The profile is held as a `serde_yaml::Mapping`. Every edit changes a
//! copy, renders it to text and parses that text with [`Profile::parse`],
//! the same validation a load does: an edit that would make the profile
//! invalid (a cycle, an unknown node, a bad parameter) is refused with the
//! parser's message, which names the cycle, and the profile stays as it
//! was. The text is written in the shipped files' compact style (one flow
//! map per node); the comment block at the top of the file is kept,
//! comments inside it are not (serde_yaml does not keep them).
//!
//! The `passes` pipeline strings are not checked here: that needs LLVM,
//! which stays on the engine thread. A bad one is reported when the saved
//! file reloads, and the last good version stays live.

use super::worker::{flow, ProfileView};
use crate::profile::{params::ParamTy, write_atomic, Profile, TransformKind};
use serde_yaml::{Mapping, Value};
use std::path::{Path, PathBuf};

/// One change to a profile.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// A new node, after `after` when given (so a chain stays connected).
    AddNode {
        name: String,
        transform: String,
        after: Option<String>,
    },
    /// Removes a node; its successors inherit its predecessors, so a chain
    /// through it stays a chain.
    RemoveNode {
        node: String,
    },
    /// Keeps the parameters the new transform takes, drops the others and
    /// fills in the ones it needs.
    SetTransform {
        node: String,
        transform: String,
    },
    /// `value` is YAML (`8`, `true`, `{ n: a.len }`); `None` removes it.
    SetParam {
        node: String,
        key: String,
        value: Option<String>,
    },
    SetWhen {
        node: String,
        when: Option<String>,
    },
    /// `to` runs after `from`.
    AddEdge {
        from: String,
        to: String,
    },
    RemoveEdge {
        from: String,
        to: String,
    },
    /// A top-level field (`match`, `priority`, …): `value` is its text
    /// (YAML for the structured ones); `None` removes it.
    SetField {
        key: String,
        value: Option<String>,
    },
}

/// The top-level fields the field edit sets, with whether the value is
/// taken as plain text (never parsed as YAML, so `a: b` in a description
/// or `a.len <= 64 && a.finite` in a match stays one string).
pub const FIELDS: &[(&str, bool)] = &[
    ("name", true),
    ("description", true),
    ("match", true),
    ("priority", false),
    ("tolerance", false),
    ("finish", true),
    ("sandbox", false),
    ("guard", false),
];

#[derive(Debug, Clone, PartialEq)]
pub enum SaveError {
    /// The file changed on disk since editing began; saving again
    /// overwrites it.
    Conflict,
    Io(String),
}

#[derive(Debug, Clone)]
pub struct Editor {
    file: PathBuf,
    /// The comment block the file starts with.
    header: String,
    doc: Mapping,
    text: String,
    /// The file's text when editing began or was last saved.
    base: String,
    undo: Vec<(Mapping, String, ProfileView)>,
    /// Edits taken back, the last undone on top; a new edit clears it.
    redo: Vec<(Mapping, String, ProfileView)>,
    view: ProfileView,
    /// `base` is what this editor wrote (it saved), not what it opened.
    saved: bool,
}

const RESERVED: [&str; 3] = ["transform", "after", "when"];

fn header_of(source: &str) -> String {
    let mut out = String::new();
    for line in source.lines() {
        let t = line.trim_start();
        if t.starts_with('#') || t.is_empty() {
            out.push_str(line);
            out.push('\n');
        } else {
            break;
        }
    }
    out
}

/// The profile as text in the compact style of the shipped files.
fn render(header: &str, doc: &Mapping) -> String {
    let mut out = header.to_owned();
    for (k, v) in doc {
        let key = flow(k);
        match (k.as_str(), v) {
            (Some("pipeline"), Value::Mapping(nodes)) if !nodes.is_empty() => {
                out.push_str("pipeline:\n");
                let width = nodes.keys().map(|n| flow(n).len()).max().unwrap_or(0);
                for (name, node) in nodes {
                    let name = format!("{}:", flow(name));
                    out.push_str(&format!("  {name:<w$} {}\n", flow(node), w = width + 1));
                }
            }
            _ => out.push_str(&format!(
                "{key}: {}\n",
                block_scalar(v).unwrap_or_else(|| flow(v))
            )),
        }
    }
    out
}

/// A top-level string as serde_yaml writes it when that is one line: plain
/// where YAML allows (`match: a.len <= 64 && a.finite`), quoted otherwise.
fn block_scalar(v: &Value) -> Option<String> {
    if !v.is_string() {
        return None;
    }
    let s = serde_yaml::to_string(v).ok()?;
    let s = s.trim_end_matches('\n');
    (!s.contains('\n')).then(|| s.to_owned())
}

fn validate(file: &Path, text: &str) -> Result<ProfileView, String> {
    match Profile::parse(file, text, None) {
        Ok(p) => Ok(ProfileView::from_profile(&p)),
        Err(errors) => Err(errors
            .iter()
            .map(|e| {
                // The file and line point into text that was never
                // written; the message itself is what tells.
                let s = e.to_string();
                let prefix = format!("{}", e.file.display());
                let s = s.strip_prefix(&prefix).unwrap_or(&s);
                s.trim_start_matches(|c: char| c == ':' || c.is_ascii_digit() || c == ' ')
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join("; ")),
    }
}

fn after_list(node: &Mapping) -> Vec<String> {
    match node.get("after") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Sequence(seq)) => seq
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn set_after(node: &mut Mapping, after: Vec<String>) {
    match after.len() {
        0 => {
            node.remove("after");
        }
        1 => {
            node.insert("after".into(), Value::String(after[0].clone()));
        }
        _ => {
            node.insert(
                "after".into(),
                Value::Sequence(after.into_iter().map(Value::String).collect()),
            );
        }
    }
}

/// Values for the parameters a transform cannot do without.
fn required_defaults(kind: TransformKind) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for p in kind.params().iter().filter(|p| p.required) {
        let v = match p.ty {
            ParamTy::Bind => Value::String("ints".into()),
            ParamTy::Pipeline => Value::String("function(instcombine)".into()),
            ParamTy::Bool => Value::Bool(true),
            ParamTy::Int { min, .. } => Value::Number(min.into()),
            ParamTy::Choice(c) => Value::String(c.first().copied().unwrap_or("").into()),
            ParamTy::Node => Value::String(String::new()),
            ParamTy::List(_) => Value::Sequence(Vec::new()),
        };
        out.push((p.name, v));
    }
    if kind == TransformKind::Unroll {
        out.push(("count", Value::Number(4.into())));
    }
    out
}

fn transform_kind(name: &str) -> Result<TransformKind, String> {
    TransformKind::from_name(name.trim()).ok_or_else(|| {
        format!(
            "unknown transform `{}` (known: {})",
            name.trim(),
            TransformKind::names().join(", ")
        )
    })
}

impl Editor {
    /// Starts editing `source`, the text of `file`.
    pub fn open(file: &Path, source: &str) -> Result<Editor, String> {
        let doc: Mapping = serde_yaml::from_str(source)
            .map_err(|e| format!("{}: not a YAML map: {e}", file.display()))?;
        let view = validate(file, source)?;
        Ok(Editor {
            file: file.to_owned(),
            header: header_of(source),
            doc,
            text: source.to_owned(),
            base: source.to_owned(),
            undo: Vec::new(),
            redo: Vec::new(),
            view,
            saved: false,
        })
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The profile as it would be saved (already validated).
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn view(&self) -> &ProfileView {
        &self.view
    }

    pub fn dirty(&self) -> bool {
        self.text != self.base
    }

    /// This editor has saved the file (its text need not have loaded).
    pub fn saved(&self) -> bool {
        self.saved
    }

    /// This editor wrote the file and nothing has changed it since: its
    /// text is what the file holds, whether or not that loaded.
    pub fn saved_on_disk(&self) -> bool {
        self.saved && std::fs::read_to_string(&self.file).ok().as_deref() == Some(&self.base)
    }

    /// How many edits `undo` can take back.
    pub fn undo_depth(&self) -> usize {
        self.undo.len()
    }

    fn node(&self, name: &str) -> Result<&Mapping, String> {
        self.doc
            .get("pipeline")
            .and_then(Value::as_mapping)
            .and_then(|p| p.get(name))
            .and_then(Value::as_mapping)
            .ok_or_else(|| format!("no node `{name}`"))
    }

    /// Applies an edit if the result is a valid profile; says what changed,
    /// or why it was refused (the profile is then unchanged).
    pub fn apply(&mut self, edit: &Edit) -> Result<String, String> {
        let mut doc = self.doc.clone();
        let message = change(&mut doc, edit, |n| self.node(n).cloned())?;
        let text = render(&self.header, &doc);
        let view = validate(&self.file, &text)?;
        let old = self.swap((doc, text, view));
        self.undo.push(old);
        self.redo.clear();
        Ok(message)
    }

    /// Puts `state` in place and gives back the one it replaced.
    fn swap(
        &mut self,
        (doc, text, view): (Mapping, String, ProfileView),
    ) -> (Mapping, String, ProfileView) {
        (
            std::mem::replace(&mut self.doc, doc),
            std::mem::replace(&mut self.text, text),
            std::mem::replace(&mut self.view, view),
        )
    }

    /// Takes back the last edit; false when there is none.
    pub fn undo(&mut self) -> bool {
        match self.undo.pop() {
            Some(state) => {
                let now = self.swap(state);
                self.redo.push(now);
                true
            }
            None => false,
        }
    }

    /// Makes again the edit undone last; false when there is none.
    pub fn redo(&mut self) -> bool {
        match self.redo.pop() {
            Some(state) => {
                let now = self.swap(state);
                self.undo.push(now);
                true
            }
            None => false,
        }
    }

    /// How many undone edits `redo` can make again.
    pub fn redo_depth(&self) -> usize {
        self.redo.len()
    }

    /// The pending edit as a unified diff of the file as it is on disk
    /// now against what a save would write, and whether the file changed
    /// on disk since editing began (a save then overwrites that change,
    /// which the diff shows as removed).
    pub fn diff(&self) -> (String, bool) {
        let name = self.file.display().to_string();
        let on_disk = std::fs::read_to_string(&self.file).unwrap_or_default();
        let diff = similar::TextDiff::from_lines(&on_disk, &self.text)
            .unified_diff()
            .context_radius(3)
            .header(&name, &format!("{name} (unsaved)"))
            .to_string();
        (diff, on_disk != self.base)
    }

    /// Writes the profile atomically (a temporary file in the same folder,
    /// then a rename), unless the file changed on disk since editing began
    /// and `force` is false.
    pub fn save(&mut self, force: bool) -> Result<(), SaveError> {
        let on_disk = std::fs::read_to_string(&self.file).ok();
        if !force && on_disk.as_deref().is_some_and(|d| d != self.base) {
            return Err(SaveError::Conflict);
        }
        write_atomic(&self.file, &self.text).map_err(|e| SaveError::Io(e.to_string()))?;
        self.base = self.text.clone();
        self.saved = true;
        Ok(())
    }
}

/// Sets (or, with `None`, removes) the top-level field `key` of `doc`.
fn set_field(doc: &mut Mapping, key: &str, value: Option<&str>) -> Result<String, String> {
    let key = key.trim();
    if key == "pipeline" {
        return Err("the pipeline is edited node by node (Enter, then a, d, t, p, w, e)".into());
    }
    let Some(&(_, plain)) = FIELDS.iter().find(|(k, _)| *k == key) else {
        return Err(format!(
            "no field `{key}` (fields: {})",
            FIELDS
                .iter()
                .map(|(k, _)| *k)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(text) => {
            let v = if plain {
                Value::String(text.to_owned())
            } else {
                serde_yaml::from_str(text)
                    .map_err(|e| format!("`{text}` is not a YAML value: {e}"))?
            };
            let was = doc.insert(Value::String(key.into()), v);
            Ok(match was {
                Some(old) => format!("{key}: {} → {text}", flow(&old)),
                None => format!("{key} = {text}"),
            })
        }
        None => {
            if key == "name" {
                return Err("a profile needs its `name`".into());
            }
            match doc.remove(key) {
                Some(_) => Ok(format!("removed {key} (its default applies)")),
                None => Err(format!("the profile sets no `{key}`")),
            }
        }
    }
}

/// Applies `edit` to `doc`; `node` reads a node of the unchanged profile.
fn change(
    doc: &mut Mapping,
    edit: &Edit,
    node: impl Fn(&str) -> Result<Mapping, String>,
) -> Result<String, String> {
    if let Edit::SetField { key, value } = edit {
        return set_field(doc, key, value.as_deref());
    }
    let pipeline = match doc
        .entry(Value::String("pipeline".into()))
        .or_insert_with(|| Value::Mapping(Mapping::new()))
    {
        Value::Mapping(m) => m,
        other => {
            *other = Value::Mapping(Mapping::new());
            match other {
                Value::Mapping(m) => m,
                _ => return Err("`pipeline` is not a map".into()),
            }
        }
    };
    match edit {
        Edit::AddNode {
            name,
            transform,
            after,
        } => {
            let name = name.trim();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(format!(
                    "node names are letters, digits, `-` and `_`, not `{name}`"
                ));
            }
            if pipeline.contains_key(name) {
                return Err(format!("there is already a node `{name}`"));
            }
            let kind = transform_kind(transform)?;
            let mut m = Mapping::new();
            m.insert("transform".into(), Value::String(kind.name().into()));
            for (k, v) in required_defaults(kind) {
                m.insert(k.into(), v);
            }
            if let Some(a) = after {
                m.insert("after".into(), Value::String(a.clone()));
            }
            pipeline.insert(Value::String(name.into()), Value::Mapping(m));
            Ok(match after {
                Some(a) => format!("added {name} ({}) after {a}", kind.name()),
                None => format!("added {name} ({})", kind.name()),
            })
        }
        Edit::RemoveNode { node: name } => {
            let removed = node(name)?;
            let inherited = after_list(&removed);
            pipeline.remove(name.as_str());
            let mut rewired = Vec::new();
            for (k, v) in pipeline.iter_mut() {
                let Value::Mapping(m) = v else { continue };
                let mut after = after_list(m);
                if let Some(pos) = after.iter().position(|a| a == name) {
                    after.remove(pos);
                    for a in &inherited {
                        if !after.contains(a) {
                            after.push(a.clone());
                        }
                    }
                    set_after(m, after);
                    rewired.push(k.as_str().unwrap_or("?").to_owned());
                }
            }
            Ok(if rewired.is_empty() || inherited.is_empty() {
                format!("removed {name}")
            } else {
                format!(
                    "removed {name}; {} now after {}",
                    rewired.join(", "),
                    inherited.join(", ")
                )
            })
        }
        Edit::SetTransform {
            node: name,
            transform,
        } => {
            let old = node(name)?;
            let kind = transform_kind(transform)?;
            let mut m = Mapping::new();
            m.insert("transform".into(), Value::String(kind.name().into()));
            let mut dropped = Vec::new();
            for (k, v) in &old {
                let Some(key) = k.as_str() else { continue };
                if key == "transform" {
                    continue;
                }
                if RESERVED.contains(&key) || kind.params().iter().any(|p| p.name == key) {
                    m.insert(k.clone(), v.clone());
                } else {
                    dropped.push(key.to_owned());
                }
            }
            let mut added = Vec::new();
            // `unroll` needs one of `count` and `full`, not both.
            let has_unroll_param = m.contains_key("count") || m.contains_key("full");
            for (k, v) in required_defaults(kind) {
                if m.contains_key(k) || (kind == TransformKind::Unroll && has_unroll_param) {
                    continue;
                }
                added.push(format!("{k}: {}", flow(&v)));
                m.insert(k.into(), v);
            }
            pipeline.insert(Value::String(name.clone()), Value::Mapping(m));
            let mut msg = format!("{name} is now {}", kind.name());
            if !dropped.is_empty() {
                msg.push_str(&format!("; dropped {}", dropped.join(", ")));
            }
            if !added.is_empty() {
                msg.push_str(&format!("; added {}", added.join(", ")));
            }
            Ok(msg)
        }
        Edit::SetParam {
            node: name,
            key,
            value,
        } => {
            let key = key.trim();
            if RESERVED.contains(&key) {
                return Err(format!("`{key}` has its own edit, not a parameter"));
            }
            let mut m = node(name)?;
            match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                Some(text) => {
                    let v: Value = serde_yaml::from_str(text)
                        .map_err(|e| format!("`{text}` is not a YAML value: {e}"))?;
                    m.insert(Value::String(key.into()), v);
                    pipeline.insert(Value::String(name.clone()), Value::Mapping(m));
                    Ok(format!("{name}: {key} = {text}"))
                }
                None => {
                    if m.remove(key).is_none() {
                        return Err(format!("{name} has no parameter `{key}`"));
                    }
                    pipeline.insert(Value::String(name.clone()), Value::Mapping(m));
                    Ok(format!("{name}: removed {key}"))
                }
            }
        }
        Edit::SetWhen { node: name, when } => {
            let mut m = node(name)?;
            let msg = match when.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
                Some(w) => {
                    m.insert("when".into(), Value::String(w.into()));
                    format!("{name} runs when {w}")
                }
                None => {
                    m.remove("when");
                    format!("{name} runs unconditionally")
                }
            };
            pipeline.insert(Value::String(name.clone()), Value::Mapping(m));
            Ok(msg)
        }
        Edit::AddEdge { from, to } => {
            let mut m = node(to)?;
            let from = from.trim();
            let mut after = after_list(&m);
            if after.iter().any(|a| a == from) {
                return Err(format!("{to} already runs after {from}"));
            }
            after.push(from.to_owned());
            set_after(&mut m, after);
            pipeline.insert(Value::String(to.clone()), Value::Mapping(m));
            Ok(format!("{from} → {to}"))
        }
        // Taken before the pipeline is looked at (above).
        Edit::SetField { .. } => Err("a field is not a node edit".into()),
        Edit::RemoveEdge { from, to } => {
            let mut m = node(to)?;
            let from = from.trim();
            let mut after = after_list(&m);
            let Some(pos) = after.iter().position(|a| a == from) else {
                return Err(format!("{to} does not run after {from}"));
            };
            after.remove(pos);
            set_after(&mut m, after);
            pipeline.insert(Value::String(to.clone()), Value::Mapping(m));
            Ok(format!("removed {from} → {to}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "# General purpose: small arrays.\n# Second line.\n\nname: small\npriority: 40\nmatch: size(arrays) > 0 && arrays.all(x, x.len <= 1024)\ntolerance: { rel: 1e-12, abs: 1e-12 }\npipeline:\n  bind:    { transform: specialize, bind: ints }\n  layout:  { transform: layout, align: 64, noalias: true, after: bind }\n  full:    { transform: unroll, full: true, after: layout,\n             when: \"arrays.all(x, x.len <= 64)\" }\n  clean:   { transform: dce, after: [full] }\n";

    fn editor() -> Editor {
        Editor::open(Path::new("profiles/small.yaml"), SMALL).expect("valid")
    }

    fn field(key: &str, value: Option<&str>) -> Edit {
        Edit::SetField {
            key: key.into(),
            value: value.map(str::to_owned),
        }
    }

    #[test]
    fn a_field_edit_cannot_reach_past_its_field() {
        let mut e = editor();
        let before = e.text().to_owned();
        // Text that would be YAML of its own stays one string: a match or
        // a description cannot add a key or replace the pipeline.
        e.apply(&field("description", Some("x\npriority: 99\npipeline: {}")))
            .expect("a description is any text");
        let p = Profile::parse(Path::new("p.yaml"), e.text(), None).expect("loads");
        assert_eq!(p.priority, 40);
        assert_eq!(p.description, "x\npriority: 99\npipeline: {}");
        assert!(!p.nodes.is_empty(), "the pipeline is untouched");
        e.undo();
        // What a load refuses is refused, and nothing changes.
        for (k, v) in [
            ("priority", Some("high")),
            ("priority", Some("{ a: 1 }")),
            ("tolerance", Some("[1, 2")),
            ("sandbox", Some("{ memory_mib: -1, nonsense: true }")),
            ("match", Some("a.len <=")),
            ("pipeline", Some("{}")),
            ("../name", Some("x")),
            ("name", None),
            ("guard", None),
        ] {
            assert!(e.apply(&field(k, v)).is_err(), "{k}: {v:?} was taken");
            assert_eq!(e.text(), before, "{k}: the profile changed");
        }
        assert_eq!(e.undo_depth(), 0);
    }

    #[test]
    fn the_text_keeps_the_header_and_the_compact_style() {
        let mut e = editor();
        e.apply(&Edit::SetParam {
            node: "layout".into(),
            key: "align".into(),
            value: Some("128".into()),
        })
        .expect("valid edit");
        insta::assert_snapshot!(e.text());
        assert!(e.dirty());
    }

    #[test]
    fn a_cycle_is_refused_and_named() {
        let mut e = editor();
        let before = e.text().to_owned();
        let err = e
            .apply(&Edit::AddEdge {
                from: "clean".into(),
                to: "bind".into(),
            })
            .expect_err("a cycle");
        assert!(
            err.contains("cycle: bind -> layout -> full -> clean -> bind"),
            "{err}"
        );
        assert_eq!(e.text(), before);
        assert_eq!(e.undo_depth(), 0);
    }

    #[test]
    fn bad_parameters_unknown_nodes_and_transforms_are_refused() {
        let mut e = editor();
        let bad = [
            Edit::SetParam {
                node: "layout".into(),
                key: "align".into(),
                value: Some("3".into()),
            },
            Edit::SetParam {
                node: "layout".into(),
                key: "width".into(),
                value: Some("8".into()),
            },
            Edit::AddEdge {
                from: "nosuch".into(),
                to: "clean".into(),
            },
            Edit::SetTransform {
                node: "clean".into(),
                transform: "frobnicate".into(),
            },
            Edit::SetWhen {
                node: "clean".into(),
                when: Some("a.lenn > 3".into()),
            },
            Edit::AddNode {
                name: "bind".into(),
                transform: "dce".into(),
                after: None,
            },
        ];
        for edit in bad {
            let err = e.apply(&edit).expect_err("refused");
            assert!(!err.is_empty());
        }
        assert!(!e.dirty());
    }

    #[test]
    fn edits_chain_and_undo_takes_them_back() {
        let mut e = editor();
        let original = e.text().to_owned();
        e.apply(&Edit::AddNode {
            name: "vec".into(),
            transform: "vectorize".into(),
            after: Some("layout".into()),
        })
        .expect("add");
        e.apply(&Edit::AddEdge {
            from: "vec".into(),
            to: "clean".into(),
        })
        .expect("edge");
        e.apply(&Edit::SetWhen {
            node: "vec".into(),
            when: Some("arrays.all(x, x.finite)".into()),
        })
        .expect("when");
        let msg = e
            .apply(&Edit::SetTransform {
                node: "full".into(),
                transform: "specialize".into(),
            })
            .expect("transform");
        assert!(
            msg.contains("dropped full") && msg.contains("added bind"),
            "{msg}"
        );
        let msg = e
            .apply(&Edit::RemoveNode {
                node: "layout".into(),
            })
            .expect("remove");
        assert!(msg.contains("now after bind"), "{msg}");
        let v = e.view();
        let vec = v.nodes.iter().find(|n| n.name == "vec").expect("vec");
        assert_eq!(vec.after, vec!["bind".to_owned()]);
        assert_eq!(vec.when.as_deref(), Some("arrays.all(x, x.finite)"));
        assert_eq!(e.undo_depth(), 5);
        while e.undo() {}
        assert_eq!(e.text(), original);
        assert!(!e.dirty());
    }

    #[test]
    fn save_is_atomic_and_refuses_to_overwrite_an_outside_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("small.yaml");
        std::fs::write(&path, SMALL).expect("write");
        let mut e = Editor::open(&path, SMALL).expect("valid");
        e.apply(&Edit::RemoveEdge {
            from: "full".into(),
            to: "clean".into(),
        })
        .expect("edit");
        e.save(false).expect("save");
        let saved = std::fs::read_to_string(&path).expect("read");
        assert_eq!(saved, e.text());
        assert!(Profile::parse(&path, &saved, None).is_ok());
        assert!(!e.dirty());
        // Nothing but the profile is left in the folder.
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(|f| f.ok())
            .collect();
        assert_eq!(files.len(), 1);

        std::fs::write(&path, SMALL.replace("priority: 40", "priority: 41")).expect("write");
        e.apply(&Edit::SetWhen {
            node: "clean".into(),
            when: Some("true".into()),
        })
        .expect("edit");
        assert_eq!(e.save(false), Err(SaveError::Conflict));
        e.save(true).expect("forced");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), e.text());
    }

    #[test]
    fn an_invalid_profile_does_not_open() {
        assert!(Editor::open(Path::new("x.yaml"), "name: [").is_err());
        assert!(Editor::open(Path::new("x.yaml"), "name: x\nbogus: 1\n").is_err());
    }
}
