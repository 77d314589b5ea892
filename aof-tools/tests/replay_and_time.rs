//! `replay` into a fresh redis-server reproduces the origin's dataset (DEBUG DIGEST), RDB base
//! included; `truncate-to-timestamp` cuts where redis-check-aof would; `cat`/`stats` filters.

mod common;

use std::time::Duration;

use common::{aof_tool, Redis};

fn fill(r: &Redis) {
    let mut c = r.client();
    for i in 0..200 {
        c.ok(&["SET", &format!("user:{i}"), &format!("v{i}")]);
    }
    c.ok(&["SET", "bin", "\x00\x01\r\n"]);
    c.ok(&["HSET", "h", "a", "1", "b", "2"]);
    c.ok(&["RPUSH", "list", "a", "b", "c"]);
    c.ok(&["SADD", "set", "x", "y", "1", "2"]);
    c.ok(&["ZADD", "z", "1", "a", "2.5", "b"]);
    c.ok(&["XADD", "s", "1-1", "f", "v"]);
    c.ok(&["XGROUP", "CREATE", "s", "g", "0"]);
    c.ok(&["SET", "ttl", "x", "EX", "1000"]);
    c.ok(&["SELECT", "3"]);
    c.ok(&["SET", "in3", "yes"]);
    let big: String = "x".repeat(100_000);
    c.ok(&["SET", "big", &big]);
}

#[test]
fn replay_reproduces_the_dataset_with_an_rdb_base() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = Redis::start(
        tmp.path(),
        &[
            "--appendonly",
            "yes",
            "--aof-use-rdb-preamble",
            "yes",
            "--aof-timestamp-enabled",
            "yes",
        ],
    );
    origin.wait_rewrite_done();
    fill(&origin);
    origin.rewrite();
    // More writes after the rewrite go to the incr file.
    let mut c = origin.client();
    c.ok(&["MULTI"]);
    c.ok(&["INCR", "counter"]);
    c.ok(&["LPUSH", "list", "z"]);
    c.ok(&["EXEC"]);
    c.ok(&["DEL", "user:7"]);
    c.ok(&["SELECT", "3"]);
    c.ok(&["SET", "in3", "changed"]);
    let digest = origin.digest();
    let dir = tmp.path().join("appendonlydir");

    let ttmp = tempfile::tempdir().unwrap();
    let target = Redis::start(ttmp.path(), &["--appendonly", "no"]);
    let out = aof_tool(
        &["replay", dir.to_str().unwrap(), "--to", &target.addr()],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(target.digest(), digest);

    // Filters: only db 3's keys matching in*.
    let ttmp2 = tempfile::tempdir().unwrap();
    let t2 = Redis::start(ttmp2.path(), &["--appendonly", "no"]);
    let out = aof_tool(
        &[
            "replay",
            dir.to_str().unwrap(),
            "--to",
            &t2.addr(),
            "--db",
            "3",
            "--key",
            "in*",
        ],
        b"",
    );
    assert!(out.status.success());
    let mut c2 = t2.client();
    assert_eq!(c2.dbsize(), 0);
    c2.ok(&["SELECT", "3"]);
    assert_eq!(c2.dbsize(), 1);
    assert_eq!(
        c2.ok(&["GET", "in3"]),
        common::Reply::Bulk(Some(b"changed".to_vec()))
    );

    // An error reply stops the replay and names the command's offset: replaying onto a target
    // where `list` is a string makes LPUSH fail.
    let ttmp3 = tempfile::tempdir().unwrap();
    let t3 = Redis::start(ttmp3.path(), &["--appendonly", "no"]);
    let out = aof_tool(
        &[
            "replay",
            dir.to_str().unwrap(),
            "--to",
            &t3.addr(),
            "--cmd",
            "lpush",
            "--dry-run",
        ],
        b"",
    );
    let dry = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(dry.contains("\"LPUSH\" \"list\" \"z\""), "{dry}");
    t3.client().ok(&["SET", "list", "string"]);
    let out = aof_tool(
        &[
            "replay",
            dir.to_str().unwrap(),
            "--to",
            &t3.addr(),
            "--cmd",
            "lpush",
        ],
        b"",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("WRONGTYPE"), "{stderr}");
    assert!(stderr.contains("appendonly.aof.2.incr.aof:"), "{stderr}");

    // stats and cat see the same commands.
    let out = aof_tool(&["stats", dir.to_str().unwrap()], b"");
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("lpush"), "{s}");
    assert!(s.contains("RDB preamble"), "{s}");
    let out = aof_tool(
        &[
            "cat",
            dir.to_str().unwrap(),
            "--format",
            "json",
            "--cmd",
            "del",
        ],
        b"",
    );
    let s = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        s.lines().filter(|l| l.contains("\"args\"")).count(),
        1,
        "{s}"
    );
    assert!(s.contains("[\"DEL\",\"user:7\"]"), "{s}");
}

#[test]
fn truncate_to_timestamp_like_redis_check_aof() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = Redis::start(
        tmp.path(),
        &[
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--aof-timestamp-enabled",
            "yes",
        ],
    );
    origin.wait_rewrite_done();
    let mut c = origin.client();
    // Wait for a fresh second so that the first write gets its own annotation.
    std::thread::sleep(Duration::from_millis(1100));
    c.ok(&["SET", "early", "1"]);
    let t_early = now();
    std::thread::sleep(Duration::from_millis(2100));
    c.ok(&["SET", "late", "2"]);
    drop(c);
    drop(origin);
    let root = tmp.path();
    let dir = root.join("appendonlydir");
    let incr = dir.join("appendonly.aof.1.incr.aof");
    let before = std::fs::read(&incr).unwrap();

    // The reference: redis-check-aof (it truncates in place) on a copy.
    let refdir = tempfile::tempdir().unwrap();
    let refapp = refdir.path().join("appendonlydir");
    std::fs::create_dir(&refapp).unwrap();
    for e in std::fs::read_dir(&dir).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), refapp.join(e.file_name())).unwrap();
    }
    let st = std::process::Command::new("redis-check-aof")
        .args([
            "--truncate-to-timestamp",
            &t_early.to_string(),
            refapp.join("appendonly.aof.manifest").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stdout)
    );
    let expected = std::fs::read(refapp.join("appendonly.aof.1.incr.aof")).unwrap();
    assert!(expected.len() < before.len());

    let out = aof_tool(
        &[
            "truncate-to-timestamp",
            dir.to_str().unwrap(),
            &t_early.to_string(),
            "--yes",
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(std::fs::read(&incr).unwrap(), expected);
    // Nothing after the cut any more: a second run truncates nothing.
    let out = aof_tool(
        &[
            "truncate-to-timestamp",
            dir.to_str().unwrap(),
            &t_early.to_string(),
        ],
        b"",
    );
    assert!(out.status.success());
    assert_eq!(std::fs::read(&incr).unwrap(), expected);

    let loaded = Redis::start(root, &["--appendonly", "yes"]);
    let mut c = loaded.client();
    assert_eq!(c.ok(&["EXISTS", "early", "late"]), common::Reply::Int(1));
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
