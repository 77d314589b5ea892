//! HyperLogLog compared with redis-server byte for byte: PFADD/PFCOUNT/PFMERGE replies, and the
//! raw `HYLL` string (sparse and dense encodings, the cached cardinality) read back with GET, so
//! the layout is Redis's exactly. Also corrupted and foreign strings.

use redoubt_tests::{command, Compare, Pair};

#[test]
fn pfadd_pfcount_basics() {
    let mut p = Pair::new();
    p.check_all(&[
        &["PFADD", "h", "a", "b", "c"],
        &["PFADD", "h", "a"],
        &["PFADD", "h", "d", "a"],
        &["PFCOUNT", "h"],
        &["GET", "h"],
        &["PFCOUNT", "missing"],
        &["PFADD", "empty"],
        &["PFADD", "empty"],
        &["GET", "empty"],
        &["PFCOUNT", "empty"],
        &["PFADD", "h2", "c", "d", "e", "f"],
        &["PFCOUNT", "h", "h2"],
        &["PFCOUNT", "h", "missing"],
        &["GET", "h"],
        &["PFADD", "bin", "", "\x00", "\u{ff}\r\n"],
        &["PFCOUNT", "bin"],
        &["GET", "bin"],
        &["TYPE", "h"],
        &["STRLEN", "h"],
        &["OBJECT", "ENCODING", "h"],
        &["PFADD"],
        &["PFCOUNT"],
    ]);
}

#[test]
fn sparse_layout_matches_byte_for_byte() {
    let mut p = Pair::new();
    for i in 0..300 {
        p.check(&["PFADD", "h", &format!("element:{i}")]);
        if i % 25 == 0 {
            p.check(&["GET", "h"]);
            p.check(&["PFCOUNT", "h"]);
            p.check(&["GET", "h"]);
        }
    }
    p.check(&["GET", "h"]);
    p.check(&["PFCOUNT", "h"]);
}

#[test]
fn sparse_to_dense_and_large_counts() {
    let mut p = Pair::new();
    let mut cmds = Vec::new();
    for chunk in 0..100 {
        let mut cmd = command(&["PFADD", "h"]);
        for i in 0..1000 {
            cmd.push(format!("member-{}", chunk * 1000 + i).into_bytes());
        }
        cmds.push(cmd);
        if chunk % 10 == 0 {
            cmds.push(command(&["PFCOUNT", "h"]));
            cmds.push(command(&["STRLEN", "h"]));
        }
    }
    p.pipeline_check(&cmds, Compare::Exact);
    p.check(&["PFCOUNT", "h"]);
    p.check(&["GET", "h"]);
    p.check(&["STRLEN", "h"]);
    // The conversion point is the sparse size limit.
    let mut p2 = Pair::with_args(&["--hll-sparse-max-bytes", "200"]);
    for i in 0..120 {
        p2.check(&["PFADD", "h", &i.to_string()]);
        p2.check(&["STRLEN", "h"]);
    }
    p2.check(&["GET", "h"]);
    p2.check(&["PFCOUNT", "h"]);
    p2.check(&["CONFIG", "GET", "hll-sparse-max-bytes"]);
}

#[test]
fn pfmerge() {
    let mut p = Pair::new();
    p.check_all(&[
        &["PFADD", "a", "1", "2", "3"],
        &["PFADD", "b", "3", "4", "5", "6"],
        &["PFMERGE", "dst", "a", "b"],
        &["PFCOUNT", "dst"],
        &["GET", "dst"],
        &["PFMERGE", "dst2"],
        &["GET", "dst2"],
        &["PFMERGE", "dst3", "missing"],
        &["GET", "dst3"],
        &["PFMERGE", "a", "b"],
        &["PFCOUNT", "a"],
        &["GET", "a"],
        &["PFMERGE", "a"],
        &["SET", "str", "plain"],
        &["PFMERGE", "dst", "str"],
        &["PFMERGE", "str", "a"],
        &["RPUSH", "list", "x"],
        &["PFMERGE", "dst", "a", "list"],
        &["PFMERGE", "list", "a"],
        &["PFMERGE"],
    ]);
    let mut cmds = Vec::new();
    for i in 0..5000 {
        cmds.push(command(&[
            "PFADD",
            if i % 2 == 0 { "big1" } else { "big2" },
            &format!("x{i}"),
        ]));
    }
    p.pipeline_check(&cmds, Compare::Exact);
    p.check_all(&[
        &["PFMERGE", "bigdst", "big1", "big2", "a"],
        &["GET", "bigdst"],
        &["PFCOUNT", "bigdst"],
        &["PFCOUNT", "big1", "big2", "a"],
        &["PFMERGE", "small", "a"],
        &["PFMERGE", "small", "big1"],
        &["GET", "small"],
    ]);
}

#[test]
fn wrong_types_and_corruption() {
    let mut p = Pair::new();
    p.check_all(&[
        &["SET", "str", "not an hll"],
        &["PFADD", "str", "a"],
        &["PFCOUNT", "str"],
        &["PFCOUNT", "missing", "str"],
        &["SET", "fake", "HYLL"],
        &["PFADD", "fake", "a"],
        &["PFCOUNT", "fake"],
        &["RPUSH", "list", "x"],
        &["PFADD", "list", "a"],
        &["PFCOUNT", "list"],
        &["PFADD", "h", "a", "b", "c"],
        &["APPEND", "h", "junk"],
        &["PFCOUNT", "h"],
        &["PFADD", "h", "d"],
        &["PFADD", "d", "x"],
        &["SETRANGE", "d", "4", "\u{7f}"],
        &["PFCOUNT", "d"],
        &["PFADD", "d", "y"],
    ]);
    // A valid header whose sparse opcodes run past the register count.
    let mut corrupt = b"HYLL".to_vec();
    corrupt.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    corrupt.extend_from_slice(&[0x7f, 0xff, 0x7f, 0xff, 0x7f, 0xff, 0x7f, 0xff, 0x7f, 0xff]);
    p.check(&[b"SET".as_slice(), b"corrupt", &corrupt]);
    p.check(&["PFCOUNT", "corrupt"]);
    p.check(&["PFADD", "corrupt", "x"]);
    p.check(&["PFMERGE", "m", "corrupt"]);
    // Dense header with a truncated body.
    let mut dense = b"HYLL".to_vec();
    dense.extend_from_slice(&[0; 12]);
    dense.extend_from_slice(&[0; 100]);
    p.check(&[b"SET".as_slice(), b"dense", &dense]);
    p.check(&["PFCOUNT", "dense"]);
    p.check(&["PFADD", "dense", "x"]);
}
