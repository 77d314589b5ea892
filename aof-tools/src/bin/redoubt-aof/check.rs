//! `redoubt-aof check [--fix]`: validates an AOF the way Redis would load it, and cuts a torn tail.
//!
//! Checked, in load order, stopping at the first problem: the manifest parses (Redis's rules), every
//! base/incr file it names exists, an RDB preamble is valid (`redoubt-rdb` decodes and verifies
//! every value and the CRC64), the commands are well-formed RESP, and MULTI/EXEC are balanced (a
//! nested MULTI, an EXEC without MULTI, or a MULTI open at the end of a file). Like
//! `redis-check-aof`, a problem makes the file good only up to the last command before it (before
//! the open MULTI, if any); `--fix` truncates there, and only in the last file of the log (Redis
//! refuses to load a truncated file that is not the last one, and so does our check).

use std::fs::OpenOptions;
use std::io::{self, BufRead, Write};

use redoubt_aof::command::{Item, MultiTracker};
use redoubt_aof::layout::{self, AofSource, PartError, PartReader};

use crate::args::{Args, Spec};
use crate::quote::{preview, repr};

pub const SPEC: Spec = Spec {
    valued: &[],
    flags: &["fix", "yes", "help"],
};

pub const HELP: &str = "\
usage: redoubt-aof check DIR|MANIFEST|FILE [--fix [--yes]]

Validates an AOF: manifest, files present, RDB preamble (via redoubt-rdb), RESP commands,
balanced MULTI/EXEC. Reports the first problem with its file and byte offset; exit status 1
when there is one.
--fix   truncates the last file of the log at the last good command (before an unfinished
        MULTI), like redis-check-aof --fix, after showing what would be removed and asking
        y/N on stdin. Problems in other files, or in an RDB preamble, cannot be fixed.
--yes   do not ask.";

/// The first problem found.
#[derive(Debug, Clone)]
pub struct Problem {
    pub file: String,
    pub path: std::path::PathBuf,
    /// Where the problem was detected.
    pub offset: u64,
    /// The file is good up to here.
    pub ok_up_to: u64,
    pub size: u64,
    pub message: String,
    /// In the command part of the last file: truncation repairs it.
    pub fixable: bool,
}

/// Result of analysing a source.
pub struct Analysis {
    pub lines: Vec<String>,
    pub problem: Option<Problem>,
}

/// Validates every file of `source`, stopping at the first problem.
pub fn analyze(source: &AofSource) -> Analysis {
    let mut lines = Vec::new();
    let parts = source.parts();
    if let AofSource::Dir { manifest, .. } = source {
        lines.push(format!(
            "manifest: {} entries (base {}, {} incr, {} history)",
            manifest.entries.len(),
            manifest.base().map_or("none", |b| b.name.as_str()),
            manifest.incrs().len(),
            manifest.history().len()
        ));
    }
    let n = parts.len();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == n;
        let problem = |offset: u64, ok: u64, size: u64, message: String, fixable: bool| Problem {
            file: part.name.clone(),
            path: part.path.clone(),
            offset,
            ok_up_to: ok,
            size,
            message,
            fixable: fixable && last,
        };
        if !part.path.is_file() {
            return Analysis {
                lines,
                problem: Some(problem(
                    0,
                    0,
                    0,
                    "listed in the manifest but missing on disk".into(),
                    false,
                )),
            };
        }
        let mut pr = match PartReader::open(part) {
            Ok(pr) => pr,
            Err(e) => {
                let off = match &e {
                    PartError::Rdb(r) => r.offset().unwrap_or(0),
                    PartError::Io(_) => 0,
                };
                let size = std::fs::metadata(&part.path).map_or(0, |m| m.len());
                return Analysis {
                    lines,
                    problem: Some(problem(off, 0, size, e.to_string(), false)),
                };
            }
        };
        let mut multi = MultiTracker::new();
        let (mut commands, mut annotations) = (0u64, 0u64);
        // Bounded by the file: every item consumes bytes.
        let err = loop {
            match pr.commands.next() {
                Ok(None) => break None,
                Ok(Some(Item::Timestamp { .. })) => annotations += 1,
                Ok(Some(Item::Command { offset, args })) => {
                    if let Err(m) = multi.observe(offset, &args) {
                        let ok = multi.open_multi().unwrap_or(offset);
                        break Some(problem(offset, ok, pr.size, m, true));
                    }
                    commands += 1;
                }
                Err(e) => {
                    let ok = multi.open_multi().unwrap_or(e.offset);
                    break Some(problem(e.offset, ok, pr.size, e.to_string(), true));
                }
            }
        };
        let err = err.or_else(|| {
            multi.open_multi().map(|at| {
                problem(
                    pr.size,
                    at,
                    pr.size,
                    format!("reached EOF before reading EXEC for the MULTI at byte {at}"),
                    true,
                )
            })
        });
        if let Some(p) = err {
            return Analysis {
                lines,
                problem: Some(p),
            };
        }
        let mut s = format!(
            "ok {}: {} bytes, {} commands, {} #TS annotations",
            part.name, pr.size, commands, annotations
        );
        if let Some(p) = &pr.preamble {
            s.push_str(&format!(
                "; RDB preamble v{} with {} keys, {} functions (bytes 0..{})",
                p.version,
                p.keys(),
                p.functions,
                p.end_offset
            ));
        }
        lines.push(s);
    }
    Analysis {
        lines,
        problem: None,
    }
}

pub fn run(a: &Args) -> Result<i32, String> {
    let [path] = a.positional.as_slice() else {
        return Err("check needs one DIR|FILE argument".into());
    };
    let source = match layout::open(std::path::Path::new(path)) {
        Ok(s) => s,
        Err(e) => {
            println!("problem: {e}");
            return Ok(1);
        }
    };
    let analysis = analyze(&source);
    for l in &analysis.lines {
        println!("{l}");
    }
    let Some(p) = analysis.problem else {
        println!("AOF is valid");
        return Ok(0);
    };
    println!("problem: {} at byte {}: {}", p.file, p.offset, p.message);
    println!(
        "AOF analyzed: file={}, size={}, ok_up_to={}, diff={}",
        p.file,
        p.size,
        p.ok_up_to,
        p.size.saturating_sub(p.ok_up_to)
    );
    if !a.flag("fix") {
        if p.fixable {
            println!(
                "AOF is not valid. Use --fix to truncate {} at byte {}.",
                p.file, p.ok_up_to
            );
        } else {
            println!("AOF is not valid, and --fix cannot repair this problem.");
        }
        return Ok(1);
    }
    if !p.fixable {
        println!(
            "cannot fix: only a problem in the command part of the last file can be truncated away"
        );
        return Ok(1);
    }
    show_removed(&p);
    if !a.flag("yes") && !confirm()? {
        println!("Aborting...");
        return Ok(1);
    }
    truncate_file(&p.path, p.ok_up_to).map_err(|e| format!("truncating {}: {e}", p.file))?;
    println!(
        "Successfully truncated AOF {} to {} bytes",
        p.file, p.ok_up_to
    );
    let again = analyze(&source);
    match again.problem {
        None => {
            println!("AOF is valid");
            Ok(0)
        }
        Some(p) => {
            println!(
                "still a problem: {} at byte {}: {}",
                p.file, p.offset, p.message
            );
            Ok(1)
        }
    }
}

/// Prints what a truncation at `p.ok_up_to` removes: the commands that parse, then the rest.
pub fn show_removed(p: &Problem) {
    println!(
        "This will shrink the AOF {} from {} bytes to {} bytes, removing {} bytes:",
        p.file,
        p.size,
        p.ok_up_to,
        p.size.saturating_sub(p.ok_up_to)
    );
    let Ok(mut r) = layout::open_commands(&p.path, p.ok_up_to) else {
        return;
    };
    let mut shown = 0;
    // Bounded: at most 20 items are read.
    while shown < 20 {
        match r.next() {
            Ok(Some(Item::Command { offset, args })) => {
                let a: Vec<String> = args.iter().map(|x| preview(x, 60)).collect();
                println!("  {offset}: {}", a.join(" "));
            }
            Ok(Some(Item::Timestamp { offset, unix })) => println!("  {offset}: #TS:{unix}"),
            Ok(None) => return,
            Err(e) => {
                let rest = read_tail(&p.path, e.offset, 80);
                println!(
                    "  {}: {} bytes that do not form a command: {}",
                    e.offset,
                    p.size.saturating_sub(e.offset),
                    repr(&rest)
                );
                return;
            }
        }
        shown += 1;
    }
    println!("  ... and more up to byte {}", p.size);
}

fn read_tail(path: &std::path::Path, from: u64, max: usize) -> Vec<u8> {
    use std::io::{Read, Seek, SeekFrom};
    let mut v = Vec::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        if f.seek(SeekFrom::Start(from)).is_ok() {
            let _ = f.take(max as u64).read_to_end(&mut v);
        }
    }
    v
}

/// Asks `Continue? [y/N]` on stdout, reads stdin.
pub fn confirm() -> Result<bool, String> {
    print!("Continue? [y/N]: ");
    io::stdout().flush().map_err(|e| e.to_string())?;
    let mut line = String::new();
    match io::stdin().lock().read_line(&mut line) {
        Ok(_) => Ok(line.trim_start().starts_with(['y', 'Y'])),
        Err(e) => Err(format!("reading stdin: {e}")),
    }
}

/// Truncates `path` to `len` bytes and fsyncs it.
pub fn truncate_file(path: &std::path::Path, len: u64) -> io::Result<()> {
    let f = OpenOptions::new().write(true).open(path)?;
    f.set_len(len)?;
    f.sync_all()
}
