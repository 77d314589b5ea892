//! RDB snapshots seen through the socket: interop with redis-server 7.0 both ways (same DEBUG
//! DIGEST, same contents, every type and encoding, TTLs, several dbs), loading rules (expired keys
//! dropped, a corrupt file refused), BGSAVE's point-in-time image, save points, SHUTDOWN and
//! SIGTERM saving, and save errors.

use redoubt_tests::server::{free_port, redoubt_binary};
use redoubt_tests::{info_field, Client, Reply, ServerProcess};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEBUG: [&str; 2] = ["--enable-debug-command", "yes"];

fn start(redis: bool, dir: &Path, extra: &[&str]) -> ServerProcess {
    let dir_text = dir.to_string_lossy().into_owned();
    let mut args: Vec<&str> = vec!["--dir", &dir_text, DEBUG[0], DEBUG[1]];
    args.extend_from_slice(extra);
    if redis {
        ServerProcess::redis(&args)
    } else {
        ServerProcess::redoubt(&args)
    }
}

fn ok(c: &mut Client, args: &[&str]) {
    let r = c.cmd(args);
    assert!(!r.is_error(), "{args:?} -> {r:?}");
}

/// Fills every type in several encodings, with TTLs, in dbs 0, 5 and 15.
fn fill(c: &mut Client) {
    let big_hash: Vec<String> = (0..600)
        .flat_map(|i| [format!("field:{i}"), format!("value-{i}")])
        .collect();
    let big_zset: Vec<String> = (0..200)
        .flat_map(|i| [format!("{}", i as f64 * 1.25 - 40.0), format!("member:{i}")])
        .collect();
    let big_intset: Vec<String> = (0..600).map(|i| (i * 7 - 1000).to_string()).collect();
    let big_list: Vec<String> = (0..3000)
        .map(|i| format!("element-{i}-{}", "x".repeat(i % 50)))
        .collect();
    let long = "abcdefgh".repeat(4000);
    let mut cmds: Vec<Vec<String>> = vec![
        vec!["SET".into(), "str:int".into(), "-123456789".into()],
        vec!["SET".into(), "str:embstr".into(), "hello world".into()],
        vec!["SET".into(), "str:long".into(), long],
        vec!["SET".into(), "str:empty".into(), "".into()],
        vec!["SET".into(), "bin\0key".into(), "bin\0\u{1}value".into()],
        vec![
            "SET".into(),
            "str:ttl".into(),
            "v".into(),
            "EX".into(),
            "5000".into(),
        ],
        vec!["APPEND".into(), "str:raw".into(), "appended".into()],
        vec![
            "RPUSH".into(),
            "list:small".into(),
            "a".into(),
            "1".into(),
            "-7".into(),
            "".into(),
            "long-ish element".into(),
        ],
        [vec!["RPUSH".into(), "list:big".into()], big_list].concat(),
        vec![
            "SADD".into(),
            "set:intset".into(),
            "1".into(),
            "-2".into(),
            "300000".into(),
            "9223372036854775807".into(),
        ],
        [vec!["SADD".into(), "set:bigint".into()], big_intset].concat(),
        vec![
            "SADD".into(),
            "set:table".into(),
            "apple".into(),
            "banana".into(),
            "42".into(),
        ],
        vec![
            "HSET".into(),
            "hash:small".into(),
            "f1".into(),
            "v1".into(),
            "n".into(),
            "12".into(),
        ],
        [vec!["HSET".into(), "hash:big".into()], big_hash].concat(),
        vec![
            "HSET".into(),
            "hash:longvalue".into(),
            "f".into(),
            "y".repeat(100),
        ],
        vec![
            "ZADD".into(),
            "zset:small".into(),
            "1".into(),
            "a".into(),
            "2.5".into(),
            "b".into(),
            "-0.1".into(),
            "c".into(),
            "inf".into(),
            "top".into(),
            "-inf".into(),
            "bottom".into(),
        ],
        [vec!["ZADD".into(), "zset:big".into()], big_zset].concat(),
        vec![
            "PFADD".into(),
            "hll:sparse".into(),
            "a".into(),
            "b".into(),
            "c".into(),
        ],
        vec!["PEXPIRE".into(), "hash:big".into(), "7000000".into()],
        vec!["SELECT".into(), "5".into()],
        vec!["SET".into(), "str:int".into(), "in db 5".into()],
        vec!["RPUSH".into(), "list:ttl".into(), "x".into(), "y".into()],
        vec!["EXPIRE".into(), "list:ttl".into(), "100000".into()],
        vec![
            "ZADD".into(),
            "z".into(),
            "1e300".into(),
            "huge".into(),
            "0.1".into(),
            "tenth".into(),
        ],
        vec!["SELECT".into(), "15".into()],
        vec!["SADD".into(), "s".into(), "only".into()],
        vec!["PEXPIREAT".into(), "s".into(), "4102444800123".into()],
        vec!["SELECT".into(), "0".into()],
    ];
    // Streams: several nodes, integer and text fields, deletions, a trim, consumer groups with
    // pending entries, in db 0 and db 5.
    for i in 0..250 {
        cmds.push(
            [
                "XADD",
                "stream:big",
                &format!("{}-{}", 1000 + i / 3, i % 3),
                "sensor",
                &i.to_string(),
                "name",
                &format!("reading {i}"),
            ]
            .map(String::from)
            .to_vec(),
        );
    }
    cmds.push(
        ["XDEL", "stream:big", "1010-1", "1020-0"]
            .map(String::from)
            .to_vec(),
    );
    cmds.push(
        ["XGROUP", "CREATE", "stream:big", "g1", "0"]
            .map(String::from)
            .to_vec(),
    );
    cmds.push(
        [
            "XREADGROUP",
            "GROUP",
            "g1",
            "alice",
            "COUNT",
            "5",
            "STREAMS",
            "stream:big",
            ">",
        ]
        .map(String::from)
        .to_vec(),
    );
    cmds.push(
        [
            "XGROUP",
            "CREATE",
            "stream:big",
            "g2",
            "$",
            "ENTRIESREAD",
            "3",
        ]
        .map(String::from)
        .to_vec(),
    );
    cmds.push(
        ["XADD", "stream:trimmed", "MAXLEN", "5", "*", "a", "1"]
            .map(String::from)
            .to_vec(),
    );
    for i in 0..20 {
        cmds.push(
            [
                "XADD",
                "stream:trimmed",
                "MAXLEN",
                "5",
                "*",
                "a",
                &i.to_string(),
            ]
            .map(String::from)
            .to_vec(),
        );
    }
    cmds.push(
        ["XADD", "stream:empty", "1-1", "x", "y"]
            .map(String::from)
            .to_vec(),
    );
    cmds.push(["XDEL", "stream:empty", "1-1"].map(String::from).to_vec());
    cmds.push(["SELECT", "5"].map(String::from).to_vec());
    cmds.push(["XADD", "s5", "5-5", "k", "v"].map(String::from).to_vec());
    cmds.push(["PEXPIRE", "s5", "9000000"].map(String::from).to_vec());
    cmds.push(["SELECT", "0"].map(String::from).to_vec());
    let dense: Vec<String> = (0..3000).map(|i| format!("e{i}")).collect();
    cmds.push([vec!["PFADD".into(), "hll:dense".into()], dense].concat());
    for cmd in &cmds {
        let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        ok(c, &args);
    }
}

fn array(r: Reply) -> Vec<Reply> {
    r.as_array().map(|a| a.to_vec()).unwrap_or_default()
}

/// Every key of every db with its type, contents (sorted where unordered) and absolute expire time.
fn contents(c: &mut Client) -> Vec<(usize, Reply, Reply, Vec<Reply>, Reply)> {
    let mut out = Vec::new();
    for db in 0..16 {
        ok(c, &["SELECT", &db.to_string()]);
        let mut keys = array(c.cmd(&["KEYS", "*"]));
        keys.sort();
        for k in keys {
            let key = k.as_bytes().unwrap_or_default().to_vec();
            let ty = c.cmd(&[b"TYPE".as_slice(), &key]);
            let mut items = match ty.as_text().as_deref() {
                Some("string") => vec![c.cmd(&[b"GET".as_slice(), &key])],
                Some("list") => array(c.cmd(&[b"LRANGE".as_slice(), &key, b"0", b"-1"])),
                Some("set") => array(c.cmd(&[b"SMEMBERS".as_slice(), &key])),
                Some("hash") => array(c.cmd(&[b"HGETALL".as_slice(), &key]))
                    .chunks(2)
                    .map(|p| Reply::Array(p.to_vec()))
                    .collect(),
                Some("zset") => {
                    array(c.cmd(&[b"ZRANGE".as_slice(), &key, b"0", b"-1", b"WITHSCORES"]))
                }
                Some("stream") => {
                    let mut v = array(c.cmd(&[b"XRANGE".as_slice(), &key, b"-", b"+"]));
                    v.push(c.cmd(&[b"XLEN".as_slice(), &key]));
                    v.push(c.cmd(&[b"XINFO".as_slice(), b"GROUPS", &key]));
                    v
                }
                other => panic!("unexpected type {other:?}"),
            };
            if matches!(ty.as_text().as_deref(), Some("set") | Some("hash")) {
                items.sort();
            }
            let at = c.cmd(&[b"PEXPIRETIME".as_slice(), &key]);
            out.push((db, k, ty, items, at));
        }
    }
    ok(c, &["SELECT", "0"]);
    out
}

fn digest(c: &mut Client) -> String {
    let r = c.cmd(&["DEBUG", "DIGEST"]);
    r.as_text()
        .unwrap_or_else(|| panic!("DEBUG DIGEST -> {r:?}"))
}

fn info(c: &mut Client, field: &str) -> String {
    info_field(&c.cmd(&["INFO", "persistence"]), field).unwrap_or_default()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("redoubt-snapshots")
        .tempdir()
        .expect("temp dir")
}

#[test]
fn redis_dump_loads_into_redoubt_with_same_digest_and_contents() {
    let dir = tempdir();
    let redis = start(true, dir.path(), &[]);
    let mut rc = redis.client();
    fill(&mut rc);
    ok(&mut rc, &["SAVE"]);
    let (want_digest, want) = (digest(&mut rc), contents(&mut rc));
    assert_ne!(want_digest, "0".repeat(40));
    let values = rc.cmd(&[
        "DEBUG",
        "DIGEST-VALUE",
        "hash:big",
        "zset:small",
        "set:bigint",
        "list:big",
        "str:int",
        "missing",
    ]);
    drop(redis);

    let ours = start(false, dir.path(), &[]);
    let mut c = ours.client();
    assert_eq!(digest(&mut c), want_digest, "log:\n{}", ours.log());
    assert_eq!(
        c.cmd(&[
            "DEBUG",
            "DIGEST-VALUE",
            "hash:big",
            "zset:small",
            "set:bigint",
            "list:big",
            "str:int",
            "missing"
        ]),
        values
    );
    assert_eq!(contents(&mut c), want);
    assert_eq!(
        info(&mut c, "rdb_last_load_keys_loaded"),
        want.len().to_string()
    );
    assert!(ours.log().contains("Done loading RDB"), "{}", ours.log());
}

#[test]
fn redoubt_dump_loads_into_redis_with_same_digest_and_contents() {
    let dir = tempdir();
    let ours = start(false, dir.path(), &[]);
    let mut c = ours.client();
    fill(&mut c);
    ok(&mut c, &["SAVE"]);
    assert_eq!(info(&mut c, "rdb_changes_since_last_save"), "0");
    let (want_digest, want) = (digest(&mut c), contents(&mut c));
    drop(ours);

    let redis = start(true, dir.path(), &[]);
    let mut rc = redis.client();
    assert_eq!(digest(&mut rc), want_digest, "redis log:\n{}", redis.log());
    assert_eq!(contents(&mut rc), want);
    // Encodings chosen on load by the same thresholds.
    for (key, enc) in [
        ("hash:small", "listpack"),
        ("hash:big", "hashtable"),
        ("zset:big", "skiplist"),
        ("set:intset", "intset"),
        ("list:big", "quicklist"),
    ] {
        assert_eq!(
            rc.cmd(&["OBJECT", "ENCODING", key]).as_text().as_deref(),
            Some(enc),
            "{key}"
        );
    }
}

#[test]
fn debug_reload_keeps_the_dataset() {
    let dir = tempdir();
    let ours = start(false, dir.path(), &[]);
    let mut c = ours.client();
    fill(&mut c);
    let (d, want) = (digest(&mut c), contents(&mut c));
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), Reply::ok());
    assert_eq!(digest(&mut c), d);
    assert_eq!(contents(&mut c), want);
    assert!(dir.path().join("dump.rdb").exists());
}

#[test]
fn expired_keys_are_dropped_on_load() {
    let dir = tempdir();
    let ours = start(false, dir.path(), &[]);
    let mut c = ours.client();
    ok(&mut c, &["SET", "short", "v", "PX", "300"]);
    ok(&mut c, &["SET", "long", "v", "EX", "1000"]);
    ok(&mut c, &["SET", "forever", "v"]);
    ok(&mut c, &["SAVE"]);
    drop(ours);
    std::thread::sleep(Duration::from_millis(400));
    let ours = start(false, dir.path(), &[]);
    let mut c = ours.client();
    assert_eq!(c.cmd(&["DBSIZE"]), Reply::Integer(2));
    assert_eq!(info(&mut c, "rdb_last_load_keys_expired"), "1");
    assert_eq!(info(&mut c, "rdb_last_load_keys_loaded"), "2");
}

/// Runs redoubt-server on `dir` expecting it to exit; returns (exit success, its output).
fn run_expecting_exit(dir: &Path, extra: &[&str]) -> (bool, String) {
    let port = free_port().to_string();
    let mut child = Command::new(redoubt_binary())
        .args([
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            &dir.to_string_lossy(),
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn redoubt-server");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if let Ok(None) = child.try_wait() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout),
    )
}

#[test]
fn corrupt_dump_refuses_to_start() {
    let dir = tempdir();
    let ours = start(false, dir.path(), &[]);
    let mut c = ours.client();
    fill(&mut c);
    ok(&mut c, &["SAVE"]);
    drop(ours);
    let path = dir.path().join("dump.rdb");
    let mut bytes = std::fs::read(&path).expect("dump");
    // A flipped byte in the middle: the CRC64 trailer no longer matches.
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&path, &bytes).expect("write");
    let (success, log) = run_expecting_exit(dir.path(), &[]);
    assert!(!success, "started on a corrupt dump:\n{log}");
    assert!(log.contains("byte"), "the error names no offset:\n{log}");
    // Truncated in the middle of a value.
    bytes[mid] ^= 0x55;
    std::fs::write(&path, &bytes[..mid]).expect("write");
    let (success, log) = run_expecting_exit(dir.path(), &[]);
    assert!(!success, "started on a truncated dump:\n{log}");
    assert!(
        log.contains(&"truncated input at byte".to_string()),
        "{log}"
    );
}

/// A dump holding a stream whose node has one entry broken inside (its header, master entry and
/// last entry intact), with the checksum recomputed (`crc: true`) or left at 0.
fn dump_with_broken_stream_node(dir: &Path, crc: bool) {
    let ours = start(
        false,
        dir,
        &["--rdbcompression", "no", "--rdbchecksum", "no"],
    );
    let mut c = ours.client();
    for i in 0..50 {
        ok(
            &mut c,
            &[
                "XADD",
                "s",
                &format!("{}-1", i + 1),
                "f",
                &format!("value-{i:03}"),
            ],
        );
    }
    ok(&mut c, &["SET", "plain", "x"]);
    ok(&mut c, &["SAVE"]);
    drop(ours);
    let path = dir.join("dump.rdb");
    let mut bytes = std::fs::read(&path).expect("dump");
    // `value-020` is a 9-byte listpack string: its encoding byte 0x89 precedes it. Claim 12
    // bytes instead: that entry's backlen no longer matches.
    let at = bytes
        .windows(9)
        .position(|w| w == b"value-020")
        .expect("the value is in the dump");
    assert_eq!(bytes[at - 1], 0x89);
    bytes[at - 1] = 0x8c;
    let n = bytes.len();
    let sum = if crc {
        redoubt_rdb::crc64::crc64(&bytes[..n - 8])
    } else {
        0
    };
    bytes[n - 8..].copy_from_slice(&sum.to_le_bytes());
    std::fs::write(&path, &bytes).expect("write");
}

#[test]
fn stream_nodes_are_checked_fully_unless_a_checksum_vouches_for_them() {
    // Without a checksum the node gets the full check: refused.
    let dir = tempdir();
    dump_with_broken_stream_node(dir.path(), false);
    let (success, log) = run_expecting_exit(dir.path(), &[]);
    assert!(!success, "started on a broken stream node:\n{log}");
    assert!(log.contains("malformed node"), "{log}");
    // With `sanitize-dump-payload yes`, too, whatever the checksum says.
    let dir = tempdir();
    dump_with_broken_stream_node(dir.path(), true);
    let (success, log) = run_expecting_exit(dir.path(), &["--sanitize-dump-payload", "yes"]);
    assert!(!success, "started on a broken stream node:\n{log}");
    // A valid checksum vouches for the bytes: like Redis by default, only the node's header, master
    // entry and last entry are checked, so the file loads. Redis loads it too.
    let redis = start(true, dir.path(), &[]);
    assert_eq!(redis.client().cmd(&["XLEN", "s"]), Reply::Integer(50));
    drop(redis);
    let ours = start(false, dir.path(), &[]);
    let mut c = ours.client();
    assert_eq!(c.cmd(&["XLEN", "s"]), Reply::Integer(50));
    // Every stream command survives the broken entry (Redis's own answer here would be an
    // assertion crash): reading stops at it, writing works around it.
    for cmd in [
        &["XRANGE", "s", "-", "+"][..],
        &["XREVRANGE", "s", "+", "-"],
        &["XRANGE", "s", "21-1", "+", "COUNT", "3"],
        &["XREAD", "STREAMS", "s", "0"],
        &["XDEL", "s", "21-1", "22-1", "49-1"],
        &["XADD", "s", "*", "f", "new"],
        &["XINFO", "STREAM", "s", "FULL"],
        &["XGROUP", "CREATE", "s", "g", "0"],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
        &["XAUTOCLAIM", "s", "g", "c2", "0", "0"],
        &["XTRIM", "s", "MAXLEN", "10"],
        &["DEBUG", "DIGEST"],
        &["DUMP", "s"],
        &["SAVE"],
    ] {
        c.cmd(cmd);
        assert_eq!(
            c.cmd(&["PING"]),
            Reply::Simple("PONG".into()),
            "after {cmd:?}"
        );
    }
}

fn wait_for(c: &mut Client, field: &str, value: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while info(c, field) != value {
        assert!(Instant::now() < deadline, "{field} never became {value}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn bgsave_is_the_dataset_at_its_start() {
    let dir = tempdir();
    let ours = start(false, dir.path(), &[]);
    let mut c = ours.client();
    let sets: Vec<Vec<Vec<u8>>> = (0..20000)
        .map(|i| redoubt_tests::command(&["SET", &format!("k{i}"), "before"]))
        .collect();
    c.pipeline(&sets);
    let before = digest(&mut c);
    // BGSAVE, then overwrite every key in the same pipeline: none of the later writes may be in it.
    let mut batch = vec![redoubt_tests::command(&["BGSAVE"])];
    batch.extend((0..20000).map(|i| redoubt_tests::command(&["SET", &format!("k{i}"), "after"])));
    let replies = c.pipeline(&batch);
    assert_eq!(
        replies[0],
        Reply::Simple("Background saving started".into())
    );
    assert!(
        info(&mut c, "rdb_changes_since_last_save")
            .parse::<u64>()
            .unwrap_or(0)
            >= 20000
    );
    wait_for(&mut c, "rdb_bgsave_in_progress", "0");
    assert_eq!(info(&mut c, "rdb_last_bgsave_status"), "ok");
    // Only the writes made during the save remain unsaved.
    assert_eq!(info(&mut c, "rdb_changes_since_last_save"), "20000");
    drop(ours);
    let again = start(false, dir.path(), &[]);
    let mut c = again.client();
    assert_eq!(digest(&mut c), before);
    assert_eq!(c.cmd(&["GET", "k19999"]), Reply::bulk("before"));
}

#[test]
fn bgsave_replies_like_redis() {
    let dir = tempdir();
    let ours = start(false, dir.path(), &[]);
    let mut c = ours.client();
    assert_eq!(
        c.cmd(&["BGSAVE", "NOW"]).error_text(),
        Some("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["BGSAVE", "SCHEDULE"]),
        Reply::Simple("Background saving started".into())
    );
    wait_for(&mut c, "rdb_bgsave_in_progress", "0");
    ok(&mut c, &["MULTI"]);
    c.cmd(&["BGSAVE"]);
    assert_eq!(
        c.cmd(&["EXEC"]),
        Reply::Array(vec![Reply::Simple("Background saving scheduled".into())])
    );
    wait_for(&mut c, "rdb_saves", "2");
}

#[test]
fn save_points_trigger_a_background_save() {
    let dir = tempdir();
    let ours = start(false, dir.path(), &["--save", "1 2"]);
    let mut c = ours.client();
    let lastsave = c.cmd(&["LASTSAVE"]).as_int().unwrap_or(0);
    ok(&mut c, &["SET", "a", "1"]);
    ok(&mut c, &["SET", "b", "2"]);
    wait_for(&mut c, "rdb_changes_since_last_save", "0");
    assert!(c.cmd(&["LASTSAVE"]).as_int().unwrap_or(0) > lastsave);
    assert!(
        ours.log().contains("2 changes in 1 seconds. Saving..."),
        "{}",
        ours.log()
    );
    assert!(dir.path().join("dump.rdb").exists());
}

#[test]
fn shutdown_and_sigterm_save_when_save_points_are_set() {
    // SHUTDOWN with save points: saves.
    let dir = tempdir();
    let mut ours = start(false, dir.path(), &["--save", "3600 1"]);
    let mut c = ours.client();
    ok(&mut c, &["SET", "k", "by shutdown"]);
    c.send(&["SHUTDOWN"]);
    assert!(ours.wait_exit(Duration::from_secs(10)).is_some());
    let mut ours = start(false, dir.path(), &["--save", "3600 1"]);
    let mut c = ours.client();
    assert_eq!(c.cmd(&["GET", "k"]), Reply::bulk("by shutdown"));
    // SIGTERM: saves too.
    ok(&mut c, &["SET", "k", "by sigterm"]);
    let status = Command::new("kill")
        .args(["-TERM", &ours.pid().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    assert!(ours.wait_exit(Duration::from_secs(10)).is_some());
    // SHUTDOWN NOSAVE: does not.
    let mut ours = start(false, dir.path(), &["--save", "3600 1"]);
    let mut c = ours.client();
    assert_eq!(c.cmd(&["GET", "k"]), Reply::bulk("by sigterm"));
    ok(&mut c, &["SET", "k", "lost"]);
    c.send(&["SHUTDOWN", "NOSAVE"]);
    assert!(ours.wait_exit(Duration::from_secs(10)).is_some());
    // Without save points SHUTDOWN does not save, SHUTDOWN SAVE does.
    let mut ours = start(false, dir.path(), &[]);
    let mut c = ours.client();
    assert_eq!(c.cmd(&["GET", "k"]), Reply::bulk("by sigterm"));
    ok(&mut c, &["SET", "k", "by shutdown save"]);
    c.send(&["SHUTDOWN", "SAVE"]);
    assert!(ours.wait_exit(Duration::from_secs(10)).is_some());
    let ours = start(false, dir.path(), &["--save", "3600 1"]);
    let mut c = ours.client();
    assert_eq!(c.cmd(&["GET", "k"]), Reply::bulk("by shutdown save"));
    // FLUSHALL with save points saves the empty dataset.
    ok(&mut c, &["FLUSHALL"]);
    assert_eq!(info(&mut c, "rdb_changes_since_last_save"), "0");
    drop(ours);
    let ours = start(false, dir.path(), &[]);
    assert_eq!(ours.client().cmd(&["DBSIZE"]), Reply::Integer(0));
}

#[test]
fn save_errors_are_reported() {
    let dir = tempdir();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    let mut ours = start(false, &data, &["--save", "3600 1"]);
    let mut c = ours.client();
    ok(&mut c, &["SET", "k", "v"]);
    std::fs::remove_dir_all(&data).expect("rmdir");
    assert_eq!(c.cmd(&["SAVE"]).error_text(), Some("ERR"));
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Reply::Simple("Background saving started".into())
    );
    wait_for(&mut c, "rdb_bgsave_in_progress", "0");
    assert_eq!(info(&mut c, "rdb_last_bgsave_status"), "err");
    assert!(
        ours.log().contains("Failed opening the temp RDB file"),
        "{}",
        ours.log()
    );
    // stop-writes-on-bgsave-error: writes (and PING) are refused until a save succeeds.
    let misconf = c.cmd(&["SET", "k", "w"]);
    assert!(
        misconf
            .error_text()
            .is_some_and(|e| e.starts_with("MISCONF Redis is configured to save RDB snapshots")),
        "{misconf:?}"
    );
    assert!(c
        .cmd(&["PING"])
        .error_text()
        .is_some_and(|e| e.starts_with("MISCONF")));
    assert_eq!(c.cmd(&["GET", "k"]), Reply::bulk("v"));
    std::fs::create_dir(&data).expect("mkdir");
    ok(&mut c, &["SAVE"]);
    ok(&mut c, &["SET", "k", "w"]);
    std::fs::remove_dir_all(&data).expect("rmdir");
    // SIGTERM with a failing save keeps the server running, every time.
    for _ in 0..2 {
        let status = Command::new("kill")
            .args(["-TERM", &ours.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        std::thread::sleep(Duration::from_millis(300));
        assert!(ours.is_running(), "{}", ours.log());
        assert_eq!(c.cmd(&["GET", "k"]), Reply::bulk("w"));
    }
    assert!(
        ours.log().contains("Errors trying to shut down the server"),
        "{}",
        ours.log()
    );
    // A shutdown that cannot save is refused; FORCE goes ahead.
    assert_eq!(
        c.cmd(&["SHUTDOWN"]).error_text(),
        Some("ERR Errors trying to SHUTDOWN. Check logs.")
    );
    c.send(&["SHUTDOWN", "FORCE"]);
    assert!(ours.wait_exit(Duration::from_secs(10)).is_some());
}

/// Fills `n` keys whose values carry `generation`, returning the digest.
fn fill_generation(c: &mut Client, n: usize, generation: &str) -> String {
    let sets: Vec<Vec<Vec<u8>>> = (0..n)
        .map(|i| {
            redoubt_tests::command(&["SET", &format!("key:{i}"), &format!("{generation}-{i}")])
        })
        .collect();
    for chunk in sets.chunks(10000) {
        c.pipeline(chunk);
    }
    digest(c)
}

fn kill9(server: &mut ServerProcess) {
    let status = Command::new("kill")
        .args(["-KILL", &server.pid().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
}

#[test]
fn a_crash_during_a_save_leaves_the_old_or_the_new_dump() {
    let dir = tempdir();
    let n = 20_000;
    for (round, delay_ms) in [0u64, 2, 8, 30].into_iter().enumerate() {
        for background in [false, true] {
            let mut ours = start(false, dir.path(), &[]);
            let mut c = ours.client();
            // Each round starts from the dump the previous one left: it must be complete.
            let loaded = digest(&mut c);
            let old = fill_generation(&mut c, n, &format!("old{round}{background}"));
            ok(&mut c, &["SAVE"]);
            let new = fill_generation(&mut c, n, &format!("new{round}{background}"));
            c.send(&[if background { "BGSAVE" } else { "SAVE" }]);
            std::thread::sleep(Duration::from_millis(delay_ms));
            kill9(&mut ours);
            let again = start(false, dir.path(), &[]);
            let got = digest(&mut again.client());
            assert!(got == old || got == new, "round {round} (background {background}): the dump is neither the old nor the new one");
            assert!(round == 0 && !background || loaded != "0".repeat(40));
        }
    }
}

#[test]
fn bgsave_under_concurrent_transactions_is_a_consistent_cut() {
    let dir = tempdir();
    let ours = start(false, dir.path(), &[]);
    let mut c = ours.client();
    // Some bulk so the save is not instantaneous.
    fill_generation(&mut c, 20_000, "bulk");
    let port = ours.port();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let writer = std::thread::spawn(move || {
        let mut w = Client::connect(port);
        let mut seq = 0u64;
        let deadline = Instant::now() + Duration::from_secs(20);
        while !flag.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < deadline {
            seq += 1;
            let s = seq.to_string();
            let replies = w.pipeline(&[
                redoubt_tests::command(&["MULTI"]),
                redoubt_tests::command(&["RPUSH", "log", &s]),
                redoubt_tests::command(&["SET", "last", &s]),
                redoubt_tests::command(&["EXEC"]),
            ]);
            assert!(!replies[3].is_error());
        }
        seq
    });
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Reply::Simple("Background saving started".into())
    );
    wait_for(&mut c, "rdb_bgsave_in_progress", "0");
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.join().expect("writer");
    assert_eq!(info(&mut c, "rdb_last_bgsave_status"), "ok");
    drop(ours);
    let again = start(false, dir.path(), &[]);
    let mut c = again.client();
    let log: Vec<u64> = array(c.cmd(&["LRANGE", "log", "0", "-1"]))
        .iter()
        .filter_map(|r| r.as_text()?.parse().ok())
        .collect();
    let n = log.len() as u64;
    assert!(
        n > 0 && n < written,
        "the dump holds {n} of {written} transactions"
    );
    assert_eq!(log, (1..=n).collect::<Vec<u64>>(), "not a prefix");
    assert_eq!(c.cmd(&["GET", "last"]), Reply::bulk(n.to_string()));
}

#[test]
fn bgsave_with_lru_and_lfu_metadata_loads_into_redis() {
    for policy in ["allkeys-lru", "allkeys-lfu"] {
        let dir = tempdir();
        let ours = start(false, dir.path(), &["--maxmemory-policy", policy]);
        let mut c = ours.client();
        fill(&mut c);
        // Through BGSAVE: the image carries TTLs, idle times and LFU counters of every type.
        ok(&mut c, &["BGSAVE"]);
        wait_for(&mut c, "rdb_bgsave_in_progress", "0");
        assert_eq!(info(&mut c, "rdb_last_bgsave_status"), "ok");
        let want = digest(&mut c);
        drop(ours);
        let redis = start(true, dir.path(), &["--maxmemory-policy", policy]);
        let mut rc = redis.client();
        assert_eq!(digest(&mut rc), want, "{policy}: {}", redis.log());
        let back = start(false, dir.path(), &["--maxmemory-policy", policy]);
        assert_eq!(digest(&mut back.client()), want, "{policy}");
    }
}

#[test]
fn debug_reload_options_behave_like_redis() {
    let mut results = Vec::new();
    for redis in [true, false] {
        let dir = tempdir();
        let server = start(redis, dir.path(), &[]);
        let mut c = server.client();
        let mut seen = Vec::new();
        for cmd in [
            vec!["SET", "a", "1"],
            vec!["SAVE"],
            vec!["SET", "a", "2"],
            vec!["SET", "b", "3"],
            vec!["DEBUG", "RELOAD", "NOSAVE"],
            vec!["MGET", "a", "b"],
            vec!["SET", "a", "5"],
            vec!["SET", "c", "4"],
            vec!["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"],
            vec!["MGET", "a", "b", "c"],
            vec!["DEBUG", "RELOAD", "BOGUS"],
            vec!["DBSIZE"],
        ] {
            seen.push(c.cmd(&cmd));
        }
        std::fs::remove_file(dir.path().join("dump.rdb")).expect("remove dump");
        seen.push(c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]));
        results.push(seen);
    }
    assert_eq!(results[1], results[0]);
}

/// Writes a dump with the RDB library: `keys` as (db, key, value) strings, in order.
fn write_dump(path: &Path, keys: &[(u64, &str, &str)]) {
    use redoubt_rdb::value::{KeyMeta, Value};
    use redoubt_rdb::writer::{Writer, WriterOptions};
    let file = std::fs::File::create(path).expect("create dump");
    let mut w = Writer::new(file, WriterOptions::default()).expect("writer");
    let mut db = None;
    for (d, k, v) in keys {
        if db != Some(*d) {
            w.select_db(*d).expect("selectdb");
            db = Some(*d);
        }
        w.key(
            k.as_bytes(),
            &Value::String(v.as_bytes().to_vec()),
            &KeyMeta::default(),
        )
        .expect("key");
    }
    w.finish().expect("finish");
}

#[test]
fn dumps_the_server_cannot_hold_are_refused() {
    let dir = tempdir();
    let path = dir.path().join("dump.rdb");
    write_dump(&path, &[(0, "a", "1"), (2, "b", "2")]);
    let ours = start(false, dir.path(), &[]);
    assert_eq!(ours.client().cmd(&["DBSIZE"]), Reply::Integer(1));
    drop(ours);
    write_dump(&path, &[(0, "a", "1"), (0, "b", "2"), (0, "a", "3")]);
    let (success, log) = run_expecting_exit(dir.path(), &[]);
    assert!(
        !success && log.contains("Duplicate key 'a' found in RDB file"),
        "{log}"
    );
    write_dump(&path, &[(0, "a", "1"), (16, "b", "2")]);
    let (success, log) = run_expecting_exit(dir.path(), &[]);
    assert!(
        !success && log.contains("configured to handle more than 16 databases"),
        "{log}"
    );
}

#[test]
fn debug_object_serializedlength_matches_redis() {
    // Stream nodes are written verbatim, tombstones included, so `stream:big` (explicit IDs,
    // deletions, groups) has Redis's length too. `stream:trimmed` is left out: its `*` IDs are
    // times, whose deltas take a different number of bytes from run to run.
    let mut lengths = Vec::new();
    for redis in [true, false] {
        let dir = tempdir();
        let server = start(redis, dir.path(), &[]);
        let mut c = server.client();
        fill(&mut c);
        let mut seen = Vec::new();
        for key in [
            "str:int",
            "str:embstr",
            "str:long",
            "str:empty",
            "str:raw",
            "list:small",
            "list:big",
            "set:intset",
            "set:bigint",
            "set:table",
            "hash:small",
            "hash:big",
            "hash:longvalue",
            "zset:small",
            "zset:big",
            "hll:sparse",
            "hll:dense",
            "stream:empty",
            "stream:big",
        ] {
            let text = c
                .cmd(&["DEBUG", "OBJECT", key])
                .as_text()
                .unwrap_or_default();
            let len = text
                .split_whitespace()
                .find_map(|w| w.strip_prefix("serializedlength:"))
                .unwrap_or("?")
                .to_string();
            seen.push((key, len));
        }
        lengths.push(seen);
    }
    assert_eq!(lengths[1], lengths[0]);
}

/// The dataset's digest, then BGSAVE in the same pipeline (nothing runs in between).
fn digest_then_bgsave(c: &mut Client) -> String {
    let replies = c.pipeline(&[
        redoubt_tests::command(&["DEBUG", "DIGEST"]),
        redoubt_tests::command(&["BGSAVE"]),
    ]);
    assert_eq!(
        replies[1],
        Reply::Simple("Background saving started".into())
    );
    replies[0].as_text().expect("digest")
}

/// Once the BGSAVE running on `ours` (client `c`) ends well, after writes changed the dataset:
/// Redoubt and redis-server both load its dump with `before`, the BGSAVE instant's digest.
fn the_dump_holds(mut c: Client, ours: ServerProcess, dir: &Path, before: &str) {
    wait_for(&mut c, "rdb_bgsave_in_progress", "0");
    assert_eq!(info(&mut c, "rdb_last_bgsave_status"), "ok");
    assert_ne!(digest(&mut c), before, "the writes changed the dataset");
    drop(ours);
    both_load_the_digest(dir, before);
}

/// Redoubt and redis-server both load the dump in `dir` with the digest `want`.
fn both_load_the_digest(dir: &Path, want: &str) {
    for redis in [false, true] {
        let server = start(redis, dir, &[]);
        let mut c = server.client();
        assert_eq!(
            digest(&mut c),
            want,
            "{} loaded a dump that is not the BGSAVE instant's dataset",
            server.name()
        );
    }
}

/// The copy-on-write snapshot under adversarial writes: with a large dataset the walker needs
/// many steps, and random commands of every type (SWAPDB, MOVE, FLUSHDB, renames, expiries
/// included) run between them; the dump still holds exactly the dataset of the BGSAVE instant,
/// for redis-server as for Redoubt.
#[test]
fn bgsave_during_random_writes_of_every_type_is_exact() {
    let dir = tempdir();
    let ours = start(false, dir.path(), &[]);
    let mut c = ours.client();
    for db in ["0", "3", "9"] {
        ok(&mut c, &["SELECT", db]);
        let sets: Vec<Vec<Vec<u8>>> = (0..40000)
            .map(|i| redoubt_tests::command(&["SET", &format!("bulk:{i}"), "0123456789"]))
            .collect();
        c.pipeline(&sets);
    }
    ok(&mut c, &["SELECT", "0"]);
    let mut generator = redoubt_tests::CommandGenerator::new(77);
    for _ in 0..1500 {
        let command = generator.next_command();
        c.cmd(&command.args);
    }
    ok(&mut c, &["SELECT", "0"]);
    let before = digest_then_bgsave(&mut c);
    let mut writes = 0;
    while info(&mut c, "rdb_bgsave_in_progress") == "1" && writes < 20_000 {
        for _ in 0..50 {
            let command = generator.next_command();
            c.cmd(&command.args);
            writes += 1;
        }
    }
    assert!(writes > 0, "the save ended before any write");
    the_dump_holds(c, ours, dir.path(), &before);
}

/// The keyspace's own table resizes while the snapshot walks it: it doubles (new keys) and then
/// shrinks (deletions) incrementally, moving entries between its two tables between the
/// walker's steps. Every key of the BGSAVE instant must be in the dump exactly once, with its
/// value of that instant.
#[test]
fn the_keyspace_resizing_during_bgsave_stays_out_of_the_dump() {
    const N: usize = 20_000;
    let dir = tempdir();
    // 100 us after each key: the save of N keys lasts about 2 s, so the walker (which waits for
    // the serialiser) is still walking while the writes below run.
    let ours = start(false, dir.path(), &["--rdb-key-save-delay", "100"]);
    let mut c = ours.client();
    let set = |name: String, value: &str| ["SET", &name, value].map(String::from).to_vec();
    let fill: Vec<Vec<String>> = (0..N).map(|i| set(format!("k:{i}"), "old")).collect();
    c.pipeline(&fill);
    let before = digest_then_bgsave(&mut c);
    // Grow: the table doubles, twice, and moves its entries a few buckets per write.
    for batch in 0..3 * N / 1000 {
        let mut writes: Vec<Vec<String>> = (0..1000)
            .map(|i| set(format!("new:{}", batch * 1000 + i), "x"))
            .collect();
        writes.push(set(format!("k:{}", batch * 37), "changed"));
        writes.push(
            ["DEL", &format!("k:{}", batch * 37 + 1)]
                .map(String::from)
                .to_vec(),
        );
        c.pipeline(&writes);
    }
    // Shrink: delete the new keys and most old ones.
    for batch in 0..3 * N / 1000 {
        let mut del = vec!["DEL".to_string()];
        del.extend((0..1000).map(|i| format!("new:{}", batch * 1000 + i)));
        c.pipeline(&[del]);
    }
    let mut del = vec!["DEL".to_string()];
    del.extend((0..N - 2000).map(|i| format!("k:{i}")));
    c.pipeline(&[del]);
    assert_eq!(
        info(&mut c, "rdb_bgsave_in_progress"),
        "1",
        "the save ended before the writes: nothing was checked"
    );
    the_dump_holds(c, ours, dir.path(), &before);
}

/// Writes to big collections of every type while BGSAVE serialises them: the collections are
/// shared with the snapshot in parts (dict segments, list chunks, stream nodes, sorted-set blocks)
/// and a write copies only the part it touches, so this checks that no write reaches the dump
/// through a part still shared, and that the writer's copy stays whole. Both servers must load a
/// dump with the BGSAVE instant's digest.
#[test]
fn writes_to_big_collections_during_bgsave_stay_out_of_the_dump() {
    const N: usize = 60_000;
    let dir = tempdir();
    // 100 ms after each key: the save holds every collection while the writes below run.
    let ours = start(false, dir.path(), &["--rdb-key-save-delay", "100000"]);
    let mut c = ours.client();
    let mut fill = Vec::new();
    for chunk in 0..N / 500 {
        let range = chunk * 500..(chunk + 1) * 500;
        let mut hset = vec!["HSET".to_string(), "h".into()];
        let mut sadd = vec!["SADD".to_string(), "s".into()];
        let mut zadd = vec!["ZADD".to_string(), "z".into()];
        let mut rpush = vec!["RPUSH".to_string(), "l".into()];
        for i in range.clone() {
            hset.extend([format!("field:{i}"), format!("value:{i}")]);
            sadd.push(format!("member:{i}"));
            zadd.extend([format!("{}", i % 977), format!("member:{i}")]);
            rpush.push(format!("element:{}", i % 50));
        }
        fill.extend([hset, sadd, zadd, rpush]);
        for i in range.step_by(5) {
            fill.push(
                ["XADD", "x", "*", "f", &format!("v{i}")]
                    .map(String::from)
                    .to_vec(),
            );
        }
    }
    c.pipeline(&fill);
    let before = digest_then_bgsave(&mut c);
    // Every write kind, spread over the collections (so over many of their parts), repeated
    // until the save ends.
    let mut writes = 0;
    let mut round = 0usize;
    while info(&mut c, "rdb_bgsave_in_progress") == "1" && round < 200 {
        let i = round * 7919 % N;
        let batch: Vec<Vec<String>> = [
            vec!["HSET", "h", &format!("field:{i}"), "changed"],
            vec!["HSET", "h", &format!("new:{round}"), "x"],
            vec!["HDEL", "h", &format!("field:{}", (i + 1) % N)],
            vec!["SADD", "s", &format!("new:{round}")],
            vec!["SREM", "s", &format!("member:{i}")],
            vec!["ZADD", "z", "-5", &format!("member:{i}")],
            vec!["ZINCRBY", "z", "2.5", &format!("member:{}", (i + 3) % N)],
            vec!["ZREMRANGEBYRANK", "z", "100", "102"],
            vec!["LSET", "l", &format!("{i}"), "changed"],
            vec!["LINSERT", "l", "BEFORE", "element:7", "inserted"],
            vec!["LREM", "l", "1", "element:9"],
            vec!["LPUSH", "l", "head"],
            vec!["RPOP", "l"],
            vec!["XADD", "x", "*", "f", "new"],
            vec!["XTRIM", "x", "MAXLEN", &format!("{}", N / 5 - round)],
        ]
        .into_iter()
        .map(|v| v.into_iter().map(String::from).collect())
        .collect();
        for reply in c.pipeline(&batch) {
            assert!(!matches!(reply, Reply::Error(_)), "{reply:?}");
        }
        writes += batch.len();
        round += 1;
    }
    assert!(writes >= 15 * 10, "the save ended after {writes} writes");
    wait_for(&mut c, "rdb_bgsave_in_progress", "0");
    assert_eq!(info(&mut c, "rdb_last_bgsave_status"), "ok");
    let after = digest(&mut c);
    assert_ne!(after, before, "the writes changed the dataset");
    // The live dataset is whole too: a DEBUG RELOAD round trip (which saves over the BGSAVE's
    // dump, so that one is kept aside) keeps its digest.
    let dump = dir.path().join("dump.rdb");
    let kept = dir.path().join("bgsave.rdb");
    std::fs::copy(&dump, &kept).expect("keep the dump");
    ok(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    ok(&mut c, &["DEBUG", "RELOAD"]);
    assert_eq!(digest(&mut c), after);
    drop(ours);
    std::fs::rename(&kept, &dump).expect("put the dump back");
    both_load_the_digest(dir.path(), &before);
}

/// While the dump loads at startup, connections are accepted and answered like Redis: -LOADING
/// for commands, and INFO with the `loading_*` progress fields; then the server serves normally.
#[test]
fn while_loading_clients_get_loading_errors_and_progress() {
    use redoubt_rdb::value::{KeyMeta, Value};
    use redoubt_rdb::writer::{Writer, WriterOptions};
    let dir = tempdir();
    let path = dir.path().join("dump.rdb");
    {
        let file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create dump"));
        let opts = WriterOptions {
            compress: false,
            ..WriterOptions::default()
        };
        let mut w = Writer::new(file, opts).expect("writer");
        w.select_db(0).expect("selectdb");
        let value = Value::String(vec![b'x'; 200]);
        for i in 0..400_000u32 {
            w.key(format!("key:{i}").as_bytes(), &value, &KeyMeta::default())
                .expect("key");
        }
        w.finish().expect("finish");
    }
    let size = std::fs::metadata(&path).expect("dump").len();
    let port = free_port();
    let dir_text = dir.path().to_string_lossy().into_owned();
    let port_text = port.to_string();
    /// Kills the server even if an assertion fails.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Killed(
        Command::new(redoubt_binary())
            .args(["--port", &port_text, "--dir", &dir_text, "--save", ""])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    let mut saw_loading = false;
    let mut saw_progress = false;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut c = loop {
        assert!(Instant::now() < deadline, "the server never answered");
        if let Ok(c) = Client::try_connect(port) {
            break c;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    loop {
        assert!(Instant::now() < deadline, "the load never finished");
        let r = c.cmd(&["GET", "key:1"]);
        if r.error_text() == Some("LOADING Redis is loading the dataset in memory") {
            saw_loading = true;
            let info = c.cmd(&["INFO", "persistence"]);
            if info_field(&info, "loading").as_deref() == Some("1") {
                let total = info_field(&info, "loading_total_bytes").unwrap_or_default();
                assert!(
                    total == "0" || total == size.to_string(),
                    "loading_total_bytes {total}, dump {size}"
                );
                saw_progress |= total == size.to_string();
            }
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        assert_eq!(r, Reply::bulk("x".repeat(200)));
        break;
    }
    assert!(
        saw_loading,
        "no -LOADING seen (the load was too fast to observe)"
    );
    assert!(saw_progress, "INFO never showed the load's progress");
    assert_eq!(info(&mut c, "loading"), "0");
    assert_eq!(c.cmd(&["DBSIZE"]), Reply::Integer(400_000));
}

/// The figures of one `DEBUG HTSTATS` text: per table (elements, table size, buckets counted in
/// the chain length distribution).
fn htstats_tables(text: &str) -> Vec<(usize, usize, usize)> {
    let mut tables = Vec::new();
    let number = |line: &str| -> usize {
        let after = line.rsplit(": ").next().unwrap_or("");
        after
            .split(' ')
            .next()
            .unwrap_or("")
            .parse()
            .unwrap_or_else(|_| panic!("{line:?}"))
    };
    for line in text.lines() {
        if line.starts_with("Hash table ") {
            tables.push((0, 0, 0));
        } else if let Some(t) = tables.last_mut() {
            if line.starts_with(" table size: ") {
                t.1 = number(line);
            } else if line.starts_with(" number of elements: ") {
                t.0 = number(line);
            } else if line.starts_with("   ") {
                t.2 += number(line);
            }
        }
    }
    tables
}

/// The lines of a `DEBUG HTSTATS` text without their figures and without a resize's target table
/// (Redis leaves a set's table mid-resize until its next writes): the shape both servers share.
fn htstats_shape(text: &str) -> Vec<String> {
    let mut in_target = false;
    let mut shape = Vec::new();
    for line in text.lines() {
        if line.starts_with("Hash table ") || line.starts_with('[') {
            in_target = line.starts_with("Hash table 1 ");
        }
        if !in_target && !line.starts_with("   ") {
            shape.push(line.split(':').next().unwrap_or("").to_string());
        }
    }
    shape
}

#[test]
fn debug_htstats_reports_like_redis() {
    let members: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
    // More fields than hash-max-listpack-entries (512): a hash table.
    let fields: Vec<String> = (0..600)
        .flat_map(|i| [format!("f{i}"), "v".into()])
        .collect();
    let mut texts = Vec::new();
    for redis in [true, false] {
        let dir = tempdir();
        let server = start(redis, dir.path(), &["--save", ""]);
        let mut c = server.client();
        ok(&mut c, &["DEBUG", "POPULATE", "100"]);
        ok(&mut c, &["EXPIRE", "key:1", "100"]);
        let args: Vec<&str> = ["HSET", "h"]
            .into_iter()
            .chain(fields.iter().map(String::as_str))
            .collect();
        ok(&mut c, &args);
        ok(
            &mut c,
            &[
                &["SADD", "s"][..],
                &members.iter().map(String::as_str).collect::<Vec<_>>(),
            ]
            .concat(),
        );
        let text = |r: Reply| match r {
            Reply::Bulk(b) => String::from_utf8(b).unwrap(),
            other => panic!("{other:?}"),
        };
        let db = text(c.cmd(&["DEBUG", "HTSTATS", "0"]));
        let hash = text(c.cmd(&["DEBUG", "HTSTATS-KEY", "h"]));
        let set = text(c.cmd(&["DEBUG", "HTSTATS-KEY", "s"]));
        let errors: Vec<Reply> = [
            &["DEBUG", "HTSTATS-KEY", "key:2"][..],
            &["DEBUG", "HTSTATS-KEY", "missing"],
            &["DEBUG", "HTSTATS", "16"],
            &["DEBUG", "HTSTATS", "x"],
        ]
        .iter()
        .map(|a| c.cmd(a))
        .collect();
        let empty = text(c.cmd(&["DEBUG", "HTSTATS", "3"]));
        texts.push((db, hash, set, errors, empty));
    }
    let (redis, ours) = (&texts[0], &texts[1]);
    assert_eq!(ours.3, redis.3, "error replies");
    assert_eq!(ours.4, redis.4, "an empty db");
    for (ours, redis, elements) in [
        (&ours.0, &redis.0, 102 + 1),
        (&ours.1, &redis.1, 600),
        (&ours.2, &redis.2, 300),
    ] {
        assert_eq!(htstats_shape(ours), htstats_shape(redis), "{ours}\n{redis}");
        for text in [ours, redis] {
            let tables = htstats_tables(text);
            assert_eq!(
                tables.iter().map(|t| t.0).sum::<usize>(),
                elements,
                "{text}"
            );
        }
        for (elements, size, counted) in htstats_tables(ours) {
            assert!(size.is_power_of_two() && size >= elements / 5, "{ours}");
            assert_eq!(counted, size, "every bucket in the distribution: {ours}");
        }
    }
}
