//! Keyspace commands compared with redis-server: DEL/UNLINK/EXISTS/TYPE, RENAME(NX), COPY,
//! KEYS glob patterns, SCAN (MATCH/COUNT/TYPE, full-iteration guarantee), RANDOMKEY, DBSIZE,
//! FLUSHDB/FLUSHALL, TOUCH, OBJECT, SELECT/SWAPDB/MOVE, DUMP/RESTORE.

use redoubt_tests::{Client, Pair, Reply};
use std::collections::BTreeSet;

fn fill_types(p: &mut Pair) {
    p.check_all(&[
        &["SET", "str", "v"],
        &["RPUSH", "list", "a", "b"],
        &["HSET", "hash", "f", "v"],
        &["SADD", "set", "1", "2"],
        &["ZADD", "zset", "1", "a"],
        &["PFADD", "hll", "x"],
    ]);
}

#[test]
fn del_unlink_exists_type() {
    let mut p = Pair::new();
    fill_types(&mut p);
    for key in ["str", "list", "hash", "set", "zset", "hll", "missing"] {
        p.check(&["TYPE", key]);
    }
    p.check_all(&[
        &["EXISTS", "str"],
        &["EXISTS", "str", "str", "missing", "list"],
        &["EXISTS"],
        &["DEL", "str", "missing", "str"],
        &["EXISTS", "str"],
        &["DEL", "missing"],
        &["DEL"],
        &["UNLINK", "list", "hash", "nothing"],
        &["UNLINK"],
        &["DBSIZE"],
        &["DEL", "set", "zset", "hll"],
        &["DBSIZE"],
        &["TYPE"],
        &["TYPE", "a", "b"],
    ]);
}

#[test]
fn rename_and_renamenx() {
    let mut p = Pair::new();
    p.check_all(&[
        &["RENAME", "missing", "x"],
        &["RENAMENX", "missing", "x"],
        &["SET", "a", "1"],
        &["RENAME", "a", "b"],
        &["EXISTS", "a"],
        &["GET", "b"],
        &["RENAME", "b", "b"],
        &["GET", "b"],
        &["RENAMENX", "b", "b"],
        &["RPUSH", "list", "x"],
        &["RENAME", "b", "list"],
        &["TYPE", "list"],
        &["GET", "list"],
        &["SET", "c", "3"],
        &["RENAMENX", "c", "list"],
        &["RENAMENX", "c", "d"],
        &["GET", "d"],
        &["SET", "t", "v", "EXAT", "4102444800"],
        &["RENAME", "t", "t2"],
        &["EXPIRETIME", "t2"],
        &["SET", "t3", "v", "EXAT", "4102444900"],
        &["SET", "plain", "p"],
        &["RENAME", "plain", "t3"],
        &["TTL", "t3"],
        &["HSET", "h", "f", "v"],
        &["RENAME", "h", "{h}other"],
        &["HGETALL", "{h}other"],
        &["RENAME", "a"],
        &["RENAMENX", "a", "b", "c"],
    ]);
}

#[test]
fn copy_every_type() {
    let mut p = Pair::new();
    fill_types(&mut p);
    for key in ["str", "list", "hash", "set", "zset", "hll"] {
        let dst = format!("{key}-copy");
        p.check(&["COPY", key, &dst]);
        p.check(&["TYPE", &dst]);
        p.check(&["OBJECT", "ENCODING", &dst]);
        p.check(&["COPY", key, &dst]);
        p.check(&["COPY", key, &dst, "REPLACE"]);
    }
    p.check_all(&[
        &["RPUSH", "list-copy", "c"],
        &["LRANGE", "list", "0", "-1"],
        &["LRANGE", "list-copy", "0", "-1"],
        &["HSET", "hash-copy", "g", "w"],
        &["HLEN", "hash"],
        &["SADD", "set-copy", "3"],
        &["SCARD", "set"],
        &["ZADD", "zset-copy", "2", "b"],
        &["ZCARD", "zset"],
        &["APPEND", "str-copy", "x"],
        &["GET", "str"],
        &["COPY", "missing", "x"],
        &["COPY", "str", "str"],
        &["COPY", "str", "str", "REPLACE"],
        &["COPY", "str", "other", "DB", "1"],
        &["COPY", "str", "str", "DB", "1"],
        &["COPY", "str", "str", "DB", "1"],
        &["COPY", "str", "str", "DB", "1", "REPLACE"],
        &["COPY", "str", "x", "DB", "16"],
        &["COPY", "str", "x", "DB", "-1"],
        &["COPY", "str", "x", "DB", "x"],
        &["COPY", "str", "x", "BOGUS"],
        &["COPY", "str", "x", "DB"],
        &["COPY", "str", "str", "DB", "0"],
        &["SELECT", "1"],
        &["GET", "str"],
        &["GET", "other"],
        &["SELECT", "0"],
        &["SET", "ttl", "v", "EXAT", "4102444800"],
        &["COPY", "ttl", "ttl2"],
        &["EXPIRETIME", "ttl2"],
        &["SET", "nottl", "v"],
        &["COPY", "nottl", "ttl2", "REPLACE"],
        &["TTL", "ttl2"],
    ]);
}

#[test]
fn keys_glob_patterns() {
    let mut p = Pair::new();
    for key in [
        "hello",
        "hallo",
        "hxllo",
        "hllo",
        "heeeello",
        "a*b",
        "[x]",
        "x",
        "a\\b",
        "foo:1",
        "foo:2",
        "foo:bar:3",
        "",
        "Hello",
        "h\x00llo",
        "ab",
        "abc",
        "^x",
        "-",
        "]",
    ] {
        p.check(&["SET", key, "1"]);
    }
    for pattern in [
        "*",
        "h?llo",
        "h*llo",
        "h[ae]llo",
        "h[^e]llo",
        "h[a-b]llo",
        "h[b-a]llo",
        "a\\*b",
        "\\[x\\]",
        "[x]",
        "[",
        "[[]x]",
        "*\\",
        "a\\\\b",
        "foo:*",
        "foo:*:*",
        "*:?",
        "",
        "?",
        "??",
        "[^a]*",
        "[!a]*",
        "[a-]*",
        "*]",
        "-",
        "HELLO",
        "h*",
        "*l*l*",
        "*o",
        "[]",
        "[\\]]",
        "a[",
        "***",
        "h\x00llo",
        "[a-c]b*",
        "nomatch",
    ] {
        p.check_unordered(&["KEYS", pattern]);
    }
    p.check(&["KEYS"]);
    p.check(&["KEYS", "a", "b"]);
}

/// Runs a full SCAN iteration with `extra` arguments and returns every key seen.
fn scan_all(
    client: &mut Client,
    command: &[&str],
    extra: &[&str],
) -> Result<BTreeSet<Vec<u8>>, String> {
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    for _ in 0..100_000 {
        let mut args: Vec<&str> = command.to_vec();
        args.push(&cursor);
        args.extend_from_slice(extra);
        let reply = client.cmd(&args);
        if let Some(err) = reply.error_text() {
            return Err(err.to_string());
        }
        let parts = reply
            .as_array()
            .ok_or_else(|| format!("not an array: {reply}"))?;
        let next = parts.first().and_then(Reply::as_text).ok_or("no cursor")?;
        for item in parts.get(1).and_then(Reply::as_array).ok_or("no items")? {
            seen.insert(item.as_bytes().unwrap_or_default().to_vec());
        }
        if next == "0" {
            return Ok(seen);
        }
        cursor = next;
    }
    Err("SCAN did not finish".into())
}

#[test]
fn scan_full_iteration() {
    let mut p = Pair::new();
    p.check(&["SCAN", "0"]);
    let mut cmds = Vec::new();
    for i in 0..600 {
        cmds.push(redoubt_tests::command(&["SET", &format!("str:{i}"), "v"]));
        if i % 3 == 0 {
            cmds.push(redoubt_tests::command(&[
                "RPUSH",
                &format!("list:{i}"),
                "v",
            ]));
        }
        if i % 5 == 0 {
            cmds.push(redoubt_tests::command(&[
                "HSET",
                &format!("hash:{i}"),
                "f",
                "v",
            ]));
        }
        if i % 7 == 0 {
            cmds.push(redoubt_tests::command(&[
                "ZADD",
                &format!("zset:{i}"),
                "1",
                "m",
            ]));
        }
        if i % 11 == 0 {
            cmds.push(redoubt_tests::command(&["SADD", &format!("set:{i}"), "m"]));
        }
    }
    p.pipeline_check(&cmds, redoubt_tests::Compare::Exact);
    p.check(&["DBSIZE"]);
    for extra in [
        vec![],
        vec!["COUNT", "1"],
        vec!["COUNT", "1000"],
        vec!["MATCH", "str:1*"],
        vec!["MATCH", "*:7", "COUNT", "3"],
        vec!["TYPE", "list"],
        vec!["TYPE", "hash", "COUNT", "50"],
        vec!["TYPE", "zset"],
        vec!["TYPE", "set", "MATCH", "set:1*"],
        vec!["TYPE", "string", "MATCH", "nomatch*"],
        vec!["type", "STRING", "match", "str:59?"],
        vec!["TYPE", "bogus"],
        vec!["COUNT", "0"],
        vec!["COUNT", "-1"],
        vec!["COUNT", "x"],
        vec!["MATCH"],
        vec!["BOGUS", "1"],
    ] {
        let _ = p.each(|c| scan_all(c, &["SCAN"], &extra));
    }
    p.check(&["SCAN", "x"]);
    // Cursors are unsigned 64-bit ("-1" wraps); where they land depends on the table's layout.
    for cursor in ["-1", "18446744073709551615", "12345"] {
        p.check_derived(&["SCAN", cursor, "COUNT", "1"], |r| {
            r.as_array().map(|a| a.len())
        });
    }
    p.check(&["SCAN", "18446744073709551616"]);
}

/// A whole SCAN iteration (COUNT 7), running `between(client, step)` after every call; returns
/// the keys seen.
fn scan_while(c: &mut Client, mut between: impl FnMut(&mut Client, usize)) -> BTreeSet<String> {
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    for step in 0..10_000 {
        let reply = c.cmd(&["SCAN", &cursor, "COUNT", "7"]);
        let parts = reply.as_array().unwrap_or(&[]).to_vec();
        for item in parts.get(1).and_then(Reply::as_array).unwrap_or(&[]) {
            seen.insert(item.as_text().unwrap_or_default());
        }
        between(c, step);
        cursor = parts
            .first()
            .and_then(Reply::as_text)
            .unwrap_or_else(|| "0".into());
        if cursor == "0" {
            break;
        }
    }
    seen
}

#[test]
fn scan_guarantee_under_writes() {
    // Every key present for the whole iteration is returned, even while keys are added.
    let p = Pair::new();
    let complete = p.each(|c| {
        for i in 0..300 {
            c.cmd(&["SET", &format!("stable:{i}"), "v"]);
        }
        let all_stable =
            |seen: &BTreeSet<String>| (0..300).all(|i| seen.contains(&format!("stable:{i}")));
        // Grow the keyspace (forcing rehashes) while scanning.
        let grown = all_stable(&scan_while(c, |c, step| {
            for j in 0..5 {
                c.cmd(&["SET", &format!("added:{step}:{j}"), "v"]);
            }
        }));
        // Then shrink the keyspace (deleting the added keys and 8000 more) during a second
        // iteration: the table halves more than once on the way.
        for batch in 0..16 {
            let mut mset = vec!["MSET".to_string()];
            for i in 0..500 {
                mset.extend([format!("added:filler:{batch}:{i}"), "v".into()]);
            }
            c.cmd(&mset.iter().map(String::as_str).collect::<Vec<_>>());
        }
        let added: Vec<String> = c
            .cmd(&["KEYS", "added:*"])
            .as_array()
            .unwrap_or(&[])
            .iter()
            .filter_map(Reply::as_text)
            .collect();
        let mut doomed = added.chunks(200);
        let shrunk = all_stable(&scan_while(c, |c, _| {
            if let Some(batch) = doomed.next() {
                let mut del = vec!["DEL"];
                del.extend(batch.iter().map(String::as_str));
                c.cmd(&del);
            }
        }));
        grown && shrunk
    });
    assert!(
        complete,
        "SCAN missed keys that existed for the whole iteration"
    );
}

#[test]
fn randomkey_dbsize_flush() {
    let mut p = Pair::new();
    p.check_all(&[
        &["RANDOMKEY"],
        &["DBSIZE"],
        &["SET", "only", "1"],
        &["RANDOMKEY"],
        &["MSET", "a", "1", "b", "2", "c", "3"],
        &["DBSIZE"],
    ]);
    p.check_derived(&["RANDOMKEY"], |r| {
        r.as_text()
            .is_some_and(|k| ["only", "a", "b", "c"].contains(&k.as_str()))
    });
    p.check_all(&[
        &["FLUSHDB"],
        &["DBSIZE"],
        &["RANDOMKEY"],
        &["SET", "a", "1"],
        &["SELECT", "1"],
        &["SET", "b", "1"],
        &["FLUSHDB", "ASYNC"],
        &["DBSIZE"],
        &["SET", "b", "1"],
        &["FLUSHDB", "SYNC"],
        &["DBSIZE"],
        &["SET", "b", "1"],
        &["FLUSHALL"],
        &["DBSIZE"],
        &["SELECT", "0"],
        &["DBSIZE"],
        &["SET", "c", "1"],
        &["FLUSHALL", "ASYNC"],
        &["DBSIZE"],
        &["SET", "c", "1"],
        &["FLUSHALL", "SYNC"],
        &["DBSIZE"],
        &["FLUSHDB", "BOGUS"],
        &["FLUSHALL", "BOGUS"],
        &["FLUSHDB", "ASYNC", "SYNC"],
        &["DBSIZE", "x"],
        &["RANDOMKEY", "x"],
    ]);
}

#[test]
fn touch_and_object() {
    let mut p = Pair::new();
    fill_types(&mut p);
    p.check_all(&[
        &["TOUCH", "str", "list", "missing", "str"],
        &["TOUCH", "missing"],
        &["TOUCH"],
        &["OBJECT", "ENCODING", "str"],
        &["OBJECT", "ENCODING", "missing"],
        &["OBJECT", "REFCOUNT", "str"],
        &["OBJECT", "REFCOUNT", "missing"],
        &["OBJECT", "REFCOUNT", "list"],
        &["SET", "small", "100"],
        &["OBJECT", "REFCOUNT", "small"],
        &["SET", "large", "100000"],
        &["OBJECT", "REFCOUNT", "large"],
        &["OBJECT", "FREQ", "str"],
        &["OBJECT", "FREQ", "missing"],
        &["OBJECT", "BOGUS", "str"],
        &["OBJECT", "ENCODING"],
        &["OBJECT", "ENCODING", "a", "b"],
        &["OBJECT"],
    ]);
    p.check_derived(&["OBJECT", "IDLETIME", "str"], |r| {
        r.as_int().is_some_and(|n| (0..=2).contains(&n))
    });
    p.check(&["OBJECT", "IDLETIME", "missing"]);
    p.check_shape(&["OBJECT", "HELP"]);
}

#[test]
fn object_freq_with_lfu() {
    let mut p = Pair::with_args(&["--maxmemory-policy", "allkeys-lfu"]);
    p.check(&["SET", "k", "v"]);
    p.check(&["OBJECT", "FREQ", "k"]);
    p.check(&["OBJECT", "IDLETIME", "k"]);
    p.check(&["OBJECT", "FREQ", "missing"]);
}

#[test]
fn select_swapdb_move() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SELECT", "0"],
        &["SELECT", "15"],
        &["SELECT", "16"],
        &["SELECT", "-1"],
        &["SELECT", "x"],
        &["SELECT", "1.0"],
        &["SELECT"],
        &["SELECT", "1"],
        &["SET", "in1", "one"],
        &["SELECT", "0"],
        &["SET", "in0", "zero"],
        &["SWAPDB", "0", "1"],
        &["GET", "in1"],
        &["GET", "in0"],
        &["DBSIZE"],
        &["SWAPDB", "0", "0"],
        &["SWAPDB", "0", "16"],
        &["SWAPDB", "-1", "0"],
        &["SWAPDB", "x", "0"],
        &["SWAPDB", "0", "x"],
        &["SWAPDB", "0"],
        &["MOVE", "in1", "1"],
        &["EXISTS", "in1"],
        &["MOVE", "in1", "1"],
        &["SELECT", "1"],
        &["GET", "in1"],
        &["MOVE", "in1", "1"],
        &["MOVE", "missing", "0"],
        &["SET", "dup", "1"],
        &["SELECT", "0"],
        &["SET", "dup", "0"],
        &["MOVE", "dup", "1"],
        &["GET", "dup"],
        &["MOVE", "dup", "16"],
        &["MOVE", "dup", "-1"],
        &["MOVE", "dup", "x"],
        &["SET", "ttl", "v", "EXAT", "4102444800"],
        &["MOVE", "ttl", "2"],
        &["SELECT", "2"],
        &["EXPIRETIME", "ttl"],
        &["RPUSH", "l", "a"],
        &["MOVE", "l", "3"],
        &["SELECT", "3"],
        &["LRANGE", "l", "0", "-1"],
    ]);
}

#[test]
fn databases_option() {
    let mut p = Pair::with_args(&["--databases", "4"]);
    p.check_all(&[
        &["SELECT", "3"],
        &["SELECT", "4"],
        &["SWAPDB", "0", "4"],
        &["MOVE", "k", "4"],
        &["CONFIG", "GET", "databases"],
    ]);
}

#[test]
fn dump_and_restore() {
    let mut p = Pair::new();
    fill_types(&mut p);
    for key in ["str", "list", "hash", "set", "zset", "hll"] {
        let dump = p.check(&["DUMP", key]);
        let bytes = dump.as_bytes().unwrap_or_default().to_vec();
        let target = format!("{key}-restored");
        p.check(&[b"RESTORE".as_slice(), target.as_bytes(), b"0", &bytes]);
        p.check(&[b"RESTORE".as_slice(), target.as_bytes(), b"0", &bytes]);
        p.check(&[
            b"RESTORE".as_slice(),
            target.as_bytes(),
            b"0",
            &bytes,
            b"REPLACE",
        ]);
        p.check(&["TYPE", &target]);
    }
    p.check(&["DUMP", "missing"]);
    p.check(&["RESTORE", "x", "0", "garbage"]);
    p.check(&["RESTORE", "x", "-1", "garbage"]);
}
