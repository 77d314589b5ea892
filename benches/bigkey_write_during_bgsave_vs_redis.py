#!/usr/bin/env python3
"""Writes to one big collection while BGSAVE runs: redoubt-server against redis-server.

Each server gets one collection of N elements (default 2M, 500 per command through
`redis-cli --pipe`); then one client sends a write to it back to back for 0.5 s idle and for 4 s
after BGSAVE, and the longest and p99 round trips are printed. Redis's fork copies only the pages
a write touches. Redoubt shares the collection with the snapshot, and a write while the
serialiser still holds it copies only the part it touches (a dict segment, a list chunk, a
stream node...), so no write should wait much longer than idle.

Usage: benches/bigkey_write_during_bgsave_vs_redis.py [--fields N] [--types hash,set,...]
       [--redoubt PATH]
"""
import argparse, gc, os, shutil, socket, subprocess, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def cmd(s, *a):
    s.sendall(("*%d\r\n" % len(a) + "".join("$%d\r\n%s\r\n" % (len(x), x) for x in a)).encode())
    return s.recv(65536)


# For each type: the fill command with a placeholder for 500 elements, one element's arguments,
# and the probing write.
TYPES = {
    "hash": (["HSET", "big"], lambda i: ["field:%d" % i, "value-%d" % i], ["HSET", "big", "probe", "x"]),
    "set": (["SADD", "big"], lambda i: ["member:%d" % i], ["SADD", "big", "probe"]),
    "zset": (["ZADD", "big"], lambda i: [str(i), "member:%d" % i], ["ZADD", "big", "1.5", "probe"]),
    "list": (["RPUSH", "big"], lambda i: ["element-%d" % i], ["LSET", "big", "1000", "x"]),
    "stream": (["XADD", "big", "*"], lambda i: ["f", "v%d" % i], ["XADD", "big", "*", "f", "v"]),
}


def measure(binary, kind, fields):
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
        head, element, probe = TYPES[kind]
        per = 1 if kind == "stream" else 500
        for c in range(fields // per):
            args = list(head)
            for i in range(c * per, (c + 1) * per):
                args += element(i)
            out.append("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args))
        subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input="".join(out), capture_output=True, text=True,
                       timeout=600, check=True)
        # The probe must not measure this process: drop the fill commands (2M objects for a stream)
        # and keep the cyclic GC from pausing the loop to traverse what is left.
        del out
        gc.collect()
        gc.disable()
        res = {}
        for phase, secs in (("idle", 0.5), ("bgsave", 4.0)):
            if phase == "bgsave":
                cmd(s, "BGSAVE")
            lat = []
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < secs:
                t = time.perf_counter(); cmd(s, *probe); lat.append(time.perf_counter() - t)
            lat.sort()
            res[phase] = (lat[-1] * 1000, lat[int(len(lat) * 0.99)] * 1000)
        s.close()
        gc.enable()
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
    ap.add_argument("--types", default="hash,set,zset,list,stream")
    ap.add_argument("--redoubt", default=os.path.join(ROOT, "target", "release", "redoubt-server"))
    a = ap.parse_args()
    for kind in a.types.split(","):
        print(f"{' '.join(TYPES[kind][2])} on a {a.fields}-element {kind}: longest and p99 round trip (ms)")
        for who, binary in (("redis", "redis-server"), ("redoubt", a.redoubt)):
            r = measure(binary, kind, a.fields)
            print(f"  {who:<8} idle max {r['idle'][0]:8.2f} p99 {r['idle'][1]:6.2f}   "
                  f"during BGSAVE max {r['bgsave'][0]:8.2f} p99 {r['bgsave'][1]:6.2f}", flush=True)


if __name__ == "__main__":
    main()
