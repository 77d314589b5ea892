//! `info FILE`: version, AUX fields, module aux and function counts, per-db key counts by type and
//! encoding, expiring keys, size and checksum status. Streams the file; memory is per-db counters.

use std::collections::BTreeMap;

use redoubt_rdb::reader::{Checksum, Event};

use crate::text::lossless_text;
use crate::Failure;

#[derive(Default)]
struct DbStats {
    keys: u64,
    expiring: u64,
    by_type: BTreeMap<(String, String), u64>,
}

pub fn run(path: String) -> Result<(), Failure> {
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mut rd = crate::open(&path, false)?;
    let err = |e: redoubt_rdb::Error| Failure::Data(format!("{path}: {e}"));
    let mut aux = Vec::new();
    let mut dbs: BTreeMap<u64, DbStats> = BTreeMap::new();
    let (mut module_aux, mut functions) = (Vec::new(), 0u64);
    let mut checksum = None;
    while let Some(ev) = rd.next_event().map_err(err)? {
        match ev {
            Event::Aux { key, value } => aux.push((key, value)),
            Event::ModuleAux(m) => module_aux.push(m.id.name()),
            Event::Function { .. } => functions += 1,
            Event::Key(h) => {
                let s = dbs.entry(h.db).or_default();
                s.keys += 1;
                if h.meta.expire_ms.is_some() {
                    s.expiring += 1;
                }
                let t = match h.value_type() {
                    redoubt_rdb::value::ValueType::Module => {
                        format!("module({})", module_name(&mut rd, &h).unwrap_or_default())
                    }
                    t => t.name().to_string(),
                };
                *s.by_type.entry((t, h.encoding().to_string())).or_default() += 1;
            }
            Event::Eof(t) => checksum = Some(t.checksum),
            _ => {}
        }
    }
    println!("file: {path}");
    println!("size: {size} bytes");
    println!("rdb_version: {}", rd.version());
    for (k, v) in &aux {
        println!("aux.{}: {}", lossless_text(k), lossless_text(v));
    }
    for m in &module_aux {
        println!("module_aux: {m}");
    }
    println!("functions: {functions}");
    let total: u64 = dbs.values().map(|d| d.keys).sum();
    println!("keys: {total}");
    for (db, s) in &dbs {
        println!("db{db}: keys={} expires={}", s.keys, s.expiring);
        for ((t, enc), n) in &s.by_type {
            println!("db{db}.{t}.{enc}: {n}");
        }
    }
    let status = match checksum {
        Some(Checksum::Absent) => "absent (RDB < 5)".to_string(),
        Some(Checksum::NotComputed) => "not computed (0)".to_string(),
        Some(Checksum::Verified(c)) => format!("ok {c:016x}"),
        Some(Checksum::Mismatch { stored, computed }) => {
            format!("MISMATCH stored {stored:016x} computed {computed:016x}")
        }
        None => "missing EOF".to_string(),
    };
    println!("checksum: {status}");
    if let Some(Checksum::Mismatch { .. }) = checksum {
        return Err(Failure::Quiet(1));
    }
    Ok(())
}

/// Reads a module value's item to learn the module's name.
fn module_name<R: std::io::Read>(
    rd: &mut redoubt_rdb::reader::Reader<R>,
    h: &redoubt_rdb::reader::KeyHeader,
) -> Option<String> {
    match rd.read_value(h).ok()? {
        redoubt_rdb::value::Value::Module(m) => Some(m.id.name()),
        _ => None,
    }
}
