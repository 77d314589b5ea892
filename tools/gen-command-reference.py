#!/usr/bin/env python3
"""Captures redis-server's own description of its command interface.

Redoubt answers COMMAND, COMMAND INFO and COMMAND DOCS exactly like Redis 7.0: arity, flags, ACL
categories, key specs and docs are part of the interface clients (cluster clients above all) read.
This script asks a running reference redis-server for them in RESP3 and stores the raw replies:

    server/src/command/reference/command.resp3       reply of COMMAND
    server/src/command/reference/command-docs.resp3  reply of COMMAND DOCS

Usage: tools/gen-command-reference.py [port]   (default: starts redis-server on a free port)
"""
import os, socket, subprocess, sys, tempfile, time

def read_reply(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise RuntimeError("truncated reply")
    out = [line]
    t, rest = line[:1], line[1:-2]
    if t in b"$=!":
        n = int(rest)
        if n >= 0:
            out.append(f.read(n + 2))
    elif t in b"*~>":
        for _ in range(max(int(rest), 0)):
            out.append(read_reply(f))
    elif t in b"%|":
        for _ in range(2 * int(rest)):
            out.append(read_reply(f))
    return b"".join(out)

def command(f, sock, *args):
    msg = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
    sock.sendall(msg)
    return read_reply(f)

def main():
    proc = None
    if len(sys.argv) > 1:
        port = int(sys.argv[1])
    else:
        s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
        tmp = tempfile.mkdtemp()
        proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port)).close(); break
            except OSError:
                time.sleep(0.1)
    try:
        sock = socket.create_connection(("127.0.0.1", port))
        f = sock.makefile("rb")
        command(f, sock, b"HELLO", b"3")
        here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server", "src", "command", "reference")
        with open(os.path.join(here, "command.resp3"), "wb") as out:
            out.write(command(f, sock, b"COMMAND"))
        with open(os.path.join(here, "command-docs.resp3"), "wb") as out:
            out.write(command(f, sock, b"COMMAND", b"DOCS"))
        ver = command(f, sock, b"INFO", b"server")
        print([l for l in ver.split(b"\r\n") if l.startswith(b"redis_version")])
    finally:
        if proc:
            proc.terminate(); proc.wait()

main()
