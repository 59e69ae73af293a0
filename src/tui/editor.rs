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
    /// What each field and node was written as, kept for those an edit
    /// leaves unchanged.
    written: Written,
    text: String,
    /// The file's text when editing began or was last saved.
    base: String,
    undo: Vec<(Mapping, String, ProfileView)>,
    /// Edits taken back, the last undone on top; a new edit clears it.
    redo: Vec<(Mapping, String, ProfileView)>,
    view: ProfileView,
    /// `base` is what this editor wrote (it saved), not what it opened.
    saved: bool,
    /// The undo depth `base` was saved at (0: as opened).
    saved_depth: usize,
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

/// The text of each top-level field and pipeline node as the file wrote
/// it (with the comments and blank lines before it), kept only where it
/// reads back as the very value the document holds.
#[derive(Debug, Clone, Default)]
struct Written {
    fields: Vec<Block>,
    nodes: Vec<Block>,
    /// Comments and blank lines after the last field.
    tail: String,
}

/// A field or node as written: its key, its value, its text, and how
/// much of that text is the comments and blank lines before it.
#[derive(Debug, Clone)]
struct Block {
    key: Value,
    value: Value,
    text: String,
    trivia: usize,
}

impl Written {
    /// Cuts `source` (less its `header`) into fields, and the pipeline's
    /// block into nodes. A block whose text does not parse alone to its
    /// field (or node) and value in `doc` is not kept.
    fn of(source: &str, header: &str, doc: &Mapping) -> Written {
        // Every block ends its last line, so none runs into the next.
        let mut body = source.get(header.len()..).unwrap_or("").to_owned();
        if !body.is_empty() && !body.ends_with('\n') {
            body.push('\n');
        }
        let body = body.as_str();
        let mut out = Written::default();
        for (text, trivia_end) in blocks(body, 0) {
            let Some((key, value)) = one_entry(&text) else {
                continue;
            };
            if doc.get(&key) != Some(&value) {
                continue;
            }
            if key.as_str() == Some("pipeline") {
                if let Some(nodes) = value.as_mapping() {
                    out.nodes = node_blocks(&text[trivia_end..], nodes);
                }
            }
            out.fields.push(Block {
                key,
                value,
                text,
                trivia: trivia_end,
            });
        }
        // Trailing comments: what follows the last block's last line.
        let trimmed = body.trim_end_matches(['\n', ' ']);
        if let Some(last) = trimmed.lines().last() {
            if last.trim_start().starts_with('#') && !out.fields.is_empty() {
                let end: String = body
                    .lines()
                    .rev()
                    .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .map(|l| format!("{l}\n"))
                    .collect();
                out.tail = end;
            }
        }
        out
    }

    /// `key: value` as written when unchanged; else the comments that
    /// stood before it and `fresh`.
    fn field(&self, key: &Value, value: &Value, fresh: impl FnOnce() -> String) -> String {
        Self::keep(&self.fields, key, value, fresh)
    }

    fn node(&self, key: &Value, value: &Value, fresh: impl FnOnce() -> String) -> String {
        Self::keep(&self.nodes, key, value, fresh)
    }

    fn keep(
        blocks: &[Block],
        key: &Value,
        value: &Value,
        fresh: impl FnOnce() -> String,
    ) -> String {
        match blocks.iter().find(|b| b.key == *key) {
            Some(b) if b.value == *value => b.text.clone(),
            Some(b) => format!("{}{}", &b.text[..b.trivia], fresh()),
            None => fresh(),
        }
    }

    /// The width node names are padded to in the nodes as written (the
    /// column their values start at, less the indent and the colon),
    /// when they are one-line `  name:   { … }` entries.
    fn value_column(&self) -> Option<usize> {
        self.nodes.iter().find_map(|b| {
            let line = b.text[b.trivia..].lines().next()?;
            let rest = line.strip_prefix("  ")?;
            let colon = rest.find(':')?;
            let after = &rest[colon + 1..];
            let pad = after.len() - after.trim_start().len();
            (pad >= 1 && after.trim_start().starts_with('{')).then(|| colon + pad - 1)
        })
    }
}

/// `text` cut into blocks at lines indented by exactly `indent` that
/// start an entry; comment and blank lines go with the entry after them.
/// Each block's text, and where its leading comments end.
fn blocks(text: &str, indent: usize) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    let mut trivia = String::new();
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let lead = line.len() - t.len();
        if t.trim().is_empty() || t.starts_with('#') {
            trivia.push_str(line);
        } else if lead == indent {
            let at = trivia.len();
            out.push((std::mem::take(&mut trivia) + line, at));
        } else if let Some((block, _)) = out.last_mut() {
            // A continuation: comments inside it stay inside it.
            block.push_str(&std::mem::take(&mut trivia));
            block.push_str(line);
        }
    }
    out
}

/// The one entry a block's text parses to.
fn one_entry(text: &str) -> Option<(Value, Value)> {
    let m: Mapping = serde_yaml::from_str(text).ok()?;
    if m.len() != 1 {
        return None;
    }
    m.into_iter().next()
}

/// The nodes of a pipeline block (its `pipeline:` line first) as written.
fn node_blocks(text: &str, nodes: &Mapping) -> Vec<Block> {
    let mut lines = text.split_inclusive('\n');
    if lines.next().is_none() {
        return Vec::new();
    }
    let rest: String = lines.collect();
    let Some(indent) = rest
        .lines()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| l.len() - l.trim_start().len())
    else {
        return Vec::new();
    };
    blocks(&rest, indent)
        .into_iter()
        .filter_map(|(text, trivia)| {
            let dedented: String = text
                .split_inclusive('\n')
                .map(|l| {
                    let n = (l.len() - l.trim_start().len()).min(indent);
                    &l[n..]
                })
                .collect();
            let (name, value) = one_entry(&dedented)?;
            (nodes.get(&name) == Some(&value)).then_some(Block {
                key: name,
                value,
                text,
                trivia,
            })
        })
        .collect()
}

/// The profile as text: each field and node as the file wrote it where an
/// edit left it unchanged, the rest in the compact style of the shipped
/// files. Falls back to [`render`] whole if the result would not read
/// back as `doc`.
fn render_keeping(header: &str, doc: &Mapping, written: &Written) -> String {
    let mut out = header.to_owned();
    for (k, v) in doc {
        let text = written.field(k, v, || match (k.as_str(), v) {
            (Some("pipeline"), Value::Mapping(nodes)) if !nodes.is_empty() => {
                let mut out = "pipeline:\n".to_owned();
                // A new line lines up with the nodes kept as written.
                let width = nodes.keys().map(|n| flow(n).len()).max().unwrap_or(0);
                let width = written.value_column().map_or(width, |c| width.max(c));
                for (name, node) in nodes {
                    out.push_str(&written.node(name, node, || node_line(name, node, width)));
                }
                out
            }
            _ => field_line(k, v),
        });
        out.push_str(&text);
    }
    out.push_str(&written.tail);
    match serde_yaml::from_str::<Mapping>(&out) {
        Ok(back) if back == *doc => out,
        _ => render(header, doc),
    }
}

fn node_line(name: &Value, node: &Value, width: usize) -> String {
    let name = format!("{}:", flow(name));
    format!("  {name:<w$} {}\n", flow(node), w = width + 1)
}

fn field_line(k: &Value, v: &Value) -> String {
    format!(
        "{}: {}\n",
        flow(k),
        block_scalar(v).unwrap_or_else(|| flow(v))
    )
}

/// The profile as text in the compact style of the shipped files.
fn render(header: &str, doc: &Mapping) -> String {
    let mut out = header.to_owned();
    for (k, v) in doc {
        match (k.as_str(), v) {
            (Some("pipeline"), Value::Mapping(nodes)) if !nodes.is_empty() => {
                out.push_str("pipeline:\n");
                let width = nodes.keys().map(|n| flow(n).len()).max().unwrap_or(0);
                for (name, node) in nodes {
                    out.push_str(&node_line(name, node, width));
                }
            }
            _ => out.push_str(&field_line(k, v)),
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
        let header = header_of(source);
        Ok(Editor {
            file: file.to_owned(),
            written: Written::of(source, &header, &doc),
            header,
            doc,
            text: source.to_owned(),
            base: source.to_owned(),
            undo: Vec::new(),
            redo: Vec::new(),
            view,
            saved: false,
            saved_depth: 0,
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

    /// How many edits (made, or undone past a save) stand between the text
    /// and the file as last saved or opened.
    pub fn unsaved_edits(&self) -> usize {
        self.undo.len().abs_diff(self.saved_depth)
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
        let text = render_keeping(&self.header, &doc, &self.written);
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
        self.written = Written::of(&self.text, &self.header, &self.doc);
        self.saved = true;
        self.saved_depth = self.undo.len();
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

    /// The lines of `a` and `b` that differ, as (removed, added).
    fn changed(a: &str, b: &str) -> (Vec<String>, Vec<String>) {
        let diff = similar::TextDiff::from_lines(a, b);
        let mut out = (Vec::new(), Vec::new());
        for c in diff.iter_all_changes() {
            match c.tag() {
                similar::ChangeTag::Delete => out.0.push(c.value().to_owned()),
                similar::ChangeTag::Insert => out.1.push(c.value().to_owned()),
                similar::ChangeTag::Equal => {}
            }
        }
        out
    }

    const COMMENTED: &str = "# Ops' profile.\n\nname: small\n# raised for the batch jobs\npriority: 40\nmatch: size(arrays) > 0\npipeline:\n  # bind what is known\n  bind:\n    transform: specialize\n    bind: ints\n  clean:     { transform: dce, after: bind }   # tidy\n\n  vec:       { transform: vectorize, after: clean,\n               when: \"arrays.all(x, x.len >= 64)\" }\n# end of file\n";

    #[test]
    fn an_edit_changes_only_the_lines_of_what_it_changes() {
        let mut e = Editor::open(Path::new("profiles/small.yaml"), COMMENTED).expect("valid");
        e.apply(&field("priority", Some("45"))).expect("valid");
        assert_eq!(
            changed(COMMENTED, e.text()),
            (vec!["priority: 40\n".into()], vec!["priority: 45\n".into()])
        );
        // A parameter: its node's line alone, lined up with the others.
        e.apply(&Edit::SetParam {
            node: "clean".into(),
            key: "aggressive".into(),
            value: Some("true".into()),
        })
        .expect("valid");
        let (removed, added) = changed(COMMENTED, e.text());
        assert_eq!(removed.len(), 2, "{removed:?}");
        assert_eq!(
            added[1],
            "  clean:     { transform: dce, after: bind, aggressive: true }\n"
        );
        // A node removed: its lines and its comment go, the rest stays.
        let mut e = Editor::open(Path::new("profiles/small.yaml"), COMMENTED).expect("valid");
        e.apply(&Edit::RemoveNode {
            node: "bind".into(),
        })
        .expect("valid");
        let (removed, _) = changed(COMMENTED, e.text());
        assert!(
            removed.iter().any(|l| l.contains("# bind what is known")),
            "{removed:?}"
        );
        assert!(e
            .text()
            .contains("# raised for the batch jobs\npriority: 40\n"));
        assert!(e.text().ends_with("# end of file\n"), "{}", e.text());
        assert!(e.text().contains("               when: "), "{}", e.text());
    }

    #[test]
    fn what_the_editor_writes_always_reads_back_as_what_it_edited() {
        // Odd layouts (flow maps over lines, anchors, a document marker)
        // either keep their text or are rendered afresh: never a text that
        // says something else.
        for source in [
            COMMENTED,
            SMALL,
            "---\nname: small\npipeline: { a: { transform: dce } }\n",
            "name: small\npipeline:\n  a: &x { transform: dce }\n  b: { transform: dce, after: a }\n",
            "name: small\npriority:\n  40\npipeline:\n    a:\n        transform: dce\n",
            "name: small\npipeline: { a: { transform: dce } }",
        ] {
            let mut e = match Editor::open(Path::new("profiles/small.yaml"), source) {
                Ok(e) => e,
                Err(err) => panic!("{source}: {err}"),
            };
            e.apply(&field("priority", Some("41"))).expect("valid");
            let back: Mapping = serde_yaml::from_str(e.text()).expect("YAML");
            assert_eq!(back, e.doc, "{source}\n→\n{}", e.text());
            assert_eq!(back.get("priority"), Some(&Value::from(41)));
        }
    }

    #[test]
    fn a_file_without_its_last_newline_keeps_its_lines() {
        let source = "name: small\n# keep me\npriority: 40\npipeline: { a: { transform: dce } }";
        let mut e = Editor::open(Path::new("profiles/small.yaml"), source).expect("valid");
        e.apply(&field("description", Some("tidy"))).expect("valid");
        assert_eq!(
            e.text(),
            "name: small\n# keep me\npriority: 40\npipeline: { a: { transform: dce } }\ndescription: tidy\n"
        );
    }

    #[test]
    fn a_field_edit_of_each_shipped_profile_is_a_one_line_diff() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("profiles/") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|x| x != "yaml") {
                continue;
            }
            let source = std::fs::read_to_string(&path).expect("read");
            let mut e = Editor::open(&path, &source).expect("a shipped profile loads");
            e.apply(&field("description", Some("retuned by ops")))
                .expect("valid");
            let (removed, added) = changed(&source, e.text());
            assert!(
                removed.len() <= 1 && added.len() == 1,
                "{}: {removed:?} {added:?}",
                path.display()
            );
            seen += 1;
        }
        assert!(seen >= 5, "{seen} profiles");
    }

    #[test]
    fn unsaved_edits_count_from_the_last_save() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("small.yaml");
        std::fs::write(&file, SMALL).expect("write");
        let mut e = Editor::open(&file, SMALL).expect("valid");
        e.apply(&field("priority", Some("41"))).expect("valid");
        e.apply(&field("priority", Some("42"))).expect("valid");
        assert_eq!(e.unsaved_edits(), 2);
        e.save(false).expect("saved");
        assert_eq!(e.unsaved_edits(), 0);
        e.apply(&field("priority", Some("43"))).expect("valid");
        assert_eq!(e.unsaved_edits(), 1);
        // Undone past the save: one edit away from the file again.
        e.undo();
        e.undo();
        assert_eq!(e.unsaved_edits(), 1);
        assert!(e.dirty());
    }
}
