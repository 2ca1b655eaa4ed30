//! Modes for what Lastmile writes on disk: directories it creates are 0700
//! and files 0600, so other local users read neither the database (with
//! its WAL), its backups and imports, nor the installation key. The binary
//! also sets a umask of 0077 at start; these say the modes explicitly, so
//! they hold when the library runs under another umask (tests, embedders).
//! On other systems than Unix they fall back to the platform's defaults.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Mode of the directories Lastmile creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of the files Lastmile creates.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and its missing parents as 0700. Directories that already
/// exist keep their mode (see [`tighten`]).
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, DIR_MODE);
    b.create(dir)
}

/// Options that create a missing file as 0600 (writable; add `create`,
/// `create_new`, `truncate` or `append` as needed).
pub fn options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, FILE_MODE);
    o
}

/// Writes `bytes` to `path` (created 0600, or truncated and made 0600).
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f: File = options().create(true).truncate(true).open(path)?;
    restrict(&f)?;
    f.write_all(bytes)
}

#[cfg(unix)]
fn restrict(f: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if f.metadata()?.permissions().mode() & 0o077 != 0 {
        f.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_: &File) -> io::Result<()> {
    Ok(())
}

/// Takes group and other permissions away from `path` (a file becomes
/// 0600, a directory 0700) if it has any; returns whether it had to. A
/// missing path is left alone.
pub fn tighten(path: &Path) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        if meta.permissions().mode() & 0o077 == 0 {
            return Ok(false);
        }
        let mode = if meta.is_dir() { DIR_MODE } else { FILE_MODE };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        Ok(true)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(false)
    }
}

/// [`tighten`], logging what changed (and failures, which are not fatal:
/// a read-only mount or a file owned by someone else must not stop a start).
pub fn tighten_logged(path: &Path) {
    match tighten(path) {
        Ok(true) => tracing::warn!(
            path = %path.display(),
            "permissions tightened: only Lastmile's user may read its data"
        ),
        Ok(false) => {}
        Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot tighten permissions"),
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_private_and_loose_ones_tightened() {
        let root = std::env::temp_dir().join(format!("lastmile-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let dir = root.join("a/b");
        create_dir_all(&dir).unwrap();
        assert_eq!(mode(&root.join("a")), DIR_MODE);
        assert_eq!(mode(&dir), DIR_MODE);
        let f = dir.join("f");
        write(&f, b"x").unwrap();
        assert_eq!(mode(&f), FILE_MODE);
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&f, b"y").unwrap();
        assert_eq!(mode(&f), FILE_MODE, "rewriting a loose file restricts it");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(tighten(&f).unwrap());
        assert!(tighten(&dir).unwrap());
        assert!(!tighten(&f).unwrap());
        assert!(!tighten(&dir.join("missing")).unwrap());
        assert_eq!((mode(&f), mode(&dir)), (FILE_MODE, DIR_MODE));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
