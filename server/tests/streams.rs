//! Streams, checked against the real redis-server: the same command sequences (explicit IDs) go to
//! Debian's redis-server 7.0 and to our binary, and the replies must be identical (timestamps and
//! idle times masked); blocking reads are checked the same way with two connections. The node test
//! builds a stream in-process and compares every node's listpack bytes with the nodes Redis writes
//! in the DUMP payload of the same stream. Tests are skipped when redis-server is not installed.

use redoubt_rdb::length::{read_len, read_string};
use redoubt_rdb::source::SliceInput;
use redoubt_server::types::stream::{NodeCheck, Stream, StreamId, TrimStrategy};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// ------------------------------------------------------------------------------------------------
// Servers and a minimal RESP client
// ------------------------------------------------------------------------------------------------

/// A server process, killed on drop (also when a test panics).
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn wait_ready(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn start(program: &str, extra: &[&str]) -> Option<Server> {
    let port = free_port();
    let mut cmd = Command::new(program);
    cmd.args([
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ])
    .args(extra);
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let s = Server { child, port };
    wait_ready(port).then_some(s)
}

/// Both servers, or `None` (test skipped) when redis-server is missing.
fn pair(extra: &[&str]) -> Option<(Server, Server)> {
    let redis = start("redis-server", extra)?;
    let ours = start(env!("CARGO_BIN_EXE_redoubt-server"), extra).expect("our server starts");
    Some((redis, ours))
}

#[derive(Debug, Clone, PartialEq)]
enum Resp {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Resp>>),
}

struct Conn {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

impl Conn {
    fn open(port: u16) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        Conn {
            w: s.try_clone().expect("clone"),
            r: BufReader::new(s),
        }
    }

    fn send(&mut self, args: &[&str]) {
        let raw: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.send_raw(&raw);
    }

    fn send_raw(&mut self, args: &[&[u8]]) {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.w.write_all(&out).expect("write");
    }

    fn read(&mut self) -> Resp {
        let mut line = String::new();
        self.r.read_line(&mut line).expect("read line");
        let line = line.trim_end_matches("\r\n");
        let (kind, rest) = line.split_at(1);
        match kind {
            "+" => Resp::Simple(rest.to_string()),
            "-" => Resp::Error(rest.to_string()),
            ":" => Resp::Int(rest.parse().expect("int")),
            "$" => {
                let n: i64 = rest.parse().expect("bulk len");
                if n < 0 {
                    return Resp::Bulk(None);
                }
                let mut buf = vec![0u8; n as usize + 2];
                self.r.read_exact(&mut buf).expect("bulk");
                buf.truncate(n as usize);
                Resp::Bulk(Some(buf))
            }
            // RESP3: nulls, doubles, booleans, verbatim strings, maps, sets, pushes.
            "_" => Resp::Bulk(None),
            "," | "#" => Resp::Simple(format!("{kind}{rest}")),
            "=" => {
                let n: usize = rest.parse().expect("verbatim len");
                let mut buf = vec![0u8; n + 2];
                self.r.read_exact(&mut buf).expect("verbatim");
                buf.truncate(n);
                Resp::Bulk(Some(buf))
            }
            "%" => {
                let n: usize = rest.parse().expect("map len");
                let mut items = vec![Resp::Simple("map".into())];
                items.extend((0..2 * n).map(|_| self.read()));
                Resp::Array(Some(items))
            }
            "~" | ">" => {
                let n: usize = rest.parse().expect("set len");
                let mut items = vec![Resp::Simple(kind.into())];
                items.extend((0..n).map(|_| self.read()));
                Resp::Array(Some(items))
            }
            "*" => {
                let n: i64 = rest.parse().expect("array len");
                if n < 0 {
                    return Resp::Array(None);
                }
                Resp::Array(Some((0..n).map(|_| self.read()).collect()))
            }
            other => panic!("unexpected reply type {other}"),
        }
    }

    fn cmd(&mut self, args: &[&str]) -> Resp {
        self.send(args);
        self.read()
    }
}

fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// Masks what depends on the clock: integers that look like Unix-ms timestamps, the value after an
/// "idle" key, and the idle column of XPENDING's extended form.
fn mask_times(r: Resp) -> Resp {
    match r {
        Resp::Int(i) if i > 1_000_000_000_000 => Resp::Int(-1),
        Resp::Array(Some(items)) => {
            let pending_row = items.len() == 4
                && matches!(&items[0], Resp::Bulk(Some(b)) if b.contains(&b'-'))
                && matches!(items[1], Resp::Bulk(_))
                && matches!(items[2], Resp::Int(_));
            let mut out = Vec::with_capacity(items.len());
            let mut after_idle = false;
            for (i, it) in items.into_iter().enumerate() {
                let it = if after_idle || (pending_row && i == 2) {
                    Resp::Int(-1)
                } else {
                    mask_times(it)
                };
                after_idle = it == Resp::Bulk(Some(b"idle".to_vec()));
                out.push(it);
            }
            Resp::Array(Some(out))
        }
        other => other,
    }
}

/// Runs every line on both servers and asserts identical (masked) replies.
fn same_replies(redis: &mut Conn, ours: &mut Conn, script: &str) {
    for line in script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let args = words(line);
        if args[0] == "HELLO" {
            // The reply carries the client id, which differs; only the protocol switch matters.
            redis.cmd(&args);
            ours.cmd(&args);
            continue;
        }
        let want = mask_times(redis.cmd(&args));
        let got = mask_times(ours.cmd(&args));
        assert_eq!(got, want, "reply to `{line}`");
    }
}

fn with_pair(extra: &[&str], script: &str) {
    let Some((redis, ours)) = pair(extra) else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let (mut a, mut b) = (Conn::open(redis.port), Conn::open(ours.port));
    same_replies(&mut a, &mut b, script);
}

// ------------------------------------------------------------------------------------------------
// Differential tests
// ------------------------------------------------------------------------------------------------

#[test]
fn xadd_range_del_trim_match_redis() {
    with_pair(
        &[],
        "
        XADD s 1-1 a 1 b 2
        XADD s 1-2 a 3 b 4
        XADD s 2-* c 5
        XADD s 2-* a 1 b 2
        XADD s 1-0 x y
        XADD s 0-0 x y
        XADD s 3-0 odd
        XADD s
        XADD s 3-x a b
        XADD s MAXLEN abc 3-0 a b
        XADD s MAXLEN -1 3-0 a b
        XADD s MAXLEN 1 MINID 1 3-0 a b
        XADD s LIMIT 10 3-0 a b
        XADD s MAXLEN 5 LIMIT 10 3-0 a b
        XADD nokey NOMKSTREAM 1-1 a b
        EXISTS nokey
        XLEN s
        XLEN nokey
        XRANGE s - +
        XRANGE s - + COUNT 0
        XRANGE s - + COUNT -3
        XRANGE s - + COUNT 2 COUNT 1
        XRANGE s - + LIMIT 2
        XREVRANGE s + - COUNT 2
        XRANGE s (1-1 2
        XRANGE s 1 (2-1
        XRANGE s (- +
        XRANGE s (18446744073709551615-18446744073709551615 +
        XRANGE s - (0-0
        XRANGE s 2 1
        XRANGE s abc +
        XRANGE nokey - +
        XDEL s 1-2 9-9
        XDEL s 1-2
        XDEL s bad
        XRANGE s - +
        XINFO STREAM s
        XTRIM s MAXLEN 1
        XTRIM s MINID 0
        XTRIM s FOO 1
        XTRIM s
        XTRIM nokey MAXLEN 0
        XRANGE s - +
        XINFO STREAM s
        XDEL s 2-1
        XLEN s
        XINFO STREAM s
        EXISTS s
        TYPE s
        OBJECT ENCODING s
        SET str x
        XADD str 1-1 a b
        XRANGE str - +
        XLEN str
        XADD big 18446744073709551615-18446744073709551615 a b
        XADD big * a b
        XADD big2 18446744073709551615-* a b
        XADD big3 5-18446744073709551615 a b
        XADD big3 5-* a b
        XADD plus +5-1 a b
        XADD plus 6-+1 a b
        XRANGE plus +5 +
        XADD huge 18446744073709551615-0 a b
        XADD huge 18446744073709551616-0 a b
        XADD huge 1--1 a b
        ",
    );
}

#[test]
fn approximate_trimming_counts_match_redis() {
    let mut script = String::new();
    for i in 1..=1000 {
        script.push_str(&format!(
            "XADD s MAXLEN ~ 300 {i}-0 sensor-id {} temperature {}.5\n",
            i % 7,
            i % 40
        ));
    }
    script.push_str(
        "XLEN s\nXINFO STREAM s\nXTRIM s MAXLEN ~ 150\nXLEN s\nXTRIM s MINID ~ 900\nXLEN s\n",
    );
    script.push_str("XTRIM s MAXLEN ~ 10 LIMIT 50\nXLEN s\nXTRIM s MINID = 950\nXLEN s\nXINFO STREAM s\nXRANGE s - + COUNT 3\n");
    for i in 1..=250 {
        script.push_str(&format!("XADD t {i}-0 f{} {}\n", i % 3, "x".repeat(i % 50)));
    }
    script.push_str(
        "XTRIM t MAXLEN ~ 100\nXLEN t\nXINFO STREAM t\nXTRIM t MAXLEN 7\nXINFO STREAM t\n",
    );
    with_pair(&[], &script);
    // Smaller nodes by entry count and by bytes.
    with_pair(
        &[
            "--stream-node-max-entries",
            "5",
            "--stream-node-max-bytes",
            "200",
        ],
        &script,
    );
}

#[test]
fn consumer_groups_match_redis() {
    with_pair(
        &[],
        "
        XGROUP CREATE s g 0
        XGROUP CREATE s g 0 MKSTREAM
        XINFO GROUPS s
        XADD s 1-1 a 1
        XADD s 1-2 b 2
        XADD s 1-3 c 3
        XADD s 1-4 d 4
        XGROUP CREATE s g 0
        XGROUP CREATE s g $
        XGROUP CREATE s g2 $
        XGROUP CREATE s g3 1-2 ENTRIESREAD 2
        XGROUP CREATE s g4 0 ENTRIESREAD -5
        XGROUP CREATE s g4 0 BOGUS
        XGROUP SETID s nog 0
        XGROUP CREATECONSUMER s nog c
        XGROUP CREATECONSUMER nokey g c
        XREADGROUP GROUP g alice COUNT 2 STREAMS s >
        XREADGROUP GROUP g bob STREAMS s >
        XREADGROUP GROUP g bob STREAMS s >
        XREADGROUP GROUP g alice STREAMS s 0
        XREADGROUP GROUP g alice COUNT 1 STREAMS s 1-1
        XREADGROUP GROUP g alice STREAMS s $
        XREADGROUP GROUP nog alice STREAMS s >
        XREADGROUP GROUP g alice STREAMS nokey >
        XREADGROUP STREAMS s >
        XREAD GROUP g alice STREAMS s >
        XREAD STREAMS s >
        XPENDING s g
        XPENDING s g - + 10
        XPENDING s g - + 10 bob
        XPENDING s g - + 10 nobody
        XPENDING s g (1-1 + 1
        XPENDING s g IDLE 0 - + 10
        XPENDING s g IDLE 0 - +
        XPENDING s g - +
        XPENDING s nog
        XINFO GROUPS s
        XINFO CONSUMERS s g
        XINFO CONSUMERS s nog
        XACK s g 1-1 1-1 9-9
        XACK s g bad
        XACK s nog 1-2
        XPENDING s g
        XCLAIM s g carol 0 1-2 1-3 JUSTID
        XCLAIM s g carol 0 1-4 RETRYCOUNT 7
        XCLAIM s g dave 0 1-1 FORCE JUSTID
        XCLAIM s g dave 0 1-2 LASTID 1-9
        XCLAIM s g dave 0 1-2 BOGUS
        XCLAIM s g dave abc 1-2
        XCLAIM s g dave 3600000 1-2
        XCLAIM s nog dave 0 1-2
        XINFO GROUPS s
        XPENDING s g - + 10
        XDEL s 1-3
        XAUTOCLAIM s g erin 0 0 COUNT 1
        XAUTOCLAIM s g erin 0 0 COUNT 10 JUSTID
        XAUTOCLAIM s g erin 0 0 COUNT 0
        XAUTOCLAIM s g erin 0 (1-1
        XAUTOCLAIM s nog erin 0 0
        XPENDING s g - + 10
        XREADGROUP GROUP g erin STREAMS s 0
        XINFO STREAM s FULL
        XINFO STREAM s FULL COUNT 1
        XINFO STREAM s FULL COUNT
        XINFO STREAM s LIGHT
        XGROUP DELCONSUMER s g erin
        XGROUP DELCONSUMER s g erin
        XGROUP CREATECONSUMER s g frank
        XGROUP CREATECONSUMER s g frank
        XINFO CONSUMERS s g
        XGROUP SETID s g 0 ENTRIESREAD 0
        XINFO GROUPS s
        XGROUP SETID s g $
        XINFO GROUPS s
        XREADGROUP GROUP g2 zed NOACK STREAMS s >
        XADD s 2-0 e 5
        XREADGROUP GROUP g2 zed NOACK STREAMS s >
        XPENDING s g2
        XINFO GROUPS s
        XGROUP DESTROY s g2
        XGROUP DESTROY s g2
        XINFO GROUPS s
        XSETID s 1-0
        XSETID s 9-0 ENTRIESADDED 1
        XSETID s 9-0 ENTRIESADDED 50 MAXDELETEDID 10-0
        XSETID s 9-0 ENTRIESADDED 50 MAXDELETEDID 1-5
        XSETID nokey 1-0
        XINFO STREAM s
        XINFO GROUPS s
        XINFO HELP
        XGROUP HELP
        XINFO STREAM nokey
        ",
    );
}

#[test]
fn xread_matches_redis() {
    with_pair(
        &[],
        "
        XADD a 1-1 f 1
        XADD a 1-2 f 2
        XADD b 2-1 g 1
        XREAD STREAMS a b 0 0
        XREAD COUNT 1 STREAMS a b 0 0
        XREAD STREAMS a b $ $
        XREAD STREAMS a b 1-1 2-1
        XREAD STREAMS a nokey 0 0
        XREAD STREAMS a
        XREAD STREAMS a b 0
        XREAD COUNT x STREAMS a 0
        XREAD BLOCK -1 STREAMS a 0
        XREAD BLOCK x STREAMS a 0
        XREAD STREAMS a bad
        XREAD STREAMS a >
        XREAD FOO STREAMS a 0
        MULTI
        XREAD BLOCK 0 STREAMS a $
        EXEC
        XREAD BLOCK 10 STREAMS a $
        ",
    );
}

#[test]
fn resp3_replies_match_redis() {
    with_pair(
        &[],
        "
        HELLO 3 SETNAME same
        XADD a 1-1 f 1
        XADD a 1-2 f 2
        XADD b 2-1 g 1
        XREAD STREAMS a b 0 0
        XREAD STREAMS a b $ $
        XRANGE a - +
        XGROUP CREATE a g 0
        XREADGROUP GROUP g c STREAMS a >
        XPENDING a g
        XPENDING a g - + 5
        XINFO STREAM a
        XINFO STREAM a FULL
        XINFO GROUPS a
        XINFO CONSUMERS a g
        XAUTOCLAIM a g d 0 0
        XINFO HELP
        ",
    );
    let Some((redis, ours)) = pair(&[]) else {
        return;
    };
    let mut replies = Vec::new();
    for port in [redis.port, ours.port] {
        let mut reader = Conn::open(port);
        reader.cmd(&["HELLO", "3"]);
        reader.send(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
        std::thread::sleep(Duration::from_millis(100));
        Conn::open(port).cmd(&["XADD", "s", "1-0", "a", "1"]);
        replies.push(reader.read());
    }
    assert_eq!(replies[1], replies[0]);
}

/// A blocked reader and a writer on both servers; returns the reader's replies.
fn blocked_exchange(port: u16, block: &[&str], writes: &[&[&str]]) -> Vec<Resp> {
    let mut reader = Conn::open(port);
    let mut writer = Conn::open(port);
    reader.send(block);
    // Let the reader block before the writes.
    std::thread::sleep(Duration::from_millis(100));
    let mut out = Vec::new();
    for w in writes {
        out.push(writer.cmd(w));
    }
    out.push(reader.read());
    out.into_iter().map(mask_times).collect()
}

#[test]
fn blocking_reads_match_redis() {
    let Some((redis, ours)) = pair(&[]) else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    for (setup, block, writes) in [
        // `$` must stay the ID it was when the reader blocked.
        (
            vec![vec!["XADD", "s", "1-0", "a", "1"]],
            vec!["XREAD", "BLOCK", "0", "STREAMS", "s", "$"],
            vec![vec!["XADD", "s", "2-0", "b", "2"]],
        ),
        // Several streams; only the one that got data is in the reply.
        (
            vec![],
            vec!["XREAD", "BLOCK", "5000", "STREAMS", "x", "y", "$", "$"],
            vec![
                vec!["XADD", "y", "1-0", "k", "v"],
                vec!["XADD", "x", "1-0", "k", "v"],
            ],
        ),
        // A write to another key does not wake the reader; XDEL does not either.
        (
            vec![vec!["XADD", "t", "5-0", "a", "1"]],
            vec!["XREAD", "BLOCK", "0", "COUNT", "1", "STREAMS", "t", "5-0"],
            vec![
                vec!["XADD", "other", "1-0", "a", "1"],
                vec!["XDEL", "t", "5-0"],
                vec!["XADD", "t", "6-0", "b", "2"],
                vec!["XADD", "t", "7-0", "c", "3"],
            ],
        ),
        // Consumer group, `>`.
        (
            vec![vec!["XGROUP", "CREATE", "q", "g", "$", "MKSTREAM"]],
            vec![
                "XREADGROUP",
                "GROUP",
                "g",
                "c1",
                "BLOCK",
                "0",
                "STREAMS",
                "q",
                ">",
            ],
            vec![
                vec!["XADD", "q", "1-0", "job", "1"],
                vec!["XPENDING", "q", "g"],
            ],
        ),
        // The stream is deleted, or overwritten by another type, under a group reader.
        (
            vec![vec!["XGROUP", "CREATE", "r2", "g", "$", "MKSTREAM"]],
            vec![
                "XREADGROUP",
                "GROUP",
                "g",
                "c1",
                "BLOCK",
                "0",
                "STREAMS",
                "r2",
                ">",
            ],
            vec![vec!["DEL", "r2"]],
        ),
        (
            vec![vec!["XGROUP", "CREATE", "r3", "g", "$", "MKSTREAM"]],
            vec![
                "XREADGROUP",
                "GROUP",
                "g",
                "c1",
                "BLOCK",
                "0",
                "STREAMS",
                "r3",
                ">",
            ],
            vec![vec!["SET", "r3", "x"]],
        ),
        // A plain reader keeps waiting through deletion and type changes, and is served by the
        // stream created again.
        (
            vec![vec!["XADD", "t2", "1-0", "a", "1"]],
            vec!["XREAD", "BLOCK", "0", "STREAMS", "t2", "$"],
            vec![
                vec!["DEL", "t2"],
                vec!["RPUSH", "t2", "x"],
                vec!["DEL", "t2"],
                vec!["XADD", "t2", "5-0", "b", "2"],
            ],
        ),
        // The group goes away while a reader waits on it.
        (
            vec![vec!["XGROUP", "CREATE", "r", "g", "$", "MKSTREAM"]],
            vec![
                "XREADGROUP",
                "GROUP",
                "g",
                "c1",
                "BLOCK",
                "0",
                "STREAMS",
                "r",
                ">",
            ],
            vec![vec!["XGROUP", "DESTROY", "r", "g"]],
        ),
    ] {
        let mut replies = Vec::new();
        for port in [redis.port, ours.port] {
            let mut c = Conn::open(port);
            for s in &setup {
                c.cmd(s);
            }
            let writes: Vec<&[&str]> = writes.iter().map(|w| w.as_slice()).collect();
            replies.push(blocked_exchange(port, &block, &writes));
        }
        assert_eq!(replies[1], replies[0], "blocked {block:?}");
    }
    // Timeout.
    for port in [redis.port, ours.port] {
        let mut c = Conn::open(port);
        let t = Instant::now();
        assert_eq!(
            c.cmd(&["XREAD", "BLOCK", "100", "STREAMS", "none", "$"]),
            Resp::Array(None)
        );
        assert!(t.elapsed() >= Duration::from_millis(90));
    }
}

/// Two readers blocked on one group are served in arrival order, one entry each; plain readers
/// blocked on `$` are all served; CLIENT UNBLOCK ends a blocked XREAD.
#[test]
fn blocked_readers_are_served_in_arrival_order_like_redis() {
    let Some((redis, ours)) = pair(&[]) else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let mut all = Vec::new();
    for port in [redis.port, ours.port] {
        let mut w = Conn::open(port);
        let mut out = Vec::new();
        out.push(w.cmd(&["XGROUP", "CREATE", "q", "g", "$", "MKSTREAM"]));
        let mut r1 = Conn::open(port);
        let mut r2 = Conn::open(port);
        let mut r3 = Conn::open(port);
        let mut r4 = Conn::open(port);
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
        std::thread::sleep(Duration::from_millis(50));
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
        r3.send(&["XREAD", "BLOCK", "0", "STREAMS", "q", "$"]);
        std::thread::sleep(Duration::from_millis(50));
        out.push(w.cmd(&["XADD", "q", "1-0", "n", "1"]));
        out.push(r1.read());
        out.push(r3.read());
        out.push(w.cmd(&["XADD", "q", "2-0", "n", "2"]));
        out.push(r2.read());
        out.push(mask_times(w.cmd(&["XPENDING", "q", "g", "-", "+", "10"])));
        r4.send(&["CLIENT", "ID"]);
        let Resp::Int(id) = r4.read() else {
            panic!("CLIENT ID")
        };
        r4.send(&["XREAD", "BLOCK", "0", "STREAMS", "q", "$"]);
        std::thread::sleep(Duration::from_millis(50));
        out.push(w.cmd(&["CLIENT", "UNBLOCK", &id.to_string()]));
        out.push(r4.read());
        r4.send(&["XREAD", "BLOCK", "0", "STREAMS", "q", "$"]);
        std::thread::sleep(Duration::from_millis(50));
        out.push(w.cmd(&["CLIENT", "UNBLOCK", &id.to_string(), "ERROR"]));
        out.push(r4.read());
        all.push(out);
    }
    assert_eq!(all[1], all[0]);
}

#[test]
fn keyspace_notifications_match_redis() {
    let Some((redis, ours)) = pair(&["--notify-keyspace-events", "KEA"]) else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let script = [
        "XADD s 1-0 a 1",
        "XADD s MAXLEN 1 2-0 a 2",
        "XGROUP CREATE s g 0",
        "XGROUP CREATECONSUMER s g c",
        "XREADGROUP GROUP g d STREAMS s >",
        "XGROUP SETID s g 0",
        "XGROUP DELCONSUMER s g c",
        "XDEL s 2-0",
        "XADD s 3-0 a 3",
        "XTRIM s MAXLEN 0",
        "XSETID s 9-0",
        "XGROUP DESTROY s g",
        "PING",
    ];
    let mut seen = Vec::new();
    for port in [redis.port, ours.port] {
        let mut sub = Conn::open(port);
        sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
        let mut c = Conn::open(port);
        for line in script {
            c.cmd(&words(line));
        }
        let mut events = Vec::new();
        sub.cmd(&["PING"]);
        loop {
            let r = sub.read();
            if let Resp::Array(Some(items)) = &r {
                if items.first() == Some(&Resp::Bulk(Some(b"pong".to_vec()))) {
                    break;
                }
            }
            events.push(r);
        }
        seen.push(events);
    }
    assert_eq!(seen[1], seen[0]);
}

// ------------------------------------------------------------------------------------------------
// Node bytes
// ------------------------------------------------------------------------------------------------

/// The (master ID, listpack) pairs of the stream in a DUMP payload (RDB type 15/19/21).
fn dump_nodes(payload: &[u8]) -> Vec<(StreamId, Vec<u8>)> {
    assert!(
        matches!(payload[0], 15 | 19 | 21),
        "stream DUMP type, got {}",
        payload[0]
    );
    let mut r = SliceInput::new(&payload[1..], 1);
    let n = read_len(&mut r, "node count").expect("node count");
    (0..n)
        .map(|_| {
            let key = read_string(&mut r, "master id").expect("master id");
            let lp = read_string(&mut r, "listpack").expect("listpack");
            let raw: [u8; 16] = key.try_into().expect("16-byte master id");
            (StreamId::from_raw(&raw), lp)
        })
        .collect()
}

#[test]
fn nodes_are_byte_identical_to_redis() {
    let Some(redis) = start(
        "redis-server",
        &[
            "--stream-node-max-entries",
            "7",
            "--stream-node-max-bytes",
            "300",
        ],
    ) else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let mut c = Conn::open(redis.port);
    let mut ours = Stream::new();
    let mut ops: Vec<Vec<String>> = Vec::new();
    for i in 1u64..=60 {
        let id = StreamId {
            ms: 1_700_000_000_000 + i / 3,
            seq: i % 3,
        };
        let fields: Vec<(String, String)> = match i % 4 {
            0 => vec![
                ("sensor-id".into(), (i * 37).to_string()),
                ("temperature".into(), format!("{}.{}", i % 40, i % 10)),
            ],
            1 => vec![
                ("sensor-id".into(), "-12".into()),
                ("temperature".into(), "x".repeat(i as usize)),
            ],
            2 => vec![("other".into(), "1234567890123".into())],
            _ => vec![
                ("sensor-id".into(), i.to_string()),
                ("temperature".into(), "70000".into()),
                ("extra".into(), "".into()),
            ],
        };
        let mut cmd = vec!["XADD".to_string(), "s".into(), id.to_string()];
        for (f, v) in &fields {
            cmd.push(f.clone());
            cmd.push(v.clone());
        }
        ops.push(cmd);
        let fv: Vec<(&[u8], &[u8])> = fields
            .iter()
            .map(|(f, v)| (f.as_bytes(), v.as_bytes()))
            .collect();
        ours.append(id, &fv, 300, 7);
        if i % 9 == 0 {
            let del = StreamId {
                ms: 1_700_000_000_000 + (i - 4) / 3,
                seq: (i - 4) % 3,
            };
            ops.push(vec!["XDEL".into(), "s".into(), del.to_string()]);
            ours.delete(del);
        }
    }
    ops.push(vec![
        "XTRIM".into(),
        "s".into(),
        "MAXLEN".into(),
        "45".into(),
    ]);
    ours.trim(TrimStrategy::MaxLen(45), false, 0);
    for op in &ops {
        let args: Vec<&str> = op.iter().map(String::as_str).collect();
        let r = c.cmd(&args);
        assert!(!matches!(r, Resp::Error(_)), "{op:?}: {r:?}");
    }
    let Resp::Bulk(Some(payload)) = c.cmd(&["DUMP", "s"]) else {
        panic!("DUMP s")
    };
    let want = dump_nodes(&payload);
    let got: Vec<(StreamId, Vec<u8>)> = ours.nodes().map(|(id, lp)| (id, lp.to_vec())).collect();
    assert_eq!(got.len(), want.len(), "node count");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.0, w.0, "master ID");
        assert_eq!(g.1, w.1, "node {} bytes", w.0);
    }
    assert_eq!(c.cmd(&["XLEN", "s"]), Resp::Int(ours.len() as i64));

    // Redis's nodes adopted as they are read back like Redis reads them, tombstones included.
    // The header check agrees with the full one on the live count; its last ID is the last
    // entry's, tombstone or not, so it is never below the last live entry's.
    let mut adopted = Stream::new();
    let mut header_checked = Stream::new();
    for (master, lp) in want {
        let full = adopted
            .adopt_node(master, lp.clone(), NodeCheck::Full)
            .expect("a valid node");
        let header = header_checked
            .adopt_node(master, lp, NodeCheck::Header)
            .expect("a valid node");
        assert_eq!(full.0, header.0, "live entries of node {master}");
        assert!(header.1 >= full.1, "last ID of node {master}");
    }
    let min = StreamId { ms: 0, seq: 0 };
    let max = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };
    let entries = adopted.range(min, max, false, 0);
    let Resp::Array(Some(items)) = c.cmd(&["XRANGE", "s", "-", "+"]) else {
        panic!("XRANGE")
    };
    assert_eq!(entries.len(), items.len());
    for (e, item) in entries.iter().zip(&items) {
        let mut kv = Vec::new();
        for (f, v) in &e.fields {
            kv.push(Resp::Bulk(Some(f.to_vec())));
            kv.push(Resp::Bulk(Some(v.to_vec())));
        }
        assert_eq!(
            &Resp::Array(Some(vec![
                Resp::Bulk(Some(e.id.to_string().into_bytes())),
                Resp::Array(Some(kv))
            ])),
            item
        );
    }
    for check in [NodeCheck::Full, NodeCheck::Header] {
        assert!(adopted
            .adopt_node(min, b"not a listpack".to_vec(), check)
            .is_err());
    }
}

/// A deterministic pseudo-random sequence (64-bit LCG) so the random test is reproducible.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Random interleavings of appends, deletions, trims, reads and group operations, with small node
/// limits so nodes split, fill with tombstones and go away often.
#[test]
fn random_operations_match_redis() {
    let Some((redis, ours)) = pair(&[
        "--stream-node-max-entries",
        "6",
        "--stream-node-max-bytes",
        "180",
    ]) else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let (mut a, mut b) = (Conn::open(redis.port), Conn::open(ours.port));
    let seed = std::env::var("STREAMS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    let mut rng = Lcg(seed);
    let (mut ms, mut seq) = (1u64, 0u64);
    let fields = ["a", "b", "temperature", "12", "-3"];
    let mut script = vec![
        "XGROUP CREATE s g 0 MKSTREAM".to_string(),
        "XGROUP CREATE s h $".to_string(),
    ];
    for _ in 0..1500 {
        let rid = |rng: &mut Lcg, ms: u64| format!("{}-{}", rng.next(ms + 2), rng.next(4));
        let line = match rng.next(16) {
            0..=5 => {
                if rng.next(3) == 0 {
                    ms += 1 + rng.next(3);
                    seq = rng.next(3);
                } else {
                    seq += 1;
                }
                let mut l = String::from("XADD s ");
                match rng.next(8) {
                    0 => l.push_str(&format!("MAXLEN ~ {} ", rng.next(40))),
                    1 => l.push_str(&format!("MAXLEN = {} ", rng.next(40))),
                    2 => l.push_str(&format!(
                        "MINID ~ {} LIMIT {} ",
                        rid(&mut rng, ms),
                        rng.next(20)
                    )),
                    _ => {}
                }
                l.push_str(&if rng.next(5) == 0 {
                    format!("{ms}-*")
                } else {
                    format!("{ms}-{seq}")
                });
                for _ in 0..1 + rng.next(3) {
                    let f = fields[rng.next(fields.len() as u64) as usize];
                    l.push_str(&format!(" {f} v{}", rng.next(1000)));
                }
                l
            }
            6 => format!("XDEL s {} {}", rid(&mut rng, ms), rid(&mut rng, ms)),
            7 => match rng.next(3) {
                0 => format!("XTRIM s MAXLEN ~ {}", rng.next(50)),
                1 => format!("XTRIM s MAXLEN {}", rng.next(50)),
                _ => format!("XTRIM s MINID {}", rid(&mut rng, ms)),
            },
            8 => format!("XRANGE s {} + COUNT {}", rid(&mut rng, ms), rng.next(8)),
            9 => format!("XREVRANGE s + ({} COUNT {}", rid(&mut rng, ms), rng.next(8)),
            10 => format!(
                "XREADGROUP GROUP {} c{} COUNT {} STREAMS s >",
                ["g", "h"][rng.next(2) as usize],
                rng.next(3),
                1 + rng.next(4)
            ),
            11 => format!("XACK s g {} {}", rid(&mut rng, ms), rid(&mut rng, ms)),
            12 => format!(
                "XCLAIM s g c{} 0 {} {} JUSTID",
                rng.next(3),
                rid(&mut rng, ms),
                rid(&mut rng, ms)
            ),
            13 => format!(
                "XAUTOCLAIM s h c{} 0 0 COUNT {} JUSTID",
                rng.next(3),
                1 + rng.next(5)
            ),
            14 => "XINFO STREAM s".to_string(),
            _ => [
                "XINFO GROUPS s",
                "XPENDING s g",
                "XPENDING s h - + 5",
                "XLEN s",
                "XREAD COUNT 3 STREAMS s 0",
            ][rng.next(5) as usize]
                .to_string(),
        };
        script.push(line);
    }
    script.push("XINFO STREAM s FULL COUNT 0".into());
    same_replies(&mut a, &mut b, &script.join("\n"));
    // The sequence must have done real work: most appends succeeded and trims/deletions happened.
    let Resp::Array(Some(info)) = a.cmd(&["XINFO", "STREAM", "s"]) else {
        panic!("XINFO STREAM")
    };
    let field = |name: &str| {
        info.iter()
            .position(|r| *r == Resp::Bulk(Some(name.as_bytes().to_vec())))
            .map(|i| info[i + 1].clone())
    };
    let (Some(Resp::Int(added)), Some(Resp::Int(len))) = (field("entries-added"), field("length"))
    else {
        panic!("{info:?}")
    };
    assert!(
        added > 400 && len < added,
        "entries-added {added}, length {len}"
    );
}

/// DUMP on one server, RESTORE on the other, in both directions: the restored stream reads back the
/// same (entries, metadata, groups, PELs); without deletions the payloads are byte-identical.
#[test]
fn dump_restore_round_trips_with_redis() {
    let Some((redis, ours)) = pair(&[]) else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let setup = "
        XADD s 1-1 sensor-id 1 temperature 20.5
        XADD s 1-2 sensor-id 2 temperature 21.5
        XADD s 2-0 other x
        XADD plain 5-0 a 1
        XADD plain 5-1 a 2
        XGROUP CREATE s g 0
        XGROUP CREATE s h $ ENTRIESREAD 3
        XREADGROUP GROUP g alice COUNT 2 STREAMS s >
        XGROUP CREATECONSUMER s g bob
        XADD s 3-0 sensor-id 3 temperature 22.5
        XDEL s 1-2
    ";
    let (mut r, mut o) = (Conn::open(redis.port), Conn::open(ours.port));
    same_replies(&mut r, &mut o, setup);
    let payload = |c: &mut Conn, key: &str| match c.cmd(&["DUMP", key]) {
        Resp::Bulk(Some(p)) => p,
        other => panic!("DUMP {key}: {other:?}"),
    };
    assert_eq!(
        payload(&mut o, "plain"),
        payload(&mut r, "plain"),
        "DUMP of a stream without deletions"
    );
    let checks = "
        XRANGE copy - +
        XINFO STREAM copy
        XINFO STREAM copy FULL
        XINFO GROUPS copy
        XPENDING copy g - + 10
        XADD copy 4-0 sensor-id 4 temperature 23.5
        XREADGROUP GROUP g carol STREAMS copy >
    ";
    // Redis -> ours and ours -> Redis; the reference side restores its own payload.
    for (from_redis, label) in [(true, "redis payload"), (false, "our payload")] {
        let p = if from_redis {
            payload(&mut r, "s")
        } else {
            payload(&mut o, "s")
        };
        for c in [&mut r, &mut o] {
            c.cmd(&["DEL", "copy"]);
            let reply = {
                c.send_raw(&[b"RESTORE", b"copy", b"0", &p]);
                c.read()
            };
            assert_eq!(reply, Resp::Simple("OK".into()), "{label}");
        }
        same_replies(&mut r, &mut o, checks);
    }
}
