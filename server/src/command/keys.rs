//! Finding a command's key arguments from its key specs (Redis 7's `getKeysUsingKeySpecs`).
//!
//! The same answer drives `COMMAND GETKEYS` today and cluster redirection and lock selection later.

use super::reference::{BeginSearch, CommandMeta, FindKeys};
use bytes::Bytes;

/// Positions in `args` (0 = command name) of the key arguments, in spec order, without duplicates of
/// the same position. A malformed key count yields `None`, like Redis's "Invalid arguments".
pub fn key_positions(meta: &CommandMeta, args: &[Bytes]) -> Option<Vec<usize>> {
    Some(
        keys_with_specs(meta, args)?
            .into_iter()
            .map(|(p, _)| p)
            .collect(),
    )
}

/// Like [`key_positions`], with the index of the key spec that found each key (for its flags).
pub fn keys_with_specs(meta: &CommandMeta, args: &[Bytes]) -> Option<Vec<(usize, usize)>> {
    let argc = args.len() as i64;
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (spec_idx, spec) in meta.key_specs.iter().enumerate() {
        let first = match &spec.begin {
            BeginSearch::Index(i) => {
                if *i >= 0 {
                    *i
                } else {
                    argc + i
                }
            }
            BeginSearch::Keyword {
                keyword,
                start_from,
            } => {
                let (from, step, end): (i64, i64, i64) = if *start_from >= 0 {
                    (*start_from, 1, argc)
                } else {
                    (argc + start_from, -1, 0)
                };
                let mut found = None;
                let mut i = from;
                while (step > 0 && i < end) || (step < 0 && i > end) {
                    if i >= 0
                        && i < argc
                        && args[i as usize].eq_ignore_ascii_case(keyword.as_bytes())
                    {
                        found = Some(i + 1);
                        break;
                    }
                    i += step;
                }
                match found {
                    Some(f) => f,
                    None => continue,
                }
            }
            BeginSearch::Unknown => continue,
        };
        if first <= 0 || first >= argc {
            continue;
        }
        let (last, step) = match &spec.find {
            FindKeys::Range {
                last_key,
                step,
                limit,
            } => {
                let last = if *last_key >= 0 {
                    first + last_key
                } else if *limit <= 1 {
                    argc + last_key
                } else {
                    first + ((argc - first) / limit + last_key)
                };
                (last, *step)
            }
            FindKeys::KeyNum {
                key_num_idx,
                first_key,
                step,
            } => {
                let idx = first + key_num_idx;
                if idx >= argc {
                    return None;
                }
                let n: i64 = std::str::from_utf8(&args[idx as usize])
                    .ok()?
                    .parse()
                    .ok()?;
                if n <= 0 {
                    continue;
                }
                let start = first + first_key;
                let last = start + (n - 1) * step;
                if last >= argc {
                    return None;
                }
                let mut i = start;
                while i <= last {
                    push_unique(&mut out, i as usize, spec_idx);
                    i += step;
                }
                continue;
            }
            FindKeys::Unknown => continue,
        };
        let last = last.min(argc - 1);
        let step = step.max(1);
        let mut i = first;
        while i <= last {
            push_unique(&mut out, i as usize, spec_idx);
            i += step;
        }
    }
    Some(out)
}

fn push_unique(out: &mut Vec<(usize, usize)>, i: usize, spec: usize) {
    if !out.iter().any(|(p, _)| *p == i) {
        out.push((i, spec));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::reference::all_commands;

    fn keys(cmd: &str, args: &[&str]) -> Option<Vec<usize>> {
        let all = all_commands();
        let meta = all.iter().find(|c| c.name == cmd).unwrap();
        let args: Vec<Bytes> = args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        key_positions(meta, &args)
    }

    #[test]
    fn key_specs_find_keys_like_redis() {
        assert_eq!(keys("set", &["set", "k", "v"]), Some(vec![1]));
        assert_eq!(
            keys("mset", &["mset", "a", "1", "b", "2"]),
            Some(vec![1, 3])
        );
        assert_eq!(
            keys(
                "zunionstore",
                &["zunionstore", "d", "2", "a", "b", "weights", "1", "2"]
            ),
            Some(vec![1, 3, 4])
        );
        assert_eq!(keys("blpop", &["blpop", "a", "b", "0"]), Some(vec![1, 2]));
        assert_eq!(
            keys(
                "xread",
                &["xread", "count", "2", "streams", "s1", "s2", "0", "0"]
            ),
            Some(vec![4, 5])
        );
        assert_eq!(keys("zunionstore", &["zunionstore", "d", "5", "a"]), None);
    }
}
