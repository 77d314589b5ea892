//! Bitmap commands compared with redis-server: SETBIT/GETBIT, BITCOUNT and BITPOS with BYTE|BIT
//! ranges, BITOP, BITFIELD (every type, `#` offsets, OVERFLOW WRAP/SAT/FAIL) and BITFIELD_RO.

use redoubt_tests::Pair;

#[test]
fn setbit_and_getbit() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SETBIT", "b", "7", "1"],
        &["GET", "b"],
        &["SETBIT", "b", "7", "0"],
        &["SETBIT", "b", "7", "1"],
        &["GETBIT", "b", "7"],
        &["GETBIT", "b", "6"],
        &["GETBIT", "b", "100000"],
        &["GETBIT", "missing", "0"],
        &["SETBIT", "b", "100", "1"],
        &["STRLEN", "b"],
        &["GET", "b"],
        &["SETBIT", "b", "-1", "1"],
        &["SETBIT", "b", "x", "1"],
        &["SETBIT", "b", "1", "2"],
        &["SETBIT", "b", "1", "-1"],
        &["SETBIT", "b", "1", "x"],
        &["SETBIT", "b", "4294967296", "1"],
        &["GETBIT", "b", "4294967296"],
        &["GETBIT", "b", "-1"],
        &["GETBIT", "b", "4294967295"],
        &["SETBIT", "b", "0"],
        &["RPUSH", "l", "x"],
        &["SETBIT", "l", "0", "1"],
        &["GETBIT", "l", "0"],
        &["SET", "n", "123"],
        &["SETBIT", "n", "0", "1"],
        &["GET", "n"],
        &["SETBIT", "new", "0", "0"],
        &["GET", "new"],
    ]);
}

#[test]
fn bitcount_ranges() {
    let mut p = Pair::new();
    p.check(&["SET", "s", "foobar"]);
    for args in [
        vec![],
        vec!["0", "0"],
        vec!["1", "1"],
        vec!["0", "-1"],
        vec!["-2", "-1"],
        vec!["5", "30"],
        vec!["3", "1"],
        vec!["-100", "100"],
        vec!["1", "1", "BYTE"],
        vec!["5", "30", "BIT"],
        vec!["0", "-1", "BIT"],
        vec!["-5", "-1", "BIT"],
        vec!["7", "7", "BIT"],
        vec!["100", "200", "BIT"],
        vec!["0", "0", "bit"],
        vec!["0"],
        vec!["0", "1", "BITS"],
        vec!["x", "1"],
        vec!["0", "1", "BIT", "extra"],
        vec!["9223372036854775807", "-9223372036854775808"],
        vec!["-9223372036854775808", "9223372036854775807", "BIT"],
    ] {
        let mut cmd = vec!["BITCOUNT", "s"];
        cmd.extend(args);
        p.check(&cmd);
    }
    p.check_all(&[
        &["BITCOUNT", "missing"],
        &["BITCOUNT", "missing", "0", "-1", "BIT"],
        &["SET", "empty", ""],
        &["BITCOUNT", "empty"],
        &["BITCOUNT", "empty", "0", "-1"],
        &["RPUSH", "l", "x"],
        &["BITCOUNT", "l"],
    ]);
    // A value long enough for word-at-a-time counting.
    let long: String = (0..1000)
        .map(|i| char::from(b'!' + (i * 7 % 90) as u8))
        .collect();
    p.check(&["SET", "long", &long]);
    p.check(&["BITCOUNT", "long"]);
    p.check(&["BITCOUNT", "long", "13", "977"]);
    p.check(&["BITCOUNT", "long", "13", "7777", "BIT"]);
}

#[test]
fn bitpos_ranges() {
    let mut p = Pair::new();
    p.check(&[b"SET".as_slice(), b"b", &[0xff, 0xf0, 0x00]]);
    p.check(&[b"SET".as_slice(), b"zeros", &[0, 0, 0]]);
    p.check(&[b"SET".as_slice(), b"ones", &[0xff, 0xff, 0xff]]);
    for key in ["b", "zeros", "ones", "missing"] {
        for bit in ["0", "1"] {
            for range in [
                vec![],
                vec!["0"],
                vec!["1"],
                vec!["2"],
                vec!["-1"],
                vec!["5"],
                vec!["0", "-1"],
                vec!["1", "1"],
                vec!["2", "-1"],
                vec!["0", "0"],
                vec!["-2", "-1"],
                vec!["3", "1"],
                vec!["0", "-1", "BYTE"],
                vec!["7", "15", "BIT"],
                vec!["5", "17", "BIT"],
                vec!["12", "-1", "BIT"],
                vec!["-3", "-1", "BIT"],
                vec!["20", "23", "BIT"],
                vec!["30", "40", "BIT"],
                vec!["0", "1", "bit"],
            ] {
                let mut cmd = vec!["BITPOS", key, bit];
                cmd.extend(range);
                p.check(&cmd);
            }
        }
    }
    p.check_all(&[
        &["BITPOS", "b", "2"],
        &["BITPOS", "b", "-1"],
        &["BITPOS", "b", "x"],
        &["BITPOS", "b", "1", "x"],
        &["BITPOS", "b", "1", "0", "x"],
        &["BITPOS", "b", "1", "0", "1", "WORD"],
        &["BITPOS", "b", "1", "0", "1", "BIT", "extra"],
        &["BITPOS", "b"],
        &["RPUSH", "l", "x"],
        &["BITPOS", "l", "1"],
        &["SET", "empty", ""],
        &["BITPOS", "empty", "0"],
        &["BITPOS", "empty", "1"],
    ]);
}

#[test]
fn bitop() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SET", "a", "foobar"],
        &["SET", "b", "abcdef"],
        &["SET", "c", "x"],
        &["BITOP", "AND", "dest", "a", "b"],
        &["GET", "dest"],
        &["BITOP", "OR", "dest", "a", "b", "c"],
        &["GET", "dest"],
        &["BITOP", "XOR", "dest", "a", "c"],
        &["GET", "dest"],
        &["BITOP", "NOT", "dest", "a"],
        &["GET", "dest"],
        &["BITOP", "and", "dest", "a", "missing"],
        &["GET", "dest"],
        &["BITOP", "OR", "dest", "missing", "missing2"],
        &["EXISTS", "dest"],
        &["BITOP", "NOT", "dest", "a", "b"],
        &["BITOP", "NOT", "dest"],
        &["BITOP", "NAND", "dest", "a"],
        &["BITOP", "AND", "dest"],
        &["RPUSH", "l", "x"],
        &["BITOP", "AND", "dest", "a", "l"],
        &["BITOP", "AND", "l", "a"],
        &["TYPE", "l"],
        &["BITOP", "NOT", "a", "a"],
        &["GET", "a"],
        &["SET", "e", ""],
        &["BITOP", "NOT", "dest", "e"],
        &["EXISTS", "dest"],
        &["SET", "dest", "x", "EX", "100"],
        &["BITOP", "OR", "dest", "b"],
        &["TTL", "dest"],
    ]);
    let long_a = "ab".repeat(600);
    let long_b = "xyz".repeat(333);
    p.check(&["SET", "la", &long_a]);
    p.check(&["SET", "lb", &long_b]);
    for op in ["AND", "OR", "XOR"] {
        p.check(&["BITOP", op, "ld", "la", "lb", "c"]);
        p.check(&["GET", "ld"]);
    }
}

#[test]
fn bitfield_every_type() {
    let mut p = Pair::new();
    p.check(&[
        b"SET".as_slice(),
        b"bf",
        &[0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x0f, 0xed],
    ]);
    for bits in 1..=64 {
        let signed = format!("i{bits}");
        p.check(&[
            "BITFIELD", "bf", "GET", &signed, "0", "GET", &signed, "3", "GET", &signed, "13",
        ]);
        if bits < 64 {
            let unsigned = format!("u{bits}");
            p.check(&[
                "BITFIELD", "bf", "GET", &unsigned, "0", "GET", &unsigned, "5", "GET", &unsigned,
                "17",
            ]);
        }
    }
    p.check_all(&[
        &["BITFIELD", "bf", "GET", "u64", "0"],
        &["BITFIELD", "bf", "GET", "i65", "0"],
        &["BITFIELD", "bf", "GET", "i0", "0"],
        &["BITFIELD", "bf", "GET", "u0", "0"],
        &["BITFIELD", "bf", "GET", "x8", "0"],
        &["BITFIELD", "bf", "GET", "8", "0"],
        &["BITFIELD", "bf", "GET", "I8", "0"],
        &["BITFIELD", "bf", "GET", "U8", "0"],
        &["BITFIELD", "bf", "GET", "i8", "-1"],
        &["BITFIELD", "bf", "GET", "i8", "x"],
        &["BITFIELD", "bf", "GET", "i8", "4294967296"],
        &["BITFIELD", "bf", "GET", "i8", "4294967288"],
        &["BITFIELD", "bf", "GET", "i8"],
        &["BITFIELD", "bf", "BOGUS"],
        &["BITFIELD", "bf"],
        &["BITFIELD", "missing", "GET", "u8", "0"],
        &["EXISTS", "missing"],
    ]);
}

#[test]
fn bitfield_set_incrby_offsets() {
    let mut p = Pair::new();
    p.check_all(&[
        &["BITFIELD", "k", "SET", "i8", "0", "-100", "GET", "i8", "0"],
        &[
            "BITFIELD", "k", "SET", "u8", "#1", "255", "GET", "u8", "#1", "GET", "u16", "0",
        ],
        &[
            "BITFIELD", "k", "SET", "i5", "#3", "7", "GET", "i5", "#3", "GET", "i5", "15",
        ],
        &["GET", "k"],
        &[
            "BITFIELD", "k", "INCRBY", "u2", "100", "1", "INCRBY", "u2", "100", "1", "INCRBY",
            "u2", "100", "1",
        ],
        &[
            "BITFIELD",
            "k",
            "INCRBY",
            "i64",
            "64",
            "9223372036854775807",
        ],
        &["BITFIELD", "k", "INCRBY", "i64", "64", "1"],
        &["BITFIELD", "k", "SET", "u63", "128", "9223372036854775807"],
        &[
            "BITFIELD",
            "k",
            "SET",
            "i64",
            "200",
            "-9223372036854775808",
            "GET",
            "i64",
            "200",
        ],
        &["BITFIELD", "k", "SET", "i8", "#-1", "1"],
        &["BITFIELD", "k", "SET", "i8", "#x", "1"],
        &["BITFIELD", "k", "SET", "i8", "0", "x"],
        &["BITFIELD", "k", "SET", "i8", "0"],
        &["BITFIELD", "k", "INCRBY", "i8", "0", "1.5"],
        &["BITFIELD", "k", "SET", "i8", "0", "1000"],
        &["BITFIELD", "k", "SET", "u8", "0", "-1"],
        &["BITFIELD", "k", "SET", "u1", "0", "3"],
        &["BITFIELD", "fresh", "INCRBY", "u8", "1000", "5"],
        &["STRLEN", "fresh"],
        &["BITFIELD", "k", "GET", "u8", "#0", "GET", "u8", "#1000"],
        &["RPUSH", "l", "x"],
        &["BITFIELD", "l", "GET", "u8", "0"],
        &["BITFIELD", "l", "SET", "u8", "0", "1"],
    ]);
}

#[test]
fn bitfield_overflow_modes() {
    let mut p = Pair::new();
    for (ty, start, incr) in [
        ("u8", "250", "10"),
        ("u8", "5", "-10"),
        ("i8", "120", "10"),
        ("i8", "-120", "-10"),
        ("u2", "1", "7"),
        ("i4", "7", "100"),
        ("i64", "9223372036854775807", "1"),
        ("i64", "-9223372036854775808", "-1"),
        ("u63", "9223372036854775807", "1"),
        ("i1", "0", "1"),
        ("u1", "1", "1"),
        ("i16", "0", "-9223372036854775808"),
    ] {
        for mode in ["WRAP", "SAT", "FAIL"] {
            p.check(&["DEL", "o"]);
            p.check(&["BITFIELD", "o", "SET", ty, "3", start]);
            p.check(&[
                "BITFIELD", "o", "OVERFLOW", mode, "INCRBY", ty, "3", incr, "GET", ty, "3",
            ]);
            p.check(&[
                "BITFIELD", "o", "OVERFLOW", mode, "SET", ty, "3", incr, "GET", ty, "3",
            ]);
        }
    }
    p.check_all(&[
        &[
            "BITFIELD", "o", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300", "OVERFLOW", "WRAP",
            "INCRBY", "u8", "0", "300",
        ],
        &[
            "BITFIELD", "o", "OVERFLOW", "SAT", "SET", "i8", "0", "200", "SET", "i8", "0", "-200",
            "GET", "i8", "0",
        ],
        &["BITFIELD", "o", "OVERFLOW", "BOGUS", "GET", "u8", "0"],
        &["BITFIELD", "o", "OVERFLOW"],
        &[
            "BITFIELD", "o", "overflow", "sat", "incrby", "u4", "0", "100",
        ],
        &["BITFIELD", "o", "OVERFLOW", "FAIL"],
    ]);
}

#[test]
fn bitfield_ro() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SET", "k", "\u{1}\u{2}\u{3}"],
        &[
            "BITFIELD_RO",
            "k",
            "GET",
            "u8",
            "0",
            "GET",
            "i16",
            "#1",
            "GET",
            "u4",
            "100",
        ],
        &["BITFIELD_RO", "k"],
        &["BITFIELD_RO", "k", "SET", "u8", "0", "1"],
        &["BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"],
        &["BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "u8", "0"],
        &["BITFIELD_RO", "missing", "GET", "u8", "0"],
        &["BITFIELD_RO", "k", "GET", "u64", "0"],
        &["RPUSH", "l", "x"],
        &["BITFIELD_RO", "l", "GET", "u8", "0"],
    ]);
    p.hello(3);
    p.check(&["BITFIELD_RO", "k", "GET", "u8", "0"]);
    p.check(&[
        "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000",
    ]);
}
