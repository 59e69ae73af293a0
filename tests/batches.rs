//! The workbench's batches through its engine thread: a second batch asked
//! for while one runs waits in a queue, said as such, and a cancel stops
//! the batch running, never the ones queued behind it.

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
