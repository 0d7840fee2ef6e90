#!/usr/bin/env python3
"""An independent writer for failover tests: it stores observations through
an environment's gateway, one row per request, each with a unique id, and
records what became of every write, so that a test can audit the database
afterwards with psql and count what was lost.

    acked-writer.py --url URL --cacert CA [--user U --password-file F]
                    --prefix P [--threads N] [--rate R] --duration D
                    [--timeout T] --out FILE

Every write gets the id P-<thread>-<n> and the station P. Its outcome:

  acked          200: the gateway answered that it is stored
  failed         a 4xx answer (refused before anything was stored: 400,
                 401, 413, 429), or a refused or reset connection before the
                 request was sent
  indeterminate  a 5xx, a timeout, or a connection lost after the request
                 was sent: it may or may not be stored

The output is one JSON document: {"prefix", "attempted": [ids], "acked":
[ids], "acked_at_s": [when each acked write was answered, in the order of
"acked"], "failed": [ids], "indeterminate": [ids], "first_error_after_s",
"last_error_before_s", "errors_by_kind", "started_at": epoch seconds} with
times relative to the start.

Bounded by --duration and --rate (at most threads x rate x duration
writes); only the given URL is contacted.
"""
import argparse
import base64
import http.client
import json
import ssl
import sys
import threading
import time
import urllib.parse


def parse_duration(s):
    units = {"ms": 0.001, "s": 1, "m": 60}
    for u in ("ms", "s", "m"):
        if s.endswith(u):
            return float(s[: -len(u)]) * units[u]
    return float(s)


class Writer:
    def __init__(self, args):
        self.args = args
        u = urllib.parse.urlsplit(args.url)
        self.https = u.scheme == "https"
        self.host = u.hostname
        self.port = u.port or (443 if self.https else 80)
        self.ctx = None
        if self.https:
            self.ctx = ssl.create_default_context(cafile=args.cacert)
        self.headers = {"Content-Type": "application/json"}
        if args.user:
            pw = open(args.password_file).read().strip()
            tok = base64.b64encode(("%s:%s" % (args.user, pw)).encode()).decode()
            self.headers["Authorization"] = "Basic " + tok
        self.lock = threading.Lock()
        self.out = {"attempted": [], "acked": [], "acked_at_s": [], "failed": [],
                    "indeterminate": []}
        self.errors = {}
        self.first_error = None
        self.last_error = None
        self.t0 = time.monotonic()
        self.started_at = time.time()

    def conn(self):
        if self.https:
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.args.timeout,
                                               context=self.ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.args.timeout)

    def record(self, wid, outcome, kind=None):
        now = time.monotonic() - self.t0
        with self.lock:
            self.out[outcome].append(wid)
            if outcome == "acked":
                self.out["acked_at_s"].append(round(now, 4))
            if outcome != "acked":
                self.errors[kind] = self.errors.get(kind, 0) + 1
                if self.first_error is None:
                    self.first_error = now
                self.last_error = now

    def write_one(self, c, wid):
        body = json.dumps([{"id": wid, "station": self.args.prefix, "kind": "drill",
                            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                            "value": 1.0}])
        sent = False
        try:
            c.request("POST", "/v1/observations", body=body, headers=self.headers)
            sent = True
            r = c.getresponse()
            r.read()
            if r.status == 200:
                self.record(wid, "acked")
            elif 400 <= r.status < 500:
                self.record(wid, "failed", "status_%d" % r.status)
            else:
                self.record(wid, "indeterminate", "status_%d" % r.status)
            return c if not r.will_close else None
        except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError) as e:
            self.record(wid, "indeterminate" if sent else "failed", type(e).__name__)
        except (TimeoutError, OSError, http.client.HTTPException) as e:
            self.record(wid, "indeterminate", type(e).__name__)
        try:
            c.close()
        except OSError:
            pass
        return None

    def run_thread(self, k, stop_at):
        c = None
        n = 0
        interval = 1.0 / self.args.rate if self.args.rate else 0
        next_at = time.monotonic()
        while time.monotonic() < stop_at:
            wid = "%s-%d-%06d" % (self.args.prefix, k, n)
            n += 1
            with self.lock:
                self.out["attempted"].append(wid)
            if c is None:
                c = self.conn()
            c = self.write_one(c, wid)
            if interval:
                next_at += interval
                delay = next_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                else:
                    next_at = time.monotonic()

    def run(self):
        stop_at = self.t0 + parse_duration(self.args.duration)
        ts = [threading.Thread(target=self.run_thread, args=(k, stop_at))
              for k in range(self.args.threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        doc = dict(self.out)
        doc["prefix"] = self.args.prefix
        doc["started_at"] = self.started_at
        doc["errors_by_kind"] = self.errors
        doc["first_error_after_s"] = self.first_error
        doc["last_error_before_s"] = self.last_error
        with open(self.args.out, "w") as f:
            json.dump(doc, f)
        print("attempted %d, acked %d, failed %d, indeterminate %d" % (
            len(doc["attempted"]), len(doc["acked"]), len(doc["failed"]),
            len(doc["indeterminate"])), file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--cacert")
    p.add_argument("--user")
    p.add_argument("--password-file")
    p.add_argument("--prefix", required=True)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--rate", type=float, default=50, help="writes per second per thread")
    p.add_argument("--duration", required=True)
    p.add_argument("--timeout", type=float, default=3.0)
    p.add_argument("--out", required=True)
    Writer(p.parse_args()).run()


if __name__ == "__main__":
    main()
