#!/usr/bin/env python3
"""Side-by-side throughput and memory of redoubt-server and redis-server on this machine.

Runs redis-benchmark (50 clients, random keys over 1M, 64-byte values) for SET, GET, INCR, LPUSH,
HSET, ZADD, SADD at pipeline 1 and 16 against both servers, alternating server per test so drift in
the machine's load hits both, and prints Redoubt/Redis ratios. Then loads 1M keys `key:NNNNNNN` ->
64-byte value into each (through `redis-cli --pipe`) and reports used_memory and RSS.

Usage: benches/server_vs_redis.py [--requests N] [--redoubt PATH] [--skip-build]
Ratios, not absolute numbers, are what to compare: the machines are shared and noisy.
"""
import argparse, os, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = ["set", "get", "incr", "lpush", "hset", "zadd", "sadd"]

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def start(binary, tmp):
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill(); raise RuntimeError(f"{binary} did not start")

def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=60).stdout

def bench(port, test, n, pipeline):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", test, "-n", str(n), "-c", "50", "-r", "1000000",
                          "-d", "64", "-P", str(pipeline), "--csv", "-q"], capture_output=True, text=True, timeout=600).stdout
    for line in out.splitlines():
        parts = [p.strip('"') for p in line.split(",")]
        if len(parts) >= 2 and parts[0] != "test":
            return float(parts[1])
    raise RuntimeError(f"no result for {test}: {out!r}")

def info_field(port, field):
    for line in cli(port, "info", "memory").splitlines():
        if line.startswith(field + ":"):
            return int(line.split(":")[1])
    return 0

def load_million(port):
    cli(port, "flushall")
    value = "v" * 64
    payload = "".join(f"*3\r\n$3\r\nSET\r\n$11\r\nkey:{i:07d}\r\n$64\r\n{value}\r\n" for i in range(1_000_000))
    r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=payload, capture_output=True, text=True, timeout=600)
    if "errors: 0" not in r.stdout:
        raise RuntimeError(r.stdout + r.stderr)
    time.sleep(1)
    return info_field(port, "used_memory"), info_field(port, "used_memory_rss"), int(cli(port, "dbsize").strip())

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200_000)
    ap.add_argument("--redoubt", default=os.path.join(ROOT, "target", "release", "redoubt-server"))
    ap.add_argument("--skip-build", action="store_true")
    a = ap.parse_args()
    if not a.skip_build:
        subprocess.run(["cargo", "build", "--release", "-p", "redoubt-server"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp()
    redis, rport = start("redis-server", tmp)
    ours, oport = start(a.redoubt, tmp)
    try:
        print(f"{'test':<8} {'pipeline':>8} {'redis rps':>12} {'redoubt rps':>12} {'ratio':>7}")
        rows = []
        for pipeline in (1, 16):
            for i, t in enumerate(TESTS):
                order = [(rport, "r"), (oport, "o")] if i % 2 == 0 else [(oport, "o"), (rport, "r")]
                res = {}
                for port, who in order:
                    res[who] = bench(port, t, a.requests * (4 if pipeline > 1 else 1), pipeline)
                ratio = res["o"] / res["r"]
                rows.append((t, pipeline, res["r"], res["o"], ratio))
                print(f"{t.upper():<8} {pipeline:>8} {res['r']:>12.0f} {res['o']:>12.0f} {ratio:>7.2f}", flush=True)
        r_used, r_rss, r_n = load_million(rport)
        o_used, o_rss, o_n = load_million(oport)
        print()
        print(f"1M keys (key:NNNNNNN -> 64 B): redis used_memory {r_used/r_n:.0f} B/key rss {r_rss/2**20:.0f} MiB; "
              f"redoubt used_memory {o_used/o_n:.0f} B/key rss {o_rss/2**20:.0f} MiB; "
              f"ratio used {o_used/r_used:.2f} rss {o_rss/r_rss:.2f}")
    finally:
        for p in (redis, ours):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()

if __name__ == "__main__":
    sys.exit(main())
