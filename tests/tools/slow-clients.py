#!/usr/bin/env python3
"""Slow clients ("slowloris"), for the gateway's tests: hold many
connections from one source address, each trickling request-header lines
and never finishing its header; reopen each one the server closes.

    slow-clients.py HOST PORT --src ADDR [--tls] [--conns N] [--seconds S]
                    [--every S] [--max-opens N] [--ready FILE]

Bounded: it runs for --seconds at most, opens at most --max-opens
connections in all, and sends one header line per connection every
--every seconds. --ready FILE is created once N connections were open
at once (or the time is up). At the end it prints one JSON line:
{"opens", "open_max", "trickling_max" (past the handshake, sending
header lines), "open_end", "closed_by_server", "connect_errors",
"tls_errors", "seconds"}.
"""
import argparse
import errno
import json
import os
import selectors
import socket
import ssl
import time


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.state = "connecting"   # connecting, handshake, trickling
        self.next_send = 0.0
        self.lines = 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--src", required=True)
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--conns", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--every", type=float, default=1.0)
    ap.add_argument("--max-opens", type=int, default=50000)
    ap.add_argument("--ready")
    a = ap.parse_args()

    ctx = None
    if a.tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    sel = selectors.DefaultSelector()
    conns = {}
    stats = {"opens": 0, "open_max": 0, "closed_by_server": 0, "connect_errors": 0,
             "tls_errors": 0, "trickling_max": 0}
    start = time.monotonic()
    end = start + a.seconds
    ready_written = False

    def close(c, by_server):
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        del conns[id(c)]
        if by_server:
            stats["closed_by_server"] += 1

    def open_one():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a.src, 0))
        s.setblocking(False)
        err = s.connect_ex((a.host, a.port))
        stats["opens"] += 1
        if err not in (0, errno.EINPROGRESS):
            stats["connect_errors"] += 1
            s.close()
            return
        c = Conn(s)
        conns[id(c)] = c
        sel.register(s, selectors.EVENT_WRITE, c)

    def to_trickle(c, now):
        c.state = "trickling"
        c.next_send = now
        sel.modify(c.sock, selectors.EVENT_READ, c)

    def handshake(c, now):
        try:
            c.sock.do_handshake()
        except ssl.SSLWantReadError:
            sel.modify(c.sock, selectors.EVENT_READ, c)
            return
        except ssl.SSLWantWriteError:
            sel.modify(c.sock, selectors.EVENT_WRITE, c)
            return
        except (ssl.SSLError, OSError):
            stats["tls_errors"] += 1
            close(c, True)
            return
        to_trickle(c, now)

    def on_event(c, now):
        if c.state == "connecting":
            err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                stats["connect_errors"] += 1
                close(c, False)
                return
            if ctx:
                sel.unregister(c.sock)
                c.sock = ctx.wrap_socket(c.sock, server_side=False,
                                         do_handshake_on_connect=False)
                sel.register(c.sock, selectors.EVENT_WRITE, c)
                c.state = "handshake"
                handshake(c, now)
            else:
                to_trickle(c, now)
        elif c.state == "handshake":
            handshake(c, now)
        else:
            # readable while trickling: TLS 1.3 session tickets (no data for
            # us), or the server answered (408, 400) or closed
            try:
                data = c.sock.recv(4096)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                return
            except OSError:
                data = b""
            if not data or data.startswith(b"HTTP/"):
                close(c, True)

    def trickle(now):
        for c in list(conns.values()):
            if c.state != "trickling" or c.next_send > now:
                continue
            line = (b"GET / HTTP/1.1\r\nHost: slow\r\n" if not c.lines
                    else b"X-Slow-%d: %d\r\n" % (c.lines, c.lines))
            try:
                c.sock.send(line)
            except (ssl.SSLWantWriteError, BlockingIOError):
                pass
            except OSError:
                close(c, True)
                continue
            c.lines += 1
            c.next_send = now + a.every

    while True:
        now = time.monotonic()
        if now >= end:
            break
        while len(conns) < a.conns and stats["opens"] < a.max_opens:
            open_one()
        stats["open_max"] = max(stats["open_max"], len(conns))
        trickling = sum(1 for c in conns.values() if c.state == "trickling")
        stats["trickling_max"] = max(stats["trickling_max"], trickling)
        if a.ready and not ready_written and (len(conns) >= a.conns or now - start > a.seconds / 2):
            open(a.ready, "w").close()
            ready_written = True
        for key, _ in sel.select(timeout=0.05):
            on_event(key.data, now)
        trickle(now)
    stats["open_end"] = len(conns)
    stats["seconds"] = round(time.monotonic() - start, 1)
    for c in list(conns.values()):
        close(c, False)
    if a.ready and not ready_written:
        open(a.ready, "w").close()
    print(json.dumps(stats, sort_keys=True))


if __name__ == "__main__":
    main()
