//! The Log pane: what the workbench did and heard (reloads, saves, cache
//! actions, errors with their file and line), and, unless hidden, every
//! engine event as `tailor run` prints it. Long lines wrap, so an error is
//! read whole. Follows new lines until scrolled up; `w` saves the Log to a
//! file.
//!
//! The lines come from [`Log`](crate::tui::app::Log): administrator lines
//! and engine events are kept in separate bounded histories, so a replay's
//! thousands of events never push a reload or an error out.

use super::{bad, dim, hit, pane_block, warn, wrap, Effect, PaneId};
use crate::tui::app::{Level, LogLine, Model};
use crate::tui::keymap::Action;
use crossterm::event::{MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use std::path::{Path, PathBuf};

pub struct LogPane {
    /// Rows up from the bottom; 0 follows new lines.
    back: usize,
    events: bool,
    area: Rect,
    /// Rows the shown lines took at the last draw (wrapped).
    rows: usize,
    /// The line (by its `seq`) a search brought into view: the next `n`
    /// goes on from it, wherever the view could scroll (an old line near
    /// the top sits above the bottom row) and as new lines arrive.
    found: Option<u64>,
}

impl Default for LogPane {
    fn default() -> Self {
        LogPane {
            back: 0,
            events: true,
            area: Rect::default(),
            rows: 0,
            found: None,
        }
    }
}

/// `HH:MM:SS.mmm` (UTC) of an epoch time in milliseconds.
fn clock(ms: u64) -> String {
    let s = (ms / 1000) % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        s / 3600,
        (s / 60) % 60,
        s % 60,
        ms % 1000
    )
}

/// The clock and a space: where a wrapped line's text starts.
const PREFIX: usize = 13;

/// A line's text as rows of a pane `width` wide (the first after the
/// clock, the others under it).
fn text_rows(l: &LogLine, width: usize) -> Vec<String> {
    if width < PREFIX + 8 {
        // Too narrow to indent: wrap the text under the clock.
        return wrap(&l.text, width.max(1));
    }
    wrap(&l.text, width - PREFIX)
}

/// The rows a line takes on screen: its text's rows, and on a pane too
/// narrow to indent, one more for the clock above them.
fn height(text_rows: &[String], width: usize) -> usize {
    text_rows.len() + usize::from(width < PREFIX + 8)
}

fn style(level: Level) -> Style {
    match level {
        Level::Info => Style::new(),
        Level::Warn => warn(),
        Level::Error | Level::Failed => bad(),
        Level::Event => dim(),
    }
}

fn level_tag(level: Level) -> &'static str {
    match level {
        Level::Info => "info ",
        Level::Warn => "warn ",
        Level::Error => "error",
        Level::Failed => "fail ",
        Level::Event => "event",
    }
}

/// `YYYYMMDD-HHMMSS` (UTC) of an epoch time in milliseconds.
fn stamp(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Writes every line the Log holds (engine events too, whether shown or
/// not) to a new file `tailor-log-<UTC time>.txt` in `dir`; the path
/// written, or what went wrong and where.
pub fn save(model: &Model, dir: &Path) -> Result<PathBuf, String> {
    let mut text = String::new();
    for l in model.log.lines(true) {
        text.push_str(&format!(
            "{} {} {}\n",
            clock(l.at_ms),
            level_tag(l.level),
            l.text
        ));
    }
    let base = format!("tailor-log-{}", stamp(model.now_ms));
    // Never overwrite: a second save in the same second gets `-2`.
    for n in 1..100 {
        let name = if n == 1 {
            format!("{base}.txt")
        } else {
            format!("{base}-{n}.txt")
        };
        let path = dir.join(name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path);
        match file {
            Ok(mut f) => {
                use std::io::Write as _;
                return f
                    .write_all(text.as_bytes())
                    .and_then(|()| f.sync_all())
                    .map(|()| path.clone())
                    .map_err(|e| format!("cannot write the Log to {}: {e}", path.display()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot save the Log to {}: {e}", path.display())),
        }
    }
    Err(format!(
        "cannot save the Log in {}: {base}.txt and 98 more names are taken",
        dir.display()
    ))
}

impl LogPane {
    /// How far up the view can scroll: the wrapped rows above the first
    /// screenful.
    fn max_back(&self) -> usize {
        self.rows.saturating_sub(self.area.height as usize)
    }

    pub fn handle(&mut self, action: Action, model: &mut Model) -> Effect {
        let page = self.area.height.max(2) as usize - 1;
        let max = self.max_back();
        // A move of the pane's own ends where a search was; `n` and `N`
        // (handled above this pane) go on from it.
        if !matches!(action, Action::NextMatch | Action::PrevMatch) {
            self.found = None;
        }
        match action {
            Action::Up => self.back = (self.back + 1).min(max),
            Action::Down => self.back = self.back.saturating_sub(1),
            Action::PageUp => self.back = (self.back + page).min(max),
            Action::PageDown => self.back = self.back.saturating_sub(page),
            Action::Top => self.back = max,
            Action::Bottom | Action::FollowLatest => self.back = 0,
            Action::ToggleEngineEvents => {
                self.events = !self.events;
                self.back = 0;
            }
            Action::SaveLog => {
                let dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
                match save(model, &dir) {
                    Ok(path) => model.flash(format!("saved the Log to {}", path.display()), false),
                    Err(e) => model.flash(e, true),
                }
            }
            _ => return Effect::Unhandled,
        }
        Effect::None
    }

    pub fn mouse(&mut self, ev: MouseEvent, model: &mut Model) -> Effect {
        if !hit(self.area, ev.column, ev.row) {
            return Effect::None;
        }
        match ev.kind {
            MouseEventKind::ScrollUp => {
                let _ = self.handle(Action::Up, model);
                let _ = self.handle(Action::Up, model);
                let _ = self.handle(Action::Up, model);
            }
            MouseEventKind::ScrollDown => {
                self.back = self.back.saturating_sub(3);
            }
            _ => {}
        }
        Effect::None
    }

    pub fn draw(&mut self, f: &mut Frame, area: Rect, model: &Model, focused: bool) {
        let block = pane_block(PaneId::Log, focused);
        let inner = block.inner(area);
        self.area = inner;
        let width = inner.width as usize;
        let lines = model.log.lines(self.events);
        let wrapped: Vec<(&LogLine, Vec<String>)> =
            lines.iter().map(|l| (*l, text_rows(l, width))).collect();
        let narrow = width < PREFIX + 8;
        let rows: usize = wrapped.iter().map(|(_, r)| height(r, width)).sum();
        // Scrolled up, the view stays on its lines while new ones arrive.
        if self.back > 0 {
            self.back += rows.saturating_sub(self.rows);
        }
        self.rows = rows;
        // A taller pane or fewer lines: never scrolled past the top.
        self.back = self.back.min(self.max_back());
        let h = inner.height as usize;
        // The rows from `back + h` up from the bottom to `back` up.
        let mut shown: Vec<Line> = Vec::new();
        let mut skip = self.back;
        for (l, rows) in wrapped.iter().rev() {
            if shown.len() >= h {
                break;
            }
            let mut out: Vec<Line> = Vec::new();
            let time = Span::styled(format!("{} ", clock(l.at_ms)), dim());
            if narrow {
                out.push(Line::from(time));
                out.extend(
                    rows.iter()
                        .map(|r| Line::from(Span::styled(r.clone(), style(l.level)))),
                );
            } else {
                for (i, r) in rows.iter().enumerate() {
                    let lead = if i == 0 {
                        time.clone()
                    } else {
                        Span::raw(" ".repeat(PREFIX))
                    };
                    out.push(Line::from(vec![
                        lead,
                        Span::styled(r.clone(), style(l.level)),
                    ]));
                }
            }
            // Bottom rows first, skipping those scrolled past.
            for row in out.into_iter().rev() {
                if skip > 0 {
                    skip -= 1;
                } else if shown.len() < h {
                    shown.push(row);
                }
            }
        }
        shown.reverse();
        let search = model.search.as_ref().filter(|q| q.pane == PaneId::Log);
        let shown: Vec<Line> = shown
            .into_iter()
            .map(|l| super::mark_matches(l, search))
            .collect();
        // As many of the hints as the border has room for, most useful
        // first: a hint is dropped whole, never cut.
        let mut hints: Vec<String> = Vec::new();
        if self.back > 0 {
            hints.push(format!("scrolled {} up · f follows", self.back));
        }
        hints.push(
            if self.events {
                "e hides engine events"
            } else {
                "engine events hidden (e)"
            }
            .into(),
        );
        hints.push("w saves".into());
        let hints: Vec<&str> = hints.iter().map(String::as_str).collect();
        let status = super::hints(&hints, (area.width as usize).saturating_sub(14));
        f.render_widget(
            block.title_bottom(Line::from(Span::styled(status, dim())).right_aligned()),
            area,
        );
        f.render_widget(Paragraph::new(shown), inner);
    }
}

impl LogPane {
    /// Rows each shown line takes at the last draw's width, newest first.
    fn rows_newest_first(&self, model: &Model) -> Vec<usize> {
        let width = self.area.width as usize;
        model
            .log
            .lines(self.events)
            .iter()
            .rev()
            .map(|l| height(&text_rows(l, width), width))
            .collect()
    }
}

impl super::Searchable for LogPane {
    /// The lines shown (engine events too unless hidden), newest first:
    /// `n` goes back in time.
    fn search_rows(&self, model: &Model) -> Vec<String> {
        model
            .log
            .lines(self.events)
            .iter()
            .rev()
            .map(|l| format!("{} {}", clock(l.at_ms), l.text))
            .collect()
    }

    /// The line a search found last, else the line at the bottom of the
    /// view.
    fn search_at(&self, model: &Model) -> usize {
        let lines = model.log.lines(self.events);
        if let Some(i) = self
            .found
            .and_then(|seq| lines.iter().rev().position(|l| l.seq == seq))
        {
            return i;
        }
        let mut seen = 0;
        for (i, rows) in self.rows_newest_first(model).into_iter().enumerate() {
            seen += rows;
            if seen > self.back {
                return i;
            }
        }
        0
    }

    /// Scrolls so the line is at the bottom of the view.
    fn search_show(&mut self, row: usize, model: &Model) {
        let rows = self.rows_newest_first(model);
        self.back = rows.iter().take(row).sum();
        self.rows = rows.iter().sum();
        self.found = model
            .log
            .lines(self.events)
            .iter()
            .rev()
            .nth(row)
            .map(|l| l.seq);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_is_the_utc_date_and_time() {
        assert_eq!(stamp(1_700_000_000_000), "20231114-221320");
        assert_eq!(stamp(0), "19700101-000000");
        assert_eq!(stamp(951_782_400_000), "20000229-000000");
    }
}
