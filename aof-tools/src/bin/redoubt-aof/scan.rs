//! Walks every file of an AOF in load order and hands each command to a visitor, with its file,
//! offsets, time (last `#TS:` seen) and database (tracking SELECT like Redis's loader: every file's
//! command part starts in db 0, because Redis loads each file with a fresh client).
//!
//! With `expand_base`, an RDB preamble becomes commands too (what `replay` sends): each key a
//! `RESTORE key <abs-expire-ms|0> <DUMP payload> REPLACE ABSTTL` in its database, each function
//! library a `FUNCTION LOAD REPLACE <code>`. DUMP payloads are made by `redoubt-rdb`'s encoder at
//! RDB version 10, which Redis 7.0 and later accept. Module values cannot be re-encoded and stop
//! the scan with an error.

use std::fs::File;
use std::io::BufReader;

use redoubt_aof::command::Item;
use redoubt_aof::layout::{AofPart, AofSource, PartReader, RdbPreamble};
use redoubt_rdb::reader::{Event as RdbEvent, Reader as RdbReader};
use redoubt_rdb::value::Value;
use redoubt_rdb::writer::{encode_dump_payload, WriterOptions};

/// One command of the log.
#[derive(Debug, Clone)]
pub struct Record {
    /// Index of the file in load order.
    pub part: usize,
    /// Offset of the command in its file (for a key of an RDB preamble, its type byte).
    pub offset: u64,
    /// Offset in the files concatenated in load order.
    pub global: u64,
    /// The last `#TS:` before the command.
    pub ts: Option<i64>,
    pub db: u64,
    pub args: Vec<Vec<u8>>,
    /// True for commands made from an RDB preamble.
    pub from_base: bool,
}

/// What the visitor sees.
pub enum Event<'a> {
    /// A file starts; `preamble` when it begins with an RDB.
    Part {
        part: &'a AofPart,
        size: u64,
        preamble: Option<&'a RdbPreamble>,
    },
    /// A `#TS:` annotation.
    Timestamp {
        unix: i64,
    },
    Record(Record),
}

/// The visitor's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Why a scan stopped early.
#[derive(Debug, Clone)]
pub struct ScanError {
    pub file: String,
    pub offset: u64,
    pub message: String,
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}: {}", self.file, self.offset, self.message)
    }
}

/// The files of a source and how to walk them.
pub struct Scanner {
    pub parts: Vec<AofPart>,
    pub names: Vec<String>,
    pub expand_base: bool,
}

impl Scanner {
    pub fn new(source: &AofSource) -> Scanner {
        let parts = source.parts();
        let names = parts.iter().map(|p| p.name.clone()).collect();
        Scanner {
            parts,
            names,
            expand_base: false,
        }
    }

    /// Walks everything; returns early (Ok) when the visitor says Stop.
    pub fn run(&self, mut visit: impl FnMut(Event) -> Flow) -> Result<(), ScanError> {
        let mut ts: Option<i64> = None;
        let mut base_global = 0u64;
        for (index, part) in self.parts.iter().enumerate() {
            let err = |offset: u64, message: String| ScanError {
                file: part.name.clone(),
                offset,
                message,
            };
            let mut pr = PartReader::open(part).map_err(|e| {
                let off = match &e {
                    redoubt_aof::layout::PartError::Rdb(r) => r.offset().unwrap_or(0),
                    _ => 0,
                };
                err(off, e.to_string())
            })?;
            let flow = visit(Event::Part {
                part,
                size: pr.size,
                preamble: pr.preamble.as_ref(),
            });
            if flow == Flow::Stop {
                return Ok(());
            }
            if self.expand_base && pr.preamble.is_some() {
                let flow = self.expand_preamble(index, part, base_global, &mut visit)?;
                if flow == Flow::Stop {
                    return Ok(());
                }
            }
            let mut db = 0u64;
            // Bounded by the file: every item consumes bytes.
            loop {
                match pr.commands.next() {
                    Ok(None) => break,
                    Ok(Some(Item::Timestamp { unix, .. })) => {
                        ts = Some(unix);
                        if visit(Event::Timestamp { unix }) == Flow::Stop {
                            return Ok(());
                        }
                    }
                    Ok(Some(Item::Command { offset, args })) => {
                        if args[0].eq_ignore_ascii_case(b"select") {
                            if let Some(n) = args
                                .get(1)
                                .and_then(|a| std::str::from_utf8(a).ok())
                                .and_then(|a| a.parse::<u64>().ok())
                            {
                                db = n;
                            }
                        }
                        let rec = Record {
                            part: index,
                            offset,
                            global: base_global + offset,
                            ts,
                            db,
                            args,
                            from_base: false,
                        };
                        if visit(Event::Record(rec)) == Flow::Stop {
                            return Ok(());
                        }
                    }
                    Err(e) => return Err(err(e.offset, e.to_string())),
                }
            }
            base_global += pr.size;
        }
        Ok(())
    }

    fn expand_preamble(
        &self,
        index: usize,
        part: &AofPart,
        base_global: u64,
        visit: &mut impl FnMut(Event) -> Flow,
    ) -> Result<Flow, ScanError> {
        let err = |offset: u64, message: String| ScanError {
            file: part.name.clone(),
            offset,
            message,
        };
        let f = File::open(&part.path).map_err(|e| err(0, e.to_string()))?;
        let mut rd = RdbReader::new(BufReader::new(f))
            .map_err(|e| err(e.offset().unwrap_or(0), e.to_string()))?;
        let opts = WriterOptions::version(10);
        // Bounded by the file: every event consumes bytes.
        loop {
            let ev = rd
                .next_event()
                .map_err(|e| err(e.offset().unwrap_or(0), e.to_string()))?;
            let (offset, db, args) = match ev {
                None | Some(RdbEvent::Eof(_)) => return Ok(Flow::Continue),
                Some(RdbEvent::Function { code }) => (
                    rd.offset(),
                    0,
                    vec![
                        b"FUNCTION".to_vec(),
                        b"LOAD".to_vec(),
                        b"REPLACE".to_vec(),
                        code,
                    ],
                ),
                Some(RdbEvent::Key(h)) => {
                    let value = rd
                        .read_value(&h)
                        .map_err(|e| err(e.offset().unwrap_or(h.offset), e.to_string()))?;
                    if let Value::Module(m) = &value {
                        return Err(err(
                            h.offset,
                            format!(
                                "key {:?} holds a value of module {}: cannot be replayed; load the base \
                                 file into the target first (e.g. copy it as dump.rdb)",
                                String::from_utf8_lossy(&h.key),
                                m.id.name()
                            ),
                        ));
                    }
                    let payload = encode_dump_payload(&value, opts)
                        .map_err(|e| err(h.offset, format!("cannot encode a DUMP payload: {e}")))?;
                    let ttl = h.meta.expire_ms.unwrap_or(0).max(0);
                    (
                        h.offset,
                        h.db,
                        vec![
                            b"RESTORE".to_vec(),
                            h.key,
                            ttl.to_string().into_bytes(),
                            payload,
                            b"REPLACE".to_vec(),
                            b"ABSTTL".to_vec(),
                        ],
                    )
                }
                Some(RdbEvent::ModuleAux(m)) => {
                    return Err(err(
                        rd.offset(),
                        format!(
                        "module aux data of {}: cannot be replayed; load the base file into the \
                             target first",
                        m.id.name()
                    ),
                    ))
                }
                Some(_) => continue,
            };
            let rec = Record {
                part: index,
                offset,
                global: base_global + offset,
                ts: None,
                db,
                args,
                from_base: true,
            };
            if visit(Event::Record(rec)) == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
    }
}

/// Keeps a target (a RESP dump, a live server) in the database of the commands sent to it: SELECTs
/// of the log are dropped and a `SELECT n` is made before the first command of another database.
#[derive(Debug, Default)]
pub struct SelectSynth {
    current: u64,
}

impl SelectSynth {
    /// True when `r` is a SELECT of the log (not to be forwarded as such).
    pub fn is_select(r: &Record) -> bool {
        r.args[0].eq_ignore_ascii_case(b"select")
    }

    /// The SELECT to send before `r`, if its db differs from the target's.
    pub fn before(&mut self, r: &Record) -> Option<Vec<Vec<u8>>> {
        if r.db == self.current {
            return None;
        }
        self.current = r.db;
        Some(vec![b"SELECT".to_vec(), r.db.to_string().into_bytes()])
    }
}
