//! Stream commands compared with redis-server: XADD (IDs, NOMKSTREAM, MAXLEN/MINID with `=`/`~`/
//! LIMIT), XLEN, XRANGE/XREVRANGE, XDEL, XTRIM, XREAD (several streams, `$`, BLOCK woken by XADD,
//! timeouts), consumer groups (XGROUP, XREADGROUP with `>`/history/NOACK/BLOCK, XACK, XPENDING,
//! XCLAIM, XAUTOCLAIM), XINFO and XSETID, with explicit IDs. Replies holding the clock (idle times,
//! delivery and seen times) are compared with a tolerance. The node-level checks (bytes identical
//! to Redis's nodes) are in server/tests/streams.rs.

use redoubt_tests::{Compare, Pair, PairConn};

/// Replies that carry times in milliseconds: compared with a tolerance.
fn timed(line: &str) -> bool {
    line.contains("XINFO CONSUMERS")
        || line.contains("FULL")
        || (line.starts_with("XPENDING") && line.split_whitespace().count() > 3)
}

/// Runs a script (one command per line, words split on spaces) on both servers.
fn run(p: &mut PairConn, script: &str) {
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let args: Vec<&str> = line.split_whitespace().collect();
        if timed(line) {
            p.check_with(&args, Compare::Approx(2000));
        } else {
            p.check(&args);
        }
    }
}

#[test]
fn add_range_delete_trim() {
    let mut p = Pair::new();
    run(
        &mut p,
        "
        XADD s 1-1 a 1 b 2
        XADD s 1-2 a 3 b 4
        XADD s 2-* c 5
        XADD s 2-* a 1 b 2
        XADD s 1-0 x y
        XADD s 0-0 x y
        XADD s 3-0 odd
        XADD s MAXLEN 1 MINID 1 3-0 a b
        XADD s MAXLEN 5 LIMIT 10 3-0 a b
        XADD nokey NOMKSTREAM 1-1 a b
        EXISTS nokey
        XLEN s
        XRANGE s - +
        XRANGE s - + COUNT 0
        XREVRANGE s + - COUNT 2
        XRANGE s (1-1 2
        XRANGE s 1 (2-1
        XRANGE s - (0-0
        XRANGE s abc +
        XDEL s 1-2 9-9
        XRANGE s - +
        XINFO STREAM s
        XTRIM s MAXLEN 1
        XTRIM s
        XRANGE s - +
        XDEL s 2-1
        XINFO STREAM s
        TYPE s
        OBJECT ENCODING s
        SET str x
        XADD str 1-1 a b
        XADD big 18446744073709551615-18446744073709551615 a b
        XADD big * a b
        ",
    );
}

#[test]
fn approximate_trimming_with_small_nodes() {
    let mut p = Pair::with_args(&[
        "--stream-node-max-entries",
        "5",
        "--stream-node-max-bytes",
        "200",
    ]);
    let mut script = String::new();
    for i in 1..=300 {
        script.push_str(&format!(
            "XADD s MAXLEN ~ 90 {i}-0 sensor-id {} temperature {}.5\n",
            i % 7,
            i % 40
        ));
    }
    script.push_str("XLEN s\nXINFO STREAM s\nXTRIM s MAXLEN ~ 40\nXLEN s\nXTRIM s MINID ~ 280 LIMIT 10\nXLEN s\nXTRIM s MINID = 290\nXINFO STREAM s\n");
    run(&mut p, &script);
}

#[test]
fn consumer_groups() {
    let mut p = Pair::new();
    run(
        &mut p,
        "
        XGROUP CREATE s g 0
        XGROUP CREATE s g 0 MKSTREAM
        XADD s 1-1 a 1
        XADD s 1-2 b 2
        XADD s 1-3 c 3
        XADD s 1-4 d 4
        XGROUP CREATE s g 0
        XGROUP CREATE s g2 $
        XGROUP CREATE s g3 1-2 ENTRIESREAD 2
        XGROUP SETID s nog 0
        XREADGROUP GROUP g alice COUNT 2 STREAMS s >
        XREADGROUP GROUP g bob STREAMS s >
        XREADGROUP GROUP g alice STREAMS s 0
        XREADGROUP GROUP g alice STREAMS s $
        XREADGROUP GROUP nog alice STREAMS s >
        XPENDING s g
        XPENDING s g - + 10
        XPENDING s g IDLE 0 - + 10 bob
        XINFO GROUPS s
        XINFO CONSUMERS s g
        XACK s g 1-1 1-1 9-9
        XCLAIM s g carol 0 1-2 1-3 JUSTID
        XCLAIM s g carol 0 1-4 RETRYCOUNT 7
        XCLAIM s g dave 0 1-2 LASTID 1-9
        XCLAIM s g dave 0 1-2 BOGUS
        XDEL s 1-3
        XAUTOCLAIM s g erin 0 0 COUNT 1
        XAUTOCLAIM s g erin 0 0 COUNT 10 JUSTID
        XREADGROUP GROUP g erin STREAMS s 0
        XINFO STREAM s FULL
        XGROUP DELCONSUMER s g erin
        XGROUP CREATECONSUMER s g frank
        XGROUP SETID s g 0 ENTRIESREAD 0
        XINFO GROUPS s
        XREADGROUP GROUP g2 zed NOACK STREAMS s >
        XADD s 2-0 e 5
        XREADGROUP GROUP g2 zed NOACK STREAMS s >
        XPENDING s g2
        XGROUP DESTROY s g2
        XSETID s 1-0
        XSETID s 9-0 ENTRIESADDED 50 MAXDELETEDID 1-5
        XINFO STREAM s
        XINFO GROUPS s
        ",
    );
}

#[test]
fn xread_and_blocking_reads() {
    let mut p = Pair::new();
    run(
        &mut p,
        "
        XADD a 1-1 f 1
        XADD a 1-2 f 2
        XADD b 2-1 g 1
        XREAD STREAMS a b 0 0
        XREAD COUNT 1 STREAMS a b 0 0
        XREAD STREAMS a b $ $
        XREAD STREAMS a b 0
        XREAD BLOCK 10 STREAMS a $
        XGROUP CREATE q g $ MKSTREAM
        ",
    );
    // `$` is resolved once: the entry added while the reader waits is what it gets.
    let mut reader = p.connect();
    reader.send(&["XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$"]);
    p.wait_blocked(1);
    p.check(&["XADD", "b", "3-0", "k", "v"]);
    reader.recv_check();
    // Two group readers are served in arrival order, one entry each.
    let mut r1 = p.connect();
    r1.send(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "c1",
        "COUNT",
        "1",
        "BLOCK",
        "0",
        "STREAMS",
        "q",
        ">",
    ]);
    p.wait_blocked(1);
    let mut r2 = p.connect();
    r2.send(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "c2",
        "BLOCK",
        "0",
        "STREAMS",
        "q",
        ">",
    ]);
    p.wait_blocked(2);
    p.check(&["XADD", "q", "1-0", "n", "1"]);
    r1.recv_check();
    p.check(&["XADD", "q", "2-0", "n", "2"]);
    r2.recv_check();
    // Timeout.
    p.check(&["XREAD", "BLOCK", "50", "STREAMS", "none", "$"]);
}
