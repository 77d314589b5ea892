//! Server commands: INFO, CONFIG, DBSIZE, FLUSHDB/FLUSHALL, TIME, LASTSAVE, DEBUG, MONITOR, SLOWLOG,
//! LATENCY, MEMORY USAGE, SHUTDOWN.

use super::{int_arg, is, syntax_error, text};
use crate::client::Outbound;
use crate::command::Handler;
use crate::commands::connection::help_reply;
use crate::protocol::Reply;
use crate::server::{Ctx, State};
use crate::types::Value;
use bytes::Bytes;
use std::fmt::Write;

/// The Redis version we report (INFO, HELLO): clients gate features on it.
pub const REDIS_VERSION: &str = "7.0.15";

pub const HANDLERS: &[(&str, Handler)] = &[
    ("info", info),
    ("config|get", config_get),
    ("config|set", config_set),
    ("config|resetstat", config_resetstat),
    ("config|rewrite", config_rewrite),
    ("config|help", config_help),
    ("dbsize", dbsize),
    ("flushdb", flushdb),
    ("flushall", flushall),
    ("time", time),
    ("lastsave", lastsave),
    ("debug", debug),
    ("monitor", monitor),
    ("slowlog|get", slowlog_get),
    ("slowlog|len", slowlog_len),
    ("slowlog|reset", slowlog_reset),
    ("slowlog|help", slowlog_help),
    ("latency|latest", latency_latest),
    ("latency|history", latency_history),
    ("latency|reset", latency_reset),
    ("latency|doctor", latency_doctor),
    ("latency|help", latency_help),
    ("memory|usage", memory_usage),
    ("shutdown", shutdown),
];

const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];

fn info(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut wanted: Vec<String> = args[1..]
        .iter()
        .map(|a| text(a).to_ascii_lowercase())
        .collect();
    let all = wanted.iter().any(|w| w == "all" || w == "everything");
    if wanted.is_empty() || wanted.iter().any(|w| w == "default") {
        wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
    }
    if all {
        wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
        wanted.push("commandstats".into());
        wanted.push("latencystats".into());
    }
    let order = [
        "server",
        "clients",
        "memory",
        "persistence",
        "stats",
        "replication",
        "cpu",
        "modules",
        "commandstats",
        "errorstats",
        "latencystats",
        "cluster",
        "keyspace",
    ];
    let mut out = String::new();
    for section in order {
        if !wanted.iter().any(|w| w == section) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        section_text(ctx, section, &mut out);
    }
    Reply::Verbatim(out)
}

fn section_text(ctx: &mut Ctx, section: &str, out: &mut String) {
    let now = ctx.now_ms;
    let shared = ctx.shared;
    let st: &State = ctx.st;
    let w = out;
    match section {
        "server" => {
            let uptime = shared.started.elapsed().as_secs();
            let _ = write!(
                w,
                "# Server\r\nredis_version:{REDIS_VERSION}\r\nredoubt_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:standalone\r\nos:{} {}\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\ngcc_version:0.0.0\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\nlru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\n",
                env!("CARGO_PKG_VERSION"),
                std::env::consts::OS,
                std::env::consts::ARCH,
                std::process::id(),
                shared.run_id,
                shared.port,
                now * 1000,
                uptime,
                uptime / 86400,
                st.config.tunables.hz,
                st.config.tunables.hz,
                crate::server::lru_clock(now),
                shared.executable,
                shared.config_file
            );
        }
        "clients" => {
            let blocked = st.clients.values().filter(|c| c.blocked).count();
            let pubsub = st
                .clients
                .values()
                .filter(|c| c.subscriptions + c.psubscriptions > 0)
                .count();
            let _ = write!(
                w,
                "# Clients\r\nconnected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\nblocked_clients:{}\r\ntracking_clients:0\r\nclients_in_timeout_table:{}\r\npubsub_clients:{}\r\n",
                st.clients.len(),
                st.config.tunables.maxclients,
                blocked,
                st.blocking.clients.values().filter(|b| b.spec.deadline_ms.is_some()).count(),
                pubsub
            );
        }
        "memory" => {
            let used = st.used_memory();
            let rss = crate::alloc::rss();
            let peak = crate::alloc::peak() as u64;
            let maxmem = st.config.tunables.maxmemory;
            let total = total_system_memory();
            let frag = if used > 0 {
                rss as f64 / used as f64
            } else {
                1.0
            };
            let pct = |a: u64, b: u64| {
                if b > 0 {
                    a as f64 * 100.0 / b as f64
                } else {
                    100.0
                }
            };
            let _ = write!(
                w,
                "# Memory\r\nused_memory:{used}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\nused_memory_peak:{peak}\r\nused_memory_peak_human:{}\r\nused_memory_peak_perc:{:.2}%\r\nused_memory_overhead:0\r\nused_memory_startup:0\r\nused_memory_dataset:{used}\r\nused_memory_dataset_perc:100.00%\r\nallocator_allocated:{used}\r\nallocator_active:{rss}\r\nallocator_resident:{rss}\r\ntotal_system_memory:{total}\r\ntotal_system_memory_human:{}\r\nused_memory_lua:0\r\nused_memory_vm_eval:0\r\nused_memory_lua_human:0B\r\nused_memory_scripts_eval:0\r\nnumber_of_cached_scripts:0\r\nnumber_of_functions:0\r\nnumber_of_libraries:0\r\nused_memory_vm_functions:0\r\nused_memory_vm_total:0\r\nused_memory_vm_total_human:0B\r\nused_memory_functions:0\r\nused_memory_scripts:0\r\nused_memory_scripts_human:0B\r\nmaxmemory:{maxmem}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\nallocator_frag_ratio:1.00\r\nallocator_frag_bytes:0\r\nallocator_rss_ratio:{frag:.2}\r\nallocator_rss_bytes:{}\r\nrss_overhead_ratio:1.00\r\nrss_overhead_bytes:0\r\nmem_fragmentation_ratio:{frag:.2}\r\nmem_fragmentation_bytes:{}\r\nmem_not_counted_for_evict:0\r\nmem_replication_backlog:0\r\nmem_total_replication_buffers:0\r\nmem_clients_slaves:0\r\nmem_clients_normal:0\r\nmem_cluster_links:0\r\nmem_aof_buffer:0\r\nmem_allocator:mimalloc\r\nactive_defrag_running:0\r\nlazyfree_pending_objects:0\r\nlazyfreed_objects:0\r\n",
                human(used),
                human(rss),
                human(peak),
                pct(used, peak),
                human(total),
                human(maxmem),
                st.config.tunables.maxmemory_policy,
                rss.saturating_sub(used),
                rss as i64 - used as i64
            );
        }
        "persistence" => crate::persistence::info_section(st, w),
        "stats" => {
            let s = &st.stats;
            let _ = write!(
                w,
                "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\ntotal_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:{:.2}\r\ninstantaneous_output_kbps:{:.2}\r\ninstantaneous_input_repl_kbps:0.00\r\ninstantaneous_output_repl_kbps:0.00\r\nrejected_connections:{}\r\nsync_full:{}\r\nsync_partial_ok:{}\r\nsync_partial_err:{}\r\nexpired_keys:{}\r\nexpired_stale_perc:0.00\r\nexpired_time_cap_reached_count:0\r\nexpire_cycle_cpu_milliseconds:{}\r\nevicted_keys:{}\r\nevicted_clients:{}\r\ntotal_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\npubsubshard_channels:0\r\nlatest_fork_usec:0\r\ntotal_forks:0\r\nmigrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\nactive_defrag_misses:0\r\nactive_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\ntracking_total_keys:0\r\ntracking_total_items:0\r\ntracking_total_prefixes:0\r\nunexpected_error_replies:{}\r\ntotal_error_replies:{}\r\ndump_payload_sanitizations:0\r\ntotal_reads_processed:0\r\ntotal_writes_processed:0\r\nio_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\nreply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\n",
                s.total_connections,
                s.total_commands,
                st.rates.ops.rate().round() as u64,
                s.net_input_bytes,
                s.net_output_bytes,
                st.rates.net_input.rate() / 1024.0,
                st.rates.net_output.rate() / 1024.0,
                s.rejected_connections,
                st.repl.sync_full,
                st.repl.sync_partial_ok,
                st.repl.sync_partial_err,
                s.expired_keys,
                s.expire_cycle_cpu_ms,
                s.evicted_keys,
                s.evicted_clients,
                s.keyspace_hits,
                s.keyspace_misses,
                st.pubsub.channels.len(),
                st.pubsub.patterns.len(),
                s.unexpected_error_replies,
                s.total_error_replies
            );
        }
        "replication" => {
            crate::replication::info_section(st, crate::server::now_ms(), w);
        }
        "cpu" => {
            let (user, sys) = cpu_times();
            let _ = write!(
                w,
                "# CPU\r\nused_cpu_sys:{sys:.6}\r\nused_cpu_user:{user:.6}\r\nused_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\nused_cpu_sys_main_thread:{sys:.6}\r\nused_cpu_user_main_thread:{user:.6}\r\n"
            );
        }
        "modules" => w.push_str("# Modules\r\n"),
        "cluster" => w.push_str("# Cluster\r\ncluster_enabled:0\r\n"),
        "errorstats" => {
            w.push_str("# Errorstats\r\n");
            let mut errs: Vec<_> = st.error_stats.iter().collect();
            errs.sort();
            for (code, n) in errs {
                let _ = write!(w, "errorstat_{code}:count={n}\r\n");
            }
        }
        "commandstats" => {
            w.push_str("# Commandstats\r\n");
            for (i, s) in st.command_stats.iter().enumerate() {
                if s.calls == 0 && s.rejected == 0 && s.failed == 0 {
                    continue;
                }
                let name = &shared.table.stat_names[i];
                let per = if s.calls > 0 {
                    s.usec as f64 / s.calls as f64
                } else {
                    0.0
                };
                let _ = write!(
                    w,
                    "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
                    name, s.calls, s.usec, per, s.rejected, s.failed
                );
            }
        }
        "latencystats" => w.push_str("# Latencystats\r\n"),
        "keyspace" => {
            w.push_str("# Keyspace\r\n");
            for (i, db) in st.dbs.iter().enumerate() {
                if !db.is_empty() {
                    let _ = write!(
                        w,
                        "db{}:keys={},expires={},avg_ttl={}\r\n",
                        i,
                        db.len(),
                        db.expires.len(),
                        db.avg_ttl
                    );
                }
            }
        }
        _ => {}
    }
}

fn human(n: u64) -> String {
    let f = n as f64;
    if f < 1024.0 {
        format!("{n}B")
    } else if f < 1024.0 * 1024.0 {
        format!("{:.2}K", f / 1024.0)
    } else if f < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", f / 1024.0 / 1024.0)
    } else {
        format!("{:.2}G", f / 1024.0 / 1024.0 / 1024.0)
    }
}

fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// User and system CPU seconds of this process, from /proc/self/stat.
fn cpu_times() -> (f64, f64) {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    let after = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = 100.0;
    let user = f.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / tick;
    let sys = f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / tick;
    (user, sys)
}

fn config_get(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let patterns: Vec<&[u8]> = args[2..].iter().map(|a| &a[..]).collect();
    let pairs = ctx.st.config.matching(&patterns);
    Reply::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Reply::bulk_str(k), Reply::bulk_str(v)))
            .collect(),
    )
}

fn config_set(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if !args.len().is_multiple_of(2) {
        return Reply::err("ERR wrong number of arguments for 'config|set' command");
    }
    let pairs: Vec<(String, String)> = args[2..]
        .chunks(2)
        .map(|p| (text(&p[0]), text(&p[1])))
        .collect();
    for (i, (name, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Reply::err(format!("ERR CONFIG SET failed (possibly related to argument '{name}') - duplicate parameter"));
        }
    }
    for (name, value) in &pairs {
        if let Err(e) = ctx.st.config.validate(name, value) {
            if e.0.starts_with("Unknown option") {
                return Reply::err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
                ));
            }
            return Reply::err(format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - {}",
                e.0
            ));
        }
    }
    for (name, value) in &pairs {
        if let Err(e) = ctx.st.config.set(name, value) {
            return Reply::err(format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - {}",
                e.0
            ));
        }
    }
    if pairs.iter().any(|(n, _)| {
        [
            "appendonly",
            "appendfsync",
            "aof-timestamp-enabled",
            "no-appendfsync-on-rewrite",
        ]
        .iter()
        .any(|o| n.eq_ignore_ascii_case(o))
    }) {
        if let Err(e) = crate::aof::apply_config(ctx.st, ctx.now_ms) {
            return Reply::err(format!(
                "ERR CONFIG SET failed (possibly related to argument 'appendonly') - {e}"
            ));
        }
    }
    ctx.st.lfu = ctx.st.config.tunables.maxmemory_policy.contains("lfu");
    if ctx.st.config.tunables.maxmemory > 0 {
        crate::eviction::perform_evictions(ctx.st, ctx.now_ms);
    }
    Reply::ok()
}

fn config_resetstat(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    ctx.st.stats = Default::default();
    for s in ctx.st.command_stats.iter_mut() {
        *s = Default::default();
    }
    ctx.st.error_stats.clear();
    Reply::ok()
}

fn config_rewrite(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    match ctx.st.config.rewrite() {
        Ok(()) => Reply::ok(),
        Err(e) => Reply::err(format!("ERR {}", e.0)),
    }
}

fn config_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    help_reply(
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    )
}

fn dbsize(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Int(ctx.db().len() as i64)
}

fn flush_mode(args: &[Bytes]) -> Result<(), Reply> {
    match args.get(1) {
        None => Ok(()),
        Some(a) if args.len() == 2 && (is(a, "ASYNC") || is(a, "SYNC")) => Ok(()),
        Some(_) => Err(syntax_error()),
    }
}

fn flushdb(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if let Err(e) = flush_mode(args) {
        return e;
    }
    let db = ctx.db_index();
    ctx.st.touch_all_watched(Some(db));
    let n = ctx.st.dbs[db].len() as u64;
    ctx.st.dbs[db].clear();
    ctx.st.dirty += n.max(1);
    ctx.force_propagation();
    Reply::ok()
}

fn flushall(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if let Err(e) = flush_mode(args) {
        return e;
    }
    ctx.st.touch_all_watched(None);
    let n: u64 = ctx.st.dbs.iter().map(|d| d.len() as u64).sum();
    // A background save is stopped first (as Redis kills its child), so its snapshot does not
    // copy what is about to go.
    crate::persistence::kill_bgsave(ctx.st);
    for d in ctx.st.dbs.iter_mut() {
        d.clear();
    }
    ctx.st.dirty += n.max(1);
    crate::persistence::after_flushall(ctx.st, ctx.now_ms);
    // Even an empty or just-saved dataset's FLUSHALL reaches replicas and the AOF.
    ctx.force_propagation();
    Reply::ok()
}

fn time(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    let _ = ctx;
    Reply::Array(vec![
        Reply::bulk_str((us / 1_000_000).to_string()),
        Reply::bulk_str((us % 1_000_000).to_string()),
    ])
}

fn lastsave(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Int(ctx.st.lastsave)
}

fn debug_allowed(ctx: &Ctx) -> bool {
    match ctx.st.config.get("enable-debug-command").unwrap_or("no") {
        "yes" => true,
        "local" => ctx
            .st
            .clients
            .get(&ctx.client.id)
            .is_some_and(|c| c.addr.ip().is_loopback()),
        _ => false,
    }
}

/// DEBUG HTSTATS-KEY's answer for a value without a hash table.
const NOT_A_HASH_TABLE: &str =
    "ERR The value stored at the specified key is not represented using an hash table";

fn debug(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if !debug_allowed(ctx) {
        return Reply::err("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");
    }
    let sub = text(&args[1]).to_ascii_lowercase();
    match sub.as_str() {
        "sleep" if args.len() == 3 => {
            let secs = crate::types::float::parse_long_double(&args[2]).unwrap_or(0.0);
            // DEBUG SLEEP blocks the whole server, as in Redis (the lock is held).
            std::thread::sleep(std::time::Duration::from_micros(
                (secs.max(0.0) * 1e6) as u64,
            ));
            Reply::ok()
        }
        "set-active-expire" if args.len() == 3 => Reply::ok(),
        "populate" if (3..=5).contains(&args.len()) => debug_populate(ctx, args),
        "object" if args.len() == 3 => {
            let opts = crate::persistence::save::writer_options(ctx.st);
            let Some(e) = ctx.lookup_read(&args[2]) else {
                return Reply::err("ERR no such key");
            };
            let (enc, access) = (e.value.encoding_name(), e.access);
            let len = crate::persistence::save::serialized_length(&e.value, opts);
            let idle = crate::eviction::lru_idle_secs(access, ctx.now_ms);
            Reply::Status(format!("Value at:0x0 refcount:1 encoding:{enc} serializedlength:{len} lru:{access} lru_seconds_idle:{idle}"))
        }
        "htstats" if args.len() == 3 => {
            let Some(db) = crate::protocol::request::parse_int(&args[2]) else {
                return Reply::err("ERR value is not an integer or out of range");
            };
            let Some(db) = usize::try_from(db).ok().and_then(|i| ctx.st.dbs.get(i)) else {
                return Reply::err("ERR Out of range database");
            };
            Reply::Verbatim(format!(
                "[Dictionary HT]\n{}[Expires HT]\n{}",
                db.keys.describe_stats(),
                db.expires.describe_stats()
            ))
        }
        "htstats-key" if args.len() == 3 => {
            let Some(e) = ctx.lookup_read(&args[2]) else {
                return Reply::err("ERR no such key");
            };
            match &e.value {
                Value::Hash(h) => match &**h {
                    crate::types::hash::Hash::Table(d) => Reply::Verbatim(d.describe_stats()),
                    _ => Reply::err(NOT_A_HASH_TABLE),
                },
                Value::Set(set) => match &**set {
                    crate::types::set::Set::Table(d) => Reply::Verbatim(d.describe_stats()),
                    _ => Reply::err(NOT_A_HASH_TABLE),
                },
                // A skiplist-encoded sorted set has no hash table here (README).
                _ => Reply::err(NOT_A_HASH_TABLE),
            }
        }
        "help" => help_reply(
            "DEBUG",
            &[
                "DIGEST",
                "    Output a hex signature representing the current DB content.",
                "DIGEST-VALUE <key> [<key> ...]",
                "    Output a hex signature of the values of all the specified keys.",
                "HTSTATS <dbid>",
                "    Return hash table statistics of the specified Redis database.",
                "HTSTATS-KEY <key>",
                "    Like HTSTATS but for the hash table stored at <key>'s value.",
                "OBJECT <key>",
                "    Show low level info about the key and associated value.",
                "POPULATE <count> [<prefix>] [<size>]",
                "    Create <count> string keys named key:<num>. If <prefix> is specified then",
                "    it is used instead of the 'key' prefix. These are not propagated to",
                "    replicas. Cluster slots are not respected so keys not belonging to the",
                "    current node can be created in cluster mode.",
                "RELOAD [option ...]",
                "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
                "    * MERGE: conflicting keys will be loaded from RDB.",
                "    * NOFLUSH: the existing database will not be removed before load, but",
                "      conflicting keys will generate an exception and kill the server.",
                "    * NOSAVE: the database will be loaded from an existing RDB file.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
            ],
        ),
        _ => match super::persistence::debug(ctx, &sub, args) {
            Some(reply) => reply,
            // Redis's addReplySubcommandSyntaxError (the name cut at 128 bytes).
            None => Reply::err(format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
                String::from_utf8_lossy(&args[1][..args[1].len().min(128)])
            )),
        },
    }
}

/// `DEBUG POPULATE count [prefix] [size]`: string keys `prefix:N` (default `key:N`) holding
/// `value:N`, cut or zero-padded to `size` bytes when given; keys already there are left alone.
/// Like Redis, nothing is propagated and the dirty counter does not move.
fn debug_populate(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    // Redis's getPositiveLongFromObjectOrReply: one message for non-integers and negatives.
    let positive = |a: &[u8]| {
        crate::protocol::request::parse_int(a)
            .filter(|n| *n >= 0)
            .ok_or_else(|| Reply::err("ERR value is out of range, must be positive"))
    };
    let count = match positive(&args[2]) {
        Ok(n) => n as u64,
        Err(e) => return e,
    };
    // Redis first sizes the keyspace for `count` keys and answers this when the allocation fails
    // (with overcommit it may not fail, and Redis 7.0 then loops for ever): a count whose bucket
    // array alone would exceed the machine's memory is refused.
    let memory = total_system_memory();
    if memory > 0 && count.saturating_mul(8) > memory {
        return Reply::err("ERR OOM in dictTryExpand");
    }
    let size = match args.get(4).map(|a| positive(a)) {
        Some(Ok(n)) => Some(n as usize),
        Some(Err(e)) => return e,
        None => None,
    };
    let prefix: &[u8] = args.get(3).map_or(b"key", |p| p);
    let db = ctx.client.db;
    let mut key = Vec::new();
    for j in 0..count {
        key.clear();
        key.extend_from_slice(prefix);
        key.extend_from_slice(format!(":{j}").as_bytes());
        // Redis formats the name into a 128-byte buffer.
        key.truncate(127);
        if ctx.exists(&key) || ctx.st.dbs[db].keys.contains_key(&key) {
            continue;
        }
        let mut value = format!("value:{j}").into_bytes();
        if let Some(size) = size {
            value.resize(size, 0);
        }
        ctx.add_key(
            &key,
            crate::types::Value::Str(crate::types::RString::new(&value)),
        );
        ctx.st.touch_watched(db, &key);
    }
    Reply::ok()
}

fn monitor(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR MONITOR isn't allowed inside a transaction");
    }
    if !ctx.st.monitors.contains(&ctx.client.id) {
        ctx.st.monitors.push(ctx.client.id);
    }
    if let Some(c) = ctx.st.clients.get_mut(&ctx.client.id) {
        c.monitor = true;
    }
    Reply::ok()
}

fn slowlog_get(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let count = match args.get(2) {
        Some(a) => match int_arg(a) {
            Ok(n) if n >= -1 => {
                if n == -1 {
                    usize::MAX
                } else {
                    n as usize
                }
            }
            Ok(_) => return Reply::err("ERR count should be greater than or equal to -1"),
            Err(_) => return Reply::err("ERR count should be greater than or equal to -1"),
        },
        None => 10,
    };
    Reply::Array(
        ctx.st
            .slowlog
            .iter()
            .take(count)
            .map(|e| {
                Reply::Array(vec![
                    Reply::Int(e.id as i64),
                    Reply::Int(e.time),
                    Reply::Int(e.duration_us),
                    Reply::Array(e.args.iter().map(|a| Reply::Bulk(a.clone())).collect()),
                    Reply::bulk_str(e.peer.clone()),
                    Reply::bulk_str(e.name.clone()),
                ])
            })
            .collect(),
    )
}

fn slowlog_len(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Int(ctx.st.slowlog.len() as i64)
}

fn slowlog_reset(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    ctx.st.slowlog.clear();
    Reply::ok()
}

fn slowlog_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    help_reply(
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    )
}

fn latency_latest(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Array(
        ctx.st
            .latency_events
            .iter()
            .filter_map(|(name, samples)| {
                let (t, ms) = samples.back()?;
                let max = samples.iter().map(|s| s.1).max().unwrap_or(0);
                Some(Reply::Array(vec![
                    Reply::bulk_str(name.clone()),
                    Reply::Int(*t),
                    Reply::Int(*ms as i64),
                    Reply::Int(max as i64),
                ]))
            })
            .collect(),
    )
}

fn latency_history(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let name = text(&args[2]);
    Reply::Array(
        ctx.st
            .latency_events
            .get(&name)
            .map(|s| {
                s.iter()
                    .map(|(t, ms)| Reply::Array(vec![Reply::Int(*t), Reply::Int(*ms as i64)]))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

fn latency_reset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() == 2 {
        let n = ctx.st.latency_events.len();
        ctx.st.latency_events.clear();
        return Reply::Int(n as i64);
    }
    let mut n = 0;
    for a in &args[2..] {
        if ctx.st.latency_events.remove(&text(a)).is_some() {
            n += 1;
        }
    }
    Reply::Int(n)
}

fn latency_doctor(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    if ctx.st.latency_events.is_empty() {
        return Reply::Verbatim("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep tonight.\n".into());
    }
    let mut s = String::from("Dave, I have observed latency spikes in this Redis instance.\n");
    for (name, samples) in &ctx.st.latency_events {
        let max = samples.iter().map(|x| x.1).max().unwrap_or(0);
        let _ = writeln!(
            s,
            "{name}: {} latency spikes (max {max} milliseconds).",
            samples.len()
        );
    }
    Reply::Verbatim(s)
}

fn latency_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    help_reply(
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    )
}

fn memory_usage(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() > 3 && !(args.len() == 5 && is(&args[3], "SAMPLES")) {
        return syntax_error();
    }
    let key_len = args[2].len();
    match ctx.lookup_read(&args[2]) {
        Some(e) => Reply::Int((e.value.approx_size() + key_len + 56) as i64),
        None => Reply::Null,
    }
}

fn shutdown(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    for a in &args[1..] {
        if !(is(a, "NOSAVE") || is(a, "SAVE") || is(a, "NOW") || is(a, "FORCE") || is(a, "ABORT")) {
            return syntax_error();
        }
    }
    let has = |kw: &str| args[1..].iter().any(|a| is(a, kw));
    if (has("NOSAVE") && has("SAVE")) || (has("ABORT") && args.len() > 2) {
        return syntax_error();
    }
    if args[1..].iter().any(|a| is(a, "ABORT")) {
        return Reply::err("ERR No shutdown in progress.");
    }
    let flags = crate::persistence::ShutdownFlags {
        save: has("SAVE"),
        nosave: has("NOSAVE"),
    };
    if crate::persistence::prepare_shutdown(ctx.st, flags, ctx.now_ms).is_err() && !has("FORCE") {
        return Reply::err("ERR Errors trying to SHUTDOWN. Check logs.");
    }
    ctx.st.shutdown_requested = true;
    ctx.shared.shutdown.notify_one();
    for c in ctx.st.clients.values() {
        c.send(Outbound::Kill);
    }
    ctx.client.closing = true;
    Reply::None
}
