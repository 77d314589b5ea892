//! Key selection shared by `dump`, `convert` and `diff`: `--db`, `--key REGEX`, `--type`,
//! `--not-expired`.

use redoubt_rdb::reader::KeyHeader;
use redoubt_rdb::value::ValueType;
use regex::bytes::Regex;

use crate::args::Args;

pub struct Filter {
    dbs: Vec<u64>,
    key: Option<Regex>,
    types: Vec<ValueType>,
    now_ms: Option<i64>,
}

impl Filter {
    pub fn from_args(a: &Args) -> Result<Filter, String> {
        let dbs = a
            .values("db")
            .iter()
            .map(|d| {
                d.parse::<u64>()
                    .map_err(|_| format!("--db: not a database number: {d}"))
            })
            .collect::<Result<_, _>>()?;
        let key = a
            .value("key")
            .map(|r| Regex::new(r).map_err(|e| format!("--key: {e}")))
            .transpose()?;
        let types = a
            .values("type")
            .iter()
            .map(|t| ValueType::from_name(t).ok_or_else(|| format!("--type: unknown type {t}")))
            .collect::<Result<_, _>>()?;
        let now_ms = a.has("not-expired").then(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0)
        });
        Ok(Filter {
            dbs,
            key,
            types,
            now_ms,
        })
    }

    pub fn accepts(&self, h: &KeyHeader) -> bool {
        (self.dbs.is_empty() || self.dbs.contains(&h.db))
            && match &self.key {
                Some(r) => r.is_match(&h.key),
                None => true,
            }
            && (self.types.is_empty() || self.types.contains(&h.value_type()))
            && match (self.now_ms, h.meta.expire_ms) {
                (Some(now), Some(exp)) => exp > now,
                _ => true,
            }
    }
}
