"""Mutated HLL strings run through the reference redis-server; one line per case.

Usage: gen_mutations.py PORT CASES > mutations.txt
       gen_mutations.py PORT 0 --full CASE     (the rendered replies of one case, for debugging)
Start the server with: redis-server --port PORT --bind 127.0.0.1 --save "" --appendonly no
Writes "case fnv64(rendered replies)" per case. The Rust test (server/src/types/hyperloglog.rs)
regenerates the same mutations with the same xorshift64* generator and renders its own replies.
"""
import sys
from resp import Client, Err, fnv64

M = 0xFFFFFFFFFFFFFFFF
c = Client(int(sys.argv[1]))
cases = int(sys.argv[2])
full = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--full" else None


class Rng:
    def __init__(self, seed):
        self.x = seed

    def next(self):
        x = self.x
        x ^= x >> 12
        x ^= (x << 25) & M
        x ^= x >> 27
        self.x = x
        return (x * 0x2545F4914F6CDD1D) & M

    def below(self, n):
        return self.next() % n


def fill(key, prefix, n, batch=100):
    c.cmd("DEL", key)
    for start in range(0, n, batch):
        c.cmd("PFADD", key, *[("%s%d" % (prefix, i)) for i in range(start, min(n, start + batch))])


c.cmd("FLUSHALL")
c.cmd("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
fill("h10", "elem:", 10)
fill("h100", "elem:", 100)
fill("h1000", "elem:", 1000)
fill("h20000", "elem:", 20000)
bases = [c.cmd("GET", k) for k in ["h10", "h100", "h1000", "h20000"]]
bases.append(bytes.fromhex("48594c4c0100000000000000000000803e3f3f3f7eff"))
bases.append(bytes.fromhex("48594c4c010000000000000000000080" + "40007ffe"))


def rep(r):
    if isinstance(r, Err):
        return "E:" + str(r).split(" ")[0]
    if r is None:
        return "-"
    if isinstance(r, str):
        return r
    if isinstance(r, int):
        return str(r)
    if isinstance(r, bytes):
        return "%016x" % fnv64(r)
    if isinstance(r, list):
        return "%016x" % fnv64(bytes(r))
    raise ValueError(r)


def mutate(rng, base):
    v = bytearray(base)
    v[15] |= 0x80
    for _ in range(1 + rng.below(3)):
        kind = rng.below(9)
        n = len(v)
        if kind == 0 and n > 16:
            v[16 + rng.below(n - 16)] ^= 1 << rng.below(8)
        elif kind == 1 and n > 16:
            v[16 + rng.below(n - 16)] = rng.below(256)
        elif kind == 2 and n > 0:
            del v[max(0, n - 1 - rng.below(8)):]
        elif kind == 3:
            pos = 16 + rng.below(n - 15) if n >= 16 else n
            v.insert(pos, rng.below(256))
        elif kind == 4 and n > 16:
            del v[16 + rng.below(n - 16)]
        elif kind == 5 and n > 0:
            v[rng.below(min(n, 16))] ^= 1 << rng.below(8)
        elif kind >= 6 and n > 16 and v[4] == 1:
            # Structure-preserving edits of a sparse body.
            ops = []
            p = 16
            while p < n:
                oplen = 2 if (v[p] & 0xC0) == 0x40 else 1
                if p + oplen <= n:
                    ops.append(p)
                p += oplen
            if kind == 6:
                vals = [p for p in ops if v[p] & 0x80]
                if vals:
                    p = vals[rng.below(len(vals))]
                    v[p] = (v[p] & 0x83) | (rng.below(32) << 2)
            elif kind == 7:
                zeros = [p for p in ops if not v[p] & 0x80]
                if zeros:
                    p = zeros[rng.below(len(zeros))]
                    if v[p] & 0x40:
                        span, oplen = ((v[p] & 0x3F) << 8 | v[p + 1]) + 1, 2
                    else:
                        span, oplen = (v[p] & 0x3F) + 1, 1
                    if span >= 2:
                        k = 1 + rng.below(span - 1)
                        repl = bytearray()
                        for run in (k, span - k):
                            if run > 64 or rng.below(4) == 0:
                                repl += bytes([0x40 | ((run - 1) >> 8), (run - 1) & 0xFF])
                            else:
                                repl.append(run - 1)
                        v[p:p + oplen] = repl
            else:
                vals = [p for p in ops if v[p] & 0x80 and v[p] & 3]
                if vals:
                    p = vals[rng.below(len(vals))]
                    v[p:p + 1] = bytes([v[p] & 0xFC]) * ((v[p] & 3) + 1)
    return bytes(v)


def ends_in_half_xzero(v):
    """A sparse body whose last opcode is an XZERO missing its second byte: Redis then reads the
    byte past the string's end, whose value depends on its allocator. Such cases are not compared."""
    if len(v) <= 16 or v[:4] != b"HYLL" or v[4] != 1:
        return False
    p = 16
    while p < len(v):
        p += 2 if (v[p] & 0xC0) == 0x40 else 1
    return p > len(v)


def run_case(i):
    rng = Rng(0x9E3779B97F4A7C15 ^ (i * 0x100000001B3 & M) or 1)
    pick = rng.below(16)
    base = bases[[0, 0, 1, 1, 1, 2, 2, 2, 3, 4, 4, 4, 5, 5, 5, 1][pick]]
    v = mutate(rng, base)
    mx = [3000, 40, 300][rng.below(3)]
    elems = ["f%d:%d" % (i, k) for k in range(rng.below(8))]
    c.cmd("CONFIG", "SET", "hll-sparse-max-bytes", str(mx))
    if ends_in_half_xzero(v):
        return None
    parts = [str(i)]
    c.cmd("SET", "m", v)
    parts.append(rep(c.cmd("PFCOUNT", "m")))
    parts.append(rep(c.cmd("GET", "m")))
    parts.append(rep(c.cmd("PFADD", "m", *elems)) if elems else rep(c.cmd("PFADD", "m")))
    parts.append(rep(c.cmd("GET", "m")))
    parts.append(rep(c.cmd("PFCOUNT", "m")))
    parts.append(rep(c.cmd("GET", "m")))
    c.cmd("SET", "m", v)
    c.cmd("DEL", "d")
    parts.append(rep(c.cmd("PFMERGE", "d", "m", "h10")))
    parts.append(rep(c.cmd("GET", "d")))
    parts.append(rep(c.cmd("PFCOUNT", "m", "h100")))
    parts.append(rep(c.cmd("PFMERGE", "m", "h10")))
    parts.append(rep(c.cmd("GET", "m")))
    c.cmd("SET", "m", v)
    parts.append(rep(c.cmd("PFDEBUG", "DECODE", "m")))
    parts.append(rep(c.cmd("PFDEBUG", "GETREG", "m")))
    parts.append(rep(c.cmd("GET", "m")))
    return " ".join(parts)


if full is not None:
    print(run_case(full))
else:
    print("# HyperLogLog mutation vectors from the reference redis-server (gen_mutations.py %d):" % cases)
    print("# 'case fnv64-of-rendered-replies', or 'case -' for an input ending in a half XZERO (not compared).")
    for i in range(cases):
        line = run_case(i)
        print("%d -" % i if line is None else "%d %016x" % (i, fnv64(line.encode())))
c.cmd("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
