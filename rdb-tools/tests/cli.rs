//! The `redoubt-rdb` binary on the shared corpus: exit codes, one-line errors, and output content.

use std::path::PathBuf;
use std::process::Command;

fn corpus(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/rdb-corpus"
    ))
    .join(rel);
    p.exists().then_some(p)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_redoubt-rdb"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn help_and_usage_errors() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("dump FILE"));
    for sub in ["info", "check", "dump", "convert", "diff"] {
        let (code, out, _) = run(&[sub, "--help"]);
        assert_eq!(code, 0, "{sub}");
        assert!(out.starts_with(&format!("redoubt-rdb {sub}")), "{out}");
    }
    let (code, _, err) = run(&["frobnicate"]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1);
    let (code, _, err) = run(&["dump", "/nonexistent.rdb"]);
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn check_reports_ok_and_corruption_offset() {
    let Some(good) = corpus("rdbtools/ziplist_with_integers.rdb") else {
        return;
    };
    let (code, out, _) = run(&["check", good.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        "OK: RDB version 6, 1 keys, checksum 1ad51359f4977226 OK"
    );
    let bad = corpus("redis/corrupt_ziplist.rdb").unwrap();
    let (code, _, err) = run(&["check", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("at byte ") && err.contains("ziplist"), "{err}");
    // A truncated copy fails with the offset where data ran out.
    let bytes = std::fs::read(&good).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.rdb");
    std::fs::write(&cut, &bytes[..bytes.len() - 20]).unwrap();
    let (code, _, err) = run(&["check", cut.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("truncated input at byte"), "{err}");
}

#[test]
fn info_counts_types_and_encodings() {
    let Some(f) = corpus("rdbtools/redis_50_with_streams.rdb") else {
        return;
    };
    let (code, out, _) = run(&["info", f.to_str().unwrap()]);
    assert_eq!(code, 0);
    for line in [
        "rdb_version: 9",
        "aux.redis-ver: 999.999.999",
        "keys: 14",
        "db0.set.intset: 3",
        "db0.stream.stream: 1",
        "checksum: ok 21dffc794f6deee3",
    ] {
        assert!(out.lines().any(|l| l == line), "missing {line:?} in\n{out}");
    }
    let f = corpus("rdbtools/redis_40_with_module.rdb").unwrap();
    let (_, out, _) = run(&["info", f.to_str().unwrap()]);
    assert!(
        out.contains("db0.module(ReJSON-RL).module: 1")
            && out.contains("checksum: not computed (0)"),
        "{out}"
    );
}

#[test]
fn dump_formats_and_filters() {
    let Some(f) = corpus("rdbtools/parser_filters.rdb") else {
        return;
    };
    let p = f.to_str().unwrap();
    // EXPECTED.md: key filter k[0-9] -> only k1 and k3; type filter sortedset -> exactly z1..z4.
    let (code, out, _) = run(&["dump", p, "--format", "jsonl", "--key", "^k[0-9]$"]);
    assert_eq!(code, 0);
    assert_eq!(out, "{\"db\":0,\"key\":\"k1\",\"type\":\"string\",\"encoding\":\"string\",\"value\":\"ssssssss\"}\n{\"db\":0,\"key\":\"k3\",\"type\":\"string\",\"encoding\":\"string\",\"value\":\"wwwwwwww\"}\n");
    let (_, out, _) = run(&["dump", p, "--format", "csv", "--type", "zset"]);
    let keys: std::collections::BTreeSet<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(
        keys.into_iter().collect::<Vec<_>>(),
        vec!["z1", "z2", "z3", "z4"]
    );
    let o = Command::new(env!("CARGO_BIN_EXE_redoubt-rdb"))
        .args(["dump", p, "--format", "resp", "--key", "^b1$"])
        .output()
        .unwrap();
    assert_eq!(
        o.stdout,
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$2\r\nb1\r\n$1\r\n\xff\r\n"
    );
    let (_, out, _) = run(&["dump", p, "--format", "json", "--db", "5"]);
    assert_eq!(out, "[]\n");
    // Expired keys are dropped by --not-expired (the corpus key expired in 2022).
    let f = corpus("rdbtools/keys_with_expiry.rdb").unwrap();
    let (_, out, _) = run(&[
        "dump",
        f.to_str().unwrap(),
        "--format",
        "jsonl",
        "--not-expired",
    ]);
    assert_eq!(out, "");
}

#[test]
fn memory_report_shapes() {
    let Some(f) = corpus("rdbtools/parser_filters.rdb") else {
        return;
    };
    let p = f.to_str().unwrap();
    let (code, out, _) = run(&["memory", p]);
    assert_eq!(code, 0);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("database,type,key,size_in_bytes,encoding,num_elements,len_largest_element,expiry")
    );
    assert_eq!(lines.count(), 43, "one row per key");
    assert!(
        out.lines()
            .any(|l| l.starts_with("0,list,l10,") && l.contains(",ziplist,4,6,")),
        "{out}"
    );
    let (_, out, _) = run(&["memory", p, "--top", "2"]);
    assert_eq!(out.lines().count(), 3);
    let (_, out, _) = run(&["memory", p, "--prefix-delimiter", "1", "--type", "string"]);
    assert!(out.starts_with("prefix,keys,size_in_bytes\n"));
    let (code, _, _) = run(&["memory", p, "--format", "xml"]);
    assert_eq!(code, 2);
}
