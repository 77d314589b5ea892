//! MULTI/EXEC/DISCARD/WATCH/UNWATCH compared with redis-server: queued replies, errors while
//! queueing (EXECABORT) versus errors while executing, nesting errors, WATCH invalidated by other
//! clients, by the watcher itself, by expiry, FLUSHALL and SWAPDB, and blocking commands inside
//! a transaction.

use redoubt_tests::Pair;
use std::time::Duration;

#[test]
fn multi_exec_basics() {
    let mut p = Pair::new();
    p.check_all(&[
        &["MULTI"],
        &["SET", "a", "1"],
        &["INCR", "a"],
        &["GET", "a"],
        &["LPUSH", "l", "x"],
        &["EXEC"],
        &["GET", "a"],
        &["MULTI"],
        &["EXEC"],
        &["EXEC"],
        &["DISCARD"],
        &["MULTI"],
        &["MULTI"],
        &["SET", "b", "2"],
        &["DISCARD"],
        &["EXISTS", "b"],
        &["MULTI", "extra"],
        &["EXEC", "extra"],
    ]);
    p.hello(3);
    p.check_all(&[
        &["MULTI"],
        &["GET", "a"],
        &["GET", "missing"],
        &["HGETALL", "missing"],
        &["EXEC"],
    ]);
}

#[test]
fn runtime_errors_do_not_abort() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SET", "s", "str"],
        &["MULTI"],
        &["INCR", "s"],
        &["LPUSH", "s", "x"],
        &["SET", "t", "ok"],
        &["INCRBY", "t", "x"],
        &["EXEC"],
        &["GET", "t"],
    ]);
}

#[test]
fn queueing_errors_abort() {
    let mut p = Pair::new();
    p.check_all(&[
        &["MULTI"],
        &["SET", "a", "1"],
        &["NOSUCHCOMMAND", "x"],
        &["SET", "b", "2"],
        &["EXEC"],
        &["EXISTS", "a", "b"],
        &["MULTI"],
        &["SET", "a"],
        &["EXEC"],
        &["MULTI"],
        &["GET"],
        &["DISCARD"],
        &["MULTI"],
        &["WATCH", "a"],
        &["EXEC"],
        &["MULTI"],
        &["SET", "a", "1"],
        &["WATCH", "a"],
        &["SET", "b", "1"],
        &["EXEC"],
        &["MGET", "a", "b"],
    ]);
}

#[test]
fn watch_other_client() {
    let mut p = Pair::new();
    let mut other = p.connect();
    p.check_all(&[
        &["SET", "k", "1"],
        &["WATCH", "k"],
        &["MULTI"],
        &["INCR", "k"],
    ]);
    other.check(&["SET", "k", "10"]);
    p.check(&["EXEC"]);
    p.check(&["GET", "k"]);
    // Not modified: executes.
    p.check_all(&[&["WATCH", "k"], &["MULTI"], &["INCR", "k"], &["EXEC"]]);
    // Touching a different key does not matter.
    p.check_all(&[&["WATCH", "k"], &["MULTI"], &["INCR", "k"]]);
    other.check(&["SET", "unrelated", "1"]);
    p.check(&["EXEC"]);
    // Modified between WATCH and MULTI.
    p.check(&["WATCH", "k"]);
    other.check(&["DEL", "k"]);
    p.check_all(&[&["MULTI"], &["SET", "k", "x"], &["EXEC"], &["EXISTS", "k"]]);
    // A watched key that does not exist, created by someone else.
    p.check(&["WATCH", "nokey"]);
    other.check(&["SET", "nokey", "1"]);
    p.check_all(&[&["MULTI"], &["PING"], &["EXEC"]]);
    // A write that changes nothing still counts (LPUSH on a new list, SET same value).
    p.check_all(&[&["SET", "same", "v"], &["WATCH", "same"]]);
    other.check(&["SET", "same", "v"]);
    p.check_all(&[&["MULTI"], &["PING"], &["EXEC"]]);
    // A failed write does not.
    p.check_all(&[&["WATCH", "same"]]);
    other.check(&["LPUSH", "same", "x"]);
    p.check_all(&[&["MULTI"], &["PING"], &["EXEC"]]);
    // UNWATCH forgets.
    p.check(&["WATCH", "k"]);
    other.check(&["SET", "k", "2"]);
    p.check_all(&[&["UNWATCH"], &["MULTI"], &["GET", "k"], &["EXEC"]]);
    // DISCARD unwatches too.
    p.check_all(&[&["WATCH", "k"], &["MULTI"], &["DISCARD"]]);
    other.check(&["SET", "k", "3"]);
    p.check_all(&[&["MULTI"], &["GET", "k"], &["EXEC"]]);
    // Several keys, one touched.
    p.check(&["WATCH", "a", "b", "k"]);
    other.check(&["INCR", "b"]);
    p.check_all(&[
        &["MULTI"],
        &["GET", "k"],
        &["EXEC"],
        &["WATCH"],
        &["UNWATCH", "x"],
    ]);
}

#[test]
fn watch_own_writes_and_server_wide_events() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SET", "k", "1"],
        &["WATCH", "k"],
        &["SET", "k", "2"],
        &["MULTI"],
        &["GET", "k"],
        &["EXEC"],
        &["WATCH", "k"],
        &["FLUSHALL"],
        &["MULTI"],
        &["PING"],
        &["EXEC"],
        &["WATCH", "missing"],
        &["FLUSHDB"],
        &["MULTI"],
        &["PING"],
        &["EXEC"],
        &["SET", "k", "1"],
        &["WATCH", "k"],
        &["SWAPDB", "0", "1"],
        &["MULTI"],
        &["PING"],
        &["EXEC"],
        &["SELECT", "1"],
        &["WATCH", "k"],
        &["SELECT", "0"],
        &["SET", "k", "changed in db0"],
        &["MULTI"],
        &["PING"],
        &["EXEC"],
    ]);
}

#[test]
fn watch_and_expiry() {
    let mut p = Pair::new();
    // A key that expires while watched invalidates the transaction.
    p.check_all(&[&["SET", "k", "v", "PX", "60"], &["WATCH", "k"]]);
    std::thread::sleep(Duration::from_millis(150));
    p.check_all(&[&["MULTI"], &["GET", "k"], &["EXEC"]]);
    // A key that was already expired (logically gone) when watched does not.
    p.check(&["SET", "e", "v", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(20));
    p.check_all(&[&["WATCH", "e"], &["MULTI"], &["GET", "e"], &["EXEC"]]);
    // Setting an expiry on a watched key is a modification.
    let mut other = p.connect();
    p.check_all(&[&["SET", "t", "v"], &["WATCH", "t"]]);
    other.check(&["EXPIRE", "t", "100"]);
    p.check_all(&[&["MULTI"], &["PING"], &["EXEC"]]);
    p.check_all(&[&["WATCH", "t"]]);
    other.check(&["PERSIST", "t"]);
    p.check_all(&[&["MULTI"], &["PING"], &["EXEC"]]);
}

#[test]
fn transactions_with_select_and_blocking_commands() {
    let mut p = Pair::new();
    p.check_all(&[
        &["MULTI"],
        &["SELECT", "1"],
        &["SET", "in1", "x"],
        &["EXEC"],
        &["GET", "in1"],
        &["SELECT", "0"],
        &["GET", "in1"],
        &["MULTI"],
        &["BLPOP", "emptylist", "0"],
        &["BRPOPLPUSH", "emptylist", "dst", "0"],
        &["BLMOVE", "emptylist", "dst", "LEFT", "LEFT", "0"],
        &["BZPOPMIN", "emptyz", "0"],
        &["BLMPOP", "0", "1", "emptylist", "LEFT"],
        &["EXEC"],
        &["RPUSH", "full", "a"],
        &["MULTI"],
        &["BLPOP", "full", "0"],
        &["EXEC"],
    ]);
}

#[test]
fn commands_refused_inside_multi() {
    let mut p = Pair::new();
    p.check_all(&[
        &["MULTI"],
        &["WATCH", "x"],
        &["MULTI"],
        &["PING"],
        &["EXEC"],
        &["MULTI"],
        &["SUBSCRIBE", "ch"],
        &["EXEC"],
    ]);
    p.check_all(&[&["MULTI"], &["PING"], &["EXEC"]]);
}

#[test]
fn exec_replies_in_resp3() {
    let mut p = Pair::new();
    p.hello(3);
    p.check_all(&[
        &["ZADD", "z", "1.5", "a"],
        &["MULTI"],
        &["ZSCORE", "z", "a"],
        &["SMEMBERS", "missing"],
        &["INCR", "z"],
        &["EXEC"],
    ]);
    let mut other = p.connect();
    other.hello(3);
    p.check_all(&[&["WATCH", "z"], &["MULTI"], &["PING"]]);
    other.check(&["DEL", "z"]);
    p.check(&["EXEC"]);
}
