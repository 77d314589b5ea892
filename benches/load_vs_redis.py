#!/usr/bin/env python3
"""Startup load time of dumps written by redis-server: redoubt-server against redis-server, same file.

Two datasets, each built once in a redis-server and SAVEd:
  mixed    1M string keys `key:NNNNNNN` -> 16 bytes, one hash `bighash` of 1M fields, one stream
           `sensors` of 5M entries (`XADD sensors * sensor-id 1234 temperature 19.8`), all through
           `redis-cli --pipe`; `--mixed-scale` scales the three counts (try 0.05 first);
  strings  N small string keys (`DEBUG POPULATE N key 8`: `key:0` .. `key:N-1` -> 8 bytes).
Then, per round, each server starts on its own copy of the dump (servers alternate who goes first)
and two load times are taken: the wall time from spawning the process until PING answers PONG (not
-LOADING; comparable across servers, includes exec and startup), and the server's own log figure
("DB loaded from disk: X seconds"). DBSIZE is checked every round and DEBUG DIGEST must agree
between the two servers in the first round. The PSS after load is printed for information.

Usage: benches/load_vs_redis.py [--keys N] [--mixed-scale F] [--only mixed|strings] [--rounds R]
                                [--redoubt PATH]
Temporary files go under $BENCH_DIR (or the system temp dir) and are removed at the end.
Ratios, not absolute numbers, are what to compare: the machines are shared and noisy.
"""
import argparse, os, re, shutil, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=900).stdout.strip()


def info(port, field, section="persistence"):
    for line in cli(port, "info", section).splitlines():
        if line.startswith(field + ":"):
            return line.split(":")[1]
    return ""


def rss_tree(pid):
    """Proportional set size (PSS) in bytes of a process and its direct children."""
    total = 0
    pids = [pid]
    try:
        pids += [int(p) for p in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in open(f"/proc/{p}/smaps_rollup"):
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def ping_until_pong(port, proc, deadline_s=1800):
    """Polls with a raw socket every 2 ms (a redis-cli per try would cost more than the resolution)
    until the server answers +PONG. A server that is loading may refuse connections (Redoubt loads
    before it listens) or answer -LOADING (Redis): both mean "not yet"."""
    end = time.perf_counter() + deadline_s
    while time.perf_counter() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} while loading")
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            time.sleep(0.002); continue
        try:
            s.settimeout(deadline_s)
            while time.perf_counter() < end:
                s.sendall(b"PING\r\n")
                reply = b""
                while not reply.endswith(b"\r\n"):
                    chunk = s.recv(4096)
                    if not chunk:
                        raise ConnectionError("closed")
                    reply += chunk
                if reply.startswith(b"+PONG"):
                    return
                time.sleep(0.002)
        except OSError:
            time.sleep(0.002)
        finally:
            s.close()
    raise RuntimeError("server did not answer PONG in time")


def start(binary, d, logpath, procs):
    """Starts a server on dir d; returns (proc, port, wall seconds until the first PONG)."""
    port = free_port()
    log = open(logpath, "w")
    t = time.perf_counter()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", d, "--dbfilename", "dump.rdb", "--enable-debug-command", "yes"],
                            stdout=log, stderr=log)
    log.close()
    procs.append((proc, port))
    ping_until_pong(port, proc)
    return proc, port, time.perf_counter() - t


def stop(proc, port, procs):
    if proc.poll() is None:
        try:
            subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            pass
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill(); proc.wait()
    if (proc, port) in procs:
        procs.remove((proc, port))


def log_load_seconds(logpath):
    text = re.sub(r"\x1b\[[0-9;]*m", "", open(logpath, errors="replace").read())
    m = re.findall(r"DB loaded from disk: ([0-9.]+) seconds", text)
    return float(m[-1]) if m else float("nan")


def pipe(port, payload):
    r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=payload, capture_output=True, text=True,
                       timeout=1800)
    if "errors: 0" not in r.stdout:
        raise RuntimeError(r.stdout + r.stderr)


def bulk(s):
    return f"${len(s)}\r\n{s}\r\n"


def build_mixed(port, scale):
    strings, fields, entries = int(1_000_000 * scale), int(1_000_000 * scale), int(5_000_000 * scale)
    batch = 500_000
    for lo in range(0, strings, batch):
        pipe(port, "".join(f"*3\r\n$3\r\nSET\r\n{bulk(f'key:{i:07d}')}{bulk(f'value:{i:010d}')}"
                           for i in range(lo, min(strings, lo + batch))))
    per_cmd = 500  # fields per HSET
    for lo in range(0, fields, batch):
        cmds = []
        for c in range(lo, min(fields, lo + batch), per_cmd):
            hi = min(fields, lo + batch, c + per_cmd)
            cmds.append(f"*{2 + 2 * (hi - c)}\r\n$4\r\nHSET\r\n{bulk('bighash')}"
                        + "".join(bulk(f"field:{i}") + bulk(f"v{i}") for i in range(c, hi)))
        pipe(port, "".join(cmds))
    line = "*7\r\n$4\r\nXADD\r\n" + bulk("sensors") + bulk("*") + bulk("sensor-id") + bulk("1234") \
        + bulk("temperature") + bulk("19.8")
    for lo in range(0, entries, 1_000_000):
        pipe(port, line * min(1_000_000, entries - lo))
    return f"{strings} strings + {fields}-field hash + {entries}-entry stream", strings + (fields > 0) + (entries > 0)


def build_strings(port, keys):
    r = cli(port, "debug", "populate", str(keys), "key", "8")
    if r != "OK":
        raise RuntimeError("DEBUG POPULATE: " + r)
    return f"{keys} string keys (DEBUG POPULATE {keys} key 8)", keys


def bench_dataset(name, build, a, base, procs):
    src = os.path.join(base, name + "-src"); os.makedirs(src)
    t = time.perf_counter()
    proc, port, _ = start("redis-server", src, os.path.join(base, name + "-src.log"), procs)
    try:
        label, want_keys = build(port)
        cli(port, "save")
    finally:
        stop(proc, port, procs)
    build_s = time.perf_counter() - t
    dump = os.path.join(src, "dump.rdb")
    size = os.path.getsize(dump)
    print(f"\n== {name}: {label}; dump {size / 2**20:.1f} MiB (built and saved by redis-server in {build_s:.0f} s)",
          flush=True)
    print(f"{'round':<6}{'server':<9}{'wall_s':>9}{'log_s':>9}{'pss_MiB':>10}", flush=True)
    res = {"redis": [], "redoubt": []}
    digests = {}
    for rnd in range(a.rounds):
        order = [("redis", "redis-server"), ("redoubt", a.redoubt)]
        if rnd % 2:
            order.reverse()
        for who, binary in order:
            d = os.path.join(base, name + "-" + who); os.makedirs(d)
            try:
                shutil.copy(dump, os.path.join(d, "dump.rdb"))
                logpath = os.path.join(d, "log")
                proc, port, wall = start(binary, d, logpath, procs)
                try:
                    pss = rss_tree(proc.pid)
                    n = cli(port, "dbsize")
                    if n != str(want_keys):
                        raise RuntimeError(f"{who} has DBSIZE {n!r}, expected {want_keys}")
                    if rnd == 0:
                        digests[who] = cli(port, "debug", "digest")
                finally:
                    stop(proc, port, procs)
                logged = log_load_seconds(logpath)
            finally:
                shutil.rmtree(d, ignore_errors=True)
            res[who].append((wall, logged, pss))
            print(f"{rnd + 1:<6}{who:<9}{wall:>9.3f}{logged:>9.3f}{pss / 2**20:>10.1f}", flush=True)
    shutil.rmtree(src, ignore_errors=True)
    print(f"{'':<16}{'redis':>9}{'redoubt':>9}{'ratio':>8}")
    for col, label in ((0, "wall_s"), (1, "log_s"), (2, "pss_MiB")):
        scale = 2**20 if col == 2 else 1
        for agg_name, agg in (("best", min), ("median", statistics.median)):
            if col == 2 and agg_name == "best":
                continue
            r = agg([x[col] for x in res["redis"]]) / scale
            o = agg([x[col] for x in res["redoubt"]]) / scale
            fmt = ".1f" if col == 2 else ".3f"
            print(f"{label + ' ' + agg_name:<16}{r:>9{fmt}}{o:>9{fmt}}{(o / r if r else float('nan')):>8.2f}")
    if digests.get("redis") == digests.get("redoubt"):
        print(f"digests agree ({digests['redis']})")
    else:
        print(f"DIGESTS DIFFER: redis {digests.get('redis')} redoubt {digests.get('redoubt')}")
    sys.stdout.flush()
    return digests.get("redis") == digests.get("redoubt")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keys", type=int, default=10_000_000, help="string keys of the 'strings' dataset")
    ap.add_argument("--mixed-scale", type=float, default=1.0, help="scales the 'mixed' dataset (1.0: 1M/1M/5M)")
    ap.add_argument("--only", choices=["mixed", "strings"])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--redoubt", default=os.path.join(ROOT, "target", "release", "redoubt-server"))
    a = ap.parse_args()
    if not os.access(a.redoubt, os.X_OK):
        sys.exit(f"{a.redoubt} is not an executable (cargo build --release -p redoubt-server)")
    base = tempfile.mkdtemp(prefix="load-bench-", dir=os.environ.get("BENCH_DIR"))
    procs = []
    ok = True
    try:
        if a.only in (None, "mixed"):
            ok &= bench_dataset("mixed", lambda port: build_mixed(port, a.mixed_scale), a, base, procs)
        if a.only in (None, "strings"):
            ok &= bench_dataset("strings", lambda port: build_strings(port, a.keys), a, base, procs)
    finally:
        for proc, port in list(procs):
            try:
                stop(proc, port, procs)
            except Exception:
                proc.kill()
        shutil.rmtree(base, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
