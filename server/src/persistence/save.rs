//! Writing the dataset as an RDB file, crash-safely.
//!
//! A save writes `<dir>/temp-<pid>.rdb` (`temp-bg-<pid>.rdb` for a background save) through the
//! RDB library's [`Writer`], fsyncs it, renames it over `<dir>/<dbfilename>` and fsyncs the
//! directory, so a crash at any moment leaves either the previous dump or the new one, never a torn
//! file. The layout is Redis 7.0's: RDB version 10, the AUX fields `redis-ver`, `redis-bits`,
//! `ctime`, `used-mem`, `aof-base`, then per non-empty db SELECTDB, RESIZEDB and its keys, each
//! with its absolute expire time and, under an LRU/LFU maxmemory policy, its idle time or LFU
//! counter (as `rdbSaveKeyValuePair` does). Keys whose TTL has passed are written too, as Redis
//! does; the loader drops them.
//!
//! Two sources: [`save_state`] serialises the live state (SAVE: the caller holds the lock for the
//! whole write, like Redis's blocking SAVE), [`Image`] is a point-in-time copy of every value taken
//! under the lock (keys and strings packed into one arena per db) and written later on a
//! background thread (BGSAVE).

use crate::commands::server::REDIS_VERSION;
use crate::rdb_values::{encoding_limits, to_rdb};
use crate::server::State;
use crate::types::Value;
use redoubt_rdb::value::KeyMeta;
use redoubt_rdb::writer::{Writer, WriterOptions};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The RDB version Redis 7.0 writes.
pub const RDB_VERSION: u32 = 10;

/// Why a save failed; the text is what Redis logs.
#[derive(Debug)]
pub enum SaveError {
    Open {
        temp: String,
        dir: String,
        source: std::io::Error,
    },
    Write(String),
    Rename {
        temp: String,
        target: String,
        dir: String,
        source: std::io::Error,
    },
    /// The background save was cancelled (SHUTDOWN, FLUSHALL …).
    Cancelled,
}

impl std::fmt::Display for SaveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SaveError::Open { temp, dir, source } => {
                write!(f, "Failed opening the temp RDB file {temp} (in server root dir {dir}) for saving: {source}")
            }
            SaveError::Write(e) => write!(f, "Write error saving DB on disk: {e}"),
            SaveError::Rename { temp, target, dir, source } => write!(
                f,
                "Error moving temp DB file {temp} on the final destination {target} (in server root dir {dir}): {source}"
            ),
            SaveError::Cancelled => write!(f, "Background save cancelled"),
        }
    }
}

/// Where and how to write a dump, read from the configuration when the save starts.
#[derive(Clone)]
pub struct SaveTarget {
    pub dir: PathBuf,
    pub dbfilename: String,
    pub writer: WriterOptions,
    pub used_mem: u64,
    /// `rdb-key-save-delay`: a pause after each key written (tests use it to keep a save running).
    pub key_delay: std::time::Duration,
}

impl SaveTarget {
    pub fn from_state(st: &State) -> SaveTarget {
        SaveTarget {
            dir: PathBuf::from(st.config.get("dir").unwrap_or(".")),
            dbfilename: st
                .config
                .get("dbfilename")
                .unwrap_or("dump.rdb")
                .to_string(),
            writer: writer_options(st),
            used_mem: st.used_memory(),
            key_delay: std::time::Duration::from_micros(
                st.config
                    .get("rdb-key-save-delay")
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0),
            ),
        }
    }

    /// The dump's full path.
    pub fn path(&self) -> PathBuf {
        self.dir.join(&self.dbfilename)
    }
}

/// The writer options the configuration asks for (`rdbcompression`, `rdbchecksum`, encodings).
pub fn writer_options(st: &State) -> WriterOptions {
    WriterOptions {
        version: RDB_VERSION,
        compress: st.config.get("rdbcompression") != Some("no"),
        checksum: st.config.get("rdbchecksum") != Some("no"),
        limits: encoding_limits(st.tunables()),
    }
}

/// The bytes `value` takes in a dump, type byte excluded (DEBUG OBJECT's `serializedlength`, Redis's
/// `rdbSavedObjectLen`).
pub fn serialized_length(value: &Value, opts: WriterOptions) -> usize {
    // A DUMP payload is the type byte, the value, a 2-byte RDB version and an 8-byte CRC.
    redoubt_rdb::writer::encode_dump_payload(&to_rdb(value), opts)
        .map(|p| p.len().saturating_sub(11))
        .unwrap_or(0)
}

/// Which access metadata a dump carries per key: idle time under an LRU policy, the LFU counter
/// under an LFU policy, nothing otherwise (as `rdbSaveKeyValuePair` decides).
#[derive(Clone, Copy)]
pub(crate) enum AccessMeta {
    None,
    Lru,
    Lfu { decay_time: i64 },
}

impl AccessMeta {
    pub(crate) fn for_state(st: &State) -> AccessMeta {
        let policy = &st.tunables().maxmemory_policy;
        if policy.contains("lru") {
            AccessMeta::Lru
        } else if policy.contains("lfu") {
            AccessMeta::Lfu {
                decay_time: st.tunables().lfu_decay_time,
            }
        } else {
            AccessMeta::None
        }
    }

    pub(crate) fn key_meta(self, access: u32, expire_ms: Option<i64>, now_ms: i64) -> KeyMeta {
        let mut meta = KeyMeta {
            expire_ms,
            ..KeyMeta::default()
        };
        match self {
            AccessMeta::None => {}
            AccessMeta::Lru => meta.idle = Some(crate::eviction::lru_idle_secs(access, now_ms)),
            AccessMeta::Lfu { decay_time } => {
                let c = crate::eviction::lfu_decayed_counter(access, now_ms, decay_time);
                meta.freq = Some(c.min(255) as u8);
            }
        }
        meta
    }
}

/// The [`Writer`] buffers 256 KiB itself, so it writes to the file directly (a `BufWriter` on top
/// copied every byte once more).
type RdbWriter = Writer<File>;

fn write_error(e: redoubt_rdb::error::Error) -> SaveError {
    SaveError::Write(e.to_string())
}

/// Writes a dump through `body` into a temp file, then fsync, rename, fsync of the directory.
/// Returns the dump's size in bytes.
fn write_atomically(
    target: &SaveTarget,
    temp_name: &str,
    body: impl FnOnce(&mut RdbWriter) -> Result<(), SaveError>,
) -> Result<u64, SaveError> {
    let dir_text = target.dir.display().to_string();
    let temp = target.dir.join(temp_name);
    let file = File::create(&temp).map_err(|source| SaveError::Open {
        temp: temp_name.to_string(),
        dir: dir_text.clone(),
        source,
    })?;
    let result = (|| {
        let mut w = Writer::new(file, target.writer).map_err(write_error)?;
        let ctime = crate::server::now_ms() / 1000;
        w.standard_aux(REDIS_VERSION, ctime, target.used_mem)
            .map_err(write_error)?;
        body(&mut w)?;
        let file = w.finish().map_err(write_error)?;
        file.sync_all()
            .map_err(|e| SaveError::Write(e.to_string()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        drop(file);
        let final_path = target.path();
        std::fs::rename(&temp, &final_path).map_err(|source| SaveError::Rename {
            temp: temp_name.to_string(),
            target: target.dbfilename.clone(),
            dir: dir_text.clone(),
            source,
        })?;
        sync_dir(&target.dir);
        Ok(size)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// fsync of a directory, so a rename in it is durable. Failure is only logged: some filesystems
/// do not support it, and the file itself is already on disk.
fn sync_dir(dir: &Path) {
    match File::open(dir).and_then(|d| d.sync_all()) {
        Ok(()) => {}
        Err(e) => tracing::warn!("could not fsync the directory {}: {e}", dir.display()),
    }
}

fn write_key<W: std::io::Write>(
    w: &mut Writer<W>,
    key: &[u8],
    value: &Value,
    meta: &KeyMeta,
) -> Result<(), SaveError> {
    // Collections past the compact limits are written from the keyspace's own data: an owned
    // copy of a million-field hash would cost the serialiser hundreds of megabytes (and the
    // command thread the page-fault and mmap-lock traffic of allocating them).
    let lim = w.limits();
    let streamed = match value {
        Value::Hash(h) if h.len() > lim.hash_max_listpack_entries => {
            Some(w.key_hash_plain(key, h.len(), h.iter(), meta))
        }
        Value::Set(s) if s.len() > lim.set_max_intset_entries.max(lim.set_max_listpack_entries) => {
            match &**s {
                crate::types::Set::Table(d) => Some(w.key_set_plain(key, d.len(), d.keys(), meta)),
                crate::types::Set::Intset(_) => None,
            }
        }
        Value::List(l) => {
            let items: Vec<&[u8]> = l.iter().map(|e| &e[..]).collect();
            Some(w.key_list(key, &items, meta))
        }
        Value::ZSet(z) if z.len() > lim.zset_max_listpack_entries => {
            Some(w.key_zset_plain(key, z.len(), z.iter_from(z.len() - 1, true), meta))
        }
        Value::Stream(s) => Some(w.key_stream_nodes(
            key,
            s.node_count(),
            s.nodes(),
            &crate::rdb_values::stream_meta(s),
            &crate::rdb_values::stream_groups(s),
            meta,
        )),
        _ => None,
    };
    match streamed {
        Some(r) => r.map_err(write_error),
        None => w.key(key, &to_rdb(value), meta).map_err(write_error),
    }
}

/// Writes the live dataset (SAVE, DEBUG RELOAD, shutdown). Returns the dump's size.
pub fn save_state(st: &State, now_ms: i64) -> Result<u64, SaveError> {
    let target = SaveTarget::from_state(st);
    let access = AccessMeta::for_state(st);
    let temp = format!("temp-{}.rdb", std::process::id());
    write_atomically(&target, &temp, |w| {
        for (i, db) in st.dbs.iter().enumerate() {
            if db.is_empty() {
                continue;
            }
            w.select_db(i as u64).map_err(write_error)?;
            w.resize_db(db.len() as u64, db.expires.len() as u64)
                .map_err(write_error)?;
            for (key, e) in db.keys.iter() {
                let meta = access.key_meta(e.access, db.expire_at(key), now_ms);
                write_key(w, key, &e.value, &meta)?;
            }
        }
        Ok(())
    })
}

/// One db of an [`Image`]. Keys and string values (the bulk of most datasets) are copied into a
/// byte arena of 64 KiB chunks rather than one allocation each (half the memory, no reallocation):
/// per key `flags u8`, then `expire i64` / `idle u64` / `freq u8` when the flags say so, `key len
/// u64`, the key, then either `value len u64` and a string value's bytes (flag `ENCODED`: its RDB
/// string encoding), or (flag `COLLECTION`) the index into `values` of the cloned collection.
pub(crate) struct DbImage {
    index: usize,
    keys: usize,
    expires: usize,
    arena: Vec<Vec<u8>>,
    values: Vec<Value>,
    /// Write a RESIZEDB hint (a whole db captured at once; not for a snapshot's pieces).
    resize: bool,
}

/// Arena chunk size: small enough that a fresh chunk (page faults on first touch) never stalls the
/// command that needs it, and recycled by the allocator once the serialiser frees it.
const CHUNK: usize = 64 << 10;

/// Arena chunks the serialiser has written, kept for the walker's next pieces: a snapshot then
/// cycles through a few megabytes instead of touching fresh memory for every piece (a page fault
/// per fresh page, and memory freed on another thread goes back to the allocator late).
static SPARE_CHUNKS: parking_lot::Mutex<Vec<Vec<u8>>> = parking_lot::Mutex::new(Vec::new());
/// At most this many spare chunks (4 MiB) are kept.
const SPARE_CHUNKS_MAX: usize = 64;

/// An empty arena chunk with room for `need` bytes (a spare one when it fits).
fn take_chunk(need: usize) -> Vec<u8> {
    if need <= CHUNK {
        if let Some(c) = SPARE_CHUNKS.lock().pop() {
            return c;
        }
    }
    Vec::with_capacity(need.max(CHUNK))
}

/// Keeps a written piece's chunks for reuse.
fn give_back(arena: Vec<Vec<u8>>) {
    let mut spare = SPARE_CHUNKS.lock();
    for mut c in arena {
        if c.capacity() == CHUNK && spare.len() < SPARE_CHUNKS_MAX {
            c.clear();
            spare.push(c);
        }
    }
}

const HAS_EXPIRE: u8 = 1;
const HAS_IDLE: u8 = 2;
const HAS_FREQ: u8 = 4;
const COLLECTION: u8 = 8;
/// The string value's bytes are already its RDB string encoding ([`StringPreEncoder`]).
const ENCODED: u8 = 16;

impl DbImage {
    /// An empty piece of db `index`.
    pub(crate) fn new(index: usize) -> DbImage {
        DbImage {
            index,
            keys: 0,
            expires: 0,
            arena: Vec::new(),
            values: Vec::new(),
            resize: false,
        }
    }

    /// The piece that ends a streamed image (without it the image is incomplete).
    pub(crate) fn end() -> DbImage {
        DbImage::new(usize::MAX)
    }

    fn is_end(&self) -> bool {
        self.index == usize::MAX
    }

    pub(crate) fn index(&self) -> usize {
        self.index
    }

    pub(crate) fn key_count(&self) -> usize {
        self.keys
    }

    /// Appends a key; with `pre`, a string value goes in already RDB-encoded (see
    /// [`StringPreEncoder`]).
    pub(crate) fn push_key(
        &mut self,
        key: &[u8],
        value: &Value,
        meta: &KeyMeta,
        pre: Option<&mut StringPreEncoder>,
    ) {
        let value_len = match value {
            Value::Str(v) => v.len(),
            _ => 0,
        };
        let pre = pre.filter(|_| value_len <= PRE_ENCODE_MAX);
        // An encoded string is at most its bytes plus an encoding byte and two lengths.
        let need = 1 + 8 + 8 + 1 + 8 + key.len() + 8 + value_len + 1 + 9 + 9;
        if self
            .arena
            .last()
            .is_none_or(|c| c.capacity() - c.len() < need)
        {
            self.arena.push(take_chunk(need));
        }
        let Some(a) = self.arena.last_mut() else {
            return;
        };
        let flags = meta.expire_ms.map_or(0, |_| HAS_EXPIRE)
            | meta.idle.map_or(0, |_| HAS_IDLE)
            | meta.freq.map_or(0, |_| HAS_FREQ)
            | match (value, &pre) {
                (Value::Str(_), None) => 0,
                (Value::Str(_), Some(_)) => ENCODED,
                _ => COLLECTION,
            };
        a.push(flags);
        if let Some(t) = meta.expire_ms {
            a.extend_from_slice(&t.to_le_bytes());
        }
        if let Some(i) = meta.idle {
            a.extend_from_slice(&i.to_le_bytes());
        }
        if let Some(f) = meta.freq {
            a.push(f);
        }
        a.extend_from_slice(&(key.len() as u64).to_le_bytes());
        a.extend_from_slice(key);
        match value {
            Value::Str(v) => {
                let v = v.as_bytes();
                match pre {
                    Some(pre) => {
                        let at = a.len();
                        a.extend_from_slice(&0u64.to_le_bytes());
                        pre.encode(a, v);
                        let n = (a.len() - at - 8) as u64;
                        a[at..at + 8].copy_from_slice(&n.to_le_bytes());
                    }
                    None => {
                        a.extend_from_slice(&(v.len() as u64).to_le_bytes());
                        a.extend_from_slice(v);
                    }
                }
            }
            other => {
                a.extend_from_slice(&(self.values.len() as u64).to_le_bytes());
                self.values.push(other.clone());
            }
        }
        self.keys += 1;
    }

    /// Visits every key in capture order.
    fn for_each(
        &self,
        mut visit: impl FnMut(&[u8], RdbValueRef<'_>, &KeyMeta) -> Result<(), SaveError>,
    ) -> Result<(), SaveError> {
        let corrupt = || SaveError::Write("internal error: malformed snapshot image".into());
        for a in &self.arena {
            let mut pos = 0usize;
            let take = |pos: &mut usize, n: usize| -> Option<&[u8]> {
                let s = a.get(*pos..pos.checked_add(n)?)?;
                *pos += n;
                Some(s)
            };
            let word = |pos: &mut usize| -> Option<u64> {
                Some(u64::from_le_bytes(take(pos, 8)?.try_into().ok()?))
            };
            while pos < a.len() {
                let flags = take(&mut pos, 1).ok_or_else(corrupt)?[0];
                let mut meta = KeyMeta::default();
                if flags & HAS_EXPIRE != 0 {
                    meta.expire_ms = Some(word(&mut pos).ok_or_else(corrupt)? as i64);
                }
                if flags & HAS_IDLE != 0 {
                    meta.idle = Some(word(&mut pos).ok_or_else(corrupt)?);
                }
                if flags & HAS_FREQ != 0 {
                    meta.freq = Some(take(&mut pos, 1).ok_or_else(corrupt)?[0]);
                }
                let klen = word(&mut pos).ok_or_else(corrupt)? as usize;
                let key = take(&mut pos, klen).ok_or_else(corrupt)?;
                let n = word(&mut pos).ok_or_else(corrupt)? as usize;
                let value = if flags & COLLECTION != 0 {
                    RdbValueRef::Value(self.values.get(n).ok_or_else(corrupt)?)
                } else if flags & ENCODED != 0 {
                    RdbValueRef::Encoded(take(&mut pos, n).ok_or_else(corrupt)?)
                } else {
                    RdbValueRef::String(take(&mut pos, n).ok_or_else(corrupt)?)
                };
                visit(key, value, &meta)?;
            }
        }
        Ok(())
    }
}

/// A value read back from an image.
enum RdbValueRef<'a> {
    String(&'a [u8]),
    /// A string value in its RDB string encoding.
    Encoded(&'a [u8]),
    Value(&'a Value),
}

/// Longer strings are left to the serialiser: the walker encodes under the lock, and LZF takes
/// about 1.5 ns a byte (6 us at this size).
const PRE_ENCODE_MAX: usize = 4096;

/// Encodes string values of up to [`PRE_ENCODE_MAX`] bytes as the RDB writer would (integer,
/// LZF or plain, [`write_string`]), so that the snapshot walker takes that work, LZF above all,
/// off the serialiser: the bytes are the ones the writer would have produced with the same
/// compression setting.
///
/// [`write_string`]: redoubt_rdb::length::write_string
pub(crate) struct StringPreEncoder {
    lzf: Option<redoubt_rdb::lzf::Compressor>,
}

impl StringPreEncoder {
    pub(crate) fn new(compress: bool) -> Self {
        StringPreEncoder {
            lzf: compress.then(redoubt_rdb::lzf::Compressor::new),
        }
    }

    fn encode(&mut self, out: &mut Vec<u8>, s: &[u8]) {
        redoubt_rdb::length::write_string(out, s, self.lzf.as_mut());
    }
}

/// The bytes of a pre-encoded string value.
fn decode_string(encoded: &[u8]) -> Result<Vec<u8>, SaveError> {
    let mut input = redoubt_rdb::source::SliceInput::new(encoded, 0);
    redoubt_rdb::length::read_string(&mut input, "a pre-encoded string")
        .map_err(|e| SaveError::Write(format!("internal error: {e}")))
}

/// A point-in-time image of the dataset, written without the lock: either copied whole under the
/// lock ([`Image::capture`]), or arriving in pieces from a copy-on-write snapshot
/// (`persistence::snapshot`).
pub struct Image {
    target: SaveTarget,
    dbs: Pieces,
    /// Keys in the dataset when the image was taken.
    total: usize,
    epoch: Option<u32>,
    /// Per db (keys, volatile keys) when a streamed image started: the RESIZEDB hints, so a
    /// loader sizes its tables once.
    sizes: Vec<(usize, usize)>,
}

enum Pieces {
    Captured(Vec<DbImage>),
    Streamed(std::sync::mpsc::Receiver<DbImage>),
}

impl Pieces {
    /// Visits the pieces in order (a streamed image ends when its snapshot is complete).
    fn each(&self, mut f: impl FnMut(&DbImage) -> Result<(), SaveError>) -> Result<(), SaveError> {
        match self {
            Pieces::Captured(v) => v.iter().try_for_each(f),
            Pieces::Streamed(rx) => {
                for piece in rx.iter() {
                    if piece.is_end() {
                        return Ok(());
                    }
                    // Every writer of a streamed image (BGSAVE, either kind of AOF base, full
                    // sync) passes here: a serialising thread leaves the idle class in time.
                    super::background_priority_check();
                    f(&piece)?;
                    give_back(piece.arena);
                }
                // The walker went away before the end: the image is incomplete.
                Err(SaveError::Cancelled)
            }
        }
    }
}

impl Image {
    /// Copies every key of every db (the copy is as large as the dataset).
    pub fn capture(st: &State, now_ms: i64) -> Image {
        let access = AccessMeta::for_state(st);
        let mut dbs = Vec::new();
        for (i, db) in st.dbs.iter().enumerate() {
            if db.is_empty() {
                continue;
            }
            let mut image = DbImage::new(i);
            image.expires = db.expires.len();
            image.resize = true;
            for (key, e) in db.keys.iter() {
                let meta = access.key_meta(e.access, db.expire_at(key), now_ms);
                image.push_key(key, &e.value, &meta, None);
            }
            dbs.push(image);
        }
        let total = dbs.iter().map(|d| d.keys).sum();
        Image {
            target: SaveTarget::from_state(st),
            dbs: Pieces::Captured(dbs),
            total,
            epoch: None,
            sizes: Vec::new(),
        }
    }

    /// An image whose pieces the snapshot walker of `epoch` sends on `rx`.
    pub(crate) fn streamed(
        st: &State,
        rx: std::sync::mpsc::Receiver<DbImage>,
        total: usize,
        epoch: u32,
    ) -> Image {
        Image {
            target: SaveTarget::from_state(st),
            dbs: Pieces::Streamed(rx),
            total,
            epoch: Some(epoch),
            sizes: st.dbs.iter().map(|d| (d.len(), d.expires.len())).collect(),
        }
    }

    /// The epoch of the copy-on-write snapshot feeding this image, if one does.
    pub fn epoch(&self) -> Option<u32> {
        self.epoch
    }

    /// Writes the image to `dir/file` instead of the configured dump (an AOF rewrite's base).
    pub fn retarget(&mut self, dir: PathBuf, file: String) {
        self.target.dir = dir;
        self.target.dbfilename = file;
    }

    /// The number of keys in the image.
    pub fn key_count(&self) -> usize {
        self.total
    }

    /// Writes the image, counting written keys in `progress`; stops early (and removes the temp
    /// file) once `cancel` is set.
    pub fn write(&self, cancel: &AtomicBool, progress: &AtomicU64) -> Result<u64, SaveError> {
        let temp = format!("temp-bg-{}.rdb", std::process::id());
        write_atomically(&self.target, &temp, |w| self.write_dbs(w, cancel, progress))
    }

    /// Writes the image as a complete RDB into `out` (a full resync streams it to a replica).
    pub fn write_to<W: std::io::Write>(
        &self,
        out: W,
        cancel: &AtomicBool,
        progress: &AtomicU64,
    ) -> Result<W, SaveError> {
        let mut w = Writer::new(out, self.target.writer).map_err(write_error)?;
        let ctime = crate::server::now_ms() / 1000;
        w.standard_aux(REDIS_VERSION, ctime, self.target.used_mem)
            .map_err(write_error)?;
        self.write_dbs(&mut w, cancel, progress)?;
        w.finish().map_err(write_error)
    }

    /// Writes the image as commands instead of an RDB (an AOF rewrite base with
    /// `aof-use-rdb-preamble no`): per db a SELECT, then `SET` for strings and `RESTORE … REPLACE`
    /// with a DUMP payload for every other type, each followed by `PEXPIREAT` when it has a TTL.
    pub fn write_commands<W: std::io::Write>(
        &self,
        out: &mut W,
        cancel: &AtomicBool,
        progress: &AtomicU64,
    ) -> Result<(), SaveError> {
        let io = |e: std::io::Error| SaveError::Write(e.to_string());
        let mut buf = bytes::BytesMut::new();
        self.dbs.each(|db| {
            buf.clear();
            crate::propagate::encode_into(
                &mut buf,
                &[
                    bytes::Bytes::from_static(b"SELECT"),
                    bytes::Bytes::from(db.index.to_string()),
                ],
            );
            out.write_all(&buf).map_err(io)?;
            db.for_each(|key, value, meta| {
                if cancel.load(Ordering::Relaxed) {
                    return Err(SaveError::Cancelled);
                }
                buf.clear();
                let key = bytes::Bytes::copy_from_slice(key);
                let cmd = match value {
                    RdbValueRef::String(v) => vec![
                        bytes::Bytes::from_static(b"SET"),
                        key.clone(),
                        bytes::Bytes::copy_from_slice(v),
                    ],
                    RdbValueRef::Encoded(v) => vec![
                        bytes::Bytes::from_static(b"SET"),
                        key.clone(),
                        bytes::Bytes::from(decode_string(v)?),
                    ],
                    RdbValueRef::Value(v) => {
                        let payload = redoubt_rdb::writer::encode_dump_payload(
                            &to_rdb(v),
                            self.target.writer,
                        )
                        .map_err(write_error)?;
                        vec![
                            bytes::Bytes::from_static(b"RESTORE"),
                            key.clone(),
                            bytes::Bytes::from_static(b"0"),
                            bytes::Bytes::from(payload),
                            bytes::Bytes::from_static(b"REPLACE"),
                        ]
                    }
                };
                crate::propagate::encode_into(&mut buf, &cmd);
                if let Some(at) = meta.expire_ms {
                    crate::propagate::encode_into(
                        &mut buf,
                        &[
                            bytes::Bytes::from_static(b"PEXPIREAT"),
                            key,
                            bytes::Bytes::from(at.to_string()),
                        ],
                    );
                }
                out.write_all(&buf).map_err(io)?;
                progress.fetch_add(1, Ordering::Relaxed);
                Ok(())
            })
        })
    }

    /// The directory the image is written to.
    pub fn dir(&self) -> &Path {
        &self.target.dir
    }

    fn write_dbs<W: std::io::Write>(
        &self,
        w: &mut Writer<W>,
        cancel: &AtomicBool,
        progress: &AtomicU64,
    ) -> Result<(), SaveError> {
        {
            let mut current: Option<usize> = None;
            let mut hinted = vec![false; self.sizes.len()];
            self.dbs.each(|db| {
                if current != Some(db.index) {
                    w.select_db(db.index as u64).map_err(write_error)?;
                    current = Some(db.index);
                    if let Some(&(keys, expires)) = self.sizes.get(db.index) {
                        if !std::mem::replace(&mut hinted[db.index], true) {
                            w.resize_db(keys as u64, expires as u64)
                                .map_err(write_error)?;
                        }
                    }
                }
                if db.resize {
                    w.resize_db(db.keys as u64, db.expires as u64)
                        .map_err(write_error)?;
                }
                db.for_each(|key, value, meta| {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(SaveError::Cancelled);
                    }
                    match value {
                        RdbValueRef::String(s) => {
                            w.key_string(key, s, meta).map_err(write_error)?
                        }
                        RdbValueRef::Encoded(s) => {
                            w.key_encoded_string(key, s, meta).map_err(write_error)?
                        }
                        RdbValueRef::Value(v) => write_key(w, key, v, meta)?,
                    }
                    progress.fetch_add(1, Ordering::Relaxed);
                    if !self.target.key_delay.is_zero() {
                        std::thread::sleep(self.target.key_delay);
                    }
                    Ok(())
                })
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::RString;

    fn strings() -> Vec<Vec<u8>> {
        vec![
            b"12345".to_vec(),                               // integer encoding
            b"-9".to_vec(),                                  // integer encoding
            b"hello".to_vec(),                               // too short to compress
            Vec::new(),                                      // empty
            (0..64u8).map(|i| i.wrapping_mul(37)).collect(), // LZF refuses it
            vec![b'a'; 200],                                 // LZF takes it
            b"user:1000 user:1001 user:1002 user:1003".to_vec(),
            b"left to the serialiser ".repeat(PRE_ENCODE_MAX / 16),
        ]
    }

    fn image(pieces: Vec<DbImage>, compress: bool) -> Image {
        Image {
            target: SaveTarget {
                dir: PathBuf::from("."),
                dbfilename: "unused.rdb".into(),
                writer: WriterOptions {
                    compress,
                    ..WriterOptions::default()
                },
                used_mem: 0,
                key_delay: std::time::Duration::ZERO,
            },
            total: pieces.iter().map(|p| p.keys).sum(),
            dbs: Pieces::Captured(pieces),
            epoch: None,
            sizes: Vec::new(),
        }
    }

    fn piece(pre: Option<&mut StringPreEncoder>) -> DbImage {
        let mut pre = pre;
        let mut p = DbImage::new(0);
        let list = {
            let mut l = crate::types::list::List::new();
            l.push_back(b"x".to_vec().into_boxed_slice());
            Value::List(std::sync::Arc::new(l))
        };
        for (i, s) in strings().into_iter().enumerate() {
            let meta = KeyMeta {
                expire_ms: (i % 2 == 0).then_some(1_900_000_000_000 + i as i64),
                ..KeyMeta::default()
            };
            let key = format!("key:{i}");
            p.push_key(
                key.as_bytes(),
                &Value::Str(RString::new(&s)),
                &meta,
                pre.as_deref_mut(),
            );
            p.push_key(b"list", &list, &KeyMeta::default(), pre.as_deref_mut());
        }
        p
    }

    fn rdb_bytes(img: &Image) -> Vec<u8> {
        let mut w = Writer::new(Vec::new(), img.target.writer).unwrap();
        img.write_dbs(&mut w, &AtomicBool::new(false), &AtomicU64::new(0))
            .unwrap();
        w.finish().unwrap()
    }

    /// Strings the walker encoded come out byte for byte as the writer would have encoded them,
    /// with and without compression.
    #[test]
    fn pre_encoded_strings_write_the_same_rdb() {
        for compress in [true, false] {
            let mut pre = StringPreEncoder::new(compress);
            let encoded = image(vec![piece(Some(&mut pre))], compress);
            let plain = image(vec![piece(None)], compress);
            let mut kinds = (0, 0);
            if let Pieces::Captured(p) = &encoded.dbs {
                p[0].for_each(|_, v, _| {
                    match v {
                        RdbValueRef::Encoded(_) => kinds.0 += 1,
                        RdbValueRef::String(_) => kinds.1 += 1,
                        RdbValueRef::Value(_) => {}
                    }
                    Ok(())
                })
                .unwrap();
            }
            assert_eq!(
                kinds,
                (strings().len() - 1, 1),
                "strings but the long one pre-encoded"
            );
            assert_eq!(
                rdb_bytes(&encoded),
                rdb_bytes(&plain),
                "compress {compress}"
            );
        }
    }

    /// An image written as commands gets the original bytes of a pre-encoded string back.
    #[test]
    fn pre_encoded_strings_decode_to_their_bytes() {
        let mut pre = StringPreEncoder::new(true);
        let p = piece(Some(&mut pre));
        let mut seen = Vec::new();
        p.for_each(|_, v, _| {
            if let RdbValueRef::Encoded(e) = v {
                seen.push(decode_string(e)?);
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, strings()[..strings().len() - 1]);
    }
}
