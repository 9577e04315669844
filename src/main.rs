//! Reads config, starts tracing, runs the server (or prints a token).

use clap::{Parser, Subcommand};
use dialoghub::domain::Role;
use dialoghub::{App, Settings};
use std::path::PathBuf;
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "dialoghub",
    about = "Real-time server for hybrid public dialogue meetings"
)]
struct Cli {
    /// A TOML file with settings over the built-in defaults.
    #[arg(long, global = true, env = "DIALOGHUB_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the server (the default).
    Serve,
    /// Copy the embedded SQLite store to FILE, consistently, while the server runs.
    Backup { file: PathBuf },
    /// Put a backup made by `backup` in place of the embedded SQLite store. Stop
    /// the server first; the replaced database is kept beside it as `.replaced`.
    Restore {
        file: PathBuf,
        /// Restore although a write-ahead log is beside the database (after a crash).
        #[arg(long)]
        force: bool,
    },
    /// Print a signed token, e.g. the first organizer's.
    Token {
        #[arg(long, default_value = "organizer")]
        role: String,
        /// The dialogue a non-organizer token is for.
        #[arg(long)]
        dialogue: Option<Uuid>,
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Cmd::Serve) {
        Cmd::Serve => serve(settings).await,
        Cmd::Backup { file } => {
            dialoghub::store::backup::backup(&settings.store.url, &file).await?;
            println!("backup written to {}", file.display());
            Ok(())
        }
        Cmd::Restore { file, force } => {
            let target =
                dialoghub::store::backup::restore(&settings.store.url, &file, force).await?;
            println!("restored {} to {}", file.display(), target.display());
            Ok(())
        }
        Cmd::Token {
            role,
            dialogue,
            days,
        } => {
            let role = match role.as_str() {
                "organizer" => Role::Organizer,
                "moderator" => Role::Moderator,
                "panelist" => Role::Panelist,
                "screen" => Role::Screen,
                other => return Err(format!("unknown role {other:?}").into()),
            };
            if role != Role::Organizer && dialogue.is_none() {
                return Err("--dialogue is needed for this role".into());
            }
            let tokens =
                dialoghub::auth::Tokens::from_settings(&settings.auth, &settings.server.data_dir)?;
            println!(
                "{}",
                tokens.issue(role, Uuid::new_v4(), dialogue, chrono::Duration::days(days))
            );
            Ok(())
        }
    }
}

async fn serve(settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    dialoghub::log_filter::init();
    // Before the port is announced: from then on SIGTERM means a graceful stop,
    // never the default of dying on the spot.
    let stop = dialoghub::app::stop_signal()?;
    let app = App::build(settings).await?;
    tracing::info!(port = app.port(), "dialoghub listening");
    if let Some(port) = app.metrics_port() {
        println!("dialoghub metrics on port {port}");
    }
    // One line on stdout that scripts and tests can wait for (port 0 picks a free port).
    println!("dialoghub listening on port {}", app.port());
    app.run_until(stop).await?;
    Ok(())
}
