#!/usr/bin/env python3
"""Time `redoubt-aof replay` against `redis-cli --pipe` sending the same AOF to a fresh redis-server.

What it does:
  1. Builds a release `redoubt-aof` (`cargo build --release -p redoubt-aof`, into $CARGO_TARGET_DIR or
     <repo>/target) unless --skip-build or --bin is given.
  2. Writes a single-file AOF of N commands (default 1M) in exactly the form Redis writes
     (`*N\\r\\n$len\\r\\n...`, a SELECT 0 first): a mix of SET key:i <32-byte value> (60%), HSET
     (15%), RPUSH (10%), INCR (10%) and ZADD (5%) over 200k keys.
  3. For each tool, starts a fresh redis-server 7.0 (`--save "" --appendonly no`) on a free loopback
     port, times sending the whole file (`redoubt-aof replay FILE --to 127.0.0.1:PORT`, or
     `redis-cli -p PORT --pipe < FILE`), checks both servers end with the same DEBUG DIGEST, and
     stops it. Runs are repeated (--repeat, the fastest kept), alternating the tools.
  4. Prints seconds, commands/s and the ratio redoubt-aof / redis-cli (time).

Usage: benches/aof_replay_vs_redis_cli.py [--commands N] [--repeat R] [--skip-build] [--bin PATH]
Needs: redis-server and redis-cli 7.x on PATH, cargo (unless --bin).
"""
import argparse, os, random, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def enc(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def write_aof(path, n, seed=7):
    rnd = random.Random(seed)
    with open(path, "wb") as f:
        buf = [enc([b"SELECT", b"0"])]
        for i in range(n - 1):
            k = rnd.randrange(200_000)
            r = rnd.random()
            if r < 0.60:
                cmd = [b"SET", b"key:%d" % k, b"%032d" % i]
            elif r < 0.75:
                cmd = [b"HSET", b"hash:%d" % (k % 20_000), b"f%d" % (k % 50), b"%d" % i]
            elif r < 0.85:
                cmd = [b"RPUSH", b"list:%d" % (k % 5_000), b"item%d" % i]
            elif r < 0.95:
                cmd = [b"INCR", b"counter:%d" % (k % 10_000)]
            else:
                cmd = [b"ZADD", b"zset:%d" % (k % 2_000), b"%d" % (i % 1000), b"m%d" % k]
            buf.append(enc(cmd))
            if len(buf) >= 10_000:
                f.write(b"".join(buf))
                buf = []
        f.write(b"".join(buf))


class Server:
    def __init__(self, workdir):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(dir=workdir)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--save", "", "--appendonly", "no", "--enable-debug-command", "yes",
             "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.cli("PING").strip() == "PONG":
                return
            time.sleep(0.05)
        self.stop()
        raise SystemExit("redis-server did not start")

    def cli(self, *args):
        r = subprocess.run(["redis-cli", "-p", str(self.port)] + list(args),
                           capture_output=True, text=True)
        return r.stdout

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def run_once(tool, binary, aof, workdir):
    srv = Server(workdir)
    try:
        t0 = time.perf_counter()
        if tool == "redoubt-aof":
            r = subprocess.run([binary, "replay", aof, "--to", "127.0.0.1:%d" % srv.port],
                               capture_output=True, text=True)
        else:
            with open(aof, "rb") as f:
                r = subprocess.run(["redis-cli", "-p", str(srv.port), "--pipe"], stdin=f,
                                   capture_output=True, text=True)
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            raise SystemExit("%s failed: %s %s" % (tool, r.stdout[-500:], r.stderr[-500:]))
        return dt, srv.cli("DEBUG", "DIGEST").strip(), srv.cli("DBSIZE").strip()
    finally:
        srv.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commands", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--bin")
    a = ap.parse_args()
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    binary = a.bin or os.path.join(target, "release", "redoubt-aof")
    if not a.bin and not a.skip_build:
        subprocess.run(["cargo", "build", "--release", "-p", "redoubt-aof"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as work:
        aof = os.path.join(work, "appendonly.aof")
        t0 = time.perf_counter()
        write_aof(aof, a.commands)
        size = os.path.getsize(aof)
        print("AOF: %d commands, %.1f MB, written in %.1fs" % (a.commands, size / 1e6,
                                                               time.perf_counter() - t0))
        best = {"redoubt-aof": None, "redis-cli --pipe": None}
        digests = set()
        for _ in range(a.repeat):
            for tool in best:
                dt, digest, dbsize = run_once(tool, binary, aof, work)
                digests.add(digest)
                best[tool] = dt if best[tool] is None else min(best[tool], dt)
                print("  %-18s %.3fs  (dbsize %s)" % (tool, dt, dbsize))
        if len(digests) != 1:
            raise SystemExit("datasets differ: %s" % digests)
        print("%-18s %10s %14s" % ("tool", "seconds", "commands/s"))
        for tool, dt in best.items():
            print("%-18s %10.3f %14.0f" % (tool, dt, a.commands / dt))
        print("ratio redoubt-aof / redis-cli --pipe (time): %.2f" %
              (best["redoubt-aof"] / best["redis-cli --pipe"]))
        print("same DEBUG DIGEST on every target: %s" % digests.pop())


if __name__ == "__main__":
    sys.exit(main())
