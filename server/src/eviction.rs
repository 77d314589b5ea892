//! Expiry and eviction: the active expire cycle, the maxmemory policies, and the LFU counter.
//!
//! Active expiry samples volatile keys like Redis's `activeExpireCycle`: per db, up to 20 random keys
//! with a TTL per round, repeating while more than 10% of the sample was expired, within a time budget
//! (25% of a cycle at `hz`, scaled by `active-expire-effort`). Eviction follows the approximated LRU /
//! LFU of Redis: sample `maxmemory-samples` keys, keep a pool of the best candidates, evict the best,
//! until memory is under the limit.

use crate::notify;
use crate::server::{lru_clock, State};
use crate::types::Value;
use bytes::Bytes;
use rand::Rng;

const LFU_INIT_VAL: u32 = 5;

fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms / 1000 / 60) as u32) & 0xffff
}

/// The access word of a new key under an LFU policy.
pub fn lfu_initial(now_ms: i64) -> u32 {
    (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL
}

/// The LFU counter after decay (what OBJECT FREQ reports).
pub fn lfu_decayed_counter(access: u32, now_ms: i64, decay_time: i64) -> u32 {
    let ldt = access >> 8;
    let counter = access & 0xff;
    let now = lfu_minutes(now_ms);
    let elapsed = if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    };
    let periods = if decay_time > 0 {
        elapsed as i64 / decay_time
    } else {
        0
    };
    if periods > 0 {
        (counter as i64 - periods).max(0) as u32
    } else {
        counter
    }
}

/// Redis's `updateLFU`: decay, then a logarithmic increment.
pub fn lfu_touch(
    access: u32,
    now_ms: i64,
    log_factor: i64,
    decay_time: i64,
    rng: &mut impl Rng,
) -> u32 {
    let mut counter = lfu_decayed_counter(access, now_ms, decay_time);
    if counter < 255 {
        let r: f64 = rng.gen();
        let base = (counter as f64 - LFU_INIT_VAL as f64).max(0.0);
        let p = 1.0 / (base * log_factor as f64 + 1.0);
        if r < p {
            counter += 1;
        }
    }
    (lfu_minutes(now_ms) << 8) | counter
}

/// Seconds since last access under LRU (what OBJECT IDLETIME reports).
pub fn lru_idle_secs(access: u32, now_ms: i64) -> u64 {
    let now = lru_clock(now_ms);
    if now >= access {
        (now - access) as u64
    } else {
        (now as u64 + (1 << 24)) - access as u64
    }
}

/// One active-expiry pass over every db, bounded by `budget_us`. Returns keys expired.
pub fn active_expire_cycle(st: &mut State, now_ms: i64, budget_us: u64) -> u64 {
    let start = std::time::Instant::now();
    let effort = st.config.tunables.active_expire_effort as usize;
    let per_loop = 20 + 20 / 4 * (effort - 1);
    let mut total = 0;
    for db in 0..st.dbs.len() {
        loop {
            if st.dbs[db].expires.is_empty() {
                st.dbs[db].avg_ttl = 0;
                break;
            }
            let mut sampled = 0;
            let (mut ttl_sum, mut ttl_samples) = (0i64, 0i64);
            let mut expired_keys: Vec<Bytes> = Vec::new();
            for _ in 0..per_loop.min(st.dbs[db].expires.len()) {
                let Some((k, &t)) = st.dbs[db].expires.random_entry(&mut st.rng) else {
                    break;
                };
                sampled += 1;
                if t <= now_ms {
                    if !expired_keys.iter().any(|e| &e[..] == k) {
                        expired_keys.push(Bytes::copy_from_slice(k));
                    }
                } else {
                    ttl_sum = ttl_sum.saturating_add(t - now_ms);
                    ttl_samples += 1;
                }
            }
            // INFO keyspace's avg_ttl: a running estimate from the samples, weighted like Redis's.
            if ttl_samples > 0 {
                let sample_avg = ttl_sum / ttl_samples;
                let d = &mut st.dbs[db];
                d.avg_ttl = if d.avg_ttl == 0 {
                    sample_avg
                } else {
                    d.avg_ttl / 50 * 49 + sample_avg / 50
                };
            }
            let n = expired_keys.len();
            for k in expired_keys {
                st.expire_if_needed(db, &k, now_ms);
            }
            total += n as u64;
            if start.elapsed().as_micros() as u64 > budget_us {
                return total;
            }
            // Keep going on this db only while a sizeable share of the sample was stale.
            if sampled == 0 || n * 100 / sampled <= 10 {
                break;
            }
        }
    }
    total
}

/// Evicts keys until used memory is under `maxmemory`; false when it cannot (noeviction, or
/// nothing left to evict).
pub fn perform_evictions(st: &mut State, now_ms: i64) -> bool {
    let limit = st.config.tunables.maxmemory;
    if limit == 0 {
        return true;
    }
    let policy = st.config.tunables.maxmemory_policy.clone();
    let mut rounds = 0;
    while st.used_memory() > limit {
        if policy == "noeviction" || rounds > 100_000 {
            return false;
        }
        rounds += 1;
        let volatile = policy.starts_with("volatile");
        let samples = st.config.tunables.maxmemory_samples;
        // Best candidate across dbs: (score, db, key); higher score = evict first.
        let mut best: Option<(u64, usize, Bytes)> = None;
        for db in 0..st.dbs.len() {
            let d = &st.dbs[db];
            let pool = if volatile {
                d.expires.len()
            } else {
                d.keys.len()
            };
            if pool == 0 {
                continue;
            }
            for _ in 0..samples {
                let (key, score) = if volatile {
                    let Some((k, &t)) = d.expires.random_entry(&mut st.rng) else {
                        break;
                    };
                    let score = match policy.as_str() {
                        "volatile-ttl" => u64::MAX - t.max(0) as u64,
                        "volatile-random" => st.rng.gen(),
                        _ => d
                            .keys
                            .get(k)
                            .map(|e| access_score(e.access, &policy, now_ms, &st.config.tunables))
                            .unwrap_or(0),
                    };
                    (k, score)
                } else {
                    let Some((k, e)) = d.keys.random_entry(&mut st.rng) else {
                        break;
                    };
                    let score = if policy == "allkeys-random" {
                        st.rng.gen()
                    } else {
                        access_score(e.access, &policy, now_ms, &st.config.tunables)
                    };
                    (k, score)
                };
                if best.as_ref().is_none_or(|b| score > b.0) {
                    best = Some((score, db, Bytes::copy_from_slice(key)));
                }
            }
        }
        let Some((_, db, key)) = best else {
            return false;
        };
        st.dbs[db].remove(&key);
        st.stats.evicted_keys += 1;
        st.propagate_deletion(db, &key);
        st.touch_watched(db, &key);
        st.notify(notify::EVICTED, "evicted", &key, db);
    }
    true
}

fn access_score(access: u32, policy: &str, now_ms: i64, t: &crate::config::Tunables) -> u64 {
    if policy.ends_with("lfu") {
        255 - lfu_decayed_counter(access, now_ms, t.lfu_decay_time) as u64
    } else {
        lru_idle_secs(access, now_ms)
    }
}

/// Whether a value is a collection that blocked clients could be waiting on.
pub fn is_blocking_type(v: &Value) -> bool {
    matches!(v, Value::List(_) | Value::ZSet(_) | Value::Stream(_))
}
