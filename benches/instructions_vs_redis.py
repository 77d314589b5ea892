#!/usr/bin/env python3
"""Noise-free companion to server_vs_redis.py: user-space instructions per command, both servers.

Runs each server under `valgrind --tool=callgrind`, drives the same redis-benchmark load through it
(SET, GET, INCR, LPUSH, HSET, ZADD, SADD; 50 clients, -P 16, random keys over 1M, 64-byte values), and
reports instructions per command and the Redoubt/Redis ratio. Instruction counts do not depend on
what else the shared machine is doing, so this is the number to watch for regressions; throughput
itself comes from server_vs_redis.py. Startup cost is measured separately (a PING-only run) and
subtracted.

Usage: benches/instructions_vs_redis.py [--requests N] [--redoubt PATH]   (needs valgrind)
"""
import argparse, os, re, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = "set,get,incr,lpush,hset,zadd,sadd"

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def run(binary, requests):
    port = free_port()
    out = tempfile.mktemp(suffix=".callgrind")
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary, "--port", str(port),
                             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tempfile.mkdtemp()],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close(); break
        except OSError:
            time.sleep(0.1)
    if requests:
        subprocess.run(["redis-benchmark", "-p", str(port), "-t", TESTS, "-n", str(requests), "-c", "50", "-r", "1000000",
                        "-d", "64", "-P", "16", "-q"], stdout=subprocess.DEVNULL, timeout=1800)
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True, timeout=60)
    proc.wait(timeout=120)
    text = subprocess.run(["callgrind_annotate", out], capture_output=True, text=True).stdout
    os.unlink(out)
    m = re.search(r"([\d,]+) \(100.0%\)\s+PROGRAM TOTALS", text)
    return int(m.group(1).replace(",", ""))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--redoubt", default=os.path.join(ROOT, "target", "release", "redoubt-server"))
    a = ap.parse_args()
    commands = a.requests * len(TESTS.split(","))
    res = {}
    for name, binary in [("redis", "redis-server"), ("redoubt", a.redoubt)]:
        base = run(binary, 0)
        total = run(binary, a.requests)
        res[name] = (total - base) / commands
        print(f"{name:8} {res[name]:8.0f} instructions/command (startup {base/1e6:.1f}M)", flush=True)
    print(f"ratio redoubt/redis: {res['redoubt'] / res['redis']:.2f}")

if __name__ == "__main__":
    sys.exit(main())
