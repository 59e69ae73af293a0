//! The pipeline DAG (petgraph): edges from `after`, cycle detection that
//! names the cycle, and the deterministic order (topological, ties broken by
//! file order).

use super::error::{ErrorKind, ProfileError};
use super::model::Node;
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct Dag {
    /// Node weights are indices into the profile's `nodes` (file order).
    pub graph: DiGraph<usize, ()>,
    /// Every node in execution order.
    pub order: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DagError {
    UnknownNode {
        node: String,
        missing: String,
    },
    /// The nodes of a cycle, the first repeated at the end.
    Cycle(Vec<String>),
}

impl DagError {
    pub fn into_error(self, file: &Path) -> ProfileError {
        match self {
            DagError::UnknownNode { node, missing } => {
                ProfileError::new(file, ErrorKind::UnknownNode { name: missing }).in_node(&node)
            }
            DagError::Cycle(cycle) => ProfileError::new(file, ErrorKind::Cycle(cycle)),
        }
    }
}

impl Dag {
    pub fn build(nodes: &[Node]) -> Result<Dag, DagError> {
        let mut graph = DiGraph::new();
        let ids: Vec<NodeIndex> = (0..nodes.len()).map(|i| graph.add_node(i)).collect();
        // The first node of each name (a duplicate is the parser's error).
        let mut by_name = std::collections::HashMap::with_capacity(nodes.len());
        for (i, n) in nodes.iter().enumerate() {
            by_name.entry(n.name.as_str()).or_insert(i);
        }
        for (i, node) in nodes.iter().enumerate() {
            for pred in &node.after {
                let Some(&p) = by_name.get(pred.as_str()) else {
                    return Err(DagError::UnknownNode {
                        node: node.name.clone(),
                        missing: pred.clone(),
                    });
                };
                graph.update_edge(ids[p], ids[i], ());
            }
        }
        if let Some(cycle) = find_cycle(&graph) {
            return Err(DagError::Cycle(
                cycle.into_iter().map(|i| nodes[i].name.clone()).collect(),
            ));
        }
        let order = kahn(&graph);
        Ok(Dag { graph, order })
    }

    /// Predecessors of node `i` (file indices), in file order.
    pub fn preds(&self, i: usize) -> Vec<usize> {
        let mut p: Vec<usize> = self
            .graph
            .neighbors_directed(NodeIndex::new(i), Direction::Incoming)
            .map(|n| self.graph[n])
            .collect();
        p.sort_unstable();
        p
    }

    /// Successors of node `i` (file indices), in file order.
    pub fn succs(&self, i: usize) -> Vec<usize> {
        let mut s: Vec<usize> = self
            .graph
            .neighbors_directed(NodeIndex::new(i), Direction::Outgoing)
            .map(|n| self.graph[n])
            .collect();
        s.sort_unstable();
        s
    }
}

/// Topological order; among ready nodes the earliest in the file goes first.
fn kahn(graph: &DiGraph<usize, ()>) -> Vec<usize> {
    let mut indegree: Vec<usize> = graph
        .node_indices()
        .map(|n| graph.neighbors_directed(n, Direction::Incoming).count())
        .collect();
    let mut ready: BinaryHeap<Reverse<usize>> = indegree
        .iter()
        .enumerate()
        .filter(|(_, d)| **d == 0)
        .map(|(i, _)| Reverse(i))
        .collect();
    let mut order = Vec::with_capacity(indegree.len());
    while let Some(Reverse(i)) = ready.pop() {
        order.push(graph[NodeIndex::new(i)]);
        for s in graph.neighbors_directed(NodeIndex::new(i), Direction::Outgoing) {
            indegree[s.index()] -= 1;
            if indegree[s.index()] == 0 {
                ready.push(Reverse(s.index()));
            }
        }
    }
    order
}

/// A cycle as file indices, starting and ending at its earliest node.
/// Iterative throughout (Kosaraju's components, hashed lookups), so a
/// pipeline of 100 000 nodes neither overflows the stack nor goes
/// quadratic.
fn find_cycle(graph: &DiGraph<usize, ()>) -> Option<Vec<usize>> {
    use std::collections::{HashMap, HashSet};
    let sccs = kosaraju_scc(graph);
    let scc = sccs
        .into_iter()
        .filter(|c| c.len() > 1 || graph.contains_edge(c[0], c[0]))
        .min_by_key(|c| c.iter().map(|n| n.index()).min())?;
    let start = *scc.iter().min_by_key(|n| n.index())?;
    if scc.len() == 1 {
        return Some(vec![graph[start], graph[start]]);
    }
    let members: HashSet<NodeIndex> = scc.iter().copied().collect();
    // Walk inside the component, always to the earliest successor in it,
    // until a node repeats: that stretch is a cycle.
    let mut path = vec![start];
    let mut seen: HashMap<NodeIndex, usize> = HashMap::from([(start, 0)]);
    loop {
        let at = *path.last()?;
        let next = graph
            .neighbors_directed(at, Direction::Outgoing)
            .filter(|n| members.contains(n))
            .min_by_key(|n| n.index())?;
        if let Some(&pos) = seen.get(&next) {
            let mut cycle: Vec<usize> = path[pos..].iter().map(|n| graph[*n]).collect();
            // Rotate to begin at the earliest node, then close it.
            let min_pos = cycle
                .iter()
                .enumerate()
                .min_by_key(|(_, v)| **v)
                .map(|(i, _)| i)
                .unwrap_or(0);
            cycle.rotate_left(min_pos);
            cycle.push(cycle[0]);
            return Some(cycle);
        }
        seen.insert(next, path.len());
        path.push(next);
    }
}
