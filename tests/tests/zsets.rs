//! Sorted-set commands compared with redis-server: ZADD and its options, scores (inf, -inf,
//! formatting, NaN errors), ranks, every ZRANGE form (BYSCORE/BYLEX/REV/LIMIT/WITHSCORES) and the
//! legacy range commands, removals by range, ZRANGESTORE, ZINTER/ZUNION/ZDIFF(+STORE) with
//! WEIGHTS/AGGREGATE, ZINTERCARD, pops (ZPOPMIN/ZPOPMAX/ZMPOP), ZRANDMEMBER, ZSCAN, encodings.
//! BZPOPMIN/BZPOPMAX/BZMPOP are in blocking.rs.

use redoubt_tests::{Client, Pair, Reply};
use std::collections::BTreeSet;

fn setup(p: &mut Pair) {
    p.check_all(&[
        &[
            "ZADD", "z", "1", "a", "2", "b", "2", "c", "3", "d", "-inf", "ninf", "+inf", "pinf",
            "2.5", "e", "0", "zero",
        ],
        &[
            "ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f", "0", "g",
            "0", "aa", "0", "A", "0", "",
        ],
    ]);
}

#[test]
fn zadd_options_and_scores() {
    let mut p = Pair::new();
    p.check_all(&[
        &["ZADD", "z", "1", "a"],
        &["ZADD", "z", "1", "a", "2", "b"],
        &["ZADD", "z", "CH", "5", "a", "2", "b", "3", "c"],
        &["ZADD", "z", "NX", "10", "a", "10", "new"],
        &["ZADD", "z", "XX", "10", "a", "10", "other"],
        &["ZADD", "z", "XX", "CH", "11", "a", "11", "b"],
        &["ZADD", "z", "GT", "CH", "1", "a", "20", "b"],
        &["ZADD", "z", "LT", "CH", "1", "a", "20", "c"],
        &["ZADD", "z", "GT", "5", "brandnew"],
        &["ZADD", "z", "XX", "GT", "100", "a"],
        &["ZADD", "z", "INCR", "5", "a"],
        &["ZADD", "z", "INCR", "NX", "5", "a"],
        &["ZADD", "z", "INCR", "XX", "5", "nope"],
        &["ZADD", "z", "INCR", "GT", "-5", "a"],
        &["ZADD", "z", "INCR", "LT", "-5", "a"],
        &["ZADD", "z", "INCR", "1", "a", "2", "b"],
        &["ZADD", "z", "NX", "XX", "1", "a"],
        &["ZADD", "z", "GT", "LT", "1", "a"],
        &["ZADD", "z", "NX", "GT", "1", "a"],
        &["ZADD", "z", "NX", "LT", "1", "a"],
        &["ZADD", "z", "1"],
        &["ZADD", "z", "1", "a", "2"],
        &["ZADD", "z"],
        &["ZADD", "z", "nan", "a"],
        &["ZADD", "z", "x", "a"],
        &["ZADD", "z", "", "a"],
        &["ZADD", "z", "1.5.5", "a"],
        &["ZADD", "z", "CH"],
        &[
            "ZADD", "z", "inf", "i", "-inf", "ni", "+inf", "pi", "-0", "negzero", "1e300", "huge",
        ],
        &[
            "ZADD",
            "z",
            "0.1",
            "tenth",
            "3.0000000000000004",
            "t",
            "1.5e-7",
            "tiny",
            "1e17",
            "e17",
        ],
        &[
            "ZADD",
            "z",
            "123456789012345678",
            "long",
            "-1.7976931348623157e308",
            "min",
            "5e-324",
            "denorm",
        ],
        &["ZADD", "z", " 1", "sp", "0x10", "hex", "1e", "bad"],
        &["ZADD", "z", "INCR", "inf", "i"],
        &["ZADD", "z", "INCR", "-inf", "i"],
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        &["ZCARD", "z"],
        &["SET", "str", "v"],
        &["ZADD", "str", "1", "a"],
        &["ZADD", "missing", "XX", "1", "a"],
        &["EXISTS", "missing"],
        &["ZADD", "zz", "nx", "ch", "gt", "1", "a"],
        &["ZADD", "zz", "xx", "incr", "1", "a"],
    ]);
    for score in [
        "0.1",
        "-0.0",
        "1e-300",
        "1.0",
        "10",
        "100.5",
        "1e16",
        "12345.6789",
        "0.30000000000000004",
        "-inf",
    ] {
        p.check(&["ZADD", "fmt", score, "m"]);
        p.check(&["ZSCORE", "fmt", "m"]);
        p.check(&["ZINCRBY", "fmt", "0.1", "m"]);
        p.check(&["ZRANGE", "fmt", "0", "-1", "WITHSCORES"]);
    }
    p.hello(3);
    p.check_all(&[
        &["ZADD", "r3", "INCR", "1.5", "a"],
        &["ZADD", "r3", "INCR", "NX", "1", "a"],
        &["ZSCORE", "r3", "a"],
        &["ZSCORE", "r3", "missing"],
        &["ZMSCORE", "r3", "a", "missing"],
        &["ZINCRBY", "r3", "inf", "a"],
        &["ZRANGE", "r3", "0", "-1", "WITHSCORES"],
    ]);
}

#[test]
fn score_lookups_counts_ranks() {
    let mut p = Pair::new();
    setup(&mut p);
    p.check_all(&[
        &["ZCARD", "z"],
        &["ZCARD", "missing"],
        &["ZSCORE", "z", "a"],
        &["ZSCORE", "z", "ninf"],
        &["ZSCORE", "z", "pinf"],
        &["ZSCORE", "z", "nope"],
        &["ZSCORE", "missing", "a"],
        &["ZMSCORE", "z", "a", "nope", "e"],
        &["ZMSCORE", "missing", "a", "b"],
        &["ZMSCORE", "z"],
        &["ZINCRBY", "z", "1.5", "a"],
        &["ZINCRBY", "z", "-1.5", "a"],
        &["ZINCRBY", "z", "1", "newmember"],
        &["ZINCRBY", "z", "x", "a"],
        &["ZINCRBY", "z", "nan", "a"],
        &["ZINCRBY", "z", "-inf", "pinf"],
        &["ZINCRBY", "z", "inf", "pinf"],
        &["ZINCRBY", "newkey", "2", "m"],
        &["ZRANK", "z", "a"],
        &["ZRANK", "z", "ninf"],
        &["ZRANK", "z", "pinf"],
        &["ZRANK", "z", "nope"],
        &["ZREVRANK", "z", "a"],
        &["ZREVRANK", "z", "pinf"],
        &["ZREVRANK", "missing", "a"],
        &["ZRANK", "z", "b"],
        &["ZRANK", "z", "c"],
        &["SET", "str", "v"],
        &["ZSCORE", "str", "a"],
        &["ZRANK", "str", "a"],
        &["ZCARD", "str"],
        &["ZINCRBY", "str", "1", "a"],
    ]);
    for (min, max) in [
        ("-inf", "+inf"),
        ("1", "2"),
        ("(1", "2"),
        ("1", "(2"),
        ("(1", "(2"),
        ("2", "1"),
        ("(2", "(2"),
        ("2", "2"),
        ("-inf", "-inf"),
        ("+inf", "+inf"),
        ("(-inf", "(+inf"),
        ("inf", "-inf"),
        ("x", "1"),
        ("1", "nan"),
        ("(", "1"),
        ("[1", "2"),
        ("1e0", "2.5e0"),
    ] {
        p.check(&["ZCOUNT", "z", min, max]);
    }
}

#[test]
fn zrange_every_form() {
    let mut p = Pair::new();
    setup(&mut p);
    let index_ranges = [
        ("0", "-1"),
        ("1", "3"),
        ("-3", "-1"),
        ("5", "2"),
        ("-100", "100"),
        ("100", "200"),
        ("x", "1"),
    ];
    for (start, stop) in index_ranges {
        for extra in [
            vec![],
            vec!["WITHSCORES"],
            vec!["REV"],
            vec!["REV", "WITHSCORES"],
            vec!["LIMIT", "0", "1"],
        ] {
            let mut cmd = vec!["ZRANGE", "z", start, stop];
            cmd.extend(extra.iter());
            p.check(&cmd);
        }
        p.check(&["ZREVRANGE", "z", start, stop]);
        p.check(&["ZREVRANGE", "z", start, stop, "WITHSCORES"]);
    }
    let score_ranges = [
        ("-inf", "+inf"),
        ("1", "2.5"),
        ("(1", "(2.5"),
        ("2.5", "1"),
        ("(2", "+inf"),
        ("-inf", "(0"),
        ("+inf", "-inf"),
        ("x", "1"),
        ("(", "1"),
    ];
    for (min, max) in score_ranges {
        for extra in [
            vec![],
            vec!["WITHSCORES"],
            vec!["REV"],
            vec!["LIMIT", "1", "2"],
            vec!["LIMIT", "0", "-1"],
            vec!["LIMIT", "-1", "2"],
            vec!["LIMIT", "100", "2"],
            vec!["REV", "LIMIT", "1", "2", "WITHSCORES"],
        ] {
            let mut cmd = vec!["ZRANGE", "z", min, max, "BYSCORE"];
            cmd.extend(extra.iter());
            p.check(&cmd);
        }
        p.check(&["ZRANGEBYSCORE", "z", min, max]);
        p.check(&[
            "ZRANGEBYSCORE",
            "z",
            min,
            max,
            "WITHSCORES",
            "LIMIT",
            "1",
            "3",
        ]);
        p.check(&["ZREVRANGEBYSCORE", "z", max, min]);
        p.check(&[
            "ZREVRANGEBYSCORE",
            "z",
            max,
            min,
            "LIMIT",
            "0",
            "2",
            "WITHSCORES",
        ]);
    }
    let lex_ranges = [
        ("-", "+"),
        ("[a", "[c"),
        ("(a", "(c"),
        ("[aa", "+"),
        ("-", "(b"),
        ("[c", "[a"),
        ("+", "-"),
        ("[", "[a"),
        ("(", "+"),
        ("a", "[c"),
        ("[a", "c"),
        ("[A", "[a"),
    ];
    for (min, max) in lex_ranges {
        for extra in [
            vec![],
            vec!["REV"],
            vec!["LIMIT", "1", "2"],
            vec!["REV", "LIMIT", "0", "3"],
            vec!["WITHSCORES"],
        ] {
            let mut cmd = vec!["ZRANGE", "lex", min, max, "BYLEX"];
            cmd.extend(extra.iter());
            p.check(&cmd);
        }
        p.check(&["ZRANGEBYLEX", "lex", min, max]);
        p.check(&["ZRANGEBYLEX", "lex", min, max, "LIMIT", "2", "2"]);
        p.check(&["ZREVRANGEBYLEX", "lex", max, min]);
        p.check(&["ZREVRANGEBYLEX", "lex", max, min, "LIMIT", "1", "-1"]);
        p.check(&["ZLEXCOUNT", "lex", min, max]);
    }
    p.check_all(&[
        &["ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"],
        &["ZRANGE", "z", "0", "-1", "LIMIT", "1"],
        &["ZRANGE", "z", "0", "-1", "LIMIT", "x", "1"],
        &["ZRANGE", "z", "0", "-1", "BOGUS"],
        &["ZRANGE", "z", "0"],
        &["ZRANGE", "missing", "0", "-1"],
        &["ZRANGE", "missing", "(1", "2", "BYSCORE", "WITHSCORES"],
        &["ZRANGEBYSCORE", "z", "0", "1", "LIMIT"],
        &["ZRANGEBYLEX", "lex", "-", "+", "WITHSCORES"],
        &["SET", "str", "v"],
        &["ZRANGE", "str", "0", "-1"],
        &["ZRANGEBYLEX", "str", "-", "+"],
        &["ZLEXCOUNT", "str", "-", "+"],
    ]);
    p.hello(3);
    p.check_all(&[
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        &[
            "ZRANGE",
            "z",
            "-inf",
            "+inf",
            "BYSCORE",
            "REV",
            "WITHSCORES",
        ],
        &["ZRANGEBYSCORE", "z", "1", "3", "WITHSCORES"],
        &["ZREVRANGE", "z", "0", "2", "WITHSCORES"],
        &["ZRANGE", "missing", "0", "-1", "WITHSCORES"],
    ]);
}

#[test]
fn removals_and_zrangestore() {
    let mut p = Pair::new();
    for (cmd, a, b) in [
        ("ZREMRANGEBYRANK", "0", "1"),
        ("ZREMRANGEBYRANK", "-2", "-1"),
        ("ZREMRANGEBYRANK", "5", "1"),
        ("ZREMRANGEBYRANK", "0", "-1"),
        ("ZREMRANGEBYRANK", "x", "1"),
        ("ZREMRANGEBYSCORE", "1", "2"),
        ("ZREMRANGEBYSCORE", "(1", "(2.5"),
        ("ZREMRANGEBYSCORE", "-inf", "(0"),
        ("ZREMRANGEBYSCORE", "-inf", "+inf"),
        ("ZREMRANGEBYSCORE", "x", "1"),
    ] {
        p.check(&["DEL", "z"]);
        setup(&mut p);
        p.check(&[cmd, "z", a, b]);
        p.check(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]);
        p.check(&["EXISTS", "z"]);
    }
    for (a, b) in [
        ("[a", "[c"),
        ("(a", "+"),
        ("-", "+"),
        ("[z", "[zz"),
        ("a", "b"),
    ] {
        p.check(&["DEL", "lex"]);
        setup(&mut p);
        p.check(&["ZREMRANGEBYLEX", "lex", a, b]);
        p.check(&["ZRANGE", "lex", "0", "-1"]);
    }
    p.check_all(&[
        &["ZREM", "z", "a", "nope", "a"],
        &["ZREM", "missing", "a"],
        &["ZREM", "z"],
        &["ZREMRANGEBYRANK", "missing", "0", "1"],
        &["SET", "str", "v"],
        &["ZREM", "str", "a"],
        &["ZREMRANGEBYSCORE", "str", "0", "1"],
        &["ZRANGESTORE", "dst", "z", "0", "2"],
        &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        &[
            "ZRANGESTORE",
            "dst",
            "z",
            "1",
            "2",
            "BYSCORE",
            "LIMIT",
            "0",
            "1",
        ],
        &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        &["ZRANGESTORE", "dst", "z", "+inf", "-inf", "BYSCORE", "REV"],
        &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        &["ZRANGESTORE", "dst", "lex", "[b", "[e", "BYLEX"],
        &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        &["ZRANGESTORE", "dst", "z", "100", "200"],
        &["EXISTS", "dst"],
        &["ZRANGESTORE", "dst", "missing", "0", "-1"],
        &["ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"],
        &["ZRANGESTORE", "str", "z", "0", "0"],
        &["TYPE", "str"],
        &["SET", "str2", "v"],
        &["ZRANGESTORE", "dst", "str2", "0", "-1"],
        &["ZRANGESTORE", "z", "z", "0", "1"],
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ]);
}

#[test]
fn zunion_zinter_zdiff() {
    let mut p = Pair::new();
    p.check_all(&[
        &["ZADD", "a", "1", "x", "2", "y", "3", "z"],
        &["ZADD", "b", "10", "y", "20", "z", "30", "w"],
        &["ZADD", "c", "0.5", "z", "-1", "x", "inf", "w"],
        &["SADD", "set", "x", "w", "v"],
        &["SET", "str", "v"],
    ]);
    let key_lists: [&[&str]; 7] = [
        &["a"],
        &["a", "b"],
        &["a", "b", "c"],
        &["b", "a"],
        &["a", "set"],
        &["a", "missing"],
        &["missing", "missing2"],
    ];
    for op in ["ZUNION", "ZINTER", "ZDIFF"] {
        for keys in key_lists {
            let n = keys.len().to_string();
            let weights: Vec<&str> = ["2", "0.5", "-1"].into_iter().take(keys.len()).collect();
            let mut variants: Vec<Vec<&str>> = vec![vec![], vec!["WITHSCORES"]];
            if op != "ZDIFF" {
                let mut w = vec!["WEIGHTS"];
                w.extend(weights.iter());
                w.push("WITHSCORES");
                variants.push(w);
                for agg in ["SUM", "MIN", "MAX", "min"] {
                    variants.push(vec!["AGGREGATE", agg, "WITHSCORES"]);
                }
                let mut both = vec!["WEIGHTS"];
                both.extend(weights.iter());
                both.extend(["AGGREGATE", "MAX", "WITHSCORES"]);
                variants.push(both);
            }
            for extra in variants {
                let mut cmd = vec![op, n.as_str()];
                cmd.extend(keys.iter());
                cmd.extend(extra.iter());
                p.check(&cmd);
                let store = format!("{op}STORE");
                let mut cmd = vec![store.as_str(), "dest", n.as_str()];
                cmd.extend(keys.iter());
                cmd.extend(extra.iter().filter(|a| **a != "WITHSCORES"));
                p.check(&cmd);
                p.check(&["ZRANGE", "dest", "0", "-1", "WITHSCORES"]);
            }
        }
    }
    p.check_all(&[
        &["ZUNION", "2", "a", "str"],
        &["ZINTERSTORE", "dest", "2", "a", "str"],
        &["ZDIFF", "2", "str", "a"],
        &["ZUNION", "0", "a"],
        &["ZUNION", "-1", "a"],
        &["ZUNION", "x", "a"],
        &["ZUNION", "3", "a", "b"],
        &["ZUNIONSTORE", "dest", "0", "a"],
        &["ZUNION", "2", "a", "b", "WEIGHTS", "1"],
        &["ZUNION", "2", "a", "b", "WEIGHTS", "1", "2", "3"],
        &["ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"],
        &["ZUNION", "2", "a", "b", "WEIGHTS", "1", "nan"],
        &["ZUNION", "2", "a", "c", "WEIGHTS", "0", "0", "WITHSCORES"],
        &[
            "ZUNION",
            "2",
            "a",
            "c",
            "WEIGHTS",
            "inf",
            "-inf",
            "WITHSCORES",
        ],
        &["ZINTER", "2", "b", "c", "WEIGHTS", "1", "-1", "WITHSCORES"],
        &["ZUNION", "2", "a", "b", "AGGREGATE", "AVG"],
        &["ZUNION", "2", "a", "b", "AGGREGATE"],
        &["ZUNION", "2", "a", "b", "BOGUS"],
        &["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "1"],
        &["ZDIFF", "2", "a", "b", "AGGREGATE", "SUM"],
        &["ZUNIONSTORE", "dest", "2", "a", "b", "WITHSCORES"],
        &["ZINTERSTORE", "dest", "2", "a", "missing"],
        &["EXISTS", "dest"],
        &["ZUNIONSTORE", "a", "2", "a", "b"],
        &["ZRANGE", "a", "0", "-1", "WITHSCORES"],
        &["ZUNIONSTORE", "str", "1", "b"],
        &["TYPE", "str"],
        &["ZINTERCARD", "2", "a", "b"],
        &["ZINTERCARD", "2", "a", "b", "LIMIT", "1"],
        &["ZINTERCARD", "2", "a", "b", "LIMIT", "0"],
        &["ZINTERCARD", "2", "a", "set"],
        &["ZINTERCARD", "1", "a", "LIMIT", "-1"],
        &["ZINTERCARD", "0", "a"],
        &["ZINTERCARD", "2", "a"],
        &["ZINTERCARD", "2", "a", "b", "LIMIT"],
        &["ZINTERCARD", "2", "a", "missing"],
        &["ZINTERCARD", "1", "str"],
    ]);
    p.hello(3);
    p.check_all(&[
        &["ZUNION", "2", "a", "b", "WITHSCORES"],
        &["ZINTER", "2", "a", "b", "WITHSCORES"],
        &["ZDIFF", "1", "b", "WITHSCORES"],
    ]);
}

#[test]
fn pops() {
    let mut p = Pair::new();
    setup(&mut p);
    p.check_all(&[
        &["ZPOPMIN", "z"],
        &["ZPOPMAX", "z"],
        &["ZPOPMIN", "z", "2"],
        &["ZPOPMAX", "z", "0"],
        &["ZPOPMIN", "z", "-1"],
        &["ZPOPMIN", "z", "x"],
        &["ZPOPMAX", "z", "100"],
        &["EXISTS", "z"],
        &["ZPOPMIN", "missing"],
        &["ZPOPMIN", "missing", "2"],
        &["ZPOPMIN", "z", "1", "2"],
        &["SET", "str", "v"],
        &["ZPOPMIN", "str"],
        &["ZMPOP", "1", "missing", "MIN"],
        &["ZMPOP", "2", "missing", "lex", "MIN"],
        &["ZMPOP", "2", "missing", "lex", "MAX", "COUNT", "3"],
        &["ZMPOP", "1", "lex", "MIN", "COUNT", "100"],
        &["EXISTS", "lex"],
        &["ZMPOP", "0", "lex", "MIN"],
        &["ZMPOP", "2", "lex", "MIN"],
        &["ZMPOP", "1", "lex", "MIDDLE"],
        &["ZMPOP", "1", "lex", "MIN", "COUNT", "0"],
        &["ZMPOP", "1", "lex", "MIN", "COUNT", "-1"],
        &["ZMPOP", "1", "lex", "MIN", "COUNT"],
        &["ZMPOP", "1", "lex", "MIN", "BOGUS"],
        &["ZMPOP", "1", "str", "MIN"],
        &["ZMPOP", "2", "missing", "str", "MIN"],
    ]);
    p.hello(3);
    setup(&mut p);
    p.check_all(&[
        &["ZPOPMIN", "z"],
        &["ZPOPMAX", "z", "2"],
        &["ZPOPMIN", "missing"],
        &["ZPOPMIN", "missing", "1"],
        &["ZMPOP", "1", "z", "MAX", "COUNT", "2"],
        &["ZMPOP", "1", "missing", "MAX"],
    ]);
}

#[test]
fn zrandmember() {
    let mut p = Pair::new();
    p.check_all(&[
        &["ZRANDMEMBER", "missing"],
        &["ZRANDMEMBER", "missing", "3"],
        &["ZRANDMEMBER", "missing", "-3", "WITHSCORES"],
        &["ZADD", "one", "1.5", "x"],
        &["ZRANDMEMBER", "one"],
        &["ZRANDMEMBER", "one", "-3"],
        &["ZRANDMEMBER", "one", "-2", "WITHSCORES"],
        &["ZRANDMEMBER", "one", "0"],
        &["ZRANDMEMBER", "one", "x"],
        &["ZRANDMEMBER", "one", "1", "BOGUS"],
        &["ZRANDMEMBER", "one", "-9223372036854775808"],
        &["SET", "str", "v"],
        &["ZRANDMEMBER", "str"],
    ]);
    setup(&mut p);
    p.check_unordered(&["ZRANDMEMBER", "z", "8"]);
    p.check_pairs_unordered(&["ZRANDMEMBER", "z", "100", "WITHSCORES"]);
    for count in ["1", "3", "-3", "-30"] {
        p.check_shape(&["ZRANDMEMBER", "z", count]);
        p.check_shape(&["ZRANDMEMBER", "z", count, "WITHSCORES"]);
    }
    p.hello(3);
    p.check_shape(&["ZRANDMEMBER", "z", "-3", "WITHSCORES"]);
    p.check_unordered(&["ZRANDMEMBER", "z", "100", "WITHSCORES"]);
}

#[test]
fn encodings_and_thresholds() {
    let mut p = Pair::new();
    for i in 0..130 {
        p.check(&["ZADD", "big", &(i % 13).to_string(), &format!("member{i}")]);
        if (126..130).contains(&i) {
            p.check(&["OBJECT", "ENCODING", "big"]);
        }
    }
    p.check_all(&[
        &["ZRANGE", "big", "0", "-1", "WITHSCORES"],
        &["ZRANGE", "big", "3", "(5", "BYSCORE", "LIMIT", "4", "7"],
        &["ZRANK", "big", "member77"],
        &["ZREVRANK", "big", "member77"],
        &["ZCOUNT", "big", "(2", "7"],
        &["ZREMRANGEBYSCORE", "big", "5", "6"],
        &["ZREMRANGEBYRANK", "big", "10", "20"],
        &["ZRANGE", "big", "-20", "-1", "WITHSCORES"],
        &["OBJECT", "ENCODING", "big"],
        &["ZADD", "wide", "1", &"m".repeat(64)],
        &["OBJECT", "ENCODING", "wide"],
        &["ZADD", "wide", "1", &"m".repeat(65)],
        &["OBJECT", "ENCODING", "wide"],
        &["ZREM", "wide", &"m".repeat(65)],
        &["OBJECT", "ENCODING", "wide"],
        &["ZUNIONSTORE", "u", "2", "big", "wide"],
        &["OBJECT", "ENCODING", "u"],
        &["ZRANGESTORE", "small", "big", "0", "2"],
        &["OBJECT", "ENCODING", "small"],
    ]);
    let mut p2 = Pair::with_args(&[
        "--zset-max-listpack-entries",
        "3",
        "--zset-max-listpack-value",
        "4",
    ]);
    p2.check_all(&[
        &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        &["OBJECT", "ENCODING", "z"],
        &["ZADD", "z", "4", "d"],
        &["OBJECT", "ENCODING", "z"],
        &["ZADD", "v", "1", "abcde"],
        &["OBJECT", "ENCODING", "v"],
        &["CONFIG", "GET", "zset-max-ziplist-entries"],
        &["CONFIG", "GET", "zset-max-listpack-value"],
    ]);
}

/// Field/value (or member/score) pairs seen by a full iteration.
type Entries = BTreeSet<(Vec<u8>, Vec<u8>)>;

fn zscan_all(client: &mut Client, key: &str, extra: &[&str]) -> Result<Entries, String> {
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    for _ in 0..100_000 {
        let mut args = vec!["ZSCAN", key, &cursor];
        args.extend_from_slice(extra);
        let reply = client.cmd(&args);
        if let Some(e) = reply.error_text() {
            return Err(e.to_string());
        }
        let parts = reply.as_array().ok_or("not an array")?.to_vec();
        let items = parts.get(1).and_then(Reply::as_array).ok_or("no items")?;
        for pair in items.chunks(2) {
            let member = pair[0].as_bytes().unwrap_or_default().to_vec();
            let score = pair
                .get(1)
                .and_then(Reply::as_bytes)
                .unwrap_or_default()
                .to_vec();
            seen.insert((member, score));
        }
        cursor = parts.first().and_then(Reply::as_text).ok_or("no cursor")?;
        if cursor == "0" {
            return Ok(seen);
        }
    }
    Err("ZSCAN did not finish".into())
}

#[test]
fn zscan() {
    let mut p = Pair::new();
    setup(&mut p);
    p.check_all(&[
        &["ZSCAN", "missing", "0"],
        &["ZSCAN", "z", "0"],
        &["ZSCAN", "z", "0", "MATCH", "*inf"],
        &["ZSCAN", "z", "0", "COUNT", "0"],
        &["ZSCAN", "z", "x"],
        &["SET", "str", "v"],
        &["ZSCAN", "str", "0"],
    ]);
    for i in 0..400 {
        p.check(&[
            "ZADD",
            "big",
            &format!("{}.25", i % 37),
            &format!("member:{i}"),
        ]);
    }
    for extra in [vec![], vec!["COUNT", "7"], vec!["MATCH", "member:3*"]] {
        let got = p.each(|c| zscan_all(c, "big", &extra));
        if extra.is_empty() {
            assert_eq!(got.map(|s| s.len()), Ok(400));
        }
    }
    p.hello(3);
    p.check(&["ZSCAN", "z", "0"]);
}

/// Union and intersection combine their inputs smallest first, as Redis does: with infinite
/// scores the order decides the result (-inf + inf is NaN, kept as 0; then + inf).
#[test]
fn set_operations_combine_smallest_input_first() {
    let mut p = Pair::new();
    p.check_all(&[
        &["ZADD", "big", "-inf", "0", "1", "x", "2", "y"],
        &["ZADD", "small", "inf", "0"],
        &["ZUNIONSTORE", "d", "3", "big", "small", "small"],
        &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
        &["ZUNIONSTORE", "d", "3", "small", "big", "small"],
        &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
        &["ZUNION", "3", "big", "small", "small", "WITHSCORES"],
        &["ZINTER", "3", "big", "small", "small", "WITHSCORES"],
        &["ZINTERSTORE", "d", "2", "big", "small", "WEIGHTS", "1", "2"],
        &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
        &[
            "ZUNIONSTORE",
            "d",
            "2",
            "big",
            "small",
            "AGGREGATE",
            "MIN",
            "WEIGHTS",
            "-1",
            "1",
        ],
        &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    ]);
}
