//! The AOF writer thread: appends what commands logged to the current incremental file and fsyncs
//! it as `appendfsync` asks.
//!
//! Commands append under the server lock to an in-memory queue (so the file order is the order in
//! which writes were applied); the thread drains the queue with one `write` and, with `always`, one
//! `fdatasync` for everything that queued up meanwhile — a group commit: while one fsync runs, the
//! next batch accumulates, and a single fsync then covers all of it. The offset known to be on disk
//! is published on a watch channel; with `always`, a connection sends its replies only once that
//! offset covers its writes. `everysec` fsyncs at most once a second, `no` leaves it to the kernel.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex};
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

/// Work for the thread, in order.
enum Chunk {
    Data(Vec<u8>),
    /// From here on, write to this file (a rewrite opened a new incremental file).
    Switch(File),
}

#[derive(Default)]
struct Queue {
    chunks: Vec<Chunk>,
    stop: bool,
}

/// Shared between the server (appending under its lock), the thread, and connections waiting for
/// durability.
pub struct Writer {
    queue: Mutex<Queue>,
    wake: Condvar,
    policy: AtomicU8,
    /// Bytes appended so far (the logical end of the log, across file switches).
    appended: AtomicU64,
    /// Bytes written to the current incremental file (`aof_current_size` minus the base).
    file_size: AtomicU64,
    /// Offset up to which the log is on disk (fsynced); published to waiters.
    durable: watch::Sender<u64>,
    /// Offset up to which the log has been written (not necessarily fsynced).
    written: AtomicU64,
    /// The last write or fsync error, cleared by the next success (`aof_last_write_status`).
    error: Mutex<Option<String>>,
    /// Delayed fsyncs (`aof_delayed_fsync`) and fsyncs done, for INFO.
    pub fsyncs: AtomicU64,
}

impl Writer {
    /// Starts the thread writing to `file` (already positioned at its end, holding `size` bytes).
    pub fn start(file: File, size: u64, policy: FsyncPolicy) -> std::io::Result<Arc<Writer>> {
        let (durable, _) = watch::channel(0u64);
        let w = Arc::new(Writer {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            policy: AtomicU8::new(policy as u8),
            appended: AtomicU64::new(0),
            file_size: AtomicU64::new(size),
            durable,
            written: AtomicU64::new(0),
            error: Mutex::new(None),
            fsyncs: AtomicU64::new(0),
        });
        let thread = w.clone();
        std::thread::Builder::new()
            .name("aof-writer".into())
            .spawn(move || thread.run(file))?;
        Ok(w)
    }

    pub fn policy(&self) -> FsyncPolicy {
        FsyncPolicy::from_u8(self.policy.load(Ordering::Relaxed))
    }

    pub fn set_policy(&self, p: FsyncPolicy) {
        self.policy.store(p as u8, Ordering::Relaxed);
        self.wake.notify_one();
    }

    /// Queues bytes for the log. Call under the server lock, in the order writes were applied.
    pub fn append(&self, bytes: &[u8]) {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        match q.chunks.last_mut() {
            Some(Chunk::Data(d)) => d.extend_from_slice(bytes),
            _ => q.chunks.push(Chunk::Data(bytes.to_vec())),
        }
        self.appended
            .fetch_add(bytes.len() as u64, Ordering::Release);
        drop(q);
        self.wake.notify_one();
    }

    /// From now on, appended bytes go to `file` (after everything queued before).
    pub fn switch_file(&self, file: File) {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.chunks.push(Chunk::Switch(file));
        drop(q);
        self.wake.notify_one();
    }

    /// The logical end of the log.
    pub fn appended(&self) -> u64 {
        self.appended.load(Ordering::Acquire)
    }

    pub fn durable(&self) -> u64 {
        *self.durable.borrow()
    }

    /// Bytes in the current incremental file.
    pub fn file_size(&self) -> u64 {
        self.file_size.load(Ordering::Relaxed)
    }

    /// Everything queued has been written to the file (fsynced or not).
    pub fn drained(&self) -> bool {
        self.written.load(Ordering::Acquire) >= self.appended()
    }

    pub fn last_error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until the log is on disk up to `offset` (for `appendfsync always`).
    pub async fn wait_durable(&self, offset: u64) {
        let mut rx = self.durable.subscribe();
        let _ = rx.wait_for(|d| *d >= offset).await;
    }

    /// Writes and fsyncs everything queued, then stops the thread (shutdown, appendonly no).
    pub fn stop(&self) {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.stop = true;
        drop(q);
        self.wake.notify_one();
        // Bounded wait for the thread to drain.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.drained() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn set_error(&self, e: Option<String>) {
        *self.error.lock().unwrap_or_else(|e| e.into_inner()) = e;
    }

    fn run(self: Arc<Self>, mut file: File) {
        let mut last_fsync = Instant::now();
        let mut unsynced = false;
        // Bytes taken from the queue but not yet written (kept across a failed write).
        let mut carry: Vec<u8> = Vec::new();
        loop {
            let (chunks, stop, target) = {
                let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    if !q.chunks.is_empty() || q.stop || !carry.is_empty() {
                        break;
                    }
                    let policy = self.policy();
                    if unsynced && policy == FsyncPolicy::EverySec {
                        let due = Duration::from_secs(1).saturating_sub(last_fsync.elapsed());
                        if due.is_zero() {
                            break;
                        }
                        q = self
                            .wake
                            .wait_timeout(q, due)
                            .unwrap_or_else(|e| e.into_inner())
                            .0;
                    } else {
                        q = self.wake.wait(q).unwrap_or_else(|e| e.into_inner());
                    }
                }
                (std::mem::take(&mut q.chunks), q.stop, self.appended())
            };
            let mut ok = true;
            for chunk in chunks {
                match chunk {
                    Chunk::Data(d) => {
                        if carry.is_empty() {
                            carry = d;
                        } else {
                            carry.extend_from_slice(&d);
                        }
                    }
                    Chunk::Switch(next) => {
                        ok &= self.write_out(&mut file, &mut carry);
                        if ok {
                            ok &= self.sync(&file);
                            file = next;
                            self.file_size.store(0, Ordering::Relaxed);
                        }
                    }
                }
            }
            ok &= self.write_out(&mut file, &mut carry);
            if !ok {
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
            self.written.store(target, Ordering::Release);
            unsynced = true;
            let policy = self.policy();
            let sync_now = stop
                || policy == FsyncPolicy::Always
                || (policy == FsyncPolicy::EverySec
                    && last_fsync.elapsed() >= Duration::from_secs(1));
            if sync_now {
                if self.sync(&file) {
                    unsynced = false;
                    last_fsync = Instant::now();
                    self.durable.send_replace(target);
                }
            } else if policy == FsyncPolicy::No {
                // Nobody waits on `durable` outside `always`; keep it meaningful anyway.
                self.durable.send_replace(target);
            }
            if stop {
                return;
            }
        }
    }

    /// Writes `carry` to the file; on failure truncates the partial write away (like Redis, so the
    /// file never ends in half a command) and keeps `carry` for a retry.
    fn write_out(&self, file: &mut File, carry: &mut Vec<u8>) -> bool {
        if carry.is_empty() {
            return true;
        }
        let before = self.file_size.load(Ordering::Relaxed);
        match file.write_all(carry) {
            Ok(()) => {
                self.file_size
                    .fetch_add(carry.len() as u64, Ordering::Relaxed);
                carry.clear();
                self.set_error(None);
                true
            }
            Err(e) => {
                tracing::warn!("Error writing to the AOF file: {e}");
                let _ = file.set_len(before);
                let _ = std::io::Seek::seek(file, std::io::SeekFrom::Start(before));
                self.set_error(Some(e.to_string()));
                if self.policy() == FsyncPolicy::Always {
                    // Redis exits here too: replies may have been promised on this write.
                    tracing::error!("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
                    std::process::exit(1);
                }
                false
            }
        }
    }

    fn sync(&self, file: &File) -> bool {
        match file.sync_data() {
            Ok(()) => {
                self.fsyncs.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(e) => {
                tracing::warn!("Error fsyncing the AOF file: {e}");
                self.set_error(Some(e.to_string()));
                if self.policy() == FsyncPolicy::Always {
                    tracing::error!("Can't recover from AOF fsync error when the AOF fsync policy is 'always'. Exiting...");
                    std::process::exit(1);
                }
                false
            }
        }
    }
}
