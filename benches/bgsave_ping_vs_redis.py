#!/usr/bin/env python3
"""A lone client's PING round trips while BGSAVE runs: redoubt-server against redis-server.

Each server gets N string keys from `DEBUG POPULATE N`; then, twice, BGSAVE is sent and one
connection pings back to back (checking INFO persistence every 200 PINGs) until the save ends.
Reported per save: its duration, and the PING round trips' median, p99 and maximum. Redis's
fork leaves its main thread to the client; Redoubt's snapshot walker takes steps on the command
thread, so this shows what a light, latency-sensitive client pays for a save. Python's GC is
off while probing.

Usage: benches/bgsave_ping_vs_redis.py [--keys N] [--redoubt PATH]
Ratios, not absolute numbers, are what to compare: the machines are shared and noisy.
"""
import argparse, gc, os, shutil, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def probe(binary, keys):
    tmp = tempfile.mkdtemp(prefix="bgsave-ping-", dir=os.environ.get("BENCH_DIR"))
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", tmp, "--enable-debug-command", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                c = socket.create_connection(("127.0.0.1", port)); break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"{binary} did not start")

        def cmd(*args):
            c.sendall(("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args)).encode())
            buf = b""
            while not buf.endswith(b"\r\n") or (buf.startswith(b"$") and buf.count(b"\r\n") < 2):
                buf += c.recv(1 << 20)
            return buf

        if not cmd("DEBUG", "POPULATE", str(keys)).startswith(b"+OK"):
            raise RuntimeError("DEBUG POPULATE failed")
        results = []
        gc.disable()
        try:
            for _ in range(2):
                rtts = []
                cmd("BGSAVE")
                start = time.perf_counter()
                while True:
                    t = time.perf_counter(); cmd("PING"); rtts.append(time.perf_counter() - t)
                    if len(rtts) % 200 == 0 and b"rdb_bgsave_in_progress:1" not in cmd("INFO", "persistence"):
                        break
                rtts.sort()
                results.append((time.perf_counter() - start, rtts[len(rtts) // 2], rtts[len(rtts) * 99 // 100], rtts[-1]))
        finally:
            gc.enable()
        return results
    finally:
        proc.kill(); proc.wait(); shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keys", type=int, default=2_000_000)
    ap.add_argument("--redoubt", default=os.path.join(ROOT, "target", "release", "redoubt-server"))
    a = ap.parse_args()
    if not os.access(a.redoubt, os.X_OK):
        sys.exit(f"{a.redoubt} is not an executable (cargo build --release -p redoubt-server)")
    print(f"{a.keys} keys (DEBUG POPULATE); PING back to back during BGSAVE")
    for name, binary in [("redis", "redis-server"), ("redoubt", a.redoubt)]:
        for secs, p50, p99, worst in probe(binary, a.keys):
            print(f"  {name:<8} BGSAVE {secs:6.2f} s   PING median {p50 * 1e6:6.0f} us  p99 {p99 * 1e6:6.0f} us"
                  f"  max {worst * 1e3:6.2f} ms", flush=True)


if __name__ == "__main__":
    main()
