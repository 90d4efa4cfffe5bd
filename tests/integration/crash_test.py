#!/usr/bin/env python3
"""Process-level crash test: acknowledged means durable.

Starts `lode serve`, runs concurrent HTTP senders that post small NDJSON batches with unique ids
and record which batches were acknowledged (2xx), kills the server with SIGKILL at random
moments (--kills times), restarts it on the same data directory, and at the end checks with a
query that every acknowledged record is present exactly once and that no record is present
twice. Unacknowledged records may be present (once) or absent.

usage: crash_test.py LODE_BINARY [--kills N] [--senders N] [--seed S]
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time


def start_server(lode, data, log):
    p = subprocess.Popen([lode, "serve", "--data", data, "--http", "127.0.0.1:0"],
                         stdout=subprocess.PIPE, stderr=log, text=True)
    line = p.stdout.readline()
    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
    if not m:
        p.kill()
        raise RuntimeError("server did not start: %r" % line)
    return p, int(m.group(1))


class Sender(threading.Thread):
    def __init__(self, idx, state, rng):
        super().__init__(daemon=True)
        self.idx, self.state, self.rng = idx, state, rng
        self.acked, self.sent = set(), set()
        self.seq = 0

    def run(self):
        while not self.state["stop"]:
            port = self.state["port"]
            n = self.rng.randint(1, 20)
            ids = ["s%d-%d" % (self.idx, self.seq + i) for i in range(n)]
            self.seq += n
            body = "".join(json.dumps({"_msg": "crash test record", "rid": rid,
                                       "sender": self.idx}) + "\n" for rid in ids)
            self.sent.update(ids)
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("POST", "/ingest/ndjson", body=body.encode())
                r = c.getresponse()
                r.read()
                c.close()
                if 200 <= r.status < 300:
                    self.acked.update(ids)
            except (OSError, http.client.HTTPException):
                time.sleep(0.005)  # server down: try again with new ids


def query_all(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", "/api/v1/query?q=sender:*&limit=0")
    r = c.getresponse()
    body = r.read().decode()
    if r.status != 200:
        raise RuntimeError("query failed: %d %s" % (r.status, body[:200]))
    return [json.loads(l)["rid"] for l in body.splitlines() if l.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lode")
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    a = ap.parse_args()
    rng = random.Random(a.seed)
    tmp = tempfile.mkdtemp(prefix="lode_crash_")
    data = os.path.join(tmp, "data")
    log = open(os.path.join(tmp, "server.log"), "w")
    print("crash test: seed %d, %d kills, %d senders, dir %s" % (a.seed, a.kills, a.senders, tmp))
    ok = False
    server = None
    try:
        server, port = start_server(a.lode, data, log)
        state = {"stop": False, "port": port}
        senders = [Sender(i, state, random.Random(rng.random())) for i in range(a.senders)]
        for s in senders:
            s.start()
        for k in range(a.kills):
            time.sleep(rng.uniform(0.05, 0.4))
            server.send_signal(signal.SIGKILL)
            server.wait()
            server, port = start_server(a.lode, data, log)
            state["port"] = port
        time.sleep(0.2)
        state["stop"] = True
        for s in senders:
            s.join(timeout=10)
        rids = query_all(port)
        acked = set().union(*(s.acked for s in senders))
        sent = set().union(*(s.sent for s in senders))
        counts = {}
        for r in rids:
            counts[r] = counts.get(r, 0) + 1
        missing = sorted(acked - counts.keys())
        twice = sorted(r for r, n in counts.items() if n > 1)
        unknown = sorted(counts.keys() - sent)
        print("crash test: %d sent, %d acknowledged, %d stored (%d unacknowledged stored)"
              % (len(sent), len(acked), len(counts), len(counts.keys() - acked)))
        if missing:
            print("FAIL: %d acknowledged records missing, e.g. %s" % (len(missing), missing[:5]))
        if twice:
            print("FAIL: %d records stored more than once, e.g. %s" % (len(twice), twice[:5]))
        if unknown:
            print("FAIL: %d records never sent, e.g. %s" % (len(unknown), unknown[:5]))
        if len(acked) == 0:
            print("FAIL: nothing was acknowledged")
        ok = not missing and not twice and not unknown and len(acked) > 0
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        log.close()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("server log and data kept in %s" % tmp)
    print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
