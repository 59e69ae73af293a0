//! Profile errors: each names the file, the line when one is known, the node
//! when there is one, and what to fix.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq)]
pub struct ProfileError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub node: Option<String>,
    /// Boxed: errors travel in `Result`s on every load path and most are
    /// never built.
    pub kind: Box<ErrorKind>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ErrorKind {
    Io(String),
    /// YAML syntax or shape (serde_yaml's message).
    Yaml(String),
    UnknownTransform {
        name: String,
    },
    MissingTransform,
    UnknownParameter {
        param: String,
        transform: String,
    },
    BadParameter {
        param: String,
        problem: String,
    },
    BadExpression {
        field: String,
        expr: String,
        problem: String,
    },
    UnknownFeature {
        field: String,
        expr: String,
        feature: String,
    },
    UnknownNode {
        name: String,
    },
    Cycle(Vec<String>),
    DuplicateName {
        name: String,
        first: PathBuf,
    },
    EmptyPipeline,
    BadName(String),
    NoGeneric,
}

impl ProfileError {
    pub fn new(file: impl Into<PathBuf>, kind: ErrorKind) -> Self {
        ProfileError {
            file: file.into(),
            line: None,
            node: None,
            kind: Box::new(kind),
        }
    }

    pub fn at(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    pub fn in_node(mut self, node: &str) -> Self {
        self.node = Some(node.to_owned());
        self
    }
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if let Some(node) = &self.node {
            write!(f, "node `{node}`: ")?;
        }
        match self.kind.as_ref() {
            ErrorKind::Io(e) => write!(f, "{e}"),
            ErrorKind::Yaml(e) => write!(f, "{e}"),
            ErrorKind::UnknownTransform { name } => write!(
                f,
                "unknown transform `{name}` (known: {})",
                super::params::TransformKind::names().join(", ")
            ),
            ErrorKind::MissingTransform => write!(
                f,
                "no `transform:` (one of: {})",
                super::params::TransformKind::names().join(", ")
            ),
            ErrorKind::UnknownParameter { param, transform } => {
                let known = super::params::TransformKind::from_name(transform)
                    .map(|t| t.param_names().join(", "))
                    .unwrap_or_default();
                write!(
                    f,
                    "unknown parameter `{param}` for transform `{transform}` (it takes: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known
                    }
                )
            }
            ErrorKind::BadParameter { param, problem } => {
                write!(f, "bad parameter `{param}`: {problem}")
            }
            ErrorKind::BadExpression {
                field,
                expr,
                problem,
            } => write!(f, "bad expression in `{field}`: `{expr}`: {problem}"),
            ErrorKind::UnknownFeature {
                field,
                expr,
                feature,
            } => write!(
                f,
                "unknown feature `{feature}` in `{field}: {expr}` (array features: {})",
                crate::analyze::ARRAY_FEATURES
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ErrorKind::UnknownNode { name } => {
                write!(
                    f,
                    "`after` names `{name}`, which is not a node of this pipeline"
                )
            }
            ErrorKind::Cycle(nodes) => {
                // A long cycle is named by its ends: the message stays a line.
                if nodes.len() > 12 {
                    write!(
                        f,
                        "the pipeline has a cycle of {} nodes: {} -> … -> {}",
                        nodes.len() - 1,
                        nodes[..8].join(" -> "),
                        nodes[nodes.len() - 3..].join(" -> ")
                    )
                } else {
                    write!(f, "the pipeline has a cycle: {}", nodes.join(" -> "))
                }
            }
            ErrorKind::DuplicateName { name, first } => write!(
                f,
                "profile name `{name}` is already used by {}",
                first.display()
            ),
            ErrorKind::EmptyPipeline => write!(f, "the pipeline has no nodes"),
            ErrorKind::BadName(name) => write!(
                f,
                "profile name `{name}` must be letters, digits, `-` and `_`"
            ),
            ErrorKind::NoGeneric => write!(
                f,
                "no profile named `generic`: every request needs the generic fallback"
            ),
        }
    }
}

impl std::error::Error for ProfileError {}
