//! Interoperability with a real `redis-server` (7.0): DUMP payloads we encode are byte-identical to
//! Redis's, and RDB files we write load into Redis with the same `DEBUG DIGEST`.
//! Skipped (with a message) when `redis-server` is not installed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redoubt_rdb::reader::{decode_dump_payload, read_path};
use redoubt_rdb::value::{KeyMeta, Value};
use redoubt_rdb::writer::{encode_dump_payload, Writer, WriterOptions};

#[derive(Debug, Clone, PartialEq)]
enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Reply::Bulk(Some(b)) => b.clone(),
            Reply::Status(s) => s.clone().into_bytes(),
            other => panic!("not a bulk reply: {other:?}"),
        }
    }
}

struct Server {
    child: Child,
    port: u16,
    conn: BufReader<TcpStream>,
    dir: PathBuf,
}

fn redis_available() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

impl Server {
    /// Starts redis-server on a free loopback port, loading `dir/dump.rdb` if present.
    fn start(dir: &Path) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args([
                "--dir",
                dir.to_str().unwrap(),
                "--dbfilename",
                "dump.rdb",
                "--enable-debug-command",
                "yes",
            ])
            .args(["--logfile", dir.join("redis.log").to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let deadline = Instant::now() + Duration::from_secs(10);
        let stream = loop {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not start; log: {}",
                std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut s = Server {
            child,
            port,
            conn: BufReader::new(stream),
            dir: dir.to_path_buf(),
        };
        // Wait until the dataset is loaded.
        for _ in 0..500 {
            match s.cmd(&["PING"]) {
                Reply::Status(_) => break,
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        s
    }

    fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            let a = a.as_ref();
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.conn.get_mut().write_all(&out).unwrap();
        read_reply(&mut self.conn)
    }

    fn ok<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        let r = self.cmd(args);
        assert!(
            !matches!(r, Reply::Error(_)),
            "{:?} -> {r:?}",
            args.iter()
                .map(|a| String::from_utf8_lossy(a.as_ref()).into_owned())
                .collect::<Vec<_>>()
        );
        r
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self
            .conn
            .get_mut()
            .write_all(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = (self.port, &self.dir);
    }
}

fn read_line(r: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    line.trim_end_matches("\r\n").to_string()
}

fn read_reply(r: &mut BufReader<TcpStream>) -> Reply {
    let line = read_line(r);
    let (t, rest) = line.split_at(1);
    match t {
        "+" => Reply::Status(rest.into()),
        "-" => Reply::Error(rest.into()),
        ":" => Reply::Int(rest.parse().unwrap()),
        "$" => {
            let n: i64 = rest.parse().unwrap();
            if n < 0 {
                return Reply::Bulk(None);
            }
            let mut b = vec![0u8; n as usize + 2];
            r.read_exact(&mut b).unwrap();
            b.truncate(n as usize);
            Reply::Bulk(Some(b))
        }
        "*" => {
            let n: i64 = rest.parse().unwrap();
            if n < 0 {
                return Reply::Array(None);
            }
            Reply::Array(Some((0..n).map(|_| read_reply(r)).collect()))
        }
        _ => panic!("bad reply line {line:?}"),
    }
}

/// Fills a server with every type in the encodings Redis 7.0 picks, small and large.
fn populate(s: &mut Server) {
    s.ok(&["SET", "str:short", "hello"]);
    s.ok(&["SET", "str:int", "12345"]);
    s.ok(&["SET", "str:neg", "-98765"]);
    s.ok(&["SET", "str:bigint", "123456789012345"]);
    s.ok(&["SET", "str:lzf", &"abcdefgh".repeat(40)]);
    s.ok(&["SET", "str:bin", "\u{0}\u{1}\u{2}\u{ff}"]);
    s.ok(&["SET", "str:ttl", "v", "PX", "100000000"]);
    let mut rpush = vec!["RPUSH".to_string(), "list:small".into()];
    rpush.extend(
        [
            "a",
            "1",
            "-1",
            "300",
            "70000",
            "5000000000",
            "x y",
            "0",
            "-4096",
            "4095",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    s.ok(&rpush);
    let mut rpush = vec!["RPUSH".to_string(), "list:big".into()];
    rpush.extend((0..3000).map(|i| format!("element-{i}-{}", "p".repeat(i % 50))));
    s.ok(&rpush);
    s.ok(&[
        "SADD",
        "set:ints",
        "1",
        "2",
        "3",
        "-7",
        "100000",
        "5000000000",
    ]);
    let mut sadd = vec!["SADD".to_string(), "set:strs".into()];
    sadd.extend((0..20).map(|i| format!("m{i}")));
    s.ok(&sadd);
    let mut sadd = vec!["SADD".to_string(), "set:big".into()];
    sadd.extend((0..600).map(|i| format!("{i}")));
    s.ok(&sadd);
    s.ok(&[
        "ZADD",
        "zset:small",
        "1",
        "a",
        "2.5",
        "b",
        "-3",
        "c",
        "1e20",
        "d",
        "0.1",
        "e",
        "inf",
        "f",
    ]);
    let mut zadd = vec!["ZADD".to_string(), "zset:big".into()];
    for i in 0..200 {
        zadd.push(format!("{}", i as f64 / 7.0));
        zadd.push(format!("member:{i}"));
    }
    s.ok(&zadd);
    s.ok(&[
        "HSET",
        "hash:small",
        "f1",
        "v1",
        "n",
        "42",
        "big",
        "-5000",
        "e",
        "",
    ]);
    let mut hset = vec!["HSET".to_string(), "hash:big".into()];
    for i in 0..300 {
        hset.push(format!("field:{i}"));
        hset.push(format!("value:{}", i * i));
    }
    s.ok(&hset);
    s.ok(&["HSET", "hash:longval", "f", &"z".repeat(100)]);
    s.ok(&["EXPIRE", "hash:small", "100000"]);
    for i in 0..10 {
        s.ok(&[
            "XADD",
            "stream",
            &format!("1700000000000-{i}"),
            "name",
            &format!("n{i}"),
            "count",
            &i.to_string(),
        ]);
    }
    s.ok(&["XADD", "stream", "1700000000001-0", "other", "field"]);
    s.ok(&["XDEL", "stream", "1700000000000-3"]);
    s.ok(&["XGROUP", "CREATE", "stream", "g1", "0"]);
    s.ok(&["XGROUP", "CREATE", "stream", "g2", "$"]);
    s.ok(&[
        "XREADGROUP",
        "GROUP",
        "g1",
        "alice",
        "COUNT",
        "2",
        "STREAMS",
        "stream",
        ">",
    ]);
    s.ok(&[
        "XREADGROUP",
        "GROUP",
        "g1",
        "bob",
        "COUNT",
        "1",
        "STREAMS",
        "stream",
        ">",
    ]);
    s.ok(&["XACK", "stream", "g1", "1700000000000-0"]);
    s.ok(&["SELECT", "3"]);
    s.ok(&["SET", "db3key", "in db 3"]);
    s.ok(&["RPUSH", "db3list", "x"]);
    s.ok(&["SELECT", "0"]);
    s.ok(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 1 end)",
    ]);
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("rdb-interop")
        .tempdir()
        .unwrap()
}

#[test]
fn dump_payloads_are_byte_identical_to_redis() {
    if !redis_available() {
        eprintln!("redis-server not installed; skipping");
        return;
    }
    let dir = tempdir();
    let mut s = Server::start(dir.path());
    populate(&mut s);
    let keys = [
        "str:short",
        "str:int",
        "str:neg",
        "str:bigint",
        "str:lzf",
        "str:bin",
        "list:small",
        "list:big",
        "set:ints",
        "set:strs",
        "set:big",
        "zset:small",
        "zset:big",
        "hash:small",
        "hash:big",
        "hash:longval",
    ];
    for k in keys {
        let payload = s.ok(&["DUMP", k]).bytes();
        let (t, value) = decode_dump_payload(&payload).unwrap_or_else(|e| panic!("{k}: {e}"));
        let ours = encode_dump_payload(&value, WriterOptions::version(10)).unwrap();
        assert_eq!(ours[0], t, "{k}: type");
        if ours != payload {
            let at = ours
                .iter()
                .zip(&payload)
                .position(|(a, b)| a != b)
                .unwrap_or(ours.len().min(payload.len()));
            let lo = at.saturating_sub(40);
            panic!("{k}: payload differs at byte {at} (lengths {} vs {})\n ours  {:02x?}\n redis {:02x?}", ours.len(), payload.len(), &ours[lo..(at + 40).min(ours.len())], &payload[lo..(at + 40).min(payload.len())]);
        }
        // And Redis accepts ours (with a TTL when the original has one: the digest covers it).
        let ttl = match s.ok(&["PTTL", k]) {
            Reply::Int(ms) if ms > 0 => ms,
            _ => 0,
        };
        s.ok(&[
            &b"RESTORE"[..],
            format!("{k}:copy").as_bytes(),
            ttl.to_string().as_bytes(),
            &ours,
        ]);
        let d1 = s.ok(&["DEBUG", "DIGEST-VALUE", k]);
        let d2 = s.ok(&["DEBUG", "DIGEST-VALUE", &format!("{k}:copy")]);
        assert_eq!(d1, d2, "{k}");
    }
    // Streams: logical equality through RESTORE (Redis keeps deleted entries flagged in nodes).
    let payload = s.ok(&["DUMP", "stream"]).bytes();
    let (_, value) = decode_dump_payload(&payload).unwrap();
    let Value::Stream(st) = &value else { panic!() };
    assert_eq!(st.entries.len(), 10);
    assert_eq!(st.groups.len(), 2);
    let ours = encode_dump_payload(&value, WriterOptions::version(10)).unwrap();
    s.ok(&[&b"RESTORE"[..], b"stream:copy", b"0", &ours]);
    assert_eq!(
        s.ok(&["DEBUG", "DIGEST-VALUE", "stream"]),
        s.ok(&["DEBUG", "DIGEST-VALUE", "stream:copy"])
    );
    assert_eq!(
        s.ok(&["XINFO", "GROUPS", "stream"]),
        s.ok(&["XINFO", "GROUPS", "stream:copy"])
    );
    // The extended form's idle times depend on when each call runs: compare everything else.
    let without_idle = |r: Reply| -> Vec<Vec<Reply>> {
        let Reply::Array(Some(items)) = r else {
            panic!("XPENDING -> {r:?}")
        };
        items
            .into_iter()
            .map(|e| match e {
                Reply::Array(Some(mut fields)) if fields.len() == 4 => {
                    fields.remove(2);
                    fields
                }
                other => panic!("XPENDING entry {other:?}"),
            })
            .collect()
    };
    assert_eq!(
        without_idle(s.ok(&["XPENDING", "stream", "g1", "-", "+", "10"])),
        without_idle(s.ok(&["XPENDING", "stream:copy", "g1", "-", "+", "10"]))
    );
    assert_eq!(
        s.ok(&["XPENDING", "stream", "g1"]),
        s.ok(&["XPENDING", "stream:copy", "g1"])
    );
}

fn digest(s: &mut Server) -> Reply {
    s.ok(&["DEBUG", "DIGEST"])
}

#[test]
fn rewritten_dump_loads_with_identical_digest() {
    if !redis_available() {
        eprintln!("redis-server not installed; skipping");
        return;
    }
    let src = tempdir();
    let (want, want_funcs) = {
        let mut s = Server::start(src.path());
        populate(&mut s);
        s.ok(&["SAVE"]);
        (digest(&mut s), s.ok(&["FUNCTION", "LIST"]))
    };
    let file = read_path(src.path().join("dump.rdb")).unwrap();
    assert!(file.records.len() >= 18);
    for version in [10u32, 9] {
        let dst = tempdir();
        let out = std::fs::File::create(dst.path().join("dump.rdb")).unwrap();
        let mut w = Writer::new(
            std::io::BufWriter::new(out),
            WriterOptions::version(version),
        )
        .unwrap();
        w.standard_aux("7.0.15", 1700000000, 0).unwrap();
        if version >= 10 {
            for f in &file.functions {
                w.function(f).unwrap();
            }
        }
        let mut db = u64::MAX;
        for r in &file.records {
            if r.db != db {
                w.select_db(r.db).unwrap();
                db = r.db;
            }
            w.key(&r.key, &r.value, &r.meta).unwrap();
        }
        w.finish().unwrap();
        // Our own reader accepts what we wrote, with the same records.
        let back = read_path(dst.path().join("dump.rdb")).unwrap();
        assert_eq!(back.records.len(), file.records.len());
        let mut s = Server::start(dst.path());
        assert_eq!(
            digest(&mut s),
            want,
            "RDB {version}: digest after loading our file"
        );
        if version >= 10 {
            assert_eq!(s.ok(&["FUNCTION", "LIST"]), want_funcs);
        }
        assert!(matches!(s.ok(&["PTTL", "str:ttl"]), Reply::Int(ms) if ms > 0));
    }
}

#[test]
fn values_built_in_rust_load_into_redis() {
    if !redis_available() {
        eprintln!("redis-server not installed; skipping");
        return;
    }
    let dir = tempdir();
    let out = std::fs::File::create(dir.path().join("dump.rdb")).unwrap();
    let mut w = Writer::new(out, WriterOptions::default()).unwrap();
    w.select_db(0).unwrap();
    let b = |s: &str| s.as_bytes().to_vec();
    w.key(b"s", &Value::String(b("value")), &KeyMeta::default())
        .unwrap();
    w.key(
        b"l",
        &Value::List(vec![b("1"), b("two"), b("3")]),
        &KeyMeta {
            expire_ms: Some(4102444800000),
            ..Default::default()
        },
    )
    .unwrap();
    w.key(
        b"z",
        &Value::SortedSet(vec![(b("b"), 2.0), (b("a"), 1.5)]),
        &KeyMeta::default(),
    )
    .unwrap();
    w.key(
        b"h",
        &Value::Hash(vec![(b("f"), b("v"))]),
        &KeyMeta::default(),
    )
    .unwrap();
    w.key(
        b"set",
        &Value::Set(vec![b("x"), b("10")]),
        &KeyMeta::default(),
    )
    .unwrap();
    w.finish().unwrap();
    let mut s = Server::start(dir.path());
    assert_eq!(s.ok(&["GET", "s"]).bytes(), b"value");
    assert_eq!(
        s.ok(&["LRANGE", "l", "0", "-1"]),
        Reply::Array(Some(vec![
            Reply::Bulk(Some(b("1"))),
            Reply::Bulk(Some(b("two"))),
            Reply::Bulk(Some(b("3")))
        ]))
    );
    assert_eq!(s.ok(&["PEXPIRETIME", "l"]), Reply::Int(4102444800000));
    assert_eq!(
        s.ok(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        Reply::Array(Some(
            ["a", "1.5", "b", "2"]
                .iter()
                .map(|x| Reply::Bulk(Some(b(x))))
                .collect()
        ))
    );
    assert_eq!(s.ok(&["HGET", "h", "f"]).bytes(), b"v");
    assert_eq!(s.ok(&["SISMEMBER", "set", "10"]), Reply::Int(1));
    assert_eq!(s.ok(&["OBJECT", "ENCODING", "z"]).bytes(), b"listpack");
}

#[test]
fn cli_resp_dump_and_convert_rebuild_the_same_dataset() {
    if !redis_available() {
        eprintln!("redis-server not installed; skipping");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_redoubt-rdb");
    let src = tempdir();
    let want = {
        let mut s = Server::start(src.path());
        populate(&mut s);
        s.ok(&["SAVE"]);
        digest(&mut s)
    };
    let rdb = src.path().join("dump.rdb");
    // dump --format resp, replayed into an empty server.
    let out = Command::new(bin)
        .args(["dump", rdb.to_str().unwrap(), "--format", "resp"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dst = tempdir();
    let mut s = Server::start(dst.path());
    s.conn.get_mut().write_all(&out.stdout).unwrap();
    s.conn.get_mut().write_all(b"*1\r\n$4\r\nPING\r\n").unwrap();
    loop {
        match read_reply(&mut s.conn) {
            Reply::Status(p) if p == "PONG" => break,
            Reply::Error(e) => panic!("replaying the resp dump: {e}"),
            _ => {}
        }
    }
    assert_eq!(
        digest(&mut s),
        want,
        "digest after replaying `dump --format resp`"
    );
    drop(s);
    // convert to RDB 9 and load it.
    let conv = tempdir();
    let st = Command::new(bin)
        .args([
            "convert",
            rdb.to_str().unwrap(),
            conv.path().join("dump.rdb").to_str().unwrap(),
            "--version",
            "9",
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let mut s = Server::start(conv.path());
    assert_eq!(digest(&mut s), want, "digest after `convert --version 9`");
    drop(s);
    // diff of a file with itself, and with a filtered conversion.
    let st = Command::new(bin)
        .args([
            "diff",
            rdb.to_str().unwrap(),
            conv.path().join("dump.rdb").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stdout)
    );
    let filtered = conv.path().join("strings.rdb");
    assert!(Command::new(bin)
        .args([
            "convert",
            rdb.to_str().unwrap(),
            filtered.to_str().unwrap(),
            "--type",
            "string"
        ])
        .status()
        .unwrap()
        .success());
    let st = Command::new(bin)
        .args(["diff", rdb.to_str().unwrap(), filtered.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(1));
    let text = String::from_utf8_lossy(&st.stdout);
    assert!(
        text.contains("only in A: db0 list:small") && !text.contains("str:short"),
        "{text}"
    );
}
