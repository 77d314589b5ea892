//! List commands compared with redis-server: pushes and pops (with counts), LRANGE/LINDEX/LSET/
//! LINSERT/LREM/LTRIM/LPOS, LMOVE/RPOPLPUSH, LMPOP, large lists and encodings. The blocking
//! variants are in blocking.rs.

use redoubt_tests::{command, Compare, Pair};

#[test]
fn push_pop_and_len() {
    let mut p = Pair::new();
    p.check_all(&[
        &["LPUSH", "l", "a", "b", "c"],
        &["RPUSH", "l", "d", "e"],
        &["LRANGE", "l", "0", "-1"],
        &["LLEN", "l"],
        &["LLEN", "missing"],
        &["LPOP", "l"],
        &["RPOP", "l"],
        &["LPOP", "l", "2"],
        &["RPOP", "l", "0"],
        &["LPOP", "l", "10"],
        &["EXISTS", "l"],
        &["LPOP", "l"],
        &["LPOP", "l", "2"],
        &["RPOP", "missing", "0"],
        &["LPOP", "l", "-1"],
        &["LPOP", "l", "x"],
        &["RPUSH", "l", "x"],
        &["LPOP", "l", "-1"],
        &["LPOP", "l", "1", "2"],
        &["LPUSHX", "missing", "a"],
        &["RPUSHX", "missing", "a", "b"],
        &["EXISTS", "missing"],
        &["LPUSHX", "l", "a", "b"],
        &["RPUSHX", "l", "c"],
        &["LRANGE", "l", "0", "-1"],
        &["LPUSH", "l"],
        &["LPUSHX", "l"],
        &["SET", "s", "v"],
        &["LPUSH", "s", "a"],
        &["RPUSH", "s", "a"],
        &["LPUSHX", "s", "a"],
        &["LPOP", "s"],
        &["LLEN", "s"],
        &["RPUSH", "bin", "", "\x00", "a\r\nb"],
        &["LRANGE", "bin", "0", "-1"],
        &[
            "RPUSH",
            "nums",
            "1",
            "-1",
            "9223372036854775807",
            "1.5",
            "007",
        ],
        &["LRANGE", "nums", "0", "-1"],
    ]);
}

#[test]
fn lrange_lindex_lset() {
    let mut p = Pair::new();
    p.check(&[
        "RPUSH", "l", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
    ]);
    for (start, stop) in [
        ("0", "-1"),
        ("0", "0"),
        ("-1", "-1"),
        ("2", "5"),
        ("5", "2"),
        ("-3", "-1"),
        ("-100", "100"),
        ("100", "200"),
        ("-100", "-50"),
        ("9", "9"),
        ("10", "10"),
        ("-11", "0"),
        ("x", "1"),
        ("0", "1.5"),
        ("9223372036854775807", "-9223372036854775808"),
        ("-9223372036854775808", "9223372036854775807"),
    ] {
        p.check(&["LRANGE", "l", start, stop]);
    }
    for index in [
        "0",
        "9",
        "10",
        "-1",
        "-10",
        "-11",
        "x",
        "9223372036854775807",
        "-9223372036854775808",
    ] {
        p.check(&["LINDEX", "l", index]);
    }
    p.check_all(&[
        &["LSET", "l", "0", "zero"],
        &["LSET", "l", "-1", "last"],
        &["LSET", "l", "10", "x"],
        &["LSET", "l", "-11", "x"],
        &["LSET", "l", "x", "x"],
        &["LSET", "missing", "0", "x"],
        &["LSET", "l", "5", &"long".repeat(30)],
        &["LRANGE", "l", "0", "-1"],
        &["LINDEX", "missing", "0"],
        &["LRANGE", "missing", "0", "-1"],
        &["SET", "s", "v"],
        &["LRANGE", "s", "0", "-1"],
        &["LINDEX", "s", "0"],
        &["LSET", "s", "0", "x"],
        &["LRANGE", "l", "0"],
    ]);
}

#[test]
fn linsert_lrem_ltrim() {
    let mut p = Pair::new();
    p.check_all(&[
        &["RPUSH", "l", "a", "b", "c", "b", "a", "b"],
        &["LINSERT", "l", "BEFORE", "b", "X"],
        &["LINSERT", "l", "AFTER", "b", "Y"],
        &["LINSERT", "l", "after", "a", "Z"],
        &["LINSERT", "l", "BEFORE", "nope", "X"],
        &["LINSERT", "missing", "BEFORE", "a", "X"],
        &["LINSERT", "l", "MIDDLE", "a", "X"],
        &["LINSERT", "l", "BEFORE", "a"],
        &["LRANGE", "l", "0", "-1"],
        &["LREM", "l", "0", "b"],
        &["LRANGE", "l", "0", "-1"],
        &["RPUSH", "r", "x", "y", "x", "y", "x", "y", "x"],
        &["LREM", "r", "2", "x"],
        &["LRANGE", "r", "0", "-1"],
        &["LREM", "r", "-1", "y"],
        &["LRANGE", "r", "0", "-1"],
        &["LREM", "r", "-10", "x"],
        &["LRANGE", "r", "0", "-1"],
        &["LREM", "r", "0", "nothing"],
        &["LREM", "r", "x", "y"],
        &["LREM", "missing", "0", "a"],
        &["LREM", "r", "0", "y"],
        &["EXISTS", "r"],
        &["SET", "s", "v"],
        &["LINSERT", "s", "BEFORE", "a", "b"],
        &["LREM", "s", "0", "a"],
        &["LTRIM", "s", "0", "1"],
    ]);
    for (start, stop) in [
        ("1", "-2"),
        ("0", "-1"),
        ("-2", "-1"),
        ("5", "1"),
        ("0", "0"),
        ("-100", "100"),
        ("3", "100"),
    ] {
        p.check(&["DEL", "t"]);
        p.check(&["RPUSH", "t", "a", "b", "c", "d", "e", "f"]);
        p.check(&["LTRIM", "t", start, stop]);
        p.check(&["LRANGE", "t", "0", "-1"]);
        p.check(&["EXISTS", "t"]);
    }
    p.check_all(&[
        &["LTRIM", "missing", "0", "1"],
        &["LTRIM", "t", "x", "1"],
        &["LTRIM", "t", "0"],
    ]);
}

#[test]
fn lpos() {
    let mut p = Pair::new();
    p.check(&["RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c", "a"]);
    for args in [
        vec!["c"],
        vec!["a"],
        vec!["nope"],
        vec!["c", "RANK", "2"],
        vec!["c", "RANK", "-1"],
        vec!["c", "RANK", "-3"],
        vec!["c", "RANK", "4"],
        vec!["c", "RANK", "0"],
        vec!["c", "RANK", "-9223372036854775808"],
        vec!["c", "RANK", "x"],
        vec!["c", "COUNT", "0"],
        vec!["c", "COUNT", "2"],
        vec!["c", "COUNT", "-1"],
        vec!["nope", "COUNT", "0"],
        vec!["c", "COUNT", "0", "RANK", "2"],
        vec!["c", "COUNT", "0", "RANK", "-1"],
        vec!["c", "MAXLEN", "3"],
        vec!["c", "MAXLEN", "2"],
        vec!["c", "MAXLEN", "0"],
        vec!["c", "MAXLEN", "-1"],
        vec!["c", "COUNT", "0", "MAXLEN", "7"],
        vec!["a", "RANK", "-1", "MAXLEN", "1"],
        vec!["a", "RANK", "-1", "MAXLEN", "2"],
        vec!["1", "COUNT", "1"],
        vec!["c", "BOGUS", "1"],
        vec!["c", "RANK"],
        vec!["c", "rank", "1", "count", "1", "maxlen", "0"],
    ] {
        let mut cmd = vec!["LPOS", "l"];
        cmd.extend(args);
        p.check(&cmd);
    }
    p.check_all(&[
        &["LPOS", "missing", "a"],
        &["LPOS", "missing", "a", "COUNT", "0"],
        &["SET", "s", "v"],
        &["LPOS", "s", "a"],
        &["LPOS", "l"],
    ]);
}

#[test]
fn lmove_and_rpoplpush() {
    let mut p = Pair::new();
    p.check(&["RPUSH", "src", "1", "2", "3", "4"]);
    for (from, to) in [
        ("LEFT", "LEFT"),
        ("LEFT", "RIGHT"),
        ("RIGHT", "LEFT"),
        ("RIGHT", "RIGHT"),
    ] {
        p.check(&["LMOVE", "src", "dst", from, to]);
        p.check(&["LRANGE", "src", "0", "-1"]);
        p.check(&["LRANGE", "dst", "0", "-1"]);
    }
    p.check_all(&[
        &["RPUSH", "rot", "a", "b", "c"],
        &["LMOVE", "rot", "rot", "LEFT", "RIGHT"],
        &["LRANGE", "rot", "0", "-1"],
        &["RPOPLPUSH", "rot", "rot"],
        &["LRANGE", "rot", "0", "-1"],
        &["RPOPLPUSH", "missing", "dst"],
        &["LMOVE", "missing", "dst", "LEFT", "LEFT"],
        &["RPUSH", "one", "x"],
        &["RPOPLPUSH", "one", "other"],
        &["EXISTS", "one"],
        &["SET", "s", "v"],
        &["RPUSH", "l", "a"],
        &["LMOVE", "l", "s", "LEFT", "LEFT"],
        &["LRANGE", "l", "0", "-1"],
        &["LMOVE", "s", "l", "LEFT", "LEFT"],
        &["RPOPLPUSH", "l", "s"],
        &["LMOVE", "l", "x", "UP", "LEFT"],
        &["LMOVE", "l", "x", "LEFT"],
        &["LMOVE", "l", "x", "left", "right"],
        &["LRANGE", "x", "0", "-1"],
    ]);
}

#[test]
fn lmpop() {
    let mut p = Pair::new();
    p.check_all(&[
        &["LMPOP", "2", "a", "b", "LEFT"],
        &["RPUSH", "b", "1", "2", "3", "4", "5"],
        &["LMPOP", "2", "a", "b", "LEFT"],
        &["LMPOP", "2", "a", "b", "RIGHT", "COUNT", "2"],
        &["RPUSH", "a", "x"],
        &["LMPOP", "2", "a", "b", "RIGHT", "COUNT", "10"],
        &["EXISTS", "a"],
        &["LMPOP", "1", "b", "LEFT", "COUNT", "100"],
        &["EXISTS", "b"],
        &["LMPOP", "0", "a", "LEFT"],
        &["LMPOP", "-1", "a", "LEFT"],
        &["LMPOP", "x", "a", "LEFT"],
        &["LMPOP", "3", "a", "b", "LEFT"],
        &["LMPOP", "1", "a", "MIDDLE"],
        &["LMPOP", "1", "a", "LEFT", "COUNT", "0"],
        &["LMPOP", "1", "a", "LEFT", "COUNT", "-1"],
        &["LMPOP", "1", "a", "LEFT", "COUNT"],
        &["LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "2"],
        &["LMPOP", "1", "a", "LEFT", "BOGUS"],
        &["LMPOP", "1", "a"],
        &["SET", "s", "v"],
        &["RPUSH", "c", "z"],
        &["LMPOP", "2", "s", "c", "LEFT"],
        &["LMPOP", "2", "c", "s", "LEFT"],
        &["LMPOP", "2", "missing", "s", "LEFT"],
    ]);
    p.hello(3);
    p.check_all(&[
        &["RPUSH", "r3", "a", "b"],
        &["LMPOP", "1", "r3", "LEFT", "COUNT", "5"],
        &["LMPOP", "1", "r3", "LEFT"],
    ]);
}

#[test]
fn large_lists_and_encoding() {
    let mut p = Pair::new();
    let mut cmds = Vec::new();
    for i in 0..5000 {
        cmds.push(command(&[
            if i % 2 == 0 { "RPUSH" } else { "LPUSH" },
            "big",
            &format!("element-{i}"),
        ]));
    }
    p.pipeline_check(&cmds, Compare::Exact);
    p.check_all(&[
        &["LLEN", "big"],
        &["OBJECT", "ENCODING", "big"],
        &["LINDEX", "big", "2500"],
        &["LINDEX", "big", "-2500"],
        &["LRANGE", "big", "1000", "1010"],
        &["LRANGE", "big", "-1010", "-1000"],
        &["LSET", "big", "3000", "changed"],
        &["LINSERT", "big", "BEFORE", "changed", "inserted"],
        &["LREM", "big", "-3", "element-4998"],
        &["LPOS", "big", "inserted"],
        &["LTRIM", "big", "100", "-100"],
        &["LLEN", "big"],
        &["LPOP", "big", "50"],
        &["RPOP", "big", "50"],
        &["LRANGE", "big", "0", "-1"],
    ]);
    p.check_all(&[
        &["RPUSH", "small", "a"],
        &["OBJECT", "ENCODING", "small"],
        &["RPUSH", "wide", &"v".repeat(10_000)],
        &["OBJECT", "ENCODING", "wide"],
        &["LINDEX", "wide", "0"],
    ]);
}

#[test]
fn list_size_config() {
    let mut p = Pair::with_args(&["--list-max-listpack-size", "4"]);
    for i in 0..20 {
        p.check(&["RPUSH", "l", &i.to_string()]);
    }
    p.check_all(&[
        &["OBJECT", "ENCODING", "l"],
        &["LRANGE", "l", "0", "-1"],
        &["LINSERT", "l", "AFTER", "7", "x"],
        &["LREM", "l", "0", "3"],
        &["LRANGE", "l", "0", "-1"],
        &["CONFIG", "GET", "list-max-listpack-size"],
        &["CONFIG", "GET", "list-max-ziplist-size"],
    ]);
}
