"""Ask the reference redis-server 7.0.15 for HyperLogLog vectors; print Rust test constants.

Usage: gen_vectors.py PORT   (output pasted into the tests of server/src/types/hyperloglog.rs,
then rustfmt'd, with the table types named Digest / CraftedCase there)
"""
import sys
from resp import Client, Err, fnv64

c = Client(int(sys.argv[1]) if len(sys.argv) > 1 else 7391)
c.cmd("FLUSHALL")
c.cmd("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
out = []


def emit(s):
    out.append(s)


def rv(r):
    """A reply as Rust `Result<i64, &str>` text."""
    if isinstance(r, Err):
        return 'Err("%s")' % str(r)
    if isinstance(r, str):
        return 'Ok(0) /* %s */' % r
    return "Ok(%d)" % r


def fill(key, prefix, n, batch=100):
    for start in range(0, n, batch):
        c.cmd("PFADD", key, *[("%s%d" % (prefix, i)) for i in range(start, min(n, start + batch))])


M64 = 0xFFFFFFFFFFFFFFFF


def murmur(data, seed=0xadc83b19):
    m = 0xc6a4a7935bd1e995
    h = (seed ^ (len(data) * m)) & M64
    n = len(data) - len(data) % 8
    for i in range(0, n, 8):
        k = int.from_bytes(data[i:i + 8], "little")
        k = (k * m) & M64
        k ^= k >> 47
        k = (k * m) & M64
        h ^= k
        h = (h * m) & M64
    tail = data[n:]
    if tail:
        for i, b in enumerate(tail):
            h ^= b << (8 * i)
        h = (h * m) & M64
    h ^= h >> 47
    h = (h * m) & M64
    h ^= h >> 47
    return h


def reg_of(s):
    return murmur(s.encode()) & 16383


def find(pred, tag):
    for i in range(10_000_000):
        e = "%s%d" % (tag, i)
        if pred(reg_of(e)):
            return e


def digest(key):
    v = c.cmd("GET", key)
    return "(%d, 0x%016x)" % (len(v), fnv64(v))


# A. sequential adds: (n, len, digest, pfcount, digest after pfcount)
emit("// (n, len, fnv64 of GET, PFCOUNT, len, fnv64 of GET after PFCOUNT)")
emit("const SEQUENTIAL: &[(usize, (usize, u64), i64, (usize, u64))] = &[")
for n in [1, 10, 100, 1000, 5000, 20000]:
    key = "h%d" % n
    fill(key, "elem:", n)
    d1 = digest(key)
    cnt = c.cmd("PFCOUNT", key)
    d2 = digest(key)
    emit("    (%d, %s, %d, %s)," % (n, d1, cnt, d2))
emit("];")

# Small sparse ones in hex.
for n in [1, 10]:
    emit('const H%d_HEX: &str = "%s";' % (n, c.cmd("GET", "h%d" % n).hex()))
c.cmd("PFCOUNT", "h10")

# Per-element PFADD replies for 200 elements, plus a repeat pass.
bits = []
c.cmd("DEL", "one")
for i in range(200):
    bits.append(str(c.cmd("PFADD", "one", "elem:%d" % (i % 150))))
emit('const PFADD_REPLIES: &str = "%s";' % "".join(bits))
emit("const PFADD_REPLIES_DIGEST: (usize, u64) = %s;" % digest("one"))
emit("const PFADD_EMPTY_NEW: &str = \"%s\";" % (c.cmd("PFADD", "emptynew") and c.cmd("GET", "emptynew").hex()))
emit("const PFADD_EMPTY_EXISTING: i64 = %d;" % c.cmd("PFADD", "h10"))

# B. other sparse-max values: (max, n, digest, count)
emit("const SPARSE_MAX: &[(usize, usize, (usize, u64), i64)] = &[")
for mx, n in [(200, 300), (200, 50), (0, 5), (10000, 3000), (10000, 7000)]:
    c.cmd("CONFIG", "SET", "hll-sparse-max-bytes", str(mx))
    key = "mx%d_%d" % (mx, n)
    fill(key, "elem:", n, batch=37)
    d = digest(key)
    emit("    (%d, %d, %s, %d)," % (mx, n, d, c.cmd("PFCOUNT", key)))
c.cmd("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
emit("];")

# C. element lengths 0..40 (text and binary), one element per key: GET hex.
emit("const LENGTHS: &[&str] = &[")
for k in range(0, 41):
    key = "len%d" % k
    c.cmd("PFADD", key, "x" * k, bytes((i * 37 + k) & 0xFF for i in range(k)))
    emit('    "%s",' % c.cmd("GET", key).hex())
emit("];")

# D. merges.
fill("o1000", "other:", 1000)
c.cmd("PFADD", "h20000")  # no-op
emit("// (name, len+fnv64 of dest after PFMERGE, PFCOUNT of dest)")
emit("const MERGES: &[(&str, (usize, u64), i64)] = &[")


def merge_case(name, dest, *srcs):
    r = c.cmd("PFMERGE", dest, *srcs)
    assert r == "OK", r
    d = digest(dest)
    emit('    ("%s", %s, %d),' % (name, d, c.cmd("PFCOUNT", dest)))


def copy(src, dst):
    c.cmd("SET", dst, c.cmd("GET", src))


merge_case("sparse+sparse", "m1", "h10", "h100")
merge_case("sparse+dense", "m2", "h100", "h20000")
copy("h10", "d3"); c.cmd("PFCOUNT", "d3")
merge_case("dest sparse cached + sparse", "d3", "h100")
copy("h100", "d4"); c.cmd("PFCOUNT", "d4")
merge_case("dest sparse cached + dense", "d4", "h20000")
copy("h5000", "d5")
merge_case("dest dense + sparse", "d5", "h10")
merge_case("no sources", "m6", "missing1", "missing2")
copy("h1000", "d7")
merge_case("dest only", "d7")
merge_case("sparse overflow to dense", "m8", "h1000", "o1000")
zeros = bytes.fromhex("48594c4c01000000000000000000ff00") + bytes([0x3F]) * 256
c.cmd("SET", "d9", zeros)
merge_case("non-canonical dest", "d9", "h10")
c.cmd("CONFIG", "SET", "hll-sparse-max-bytes", "100")
merge_case("small max", "m10", "h100")
c.cmd("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
emit("];")
emit('const MERGE_NO_SOURCES_HEX: &str = "%s";' % c.cmd("GET", "m6").hex())
emit('const MERGE_NON_CANONICAL_HEX: &str = "%s";' % c.cmd("GET", "d9").hex())

# E. multi-key PFCOUNT.
emit("const UNIONS: &[(&[&str], i64)] = &[")
for keys in [("h10", "h100"), ("h100", "h20000"), ("h1", "missing", "h5000"),
             ("h20000", "h20000"), ("h1000", "o1000"), ("missing", "missing2")]:
    emit("    (&[%s], %d)," % (", ".join('"%s"' % k for k in keys), c.cmd("PFCOUNT", *keys)))
emit("];")

# F. crafted values: (name, hex-or-spec, PFCOUNT reply, PFADD a b c reply, digest after, PFMERGE reply)
emit("// (name, value, PFCOUNT, GET after PFCOUNT, PFADD a..e, GET after, PFMERGE into fresh key, its GET)")
emit("const CRAFTED: &[(&str, &str, Result<i64, &str>, (usize, u64), &[&str], Result<i64, &str>, (usize, u64), Result<i64, &str>, (usize, u64))] = &[")
hdr_sparse_stale = "48594c4c0100000000000000000000" + "80"
hdr_dense_stale = "48594c4c0000000000000000000000" + "80"
crafted = [
    ("all 63 dense", hdr_dense_stale + "ff" * 12288),
    ("all 51 one 50 dense", None),
    ("some 51 dense", None),
    ("truncated xzero valid", hdr_sparse_stale + "3e3f3f3f7f"),
    ("truncated xzero len1", hdr_sparse_stale + "7ffe40"),
    ("trailing val", hdr_sparse_stale + "7fff80"),
    ("trailing zero", hdr_sparse_stale + "7fff00"),
    ("empty body", hdr_sparse_stale),
    ("short total", hdr_sparse_stale + "7e7f"),
    ("long total", hdr_sparse_stale + "7fff7fff"),
    ("val overflow", hdr_sparse_stale + "7ffe83"),
    ("valid cache", "48594c4c010000003930000000000000" + "7fff"),
    ("valid cache dense", "48594c4c00aabbcc0100000000000000" + "00" * 12288),
    ("notused kept", "48594c4c01aabbcc0500000000000000" + "7fff"),
    ("xzero len1", hdr_sparse_stale + "4000" + "7ffe"),
    ("val max 32", hdr_sparse_stale + "fc" + "7ffe"),
    ("too short", "48594c4c01"),
    ("bad magic", "48594c4d01000000000000000000000" + "07fff"),
    ("encoding 2", "48594c4c02000000000000000000000" + "07fff"),
    ("dense short", hdr_dense_stale + "00" * 12287),
    ("dense long", hdr_dense_stale + "00" * 12289),
    ("sparse 16000", hdr_sparse_stale + "7e7f"),
]
default_elems = ["a", "b", "c", "d", "e"]
elems = {
    "truncated xzero len1": [find(lambda r: r == 16383, "t")],
    "xzero len1": [find(lambda r: r == 0, "z"), "a"],
    "sparse 16000": [find(lambda r: r < 16000, "p"), find(lambda r: r >= 16000, "q"), find(lambda r: r < 16000, "r")],
    "short total": [find(lambda r: r >= 16000, "s")],
}
# all registers 51 except register 0 at 50: 51 = 0b110011
regs = [51] * 16384
regs[0] = 50


def pack(regs):
    b = bytearray(12288 + 1)
    for i, v in enumerate(regs):
        bit = i * 6
        byte, fb = bit // 8, bit % 8
        b[byte] |= (v << fb) & 0xFF
        b[byte + 1] |= (v >> (8 - fb)) & 0xFF
    return bytes(b[:12288])


crafted[1] = (crafted[1][0], hdr_dense_stale + pack(regs).hex())
regs2 = [0] * 16384
for i in range(16384):
    regs2[i] = (i * 7) % 13
for i in range(0, 16384, 97):
    regs2[i] = 51
crafted[2] = (crafted[2][0], hdr_dense_stale + pack(regs2).hex())
crafted_hex = []
for name, hx in crafted:
    val = bytes.fromhex(hx)
    c.cmd("SET", "cr", val)
    r1 = c.cmd("PFCOUNT", "cr")
    g1 = digest("cr")
    el = elems.get(name, default_elems)
    r2 = c.cmd("PFADD", "cr", *el)
    g2 = digest("cr")
    c.cmd("SET", "cr", val)
    c.cmd("DEL", "crm")
    r3 = c.cmd("PFMERGE", "crm", "cr")
    r3 = Err(str(r3)) if isinstance(r3, Err) else c.cmd("PFCOUNT", "crm")
    g3 = digest("crm") if c.cmd("EXISTS", "crm") else "(0, 0)"
    spec = hx if len(hx) < 200 else "@" + name
    els = "&[%s]" % ", ".join('"%s"' % e for e in el)
    emit('    ("%s", "%s", %s, %s, %s, %s, %s, %s, %s),' % (name, spec, rv(r1), g1, els, rv(r2), g2, rv(r3), g3))
    if len(hx) >= 200:
        crafted_hex.append(name)
emit("];")

# Multi-key errors: first failing key decides.
c.cmd("SET", "bad_wrong", "HYLL")
c.cmd("SET", "bad_corrupt", bytes.fromhex(hdr_sparse_stale + "7e"))
emit("const UNION_ERRORS: &[(&[&str], &str)] = &[")
for keys in [("h10", "bad_corrupt", "bad_wrong"), ("h10", "bad_wrong", "bad_corrupt")]:
    emit('    (&[%s], "%s"),' % (", ".join('"%s"' % k for k in keys), str(c.cmd("PFCOUNT", *keys))))
    emit('    (&[%s], "%s"),' % (", ".join('"%s"' % k for k in keys), str(c.cmd("PFMERGE", *keys))))
emit("];")

print("\n".join(out))
