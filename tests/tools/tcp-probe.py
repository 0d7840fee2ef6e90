#!/usr/bin/env python3
"""tcp-probe: one-way delays through a TCP proxy, measured from outside it.

    tcp-probe.py --server-port U --proxy-port P oneway
    tcp-probe.py --server-port U --proxy-port P close

The probe is both ends: a server on 127.0.0.1:U (the proxy's upstream) and
a client that connects to the proxy on 127.0.0.1:P. Both run in this
process, so their times come from the same monotonic clock and each
direction is measured on its own:

  oneway  the server sends a byte as soon as it accepts (down: from its
          send until the client has it), then the client sends one (up:
          from sending until the server has it);
  close   the server closes at once (down: from its close until the client
          reads end of file), then on a second connection the client shuts
          its side (up: until the server reads end of file).

It prints one JSON object: {"up_ms": .., "down_ms": ..}. Every step has a
timeout (5 s); a step that times out is reported as null.
"""
import argparse
import json
import socket
import threading
import time

TIMEOUT = 5.0


def server(lsock, mode, marks, ready):
    lsock.settimeout(TIMEOUT)
    try:
        conn, _ = lsock.accept()
        conn.settimeout(TIMEOUT)
        if mode == "oneway":
            marks["down_sent"] = time.monotonic()
            conn.sendall(b"d")
            conn.recv(1)
            marks["up_arrived"] = time.monotonic()
        else:
            marks["down_sent"] = time.monotonic()
            conn.close()
            conn, _ = lsock.accept()
            conn.settimeout(TIMEOUT)
            ready.set()
            if conn.recv(1) == b"":
                marks["up_arrived"] = time.monotonic()
        conn.close()
    except OSError:
        pass
    finally:
        ready.set()


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def client(mode, port, marks, ready):
    try:
        c = connect(port)
        if mode == "oneway":
            if c.recv(1) == b"d":
                marks["down"] = time.monotonic() - marks["down_sent"]
            marks["up_sent"] = time.monotonic()
            c.sendall(b"u")
        else:
            if c.recv(1) == b"":
                marks["down"] = time.monotonic() - marks["down_sent"]
            c.close()
            c = connect(port)
            ready.wait(TIMEOUT)
            time.sleep(0.05)   # the server is in recv
            marks["up_sent"] = time.monotonic()
            c.shutdown(socket.SHUT_WR)
        return c
    except (OSError, KeyError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server-port", type=int, required=True)
    ap.add_argument("--proxy-port", type=int, required=True)
    ap.add_argument("mode", choices=["oneway", "close"])
    a = ap.parse_args()

    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", a.server_port))
    lsock.listen(4)
    marks, ready = {}, threading.Event()
    t = threading.Thread(target=server, args=(lsock, a.mode, marks, ready))
    t.start()
    c = client(a.mode, a.proxy_port, marks, ready)
    t.join(2 * TIMEOUT + 1)
    if c:
        c.close()
    lsock.close()
    up = None
    if "up_arrived" in marks and "up_sent" in marks:
        up = round((marks["up_arrived"] - marks["up_sent"]) * 1000, 1)
    down = round(marks["down"] * 1000, 1) if "down" in marks else None
    print(json.dumps({"up_ms": up, "down_ms": down}))


if __name__ == "__main__":
    main()
