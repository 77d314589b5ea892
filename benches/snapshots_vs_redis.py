#!/usr/bin/env python3
"""Side-by-side RDB snapshots of redoubt-server and redis-server on this machine.

Loads the same dataset into both (N string keys `key:NNNNNNN` -> 24-byte values plus one hash of
N/5 fields, through `redis-cli --pipe`), then measures for each server: SAVE time, BGSAVE time
(until rdb_bgsave_in_progress is 0), the longest PING round trip seen while BGSAVE starts and runs
(a client pinging back to back: Redis's fork pause, Redoubt's copy under the lock), the peak PSS
during BGSAVE (server process plus its children: Redis's copy-on-write child counts), the load
time at startup (the server's own "DB loaded from disk" line), and that DEBUG DIGEST agrees.

Usage: benches/snapshots_vs_redis.py [--keys N] [--redoubt PATH]
Temporary dirs go under $BENCH_DIR (or the system temp dir) and are removed at the end.
Ratios, not absolute numbers, are what to compare: the machines are shared and noisy.
"""
import argparse, os, re, shutil, socket, subprocess, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def start(binary, tmp, log):
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", tmp, "--enable-debug-command", "yes"], stdout=log, stderr=log)
    for _ in range(1200):
        # Redis answers -LOADING while it loads: wait for a real PONG.
        if cli(port, "ping") == "PONG":
            return proc, port
        time.sleep(0.05)
    proc.kill(); raise RuntimeError(f"{binary} did not start")

def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=600).stdout.strip()

def info(port, field):
    for line in cli(port, "info", "persistence").splitlines():
        if line.startswith(field + ":"):
            return line.split(":")[1]
    return ""

def rss_tree(pid):
    """Proportional set size (PSS) in bytes of a process and its direct children (Redis's BGSAVE
    child): pages shared by parent and child count once, so this is the real extra memory."""
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

def fill(port, n):
    value = "x" * 24
    parts = [f"*3\r\n$3\r\nSET\r\n${len(f'key:{i:07d}')}\r\nkey:{i:07d}\r\n$24\r\n{value}\r\n" for i in range(n)]
    for i in range(n // 5):
        f, v = f"f{i}", f"v{i}"
        parts.append(f"*4\r\n$4\r\nHSET\r\n$7\r\nbighash\r\n${len(f)}\r\n{f}\r\n${len(v)}\r\n{v}\r\n")
    r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input="".join(parts), capture_output=True, text=True, timeout=600)
    if "errors: 0" not in r.stdout:
        raise RuntimeError(r.stdout + r.stderr)

def bgsave_profile(proc, port, sample_memory):
    """BGSAVE duration, worst PING round trip and peak PSS while it runs. Reading a process's
    smaps takes its mmap lock for milliseconds on a big heap, stalling its page faults, so the
    worst PING is taken from a BGSAVE without memory sampling."""
    worst, stop = [0.0], threading.Event()
    def pinger():
        s = socket.create_connection(("127.0.0.1", port))
        while not stop.is_set():
            t = time.perf_counter(); s.sendall(b"PING\r\n"); s.recv(64)
            worst[0] = max(worst[0], time.perf_counter() - t)
        s.close()
    th = threading.Thread(target=pinger); th.start()
    time.sleep(0.2)
    base_rss, peak = rss_tree(proc.pid), 0
    t = time.perf_counter()
    cli(port, "bgsave")
    while True:
        if sample_memory:
            peak = max(peak, rss_tree(proc.pid))
        if info(port, "rdb_bgsave_in_progress") == "0":
            break
        time.sleep(0.01)
    duration = time.perf_counter() - t
    time.sleep(0.2)
    stop.set(); th.join()
    return duration, worst[0], max(0, peak - base_rss)

def measure(binary, n):
    """One server's figures; its temp dir (dump and log) is removed, and the server stopped, even
    when something fails."""
    tmp = tempfile.mkdtemp(prefix="snapbench", dir=os.environ.get("BENCH_DIR"))
    proc = None
    try:
        log_path = os.path.join(tmp, "log")
        with open(log_path, "w") as log:
            proc, port = start(binary, tmp, log)
            fill(port, n)
            t = time.perf_counter(); cli(port, "save"); save = time.perf_counter() - t
            bg, _, extra = bgsave_profile(proc, port, True)
            _, stall, _ = bgsave_profile(proc, port, False)
            digest = cli(port, "debug", "digest")
            cli(port, "shutdown", "nosave"); proc.wait(30)
        with open(log_path, "a") as log:
            proc, port = start(binary, tmp, log)
            cli(port, "shutdown", "nosave"); proc.wait(30)
        text = re.sub(r"\x1b\[[0-9;]*m", "", open(log_path).read())
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill(); proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    loads = re.findall(r"DB loaded from disk: ([0-9.]+) seconds", text)
    return {"save_s": save, "bgsave_s": bg, "max_ping_ms": stall * 1000, "bgsave_extra_pss_mib": extra / 2**20,
            "load_s": float(loads[-1]) if loads else float("nan"), "digest": digest}

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--redoubt", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "redoubt-server"))
    a = ap.parse_args()
    redis = measure("redis-server", a.keys)
    ours = measure(a.redoubt, a.keys)
    print(f"{a.keys} string keys + a {a.keys // 5}-field hash")
    print(f"{'metric':<22}{'redis':>12}{'redoubt':>12}{'ratio':>8}")
    for k in ["save_s", "bgsave_s", "max_ping_ms", "bgsave_extra_pss_mib", "load_s"]:
        r, o = redis[k], ours[k]
        print(f"{k:<22}{r:>12.3f}{o:>12.3f}{(o / r if r else float('nan')):>8.2f}")
    print("digests agree" if redis["digest"] == ours["digest"] else f"DIGESTS DIFFER: {redis['digest']} {ours['digest']}")

if __name__ == "__main__":
    main()
