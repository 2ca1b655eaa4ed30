//! Accounting records refused for their own content, kept beside the
//! journal until someone retries them.
//!
//! A record is acknowledged to the NAS once it is in the journal, so the
//! committer may never drop one. When the database refuses a record while
//! it accepts others (a constraint on that row), or the record carries
//! counters no NAS can produce (see [`Record::check`]), the committer
//! appends it here with the reason, moves the journal position past it, and
//! goes on. `lastmile aaa journal` lists what is here and `lastmile aaa
//! journal --retry` asks the running node to apply it again (the request is
//! a file, [`RETRY_REQUEST`], so the CLI needs no channel to the server).
//!
//! File `dead-letter` in the journal directory: frames like the journal's,
//! `[payload length u32 LE][CRC-32 u32 LE][payload]`, the payload being
//! `[version u8][segment u64][offset u64][refused at i64][reason][record
//! frame]`. Appends are synced before the journal position moves past the
//! record; a torn tail (a crash mid-append) is cut when the file is opened,
//! and the record it held is still in the journal, so it is refused again.
//! Entries are keyed by journal position: a record refused twice (replayed
//! after a crash) is kept once.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::acct::Record;
use crate::journal::{Position, decode_frame, encode_frame};

/// The dead-letter file's name in the journal directory.
pub const FILE: &str = "dead-letter";
/// Its presence asks the running node to retry every entry.
pub const RETRY_REQUEST: &str = "dead-letter.retry";

const VERSION: u8 = 1;
/// Reasons are the database's message: a few lines at most.
const MAX_REASON: usize = 2000;

/// One refused record.
#[derive(Debug, Clone)]
pub struct Letter {
    /// Where it was in the journal (its key here).
    pub position: Position,
    /// When it was refused (Unix seconds).
    pub refused_at: i64,
    /// Why: the database's message, or the check that failed.
    pub reason: String,
    /// The record as acknowledged.
    pub record: Record,
}

/// The dead-letter file of one journal directory, its entries in memory
/// (they are few: each one is a defect someone must look at).
#[derive(Debug)]
pub struct DeadLetters {
    path: PathBuf,
    letters: Vec<Letter>,
    keys: HashSet<Position>,
}

fn encode(l: &Letter, out: &mut Vec<u8>) {
    let head = out.len();
    out.extend_from_slice(&[0; 8]);
    out.push(VERSION);
    out.extend_from_slice(&l.position.segment.to_le_bytes());
    out.extend_from_slice(&l.position.offset.to_le_bytes());
    out.extend_from_slice(&l.refused_at.to_le_bytes());
    let mut reason = l.reason.as_str();
    if reason.len() > MAX_REASON {
        let mut cut = MAX_REASON;
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        reason = &reason[..cut];
    }
    out.extend_from_slice(&(reason.len() as u16).to_le_bytes());
    out.extend_from_slice(reason.as_bytes());
    encode_frame(&l.record, out);
    let payload = &out[head + 8..];
    let len = payload.len() as u32;
    let crc = crc32fast::hash(payload);
    out[head..head + 4].copy_from_slice(&len.to_le_bytes());
    out[head + 4..head + 8].copy_from_slice(&crc.to_le_bytes());
}

fn decode(data: &[u8]) -> Option<(Letter, usize)> {
    let len = u32::from_le_bytes(data.get(0..4)?.try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(data.get(4..8)?.try_into().ok()?);
    let p = data.get(8..8 + len)?;
    if crc32fast::hash(p) != crc || *p.first()? != VERSION {
        return None;
    }
    let u64_at = |i: usize| p.get(i..i + 8)?.try_into().ok().map(u64::from_le_bytes);
    let segment = u64_at(1)?;
    let offset = u64_at(9)?;
    let refused_at = u64_at(17)? as i64;
    let n = u16::from_le_bytes(p.get(25..27)?.try_into().ok()?) as usize;
    let reason = std::str::from_utf8(p.get(27..27 + n)?).ok()?.to_owned();
    let (record, used) = decode_frame(p.get(27 + n..)?)?;
    if 27 + n + used != p.len() {
        return None;
    }
    Some((
        Letter {
            position: Position { segment, offset },
            refused_at,
            reason,
            record,
        },
        8 + len,
    ))
}

/// Every entry of `data` and the length of the whole ones.
fn decode_all(data: &[u8]) -> (Vec<Letter>, usize) {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some((l, used)) = decode(&data[at..]) {
        out.push(l);
        at += used;
    }
    (out, at)
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
}

/// The entries of the dead-letter file in `dir` (none when it does not
/// exist), read only: `lastmile aaa journal`.
pub fn read(dir: &Path) -> io::Result<Vec<Letter>> {
    match fs::read(dir.join(FILE)) {
        Ok(data) => Ok(decode_all(&data).0),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Asks the node using `dir` to retry every entry (it looks every second).
pub fn request_retry(dir: &Path) -> io::Result<()> {
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(dir.join(RETRY_REQUEST))?;
    f.write_all(b"retry\n")?;
    f.sync_all()
}

/// Whether a retry asked for with [`request_retry`] is still waiting.
pub fn retry_pending(dir: &Path) -> bool {
    dir.join(RETRY_REQUEST).exists()
}

impl DeadLetters {
    /// Opens the file in `dir` (the journal directory), cutting a torn tail.
    pub fn open(dir: &Path) -> io::Result<DeadLetters> {
        let path = dir.join(FILE);
        let letters = match fs::read(&path) {
            Ok(data) => {
                let (letters, whole) = decode_all(&data);
                if whole < data.len() {
                    tracing::warn!(file = %path.display(), offset = whole, "accounting dead letters: incomplete entry at the end cut off");
                    OpenOptions::new()
                        .write(true)
                        .open(&path)?
                        .set_len(whole as u64)?;
                }
                letters
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let keys = letters.iter().map(|l| l.position).collect();
        Ok(DeadLetters {
            path,
            letters,
            keys,
        })
    }

    /// How many records wait here.
    pub fn len(&self) -> usize {
        self.letters.len()
    }

    /// Whether none does.
    pub fn is_empty(&self) -> bool {
        self.letters.is_empty()
    }

    /// The entries, oldest first.
    pub fn letters(&self) -> &[Letter] {
        &self.letters
    }

    /// Appends a refused record and syncs it; `false` when its position is
    /// here already.
    pub fn add(&mut self, letter: Letter) -> io::Result<bool> {
        if self.keys.contains(&letter.position) {
            return Ok(false);
        }
        let mut buf = Vec::with_capacity(256);
        encode(&letter, &mut buf);
        let created = !self.path.exists();
        let mut f = open_append(&self.path)?;
        f.write_all(&buf)?;
        f.sync_data()?;
        if created && let Some(dir) = self.path.parent() {
            File::open(dir)?.sync_all()?;
        }
        self.keys.insert(letter.position);
        self.letters.push(letter);
        Ok(true)
    }

    /// Takes every entry out, for a retry; what is refused again goes back
    /// with [`DeadLetters::replace`].
    pub fn take(&mut self) -> Vec<Letter> {
        self.keys.clear();
        std::mem::take(&mut self.letters)
    }

    /// Rewrites the file with `letters` (atomically: a new file renamed
    /// over the old one).
    pub fn replace(&mut self, letters: Vec<Letter>) -> io::Result<()> {
        let tmp = self.path.with_extension("tmp");
        let mut buf = Vec::new();
        for l in &letters {
            encode(l, &mut buf);
        }
        {
            let mut f = OpenOptions::new()
                .create(true)
                .truncate(true)
                .write(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&buf)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            File::open(dir)?.sync_all()?;
        }
        self.keys = letters.iter().map(|l| l.position).collect();
        self.letters = letters;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acct::Status;

    fn letter(offset: u64, reason: &str) -> Letter {
        Letter {
            position: Position { segment: 2, offset },
            refused_at: 1_700_000_000,
            reason: reason.into(),
            record: Record {
                nas_id: 1,
                status: Status::Stop,
                session_id: format!("s{offset}"),
                login: "ana".into(),
                framed_ip: Some("100.64.0.9".into()),
                framed_ipv6_prefix: None,
                delegated_ipv6_prefix: None,
                calling_station_id: String::new(),
                nas_port_id: String::new(),
                input: i64::MAX,
                output: 5,
                session_time: 60,
                terminate_cause: "User-Request".into(),
                at: 1_700_000_000,
            },
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("lm-dead-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn entries_survive_reopening_once_each_and_a_torn_tail_is_cut() {
        let dir = temp_dir("reopen");
        let mut d = DeadLetters::open(&dir).unwrap();
        assert!(d.add(letter(10, "value out of range")).unwrap());
        assert!(d.add(letter(20, "é".repeat(3000).as_str())).unwrap());
        // The same journal position again (replayed after a crash).
        assert!(!d.add(letter(10, "again")).unwrap());
        // A crash in the middle of an append.
        let mut f = open_append(&dir.join(FILE)).unwrap();
        f.write_all(&[40, 0, 0, 0, 1, 2]).unwrap();
        drop(f);
        let d = DeadLetters::open(&dir).unwrap();
        assert_eq!(d.len(), 2);
        let l = &d.letters()[0];
        assert_eq!(
            (l.position.offset, l.reason.as_str()),
            (10, "value out of range")
        );
        assert_eq!(l.record.input, i64::MAX);
        assert_eq!(l.record.framed_ip.as_deref(), Some("100.64.0.9"));
        // Long reasons are cut on a character boundary.
        assert!(d.letters()[1].reason.len() <= MAX_REASON);
        assert_eq!(read(&dir).unwrap().len(), 2);
        let mode = fs::metadata(dir.join(FILE)).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
    }

    #[test]
    fn a_retry_keeps_only_what_is_refused_again() {
        let dir = temp_dir("retry");
        let mut d = DeadLetters::open(&dir).unwrap();
        for i in 1..=3 {
            d.add(letter(i, "refused")).unwrap();
        }
        let taken = d.take();
        assert_eq!(taken.len(), 3);
        d.replace(
            taken
                .into_iter()
                .filter(|l| l.position.offset == 2)
                .collect(),
        )
        .unwrap();
        let again = DeadLetters::open(&dir).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again.letters()[0].position.offset, 2);
        assert!(!retry_pending(&dir));
        request_retry(&dir).unwrap();
        assert!(retry_pending(&dir));
    }
}
