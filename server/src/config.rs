//! Server configuration: redis.conf syntax, command-line `--option value` overrides, and
//! CONFIG GET/SET/REWRITE semantics, with Redis 7.0's option names, defaults and error texts.
//!
//! Every option is declared once in [`OPTIONS`] with its kind (which decides how values are parsed,
//! validated and printed). Values are stored in canonical text form (what CONFIG GET prints); the hot
//! ones are mirrored in typed fields of [`Tunables`] for the command handlers.

use crate::protocol::request::split_args;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Bool,
    Int(i64, i64),
    Memory(i64, i64),
    Enum(&'static [&'static str]),
    Str,
    /// `save` points, `notify-keyspace-events` flags and other option-specific syntaxes.
    Special,
}

pub struct OptionSpec {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub default: &'static str,
    pub mutable: bool,
}

const fn opt(name: &'static str, kind: Kind, default: &'static str) -> OptionSpec {
    OptionSpec {
        name,
        alias: None,
        kind,
        default,
        mutable: true,
    }
}
const fn fixed(name: &'static str, kind: Kind, default: &'static str) -> OptionSpec {
    OptionSpec {
        name,
        alias: None,
        kind,
        default,
        mutable: false,
    }
}
const fn aliased(
    name: &'static str,
    alias: &'static str,
    kind: Kind,
    default: &'static str,
) -> OptionSpec {
    OptionSpec {
        name,
        alias: Some(alias),
        kind,
        default,
        mutable: true,
    }
}

const I32: i64 = i32::MAX as i64;
const LL: i64 = i64::MAX;
const POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];

/// Options CONFIG SET refuses unless `enable-protected-configs` allows it (as Redis 7.0).
const PROTECTED: &[&str] = &["dir", "dbfilename"];

/// Every option the server knows, in Redis's spelling.
pub static OPTIONS: &[OptionSpec] = &[
    opt("port", Kind::Int(0, 65535), "6379"),
    opt("bind", Kind::Special, "127.0.0.1"),
    fixed("databases", Kind::Int(1, I32), "16"),
    fixed("disable-thp", Kind::Bool, "yes"),
    opt("dir", Kind::Special, ""),
    opt("dbfilename", Kind::Str, "dump.rdb"),
    opt("maxclients", Kind::Int(1, I32), "10000"),
    opt("timeout", Kind::Int(0, I32), "0"),
    opt("requirepass", Kind::Str, ""),
    opt("masterauth", Kind::Str, ""),
    opt("maxmemory", Kind::Memory(0, LL), "0"),
    opt("maxmemory-policy", Kind::Enum(POLICIES), "noeviction"),
    opt("maxmemory-samples", Kind::Int(1, I32), "5"),
    opt("maxmemory-eviction-tenacity", Kind::Int(0, 100), "10"),
    opt("maxmemory-clients", Kind::Memory(0, LL), "0"),
    opt("replica-lazy-flush", Kind::Bool, "no"),
    opt("replica-ignore-maxmemory", Kind::Bool, "yes"),
    opt("repl-timeout", Kind::Int(1, I32), "60"),
    opt("repl-ping-replica-period", Kind::Int(1, I32), "10"),
    opt("activedefrag", Kind::Bool, "no"),
    opt("shutdown-timeout", Kind::Int(0, I32), "10"),
    opt("shutdown-on-sigint", Kind::Special, "default"),
    opt("shutdown-on-sigterm", Kind::Special, "default"),
    opt(
        "sanitize-dump-payload",
        Kind::Enum(&["no", "yes", "clients"]),
        "no",
    ),
    fixed("cluster-config-file", Kind::Str, "nodes.conf"),
    opt("cluster-node-timeout", Kind::Int(0, LL), "15000"),
    opt("acllog-max-len", Kind::Int(0, LL), "128"),
    opt("tracking-table-max-keys", Kind::Int(0, LL), "1000000"),
    opt("rdb-del-sync-files", Kind::Bool, "no"),
    opt("rdb-save-incremental-fsync", Kind::Bool, "yes"),
    opt("aof-rewrite-incremental-fsync", Kind::Bool, "yes"),
    aliased(
        "hash-max-listpack-entries",
        "hash-max-ziplist-entries",
        Kind::Int(0, LL),
        "512",
    ),
    aliased(
        "hash-max-listpack-value",
        "hash-max-ziplist-value",
        Kind::Memory(0, LL),
        "64",
    ),
    aliased(
        "zset-max-listpack-entries",
        "zset-max-ziplist-entries",
        Kind::Int(0, LL),
        "128",
    ),
    aliased(
        "zset-max-listpack-value",
        "zset-max-ziplist-value",
        Kind::Memory(0, LL),
        "64",
    ),
    aliased(
        "list-max-listpack-size",
        "list-max-ziplist-size",
        Kind::Int(i32::MIN as i64, I32),
        "-2",
    ),
    opt("list-compress-depth", Kind::Int(0, I32), "0"),
    opt("set-max-intset-entries", Kind::Int(0, LL), "512"),
    opt("hll-sparse-max-bytes", Kind::Memory(0, LL), "3000"),
    opt("stream-node-max-bytes", Kind::Memory(0, LL), "4096"),
    opt("stream-node-max-entries", Kind::Int(0, LL), "100"),
    opt("save", Kind::Special, "3600 1 300 100 60 10000"),
    opt("appendonly", Kind::Bool, "no"),
    opt(
        "appendfsync",
        Kind::Enum(&["always", "everysec", "no"]),
        "everysec",
    ),
    fixed("appendfilename", Kind::Str, "appendonly.aof"),
    fixed("appenddirname", Kind::Str, "appendonlydir"),
    opt("aof-use-rdb-preamble", Kind::Bool, "yes"),
    opt("aof-load-truncated", Kind::Bool, "yes"),
    opt("aof-timestamp-enabled", Kind::Bool, "no"),
    opt("auto-aof-rewrite-percentage", Kind::Int(0, I32), "100"),
    opt("auto-aof-rewrite-min-size", Kind::Memory(0, LL), "67108864"),
    opt("no-appendfsync-on-rewrite", Kind::Bool, "no"),
    opt("rdbcompression", Kind::Bool, "yes"),
    opt("rdbchecksum", Kind::Bool, "yes"),
    // Redis's hidden test knob: the serialiser sleeps this many microseconds after each key
    // (negative values, nanoseconds in later Redis versions, count as 0).
    opt("rdb-key-save-delay", Kind::Int(-I32 - 1, I32), "0"),
    opt("stop-writes-on-bgsave-error", Kind::Bool, "yes"),
    opt(
        "proto-max-bulk-len",
        Kind::Memory(1024 * 1024, LL),
        "536870912",
    ),
    opt(
        "client-query-buffer-limit",
        Kind::Memory(1024 * 1024, LL),
        "1073741824",
    ),
    opt("notify-keyspace-events", Kind::Special, ""),
    opt(
        "loglevel",
        Kind::Enum(&["debug", "verbose", "notice", "warning", "nothing"]),
        "notice",
    ),
    fixed("logfile", Kind::Str, ""),
    fixed("daemonize", Kind::Bool, "no"),
    fixed("pidfile", Kind::Str, ""),
    opt("tcp-keepalive", Kind::Int(0, I32), "300"),
    fixed("tcp-backlog", Kind::Int(0, I32), "511"),
    opt("slowlog-log-slower-than", Kind::Int(-1, LL), "10000"),
    opt("slowlog-max-len", Kind::Int(0, LL), "128"),
    opt("latency-monitor-threshold", Kind::Int(0, LL), "0"),
    opt("latency-tracking", Kind::Bool, "yes"),
    opt("hz", Kind::Int(0, I32), "10"),
    opt("dynamic-hz", Kind::Bool, "yes"),
    opt("lfu-log-factor", Kind::Int(0, I32), "10"),
    opt("lfu-decay-time", Kind::Int(0, I32), "1"),
    opt("active-expire-effort", Kind::Int(1, 10), "1"),
    opt("lazyfree-lazy-eviction", Kind::Bool, "no"),
    opt("lazyfree-lazy-expire", Kind::Bool, "no"),
    opt("lazyfree-lazy-server-del", Kind::Bool, "no"),
    opt("lazyfree-lazy-user-del", Kind::Bool, "no"),
    opt("lazyfree-lazy-user-flush", Kind::Bool, "no"),
    opt("activerehashing", Kind::Bool, "yes"),
    opt("protected-mode", Kind::Bool, "yes"),
    fixed(
        "enable-debug-command",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
    ),
    fixed(
        "enable-protected-configs",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
    ),
    fixed(
        "enable-module-command",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
    ),
    opt("replica-read-only", Kind::Bool, "yes"),
    opt("replica-serve-stale-data", Kind::Bool, "yes"),
    opt("repl-backlog-size", Kind::Memory(1, LL), "1048576"),
    opt("repl-backlog-ttl", Kind::Int(0, I32), "3600"),
    opt("repl-diskless-sync", Kind::Bool, "yes"),
    opt("repl-diskless-sync-delay", Kind::Int(0, I32), "5"),
    opt(
        "repl-diskless-load",
        Kind::Enum(&["disabled", "on-empty-db", "swapdb"]),
        "disabled",
    ),
    opt("min-replicas-to-write", Kind::Int(0, I32), "0"),
    opt("min-replicas-max-lag", Kind::Int(0, I32), "10"),
    opt("replica-priority", Kind::Int(0, I32), "100"),
    opt("replicaof", Kind::Special, ""),
    fixed("cluster-enabled", Kind::Bool, "no"),
    opt("lua-time-limit", Kind::Int(0, LL), "5000"),
    opt("busy-reply-threshold", Kind::Int(0, LL), "5000"),
    opt(
        "client-output-buffer-limit",
        Kind::Special,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ),
    fixed("io-threads", Kind::Int(1, 128), "1"),
    opt("unixsocket", Kind::Str, ""),
    opt("unixsocketperm", Kind::Int(0, 777), "0"),
    fixed(
        "supervised",
        Kind::Enum(&["no", "upstart", "systemd", "auto"]),
        "no",
    ),
];

/// Typed copies of the options the command handlers read on hot paths.
#[derive(Clone, Debug)]
pub struct Tunables {
    pub hash_max_entries: usize,
    pub hash_max_value: usize,
    pub zset_max_entries: usize,
    pub zset_max_value: usize,
    pub set_max_intset: usize,
    pub hll_sparse_max_bytes: usize,
    pub stream_node_max_bytes: usize,
    pub stream_node_max_entries: usize,
    pub proto_max_bulk_len: usize,
    pub query_buffer_limit: usize,
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub maxmemory_samples: usize,
    pub lfu_log_factor: i64,
    pub lfu_decay_time: i64,
    pub notify_flags: u32,
    pub requirepass: Option<Vec<u8>>,
    pub slowlog_slower_than: i64,
    pub latency_threshold_ms: u64,
    pub slowlog_max_len: usize,
    pub timeout_secs: u64,
    pub maxclients: usize,
    pub databases: usize,
    pub active_expire_effort: u32,
    pub hz: u32,
}

pub struct Config {
    values: BTreeMap<&'static str, String>,
    /// The config file the server started with, for CONFIG REWRITE.
    pub file: Option<PathBuf>,
    pub tunables: Tunables,
    /// The keyspace event classes as set (CONFIG GET's text does not show `n`, like Redis 7.0).
    notify_flags: u32,
}

/// A configuration error, with Redis's wording.
#[derive(Debug)]
pub struct ConfigError(pub String);

fn find(name: &str) -> Option<&'static OptionSpec> {
    let lower = name.to_ascii_lowercase();
    OPTIONS
        .iter()
        .find(|o| o.name == lower || o.alias == Some(lower.as_str()))
}

/// Parses Redis memory units: `1gb`, `100mb`, `1k` (1000), `1kb` (1024), plain bytes.
pub fn parse_memory(s: &str) -> Option<i64> {
    let l = s.to_ascii_lowercase();
    let (num, mul) = [
        ("gb", 1i64 << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
        ("g", 1_000_000_000),
        ("m", 1_000_000),
        ("k", 1000),
        ("b", 1),
    ]
    .iter()
    .find_map(|(suf, mul)| l.strip_suffix(suf).map(|n| (n.to_string(), *mul)))
    .unwrap_or((l.clone(), 1));
    if num.starts_with('-') || num.starts_with('+') {
        return None;
    }
    let n: i64 = num.parse().ok()?;
    n.checked_mul(mul)
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    pub fn new() -> Config {
        let mut values = BTreeMap::new();
        for o in OPTIONS {
            values.insert(o.name, o.default.to_string());
        }
        let dir = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| ".".into());
        values.insert("dir", dir);
        let mut c = Config {
            values,
            file: None,
            tunables: dummy_tunables(),
            notify_flags: 0,
        };
        c.refresh();
        c
    }

    /// Builds the configuration from `redoubt-server [config-file] [--name value ...]`.
    pub fn from_args(args: &[String]) -> Result<Config, ConfigError> {
        let mut config = Config::new();
        let mut text = String::new();
        let mut rest = args;
        if let Some(first) = args.first() {
            if !first.starts_with("--") {
                let body = std::fs::read_to_string(first).map_err(|e| {
                    ConfigError(format!(
                        "Fatal error, can't open config file '{first}': {e}"
                    ))
                })?;
                config.file =
                    Some(std::fs::canonicalize(first).unwrap_or_else(|_| PathBuf::from(first)));
                text.push_str(&body);
                text.push('\n');
                rest = &args[1..];
            }
        }
        // `--name a b --other c` becomes the lines "name a b" and "other c"; values are quoted so that
        // an empty argument (`--save ""`) survives.
        let mut line: Vec<String> = Vec::new();
        for a in rest {
            if let Some(name) = a.strip_prefix("--") {
                if !line.is_empty() {
                    text.push_str(&line.join(" "));
                    text.push('\n');
                }
                line = vec![name.to_string()];
            } else {
                line.push(quote(a));
            }
        }
        if !line.is_empty() {
            text.push_str(&line.join(" "));
            text.push('\n');
        }
        config.load_text(&text)?;
        Ok(config)
    }

    /// Applies redis.conf-syntax text.
    pub fn load_text(&mut self, text: &str) -> Result<(), ConfigError> {
        let mut saw_save = false;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words = split_args(line.as_bytes()).ok_or_else(|| {
                ConfigError(format!(
                    "*** FATAL CONFIG FILE ERROR *** line {}: Unbalanced quotes",
                    n + 1
                ))
            })?;
            let words: Vec<String> = words
                .into_iter()
                .map(|w| String::from_utf8_lossy(&w).into_owned())
                .collect();
            let Some((name, vals)) = words.split_first() else {
                continue;
            };
            if name.eq_ignore_ascii_case("include") {
                for path in vals {
                    let body = std::fs::read_to_string(path).map_err(|e| {
                        ConfigError(format!("can't open include file '{path}': {e}"))
                    })?;
                    self.load_text(&body)?;
                }
                continue;
            }
            // Several `save` lines in one file accumulate, as in redis.conf.
            let value = if name.eq_ignore_ascii_case("save") && !vals.iter().all(|v| v.is_empty()) {
                if saw_save {
                    format!("{} {}", self.get("save").unwrap_or(""), vals.join(" "))
                } else {
                    vals.join(" ")
                }
            } else {
                vals.join(" ")
            };
            if name.eq_ignore_ascii_case("save") {
                saw_save = true;
            }
            self.set_internal(name, &value, true).map_err(|e| {
                ConfigError(format!(
                    "*** FATAL CONFIG FILE ERROR *** line {}: '{}': {}",
                    n + 1,
                    line,
                    e.0
                ))
            })?;
        }
        self.refresh();
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        find(name)
            .and_then(|o| self.values.get(o.name))
            .map(|s| s.as_str())
    }

    /// CONFIG GET: all options whose name (or alias) matches any of the glob patterns.
    pub fn matching(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        // A pattern without glob characters is a plain lookup, answered with the name as given.
        for p in patterns {
            if !p.iter().any(|c| matches!(c, b'*' | b'?' | b'[')) {
                let name = String::from_utf8_lossy(p).into_owned();
                if let Some(v) = self.get(&name) {
                    out.push((name, v.to_string()));
                }
            }
        }
        let plain: Vec<String> = out.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
        for o in OPTIONS {
            if plain
                .iter()
                .any(|n| n == o.name || Some(n.as_str()) == o.alias)
            {
                continue;
            }
            for name in std::iter::once(o.name).chain(o.alias) {
                if patterns
                    .iter()
                    .any(|p| crate::glob::matches(p, name.as_bytes(), true))
                {
                    if let Some(v) = self.values.get(o.name) {
                        out.push((name.to_string(), v.clone()));
                    }
                }
            }
        }
        out.sort();
        out.dedup_by(|a, b| a.0 == b.0);
        out
    }

    /// CONFIG SET of one option (at run time: immutable options are refused).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        self.set_internal(name, value, false)?;
        self.refresh();
        Ok(())
    }

    /// Checks a CONFIG SET without applying it.
    pub fn validate(&self, name: &str, value: &str) -> Result<(), ConfigError> {
        let o = find(name).ok_or_else(|| {
            ConfigError("Unknown option or number of arguments for CONFIG SET".into())
        })?;
        if !o.mutable {
            return Err(ConfigError("can't set immutable config".into()));
        }
        // Redis 7.0's protected configs: changeable at run time only with enable-protected-configs.
        if PROTECTED.contains(&o.name) && self.get("enable-protected-configs") == Some("no") {
            return Err(ConfigError("can't set protected config".into()));
        }
        canonical(o, value).map(|_| ())
    }

    fn set_internal(&mut self, name: &str, value: &str, startup: bool) -> Result<(), ConfigError> {
        let o = find(name)
            .ok_or_else(|| ConfigError("Bad directive or wrong number of arguments".into()))?;
        if !startup && !o.mutable {
            return Err(ConfigError("can't set immutable config".into()));
        }
        let v = canonical(o, value)?;
        if o.name == "notify-keyspace-events" {
            self.notify_flags = crate::notify::parse_flags(value).unwrap_or(0);
        }
        if o.name == "dir" {
            let path = std::path::Path::new(&v);
            if !startup || path.exists() {
                std::env::set_current_dir(path).map_err(|e| ConfigError(e.to_string()))?;
            } else {
                std::fs::create_dir_all(path)
                    .and_then(|_| std::env::set_current_dir(path))
                    .map_err(|e| ConfigError(e.to_string()))?;
            }
            let abs = std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or(v);
            self.values.insert("dir", abs);
            return Ok(());
        }
        self.values.insert(o.name, v);
        Ok(())
    }

    fn num(&self, name: &str) -> i64 {
        self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    /// Recomputes the typed copies after a change.
    pub fn refresh(&mut self) {
        let pass = self.get("requirepass").unwrap_or("").as_bytes().to_vec();
        self.tunables = Tunables {
            hash_max_entries: self.num("hash-max-listpack-entries") as usize,
            hash_max_value: self.num("hash-max-listpack-value") as usize,
            zset_max_entries: self.num("zset-max-listpack-entries") as usize,
            zset_max_value: self.num("zset-max-listpack-value") as usize,
            set_max_intset: self.num("set-max-intset-entries") as usize,
            hll_sparse_max_bytes: self.num("hll-sparse-max-bytes") as usize,
            stream_node_max_bytes: self.num("stream-node-max-bytes").max(0) as usize,
            stream_node_max_entries: self.num("stream-node-max-entries").max(0) as usize,
            proto_max_bulk_len: self.num("proto-max-bulk-len") as usize,
            query_buffer_limit: self.num("client-query-buffer-limit") as usize,
            maxmemory: self.num("maxmemory") as u64,
            maxmemory_policy: self
                .get("maxmemory-policy")
                .unwrap_or("noeviction")
                .to_string(),
            maxmemory_samples: self.num("maxmemory-samples").max(1) as usize,
            lfu_log_factor: self.num("lfu-log-factor"),
            lfu_decay_time: self.num("lfu-decay-time"),
            notify_flags: self.notify_flags,
            requirepass: if pass.is_empty() { None } else { Some(pass) },
            slowlog_slower_than: self.num("slowlog-log-slower-than"),
            latency_threshold_ms: self.num("latency-monitor-threshold").max(0) as u64,
            slowlog_max_len: self.num("slowlog-max-len") as usize,
            timeout_secs: self.num("timeout") as u64,
            maxclients: self.num("maxclients") as usize,
            databases: self.num("databases").max(1) as usize,
            active_expire_effort: self.num("active-expire-effort").clamp(1, 10) as u32,
            hz: self.num("hz").clamp(1, 500) as u32,
        };
    }

    /// CONFIG REWRITE: rewrites the config file, keeping comments and unknown lines, replacing the
    /// lines of options that differ from their defaults and appending the rest.
    pub fn rewrite(&self) -> Result<(), ConfigError> {
        let Some(path) = &self.file else {
            return Err(ConfigError(
                "The server is running without a config file".into(),
            ));
        };
        let old = std::fs::read_to_string(path).unwrap_or_default();
        let mut done = std::collections::HashSet::new();
        let mut out = Vec::new();
        for line in old.lines() {
            let t = line.trim();
            let name = t.split_whitespace().next().unwrap_or("");
            match find(name) {
                Some(o) if !t.starts_with('#') => {
                    if done.insert(o.name) {
                        if let Some(v) = self.values.get(o.name) {
                            out.push(format!("{} {}", o.name, quote_for_file(o, v)));
                        }
                    }
                }
                _ => out.push(line.to_string()),
            }
        }
        let mut appended = false;
        for o in OPTIONS {
            if done.contains(o.name) {
                continue;
            }
            let v = &self.values[o.name];
            if v != o.default && o.name != "dir" {
                if !appended {
                    out.push("# Generated by CONFIG REWRITE".into());
                    appended = true;
                }
                out.push(format!("{} {}", o.name, quote_for_file(o, v)));
            }
        }
        let tmp = path.with_extension("rewrite.tmp");
        std::fs::write(&tmp, out.join("\n") + "\n").map_err(|e| ConfigError(e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| ConfigError(e.to_string()))
    }
}

fn quote(s: &str) -> String {
    if s.is_empty() || s.contains(' ') || s.contains('"') {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        s.to_string()
    }
}

fn quote_for_file(o: &OptionSpec, v: &str) -> String {
    match (o.kind, o.name) {
        (Kind::Memory(..), _) => match v.parse::<i64>() {
            Ok(n) if n != 0 && n % (1 << 30) == 0 => format!("{}gb", n >> 30),
            Ok(n) if n != 0 && n % (1 << 20) == 0 => format!("{}mb", n >> 20),
            Ok(n) if n != 0 && n % (1 << 10) == 0 => format!("{}kb", n >> 10),
            _ => v.to_string(),
        },
        (Kind::Special, "save") if v.is_empty() => "\"\"".into(),
        (Kind::Special, _) => v.to_string(),
        _ => quote(v),
    }
}

/// Validates `value` for option `o` and returns the text CONFIG GET will print.
fn canonical(o: &OptionSpec, value: &str) -> Result<String, ConfigError> {
    match o.kind {
        Kind::Bool => match value.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err(ConfigError("argument must be 'yes' or 'no'".into())),
        },
        Kind::Int(min, max) => {
            let n: i64 = value
                .parse()
                .map_err(|_| ConfigError("argument couldn't be parsed into an integer".into()))?;
            if n < min || n > max {
                return Err(ConfigError(format!(
                    "argument must be between {min} and {max} inclusive"
                )));
            }
            // Redis clamps hz to 1..=500 instead of refusing it.
            let n = if o.name == "hz" { n.clamp(1, 500) } else { n };
            Ok(n.to_string())
        }
        Kind::Memory(min, max) => {
            let n = parse_memory(value)
                .ok_or_else(|| ConfigError("argument must be a memory value".into()))?;
            if n < min || n > max {
                return Err(ConfigError(format!(
                    "argument must be between {min} and {max} inclusive"
                )));
            }
            Ok(n.to_string())
        }
        Kind::Enum(choices) => {
            let l = value.to_ascii_lowercase();
            if choices.contains(&l.as_str()) {
                Ok(l)
            } else {
                Err(ConfigError(format!(
                    "argument(s) must be one of the following: {}",
                    choices.join(", ")
                )))
            }
        }
        Kind::Str => Ok(value.to_string()),
        Kind::Special => match o.name {
            "save" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                if !parts.len().is_multiple_of(2) || parts.iter().any(|p| p.parse::<u64>().is_err())
                {
                    return Err(ConfigError("Invalid save parameters".into()));
                }
                Ok(parts.join(" "))
            }
            "notify-keyspace-events" => {
                let flags = crate::notify::parse_flags(value).ok_or_else(|| {
                    ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into())
                })?;
                Ok(crate::notify::flags_to_string(flags))
            }
            _ => Ok(value.split_whitespace().collect::<Vec<_>>().join(" ")),
        },
    }
}

fn dummy_tunables() -> Tunables {
    Tunables {
        hash_max_entries: 128,
        hash_max_value: 64,
        zset_max_entries: 128,
        zset_max_value: 64,
        set_max_intset: 512,
        hll_sparse_max_bytes: 3000,
        stream_node_max_bytes: 4096,
        stream_node_max_entries: 100,
        proto_max_bulk_len: 512 << 20,
        query_buffer_limit: 1 << 30,
        maxmemory: 0,
        maxmemory_policy: "noeviction".into(),
        maxmemory_samples: 5,
        lfu_log_factor: 10,
        lfu_decay_time: 1,
        notify_flags: 0,
        requirepass: None,
        slowlog_slower_than: 10000,
        latency_threshold_ms: 0,
        slowlog_max_len: 128,
        timeout_secs: 0,
        maxclients: 10000,
        databases: 16,
        active_expire_effort: 1,
        hz: 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_and_aliases() {
        let args: Vec<String> = [
            "--port",
            "7000",
            "--save",
            "",
            "--hash-max-ziplist-entries",
            "4",
            "--maxmemory",
            "1mb",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let c = Config::from_args(&args).unwrap();
        assert_eq!(c.get("port"), Some("7000"));
        assert_eq!(c.get("save"), Some(""));
        assert_eq!(c.tunables.hash_max_entries, 4);
        assert_eq!(c.get("maxmemory"), Some("1048576"));
    }

    #[test]
    fn set_errors_match_redis() {
        let mut c = Config::new();
        assert_eq!(
            c.set("appendonly", "maybe").unwrap_err().0,
            "argument must be 'yes' or 'no'"
        );
        assert_eq!(
            c.set("maxmemory", "lots").unwrap_err().0,
            "argument must be a memory value"
        );
        assert_eq!(
            c.set("databases", "3").unwrap_err().0,
            "can't set immutable config"
        );
        assert!(c.set("maxmemory-policy", "ALLKEYS-LRU").is_ok());
        assert_eq!(c.get("maxmemory-policy"), Some("allkeys-lru"));
    }
}
