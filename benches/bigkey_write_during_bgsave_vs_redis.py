#!/usr/bin/env python3
"""Writes to one big hash while BGSAVE runs: redoubt-server against redis-server.

Each server gets a hash of N fields (default 2M, `HSET` 500 fields per command through
`redis-cli --pipe`); then one client sends `HSET bighash probe x` back to back for 0.5 s idle and
for 4 s after BGSAVE, and the longest and p99 round trips are printed. Redis's fork copies only
the pages a write touches; Redoubt shares the hash with the snapshot, so a write while the
serialiser still holds it copies the whole hash under the lock (the known worst case).

Usage: benches/bigkey_write_during_bgsave_vs_redis.py [--fields N] [--redoubt PATH]
"""
import argparse, os, shutil, socket, subprocess, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def cmd(s, *a):
    s.sendall(("*%d\r\n" % len(a) + "".join("$%d\r\n%s\r\n" % (len(x), x) for x in a)).encode())
    return s.recv(65536)


def measure(binary, fields):
    d = tempfile.mkdtemp(prefix="bigkey-")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                s = socket.create_connection(("127.0.0.1", port)); break
            except OSError:
                time.sleep(0.05)
        out = []
        for c in range(fields // 500):
            args = ["HSET", "bighash"]
            for i in range(c * 500, (c + 1) * 500):
                args += ["field:%d" % i, "value-%d" % i]
            out.append("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args))
        subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input="".join(out), capture_output=True, text=True,
                       timeout=600, check=True)
        res = {}
        for phase, secs in (("idle", 0.5), ("bgsave", 4.0)):
            if phase == "bgsave":
                cmd(s, "BGSAVE")
            lat = []
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < secs:
                t = time.perf_counter(); cmd(s, "HSET", "bighash", "probe", "x"); lat.append(time.perf_counter() - t)
            lat.sort()
            res[phase] = (lat[-1] * 1000, lat[int(len(lat) * 0.99)] * 1000)
        s.close()
        return res
    finally:
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fields", type=int, default=2_000_000)
    ap.add_argument("--redoubt", default=os.path.join(ROOT, "target", "release", "redoubt-server"))
    a = ap.parse_args()
    print(f"HSET to a {a.fields}-field hash: longest and p99 round trip (ms)")
    for who, binary in (("redis", "redis-server"), ("redoubt", a.redoubt)):
        r = measure(binary, a.fields)
        print(f"{who:<8} idle max {r['idle'][0]:8.2f} p99 {r['idle'][1]:6.2f}   "
              f"during BGSAVE max {r['bgsave'][0]:8.2f} p99 {r['bgsave'][1]:6.2f}")


if __name__ == "__main__":
    main()
