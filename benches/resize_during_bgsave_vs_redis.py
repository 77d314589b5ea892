#!/usr/bin/env python3
"""A hash that must grow right after BGSAVE starts: redoubt-server against redis-server.

Each server gets one hash of exactly 2^21 fields (a full table at load factor 1), then BGSAVE,
then 20 `HSET big newN x` back to back; the round trips are printed. Growing the table while the
snapshot shares it would copy every shared node (Redoubt measured 758 ms before it deferred
the growth, as Redis does while a fork child runs, until load factor 5 or the snapshot's end).

Usage: benches/resize_during_bgsave_vs_redis.py [redoubt-server path]
"""
import gc, os, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def cmd(s, *a):
    s.sendall(("*%d\r\n" % len(a) + "".join("$%d\r\n%s\r\n" % (len(x), x) for x in a)).encode())
    return s.recv(65536)


def measure(binary):
    d = tempfile.mkdtemp(prefix="resize-")
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
        for c in range(4096):
            args = ["HSET", "big"]
            for i in range(c * 512, (c + 1) * 512):
                args += ["f%d" % i, "v"]
            out.append("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args))
        subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input="".join(out), capture_output=True, text=True,
                       timeout=600, check=True)
        del out
        gc.collect()
        assert cmd(s, "HLEN", "big") == b":2097152\r\n"
        assert cmd(s, "BGSAVE").startswith(b"+Background saving started")
        lat = []
        for i in range(20):
            t = time.perf_counter(); cmd(s, "HSET", "big", "new%d" % i, "x"); lat.append((time.perf_counter() - t) * 1000)
        s.close()
        return lat
    finally:
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        subprocess.run(["rm", "-rf", d])


def main():
    redoubt = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "redoubt-server")
    print("HSET of new fields into a full 2^21-field hash right after BGSAVE: round trips (ms)")
    for who, binary in (("redis", "redis-server"), ("redoubt", redoubt)):
        lat = measure(binary)
        print(f"  {who:<8} first {lat[0]:8.2f}  max {max(lat):8.2f}  median {sorted(lat)[len(lat) // 2]:6.2f}")


if __name__ == "__main__":
    main()
