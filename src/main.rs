//! The `tailor` command line: flags and dispatch only; the work is in the
//! library (`tailor::cli` renders, `tailor::engine` runs).

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tailor::cache::CacheConfig;
use tailor::cli::run::RunOptions;
use tailor::cli::{self, CliError, Output};
use tailor::engine::EngineConfig;

/// Synthesizes code variants tailored to the data they run on.
///
/// Without a command, opens the workbench (in a terminal; elsewhere, the
/// headless demo).
#[derive(Parser)]
#[command(name = "tailor", version)]
struct Cli {
    /// Folder of specialization profiles (one YAML file each) [default:
    /// profiles].
    #[arg(
        long = "profiles",
        global = true,
        value_name = "PROFILES",
        env = "TAILOR_PROFILES"
    )]
    profiles_flag: Option<PathBuf>,
    /// The variant cache's disk tier (default: $TAILOR_CACHE_DIR, else
    /// $XDG_CACHE_HOME/tailor/variants, else ~/.cache/tailor/variants).
    #[arg(long, global = true)]
    cache_dir: Option<PathBuf>,
    /// Keep the variant cache in memory only.
    #[arg(long, global = true)]
    no_disk_cache: bool,
    /// The workbench's sample inputs (workloads in its `workloads/`).
    #[arg(long, default_value = "sample-inputs")]
    inputs: PathBuf,
    /// Open the workbench on a running service (`tailor serve`) instead
    /// of an engine of its own; it needs the admin token. Its profiles are
    /// mirrored into `--profiles DIR` if given, else a private folder.
    #[arg(long, value_name = "URL")]
    connect: Option<String>,
    /// The token for `--connect` (default: $TAILOR_TOKEN).
    #[arg(long, value_name = "FILE", requires = "connect")]
    token_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Analyze every sample input, select its profile and show the Plan.
    Demo {
        /// Folder of input specs.
        #[arg(long, default_value = "sample-inputs")]
        inputs: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Print an input's characteristic vector.
    ///
    /// Arrays of up to 65536 elements are read whole (every feature exact).
    /// Larger ones are sampled: 4096 strata, 8 consecutive elements each.
    /// With 99.9% confidence, `zero_frac` and `sorted` are within ±0.031,
    /// `mean` within ±0.031·(max−min), a sampled `finite`/`nonneg` holds for
    /// all but at most 0.17% of elements, and as many lie outside the sampled
    /// min..max. `len`, `bytes` and `align` are always exact.
    Analyze {
        /// The input spec (YAML).
        input: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Run one input through the whole request path and print its trace.
    Run {
        /// The input spec (YAML).
        input: PathBuf,
        /// Run it this many times (the second is a cache hit).
        #[arg(long, default_value_t = 1)]
        repeat: usize,
        /// Events as JSON lines.
        #[arg(long)]
        json: bool,
        /// Print the step log of the variant.
        #[arg(long)]
        steps: bool,
        /// Print the IR after a step (its node name or number; 0 is prepare).
        #[arg(long, value_name = "STEP")]
        ir: Option<String>,
        /// Print the diff of the IR before and after a step.
        #[arg(long, value_name = "STEP")]
        diff: Option<String>,
        /// Run this profile instead of the one selection picks (`generic`
        /// for the reference build).
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
        /// Send the request to a running service (`tailor serve`) instead
        /// of an engine of its own: the kernel is uploaded, the spec's data
        /// files travel with the request.
        #[arg(long, value_name = "URL")]
        connect: Option<String>,
        /// The token for `--connect` (default: $TAILOR_TOKEN).
        #[arg(long, value_name = "FILE", requires = "connect")]
        token_file: Option<PathBuf>,
    },
    /// Replay a workload and report hit rate, outcomes and latency.
    Replay {
        /// The workload (YAML).
        workload: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// List, show or clear the variant cache.
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
    /// A sandboxed build worker (started by the engine).
    #[command(hide = true)]
    Worker,
    /// Measure, reporting ratios taken side by side in one run. Without a
    /// subcommand: the suite (every shipped input and kernels/suite/), what
    /// serves against generic and the hand-specialized references, and
    /// the cost of a miss beside clang -O3.
    #[command(args_conflicts_with_subcommands = true)]
    Bench {
        #[command(subcommand)]
        command: Option<BenchCommand>,
        #[command(flatten)]
        suite: SuiteArgs,
    },
    /// Run the engine as a service: the request API, the profile and
    /// cache admin API, events and metrics (see openapi.yaml).
    Serve(Box<tailor::service::ServeArgs>),
    /// Check, show or draw profiles.
    Profiles {
        #[command(subcommand)]
        command: ProfilesCommand,
    },
}

#[derive(Subcommand)]
enum CacheCommand {
    /// Every entry, in memory and on disk, and each tier's counters. With
    /// the global --connect URL, a running service's (memory, disk and
    /// Redis).
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// One entry (a key or a unique prefix of 4+ hex digits): plan, steps, IR.
    Show {
        key: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove every entry.
    Clear,
}

/// `tailor bench` (and `tailor bench run`): the suite.
#[derive(clap::Args, Clone)]
struct SuiteArgs {
    /// Input specs (default: every spec in sample-inputs/ and
    /// kernels/suite/inputs/).
    inputs: Vec<PathBuf>,
    /// Only the inputs whose file name contains this (repeatable: any of
    /// them).
    #[arg(long, value_name = "K")]
    filter: Vec<String>,
    /// Runs of each build.
    #[arg(long, default_value_t = 31)]
    runs: usize,
    /// The hand-specialized references (`<entry>.c`).
    #[arg(long, value_name = "DIR", default_value = "kernels/reference")]
    references: PathBuf,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The sandbox's costs: one execution in-process, in a forked child, in
    /// the executor; cold starts; replacing a killed executor.
    Sandbox {
        /// The input (a small one measures the overhead, not the kernel).
        #[arg(default_value = "sample-inputs/sum-small.yaml")]
        input: PathBuf,
        #[arg(long, default_value_t = 201)]
        runs: usize,
        #[arg(long)]
        json: bool,
    },
    /// The suite, as `tailor bench` with no subcommand runs it.
    Run(SuiteArgs),
    /// A cached request's cost per stage and isolation mode, beside a pipe
    /// round trip and a memcpy of its input measured in the same run.
    Hitpath {
        /// Input specs (default: sum-small, reduce, dot-large).
        inputs: Vec<PathBuf>,
        /// Hits measured per input and mode.
        #[arg(long, default_value_t = 301)]
        runs: usize,
        /// Microseconds between hits (0: back to back, which in fork
        /// isolation also measures the executors' reaping and forking for
        /// earlier hits).
        #[arg(long, default_value_t = 0)]
        interval_us: u64,
        #[arg(long)]
        json: bool,
    },
    /// Two `tailor serve` engines sharing one Redis: builds per key when
    /// both miss at once, then a fixed load alternating between them (hit
    /// rate and latency per tier, resident memory, and requests lost while
    /// Redis is killed for a stretch).
    Fleet {
        /// Input specs (default: the shipped small ones).
        inputs: Vec<PathBuf>,
        #[arg(long, default_value_t = 60.0)]
        seconds: f64,
        /// Requests per second across both engines.
        #[arg(long, default_value_t = 100.0)]
        rate: f64,
        /// Each engine's memory tier, in entries (fewer than the inputs'
        /// keys, so Redis serves some).
        #[arg(long, default_value_t = 4)]
        cache_entries: usize,
        /// Use this Redis instead of starting one (it is then not taken
        /// down).
        #[arg(long, value_name = "URL")]
        redis: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Cached requests per second from 1, 2, 4, ... threads on one engine.
    Throughput {
        #[arg(default_value = "sample-inputs/sum-small.yaml")]
        input: PathBuf,
        /// Thread counts, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = [1usize, 2, 4])]
        threads: Vec<usize>,
        /// Seconds per thread count and isolation mode.
        #[arg(long, default_value_t = 2.0)]
        seconds: f64,
        #[arg(long)]
        json: bool,
    },
    /// A cached request through `POST /v1/run` on a loopback port beside
    /// the same request in process, on one engine, at each concurrency.
    Serve {
        #[arg(default_value = "sample-inputs/sum-small.yaml")]
        input: PathBuf,
        /// Concurrent clients, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = [1usize, 4, 16])]
        concurrency: Vec<usize>,
        /// Seconds per concurrency and path.
        #[arg(long, default_value_t = 2.0)]
        seconds: f64,
        #[arg(long)]
        json: bool,
    },
    /// The analyzer's cost per MiB, reading whole arrays against sampling.
    Analyze {
        /// Size of the generated f64 input in MiB.
        #[arg(long, default_value_t = 64.0)]
        mib: f64,
        /// Runs of each mode (the median is reported).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ProfilesCommand {
    /// Load and validate every profile; exit non-zero on any error.
    Check {
        #[arg(long)]
        json: bool,
    },
    /// Show one profile: match, tolerance, nodes, order.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Print one profile's DAG in Graphviz dot.
    Dot { name: String },
}

fn finish(result: Result<Output, CliError>) -> ExitCode {
    match result {
        Ok(out) => {
            print!("{}", out.text);
            if out.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {}", e.to_string().trim_start_matches("error: "));
            ExitCode::FAILURE
        }
    }
}

impl Cli {
    fn profiles(&self) -> PathBuf {
        self.profiles_flag
            .clone()
            .unwrap_or_else(|| PathBuf::from("profiles"))
    }

    fn cache(&self) -> CacheConfig {
        CacheConfig {
            dir: if self.no_disk_cache {
                None
            } else {
                self.cache_dir.clone().or_else(CacheConfig::default_dir)
            },
            ..CacheConfig::default()
        }
    }

    fn engine(&self) -> EngineConfig {
        EngineConfig {
            profiles: self.profiles(),
            cache: self.cache(),
            pools: Default::default(),
            shadow: tailor::engine::DEFAULT_SHADOW,
            fleet: Default::default(),
            key_budget: Default::default(),
        }
    }
}

/// `RUST_LOG` (e.g. `info`, `tailor=debug`) turns on the log, to stderr;
/// for the workbench, which owns the terminal, to `TAILOR_LOG_FILE` only.
/// A `TAILOR_LOG_FILE` alone logs at `info`.
fn init_logging(workbench: bool) {
    let file = std::env::var_os("TAILOR_LOG_FILE");
    let spec = match (std::env::var("RUST_LOG"), &file) {
        (Ok(spec), _) => spec,
        (Err(_), Some(_)) => "info".to_owned(),
        (Err(_), None) => return,
    };
    let filter = match spec.parse::<tracing_subscriber::filter::Targets>() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("tailor: RUST_LOG={spec}: {e}; logging stays off");
            return;
        }
    };
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let to_file = file.and_then(|p| {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
        {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!(
                    "tailor: TAILOR_LOG_FILE={}: {e}; logging stays off",
                    p.to_string_lossy()
                );
                None
            }
        }
    });
    let layer = match (to_file, workbench) {
        (Some(f), _) => tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(f))
            .boxed(),
        (None, false) => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed(),
        (None, true) => return,
    };
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
}

fn main() -> ExitCode {
    let args = Cli::parse();
    // Sandbox processes log through their stderr, which the engine forwards.
    if !matches!(args.command, Some(Command::Worker)) {
        init_logging(args.command.is_none());
    }
    let demo = |inputs: PathBuf, json: bool| cli::demo(args.engine(), &inputs, json);
    match args.command {
        None => {
            let connect = match &args.connect {
                None => None,
                Some(url) => match tailor::service::client::token(args.token_file.as_deref()) {
                    Ok(t) => Some((url.clone(), t, args.profiles_flag.clone())),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::FAILURE;
                    }
                },
            };
            let opts = tailor::tui::Options {
                profiles: args.profiles(),
                inputs: args.inputs.clone(),
                cache: args.cache(),
                connect,
            };
            match tailor::tui::run(opts) {
                Ok(()) => ExitCode::SUCCESS,
                // Piped or scripted: the headless demo says the same.
                Err(tailor::tui::TuiError::NotATerminal) => {
                    eprintln!("tailor: not a terminal, so the headless demo (`tailor demo`)");
                    finish(demo(args.inputs.clone(), false))
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::Demo { ref inputs, json }) => finish(demo(inputs.clone(), json)),
        Some(Command::Analyze { ref input, json }) => {
            finish(cli::analyze(args.engine(), input, json))
        }
        Some(Command::Worker) => {
            ExitCode::from(tailor::sandbox::worker::main().clamp(0, 255) as u8)
        }
        Some(Command::Run {
            ref input,
            repeat,
            json,
            steps,
            ref ir,
            ref diff,
            ref profile,
            ref connect,
            ref token_file,
        }) => {
            if let Some(url) = connect {
                if steps || ir.is_some() || diff.is_some() {
                    eprintln!("error: --steps, --ir and --diff read the local cache; with --connect, use GET /v1/cache/KEY");
                    return ExitCode::FAILURE;
                }
                return finish(cli::run::run_remote(
                    url,
                    token_file.as_deref(),
                    input,
                    profile.as_deref(),
                    repeat,
                    json,
                ));
            }
            let opts = RunOptions {
                repeat,
                json,
                steps,
                ir: ir.clone(),
                diff: diff.clone(),
                profile: profile.clone(),
            };
            finish(cli::run::run(args.engine(), input, &opts))
        }
        Some(Command::Replay { ref workload, json }) => {
            finish(cli::run::replay(args.engine(), workload, json))
        }
        Some(Command::Cache { ref command }) => match command {
            CacheCommand::Ls { json } => match &args.connect {
                Some(url) => finish(cli::cache::ls_remote(
                    url,
                    args.token_file.as_deref(),
                    *json,
                )),
                None => finish(cli::cache::ls(args.cache(), *json)),
            },
            CacheCommand::Show { key, json } => finish(cli::cache::show(args.cache(), key, *json)),
            CacheCommand::Clear => finish(cli::cache::clear(args.cache())),
        },
        Some(Command::Bench {
            command: Some(BenchCommand::Analyze { mib, runs, json }),
            ..
        }) => finish(cli::bench_analyze(mib, runs, json)),
        Some(Command::Bench {
            command:
                Some(BenchCommand::Sandbox {
                    ref input,
                    runs,
                    json,
                }),
            ..
        }) => finish(cli::bench_sandbox(input, &args.profiles(), runs, json)),
        Some(Command::Bench {
            command:
                Some(BenchCommand::Throughput {
                    ref input,
                    ref threads,
                    seconds,
                    json,
                }),
            ..
        }) => finish(cli::bench_throughput(
            input,
            &args.profiles(),
            threads,
            seconds,
            json,
        )),
        Some(Command::Bench {
            command:
                Some(BenchCommand::Serve {
                    ref input,
                    ref concurrency,
                    seconds,
                    json,
                }),
            ..
        }) => finish(cli::bench_serve(
            input,
            &args.profiles(),
            concurrency,
            seconds,
            json,
        )),
        Some(Command::Bench {
            command:
                Some(BenchCommand::Fleet {
                    ref inputs,
                    seconds,
                    rate,
                    cache_entries,
                    ref redis,
                    json,
                }),
            ..
        }) => finish(cli::bench_fleet(
            inputs,
            &args.profiles(),
            seconds,
            rate,
            cache_entries,
            redis.clone(),
            json,
        )),
        Some(Command::Bench {
            command:
                Some(BenchCommand::Hitpath {
                    ref inputs,
                    runs,
                    interval_us,
                    json,
                }),
            ..
        }) => finish(cli::bench_hitpath(
            inputs,
            &args.profiles(),
            runs,
            interval_us,
            json,
        )),
        Some(Command::Bench {
            command: Some(BenchCommand::Run(ref suite)),
            ..
        })
        | Some(Command::Bench {
            command: None,
            ref suite,
        }) => finish(cli::bench_run(
            &cli::SuiteOptions {
                inputs: suite.inputs.clone(),
                filter: suite.filter.clone(),
                runs: suite.runs,
                references: suite.references.clone(),
            },
            &args.profiles(),
            suite.json,
        )),
        Some(Command::Serve(ref serve)) => {
            let profiles = args.profiles_flag.as_deref();
            let cache_dir = if args.no_disk_cache {
                Some(None)
            } else {
                args.cache_dir.clone().map(Some)
            };
            let settings = match tailor::service::Settings::resolve(serve, profiles, cache_dir) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            if serve.print_config {
                print!("{}", settings.to_toml());
                return ExitCode::SUCCESS;
            }
            let say = |line: &str| {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            };
            match tailor::service::serve(settings, say) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::Profiles { ref command }) => match command {
            ProfilesCommand::Check { json } => {
                finish(Ok(cli::profiles_check(&args.profiles(), *json)))
            }
            ProfilesCommand::Show { name, json } => {
                finish(cli::profiles_show(&args.profiles(), name, *json))
            }
            ProfilesCommand::Dot { name } => finish(cli::profiles_dot(&args.profiles(), name)),
        },
    }
}
