#!/usr/bin/env python3
"""The append-only file side by side: redoubt-server and redis-server 7.0 on this machine.

1. SET throughput with `appendonly yes` and `appendfsync always` (50 clients, pipeline 1, random
   keys over 1M, 64-byte values: redis-benchmark), then with `appendfsync everysec`. The servers
   alternate per run so drift in the machine's load hits both; each server has its own data dir
   on the same filesystem.
2. BGREWRITEAOF of 1M keys (`key:NNNNNNN` -> 64 bytes): time from the command until INFO shows
   aof_rewrite_in_progress:0 again.

Prints Redoubt/Redis ratios (throughput: higher is better for Redoubt; durations: lower is).
Usage: benches/aof_vs_redis.py [--requests N] [--rounds R] [--redoubt PATH] [--skip-build]
"""
import argparse, os, shutil, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def start(binary, tmp, *extra):
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp,
                             *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(400):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            if "loading:0" in cli(port, "info", "persistence"):
                return proc, port
        except OSError:
            pass
        time.sleep(0.05)
    proc.kill(); raise RuntimeError(f"{binary} did not start")


def stop(proc, port):
    cli(port, "shutdown", "nosave")
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=600).stdout


def info(port, field):
    for line in cli(port, "info", "persistence").splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return ""


def wait_rewrite(port, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if info(port, "aof_rewrite_in_progress") == "0" and info(port, "aof_rewrite_scheduled") == "0":
            return
        time.sleep(0.01)
    raise RuntimeError("rewrite did not finish")


def bench_set(port, n):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set", "-n", str(n), "-c", "50", "-r", "1000000",
                          "-d", "64", "-P", "1", "--csv", "-q"], capture_output=True, text=True, timeout=900).stdout
    for line in out.splitlines():
        parts = [p.strip('"') for p in line.split(",")]
        if len(parts) >= 2 and parts[0] != "test":
            return float(parts[1])
    raise RuntimeError(f"no result: {out!r}")


def load_million(port):
    value = "v" * 64
    payload = "".join(f"*3\r\n$3\r\nSET\r\n$11\r\nkey:{i:07d}\r\n$64\r\n{value}\r\n" for i in range(1_000_000))
    r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=payload, capture_output=True, text=True, timeout=900)
    if "errors: 0" not in r.stdout:
        raise RuntimeError(r.stdout + r.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--redoubt", default=os.path.join(ROOT, "target", "release", "redoubt-server"))
    ap.add_argument("--skip-build", action="store_true")
    a = ap.parse_args()
    if not a.skip_build:
        subprocess.run(["cargo", "build", "--release", "-p", "redoubt-server"], cwd=ROOT, check=True)
    base = tempfile.mkdtemp(prefix="aof-bench-", dir=os.environ.get("BENCH_DIR"))
    servers = {"redis": "redis-server", "redoubt": a.redoubt}
    try:
        print(f"{'appendfsync':<12} {'round':>5} {'redis rps':>12} {'redoubt rps':>12} {'ratio':>7}")
        for policy in ("always", "everysec"):
            for rnd in range(a.rounds):
                order = ["redis", "redoubt"] if rnd % 2 == 0 else ["redoubt", "redis"]
                res = {}
                for who in order:
                    d = os.path.join(base, f"{who}-{policy}-{rnd}")
                    os.makedirs(d)
                    proc, port = start(servers[who], d, "--appendonly", "yes", "--appendfsync", policy)
                    try:
                        wait_rewrite(port)
                        res[who] = bench_set(port, a.requests)
                    finally:
                        stop(proc, port)
                    shutil.rmtree(d, ignore_errors=True)
                print(f"{policy:<12} {rnd:>5} {res['redis']:>12.0f} {res['redoubt']:>12.0f} {res['redoubt'] / res['redis']:>7.2f}")
        print()
        print(f"{'BGREWRITEAOF 1M keys':<22} {'redis s':>8} {'redoubt s':>10} {'ratio':>7}")
        res = {}
        for who in ("redis", "redoubt"):
            d = os.path.join(base, f"{who}-rewrite")
            os.makedirs(d)
            # No automatic rewrite: loading 1M keys would start one, and BGREWRITEAOF would then
            # only wait for its end.
            proc, port = start(servers[who], d, "--appendonly", "yes", "--appendfsync", "everysec",
                               "--auto-aof-rewrite-percentage", "0")
            try:
                wait_rewrite(port)
                load_million(port)
                wait_rewrite(port)
                t = time.time()
                reply = cli(port, "bgrewriteaof")
                if "started" not in reply:
                    raise RuntimeError(f"{who}: BGREWRITEAOF -> {reply!r}")
                wait_rewrite(port)
                res[who] = time.time() - t
            finally:
                stop(proc, port)
            shutil.rmtree(d, ignore_errors=True)
        print(f"{'':<22} {res['redis']:>8.2f} {res['redoubt']:>10.2f} {res['redoubt'] / res['redis']:>7.2f}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
