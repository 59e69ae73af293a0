//! The what-if overlay: a pending (unsaved) edit of a profile judged over
//! every sample input before it is saved. Each input shows the profile and
//! Plan it selects now and the ones it would select with the draft live;
//! the inputs that move come first.

use super::{bad, bold, dim, truncate, warn};
use crate::tui::worker::{file_name, WhatIfChange, WhatIfView};
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use ratatui::Frame;

/// Draws the overlay in `r`; returns the scroll offset it could honour.
pub fn draw(f: &mut Frame, r: Rect, view: Option<&WhatIfView>, scroll: u16) -> u16 {
    f.render_widget(Clear, r);
    let title = match view {
        Some(v) => format!(" What if {} were saved ", file_name(&v.file)),
        None => " What if ".to_owned(),
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(Color::Cyan))
        .title(Span::styled(title, bold()))
        .title_bottom(Span::styled(
            " ↑↓ scroll · Esc closes · nothing is written ",
            dim(),
        ));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let w = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    match view.map(|v| &v.rows) {
        None => lines.push(Line::from(Span::styled(
            "judging the draft over the sample inputs…",
            dim(),
        ))),
        Some(Err(e)) => {
            lines.push(Line::from(Span::styled(
                "The draft does not load, so no input can select it:",
                bad(),
            )));
            lines.push(Line::from(Span::styled(truncate(e, w), bad())));
        }
        Some(Ok(rows)) => {
            let moved = |c: WhatIfChange| matches!(c, WhatIfChange::Profile | WhatIfChange::Plan);
            let n_moved = rows.iter().filter(|r| moved(r.change)).count();
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{n_moved} of {} sample inputs change", rows.len()),
                    if n_moved > 0 { warn() } else { dim() },
                ),
                Span::styled(
                    truncate(
                        "  (profile: another profile selected · plan: the same one, another Plan)",
                        w.saturating_sub(30),
                    ),
                    dim(),
                ),
            ]));
            let name_w = rows
                .iter()
                .map(|r| file_name(&r.input).chars().count())
                .max()
                .unwrap_or(8)
                .clamp(8, 28);
            // Moved inputs first, each in the listed order.
            let mut order: Vec<_> = rows.iter().collect();
            order.sort_by_key(|r| match r.change {
                WhatIfChange::Profile => 0,
                WhatIfChange::Plan => 1,
                WhatIfChange::Error => 2,
                WhatIfChange::Same => 3,
            });
            // "profile " + name + 2 spaces + "now   " (or the indent and
            // "after ") take name_w + 16 cells; the text has the rest.
            let text_w = w.saturating_sub(name_w + 16);
            for r in order {
                let (mark, style) = match r.change {
                    WhatIfChange::Profile => ("profile", warn()),
                    WhatIfChange::Plan => ("plan   ", Style::new().fg(Color::Yellow)),
                    WhatIfChange::Error => ("error  ", bad()),
                    WhatIfChange::Same => ("same   ", dim()),
                };
                let name = truncate(&file_name(&r.input), name_w);
                let pad = " ".repeat(name_w.saturating_sub(name.chars().count()));
                lines.push(Line::from(vec![
                    Span::styled(format!("{mark} "), style),
                    Span::styled(format!("{name}{pad}  "), bold()),
                    Span::styled(format!("now   {}", truncate(&r.now, text_w)), dim()),
                ]));
                if matches!(r.change, WhatIfChange::Profile | WhatIfChange::Plan) {
                    lines.push(Line::from(vec![
                        Span::raw(" ".repeat(name_w + 10)),
                        Span::styled(format!("after {}", truncate(&r.delta, text_w)), style),
                    ]));
                }
            }
        }
    }
    let max = (lines.len() as u16).saturating_sub(inner.height);
    let scroll = scroll.min(max);
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
    scroll
}
