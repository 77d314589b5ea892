//! Loading an RDB file into the keyspace (at startup and for DEBUG RELOAD).
//!
//! The RDB library's streaming [`Reader`] yields one key at a time; on a decoding thread each value
//! is converted with [`from_rdb`] (which picks the compact encodings by the configured thresholds,
//! like Redis's load), and batches of keys go over a bounded channel to the caller's thread, which
//! inserts them (the tables are pre-sized from RESIZEDB). Keys whose expire time has passed are dropped, as a Redis master does.
//! Anything the server cannot hold, a db index past `databases`, a duplicate key, or corrupt bytes
//! fail the whole load with an error naming the byte offset: nothing is silently dropped.

use crate::config::Tunables;
use crate::keyspace::{Dict, SlotDict};
use crate::rdb_values::from_rdb;
use crate::server::{lru_clock, State};
use crate::types::stream::NodeCheck;
use crate::types::Value;
use redoubt_rdb::reader::{Checksum, Event, Reader, ReaderOptions};
use redoubt_rdb::value::{KeyMeta, Value as RdbValue};
use std::fs::File;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Progress of the load in progress, readable without the server lock (INFO while loading,
/// `-LOADING` replies): Redis's `loading_*` fields.
#[derive(Default)]
pub struct LoadProgress {
    pub active: std::sync::atomic::AtomicBool,
    pub start_time: std::sync::atomic::AtomicI64,
    pub total_bytes: std::sync::atomic::AtomicU64,
    pub loaded_bytes: std::sync::atomic::AtomicU64,
}

impl LoadProgress {
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// Starts reporting a load of `total` bytes.
    pub fn begin(&self, total: u64) {
        self.start_time
            .store(crate::server::now_ms() / 1000, Ordering::Relaxed);
        self.total_bytes.store(total, Ordering::Relaxed);
        self.loaded_bytes.store(0, Ordering::Relaxed);
        self.active.store(true, Ordering::Release);
    }

    pub fn end(&self) {
        self.active.store(false, Ordering::Release);
    }

    /// INFO persistence's loading lines (while loading).
    pub fn info(&self) -> String {
        let total = self.total_bytes.load(Ordering::Relaxed);
        let loaded = self.loaded_bytes.load(Ordering::Relaxed).min(total);
        let start = self.start_time.load(Ordering::Relaxed);
        let elapsed = (crate::server::now_ms() / 1000 - start).max(0);
        let perc = if total > 0 {
            loaded as f64 * 100.0 / total as f64
        } else {
            0.0
        };
        let eta = if loaded > 0 && elapsed > 0 {
            ((total - loaded) as f64 / (loaded as f64 / elapsed as f64)) as i64
        } else {
            1
        };
        format!(
            "# Persistence\r\nloading:1\r\nasync_loading:0\r\nloading_start_time:{start}\r\n\
             loading_total_bytes:{total}\r\nloading_rdb_used_mem:0\r\nloading_loaded_bytes:{loaded}\r\n\
             loading_loaded_perc:{perc:.2}\r\nloading_eta_seconds:{eta}\r\n"
        )
    }
}

/// What a load did.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoadStats {
    pub keys_loaded: u64,
    pub keys_expired: u64,
    pub seconds: f64,
    /// Bytes of the RDB part of the file (an AOF with an RDB preamble continues with commands).
    pub rdb_bytes: u64,
}

/// Why a load failed.
#[derive(Debug)]
pub enum LoadError {
    Open(std::io::Error),
    Rdb(redoubt_rdb::Error),
    /// The file holds something the server cannot load, at this byte offset.
    Refused {
        offset: u64,
        why: String,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Open(e) => write!(f, "cannot open the RDB file: {e}"),
            LoadError::Rdb(e) => write!(f, "{e}"),
            LoadError::Refused { offset, why } => write!(f, "at byte {offset}: {why}"),
        }
    }
}

/// What the decoding thread hands to the inserting one.
enum Step {
    /// A RESIZEDB hint for `db`.
    Resize {
        db: usize,
        db_size: u64,
        expires_size: u64,
    },
    /// A key dropped because its TTL has passed.
    Expired,
    Key {
        db: usize,
        offset: u64,
        key: Vec<u8>,
        meta: KeyMeta,
        value: Value,
    },
}

/// Steps travel in batches, so the channel costs little per key.
const BATCH: usize = 256;

/// Loads `path` into `st`; the checksum is verified unless `rdbchecksum no`. A key that already
/// exists fails the load, unless `merge` (DEBUG RELOAD MERGE), where the file's value wins.
///
/// Two threads: this one inserts into the keyspace while a scoped thread reads, checks and decodes
/// the file and builds the values (the larger share of the work).
pub fn load_file(
    st: &mut State,
    path: &Path,
    now_ms: i64,
    merge: bool,
) -> Result<LoadStats, LoadError> {
    let started = Instant::now();
    let file = File::open(path).map_err(LoadError::Open)?;
    let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let verify_checksum = st.config.get("rdbchecksum") != Some("no");
    // Stream nodes: with a checksum to vouch for the bytes, checked like Redis does by default
    // (header, master entry, last ID); every entry with `sanitize-dump-payload yes`.
    let node_check = if verify_checksum && st.config.get("sanitize-dump-payload") != Some("yes") {
        NodeCheck::Header
    } else {
        NodeCheck::Full
    };
    let rd = Reader::with_options(
        file,
        ReaderOptions {
            verify_checksum,
            // Stream nodes are adopted as they are (checked, not re-encoded).
            raw_stream_nodes: true,
        },
    )
    .map_err(LoadError::Rdb)?;
    let tunables = st.tunables().clone();
    let databases = st.dbs.len();
    let mut stats = LoadStats::default();
    let progress = st.load_progress.clone();
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Step>, LoadError>>(16);
        let decoder = scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            let outcome = decode(
                rd,
                &tunables,
                node_check,
                databases,
                now_ms,
                &progress,
                |step| {
                    batch.push(step);
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        return tx.send(Ok(full)).is_ok();
                    }
                    true
                },
            );
            let _ = tx.send(Ok(batch));
            match outcome {
                Ok(end) => end,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    Decoded::default()
                }
            }
        });
        for batch in rx {
            let mut steps = batch?;
            for i in 0..steps.len() {
                prefetch_ahead(st, &steps, i);
                let step = std::mem::replace(&mut steps[i], Step::Expired);
                apply(st, step, file_len, now_ms, merge, &mut stats)?;
            }
        }
        let decoded = decoder.join().unwrap_or_default();
        stats.rdb_bytes = decoded.end_offset;
        if decoded.unvouched_streams {
            check_stream_nodes(st)?;
        }
        Ok::<(), LoadError>(())
    })?;
    stats.seconds = started.elapsed().as_secs_f64();
    Ok(stats)
}

/// What the decoding thread learnt about the file.
#[derive(Default)]
struct Decoded {
    /// Offset just past the RDB.
    end_offset: u64,
    /// Stream nodes were adopted with header checks but the file had no checksum to vouch for
    /// them: they need the full check.
    unvouched_streams: bool,
}

/// The full check of every stream's nodes, for a file whose checksum turned out to be absent.
fn check_stream_nodes(st: &State) -> Result<(), LoadError> {
    for db in &st.dbs {
        for (key, e) in db.keys.iter() {
            if let Value::Stream(s) = &e.value {
                s.check_nodes().map_err(|err| LoadError::Refused {
                    offset: 0,
                    why: format!(
                        "stream key '{}' has a malformed node: {err}",
                        String::from_utf8_lossy(key)
                    ),
                })?;
            }
        }
    }
    Ok(())
}

/// Reads the whole file, handing every key (already converted to a keyspace value) to `emit`;
/// stops early when `emit` returns false (the inserting side has failed).
fn decode(
    mut rd: Reader<File>,
    tunables: &Tunables,
    node_check: NodeCheck,
    databases: usize,
    now_ms: i64,
    progress: &LoadProgress,
    mut emit: impl FnMut(Step) -> bool,
) -> Result<Decoded, LoadError> {
    let mut streams = false;
    let done = |rd: &Reader<File>, streams: bool, checksum: Option<Checksum>| Decoded {
        end_offset: rd.offset(),
        unvouched_streams: streams
            && node_check == NodeCheck::Header
            && !matches!(checksum, Some(Checksum::Verified(_))),
    };
    let mut current_db = 0usize;
    let mut events = 0u64;
    let mut last_report = Instant::now();
    loop {
        let at = rd.offset();
        events += 1;
        // Progress every 1024 events (reading the clock per key costs a few percent).
        if events.is_multiple_of(1024) {
            progress.loaded_bytes.fetch_max(at, Ordering::Relaxed);
        }
        if events.is_multiple_of(1024)
            && progress.is_active()
            && last_report.elapsed().as_secs() >= 1
        {
            last_report = Instant::now();
            let total = progress.total_bytes.load(Ordering::Relaxed).max(1);
            tracing::info!(
                "Loading RDB: {:.1}% ({at} of {total} bytes)",
                at as f64 * 100.0 / total as f64
            );
        }
        let Some(event) = rd.next_event().map_err(LoadError::Rdb)? else {
            return Ok(done(&rd, streams, None));
        };
        let step = match event {
            Event::Aux { key, value } => {
                log_aux(&key, &value, now_ms);
                continue;
            }
            Event::SelectDb { db } => {
                if db >= databases as u64 {
                    return Err(LoadError::Refused {
                        offset: at,
                        why: format!("Data file was created with a Redis server configured to handle more than {databases} databases"),
                    });
                }
                current_db = db as usize;
                continue;
            }
            Event::ResizeDb {
                db_size,
                expires_size,
            } => Step::Resize {
                db: current_db,
                db_size,
                expires_size,
            },
            Event::ModuleAux(m) => {
                return Err(LoadError::Refused {
                    offset: at,
                    why: format!(
                        "module aux data of module {} (modules are not supported)",
                        m.id.name()
                    ),
                })
            }
            Event::Function { .. } => {
                return Err(LoadError::Refused {
                    offset: at,
                    why: "a function library (functions are not supported yet)".into(),
                })
            }
            Event::Key(h) => {
                let value = rd.read_value(&h).map_err(LoadError::Rdb)?;
                let db = h.db as usize;
                if db >= databases {
                    return Err(LoadError::Refused {
                        offset: h.offset,
                        why: format!("a key in db {db}, past `databases`"),
                    });
                }
                if h.meta.expire_ms.is_some_and(|t| t <= now_ms) {
                    Step::Expired
                } else {
                    let kind = value.value_type().name();
                    streams |= matches!(value, RdbValue::Stream(_));
                    let Some(value) = from_rdb(value, tunables, node_check) else {
                        return Err(LoadError::Refused {
                            offset: h.offset,
                            why: format!(
                                "key '{}' holds a {kind}, which this server cannot hold yet",
                                String::from_utf8_lossy(&h.key)
                            ),
                        });
                    };
                    Step::Key {
                        db,
                        offset: h.offset,
                        key: h.key,
                        meta: h.meta,
                        value,
                    }
                }
            }
            Event::Item(_) | Event::EndKey => {
                return Err(LoadError::Refused {
                    offset: at,
                    why: "an opcode".into(),
                })
            }
            Event::Eof(trailer) => return Ok(done(&rd, streams, Some(trailer.checksum))),
        };
        if !emit(step) {
            return Ok(done(&rd, streams, None));
        }
    }
}

/// How far ahead of the insert the bucket of a key is fetched (then its first node at two
/// thirds of it, then that node's key at one third): a 10M-key load is bound by these misses.
const PREFETCH_DISTANCE: usize = 12;

/// Prefetches, for the keys a few steps after `i`, what inserting them will touch.
fn prefetch_ahead(st: &State, steps: &[Step], i: usize) {
    for (ahead, depth) in [
        (PREFETCH_DISTANCE, 0),
        (PREFETCH_DISTANCE * 2 / 3, 1),
        (PREFETCH_DISTANCE / 3, 2),
    ] {
        if let Some(Step::Key { db, key, .. }) = steps.get(i + ahead) {
            if let Some(d) = st.dbs.get(*db) {
                d.keys.prefetch(key, depth);
            }
        }
    }
}

/// Inserts one decoded step into the keyspace.
fn apply(
    st: &mut State,
    step: Step,
    file_len: u64,
    now_ms: i64,
    merge: bool,
    stats: &mut LoadStats,
) -> Result<(), LoadError> {
    match step {
        Step::Resize {
            db,
            db_size,
            expires_size,
        } => {
            // Pre-size the tables (no rehashing while loading). The sizes are hints from an
            // untrusted file: at most one bucket per 8 bytes of file, so the tables never take
            // more memory than the file's size whatever the hint says.
            let cap = file_len / 8;
            if let Some(d) = st.dbs.get_mut(db) {
                if d.is_empty() {
                    d.keys =
                        SlotDict::with_capacity(d.keys.is_partitioned(), db_size.min(cap) as usize);
                    d.expires = Dict::unsegmented_with_capacity(
                        expires_size.min(db_size).min(cap) as usize
                    );
                }
            }
        }
        Step::Expired => stats.keys_expired += 1,
        Step::Key {
            db,
            offset,
            key,
            meta,
            value,
        } => {
            let access = if st.lfu {
                let counter = meta
                    .freq
                    .map(u32::from)
                    .unwrap_or(crate::eviction::lfu_initial(now_ms) & 0xff);
                (crate::eviction::lfu_initial(now_ms) & !0xff) | counter
            } else {
                let idle_ms = meta
                    .idle
                    .map(|s| s.saturating_mul(1000) as i64)
                    .unwrap_or(0);
                lru_clock(now_ms.saturating_sub(idle_ms))
            };
            let Some(d) = st.dbs.get_mut(db) else {
                return Err(LoadError::Refused {
                    offset,
                    why: format!("a key in db {db}, past `databases`"),
                });
            };
            if merge {
                d.remove(&key);
            }
            if let Some(t) = meta.expire_ms {
                d.expires.insert(&key, t);
            }
            let entry = d.new_entry(value, access);
            if let Err((key, _)) = d.keys.insert_unique(key.into_boxed_slice(), entry) {
                return Err(LoadError::Refused {
                    offset,
                    why: format!(
                        "Duplicate key '{}' found in RDB file",
                        String::from_utf8_lossy(&key)
                    ),
                });
            }
            stats.keys_loaded += 1;
        }
    }
    Ok(())
}

/// Logs the AUX fields Redis logs on load.
fn log_aux(key: &[u8], value: &[u8], now_ms: i64) {
    let v = String::from_utf8_lossy(value);
    match key {
        b"redis-ver" => tracing::info!("Loading RDB produced by version {v}"),
        b"ctime" => {
            if let Ok(t) = v.parse::<i64>() {
                tracing::info!("RDB age {} seconds", (now_ms / 1000 - t).max(0));
            }
        }
        b"used-mem" => {
            if let Ok(m) = v.parse::<u64>() {
                tracing::info!(
                    "RDB memory usage when created {:.2} Mb",
                    m as f64 / (1024.0 * 1024.0)
                );
            }
        }
        _ => {}
    }
}
