//! Which commands `cat`, `stats` and `replay` keep: `--key GLOB`, `--cmd NAME`, `--db N`,
//! `--from/--to` (and replay's `--until`), plus the key positions of commands and Redis's glob.
//!
//! Positions (`--from`, `--to`, `--until`):
//! - `N`: a byte offset in the log seen as its files concatenated in load order (for a single file,
//!   the file offset);
//! - `FILE:N`: byte `N` of the file named `FILE` (as the manifest names it);
//! - `@T`: unix time T, compared with the command's time, the last `#TS:` annotation before it
//!   (commands before any annotation have no time and never match a time bound).
//!
//! `--from` keeps commands starting at or after the position (time: at or after T); `--to` and
//! `--until` keep commands starting before the offset (exclusive), or with a time at or before T
//! (inclusive, like `redis-check-aof --truncate-to-timestamp` keeps `#TS` <= T).
//!
//! `--key GLOB` (Redis's `KEYS` glob: `* ? [abc] [^a-z] \x`) keeps a command if any of its keys
//! matches. Keys are found by the positions of common commands (see [`keys_of`]): for the commands
//! listed there their real key arguments, for any other command its first argument. Commands without
//! keys (MULTI, EXEC, SELECT, FLUSHALL, ...) never match a key filter.

use crate::scan::Record;

/// A position bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    Global(u64),
    InFile(String, u64),
    Time(i64),
}

impl Bound {
    pub fn parse(s: &str) -> Result<Bound, String> {
        if let Some(t) = s.strip_prefix('@') {
            return t
                .parse::<i64>()
                .map(Bound::Time)
                .map_err(|_| format!("bad time {s:?}: expected @<unix seconds>"));
        }
        if let Some((file, off)) = s.rsplit_once(':') {
            return off
                .parse::<u64>()
                .map(|o| Bound::InFile(file.to_string(), o))
                .map_err(|_| format!("bad position {s:?}: expected FILE:OFFSET"));
        }
        s.parse::<u64>()
            .map(Bound::Global)
            .map_err(|_| format!("bad position {s:?}: expected OFFSET, FILE:OFFSET or @UNIX"))
    }

    /// Resolves a file name to its part index (`None` when the log has no such file).
    fn position(&self, parts: &[String]) -> Option<Option<(usize, u64)>> {
        match self {
            Bound::InFile(f, o) => Some(parts.iter().position(|p| p == f).map(|i| (i, *o))),
            _ => None,
        }
    }
}

/// The selection.
#[derive(Debug, Default, Clone)]
pub struct Filters {
    pub key: Option<Vec<u8>>,
    /// Lower-cased command name.
    pub cmd: Option<Vec<u8>>,
    pub db: Option<u64>,
    pub from: Option<Bound>,
    pub to: Option<Bound>,
}

impl Filters {
    /// From `--key`, `--cmd`, `--db`, `--from`, `--to` (and `until`, a synonym of `--to`).
    pub fn from_args(a: &crate::args::Args) -> Result<Filters, String> {
        let to = match (a.value("to"), a.value("until")) {
            (Some(_), Some(_)) => return Err("give --to or --until, not both".into()),
            (Some(v), None) | (None, Some(v)) => Some(Bound::parse(v)?),
            (None, None) => None,
        };
        Ok(Filters {
            key: a.value("key").map(|k| k.as_bytes().to_vec()),
            cmd: a.value("cmd").map(|c| c.to_ascii_lowercase().into_bytes()),
            db: a.number::<u64>("db")?,
            from: a.value("from").map(Bound::parse).transpose()?,
            to,
        })
    }

    /// Checks `FILE:N` bounds name a file of the log.
    pub fn validate(&self, parts: &[String]) -> Result<(), String> {
        for b in [&self.from, &self.to].into_iter().flatten() {
            if let Some(None) = b.position(parts) {
                return Err(format!(
                    "no file named in {b:?} in this AOF (files: {parts:?})"
                ));
            }
        }
        Ok(())
    }

    /// True when a record passes every filter.
    pub fn keep(&self, r: &Record, parts: &[String]) -> bool {
        if let Some(db) = self.db {
            if r.db != db {
                return false;
            }
        }
        if let Some(c) = &self.cmd {
            match r.args.first() {
                Some(n) if n.eq_ignore_ascii_case(c) => {}
                _ => return false,
            }
        }
        if let Some(b) = &self.from {
            if !self.after_from(b, r, parts) {
                return false;
            }
        }
        if let Some(b) = &self.to {
            if !self.before_to(b, r, parts) {
                return false;
            }
        }
        if let Some(g) = &self.key {
            if !keys_of(&r.args).iter().any(|k| glob_match(g, k)) {
                return false;
            }
        }
        true
    }

    fn after_from(&self, b: &Bound, r: &Record, parts: &[String]) -> bool {
        match b {
            Bound::Global(o) => r.global >= *o,
            Bound::Time(t) => r.ts.is_some_and(|ts| ts >= *t),
            Bound::InFile(..) => match b.position(parts) {
                Some(Some(p)) => (r.part, r.offset) >= p,
                _ => false,
            },
        }
    }

    fn before_to(&self, b: &Bound, r: &Record, parts: &[String]) -> bool {
        match b {
            Bound::Global(o) => r.global < *o,
            Bound::Time(t) => r.ts.is_some_and(|ts| ts <= *t),
            Bound::InFile(..) => match b.position(parts) {
                Some(Some(p)) => (r.part, r.offset) < p,
                _ => false,
            },
        }
    }

    /// True when no later record can pass `--to` (offset bounds only): the scan may stop.
    pub fn past_end(&self, r: &Record, parts: &[String]) -> bool {
        match &self.to {
            Some(b @ Bound::Global(_)) | Some(b @ Bound::InFile(..)) => {
                !self.before_to(b, r, parts)
            }
            _ => false,
        }
    }
}

/// The key arguments of a command, by the key positions of common commands; for other commands the
/// first argument. Malformed counts (`numkeys` beyond the arguments) yield what is present.
pub fn keys_of(args: &[Vec<u8>]) -> Vec<&[u8]> {
    let Some(name) = args.first() else {
        return Vec::new();
    };
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    let rest = &args[1..];
    let all = |from: usize| rest.iter().skip(from).map(|a| a.as_slice()).collect();
    let range = |from: usize, to: usize| {
        rest.iter()
            .skip(from)
            .take(to.saturating_sub(from))
            .map(|a| a.as_slice())
            .collect()
    };
    // `numkeys` at rest[at], keys after it; plus `extra` leading keys before it.
    let numkeys = |at: usize, lead: usize| -> Vec<&[u8]> {
        let n = rest
            .get(at)
            .and_then(|n| std::str::from_utf8(n).ok())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        let mut v: Vec<&[u8]> = rest.iter().take(lead).map(|a| a.as_slice()).collect();
        v.extend(rest.iter().skip(at + 1).take(n).map(|a| a.as_slice()));
        v
    };
    match name.as_str() {
        "multi" | "exec" | "discard" | "select" | "swapdb" | "flushall" | "flushdb" | "ping"
        | "script" | "function" | "publish" | "spublish" => Vec::new(),
        "del" | "unlink" | "touch" | "exists" | "watch" | "pfmerge" | "sinterstore"
        | "sunionstore" | "sdiffstore" | "pfcount" | "mget" => all(0),
        "mset" | "msetnx" => rest.iter().step_by(2).map(|a| a.as_slice()).collect(),
        "rename" | "renamenx" | "smove" | "rpoplpush" | "lmove" | "blmove" | "copy"
        | "zrangestore" | "brpoplpush" | "geosearchstore" => range(0, 2),
        "bitop" => all(1),
        "zunionstore" | "zinterstore" | "zdiffstore" => numkeys(1, 1),
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro" => numkeys(1, 0),
        "lmpop" | "zmpop" | "sintercard" | "zinter" | "zunion" | "zdiff" | "zintercard" => {
            numkeys(0, 0)
        }
        "blmpop" | "bzmpop" => numkeys(1, 0),
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" => range(0, rest.len().saturating_sub(1)),
        _ => range(0, 1),
    }
}

/// Redis's glob (`stringmatchlen`, case-sensitive): `*`, `?`, `[...]` with `^` and ranges, `\`.
pub fn glob_match(pattern: &[u8], s: &[u8]) -> bool {
    // Iterative with one backtrack point for the last `*`: linear memory, O(p*s) time.
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    if p == pattern.len() {
                        return true;
                    }
                    star = Some((p, i));
                    continue;
                }
                b'?' => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = class_match(pattern, p, s[i]) {
                        if matched {
                            p = next;
                            i += 1;
                            continue;
                        }
                    }
                }
                b'\\' if p + 1 < pattern.len() => {
                    if pattern[p + 1] == s[i] {
                        p += 2;
                        i += 1;
                        continue;
                    }
                }
                c => {
                    if c == s[i] {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, si)) => {
                p = sp;
                i = si + 1;
                star = Some((sp, si + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Matches `c` against the class starting at `pattern[p] == '['`; returns (matched, index after
/// the class). An unterminated class ends at the pattern's end, as in Redis.
fn class_match(pattern: &[u8], p: usize, c: u8) -> Option<(bool, usize)> {
    let mut j = p + 1;
    let not = pattern.get(j) == Some(&b'^');
    if not {
        j += 1;
    }
    let mut matched = false;
    while j < pattern.len() && pattern[j] != b']' {
        if pattern[j] == b'\\' && j + 1 < pattern.len() {
            if pattern[j + 1] == c {
                matched = true;
            }
            j += 2;
        } else if j + 2 < pattern.len() && pattern[j + 1] == b'-' && pattern[j + 2] != b']' {
            let (mut lo, mut hi) = (pattern[j], pattern[j + 2]);
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            if (lo..=hi).contains(&c) {
                matched = true;
            }
            j += 3;
        } else {
            if pattern[j] == c {
                matched = true;
            }
            j += 1;
        }
    }
    let next = if j < pattern.len() { j + 1 } else { j };
    Some((matched != not, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<Vec<u8>> {
        a.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn glob_like_redis_keys() {
        // Expected answers from `KEYS` on redis-server 7.0.15 with these keys set.
        assert!(glob_match(b"user:*", b"user:1"));
        assert!(!glob_match(b"user:*", b"users"));
        assert!(glob_match(b"h?llo", b"hallo"));
        assert!(glob_match(b"h[ae]llo", b"hello"));
        assert!(!glob_match(b"h[^e]llo", b"hello"));
        assert!(glob_match(b"h[a-b]llo", b"hbllo"));
        assert!(glob_match(b"*", b""));
        assert!(glob_match(b"a\\*b", b"a*b"));
        assert!(!glob_match(b"a\\*b", b"axb"));
        assert!(glob_match(b"*a*b*c", b"xxaxxbxxc"));
    }

    #[test]
    fn key_positions() {
        assert_eq!(keys_of(&v(&["SET", "k", "v"])), vec![b"k".as_slice()]);
        assert_eq!(
            keys_of(&v(&["MSET", "a", "1", "b", "2"])),
            vec![b"a".as_slice(), b"b"]
        );
        assert_eq!(
            keys_of(&v(&[
                "zunionstore",
                "d",
                "2",
                "x",
                "y",
                "WEIGHTS",
                "1",
                "2"
            ])),
            vec![b"d".as_slice(), b"x", b"y"]
        );
        assert!(keys_of(&v(&["MULTI"])).is_empty());
        assert_eq!(
            keys_of(&v(&["eval", "s", "999", "k"])),
            vec![b"k".as_slice()]
        );
    }

    #[test]
    fn bounds_parse() {
        assert_eq!(Bound::parse("12").unwrap(), Bound::Global(12));
        assert_eq!(Bound::parse("@17").unwrap(), Bound::Time(17));
        assert_eq!(
            Bound::parse("a.aof:3").unwrap(),
            Bound::InFile("a.aof".into(), 3)
        );
        assert!(Bound::parse("x").is_err());
    }
}
