//! String commands compared with redis-server: SET and every option, GET/GETEX/GETDEL/GETSET,
//! MSET/MSETNX/MGET, APPEND/STRLEN, SETRANGE/GETRANGE, INCR*/DECR*/INCRBYFLOAT, SETNX/SETEX/
//! PSETEX, LCS, and the int/embstr/raw encodings.

use redoubt_tests::Pair;

#[test]
fn set_and_get() {
    let mut p = Pair::new();
    p.check_all(&[
        &["GET", "missing"],
        &["SET", "k", "v"],
        &["GET", "k"],
        &["SET", "k", ""],
        &["GET", "k"],
        &["set", "K", "upper"],
        &["GET", "K"],
        &["GET", "k"],
        &["SET", "k"],
        &["SET"],
        &["GET"],
        &["GET", "a", "b"],
        &["SET", "k", "v", "BOGUS"],
        &["RPUSH", "list", "x"],
        &["GET", "list"],
        &["SET", "list", "now a string"],
        &["TYPE", "list"],
        &["GET", "list"],
    ]);
    p.check(&["SET", "bin\x00key\r\n", "bin\x00value\r\n\u{7f}"]);
    p.check(&["GET", "bin\x00key\r\n"]);
    p.check(&[b"SET".as_slice(), b"raw", &[0u8, 255, 128, 10, 13]]);
    p.check(&["GET", "raw"]);
    let big = "x".repeat(100_000);
    p.check(&["SET", "big", &big]);
    p.check(&["STRLEN", "big"]);
    p.check(&["GET", "big"]);
}

#[test]
fn set_conditions_and_get_option() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SET", "k", "v1", "NX"],
        &["SET", "k", "v2", "NX"],
        &["GET", "k"],
        &["SET", "k", "v3", "XX"],
        &["GET", "k"],
        &["SET", "nokey", "v", "XX"],
        &["EXISTS", "nokey"],
        &["SET", "k", "v4", "GET"],
        &["SET", "fresh", "v", "GET"],
        &["SET", "k", "v5", "NX", "GET"],
        &["SET", "fresh2", "v", "NX", "GET"],
        &["SET", "k", "v6", "XX", "GET"],
        &["SET", "missing", "v", "XX", "GET"],
        &["SET", "k", "v", "NX", "XX"],
        &["SET", "k", "v", "nx", "xx"],
        &["RPUSH", "l", "a"],
        &["SET", "l", "v", "GET"],
        &["TYPE", "l"],
        &["SET", "l", "v", "NX", "GET"],
        &["SET", "k", "v", "GET", "GET"],
        &["SET", "k", "v", "XX", "XX"],
    ]);
}

#[test]
fn set_expiry_options() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SET", "k", "v", "EX", "100"],
        &["SET", "k2", "v", "PX", "100000"],
        &["SET", "k3", "v", "EXAT", "4102444800"],
        &["SET", "k4", "v", "PXAT", "4102444800123"],
        &["EXPIRETIME", "k3"],
        &["PEXPIRETIME", "k4"],
        &["SET", "k3", "v2", "KEEPTTL"],
        &["EXPIRETIME", "k3"],
        &["SET", "k3", "v3"],
        &["EXPIRETIME", "k3"],
        &["SET", "k", "v", "EX", "0"],
        &["SET", "k", "v", "EX", "-1"],
        &["SET", "k", "v", "PX", "0"],
        &["SET", "k", "v", "EX", "x"],
        &["SET", "k", "v", "EX", "1.5"],
        &["SET", "k", "v", "EX", "9223372036854775807"],
        &["SET", "k", "v", "PX", "9223372036854775807"],
        &["SET", "k", "v", "EXAT", "0"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "EX", "10", "PX", "100"],
        &["SET", "k", "v", "EX", "10", "EX", "10"],
        &["SET", "k", "v", "KEEPTTL", "EX", "10"],
        &["SET", "k", "v", "EXAT", "10", "PXAT", "10"],
        &["SET", "k", "v", "KEEPTTL", "KEEPTTL"],
        &["SET", "past", "v", "EXAT", "1"],
        &["EXISTS", "past"],
        &["SET", "pastpx", "v", "PXAT", "1000"],
        &["EXISTS", "pastpx"],
        &["SET", "k5", "v", "XX", "EX", "10"],
        &["SET", "k5", "v", "NX", "PX", "50000", "GET"],
    ]);
    p.check_approx(&["TTL", "k"], 1);
    p.check_approx(&["PTTL", "k2"], 1000);
    p.check_approx(&["TTL", "k5"], 1);
}

#[test]
fn getex_getdel_getset() {
    let mut p = Pair::new();
    p.check_all(&[
        &["GETEX", "missing"],
        &["GETEX", "missing", "EX", "10"],
        &["SET", "k", "v"],
        &["GETEX", "k"],
        &["TTL", "k"],
        &["GETEX", "k", "EXAT", "4102444800"],
        &["EXPIRETIME", "k"],
        &["GETEX", "k", "PXAT", "4102444801000"],
        &["PEXPIRETIME", "k"],
        &["GETEX", "k", "PERSIST"],
        &["TTL", "k"],
        &["GETEX", "k", "EX", "0"],
        &["GETEX", "k", "EX", "-10"],
        &["GETEX", "k", "PX", "x"],
        &["GETEX", "k", "EX", "10", "PX", "10"],
        &["GETEX", "k", "PERSIST", "EX", "10"],
        &["GETEX", "k", "EX"],
        &["GETEX", "k", "BOGUS"],
        &["GETEX", "k", "EX", "9223372036854775807"],
        &["GETEX", "k", "EXAT", "1"],
        &["EXISTS", "k"],
        &["RPUSH", "l", "a"],
        &["GETEX", "l"],
        &["GETEX", "l", "EX", "10"],
        &["GETDEL", "missing"],
        &["SET", "d", "val"],
        &["GETDEL", "d"],
        &["EXISTS", "d"],
        &["GETDEL", "l"],
        &["GETDEL"],
        &["GETSET", "gs", "a"],
        &["GETSET", "gs", "b"],
        &["GET", "gs"],
        &["GETSET", "l", "x"],
        &["SET", "ttl", "v", "EX", "100"],
        &["GETSET", "ttl", "v2"],
        &["TTL", "ttl"],
    ]);
    p.check(&["SET", "k2", "v"]);
    p.check(&["GETEX", "k2", "EX", "100"]);
    p.check_approx(&["TTL", "k2"], 1);
    p.check(&["GETEX", "k2", "PX", "200000"]);
    p.check_approx(&["PTTL", "k2"], 1000);
}

#[test]
fn mset_msetnx_mget() {
    let mut p = Pair::new();
    p.check_all(&[
        &["MSET", "a", "1", "b", "2", "c", "3"],
        &["MGET", "a", "b", "c", "missing"],
        &["MSET", "a", "1", "b"],
        &["MSET"],
        &["MSET", "a"],
        &["MSET", "a", "x", "a", "y"],
        &["GET", "a"],
        &["MSETNX", "a", "1", "new", "2"],
        &["EXISTS", "new"],
        &["MSETNX", "n1", "1", "n2", "2"],
        &["MGET", "n1", "n2"],
        &["MSETNX", "n3", "1", "n3", "2"],
        &["GET", "n3"],
        &["MSETNX", "n1"],
        &["RPUSH", "list", "x"],
        &["MGET", "a", "list", "b"],
        &["MSET", "list", "str"],
        &["TYPE", "list"],
        &["MGET"],
        &["SET", "t", "v", "EX", "100"],
        &["MSET", "t", "w"],
        &["TTL", "t"],
    ]);
}

#[test]
fn append_and_strlen() {
    let mut p = Pair::new();
    p.check_all(&[
        &["APPEND", "k", "hello"],
        &["APPEND", "k", " world"],
        &["GET", "k"],
        &["STRLEN", "k"],
        &["STRLEN", "missing"],
        &["APPEND", "k", ""],
        &["APPEND", "empty", ""],
        &["EXISTS", "empty"],
        &["SET", "n", "12345"],
        &["OBJECT", "ENCODING", "n"],
        &["STRLEN", "n"],
        &["APPEND", "n", "6"],
        &["GET", "n"],
        &["OBJECT", "ENCODING", "n"],
        &["SET", "neg", "-9223372036854775808"],
        &["STRLEN", "neg"],
        &["RPUSH", "l", "x"],
        &["APPEND", "l", "x"],
        &["STRLEN", "l"],
        &["APPEND", "k"],
    ]);
}

#[test]
fn setrange_and_getrange() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SETRANGE", "k", "0", "hello"],
        &["SETRANGE", "k", "6", "world"],
        &["GET", "k"],
        &["SETRANGE", "k", "1", "EL"],
        &["GET", "k"],
        &["SETRANGE", "missing", "5", ""],
        &["EXISTS", "missing"],
        &["SETRANGE", "missing", "3", "x"],
        &["GET", "missing"],
        &["SETRANGE", "k", "-1", "x"],
        &["SETRANGE", "k", "x", "x"],
        &["SETRANGE", "k", "536870911", "x"],
        &["SETRANGE", "k", "536870912", "x"],
        &["SETRANGE", "k", "536870911", ""],
        &["SETRANGE", "k", "536870912", ""],
        &["SET", "n", "123"],
        &["SETRANGE", "n", "1", "9"],
        &["GET", "n"],
        &["OBJECT", "ENCODING", "n"],
        &["RPUSH", "l", "x"],
        &["SETRANGE", "l", "0", "x"],
        &["SETRANGE", "l", "0", ""],
        &["SET", "s", "This is a string"],
        &["GETRANGE", "s", "0", "3"],
        &["GETRANGE", "s", "-3", "-1"],
        &["GETRANGE", "s", "0", "-1"],
        &["GETRANGE", "s", "10", "100"],
        &["GETRANGE", "s", "5", "3"],
        &["GETRANGE", "s", "-100", "2"],
        &["GETRANGE", "s", "-100", "-90"],
        &["GETRANGE", "s", "100", "200"],
        &["GETRANGE", "s", "0", "0"],
        &["GETRANGE", "s", "-1", "-2"],
        &["GETRANGE", "s", "x", "1"],
        &[
            "GETRANGE",
            "s",
            "9223372036854775807",
            "9223372036854775807",
        ],
        &[
            "GETRANGE",
            "s",
            "-9223372036854775808",
            "9223372036854775807",
        ],
        &["GETRANGE", "missing2", "0", "-1"],
        &["GETRANGE", "l", "0", "-1"],
        &["SET", "num", "1234567"],
        &["GETRANGE", "num", "1", "3"],
        &["SUBSTR", "s", "0", "3"],
        &["SET", "empty", ""],
        &["GETRANGE", "empty", "0", "-1"],
        &["GETRANGE", "empty", "0", "0"],
    ]);
}

#[test]
fn incr_and_decr() {
    let mut p = Pair::new();
    p.check_all(&[
        &["INCR", "c"],
        &["INCR", "c"],
        &["DECR", "c"],
        &["DECR", "d"],
        &["INCRBY", "c", "100"],
        &["INCRBY", "c", "-50"],
        &["DECRBY", "c", "7"],
        &["DECRBY", "c", "-7"],
        &["INCRBY", "c", "x"],
        &["INCRBY", "c", "1.5"],
        &["INCRBY", "c", ""],
        &["INCRBY", "c", " 1"],
        &["SET", "max", "9223372036854775807"],
        &["INCR", "max"],
        &["INCRBY", "max", "0"],
        &["DECRBY", "max", "-1"],
        &["SET", "min", "-9223372036854775808"],
        &["DECR", "min"],
        &["DECRBY", "c", "-9223372036854775808"],
        &["INCRBY", "min", "-1"],
        &["INCRBY", "min", "9223372036854775807"],
        &["SET", "s", "abc"],
        &["INCR", "s"],
        &["SET", "s", " 1"],
        &["INCR", "s"],
        &["SET", "s", "1 "],
        &["INCR", "s"],
        &["SET", "s", "01"],
        &["INCR", "s"],
        &["SET", "s", "+1"],
        &["INCR", "s"],
        &["SET", "s", "-0"],
        &["INCR", "s"],
        &["SET", "s", "1.0"],
        &["INCR", "s"],
        &["SET", "s", ""],
        &["INCR", "s"],
        &["SET", "s", "9223372036854775808"],
        &["INCR", "s"],
        &["SET", "ex", "10", "EX", "100"],
        &["INCR", "ex"],
        &["TTL", "ex"],
        &["OBJECT", "ENCODING", "ex"],
        &["RPUSH", "l", "1"],
        &["INCR", "l"],
        &["DECRBY", "l", "1"],
        &["INCR"],
        &["INCRBY", "c"],
    ]);
}

#[test]
fn incrbyfloat_formatting_and_errors() {
    let mut p = Pair::new();
    for (key, start, incr) in [
        ("a", "10.50", "0.1"),
        ("b", "5.0e3", "2.0e2"),
        ("c", "3", "-3"),
        ("d", "0", "0.1"),
        ("e", "1", "1e-17"),
        ("f", "1e300", "1e300"),
        ("g", "-1.5", "1.5"),
        ("h", "3.0", "0"),
        ("i", "0.1", "0.2"),
        ("j", "1234567890123456789", "1"),
        ("k", "7", "1.7976931348623157e308"),
        ("l", "1.5", "-0"),
        ("m", "100", "-100.00000000001"),
        ("n", "2", "5e-324"),
        ("o", "1e-10", "1e-10"),
        ("q", "12345678.9", "0.05"),
    ] {
        p.check(&["SET", key, start]);
        p.check(&["INCRBYFLOAT", key, incr]);
        p.check(&["GET", key]);
        p.check(&["INCRBYFLOAT", key, incr]);
    }
    p.check_all(&[
        &["INCRBYFLOAT", "new", "1.25"],
        &["INCRBYFLOAT", "new", "x"],
        &["INCRBYFLOAT", "new", "nan"],
        &["INCRBYFLOAT", "new", "inf"],
        &["INCRBYFLOAT", "new", "-inf"],
        &["INCRBYFLOAT", "new", ""],
        &["INCRBYFLOAT", "new", " 1"],
        &["INCRBYFLOAT", "new", "1e400"],
        &["SET", "big", "1.7976931348623157e308"],
        &["INCRBYFLOAT", "big", "1.7976931348623157e308"],
        &["SET", "bad", "abc"],
        &["INCRBYFLOAT", "bad", "1"],
        &["SET", "bad", "1.5 "],
        &["INCRBYFLOAT", "bad", "1"],
        &["SET", "bad", "inf"],
        &["INCRBYFLOAT", "bad", "1"],
        &["RPUSH", "l", "1"],
        &["INCRBYFLOAT", "l", "1"],
        &["SET", "ttl", "1", "EX", "100"],
        &["INCRBYFLOAT", "ttl", "1"],
        &["TTL", "ttl"],
    ]);
}

#[test]
fn setnx_setex_psetex() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SETNX", "k", "a"],
        &["SETNX", "k", "b"],
        &["GET", "k"],
        &["SETEX", "e", "100", "v"],
        &["GET", "e"],
        &["SETEX", "e", "0", "v"],
        &["SETEX", "e", "-1", "v"],
        &["SETEX", "e", "x", "v"],
        &["SETEX", "e", "9223372036854775807", "v"],
        &["SETEX", "e", "100"],
        &["PSETEX", "p", "100000", "v"],
        &["GET", "p"],
        &["PSETEX", "p", "0", "v"],
        &["PSETEX", "p", "-5", "v"],
        &["PSETEX", "p", "1.5", "v"],
        &["RPUSH", "l", "x"],
        &["SETNX", "l", "v"],
        &["SETEX", "l", "100", "v"],
        &["TYPE", "l"],
    ]);
    p.check_approx(&["TTL", "e"], 1);
    p.check_approx(&["PTTL", "p"], 1000);
}

#[test]
fn lcs() {
    let mut p = Pair::new();
    p.check_all(&[
        &["MSET", "key1", "ohmytext", "key2", "mynewtext"],
        &["LCS", "key1", "key2"],
        &["LCS", "key1", "key2", "LEN"],
        &["LCS", "key1", "key2", "IDX"],
        &["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"],
        &[
            "LCS",
            "key1",
            "key2",
            "IDX",
            "MINMATCHLEN",
            "4",
            "WITHMATCHLEN",
        ],
        &["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"],
        &["LCS", "key1", "key2", "WITHMATCHLEN"],
        &["LCS", "key1", "key2", "MINMATCHLEN", "2"],
        &["LCS", "key1", "key2", "LEN", "IDX"],
        &["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "-1"],
        &["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "x"],
        &["LCS", "key1", "key2", "IDX", "MINMATCHLEN"],
        &["LCS", "key1", "key2", "BOGUS"],
        &["LCS", "key1", "missing"],
        &["LCS", "missing", "missing2", "IDX"],
        &["LCS", "key1", "key1", "IDX", "WITHMATCHLEN"],
        &["RPUSH", "l", "x"],
        &["LCS", "key1", "l"],
        &["LCS", "key1"],
        &[
            "MSET",
            "a",
            "GTAAGCTTAAGCTTAAGCTTAAGCTTAAGCTTAAGCTTAA",
            "b",
            "ACGTTAAGGCTTAAGCTAAGCTTAAAGCTAAAGCTAAAGC",
        ],
        &["LCS", "a", "b"],
        &["LCS", "a", "b", "IDX", "WITHMATCHLEN"],
        &["LCS", "a", "b", "IDX", "MINMATCHLEN", "3", "WITHMATCHLEN"],
        &["SET", "e", ""],
        &["LCS", "e", "a", "IDX"],
    ]);
    p.hello(3);
    p.check(&["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"]);
}

#[test]
fn string_encodings() {
    let mut p = Pair::new();
    let long44 = "a".repeat(44);
    let long45 = "a".repeat(45);
    for value in [
        "0",
        "123",
        "-123",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "01",
        "1.5",
        "-0",
        " 1",
        "+1",
        "",
        "hello",
        &long44,
        &long45,
        "12345678901234567890",
    ] {
        p.check(&["SET", "k", value]);
        p.check(&["OBJECT", "ENCODING", "k"]);
        p.check(&["GET", "k"]);
    }
    p.check_all(&[
        &["SET", "k", "abc"],
        &["APPEND", "k", "d"],
        &["OBJECT", "ENCODING", "k"],
        &["SET", "k", "10"],
        &["INCR", "k"],
        &["OBJECT", "ENCODING", "k"],
        &["SET", "k", "abc"],
        &["SETRANGE", "k", "0", "x"],
        &["OBJECT", "ENCODING", "k"],
        &["SET", "k", "1.5"],
        &["INCRBYFLOAT", "k", "1"],
        &["OBJECT", "ENCODING", "k"],
        &["SET", "k", "x"],
        &["SETBIT", "k", "1", "1"],
        &["OBJECT", "ENCODING", "k"],
        &["OBJECT", "ENCODING", "missing"],
    ]);
}

#[test]
fn strings_in_resp3() {
    let mut p = Pair::new();
    p.hello(3);
    p.check_all(&[
        &["SET", "k", "v"],
        &["GET", "k"],
        &["GET", "missing"],
        &["MGET", "k", "missing"],
        &["SET", "k", "w", "GET"],
        &["SET", "k", "w", "NX"],
        &["INCRBYFLOAT", "f", "1.5"],
        &["GETDEL", "missing"],
        &["GETEX", "missing"],
        &["INCR", "k"],
    ]);
}
