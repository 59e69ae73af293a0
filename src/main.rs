//! The `tailor` command line: flags and dispatch only; the work is in the
//! library (`tailor::cli` renders, `tailor::engine` runs).

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tailor::cli::{self, CliError, Output};

/// Synthesizes code variants tailored to the data they run on.
///
/// Without a command, runs the demo over the shipped sample inputs.
#[derive(Parser)]
#[command(name = "tailor", version)]
struct Cli {
    /// Folder of specialization profiles (one YAML file each).
    #[arg(long, global = true, default_value = "profiles")]
    profiles: PathBuf,
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
    /// Measure, reporting ratios taken side by side in one run.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Check, show or draw profiles.
    Profiles {
        #[command(subcommand)]
        command: ProfilesCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
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

fn main() -> ExitCode {
    let args = Cli::parse();
    let demo = |inputs: PathBuf, json: bool| cli::demo(&inputs, &args.profiles, json);
    match args.command {
        None => finish(demo(PathBuf::from("sample-inputs"), false)),
        Some(Command::Demo { ref inputs, json }) => finish(demo(inputs.clone(), json)),
        Some(Command::Analyze { ref input, json }) => finish(cli::analyze(input, json)),
        Some(Command::Bench {
            command: BenchCommand::Analyze { mib, runs, json },
        }) => finish(Ok(cli::bench_analyze(mib, runs, json))),
        Some(Command::Profiles { ref command }) => match command {
            ProfilesCommand::Check { json } => {
                finish(Ok(cli::profiles_check(&args.profiles, *json)))
            }
            ProfilesCommand::Show { name, json } => {
                finish(cli::profiles_show(&args.profiles, name, *json))
            }
            ProfilesCommand::Dot { name } => finish(cli::profiles_dot(&args.profiles, name)),
        },
    }
}
