#!/usr/bin/env python3
"""An authenticated client that connects anew for every request (as most
real clients do, and unlike loadtest's keep-alive connections), for the
gateway's tests: GET URL at a fixed pace from a few threads, each request
on a new TLS connection verified against the CA, with basic auth.

    auth-client.py URL --ca FILE --user USER --password-file FILE
                   [--rate R] [--seconds S] [--threads N] [--timeout S]

Bounded: rate x seconds requests at most, each given up on after
--timeout; those not sent by seconds + timeout count as errors
("not_sent"). Prints one JSON line: {"requests", "errors", "error_rate",
"codes": {status or error kind: count}, "max_s"}.
"""
import argparse
import base64
import http.client
import json
import ssl
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--ca", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password-file", required=True)
    ap.add_argument("--rate", type=float, default=20)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=5)
    a = ap.parse_args()

    u = urllib.parse.urlsplit(a.url)
    ctx = ssl.create_default_context(cafile=a.ca)
    ctx.check_hostname = False   # the certificate names the gateway, we dial its address
    with open(a.password_file) as f:
        token = base64.b64encode(("%s:%s" % (a.user, f.read().strip())).encode()).decode()
    path = u.path + ("?" + u.query if u.query else "")
    total = int(a.rate * a.seconds)
    lock = threading.Lock()
    codes = {}
    state = {"next": 0, "max_s": 0.0}
    start = time.monotonic()

    def one():
        t0 = time.monotonic()
        try:
            c = http.client.HTTPSConnection(u.hostname, u.port, timeout=a.timeout, context=ctx)
            c.request("GET", path, headers={"Authorization": "Basic " + token,
                                            "Connection": "close"})
            r = c.getresponse()
            r.read()
            c.close()
            key = str(r.status)
        except Exception as e:   # every failure is an error of its kind
            key = type(e).__name__
        return key, time.monotonic() - t0

    def worker():
        while True:
            with lock:
                i = state["next"]
                if i >= total:
                    return
                state["next"] += 1
            due = start + i / a.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if time.monotonic() > start + a.seconds + a.timeout:
                key, took = "not_sent", 0.0   # too far behind: an error, not a wait
            else:
                key, took = one()
            with lock:
                codes[key] = codes.get(key, 0) + 1
                state["max_s"] = max(state["max_s"], took)

    threads = [threading.Thread(target=worker) for _ in range(a.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = sum(n for k, n in codes.items() if k != "200")
    print(json.dumps({"requests": total, "errors": errors,
                      "error_rate": errors / total if total else 0.0,
                      "codes": codes, "max_s": round(state["max_s"], 3)}, sort_keys=True))


if __name__ == "__main__":
    main()
