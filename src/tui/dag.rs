//! Layered drawing of a profile's DAG as text: nodes as boxes, edges as
//! box-drawing lines, top to bottom in execution direction.
//!
//! A hand-written Sugiyama-style layout, enough for DAGs of a dozen nodes:
//! layers by longest path from the roots; a pass-through point ("dummy") in
//! every layer an edge skips, so long edges never cross a box; order within
//! a layer by the barycenter of predecessors; each item placed under its
//! predecessors' centre when there is room. Horizontal runs between two
//! layers get their own rows ("tracks") when they would overlap, so edges
//! do not merge into each other; only edges that share an end share a row.
//!
//! The result is a [`Canvas`] of characters, each tagged with what it
//! belongs to, so the pane can style nodes by state and scroll to one.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

/// A node to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct DagNode {
    pub name: String,
    pub transform: String,
    /// Has a `when`: drawn with a dashed border and a `?`.
    pub conditional: bool,
}

/// What a cell of the canvas shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Empty,
    Edge,
    Border(usize),
    Name(usize),
    Transform(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub ch: char,
    pub owner: Owner,
}

/// Where a node's box is on the canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxPos {
    pub x: u16,
    pub y: u16,
    pub w: u16,
    pub h: u16,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Canvas {
    pub width: u16,
    pub height: u16,
    cells: Vec<Cell>,
    /// One per node, in the order given.
    pub boxes: Vec<BoxPos>,
}

/// A horizontal run between two layers: (left x, right x, source item,
/// target item).
type Run = (i32, i32, usize, usize);

const BOX_H: i32 = 3;
const GAP: i32 = 2;
const MAX_LABEL: usize = 28;

const UP: u8 = 1;
const DOWN: u8 = 2;
const LEFT: u8 = 4;
const RIGHT: u8 = 8;

fn line_char(mask: u8) -> char {
    match mask {
        0 => ' ',
        m if m == UP | DOWN || m == UP || m == DOWN => '│',
        m if m == LEFT | RIGHT || m == LEFT || m == RIGHT => '─',
        m if m == DOWN | RIGHT => '┌',
        m if m == DOWN | LEFT => '┐',
        m if m == UP | RIGHT => '└',
        m if m == UP | LEFT => '┘',
        m if m == UP | DOWN | RIGHT => '├',
        m if m == UP | DOWN | LEFT => '┤',
        m if m == DOWN | LEFT | RIGHT => '┬',
        m if m == UP | LEFT | RIGHT => '┴',
        _ => '┼',
    }
}

/// An item of a layer: a node's box or an edge passing through.
#[derive(Debug, Clone)]
struct Item {
    node: Option<usize>,
    layer: usize,
    width: i32,
    /// Items in the previous layer with a segment to this one.
    preds: Vec<usize>,
    /// Tie-break: the node's index (a dummy takes its edge's source).
    rank: f64,
    x: i32,
}

impl Item {
    fn center(&self) -> i32 {
        self.x + self.width / 2
    }
}

fn label(n: &DagNode) -> (String, String) {
    let mut name = if n.conditional {
        format!("?{}", n.name)
    } else {
        n.name.clone()
    };
    let mut transform = n.transform.clone();
    let total = name.chars().count() + 1 + transform.chars().count();
    if total > MAX_LABEL {
        // Keep the name whole when possible: it is what edges refer to.
        let room = MAX_LABEL.saturating_sub(name.chars().count() + 1);
        if room >= 3 {
            transform = transform.chars().take(room - 1).collect::<String>() + "…";
        } else {
            name = name.chars().take(MAX_LABEL - 1).collect::<String>() + "…";
            transform.clear();
        }
    }
    (name, transform)
}

/// Layers by longest path from the roots. Nodes on a cycle (never in a
/// validated profile) are put after everything else rather than lost.
fn layers(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut indegree = vec![0usize; n];
    for &(_, v) in edges {
        indegree[v] += 1;
    }
    let mut layer = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut seen = vec![false; n];
    while let Some(u) = ready.pop() {
        seen[u] = true;
        for &(a, b) in edges {
            if a == u {
                layer[b] = layer[b].max(layer[u] + 1);
                indegree[b] -= 1;
                if indegree[b] == 0 {
                    ready.push(b);
                }
            }
        }
    }
    let deepest = layer.iter().copied().max().unwrap_or(0);
    for (i, s) in seen.iter().enumerate() {
        if !s {
            layer[i] = deepest + 1;
        }
    }
    layer
}

/// Lays out `nodes` (in file order) with `edges` (predecessor, successor).
pub fn layout(nodes: &[DagNode], edges: &[(usize, usize)]) -> Canvas {
    let n = nodes.len();
    if n == 0 {
        return Canvas {
            width: 0,
            height: 0,
            cells: Vec::new(),
            boxes: Vec::new(),
        };
    }
    let edges: Vec<(usize, usize)> = edges
        .iter()
        .copied()
        .filter(|&(a, b)| a < n && b < n && a != b)
        .collect();
    let layer = layers(n, &edges);
    let labels: Vec<(String, String)> = nodes.iter().map(label).collect();
    let mut items: Vec<Item> = (0..n)
        .map(|i| {
            let (name, tr) = &labels[i];
            let text = name.chars().count()
                + if tr.is_empty() {
                    0
                } else {
                    1 + tr.chars().count()
                };
            Item {
                node: Some(i),
                layer: layer[i],
                width: text as i32 + 4,
                preds: Vec::new(),
                rank: i as f64,
                x: 0,
            }
        })
        .collect();
    // Segments between consecutive layers; long edges through dummies.
    let mut segments: Vec<(usize, usize)> = Vec::new();
    for &(u, v) in &edges {
        let (lu, lv) = (layer[u], layer[v]);
        if lv <= lu {
            continue;
        }
        let mut prev = u;
        for l in lu + 1..lv {
            items.push(Item {
                node: None,
                layer: l,
                width: 1,
                preds: vec![prev],
                rank: u as f64 + 0.5,
                x: 0,
            });
            let d = items.len() - 1;
            segments.push((prev, d));
            prev = d;
        }
        segments.push((prev, v));
        items[v].preds.push(prev);
    }
    let depth = items.iter().map(|i| i.layer + 1).max().unwrap_or(0);
    let mut by_layer: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (id, it) in items.iter().enumerate() {
        by_layer[it.layer].push(id);
    }
    // Order: the first layer by file order, then each by the mean position
    // of its predecessors.
    by_layer[0].sort_by(|a, b| items[*a].rank.total_cmp(&items[*b].rank));
    for l in 1..depth {
        let pos: std::collections::HashMap<usize, usize> = by_layer[l - 1]
            .iter()
            .enumerate()
            .map(|(p, &id)| (id, p))
            .collect();
        let bary = |id: usize| {
            let ps = &items[id].preds;
            if ps.is_empty() {
                return f64::MAX;
            }
            ps.iter()
                .map(|p| pos.get(p).copied().unwrap_or(0) as f64)
                .sum::<f64>()
                / ps.len() as f64
        };
        let mut order = by_layer[l].clone();
        order.sort_by(|a, b| {
            bary(*a)
                .total_cmp(&bary(*b))
                .then(items[*a].rank.total_cmp(&items[*b].rank))
        });
        by_layer[l] = order;
    }
    // Positions: under the predecessors' centre when there is room.
    for layer_items in &by_layer {
        let mut cursor = 0;
        for &id in layer_items {
            let desired = if items[id].preds.is_empty() {
                cursor
            } else {
                let sum: i32 = items[id].preds.iter().map(|&p| items[p].center()).sum();
                sum / items[id].preds.len() as i32 - items[id].width / 2
            };
            items[id].x = desired.max(cursor);
            cursor = items[id].x + items[id].width + GAP;
        }
    }
    let width = items
        .iter()
        .map(|i| i.x + i.width)
        .max()
        .unwrap_or(0)
        .max(1);

    // Tracks per gap.
    let mut tracks_of_gap: Vec<Vec<Vec<Run>>> = vec![Vec::new(); depth];
    let mut seg_track: Vec<Option<usize>> = vec![None; segments.len()];
    for (l, tracks) in tracks_of_gap.iter_mut().enumerate() {
        let mut segs: Vec<(usize, i32, i32)> = segments
            .iter()
            .enumerate()
            .filter(|(_, (a, _))| items[*a].layer == l)
            .map(|(si, (a, b))| (si, items[*a].center(), items[*b].center()))
            .filter(|(_, sx, tx)| sx != tx)
            .collect();
        segs.sort_by_key(|(_, sx, tx)| ((*sx).min(*tx), (*sx).max(*tx)));
        for (si, sx, tx) in segs {
            let (lo, hi) = (sx.min(tx), sx.max(tx));
            let (a, b) = segments[si];
            let fits = |t: &Vec<Run>| {
                t.iter()
                    .all(|&(elo, ehi, ea, eb)| ea == a || eb == b || ehi + 1 < lo || hi + 1 < elo)
            };
            let t = match tracks.iter().position(fits) {
                Some(t) => t,
                None => {
                    tracks.push(Vec::new());
                    tracks.len() - 1
                }
            };
            tracks[t].push((lo, hi, a, b));
            seg_track[si] = Some(t);
        }
    }
    let mut layer_y = vec![0i32; depth];
    let mut y = 0;
    for (ly, tracks) in layer_y.iter_mut().zip(&tracks_of_gap) {
        *ly = y;
        y += BOX_H + (tracks.len() as i32).max(1);
    }
    let height = (y - 1).max(1);

    let (w, h) = (width as usize, height as usize);
    let mut masks = vec![0u8; w * h];
    let mut mark = |x: i32, y: i32, m: u8| {
        if x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h {
            masks[y as usize * w + x as usize] |= m;
        }
    };
    for it in items.iter().filter(|i| i.node.is_none()) {
        let y0 = layer_y[it.layer];
        for dy in 0..BOX_H {
            mark(it.x, y0 + dy, UP | DOWN);
        }
    }
    for (si, &(a, b)) in segments.iter().enumerate() {
        let (sa, sb) = (&items[a], &items[b]);
        let (sx, tx) = (sa.center(), sb.center());
        let top = layer_y[sa.layer] + BOX_H; // first gap row
        let bottom = layer_y[sb.layer] - 1; // last gap row
        match seg_track[si] {
            None => {
                for yy in top..=bottom {
                    mark(sx, yy, UP | DOWN);
                }
            }
            Some(t) => {
                let ty = top + t as i32;
                for yy in top..ty {
                    mark(sx, yy, UP | DOWN);
                }
                let toward = if tx > sx { RIGHT } else { LEFT };
                let back = if tx > sx { LEFT } else { RIGHT };
                mark(sx, ty, UP | toward);
                for xx in sx.min(tx) + 1..sx.max(tx) {
                    mark(xx, ty, LEFT | RIGHT);
                }
                mark(tx, ty, DOWN | back);
                for yy in ty + 1..=bottom {
                    mark(tx, yy, UP | DOWN);
                }
            }
        }
    }
    let mut cells: Vec<Cell> = masks
        .iter()
        .map(|&m| Cell {
            ch: line_char(m),
            owner: if m == 0 { Owner::Empty } else { Owner::Edge },
        })
        .collect();
    let mut put = |x: i32, y: i32, ch: char, owner: Owner| {
        if x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h {
            cells[y as usize * w + x as usize] = Cell { ch, owner };
        }
    };
    let mut boxes = vec![
        BoxPos {
            x: 0,
            y: 0,
            w: 0,
            h: 0
        };
        n
    ];
    let has_out: Vec<bool> = (0..items.len())
        .map(|id| segments.iter().any(|(a, _)| *a == id))
        .collect();
    let has_in: Vec<bool> = (0..items.len())
        .map(|id| segments.iter().any(|(_, b)| *b == id))
        .collect();
    for (id, it) in items.iter().enumerate() {
        let Some(node) = it.node else { continue };
        let (x0, y0, bw) = (it.x, layer_y[it.layer], it.width);
        let dashed = nodes[node].conditional;
        let (hz, vt) = if dashed {
            ('╌', '╎')
        } else {
            ('─', '│')
        };
        let b = Owner::Border(node);
        put(x0, y0, '┌', b);
        put(x0 + bw - 1, y0, '┐', b);
        put(x0, y0 + 2, '└', b);
        put(x0 + bw - 1, y0 + 2, '┘', b);
        for xx in x0 + 1..x0 + bw - 1 {
            put(xx, y0, hz, b);
            put(xx, y0 + 2, hz, b);
            put(xx, y0 + 1, ' ', b);
        }
        put(x0, y0 + 1, vt, b);
        put(x0 + bw - 1, y0 + 1, vt, b);
        if has_in[id] {
            put(it.center(), y0, '▼', b);
        }
        if has_out[id] {
            put(it.center(), y0 + 2, '┬', b);
        }
        let (name, tr) = &labels[node];
        let mut xx = x0 + 2;
        for c in name.chars() {
            put(xx, y0 + 1, c, Owner::Name(node));
            xx += 1;
        }
        xx += 1;
        for c in tr.chars() {
            put(xx, y0 + 1, c, Owner::Transform(node));
            xx += 1;
        }
        boxes[node] = BoxPos {
            x: x0 as u16,
            y: y0 as u16,
            w: bw as u16,
            h: BOX_H as u16,
        };
    }
    Canvas {
        width: w as u16,
        height: h as u16,
        cells,
        boxes,
    }
}

impl Canvas {
    pub fn cell(&self, x: u16, y: u16) -> Option<Cell> {
        if x < self.width && y < self.height {
            self.cells
                .get(y as usize * self.width as usize + x as usize)
                .copied()
        } else {
            None
        }
    }

    /// The rows as plain text (tests, and a terminal-free view).
    pub fn lines(&self) -> Vec<String> {
        (0..self.height)
            .map(|y| {
                let s: String = (0..self.width)
                    .filter_map(|x| self.cell(x, y).map(|c| c.ch))
                    .collect();
                s.trim_end().to_owned()
            })
            .collect()
    }

    /// The node whose box covers canvas point (x, y).
    pub fn node_at(&self, x: u16, y: u16) -> Option<usize> {
        self.boxes
            .iter()
            .position(|b| x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h)
    }

    /// The scroll offset that keeps `node`'s box inside a view of
    /// `view_w`×`view_h`, moving as little as possible from `offset`.
    pub fn scroll_to(&self, node: usize, offset: (u16, u16), view: (u16, u16)) -> (u16, u16) {
        let Some(b) = self.boxes.get(node) else {
            return offset;
        };
        let fit = |off: u16, start: u16, len: u16, view: u16, total: u16| -> u16 {
            let mut off = off;
            if start + len > off + view {
                off = (start + len).saturating_sub(view);
            }
            if start < off {
                off = start;
            }
            off.min(total.saturating_sub(view))
        };
        (
            fit(offset.0, b.x, b.w, view.0, self.width),
            fit(offset.1, b.y, b.h, view.1, self.height),
        )
    }

    /// Draws the part of the canvas at `offset` into `area`; `style` gives
    /// each owner's style.
    pub fn render(
        &self,
        buf: &mut Buffer,
        area: Rect,
        offset: (u16, u16),
        style: impl Fn(Owner) -> Style,
    ) {
        // Centre a canvas narrower than the view.
        let pad = area.width.saturating_sub(self.width) / 2;
        for dy in 0..area.height {
            for dx in 0..area.width.saturating_sub(pad) {
                let Some(c) = self.cell(dx + offset.0, dy + offset.1) else {
                    continue;
                };
                if c.owner == Owner::Empty {
                    continue;
                }
                if let Some(cell) = buf.cell_mut((area.x + pad + dx, area.y + dy)) {
                    cell.set_char(c.ch);
                    cell.set_style(style(c.owner));
                }
            }
        }
    }

    /// The horizontal padding `render` uses to centre the canvas.
    pub fn pad(&self, area_width: u16) -> u16 {
        area_width.saturating_sub(self.width) / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, transform: &str, conditional: bool) -> DagNode {
        DagNode {
            name: name.into(),
            transform: transform.into(),
            conditional,
        }
    }

    #[test]
    fn a_chain_is_drawn_straight_down() {
        let c = layout(
            &[
                node("bind", "specialize", false),
                node("clean", "dce", false),
            ],
            &[(0, 1)],
        );
        insta::assert_snapshot!(c.lines().join("\n"));
    }

    #[test]
    fn a_diamond_with_a_skipping_edge_and_a_conditional_node() {
        // bind -> layout -> {full?, partial?}; vec after partial;
        // clean after full, partial and vec (the shipped small-shapes).
        let nodes = [
            node("bind", "specialize", false),
            node("layout", "layout", false),
            node("full", "unroll", true),
            node("partial", "unroll", true),
            node("vec", "vectorize", true),
            node("clean", "dce", false),
        ];
        let edges = [(0, 1), (1, 2), (1, 3), (3, 4), (2, 5), (3, 5), (4, 5)];
        let c = layout(&nodes, &edges);
        insta::assert_snapshot!(c.lines().join("\n"));
        // Every box is where the canvas says, and boxes never overlap.
        for (i, a) in c.boxes.iter().enumerate() {
            assert_eq!(c.node_at(a.x + 1, a.y + 1), Some(i));
        }
    }

    #[test]
    fn empty_and_cyclic_inputs_do_not_panic() {
        let c = layout(&[], &[]);
        assert!(c.boxes.is_empty());
        let c = layout(
            &[node("a", "dce", false), node("b", "dce", false)],
            &[(0, 1), (1, 0), (5, 7)],
        );
        assert_eq!(c.boxes.len(), 2);
    }

    #[test]
    fn scrolling_keeps_a_box_in_view() {
        let nodes: Vec<DagNode> = (0..6)
            .map(|i| node(&format!("n{i}"), "dce", false))
            .collect();
        let edges: Vec<(usize, usize)> = (0..5).map(|i| (i, i + 1)).collect();
        let c = layout(&nodes, &edges);
        let (_, y) = c.scroll_to(5, (0, 0), (20, 6));
        let b = c.boxes[5];
        assert!(b.y >= y && b.y + b.h <= y + 6);
    }
}
