//! Reads the captured `COMMAND` / `COMMAND DOCS` replies of redis-server 7.0 (RESP3) into [`Reply`]
//! trees and into the typed metadata the dispatcher needs (arity, flags, key specs).

use crate::protocol::Reply;
use bytes::Bytes;

pub const COMMAND_RESP3: &[u8] = include_bytes!("reference/command.resp3");
pub const COMMAND_DOCS_RESP3: &[u8] = include_bytes!("reference/command-docs.resp3");

/// Where to start looking for keys (a key spec's `begin_search`).
#[derive(Debug, Clone, PartialEq)]
pub enum BeginSearch {
    Index(i64),
    Keyword { keyword: String, start_from: i64 },
    Unknown,
}

/// How to find keys from the start position (a key spec's `find_keys`).
#[derive(Debug, Clone, PartialEq)]
pub enum FindKeys {
    Range {
        last_key: i64,
        step: i64,
        limit: i64,
    },
    KeyNum {
        key_num_idx: i64,
        first_key: i64,
        step: i64,
    },
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeySpec {
    pub begin: BeginSearch,
    pub find: FindKeys,
    pub flags: Vec<String>,
}

/// One command's interface as Redis describes it.
#[derive(Debug, Clone)]
pub struct CommandMeta {
    /// Lower-case name; subcommands are `parent|sub`.
    pub name: String,
    pub arity: i64,
    pub flags: Vec<String>,
    pub first_key: i64,
    pub last_key: i64,
    pub step: i64,
    pub key_specs: Vec<KeySpec>,
    pub subcommands: Vec<CommandMeta>,
    /// The whole `COMMAND INFO` entry, as Redis sends it.
    pub info: Reply,
}

fn items(n: usize, mut rest: &[u8]) -> Option<(Vec<Reply>, &[u8])> {
    let mut v = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        let (r, more) = parse_resp3(rest)?;
        v.push(r);
        rest = more;
    }
    Some((v, rest))
}

/// Parses one RESP3 value from the front of `data`; returns it and the rest.
pub fn parse_resp3(data: &[u8]) -> Option<(Reply, &[u8])> {
    let end = data.windows(2).position(|w| w == b"\r\n")?;
    let (t, body) = (*data.first()?, std::str::from_utf8(&data[1..end]).ok()?);
    let rest = &data[end + 2..];
    let count = || body.parse::<usize>().ok();
    match t {
        b'+' => Some((Reply::Status(body.to_string()), rest)),
        b'-' => Some((Reply::Error(body.to_string()), rest)),
        b':' => Some((Reply::Int(body.parse().ok()?), rest)),
        b'$' => {
            let n: i64 = body.parse().ok()?;
            if n < 0 {
                return Some((Reply::Null, rest));
            }
            let n = n as usize;
            if rest.len() < n + 2 {
                return None;
            }
            Some((
                Reply::Bulk(Bytes::copy_from_slice(&rest[..n])),
                &rest[n + 2..],
            ))
        }
        b'_' => Some((Reply::Null, rest)),
        b'*' => {
            let (v, rest) = items(count()?, rest)?;
            Some((Reply::Array(v), rest))
        }
        b'~' => {
            let (v, rest) = items(count()?, rest)?;
            Some((Reply::Set(v), rest))
        }
        b'%' => {
            let (v, rest) = items(count()? * 2, rest)?;
            let mut pairs = Vec::with_capacity(v.len() / 2);
            let mut it = v.into_iter();
            while let (Some(k), Some(val)) = (it.next(), it.next()) {
                pairs.push((k, val));
            }
            Some((Reply::Map(pairs), rest))
        }
        _ => None,
    }
}

fn text(r: &Reply) -> Option<String> {
    match r {
        Reply::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Reply::Status(s) => Some(s.clone()),
        _ => None,
    }
}

fn int(r: &Reply) -> Option<i64> {
    match r {
        Reply::Int(i) => Some(*i),
        _ => None,
    }
}

fn map_get<'a>(r: &'a Reply, key: &str) -> Option<&'a Reply> {
    match r {
        Reply::Map(pairs) => pairs
            .iter()
            .find(|(k, _)| text(k).as_deref() == Some(key))
            .map(|(_, v)| v),
        _ => None,
    }
}

fn list(r: &Reply) -> &[Reply] {
    match r {
        Reply::Array(v) | Reply::Set(v) => v,
        _ => &[],
    }
}

fn parse_key_spec(r: &Reply) -> KeySpec {
    let flags = map_get(r, "flags")
        .map(|f| list(f).iter().filter_map(text).collect())
        .unwrap_or_default();
    let begin = map_get(r, "begin_search")
        .and_then(|b| {
            let ty = text(map_get(b, "type")?)?;
            let spec = map_get(b, "spec")?;
            Some(match ty.as_str() {
                "index" => BeginSearch::Index(int(map_get(spec, "index")?)?),
                "keyword" => BeginSearch::Keyword {
                    keyword: text(map_get(spec, "keyword")?)?,
                    start_from: int(map_get(spec, "startfrom")?)?,
                },
                _ => BeginSearch::Unknown,
            })
        })
        .unwrap_or(BeginSearch::Unknown);
    let find = map_get(r, "find_keys")
        .and_then(|b| {
            let ty = text(map_get(b, "type")?)?;
            let spec = map_get(b, "spec")?;
            Some(match ty.as_str() {
                "range" => FindKeys::Range {
                    last_key: int(map_get(spec, "lastkey")?)?,
                    step: int(map_get(spec, "keystep")?)?,
                    limit: int(map_get(spec, "limit")?)?,
                },
                "keynum" => FindKeys::KeyNum {
                    key_num_idx: int(map_get(spec, "keynumidx")?)?,
                    first_key: int(map_get(spec, "firstkey")?)?,
                    step: int(map_get(spec, "keystep")?)?,
                },
                _ => FindKeys::Unknown,
            })
        })
        .unwrap_or(FindKeys::Unknown);
    KeySpec { begin, find, flags }
}

/// Builds the metadata of one `COMMAND INFO` entry (and its subcommands).
pub fn parse_meta(info: &Reply) -> Option<CommandMeta> {
    let f = list(info);
    if f.len() < 10 {
        return None;
    }
    Some(CommandMeta {
        name: text(&f[0])?.to_ascii_lowercase(),
        arity: int(&f[1])?,
        flags: list(&f[2]).iter().filter_map(text).collect(),
        first_key: int(&f[3])?,
        last_key: int(&f[4])?,
        step: int(&f[5])?,
        key_specs: list(&f[8]).iter().map(parse_key_spec).collect(),
        subcommands: list(&f[9]).iter().filter_map(parse_meta).collect(),
        info: info.clone(),
    })
}

/// Every command Redis 7.0 describes.
pub fn all_commands() -> Vec<CommandMeta> {
    match parse_resp3(COMMAND_RESP3) {
        Some((Reply::Array(items), _)) => items.iter().filter_map(parse_meta).collect(),
        _ => Vec::new(),
    }
}

/// `COMMAND DOCS` entries by lower-case name (subcommands are nested inside their parent's docs).
pub fn all_docs() -> Vec<(String, Reply)> {
    match parse_resp3(COMMAND_DOCS_RESP3) {
        Some((Reply::Map(pairs), _)) => pairs
            .into_iter()
            .filter_map(|(k, v)| Some((text(&k)?.to_ascii_lowercase(), v)))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_parses_completely() {
        let all = all_commands();
        assert_eq!(all.len(), 240);
        let set = all.iter().find(|c| c.name == "set").unwrap();
        assert_eq!(set.arity, -3);
        assert!(set.flags.iter().any(|f| f == "write"));
        assert_eq!((set.first_key, set.last_key, set.step), (1, 1, 1));
        let zunion = all.iter().find(|c| c.name == "zunionstore").unwrap();
        assert!(matches!(zunion.key_specs[1].find, FindKeys::KeyNum { .. }));
        let config = all.iter().find(|c| c.name == "config").unwrap();
        assert!(config.subcommands.iter().any(|c| c.name == "config|get"));
        assert!(all_docs().len() >= 240);
    }
}
