//! AOF rewrite (BGREWRITEAOF, automatic rewrites, the first base after `appendonly yes`).
//!
//! The order of events is Redis 7's, without the fork. Under the lock, at one instant: the writer
//! switches to a new incremental file (listed in the manifest at once, so a crash from here on loads
//! old base + old incrementals + new incremental), and a point-in-time image of the dataset is
//! captured (the same mechanism as BGSAVE). A thread writes the image as the new base file (temp
//! file, fsync, rename). When it is done, the cron switches the manifest to new base + new
//! incremental atomically, and only after that rename is durable are the superseded files deleted.

use super::{dir, prefix, switch_writer, Status};
use crate::persistence::save::{Image, SaveError};
use crate::server::State;
use redoubt_aof::manifest::{self, AofFile, AofKind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

/// A rewrite in progress.
pub struct Rewrite {
    handle: JoinHandle<Result<u64, SaveError>>,
    cancel: Arc<AtomicBool>,
    pub progress: Arc<AtomicU64>,
    pub started: Instant,
    /// The base file being written.
    base: String,
    /// The incremental file writes went to from the snapshot instant on (None with the AOF off).
    incr: Option<AofFile>,
    /// The copy-on-write snapshot feeding it, if any.
    epoch: Option<u32>,
}

/// The temporary incremental file used while the first base is written (Redis's
/// `getTempIncrAofName`).
pub fn temp_incr_name(prefix: &str) -> String {
    format!("temp-{prefix}.incr")
}

pub const ERR_IN_PROGRESS: &str = "ERR Background append only file rewriting already in progress";

/// Writes a base of the current dataset in the calling thread (a fresh log at startup, whose
/// dataset is empty, like Redis's `aofOpenIfNeededOnServerStart`); returns its size.
pub fn write_base_now(st: &State, base: &str, now_ms: i64) -> Result<u64, String> {
    let dir = dir(st);
    let mut image = Image::capture(st, now_ms);
    image.retarget(dir.clone(), base.to_string());
    let (cancel, progress) = (AtomicBool::new(false), AtomicU64::new(0));
    let written = if base.ends_with(".rdb") {
        image.write(&cancel, &progress)
    } else {
        write_command_base(&image, &dir.join(base), &cancel, &progress)
    };
    written.map_err(|e| format!("Can't write the AOF base {base}: {e}"))
}

/// Starts a rewrite (Redis's `rewriteAppendOnlyFileBackground`).
pub fn start(st: &mut State, now_ms: i64) -> Result<(), String> {
    if st.aof.rewrite.is_some() {
        return Err(ERR_IN_PROGRESS.into());
    }
    let dir = dir(st);
    let prefix = prefix(st);
    std::fs::create_dir_all(&dir).map_err(|e| format!("Can't create the AOF directory: {e}"))?;
    let incr = match st.aof.status {
        Status::On => {
            // New writes go to a new incremental file, listed in the manifest before any lands.
            let mut m = st.aof.manifest.clone();
            let f = m.add_next_incr(&prefix);
            switch_writer(st, &dir.join(&f.name))
                .map_err(|e| format!("Can't open the append-only file: {e}"))?;
            manifest::write_manifest_atomically(&dir, &manifest::manifest_name(&prefix), &m)
                .map_err(|e| format!("Can't persist the AOF manifest: {e}"))?;
            st.aof.manifest = m;
            Some(f)
        }
        // Writes already go to the temporary incremental file; it is named when the base is done.
        Status::WaitRewrite => Some(AofFile {
            name: st.aof.manifest.next_incr_name(&prefix),
            seq: st.aof.manifest.current_incr_seq() + 1,
            kind: AofKind::Incr,
        }),
        Status::Off => None,
    };
    let preamble = st.config.get("aof-use-rdb-preamble") != Some("no");
    let base = st.aof.manifest.next_base_name(&prefix, preamble);
    let t = Instant::now();
    use crate::persistence::snapshot::{self, ImageFormat};
    let format = if preamble {
        ImageFormat::Rdb
    } else {
        ImageFormat::Commands
    };
    let mut image = snapshot::image(st, now_ms, format);
    image.retarget(dir.clone(), base.clone());
    let epoch = image.epoch();
    let cancel = Arc::new(AtomicBool::new(false));
    let progress = Arc::new(AtomicU64::new(0));
    let (flag, written) = (cancel.clone(), progress.clone());
    let base_path = dir.join(&base);
    let handle = std::thread::Builder::new()
        .name("aof-rewrite".into())
        .spawn(move || {
            crate::persistence::background_priority();
            if preamble {
                image.write(&flag, &written)
            } else {
                write_command_base(&image, &base_path, &flag, &written)
            }
        })
        .map_err(|e| format!("Can't rewrite append only file in background: {e}"))?;
    tracing::info!(
        "Background append only file rewriting started ({:.3} ms to capture the dataset)",
        t.elapsed().as_secs_f64() * 1000.0
    );
    st.aof.rewrite = Some(Rewrite {
        handle,
        cancel,
        progress,
        started: Instant::now(),
        base,
        incr,
        epoch,
    });
    Ok(())
}

/// Writes a base made of commands (`aof-use-rdb-preamble no`): temp file, fsync, rename, fsync of
/// the directory, like every other file the server replaces.
fn write_command_base(
    image: &Image,
    path: &std::path::Path,
    cancel: &AtomicBool,
    progress: &AtomicU64,
) -> Result<u64, SaveError> {
    use std::io::Write;
    let io = |e: std::io::Error| SaveError::Write(e.to_string());
    let temp = image
        .dir()
        .join(format!("temp-rewriteaof-bg-{}.aof", std::process::id()));
    let outcome = (|| {
        let file = std::fs::File::create(&temp).map_err(io)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        image.write_commands(&mut out, cancel, progress)?;
        out.flush().map_err(io)?;
        let file = out.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        std::fs::rename(&temp, path).map_err(io)?;
        let _ = redoubt_aof::manifest::fsync_dir(image.dir());
        Ok(size)
    })();
    if outcome.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    outcome
}

/// Collects a finished rewrite (Redis's `backgroundRewriteDoneHandler`).
pub fn collect(st: &mut State, _now_ms: i64) {
    if !st
        .aof
        .rewrite
        .as_ref()
        .is_some_and(|r| r.handle.is_finished())
    {
        return;
    }
    let Some(rw) = st.aof.rewrite.take() else {
        return;
    };
    let dir = dir(st);
    let prefix = prefix(st);
    let Rewrite {
        handle,
        started,
        base,
        incr,
        ..
    } = rw;
    let outcome = handle
        .join()
        .unwrap_or_else(|_| Err(SaveError::Write("the rewrite thread panicked".into())));
    st.aof.last_rewrite_time_sec = started.elapsed().as_secs() as i64;
    let base_size = match outcome {
        Ok(size) => size,
        Err(SaveError::Cancelled) => return,
        Err(e) => {
            tracing::warn!("Background AOF rewrite failed: {e}");
            st.aof.last_rewrite_ok = false;
            let _ = std::fs::remove_file(dir.join(&base));
            return;
        }
    };
    if let Err(e) = switch_manifest(st, &dir, &prefix, &base, incr.as_ref(), base_size) {
        tracing::warn!("Background AOF rewrite failed: {e}");
        st.aof.last_rewrite_ok = false;
        let _ = std::fs::remove_file(dir.join(&base));
        return;
    }
    st.aof.last_rewrite_ok = true;
    st.aof.rewrites += 1;
    tracing::info!("Background AOF rewrite finished successfully");
}

/// Makes the new base (and incremental file) the log: the manifest is switched atomically, then the
/// superseded files are deleted.
fn switch_manifest(
    st: &mut State,
    dir: &std::path::Path,
    prefix: &str,
    base: &str,
    incr: Option<&AofFile>,
    base_size: u64,
) -> Result<(), String> {
    let mut m = st.aof.manifest.clone();
    let waiting = st.aof.status == Status::WaitRewrite;
    if waiting {
        if let Some(incr) = incr {
            std::fs::rename(dir.join(temp_incr_name(prefix)), dir.join(&incr.name))
                .map_err(|e| format!("can't rename the temporary incremental file: {e}"))?;
            m.entries.push(incr.clone());
        }
    }
    let new_base = m.replace_base(prefix, base.ends_with(".rdb"));
    if new_base.name != base {
        return Err(format!(
            "the manifest changed during the rewrite (expected base {base}, got {})",
            new_base.name
        ));
    }
    match incr {
        Some(_) => m.mark_rewritten_incrs_as_history(),
        None => {
            for e in m.entries.iter_mut().filter(|e| e.kind == AofKind::Incr) {
                e.kind = AofKind::History;
            }
        }
    }
    let name = manifest::manifest_name(prefix);
    manifest::write_manifest_atomically(dir, &name, &m)
        .map_err(|e| format!("can't persist the AOF manifest: {e}"))?;
    // The switch is durable: superseded files can go.
    let history: Vec<String> = m.history().iter().map(|f| f.name.clone()).collect();
    m.remove_history();
    if manifest::write_manifest_atomically(dir, &name, &m).is_ok() {
        for h in history {
            let _ = std::fs::remove_file(dir.join(h));
        }
    }
    st.aof.manifest = m;
    st.aof.base_size = base_size;
    st.aof.older_incr_size = 0;
    if waiting {
        st.aof.status = Status::On;
    }
    st.aof.rewrite_base_size = st.aof.current_size();
    Ok(())
}

/// Stops a rewrite in progress and removes its partial base.
pub fn kill(st: &mut State) {
    if let Some(rw) = st.aof.rewrite.take() {
        rw.cancel.store(true, Ordering::Relaxed);
        crate::persistence::snapshot::abort(st, rw.epoch);
        let _ = rw.handle.join();
        let _ = std::fs::remove_file(dir(st).join(&rw.base));
        tracing::info!("Killing running AOF rewrite");
    }
}
