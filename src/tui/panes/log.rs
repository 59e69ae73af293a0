//! The Log pane: what the workbench did and heard (reloads, saves, cache
//! actions, errors with their file and line), and, unless hidden, every
//! engine event as `tailor run` prints it. Follows new lines until
//! scrolled up.

use super::{bad, dim, hit, pane_block, warn, Effect, PaneId};
use crate::tui::app::{Level, Model};
use crate::tui::keymap::Action;
use crossterm::event::{MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub struct LogPane {
    /// Lines up from the bottom; 0 follows new lines.
    back: usize,
    events: bool,
    area: Rect,
}

impl Default for LogPane {
    fn default() -> Self {
        LogPane {
            back: 0,
            events: true,
            area: Rect::default(),
        }
    }
}

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

impl LogPane {
    fn shown(&self, model: &Model) -> usize {
        model
            .log
            .iter()
            .filter(|l| self.events || l.level != Level::Event)
            .count()
    }

    pub fn handle(&mut self, action: Action, model: &mut Model) -> Effect {
        let n = self.shown(model);
        let page = self.area.height.max(2) as usize - 1;
        let max = n.saturating_sub(self.area.height as usize);
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
        let lines: Vec<_> = model
            .log
            .iter()
            .filter(|l| self.events || l.level != Level::Event)
            .collect();
        let h = inner.height as usize;
        let end = lines.len().saturating_sub(self.back);
        let start = end.saturating_sub(h);
        let shown: Vec<Line> = lines[start..end]
            .iter()
            .map(|l| {
                let style = match l.level {
                    Level::Info => Style::new(),
                    Level::Warn => warn(),
                    Level::Error => bad(),
                    Level::Event => dim(),
                };
                Line::from(vec![
                    Span::styled(format!("{} ", clock(l.at_ms)), dim()),
                    Span::styled(l.text.clone(), style),
                ])
            })
            .collect();
        let status = format!(
            " {}{} ",
            if self.back > 0 {
                format!("scrolled {} up · f follows · ", self.back)
            } else {
                String::new()
            },
            if self.events {
                "e hides engine events"
            } else {
                "engine events hidden (e)"
            }
        );
        f.render_widget(
            block.title_bottom(Line::from(Span::styled(status, dim())).right_aligned()),
            area,
        );
        f.render_widget(Paragraph::new(shown), inner);
    }
}
