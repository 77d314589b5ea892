//! Writing the AOF: the server thread appends, a background thread fsyncs.
//!
//! Like Redis, the log is written from the thread that applied the writes, once per batch of
//! commands (one `write` to the page cache for everything a batch logged), so the file order is
//! the order in which writes were applied and a write costs no thread hand-off.
//!
//! With `appendfsync always` the batches are queued instead, and a committer task on the
//! server's runtime does what Redis's `beforeSleep` does: once every connection with input ready
//! has run its batch, it writes the whole group with one `write`, makes it durable with one
//! `fdatasync` on the runtime's own thread (a hand-off to another thread costs more than the
//! fsync it would overlap on a fast disk), and publishes the durable offset on a watch channel. A
//! connection sends its replies only once that offset covers the log as it was after its batch.
//! The fsync thread covers what the committer does not: `everysec` (at most one fsync a
//! second), `no` (none), `always` before the runtime exists, and `no-appendfsync-on-rewrite`.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// `appendfsync`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FsyncPolicy {
    Always = 0,
    EverySec = 1,
    No = 2,
}

impl FsyncPolicy {
    pub fn parse(s: &str) -> FsyncPolicy {
        match s {
            "always" => FsyncPolicy::Always,
            "no" => FsyncPolicy::No,
            _ => FsyncPolicy::EverySec,
        }
    }

    fn from_u8(v: u8) -> FsyncPolicy {
        match v {
            0 => FsyncPolicy::Always,
            2 => FsyncPolicy::No,
            _ => FsyncPolicy::EverySec,
        }
    }
}

struct Files {
    /// The incremental file being appended to.
    current: Arc<File>,
    /// Bytes in `current`.
    size: u64,
    /// Files switched away from whose tail may not be on disk yet.
    retired: Vec<Arc<File>>,
    /// The last write or fsync error, cleared by the next success (`aof_last_write_status`).
    error: Option<String>,
    stop: bool,
    /// With `always`, bytes the fsync thread writes right before its next fsync (so one write and
    /// one fsync cover every batch that arrived meanwhile, and the server thread makes no syscall).
    pending: Vec<u8>,
}

/// Shared between the server (writing under its lock), the fsync thread, and connections waiting
/// for durability.
pub struct Writer {
    files: Mutex<Files>,
    wake: Condvar,
    /// The fsync thread is waiting for work (only then does a write need to wake it).
    idle: AtomicBool,
    policy: AtomicU8,
    /// Bytes written so far (the logical end of the log, across file switches).
    written: AtomicU64,
    /// Offset up to which the log is on disk; published to waiters.
    durable: watch::Sender<u64>,
    /// fsyncs done.
    pub fsyncs: AtomicU64,
    /// The thread has exited.
    done: AtomicBool,
    /// `always`: the server asked for an fsync of what it wrote (see [`Writer::ensure_committer`]).
    commit: AtomicBool,
    /// `always`: bytes were queued; wakes the committer task.
    commit_wanted: tokio::sync::Notify,
    committer: AtomicBool,
    /// `no-appendfsync-on-rewrite` while a rewrite or BGSAVE runs: write, publish, but no fsync.
    fsync_paused: AtomicBool,
}

impl Writer {
    /// Starts the fsync thread for `file` (holding `size` bytes), appended to from now on.
    pub fn start(file: File, size: u64, policy: FsyncPolicy) -> std::io::Result<Arc<Writer>> {
        let (durable, _) = watch::channel(0u64);
        let w = Arc::new(Writer {
            files: Mutex::new(Files {
                current: Arc::new(file),
                size,
                retired: Vec::new(),
                error: None,
                stop: false,
                pending: Vec::new(),
            }),
            wake: Condvar::new(),
            idle: AtomicBool::new(false),
            policy: AtomicU8::new(policy as u8),
            written: AtomicU64::new(0),
            durable,
            fsyncs: AtomicU64::new(0),
            done: AtomicBool::new(false),
            commit: AtomicBool::new(false),
            commit_wanted: tokio::sync::Notify::new(),
            committer: AtomicBool::new(false),
            fsync_paused: AtomicBool::new(false),
        });
        let thread = w.clone();
        std::thread::Builder::new()
            .name("aof-fsync".into())
            .spawn(move || thread.run())?;
        Ok(w)
    }

    fn lock(&self) -> MutexGuard<'_, Files> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn policy(&self) -> FsyncPolicy {
        FsyncPolicy::from_u8(self.policy.load(Ordering::Relaxed))
    }

    pub fn set_policy(&self, p: FsyncPolicy) {
        self.policy.store(p as u8, Ordering::Relaxed);
        self.wake.notify_one();
    }

    /// Stops (or resumes) fsyncing: while paused the log is still written and counted as durable
    /// at once, as with `appendfsync no` (Redis's `no-appendfsync-on-rewrite`).
    pub fn pause_fsync(&self, paused: bool) {
        if self.fsync_paused.swap(paused, Ordering::AcqRel) != paused {
            self.wake.notify_one();
        }
    }

    /// Appends to the log. Called under the server lock, in the order writes were applied. On
    /// failure the partial write is truncated away (so the file never ends in half a command) and
    /// the error is kept for INFO and for refusing writes; with `always` the process exits, as
    /// Redis does, since replies may have been promised on this write.
    pub fn write(&self, bytes: &[u8]) -> Result<(), String> {
        if bytes.is_empty() {
            return Ok(());
        }
        let mut f = self.lock();
        if self.policy() == FsyncPolicy::Always {
            f.pending.extend_from_slice(bytes);
            drop(f);
            self.written
                .fetch_add(bytes.len() as u64, Ordering::Release);
            if self.committer.load(Ordering::Acquire) {
                self.commit_wanted.notify_one();
            } else if self.idle.load(Ordering::Acquire) {
                self.wake.notify_one();
            }
            return Ok(());
        }
        if !f.pending.is_empty() {
            // The policy changed from `always`: what it queued goes first.
            Self::write_pending_locked(&mut f)?;
        }
        match (&*f.current).write_all(bytes) {
            Ok(()) => {
                f.size += bytes.len() as u64;
                f.error = None;
                drop(f);
                self.written
                    .fetch_add(bytes.len() as u64, Ordering::Release);
                if self.policy() == FsyncPolicy::Always && self.idle.load(Ordering::Acquire) {
                    self.wake.notify_one();
                }
                Ok(())
            }
            Err(e) => {
                tracing::warn!("Error writing to the AOF file: {e}");
                let size = f.size;
                let _ = f.current.set_len(size);
                let _ = std::io::Seek::seek(&mut &*f.current, std::io::SeekFrom::Start(size));
                f.error = Some(e.to_string());
                if self.policy() == FsyncPolicy::Always {
                    tracing::error!("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
                    std::process::exit(1);
                }
                Err(e.to_string())
            }
        }
    }

    /// Starts (once, from the server's runtime) the task that decides when an `always` group is
    /// complete, like Redis's `beforeSleep`: woken when a batch queued bytes, it first yields so
    /// that every connection with input ready runs its batch, then asks for the fsync. One fsync
    /// then covers every client served in that turn of the event loop. Without it (no runtime
    /// yet) the fsync thread commits after at most a millisecond on its own.
    pub fn ensure_committer(self: &Arc<Self>) {
        if self.committer.load(Ordering::Acquire) {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.committer.swap(true, Ordering::AcqRel) {
            return;
        }
        let w = self.clone();
        handle.spawn(async move {
            loop {
                w.commit_wanted.notified().await;
                tokio::task::yield_now().await;
                if w.done.load(Ordering::Acquire) {
                    return;
                }
                w.commit_inline();
            }
        });
    }

    /// Moves the durable offset forward (never back: two fsyncs may finish out of order).
    fn publish_durable(&self, offset: u64) {
        self.durable.send_if_modified(|d| {
            if offset > *d {
                *d = offset;
                true
            } else {
                false
            }
        });
    }

    /// The committer's group commit, on the runtime's own thread as Redis does it in
    /// `beforeSleep`: one write of every queued batch, one fdatasync, then the waiting replies
    /// are released without a thread hand-off. While fsync is paused the fsync thread does it.
    fn commit_inline(&self) {
        if self.fsync_paused.load(Ordering::Acquire) || self.policy() != FsyncPolicy::Always {
            self.commit.store(true, Ordering::Release);
            self.wake.notify_one();
            return;
        }
        let (files, target) = {
            let mut f = self.lock();
            let target = self.written();
            if target <= self.durable() {
                return;
            }
            (Self::flush_for_sync_locked(&mut f), target)
        };
        for file in &files {
            if let Err(e) = file.sync_data() {
                tracing::warn!("Error fsyncing the AOF file: {e}");
                tracing::error!("Can't recover from AOF fsync error when the AOF fsync policy is 'always'. Exiting...");
                std::process::exit(1);
            }
        }
        self.fsyncs.fetch_add(1, Ordering::Relaxed);
        self.publish_durable(target);
    }

    /// Writes the queued bytes and returns the files an fsync must cover now: those switched away
    /// from, then the current one.
    fn flush_for_sync_locked(f: &mut Files) -> Vec<Arc<File>> {
        let _ = Self::write_pending_locked(f);
        let mut files = std::mem::take(&mut f.retired);
        files.push(f.current.clone());
        files
    }

    /// Writes the queued `always` bytes to the current file (under the lock). A failure with
    /// `always` ends the process, as any AOF write error under `always` does.
    fn write_pending_locked(f: &mut Files) -> Result<(), String> {
        if f.pending.is_empty() {
            return Ok(());
        }
        match (&*f.current).write_all(&f.pending) {
            Ok(()) => {
                f.size += f.pending.len() as u64;
                f.pending.clear();
                Ok(())
            }
            Err(e) => {
                tracing::error!("Can't write to the AOF file ({e}) when the AOF fsync policy is 'always'. Exiting...");
                std::process::exit(1);
            }
        }
    }

    /// From now on, writes go to `file` (a rewrite opened a new incremental file); the old file's
    /// tail is still fsynced before the durable offset moves past it.
    pub fn switch_file(&self, file: File) {
        let mut f = self.lock();
        // Bytes queued for the old file go there first.
        let _ = Self::write_pending_locked(&mut f);
        let old = std::mem::replace(&mut f.current, Arc::new(file));
        f.retired.push(old);
        f.size = 0;
    }

    /// The logical end of the log.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Acquire)
    }

    pub fn durable(&self) -> u64 {
        *self.durable.borrow()
    }

    /// Bytes in the current incremental file.
    pub fn file_size(&self) -> u64 {
        let f = self.lock();
        f.size + f.pending.len() as u64
    }

    pub fn last_error(&self) -> Option<String> {
        self.lock().error.clone()
    }

    /// Waits until the log is on disk up to `offset` (for `appendfsync always`).
    pub async fn wait_durable(&self, offset: u64) {
        let mut rx = self.durable.subscribe();
        let _ = rx.wait_for(|d| *d >= offset).await;
    }

    /// Fsyncs everything written, then stops the thread (shutdown, `appendonly no`).
    pub fn stop(&self) {
        self.lock().stop = true;
        self.wake.notify_one();
        // Bounded wait for the final fsync.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.done.load(Ordering::Acquire) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        // Lets the committer task see that it is over.
        self.commit_wanted.notify_one();
    }

    fn run(self: Arc<Self>) {
        let mut last_fsync = Instant::now();
        // When the log first got ahead of the disk without a commit request.
        let mut behind_since: Option<Instant> = None;
        loop {
            let (files, target, stop) = {
                let mut f = self.lock();
                loop {
                    let behind = self.written() > self.durable();
                    let due = match self.policy() {
                        _ if self.fsync_paused.load(Ordering::Acquire) => behind,
                        FsyncPolicy::Always => {
                            behind
                                && (self.commit.swap(false, Ordering::AcqRel)
                                    || !self.committer.load(Ordering::Acquire)
                                    || behind_since.is_some_and(|t: Instant| {
                                        t.elapsed() >= Duration::from_millis(1)
                                    }))
                        }
                        FsyncPolicy::EverySec => {
                            behind && last_fsync.elapsed() >= Duration::from_secs(1)
                        }
                        FsyncPolicy::No => {
                            // Nobody waits on `durable` outside `always`; keep it meaningful.
                            self.publish_durable(self.written());
                            false
                        }
                    };
                    if due || f.stop {
                        break;
                    }
                    if behind && behind_since.is_none() {
                        behind_since = Some(Instant::now());
                    }
                    self.idle.store(true, Ordering::Release);
                    // Re-check after announcing idleness, so a request in between is not missed.
                    if self.policy() == FsyncPolicy::Always
                        && self.written() > self.durable()
                        && (self.commit.load(Ordering::Acquire)
                            || !self.committer.load(Ordering::Acquire))
                    {
                        self.idle.store(false, Ordering::Release);
                        continue;
                    }
                    let wait = match self.policy() {
                        FsyncPolicy::EverySec if behind => {
                            Duration::from_secs(1).saturating_sub(last_fsync.elapsed())
                        }
                        // The committer's request normally comes first; this is the fallback.
                        FsyncPolicy::Always if behind => Duration::from_millis(1),
                        _ => Duration::from_secs(1),
                    };
                    f = self
                        .wake
                        .wait_timeout(f, wait.max(Duration::from_millis(1)))
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                    self.idle.store(false, Ordering::Release);
                }
                // Everything written before this point is covered by the fsyncs below; queued
                // `always` bytes are written first, still under the lock (one write for all).
                behind_since = None;
                let target = self.written();
                // Paused: nothing is fsynced now (retired files wait for the next real fsync),
                // except at the final stop.
                let files = if self.fsync_paused.load(Ordering::Acquire) && !f.stop {
                    let _ = Self::write_pending_locked(&mut f);
                    Vec::new()
                } else {
                    Self::flush_for_sync_locked(&mut f)
                };
                (files, target, f.stop)
            };
            let synced = !files.is_empty();
            let mut ok = true;
            for file in &files {
                if let Err(e) = file.sync_data() {
                    ok = false;
                    tracing::warn!("Error fsyncing the AOF file: {e}");
                    self.lock().error = Some(e.to_string());
                    if self.policy() == FsyncPolicy::Always {
                        tracing::error!("Can't recover from AOF fsync error when the AOF fsync policy is 'always'. Exiting...");
                        std::process::exit(1);
                    }
                }
            }
            if synced {
                last_fsync = Instant::now();
            }
            if ok {
                if synced {
                    self.fsyncs.fetch_add(1, Ordering::Relaxed);
                }
                self.publish_durable(target);
            }
            if stop {
                self.done.store(true, Ordering::Release);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polls (bounded) until the durable offset reaches `offset`.
    fn wait_durable(w: &Writer, offset: u64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while w.durable() < offset {
            assert!(Instant::now() < deadline, "durable offset stuck");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn paused_fsync_still_writes_and_publishes_but_does_not_sync() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log");
        let file = File::create(&path).expect("create");
        for policy in [FsyncPolicy::Always, FsyncPolicy::EverySec] {
            let w = Writer::start(file.try_clone().expect("clone"), 0, policy).expect("start");
            let before = std::fs::metadata(&path).expect("meta").len();
            w.pause_fsync(true);
            w.write(b"*1\r\n$4\r\nPING\r\n").expect("write");
            w.write(b"*1\r\n$4\r\nPING\r\n").expect("write");
            wait_durable(&w, w.written());
            assert_eq!(w.fsyncs.load(Ordering::Relaxed), 0, "{policy:?}");
            assert_eq!(std::fs::metadata(&path).expect("meta").len(), before + 28);
            w.pause_fsync(false);
            w.write(b"*1\r\n$4\r\nPING\r\n").expect("write");
            if policy == FsyncPolicy::Always {
                wait_durable(&w, w.written());
                assert_eq!(w.fsyncs.load(Ordering::Relaxed), 1, "{policy:?}");
            }
            w.stop();
            assert!(w.fsyncs.load(Ordering::Relaxed) >= 1, "the final fsync");
        }
    }
}
