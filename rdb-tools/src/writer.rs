//! The RDB writer: RDB 9 (Redis 6.x), 10 (Redis 7.0) and 11 (Redis 7.2) files and DUMP payloads,
//! choosing encodings the way Redis does so that a real `redis-server` loads them and, for small
//! values, the bytes are the ones Redis itself would write.
//!
//! Encoding choices (with the default limits of [`EncodingLimits`], which are Redis's defaults):
//!
//! | value      | small (within limits)                              | otherwise                  |
//! |------------|----------------------------------------------------|----------------------------|
//! | string     | INT8/16/32 if a canonical integer of ≤ 11 bytes; LZF if > 20 bytes and it saves ≥ 4 bytes; else raw |
//! | list       | always a quicklist: RDB 10+ type 18 with listpack nodes (≤ 8 KB each, `list-max-listpack-size -2`), RDB 9 type 14 with ziplist nodes |
//! | set        | intset (11) if all members are integers and ≤ 512; RDB 11: listpack (20) if ≤ 128 members of ≤ 64 bytes | plain (2) |
//! | sorted set | listpack (17) / RDB 9 ziplist (12), ≤ 128 members of ≤ 64 bytes, sorted by (score, member) | ZSET_2 (5), binary scores, highest first |
//! | hash       | listpack (16) / RDB 9 ziplist (13), ≤ 512 fields, fields and values ≤ 64 bytes | plain (4) |
//! | stream     | RDB 9: type 15, RDB 10: type 19, RDB 11: type 21; nodes of ≤ 100 entries / 4096 bytes | |
//! | module     | type 7, the opaque payload as read                 | |
//!
//! Every blob (listpack, ziplist, intset) is written as an RDB string, so it is LZF-compressed
//! under the same rule as string values. The file ends with EOF and the CRC64 of everything before.

use std::io::Write;

use crate::crc64::{self, Crc64};
use crate::error::{Error, Result};
use crate::format as f;
use crate::intset::Intset;
use crate::length::{write_double_binary, write_len, write_string};
use crate::listpack::Listpack;
use crate::lzf::Compressor;
use crate::number::{d2string, parse_canonical_i64};
use crate::stream::{ConsumerGroup, StreamMeta};
use crate::stream::{NodeBuilder, StreamId};
use crate::value::{KeyMeta, ModuleAux, Stream, Value};
use crate::ziplist::ZiplistBuilder;

/// Thresholds that decide between compact and plain encodings (Redis's config names). The defaults
/// are `redis-server`'s built-in ones (no config file; the sample redis.conf lowers hash entries to 128).
#[derive(Debug, Clone, Copy)]
pub struct EncodingLimits {
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub set_max_listpack_entries: usize,
    pub set_max_listpack_value: usize,
    /// `list-max-listpack-size`: negative = node byte size class (-2 = 8 KB), positive = entries.
    pub list_max_listpack_size: i64,
    pub stream_node_max_bytes: usize,
    pub stream_node_max_entries: usize,
}

impl Default for EncodingLimits {
    fn default() -> Self {
        EncodingLimits {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            set_max_listpack_value: 64,
            list_max_listpack_size: -2,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
        }
    }
}

/// Options of the writer.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// RDB version: 9, 10 or 11.
    pub version: u32,
    /// LZF-compress long strings and blobs (`rdbcompression yes`).
    pub compress: bool,
    /// Write the CRC64 trailer (`rdbchecksum yes`); otherwise 0.
    pub checksum: bool,
    pub limits: EncodingLimits,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            version: 10,
            compress: true,
            checksum: true,
            limits: EncodingLimits::default(),
        }
    }
}

impl WriterOptions {
    pub fn version(version: u32) -> Self {
        WriterOptions {
            version,
            ..Default::default()
        }
    }
}

/// Encodes single values; shared by the file writer and DUMP payloads.
/// A quicklist node to write: one plain element (RDB 10+, for huge elements), or a range of
/// elements packed in a listpack (a ziplist in RDB 9).
enum ListNode {
    Plain(usize),
    Packed(usize, usize),
}

pub struct ValueEncoder {
    opts: WriterOptions,
    lzf: Compressor,
}

impl ValueEncoder {
    pub fn new(opts: WriterOptions) -> Result<Self> {
        if !(9..=11).contains(&opts.version) {
            return Err(Error::Unsupported(format!(
                "writing RDB version {} (9, 10 and 11 are supported)",
                opts.version
            )));
        }
        Ok(ValueEncoder {
            opts,
            lzf: Compressor::new(),
        })
    }

    fn string(&mut self, out: &mut Vec<u8>, s: &[u8]) {
        let c = if self.opts.compress {
            Some(&mut self.lzf)
        } else {
            None
        };
        write_string(out, s, c);
    }

    /// Appends the encoding of `value` to `out` and returns the RDB type byte to write before the key.
    pub fn encode(&mut self, value: &Value, out: &mut Vec<u8>) -> Result<u8> {
        let lim = self.opts.limits;
        let v = self.opts.version;
        Ok(match value {
            Value::String(s) => {
                self.string(out, s);
                f::STRING
            }
            Value::List(items) => self.list(items, out),
            Value::Set(members) => {
                let ints: Option<Vec<i64>> = if members.len() <= lim.set_max_intset_entries {
                    members.iter().map(|m| parse_canonical_i64(m)).collect()
                } else {
                    None
                };
                if let Some(ints) = ints {
                    let set = Intset::from_values(ints);
                    self.string(out, set.as_bytes());
                    f::SET_INTSET
                } else if v >= 11
                    && members.len() <= lim.set_max_listpack_entries
                    && members
                        .iter()
                        .all(|m| m.len() <= lim.set_max_listpack_value)
                {
                    let mut lp = Listpack::new();
                    for m in members {
                        lp.push_back(m);
                    }
                    self.string(out, lp.as_bytes());
                    f::SET_LISTPACK
                } else {
                    write_len(out, members.len() as u64);
                    for m in members {
                        self.string(out, m);
                    }
                    f::SET
                }
            }
            Value::SortedSet(members) => {
                if members.iter().any(|(_, s)| s.is_nan()) {
                    return Err(Error::Unsupported("a sorted set score of NaN".into()));
                }
                let mut sorted: Vec<&(Vec<u8>, f64)> = members.iter().collect();
                sorted.sort_by(|a, b| {
                    a.1.partial_cmp(&b.1)
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then_with(|| a.0.cmp(&b.0))
                });
                if members.len() <= lim.zset_max_listpack_entries
                    && members
                        .iter()
                        .all(|(m, _)| m.len() <= lim.zset_max_listpack_value)
                {
                    let pairs = sorted
                        .iter()
                        .flat_map(|(m, s)| [m.clone(), d2string(*s).into_bytes()]);
                    if v >= 10 {
                        let mut lp = Listpack::new();
                        pairs.for_each(|e| lp.push_back(&e));
                        self.string(out, lp.as_bytes());
                        f::ZSET_LISTPACK
                    } else {
                        let mut zl = ZiplistBuilder::new();
                        pairs.for_each(|e| zl.push(&e));
                        self.string(out, &zl.finish());
                        f::ZSET_ZIPLIST
                    }
                } else {
                    write_len(out, members.len() as u64);
                    for (m, s) in sorted.iter().rev() {
                        self.string(out, m);
                        write_double_binary(out, *s);
                    }
                    f::ZSET_2
                }
            }
            Value::Hash(fields) => {
                if fields.len() <= lim.hash_max_listpack_entries
                    && fields.iter().all(|(k, v)| {
                        k.len() <= lim.hash_max_listpack_value
                            && v.len() <= lim.hash_max_listpack_value
                    })
                {
                    if v >= 10 {
                        let mut lp = Listpack::new();
                        for (k, val) in fields {
                            lp.push_back(k);
                            lp.push_back(val);
                        }
                        self.string(out, lp.as_bytes());
                        f::HASH_LISTPACK
                    } else {
                        let mut zl = ZiplistBuilder::new();
                        for (k, val) in fields {
                            zl.push(k);
                            zl.push(val);
                        }
                        self.string(out, &zl.finish());
                        f::HASH_ZIPLIST
                    }
                } else {
                    write_len(out, fields.len() as u64);
                    for (k, val) in fields {
                        self.string(out, k);
                        self.string(out, val);
                    }
                    f::HASH
                }
            }
            Value::Stream(s) => self.stream(s, out),
            Value::Module(m) => {
                write_len(out, m.id.0);
                out.extend_from_slice(&m.payload);
                f::MODULE_2
            }
        })
    }

    /// Splits a list into quicklist nodes as Redis's `quicklistPush` would fill them.
    fn list_plan<T: AsRef<[u8]>>(&self, items: &[T]) -> Vec<ListNode> {
        let fill = self.opts.limits.list_max_listpack_size;
        // `_quicklistNodeAllowInsert`: the node's current size + the element + 8 must stay within the
        // size class of a negative fill; a positive fill caps the count (and 8 KB as a safety limit).
        let allow = |node_bytes: usize, count: usize, sz: usize| {
            let new_sz = node_bytes + sz + 8;
            let class = match fill {
                -1 => Some(4096),
                -2 => Some(8192),
                -3 => Some(16384),
                -4 => Some(32768),
                -5 => Some(65536),
                _ => None,
            };
            match class {
                Some(limit) if fill < 0 => new_sz <= limit,
                _ => new_sz <= 8192 && (count as i64) < fill,
            }
        };
        const PACKED_THRESHOLD: usize = 1 << 30;
        let v10 = self.opts.version >= 10;
        let mut nodes: Vec<ListNode> = Vec::new();
        let (mut start, mut bytes, mut count) = (0usize, 0usize, 0usize);
        let mut lp_probe = Listpack::new();
        let mut zl_probe = ZiplistBuilder::new();
        for (i, it) in items.iter().enumerate() {
            let it = it.as_ref();
            if v10 && it.len() >= PACKED_THRESHOLD {
                if count > 0 {
                    nodes.push(ListNode::Packed(start, i));
                }
                nodes.push(ListNode::Plain(i));
                (start, bytes, count) = (i + 1, 0, 0);
                lp_probe = Listpack::new();
                continue;
            }
            if count > 0 && !allow(bytes, count, it.len()) {
                nodes.push(ListNode::Packed(start, i));
                (start, count) = (i, 0);
                lp_probe = Listpack::new();
                zl_probe = ZiplistBuilder::new();
            }
            if v10 {
                lp_probe.push_back(it);
                bytes = lp_probe.bytes_len();
            } else {
                zl_probe.push(it);
                bytes = zl_probe.bytes_len();
            }
            count += 1;
        }
        if count > 0 {
            nodes.push(ListNode::Packed(start, items.len()));
        }
        nodes
    }

    /// Writes one quicklist node of `items`.
    fn list_node<T: AsRef<[u8]>>(&mut self, items: &[T], node: &ListNode, out: &mut Vec<u8>) {
        let v10 = self.opts.version >= 10;
        match *node {
            ListNode::Plain(i) => {
                write_len(out, f::QUICKLIST_NODE_PLAIN);
                self.string(out, items[i].as_ref());
            }
            ListNode::Packed(a, b) if v10 => {
                write_len(out, f::QUICKLIST_NODE_PACKED);
                let mut lp = Listpack::new();
                items[a..b].iter().for_each(|e| lp.push_back(e.as_ref()));
                self.string(out, lp.as_bytes());
            }
            ListNode::Packed(a, b) => {
                let mut zl = ZiplistBuilder::new();
                items[a..b].iter().for_each(|e| zl.push(e.as_ref()));
                self.string(out, &zl.finish());
            }
        }
    }

    /// The RDB type lists are written with.
    fn list_type(&self) -> u8 {
        if self.opts.version >= 10 {
            f::LIST_QUICKLIST_2
        } else {
            f::LIST_QUICKLIST
        }
    }

    fn list<T: AsRef<[u8]>>(&mut self, items: &[T], out: &mut Vec<u8>) -> u8 {
        let nodes = self.list_plan(items);
        write_len(out, nodes.len() as u64);
        for node in &nodes {
            self.list_node(items, node, out);
        }
        self.list_type()
    }

    /// Builds and writes nodes from a stream's entries (sorted by ID); returns the length, last ID
    /// and first ID to record.
    fn stream_nodes_from_entries(
        &mut self,
        s: &Stream,
        out: &mut Vec<u8>,
    ) -> (u64, StreamId, StreamId) {
        let lim = self.opts.limits;
        let mut entries: Vec<_> = s.entries.iter().collect();
        entries.sort_by_key(|e| e.id);
        let mut nodes: Vec<(StreamId, Listpack)> = Vec::new();
        let mut cur: Option<NodeBuilder> = None;
        for e in entries.iter().copied() {
            let payload: usize = e.fields.iter().map(|(k, v)| k.len() + v.len()).sum();
            if let Some(b) = cur.as_mut() {
                if b.bytes_len() + payload < lim.stream_node_max_bytes
                    && (b.entries() as usize) < lim.stream_node_max_entries
                {
                    b.append(e);
                    continue;
                }
                if let Some(done) = cur.take() {
                    nodes.push(done.finish());
                }
            }
            cur = Some(NodeBuilder::new(e));
        }
        if let Some(done) = cur {
            nodes.push(done.finish());
        }
        write_len(out, nodes.len() as u64);
        for (master, lp) in &nodes {
            self.string(out, &master.to_raw());
            self.string(out, lp.as_bytes());
        }
        let last_id = entries
            .last()
            .map(|e| e.id)
            .unwrap_or_default()
            .max(s.meta.last_id);
        let first = entries.first().map(|e| e.id).unwrap_or_default();
        (entries.len() as u64, last_id, first)
    }

    /// A stream: its nodes verbatim when it carries them (`s.nodes`, with `s.meta` describing
    /// them), else nodes built from `s.entries` under the node limits.
    fn stream(&mut self, s: &Stream, out: &mut Vec<u8>) -> u8 {
        let meta = &s.meta;
        let (length, last_id, first) = if s.nodes.is_empty() {
            self.stream_nodes_from_entries(s, out)
        } else {
            write_len(out, s.nodes.len() as u64);
            for (master, lp) in &s.nodes {
                self.stream_node(out, *master, lp);
            }
            (meta.length, meta.last_id, meta.first_id.unwrap_or_default())
        };
        self.stream_tail(meta, &s.groups, (length, last_id, first), out)
    }

    /// One stream node as stored: its master ID and its listpack.
    fn stream_node(&mut self, out: &mut Vec<u8>, master: StreamId, lp: &[u8]) {
        self.string(out, &master.to_raw());
        self.string(out, lp);
    }

    /// What follows a stream's nodes: its length, last and first IDs, and its groups. Returns
    /// the stream's RDB type.
    fn stream_tail(
        &mut self,
        meta: &StreamMeta,
        groups: &[ConsumerGroup],
        (length, last_id, first): (u64, StreamId, StreamId),
        out: &mut Vec<u8>,
    ) -> u8 {
        write_len(out, length);
        write_len(out, last_id.ms);
        write_len(out, last_id.seq);
        let v = self.opts.version;
        if v >= 10 {
            let max_del = meta.max_deleted_id.unwrap_or_default();
            write_len(out, first.ms);
            write_len(out, first.seq);
            write_len(out, max_del.ms);
            write_len(out, max_del.seq);
            write_len(out, meta.entries_added.unwrap_or(length));
        }
        write_len(out, groups.len() as u64);
        for g in groups {
            self.string(out, &g.name);
            write_len(out, g.last_id.ms);
            write_len(out, g.last_id.seq);
            if v >= 10 {
                write_len(out, g.entries_read.unwrap_or(-1) as u64);
            }
            write_len(out, g.pending.len() as u64);
            for p in &g.pending {
                out.extend_from_slice(&p.id.to_raw());
                out.extend_from_slice(&p.delivery_time_ms.to_le_bytes());
                write_len(out, p.delivery_count);
            }
            write_len(out, g.consumers.len() as u64);
            for c in &g.consumers {
                self.string(out, &c.name);
                out.extend_from_slice(&c.seen_time_ms.to_le_bytes());
                if v >= 11 {
                    out.extend_from_slice(
                        &c.active_time_ms.unwrap_or(c.seen_time_ms).to_le_bytes(),
                    );
                }
                write_len(out, c.pending.len() as u64);
                for id in &c.pending {
                    out.extend_from_slice(&id.to_raw());
                }
            }
        }
        stream_type(v)
    }
}

/// The RDB type of a stream in format `version`.
fn stream_type(version: u32) -> u8 {
    match version {
        9 => f::STREAM_LISTPACKS,
        10 => f::STREAM_LISTPACKS_2,
        _ => f::STREAM_LISTPACKS_3,
    }
}

/// Encodes `value` as a `DUMP` payload (what `RESTORE` accepts).
pub fn encode_dump_payload(value: &Value, opts: WriterOptions) -> Result<Vec<u8>> {
    let mut enc = ValueEncoder::new(opts)?;
    let mut body = Vec::new();
    let t = enc.encode(value, &mut body)?;
    let mut out = Vec::with_capacity(body.len() + 11);
    out.push(t);
    out.extend_from_slice(&body);
    out.extend_from_slice(&(opts.version as u16).to_le_bytes());
    let crc = crc64::crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Streaming writer of an RDB file.
pub struct Writer<W: Write> {
    out: W,
    buf: Vec<u8>,
    crc: Crc64,
    offset: u64,
    enc: ValueEncoder,
    scratch: Vec<u8>,
}

const FLUSH_AT: usize = 256 * 1024;

impl<W: Write> Writer<W> {
    /// Starts a file: writes the `REDISnnnn` header.
    pub fn new(out: W, opts: WriterOptions) -> Result<Self> {
        let enc = ValueEncoder::new(opts)?;
        let mut w = Writer {
            out,
            buf: Vec::with_capacity(FLUSH_AT + 1024),
            crc: Crc64::new(),
            offset: 0,
            enc,
            scratch: Vec::new(),
        };
        w.buf
            .extend_from_slice(format!("REDIS{:04}", opts.version).as_bytes());
        Ok(w)
    }

    pub fn options(&self) -> &WriterOptions {
        &self.enc.opts
    }

    fn maybe_flush(&mut self) -> Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> Result<()> {
        if self.enc.opts.checksum {
            self.crc.update(&self.buf);
        }
        self.out.write_all(&self.buf).map_err(|e| Error::Io {
            offset: self.offset,
            source: e,
        })?;
        self.offset += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// Writes an AUX field.
    pub fn aux(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.buf.push(f::OPCODE_AUX);
        self.enc.string(&mut self.buf, key);
        self.enc.string(&mut self.buf, value);
        self.maybe_flush()
    }

    /// Writes the AUX fields Redis puts at the start of every RDB (`redis-ver`, `redis-bits`, `ctime`,
    /// `used-mem`, `aof-base`).
    pub fn standard_aux(&mut self, redis_ver: &str, ctime_secs: i64, used_mem: u64) -> Result<()> {
        self.aux(b"redis-ver", redis_ver.as_bytes())?;
        self.aux(b"redis-bits", b"64")?;
        self.aux(b"ctime", ctime_secs.to_string().as_bytes())?;
        self.aux(b"used-mem", used_mem.to_string().as_bytes())?;
        self.aux(b"aof-base", b"0")
    }

    /// Writes a module aux record (opaque payload, as read).
    pub fn module_aux(&mut self, m: &ModuleAux) -> Result<()> {
        self.buf.push(f::OPCODE_MODULE_AUX);
        write_len(&mut self.buf, m.id.0);
        write_len(&mut self.buf, m.when_opcode);
        write_len(&mut self.buf, m.when);
        self.buf.extend_from_slice(&m.payload);
        self.maybe_flush()
    }

    /// Writes a function library (`FUNCTION2`, RDB 10+).
    pub fn function(&mut self, code: &[u8]) -> Result<()> {
        if self.enc.opts.version < 10 {
            return Err(Error::Unsupported(
                "functions in RDB versions below 10".into(),
            ));
        }
        self.buf.push(f::OPCODE_FUNCTION2);
        self.enc.string(&mut self.buf, code);
        self.maybe_flush()
    }

    /// Selects the database of the keys that follow.
    pub fn select_db(&mut self, db: u64) -> Result<()> {
        self.buf.push(f::OPCODE_SELECTDB);
        write_len(&mut self.buf, db);
        self.maybe_flush()
    }

    /// Writes the RESIZEDB hint (key count and expiring-key count of the current db).
    pub fn resize_db(&mut self, db_size: u64, expires_size: u64) -> Result<()> {
        self.buf.push(f::OPCODE_RESIZEDB);
        write_len(&mut self.buf, db_size);
        write_len(&mut self.buf, expires_size);
        self.maybe_flush()
    }

    fn key_meta(&mut self, meta: &KeyMeta) {
        if let Some(ms) = meta.expire_ms {
            self.buf.push(f::OPCODE_EXPIRETIME_MS);
            self.buf.extend_from_slice(&ms.to_le_bytes());
        }
        if let Some(idle) = meta.idle {
            self.buf.push(f::OPCODE_IDLE);
            write_len(&mut self.buf, idle);
        }
        if let Some(freq) = meta.freq {
            self.buf.push(f::OPCODE_FREQ);
            self.buf.push(freq);
        }
    }

    /// Writes a key with its value and metadata.
    pub fn key(&mut self, key: &[u8], value: &Value, meta: &KeyMeta) -> Result<()> {
        self.key_encoded(key, meta, |enc, out| enc.encode(value, out))
    }

    /// Writes a key whose value `encode` appends to a scratch buffer, returning its RDB type
    /// (the type byte goes before the key, the value after it).
    fn key_encoded(
        &mut self,
        key: &[u8],
        meta: &KeyMeta,
        encode: impl FnOnce(&mut ValueEncoder, &mut Vec<u8>) -> Result<u8>,
    ) -> Result<()> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let t = match encode(&mut self.enc, &mut scratch) {
            Ok(t) => t,
            Err(e) => {
                self.scratch = scratch;
                return Err(e);
            }
        };
        self.key_meta(meta);
        self.buf.push(t);
        self.enc.string(&mut self.buf, key);
        self.buf.extend_from_slice(&scratch);
        self.scratch = scratch;
        self.maybe_flush()
    }

    /// Writes a string key from borrowed bytes (what [`key`](Self::key) writes for
    /// `Value::String`, without an owned copy).
    pub fn key_string(&mut self, key: &[u8], value: &[u8], meta: &KeyMeta) -> Result<()> {
        self.key_meta(meta);
        self.buf.push(f::STRING);
        self.enc.string(&mut self.buf, key);
        self.enc.string(&mut self.buf, value);
        self.maybe_flush()
    }

    /// Writes a string key whose value is already in its RDB string encoding (what
    /// [`length::write_string`](crate::length::write_string) appends): the bytes go in verbatim.
    /// A caller that encodes values elsewhere (another thread) uses it to take that work off the
    /// writer; the output is the same as [`key_string`](Self::key_string)'s when it encoded with
    /// this writer's compression setting.
    pub fn key_encoded_string(
        &mut self,
        key: &[u8],
        encoded_value: &[u8],
        meta: &KeyMeta,
    ) -> Result<()> {
        self.key_meta(meta);
        self.buf.push(f::STRING);
        self.enc.string(&mut self.buf, key);
        self.buf.extend_from_slice(encoded_value);
        self.maybe_flush()
    }

    /// Writes a list from borrowed elements: what [`key`](Self::key) writes for `Value::List`,
    /// without an owned copy of every element.
    pub fn key_list(&mut self, key: &[u8], items: &[&[u8]], meta: &KeyMeta) -> Result<()> {
        let nodes = self.enc.list_plan(items);
        let rdb_type = self.enc.list_type();
        self.collection_head(key, rdb_type, nodes.len(), meta);
        for node in &nodes {
            self.enc.list_node(items, node, &mut self.buf);
            self.maybe_flush()?;
        }
        Ok(())
    }

    /// The compact-encoding limits this writer applies.
    pub fn limits(&self) -> EncodingLimits {
        self.enc.opts.limits
    }

    /// Writes a big hash in the plain encoding (type 4: its length, then field and value strings)
    /// from borrowed pairs, flushing as it goes, so it is saved without an owned copy. [`key`]
    /// chooses this encoding for a hash of more than `hash_max_listpack_entries` pairs; `len` is
    /// how many pairs `pairs` yields (a different count is an error, and the output is then void).
    ///
    /// [`key`]: Self::key
    pub fn key_hash_plain<'a>(
        &mut self,
        key: &[u8],
        len: usize,
        pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
        meta: &KeyMeta,
    ) -> Result<()> {
        self.collection_head(key, f::HASH, len, meta);
        let mut n = 0usize;
        for (field, value) in pairs {
            self.enc.string(&mut self.buf, field);
            self.enc.string(&mut self.buf, value);
            n += 1;
            self.maybe_flush()?;
        }
        Self::check_count(key, len, n)
    }

    /// Writes a big set in the plain encoding (type 2) from borrowed members, like
    /// [`key_hash_plain`](Self::key_hash_plain); for sets [`key`](Self::key) would not write as an
    /// intset or listpack.
    pub fn key_set_plain<'a>(
        &mut self,
        key: &[u8],
        len: usize,
        members: impl IntoIterator<Item = &'a [u8]>,
        meta: &KeyMeta,
    ) -> Result<()> {
        self.collection_head(key, f::SET, len, meta);
        let mut n = 0usize;
        for m in members {
            self.enc.string(&mut self.buf, m);
            n += 1;
            self.maybe_flush()?;
        }
        Self::check_count(key, len, n)
    }

    /// Writes a big sorted set in the plain encoding (type 5: member strings and binary doubles)
    /// from borrowed members given in descending (score, member) order, as Redis writes them;
    /// like [`key_hash_plain`](Self::key_hash_plain), for more than `zset_max_listpack_entries`.
    pub fn key_zset_plain<'a>(
        &mut self,
        key: &[u8],
        len: usize,
        members: impl IntoIterator<Item = (&'a [u8], f64)>,
        meta: &KeyMeta,
    ) -> Result<()> {
        self.collection_head(key, f::ZSET_2, len, meta);
        let mut n = 0usize;
        for (m, score) in members {
            if score.is_nan() {
                return Err(Error::Unsupported("a sorted set score of NaN".into()));
            }
            self.enc.string(&mut self.buf, m);
            write_double_binary(&mut self.buf, score);
            n += 1;
            self.maybe_flush()?;
        }
        Self::check_count(key, len, n)
    }

    /// Writes a stream from borrowed nodes (master ID, listpack bytes, as
    /// [`Stream::nodes`] holds them), flushing after each: what [`key`](Self::key) writes for a
    /// stream carrying `node_count` nodes, without an owned copy of them. `meta` describes the
    /// nodes; a different count is an error, and the output is then void.
    pub fn key_stream_nodes<'a>(
        &mut self,
        key: &[u8],
        node_count: usize,
        nodes: impl IntoIterator<Item = (StreamId, &'a [u8])>,
        meta: &StreamMeta,
        groups: &[ConsumerGroup],
        key_meta: &KeyMeta,
    ) -> Result<()> {
        let rdb_type = stream_type(self.enc.opts.version);
        self.collection_head(key, rdb_type, node_count, key_meta);
        let mut n = 0usize;
        for (master, lp) in nodes {
            self.enc.stream_node(&mut self.buf, master, lp);
            n += 1;
            self.maybe_flush()?;
        }
        Self::check_count(key, node_count, n)?;
        let ids = (meta.length, meta.last_id, meta.first_id.unwrap_or_default());
        self.enc.stream_tail(meta, groups, ids, &mut self.buf);
        self.maybe_flush()
    }

    fn collection_head(&mut self, key: &[u8], rdb_type: u8, len: usize, meta: &KeyMeta) {
        self.key_meta(meta);
        self.buf.push(rdb_type);
        self.enc.string(&mut self.buf, key);
        write_len(&mut self.buf, len as u64);
    }

    fn check_count(key: &[u8], len: usize, n: usize) -> Result<()> {
        if n == len {
            return Ok(());
        }
        Err(Error::Unsupported(format!(
            "key '{}': {n} elements written after announcing {len}",
            String::from_utf8_lossy(key)
        )))
    }

    /// Writes a key whose value is an already-encoded listpack (a server keeping small values in
    /// listpacks saves them without re-encoding). `rdb_type` must be 16 (hash), 17 (sorted set) or
    /// 20 (set, RDB 11); lists go through [`key_list_listpacks`](Self::key_list_listpacks).
    pub fn key_listpack(
        &mut self,
        key: &[u8],
        rdb_type: u8,
        lp: &Listpack,
        meta: &KeyMeta,
    ) -> Result<()> {
        let ok = matches!(rdb_type, f::HASH_LISTPACK | f::ZSET_LISTPACK)
            || (rdb_type == f::SET_LISTPACK && self.enc.opts.version >= 11);
        if !ok || self.enc.opts.version < 10 {
            return Err(Error::Unsupported(format!(
                "a listpack value of RDB type {rdb_type} in RDB {}",
                self.enc.opts.version
            )));
        }
        self.key_meta(meta);
        self.buf.push(rdb_type);
        self.enc.string(&mut self.buf, key);
        self.enc.string(&mut self.buf, lp.as_bytes());
        self.maybe_flush()
    }

    /// Writes a list kept as quicklist nodes of listpacks (RDB 10+, type 18), node by node.
    pub fn key_list_listpacks(
        &mut self,
        key: &[u8],
        nodes: &[Listpack],
        meta: &KeyMeta,
    ) -> Result<()> {
        if self.enc.opts.version < 10 {
            return Err(Error::Unsupported(
                "listpack quicklist nodes in RDB 9".into(),
            ));
        }
        self.key_meta(meta);
        self.buf.push(f::LIST_QUICKLIST_2);
        self.enc.string(&mut self.buf, key);
        write_len(&mut self.buf, nodes.len() as u64);
        for n in nodes {
            write_len(&mut self.buf, f::QUICKLIST_NODE_PACKED);
            self.enc.string(&mut self.buf, n.as_bytes());
            self.maybe_flush()?;
        }
        Ok(())
    }

    /// Writes EOF and the checksum, flushes, and returns the underlying writer.
    pub fn finish(mut self) -> Result<W> {
        self.buf.push(f::OPCODE_EOF);
        self.flush_buf()?;
        let crc = if self.enc.opts.checksum {
            self.crc.value()
        } else {
            0
        };
        self.buf.extend_from_slice(&crc.to_le_bytes());
        self.flush_buf()?;
        self.out.flush().map_err(|e| Error::Io {
            offset: self.offset,
            source: e,
        })?;
        Ok(self.out)
    }
}

/// Validates that `bytes` is a listpack before handing it to [`Writer::key_listpack`].
pub fn listpack_from_bytes(bytes: Vec<u8>) -> Result<Listpack> {
    Listpack::from_bytes_validated(bytes).map_err(|e| Error::in_blob(0, "listpack", e))
}
