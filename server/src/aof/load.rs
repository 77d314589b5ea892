//! Loading the AOF at startup (`appendonly yes`): the manifest's base (RDB or commands) then its
//! incremental files in order, or a legacy single `appendonly.aof`, which is then moved into the
//! directory as the base of a new manifest (Redis 7's upgrade).
//!
//! Commands run through the normal dispatcher with an internal client, so a logged MULTI/EXEC is
//! applied as a transaction. A tail cut in the middle of a command (or of a MULTI block) in the last
//! file is dropped — and the file truncated to its last complete command — when `aof-load-truncated`
//! is yes; anything else that is not well formed stops the server with the file and byte offset.

use super::{dir, prefix, rewrite, start_writer, Status};
use crate::client::Client;
use crate::persistence::load::load_file;
use crate::server::{dispatch, now_ms, Shared, State};
use bytes::{Bytes, BytesMut};
use redoubt_aof::command::{AofErrorKind, CommandReader, Item};
use redoubt_aof::manifest::{self, AofFile, AofKind, Manifest};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Instant;

/// What loading found.
#[derive(Default)]
struct Loaded {
    commands: u64,
    keys_from_rdb: u64,
    /// Bytes of the files loaded before the current one (for the progress report).
    bytes_before: u64,
}

/// Loads the AOF if `appendonly yes`, then opens it for appending. Returns false when the AOF is
/// off (the caller loads the RDB instead, as Redis does).
pub fn load_at_startup(shared: &Shared, st: &mut State) -> Result<bool, String> {
    if st.config.get("appendonly") != Some("yes") {
        return Ok(false);
    }
    let started = Instant::now();
    let dir = dir(st);
    let prefix = prefix(st);
    let manifest_path = dir.join(manifest::manifest_name(&prefix));
    let legacy = std::path::PathBuf::from(st.config.get("dir").unwrap_or(".")).join(&prefix);
    st.prop.suppressed = true;
    let total: u64 = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
        + std::fs::metadata(&legacy).map(|m| m.len()).unwrap_or(0);
    st.load_progress.begin(total);
    let outcome = if manifest_path.exists() {
        load_manifest(shared, st, &dir, &prefix)
    } else if legacy.is_file() {
        load_legacy(shared, st, &legacy, &dir, &prefix)
    } else {
        Ok((Manifest::default(), Loaded::default()))
    };
    st.prop.suppressed = false;
    let (mut m, loaded) = outcome?;
    if loaded.commands > 0 || loaded.keys_from_rdb > 0 {
        tracing::info!(
            "DB loaded from append only file: {:.3} seconds ({} keys from the base, {} commands)",
            started.elapsed().as_secs_f64(),
            loaded.keys_from_rdb,
            loaded.commands
        );
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("Can't create the AOF directory: {e}"))?;
    if m.entries.is_empty() {
        // A fresh log gets its base (of the empty dataset) and its incremental file listed in
        // the manifest before the first write, as Redis does: a write acknowledged at once must
        // survive a crash, which a base still being written in the background cannot promise.
        let preamble = st.config.get("aof-use-rdb-preamble") != Some("no");
        let base = m.replace_base(&prefix, preamble);
        rewrite::write_base_now(st, &base.name, now_ms())?;
    }
    // Append to the last incremental file, or start one.
    let incr = match m.last_incr() {
        Some(f) => f.clone(),
        None => {
            let f = m.add_next_incr(&prefix);
            manifest::write_manifest_atomically(&dir, &manifest::manifest_name(&prefix), &m)
                .map_err(|e| format!("Can't persist the AOF manifest: {e}"))?;
            f
        }
    };
    st.aof.base_size = m
        .base()
        .and_then(|b| std::fs::metadata(dir.join(&b.name)).ok())
        .map_or(0, |md| md.len());
    st.aof.older_incr_size = m
        .incrs()
        .iter()
        .filter(|f| f.seq != incr.seq)
        .filter_map(|f| std::fs::metadata(dir.join(&f.name)).ok())
        .map(|md| md.len())
        .sum();
    let has_base = m.base().is_some();
    st.aof.manifest = m;
    start_writer(st, &dir.join(&incr.name))
        .map_err(|e| format!("Can't open the append-only file {}: {e}", incr.name))?;
    st.aof.status = Status::On;
    st.aof.rewrite_base_size = st.aof.current_size();
    crate::propagate::refresh_enabled(st);
    if !has_base {
        // Like Redis, a log without a base gets one at once.
        rewrite::start(st, now_ms())?;
    }
    Ok(true)
}

/// Loads a log without opening it for writing and without changing any of its files (a torn tail
/// is an error here): `redoubt-aof to-rdb`'s conversion. `input` is an AOF directory, its
/// manifest, or a single AOF file.
pub fn load_for_conversion(shared: &Shared, st: &mut State, input: &Path) -> Result<(), String> {
    st.prop.suppressed = true;
    let mut loaded = Loaded::default();
    let manifest_in = |dir: &Path| -> Option<String> {
        std::fs::read_dir(dir).ok()?.find_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            (name.ends_with(".manifest") && !name.starts_with("temp-")).then_some(name)
        })
    };
    let outcome = if input.is_dir() {
        match manifest_in(input) {
            Some(m) => {
                let prefix = m.trim_end_matches(".manifest").to_string();
                load_manifest(shared, st, input, &prefix).map(|_| ())
            }
            None => Err(format!("no manifest in {}", input.display())),
        }
    } else if let Some(prefix) = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .and_then(|n| n.strip_suffix(".manifest").map(String::from))
    {
        let dir = input.parent().unwrap_or(Path::new("."));
        load_manifest(shared, st, dir, &prefix).map(|_| ())
    } else {
        let name = input.display().to_string();
        load_one(shared, st, input, &name, true, &mut loaded)
    };
    st.prop.suppressed = false;
    outcome
}

fn load_manifest(
    shared: &Shared,
    st: &mut State,
    dir: &Path,
    prefix: &str,
) -> Result<(Manifest, Loaded), String> {
    let name = manifest::manifest_name(prefix);
    let m = manifest::read_manifest(dir, &name).map_err(|e| format!("{name}: {e}"))?;
    let files: Vec<AofFile> = m.load_order().into_iter().cloned().collect();
    let mut loaded = Loaded::default();
    for (i, f) in files.iter().enumerate() {
        let path = dir.join(&f.name);
        if !path.exists() {
            return Err(format!(
                "The AOF file {} listed in the manifest doesn't exist",
                f.name
            ));
        }
        let last = i + 1 == files.len();
        load_one(shared, st, &path, &f.name, last, &mut loaded)?;
        if f.kind == AofKind::Base {
            tracing::info!("DB loaded from base file {}", f.name);
        } else {
            tracing::info!("DB loaded from incr file {}", f.name);
        }
    }
    Ok((m, loaded))
}

/// A legacy single file: load it, then move it into the directory as the base of a new manifest.
fn load_legacy(
    shared: &Shared,
    st: &mut State,
    path: &Path,
    dir: &Path,
    prefix: &str,
) -> Result<(Manifest, Loaded), String> {
    let mut loaded = Loaded::default();
    load_one(shared, st, path, prefix, true, &mut loaded)?;
    std::fs::create_dir_all(dir).map_err(|e| format!("Can't create the AOF directory: {e}"))?;
    std::fs::rename(path, dir.join(prefix))
        .map_err(|e| format!("Can't move the legacy AOF into {}: {e}", dir.display()))?;
    let m = Manifest {
        entries: vec![AofFile {
            name: prefix.to_string(),
            seq: 1,
            kind: AofKind::Base,
        }],
    };
    manifest::write_manifest_atomically(dir, &manifest::manifest_name(prefix), &m)
        .map_err(|e| format!("Can't persist the AOF manifest: {e}"))?;
    tracing::info!("Successfully migrated an old-style AOF into the AOF directory");
    Ok((m, loaded))
}

/// Loads one file: an optional RDB preamble, then commands.
fn load_one(
    shared: &Shared,
    st: &mut State,
    path: &Path,
    name: &str,
    last: bool,
    loaded: &mut Loaded,
) -> Result<(), String> {
    let mut file = File::open(path).map_err(|e| format!("Can't open {name}: {e}"))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut magic = [0u8; 5];
    let is_rdb = len >= 5 && file.read_exact(&mut magic).is_ok() && &magic == b"REDIS";
    let mut start = 0;
    if is_rdb {
        let stats = load_file(st, path, now_ms(), false)
            .map_err(|e| format!("Bad RDB preamble in {name}: {e}"))?;
        loaded.keys_from_rdb += stats.keys_loaded;
        start = stats.rdb_bytes;
    }
    file.seek(SeekFrom::Start(start))
        .map_err(|e| format!("Can't read {name}: {e}"))?;
    let mut reader = CommandReader::with_offset(BufReader::with_capacity(1 << 20, file), start);
    let mut client = Client::new(u64::MAX);
    client.authenticated = true;
    // The log is obeyed like a master's stream.
    client.repl.is_master = true;
    let mut out = BytesMut::new();
    // Offset before the MULTI of an open transaction: a torn transaction is cut there.
    let mut valid_before_multi: Option<u64> = None;
    let now = now_ms();
    let saved = SavedStats::take(st);
    let outcome = loop {
        match reader.next() {
            Ok(None) => break Ok(None),
            Ok(Some(Item::Timestamp { .. })) => {}
            Ok(Some(Item::Command { offset, args })) => {
                if loaded.commands.is_multiple_of(1024) {
                    st.load_progress.loaded_bytes.store(
                        loaded.bytes_before + offset,
                        std::sync::atomic::Ordering::Relaxed,
                    );
                }
                let args: Vec<Bytes> = args.into_iter().map(Bytes::from).collect();
                let Some(first) = args.first() else { continue };
                if shared.table.lookup(&args).is_err() && shared.table.find(&args).is_none() {
                    break Err(format!(
                        "Unknown command '{}' reading the append only file {name} at byte {offset}",
                        String::from_utf8_lossy(first)
                    ));
                }
                if first.eq_ignore_ascii_case(b"multi") {
                    valid_before_multi = Some(offset);
                } else if first.eq_ignore_ascii_case(b"exec") {
                    valid_before_multi = None;
                }
                out.clear();
                let _ = dispatch(shared, st, &mut client, args, &mut out, now);
                loaded.commands += 1;
            }
            Err(e) => break Ok(Some(e)),
        }
    };
    saved.restore(st);
    loaded.bytes_before += len;
    let problem = outcome?;
    let cut_at = match (&problem, valid_before_multi) {
        (Some(e), multi) if e.kind == AofErrorKind::Truncated => {
            Some((multi.unwrap_or(e.offset), "short read"))
        }
        (Some(e), _) => {
            return Err(format!(
                "Bad file format reading the append only file {name}: {e}. Make a backup of your AOF file, then use `redoubt-aof check --fix <filename>`."
            ))
        }
        (None, Some(m)) => Some((m, "unfinished MULTI/EXEC transaction")),
        (None, None) => None,
    };
    let Some((cut, why)) = cut_at else {
        return Ok(());
    };
    if !last {
        return Err(format!(
            "Bad file format reading the append only file {name} ({why} at byte {cut}), and it is not the last file"
        ));
    }
    if st.config.get("aof-load-truncated") == Some("no") {
        return Err(format!(
            "Unexpected end of file reading the append only file {name} ({why} at byte {cut}). You can: 1) Make a backup of your AOF file, then use `redoubt-aof check --fix <filename>`. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."
        ));
    }
    if valid_before_multi.is_some() && client.multi.is_some() {
        // The torn transaction was queued, never executed: nothing to undo.
        client.multi = None;
    }
    tracing::warn!(
        "!!! Warning: {why} while loading the AOF file {name}: {} bytes cut at byte {cut} !!!",
        len - cut
    );
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| format!("Can't truncate {name}: {e}"))?;
    f.set_len(cut)
        .and_then(|_| f.sync_all())
        .map_err(|e| format!("Can't truncate {name}: {e}"))?;
    st.aof.loaded_truncated = true;
    tracing::warn!("AOF loaded anyway because aof-load-truncated is enabled");
    Ok(())
}

/// Statistics that loading must not change (the commands of the log are not client commands).
struct SavedStats {
    stats: crate::server::Stats,
    command_stats: Vec<crate::server::CommandStats>,
    errors: std::collections::HashMap<String, u64>,
}

impl SavedStats {
    fn take(st: &mut State) -> SavedStats {
        SavedStats {
            stats: st.stats.clone(),
            command_stats: st.command_stats.clone(),
            errors: st.error_stats.clone(),
        }
    }

    fn restore(self, st: &mut State) {
        st.stats = self.stats;
        st.command_stats = self.command_stats;
        st.error_stats = self.errors;
        st.slowlog.clear();
    }
}
