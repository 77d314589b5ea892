#!/usr/bin/env python3
"""Longest command while one table grows: redoubt-server against redis-server on this machine.

For each command, a fresh server gets N commands from `redis-benchmark -c 20 -P 1 -n N -r 1e11`
that each add a new element (so the table doubles several times): SET key:__rand_int__ (the
keyspace), HSET / SADD / ZADD on one key. A table that rehashes at once holds a command for as long
as it takes to move every element; an incremental one spreads that work. Reported: the latency
summary's p99 and max (ms) per server.

Usage: benches/growth_latency_vs_redis.py [--n N] [--redoubt PATH]
Ratios, not absolute numbers, are what to compare: the machines are shared and noisy.
"""
import argparse, os, shutil, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMANDS = {
    "set": ["set", "key:__rand_int__", "v"],
    "hset": ["hset", "h", "f:__rand_int__", "v"],
    "sadd": ["sadd", "s", "m:__rand_int__"],
    "zadd": ["zadd", "z", "__rand_int__", "m:__rand_int__"],
}


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def run(binary, n, args):
    tmp = tempfile.mkdtemp(prefix="growth-", dir=os.environ.get("BENCH_DIR"))
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout.strip() == "PONG":
                break
            time.sleep(0.05)
        out = subprocess.run(["redis-benchmark", "-p", str(port), "-c", "20", "-P", "1", "-n", str(n),
                              "-r", "100000000000", *args], capture_output=True, text=True, timeout=3600).stdout
        lines = out.replace("\r", "\n").splitlines()
        for i, line in enumerate(lines):
            if "latency summary" in line:
                values = lines[i + 2].split()  # avg min p50 p95 p99 max
                return float(values[4]), float(values[5])
        raise RuntimeError(f"no latency summary from redis-benchmark:\n{out[-500:]}")
    finally:
        proc.kill(); proc.wait(); shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2_500_000)
    ap.add_argument("--redoubt", default=os.path.join(ROOT, "target", "release", "redoubt-server"))
    a = ap.parse_args()
    if not os.access(a.redoubt, os.X_OK):
        sys.exit(f"{a.redoubt} is not an executable (cargo build --release -p redoubt-server)")
    print(f"{a.n} commands adding new elements, -c 20 -P 1; p99 / max round trip (ms)")
    for name, args in COMMANDS.items():
        r = run("redis-server", a.n, args)
        o = run(a.redoubt, a.n, args)
        print(f"  {name:<5} redis p99 {r[0]:6.3f} max {r[1]:8.2f}   redoubt p99 {o[0]:6.3f} max {o[1]:8.2f}", flush=True)


if __name__ == "__main__":
    main()
