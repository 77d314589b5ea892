#!/usr/bin/env python3
"""Replication side by side: Redoubt master -> Redoubt replica versus redis-server -> redis-server.

1. Full sync time of N keys (`key:NNNNNNN` -> 64 bytes) to one replica, disk-based
   (`repl-diskless-sync no`) and diskless: from REPLICAOF until the replica reports
   master_link_status:up with the master's offset.
2. Master SET throughput at pipeline 16 (redis-benchmark, 50 clients) with two replicas attached,
   and the replica lag while it runs: every 50 ms the master's and each replica's offsets are
   sampled, lag = master_repl_offset - slave_repl_offset in bytes; p99 reported.

Prints Redoubt/Redis ratios. Usage:
    benches/replication_vs_redis.py [--keys N] [--requests N] [--redoubt PATH] [--skip-build]
"""
import argparse, os, shutil, socket, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def start(binary, tmp, *extra):
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", tmp, "--repl-diskless-sync-delay", "0", "--repl-backlog-size", "256mb", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(400):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill(); raise RuntimeError(f"{binary} did not start")


def stop(proc, port):
    cli(port, "shutdown", "nosave")
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=900).stdout


def info(port, field):
    for line in cli(port, "info", "replication").splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return ""


def load_keys(port, n):
    value = "v" * 64
    batch = 1_000_000
    for start in range(0, n, batch):
        payload = "".join(f"*3\r\n$3\r\nSET\r\n$11\r\nkey:{i:07d}\r\n$64\r\n{value}\r\n"
                          for i in range(start, min(n, start + batch)))
        r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=payload, capture_output=True, text=True,
                           timeout=900)
        if "errors: 0" not in r.stdout:
            raise RuntimeError(r.stdout + r.stderr)


def wait_synced(master, replica, timeout=900):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if info(replica, "master_link_status") == "up" and \
                info(replica, "slave_repl_offset") == info(master, "master_repl_offset"):
            return
        time.sleep(0.02)
    raise RuntimeError("replica did not sync")


def full_sync(binary, base, keys, diskless):
    d = tempfile.mkdtemp(dir=base)
    m, mp = start(binary, os.path.join(d), "--repl-diskless-sync", "yes" if diskless else "no")
    d2 = tempfile.mkdtemp(dir=base)
    r, rp = start(binary, d2)
    try:
        load_keys(mp, keys)
        t = time.time()
        cli(rp, "replicaof", "127.0.0.1", str(mp))
        wait_synced(mp, rp)
        return time.time() - t
    finally:
        stop(r, rp); stop(m, mp)


def throughput_with_replicas(binary, base, requests):
    dirs = [tempfile.mkdtemp(dir=base) for _ in range(3)]
    m, mp = start(binary, dirs[0])
    replicas = [start(binary, dirs[i]) for i in (1, 2)]
    try:
        for _, rp in replicas:
            cli(rp, "replicaof", "127.0.0.1", str(mp))
        for _, rp in replicas:
            wait_synced(mp, rp)
        lags, done = [], threading.Event()

        def sample():
            while not done.is_set():
                mo = info(mp, "master_repl_offset")
                for _, rp in replicas:
                    ro = info(rp, "slave_repl_offset")
                    if mo and ro:
                        lags.append(max(0, int(mo) - int(ro)))
                time.sleep(0.05)

        th = threading.Thread(target=sample); th.start()
        out = subprocess.run(["redis-benchmark", "-p", str(mp), "-t", "set", "-n", str(requests), "-c", "50",
                              "-r", "1000000", "-d", "64", "-P", "16", "--csv", "-q"],
                             capture_output=True, text=True, timeout=900).stdout
        done.set(); th.join()
        rps = 0.0
        for line in out.splitlines():
            parts = [p.strip('"') for p in line.split(",")]
            if len(parts) >= 2 and parts[0] != "test":
                rps = float(parts[1])
        lags.sort()
        p99 = lags[int(len(lags) * 0.99) - 1] if lags else 0
        for _, rp in replicas:
            wait_synced(mp, rp)
        return rps, p99
    finally:
        for p, rp in replicas:
            stop(p, rp)
        stop(m, mp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--redoubt", default=os.path.join(ROOT, "target", "release", "redoubt-server"))
    ap.add_argument("--skip-build", action="store_true")
    a = ap.parse_args()
    if not a.skip_build:
        subprocess.run(["cargo", "build", "--release", "-p", "redoubt-server"], cwd=ROOT, check=True)
    base = tempfile.mkdtemp(prefix="repl-bench-", dir=os.environ.get("BENCH_DIR"))
    servers = {"redis": "redis-server", "redoubt": a.redoubt}
    try:
        print(f"{'full sync of ' + str(a.keys) + ' keys':<28} {'redis s':>9} {'redoubt s':>10} {'ratio':>7}")
        for diskless in (False, True):
            t = {who: full_sync(b, base, a.keys, diskless) for who, b in servers.items()}
            label = "diskless" if diskless else "disk"
            print(f"{label:<28} {t['redis']:>9.2f} {t['redoubt']:>10.2f} {t['redoubt'] / t['redis']:>7.2f}")
        print()
        res = {who: throughput_with_replicas(b, base, a.requests) for who, b in servers.items()}
        print(f"{'SET -P16, 2 replicas':<28} {'redis':>12} {'redoubt':>12} {'ratio':>7}")
        print(f"{'throughput (rps)':<28} {res['redis'][0]:>12.0f} {res['redoubt'][0]:>12.0f} "
              f"{res['redoubt'][0] / res['redis'][0]:>7.2f}")
        print(f"{'replica lag p99 (bytes)':<28} {res['redis'][1]:>12} {res['redoubt'][1]:>12} "
              f"{(res['redoubt'][1] / res['redis'][1]) if res['redis'][1] else float('nan'):>7.2f}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
