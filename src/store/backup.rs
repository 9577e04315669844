//! Backups of the embedded store: `dialoghub backup FILE` and `dialoghub restore FILE`.
//!
//! A backup is SQLite's `VACUUM INTO` on a connection of its own: one read
//! transaction, so the copy is the database as of one commit, taken while the
//! server goes on writing (WAL lets a reader and the writer run side by side).
//! Every write acknowledged before the backup started is in it. PostgreSQL has
//! its own tools (`pg_dump`, point-in-time recovery): see `docs/operations.md`.

use super::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

fn sqlite_path(url: &str) -> Result<PathBuf, StoreError> {
    if !url.starts_with("sqlite:") {
        return Err(StoreError::Config(
            "backup and restore are for the embedded SQLite store; for PostgreSQL use pg_dump \
             and pg_restore (docs/operations.md)"
                .into(),
        ));
    }
    Ok(SqliteConnectOptions::from_str(url)?
        .get_filename()
        .to_path_buf())
}

/// Writes a consistent copy of the store at `url` to `dest` (which must not exist).
/// Safe while the server runs.
pub async fn backup(url: &str, dest: &Path) -> Result<(), StoreError> {
    let source = sqlite_path(url)?;
    if !source.exists() {
        return Err(StoreError::Config(format!(
            "no database at {}",
            source.display()
        )));
    }
    if dest.exists() {
        return Err(StoreError::Config(format!(
            "{} exists; a backup never overwrites a file",
            dest.display()
        )));
    }
    let mut conn = SqliteConnectOptions::new()
        .filename(&source)
        // The server's writer may hold the lock for a commit: wait for it.
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await?;
    let dest_text = dest
        .to_str()
        .ok_or_else(|| StoreError::Config("the backup path is not UTF-8".into()))?;
    sqlx::query("VACUUM INTO ?")
        .bind(dest_text)
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    check(dest).await
}

/// Checks that `file` is a whole dialoghub database.
async fn check(file: &Path) -> Result<(), StoreError> {
    let mut conn = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .connect()
        .await?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await?;
    let dialogues: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'dialogues'",
    )
    .fetch_optional(&mut conn)
    .await?;
    conn.close().await?;
    if integrity != "ok" || dialogues.is_none() {
        return Err(StoreError::Config(format!(
            "{} is not a whole dialoghub database ({integrity})",
            file.display()
        )));
    }
    Ok(())
}

/// Puts the backup `file` in place of the store at `url`. The server must be
/// stopped: a write-ahead log beside the database means it is running (or
/// crashed, and its last commits are in the log), and restore refuses unless
/// `force`. The database it replaces is kept beside it as `….replaced`.
pub async fn restore(url: &str, file: &Path, force: bool) -> Result<PathBuf, StoreError> {
    let target = sqlite_path(url)?;
    check(file).await?;
    let wal = with_suffix(&target, "-wal");
    if wal.exists() && !force {
        return Err(StoreError::Config(format!(
            "{} exists: stop the server first (or pass --force after a crash)",
            wal.display()
        )));
    }
    if let Some(dir) = target.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    // Copy next to the target, then rename: a restore cut short leaves the old
    // database whole.
    let staging = with_suffix(&target, ".restoring");
    std::fs::copy(file, &staging).map_err(io)?;
    std::fs::File::open(&staging)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    if target.exists() {
        std::fs::rename(&target, with_suffix(&target, ".replaced")).map_err(io)?;
    }
    for stale in [wal, with_suffix(&target, "-shm")] {
        if stale.exists() {
            std::fs::remove_file(stale).map_err(io)?;
        }
    }
    std::fs::rename(&staging, &target).map_err(io)?;
    // The restored file is in rollback mode as VACUUM INTO writes it; the server
    // switches it to WAL when it opens it.
    let mut conn = SqliteConnectOptions::new()
        .filename(&target)
        .journal_mode(SqliteJournalMode::Wal)
        .connect()
        .await?;
    sqlx::query("SELECT 1").execute(&mut conn).await?;
    conn.close().await?;
    Ok(target)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Config(format!("restore: {e}"))
}
