//! dialoghub's benchmark harness.
//!
//! `bench run`    runs the scenarios against dialoghub, NATS (WebSocket) and the
//!                floor, writes JSON into the output folder and prints the tables.
//! `bench smoke`  a correctness check with a few hundred clients (CI).
//! `bench worker` one load-generator process (started by `run` and `smoke`).
//! `bench floor`  the minimal fan-out server.
//!
//! Options: `--dialoghub PATH` (default: next to this binary), `--nats PATH`
//! (default /usr/sbin/nats-server), `--out DIR` (default bench/results),
//! `--only a,b` (scenario name prefixes), `--quick`, `--clients N` (smoke),
//! `--port N` (floor).

mod floor;
mod publish;
mod run;
mod servers;
mod util;
mod worker;

use std::path::PathBuf;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Options that take a value, and flags.
const WITH_VALUE: &[&str] = &[
    "--dialoghub",
    "--nats",
    "--out",
    "--only",
    "--clients",
    "--port",
];
const FLAGS: &[&str] = &["--quick"];

/// The first argument after the command that is no known option, if any: a typo
/// (or `--help`) must not start a ten-minute run that overwrites the results.
fn unknown(args: &[String]) -> Option<&str> {
    let mut rest = args.iter().skip(2);
    while let Some(a) = rest.next() {
        if WITH_VALUE.contains(&a.as_str()) {
            rest.next()?;
        } else if !FLAGS.contains(&a.as_str()) {
            return Some(a);
        }
    }
    None
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cmd = args.get(1).map(String::as_str).unwrap_or("help");
    if cmd != "worker"
        && let Some(a) = unknown(&args)
    {
        eprintln!("bench: unknown option {a:?}; see the crate docs (bench/src/main.rs)");
        std::process::exit(2);
    }
    let me = std::env::current_exe().expect("own path");
    let ctx = || run::Ctx {
        dialoghub: arg(&args, "--dialoghub")
            .map(PathBuf::from)
            .unwrap_or_else(|| me.with_file_name("dialoghub")),
        nats: arg(&args, "--nats")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/sbin/nats-server")),
        out: arg(&args, "--out")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("bench/results")),
        quick: args.iter().any(|a| a == "--quick"),
        bench: me.clone(),
    };
    let rt = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    };
    match cmd {
        "worker" => worker::main(),
        "floor" => floor::main(
            arg(&args, "--port")
                .and_then(|p| p.parse().ok())
                .unwrap_or(0),
        ),
        "run" => {
            let ctx = ctx();
            let only: Vec<String> = arg(&args, "--only")
                .map(|s| s.split(',').map(str::to_string).collect())
                .unwrap_or_default();
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
        "smoke" => {
            let clients: usize = arg(&args, "--clients")
                .and_then(|c| c.parse().ok())
                .unwrap_or(300);
            match rt().block_on(run::smoke(&ctx(), clients)) {
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
        _ => {
            eprintln!("usage: bench run|smoke|worker|floor [options]; see the crate docs");
            std::process::exit(2);
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
