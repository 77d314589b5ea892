//! The streaming RDB reader: an iterator of [`Event`]s over any `Read`, in constant memory.
//!
//! Every opcode becomes an event; a key becomes [`Event::Key`] (with its db, expire, LRU/LFU
//! metadata and RDB type), then one [`Event::Item`] per element of its value (one for a string, one
//! per list element / set member / sorted-set member / hash field / stream entry, plus the stream's
//! metadata and each consumer group), then [`Event::EndKey`]. Plain collections (RDB types 1-5) are
//! read element by element from the input; packed ones (ziplist, listpack, intset, zipmap, quicklist
//! nodes, stream nodes) are read one blob at a time, so memory stays bounded by the largest blob.
//!
//! Nothing is trusted: lengths are only counted down while the bytes arrive, every blob is
//! validated before use (listpack/ziplist/intset/zipmap integrity, stream node counts), the CRC64
//! trailer is verified (0 means "not computed", as in Redis), and any error carries the byte offset
//! where it was found. After an error the iterator ends.
//!
//! Empty collections are reported as keys with no items (Redis skips them at load time).
//!
//! [`Reader::read_value`] collects the current key into a [`Value`]; [`parse`] and [`read_path`]
//! load a whole file into an [`RdbFile`] for small uses.

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;

use crate::crc64;
use crate::entry::Entry;
use crate::error::{Error, Result};
use crate::format::{self as f};
use crate::intset::Intset;
use crate::length::{read_double_binary, read_double_string, read_len, read_ms_time, read_string};
use crate::listpack;
use crate::number::parse_f64;
use crate::source::{RdbRead, StreamInput};
use crate::stream::{
    self, Consumer, ConsumerGroup, PendingEntry, StreamEntry, StreamId, StreamMeta,
};
use crate::value::{KeyMeta, ModuleAux, ModuleId, ModuleValue, Record, Value, ValueType};
use crate::ziplist;
use crate::zipmap;

/// What the trailer said about the checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// RDB version below 5: files have no trailer.
    Absent,
    /// The stored checksum is 0: the writer did not compute one.
    NotComputed,
    /// Stored and computed checksums agree.
    Verified(u64),
    /// They disagree (only reported when verification is turned off; otherwise an error).
    Mismatch { stored: u64, computed: u64 },
}

/// The end of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailer {
    pub checksum: Checksum,
    /// Offset just after the EOF opcode and checksum: the file's RDB part ends here (an AOF with an
    /// RDB preamble continues after it).
    pub end_offset: u64,
}

/// What precedes a key's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHeader {
    pub db: u64,
    pub key: Vec<u8>,
    pub rdb_type: u8,
    pub meta: KeyMeta,
    /// Offset of the key's type byte.
    pub offset: u64,
    /// Number of elements when the format states it up front.
    pub len_hint: Option<u64>,
}

impl KeyHeader {
    pub fn value_type(&self) -> ValueType {
        f::value_type(self.rdb_type).unwrap_or(ValueType::Module)
    }
    pub fn encoding(&self) -> &'static str {
        f::encoding_name(self.rdb_type)
    }
}

/// One element of a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    String(Vec<u8>),
    ListElement(Vec<u8>),
    SetMember(Vec<u8>),
    ZSetMember {
        member: Vec<u8>,
        score: f64,
    },
    HashField {
        field: Vec<u8>,
        value: Vec<u8>,
    },
    StreamEntry(StreamEntry),
    /// A whole stream node as stored, neither decoded nor checked (only with
    /// [`ReaderOptions::raw_stream_nodes`]): checking it is the caller's job.
    StreamNode {
        master: StreamId,
        listpack: Vec<u8>,
    },
    StreamMeta(StreamMeta),
    StreamGroup(ConsumerGroup),
    Module(ModuleValue),
}

/// One step of the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Aux {
        key: Vec<u8>,
        value: Vec<u8>,
    },
    SelectDb {
        db: u64,
    },
    ResizeDb {
        db_size: u64,
        expires_size: u64,
    },
    ModuleAux(ModuleAux),
    /// A function library (`FUNCTION2`): its source code, starting with the `#!engine` shebang.
    Function {
        code: Vec<u8>,
    },
    Key(KeyHeader),
    Item(Item),
    EndKey,
    Eof(Trailer),
}

#[derive(Debug, Clone, Copy)]
enum PlainKind {
    List,
    Set,
    ZSetText,
    ZSetBinary,
    Hash,
}

#[derive(Debug)]
enum State {
    Top,
    EndKey,
    Plain { kind: PlainKind, remaining: u64 },
    Quicklist { remaining: u64, v2: bool },
    StreamNodes { remaining: u64, rdb_type: u8 },
    StreamGroups { remaining: u64, rdb_type: u8 },
    Done,
}

/// Options of the reader.
#[derive(Debug, Clone, Copy)]
pub struct ReaderOptions {
    /// Fail on a CRC64 mismatch (default true). When false the mismatch is reported in the trailer.
    pub verify_checksum: bool,
    /// Hand stream nodes over as they are ([`Item::StreamNode`]) instead of decoding their
    /// entries (default false): a server adopting nodes verbatim checks their layout itself.
    pub raw_stream_nodes: bool,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            verify_checksum: true,
            raw_stream_nodes: false,
        }
    }
}

/// Streaming reader of an RDB file.
pub struct Reader<R> {
    input: StreamInput<R>,
    version: u32,
    db: u64,
    pending: KeyMeta,
    state: State,
    queue: VecDeque<Item>,
    opts: ReaderOptions,
    /// False in validate-only mode: values are decoded and checked but no [`Event::Item`] is made.
    emit: bool,
}

impl<R: Read> Reader<R> {
    /// Reads the `REDISnnnn` header.
    pub fn new(r: R) -> Result<Self> {
        Self::with_options(r, ReaderOptions::default())
    }

    pub fn with_options(r: R, opts: ReaderOptions) -> Result<Self> {
        let mut input = StreamInput::new(r);
        let magic: [u8; 9] = input.read_array("the 9-byte REDISnnnn header")?;
        if &magic[..5] != b"REDIS" {
            return Err(Error::corrupt(0, "the REDIS signature"));
        }
        let version = std::str::from_utf8(&magic[5..])
            .ok()
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<u32>().ok())
            .ok_or_else(|| Error::corrupt(5, "a 4-digit RDB version"))?;
        if version == 0 || version > f::MAX_VERSION {
            return Err(Error::corrupt(
                5,
                format!("an RDB version 1..={}, found {version}", f::MAX_VERSION),
            ));
        }
        Ok(Reader {
            input,
            version,
            db: 0,
            pending: KeyMeta::default(),
            state: State::Top,
            queue: VecDeque::new(),
            opts,
            emit: true,
        })
    }

    /// A reader positioned on a bare value (DUMP payloads): no header, no opcodes.
    fn for_value(r: R, version: u32) -> Self {
        Reader {
            input: StreamInput::new(r),
            version,
            db: 0,
            pending: KeyMeta::default(),
            state: State::Top,
            queue: VecDeque::new(),
            opts: ReaderOptions::default(),
            emit: true,
        }
    }

    /// Validate-only mode (`redoubt-rdb check`): every value is still read and validated exactly
    /// as in normal mode, but no [`Event::Item`] is produced (an [`Event::Key`] is followed directly
    /// by its [`Event::EndKey`]), which spares building every element.
    pub fn set_validate_only(&mut self, on: bool) {
        self.emit = !on;
    }

    /// The file's RDB version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Offset of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.input.offset()
    }

    /// After [`Event::Eof`], counts the bytes that follow the RDB part (at most `max`).
    pub fn trailing_bytes(&mut self, max: u64) -> Result<u64> {
        self.input.count_remaining(max)
    }

    /// The next event, `Ok(None)` after EOF.
    pub fn next_event(&mut self) -> Result<Option<Event>> {
        let r = self.step();
        if r.is_err() {
            self.state = State::Done;
            self.queue.clear();
        }
        r
    }

    fn step(&mut self) -> Result<Option<Event>> {
        // Bounded: every round either returns or consumes input / a queued item / a count.
        loop {
            match self.step_once()? {
                Some(Event::Item(_)) if !self.emit => continue,
                ev => return Ok(ev),
            }
        }
    }

    fn step_once(&mut self) -> Result<Option<Event>> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Ok(Some(Event::Item(item)));
            }
            match std::mem::replace(&mut self.state, State::Top) {
                State::Top => return self.read_top(),
                State::Done => {
                    self.state = State::Done;
                    return Ok(None);
                }
                State::EndKey => return Ok(Some(Event::EndKey)),
                State::Plain { kind, remaining } => {
                    if remaining == 0 {
                        return Ok(Some(Event::EndKey));
                    }
                    let item = self.read_plain_element(kind)?;
                    self.state = State::Plain {
                        kind,
                        remaining: remaining - 1,
                    };
                    return Ok(Some(Event::Item(item)));
                }
                State::Quicklist { remaining, v2 } => {
                    if remaining == 0 {
                        return Ok(Some(Event::EndKey));
                    }
                    self.state = State::Quicklist {
                        remaining: remaining - 1,
                        v2,
                    };
                    self.read_quicklist_node(v2)?;
                }
                State::StreamNodes {
                    remaining,
                    rdb_type,
                } => {
                    if remaining == 0 {
                        let meta = self.read_stream_meta(rdb_type)?;
                        let groups = read_len(&mut self.input, "the stream consumer group count")?;
                        self.state = State::StreamGroups {
                            remaining: groups,
                            rdb_type,
                        };
                        return Ok(Some(Event::Item(Item::StreamMeta(meta))));
                    }
                    self.state = State::StreamNodes {
                        remaining: remaining - 1,
                        rdb_type,
                    };
                    self.read_stream_node()?;
                }
                State::StreamGroups {
                    remaining,
                    rdb_type,
                } => {
                    if remaining == 0 {
                        return Ok(Some(Event::EndKey));
                    }
                    self.state = State::StreamGroups {
                        remaining: remaining - 1,
                        rdb_type,
                    };
                    let g = self.read_group(rdb_type)?;
                    return Ok(Some(Event::Item(Item::StreamGroup(g))));
                }
            }
        }
    }

    fn read_top(&mut self) -> Result<Option<Event>> {
        let inp = &mut self.input;
        loop {
            let at = inp.offset();
            let op = inp.read_u8("an opcode or value type")?;
            match op {
                f::OPCODE_EXPIRETIME => {
                    let secs = i32::from_le_bytes(inp.read_array("an EXPIRETIME value")?);
                    self.pending.expire_ms = Some(secs as i64 * 1000);
                }
                f::OPCODE_EXPIRETIME_MS => {
                    self.pending.expire_ms = Some(read_ms_time(inp, "an EXPIRETIME_MS value")?)
                }
                f::OPCODE_FREQ => self.pending.freq = Some(inp.read_u8("a FREQ value")?),
                f::OPCODE_IDLE => self.pending.idle = Some(read_len(inp, "an IDLE value")?),
                f::OPCODE_EOF => {
                    let computed = inp.crc();
                    let checksum = if self.version < 5 {
                        Checksum::Absent
                    } else {
                        let stored =
                            u64::from_le_bytes(inp.read_array("the 8-byte CRC64 trailer")?);
                        if stored == 0 {
                            Checksum::NotComputed
                        } else if stored == computed {
                            Checksum::Verified(stored)
                        } else if self.opts.verify_checksum {
                            return Err(Error::Checksum {
                                offset: at + 1,
                                stored,
                                computed,
                            });
                        } else {
                            Checksum::Mismatch { stored, computed }
                        }
                    };
                    self.state = State::Done;
                    return Ok(Some(Event::Eof(Trailer {
                        checksum,
                        end_offset: inp.offset(),
                    })));
                }
                f::OPCODE_SELECTDB => {
                    self.db = read_len(inp, "a SELECTDB database number")?;
                    return Ok(Some(Event::SelectDb { db: self.db }));
                }
                f::OPCODE_RESIZEDB => {
                    let db_size = read_len(inp, "a RESIZEDB db size")?;
                    let expires_size = read_len(inp, "a RESIZEDB expires size")?;
                    return Ok(Some(Event::ResizeDb {
                        db_size,
                        expires_size,
                    }));
                }
                f::OPCODE_AUX => {
                    let key = read_string(inp, "an AUX field name")?;
                    let value = read_string(inp, "an AUX field value")?;
                    return Ok(Some(Event::Aux { key, value }));
                }
                f::OPCODE_MODULE_AUX => {
                    let id = ModuleId(read_len(inp, "a module id")?);
                    let when_at = inp.offset();
                    let when_opcode = read_len(inp, "a module aux when-opcode")?;
                    let when = read_len(inp, "a module aux when value")?;
                    if when_opcode != f::MODULE_OPCODE_UINT {
                        return Err(Error::corrupt(when_at, "module aux when-opcode 2 (UINT)"));
                    }
                    let payload = read_module_body(inp)?;
                    return Ok(Some(Event::ModuleAux(ModuleAux {
                        id,
                        when_opcode,
                        when,
                        payload,
                    })));
                }
                f::OPCODE_FUNCTION_PRE_GA => {
                    return Err(Error::corrupt(
                        at,
                        "a supported opcode (the 7.0-rc FUNCTION format is not)",
                    ));
                }
                f::OPCODE_FUNCTION2 => {
                    let code = read_string(inp, "a function library")?;
                    return Ok(Some(Event::Function { code }));
                }
                t => {
                    if f::value_type(t).is_none() {
                        return Err(Error::corrupt(
                            at,
                            format!("an opcode or a known value type, found {t}"),
                        ));
                    }
                    let key = read_string(inp, "a key")?;
                    let meta = std::mem::take(&mut self.pending);
                    let len_hint = self.begin_value(t)?;
                    return Ok(Some(Event::Key(KeyHeader {
                        db: self.db,
                        key,
                        rdb_type: t,
                        meta,
                        offset: at,
                        len_hint,
                    })));
                }
            }
        }
    }

    /// Reads what the value of type `t` needs up front and sets the state for its items.
    fn begin_value(&mut self, t: u8) -> Result<Option<u64>> {
        let inp = &mut self.input;
        let blob_at = inp.offset();
        let (state, hint) = match t {
            f::STRING => {
                let s = read_string(inp, "a string value")?;
                self.queue.push_back(Item::String(s));
                (State::EndKey, Some(1))
            }
            f::LIST | f::SET | f::ZSET | f::ZSET_2 | f::HASH => {
                let kind = match t {
                    f::LIST => PlainKind::List,
                    f::SET => PlainKind::Set,
                    f::ZSET => PlainKind::ZSetText,
                    f::ZSET_2 => PlainKind::ZSetBinary,
                    _ => PlainKind::Hash,
                };
                let n = read_len(inp, "a collection length")?;
                (State::Plain { kind, remaining: n }, Some(n))
            }
            f::LIST_QUICKLIST | f::LIST_QUICKLIST_2 => {
                let n = read_len(inp, "a quicklist node count")?;
                (
                    State::Quicklist {
                        remaining: n,
                        v2: t == f::LIST_QUICKLIST_2,
                    },
                    None,
                )
            }
            f::STREAM_LISTPACKS | f::STREAM_LISTPACKS_2 | f::STREAM_LISTPACKS_3 => {
                let n = read_len(inp, "a stream node count")?;
                (
                    State::StreamNodes {
                        remaining: n,
                        rdb_type: t,
                    },
                    None,
                )
            }
            f::MODULE_2 => {
                let id = ModuleId(read_len(inp, "a module id")?);
                let payload = read_module_body(inp)?;
                self.queue
                    .push_back(Item::Module(ModuleValue { id, payload }));
                (State::EndKey, Some(1))
            }
            f::HASH_ZIPMAP => {
                let blob = read_string(inp, "a zipmap")?;
                let pairs =
                    zipmap::decode(&blob).map_err(|e| Error::in_blob(blob_at, "zipmap", e))?;
                for (k, v) in pairs {
                    self.queue.push_back(Item::HashField {
                        field: k.to_vec(),
                        value: v.to_vec(),
                    });
                }
                (State::EndKey, Some(self.queue.len() as u64))
            }
            f::LIST_ZIPLIST | f::ZSET_ZIPLIST | f::HASH_ZIPLIST => {
                let blob = read_string(inp, "a ziplist")?;
                let elems =
                    ziplist::decode(&blob).map_err(|e| Error::in_blob(blob_at, "ziplist", e))?;
                let n = push_packed(
                    &mut self.queue,
                    self.emit,
                    t,
                    elems.into_iter(),
                    blob_at,
                    "ziplist",
                )?;
                (State::EndKey, Some(n))
            }
            f::SET_INTSET => {
                let blob = read_string(inp, "an intset")?;
                let set = Intset::from_bytes_validated(blob)
                    .map_err(|e| Error::in_blob(blob_at, "intset", e))?;
                if self.emit {
                    self.queue.extend(
                        set.iter()
                            .map(|v| Item::SetMember(v.to_string().into_bytes())),
                    );
                }
                (State::EndKey, Some(set.len() as u64))
            }
            f::HASH_LISTPACK | f::ZSET_LISTPACK | f::SET_LISTPACK => {
                let blob = read_string(inp, "a listpack")?;
                listpack::validate(&blob).map_err(|e| Error::in_blob(blob_at, "listpack", e))?;
                let n = push_packed(
                    &mut self.queue,
                    self.emit,
                    t,
                    listpack::Iter::over_validated(&blob),
                    blob_at,
                    "listpack",
                )?;
                (State::EndKey, Some(n))
            }
            other => {
                return Err(Error::corrupt(
                    blob_at,
                    format!("a supported value type, found {other}"),
                ))
            }
        };
        self.state = state;
        Ok(hint)
    }

    fn read_plain_element(&mut self, kind: PlainKind) -> Result<Item> {
        let inp = &mut self.input;
        Ok(match kind {
            PlainKind::List => Item::ListElement(read_string(inp, "a list element")?),
            PlainKind::Set => Item::SetMember(read_string(inp, "a set member")?),
            PlainKind::ZSetText | PlainKind::ZSetBinary => {
                let member = read_string(inp, "a sorted set member")?;
                let at = inp.offset();
                let score = match kind {
                    PlainKind::ZSetText => read_double_string(inp, "a sorted set score")?,
                    _ => read_double_binary(inp, "a sorted set score")?,
                };
                if score.is_nan() {
                    return Err(Error::corrupt(at, "a sorted set score that is not NaN"));
                }
                Item::ZSetMember { member, score }
            }
            PlainKind::Hash => {
                let field = read_string(inp, "a hash field")?;
                let value = read_string(inp, "a hash value")?;
                Item::HashField { field, value }
            }
        })
    }

    fn read_quicklist_node(&mut self, v2: bool) -> Result<()> {
        let inp = &mut self.input;
        let container = if v2 {
            let at = inp.offset();
            let c = read_len(inp, "a quicklist node container")?;
            if c != f::QUICKLIST_NODE_PLAIN && c != f::QUICKLIST_NODE_PACKED {
                return Err(Error::corrupt(
                    at,
                    "a quicklist container of 1 (plain) or 2 (packed)",
                ));
            }
            c
        } else {
            f::QUICKLIST_NODE_PACKED
        };
        let blob_at = inp.offset();
        let blob = read_string(inp, "a quicklist node")?;
        if blob.is_empty() {
            return Err(Error::corrupt(blob_at, "a non-empty quicklist node"));
        }
        if container == f::QUICKLIST_NODE_PLAIN {
            self.queue.push_back(Item::ListElement(blob));
        } else if v2 {
            listpack::validate(&blob).map_err(|e| Error::in_blob(blob_at, "listpack", e))?;
            if self.emit {
                self.queue.extend(
                    listpack::Iter::over_validated(&blob).map(|e| Item::ListElement(e.to_vec())),
                );
            }
        } else {
            let elems =
                ziplist::decode(&blob).map_err(|e| Error::in_blob(blob_at, "ziplist", e))?;
            if self.emit {
                self.queue
                    .extend(elems.into_iter().map(|e| Item::ListElement(e.to_vec())));
            }
        }
        Ok(())
    }

    fn read_stream_node(&mut self) -> Result<()> {
        let inp = &mut self.input;
        let key_at = inp.offset();
        let key = read_string(inp, "a stream node master ID")?;
        let raw: [u8; 16] = key
            .as_slice()
            .try_into()
            .map_err(|_| Error::corrupt(key_at, "a 16-byte stream node master ID"))?;
        let blob_at = inp.offset();
        let blob = read_string(inp, "a stream node listpack")?;
        let master = StreamId::from_raw(&raw);
        let in_blob = |e| Error::in_blob(blob_at, "stream node listpack", e);
        if self.emit && self.opts.raw_stream_nodes {
            self.queue.push_back(Item::StreamNode {
                master,
                listpack: blob,
            });
        } else if self.emit {
            let queue = &mut self.queue;
            stream::walk_node(master, &blob, |id, fields| {
                let fields = fields
                    .iter()
                    .map(|(f, v)| (f.to_vec(), v.to_vec()))
                    .collect();
                queue.push_back(Item::StreamEntry(StreamEntry { id, fields }));
            })
            .map_err(in_blob)?;
        } else {
            stream::walk_node(master, &blob, |_, _| {}).map_err(in_blob)?;
        }
        Ok(())
    }

    fn read_stream_meta(&mut self, t: u8) -> Result<StreamMeta> {
        let inp = &mut self.input;
        let length = read_len(inp, "the stream length")?;
        let last_id = read_id_lens(inp, "the stream last ID")?;
        let mut meta = StreamMeta {
            length,
            last_id,
            ..Default::default()
        };
        if t >= f::STREAM_LISTPACKS_2 {
            meta.first_id = Some(read_id_lens(inp, "the stream first ID")?);
            meta.max_deleted_id = Some(read_id_lens(inp, "the stream max deleted ID")?);
            meta.entries_added = Some(read_len(inp, "the stream entries-added counter")?);
        }
        Ok(meta)
    }

    fn read_group(&mut self, t: u8) -> Result<ConsumerGroup> {
        let inp = &mut self.input;
        let name = read_string(inp, "a consumer group name")?;
        let last_id = read_id_lens(inp, "a consumer group last ID")?;
        let entries_read = if t >= f::STREAM_LISTPACKS_2 {
            Some(read_len(inp, "a consumer group entries-read")? as i64)
        } else {
            None
        };
        let pel_len = read_len(inp, "a consumer group PEL size")?;
        let mut pending = Vec::new();
        for _ in 0..pel_len {
            let id = StreamId::from_raw(&inp.read_array("a PEL entry ID")?);
            let delivery_time_ms = read_ms_time(inp, "a PEL delivery time")?;
            let delivery_count = read_len(inp, "a PEL delivery count")?;
            pending.push(PendingEntry {
                id,
                delivery_time_ms,
                delivery_count,
            });
        }
        let n_consumers = read_len(inp, "a consumer count")?;
        let mut consumers = Vec::new();
        for _ in 0..n_consumers {
            let name = read_string(inp, "a consumer name")?;
            let seen_time_ms = read_ms_time(inp, "a consumer seen time")?;
            let active_time_ms = if t >= f::STREAM_LISTPACKS_3 {
                Some(read_ms_time(inp, "a consumer active time")?)
            } else {
                None
            };
            let n = read_len(inp, "a consumer PEL size")?;
            let mut ids = Vec::new();
            for _ in 0..n {
                let at = inp.offset();
                let id = StreamId::from_raw(&inp.read_array("a consumer PEL entry ID")?);
                if pending.binary_search_by(|p| p.id.cmp(&id)).is_err()
                    && !pending.iter().any(|p| p.id == id)
                {
                    return Err(Error::corrupt(
                        at,
                        "a consumer PEL ID present in the group PEL",
                    ));
                }
                ids.push(id);
            }
            consumers.push(Consumer {
                name,
                seen_time_ms,
                active_time_ms,
                pending: ids,
            });
        }
        Ok(ConsumerGroup {
            name,
            last_id,
            entries_read,
            pending,
            consumers,
        })
    }

    /// After an [`Event::Key`], collects the value's items up to [`Event::EndKey`].
    pub fn read_value(&mut self, header: &KeyHeader) -> Result<Value> {
        let mut acc = Accumulator::new(header.value_type());
        loop {
            let at = self.offset();
            match self.next_event()? {
                Some(Event::Item(item)) => acc.push(item),
                Some(Event::EndKey) => return Ok(acc.finish()),
                _ => {
                    self.state = State::Done;
                    return Err(Error::corrupt(at, "the rest of the current key's value"));
                }
            }
        }
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Event>;
    fn next(&mut self) -> Option<Result<Event>> {
        self.next_event().transpose()
    }
}

fn read_id_lens<R: RdbRead + ?Sized>(r: &mut R, what: &str) -> Result<StreamId> {
    let ms = read_len(r, what)?;
    let seq = read_len(r, what)?;
    Ok(StreamId { ms, seq })
}

/// Reads an opcode-tagged module body up to its EOF opcode and returns its raw bytes.
fn read_module_body<R: Read>(inp: &mut StreamInput<R>) -> Result<Vec<u8>> {
    inp.start_capture();
    let r = (|| loop {
        let at = inp.offset();
        match read_len(inp, "a module value opcode")? {
            f::MODULE_OPCODE_EOF => return Ok(()),
            f::MODULE_OPCODE_SINT | f::MODULE_OPCODE_UINT => {
                read_len(inp, "a module integer")?;
            }
            f::MODULE_OPCODE_FLOAT => {
                inp.read_array::<4>("a module float")?;
            }
            f::MODULE_OPCODE_DOUBLE => {
                inp.read_array::<8>("a module double")?;
            }
            f::MODULE_OPCODE_STRING => {
                read_string(inp, "a module string")?;
            }
            other => {
                return Err(Error::corrupt(
                    at,
                    format!("a module opcode 0..5, found {other}"),
                ))
            }
        }
    })();
    let payload = inp.take_capture();
    r.map(|()| payload)
}

fn score_of(e: &Entry<'_>) -> Option<f64> {
    match *e {
        Entry::Int(i) => Some(i as f64),
        Entry::Str(s) => parse_f64(s).filter(|v| !v.is_nan()),
    }
}

/// Turns the elements of a ziplist/listpack-encoded value into items (only validates them when
/// `emit` is false). Returns the number of items.
fn push_packed<'a>(
    queue: &mut VecDeque<Item>,
    emit: bool,
    t: u8,
    mut elems: impl Iterator<Item = Entry<'a>>,
    blob_at: u64,
    what: &str,
) -> Result<u64> {
    let mut n = 0u64;
    match t {
        f::LIST_ZIPLIST | f::SET_LISTPACK => {
            for e in elems {
                n += 1;
                if emit {
                    let v = e.to_vec();
                    queue.push_back(if t == f::LIST_ZIPLIST {
                        Item::ListElement(v)
                    } else {
                        Item::SetMember(v)
                    });
                }
            }
        }
        f::HASH_ZIPLIST | f::HASH_LISTPACK | f::ZSET_ZIPLIST | f::ZSET_LISTPACK => {
            let hash = t == f::HASH_ZIPLIST || t == f::HASH_LISTPACK;
            // Bounded by the (finite, validated) blob's elements.
            while let Some(first) = elems.next() {
                let Some(second) = elems.next() else {
                    return Err(Error::corrupt(
                        blob_at,
                        format!("a {what} with an even number of elements"),
                    ));
                };
                n += 1;
                if hash {
                    if emit {
                        queue.push_back(Item::HashField {
                            field: first.to_vec(),
                            value: second.to_vec(),
                        });
                    }
                } else {
                    let score = score_of(&second).ok_or_else(|| {
                        Error::corrupt(blob_at, format!("a {what} of members and numeric scores"))
                    })?;
                    if emit {
                        queue.push_back(Item::ZSetMember {
                            member: first.to_vec(),
                            score,
                        });
                    }
                }
            }
        }
        _ => return Err(Error::corrupt(blob_at, "a packed value type")),
    }
    Ok(n)
}

/// Gathers items into a [`Value`].
pub struct Accumulator {
    value: Value,
}

impl Accumulator {
    pub fn new(t: ValueType) -> Self {
        let value = match t {
            ValueType::String => Value::String(Vec::new()),
            ValueType::List => Value::List(Vec::new()),
            ValueType::Set => Value::Set(Vec::new()),
            ValueType::SortedSet => Value::SortedSet(Vec::new()),
            ValueType::Hash => Value::Hash(Vec::new()),
            ValueType::Stream => Value::Stream(Box::default()),
            ValueType::Module => Value::Module(ModuleValue {
                id: ModuleId(0),
                payload: Vec::new(),
            }),
        };
        Accumulator { value }
    }

    pub fn push(&mut self, item: Item) {
        match (&mut self.value, item) {
            (Value::String(s), Item::String(v)) => *s = v,
            (Value::List(l), Item::ListElement(v)) => l.push(v),
            (Value::Set(l), Item::SetMember(v)) => l.push(v),
            (Value::SortedSet(z), Item::ZSetMember { member, score }) => z.push((member, score)),
            (Value::Hash(h), Item::HashField { field, value }) => h.push((field, value)),
            (Value::Stream(s), Item::StreamEntry(e)) => s.entries.push(e),
            (Value::Stream(s), Item::StreamNode { master, listpack }) => {
                s.nodes.push((master, listpack))
            }
            (Value::Stream(s), Item::StreamMeta(m)) => s.meta = m,
            (Value::Stream(s), Item::StreamGroup(g)) => s.groups.push(g),
            (Value::Module(m), Item::Module(v)) => *m = v,
            _ => {}
        }
    }

    pub fn finish(self) -> Value {
        self.value
    }
}

/// A whole file in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct RdbFile {
    pub version: u32,
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    pub module_aux: Vec<ModuleAux>,
    pub functions: Vec<Vec<u8>>,
    pub records: Vec<Record>,
    pub trailer: Trailer,
}

/// Reads a whole RDB from `r`.
pub fn read_all<R: Read>(r: R) -> Result<RdbFile> {
    let mut rd = Reader::new(r)?;
    let mut file = RdbFile {
        version: rd.version(),
        aux: Vec::new(),
        module_aux: Vec::new(),
        functions: Vec::new(),
        records: Vec::new(),
        trailer: Trailer {
            checksum: Checksum::Absent,
            end_offset: 0,
        },
    };
    loop {
        let at = rd.offset();
        match rd.next_event()? {
            Some(Event::Aux { key, value }) => file.aux.push((key, value)),
            Some(Event::ModuleAux(m)) => file.module_aux.push(m),
            Some(Event::Function { code }) => file.functions.push(code),
            Some(Event::SelectDb { .. }) | Some(Event::ResizeDb { .. }) => {}
            Some(Event::Key(h)) => {
                let value = rd.read_value(&h)?;
                file.records.push(Record {
                    db: h.db,
                    key: h.key,
                    meta: h.meta,
                    rdb_type: h.rdb_type,
                    value,
                });
            }
            Some(Event::Eof(t)) => {
                file.trailer = t;
                return Ok(file);
            }
            Some(Event::Item(_)) | Some(Event::EndKey) | None => {
                return Err(Error::corrupt(at, "an opcode"))
            }
        }
    }
}

/// Parses an RDB held in memory.
pub fn parse(bytes: &[u8]) -> Result<RdbFile> {
    read_all(bytes)
}

/// Reads an RDB file from disk (streamed, but the result holds every key).
pub fn read_path(path: impl AsRef<Path>) -> Result<RdbFile> {
    let f = std::fs::File::open(path).map_err(|e| Error::Io {
        offset: 0,
        source: e,
    })?;
    read_all(f)
}

/// Decodes a `DUMP` payload: `<type> <value> <RDB version u16 LE> <CRC64 LE of all before>`.
/// Returns the RDB type byte and the value.
pub fn decode_dump_payload(payload: &[u8]) -> Result<(u8, Value)> {
    if payload.len() < 11 {
        return Err(Error::truncated(
            payload.len() as u64,
            "a DUMP payload of at least 11 bytes",
        ));
    }
    let n = payload.len();
    let version = u16::from_le_bytes([payload[n - 10], payload[n - 9]]) as u32;
    let mut crc = [0u8; 8];
    crc.copy_from_slice(&payload[n - 8..]);
    let stored = u64::from_le_bytes(crc);
    let computed = crc64::crc64(&payload[..n - 8]);
    if stored != 0 && stored != computed {
        return Err(Error::Checksum {
            offset: (n - 8) as u64,
            stored,
            computed,
        });
    }
    if version > f::MAX_VERSION {
        return Err(Error::corrupt(
            (n - 10) as u64,
            format!("a DUMP RDB version up to {}", f::MAX_VERSION),
        ));
    }
    let body = &payload[..n - 10];
    let mut rd = Reader::for_value(body, version);
    let t = rd.input.read_u8("a value type")?;
    if f::value_type(t).is_none() {
        return Err(Error::corrupt(0, format!("a known value type, found {t}")));
    }
    let len_hint = rd.begin_value(t)?;
    let header = KeyHeader {
        db: 0,
        key: Vec::new(),
        rdb_type: t,
        meta: KeyMeta::default(),
        offset: 0,
        len_hint,
    };
    let value = rd.read_value(&header)?;
    if rd.offset() != body.len() as u64 {
        return Err(Error::corrupt(rd.offset(), "the end of the DUMP value"));
    }
    Ok((t, value))
}
