//! The library against files a real redis-server 7.0 wrote: manifest entries, commands in order
//! with exact offsets, timestamp annotations, RDB preambles, and a legacy single file.

mod common;

use std::path::Path;

use common::{aof_tool, Redis};
use redoubt_aof::command::{encode_command, encode_timestamp, CommandReader, Item};
use redoubt_aof::layout::{self, AofSource, PartRole};
use redoubt_aof::manifest::{AofKind, Manifest};

fn read_items(path: &Path) -> Vec<Item> {
    let bytes = std::fs::read(path).unwrap();
    let mut r = CommandReader::new(&bytes[..]);
    let mut items = Vec::new();
    while let Some(i) = r.next().unwrap() {
        items.push(i);
    }
    // Re-encoding every item gives back the file byte for byte, and each item starts where the
    // previous one ended.
    let mut again = Vec::new();
    for i in &items {
        assert_eq!(i.offset(), again.len() as u64);
        match i {
            Item::Command { args, .. } => {
                let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
                encode_command(&mut again, &refs);
            }
            Item::Timestamp { unix, .. } => encode_timestamp(&mut again, *unix),
        }
    }
    assert_eq!(again, bytes);
    items
}

fn commands(items: &[Item]) -> Vec<Vec<Vec<u8>>> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Command { args, .. } => Some(args.clone()),
            _ => None,
        })
        .collect()
}

fn strs(v: &[&[u8]]) -> Vec<Vec<u8>> {
    v.iter().map(|a| a.to_vec()).collect()
}

#[test]
fn commands_timestamps_and_manifest_without_preamble() {
    let tmp = tempfile::tempdir().unwrap();
    let redis = Redis::start(
        tmp.path(),
        &[
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--aof-use-rdb-preamble",
            "no",
            "--aof-timestamp-enabled",
            "yes",
        ],
    );
    redis.wait_rewrite_done();
    let dir = tmp.path().join("appendonlydir");
    let src = layout::open(&dir).unwrap();
    let m = src.manifest().unwrap().clone();
    assert_eq!(
        m.encode(),
        "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert_eq!(
        std::fs::read(dir.join("appendonly.aof.manifest")).unwrap(),
        m.encode().into_bytes()
    );

    let mut c = redis.client();
    let sent: Vec<Vec<&[u8]>> = vec![
        vec![b"SET", b"k1", b"v1"],
        vec![b"SET", b"bin", b"\x00\r\n\xff"],
        vec![b"HSET", b"h", b"f1", b"v1"],
        vec![b"RPUSH", b"l", b"a", b"b"],
        vec![b"MULTI"],
        vec![b"SET", b"t1", b"x"],
        vec![b"INCR", b"n"],
        vec![b"EXEC"],
        vec![b"SELECT", b"2"],
        vec![b"SADD", b"s", b"m"],
        vec![b"DEL", b"s"],
    ];
    for cmd in &sent {
        c.ok(cmd);
    }
    let incr = dir.join("appendonly.aof.1.incr.aof");
    let items = read_items(&incr);
    // Redis writes a #TS before a command when the second changed since the last annotation (so
    // maybe none here: the rewrite at startup ran in this second), and SELECT when the db changes.
    let expected: Vec<Vec<Vec<u8>>> = vec![
        strs(&[b"SELECT", b"0"]),
        strs(&[b"SET", b"k1", b"v1"]),
        strs(&[b"SET", b"bin", b"\x00\r\n\xff"]),
        strs(&[b"HSET", b"h", b"f1", b"v1"]),
        strs(&[b"RPUSH", b"l", b"a", b"b"]),
        strs(&[b"MULTI"]),
        strs(&[b"SET", b"t1", b"x"]),
        strs(&[b"INCR", b"n"]),
        strs(&[b"EXEC"]),
        strs(&[b"SELECT", b"2"]),
        strs(&[b"SADD", b"s", b"m"]),
        strs(&[b"DEL", b"s"]),
    ];
    assert_eq!(commands(&items), expected);

    // A rewrite: a new base in commands (.base.aof, starting with a forced #TS) and a new incr.
    redis.rewrite();
    let src = layout::open(&dir).unwrap();
    let m = src.manifest().unwrap();
    assert_eq!(m.base().unwrap().name, "appendonly.aof.2.base.aof");
    assert_eq!(m.incrs()[0].name, "appendonly.aof.2.incr.aof");
    assert_eq!(m.entries.len(), 2, "history removed by the auto GC: {m:?}");
    let parts = src.parts();
    assert_eq!(parts[0].role, PartRole::Base);
    assert!(!layout::is_rdb_preamble(&parts[0].path).unwrap());
    let base = read_items(&parts[0].path);
    assert!(matches!(base[0], Item::Timestamp { offset: 0, .. }));
    let base_cmds = commands(&base);
    assert!(base_cmds.contains(&strs(&[b"SET", b"bin", b"\x00\r\n\xff"])));
    assert!(base_cmds.contains(&strs(&[b"SELECT", b"0"])));
    assert!(src.missing_parts().is_empty());

    let out = aof_tool(&["check", dir.to_str().unwrap()], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn rdb_preamble_base_and_legacy_single_file() {
    let tmp = tempfile::tempdir().unwrap();
    let redis = Redis::start(
        tmp.path(),
        &[
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--aof-use-rdb-preamble",
            "yes",
        ],
    );
    redis.wait_rewrite_done();
    let mut c = redis.client();
    for i in 0..50 {
        c.ok(&["SET", &format!("key:{i}"), &format!("value {i}")]);
    }
    c.ok(&["SELECT", "5"]);
    c.ok(&["ZADD", "z", "1.5", "a", "2", "b"]);
    c.ok(&["HSET", "h", "f", "v"]);
    redis.rewrite();
    let mut c = redis.client();
    c.ok(&["SET", "after", "rewrite"]);
    c.ok(&["SELECT", "5"]);
    c.ok(&["DEL", "h"]);

    let dir = tmp.path().join("appendonlydir");
    let manifest_bytes = std::fs::read(dir.join("appendonly.aof.manifest")).unwrap();
    let m = Manifest::parse(&manifest_bytes).unwrap();
    assert_eq!(
        manifest_bytes,
        b"file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    assert_eq!(m.encode().into_bytes(), manifest_bytes);
    assert_eq!(m.base().unwrap().kind, AofKind::Base);
    assert_eq!(
        m.next_incr_name("appendonly.aof"),
        "appendonly.aof.3.incr.aof"
    );

    let base = dir.join("appendonly.aof.2.base.rdb");
    assert!(layout::is_rdb_preamble(&base).unwrap());
    let pre = layout::scan_rdb_preamble(&base).unwrap();
    assert_eq!(pre.keys_by_db.get(&0), Some(&50));
    assert_eq!(pre.keys_by_db.get(&5), Some(&2));
    assert_eq!(pre.end_offset, std::fs::metadata(&base).unwrap().len());
    let incr = read_items(&dir.join("appendonly.aof.2.incr.aof"));
    assert_eq!(
        commands(&incr),
        vec![
            strs(&[b"SELECT", b"0"]),
            strs(&[b"SET", b"after", b"rewrite"]),
            strs(&[b"SELECT", b"5"]),
            strs(&[b"DEL", b"h"]),
        ]
    );
    let digest = redis.digest();
    drop(redis);

    // A legacy single file with an RDB preamble (what Redis 6 writes): base + commands.
    let legacy = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(&base).unwrap();
    bytes.extend(std::fs::read(dir.join("appendonly.aof.2.incr.aof")).unwrap());
    let file = legacy.path().join("appendonly.aof");
    std::fs::write(&file, &bytes).unwrap();
    let src = layout::open(&file).unwrap();
    assert!(matches!(src, AofSource::Single { .. }));
    let out = aof_tool(&["check", file.to_str().unwrap()], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = aof_tool(&["cat", file.to_str().unwrap(), "--db", "5"], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("RDB preamble"), "{text}");
    assert!(text.contains("db=5  \"DEL\" \"h\""), "{text}");
    assert!(!text.contains("\"after\""), "{text}");
    // Redis 7 itself loads it (upgrading it into a directory) to the same dataset.
    let r2 = Redis::start(legacy.path(), &["--appendonly", "yes"]);
    assert_eq!(r2.digest(), digest);
}
