//! Blocking commands compared with redis-server: BLPOP/BRPOP/BLMOVE/BRPOPLPUSH/BLMPOP and
//! BZPOPMIN/BZPOPMAX/BZMPOP, served immediately, woken by another client's push (including
//! from MULTI/EXEC and LMOVE), timing out, in first-come-first-served order, across databases,
//! and their argument errors.

use redoubt_tests::{Pair, PairConn};
use std::time::{Duration, Instant};

/// Sends a blocking command on a new connection and waits until both servers count it blocked.
fn block(p: &Pair, args: &[&str], already_blocked: usize) -> PairConn {
    let mut conn = p.connect();
    conn.send(args);
    p.wait_blocked(already_blocked + 1);
    conn
}

#[test]
fn served_immediately_when_data_exists() {
    let mut p = Pair::new();
    p.check_all(&[
        &["RPUSH", "a", "1", "2", "3"],
        &["BLPOP", "missing", "a", "0"],
        &["BRPOP", "a", "0"],
        &["BLMOVE", "a", "b", "RIGHT", "LEFT", "0"],
        &["BRPOPLPUSH", "b", "c", "0"],
        &["LRANGE", "c", "0", "-1"],
        &["RPUSH", "d", "x", "y", "z"],
        &["BLMPOP", "0", "2", "missing", "d", "RIGHT", "COUNT", "2"],
        &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        &["BZPOPMIN", "missing", "z", "0"],
        &["BZPOPMAX", "z", "0"],
        &["BZMPOP", "0", "1", "z", "MIN", "COUNT", "5"],
        &["EXISTS", "z"],
    ]);
}

#[test]
fn timeouts() {
    let mut p = Pair::new();
    for args in [
        &["BLPOP", "empty", "0.1"][..],
        &["BRPOP", "empty", "other", "0.05"],
        &["BLMOVE", "empty", "dst", "LEFT", "LEFT", "0.05"],
        &["BRPOPLPUSH", "empty", "dst", "0.05"],
        &["BLMPOP", "0.05", "1", "empty", "LEFT"],
        &["BZPOPMIN", "empty", "0.05"],
        &["BZPOPMAX", "empty", "0.05"],
        &["BZMPOP", "0.05", "1", "empty", "MAX"],
    ] {
        let start = Instant::now();
        p.check(args);
        assert!(
            start.elapsed() >= Duration::from_millis(50),
            "{args:?} returned too early"
        );
    }
    p.hello(3);
    p.check(&["BLPOP", "empty", "0.05"]);
    p.check(&["BZPOPMIN", "empty", "0.05"]);
    p.check(&["BLMPOP", "0.05", "1", "empty", "LEFT"]);
}

#[test]
fn argument_errors() {
    let mut p = Pair::new();
    p.check_all(&[
        &["BLPOP", "k", "-1"],
        &["BLPOP", "k", "x"],
        &["BLPOP", "k", "1e400"],
        &["BLPOP", "k", "nan"],
        &["BLPOP", "k", "inf"],
        &["BLPOP", "k"],
        &["BRPOP", "k", "-0.5"],
        &["BLMOVE", "a", "b", "LEFT", "UP", "0"],
        &["BLMOVE", "a", "b", "LEFT", "LEFT", "-1"],
        &["BLMPOP", "0", "0", "k", "LEFT"],
        &["BLMPOP", "0", "2", "k", "LEFT"],
        &["BLMPOP", "-1", "1", "k", "LEFT"],
        &["BLMPOP", "0", "1", "k", "LEFT", "COUNT", "0"],
        &["BZPOPMIN", "k", "x"],
        &["BZMPOP", "0", "1", "k", "MIDDLE"],
        &["BZMPOP", "0", "1", "k", "MIN", "COUNT", "-1"],
        &["SET", "s", "v"],
        &["BLPOP", "s", "0"],
        &["BZPOPMIN", "s", "0"],
        &["BLMOVE", "s", "d", "LEFT", "LEFT", "0"],
        &["RPUSH", "l", "x"],
        &["BLMOVE", "l", "s", "LEFT", "LEFT", "0"],
        &["BLMPOP", "0", "2", "missing", "s", "LEFT"],
    ]);
}

#[test]
fn woken_by_another_client() {
    let mut p = Pair::new();
    let mut c = block(&p, &["BLPOP", "a", "b", "c", "0"], 0);
    p.check(&["RPUSH", "b", "x", "y"]);
    c.recv_check();
    p.check(&["LRANGE", "b", "0", "-1"]);

    let mut c = block(&p, &["BRPOP", "k", "0"], 0);
    p.check(&["LPUSH", "k", "1", "2", "3"]);
    c.recv_check();

    let mut c = block(&p, &["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"], 0);
    p.check(&["RPUSH", "src", "v1", "v2"]);
    c.recv_check();
    p.check(&["LRANGE", "src", "0", "-1"]);
    p.check(&["LRANGE", "dst", "0", "-1"]);

    let mut c = block(&p, &["BRPOPLPUSH", "src2", "dst2", "0"], 0);
    p.check(&["RPUSH", "src2", "w"]);
    c.recv_check();
    p.check(&["LRANGE", "dst2", "0", "-1"]);

    let mut c = block(
        &p,
        &["BLMPOP", "0", "2", "m1", "m2", "LEFT", "COUNT", "2"],
        0,
    );
    p.check(&["RPUSH", "m2", "a", "b", "c"]);
    c.recv_check();
    p.check(&["LRANGE", "m2", "0", "-1"]);

    let mut c = block(&p, &["BZPOPMIN", "z1", "z2", "0"], 0);
    p.check(&["ZADD", "z2", "2", "b", "1", "a"]);
    c.recv_check();

    let mut c = block(&p, &["BZPOPMAX", "z3", "0"], 0);
    p.check(&["ZADD", "z3", "5", "x", "7", "y"]);
    c.recv_check();

    let mut c = block(&p, &["BZMPOP", "0", "1", "z4", "MAX", "COUNT", "10"], 0);
    p.check(&["ZADD", "z4", "1", "a", "2", "b"]);
    c.recv_check();
    p.check(&["EXISTS", "z4"]);

    // With a timeout that has not expired yet.
    let mut c = block(&p, &["BLPOP", "t", "5"], 0);
    p.check(&["RPUSH", "t", "in time"]);
    c.recv_check();
}

#[test]
fn first_come_first_served() {
    let mut p = Pair::new();
    let mut first = block(&p, &["BLPOP", "k", "0"], 0);
    let mut second = block(&p, &["BLPOP", "k", "0"], 1);
    let mut third = block(&p, &["BRPOP", "k", "other", "0"], 2);
    p.check(&["RPUSH", "k", "one"]);
    first.recv_check();
    second.assert_silent(Duration::from_millis(50));
    p.wait_blocked(2);
    // One push of several elements serves several clients, in order.
    p.check(&["RPUSH", "k", "two", "three", "four"]);
    second.recv_check();
    third.recv_check();
    p.check(&["LRANGE", "k", "0", "-1"]);
    p.wait_blocked(0);

    let mut z1 = block(&p, &["BZPOPMIN", "z", "0"], 0);
    let mut z2 = block(&p, &["BZPOPMAX", "z", "0"], 1);
    p.check(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    z1.recv_check();
    z2.recv_check();
    p.check(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]);
}

#[test]
fn woken_by_transactions_and_moves() {
    let mut p = Pair::new();
    let mut c = block(&p, &["BLPOP", "k", "0"], 0);
    p.check_all(&[
        &["MULTI"],
        &["RPUSH", "k", "a"],
        &["RPUSH", "k", "b"],
        &["LPOP", "k"],
    ]);
    c.assert_silent(Duration::from_millis(50));
    p.check(&["EXEC"]);
    c.recv_check();
    p.check(&["LRANGE", "k", "0", "-1"]);

    // Chained: an LMOVE into a key someone waits on wakes them.
    let mut waiter = block(&p, &["BLPOP", "dst", "0"], 0);
    p.check(&["RPUSH", "src", "moved"]);
    p.check(&["LMOVE", "src", "dst", "LEFT", "LEFT"]);
    waiter.recv_check();

    // A BLMOVE whose push wakes a second blocked client.
    let mut second = block(&p, &["BLPOP", "chain-dst", "0"], 0);
    let mut first = block(
        &p,
        &["BLMOVE", "chain-src", "chain-dst", "LEFT", "LEFT", "0"],
        1,
    );
    p.check(&["RPUSH", "chain-src", "item"]);
    first.recv_check();
    second.recv_check();
    p.check(&["EXISTS", "chain-src", "chain-dst"]);
}

#[test]
fn wrong_type_and_other_databases() {
    let mut p = Pair::new();
    let mut c = block(&p, &["BLPOP", "k", "0"], 0);
    // A string under the awaited key does not wake the client.
    p.check(&["SET", "k", "string"]);
    c.assert_silent(Duration::from_millis(50));
    p.check(&["DEL", "k"]);
    // Pushing to the same key in another database does not either.
    p.check(&["SELECT", "1"]);
    p.check(&["RPUSH", "k", "db1"]);
    c.assert_silent(Duration::from_millis(50));
    p.check(&["SELECT", "0"]);
    p.check(&["RPUSH", "k", "db0"]);
    c.recv_check();

    let mut in_db2 = p.connect();
    in_db2.check(&["SELECT", "2"]);
    in_db2.send(&["BLPOP", "q", "0"]);
    p.wait_blocked(1);
    p.check(&["RPUSH", "q", "wrong db"]);
    in_db2.assert_silent(Duration::from_millis(50));
    p.check(&["SELECT", "2"]);
    p.check(&["RPUSH", "q", "right db"]);
    in_db2.recv_check();
}

#[test]
fn blocked_client_disconnects() {
    let mut p = Pair::new();
    let c = block(&p, &["BLPOP", "k", "0"], 0);
    drop(c);
    p.wait_blocked(0);
    p.check(&["RPUSH", "k", "kept"]);
    p.check(&["LRANGE", "k", "0", "-1"]);
}

#[test]
fn blocking_in_resp3() {
    let mut p = Pair::new();
    let mut c = p.connect();
    c.hello(3);
    c.send(&["BLPOP", "k", "0"]);
    p.wait_blocked(1);
    p.check(&["RPUSH", "k", "v"]);
    c.recv_check();
    c.send(&["BZPOPMIN", "z", "0"]);
    p.wait_blocked(1);
    p.check(&["ZADD", "z", "1.5", "m"]);
    c.recv_check();
    c.send(&["BZMPOP", "0", "1", "z", "MIN"]);
    p.wait_blocked(1);
    p.check(&["ZADD", "z", "2.5", "n"]);
    c.recv_check();
}
