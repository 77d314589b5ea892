#!/usr/bin/env python3
"""Loading a dump that holds one big stream: redoubt-server against redis-server, same file.

redis-server builds a stream of N entries (`XADD s * sensor-id 1234 temperature 19.8`, through
`redis-cli --pipe`) and SAVEs it; then each server starts on a copy of that dump and the load time
it logs ("DB loaded from disk: X seconds") is compared. Redoubt adopts the stream's listpack nodes
as they are (checked, not re-encoded), so the work is reading and checking the bytes.

The servers alternate for `--rounds` rounds (default 5) and the best and median load times are
compared: on a VM the first touch of fresh memory costs about 1 ms per MiB and varies a lot from
one start to the next (the host backs the pages lazily), for both servers alike.

Usage: benches/stream_load_vs_redis.py [--entries N] [--rounds R] [--redoubt PATH] [--skip-build]
"""
import argparse, os, re, shutil, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=900).stdout


def start(binary, d, logpath):
    port = free_port()
    log = open(logpath, "w")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", d], stdout=log, stderr=log)
    for _ in range(2400):
        if cli(port, "ping").strip() == "PONG":
            return proc, port
        time.sleep(0.05)
    proc.kill(); raise RuntimeError(f"{binary} did not start")


def stop(proc, port):
    cli(port, "shutdown", "nosave")
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def load_seconds(logpath):
    text = open(logpath).read()
    m = re.findall(r"DB loaded from disk: ([0-9.]+) seconds", text)
    if not m:
        raise RuntimeError("no load time in " + logpath + ":\n" + text[-2000:])
    return float(m[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=5_000_000)
    ap.add_argument("--redoubt", default=os.path.join(ROOT, "target", "release", "redoubt-server"))
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    if not a.skip_build:
        subprocess.run(["cargo", "build", "--release", "-p", "redoubt-server"], cwd=ROOT, check=True)
    base = tempfile.mkdtemp(prefix="stream-load-", dir=os.environ.get("BENCH_DIR"))
    try:
        src = os.path.join(base, "src"); os.makedirs(src)
        proc, port = start("redis-server", src, os.path.join(base, "src.log"))
        try:
            line = "*7\r\n$4\r\nXADD\r\n$1\r\ns\r\n$1\r\n*\r\n$9\r\nsensor-id\r\n$4\r\n1234\r\n$11\r\ntemperature\r\n$4\r\n19.8\r\n"
            batch = 1_000_000
            for start_at in range(0, a.entries, batch):
                n = min(batch, a.entries - start_at)
                r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=line * n, capture_output=True,
                                   text=True, timeout=900)
                if "errors: 0" not in r.stdout:
                    raise RuntimeError(r.stdout + r.stderr)
            cli(port, "save")
        finally:
            stop(proc, port)
        dump = os.path.join(src, "dump.rdb")
        size = os.path.getsize(dump)
        res = {"redis": [], "redoubt": []}
        for _ in range(a.rounds):
            for who, binary in (("redis", "redis-server"), ("redoubt", a.redoubt)):
                d = os.path.join(base, who); os.makedirs(d, exist_ok=True)
                shutil.copy(dump, os.path.join(d, "dump.rdb"))
                logpath = os.path.join(base, who + ".log")
                proc, port = start(binary, d, logpath)
                n = cli(port, "xlen", "s").strip()
                stop(proc, port)
                if n != str(a.entries):
                    raise RuntimeError(f"{who} loaded {n} entries")
                res[who].append(load_seconds(logpath))
        print(f"{a.entries} entries, dump {size / 2**20:.1f} MiB, {a.rounds} rounds")
        print("redis:   " + " ".join(f"{x:.3f}" for x in res["redis"]))
        print("redoubt: " + " ".join(f"{x:.3f}" for x in res["redoubt"]))
        print(f"{'load s':<10} {'redis':>8} {'redoubt':>8} {'ratio':>7}")
        for name, pick in (("best", min), ("median", statistics.median)):
            r, o = pick(res["redis"]), pick(res["redoubt"])
            print(f"{name:<10} {r:>8.3f} {o:>8.3f} {o / r:>7.2f}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
