//! Expiry compared with redis-server: EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with NX/XX/GT/LT,
//! TTL/PTTL/EXPIRETIME/PEXPIRETIME/PERSIST, which writes keep or clear a TTL, lazy expiry on
//! access and active expiry of keys nobody touches.

use redoubt_tests::{info_field, Pair};
use std::time::{Duration, Instant};

/// 2100-01-01T00:00:00Z, so absolute expiries compare exactly.
const FAR: &str = "4102444800";

#[test]
fn expire_basics_and_ttl_replies() {
    let mut p = Pair::new();
    p.check_all(&[
        &["TTL", "missing"],
        &["PTTL", "missing"],
        &["EXPIRETIME", "missing"],
        &["PEXPIRETIME", "missing"],
        &["EXPIRE", "missing", "100"],
        &["PERSIST", "missing"],
        &["SET", "k", "v"],
        &["TTL", "k"],
        &["PTTL", "k"],
        &["EXPIRETIME", "k"],
        &["PEXPIRETIME", "k"],
        &["PERSIST", "k"],
        &["EXPIRE", "k", "100"],
        &["PERSIST", "k"],
        &["TTL", "k"],
        &["EXPIREAT", "k", FAR],
        &["EXPIRETIME", "k"],
        &["PEXPIRETIME", "k"],
        &["PEXPIREAT", "k", "4102444800555"],
        &["EXPIRETIME", "k"],
        &["PEXPIRETIME", "k"],
        &["EXPIRE", "k", "x"],
        &["EXPIRE", "k", "1.5"],
        &["EXPIRE", "k", ""],
        &["EXPIRE", "k"],
        &["EXPIRE", "k", "100", "BOGUS"],
        &["EXPIRE", "k", "9223372036854775807"],
        &["EXPIRE", "k", "9223372036854775"],
        &["PEXPIRE", "k", "9223372036854775807"],
        &["EXPIREAT", "k", "9223372036854775807"],
        &["PEXPIREAT", "k", "9223372036854775807"],
        &["EXPIRE", "k", "-9223372036854775808"],
        &["PEXPIRETIME", "k"],
        &["TTL", "k", "x"],
    ]);
    p.check(&["EXPIRE", "k", "100"]);
    p.check_approx(&["TTL", "k"], 1);
    p.check_approx(&["PTTL", "k"], 1000);
    p.check_approx(&["EXPIRETIME", "k"], 1);
    p.check_approx(&["PEXPIRETIME", "k"], 1000);
    p.check(&["PEXPIRE", "k", "100500"]);
    p.check_approx(&["PTTL", "k"], 1000);
}

#[test]
fn non_positive_expiry_deletes() {
    let mut p = Pair::new();
    for (cmd, value) in [
        ("EXPIRE", "0"),
        ("EXPIRE", "-1"),
        ("PEXPIRE", "0"),
        ("PEXPIRE", "-100"),
        ("EXPIREAT", "1"),
        ("EXPIREAT", "0"),
        ("EXPIREAT", "-5"),
        ("PEXPIREAT", "1000"),
    ] {
        p.check(&["SET", "k", "v"]);
        p.check(&[cmd, "k", value]);
        p.check(&["EXISTS", "k"]);
        p.check(&["TTL", "k"]);
    }
    p.check_all(&[
        &["RPUSH", "l", "a"],
        &["EXPIRE", "l", "0", "XX"],
        &["EXISTS", "l"],
        &["EXPIRE", "l", "0", "GT"],
        &["EXISTS", "l"],
        &["EXPIRE", "l", "0", "LT"],
        &["EXISTS", "l"],
        &["SET", "n", "v"],
        &["EXPIRE", "n", "-1", "NX"],
        &["EXISTS", "n"],
    ]);
}

#[test]
fn expire_conditions() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SET", "k", "v"],
        &["EXPIRE", "k", "100", "XX"],
        &["EXPIRE", "k", "100", "GT"],
        &["TTL", "k"],
        &["EXPIREAT", "k", "4102444900", "LT"],
        &["EXPIRETIME", "k"],
        &["EXPIREAT", "k", "4102444800", "NX"],
        &["EXPIRETIME", "k"],
        &["EXPIREAT", "k", "4102444800", "XX"],
        &["EXPIREAT", "k", "4102444950", "GT"],
        &["EXPIRETIME", "k"],
        &["EXPIREAT", "k", "4102444900", "GT"],
        &["EXPIREAT", "k", "4102444950", "GT"],
        &["EXPIREAT", "k", "4102444950", "LT"],
        &["EXPIREAT", "k", "4102444850", "LT"],
        &["EXPIRETIME", "k"],
        &["PEXPIREAT", "k", "4102444850001", "GT"],
        &["PEXPIRETIME", "k"],
        &["PEXPIREAT", "k", "4102444850000", "LT"],
        &["PEXPIRETIME", "k"],
        &["EXPIRE", "k", "100", "NX", "XX"],
        &["EXPIRE", "k", "100", "GT", "LT"],
        &["EXPIRE", "k", "100", "NX", "GT"],
        &["EXPIRE", "k", "100", "NX", "LT"],
        &["EXPIRE", "k", "100", "XX", "GT"],
        &["EXPIRETIME", "k"],
        &["EXPIRE", "k", "100", "nx"],
        &["EXPIRE", "k", "100", "GT", "GT"],
        &["EXPIRE", "k", "100", "XX", "XX", "XX"],
        &["PERSIST", "k"],
        &["EXPIRE", "k", "100", "LT"],
        &["EXPIREAT", "k", FAR, "GT", "XX"],
        &["EXPIRE", "missing", "100", "NX"],
        &["EXPIRE", "missing", "100", "LT"],
    ]);
}

#[test]
fn which_writes_keep_the_ttl() {
    let mut p = Pair::new();
    let setup: &[&[&str]] = &[
        &["SET", "s", "1", "EXAT", FAR],
        &["RPUSH", "l", "a"],
        &["EXPIREAT", "l", FAR],
        &["HSET", "h", "f", "v"],
        &["EXPIREAT", "h", FAR],
    ];
    p.check_all(setup);
    for write in [
        &["APPEND", "s", "x"][..],
        &["SETRANGE", "s", "0", "9"],
        &["INCR", "s"],
        &["INCRBYFLOAT", "s", "0.5"],
        &["SETBIT", "s", "1", "1"],
        &["BITFIELD", "s", "SET", "u8", "0", "50"],
        &["RPUSH", "l", "b"],
        &["LPOP", "l"],
        &["LSET", "l", "0", "z"],
        &["HSET", "h", "g", "w"],
        &["HDEL", "h", "g"],
        &["RENAME", "h", "h2"],
        &["RENAME", "h2", "h"],
        &["SET", "s", "plain", "KEEPTTL"],
        &["GETEX", "s"],
        &["GETSET", "s", "cleared"],
        &["SET", "s", "again", "EXAT", FAR],
        &["SET", "s", "cleared"],
        &["EXPIREAT", "s", FAR],
        &["DEL", "s"],
        &["SET", "s", "recreated"],
        &["EXPIREAT", "s", FAR],
        &["MSET", "s", "cleared-by-mset"],
        &["EXPIREAT", "l", FAR],
        &["LTRIM", "l", "0", "0"],
        &["LINSERT", "l", "BEFORE", "z", "y"],
    ] {
        p.check(write);
        for key in ["s", "l", "h"] {
            p.check(&["EXPIRETIME", key]);
        }
    }
}

#[test]
fn lazy_expiry_on_access() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SET", "s", "v", "PX", "60"],
        &["RPUSH", "l", "a"],
        &["PEXPIRE", "l", "60"],
        &["HSET", "h", "f", "v"],
        &["PEXPIRE", "h", "60"],
        &["SET", "keep", "v"],
    ]);
    std::thread::sleep(Duration::from_millis(150));
    p.check_all(&[
        &["GET", "s"],
        &["EXISTS", "s"],
        &["TYPE", "l"],
        &["LLEN", "l"],
        &["TTL", "h"],
        &["HGET", "h", "f"],
        &["RPUSH", "l", "new"],
        &["TTL", "l"],
        &["LRANGE", "l", "0", "-1"],
        &["SET", "s", "new", "XX"],
        &["SET", "s", "new", "NX"],
    ]);
    p.check_unordered(&["KEYS", "*"]);
    p.check(&["DBSIZE"]);
}

#[test]
fn active_expiry_without_access() {
    let mut p = Pair::new();
    let mut cmds = Vec::new();
    for i in 0..200 {
        cmds.push(redoubt_tests::command(&[
            "SET",
            &format!("tmp:{i}"),
            "v",
            "PX",
            "50",
        ]));
    }
    for i in 0..20 {
        cmds.push(redoubt_tests::command(&["SET", &format!("keep:{i}"), "v"]));
    }
    p.pipeline_check(&cmds, redoubt_tests::Compare::Exact);
    // Nobody touches the keys: the servers' own expiry cycles must remove them.
    for server in [&p.reference_server, &p.subject_server] {
        let mut client = server.client();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let info = client.cmd(&["INFO", "keyspace"]);
            let db0 = info_field(&info, "db0").unwrap_or_default();
            if db0.starts_with("keys=20,expires=0") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{}: keys not actively expired: {db0}",
                server.name()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let stats = client.cmd(&["INFO", "stats"]);
        assert_eq!(
            info_field(&stats, "expired_keys").as_deref(),
            Some("200"),
            "{}",
            server.name()
        );
    }
    p.check(&["DBSIZE"]);
}

#[test]
fn expiry_info_keyspace() {
    let mut p = Pair::new();
    p.check_all(&[
        &["MSET", "a", "1", "b", "2", "c", "3"],
        &["EXPIREAT", "a", FAR],
        &["SELECT", "2"],
        &["SET", "x", "1", "EXAT", FAR],
    ]);
    let fields = |info: &redoubt_tests::Reply| -> Vec<String> {
        ["db0", "db1", "db2"]
            .iter()
            .map(|db| {
                info_field(info, db)
                    .map(|v| v.split(",avg_ttl").next().unwrap_or("").to_string())
                    .unwrap_or_default()
            })
            .collect()
    };
    p.check_derived(&["INFO", "keyspace"], fields);
}

#[test]
fn expired_keys_with_swapdb_and_move() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SET", "k", "v", "EXAT", FAR],
        &["SWAPDB", "0", "1"],
        &["EXISTS", "k"],
        &["SELECT", "1"],
        &["EXPIRETIME", "k"],
        &["MOVE", "k", "0"],
        &["SELECT", "0"],
        &["EXPIRETIME", "k"],
        &["SET", "gone", "v", "PX", "1"],
    ]);
    std::thread::sleep(Duration::from_millis(20));
    p.check_all(&[
        &["MOVE", "gone", "1"],
        &["COPY", "gone", "x"],
        &["RENAME", "gone", "y"],
        &["EXISTS", "gone"],
    ]);
}
