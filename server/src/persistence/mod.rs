//! RDB persistence wired into the server: SAVE, BGSAVE (and SCHEDULE), `save <seconds> <changes>`
//! points, saving on shutdown, loading at startup, DEBUG RELOAD/DIGEST, and the INFO persistence
//! section.
//!
//! [`Persistence`] is the bookkeeping kept in [`State`] (Redis's `lastbgsave_status`,
//! `rdb_child_pid`, `stat_rdb_saves` …). `save` writes files, `load` reads them, `digest` is
//! Redis's DEBUG DIGEST.
//!
//! BGSAVE has no fork: it starts a copy-on-write snapshot (`snapshot`), whose walker hands the
//! dataset as it was at that instant, in pieces, to a background thread that serialises them
//! ([`save::Image`]) while clients keep writing. The server's cron collects the thread's outcome,
//! as Redis's cron collects the child's exit status. A second snapshot requested while one runs
//! (a replica's full sync during a BGSAVE) copies the whole dataset at once instead.

pub mod digest;
pub mod load;
pub mod save;
pub mod snapshot;

use crate::server::State;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

/// Redis's `CONFIG_BGSAVE_RETRY_DELAY`: after a failed background save, automatic saves wait this
/// long before trying again.
const BGSAVE_RETRY_DELAY_SECS: i64 = 5;

/// A background save in progress.
pub struct BgSave {
    handle: JoinHandle<Result<u64, save::SaveError>>,
    cancel: Arc<AtomicBool>,
    /// Keys written so far (`current_save_keys_processed`).
    progress: Arc<AtomicU64>,
    /// The thread has its result (it may still be exiting).
    done: Arc<AtomicBool>,
    started: Instant,
    /// `dirty` when it started: on success only the writes made since remain unsaved.
    dirty_at_start: u64,
    keys_total: usize,
    /// The copy-on-write snapshot feeding it, if any.
    epoch: Option<u32>,
}

/// Persistence bookkeeping (part of [`State`]).
pub struct Persistence {
    pub bgsave: Option<BgSave>,
    /// BGSAVE SCHEDULE arrived while a save was running: start one when it ends.
    pub bgsave_scheduled: bool,
    pub last_bgsave_ok: bool,
    /// Unix seconds of the last background save attempt (for the retry delay).
    pub last_bgsave_try: i64,
    pub last_bgsave_time_sec: i64,
    /// `rdb_saves`: saves started (SAVE and BGSAVE).
    pub saves: u64,
    pub last_load: load::LoadStats,
    /// The copy-on-write snapshot in progress, and the last snapshot epoch.
    pub walker: Option<snapshot::Walker>,
    pub epoch: u32,
}

impl Default for Persistence {
    fn default() -> Self {
        Persistence {
            bgsave: None,
            bgsave_scheduled: false,
            last_bgsave_ok: true,
            last_bgsave_try: 0,
            last_bgsave_time_sec: -1,
            saves: 0,
            last_load: load::LoadStats::default(),
            walker: None,
            epoch: 0,
        }
    }
}

/// The configured `save` points as (seconds, changes).
pub fn save_points(st: &State) -> Vec<(i64, u64)> {
    let words: Vec<&str> = st
        .config
        .get("save")
        .unwrap_or("")
        .split_whitespace()
        .collect();
    words
        .chunks_exact(2)
        .filter_map(|p| Some((p[0].parse().ok()?, p[1].parse().ok()?)))
        .collect()
}

/// A blocking save of the whole dataset (SAVE, DEBUG RELOAD, shutdown); on success resets the
/// change counter and LASTSAVE, like Redis's `rdbSave`.
pub fn rdb_save(st: &mut State, now_ms: i64) -> Result<(), save::SaveError> {
    match save::save_state(st, now_ms) {
        Ok(_) => {
            tracing::info!("DB saved on disk");
            st.dirty = 0;
            st.lastsave = now_ms / 1000;
            st.persistence.last_bgsave_ok = true;
            Ok(())
        }
        Err(e) => {
            tracing::warn!("{e}");
            Err(e)
        }
    }
}

/// How long a serialising thread stays in the idle class: on a machine that stays saturated an
/// idle-class thread barely runs, and the snapshot (with its copy-on-write memory) would last
/// indefinitely. After this it competes with a lowered priority ([`LATE_NICE`]): it gets its
/// share of a busy CPU, while a waking command thread still preempts it at once.
const IDLE_CLASS_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);
const LATE_NICE: libc::c_int = 10;

std::thread_local! {
    /// When the calling thread entered the idle class (None: it is in the normal class).
    static IDLE_SINCE: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

fn set_scheduling_class(policy: libc::c_int) {
    #[cfg(target_os = "linux")]
    // SAFETY: a plain syscall on the calling thread; `param` outlives it.
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, policy, &param);
    }
}

/// Puts the calling thread (one that serialises a snapshot: BGSAVE, AOF rewrite) in the
/// `SCHED_IDLE` class: on a busy machine it takes the CPU the command thread and the clients
/// leave, instead of preempting them for a scheduler slice. Linux: per thread.
///
/// Linux lets a thread leave `SCHED_IDLE` only with `CAP_SYS_NICE` or an `RLIMIT_NICE` of at
/// least 20, as it lets it lower its nice value. A server without either (an unprivileged
/// user's, by default) could never take the [`IDLE_CLASS_LIMIT`] way out, so its serialisers
/// run at nice 19 instead: the normal class's least share of a busy CPU, from the start.
pub fn background_priority() {
    if may_leave_idle_class() {
        set_scheduling_class(libc::SCHED_IDLE);
        IDLE_SINCE.with(|c| c.set(Some(Instant::now())));
    } else {
        set_own_nice(UNPRIVILEGED_NICE);
    }
}

const UNPRIVILEGED_NICE: libc::c_int = 19;

fn set_own_nice(nice: libc::c_int) {
    #[cfg(target_os = "linux")]
    // SAFETY: plain syscalls on the calling thread's own id.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, nice);
    }
}

/// Whether this process may raise a thread's priority: `CAP_SYS_NICE` in its effective set
/// (`/proc/self/status`), or an `RLIMIT_NICE` of 20 or more (nice 0 and below).
fn may_leave_idle_class() -> bool {
    const CAP_SYS_NICE: u32 = 23;
    let capable = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
            u64::from_str_radix(hex.trim(), 16).ok()
        })
        .is_some_and(|caps| caps & (1 << CAP_SYS_NICE) != 0);
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit for the call's duration.
    let limited = unsafe { libc::getrlimit(libc::RLIMIT_NICE, &mut limit) } == 0;
    capable || (limited && limit.rlim_cur >= 20)
}

/// Called as a snapshot's pieces are written: past [`IDLE_CLASS_LIMIT`] the thread returns to
/// the normal class.
pub fn background_priority_check() {
    IDLE_SINCE.with(|c| {
        if c.get().is_some_and(|t| t.elapsed() >= IDLE_CLASS_LIMIT) {
            c.set(None);
            set_scheduling_class(libc::SCHED_OTHER);
            set_own_nice(LATE_NICE);
        }
    });
}

/// CPU time the calling thread has used, in seconds.
pub fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call's duration.
    unsafe {
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// Starts a background save (Redis's `rdbSaveBackground`).
pub fn bgsave_start(st: &mut State, now_ms: i64) {
    let t = Instant::now();
    let image = snapshot::image(st, now_ms, snapshot::ImageFormat::Rdb);
    let keys_total = image.key_count();
    let epoch = image.epoch();
    let cancel = Arc::new(AtomicBool::new(false));
    let progress = Arc::new(AtomicU64::new(0));
    let (flag, written) = (cancel.clone(), progress.clone());
    let done = Arc::new(AtomicBool::new(false));
    let (finished, server) = (done.clone(), st.shared.clone());
    let spawned = std::thread::Builder::new()
        .name("bgsave".into())
        .spawn(move || {
            background_priority();
            let result = image.write(&flag, &written);
            tracing::info!(
                "Background save thread used {:.3} s of CPU",
                thread_cpu_seconds()
            );
            // The cron collects the result now rather than at its next tick (Redis notices its
            // child's exit in serverCron, up to 1/hz later).
            finished.store(true, Ordering::Release);
            if let Some(server) = server.upgrade() {
                server.background_done.notify_one();
            }
            result
        });
    st.persistence.last_bgsave_try = now_ms / 1000;
    match spawned {
        Ok(handle) => {
            st.persistence.saves += 1;
            st.persistence.bgsave = Some(BgSave {
                handle,
                cancel,
                progress,
                done,
                started: Instant::now(),
                dirty_at_start: st.dirty,
                keys_total,
                epoch,
            });
            tracing::info!(
                "Background saving started by pid {} ({keys_total} keys captured in {:.3} ms)",
                std::process::id(),
                t.elapsed().as_secs_f64() * 1000.0
            );
        }
        Err(e) => {
            st.persistence.last_bgsave_ok = false;
            tracing::warn!("Can't save in background: {e}");
        }
    }
}

/// Collects a finished background save, if any (Redis's `checkChildrenDone`).
fn collect_bgsave(st: &mut State, now_ms: i64) {
    if !st
        .persistence
        .bgsave
        .as_ref()
        .is_some_and(|b| b.done.load(Ordering::Acquire) || b.handle.is_finished())
    {
        return;
    }
    let Some(b) = st.persistence.bgsave.take() else {
        return;
    };
    let elapsed = b.started.elapsed().as_secs() as i64;
    let outcome = b.handle.join().unwrap_or_else(|_| {
        Err(save::SaveError::Write(
            "the background save thread panicked".into(),
        ))
    });
    st.persistence.last_bgsave_time_sec = elapsed;
    match outcome {
        Ok(_) => {
            tracing::info!("Background saving terminated with success");
            st.dirty = st.dirty.saturating_sub(b.dirty_at_start);
            st.lastsave = now_ms / 1000;
            st.persistence.last_bgsave_ok = true;
        }
        Err(save::SaveError::Cancelled) => {
            tracing::warn!("Background saving terminated by signal 10");
        }
        Err(e) => {
            tracing::warn!("{e}");
            tracing::warn!("Background saving error");
            st.persistence.last_bgsave_ok = false;
        }
    }
}

/// Stops a background save in progress and waits for its thread (SHUTDOWN, FLUSHALL, DEBUG RELOAD).
pub fn kill_bgsave(st: &mut State) {
    if let Some(b) = st.persistence.bgsave.take() {
        b.cancel.store(true, Ordering::Relaxed);
        // The walker needs the lock the caller holds: stop it here (the image ends incomplete).
        snapshot::abort(st, b.epoch);
        let _ = b.handle.join();
        tracing::info!("Killing RDB background saving thread");
    }
}

/// The persistence part of the server's cron: collect a finished BGSAVE, start a scheduled one,
/// check the `save` points.
pub fn cron(st: &mut State, now_ms: i64) {
    collect_bgsave(st, now_ms);
    if st.persistence.bgsave.is_some() {
        return;
    }
    if st.persistence.bgsave_scheduled {
        st.persistence.bgsave_scheduled = false;
        bgsave_start(st, now_ms);
        return;
    }
    let now = now_ms / 1000;
    let may_retry = st.persistence.last_bgsave_ok
        || now - st.persistence.last_bgsave_try > BGSAVE_RETRY_DELAY_SECS;
    if !may_retry {
        return;
    }
    let due = save_points(st)
        .into_iter()
        .find(|&(secs, changes)| st.dirty >= changes && now - st.lastsave > secs);
    if let Some((secs, changes)) = due {
        tracing::info!("{changes} changes in {secs} seconds. Saving...");
        bgsave_start(st, now_ms);
    }
}

/// The error for writes while saving fails (`stop-writes-on-bgsave-error`).
pub const ERR_MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// Whether writes are refused because the last background save failed (Redis's
/// `writeCommandsDeniedByDiskError`, RDB part).
pub fn writes_denied(st: &State) -> bool {
    !st.persistence.last_bgsave_ok
        && st.config.get("stop-writes-on-bgsave-error") != Some("no")
        && !save_points(st).is_empty()
}

/// FLUSHALL's persistence part: a background save is stopped and, with save points configured,
/// the now empty dataset is saved (Redis's `flushAllDataAndResetRDB`).
pub fn after_flushall(st: &mut State, now_ms: i64) {
    kill_bgsave(st);
    if !save_points(st).is_empty() {
        let _ = rdb_save(st, now_ms);
    }
}

/// What SHUTDOWN asked for.
#[derive(Clone, Copy, Default)]
pub struct ShutdownFlags {
    pub save: bool,
    pub nosave: bool,
}

/// Redis's `prepareForShutdown`: stops a background save, then saves if save points are
/// configured (or SAVE was given) unless NOSAVE. `Err` means the save failed and the shutdown
/// should not happen.
pub fn prepare_shutdown(
    st: &mut State,
    flags: ShutdownFlags,
    now_ms: i64,
) -> Result<(), save::SaveError> {
    tracing::info!("User requested shutdown...");
    if st.aof.status != crate::aof::Status::Off {
        tracing::info!("Calling fsync() on the AOF file.");
        crate::aof::shutdown(st);
    }
    if st.persistence.bgsave.is_some() {
        tracing::warn!("There is a child saving an .rdb. Killing it!");
        kill_bgsave(st);
    }
    if (!save_points(st).is_empty() && !flags.nosave) || flags.save {
        tracing::info!("Saving the final RDB snapshot before exiting.");
        if let Err(e) = rdb_save(st, now_ms) {
            tracing::warn!("Error trying to save the DB, can't exit.");
            return Err(e);
        }
    }
    Ok(())
}

/// Loads `dir/dbfilename` at startup if it exists. The error is logged by the caller, which
/// refuses to start.
pub fn load_at_startup(st: &mut State) -> Result<(), load::LoadError> {
    let target = save::SaveTarget::from_state(st);
    let path = target.path();
    if !path.exists() {
        return Ok(());
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    st.load_progress.begin(size);
    let stats = load::load_file(st, &path, crate::server::now_ms(), false)?;
    tracing::info!(
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        stats.keys_loaded,
        stats.keys_expired
    );
    tracing::info!("DB loaded from disk: {:.3} seconds", stats.seconds);
    st.persistence.last_load = stats;
    Ok(())
}

/// Loads the dump again (DEBUG RELOAD): into emptied dbs when `flush`; with `merge`, keys of the
/// file replace existing ones, otherwise an existing key fails the load.
pub fn reload(
    st: &mut State,
    now_ms: i64,
    flush: bool,
    merge: bool,
) -> Result<(), load::LoadError> {
    if flush {
        for db in &mut st.dbs {
            db.clear();
        }
    }
    let path = save::SaveTarget::from_state(st).path();
    let stats = load::load_file(st, &path, now_ms, merge)?;
    st.persistence.last_load = stats;
    Ok(())
}

/// The `# Persistence` section of INFO.
pub fn info_section(st: &State, out: &mut String) {
    use std::fmt::Write;
    let p = &st.persistence;
    let (in_progress, current_secs, keys_processed, keys_total) = match &p.bgsave {
        Some(b) => (
            1,
            b.started.elapsed().as_secs() as i64,
            b.progress.load(Ordering::Relaxed),
            b.keys_total,
        ),
        None => (0, -1, 0, 0),
    };
    let _ = write!(
        out,
        "# Persistence\r\nloading:0\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\ncurrent_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\ncurrent_save_keys_processed:{keys_processed}\r\ncurrent_save_keys_total:{keys_total}\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{in_progress}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\nrdb_last_bgsave_time_sec:{}\r\nrdb_current_bgsave_time_sec:{current_secs}\r\nrdb_saves:{}\r\nrdb_last_cow_size:0\r\nrdb_last_load_keys_expired:{}\r\nrdb_last_load_keys_loaded:{}\r\n",
        st.dirty,
        st.lastsave,
        if p.last_bgsave_ok { "ok" } else { "err" },
        p.last_bgsave_time_sec,
        p.saves,
        p.last_load.keys_expired,
        p.last_load.keys_loaded,
    );
    crate::aof::info(st, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serialiser_enters_the_idle_class_only_when_it_may_leave_it() {
        let may_leave = may_leave_idle_class();
        let (policy, nice, left) = std::thread::spawn(|| {
            background_priority();
            // SAFETY: queries on the calling thread.
            let (policy, nice) = unsafe {
                let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
                (
                    libc::sched_getscheduler(0),
                    libc::getpriority(libc::PRIO_PROCESS, tid),
                )
            };
            set_scheduling_class(libc::SCHED_OTHER);
            // SAFETY: a query on the calling thread.
            let left = unsafe { libc::sched_getscheduler(0) } == libc::SCHED_OTHER;
            (policy, nice, left)
        })
        .join()
        .unwrap();
        if may_leave {
            assert_eq!(policy, libc::SCHED_IDLE);
        } else {
            assert_eq!((policy, nice), (libc::SCHED_OTHER, UNPRIVILEGED_NICE));
        }
        // What the check predicts is what the kernel allows.
        assert!(left, "the thread is (back) in the normal class");
    }
}
