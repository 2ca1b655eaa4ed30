//! The accounting journal. An Accounting-Request is acknowledged once its
//! record is appended to this file and `fdatasync` has returned, so it is
//! durable on this node's disk; the [`Committer`](crate::acct::Committer)
//! applies the records to the database behind, thousands per transaction.
//!
//! Why not answer after a database commit: a NAS keeps a small window of
//! requests outstanding, so the rate it gets is window ÷ commit latency.
//! Committing a few dozen rows into a table with several indexes takes
//! milliseconds; appending them here and syncing takes a fraction of one.
//! This is FreeRADIUS's "buffered-sql" pattern (detail file, then SQL),
//! except that the file is synced before the reply. The database being
//! down, or slow, no longer refuses accounting either: the committer reads
//! the files behind the writer ([`Tail`]), so what waits for the database
//! waits on disk; when the records not yet applied pass the configured cap
//! ([`MAX_BACKLOG`] by default), new requests go unanswered (the NAS
//! retransmits) instead of filling the disk.
//!
//! Applied exactly once: the committer stores the position it has applied
//! up to in `radius_journal` (one row per node), in the same transaction as
//! the records, and at start-up everything after it is replayed. Segments
//! wholly applied are deleted.
//!
//! Layout of the directory: `node` (this node's random id, the key in
//! `radius_journal`) and segments `<number, 16 hex digits>.acct`. Every
//! start-up opens a new segment, and so does a segment passing
//! [`SEGMENT_BYTES`]. A record is `[payload length u32 LE][CRC-32 of the
//! payload u32 LE][payload]` ([`crate::record`] encodes it); a torn tail
//! (a crash mid-append, never acknowledged) fails its length or checksum
//! and is cut off.
//!
//! Segments grow by [`PREPARE_BYTES`] of zeros, synced before records are
//! written over them: an `fdatasync` that only flushes data is about half
//! the time of one that must also record a new file size (ext4 here:
//! 110 µs against 180–240 µs), and the sync is on every request's path.
//! The records end at the first frame that does not decode.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use crate::acct::Record;
use crate::metrics::{DropReason, Metrics};
pub use crate::record::{decode_frame, encode_frame};

/// A segment is closed and a new one started past this size.
pub const SEGMENT_BYTES: u64 = 64 << 20;

/// The default number of records journaled but not yet applied beyond
/// which new requests are left unanswered: about 600 MB of journal on disk
/// (records waiting for the database wait in the files, not in memory);
/// `radius_journal_max_backlog` in the configuration.
pub const MAX_BACKLOG: u64 = 4_000_000;

/// Zeros a segment is extended by, ahead of the records (see the module
/// comment). Writing and syncing 1 MiB takes about 2.5 ms, once per some
/// ten thousand records.
pub const PREPARE_BYTES: u64 = 1 << 20;

/// Records per append at most (one write and one sync each).
const MAX_APPEND: usize = 8192;

/// Where the applier has got to: a segment and the byte offset after the
/// last record applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    /// Segment number.
    pub segment: u64,
    /// Byte offset in it.
    pub offset: u64,
}

/// Records appended together (or replayed), in journal order, for the
/// committer. Never spans two segments. They stay in their journal
/// encoding until the committer's transaction: a tenth of the memory of
/// parsed records, in one allocation instead of one per string, which
/// matters while the database is behind.
#[derive(Debug)]
pub struct Batch {
    /// The segment they are in.
    pub segment: u64,
    /// The records' frames, as in the journal.
    pub frames: Vec<u8>,
    /// The offset in the segment after each record.
    pub ends: Vec<u64>,
}

impl Batch {
    /// Records encoded one after the other, the first at `offset`.
    pub fn encode(segment: u64, offset: u64, records: &[Record]) -> Batch {
        let mut frames = Vec::new();
        let mut ends = Vec::with_capacity(records.len());
        for r in records {
            encode_frame(r, &mut frames);
            ends.push(offset + frames.len() as u64);
        }
        Batch {
            segment,
            frames,
            ends,
        }
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The records with the position after each, decoded.
    pub fn records(&self) -> impl Iterator<Item = (Record, Position)> + '_ {
        let mut at = 0;
        self.ends.iter().map_while(move |&offset| {
            let (r, used) = decode_frame(self.frames.get(at..)?)?;
            at += used;
            Some((
                r,
                Position {
                    segment: self.segment,
                    offset,
                },
            ))
        })
    }

    /// The position after the last record.
    pub fn end(&self) -> Option<Position> {
        self.ends.last().map(|&offset| Position {
            segment: self.segment,
            offset,
        })
    }
}

/// A record waiting for its append, with the reply to send after the sync.
#[derive(Debug)]
pub struct Entry {
    /// The record's frame ([`encode_frame`]).
    pub frame: Vec<u8>,
    /// The encoded Accounting-Response.
    pub reply: Vec<u8>,
    /// Where it goes.
    pub peer: SocketAddr,
    /// The socket it came in on.
    pub sock: Arc<UdpSocket>,
}

/// A journal directory, opened.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    node: String,
    segment: u64,
    file: File,
    /// Where the next record goes (the end of the records).
    len: u64,
    /// The end of the zeros written and synced ahead of the records.
    prepared: u64,
}

fn segment_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("{n:016x}.acct"))
}

/// The segment numbers present, ascending.
fn segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir)? {
        let name = e?.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(hex) = name.strip_suffix(".acct")
            && hex.len() == 16
            && let Ok(n) = u64::from_str_radix(hex, 16)
        {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Makes a new file's directory entry durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Journal {
    /// Opens (creating) the directory and reads or creates the node id.
    /// The new segment is created by [`Journal::replay`].
    pub fn node_id(dir: &Path) -> io::Result<String> {
        services::files::create_dir_all(dir)?;
        let path = dir.join("node");
        match fs::read_to_string(&path) {
            Ok(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
            Ok(_) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is empty", path.display()),
            )),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let id: u128 = rand_id();
                let node = format!("{id:032x}");
                let tmp = dir.join("node.tmp");
                let mut f = OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .mode(0o600)
                    .open(&tmp)?;
                f.write_all(node.as_bytes())?;
                f.sync_all()?;
                fs::rename(&tmp, &path)?;
                sync_dir(dir)?;
                Ok(node)
            }
            Err(e) => Err(e),
        }
    }

    /// Counts the records after `applied` (the committer's [`Tail`] reads
    /// them from there), deletes segments wholly before it, cuts a torn
    /// tail, and opens a new segment for appends.
    pub fn replay(dir: &Path, node: String, applied: Position) -> io::Result<(Journal, u64)> {
        let present = segments(dir)?;
        let mut pending = 0u64;
        for &n in &present {
            let path = segment_path(dir, n);
            if n < applied.segment {
                fs::remove_file(&path)?;
                continue;
            }
            let mut data = Vec::new();
            File::open(&path)?.read_to_end(&mut data)?;
            let from = if n == applied.segment {
                applied.offset as usize
            } else {
                0
            };
            let from = from.min(data.len());
            let mut at = from;
            while let Some((_, used)) = decode_frame(&data[at..]) {
                at += used;
                pending += 1;
            }
            if at == from {
                // Wholly applied, or without records (a start-up's segment
                // that never got one): nothing to replay.
                fs::remove_file(&path)?;
                continue;
            }
            if at < data.len() {
                // Zeros prepared ahead end the records. Anything else was
                // never acknowledged: the append that wrote it did not
                // return (crash) or failed.
                if data[at..].iter().any(|&b| b != 0) {
                    tracing::warn!(
                        segment = %path.display(),
                        offset = at,
                        "accounting journal: incomplete record at the end of a segment cut off"
                    );
                }
                OpenOptions::new()
                    .write(true)
                    .open(&path)?
                    .set_len(at as u64)?;
            }
        }
        let segment = present.last().map_or(1, |n| n + 1).max(applied.segment + 1);
        let file = create_segment(dir, segment)?;
        Ok((
            Journal {
                dir: dir.to_owned(),
                node,
                segment,
                file,
                len: 0,
                prepared: 0,
            },
            pending,
        ))
    }

    /// The segment appends go to now.
    pub fn segment(&self) -> u64 {
        self.segment
    }

    /// The position after the last record appended.
    pub fn written(&self) -> Position {
        Position {
            segment: self.segment,
            offset: self.len,
        }
    }

    /// This node's id.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends `bytes` (whole frames) and syncs them to disk.
    /// The caller rotates first when the segment is full, so the offsets it
    /// computed from `len` hold.
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        let end = self.len + bytes.len() as u64;
        let written = self.file.write_all_at(bytes, self.len).and_then(|()| {
            if end <= self.prepared {
                return self.file.sync_data();
            }
            // Past the zeros: extend by more, synced together with these
            // records (this one sync also records the new size).
            let prepared = end.next_multiple_of(PREPARE_BYTES);
            write_zeros(&self.file, end, prepared - end)?;
            self.file.sync_data()?;
            self.prepared = prepared;
            Ok(())
        });
        if let Err(e) = written {
            // Part of the frames may be on disk: later appends go to a
            // new segment, never behind a partial frame.
            let _ = self.rotate();
            return Err(e);
        }
        self.len = end;
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        let file = create_segment(&self.dir, self.segment + 1)?;
        self.segment += 1;
        self.file = file;
        self.len = 0;
        self.prepared = 0;
        Ok(())
    }
}

fn create_segment(dir: &Path, n: u64) -> io::Result<File> {
    let file = OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(segment_path(dir, n))?;
    sync_dir(dir)?;
    Ok(file)
}

fn write_zeros(file: &File, mut at: u64, mut n: u64) -> io::Result<()> {
    static ZEROS: [u8; 64 << 10] = [0; 64 << 10];
    while n > 0 {
        let k = n.min(ZEROS.len() as u64);
        file.write_all_at(&ZEROS[..k as usize], at)?;
        at += k;
        n -= k;
    }
    Ok(())
}

/// The offset after the last whole record from `from` on: the first frame
/// that does not decode (zeros prepared ahead, or a torn tail) ends them.
fn records_end(data: &[u8], from: usize) -> usize {
    let mut at = from.min(data.len());
    while let Some((_, used)) = decode_frame(&data[at..]) {
        at += used;
    }
    at
}

/// What the writer has appended and synced so far: the committer reads
/// the journal up to here.
pub type Written = tokio::sync::watch::Receiver<Position>;

/// The committer's reader over the journal files: the journal is the
/// queue between the writer and the database, so records waiting for the
/// database wait on disk, not in memory, however far behind it is.
#[derive(Debug)]
pub struct Tail {
    dir: PathBuf,
    /// The next record to read.
    at: Position,
    file: Option<File>,
    buf: Vec<u8>,
}

/// Bytes read from a segment at a time.
const READ_BYTES: usize = 4 << 20;

impl Tail {
    /// A reader of `dir` from `from` (the position applied up to).
    pub fn new(dir: &Path, from: Position) -> Tail {
        Tail {
            dir: dir.to_owned(),
            at: from,
            file: None,
            buf: Vec::new(),
        }
    }

    /// The records after the last read, up to `written` and about `max`
    /// of them; empty when there are none yet.
    pub fn read(&mut self, written: Position, max: usize) -> io::Result<Batch> {
        loop {
            let mut batch = Batch {
                segment: self.at.segment,
                frames: Vec::new(),
                ends: Vec::new(),
            };
            if self.at >= written {
                return Ok(batch);
            }
            if self.file.is_none() {
                match File::open(segment_path(&self.dir, self.at.segment)) {
                    Ok(f) => self.file = Some(f),
                    Err(e)
                        if e.kind() == io::ErrorKind::NotFound
                            && self.at.segment < written.segment =>
                    {
                        // Wholly applied, or a start-up's segment without
                        // records: deleted at replay. Go on with the next.
                        self.next_segment(written)?;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            let Some(file) = &self.file else { continue };
            // In the segment being written, only what the writer published
            // (zeros prepared ahead follow); older ones end at their last
            // whole record.
            let limit = if self.at.segment == written.segment {
                written.offset
            } else {
                u64::MAX
            };
            let want = (limit - self.at.offset).min(READ_BYTES as u64) as usize;
            self.buf.resize(want, 0);
            let mut got = 0;
            while got < want {
                match file.read_at(&mut self.buf[got..], self.at.offset + got as u64)? {
                    0 => break,
                    n => got += n,
                }
            }
            let data = &self.buf[..got];
            let mut used = 0;
            while batch.ends.len() < max
                && let Some((_, n)) = decode_frame(&data[used..])
            {
                used += n;
                batch.ends.push(self.at.offset + used as u64);
            }
            batch.frames.extend_from_slice(&data[..used]);
            self.at.offset += used as u64;
            if !batch.is_empty() {
                return Ok(batch);
            }
            if self.at.segment < written.segment {
                // The end of a finished segment.
                self.next_segment(written)?;
                continue;
            }
            if got > 0 {
                // Published but not decodable: cannot happen (appends are
                // whole frames); never spin on it.
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "accounting journal: no record at segment {} byte {}",
                        self.at.segment, self.at.offset
                    ),
                ));
            }
            return Ok(batch);
        }
    }

    /// Moves to the first segment after the current one (called only while
    /// the current one is before the one being written).
    fn next_segment(&mut self, written: Position) -> io::Result<()> {
        self.file = None;
        let next = segments(&self.dir)?
            .into_iter()
            .find(|&n| n > self.at.segment)
            .unwrap_or(written.segment)
            .min(written.segment);
        self.at = Position {
            segment: next,
            offset: 0,
        };
        Ok(())
    }
}

/// The position `node` has applied up to (the start when none).
pub async fn applied(svc: &services::Services, node: &str) -> crate::Result<Position> {
    let mut c = svc.db.conn().await?;
    let row = services::radius::hot::journal_position(&mut c, node).await?;
    Ok(row.map_or(Position::default(), |p| Position {
        segment: p.segment.max(0) as u64,
        offset: p.offset.max(0) as u64,
    }))
}

/// This node's id when the journal exists (read only; `lastmile aaa journal`).
pub fn existing_node_id(dir: &Path) -> io::Result<Option<String>> {
    match fs::read_to_string(dir.join("node")) {
        Ok(s) => Ok(Some(s.trim().to_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Bytes of records after `applied` and the segments holding them: what a
/// running server has acknowledged and not yet written to the database.
pub fn pending(dir: &Path, applied: Position) -> io::Result<(u64, usize)> {
    let mut bytes = 0;
    let mut segs = 0;
    for n in segments(dir)? {
        if n < applied.segment {
            continue;
        }
        let data = match fs::read(segment_path(dir, n)) {
            Ok(d) => d,
            // Deleted meanwhile: applied.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let from = if n == applied.segment {
            applied.offset as usize
        } else {
            0
        };
        let after = records_end(&data, from).saturating_sub(from) as u64;
        if after > 0 {
            bytes += after;
            segs += 1;
        }
    }
    Ok((bytes, segs))
}

/// Deletes segments numbered below `segment` (wholly applied).
pub fn delete_before(dir: &Path, segment: u64) -> io::Result<()> {
    for n in segments(dir)? {
        if n < segment {
            fs::remove_file(segment_path(dir, n))?;
        }
    }
    Ok(())
}

fn rand_id() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    // Two independently seeded SipHash states, the process id and the time:
    // unique enough to tell nodes apart, without a dependency.
    let mut out = 0u128;
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.write_u32(std::process::id());
        out = (out << 64) | u128::from(h.finish());
    }
    out
}

/// The thread that appends: takes everything queued, appends it with one
/// write and one sync, sends the Accounting-Responses, and hands the
/// records to the committer.
pub(crate) fn writer(
    mut journal: Journal,
    rx: Receiver<Entry>,
    out: tokio::sync::watch::Sender<Position>,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
) {
    let mut entries: Vec<Entry> = Vec::with_capacity(MAX_APPEND);
    let mut frames: Vec<u8> = Vec::new();
    let mut alarmed = false;
    while !stop.load(Relaxed) {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(e) => entries.push(e),
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        }
        while entries.len() < MAX_APPEND
            && let Ok(e) = rx.try_recv()
        {
            entries.push(e);
        }
        let limit = match metrics.acct_backlog_limit.load(Relaxed) {
            0 => MAX_BACKLOG,
            n => n,
        };
        let backlog = metrics.acct_backlog();
        // The size alarm: once past 80 % of the cap, again after it fell
        // below half.
        if !alarmed && backlog > limit / 5 * 4 {
            alarmed = true;
            tracing::error!(
                backlog,
                limit,
                "accounting journal: the backlog nears its cap (is the database taking writes?); past it Accounting-Requests go unanswered"
            );
        } else if alarmed && backlog < limit / 2 {
            alarmed = false;
            tracing::info!(
                backlog,
                limit,
                "accounting journal: backlog back under half its cap"
            );
        }
        if backlog + entries.len() as u64 > limit {
            for _ in entries.drain(..) {
                metrics.dropped(DropReason::AccountingBacklog);
            }
            continue;
        }
        // Offsets assume no rotation inside append; rotate first.
        if journal.len >= SEGMENT_BYTES
            && let Err(e) = journal.rotate()
        {
            tracing::error!(error = %e, dir = %journal.dir.display(), "accounting journal: cannot start a new segment");
            fail(&mut entries, &metrics);
            continue;
        }
        // The frames were encoded by the receiving threads; this one only
        // concatenates them (its time is on every request's path).
        frames.clear();
        for e in &entries {
            frames.extend_from_slice(&e.frame);
        }
        match journal.append(&frames) {
            Ok(()) => {
                metrics.acct_syncs.fetch_add(1, Relaxed);
                metrics
                    .acct_journaled
                    .fetch_add(entries.len() as u64, Relaxed);
                for e in entries.drain(..) {
                    let _ = e.sock.send_to(&e.reply, e.peer);
                }
                // The committer reads them from the file; if it is gone
                // (shutting down), the next start replays them.
                out.send_replace(Position {
                    segment: journal.segment,
                    offset: journal.len,
                });
            }
            Err(e) => {
                tracing::error!(error = %e, dir = %journal.dir.display(), "accounting journal: append failed; requests left unanswered");
                fail(&mut entries, &metrics);
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

fn fail(entries: &mut Vec<Entry>, metrics: &Metrics) {
    for _ in entries.drain(..) {
        metrics.dropped(DropReason::AccountingFailed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acct::Status;

    fn record(i: i64) -> Record {
        Record {
            nas_id: 3,
            status: if i % 2 == 0 {
                Status::Interim
            } else {
                Status::Stop
            },
            session_id: format!("s{i}"),
            login: "ana@fibra".into(),
            framed_ip: Some("100.64.0.9".into()),
            framed_ipv6_prefix: None,
            delegated_ipv6_prefix: Some("2001:db8:1::/56".into()),
            calling_station_id: "00:11:22:33:44:55".into(),
            nas_port_id: "ether1".into(),
            input: (5 << 32) + i,
            output: 7,
            session_time: 60,
            terminate_cause: "User-Request".into(),
            at: 1_700_000_000 + i,
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("aaa-journal-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn records_are_written_over_zeros_prepared_ahead_and_all_replayed() {
        let dir = temp_dir("prepared");
        let node = Journal::node_id(&dir).unwrap();
        let (mut j, _) = Journal::replay(&dir, node.clone(), Position::default()).unwrap();
        let first = j.segment;
        let mut n = 0;
        // Appends of 1,000 records each until past two extensions.
        while j.len < 2 * PREPARE_BYTES + 1 {
            let mut buf = Vec::new();
            for _ in 0..1000 {
                encode_frame(&record(n), &mut buf);
                n += 1;
            }
            j.append(&buf).unwrap();
            let size = fs::metadata(segment_path(&dir, first)).unwrap().len();
            assert_eq!(size % PREPARE_BYTES, 0, "the file ends in prepared zeros");
            assert!(size >= j.len);
        }
        drop(j);
        let (bytes, segments) = pending(&dir, Position::default()).unwrap();
        assert_eq!(segments, 1);
        let (j, count) = Journal::replay(&dir, node, Position::default()).unwrap();
        assert_eq!(count as i64, n);
        let batches = read_all(&dir, Position::default(), j.written());
        let replayed: usize = batches.iter().map(|b| b.records().count()).sum();
        assert_eq!(
            replayed as i64, n,
            "every record, and nothing from the zeros"
        );
        assert_eq!(batches.last().and_then(Batch::end).unwrap().offset, bytes);
        let _ = fs::remove_dir_all(&dir);
    }

    /// Everything a [`Tail`] reads from `from` up to `written`, in reads of
    /// at most 3 records (so reads stop inside segments too).
    fn read_all(dir: &Path, from: Position, written: Position) -> Vec<Batch> {
        let mut tail = Tail::new(dir, from);
        let mut out = Vec::new();
        loop {
            let b = tail.read(written, 3).unwrap();
            if b.is_empty() {
                return out;
            }
            out.push(b);
        }
    }

    #[test]
    fn a_tail_reads_across_segments_up_to_what_was_written() {
        let dir = temp_dir("tail");
        let node = Journal::node_id(&dir).unwrap();
        let (mut j, _) = Journal::replay(&dir, node, Position::default()).unwrap();
        let mut n = 0;
        let mut append = |j: &mut Journal, k: i64| {
            let mut buf = Vec::new();
            for _ in 0..k {
                encode_frame(&record(n), &mut buf);
                n += 1;
            }
            j.append(&buf).unwrap();
        };
        append(&mut j, 4);
        let first = j.written();
        j.rotate().unwrap();
        // An empty segment between two others (removed at a replay).
        j.rotate().unwrap();
        fs::remove_file(segment_path(&dir, j.segment - 1)).unwrap();
        append(&mut j, 5);
        let ids = |bs: &[Batch]| -> Vec<String> {
            bs.iter()
                .flat_map(|b| b.records().map(|(r, _)| r.session_id))
                .collect()
        };
        // Only what was published is read, never the zeros after it.
        assert_eq!(ids(&read_all(&dir, Position::default(), first)).len(), 4);
        let all = read_all(&dir, Position::default(), j.written());
        assert_eq!(
            ids(&all),
            (0..9).map(|i| format!("s{i}")).collect::<Vec<_>>()
        );
        assert!(all.iter().all(|b| b.len() <= 3));
        assert_eq!(all.last().and_then(Batch::end), Some(j.written()));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn replay_resumes_after_the_applied_position_and_cuts_a_torn_tail() {
        let dir = temp_dir("replay");
        let node = Journal::node_id(&dir).unwrap();
        assert_eq!(node.len(), 32);
        assert_eq!(Journal::node_id(&dir).unwrap(), node, "the id persists");
        let (mut j, pending) = Journal::replay(&dir, node.clone(), Position::default()).unwrap();
        assert_eq!(pending, 0);
        let first = j.segment;
        let mut buf = Vec::new();
        let mut ends = Vec::new();
        for i in 0..5 {
            encode_frame(&record(i), &mut buf);
            ends.push(buf.len() as u64);
        }
        j.append(&buf).unwrap();
        // A crash in the middle of the next append.
        let mut torn = Vec::new();
        encode_frame(&record(9), &mut torn);
        j.append(&torn[..torn.len() / 2]).unwrap();
        drop(j);
        // Applied up to the second record.
        let applied = Position {
            segment: first,
            offset: ends[1],
        };
        let (j, count) = Journal::replay(&dir, node.clone(), applied).unwrap();
        assert_eq!(count, 3);
        let pending = read_all(&dir, applied, j.written());
        let replayed: Vec<String> = pending
            .iter()
            .flat_map(|b| b.records().map(|(r, _)| r.session_id))
            .collect();
        assert_eq!(replayed, ["s2", "s3", "s4"]);
        assert_eq!(pending[0].ends, &ends[2..]);
        assert_eq!(
            fs::metadata(segment_path(&dir, first)).unwrap().len(),
            ends[4],
            "the torn tail is cut"
        );
        assert!(j.segment > first, "appends go to a new segment");
        // Once a later segment is applied, earlier ones are deleted.
        let (_j, pending) = Journal::replay(
            &dir,
            node,
            Position {
                segment: j.segment,
                offset: 0,
            },
        )
        .unwrap();
        assert_eq!(pending, 0);
        assert!(!segment_path(&dir, first).exists());
        let _ = fs::remove_dir_all(&dir);
    }
}
