//! `redoubt-aof cat`: lists the commands of an AOF, one per line, with file, offset, time and db.

use std::io::{self, BufWriter, Write};

use redoubt_aof::command::encode_command;

use crate::args::{Args, Spec};
use crate::filter::Filters;
use crate::quote::{json_bytes, json_str, repr};
use crate::scan::{Event, Flow, Scanner, SelectSynth};

pub const SPEC: Spec = Spec {
    valued: &["key", "cmd", "db", "from", "to", "format"],
    flags: &["help"],
};

pub const HELP: &str = "\
usage: redoubt-aof cat DIR|MANIFEST|FILE [--key GLOB] [--cmd NAME] [--db N]
                       [--from POS] [--to POS] [--format text|json|resp]

Lists the commands of an AOF in load order (base, then incr files by seq).
  text  FILE:OFFSET  @UNIX|-  db=N  \"arg\" \"arg\" ...   (redis-cli quoting, \\xHH escapes)
  json  one object per line: {\"file\",\"offset\",\"ts\",\"db\",\"args\"}; non-UTF-8 args as {\"hex\":..}
  resp  the commands as RESP (pipe into `redis-cli --pipe`); the log's SELECTs are replaced
        by a SELECT before the first command of each other database
An RDB base is summarised in one line (its keys are not listed; `replay` sends them as RESTORE).
POS is OFFSET (in the files concatenated in load order), FILE:OFFSET, or @UNIX (time of the
last #TS: annotation before a command). --from is inclusive, --to exclusive for offsets and
inclusive for times. --key matches any key argument of common commands (the first argument
of other commands) against a Redis glob.";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Resp,
}

pub fn run(a: &Args) -> Result<i32, String> {
    let [path] = a.positional.as_slice() else {
        return Err("cat needs one DIR|FILE argument".into());
    };
    let format = match a.value("format").unwrap_or("text") {
        "text" => Format::Text,
        "json" => Format::Json,
        "resp" => Format::Resp,
        f => return Err(format!("unknown --format {f}")),
    };
    let filters = Filters::from_args(a)?;
    let source =
        redoubt_aof::layout::open(std::path::Path::new(path)).map_err(|e| e.to_string())?;
    let scanner = Scanner::new(&source);
    filters.validate(&scanner.names)?;
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(256 * 1024, stdout.lock());
    let mut write_err: Option<io::Error> = None;
    let mut synth = SelectSynth::default();
    let mut buf = Vec::new();
    let mut line = String::new();
    let res = scanner.run(|ev| {
        buf.clear();
        line.clear();
        match ev {
            Event::Part {
                part, preamble, size, ..
            } => {
                if let Some(p) = preamble {
                    let dbs: Vec<String> =
                        p.keys_by_db.iter().map(|(d, n)| format!("db{d}={n}")).collect();
                    match format {
                        Format::Text => line.push_str(&format!(
                            "# {}: RDB preamble (RDB version {}), {} keys ({}), {} functions; \
                             commands from byte {} of {}\n",
                            part.name,
                            p.version,
                            p.keys(),
                            dbs.join(" "),
                            p.functions,
                            p.end_offset,
                            size
                        )),
                        Format::Json => {
                            line.push_str("{\"file\":");
                            json_str(&mut line, &part.name);
                            line.push_str(&format!(
                                ",\"rdb_preamble\":{{\"version\":{},\"keys\":{},\"functions\":{},\"end_offset\":{}}}}}\n",
                                p.version,
                                p.keys(),
                                p.functions,
                                p.end_offset
                            ));
                        }
                        Format::Resp => eprintln!(
                            "note: {} starts with an RDB preamble of {} keys, not included \
                             (use `replay`, which sends them as RESTORE)",
                            part.name,
                            p.keys()
                        ),
                    }
                }
            }
            Event::Timestamp { .. } => {}
            Event::Record(r) => {
                if filters.past_end(&r, &scanner.names) {
                    return Flow::Stop;
                }
                if !filters.keep(&r, &scanner.names) {
                    return Flow::Continue;
                }
                match format {
                    Format::Text => {
                        line.push_str(&format!("{}:{}", scanner.names[r.part], r.offset));
                        match r.ts {
                            Some(t) => line.push_str(&format!("  @{t}")),
                            None => line.push_str("  -"),
                        }
                        line.push_str(&format!("  db={} ", r.db));
                        for a in &r.args {
                            line.push(' ');
                            line.push_str(&repr(a));
                        }
                        line.push('\n');
                    }
                    Format::Json => {
                        line.push_str("{\"file\":");
                        json_str(&mut line, &scanner.names[r.part]);
                        line.push_str(&format!(",\"offset\":{},\"ts\":", r.offset));
                        match r.ts {
                            Some(t) => line.push_str(&t.to_string()),
                            None => line.push_str("null"),
                        }
                        line.push_str(&format!(",\"db\":{},\"args\":[", r.db));
                        for (i, a) in r.args.iter().enumerate() {
                            if i > 0 {
                                line.push(',');
                            }
                            json_bytes(&mut line, a);
                        }
                        line.push_str("]}\n");
                    }
                    Format::Resp => {
                        if SelectSynth::is_select(&r) {
                            return Flow::Continue;
                        }
                        if let Some(sel) = synth.before(&r) {
                            let refs: Vec<&[u8]> = sel.iter().map(|x| x.as_slice()).collect();
                            encode_command(&mut buf, &refs);
                        }
                        let refs: Vec<&[u8]> = r.args.iter().map(|x| x.as_slice()).collect();
                        encode_command(&mut buf, &refs);
                    }
                }
            }
        }
        let w = if buf.is_empty() {
            out.write_all(line.as_bytes())
        } else {
            out.write_all(&buf)
        };
        match w {
            Ok(()) => Flow::Continue,
            Err(e) => {
                write_err = Some(e);
                Flow::Stop
            }
        }
    });
    let flushed = out.flush();
    if let Some(e) = write_err.or(flushed.err()) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return Ok(0);
        }
        return Err(format!("writing the output: {e}"));
    }
    match res {
        Ok(()) => Ok(0),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(1)
        }
    }
}
