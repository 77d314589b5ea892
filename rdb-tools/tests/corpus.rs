//! Decodes every file of the shared RDB corpus (/work/shared/rdb-corpus) and compares the result
//! with DECODED.txt (produced by an independent decoder) line by line, plus the facts that
//! EXPECTED.md takes from the upstream projects' own tests.

use std::path::PathBuf;

use redoubt_rdb::format as f;
use redoubt_rdb::number::{format_g17, parse_canonical_i64};
use redoubt_rdb::reader::{Checksum, Event, Reader};
use redoubt_rdb::stream::StreamId;
use redoubt_rdb::value::Value;

fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("RDB_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/rdb-corpus"
            ))
        });
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("corpus not found at {}; skipping", p.display());
        None
    }
}

fn py_bytes(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut s = String::from("b");
    s.push(quote as char);
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            c if c == quote => {
                s.push('\\');
                s.push(c as char)
            }
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push(quote as char);
    s
}

fn py_float(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e16 {
        format!("{v:.1}")
    } else {
        format!("{v:?}")
    }
}

/// Packed encodings, whose integer elements the reference decoder prints as Python ints.
fn ints_shown(t: u8) -> bool {
    matches!(
        t,
        f::LIST_ZIPLIST
            | f::SET_INTSET
            | f::ZSET_ZIPLIST
            | f::HASH_ZIPLIST
            | f::LIST_QUICKLIST
            | f::HASH_LISTPACK
            | f::ZSET_LISTPACK
            | f::LIST_QUICKLIST_2
            | f::SET_LISTPACK
    )
}

fn elem(t: u8, b: &[u8]) -> String {
    match parse_canonical_i64(b) {
        Some(i) if ints_shown(t) => i.to_string(),
        _ => py_bytes(b),
    }
}

fn render_value(t: u8, v: &Value) -> String {
    let list = |items: Vec<String>| format!("[{}]", items.join(", "));
    match v {
        Value::String(s) => py_bytes(s),
        Value::List(l) | Value::Set(l) => list(l.iter().map(|e| elem(t, e)).collect()),
        Value::Hash(h) => list(
            h.iter()
                .map(|(k, v)| format!("({}, {})", elem(t, k), elem(t, v)))
                .collect(),
        ),
        Value::SortedSet(z) => list(
            z.iter()
                .map(|(m, s)| {
                    let score = if ints_shown(t) {
                        if s.fract() == 0.0 {
                            format!("{}", *s as i64)
                        } else {
                            py_bytes(format_g17(*s).as_bytes())
                        }
                    } else {
                        py_float(*s)
                    };
                    format!("({}, {})", elem(t, m), score)
                })
                .collect(),
        ),
        Value::Stream(_) | Value::Module(_) => String::from("<checked separately>"),
    }
}

/// Renders a file in DECODED.txt's format (the parts we compare).
type Rendered = (Vec<String>, Result<(), String>, Vec<(Vec<u8>, Value)>);

fn render(path: &std::path::Path) -> Rendered {
    let bytes = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut values = Vec::new();
    let mut rd = match Reader::new(&bytes[..]) {
        Ok(r) => r,
        Err(e) => return (out, Err(e.to_string()), values),
    };
    let mut keys = 0;
    loop {
        let ev = match rd.next_event() {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(e) => return (out, Err(e.to_string()), values),
        };
        match ev {
            Event::Aux { key, value } => {
                out.push(format!("  AUX {} = {}", py_bytes(&key), py_bytes(&value)))
            }
            Event::SelectDb { db } => out.push(format!("  SELECTDB {db}")),
            Event::ResizeDb {
                db_size,
                expires_size,
            } => out.push(format!("  RESIZEDB keys={db_size} expires={expires_size}")),
            Event::ModuleAux(m) => out.push(format!(
                "  MODULE_AUX {} ver={} when_opcode={} when={} body=",
                m.id.name(),
                m.id.encver(),
                m.when_opcode,
                m.when
            )),
            Event::Function { .. } => out.push("  FUNCTION".into()),
            Event::Key(h) => {
                let v = match rd.read_value(&h) {
                    Ok(v) => v,
                    Err(e) => return (out, Err(e.to_string()), values),
                };
                let exp = h
                    .meta
                    .expire_ms
                    .map(|e| format!(" expire_ms={e} "))
                    .unwrap_or_else(|| "  ".into());
                out.push(format!(
                    "  [db{}] type={} key={}{}{}",
                    h.db,
                    h.rdb_type,
                    py_bytes(&h.key),
                    exp,
                    render_value(h.rdb_type, &v)
                ));
                values.push((h.key.clone(), v));
                keys += 1;
            }
            Event::Eof(t) => {
                let tail = rd.trailing_bytes(u64::MAX).unwrap();
                out.push(match t.checksum {
                    Checksum::Absent => format!("  EOF (v<5: no checksum); trailing={tail} bytes"),
                    Checksum::Verified(c) => format!("  EOF; checksum stored={c:016x} computed={c:016x} OK; trailing-after-checksum={tail} bytes"),
                    Checksum::NotComputed => format!("  EOF; checksum stored=0000000000000000 DISABLED(0); trailing-after-checksum={tail} bytes"),
                    Checksum::Mismatch { stored, computed } => format!("  EOF; MISMATCH {stored:016x} {computed:016x}"),
                });
            }
            Event::Item(_) | Event::EndKey => panic!("item outside a key"),
        }
    }
    out.push(format!("  keys={keys}"));
    (out, Ok(()), values)
}

/// DECODED.txt sections: file name -> lines.
fn decoded(dir: &std::path::Path) -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(dir.join("DECODED.txt")).unwrap();
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("file=") {
            let name = rest
                .split_whitespace()
                .next()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            sections.push((name, Vec::new()));
        } else if let Some(s) = sections.last_mut() {
            s.1.push(line.to_string());
        }
    }
    sections
}

fn lines_match(want: &str, got: &str) -> bool {
    if want.contains("type=15 ") || want.contains("type=7 ") {
        let cut = |s: &str| {
            s.find(" key=")
                .map(|i| s[i..].split("  ").next().unwrap_or("").to_string())
        };
        return cut(want) == cut(got);
    }
    if want.starts_with("  MODULE_AUX") {
        return want.starts_with(got);
    }
    if want.starts_with("  EOF; checksum stored=0000000000000000") {
        return got.starts_with("  EOF; checksum stored=0000000000000000 DISABLED(0)")
            && want.ends_with(got.rsplit("; ").next().unwrap());
    }
    let norm = |s: &str| {
        // The reference prints "type=N name(enc) key=..."; we compare from "key=" and the type number.
        let t = s
            .split_whitespace()
            .find(|w| w.starts_with("type="))
            .map(str::to_string);
        (
            t,
            s.find(" key=")
                .map(|i| s[i..].to_string())
                .unwrap_or_else(|| s.to_string()),
        )
    };
    let (wt, wrest) = norm(want);
    let (gt, grest) = norm(got);
    if wt != gt {
        return false;
    }
    // The reference cuts long values with "..." and long lines at 600 characters.
    match wrest.strip_suffix("...") {
        Some(prefix) => grest.starts_with(prefix),
        None if want.len() >= 600 => grest.starts_with(&wrest),
        None => wrest == grest,
    }
}

fn check_dir(sub: &str) -> usize {
    let Some(root) = corpus() else { return 0 };
    let dir = root.join(sub);
    let mut checked = 0;
    for (name, want) in decoded(&dir) {
        let (got, result, _) = render(&dir.join(&name));
        let want: Vec<&String> = want
            .iter()
            .filter(|l| !l.starts_with("  tail:") && !l.starts_with("  ERROR"))
            .collect();
        if name == "corrupt_ziplist.rdb" {
            let err = result.expect_err("corrupt_ziplist.rdb must fail");
            assert!(err.contains("ziplist"), "{err}");
            // Everything decoded before the corrupt key matches.
            for (w, g) in want.iter().zip(&got) {
                assert!(lines_match(w, g), "{name}:\n want {w}\n  got {g}");
            }
            checked += 1;
            continue;
        }
        assert!(result.is_ok(), "{name}: {result:?}");
        assert_eq!(
            want.len(),
            got.len(),
            "{name}: line count\nwant {want:#?}\ngot {got:#?}"
        );
        for (w, g) in want.iter().zip(&got) {
            assert!(lines_match(w, g), "{name}:\n want {w}\n  got {g}");
        }
        checked += 1;
    }
    checked
}

#[test]
fn rdbtools_corpus_matches_decoded_txt() {
    let n = check_dir("rdbtools");
    assert!(n == 0 || n >= 28, "checked {n} files");
}

#[test]
fn redis_corpus_matches_decoded_txt() {
    let n = check_dir("redis");
    assert!(n == 0 || n >= 9, "checked {n} files");
}

fn load(sub: &str, name: &str) -> Option<Vec<(Vec<u8>, Value)>> {
    let root = corpus()?;
    let (_, r, values) = render(&root.join(sub).join(name));
    r.unwrap();
    Some(values)
}

#[test]
fn stream_with_groups_matches_expected_md() {
    let Some(values) = load("rdbtools", "redis_50_with_streams.rdb") else {
        return;
    };
    let (_, v) = values.iter().find(|(k, _)| k == b"mystream").unwrap();
    let Value::Stream(s) = v else {
        panic!("not a stream")
    };
    assert_eq!(s.entries.len(), 4);
    assert_eq!(s.meta.length, 4);
    assert_eq!(
        s.meta.last_id,
        StreamId {
            ms: 1528199178069,
            seq: 0
        }
    );
    assert_eq!(s.groups.len(), 2);
    let g = &s.groups[0];
    assert_eq!(g.name, b"mygroup");
    assert_eq!(
        g.last_id,
        StreamId {
            ms: 1528199075689,
            seq: 0
        }
    );
    assert_eq!(g.pending.len(), 1);
    let consumers: Vec<(&[u8], usize)> = g
        .consumers
        .iter()
        .map(|c| (&c.name[..], c.pending.len()))
        .collect();
    assert_eq!(consumers, vec![(&b"Alice"[..], 0), (&b"Dave"[..], 1)]);
    assert_eq!(s.groups[1].name, b"mygroup2");
    assert!(s.groups[1].pending.is_empty() && s.groups[1].consumers.is_empty());
}

#[test]
fn module_value_and_module_aux_are_opaque_with_ids() {
    let Some(root) = corpus() else { return };
    let file =
        redoubt_rdb::reader::read_path(root.join("rdbtools/redis_40_with_module.rdb")).unwrap();
    assert_eq!(file.trailer.checksum, Checksum::NotComputed);
    let rec = file.records.iter().find(|r| r.key == b"foo").unwrap();
    let Value::Module(m) = &rec.value else {
        panic!()
    };
    assert_eq!(m.id.name(), "ReJSON-RL");
    assert_eq!(m.id.encver(), 0);
    assert_eq!(
        *m.payload.last().unwrap(),
        0,
        "payload ends with the module EOF opcode"
    );
    let file =
        redoubt_rdb::reader::read_path(root.join("rdbtools/redis_60_with_module_aux.rdb")).unwrap();
    assert_eq!(file.module_aux.len(), 1);
    let a = &file.module_aux[0];
    assert_eq!(
        (a.id.name().as_str(), a.id.encver(), a.when_opcode, a.when),
        ("test__rdb", 1, 2, 2)
    );
    // body: UINT 1, STRING "global2", EOF
    assert_eq!(a.payload, b"\x02\x01\x05\x07global2\x00");
}

#[test]
#[allow(clippy::approx_constant)] // 2.718 is the score stored in the corpus file, not e
fn expected_md_facts() {
    let Some(v) = load("rdbtools", "keys_with_expiry.rdb") else {
        return;
    };
    assert_eq!(
        v[0].1,
        Value::String(b"2022-12-25 10:11:12.573 UTC".to_vec())
    );
    let root = corpus().unwrap();
    let file = redoubt_rdb::reader::read_path(root.join("rdbtools/keys_with_expiry.rdb")).unwrap();
    assert_eq!(file.records[0].meta.expire_ms, Some(1671963072573));
    let v = load("rdbtools", "ziplist_with_integers.rdb").unwrap();
    let Value::List(l) = &v[0].1 else { panic!() };
    let want: Vec<i64> = vec![
        0,
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        10,
        11,
        12,
        -2,
        13,
        25,
        -61,
        63,
        16380,
        -16000,
        65535,
        -65523,
        4194304,
        9223372036854775807,
    ];
    assert_eq!(
        l.iter()
            .map(|e| parse_canonical_i64(e).unwrap())
            .collect::<Vec<_>>(),
        want
    );
    let v = load("rdbtools", "zipmap_with_big_values.rdb").unwrap();
    let Value::Hash(h) = &v[0].1 else { panic!() };
    let lens: Vec<(String, usize)> = h
        .iter()
        .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v.len()))
        .collect();
    assert_eq!(
        lens,
        vec![
            ("253bytes".into(), 253),
            ("254bytes".into(), 254),
            ("255bytes".into(), 255),
            ("300bytes".into(), 300),
            ("20kbytes".into(), 20000)
        ]
    );
    let v = load("rdbtools", "rdb_version_8_with_64b_length_and_scores.rdb").unwrap();
    let Value::SortedSet(z) = &v[1].1 else {
        panic!()
    };
    assert_eq!(z.len(), 1000);
    assert_eq!(z.iter().find(|(m, _)| m == b"finalfield").unwrap().1, 2.718);
    let v = load("redis", "scriptbackup.rdb").unwrap();
    assert!(v.is_empty());
    // An AOF with an RDB preamble: the RDB part ends at the trailer, the RESP tail follows.
    let bytes = std::fs::read(root.join("redis/rdb-preamble.aof")).unwrap();
    let mut rd = Reader::new(&bytes[..]).unwrap();
    let mut end = 0;
    while let Some(ev) = rd.next_event().unwrap() {
        if let Event::Eof(t) = ev {
            end = t.end_offset;
        }
    }
    assert_eq!(&bytes[end as usize..end as usize + 4], b"*2\r\n");
}
