//! `redoubt-aof stats`: what an AOF is made of — commands by name, by key prefix, by database,
//! their bytes, and the hottest keys.

use std::collections::{BTreeMap, HashMap};

use redoubt_aof::command::encoded_len;

use crate::args::{Args, Spec};
use crate::filter::{keys_of, Filters};
use crate::quote::repr;
use crate::scan::{Event, Flow, Scanner};

pub const SPEC: Spec = Spec {
    valued: &["key", "cmd", "db", "from", "to", "top"],
    flags: &["help"],
};

pub const HELP: &str = "\
usage: redoubt-aof stats DIR|MANIFEST|FILE [--top N] [--key GLOB] [--cmd NAME] [--db N]
                         [--from POS] [--to POS]

Counts the commands of an AOF (same filters as `cat`): by command name (with their bytes as
written in the log), by key prefix (the first key up to its first ':'; keys without ':' count
under (none)), by database, and lists the N (default 10) keys touched by the most commands.
An RDB base is counted as its keys per database.";

#[derive(Default)]
struct Count {
    n: u64,
    bytes: u64,
}

pub fn run(a: &Args) -> Result<i32, String> {
    let [path] = a.positional.as_slice() else {
        return Err("stats needs one DIR|FILE argument".into());
    };
    let top = a.number::<usize>("top")?.unwrap_or(10);
    let filters = Filters::from_args(a)?;
    let source =
        redoubt_aof::layout::open(std::path::Path::new(path)).map_err(|e| e.to_string())?;
    let scanner = Scanner::new(&source);
    filters.validate(&scanner.names)?;

    let mut by_cmd: HashMap<String, Count> = HashMap::new();
    let mut by_prefix: HashMap<Vec<u8>, Count> = HashMap::new();
    let mut by_db: BTreeMap<u64, Count> = BTreeMap::new();
    let mut keys: HashMap<Vec<u8>, u64> = HashMap::new();
    let mut files: Vec<String> = Vec::new();
    let mut base_keys: BTreeMap<u64, u64> = BTreeMap::new();
    let (mut total, mut total_bytes, mut annotations) = (0u64, 0u64, 0u64);
    let (mut first_ts, mut last_ts): (Option<i64>, Option<i64>) = (None, None);

    let res = scanner.run(|ev| {
        match ev {
            Event::Part {
                part,
                size,
                preamble,
                ..
            } => {
                let mut s = format!("  {} ({:?}, {} bytes", part.name, part.role, size);
                if let Some(p) = preamble {
                    s.push_str(&format!(
                        "; RDB preamble v{}: {} keys, {} functions, {} bytes",
                        p.version,
                        p.keys(),
                        p.functions,
                        p.end_offset
                    ));
                    for (db, n) in &p.keys_by_db {
                        by_db.entry(*db).or_default();
                        *base_keys.entry(*db).or_insert(0) += n;
                    }
                }
                s.push(')');
                files.push(s);
            }
            Event::Timestamp { unix, .. } => {
                annotations += 1;
                first_ts.get_or_insert(unix);
                last_ts = Some(unix);
            }
            Event::Record(r) => {
                if filters.past_end(&r, &scanner.names) {
                    return Flow::Stop;
                }
                if !filters.keep(&r, &scanner.names) {
                    return Flow::Continue;
                }
                let bytes = encoded_len(&r.args);
                total += 1;
                total_bytes += bytes;
                let name = String::from_utf8_lossy(&r.args[0]).to_ascii_lowercase();
                let c = by_cmd.entry(name).or_default();
                c.n += 1;
                c.bytes += bytes;
                let d = by_db.entry(r.db).or_default();
                d.n += 1;
                d.bytes += bytes;
                let ks = keys_of(&r.args);
                if let Some(first) = ks.first() {
                    let prefix = match first.iter().position(|&b| b == b':') {
                        Some(i) => first[..=i].to_vec(),
                        None => b"(none)".to_vec(),
                    };
                    let p = by_prefix.entry(prefix).or_default();
                    p.n += 1;
                    p.bytes += bytes;
                }
                for k in ks {
                    *keys.entry(k.to_vec()).or_insert(0) += 1;
                }
            }
        }
        Flow::Continue
    });

    println!("files (load order):");
    for f in &files {
        println!("{f}");
    }
    println!("commands: {total}, {total_bytes} bytes");
    if annotations > 0 {
        println!(
            "timestamps: {annotations} #TS annotations, from {} to {}",
            first_ts.unwrap_or(0),
            last_ts.unwrap_or(0)
        );
    }
    let mut cmds: Vec<_> = by_cmd.into_iter().collect();
    cmds.sort_by(|a, b| b.1.n.cmp(&a.1.n).then(a.0.cmp(&b.0)));
    println!("by command:");
    for (name, c) in &cmds {
        println!("  {name:<20} {:>12} {:>14} bytes", c.n, c.bytes);
    }
    println!("by database:");
    for (db, c) in &by_db {
        let base = match base_keys.get(db) {
            Some(n) => format!("  (+{n} keys in the RDB base)"),
            None => String::new(),
        };
        println!("  db{db:<18} {:>12} {:>14} bytes{base}", c.n, c.bytes);
    }
    let mut prefixes: Vec<_> = by_prefix.into_iter().collect();
    prefixes.sort_by(|a, b| b.1.n.cmp(&a.1.n).then(a.0.cmp(&b.0)));
    println!("by key prefix:");
    for (p, c) in prefixes.iter().take(50) {
        println!("  {:<20} {:>12} {:>14} bytes", repr(p), c.n, c.bytes);
    }
    if prefixes.len() > 50 {
        println!("  ... {} more prefixes", prefixes.len() - 50);
    }
    let mut hot: Vec<_> = keys.into_iter().collect();
    hot.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    println!("hottest keys:");
    for (k, n) in hot.iter().take(top) {
        println!("  {:<40} {n:>12}", repr(k));
    }
    match res {
        Ok(()) => Ok(0),
        Err(e) => {
            eprintln!("error: {e} (statistics above cover what comes before it)");
            Ok(1)
        }
    }
}
