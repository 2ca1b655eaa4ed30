//! Backups and restores.
//!
//! SQLite: an online, consistent copy with `VACUUM INTO` (readers and the
//! writer carry on meanwhile) into `<data_dir>/backups/lastmile-YYYYMMDD-HHMMSS.db`.
//! PostgreSQL: `pg_dump -Fc` into `….dump` (the PostgreSQL client must be
//! installed and not older than the server). Times in names are UTC.
//!
//! Files are written under a `.partial` name and renamed when complete, so
//! a listing or the retention sweep never sees half a backup. Retention
//! (`backup.retention_days`) deletes only files named like ours, and never
//! the newest one.
//!
//! Restoring replaces the whole database: **stop every Lastmile process
//! that uses it first**. SQLite: the backup is checked (SQLite header, our
//! migrations table) and copied over the database file; the file it replaces
//! is kept next to it as `….pre-restore-…`. PostgreSQL: `pg_restore --clean
//! --if-exists --no-owner --single-transaction`, so a failed restore changes
//! nothing.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use domain::Permission;
use serde_json::json;
use store::{Db, Engine};

use crate::{Caller, Change, Error, Result, Services};

const PREFIX: &str = "lastmile-";
const STAMP: &str = "%Y%m%d-%H%M%S";

/// One backup file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupFile {
    pub name: String,
    #[serde(skip)]
    pub path: PathBuf,
    pub size: i64,
    /// When it was taken (from its name), Unix seconds.
    pub created_at: i64,
}

/// Where backups go.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("backups")
}

/// Takes a backup now into the data dir's backup folder, applies
/// retention, and records `backup.create` by the caller
/// (`settings.manage`; the `backup` job and the console hold it).
pub async fn run(svc: &Services, caller: &Caller) -> Result<BackupFile> {
    caller.require(Permission::SettingsManage)?;
    let dir = dir(&svc.data_dir);
    let file = write(&svc.db, &dir).await?;
    let days = crate::system::settings::current(svc)
        .await?
        .int(domain::system::settings::BACKUP_RETENTION_DAYS);
    let removed = prune(&dir, days, store::now())?;
    let mut tx = svc.db.begin().await?;
    Change::new("backup.create", "backup", &file.name)
        .after(json!({"size": file.size, "removed": removed}))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(file)
}

/// Writes a backup into `dir` (created if missing), outside the backup
/// folder's retention (`lastmile backup --output`; `settings.manage`).
pub async fn create(svc: &Services, caller: &Caller, dir: &Path) -> Result<BackupFile> {
    caller.require(Permission::SettingsManage)?;
    write(&svc.db, dir).await
}

/// Writes a backup of `db` into `dir` (created if missing).
async fn write(db: &Db, dir: &Path) -> Result<BackupFile> {
    store::files::create_dir_all(dir).map_err(|e| io_error("create", dir, e))?;
    let now = jiff::Timestamp::now();
    let ext = match db.engine() {
        Engine::Sqlite => "db",
        Engine::Postgres => "dump",
    };
    let stamp = now.strftime(STAMP).to_string();
    let mut name = format!("{PREFIX}{stamp}.{ext}");
    let mut n = 2;
    while dir.join(&name).exists() {
        name = format!("{PREFIX}{stamp}-{n}.{ext}");
        n += 1;
    }
    let path = dir.join(&name);
    let partial = dir.join(format!("{name}.partial"));
    let _ = std::fs::remove_file(&partial);
    // Created empty and private first: VACUUM INTO accepts an empty file,
    // pg_dump truncates it, and both keep its mode.
    store::files::options()
        .create_new(true)
        .open(&partial)
        .map_err(|e| io_error("create", &partial, e))?;
    let written = match db.engine() {
        Engine::Sqlite => vacuum_into(db, &partial).await,
        Engine::Postgres => pg_dump(db.url(), &partial).await,
    };
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, &path).map_err(|e| io_error("rename", &partial, e))?;
    let size = std::fs::metadata(&path)
        .map_err(|e| io_error("read", &path, e))?
        .len();
    tracing::info!(file = %path.display(), size, "backup written");
    Ok(BackupFile {
        name,
        path,
        size: i64::try_from(size).unwrap_or(i64::MAX),
        created_at: now.as_second(),
    })
}

async fn vacuum_into(db: &Db, target: &Path) -> Result<()> {
    db.vacuum_into(target)
        .await
        .map_err(|e| Error::Internal(format!("SQLite backup failed: {e}")))
}

/// The URL without its password, and the password (for `PGPASSWORD`), so it
/// never shows in the process list.
fn split_password(url: &str) -> Result<(String, Option<String>)> {
    let mut u = url::Url::parse(url).map_err(|e| {
        Error::Internal(format!("bad database URL {}: {e}", store::redact_url(url)))
    })?;
    let password = u.password().map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    let _ = u.set_password(None);
    Ok((u.to_string(), password))
}

async fn pg_tool(tool: &str, args: &[&std::ffi::OsStr], url: &str) -> Result<()> {
    let (url, password) = split_password(url)?;
    let mut cmd = tokio::process::Command::new(tool);
    cmd.args(args)
        .arg(format!("--dbname={url}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd.output().await.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::Internal(format!(
            "{tool} was not found on PATH: install the PostgreSQL client tools \
             (Debian: apt install postgresql-client), in a version not older than the server"
        )),
        _ => Error::Internal(format!("cannot run {tool}: {e}")),
    })?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let hint = if stderr.contains("server version mismatch") || stderr.contains("version mismatch")
    {
        " (the PostgreSQL client is older than the server: install the client of the server's version)"
    } else {
        ""
    };
    Err(Error::Internal(format!(
        "{tool} failed ({}): {}{hint}",
        out.status,
        stderr.trim()
    )))
}

async fn pg_dump(url: &str, target: &Path) -> Result<()> {
    let file = format!("--file={}", target.display());
    pg_tool(
        "pg_dump",
        &["-Fc".as_ref(), "--no-password".as_ref(), file.as_ref()],
        url,
    )
    .await
}

/// Backups in `dir`, newest first (only files named like ours).
pub fn list(dir: &Path) -> Result<Vec<BackupFile>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error("read", dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((created_at, seq)) = parse_name(&name) else {
            continue;
        };
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        files.push((
            seq,
            BackupFile {
                path: entry.path(),
                size: i64::try_from(meta.len()).unwrap_or(i64::MAX),
                created_at,
                name,
            },
        ));
    }
    files.sort_by(|(sa, a), (sb, b)| b.created_at.cmp(&a.created_at).then(sb.cmp(sa)));
    Ok(files.into_iter().map(|(_, f)| f).collect())
}

/// The backups of the data dir, newest first (`settings.view` or
/// `settings.manage`).
pub fn list_in(svc: &Services, caller: &Caller) -> Result<Vec<BackupFile>> {
    crate::staff::require_any(
        caller,
        &[Permission::SettingsView, Permission::SettingsManage],
    )?;
    list(&dir(&svc.data_dir))
}

/// The time in a name of ours (`lastmile-YYYYMMDD-HHMMSS[-n].db|dump`),
/// and `n` (1 when absent) for backups taken in the same second.
fn parse_name(name: &str) -> Option<(i64, u32)> {
    let rest = name.strip_prefix(PREFIX)?;
    let (stem, ext) = rest.rsplit_once('.')?;
    if ext != "db" && ext != "dump" {
        return None;
    }
    let stamp = stem.get(..15)?;
    let tail = &stem[15..];
    let seq = if tail.is_empty() {
        1
    } else {
        tail.strip_prefix('-')?.parse::<u32>().ok()?
    };
    let dt = jiff::civil::DateTime::strptime(STAMP, stamp).ok()?;
    let at = dt
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?
        .timestamp()
        .as_second();
    Some((at, seq))
}

/// Deletes our backups older than `days`, always keeping the newest.
/// Returns the names removed.
pub fn prune(dir: &Path, days: i64, now: i64) -> Result<Vec<String>> {
    let cutoff = now - days.max(1) * 86_400;
    let mut removed = Vec::new();
    for f in list(dir)?.into_iter().skip(1) {
        if f.created_at < cutoff {
            std::fs::remove_file(&f.path).map_err(|e| io_error("delete", &f.path, e))?;
            tracing::info!(file = %f.name, "old backup removed");
            removed.push(f.name);
        }
    }
    Ok(removed)
}

/// Replaces the database at `url` with the backup `file`, then records
/// `backup.restore` by the caller in the restored database
/// (`settings.manage`). Every Lastmile process using the database must be
/// stopped.
pub async fn restore(url: &str, file: &Path, caller: &Caller) -> Result<()> {
    caller.require(Permission::SettingsManage)?;
    if !file.is_file() {
        return Err(Error::invalid_msg(
            "file",
            format!("{} is not a file", file.display()),
        ));
    }
    if url.starts_with("sqlite:") {
        restore_sqlite(url, file).await?;
    } else {
        let mut magic = [0u8; 5];
        read_prefix(file, &mut magic)?;
        if &magic != b"PGDMP" {
            return Err(Error::invalid_msg(
                "file",
                format!("{} is not a pg_dump custom-format file", file.display()),
            ));
        }
        pg_tool(
            "pg_restore",
            &[
                "--clean".as_ref(),
                "--if-exists".as_ref(),
                "--no-owner".as_ref(),
                "--single-transaction".as_ref(),
                "--no-password".as_ref(),
                file.as_os_str(),
            ],
            url,
        )
        .await?;
    }
    let db = Db::connect(url, 1).await?;
    db.migrate().await?;
    let mut tx = db.begin().await?;
    let name = file
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    Change::new("backup.restore", "backup", name)
        .record(&mut tx, db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    db.close().await;
    Ok(())
}

fn read_prefix(file: &Path, buf: &mut [u8]) -> Result<()> {
    use std::io::Read;
    let mut f = std::fs::File::open(file).map_err(|e| io_error("open", file, e))?;
    f.read_exact(buf).map_err(|_| {
        Error::invalid_msg(
            "file",
            format!("{} is too short to be a backup", file.display()),
        )
    })
}

fn sqlite_path(url: &str) -> PathBuf {
    let p = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    PathBuf::from(p.split('?').next().unwrap_or(p))
}

async fn restore_sqlite(url: &str, file: &Path) -> Result<()> {
    let mut magic = [0u8; 16];
    read_prefix(file, &mut magic)?;
    if &magic != b"SQLite format 3\0" {
        return Err(Error::invalid_msg(
            "file",
            format!("{} is not an SQLite database", file.display()),
        ));
    }
    // Is it ours? Open it read-only and look for our tables.
    let ours = store::is_lastmile_sqlite(file)
        .await
        .map_err(|e| Error::invalid_msg("file", format!("{}: {e}", file.display())))?;
    if !ours {
        return Err(Error::invalid_msg(
            "file",
            format!("{} is not a Lastmile database", file.display()),
        ));
    }
    let target = sqlite_path(url);
    if let Some(parent) = target.parent()
        && !parent.as_os_str().is_empty()
    {
        store::files::create_dir_all(parent).map_err(|e| io_error("create", parent, e))?;
    }
    let incoming = with_suffix(&target, ".restoring");
    // A copy takes the source's mode; the database is private whatever that was.
    std::fs::copy(file, &incoming).map_err(|e| io_error("copy", file, e))?;
    store::files::tighten(&incoming).map_err(|e| io_error("restrict", &incoming, e))?;
    if target.exists() {
        let stamp = jiff::Timestamp::now().strftime(STAMP).to_string();
        let keep = with_suffix(&target, &format!(".pre-restore-{stamp}"));
        std::fs::rename(&target, &keep).map_err(|e| io_error("rename", &target, e))?;
        tracing::info!(file = %keep.display(), "previous database kept");
    }
    for side in ["-wal", "-shm"] {
        let p = with_suffix(&target, side);
        if p.exists() {
            std::fs::remove_file(&p).map_err(|e| io_error("delete", &p, e))?;
        }
    }
    std::fs::rename(&incoming, &target).map_err(|e| io_error("rename", &incoming, e))?;
    Ok(())
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Internal(format!("cannot {what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            parse_name("lastmile-20260310-030000.db"),
            Some((1_773_111_600, 1))
        );
        assert_eq!(
            parse_name("lastmile-20260310-030000-2.dump"),
            Some((1_773_111_600, 2))
        );
        assert_eq!(parse_name("lastmile-20260310-030000.db.partial"), None);
        assert_eq!(parse_name("notes.txt"), None);
        assert_eq!(parse_name("lastmile-2026.db"), None);
        assert_eq!(parse_name("lastmile-20260310-030000-x.db"), None);
    }

    #[test]
    fn password_stays_out_of_the_url() {
        let (u, p) = split_password("postgres://lm:s%40cret@db:5432/lastmile").expect("url");
        assert_eq!(u, "postgres://lm@db:5432/lastmile");
        assert_eq!(p.as_deref(), Some("s@cret"));
        let (u, p) = split_password("postgres://postgres@127.0.0.1/x").expect("url");
        assert_eq!(u, "postgres://postgres@127.0.0.1/x");
        assert_eq!(p, None);
    }
}
