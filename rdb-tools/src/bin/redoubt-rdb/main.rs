//! `redoubt-rdb`: look inside Redis and Redoubt RDB files without a server.
//!
//! Subcommands: `info`, `check`, `dump`, `convert`, `diff` (see `--help`). Exit code 0 on success;
//! otherwise a one-line reason on stderr and a non-zero code (1 = bad file, 2 = bad usage).

mod args;
mod dump;
mod filter;
mod info;
mod memory;
mod progress;
mod text;

use std::fs::File;
use std::io::{BufWriter, IsTerminal};
use std::process::ExitCode;

use redoubt_rdb::reader::{Checksum, Event, Reader, ReaderOptions};
use redoubt_rdb::value::{KeyMeta, Value};
use redoubt_rdb::writer::{Writer, WriterOptions};

use args::Args;
use filter::Filter;
use progress::Progress;

const USAGE: &str = "redoubt-rdb — inspect, check, dump and convert RDB files

USAGE:
  redoubt-rdb info FILE
  redoubt-rdb check FILE
  redoubt-rdb dump FILE [--format json|jsonl|resp|csv] [FILTERS]
  redoubt-rdb memory FILE [--format csv|table] [--top N] [--prefix-delimiter D] [FILTERS]
  redoubt-rdb convert IN OUT [--version 9|10|11] [--to rdb|aof] [FILTERS]
  redoubt-rdb diff A B [FILTERS]

FILTERS:
  --db N            only database N (repeatable)
  --key REGEX       only keys matching REGEX
  --type TYPE       only string|list|set|zset|hash|stream|module (repeatable)
  --not-expired     skip keys whose expire time has passed

Every subcommand accepts --help.";

fn sub_usage(cmd: &str) -> &'static str {
    match cmd {
        "info" => "redoubt-rdb info FILE\n  Version, AUX fields, per-db key counts by type and encoding, expiring keys, size, checksum status.",
        "check" => "redoubt-rdb check FILE\n  Validates the whole file (every encoding, CRC64); reports the first problem with its byte offset.",
        "dump" => "redoubt-rdb dump FILE [--format json|jsonl|resp|csv] [--db N] [--key REGEX] [--type TYPE] [--not-expired]\n  Writes every selected key to stdout. `resp` emits plain commands (with PEXPIREAT for TTLs) for `redis-cli --pipe`.",
        "memory" => "redoubt-rdb memory FILE [--format csv|table] [--top N] [--prefix-delimiter D] [--db N] [--key REGEX] [--type TYPE]\n  Estimated in-memory size, encoding, element count and largest element of every key (CSV like redis-rdb-tools),\n  or the N biggest keys (--top), or totals per key prefix up to the first D (--prefix-delimiter).",
        "convert" => "redoubt-rdb convert IN OUT [--version 9|10|11] [--to rdb|aof] [--db N] [--key REGEX] [--type TYPE] [--not-expired]\n  Re-encodes IN as an RDB of the given version (default 10), or as an AOF of plain commands (--to aof).",
        "diff" => "redoubt-rdb diff A B [--db N] [--key REGEX] [--type TYPE]\n  Lists keys only in A, only in B, and keys whose value or TTL differ. Exit code 1 when they differ.",
        _ => USAGE,
    }
}

pub(crate) enum Failure {
    Usage(String),
    Data(String),
    /// Already reported; just exit with this code.
    Quiet(u8),
}

pub(crate) fn open(path: &str, verify: bool) -> Result<Reader<Progress<File>>, Failure> {
    let f = File::open(path).map_err(|e| Failure::Data(format!("{path}: {e}")))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let show = std::io::stderr().is_terminal() && len > 64 << 20;
    Reader::with_options(
        Progress::new(f, len, show),
        ReaderOptions {
            verify_checksum: verify,
            ..ReaderOptions::default()
        },
    )
    .map_err(|e| Failure::Data(format!("{path}: {e}")))
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = argv.first().cloned() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if cmd == "--help" || cmd == "-h" || cmd == "help" {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let rest = &argv[1..];
    if rest.iter().any(|a| a == "--help" || a == "-h") {
        println!("{}", sub_usage(&cmd));
        return ExitCode::SUCCESS;
    }
    let filters = ["db", "key", "type"];
    let r = match cmd.as_str() {
        "info" => Args::parse(rest, &[], &[])
            .map_err(Failure::Usage)
            .and_then(|a| one_file(&a, "info").and_then(info::run)),
        "check" => Args::parse(rest, &[], &[])
            .map_err(Failure::Usage)
            .and_then(|a| one_file(&a, "check").and_then(check)),
        "dump" => Args::parse(rest, &["format", "db", "key", "type"], &["not-expired"])
            .map_err(Failure::Usage)
            .and_then(|a| dump_cmd(&a)),
        "memory" => Args::parse(
            rest,
            &["format", "top", "prefix-delimiter", "db", "key", "type"],
            &["not-expired"],
        )
        .map_err(Failure::Usage)
        .and_then(|a| memory::run(&a)),
        "convert" => Args::parse(
            rest,
            &["version", "to", "db", "key", "type"],
            &["not-expired"],
        )
        .map_err(Failure::Usage)
        .and_then(|a| convert(&a)),
        "diff" => Args::parse(rest, &filters, &["not-expired"])
            .map_err(Failure::Usage)
            .and_then(|a| diff(&a)),
        other => Err(Failure::Usage(format!(
            "unknown subcommand {other:?} (try --help)"
        ))),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(m)) => {
            eprintln!("redoubt-rdb: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Data(m)) => {
            eprintln!("redoubt-rdb: {m}");
            ExitCode::from(1)
        }
        Err(Failure::Quiet(c)) => ExitCode::from(c),
    }
}

pub(crate) fn one_file(a: &Args, cmd: &str) -> Result<String, Failure> {
    match a.positional.as_slice() {
        [f] => Ok(f.clone()),
        _ => Err(Failure::Usage(format!("{cmd} takes exactly one FILE"))),
    }
}

fn check(path: String) -> Result<(), Failure> {
    let mut rd = open(&path, true)?;
    rd.set_validate_only(true);
    let mut keys = 0u64;
    let err = |e: redoubt_rdb::Error| Failure::Data(format!("{path}: {e}"));
    while let Some(ev) = rd.next_event().map_err(err)? {
        match ev {
            Event::Key(_) => keys += 1,
            Event::Eof(t) => {
                let status = match t.checksum {
                    Checksum::Absent => "no checksum (RDB < 5)".to_string(),
                    Checksum::NotComputed => "checksum not computed (0)".to_string(),
                    Checksum::Verified(c) => format!("checksum {c:016x} OK"),
                    Checksum::Mismatch { stored, computed } => {
                        format!("checksum MISMATCH stored {stored:016x} computed {computed:016x}")
                    }
                };
                let trailing = rd.trailing_bytes(u64::MAX).map_err(err)?;
                let tail = if trailing > 0 {
                    format!(", {trailing} bytes after the RDB part")
                } else {
                    String::new()
                };
                println!(
                    "OK: RDB version {}, {keys} keys, {status}{tail}",
                    rd.version()
                );
                return Ok(());
            }
            _ => {}
        }
    }
    Err(Failure::Data(format!("{path}: no EOF opcode")))
}

fn dump_cmd(a: &Args) -> Result<(), Failure> {
    let path = one_file(a, "dump")?;
    let format = match a.value("format") {
        None => dump::Format::Json,
        Some(f) => dump::Format::parse(f)
            .ok_or_else(|| Failure::Usage(format!("--format: unknown format {f:?}")))?,
    };
    let filter = Filter::from_args(a).map_err(Failure::Usage)?;
    let mut rd = open(&path, true)?;
    let out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    dump::Dumper::new(out, format, filter)
        .run(&mut rd)
        .map_err(|e| Failure::Data(format!("{path}: {e}")))?;
    Ok(())
}

fn convert(a: &Args) -> Result<(), Failure> {
    let [input, output] = a.positional.as_slice() else {
        return Err(Failure::Usage("convert takes IN and OUT".into()));
    };
    let filter = Filter::from_args(a).map_err(Failure::Usage)?;
    let mut rd = open(input, true)?;
    let out = File::create(output).map_err(|e| Failure::Data(format!("{output}: {e}")))?;
    let out = BufWriter::with_capacity(1 << 16, out);
    match a.value("to").unwrap_or("rdb") {
        "aof" => {
            dump::Dumper::new(out, dump::Format::Resp, filter)
                .run(&mut rd)
                .map_err(|e| Failure::Data(format!("{input}: {e}")))?;
            return Ok(());
        }
        "rdb" => {}
        other => {
            return Err(Failure::Usage(format!(
                "--to: expected rdb or aof, got {other:?}"
            )))
        }
    }
    let version: u32 = a
        .value("version")
        .unwrap_or("10")
        .parse()
        .map_err(|_| Failure::Usage("--version: expected 9, 10 or 11".into()))?;
    let data = |e: redoubt_rdb::Error| Failure::Data(format!("{input}: {e}"));
    let mut w = Writer::new(out, WriterOptions::version(version))
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let mut db = None;
    while let Some(ev) = rd.next_event().map_err(data)? {
        match ev {
            Event::Aux { key, value } => w.aux(&key, &value).map_err(data)?,
            Event::Function { code } if version >= 10 => w.function(&code).map_err(data)?,
            Event::Function { .. } => {
                eprintln!("redoubt-rdb: RDB {version} cannot hold functions; dropped one library")
            }
            Event::ModuleAux(m) => w.module_aux(&m).map_err(data)?,
            Event::Key(h) => {
                let value = rd.read_value(&h).map_err(data)?;
                if !filter.accepts(&h) || value.is_empty() {
                    continue;
                }
                if db != Some(h.db) {
                    w.select_db(h.db).map_err(data)?;
                    db = Some(h.db);
                }
                w.key(&h.key, &value, &h.meta).map_err(data)?;
            }
            Event::Eof(_) => break,
            _ => {}
        }
    }
    w.finish()
        .map_err(|e| Failure::Data(format!("{output}: {e}")))?;
    Ok(())
}

/// Values compared as Redis sees them: sets and hashes are unordered.
fn normalized(v: &Value) -> Value {
    let mut v = v.clone();
    match &mut v {
        Value::Set(m) => m.sort(),
        Value::Hash(h) => h.sort(),
        Value::SortedSet(z) => z.sort_by(|a, b| a.0.cmp(&b.0)),
        _ => {}
    }
    v
}

/// Equality as Redis sees it. Stream fields that only newer RDB versions store (first ID, max
/// deleted ID, entries added, entries read, consumer active time) are compared only when both
/// sides have them, so a file and its conversion to an older version compare equal.
fn same_value(a: &Value, b: &Value) -> bool {
    fn opt<T: PartialEq>(x: &Option<T>, y: &Option<T>) -> bool {
        x.is_none() || y.is_none() || x == y
    }
    match (a, b) {
        (Value::Stream(x), Value::Stream(y)) => {
            let (mx, my) = (&x.meta, &y.meta);
            x.entries == y.entries
                && mx.length == my.length
                && mx.last_id == my.last_id
                && opt(&mx.first_id, &my.first_id)
                && opt(&mx.max_deleted_id, &my.max_deleted_id)
                && opt(&mx.entries_added, &my.entries_added)
                && x.groups.len() == y.groups.len()
                && x.groups.iter().zip(&y.groups).all(|(g, h)| {
                    g.name == h.name
                        && g.last_id == h.last_id
                        && g.pending == h.pending
                        && opt(&g.entries_read, &h.entries_read)
                        && g.consumers.len() == h.consumers.len()
                        && g.consumers.iter().zip(&h.consumers).all(|(c, d)| {
                            c.name == d.name
                                && c.pending == d.pending
                                && c.seen_time_ms == d.seen_time_ms
                                && opt(&c.active_time_ms, &d.active_time_ms)
                        })
                })
        }
        _ => a == b,
    }
}

fn diff(a: &Args) -> Result<(), Failure> {
    let [pa, pb] = a.positional.as_slice() else {
        return Err(Failure::Usage("diff takes A and B".into()));
    };
    let filter = Filter::from_args(a).map_err(Failure::Usage)?;
    type Keys = std::collections::BTreeMap<(u64, Vec<u8>), (KeyMeta, Value)>;
    let load = |p: &str| -> Result<Keys, Failure> {
        let mut rd = open(p, true)?;
        let mut m = std::collections::BTreeMap::new();
        let data = |e: redoubt_rdb::Error| Failure::Data(format!("{p}: {e}"));
        while let Some(ev) = rd.next_event().map_err(data)? {
            if let Event::Key(h) = ev {
                let v = rd.read_value(&h).map_err(data)?;
                if filter.accepts(&h) {
                    m.insert((h.db, h.key), (h.meta, normalized(&v)));
                }
            }
        }
        Ok(m)
    };
    let (ma, mb) = (load(pa)?, load(pb)?);
    let show = |k: &[u8]| text::lossless_text(k);
    let mut differences = 0;
    for ((db, k), (meta, v)) in &ma {
        match mb.get(&(*db, k.clone())) {
            None => {
                println!("only in A: db{db} {}", show(k));
                differences += 1;
            }
            Some((mb_meta, vb)) => {
                if !same_value(v, vb) {
                    println!("value differs: db{db} {}", show(k));
                    differences += 1;
                } else if meta.expire_ms != mb_meta.expire_ms {
                    println!(
                        "ttl differs: db{db} {} ({:?} vs {:?})",
                        show(k),
                        meta.expire_ms,
                        mb_meta.expire_ms
                    );
                    differences += 1;
                }
            }
        }
    }
    for (db, k) in mb.keys() {
        if !ma.contains_key(&(*db, k.clone())) {
            println!("only in B: db{db} {}", show(k));
            differences += 1;
        }
    }
    if differences == 0 {
        println!("identical: {} keys", ma.len());
        Ok(())
    } else {
        Err(Failure::Quiet(1))
    }
}
