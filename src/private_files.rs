//! Files with personal data are for the server's user alone: a folder the
//! server creates is 0700, the database file 0600. SQLite creates its `-wal`
//! and `-shm` files with the database file's mode, so they follow.
//!
//! A folder that already exists keeps its mode (it may be shared, like `/tmp`);
//! files are tightened whenever the server opens them, also ones an older
//! version left readable to all.

use std::io;
use std::path::Path;

/// Creates `dir` (and its parents) if missing, the last one 0700.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The database file's folder created, the file itself created if missing, and
/// it and its log files made 0600.
pub fn prepare_database(db: &Path) -> io::Result<()> {
    if db.as_os_str().is_empty() || db == Path::new(":memory:") {
        return Ok(());
    }
    if let Some(dir) = db.parent() {
        create_dir(dir)?;
    }
    let mut open = std::fs::OpenOptions::new();
    open.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    drop(open.open(db)?);
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = Path::new(&name);
        if path.exists() {
            private(path)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn private(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn private(_path: &Path) -> io::Result<()> {
    Ok(())
}
