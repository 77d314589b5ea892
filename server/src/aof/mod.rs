//! The append-only file in the server: Redis 7's multi-part layout (`appenddirname` holding a
//! manifest, one base file and incremental files), fed by the propagation stream.
//!
//! [`Aof`] is the bookkeeping kept in [`State`]: whether the log is on, the writer thread of the
//! current incremental file ([`writer`]), the manifest as last persisted, the rewrite in progress
//! ([`rewrite`]) and the INFO counters. [`feed`] turns a propagated unit into log bytes (SELECT when
//! the db changes, `#TS:` annotations with `aof-timestamp-enabled`). [`load`] reads a directory (or a
//! legacy single file) at startup. The file and manifest formats are the `redoubt-aof` crate's, so
//! the server and the `redoubt-aof` tool read the same bytes the same way.

pub mod load;
pub mod rewrite;
pub mod writer;

use crate::propagate::Unit;
use crate::server::State;
use redoubt_aof::manifest::{self, Manifest};
use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::sync::Arc;
use writer::{FsyncPolicy, Writer};

/// Redis's `aof_state`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Status {
    #[default]
    Off,
    On,
    /// Turned on at runtime: writes already go to a temporary incremental file while the first
    /// base is written; the log counts only once that rewrite ends.
    WaitRewrite,
}

/// AOF bookkeeping (part of [`State`]).
#[derive(Default)]
pub struct Aof {
    pub status: Status,
    pub writer: Option<Arc<Writer>>,
    /// Log bytes of the current batch, written with one `write` when the batch ends.
    buf: Vec<u8>,
    /// `aof-timestamp-enabled`.
    timestamps: bool,
    /// `no-appendfsync-on-rewrite`: no fsync while a rewrite or a BGSAVE runs.
    no_fsync_on_rewrite: bool,
    /// The db the log's last SELECT chose (None: the next write must SELECT).
    selected_db: Option<usize>,
    /// The second of the last `#TS:` annotation.
    last_timestamp: i64,
    /// The manifest as persisted (plus, during WaitRewrite, nothing of the temporary file).
    pub manifest: Manifest,
    /// Size of the base file.
    pub base_size: u64,
    /// Sizes of the incremental files before the one being written.
    pub older_incr_size: u64,
    /// `aof_current_size` when the last rewrite ended (auto-aof-rewrite-percentage's reference).
    pub rewrite_base_size: u64,
    pub rewrite: Option<rewrite::Rewrite>,
    /// BGREWRITEAOF asked while a BGSAVE ran.
    pub rewrite_scheduled: bool,
    pub rewrites: u64,
    pub last_rewrite_ok: bool,
    pub last_rewrite_time_sec: i64,
    /// Set after a load that cut a truncated tail (logged; INFO shows it via the load stats).
    pub loaded_truncated: bool,
}

impl Aof {
    pub fn new() -> Aof {
        Aof {
            last_rewrite_ok: true,
            last_rewrite_time_sec: -1,
            ..Default::default()
        }
    }

    /// Whether the propagation stream must reach the log.
    pub fn wants_stream(&self) -> bool {
        self.status != Status::Off
    }

    /// `aof_current_size`.
    pub fn current_size(&self) -> u64 {
        self.base_size + self.older_incr_size + self.writer.as_ref().map_or(0, |w| w.file_size())
    }

    /// With `appendfsync always`: the writer and the offset the caller's replies must wait for.
    pub fn durability_target(&self) -> Option<(Arc<Writer>, u64)> {
        let w = self.writer.as_ref()?;
        if w.policy() != FsyncPolicy::Always {
            return None;
        }
        w.ensure_committer();
        let target = w.written();
        (w.durable() < target).then(|| (w.clone(), target))
    }

    /// The last write error, when writes must be refused because of it (Redis refuses writes
    /// after an AOF write error until a write succeeds again).
    pub fn write_error(&self) -> Option<String> {
        if self.status == Status::Off {
            return None;
        }
        self.writer.as_ref()?.last_error()
    }
}

/// `dir/appenddirname`.
pub fn dir(st: &State) -> PathBuf {
    PathBuf::from(st.config.get("dir").unwrap_or(".")).join(
        st.config
            .get("appenddirname")
            .unwrap_or(manifest::DEFAULT_DIR),
    )
}

/// `appendfilename`, the prefix of every file name.
pub fn prefix(st: &State) -> String {
    st.config
        .get("appendfilename")
        .unwrap_or(manifest::DEFAULT_PREFIX)
        .to_string()
}

pub fn fsync_policy(st: &State) -> FsyncPolicy {
    FsyncPolicy::parse(st.config.get("appendfsync").unwrap_or("everysec"))
}

/// The error text for writes refused after an AOF write error.
pub fn misconf_error(e: &str) -> String {
    format!("MISCONF Errors writing to the AOF file: {e}")
}

/// Appends one propagated unit to the batch's log bytes.
pub fn feed(st: &mut State, unit: &Unit) {
    let aof = &mut st.aof;
    if aof.writer.is_none() {
        return;
    }
    if aof.timestamps {
        let now = crate::server::now_ms() / 1000;
        if now > aof.last_timestamp {
            aof.buf
                .extend_from_slice(format!("#TS:{now}\r\n").as_bytes());
            aof.last_timestamp = now;
        }
    }
    for (db, cmd) in unit.commands {
        if aof.selected_db != Some(*db) {
            aof.buf
                .extend_from_slice(&crate::propagate::select_command(*db));
            aof.selected_db = Some(*db);
        }
        aof.buf.extend_from_slice(cmd);
    }
}

/// Writes what the batch logged (one `write`); called when a batch of commands ends, by the cron,
/// and before the file changes.
pub fn write_pending(st: &mut State) {
    if st.aof.buf.is_empty() {
        return;
    }
    if let Some(w) = st.aof.writer.as_ref() {
        // Like Redis with `no-appendfsync-on-rewrite yes`: no fsync (and, under `always`, no wait
        // for one) while a rewrite or a BGSAVE writes its big file.
        w.pause_fsync(
            st.aof.no_fsync_on_rewrite
                && (st.aof.rewrite.is_some() || st.persistence.bgsave.is_some()),
        );
        // A failure is kept by the writer (INFO, MISCONF); the bytes are retried with the next batch.
        if w.write(&st.aof.buf).is_err() {
            return;
        }
    }
    st.aof.buf.clear();
    if st.aof.buf.capacity() > 1 << 20 {
        st.aof.buf = Vec::new();
    }
}

/// Opens (creating) an incremental file for appending; returns it and its current size.
fn open_for_append(path: &std::path::Path) -> std::io::Result<(File, u64)> {
    let f = OpenOptions::new().create(true).append(true).open(path)?;
    let size = f.metadata()?.len();
    Ok((f, size))
}

/// The settings the write path consults on every batch.
fn read_config(st: &mut State) {
    st.aof.timestamps = st.config.get("aof-timestamp-enabled") == Some("yes");
    st.aof.no_fsync_on_rewrite = st.config.get("no-appendfsync-on-rewrite") == Some("yes");
}

/// Starts the writer on `path` and forgets the selected db (a new file starts with SELECT).
fn start_writer(st: &mut State, path: &std::path::Path) -> std::io::Result<()> {
    let (file, size) = open_for_append(path)?;
    let w = Writer::start(file, size, fsync_policy(st))?;
    st.aof.writer = Some(w);
    st.aof.selected_db = None;
    read_config(st);
    Ok(())
}

/// Switches the running writer to a new incremental file (a rewrite starts).
fn switch_writer(st: &mut State, path: &std::path::Path) -> std::io::Result<()> {
    let (file, _) = open_for_append(path)?;
    write_pending(st);
    if let Some(w) = st.aof.writer.as_ref() {
        st.aof.older_incr_size += w.file_size();
        w.switch_file(file);
    }
    st.aof.selected_db = None;
    Ok(())
}

/// Stops the writer after it wrote and fsynced everything queued.
pub fn stop_writer(st: &mut State) {
    write_pending(st);
    st.aof.buf.clear();
    if let Some(w) = st.aof.writer.take() {
        w.stop();
    }
}

/// `appendonly yes` at runtime (Redis's `startAppendOnly`): writes start going to a temporary
/// incremental file at once and a rewrite writes the first base.
pub fn start(st: &mut State, now_ms: i64) -> Result<(), String> {
    if st.aof.status != Status::Off {
        return Ok(());
    }
    let dir = dir(st);
    std::fs::create_dir_all(&dir).map_err(|e| format!("Can't create the AOF directory: {e}"))?;
    // A manifest may exist from an earlier run; keep its numbering going.
    st.aof.manifest =
        manifest::read_manifest(&dir, &manifest::manifest_name(&prefix(st))).unwrap_or_default();
    let temp = dir.join(rewrite::temp_incr_name(&prefix(st)));
    let _ = std::fs::remove_file(&temp);
    start_writer(st, &temp).map_err(|e| format!("Can't open the append-only file: {e}"))?;
    st.aof.status = Status::WaitRewrite;
    crate::propagate::refresh_enabled(st);
    if st.persistence.bgsave.is_some() {
        st.aof.rewrite_scheduled = true;
        return Ok(());
    }
    rewrite::start(st, now_ms).inspect_err(|_| {
        stop_writer(st);
        st.aof.status = Status::Off;
        crate::propagate::refresh_enabled(st);
    })
}

/// `appendonly no` at runtime (Redis's `stopAppendOnly`).
pub fn stop(st: &mut State) {
    if st.aof.status == Status::Off {
        return;
    }
    rewrite::kill(st);
    stop_writer(st);
    st.aof.status = Status::Off;
    st.aof.rewrite_scheduled = false;
    crate::propagate::refresh_enabled(st);
}

/// Applies `appendonly` / `appendfsync` after CONFIG SET.
pub fn apply_config(st: &mut State, now_ms: i64) -> Result<(), String> {
    if let Some(w) = st.aof.writer.as_ref() {
        w.set_policy(fsync_policy(st));
    }
    read_config(st);
    let want = st.config.get("appendonly") == Some("yes");
    match (want, st.aof.status) {
        (true, Status::Off) => start(st, now_ms),
        (false, Status::On | Status::WaitRewrite) => {
            stop(st);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The AOF part of the cron: collect a finished rewrite, start a scheduled or automatic one.
pub fn cron(st: &mut State, now_ms: i64) {
    write_pending(st);
    rewrite::collect(st, now_ms);
    if st.aof.rewrite.is_some() || st.persistence.bgsave.is_some() {
        return;
    }
    if st.aof.rewrite_scheduled {
        st.aof.rewrite_scheduled = false;
        let _ = rewrite::start(st, now_ms);
        return;
    }
    if st.aof.status != Status::On {
        return;
    }
    let percentage: u64 = st
        .config
        .get("auto-aof-rewrite-percentage")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let min_size: u64 = st
        .config
        .get("auto-aof-rewrite-min-size")
        .and_then(|v| v.parse().ok())
        .unwrap_or(64 << 20);
    let size = st.aof.current_size();
    if percentage == 0 || size < min_size {
        return;
    }
    let base = st.aof.rewrite_base_size.max(1);
    let growth = (size.saturating_sub(base)) * 100 / base;
    if growth >= percentage {
        tracing::info!("Starting automatic rewriting of AOF on {growth}% growth");
        let _ = rewrite::start(st, now_ms);
    }
}

/// Shutdown: everything queued reaches the disk before the process exits.
pub fn shutdown(st: &mut State) {
    rewrite::kill(st);
    write_pending(st);
    if let Some(w) = st.aof.writer.as_ref() {
        w.stop();
    }
}

/// INFO persistence's aof_* lines.
pub fn info(st: &State, out: &mut String) {
    use std::fmt::Write;
    let aof = &st.aof;
    let on = aof.status != Status::Off;
    let rewriting = aof.rewrite.is_some();
    let _ = write!(
        out,
        "aof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\n\
         aof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{}\r\n\
         aof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_rewrites_consecutive_failures:0\r\n\
         aof_last_write_status:{}\r\naof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n",
        on as u8,
        rewriting as u8,
        aof.rewrite_scheduled as u8,
        aof.last_rewrite_time_sec,
        aof.rewrite
            .as_ref()
            .map_or(-1, |r| r.started.elapsed().as_secs() as i64),
        if aof.last_rewrite_ok { "ok" } else { "err" },
        aof.rewrites,
        if aof.write_error().is_some() { "err" } else { "ok" },
    );
    if on {
        let pending = aof
            .writer
            .as_ref()
            .map_or(0, |w| w.written().saturating_sub(w.durable()));
        let _ = write!(
            out,
            "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:{}\r\naof_buffer_length:{}\r\n\
             aof_pending_bio_fsync:0\r\naof_delayed_fsync:0\r\n",
            aof.current_size(),
            aof.base_size,
            aof.rewrite_scheduled as u8,
            pending,
        );
    }
}
