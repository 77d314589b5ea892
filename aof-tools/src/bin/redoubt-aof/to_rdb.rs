//! `redoubt-aof to-rdb`: applies a log offline and writes the resulting dataset as an RDB file.
//!
//! Applying commands means executing them with a server's semantics, which this crate does not
//! have (format crates depend on nothing of the server). The work is done by the `redoubt-server`
//! binary in its one-shot `--aof-to-rdb` mode: it loads the log exactly as it would at startup
//! (without opening it for writing, without touching its files), saves the dataset to OUT and exits.
//! No server listens and nothing is written next to the log. The binary is found through
//! `$REDOUBT_SERVER_BIN`, next to this executable, or on `PATH`.

use crate::args::{Args, Spec};
use std::path::PathBuf;

pub const SPEC: Spec = Spec {
    valued: &["server"],
    flags: &["help"],
};

pub const HELP: &str = "\
usage: redoubt-aof to-rdb DIR|FILE OUT.rdb [--server PATH]

Applies the log (an appendonlydir, its manifest, or a single AOF file) with redoubt-server's own
command semantics, offline, and writes the dataset as an RDB file (version 10, readable by Redis
7.0). The log is not modified; a torn tail is reported, not cut. --server names the
redoubt-server binary (default: $REDOUBT_SERVER_BIN, next to redoubt-aof, then PATH).";

fn server_binary(a: &Args) -> PathBuf {
    if let Some(p) = a.value("server") {
        return PathBuf::from(p);
    }
    if let Ok(p) = std::env::var("REDOUBT_SERVER_BIN") {
        return PathBuf::from(p);
    }
    if let Some(sibling) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|d| d.join("redoubt-server")))
        .filter(|p| p.is_file())
    {
        return sibling;
    }
    PathBuf::from("redoubt-server")
}

pub fn run(a: &Args) -> Result<i32, String> {
    let [input, out] = a.positional.as_slice() else {
        return Err("to-rdb needs DIR|FILE and OUT.rdb".into());
    };
    let bin = server_binary(a);
    let status = std::process::Command::new(&bin)
        .args(["--aof-to-rdb", input, out])
        .status()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    Ok(status.code().unwrap_or(1))
}
