//! Hash commands compared with redis-server: HSET/HSETNX/HMSET/HGET/HMGET/HDEL/HLEN/HSTRLEN/
//! HEXISTS/HKEYS/HVALS/HGETALL, HINCRBY/HINCRBYFLOAT, HRANDFIELD, HSCAN, and the
//! listpack → hashtable conversion thresholds.

use redoubt_tests::{Client, Pair, Reply};
use std::collections::BTreeSet;

#[test]
fn set_get_delete() {
    let mut p = Pair::new();
    p.check_all(&[
        &["HSET", "h", "f1", "v1"],
        &["HSET", "h", "f1", "v1b", "f2", "v2", "f3", "v3"],
        &["HGET", "h", "f1"],
        &["HGET", "h", "nope"],
        &["HGET", "missing", "f"],
        &["HMGET", "h", "f1", "nope", "f3"],
        &["HMGET", "missing", "a", "b"],
        &["HMSET", "h", "f4", "v4", "f5", "v5"],
        &["HMSET", "h", "f4"],
        &["HSET", "h", "f4"],
        &["HSET", "h"],
        &["HSETNX", "h", "f1", "x"],
        &["HSETNX", "h", "new", "x"],
        &["HSETNX", "missing2", "f", "v"],
        &["HLEN", "h"],
        &["HLEN", "missing"],
        &["HSTRLEN", "h", "f1"],
        &["HSTRLEN", "h", "nope"],
        &["HSTRLEN", "missing", "f"],
        &["HEXISTS", "h", "f2"],
        &["HEXISTS", "h", "nope"],
        &["HEXISTS", "missing", "f"],
        &["HDEL", "h", "f1", "f1", "nope", "f2"],
        &["HDEL", "missing", "f"],
        &["HDEL", "h"],
        &["HGETALL", "h"],
        &["HKEYS", "h"],
        &["HVALS", "h"],
        &["HGETALL", "missing"],
        &["HKEYS", "missing"],
        &["HVALS", "missing"],
        &["HDEL", "h", "f3", "f4", "f5", "new"],
        &["EXISTS", "h"],
        &["SET", "s", "v"],
        &["HSET", "s", "f", "v"],
        &["HGET", "s", "f"],
        &["HMGET", "s", "f"],
        &["HGETALL", "s"],
        &["HLEN", "s"],
        &["HDEL", "s", "f"],
        &["HSETNX", "s", "f", "v"],
        &["HSET", "b", "", "", "\x00", "a\r\n", "123", "-5"],
        &["HGETALL", "b"],
        &["HSTRLEN", "b", "123"],
        &["HSET", "num", "n", "12345"],
        &["HSTRLEN", "num", "n"],
    ]);
    p.hello(3);
    p.check_all(&[
        &["HGETALL", "b"],
        &["HGETALL", "missing"],
        &["HMGET", "b", "", "x"],
    ]);
}

#[test]
fn hincrby_and_hincrbyfloat() {
    let mut p = Pair::new();
    p.check_all(&[
        &["HINCRBY", "h", "c", "5"],
        &["HINCRBY", "h", "c", "-10"],
        &["HINCRBY", "h", "c", "x"],
        &["HINCRBY", "h", "c", "1.5"],
        &[
            "HSET",
            "h",
            "max",
            "9223372036854775807",
            "s",
            "abc",
            "sp",
            " 1",
            "f",
            "1.5",
        ],
        &["HINCRBY", "h", "max", "1"],
        &["HINCRBY", "h", "c", "-9223372036854775808"],
        &["HINCRBY", "h", "c", "-9223372036854775808"],
        &["HINCRBY", "h", "s", "1"],
        &["HINCRBY", "h", "sp", "1"],
        &["HINCRBY", "h", "f", "1"],
        &["HINCRBYFLOAT", "h", "f", "0.1"],
        &["HINCRBYFLOAT", "h", "f", "-1.6"],
        &["HINCRBYFLOAT", "h", "new", "3.0e2"],
        &["HINCRBYFLOAT", "h", "new", "1e-5"],
        &["HINCRBYFLOAT", "h", "c", "0"],
        &["HINCRBYFLOAT", "h", "s", "1"],
        &["HINCRBYFLOAT", "h", "f", "x"],
        &["HINCRBYFLOAT", "h", "f", "nan"],
        &["HINCRBYFLOAT", "h", "f", "inf"],
        &["HINCRBYFLOAT", "h", "max", "1"],
        &["HINCRBYFLOAT", "h", "max", "1.7976931348623157e308"],
        &["HINCRBYFLOAT", "h", "max", "1.7976931348623157e308"],
        &["OBJECT", "ENCODING", "h"],
        &["SET", "str", "v"],
        &["HINCRBY", "str", "f", "1"],
        &["HINCRBYFLOAT", "str", "f", "1"],
        &["HINCRBY", "h", "c"],
    ]);
    // The long float converted the hash to a hashtable, whose order is unspecified.
    p.check_pairs_unordered(&["HGETALL", "h"]);
}

#[test]
fn listpack_to_hashtable_thresholds() {
    let mut p = Pair::new();
    // Redis 7.0 started without a config file converts at 512 entries (128 with the stock
    // redis.conf); check around both.
    for i in 0..520 {
        p.check(&["HSET", "many", &format!("field{i}"), &i.to_string()]);
        if (125..130).contains(&i) || (509..515).contains(&i) {
            p.check(&["OBJECT", "ENCODING", "many"]);
        }
    }
    p.check(&["CONFIG", "GET", "hash-max-listpack-entries"]);
    p.check_pairs_unordered(&["HGETALL", "many"]);
    p.check_unordered(&["HKEYS", "many"]);
    p.check_unordered(&["HVALS", "many"]);
    p.check(&["HLEN", "many"]);
    p.check_all(&[
        &["HSET", "wide", "f", &"x".repeat(64)],
        &["OBJECT", "ENCODING", "wide"],
        &["HSET", "wide", "g", &"x".repeat(65)],
        &["OBJECT", "ENCODING", "wide"],
        &["HSET", "wfield", &"k".repeat(65), "v"],
        &["OBJECT", "ENCODING", "wfield"],
        &["HDEL", "wide", "g"],
        &["OBJECT", "ENCODING", "wide"],
        &["HINCRBYFLOAT", "wide", "f2", "1"],
        &["HSETNX", "small", "a", "1"],
        &["OBJECT", "ENCODING", "small"],
        &["HSETNX", "small", &"b".repeat(100), "1"],
        &["OBJECT", "ENCODING", "small"],
    ]);
}

#[test]
fn thresholds_from_config() {
    let mut p = Pair::with_args(&[
        "--hash-max-listpack-entries",
        "4",
        "--hash-max-listpack-value",
        "8",
    ]);
    p.check_all(&[
        &["HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"],
        &["OBJECT", "ENCODING", "h"],
        &["HGETALL", "h"],
        &["HSET", "h", "e", "5"],
        &["OBJECT", "ENCODING", "h"],
        &["HSET", "v", "a", "12345678"],
        &["OBJECT", "ENCODING", "v"],
        &["HSET", "v", "b", "123456789"],
        &["OBJECT", "ENCODING", "v"],
        &["CONFIG", "SET", "hash-max-listpack-entries", "1000"],
        &[
            "HSET", "later", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5",
        ],
        &["OBJECT", "ENCODING", "later"],
        &["CONFIG", "GET", "hash-max-ziplist-entries"],
        &["CONFIG", "GET", "hash-max-listpack-value"],
    ]);
}

#[test]
fn hrandfield() {
    let mut p = Pair::new();
    p.check_all(&[
        &["HRANDFIELD", "missing"],
        &["HRANDFIELD", "missing", "5"],
        &["HRANDFIELD", "missing", "-5", "WITHVALUES"],
        &["HSET", "one", "f", "v"],
        &["HRANDFIELD", "one"],
        &["HRANDFIELD", "one", "-3"],
        &["HRANDFIELD", "one", "-2", "WITHVALUES"],
        &["HRANDFIELD", "one", "0"],
        &["HRANDFIELD", "one", "x"],
        &["HRANDFIELD", "one", "1", "BOGUS"],
        &["HRANDFIELD", "one", "-9223372036854775808"],
        &["HRANDFIELD", "one", "-9223372036854775807", "WITHVALUES"],
        &["SET", "s", "v"],
        &["HRANDFIELD", "s"],
    ]);
    p.check(&[
        "HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5",
    ]);
    let fields: BTreeSet<String> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    // Counts at least the size return the whole hash.
    p.check_unordered(&["HRANDFIELD", "h", "5"]);
    p.check_unordered(&["HRANDFIELD", "h", "100"]);
    p.check_pairs_unordered(&["HRANDFIELD", "h", "100", "WITHVALUES"]);
    // Otherwise only the shape is determined: distinct for positive counts, exactly |count| for negative.
    for count in ["1", "3", "-3", "-20"] {
        p.check_derived(&["HRANDFIELD", "h", count], |r| {
            let got = r.to_strings();
            let distinct: BTreeSet<String> = got.iter().cloned().collect();
            (
                got.len(),
                got.iter().all(|f| fields.contains(f)),
                count.starts_with('-') || distinct.len() == got.len(),
            )
        });
    }
    p.check_derived(&["HRANDFIELD", "h"], |r| {
        r.as_text().is_some_and(|f| fields.contains(&f))
    });
    p.check_derived(&["HRANDFIELD", "h", "-4", "WITHVALUES"], |r| {
        let pairs = r.as_pairs().unwrap_or_default();
        (
            pairs.len(),
            pairs.iter().all(|(f, v)| {
                f.as_text().map(|f| (f.as_bytes()[0] - b'a' + b'1') as char)
                    == v.as_text().and_then(|v| v.chars().next())
            }),
        )
    });
    // A hashtable-encoded hash.
    for i in 0..200 {
        p.check(&["HSET", "big", &format!("f{i}"), &i.to_string()]);
    }
    p.check_shape(&["HRANDFIELD", "big", "10"]);
    p.check_shape(&["HRANDFIELD", "big", "-300", "WITHVALUES"]);
    p.check_unordered(&["HRANDFIELD", "big", "200"]);
    p.hello(3);
    p.check_shape(&["HRANDFIELD", "h", "2", "WITHVALUES"]);
    p.check_shape(&["HRANDFIELD", "h", "-2", "WITHVALUES"]);
    p.check_unordered(&["HRANDFIELD", "h", "10", "WITHVALUES"]);
}

/// Field/value (or member/score) pairs seen by a full iteration.
type Entries = BTreeSet<(Vec<u8>, Vec<u8>)>;

fn hscan_all(client: &mut Client, key: &str, extra: &[&str]) -> Result<Entries, String> {
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    for _ in 0..100_000 {
        let mut args = vec!["HSCAN", key, &cursor];
        args.extend_from_slice(extra);
        let reply = client.cmd(&args);
        if let Some(e) = reply.error_text() {
            return Err(e.to_string());
        }
        let parts = reply.as_array().ok_or("not an array")?.to_vec();
        let items = parts.get(1).and_then(Reply::as_array).ok_or("no items")?;
        for pair in items.chunks(2) {
            let field = pair[0].as_bytes().unwrap_or_default().to_vec();
            let value = pair
                .get(1)
                .and_then(Reply::as_bytes)
                .unwrap_or_default()
                .to_vec();
            seen.insert((field, value));
        }
        cursor = parts.first().and_then(Reply::as_text).ok_or("no cursor")?;
        if cursor == "0" {
            return Ok(seen);
        }
    }
    Err("HSCAN did not finish".into())
}

#[test]
fn hscan() {
    let mut p = Pair::new();
    p.check_all(&[
        &["HSCAN", "missing", "0"],
        &["HSET", "small", "a", "1", "b", "2", "c", "3", "ab", "4"],
        &["HSCAN", "small", "0"],
        &["HSCAN", "small", "0", "MATCH", "a*"],
        &["HSCAN", "small", "0", "COUNT", "1"],
        &["HSCAN", "small", "0", "COUNT", "0"],
        &["HSCAN", "small", "0", "MATCH"],
        &["HSCAN", "small", "0", "TYPE", "string"],
        &["HSCAN", "small", "x"],
        &["HSCAN", "small"],
        &["SET", "s", "v"],
        &["HSCAN", "s", "0"],
    ]);
    for i in 0..500 {
        p.check(&["HSET", "big", &format!("field:{i}"), &format!("value:{i}")]);
    }
    for extra in [
        vec![],
        vec!["COUNT", "3"],
        vec!["MATCH", "field:1*"],
        vec!["MATCH", "*7", "COUNT", "100"],
    ] {
        let got = p.each(|c| hscan_all(c, "big", &extra));
        if extra.is_empty() {
            assert_eq!(got.map(|s| s.len()), Ok(500));
        }
    }
    p.hello(3);
    p.check(&["HSCAN", "small", "0"]);
}
