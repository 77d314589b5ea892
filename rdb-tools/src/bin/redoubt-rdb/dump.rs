//! `dump FILE --format json|jsonl|resp|csv`: every selected key, streamed event by event so memory
//! stays constant whatever the file size.
//!
//! - `json`: one array of key objects `{"db","key","type","encoding","expire_ms"?,"value"}`; values
//!   are a string, an array (list, set), an array of `[member, score]` (sorted set), an object
//!   (hash), `{"entries":[{"id","fields"}],"length","last_id",...,"groups"}` (stream) or
//!   `{"module","encver","payload_hex"}`.
//! - `jsonl`: the same objects, one per line.
//! - `resp`: the commands that rebuild the data (SELECT, SET/RPUSH/SADD/ZADD/HSET/XADD, stream
//!   groups via XGROUP/XCLAIM/XSETID, PEXPIREAT for TTLs, FUNCTION LOAD), for `redis-cli --pipe`.
//! - `csv`: `db,key,type,encoding,expire_ms,field,value`, one row per element.

use std::fmt::Write as _;
use std::io::Write;

use redoubt_rdb::reader::{Event, Item, KeyHeader, Reader};
use redoubt_rdb::stream::{ConsumerGroup, StreamId, StreamMeta};
use redoubt_rdb::value::ValueType;

use crate::filter::Filter;
use crate::text::{csv_field, json_str, score};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Jsonl,
    Resp,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "json" => Format::Json,
            "jsonl" => Format::Jsonl,
            "resp" => Format::Resp,
            "csv" => Format::Csv,
            _ => return None,
        })
    }
}

/// A score as a JSON number (`%.17g`), or as a string for inf/nan which JSON cannot hold.
fn push_json_num(out: &mut String, v: f64) {
    if v.is_finite() {
        redoubt_rdb::number::push_g17(out, v);
    } else {
        out.push('"');
        redoubt_rdb::number::push_g17(out, v);
        out.push('"');
    }
}

fn resp_cmd(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// State of the key being written.
struct Current {
    header: KeyHeader,
    count: u64,
    /// RESP: pending variadic arguments of the current batch.
    batch: Vec<Vec<u8>>,
    stream_entries: u64,
}

pub struct Dumper<W: Write> {
    out: W,
    format: Format,
    filter: Filter,
    buf: Vec<u8>,
    s: String,
    first_key: bool,
    db: Option<u64>,
    cur: Option<Current>,
    pub keys: u64,
}

const RESP_BATCH: usize = 128;

impl<W: Write> Dumper<W> {
    pub fn new(out: W, format: Format, filter: Filter) -> Self {
        Dumper {
            out,
            format,
            filter,
            buf: Vec::new(),
            s: String::new(),
            first_key: true,
            db: None,
            cur: None,
            keys: 0,
        }
    }

    fn flush_text(&mut self) -> std::io::Result<()> {
        if !self.s.is_empty() {
            self.out.write_all(self.s.as_bytes())?;
            self.s.clear();
        }
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    pub fn run<R: std::io::Read>(mut self, rd: &mut Reader<R>) -> Result<u64, String> {
        if self.format == Format::Json {
            self.s.push('[');
        }
        if self.format == Format::Csv {
            self.s
                .push_str("db,key,type,encoding,expire_ms,field,value\n");
        }
        let mut skipping = false;
        loop {
            let ev = rd.next_event().map_err(|e| e.to_string())?;
            let Some(ev) = ev else { break };
            match ev {
                Event::Key(h) => {
                    skipping = !self.filter.accepts(&h);
                    if !skipping {
                        self.key_start(h);
                    }
                }
                Event::Item(item) if !skipping => self.item(item),
                Event::EndKey if !skipping => self.key_end(),
                Event::Function { code } if self.format == Format::Resp => {
                    resp_cmd(&mut self.buf, &[b"FUNCTION", b"LOAD", b"REPLACE", &code])
                }
                _ => {}
            }
            if self.s.len() + self.buf.len() > 1 << 16 {
                self.flush_text().map_err(|e| e.to_string())?;
            }
        }
        match self.format {
            Format::Json if self.first_key => self.s.push_str("]\n"),
            Format::Json => self.s.push_str("\n]\n"),
            _ => {}
        }
        self.flush_text().map_err(|e| e.to_string())?;
        self.out.flush().map_err(|e| e.to_string())?;
        Ok(self.keys)
    }

    fn key_start(&mut self, h: KeyHeader) {
        self.keys += 1;
        match self.format {
            Format::Json | Format::Jsonl => {
                if self.format == Format::Json {
                    self.s.push_str(if self.first_key { "\n" } else { ",\n" });
                }
                let _ = write!(self.s, "{{\"db\":{},\"key\":", h.db);
                json_str(&mut self.s, &h.key);
                self.s.push_str(",\"type\":\"");
                self.s.push_str(h.value_type().name());
                self.s.push_str("\",\"encoding\":\"");
                self.s.push_str(h.encoding());
                self.s.push('"');
                if let Some(e) = h.meta.expire_ms {
                    let _ = write!(self.s, ",\"expire_ms\":{e}");
                }
                self.s.push_str(",\"value\":");
                self.s.push_str(match h.value_type() {
                    ValueType::List | ValueType::Set | ValueType::SortedSet => "[",
                    ValueType::Hash => "{",
                    ValueType::Stream => "{\"entries\":[",
                    ValueType::String | ValueType::Module => "",
                });
            }
            Format::Resp => {
                if self.db != Some(h.db) {
                    resp_cmd(&mut self.buf, &[b"SELECT", h.db.to_string().as_bytes()]);
                    self.db = Some(h.db);
                }
            }
            Format::Csv => {}
        }
        self.first_key = false;
        self.cur = Some(Current {
            header: h,
            count: 0,
            batch: Vec::new(),
            stream_entries: 0,
        });
    }

    fn csv_row(&mut self, field: &[u8], value: &[u8]) {
        let Some(c) = self.cur.as_ref() else { return };
        let h = &c.header;
        self.s.push_str(&h.db.to_string());
        self.s.push(',');
        csv_field(&mut self.s, &h.key);
        self.s.push_str(&format!(
            ",{},{},{},",
            h.value_type().name(),
            h.encoding(),
            h.meta.expire_ms.map(|e| e.to_string()).unwrap_or_default()
        ));
        csv_field(&mut self.s, field);
        self.s.push(',');
        csv_field(&mut self.s, value);
        self.s.push('\n');
    }

    fn resp_flush_batch(&mut self) {
        let Some(c) = self.cur.as_mut() else { return };
        if c.batch.is_empty() {
            return;
        }
        let cmd: &[u8] = match c.header.value_type() {
            ValueType::List => b"RPUSH",
            ValueType::Set => b"SADD",
            ValueType::SortedSet => b"ZADD",
            ValueType::Hash => b"HSET",
            _ => return,
        };
        let mut args: Vec<&[u8]> = vec![cmd, &c.header.key];
        args.extend(c.batch.iter().map(|b| b.as_slice()));
        resp_cmd(&mut self.buf, &args);
        c.batch.clear();
    }

    fn item(&mut self, item: Item) {
        let Some(c) = self.cur.as_mut() else { return };
        let first = c.count == 0;
        c.count += 1;
        let idx = c.count - 1;
        match self.format {
            Format::Json | Format::Jsonl => {
                let sep = if first { "" } else { "," };
                match item {
                    Item::String(v) => json_str(&mut self.s, &v),
                    Item::ListElement(v) | Item::SetMember(v) => {
                        self.s.push_str(sep);
                        json_str(&mut self.s, &v);
                    }
                    Item::ZSetMember { member, score: sc } => {
                        self.s.push_str(sep);
                        self.s.push('[');
                        json_str(&mut self.s, &member);
                        self.s.push(',');
                        push_json_num(&mut self.s, sc);
                        self.s.push(']');
                    }
                    Item::HashField { field, value } => {
                        self.s.push_str(sep);
                        json_str(&mut self.s, &field);
                        self.s.push(':');
                        json_str(&mut self.s, &value);
                    }
                    Item::StreamEntry(e) => {
                        self.s.push_str(sep);
                        let _ = write!(
                            self.s,
                            "{{\"id\":\"{}-{}\",\"fields\":{{",
                            e.id.ms, e.id.seq
                        );
                        for (i, (k, v)) in e.fields.iter().enumerate() {
                            if i > 0 {
                                self.s.push(',');
                            }
                            json_str(&mut self.s, k);
                            self.s.push(':');
                            json_str(&mut self.s, v);
                        }
                        self.s.push_str("}}");
                    }
                    // Only a reader asked for raw stream nodes produces them.
                    Item::StreamNode { .. } => {}
                    Item::StreamMeta(m) => {
                        self.s.push_str(&format!(
                            "],\"length\":{},\"last_id\":\"{}\"",
                            m.length, m.last_id
                        ));
                        if let (Some(f), Some(d), Some(a)) =
                            (m.first_id, m.max_deleted_id, m.entries_added)
                        {
                            self.s.push_str(&format!(",\"first_id\":\"{f}\",\"max_deleted_id\":\"{d}\",\"entries_added\":{a}"));
                        }
                        self.s.push_str(",\"groups\":[");
                        if let Some(c) = self.cur.as_mut() {
                            c.count = 0;
                        }
                    }
                    Item::StreamGroup(g) => {
                        self.s.push_str(sep);
                        json_group(&mut self.s, &g);
                    }
                    Item::Module(m) => {
                        let hex: String = m.payload.iter().map(|b| format!("{b:02x}")).collect();
                        self.s.push_str(&format!(
                            "{{\"module\":\"{}\",\"encver\":{},\"payload_hex\":\"{hex}\"}}",
                            m.id.name(),
                            m.id.encver()
                        ));
                    }
                }
            }
            Format::Csv => match item {
                Item::String(v) => self.csv_row(b"", &v),
                Item::ListElement(v) => self.csv_row(idx.to_string().as_bytes(), &v),
                Item::SetMember(v) => self.csv_row(b"", &v),
                Item::ZSetMember { member, score: sc } => {
                    self.csv_row(&member, score(sc).as_bytes())
                }
                Item::HashField { field, value } => self.csv_row(&field, &value),
                Item::StreamEntry(e) => {
                    let mut v = Vec::new();
                    for (i, (k, val)) in e.fields.iter().enumerate() {
                        if i > 0 {
                            v.push(b' ');
                        }
                        v.extend_from_slice(k);
                        v.push(b'=');
                        v.extend_from_slice(val);
                    }
                    self.csv_row(e.id.to_string().as_bytes(), &v)
                }
                Item::Module(m) => self.csv_row(
                    m.id.name().as_bytes(),
                    format!("<{} bytes>", m.payload.len()).as_bytes(),
                ),
                Item::StreamMeta(_) | Item::StreamGroup(_) | Item::StreamNode { .. } => {}
            },
            Format::Resp => self.resp_item(item),
        }
    }

    fn resp_item(&mut self, item: Item) {
        let Some(c) = self.cur.as_mut() else { return };
        let key = c.header.key.clone();
        match item {
            Item::String(v) => resp_cmd(&mut self.buf, &[b"SET", &key, &v]),
            Item::ListElement(v) | Item::SetMember(v) => c.batch.push(v),
            Item::ZSetMember { member, score: sc } => {
                c.batch.push(score(sc).into_bytes());
                c.batch.push(member);
            }
            Item::HashField { field, value } => {
                c.batch.push(field);
                c.batch.push(value);
            }
            Item::StreamEntry(e) => {
                c.stream_entries += 1;
                let id = e.id.to_string();
                let mut args: Vec<&[u8]> = vec![b"XADD", &key, id.as_bytes()];
                for (k, v) in &e.fields {
                    args.push(k);
                    args.push(v);
                }
                resp_cmd(&mut self.buf, &args);
            }
            // Only a reader asked for raw stream nodes produces them.
            Item::StreamNode { .. } => {}
            Item::StreamMeta(m) => {
                let entries = c.stream_entries;
                resp_stream_meta(&mut self.buf, &key, &m, entries);
            }
            Item::StreamGroup(g) => resp_group(&mut self.buf, &key, &g),
            Item::Module(m) => eprintln!(
                "redoubt-rdb: skipping module value of key {:?} (module {})",
                String::from_utf8_lossy(&key),
                m.id.name()
            ),
        }
        if self
            .cur
            .as_ref()
            .is_some_and(|c| c.batch.len() >= RESP_BATCH * 2)
        {
            self.resp_flush_batch();
        }
    }

    fn key_end(&mut self) {
        match self.format {
            Format::Json | Format::Jsonl => {
                if let Some(c) = self.cur.as_ref() {
                    self.s.push_str(match c.header.value_type() {
                        ValueType::List | ValueType::Set | ValueType::SortedSet => "]",
                        ValueType::Hash => "}",
                        ValueType::Stream => "]}",
                        ValueType::String | ValueType::Module => "",
                    });
                }
                self.s.push('}');
                if self.format == Format::Jsonl {
                    self.s.push('\n');
                }
            }
            Format::Resp => {
                self.resp_flush_batch();
                if let Some(c) = self.cur.as_ref() {
                    if let Some(ms) = c.header.meta.expire_ms {
                        if c.count > 0 {
                            resp_cmd(
                                &mut self.buf,
                                &[b"PEXPIREAT", &c.header.key, ms.to_string().as_bytes()],
                            );
                        }
                    }
                }
            }
            Format::Csv => {}
        }
        self.cur = None;
    }
}

fn json_group(s: &mut String, g: &ConsumerGroup) {
    s.push_str("{\"name\":");
    json_str(s, &g.name);
    s.push_str(&format!(",\"last_id\":\"{}\"", g.last_id));
    if let Some(r) = g.entries_read {
        s.push_str(&format!(",\"entries_read\":{r}"));
    }
    s.push_str(",\"pending\":[");
    for (i, p) in g.pending.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            "{{\"id\":\"{}\",\"delivery_time_ms\":{},\"delivery_count\":{}}}",
            p.id, p.delivery_time_ms, p.delivery_count
        ));
    }
    s.push_str("],\"consumers\":[");
    for (i, c) in g.consumers.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str("{\"name\":");
        json_str(s, &c.name);
        s.push_str(&format!(",\"seen_time_ms\":{}", c.seen_time_ms));
        if let Some(a) = c.active_time_ms {
            s.push_str(&format!(",\"active_time_ms\":{a}"));
        }
        let ids: Vec<String> = c.pending.iter().map(|id| format!("\"{id}\"")).collect();
        s.push_str(&format!(",\"pending\":[{}]}}", ids.join(",")));
    }
    s.push_str("]}");
}

fn resp_stream_meta(out: &mut Vec<u8>, key: &[u8], m: &StreamMeta, entries: u64) {
    if entries == 0 {
        // An empty stream cannot be made with XADD: create it through a throw-away group.
        resp_cmd(
            out,
            &[
                b"XGROUP",
                b"CREATE",
                key,
                b"redoubt-rdb-tmp",
                b"$",
                b"MKSTREAM",
            ],
        );
        resp_cmd(out, &[b"XGROUP", b"DESTROY", key, b"redoubt-rdb-tmp"]);
    }
    let last = m.last_id.to_string();
    let mut args: Vec<Vec<u8>> = vec![b"XSETID".to_vec(), key.to_vec(), last.into_bytes()];
    if let (Some(added), Some(maxdel)) = (m.entries_added, m.max_deleted_id) {
        args.extend([
            b"ENTRIESADDED".to_vec(),
            added.to_string().into_bytes(),
            b"MAXDELETEDID".to_vec(),
            maxdel.to_string().into_bytes(),
        ]);
    }
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    resp_cmd(out, &refs);
}

fn resp_group(out: &mut Vec<u8>, key: &[u8], g: &ConsumerGroup) {
    let last = g.last_id.to_string();
    let mut args: Vec<Vec<u8>> = vec![
        b"XGROUP".to_vec(),
        b"CREATE".to_vec(),
        key.to_vec(),
        g.name.clone(),
        last.into_bytes(),
    ];
    if let Some(r) = g.entries_read.filter(|r| *r >= 0) {
        args.extend([b"ENTRIESREAD".to_vec(), r.to_string().into_bytes()]);
    }
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    resp_cmd(out, &refs);
    for c in &g.consumers {
        resp_cmd(out, &[b"XGROUP", b"CREATECONSUMER", key, &g.name, &c.name]);
        for id in &c.pending {
            let Some(p) = g.pending.iter().find(|p| p.id == *id) else {
                continue;
            };
            let sid: StreamId = p.id;
            resp_cmd(
                out,
                &[
                    b"XCLAIM",
                    key,
                    &g.name,
                    &c.name,
                    b"0",
                    sid.to_string().as_bytes(),
                    b"TIME",
                    p.delivery_time_ms.to_string().as_bytes(),
                    b"RETRYCOUNT",
                    p.delivery_count.to_string().as_bytes(),
                    b"FORCE",
                    b"JUSTID",
                ],
            );
        }
    }
}
