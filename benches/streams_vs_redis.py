#!/usr/bin/env python3
"""Streams side by side: redoubt-server vs redis-server on this machine, reported as ratios.

- XADD throughput (redis-benchmark, 50 clients, `XADD s * sensor-id 1234 temperature 19.8`) at
  pipeline 1 and 16;
- XRANGE of 100 entries (`XRANGE s - + COUNT 100` on the stream the XADD runs filled);
- XREADGROUP + XACK round trip (one client: read one entry with `>`, acknowledge it, repeat);
- memory per entry after loading N entries `sensor-id N temperature T` (through `redis-cli --pipe`).

Usage: benches/streams_vs_redis.py [--requests N] [--entries N] [--roundtrips N] [--redoubt PATH] [--skip-build]
The issue's memory figure is for 5M entries (`--entries 5000000`); the default is 1M to stay quick.
Servers alternate per test so drift in the machine's load hits both.
"""
import argparse, os, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=120).stdout


def bench(port, n, pipeline, *cmd):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-n", str(n), "-c", "50", "-P", str(pipeline), "--csv", "-q", *cmd],
                         capture_output=True, text=True, timeout=600).stdout
    for line in out.splitlines():
        parts = [p.strip('"') for p in line.split(",")]
        if len(parts) >= 2 and parts[0] != "test":
            return float(parts[1])
    raise RuntimeError(f"no result for {cmd}: {out!r}")


def resp(*args):
    out = f"*{len(args)}\r\n"
    for a in args:
        out += f"${len(a.encode())}\r\n{a}\r\n"
    return out.encode()


def roundtrips(port, n):
    """XREADGROUP one entry, XACK it; returns round trips per second."""
    cli(port, "del", "rt")
    payload = "".join(f"*5\r\n$4\r\nXADD\r\n$2\r\nrt\r\n${len(str(i + 1)) + 2}\r\n{i + 1}-0\r\n$1\r\nf\r\n$1\r\nv\r\n" for i in range(n))
    subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=payload, capture_output=True, text=True, timeout=600)
    cli(port, "xgroup", "create", "rt", "g", "0")
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    t = time.perf_counter()
    for i in range(n):
        s.sendall(resp("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "rt", ">"))
        # *1 *2 $2 rt *1 *2 $n id *2 $1 f $1 v: read until the value line.
        for _ in range(13):
            f.readline()
        s.sendall(resp("XACK", "rt", "g", f"{i + 1}-0"))
        f.readline()
    rate = n / (time.perf_counter() - t)
    s.close()
    return rate


def used_memory(port):
    for line in cli(port, "info", "memory").splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return 0


def memory_per_entry(port, n):
    cli(port, "flushall")
    time.sleep(0.5)
    before = used_memory(port)
    chunk = 200_000
    for start in range(0, n, chunk):
        payload = "".join(
            f"*7\r\n$4\r\nXADD\r\n$7\r\nsensors\r\n${len(str(i + 1)) + 2}\r\n{i + 1}-0\r\n$9\r\nsensor-id\r\n${len(str(i % 1000))}\r\n{i % 1000}\r\n"
            f"$11\r\ntemperature\r\n${len(str(i % 40)) + 2}\r\n{i % 40}.5\r\n"
            for i in range(start, min(n, start + chunk)))
        r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=payload, capture_output=True, text=True, timeout=600)
        if "errors: 0" not in r.stdout:
            raise RuntimeError(r.stdout + r.stderr)
    time.sleep(0.5)
    return (used_memory(port) - before) / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200_000)
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--roundtrips", type=int, default=20_000)
    ap.add_argument("--redoubt", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "redoubt-server"))
    ap.add_argument("--skip-build", action="store_true")
    a = ap.parse_args()
    if not a.skip_build:
        subprocess.run(["cargo", "build", "--release", "-p", "redoubt-server"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp()
    redis, rport = start("redis-server", tmp)
    ours, oport = start(a.redoubt, tmp)
    try:
        print(f"{'test':<28} {'redis':>12} {'redoubt':>12} {'ratio':>7}")
        tests = [
            ("XADD pipeline 1", lambda p: bench(p, a.requests, 1, "XADD", "s", "*", "sensor-id", "1234", "temperature", "19.8")),
            ("XADD pipeline 16", lambda p: bench(p, a.requests * 4, 16, "XADD", "s", "*", "sensor-id", "1234", "temperature", "19.8")),
            ("XRANGE 100 entries", lambda p: bench(p, a.requests // 4, 1, "XRANGE", "s", "-", "+", "COUNT", "100")),
            ("XREADGROUP+XACK round trip", lambda p: roundtrips(p, a.roundtrips)),
        ]
        for i, (name, run) in enumerate(tests):
            order = [(rport, "r"), (oport, "o")] if i % 2 == 0 else [(oport, "o"), (rport, "r")]
            res = {who: run(port) for port, who in order}
            print(f"{name:<28} {res['r']:>12.0f} {res['o']:>12.0f} {res['o'] / res['r']:>7.2f}", flush=True)
        r_mem = memory_per_entry(rport, a.entries)
        o_mem = memory_per_entry(oport, a.entries)
        print(f"\nmemory per entry ({a.entries} entries of `sensor-id N temperature T`): redis {r_mem:.1f} B, "
              f"redoubt {o_mem:.1f} B, ratio {o_mem / r_mem:.2f}")
    finally:
        for p in (redis, ours):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    sys.exit(main())
