//! A seeded random command generator across every data type, for differential testing.
//!
//! Commands work on a handful of colliding key names, so the same key is hit by string, list,
//! hash, set and sorted-set commands in turn and the WRONGTYPE paths run as often as the happy
//! ones. Arguments mix valid and invalid values (bad integers, NaN, out-of-range offsets, bad
//! option combinations), and occasional bulk writes push collections past the listpack/intset
//! thresholds so encoding conversions happen.
//!
//! Only commands whose replies are determined by the command stream are generated, each with
//! the [`Compare`] mode that makes them comparable:
//! - no RANDOMKEY, SCAN cursors, TIME, INFO, OBJECT IDLETIME, blocking commands;
//! - SPOP only with a count larger than any set (it then returns and removes the whole set);
//!   SRANDMEMBER, HRANDFIELD, ZRANDMEMBER compared by shape only (read-only, so no drift);
//! - SMEMBERS, SINTER, SUNION, SDIFF, HKEYS, HVALS, KEYS as multisets, HGETALL as pairs;
//! - TTLs with a tolerance. Relative expiries are at least 1000 s and pairwise at least 1 s
//!   apart, absolute ones are either in the past (delete) or after 2100-01-01, so EXPIRE's
//!   GT/LT comparisons never depend on which millisecond a server ran a command in;
//! - HyperLogLog writes (PFADD, PFMERGE) only on their own keys, so no string command turns a
//!   HLL into garbage (PFCOUNT/PFMERGE still read the common keys, for the WRONGTYPE paths);
//! - lexicographic ranges only on sorted sets whose scores are all 0 ([`LEX_KEYS`]).

use crate::pair::{Compare, PairConn};
use crate::rng::Rng;

/// Every key the generic commands touch. Each family mostly uses its own two keys (so most
/// commands find a value of the right type) and otherwise any of these (so WRONGTYPE runs).
pub const KEYS: &[&str] = &[
    "s1", "s2", "l1", "l2", "h1", "h2", "t1", "t2", "z1", "z2", "x1", "x2", "k1", "{k}2",
];
const STRING_KEYS: &[&str] = &["s1", "s2"];
const LIST_KEYS: &[&str] = &["l1", "l2"];
const HASH_KEYS: &[&str] = &["h1", "h2"];
const SET_KEYS: &[&str] = &["t1", "t2"];
const ZSET_KEYS: &[&str] = &["z1", "z2"];
const STREAM_KEYS: &[&str] = &["x1", "x2"];
/// Keys every family writes to, so they change type often.
const SHARED_KEYS: &[&str] = &["k1", "{k}2"];
/// Keys only the HyperLogLog commands write to.
pub const HLL_KEYS: &[&str] = &["hll1", "hll2", "hll3"];
/// Sorted sets whose members all have score 0, the only ones lexicographic ranges are
/// defined on: with mixed scores the answer depends on the skiplist's random levels, so two
/// Redis processes disagree. Only the lex commands touch these keys.
pub const LEX_KEYS: &[&str] = &["lx1", "lx2"];
/// Databases the generator SELECTs among.
pub const DATABASES: u8 = 3;

/// One generated command and how its replies must be compared.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratedCommand {
    /// Command name and arguments.
    pub args: Vec<Vec<u8>>,
    /// How the two servers' replies must agree.
    pub compare: Compare,
}

/// Anything usable as one command argument.
pub trait IntoArg {
    /// The argument's bytes.
    fn into_arg(self) -> Vec<u8>;
}

impl IntoArg for &str {
    fn into_arg(self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}
impl IntoArg for String {
    fn into_arg(self) -> Vec<u8> {
        self.into_bytes()
    }
}
impl IntoArg for &String {
    fn into_arg(self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}
impl IntoArg for Vec<u8> {
    fn into_arg(self) -> Vec<u8> {
        self
    }
}
impl IntoArg for &[u8] {
    fn into_arg(self) -> Vec<u8> {
        self.to_vec()
    }
}

/// Builds a command.
struct Cmd(Vec<Vec<u8>>);

impl Cmd {
    fn new(name: &str) -> Cmd {
        Cmd(vec![name.as_bytes().to_vec()])
    }
    fn a(mut self, arg: impl IntoArg) -> Cmd {
        self.0.push(arg.into_arg());
        self
    }
    fn all(mut self, args: Vec<Vec<u8>>) -> Cmd {
        self.0.extend(args);
        self
    }
    fn exact(self) -> GeneratedCommand {
        self.with(Compare::Exact)
    }
    fn with(self, compare: Compare) -> GeneratedCommand {
        GeneratedCommand {
            args: self.0,
            compare,
        }
    }
}

const MEMBERS: &[&str] = &[
    "a", "b", "c", "d", "e", "f", "1", "2", "3", "10", "-5", "0", "foo", "bar", "007",
];
const FIELDS: &[&str] = &["f1", "f2", "f3", "f4", "1", "x", ""];
const VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "42",
    "007",
    "3.5",
    "-0.25",
    "1e3",
    " 1",
    "10.50",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "hello",
    "world",
    "foo bar",
    "a",
    // 44 and 45 bytes: the embstr/raw boundary.
    "12345678901234567890123456789012345678901234",
    "123456789012345678901234567890123456789012345",
];
const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "5",
    "-3",
    "100",
    "-100",
    "9223372036854775807",
    "-9223372036854775808",
    "x",
    "1.5",
    "",
    "10000000000000000000",
    " 3",
];
const FLOATS: &[&str] = &[
    "0",
    "1",
    "-1",
    "1.5",
    "-2.25",
    "1e3",
    "3.0e-2",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "x",
    "0.1",
    "1e308",
    "10.5",
    "-0",
    "5e-324",
    "17",
    "1.7976931348623157e308",
];
const SCORE_BOUNDS: &[&str] = &[
    "-inf", "+inf", "inf", "0", "1", "(1", "2.5", "(2.5", "-1", "(-1", "1e3", "x", "(", "10",
];
const LEX_BOUNDS: &[&str] = &[
    "-", "+", "[a", "(a", "[c", "(c", "[1", "(10", "[", "a", "[foo", "(e",
];
const BIT_TYPES: &[&str] = &[
    "i1", "i5", "i8", "i16", "i32", "i63", "i64", "u1", "u7", "u8", "u16", "u32", "u63", "u64",
    "i65", "x8", "i0",
];
const KEY_PATTERNS: &[&str] = &[
    "*", "s*", "?1", "[lh]*", "*2", "{*", "hll*", "*[^1]", "\\{k}2", "nomatch", "z?", "lx*",
];
/// 2100-01-01T00:00:00Z.
const FAR_FUTURE: i64 = 4_102_444_800;

/// Deterministic stream of random commands.
pub struct CommandGenerator {
    rng: Rng,
    /// The keys the family being generated prefers.
    own_keys: &'static [&'static str],
    /// Grows with every relative expiry, keeping them pairwise at least a second apart.
    expire_counter: i64,
    /// The millisecond part of the next explicit stream ID (IDs are explicit: `*` reads the clock).
    stream_ms: u64,
}

impl CommandGenerator {
    /// A generator whose commands are fully determined by `seed`.
    pub fn new(seed: u64) -> CommandGenerator {
        CommandGenerator {
            rng: Rng::new(seed),
            own_keys: KEYS,
            expire_counter: 0,
            stream_ms: 1,
        }
    }

    /// The next command.
    pub fn next_command(&mut self) -> GeneratedCommand {
        let roll = self.rng.below(132);
        self.own_keys = match roll {
            0..=20 => STRING_KEYS,
            21..=34 => LIST_KEYS,
            35..=46 => HASH_KEYS,
            47..=58 => SET_KEYS,
            59..=75 => ZSET_KEYS,
            120..=131 => STREAM_KEYS,
            _ => KEYS,
        };
        match roll {
            0..=13 => self.string_command(),
            14..=20 => self.bitmap_command(),
            21..=34 => self.list_command(),
            35..=46 => self.hash_command(),
            47..=58 => self.set_command(),
            59..=75 => self.zset_command(),
            76..=81 => self.hll_command(),
            82..=95 => self.key_command(),
            96..=107 => self.expire_command(),
            108..=110 => self.bulk_command(),
            120..=131 => self.stream_command(),
            _ => self.read_command(),
        }
    }

    /// A key to read or modify: mostly the family's own, otherwise a shared one (which any
    /// family may have written). Generic key commands pick among all keys.
    /// One of `options`.
    fn choose(&mut self, options: &[&'static str]) -> &'static str {
        options[self.rng.below(options.len() as u64) as usize]
    }

    fn key(&mut self) -> String {
        if self.rng.chance(75) {
            self.rng.pick(self.own_keys).to_string()
        } else {
            self.rng.pick(SHARED_KEYS).to_string()
        }
    }

    /// A destination for RENAME/COPY of `key`: mostly a key of the same family, so renames
    /// do not leave foreign types on every family's keys.
    fn related_key(&mut self, key: &str) -> String {
        let family = [STRING_KEYS, LIST_KEYS, HASH_KEYS, SET_KEYS, ZSET_KEYS]
            .into_iter()
            .find(|f| f.contains(&key))
            .unwrap_or(SHARED_KEYS);
        match self.rng.below(10) {
            0..=6 => self.rng.pick(family).to_string(),
            7 | 8 => self.rng.pick(SHARED_KEYS).to_string(),
            _ => self.rng.pick(KEYS).to_string(),
        }
    }

    /// A key a command may overwrite whatever its type (SET, *STORE): never another
    /// family's own key, or every key would soon hold a string.
    fn dest_key(&mut self) -> String {
        if self.rng.chance(80) {
            self.rng.pick(self.own_keys).to_string()
        } else {
            self.rng.pick(SHARED_KEYS).to_string()
        }
    }

    fn keys(&mut self, min: u64, max: u64) -> Vec<Vec<u8>> {
        let n = min + self.rng.below(max - min + 1);
        (0..n).map(|_| self.key().into_bytes()).collect()
    }

    fn any_key(&mut self) -> String {
        if self.rng.chance(15) {
            self.rng.pick(HLL_KEYS).to_string()
        } else if self.rng.chance(8) {
            self.rng.pick(LEX_KEYS).to_string()
        } else {
            self.key()
        }
    }

    fn member(&mut self) -> Vec<u8> {
        match self.rng.below(100) {
            0..=2 => format!("m{}", self.rng.below(200)).into_bytes(),
            3..=4 => "long-member-".repeat(6).into_bytes(),
            5 => b"\x00\xff\r\nz".to_vec(),
            _ => self.rng.pick(MEMBERS).as_bytes().to_vec(),
        }
    }

    fn members(&mut self, min: u64, max: u64) -> Vec<Vec<u8>> {
        let n = min + self.rng.below(max - min + 1);
        (0..n).map(|_| self.member()).collect()
    }

    fn value(&mut self) -> Vec<u8> {
        match self.rng.below(100) {
            0..=3 => "v".repeat(70).into_bytes(),
            4..=5 => b"\x00\x01\xff\r\n".to_vec(),
            6..=9 => self.rng.range(-1000, 1000).to_string().into_bytes(),
            _ => self.rng.pick(VALUES).as_bytes().to_vec(),
        }
    }

    fn int(&mut self) -> String {
        if self.rng.chance(60) {
            self.rng.range(-20, 20).to_string()
        } else {
            self.rng.pick(INTS).to_string()
        }
    }

    fn index(&mut self) -> String {
        if self.rng.chance(95) {
            self.rng.range(-12, 12).to_string()
        } else {
            self.rng
                .pick(&["x", "9223372036854775807", "-9223372036854775808", "1.0"])
                .to_string()
        }
    }

    fn count(&mut self) -> String {
        self.rng
            .pick(&["0", "1", "2", "3", "5", "10", "-1", "-3", "x", "100"])
            .to_string()
    }

    fn float(&mut self) -> String {
        if self.rng.chance(30) {
            format!("{}.{}", self.rng.range(-50, 50), self.rng.below(100))
        } else {
            self.rng.pick(FLOATS).to_string()
        }
    }

    /// A relative expiry in seconds: ≥ 1000 and at least one second from every earlier one.
    fn relative_seconds(&mut self) -> i64 {
        self.expire_counter += 1 + self.rng.below(30) as i64;
        1000 + self.expire_counter
    }

    fn expire_seconds(&mut self) -> String {
        match self.rng.below(20) {
            0 => "0".into(),
            1 => "-5".into(),
            2 => "9223372036854775807".into(),
            3 => "x".into(),
            _ => self.relative_seconds().to_string(),
        }
    }

    fn expire_millis(&mut self) -> String {
        match self.rng.below(20) {
            0 => "0".into(),
            1 => "-5".into(),
            2 => "9223372036854775807".into(),
            3 => "x".into(),
            _ => (self.relative_seconds() * 1000 + self.rng.below(1000) as i64).to_string(),
        }
    }

    fn unix_seconds(&mut self) -> String {
        match self.rng.below(10) {
            0 => "1".into(),
            1 => "1000000000".into(),
            2 => "-1".into(),
            _ => (FAR_FUTURE + 1000 * self.rng.below(40) as i64).to_string(),
        }
    }

    fn future_unix_seconds(&mut self) -> String {
        (FAR_FUTURE + 1000 * self.rng.below(40) as i64).to_string()
    }

    fn future_unix_millis(&mut self) -> String {
        ((FAR_FUTURE + 1000 * self.rng.below(40) as i64) * 1000 + self.rng.below(1000) as i64)
            .to_string()
    }

    fn unix_millis(&mut self) -> String {
        match self.rng.below(10) {
            0 => "1".into(),
            1 => "1000000000000".into(),
            _ => ((FAR_FUTURE + 1000 * self.rng.below(40) as i64) * 1000
                + self.rng.below(1000) as i64)
                .to_string(),
        }
    }

    fn expire_condition(&mut self, with_gt_lt: bool) -> Vec<Vec<u8>> {
        let options: &[&str] = if with_gt_lt {
            &["NX", "XX", "GT", "LT"]
        } else {
            &["NX", "XX"]
        };
        match self.rng.below(10) {
            0..=4 => vec![],
            5..=8 => vec![self.rng.pick(options).as_bytes().to_vec()],
            _ => vec![
                b"NX".to_vec(),
                self.rng.pick(&["XX", "GT", "LT"]).as_bytes().to_vec(),
            ],
        }
    }

    fn string_command(&mut self) -> GeneratedCommand {
        let k = self.key();
        match self.rng.below(24) {
            0..=2 => {
                let mut cmd = Cmd::new("SET").a(self.dest_key()).a(self.value());
                if self.rng.chance(30) {
                    cmd = cmd.a(*self.rng.pick(&["NX", "XX"]));
                }
                if self.rng.chance(25) {
                    cmd = cmd.a("GET");
                }
                match self.rng.below(8) {
                    0 => cmd = cmd.a("EX").a(self.expire_seconds()),
                    1 => cmd = cmd.a("PX").a(self.expire_millis()),
                    // Future times only: SET with a past EXAT/PXAT stores a key that is already
                    // expired, and when each server reclaims it (its active expire cycle) is timing,
                    // so DBSIZE would differ by chance. Past times are exercised by EXPIREAT/GETEX,
                    // which delete at once.
                    2 => cmd = cmd.a("EXAT").a(self.future_unix_seconds()),
                    3 => cmd = cmd.a("PXAT").a(self.future_unix_millis()),
                    4 => cmd = cmd.a("KEEPTTL"),
                    5 if self.rng.chance(20) => {
                        cmd = cmd.a(*self.rng.pick(&["EX", "KEEPTTL", "NX", "BOGUS"]))
                    }
                    _ => {}
                }
                cmd.exact()
            }
            3 => Cmd::new("GET").a(&k).exact(),
            4 => {
                let mut cmd = Cmd::new("GETEX").a(&k);
                match self.rng.below(7) {
                    0 => cmd = cmd.a("EX").a(self.expire_seconds()),
                    1 => cmd = cmd.a("PX").a(self.expire_millis()),
                    2 => cmd = cmd.a("EXAT").a(self.unix_seconds()),
                    3 => cmd = cmd.a("PXAT").a(self.unix_millis()),
                    4 => cmd = cmd.a("PERSIST"),
                    5 => cmd = cmd.a("PERSIST").a("EX").a("100"),
                    _ => {}
                }
                cmd.exact()
            }
            5 => Cmd::new("GETDEL").a(&k).exact(),
            6 => Cmd::new("GETSET").a(&k).a(self.value()).exact(),
            7 => {
                let mut cmd = Cmd::new(if self.rng.chance(70) {
                    "MSET"
                } else {
                    "MSETNX"
                });
                for _ in 0..1 + self.rng.below(3) {
                    cmd = cmd.a(self.dest_key()).a(self.value());
                }
                if self.rng.chance(5) {
                    cmd = cmd.a(self.key());
                }
                cmd.exact()
            }
            8 => Cmd::new("MGET").all(self.keys(1, 4)).exact(),
            9 => Cmd::new("APPEND").a(&k).a(self.value()).exact(),
            10 => Cmd::new("STRLEN").a(&k).exact(),
            11 => {
                let offset = if self.rng.chance(95) {
                    self.rng.below(300).to_string()
                } else {
                    self.int()
                };
                Cmd::new("SETRANGE").a(&k).a(offset).a(self.value()).exact()
            }
            12 => Cmd::new("GETRANGE")
                .a(&k)
                .a(self.index())
                .a(self.index())
                .exact(),
            13 => Cmd::new(self.choose(&["INCR", "DECR"])).a(&k).exact(),
            14 => Cmd::new(self.choose(&["INCRBY", "DECRBY"]))
                .a(&k)
                .a(self.int())
                .exact(),
            15 => Cmd::new("INCRBYFLOAT").a(&k).a(self.float()).exact(),
            16 => Cmd::new("SETNX").a(&k).a(self.value()).exact(),
            17 => Cmd::new("SETEX")
                .a(self.dest_key())
                .a(self.expire_seconds())
                .a(self.value())
                .exact(),
            18 => Cmd::new("PSETEX")
                .a(self.dest_key())
                .a(self.expire_millis())
                .a(self.value())
                .exact(),
            19 | 20 => {
                let mut cmd = Cmd::new("LCS").a(&k).a(self.key());
                match self.rng.below(5) {
                    0 => cmd = cmd.a("LEN"),
                    1 => cmd = cmd.a("IDX"),
                    2 => {
                        cmd = cmd
                            .a("IDX")
                            .a("MINMATCHLEN")
                            .a(self.rng.below(4).to_string())
                            .a("WITHMATCHLEN")
                    }
                    3 => cmd = cmd.a("IDX").a("WITHMATCHLEN"),
                    _ => {}
                }
                cmd.exact()
            }
            _ => Cmd::new("GET").a(&k).exact(),
        }
    }

    fn bit_offset(&mut self) -> String {
        match self.rng.below(30) {
            0 => "-1".into(),
            1 => "x".into(),
            2 => "4294967296".into(),
            _ => self.rng.below(2048).to_string(),
        }
    }

    fn bitfield_offset(&mut self) -> String {
        match self.rng.below(20) {
            0 => format!("#{}", self.rng.below(50)),
            1 => format!("#{}", self.rng.below(5)),
            2 => "-1".into(),
            3 => "#x".into(),
            _ => self.rng.below(1024).to_string(),
        }
    }

    fn bitfield_value(&mut self) -> String {
        match self.rng.below(6) {
            0 => self
                .rng
                .pick(&[
                    "9223372036854775807",
                    "-9223372036854775808",
                    "255",
                    "-128",
                    "x",
                ])
                .to_string(),
            _ => self.rng.range(-300, 300).to_string(),
        }
    }

    fn bitmap_command(&mut self) -> GeneratedCommand {
        let k = self.key();
        let range_unit = |g: &mut Self| -> Vec<Vec<u8>> {
            match g.rng.below(4) {
                0 => vec![b"BYTE".to_vec()],
                1 => vec![b"BIT".to_vec()],
                _ => vec![],
            }
        };
        match self.rng.below(12) {
            0..=2 => Cmd::new("SETBIT")
                .a(&k)
                .a(self.bit_offset())
                .a(*self.rng.pick(&["0", "1", "1", "2"]))
                .exact(),
            3 => Cmd::new("GETBIT").a(&k).a(self.bit_offset()).exact(),
            4 | 5 => {
                let mut cmd = Cmd::new("BITCOUNT").a(&k);
                if self.rng.chance(70) {
                    cmd = cmd.a(self.index()).a(self.index());
                    let unit = range_unit(self);
                    cmd = cmd.all(unit);
                }
                cmd.exact()
            }
            6 | 7 => {
                let mut cmd = Cmd::new("BITPOS")
                    .a(&k)
                    .a(*self.rng.pick(&["0", "1", "1", "2"]));
                if self.rng.chance(70) {
                    cmd = cmd.a(self.index());
                    if self.rng.chance(70) {
                        cmd = cmd.a(self.index());
                        let unit = range_unit(self);
                        cmd = cmd.all(unit);
                    }
                }
                cmd.exact()
            }
            8 => {
                let op = *self.rng.pick(&["AND", "OR", "XOR", "NOT", "NOT", "DIFF"]);
                let sources = if op == "NOT" && self.rng.chance(80) {
                    self.keys(1, 1)
                } else {
                    self.keys(1, 3)
                };
                Cmd::new("BITOP")
                    .a(op)
                    .a(self.dest_key())
                    .all(sources)
                    .exact()
            }
            9 | 10 => {
                let mut cmd = Cmd::new("BITFIELD").a(&k);
                for _ in 0..1 + self.rng.below(3) {
                    let ty = *self.rng.pick(BIT_TYPES);
                    match self.rng.below(5) {
                        0 => cmd = cmd.a("GET").a(ty).a(self.bitfield_offset()),
                        1 => {
                            cmd = cmd
                                .a("SET")
                                .a(ty)
                                .a(self.bitfield_offset())
                                .a(self.bitfield_value())
                        }
                        2 | 3 => {
                            cmd = cmd
                                .a("INCRBY")
                                .a(ty)
                                .a(self.bitfield_offset())
                                .a(self.bitfield_value())
                        }
                        _ => {
                            cmd = cmd
                                .a("OVERFLOW")
                                .a(*self.rng.pick(&["WRAP", "SAT", "FAIL", "BOGUS"]))
                        }
                    }
                }
                cmd.exact()
            }
            _ => {
                let mut cmd = Cmd::new("BITFIELD_RO").a(&k);
                for _ in 0..1 + self.rng.below(2) {
                    let sub = if self.rng.chance(90) { "GET" } else { "SET" };
                    cmd = cmd
                        .a(sub)
                        .a(*self.rng.pick(BIT_TYPES))
                        .a(self.bitfield_offset());
                }
                cmd.exact()
            }
        }
    }

    fn side(&mut self) -> &'static str {
        self.choose(&["LEFT", "RIGHT", "LEFT", "RIGHT", "UP"])
    }

    fn list_command(&mut self) -> GeneratedCommand {
        let k = self.key();
        match self.rng.below(22) {
            0..=3 => Cmd::new(self.choose(&["LPUSH", "RPUSH"]))
                .a(&k)
                .all(self.members(1, 4))
                .exact(),
            4 => Cmd::new(self.choose(&["LPUSHX", "RPUSHX"]))
                .a(&k)
                .all(self.members(1, 2))
                .exact(),
            5 | 6 => {
                let mut cmd = Cmd::new(self.choose(&["LPOP", "RPOP"])).a(&k);
                if self.rng.chance(40) {
                    cmd = cmd.a(self.count());
                }
                cmd.exact()
            }
            7 => Cmd::new("LLEN").a(&k).exact(),
            8 | 9 => Cmd::new("LRANGE")
                .a(&k)
                .a(self.index())
                .a(self.index())
                .exact(),
            10 => Cmd::new("LINDEX").a(&k).a(self.index()).exact(),
            11 => Cmd::new("LSET")
                .a(&k)
                .a(self.index())
                .a(self.member())
                .exact(),
            12 => {
                let place = *self.rng.pick(&["BEFORE", "AFTER", "before", "MIDDLE"]);
                Cmd::new("LINSERT")
                    .a(&k)
                    .a(place)
                    .a(self.member())
                    .a(self.member())
                    .exact()
            }
            13 => Cmd::new("LREM")
                .a(&k)
                .a(self.rng.range(-3, 3).to_string())
                .a(self.member())
                .exact(),
            14 => Cmd::new("LTRIM")
                .a(&k)
                .a(self.index())
                .a(self.index())
                .exact(),
            15 | 16 => {
                let mut cmd = Cmd::new("LPOS").a(&k).a(self.member());
                if self.rng.chance(40) {
                    cmd = cmd
                        .a("RANK")
                        .a(self.rng.pick(&["1", "2", "-1", "-2", "0", "3"]).to_string());
                }
                if self.rng.chance(40) {
                    cmd = cmd
                        .a("COUNT")
                        .a(self.rng.pick(&["0", "1", "2", "-1"]).to_string());
                }
                if self.rng.chance(25) {
                    cmd = cmd
                        .a("MAXLEN")
                        .a(self.rng.pick(&["0", "1", "3", "-1"]).to_string());
                }
                cmd.exact()
            }
            17 | 18 => {
                let (from, to) = (self.side(), self.side());
                Cmd::new("LMOVE").a(&k).a(self.key()).a(from).a(to).exact()
            }
            19 => Cmd::new("RPOPLPUSH").a(&k).a(self.key()).exact(),
            _ => {
                let keys = self.keys(1, 3);
                let numkeys = if self.rng.chance(90) {
                    keys.len().to_string()
                } else {
                    self.count()
                };
                let mut cmd = Cmd::new("LMPOP").a(numkeys).all(keys).a(self.side());
                if self.rng.chance(50) {
                    cmd = cmd.a("COUNT").a(self.count());
                }
                cmd.exact()
            }
        }
    }

    fn field(&mut self) -> Vec<u8> {
        if self.rng.chance(5) {
            format!("f{}", self.rng.below(200)).into_bytes()
        } else {
            self.rng.pick(FIELDS).as_bytes().to_vec()
        }
    }

    fn hash_command(&mut self) -> GeneratedCommand {
        let k = self.key();
        match self.rng.below(18) {
            0..=3 => {
                let mut cmd = Cmd::new(self.choose(&["HSET", "HSET", "HMSET"])).a(&k);
                for _ in 0..1 + self.rng.below(3) {
                    cmd = cmd.a(self.field()).a(self.value());
                }
                if self.rng.chance(5) {
                    cmd = cmd.a(self.field());
                }
                cmd.exact()
            }
            4 => Cmd::new("HSETNX")
                .a(&k)
                .a(self.field())
                .a(self.value())
                .exact(),
            5 => Cmd::new("HGET").a(&k).a(self.field()).exact(),
            6 => {
                let fields: Vec<Vec<u8>> =
                    (0..1 + self.rng.below(3)).map(|_| self.field()).collect();
                Cmd::new("HMGET").a(&k).all(fields).exact()
            }
            7 => {
                let fields: Vec<Vec<u8>> =
                    (0..1 + self.rng.below(3)).map(|_| self.field()).collect();
                Cmd::new("HDEL").a(&k).all(fields).exact()
            }
            8 => Cmd::new("HLEN").a(&k).exact(),
            9 => Cmd::new("HSTRLEN").a(&k).a(self.field()).exact(),
            10 => Cmd::new("HEXISTS").a(&k).a(self.field()).exact(),
            11 => Cmd::new("HKEYS").a(&k).with(Compare::Unordered),
            12 => Cmd::new("HVALS").a(&k).with(Compare::Unordered),
            13 => Cmd::new("HGETALL").a(&k).with(Compare::PairsUnordered),
            14 => Cmd::new("HINCRBY")
                .a(&k)
                .a(self.field())
                .a(self.int())
                .exact(),
            15 => Cmd::new("HINCRBYFLOAT")
                .a(&k)
                .a(self.field())
                .a(self.float())
                .exact(),
            _ => {
                let mut cmd = Cmd::new("HRANDFIELD").a(&k);
                if self.rng.chance(70) {
                    cmd = cmd.a(self.count());
                    if self.rng.chance(50) {
                        cmd = cmd.a("WITHVALUES");
                    }
                }
                cmd.with(Compare::Shape)
            }
        }
    }

    fn set_command(&mut self) -> GeneratedCommand {
        let k = self.key();
        match self.rng.below(20) {
            0..=3 => Cmd::new("SADD").a(&k).all(self.members(1, 4)).exact(),
            4 => Cmd::new("SREM").a(&k).all(self.members(1, 3)).exact(),
            5 => Cmd::new("SMEMBERS").a(&k).with(Compare::Unordered),
            6 => Cmd::new("SISMEMBER").a(&k).a(self.member()).exact(),
            7 => Cmd::new("SMISMEMBER").a(&k).all(self.members(1, 3)).exact(),
            8 => Cmd::new("SCARD").a(&k).exact(),
            9 => Cmd::new("SPOP")
                .a(&k)
                .a(*self.rng.pick(&["1000", "0", "-1"]))
                .with(Compare::Unordered),
            10 => {
                let mut cmd = Cmd::new("SRANDMEMBER").a(&k);
                if self.rng.chance(70) {
                    cmd = cmd.a(self.count());
                }
                cmd.with(Compare::Shape)
            }
            11 => Cmd::new("SMOVE")
                .a(&k)
                .a(self.key())
                .a(self.member())
                .exact(),
            12 | 13 => Cmd::new(self.choose(&["SINTER", "SUNION", "SDIFF"]))
                .all(self.keys(1, 3))
                .with(Compare::Unordered),
            14 | 15 => {
                let name = *self.rng.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]);
                Cmd::new(name)
                    .a(self.dest_key())
                    .all(self.keys(1, 3))
                    .exact()
            }
            _ => {
                let keys = self.keys(1, 3);
                let numkeys = if self.rng.chance(90) {
                    keys.len().to_string()
                } else {
                    self.count()
                };
                let mut cmd = Cmd::new("SINTERCARD").a(numkeys).all(keys);
                if self.rng.chance(40) {
                    cmd = cmd.a("LIMIT").a(self.count());
                }
                cmd.exact()
            }
        }
    }

    fn score(&mut self) -> String {
        if self.rng.chance(50) {
            self.rng.range(-5, 5).to_string()
        } else {
            self.float()
        }
    }

    /// `start stop [BYSCORE|BYLEX] [REV] [LIMIT o c] [WITHSCORES]` for ZRANGE / ZRANGESTORE;
    /// BYLEX only when `lex`.
    fn zrange_spec(&mut self, allow_withscores: bool, lex: bool) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        let mode = if lex { 2 } else { self.rng.below(2) };
        match mode {
            0 => {
                out.push(self.index().into_bytes());
                out.push(self.index().into_bytes());
            }
            1 => {
                out.push(self.rng.pick(SCORE_BOUNDS).as_bytes().to_vec());
                out.push(self.rng.pick(SCORE_BOUNDS).as_bytes().to_vec());
                out.push(b"BYSCORE".to_vec());
            }
            _ => {
                out.push(self.rng.pick(LEX_BOUNDS).as_bytes().to_vec());
                out.push(self.rng.pick(LEX_BOUNDS).as_bytes().to_vec());
                out.push(b"BYLEX".to_vec());
            }
        }
        if self.rng.chance(35) {
            out.push(b"REV".to_vec());
        }
        if self.rng.chance(30) {
            out.push(b"LIMIT".to_vec());
            out.push(self.rng.range(-1, 3).to_string().into_bytes());
            out.push(self.rng.range(-1, 4).to_string().into_bytes());
        }
        if allow_withscores && self.rng.chance(40) {
            out.push(b"WITHSCORES".to_vec());
        }
        out
    }

    fn zset_command(&mut self) -> GeneratedCommand {
        let k = self.key();
        match self.rng.below(34) {
            0..=4 => {
                let mut cmd = Cmd::new("ZADD").a(&k);
                if self.rng.chance(20) {
                    cmd = cmd.a(*self.rng.pick(&["NX", "XX"]));
                }
                if self.rng.chance(20) {
                    cmd = cmd.a(*self.rng.pick(&["GT", "LT"]));
                }
                if self.rng.chance(20) {
                    cmd = cmd.a("CH");
                }
                let incr = self.rng.chance(10);
                if incr {
                    cmd = cmd.a("INCR");
                }
                let pairs = if incr && self.rng.chance(80) {
                    1
                } else {
                    1 + self.rng.below(3)
                };
                for _ in 0..pairs {
                    cmd = cmd.a(self.score()).a(self.member());
                }
                cmd.exact()
            }
            5 => Cmd::new("ZCARD").a(&k).exact(),
            6 => Cmd::new("ZCOUNT")
                .a(&k)
                .a(*self.rng.pick(SCORE_BOUNDS))
                .a(*self.rng.pick(SCORE_BOUNDS))
                .exact(),
            7 => Cmd::new("ZSCORE").a(&k).a(self.member()).exact(),
            8 => Cmd::new("ZMSCORE").a(&k).all(self.members(1, 3)).exact(),
            9 => Cmd::new("ZINCRBY")
                .a(&k)
                .a(self.score())
                .a(self.member())
                .exact(),
            10 => Cmd::new(self.choose(&["ZRANK", "ZREVRANK"]))
                .a(&k)
                .a(self.member())
                .exact(),
            11..=13 => {
                let spec = self.zrange_spec(true, false);
                Cmd::new("ZRANGE").a(&k).all(spec).exact()
            }
            14 => {
                let name = *self.rng.pick(&["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]);
                let mut cmd = Cmd::new(name)
                    .a(&k)
                    .a(*self.rng.pick(SCORE_BOUNDS))
                    .a(*self.rng.pick(SCORE_BOUNDS));
                if self.rng.chance(40) {
                    cmd = cmd.a("WITHSCORES");
                }
                if self.rng.chance(30) {
                    cmd = cmd
                        .a("LIMIT")
                        .a(self.rng.range(-1, 3).to_string())
                        .a(self.rng.range(-1, 4).to_string());
                }
                cmd.exact()
            }
            15 | 16 => self.lex_command(),
            17 => Cmd::new("ZREM").a(&k).all(self.members(1, 3)).exact(),
            18 => Cmd::new("ZREMRANGEBYRANK")
                .a(&k)
                .a(self.index())
                .a(self.index())
                .exact(),
            19 => Cmd::new("ZREMRANGEBYSCORE")
                .a(&k)
                .a(*self.rng.pick(SCORE_BOUNDS))
                .a(*self.rng.pick(SCORE_BOUNDS))
                .exact(),
            20 => self.lex_command(),
            21 => {
                let spec = self.zrange_spec(false, false);
                Cmd::new("ZRANGESTORE")
                    .a(self.dest_key())
                    .a(&k)
                    .all(spec)
                    .exact()
            }
            22..=25 => {
                let name = *self.rng.pick(&[
                    "ZINTER",
                    "ZUNION",
                    "ZDIFF",
                    "ZINTERSTORE",
                    "ZUNIONSTORE",
                    "ZDIFFSTORE",
                ]);
                let store = name.ends_with("STORE");
                let keys = self.keys(1, 3);
                let numkeys = if self.rng.chance(92) {
                    keys.len().to_string()
                } else {
                    self.count()
                };
                let mut cmd = Cmd::new(name);
                if store {
                    cmd = cmd.a(self.dest_key());
                }
                let nkeys = keys.len();
                cmd = cmd.a(numkeys).all(keys);
                if self
                    .rng
                    .chance(if name.starts_with("ZDIFF") { 5 } else { 35 })
                {
                    cmd = cmd.a("WEIGHTS");
                    let n = if self.rng.chance(90) {
                        nkeys
                    } else {
                        nkeys + 1
                    };
                    for _ in 0..n {
                        cmd = cmd.a(*self.rng.pick(&["1", "2", "0", "-1", "0.5", "inf", "x"]));
                    }
                }
                if self
                    .rng
                    .chance(if name.starts_with("ZDIFF") { 5 } else { 35 })
                {
                    cmd = cmd
                        .a("AGGREGATE")
                        .a(*self.rng.pick(&["SUM", "MIN", "MAX", "AVG"]));
                }
                if !store && self.rng.chance(50) {
                    cmd = cmd.a("WITHSCORES");
                }
                cmd.exact()
            }
            26 => {
                let keys = self.keys(1, 3);
                let numkeys = if self.rng.chance(90) {
                    keys.len().to_string()
                } else {
                    self.count()
                };
                let mut cmd = Cmd::new("ZINTERCARD").a(numkeys).all(keys);
                if self.rng.chance(40) {
                    cmd = cmd.a("LIMIT").a(self.count());
                }
                cmd.exact()
            }
            27 | 28 => {
                let mut cmd = Cmd::new(self.choose(&["ZPOPMIN", "ZPOPMAX"])).a(&k);
                if self.rng.chance(50) {
                    cmd = cmd.a(self.count());
                }
                cmd.exact()
            }
            29 | 30 => {
                let keys = self.keys(1, 3);
                let numkeys = if self.rng.chance(90) {
                    keys.len().to_string()
                } else {
                    self.count()
                };
                let mut cmd = Cmd::new("ZMPOP")
                    .a(numkeys)
                    .all(keys)
                    .a(*self.rng.pick(&["MIN", "MAX", "MIDDLE"]));
                if self.rng.chance(50) {
                    cmd = cmd.a("COUNT").a(self.count());
                }
                cmd.exact()
            }
            _ => {
                let mut cmd = Cmd::new("ZRANDMEMBER").a(&k);
                if self.rng.chance(70) {
                    cmd = cmd.a(self.count());
                    if self.rng.chance(50) {
                        cmd = cmd.a("WITHSCORES");
                    }
                }
                cmd.with(Compare::Shape)
            }
        }
    }

    /// Commands on the all-scores-zero sorted sets, where lexicographic ranges are defined.
    fn lex_command(&mut self) -> GeneratedCommand {
        let k = self.rng.pick(LEX_KEYS).to_string();
        let lo = *self.rng.pick(LEX_BOUNDS);
        let hi = *self.rng.pick(LEX_BOUNDS);
        let limit = |g: &mut Self, cmd: Cmd| -> Cmd {
            if g.rng.chance(30) {
                cmd.a("LIMIT")
                    .a(g.rng.range(-1, 3).to_string())
                    .a(g.rng.range(-1, 4).to_string())
            } else {
                cmd
            }
        };
        match self.rng.below(16) {
            0..=3 => {
                let mut cmd = Cmd::new("ZADD").a(&k);
                if self.rng.chance(20) {
                    cmd = cmd.a(*self.rng.pick(&["NX", "XX", "CH"]));
                }
                for _ in 0..1 + self.rng.below(4) {
                    cmd = cmd.a("0").a(self.member());
                }
                cmd.exact()
            }
            4 => {
                let mut cmd = Cmd::new("ZADD").a(&k);
                for i in 0..60 + self.rng.below(100) {
                    cmd = cmd.a("0").a(format!("m{i}"));
                }
                cmd.exact()
            }
            5 | 6 => {
                let cmd = Cmd::new(self.choose(&["ZRANGEBYLEX", "ZREVRANGEBYLEX"]))
                    .a(&k)
                    .a(lo)
                    .a(hi);
                limit(self, cmd).exact()
            }
            7 | 8 => Cmd::new("ZLEXCOUNT").a(&k).a(lo).a(hi).exact(),
            9 => Cmd::new("ZREMRANGEBYLEX").a(&k).a(lo).a(hi).exact(),
            10 | 11 => {
                let spec = self.zrange_spec(true, true);
                Cmd::new("ZRANGE").a(&k).all(spec).exact()
            }
            12 => {
                let spec = self.zrange_spec(false, true);
                Cmd::new("ZRANGESTORE")
                    .a(*self.rng.pick(LEX_KEYS))
                    .a(&k)
                    .all(spec)
                    .exact()
            }
            13 => Cmd::new("ZREM").a(&k).all(self.members(1, 3)).exact(),
            14 => Cmd::new(self.choose(&["ZPOPMIN", "ZPOPMAX"]))
                .a(&k)
                .a(self.count())
                .exact(),
            _ => Cmd::new("ZRANGE")
                .a(&k)
                .a("0")
                .a("-1")
                .a("WITHSCORES")
                .exact(),
        }
    }

    fn hll_element(&mut self) -> Vec<u8> {
        format!("e{}", self.rng.below(5000)).into_bytes()
    }

    /// A stream ID: mostly the next one, sometimes an old one (XADD then refuses it) or a bad one.
    fn stream_id(&mut self) -> String {
        match self.rng.below(12) {
            0 => "0-1".into(),
            1 => "x".into(),
            2 => format!("{}-*", self.stream_ms),
            _ => {
                self.stream_ms += self.rng.below(3);
                format!("{}-{}", self.stream_ms, self.rng.below(3))
            }
        }
    }

    /// An ID bound for ranges and deletions (any, not necessarily present).
    fn stream_bound(&mut self) -> String {
        match self.rng.below(8) {
            0 => "-".into(),
            1 => "+".into(),
            2 => "0".into(),
            3 => format!("({}", self.rng.below(self.stream_ms + 1)),
            _ => format!(
                "{}-{}",
                self.rng.below(self.stream_ms + 1),
                self.rng.below(3)
            ),
        }
    }

    /// Stream commands with explicit IDs (so both servers store the same entries); consumer
    /// groups without the idle-time and delivery-time fields that read the clock.
    fn stream_command(&mut self) -> GeneratedCommand {
        let k = self.key();
        match self.rng.below(20) {
            0..=5 => {
                let mut cmd = Cmd::new("XADD").a(&k);
                if self.rng.chance(10) {
                    cmd = cmd.a("NOMKSTREAM");
                }
                if self.rng.chance(20) {
                    let strategy = self.choose(&["MAXLEN", "MINID"]);
                    cmd = cmd.a(strategy);
                    if self.rng.chance(30) {
                        cmd = cmd.a(self.choose(&["=", "~"]));
                    }
                    cmd = if strategy == "MAXLEN" {
                        cmd.a(self.rng.below(8).to_string())
                    } else {
                        cmd.a(self.stream_bound())
                    };
                }
                cmd = cmd.a(self.stream_id());
                for _ in 0..1 + self.rng.below(3) {
                    cmd = cmd.a(self.field()).a(self.value());
                }
                cmd.exact()
            }
            6 => Cmd::new("XLEN").a(&k).exact(),
            7 | 8 => {
                let (lo, hi) = (self.stream_bound(), self.stream_bound());
                let mut cmd = Cmd::new(self.choose(&["XRANGE", "XREVRANGE"]))
                    .a(&k)
                    .a(lo)
                    .a(hi);
                if self.rng.chance(50) {
                    cmd = cmd.a("COUNT").a(self.count());
                }
                cmd.exact()
            }
            9 => {
                let mut cmd = Cmd::new("XDEL").a(&k);
                for _ in 0..1 + self.rng.below(3) {
                    cmd = cmd.a(self.stream_bound());
                }
                cmd.exact()
            }
            10 => {
                let strategy = self.choose(&["MAXLEN", "MINID"]);
                let mut cmd = Cmd::new("XTRIM").a(&k).a(strategy);
                if self.rng.chance(30) {
                    cmd = cmd.a(self.choose(&["=", "~"]));
                }
                cmd = if strategy == "MAXLEN" {
                    cmd.a(self.rng.below(8).to_string())
                } else {
                    cmd.a(self.stream_bound())
                };
                cmd.exact()
            }
            11 | 12 => {
                let start = self.choose(&["$", "0", "1-0"]);
                let mut cmd = Cmd::new("XGROUP")
                    .a("CREATE")
                    .a(&k)
                    .a(self.choose(&["g1", "g2"]))
                    .a(start);
                if self.rng.chance(40) {
                    cmd = cmd.a("MKSTREAM");
                }
                cmd.exact()
            }
            13 | 14 => Cmd::new("XREADGROUP")
                .a("GROUP")
                .a(self.choose(&["g1", "g2"]))
                .a(self.choose(&["c1", "c2"]))
                .a("COUNT")
                .a((1 + self.rng.below(3)).to_string())
                .a("STREAMS")
                .a(&k)
                .a(self.choose(&[">", ">", "0"]))
                .exact(),
            15 => Cmd::new("XACK")
                .a(&k)
                .a(self.choose(&["g1", "g2"]))
                .a(self.stream_bound())
                .exact(),
            16 => Cmd::new("XPENDING")
                .a(&k)
                .a(self.choose(&["g1", "g2"]))
                .exact(),
            17 => Cmd::new("XREAD")
                .a("COUNT")
                .a((1 + self.rng.below(4)).to_string())
                .a("STREAMS")
                .a(&k)
                .a(self.stream_bound())
                .exact(),
            18 => Cmd::new("XINFO").a("GROUPS").a(&k).exact(),
            _ => Cmd::new("XGROUP")
                .a(self.choose(&["DESTROY", "CREATECONSUMER", "DELCONSUMER"]))
                .a(&k)
                .a("g1")
                .a("c1")
                .exact(),
        }
    }

    fn hll_command(&mut self) -> GeneratedCommand {
        let h = self.rng.pick(HLL_KEYS).to_string();
        match self.rng.below(10) {
            0..=3 => {
                let n = self.rng.below(5);
                let elements: Vec<Vec<u8>> = (0..n).map(|_| self.hll_element()).collect();
                Cmd::new("PFADD").a(&h).all(elements).exact()
            }
            4 => {
                let n = 100 + self.rng.below(300);
                let elements: Vec<Vec<u8>> = (0..n)
                    .map(|_| format!("big{}", self.rng.below(1_000_000)).into_bytes())
                    .collect();
                Cmd::new("PFADD").a(&h).all(elements).exact()
            }
            5 | 6 => {
                let mut keys = vec![h.into_bytes()];
                for _ in 0..self.rng.below(3) {
                    keys.push(self.any_key().into_bytes());
                }
                Cmd::new("PFCOUNT").all(keys).exact()
            }
            7 => {
                let mut cmd = Cmd::new("PFMERGE").a(&h);
                for _ in 0..self.rng.below(3) {
                    cmd = cmd.a(self.any_key());
                }
                cmd.exact()
            }
            8 => Cmd::new("GET").a(&h).exact(),
            _ => Cmd::new(self.choose(&["STRLEN", "TYPE", "EXISTS"]))
                .a(&h)
                .exact(),
        }
    }

    fn key_command(&mut self) -> GeneratedCommand {
        let k = self.key();
        match self.rng.below(44) {
            0..=2 | 40..=43 => {
                let mut cmd = Cmd::new(self.choose(&["DEL", "UNLINK"]));
                for _ in 0..1 + self.rng.below(2) {
                    cmd = cmd.a(self.any_key());
                }
                cmd.exact()
            }
            3..=5 => {
                let mut cmd = Cmd::new("EXISTS");
                for _ in 0..1 + self.rng.below(3) {
                    cmd = cmd.a(self.any_key());
                }
                cmd.exact()
            }
            6..=9 => Cmd::new("TYPE").a(self.any_key()).exact(),
            10..=12 => {
                let dst = self.related_key(&k);
                Cmd::new(self.choose(&["RENAME", "RENAME", "RENAMENX"]))
                    .a(&k)
                    .a(dst)
                    .exact()
            }
            13..=15 => {
                let dst = self.related_key(&k);
                let mut cmd = Cmd::new("COPY").a(&k).a(dst);
                if self.rng.chance(30) {
                    cmd = cmd.a("DB").a(*self.rng.pick(&["0", "1", "2", "16", "x"]));
                }
                if self.rng.chance(40) {
                    cmd = cmd.a("REPLACE");
                }
                cmd.exact()
            }
            16 | 17 => Cmd::new("KEYS")
                .a(*self.rng.pick(KEY_PATTERNS))
                .with(Compare::Unordered),
            18 | 19 => Cmd::new("DBSIZE").exact(),
            20 => Cmd::new("TOUCH").all(self.keys(1, 3)).exact(),
            21..=26 => Cmd::new("OBJECT").a("ENCODING").a(self.any_key()).exact(),
            27 => Cmd::new("OBJECT").a("FREQ").a(&k).exact(),
            28 | 29 => Cmd::new("SELECT")
                .a(self.rng.below(DATABASES as u64).to_string())
                .exact(),
            30 | 31 => Cmd::new("MOVE")
                .a(&k)
                .a(*self.rng.pick(&["0", "1", "2", "99"]))
                .exact(),
            32 => Cmd::new("SWAPDB")
                .a(self.rng.below(DATABASES as u64).to_string())
                .a(self.rng.below(DATABASES as u64).to_string())
                .exact(),
            33 if self.rng.chance(25) => Cmd::new("FLUSHDB").exact(),
            _ => Cmd::new("EXISTS").a(&k).exact(),
        }
    }

    fn expire_command(&mut self) -> GeneratedCommand {
        let k = self.key();
        match self.rng.below(14) {
            0 | 1 => {
                let cond = self.expire_condition(false);
                Cmd::new("EXPIRE")
                    .a(&k)
                    .a(self.expire_seconds())
                    .all(cond)
                    .exact()
            }
            2 => {
                let cond = self.expire_condition(false);
                Cmd::new("PEXPIRE")
                    .a(&k)
                    .a(self.expire_millis())
                    .all(cond)
                    .exact()
            }
            3 | 4 => {
                let cond = self.expire_condition(true);
                Cmd::new("EXPIREAT")
                    .a(&k)
                    .a(self.unix_seconds())
                    .all(cond)
                    .exact()
            }
            5 => {
                let cond = self.expire_condition(true);
                Cmd::new("PEXPIREAT")
                    .a(&k)
                    .a(self.unix_millis())
                    .all(cond)
                    .exact()
            }
            6 | 7 => Cmd::new("TTL").a(&k).with(Compare::Approx(2)),
            8 => Cmd::new("PTTL").a(&k).with(Compare::Approx(2000)),
            9 => Cmd::new("EXPIRETIME").a(&k).with(Compare::Approx(2)),
            10 => Cmd::new("PEXPIRETIME").a(&k).with(Compare::Approx(2000)),
            _ => Cmd::new("PERSIST").a(&k).exact(),
        }
    }

    /// Large writes that push collections over the encoding thresholds.
    fn bulk_command(&mut self) -> GeneratedCommand {
        let k = self.key();
        let n = 60 + self.rng.below(120);
        match self.rng.below(5) {
            0 => {
                let items: Vec<Vec<u8>> = (0..n).map(|i| format!("m{i}").into_bytes()).collect();
                Cmd::new("RPUSH").a(&k).all(items).exact()
            }
            1 => {
                let mut cmd = Cmd::new("HSET").a(&k);
                for i in 0..n {
                    cmd = cmd.a(format!("f{i}")).a(format!("{}", i * 7));
                }
                cmd.exact()
            }
            2 => {
                let base = self.rng.below(400);
                let items: Vec<Vec<u8>> = (0..n * 3)
                    .map(|i| (base + i).to_string().into_bytes())
                    .collect();
                Cmd::new("SADD").a(&k).all(items).exact()
            }
            3 => {
                let mut cmd = Cmd::new("ZADD").a(&k);
                for i in 0..n {
                    cmd = cmd
                        .a(format!("{}", (i % 17) as f64 / 4.0))
                        .a(format!("m{i}"));
                }
                cmd.exact()
            }
            _ => {
                let items: Vec<Vec<u8>> = (0..n).map(|i| format!("m{i}").into_bytes()).collect();
                Cmd::new("SADD").a(&k).all(items).exact()
            }
        }
    }

    /// Reads of whatever a key holds, to catch state divergence early.
    fn read_command(&mut self) -> GeneratedCommand {
        let k = self.key();
        match self.rng.below(6) {
            0 => Cmd::new("LRANGE").a(&k).a("0").a("-1").exact(),
            1 => Cmd::new("ZRANGE")
                .a(&k)
                .a("0")
                .a("-1")
                .a("WITHSCORES")
                .exact(),
            2 => Cmd::new("SMEMBERS").a(&k).with(Compare::Unordered),
            3 => Cmd::new("HGETALL").a(&k).with(Compare::PairsUnordered),
            4 => Cmd::new("GET").a(&k).exact(),
            _ => Cmd::new("TYPE").a(&k).exact(),
        }
    }
}

/// Compares the whole keyspace the generator can touch, database by database: the key list,
/// and each key's type, contents, encoding and TTL. Leaves database 0 selected.
pub fn compare_keyspace(conn: &mut PairConn) {
    for db in 0..DATABASES {
        conn.check(&["SELECT", &db.to_string()]);
        conn.check_unordered(&["KEYS", "*"]);
        for key in KEYS.iter().chain(HLL_KEYS).chain(LEX_KEYS) {
            let ty = conn.check(&["TYPE", key]);
            let content: Option<(Vec<&str>, Compare)> = match ty.as_text().as_deref() {
                Some("string") => Some((vec!["GET", key], Compare::Exact)),
                Some("list") => Some((vec!["LRANGE", key, "0", "-1"], Compare::Exact)),
                Some("hash") => Some((vec!["HGETALL", key], Compare::PairsUnordered)),
                Some("set") => Some((vec!["SMEMBERS", key], Compare::Unordered)),
                Some("zset") => {
                    Some((vec!["ZRANGE", key, "0", "-1", "WITHSCORES"], Compare::Exact))
                }
                Some("stream") => Some((vec!["XRANGE", key, "-", "+"], Compare::Exact)),
                _ => None,
            };
            if let Some((args, mode)) = content {
                conn.check_with(&args, mode);
                conn.check(&["OBJECT", "ENCODING", key]);
                conn.check_approx(&["TTL", key], 2);
            }
        }
    }
    conn.check(&["SELECT", "0"]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_commands() {
        let (mut a, mut b) = (CommandGenerator::new(42), CommandGenerator::new(42));
        for _ in 0..5000 {
            assert_eq!(a.next_command(), b.next_command());
        }
        let mut c = CommandGenerator::new(43);
        let differs = (0..100).any(|_| a.next_command() != c.next_command());
        assert!(differs);
    }

    #[test]
    fn covers_the_families() {
        let mut g = CommandGenerator::new(1);
        let mut names = std::collections::BTreeSet::new();
        for _ in 0..20_000 {
            names.insert(String::from_utf8_lossy(&g.next_command().args[0]).into_owned());
        }
        for expected in [
            "SET",
            "SETBIT",
            "BITFIELD",
            "LPUSH",
            "LMPOP",
            "HSET",
            "SADD",
            "SINTERCARD",
            "ZADD",
            "ZMPOP",
            "PFADD",
            "COPY",
            "EXPIREAT",
            "LCS",
        ] {
            assert!(
                names.contains(expected),
                "{expected} never generated: {names:?}"
            );
        }
    }
}
