//! dialoghub's benchmark harness: `bench run`, `bench smoke`, and the two
//! processes they start, `bench worker` and `bench floor`. `bench --help` lists
//! the options of each.

mod floor;
mod http_load;
mod many;
mod meeting;
mod metrics;
mod publish;
mod restart;
mod run;
mod servers;
mod staff;
mod util;
mod worker;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(about = "dialoghub's benchmark harness")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Runs the scenarios against dialoghub, NATS (WebSocket) and the floor,
    /// writes JSON into the output folder and prints the tables.
    Run {
        #[command(flatten)]
        systems: Systems,
        /// Folder for the JSON results and table.md.
        #[arg(long, default_value = "bench/results")]
        out: PathBuf,
        /// Only the scenarios whose names start with one of these, comma-separated.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Smaller sizes and shorter runs (about 2 minutes).
        #[arg(long)]
        quick: bool,
    },
    /// A correctness check with a few hundred clients (CI), not a speed test.
    Smoke {
        #[command(flatten)]
        systems: Systems,
        /// Number of participants.
        #[arg(long, default_value_t = 300)]
        clients: usize,
    },
    /// One load-generator process, started by `run` and `smoke`; reads its
    /// instructions from stdin.
    Worker,
    /// The minimal fan-out server.
    Floor {
        /// Port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Also send every subscriber a `live` frame this often (ms); 0: never.
        #[arg(long, default_value_t = 0)]
        tick_ms: u64,
        /// The size of that frame in bytes.
        #[arg(long, default_value_t = 150)]
        tick_bytes: usize,
        /// Tick for this long (ms) from the first published frame.
        #[arg(long, default_value_t = 15_000)]
        tick_for_ms: u64,
    },
}

/// The programs under test.
#[derive(Args)]
struct Systems {
    /// The dialoghub server binary (default: next to this binary).
    #[arg(long)]
    dialoghub: Option<PathBuf>,
    /// The NATS server binary.
    #[arg(long, default_value = "/usr/sbin/nats-server")]
    nats: PathBuf,
}

impl Systems {
    fn ctx(self, out: PathBuf, quick: bool) -> run::Ctx {
        let me = std::env::current_exe().expect("own path");
        run::Ctx {
            dialoghub: self
                .dialoghub
                .unwrap_or_else(|| me.with_file_name("dialoghub")),
            nats: self.nats,
            out,
            quick,
            bench: me,
        }
    }
}

fn main() {
    let rt = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    };
    match Cli::parse().cmd {
        Cmd::Worker => worker::main(),
        Cmd::Floor {
            port,
            tick_ms,
            tick_bytes,
            tick_for_ms,
        } => floor::main(
            port,
            floor::Ticks {
                every_ms: tick_ms,
                bytes: tick_bytes,
                for_ms: tick_for_ms,
            },
        ),
        Cmd::Run {
            systems,
            out,
            only,
            quick,
        } => {
            let ctx = systems.ctx(out, quick);
            std::fs::create_dir_all(&ctx.out).expect("output folder");
            let results = match rt().block_on(run::run_all(&ctx, &only)) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("bench: {e}");
                    std::process::exit(1);
                }
            };
            let table = run::table(&results);
            let all = serde_json::json!({
                "machine": machine(),
                "results": results,
            });
            let _ = std::fs::write(
                ctx.out.join("results.json"),
                serde_json::to_string_pretty(&all).unwrap_or_default(),
            );
            let _ = std::fs::write(ctx.out.join("table.md"), &table);
            println!("{table}");
        }
        Cmd::Smoke { systems, clients } => {
            let ctx = systems.ctx(PathBuf::from("bench/results"), false);
            match rt().block_on(run::smoke(&ctx, clients)) {
                Ok((passed, failed)) => {
                    println!("bench-smoke: {passed} passed, {failed} failed");
                    std::process::exit(if failed == 0 { 0 } else { 1 });
                }
                Err(e) => {
                    println!("bench-smoke: could not run: {e}");
                    println!("bench-smoke: 0 passed, 1 failed");
                    std::process::exit(1);
                }
            }
        }
    }
}

/// What the machine is, for the record.
fn machine() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: u64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    serde_json::json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "model": model,
        "mem_gib": mem_kib / 1024 / 1024,
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
        "unix_time": util::now_us() / 1_000_000,
    })
}
