//! The workbench (DESIGN §8): a terminal front end over the engine.
//!
//! Three threads: this one draws and reads input; the engine thread
//! ([`worker`]) owns the [`Engine`](crate::engine::Engine) and does all its
//! work; a file watcher ([`watch`]) turns profile edits into reloads. The
//! UI only sends commands and reads events and snapshots, so it never waits
//! on a build or a replay.
//!
//! The terminal is put back (raw mode off, main screen, cursor, mouse) on
//! every way out: quitting, an error, a panic on this thread (a panic
//! hook), Ctrl-C (a key in raw mode) and SIGINT/SIGTERM/SIGHUP (flags
//! checked each frame).

pub mod app;
pub mod dag;
pub mod editor;
pub mod keymap;
pub mod panes;
pub mod remote;
pub mod ui;
pub mod watch;
pub mod worker;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_runs;

use crate::cache::CacheConfig;
use app::{App, Level};
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event as TermEvent,
};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{IsTerminal, Stdout};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// What the workbench opens on.
pub struct Options {
    pub profiles: PathBuf,
    /// Sample inputs; workloads are in its `workloads/` folder.
    pub inputs: PathBuf,
    pub cache: CacheConfig,
    /// Attach to a running service (its URL and token) instead of an
    /// engine of the workbench's own; `profiles` is then where the
    /// service's profiles are mirrored, if given (else a private folder).
    pub connect: Option<(String, Option<String>, Option<PathBuf>)>,
}

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("the workbench needs a terminal; `tailor demo` is the headless demo")]
    NotATerminal,
    #[error("terminal: {0}")]
    Io(#[from] std::io::Error),
}

/// Everything the UI thread waits on, in one channel.
enum Incoming {
    Engine(worker::Msg),
    Term(TermEvent),
}

/// Puts the terminal back; safe to call more than once.
fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = crossterm::execute!(
        std::io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste,
        // Cleared first: tmux, when the window was resized while the
        // alternate screen showed, leaves its rows over the shell's.
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All),
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal when dropped, whatever the way out.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn setup_terminal() -> Result<(Terminal<CrosstermBackend<Stdout>>, TerminalGuard), TuiError> {
    let ui_thread = std::thread::current().id();
    let previous = std::panic::take_hook();
    // Only a panic of this thread ends the workbench; the engine thread
    // catches its own and reports it, and the UI must stay usable then.
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui_thread {
            restore_terminal();
        }
        previous(info);
    }));
    enable_raw_mode()?;
    let guard = TerminalGuard;
    crossterm::execute!(
        std::io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste
    )?;
    let terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    Ok((terminal, guard))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Opens the workbench and runs it until the user quits.
pub fn run(opts: Options) -> Result<(), TuiError> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(TuiError::NotATerminal);
    }
    let inputs = panes::inputs::yaml_files(&opts.inputs);
    let workloads = panes::inputs::yaml_files(&opts.inputs.join("workloads"));
    let mut app = App::new(inputs, workloads);
    app.model.now_ms = now_ms();
    // Listed again every second: a missing folder is looked for the same
    // way, and listed when it appears.
    app.inputs.follow(&opts.inputs);
    if !opts.inputs.is_dir() {
        app.inputs.set_missing(&opts.inputs);
        app.model.log(
            Level::Warn,
            worker::missing_text(worker::Folder::Inputs, &opts.inputs),
        );
    }

    let (tx, rx) = channel::<Incoming>();
    let engine_tx = tx.clone();
    let sink: worker::Sink = Arc::new(move |m| {
        let _ = engine_tx.send(Incoming::Engine(m));
    });
    // Attached, the profiles are the service's, mirrored into a folder of
    // this process's own that the editor and the watcher use as usual.
    let (worker, profiles) = match opts.connect.clone() {
        Some((url, token, mirror)) => {
            let mirror = mirror.unwrap_or_else(|| {
                std::env::temp_dir().join(format!("tailor-profiles-{}", std::process::id()))
            });
            app.model.log(
                Level::Info,
                format!(
                    "attached to {url}; its profiles are mirrored in {}",
                    mirror.display()
                ),
            );
            (
                worker::spawn_remote(url, token, mirror.clone(), sink.clone()),
                mirror,
            )
        }
        None => (
            worker::spawn(opts.profiles.clone(), opts.cache, sink.clone()),
            opts.profiles.clone(),
        ),
    };
    if opts.connect.is_some() {
        // The engine thread makes the mirror; the watch needs it first.
        let _ = std::fs::create_dir_all(&profiles);
    }
    let (watcher, began) = watch::supervise(&profiles, worker.sender(), sink);
    match began {
        watch::Began::Watching => app.model.log(
            Level::Info,
            format!("watching {} for changes", profiles.display()),
        ),
        watch::Began::Missing => {
            app.model.log(
                Level::Warn,
                worker::missing_text(worker::Folder::Profiles, &profiles),
            );
            app.model.watch = app::WatchState::Missing(profiles.clone());
        }
        watch::Began::Failed(e) => {
            let text = format!("{e}; hot reload is off");
            app.model.log(Level::Error, &text);
            app.model.watch = app::WatchState::Off(text);
        }
    }

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        let _ = signal_hook::flag::register(sig, stop.clone());
    }

    let (mut terminal, guard) = setup_terminal()?;
    // Reading the terminal blocks, so it has its own thread; it ends with
    // the process.
    let term_tx = tx;
    let _ = std::thread::Builder::new()
        .name("tailor-input".into())
        .spawn(move || {
            while let Ok(ev) = crossterm::event::read() {
                if term_tx.send(Incoming::Term(ev)).is_err() {
                    break;
                }
            }
        });

    let result = event_loop(&mut terminal, &mut app, &worker, &rx, &stop);
    drop(guard);
    drop(watcher);
    // The engine finishes its current request and flushes the cache's hit
    // counts; a long build is not waited for past a few seconds.
    let (done_tx, done_rx) = channel();
    std::thread::spawn(move || {
        worker.shutdown();
        let _ = done_tx.send(());
    });
    let _ = done_rx.recv_timeout(Duration::from_secs(3));
    result
}

fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    app: &mut App,
    worker: &worker::WorkerHandle,
    rx: &std::sync::mpsc::Receiver<Incoming>,
    stop: &AtomicBool,
) -> Result<(), TuiError> {
    loop {
        app.model.now_ms = now_ms();
        app.tick();
        for cmd in app.model.outbox.drain(..) {
            worker.send(cmd);
        }
        if std::mem::take(&mut app.model.cancel) {
            worker.cancel();
        }
        terminal.draw(|f| ui::draw(f, app))?;
        if app.quit || stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        // Wake for input or the engine, or to refresh "ago" times.
        let first = match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(m) => Some(m),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        let Some(first) = first else { continue };
        app.model.now_ms = now_ms();
        handle(app, first);
        // A replay sends thousands of events; take what is queued, but
        // draw at least every 50 ms so the screen keeps moving.
        let deadline = Instant::now() + Duration::from_millis(50);
        while Instant::now() < deadline {
            match rx.try_recv() {
                Ok(m) => handle(app, m),
                Err(_) => break,
            }
        }
    }
}

fn handle(app: &mut App, m: Incoming) {
    match m {
        Incoming::Engine(msg) => app.apply(msg),
        Incoming::Term(TermEvent::Key(k)) => app.handle_key(k),
        Incoming::Term(TermEvent::Mouse(ev)) => app.handle_mouse(ev),
        Incoming::Term(TermEvent::Paste(text)) => app.paste(&text),
        Incoming::Term(_) => {}
    }
}
