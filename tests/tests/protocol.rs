//! The wire protocol compared with redis-server: inline commands, pipelining thousands of
//! commands in one write, commands split across writes, malformed RESP (the exact "Protocol
//! error" reply, then disconnect, other clients unaffected), size limits, big bulks, binary
//! safety, HELLO 2/3 and RESP3 reply types, QUIT.

use redoubt_tests::{command, Compare, Pair, PairConn};
use std::time::Duration;

/// Sends `bytes` on a fresh connection pair, compares the error reply, requires a disconnect,
/// and checks that the servers still serve the main connection.
fn protocol_error(p: &mut Pair, bytes: &[u8]) {
    let mut conn = p.connect();
    conn.set_context(format!(
        "raw input {}",
        redoubt_tests::reply::escape_bytes(&bytes[..bytes.len().min(60)])
    ));
    conn.send_raw(bytes);
    let reply = conn.recv_check();
    assert!(reply.is_error(), "expected a protocol error, got {reply}");
    conn.assert_closed(Duration::from_secs(5));
    p.check(&["PING"]);
}

#[test]
fn inline_commands() {
    let mut p = Pair::new();
    for line in [
        &b"PING\r\n"[..],
        b"ping\n",
        b"SET k v\r\n",
        b"GET k\r\n",
        b"  GET   k  \r\n",
        b"SET k \"hello world\"\r\n",
        b"GET k\r\n",
        b"SET k 'single quoted'\r\n",
        b"GET k\r\n",
        b"SET k \"esc\\x41\\n\\t\\\"q\\\"\"\r\n",
        b"GET k\r\n",
        b"SET k ''\r\n",
        b"STRLEN k\r\n",
        b"ECHO \"\"\r\n",
        b"NOSUCHCOMMAND a b\r\n",
        b"GET\r\n",
        b"MSET a 1 b 2 c 3\r\n",
        b"MGET a b c\r\n",
        b"PING \"with space\"\r\n",
    ] {
        p.send_raw(line);
        p.recv_check();
    }
    // Empty lines are ignored.
    p.send_raw(b"\r\n\n\r\nPING\r\n");
    p.recv_check();
    p.assert_silent(Duration::from_millis(50));
    // Inline commands in a pipeline, mixed with RESP.
    p.send_raw(b"SET x 1\r\nINCR x\r\n*2\r\n$4\r\nINCR\r\n$1\r\nx\r\nGET x\r\n");
    p.recv_check_many(4, Compare::Exact);
}

#[test]
fn inline_protocol_errors() {
    let mut p = Pair::new();
    protocol_error(&mut p, b"SET k \"unbalanced\r\n");
    protocol_error(&mut p, b"SET k 'unbalanced\r\n");
    protocol_error(&mut p, b"SET k \"closed\"junk\r\n");
    protocol_error(&mut p, &vec![b'a'; 70_000]);
}

#[test]
fn multibulk_protocol_errors() {
    let mut p = Pair::new();
    for bytes in [
        &b"*abc\r\n"[..],
        b"*1x\r\n",
        b"*2147483648\r\n",
        b"*9999999999999999999999\r\n",
        b"*1\r\n+PING\r\n",
        b"*1\r\nPING\r\n",
        b"*2\r\n$4\r\nECHO\r\n:1\r\n",
        b"*1\r\n$-1\r\n",
        b"*1\r\n$abc\r\n",
        b"*1\r\n$4x\r\nPING\r\n",
        b"*1\r\n$536870913\r\n",
        b"*1\r\n$99999999999999999999\r\n",
    ] {
        protocol_error(&mut p, bytes);
    }
    let mut long_count = b"*".to_vec();
    long_count.extend(std::iter::repeat_n(b'1', 70_000));
    protocol_error(&mut p, &long_count);
    let mut long_bulk = b"*1\r\n$".to_vec();
    long_bulk.extend(std::iter::repeat_n(b'1', 70_000));
    protocol_error(&mut p, &long_bulk);
    // Commands before the bad frame in the same write are answered first.
    let mut conn = p.connect();
    conn.send_raw(b"PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n");
    conn.recv_check_many(3, Compare::Exact);
    conn.assert_closed(Duration::from_secs(5));
}

#[test]
fn configured_size_limits() {
    let mut p = Pair::new();
    p.check(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]);
    p.check(&["CONFIG", "GET", "proto-max-bulk-len"]);
    // A bulk over proto-max-bulk-len is a protocol error as soon as its length is read.
    protocol_error(&mut p, b"*2\r\n$4\r\nECHO\r\n$1048577\r\n");
    let exact = vec![b'y'; 1024 * 1024];
    p.check(&[b"SET".as_slice(), b"k", &exact]);
    p.check(&["STRLEN", "k"]);
    p.check(&["APPEND", "k", "z"]);
    p.check(&["SETRANGE", "k", "1048576", "z"]);
    p.check(&["CONFIG", "SET", "proto-max-bulk-len", "1"]);
    // A client whose query buffer outgrows client-query-buffer-limit is dropped.
    p.check(&["CONFIG", "SET", "client-query-buffer-limit", "1mb"]);
    p.check(&["CONFIG", "GET", "client-query-buffer-limit"]);
    p.check(&["CONFIG", "SET", "proto-max-bulk-len", "512mb"]);
    let mut conn = p.connect();
    conn.send_raw(b"*2\r\n$4\r\nECHO\r\n$3000000\r\n");
    let chunk = vec![b'q'; 2_500_000];
    let _ = conn.reference.try_send_raw(&chunk);
    let _ = conn.subject.try_send_raw(&chunk);
    conn.assert_closed(Duration::from_secs(5));
    p.check(&["PING"]);
}

#[test]
fn empty_and_negative_multibulk_are_ignored() {
    let mut p = Pair::new();
    p.send_raw(b"*0\r\n*-1\r\n*-100\r\nPING\r\n");
    p.recv_check();
    p.assert_silent(Duration::from_millis(50));
    p.check(&["PING"]);
}

#[test]
fn pipelining_thousands_in_one_write() {
    let mut p = Pair::new();
    let mut cmds = Vec::new();
    for i in 0..10_000 {
        match i % 5 {
            0 => cmds.push(command(&[
                "SET",
                &format!("key:{}", i % 700),
                &i.to_string(),
            ])),
            1 => cmds.push(command(&["INCR", "counter"])),
            2 => cmds.push(command(&["GET", &format!("key:{}", (i * 7) % 700)])),
            3 => cmds.push(command(&["RPUSH", "list", &i.to_string()])),
            _ => cmds.push(command(&["LLEN", "list"])),
        }
    }
    p.pipeline_check(&cmds, Compare::Exact);
    p.check(&["DBSIZE"]);
    p.check(&["GET", "counter"]);
    // Inline pipeline too, as redis-cli --pipe users sometimes send.
    let mut inline = Vec::new();
    for i in 0..5000 {
        inline.extend_from_slice(format!("SET inline:{i} {i}\r\n").as_bytes());
    }
    let a = p.reference.pipeline_raw(inline.clone(), 5000);
    let b = p.subject.pipeline_raw(inline, 5000);
    assert_eq!(a, b);
    p.check(&["DBSIZE"]);
}

#[test]
fn commands_split_across_writes() {
    let mut p = Pair::new();
    let bytes = b"*3\r\n$3\r\nSET\r\n$5\r\nsplit\r\n$11\r\nhello world\r\n*2\r\n$3\r\nGET\r\n$5\r\nsplit\r\n";
    for chunk in bytes.chunks(1) {
        p.reference.send_raw(chunk);
        p.subject.send_raw(chunk);
        std::thread::sleep(Duration::from_micros(200));
    }
    p.recv_check_many(2, Compare::Exact);
    for chunk in b"ECHO partial-inline\r\n".chunks(3) {
        p.reference.send_raw(chunk);
        p.subject.send_raw(chunk);
        std::thread::sleep(Duration::from_micros(200));
    }
    p.recv_check();
}

#[test]
fn big_bulks_and_binary_safety() {
    let mut p = Pair::new();
    let big = vec![b'x'; 10 * 1024 * 1024];
    p.check(&[b"SET".as_slice(), b"big", &big]);
    p.check(&["STRLEN", "big"]);
    p.check(&["GETRANGE", "big", "-5", "-1"]);
    let (a, b) = p.both(&["GET", "big"]);
    assert!(
        a == b && a.as_bytes().map(|v| v.len()) == Some(big.len()),
        "10 MB GET differs"
    );
    // Many medium arguments (above the 32 KB "big argument" threshold).
    let medium: Vec<Vec<u8>> = (0..20u8).map(|i| vec![b'a' + i; 40_000]).collect();
    let mut cmd: Vec<&[u8]> = vec![b"RPUSH", b"mlist"];
    cmd.extend(medium.iter().map(|v| v.as_slice()));
    p.check(&cmd);
    p.check(&["LINDEX", "mlist", "7"]);
    // Every byte value in keys and values.
    let all: Vec<u8> = (0..=255u8).collect();
    p.check(&[b"SET".as_slice(), &all, &all]);
    p.check(&[b"GET".as_slice(), &all]);
    p.check(&[b"EXISTS".as_slice(), &all]);
    p.check(&[b"HSET".as_slice(), b"h", &all, b"\r\n"]);
    p.check(&[b"HGET".as_slice(), b"h", &all]);
    p.check(&[b"ECHO".as_slice(), b"*1\r\n$4\r\nPING\r\n"]);
    p.check(&[b"ECHO".as_slice(), b""]);
}

#[test]
fn incomplete_huge_requests_do_not_block_others() {
    let mut p = Pair::new();
    let mut hanging = p.connect();
    // Announce a 100 MB argument and send only part of it.
    hanging.send_raw(b"*2\r\n$4\r\nECHO\r\n$100000000\r\n");
    hanging.send_raw(&vec![b'z'; 1_000_000]);
    let mut many = p.connect();
    many.send_raw(b"*1000000\r\n$4\r\nPING\r\n");
    p.check(&["PING"]);
    p.check(&["SET", "k", "v"]);
    drop(hanging);
    drop(many);
    p.check(&["GET", "k"]);
    let mut last: PairConn = p.connect();
    last.check(&["PING"]);
}

#[test]
fn hello_negotiation() {
    let mut p = Pair::new();
    p.hello(2);
    p.hello(3);
    p.check(&["PING"]);
    p.check(&["GET", "missing"]);
    p.hello(2);
    p.check(&["GET", "missing"]);
    p.check_all(&[
        &["HELLO", "4"],
        &["HELLO", "1"],
        &["HELLO", "0"],
        &["HELLO", "x"],
        &["HELLO", "-1"],
        &["HELLO", "3", "BOGUS"],
        &["HELLO", "3", "AUTH", "default"],
        &["HELLO", "3", "AUTH", "default", "wrongpass"],
        &["HELLO", "3", "SETNAME"],
        &["HELLO", "3", "SETNAME", "bad name"],
    ]);
    p.check(&["CLIENT", "GETNAME"]);
    let (a, b) = p.both(&["HELLO", "3", "SETNAME", "conn-name"]);
    redoubt_tests::pair::compare_hello(&a, &b, &("redis".into(), "subject".into()));
    p.check(&["CLIENT", "GETNAME"]);
    let (a, b) = p.both(&["HELLO"]);
    redoubt_tests::pair::compare_hello(&a, &b, &("redis".into(), "subject".into()));
    let (a, b) = p.both(&["HELLO", "2", "AUTH", "default", "anything"]);
    // Without requirepass the default user has nopass: any password is accepted.
    redoubt_tests::pair::compare_hello(&a, &b, &("redis".into(), "subject".into()));
    p.check(&["GET", "missing"]);
}

#[test]
fn hello_with_requirepass() {
    let mut p = Pair::with_args(&["--requirepass", "secret"]);
    p.check_all(&[
        &["PING"],
        &["GET", "k"],
        &["HELLO", "3"],
        &["HELLO", "3", "AUTH", "default", "wrong"],
        &["HELLO", "3", "AUTH", "nouser", "secret"],
    ]);
    let (a, b) = p.both(&[
        "HELLO", "3", "AUTH", "default", "secret", "SETNAME", "authed",
    ]);
    redoubt_tests::pair::compare_hello(&a, &b, &("redis".into(), "subject".into()));
    p.check_all(&[&["GET", "k"], &["CLIENT", "GETNAME"]]);
    // Unauthenticated clients get tighter protocol limits.
    let mut conn = p.connect();
    conn.send_raw(b"*20\r\n");
    conn.recv_check();
    conn.assert_closed(Duration::from_secs(5));
    let mut conn = p.connect();
    conn.send_raw(b"*2\r\n$4\r\nECHO\r\n$20000\r\n");
    conn.recv_check();
    conn.assert_closed(Duration::from_secs(5));
}

#[test]
fn resp3_reply_types() {
    let mut p = Pair::new();
    p.hello(3);
    p.check_all(&[
        &["ZADD", "z", "1.5", "a", "inf", "b", "-inf", "c", "0", "d"],
        &["ZSCORE", "z", "a"],
        &["ZSCORE", "z", "b"],
        &["ZSCORE", "z", "c"],
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        &["ZINCRBY", "z", "0.1", "d"],
        &["HSET", "h", "f", "v", "g", "w"],
        &["HGETALL", "h"],
        &["SADD", "s", "1", "2", "3"],
        &["SMEMBERS", "s"],
        &["SINTER", "s", "s"],
        &["SDIFF", "s", "missing"],
        &["GET", "missing"],
        &["LPOP", "missing"],
        &["LPOP", "missing", "2"],
        &["ZSCORE", "z", "missing"],
        &["EXISTS", "h"],
        &["CONFIG", "GET", "maxmemory"],
        &["ZRANDMEMBER", "missing", "2", "WITHSCORES"],
        &["ZPOPMIN", "z", "2"],
        &["LPOS", "missing", "x"],
        &["INCRBYFLOAT", "fl", "2.5"],
        &["HINCRBYFLOAT", "hh", "f", "2.5"],
        &["MGET", "missing", "h"],
        &["SMISMEMBER", "s", "1", "x"],
        &["ZMSCORE", "z", "a", "x"],
        &["XNOTACOMMAND"],
    ]);
    p.check_derived(&["INFO", "server"], |r| r.kind());
    p.check_derived(&["CLIENT", "INFO"], |r| r.kind());
}

#[test]
fn quit_and_reset() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SET", "k", "v"],
        &["SELECT", "2"],
        &["CLIENT", "SETNAME", "x"],
    ]);
    p.hello(3);
    let (a, b) = p.both(&["RESET"]);
    assert_eq!(a, b);
    p.check_all(&[
        &["GET", "k"],
        &["CLIENT", "GETNAME"],
        &["GET", "missing"],
        &["RESET", "x"],
    ]);
    let mut q = p.connect();
    q.check(&["QUIT"]);
    q.assert_closed(Duration::from_secs(2));
    let mut q = p.connect();
    q.send_raw(b"QUIT\r\nPING\r\n");
    q.recv_check();
    q.assert_closed(Duration::from_secs(2));
}
