//! `redoubt-aof`: check, repair, list, count and replay Redis append-only files (a Redis 7
//! `appendonlydir/` with its manifest, or a single legacy `appendonly.aof`).
//!
//! Each subcommand lives in its own module; `scan` walks the files in load order for `cat`,
//! `stats` and `replay`, `filter` selects commands, `args` is the small option parser.

mod args;
mod cat;
mod check;
mod filter;
mod quote;
mod replay;
mod scan;
mod stats;
mod to_rdb;
mod truncate;

use args::{Args, Spec};

const USAGE: &str = "\
usage: redoubt-aof <command> [options]

commands:
  check DIR|FILE [--fix [--yes]]          validate; truncate a torn tail of the last file
  truncate-to-timestamp DIR|FILE TS       cut the log at the first #TS: annotation after TS
  cat DIR|FILE [filters] [--format F]     list commands (text, json or resp)
  stats DIR|FILE [filters]                counts by command, key prefix, db; hottest keys
  replay DIR|FILE --to HOST:PORT [...]    send the commands to a server, pipelined
  to-rdb DIR|FILE OUT.rdb                 apply the log offline and write the dataset as RDB

DIR is an appendonlydir (its *.manifest is used), or give the manifest or a single AOF file.
`redoubt-aof <command> --help` for details.";

type Handler = fn(&Args) -> Result<i32, String>;

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = argv.first() else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let (spec, help, handler): (Spec, &str, Handler) = match cmd.as_str() {
        "check" => (check::SPEC, check::HELP, check::run),
        "truncate-to-timestamp" => (truncate::SPEC, truncate::HELP, truncate::run),
        "cat" => (cat::SPEC, cat::HELP, cat::run),
        "stats" => (stats::SPEC, stats::HELP, stats::run),
        "replay" => (replay::SPEC, replay::HELP, replay::run),
        "to-rdb" => (to_rdb::SPEC, to_rdb::HELP, to_rdb::run),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            return;
        }
        other => {
            eprintln!("unknown command {other:?}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let args = match Args::parse(&argv[1..], &spec) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("redoubt-aof {cmd}: {e}\n{help}");
            std::process::exit(2);
        }
    };
    if args.flag("help") {
        println!("{help}");
        return;
    }
    match handler(&args) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("redoubt-aof {cmd}: {e}");
            std::process::exit(2);
        }
    }
}
