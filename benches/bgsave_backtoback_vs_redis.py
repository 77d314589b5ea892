#!/usr/bin/env python3
"""Writes while BGSAVE runs back to back: redoubt-server against redis-server on this machine.

Each server gets N keys `key:NNNNNNNNNNNN` (12 digits, redis-benchmark's `__rand_int__` naming)
-> 64 bytes through `redis-cli --pipe`, so the benchmark's SETs overwrite existing keys and the
dataset stays the same size. Then, per server:
  (a) idle:   `redis-benchmark -t set -c 50 -P 1 -r N -d 64 -n REQ --csv` (rps and p99);
  (b) during: the same benchmark while a thread issues BGSAVE again as soon as INFO persistence
      (polled every 10 ms on one connection) shows rdb_bgsave_in_progress:0; it counts completed
      BGSAVEs and times each one itself (BGSAVE sent -> in_progress back to 0; Redis notices its
      child's exit in serverCron, so its figure includes up to 1/hz = 100 ms of that delay).
      Only saves that ended before the benchmark did count (the one still running at its end
      finishes without load), unless none did.
Memory (PSS of the server and its direct children, so Redis's fork child counts only for the pages
it copied) is sampled every 20 ms (`--sample-ms`) in both phases, so its cost (reading
smaps_rollup walks the page tables: ~3.5 ms per sample at 1M keys) weighs on both alike; extra
memory = peak during (b) minus the level at the end of (a).
With `--phases K`, (a) and (b) alternate K times on the same server and the rps and p99 figures
are the medians of the K phases of each kind: the machine's own latency drifts over minutes, and
a single idle phase measured before all the load made the p99 ratio swing from run to run.
Reported per server and as ratios (Redoubt / Redis), with the issue's targets: dip <= 15 %, p99
during <= 1.5x idle, extra memory <= 0.3x Redis's, mean BGSAVE duration <= Redis's.

Usage: benches/bgsave_backtoback_vs_redis.py [--keys N] [--requests REQ] [--rounds R] [--sample-ms MS]
                                             [--phases K] [--redoubt PATH]
Temporary dirs go under $BENCH_DIR (or the system temp dir) and are removed at the end.
Ratios, not absolute numbers, are what to compare: the machines are shared and noisy.
"""
import argparse, csv, io, os, shutil, socket, statistics, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def start(binary, tmp, log):
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", tmp, "--dbfilename", "dump.rdb", "--enable-debug-command", "yes"],
                            stdout=log, stderr=log)
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


class Conn:
    """One RESP connection, for polling every 10 ms without spawning redis-cli each time.
    Replies: str for status and bulk strings, int, list, or RespError."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.rfile = self.sock.makefile("rb")

    def call(self, *args):
        out = [f"*{len(args)}\r\n".encode()]
        for a in args:
            b = a.encode() if isinstance(a, str) else a
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        self.sock.sendall(b"".join(out))
        return self._read()

    def _read(self):
        line = self.rfile.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("connection closed")
        kind, rest = line[:1], line[1:-2].decode(errors="replace")
        if kind == b"+":
            return rest
        if kind == b"-":
            return RespError(rest)
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.rfile.read(n + 2)
            return data[:-2].decode(errors="replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise ConnectionError(f"unexpected reply {line!r}")

    def close(self):
        self.rfile.close(); self.sock.close()


class RespError(str):
    pass


def field(info_text, name):
    for line in info_text.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return ""


def fill(port, n):
    value = "x" * 64
    for lo in range(0, n, 500_000):
        payload = "".join(f"*3\r\n$3\r\nSET\r\n$16\r\nkey:{i:012d}\r\n$64\r\n{value}\r\n"
                          for i in range(lo, min(n, lo + 500_000)))
        r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=payload, capture_output=True, text=True,
                           timeout=600)
        if "errors: 0" not in r.stdout:
            raise RuntimeError(r.stdout + r.stderr)


def benchmark(port, keys, requests):
    """Runs redis-benchmark SET; returns (rps, p99 ms) from its --csv output."""
    r = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set", "-c", "50", "-P", "1", "-r", str(keys),
                        "-d", "64", "-n", str(requests), "--csv"], capture_output=True, text=True, timeout=3600)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    if r.returncode != 0 or not rows or "rps" not in rows[0]:
        raise RuntimeError("redis-benchmark: " + r.stdout[-2000:] + r.stderr[-2000:])
    return float(rows[0]["rps"]), float(rows[0]["p99_latency_ms"])


class Sampler(threading.Thread):
    """PSS of the server tree every `period` seconds."""

    def __init__(self, pid, period):
        super().__init__(daemon=True)
        self.pid, self.period, self.samples, self.halt = pid, period, [], threading.Event()

    def run(self):
        while not self.halt.is_set():
            self.samples.append(rss_tree(self.pid))
            self.halt.wait(self.period)

    def finish(self):
        self.halt.set(); self.join()
        return self.samples


class BgsaveLoop(threading.Thread):
    """Issues BGSAVE whenever none is in progress until told to stop, then lets the last one end."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.durations, self.ends, self.errors = port, [], [], []
        self.halt, self.first_started, self.failure = threading.Event(), threading.Event(), None

    def run(self):
        conn = Conn(self.port)
        try:
            for _ in range(1_000_000):  # bounded: far more BGSAVEs than any run makes
                if self.halt.is_set():
                    break
                t = time.perf_counter()
                r = conn.call("BGSAVE")
                if isinstance(r, RespError):
                    self.errors.append(str(r))
                    if len(self.errors) > 1000:
                        raise RuntimeError("BGSAVE keeps failing: " + self.errors[-1])
                    time.sleep(0.01)
                    continue
                self.first_started.set()
                for _ in range(360_000):  # an hour at 10 ms
                    time.sleep(0.01)
                    text = conn.call("INFO", "persistence")
                    if field(text, "rdb_bgsave_in_progress") == "0":
                        break
                else:
                    raise RuntimeError("BGSAVE did not end within an hour")
                self.durations.append(time.perf_counter() - t)
                self.ends.append(time.perf_counter())
                status = field(text, "rdb_last_bgsave_status")
                if status != "ok":
                    self.errors.append("rdb_last_bgsave_status:" + status)
        except Exception as e:
            self.failure = e
        finally:
            self.first_started.set()
            conn.close()


def measure(binary, keys, requests, period, base, name, procs, phases=1):
    tmp = os.path.join(base, name); os.makedirs(tmp)
    log_path = os.path.join(base, name + ".log")
    with open(log_path, "w") as log:
        proc, port = start(binary, tmp, log)
    procs.append((proc, port))
    try:
        fill(port, keys)
        if cli(port, "dbsize") != str(keys):
            raise RuntimeError(f"{name}: DBSIZE {cli(port, 'dbsize')} after fill, expected {keys}")
        idle, during, durations, errors, during_samples, level = [], [], [], [], [], None
        for _ in range(phases):
            # (a) idle
            sampler = Sampler(proc.pid, period); sampler.start()
            idle.append(benchmark(port, keys, requests))
            idle_samples = sampler.finish()
            if level is None:
                level = rss_tree(proc.pid)
            # (b) during back-to-back BGSAVE
            loop = BgsaveLoop(port); loop.start()
            loop.first_started.wait(60)
            sampler = Sampler(proc.pid, period); sampler.start()
            t = time.perf_counter()
            try:
                during.append(benchmark(port, keys, requests))
            finally:
                bench_end = time.perf_counter()
                bench_s = bench_end - t
                loop.halt.set(); loop.join(3600)
                during_samples += sampler.finish()
            if loop.failure:
                raise RuntimeError(f"{name}: BGSAVE loop failed: {loop.failure}")
            # Only saves that ended while the benchmark ran were timed under load throughout.
            loaded = [d for d, end in zip(loop.durations, loop.ends) if end <= bench_end]
            durations += loaded or loop.durations[:1]
            errors += loop.errors
        if cli(port, "dbsize") != str(keys):
            raise RuntimeError(f"{name}: DBSIZE {cli(port, 'dbsize')} after the run, expected {keys}")
        idle_rps, idle_p99 = (statistics.median(x[i] for x in idle) for i in (0, 1))
        during_rps, during_p99 = (statistics.median(x[i] for x in during) for i in (0, 1))
        return {
            "idle_rps": idle_rps, "during_rps": during_rps, "dip_pct": 100 * (1 - during_rps / idle_rps),
            "idle_p99_ms": idle_p99, "during_p99_ms": during_p99, "p99_during/idle": during_p99 / idle_p99,
            "extra_mem_MiB": max(0, max(during_samples, default=0) - level) / 2**20,
            "bgsaves": len(durations), "bgsave_mean_s": statistics.mean(durations) if durations else float("nan"),
            "level_MiB": level / 2**20, "idle_peak_MiB": max(idle_samples, default=0) / 2**20,
            "during_s": bench_s, "errors": errors,
        }
    finally:
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True, timeout=60)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill(); proc.wait()
        procs.remove((proc, port))
        shutil.rmtree(tmp, ignore_errors=True)


METRICS = ["idle_rps", "during_rps", "dip_pct", "idle_p99_ms", "during_p99_ms", "p99_during/idle", "extra_mem_MiB",
           "bgsaves", "bgsave_mean_s", "level_MiB", "idle_peak_MiB", "during_s"]


def table(redis, ours):
    print(f"{'metric':<18}{'redis':>12}{'redoubt':>12}{'ratio':>8}")
    for k in METRICS:
        r, o = redis[k], ours[k]
        print(f"{k:<18}{r:>12.3f}{o:>12.3f}{(o / r if r else float('nan')):>8.2f}")


def targets(redis, ours):
    checks = [
        ("dip <= 15 %", ours["dip_pct"] <= 15, f"redoubt {ours['dip_pct']:.1f} % (redis {redis['dip_pct']:.1f} %)"),
        ("p99 during <= 1.5x idle", ours["p99_during/idle"] <= 1.5,
         f"redoubt {ours['p99_during/idle']:.2f}x (redis {redis['p99_during/idle']:.2f}x)"),
        ("extra memory <= 0.3x Redis's", ours["extra_mem_MiB"] <= 0.3 * redis["extra_mem_MiB"],
         f"{ours['extra_mem_MiB']:.1f} vs {redis['extra_mem_MiB']:.1f} MiB = "
         f"{ours['extra_mem_MiB'] / redis['extra_mem_MiB'] if redis['extra_mem_MiB'] else float('nan'):.2f}x"),
        ("BGSAVE duration <= Redis's", ours["bgsave_mean_s"] <= redis["bgsave_mean_s"],
         f"{ours['bgsave_mean_s']:.3f} vs {redis['bgsave_mean_s']:.3f} s = "
         f"{ours['bgsave_mean_s'] / redis['bgsave_mean_s']:.2f}x"),
    ]
    for name, ok, detail in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name:<30} {detail}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=2_000_000, help="SETs per redis-benchmark run")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--sample-ms", type=float, default=20, help="memory sampling period")
    ap.add_argument("--phases", type=int, default=1,
                    help="idle/during pairs per server run (medians of their rps and p99)")
    ap.add_argument("--redoubt", default=os.path.join(ROOT, "target", "release", "redoubt-server"))
    a = ap.parse_args()
    if not os.access(a.redoubt, os.X_OK):
        sys.exit(f"{a.redoubt} is not an executable (cargo build --release -p redoubt-server)")
    base = tempfile.mkdtemp(prefix="bgsave-b2b-", dir=os.environ.get("BENCH_DIR"))
    procs, results = [], []
    try:
        print(f"{a.keys} keys x 64 bytes, SET -c 50 -P 1 -r {a.keys}, {a.requests} requests per phase", flush=True)
        for rnd in range(a.rounds):
            order = [("redis", "redis-server"), ("redoubt", a.redoubt)]
            if rnd % 2:
                order.reverse()
            res = {who: measure(binary, a.keys, a.requests, a.sample_ms / 1000, base, f"{who}-{rnd}", procs, a.phases)
                   for who, binary in order}
            results.append(res)
            print(f"\n-- round {rnd + 1}")
            table(res["redis"], res["redoubt"])
            for who in ("redis", "redoubt"):
                if res[who]["bgsaves"] < 3:
                    print(f"  warning: only {res[who]['bgsaves']} BGSAVEs for {who}; raise --requests")
                if res[who]["errors"]:
                    print(f"  {who} BGSAVE errors ({len(res[who]['errors'])}): {res[who]['errors'][:3]}")
            sys.stdout.flush()
        med = {who: {k: statistics.median(r[who][k] for r in results) for k in METRICS} for who in ("redis", "redoubt")}
        if a.rounds > 1:
            print(f"\n-- median of {a.rounds} rounds")
            table(med["redis"], med["redoubt"])
        print("\ntargets" + (" (medians)" if a.rounds > 1 else "") + ":")
        targets(med["redis"], med["redoubt"])
    finally:
        for proc, port in list(procs):
            subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True, timeout=60)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill(); proc.wait()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
