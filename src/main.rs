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
    /// Create an admin (the first one, or one more) and print a single-use
    /// sign-in link for them, valid for `auth.signin_link_minutes` (15).
    Admin {
        /// The admin's name, as colleagues see it.
        #[arg(long)]
        name: String,
        /// The district they administer (a slug such as `rinkeby-kista`);
        /// without it, the whole municipality.
        #[arg(long)]
        district: Option<String>,
        /// The district's display name (creates or renames it).
        #[arg(long)]
        district_name: Option<String>,
    },
    /// Print a signed participant token for a dialogue (for load tests; staff
    /// sign in with a session, see `admin`).
    Token {
        #[arg(long, default_value = "participant")]
        role: String,
        /// The dialogue the token is for.
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
        Cmd::Admin {
            name,
            district,
            district_name,
        } => {
            admin(
                settings,
                &name,
                district.as_deref(),
                district_name.as_deref(),
            )
            .await
        }
        Cmd::Token {
            role,
            dialogue,
            days,
        } => {
            let role = match role.as_str() {
                "participant" => Role::Participant,
                other => {
                    return Err(format!(
                        "only participant tokens exist ({other:?} signs in: dialoghub admin)"
                    )
                    .into());
                }
            };
            if dialogue.is_none() {
                return Err("--dialogue is needed".into());
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

async fn admin(
    settings: Settings,
    name: &str,
    district: Option<&str>,
    district_name: Option<&str>,
) -> Result<(), Box<dyn std::error::Error>> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err("--name must be 1 to 120 characters".into());
    }
    let district = district
        .map(dialoghub::domain::access::DistrictId::parse)
        .transpose()?;
    let store = dialoghub::store::open(&settings.store.url).await?;
    let (_, link) = dialoghub::identity::admin::first_admin(
        store.as_ref(),
        &settings.server.public_url,
        name,
        district.as_ref().map(|d| (d, district_name)),
        settings.auth.signin_link_minutes,
    )
    .await?;
    store.close().await;
    println!(
        "Open this link within {} minutes to sign in as {}; it works once:\n{link}",
        settings.auth.signin_link_minutes,
        match &district {
            Some(d) => format!("admin of {}", d.as_str()),
            None => "admin of the whole municipality".to_string(),
        }
    );
    Ok(())
}

async fn serve(settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    dialoghub::log_filter::init();
    // Before the port is announced: from then on SIGTERM means a graceful stop,
    // never the default of dying on the spot.
    let stop = dialoghub::app::stop_signal()?;
    let app = App::build(settings).await?;
    if !app.has_admin().await? {
        println!(
            "No admin yet. Create the first one (in another terminal):\n  \
             cargo run --release -- admin --name \"Your Name\"\n\
             and open the sign-in link it prints."
        );
    }
    tracing::info!(port = app.port(), "dialoghub listening");
    if let Some(port) = app.metrics_port() {
        println!("dialoghub metrics on port {port}");
    }
    // One line on stdout that scripts and tests can wait for (port 0 picks a free port).
    println!("dialoghub listening on port {}", app.port());
    app.run_until(stop).await?;
    Ok(())
}
