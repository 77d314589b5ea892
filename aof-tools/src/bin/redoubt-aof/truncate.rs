//! `redoubt-aof truncate-to-timestamp`: point-in-time recovery on an AOF written with
//! `aof-timestamp-enabled yes`, following `redis-check-aof --truncate-to-timestamp`.
//!
//! The files are read in load order; at the first `#TS:` annotation greater than TS the log is cut
//! just before that annotation. Redis's rules: the cut must fall in the last file of the log
//! (otherwise the later files would have to be removed from the manifest by hand — we refuse with
//! the same advice), and not at byte 0 of a file ("nothing before timestamp"). Every file up to the
//! cut must be valid. One difference: if the annotation falls inside a MULTI block, we cut before
//! the MULTI, so the result never ends in an unfinished transaction.

use redoubt_aof::command::{Item, MultiTracker};
use redoubt_aof::layout::{self, PartReader};

use crate::args::{Args, Spec};
use crate::check::{confirm, show_removed, truncate_file, Problem};

pub const SPEC: Spec = Spec {
    valued: &[],
    flags: &["yes", "help"],
};

pub const HELP: &str = "\
usage: redoubt-aof truncate-to-timestamp DIR|MANIFEST|FILE TS [--yes]

Cuts the log at the first #TS: annotation greater than TS (unix seconds), keeping everything
written at or before TS. Only the last file of the log can be cut. Shows what will be removed
and asks y/N on stdin unless --yes.";

pub fn run(a: &Args) -> Result<i32, String> {
    let [path, ts] = a.positional.as_slice() else {
        return Err("truncate-to-timestamp needs DIR|FILE and TS".into());
    };
    let to: i64 = ts
        .parse()
        .map_err(|_| format!("invalid timestamp {ts:?}"))?;
    let source = layout::open(std::path::Path::new(path)).map_err(|e| e.to_string())?;
    let parts = source.parts();
    let n = parts.len();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == n;
        let mut pr = PartReader::open(part).map_err(|e| format!("{}: {e}", part.name))?;
        let mut multi = MultiTracker::new();
        // Bounded by the file: every item consumes bytes.
        loop {
            match pr.commands.next() {
                Ok(None) => break,
                Ok(Some(Item::Command { offset, args })) => {
                    multi
                        .observe(offset, &args)
                        .map_err(|m| format!("{} at byte {offset}: {m}; run check", part.name))?;
                }
                Ok(Some(Item::Timestamp { offset, unix })) => {
                    if unix <= to {
                        continue;
                    }
                    if offset == 0 {
                        println!(
                            "AOF {} has nothing before timestamp {to}, aborting...",
                            part.name
                        );
                        return Ok(1);
                    }
                    if !last {
                        println!(
                            "Failed to truncate AOF {} to timestamp {to} at offset {offset} because \
                             it is not the last file.",
                            part.name
                        );
                        println!(
                            "If you insist, delete all files after this one from the manifest and \
                             the directory, then run this again."
                        );
                        return Ok(1);
                    }
                    let cut = multi.open_multi().unwrap_or(offset);
                    let p = Problem {
                        file: part.name.clone(),
                        path: part.path.clone(),
                        offset,
                        ok_up_to: cut,
                        size: pr.size,
                        message: format!("#TS:{unix} is after {to}"),
                        fixable: true,
                    };
                    println!(
                        "{} at byte {offset}: #TS:{unix} is the first annotation after {to}",
                        part.name
                    );
                    show_removed(&p);
                    if !a.flag("yes") && !confirm()? {
                        println!("Aborting...");
                        return Ok(1);
                    }
                    truncate_file(&part.path, cut)
                        .map_err(|e| format!("truncating {}: {e}", part.name))?;
                    println!(
                        "Successfully truncated AOF {} to timestamp {to} ({} bytes)",
                        part.name, cut
                    );
                    return Ok(0);
                }
                Err(e) => {
                    println!(
                        "AOF {} is not valid at byte {}: {e}. Use check --fix first.",
                        part.name, e.offset
                    );
                    return Ok(1);
                }
            }
        }
    }
    println!("Truncate nothing: no #TS: annotation after {to}");
    Ok(0)
}
