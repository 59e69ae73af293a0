//! The workbench's engine thread, driven through its commands: batches (a
//! second one asked for while one runs waits in a queue, and a cancel stops
//! the batch running, never the ones queued behind it) and the latency a
//! hot reload reports (from the change, never from an old file time).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tailor::cache::CacheConfig;
use tailor::tui::worker::{self, Command, JobState, Msg};

#[test]
fn a_cancel_stops_the_running_batch_and_the_queued_one_still_runs() {
    let seen: Arc<Mutex<Vec<JobState>>> = Arc::default();
    let sink_seen = seen.clone();
    let sink: worker::Sink = Arc::new(move |m: Msg| {
        if let Msg::Job(j) = m {
            if let Ok(mut v) = sink_seen.lock() {
                v.push(j);
            }
        }
    });
    let handle = worker::spawn(
        PathBuf::from("profiles"),
        CacheConfig {
            dir: None,
            ..CacheConfig::default()
        },
        sink,
    );
    let input = PathBuf::from("sample-inputs/sum-small.yaml");
    handle.send(Command::Run {
        input: input.clone(),
        times: 100_000,
    });
    handle.send(Command::Run {
        input: input.clone(),
        times: 3,
    });
    let jobs =
        |seen: &Arc<Mutex<Vec<JobState>>>| seen.lock().map(|v| v.clone()).unwrap_or_default();
    let wait = |pred: &dyn Fn(&[JobState]) -> bool| {
        let until = Instant::now() + Duration::from_secs(120);
        while Instant::now() < until {
            if pred(&jobs(&seen)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("timed out; saw {:?}", jobs(&seen));
    };
    // The big batch runs; the small one waits behind it.
    wait(&|j| {
        j.iter()
            .any(|s| matches!(s, JobState::Progress { total: 100_000, .. }))
    });
    let so_far = jobs(&seen);
    assert!(
        so_far.iter().any(|s| matches!(
            s,
            JobState::Queued {
                total: 3,
                ahead: 1,
                ..
            }
        )),
        "{so_far:?}"
    );
    handle.cancel();
    wait(&|j| {
        j.iter().any(|s| {
            matches!(
                s,
                JobState::Finished {
                    total: 3,
                    cancelled: false,
                    ..
                }
            )
        })
    });
    let all = jobs(&seen);
    let big_end = all
        .iter()
        .position(|s| {
            matches!(
                s,
                JobState::Finished {
                    total: 100_000,
                    cancelled: true,
                    ..
                }
            )
        })
        .unwrap_or_else(|| panic!("the running batch was cancelled: {all:?}"));
    let small_start = all
        .iter()
        .position(|s| matches!(s, JobState::Started { total: 3, .. }))
        .unwrap_or_else(|| panic!("the queued batch started: {all:?}"));
    assert!(big_end < small_start, "{all:?}");
    assert!(
        all.iter().any(|s| matches!(
            s,
            JobState::Finished {
                total: 3,
                done: 3,
                errors: 0,
                cancelled: false,
                ..
            }
        )),
        "{all:?}"
    );
    handle.shutdown();
}

#[test]
fn a_reload_says_how_long_after_the_change_never_after_an_old_file_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let profiles = dir.path().join("profiles");
    std::fs::create_dir(&profiles).expect("mkdir");
    for f in ["generic.yaml", "narrow-ints.yaml"] {
        std::fs::copy(PathBuf::from("profiles").join(f), profiles.join(f)).expect("copy");
    }
    let reloads: Arc<Mutex<Vec<Option<u64>>>> = Arc::default();
    let seen = reloads.clone();
    let sink: worker::Sink = Arc::new(move |m: Msg| {
        if let Msg::Reloaded(r) = m {
            if let Ok(mut v) = seen.lock() {
                v.push(r.latency_ms);
            }
        }
    });
    let handle = worker::spawn(
        profiles.clone(),
        CacheConfig {
            dir: None,
            ..CacheConfig::default()
        },
        sink,
    );
    // A file moved in with a time from long ago, as `mv` of a copy keeps.
    let file = profiles.join("narrow-ints.yaml");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, text.replace("priority: 30", "priority: 31")).expect("write");
    let touched = std::process::Command::new("touch")
        .args(["-d", "2020-01-01"])
        .arg(&file)
        .status()
        .expect("touch");
    assert!(touched.success());
    let next = |n: usize| -> Option<u64> {
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            if let Some(v) = reloads.lock().ok().and_then(|v| v.get(n).copied()) {
                return v;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("no reload #{n}");
    };
    handle.send(Command::ReloadFile(file.clone()));
    assert_eq!(next(0), None, "an old file time says nothing");
    // Seen by the watch 300 ms ago: at least that, plus its debounce.
    std::fs::write(&file, text.replace("priority: 30", "priority: 32")).expect("write");
    handle.send(Command::Changed {
        path: file.clone(),
        seen: Instant::now() - Duration::from_millis(300),
    });
    let ms = next(1).expect("a latency from the change");
    let floor = 300 + tailor::profile::watch::DEBOUNCE.as_millis() as u64;
    assert!((floor..floor + 30_000).contains(&ms), "{ms} ms");
    handle.shutdown();
}
