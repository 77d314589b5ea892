//! Set commands compared with redis-server: SADD/SREM/SMEMBERS/SISMEMBER/SMISMEMBER/SCARD,
//! SPOP and SRANDMEMBER (deterministic parts), SMOVE, SINTER/SUNION/SDIFF (+STORE), SINTERCARD,
//! SSCAN, and the intset → hashtable conversion.

use redoubt_tests::{Client, Pair, Reply};
use std::collections::BTreeSet;

#[test]
fn add_remove_members() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SADD", "s", "a", "b", "c", "a"],
        &["SADD", "s", "a"],
        &["SCARD", "s"],
        &["SCARD", "missing"],
        &["SISMEMBER", "s", "a"],
        &["SISMEMBER", "s", "z"],
        &["SISMEMBER", "missing", "a"],
        &["SMISMEMBER", "s", "a", "z", "c", "a"],
        &["SMISMEMBER", "missing", "a", "b"],
        &["SMISMEMBER", "s"],
        &["SREM", "s", "a", "z", "a"],
        &["SREM", "missing", "a"],
        &["SREM", "s", "b", "c"],
        &["EXISTS", "s"],
        &["SADD", "s"],
        &["SMEMBERS", "missing"],
        &["SET", "str", "v"],
        &["SADD", "str", "a"],
        &["SREM", "str", "a"],
        &["SMEMBERS", "str"],
        &["SISMEMBER", "str", "a"],
        &["SMISMEMBER", "str", "a"],
        &["SCARD", "str"],
        &["SADD", "bin", "", "\x00", "a\r\n"],
        &["SISMEMBER", "bin", ""],
        &["SCARD", "bin"],
    ]);
    p.check_unordered(&["SMEMBERS", "bin"]);
    p.hello(3);
    p.check_unordered(&["SMEMBERS", "bin"]);
    p.check(&["SMISMEMBER", "bin", "", "x"]);
    p.check(&["SMEMBERS", "missing"]);
}

#[test]
fn intset_and_hashtable_encodings() {
    let mut p = Pair::new();
    p.check_all(&[
        &[
            "SADD",
            "ints",
            "3",
            "1",
            "2",
            "-5",
            "9223372036854775807",
            "-9223372036854775808",
        ],
        &["OBJECT", "ENCODING", "ints"],
        &["SMEMBERS", "ints"],
        &["SADD", "ints", "007"],
        &["OBJECT", "ENCODING", "ints"],
        &["SADD", "i2", "1", "2"],
        &["SADD", "i2", "9223372036854775808"],
        &["OBJECT", "ENCODING", "i2"],
        &["SADD", "i3", "1", "+2"],
        &["OBJECT", "ENCODING", "i3"],
        &["SADD", "i4", "1", "1.0"],
        &["OBJECT", "ENCODING", "i4"],
        &["SADD", "i5", "-0"],
        &["OBJECT", "ENCODING", "i5"],
        &["SADD", "i6", " 1"],
        &["OBJECT", "ENCODING", "i6"],
    ]);
    // Intsets list members in ascending order, so even the order is defined.
    let mut args = vec!["SADD".to_string(), "big".to_string()];
    args.extend((0..512).rev().map(|i| (i * 3).to_string()));
    p.check(&args);
    p.check(&["OBJECT", "ENCODING", "big"]);
    p.check(&["SMEMBERS", "big"]);
    p.check(&["SADD", "big", "100000"]);
    p.check(&["OBJECT", "ENCODING", "big"]);
    p.check_unordered(&["SMEMBERS", "big"]);
    p.check(&["SREM", "big", "100000"]);
    p.check(&["OBJECT", "ENCODING", "big"]);
    let mut p2 = Pair::with_args(&["--set-max-intset-entries", "4"]);
    p2.check_all(&[
        &["SADD", "s", "1", "2", "3", "4"],
        &["OBJECT", "ENCODING", "s"],
        &["SADD", "s", "5"],
        &["OBJECT", "ENCODING", "s"],
        &["CONFIG", "GET", "set-max-intset-entries"],
    ]);
}

#[test]
fn spop_and_srandmember() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SPOP", "missing"],
        &["SPOP", "missing", "3"],
        &["SRANDMEMBER", "missing"],
        &["SRANDMEMBER", "missing", "3"],
        &["SRANDMEMBER", "missing", "-3"],
        &["SADD", "one", "x"],
        &["SRANDMEMBER", "one"],
        &["SRANDMEMBER", "one", "-3"],
        &["SRANDMEMBER", "one", "3"],
        &["SRANDMEMBER", "one", "0"],
        &["SPOP", "one", "0"],
        &["SPOP", "one", "-1"],
        &["SPOP", "one", "x"],
        &["SRANDMEMBER", "one", "x"],
        &["SRANDMEMBER", "one", "1", "2"],
        &["SRANDMEMBER", "one", "-9223372036854775808"],
        &["SPOP", "one"],
        &["EXISTS", "one"],
        &["SET", "str", "v"],
        &["SPOP", "str"],
        &["SRANDMEMBER", "str"],
    ]);
    for (key, members) in [
        ("ints", (1..=10).map(|i| i.to_string()).collect::<Vec<_>>()),
        ("strs", (1..=10).map(|i| format!("m{i}")).collect()),
        ("large", (1..=600).map(|i| format!("m{i}")).collect()),
    ] {
        let mut args = vec!["SADD".to_string(), key.to_string()];
        args.extend(members.iter().cloned());
        p.check(&args);
        let all: BTreeSet<String> = members.iter().cloned().collect();
        let size = all.len() as i64;
        p.check_unordered(&["SRANDMEMBER", key, &size.to_string()]);
        p.check_unordered(&["SRANDMEMBER", key, "100000"]);
        for count in [1i64, 3, 9, -1, -5, -50, -(size + 10)] {
            p.check_derived(&["SRANDMEMBER", key, &count.to_string()], |r| {
                let got = r.to_strings();
                let distinct: BTreeSet<&String> = got.iter().collect();
                (
                    got.len(),
                    got.iter().all(|m| all.contains(m)),
                    count < 0 || distinct.len() == got.len(),
                )
            });
        }
        p.check_derived(&["SRANDMEMBER", key], |r| {
            r.as_text().is_some_and(|m| all.contains(&m))
        });
        // SPOP removes what it returns: compare counts, then the rest must be the complement.
        let popped = p.each(|c| {
            let got: BTreeSet<String> = c
                .cmd(&["SPOP", key, "3"])
                .to_strings()
                .into_iter()
                .collect();
            let rest: BTreeSet<String> =
                c.cmd(&["SMEMBERS", key]).to_strings().into_iter().collect();
            let single = c.cmd(&["SPOP", key]).as_text().unwrap_or_default();
            let after = c.cmd(&["SCARD", key]).as_int();
            (
                got.len(),
                got.is_disjoint(&rest) && got.union(&rest).cloned().collect::<BTreeSet<_>>() == all,
                rest.contains(&single),
                after,
            )
        });
        assert_eq!(popped.0, 3);
        p.check(&["SCARD", key]);
        // The servers popped different members above, so only the count can agree now.
        p.check_derived(&["SPOP", key, "100000"], |r| r.to_strings().len());
        p.check(&["EXISTS", key]);
    }
    p.hello(3);
    p.check_all(&[
        &["SPOP", "missing"],
        &["SPOP", "missing", "2"],
        &["SRANDMEMBER", "missing", "2"],
        &["SADD", "r", "a"],
        &["SPOP", "r", "5"],
    ]);
}

#[test]
fn smove() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SADD", "a", "1", "2", "x"],
        &["SADD", "b", "3"],
        &["SMOVE", "a", "b", "1"],
        &["SMOVE", "a", "b", "nope"],
        &["SMOVE", "missing", "b", "1"],
        &["SMOVE", "a", "new", "x"],
        &["SMEMBERS", "new"],
        &["OBJECT", "ENCODING", "new"],
        &["SMOVE", "a", "a", "2"],
        &["SMOVE", "a", "a", "nope"],
        &["SMOVE", "a", "b", "2"],
        &["EXISTS", "a"],
        &["SMEMBERS", "b"],
        &["SET", "str", "v"],
        &["SMOVE", "b", "str", "3"],
        &["SMOVE", "str", "b", "3"],
        &["SMOVE", "b", "str", "nope"],
        &["SMOVE", "b", "c"],
    ]);
}

#[test]
fn set_algebra() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SADD", "a", "1", "2", "3", "4", "x"],
        &["SADD", "b", "3", "4", "5", "y"],
        &["SADD", "c", "4", "x", "y", "z"],
        &["SADD", "ints", "1", "2", "3", "4", "5", "6"],
        &["SET", "str", "v"],
    ]);
    for op in ["SINTER", "SUNION", "SDIFF"] {
        for keys in [
            vec!["a"],
            vec!["a", "b"],
            vec!["a", "b", "c"],
            vec!["b", "a"],
            vec!["a", "missing"],
            vec!["missing", "a"],
            vec!["missing"],
            vec!["a", "a"],
            vec!["ints", "a"],
            vec!["a", "str"],
            vec!["missing", "str"],
            vec!["str", "missing"],
        ] {
            let mut cmd = vec![op];
            cmd.extend(keys.iter());
            p.check_unordered(&cmd);
            let store = format!("{op}STORE");
            let mut cmd = vec![store.as_str(), "dest"];
            cmd.extend(keys.iter());
            p.check(&cmd);
            p.check_unordered(&["SMEMBERS", "dest"]);
            p.check(&["OBJECT", "ENCODING", "dest"]);
        }
        p.check(&[op]);
    }
    p.check_all(&[
        &["SINTERSTORE", "a", "a", "b"],
        &["SMEMBERS", "a"],
        &["SUNIONSTORE", "str", "b", "c"],
        &["TYPE", "str"],
        &["SDIFFSTORE", "b", "missing"],
        &["EXISTS", "b"],
        &["SINTERSTORE", "dest"],
        &["SADD", "n1", "1", "2", "3"],
        &["SADD", "n2", "2", "3", "4"],
        &["SINTERSTORE", "nd", "n1", "n2"],
        &["OBJECT", "ENCODING", "nd"],
        &["SMEMBERS", "nd"],
    ]);
}

#[test]
fn sintercard() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SADD", "a", "1", "2", "3", "4", "x"],
        &["SADD", "b", "3", "4", "5", "x"],
        &["SET", "str", "v"],
        &["SINTERCARD", "2", "a", "b"],
        &["SINTERCARD", "1", "a"],
        &["SINTERCARD", "2", "a", "missing"],
        &["SINTERCARD", "2", "a", "b", "LIMIT", "0"],
        &["SINTERCARD", "2", "a", "b", "LIMIT", "1"],
        &["SINTERCARD", "2", "a", "b", "LIMIT", "2"],
        &["SINTERCARD", "2", "a", "b", "LIMIT", "100"],
        &["SINTERCARD", "2", "a", "b", "LIMIT", "-1"],
        &["SINTERCARD", "2", "a", "b", "LIMIT", "x"],
        &["SINTERCARD", "2", "a", "b", "LIMIT"],
        &["SINTERCARD", "2", "a", "b", "BOGUS", "1"],
        &["SINTERCARD", "0", "a"],
        &["SINTERCARD", "-1", "a"],
        &["SINTERCARD", "x", "a"],
        &["SINTERCARD", "3", "a", "b"],
        &["SINTERCARD", "2", "a", "str"],
        &["SINTERCARD", "2", "missing", "str"],
        &["SINTERCARD", "1"],
    ]);
}

fn sscan_all(client: &mut Client, key: &str, extra: &[&str]) -> Result<BTreeSet<Vec<u8>>, String> {
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    for _ in 0..100_000 {
        let mut args = vec!["SSCAN", key, &cursor];
        args.extend_from_slice(extra);
        let reply = client.cmd(&args);
        if let Some(e) = reply.error_text() {
            return Err(e.to_string());
        }
        let parts = reply.as_array().ok_or("not an array")?.to_vec();
        for item in parts.get(1).and_then(Reply::as_array).ok_or("no items")? {
            seen.insert(item.as_bytes().unwrap_or_default().to_vec());
        }
        cursor = parts.first().and_then(Reply::as_text).ok_or("no cursor")?;
        if cursor == "0" {
            return Ok(seen);
        }
    }
    Err("SSCAN did not finish".into())
}

#[test]
fn sscan() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SSCAN", "missing", "0"],
        &["SADD", "ints", "5", "1", "3"],
        &["SSCAN", "ints", "0"],
        &["SSCAN", "ints", "0", "MATCH", "1*"],
        &["SSCAN", "ints", "0", "COUNT", "0"],
        &["SSCAN", "ints", "x"],
        &["SET", "str", "v"],
        &["SSCAN", "str", "0"],
    ]);
    for i in 0..700 {
        p.check(&["SADD", "big", &format!("member:{i}")]);
    }
    for extra in [
        vec![],
        vec!["COUNT", "5"],
        vec!["MATCH", "member:6*"],
        vec!["MATCH", "*9", "COUNT", "1000"],
    ] {
        let got = p.each(|c| sscan_all(c, "big", &extra));
        if extra.is_empty() {
            assert_eq!(got.map(|s| s.len()), Ok(700));
        }
    }
}
