//! `check` and `check --fix` on a real Redis AOF cut at every byte, then loaded by redis-server.

mod common;

use std::fs;
use std::path::Path;

use common::{aof_tool, encode_all, Redis};

const PREFIX_CMDS: &[&[&[u8]]] = &[
    &[b"SELECT", b"0"],
    &[b"SET", b"a", b"1"],
    &[b"MULTI"],
    &[b"SET", b"b", b"2"],
    &[b"INCR", b"c"],
    &[b"EXEC"],
    &[b"RPUSH", b"l", b"x", b"y"],
    &[b"SET", b"d", b"\r\n*1\r\n"],
];

fn cmds() -> Vec<Vec<&'static [u8]>> {
    PREFIX_CMDS.iter().map(|c| c.to_vec()).collect()
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// The digest of a fresh server after running the first `n` commands (SELECT 0 included).
fn digest_after(n: usize) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let r = Redis::start(tmp.path(), &["--appendonly", "no"]);
    let mut c = r.client();
    for cmd in cmds().iter().take(n) {
        c.ok(cmd);
    }
    r.digest()
}

#[test]
fn every_truncation_point_is_flagged_and_fix_makes_it_loadable() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = Redis::start(
        tmp.path(),
        &[
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--aof-use-rdb-preamble",
            "no",
        ],
    );
    origin.wait_rewrite_done();
    let mut c = origin.client();
    for cmd in cmds().iter().skip(1) {
        c.ok(cmd);
    }
    drop(c);
    drop(origin);
    let dir = tmp.path().join("appendonlydir");
    let incr_name = "appendonly.aof.1.incr.aof";
    let full = fs::read(dir.join(incr_name)).unwrap();
    // What Redis wrote is exactly our commands (after its SELECT 0).
    assert_eq!(full, encode_all(&cmds()));

    // Cut lengths at which the file ends on a command boundary outside MULTI/EXEC.
    let mut ends = Vec::new();
    let mut pos = 0usize;
    for c in cmds() {
        pos += encode_all(&[c]).len();
        ends.push(pos);
    }
    let good: Vec<usize> = [0, ends[0], ends[1], ends[5], ends[6], ends[7]].to_vec();
    // The last good cut at or before each length (what --fix keeps), with the number of commands.
    let keep = |len: usize| -> (usize, usize) {
        let mut best = (0, 0);
        for (i, &e) in ends.iter().enumerate() {
            if e <= len && good.contains(&e) {
                best = (e, i + 1);
            }
        }
        best
    };

    let scratch = tempfile::tempdir().unwrap();
    for len in 0..=full.len() {
        let d = scratch.path().join(format!("cut{len}"));
        copy_dir(&dir, &d);
        fs::write(d.join(incr_name), &full[..len]).unwrap();
        let out = aof_tool(&["check", d.to_str().unwrap()], b"");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.success(),
            good.contains(&len),
            "cut at {len}: {stdout}"
        );
        if !good.contains(&len) {
            assert!(
                stdout.contains(&format!("ok_up_to={}", keep(len).0)),
                "{stdout}"
            );
            assert!(stdout.contains(incr_name), "{stdout}");
        }
        fs::remove_dir_all(&d).unwrap();
    }

    // --fix on three torn tails: inside the last command, inside the MULTI block, one byte short.
    for len in [ends[6] + 7, ends[3] + 2, full.len() - 1] {
        let root = scratch.path().join(format!("fix{len}"));
        let d = root.join("appendonlydir");
        copy_dir(&dir, &d);
        fs::write(d.join(incr_name), &full[..len]).unwrap();
        let (ok_len, n_cmds) = keep(len);
        // Answering no leaves the file alone.
        let out = aof_tool(&["check", "--fix", d.to_str().unwrap()], b"n\n");
        assert!(!out.status.success());
        assert_eq!(fs::metadata(d.join(incr_name)).unwrap().len(), len as u64);
        let out = aof_tool(&["check", "--fix", d.to_str().unwrap()], b"y\n");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}");
        assert!(stdout.contains("Continue? [y/N]"), "{stdout}");
        assert_eq!(
            fs::metadata(d.join(incr_name)).unwrap().len(),
            ok_len as u64
        );
        // A real redis-server loads the repaired directory to the dataset of the kept commands.
        let loaded = Redis::start(
            &root,
            &["--appendonly", "yes", "--aof-load-truncated", "no"],
        );
        assert_eq!(loaded.digest(), digest_after(n_cmds), "cut at {len}");
        drop(loaded);
    }

    // --yes skips the question.
    let d = scratch.path().join("yes");
    copy_dir(&dir, &d);
    fs::write(d.join(incr_name), &full[..full.len() - 3]).unwrap();
    let out = aof_tool(&["check", "--fix", "--yes", d.to_str().unwrap()], b"");
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Continue?"));
}

#[test]
fn damage_outside_the_last_file_is_reported_not_fixed() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = Redis::start(
        tmp.path(),
        &["--appendonly", "yes", "--aof-use-rdb-preamble", "yes"],
    );
    origin.wait_rewrite_done();
    origin.client().ok(&["SET", "k", "v"]);
    origin.rewrite();
    origin.client().ok(&["SET", "k2", "v2"]);
    drop(origin);
    let dir = tmp.path().join("appendonlydir");
    let base = dir.join("appendonly.aof.2.base.rdb");
    let mut bytes = fs::read(&base).unwrap();
    let at = bytes.len() - 12;
    bytes[at] ^= 0xff;
    fs::write(&base, &bytes).unwrap();
    let out = aof_tool(&["check", "--fix", "--yes", dir.to_str().unwrap()], b"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("appendonly.aof.2.base.rdb"), "{stdout}");
    assert!(stdout.contains("cannot fix"), "{stdout}");
    assert_eq!(fs::read(&base).unwrap(), bytes);

    // A file the manifest names but that is gone.
    fs::remove_file(dir.join("appendonly.aof.2.incr.aof")).unwrap();
    let out = aof_tool(&["check", dir.to_str().unwrap()], b"");
    assert!(!out.status.success());
}
