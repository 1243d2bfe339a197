#!/usr/bin/env python3
"""fault_server.py — a loopback HTTP server that misbehaves on request.

Used by the C tests (through tests/testutil.c) to exercise the download
engine and the fetch/crawl commands. Python standard library only.

    python3 fault_server.py [--docroot DIR] [--access-log FILE] [--port N]

Binds 127.0.0.1 (port 0 = a free one unless --port), prints the port on
stdout (one line) and serves until killed. Every request is appended to the
access log as it is answered (or, for /hang, as it arrives):

    <arrival unix time> "<request line>" <status> <bytes> "<user agent>"

Endpoints (query parameters in brackets):
    /status/N                  status N, small text body
    /slow[?bytes=N&delay=S]    N bytes (default 1000) dripped evenly over S seconds (default 2)
    /sleep[?delay=S]           waits S seconds (default 1), then 200 "ok"
    /hang                      never answers (holds the connection ~10 min)
    /redirect/N                302 → /redirect/N-1 ... /redirect/0 → 200 "done"
    /redirect-loop             302 → itself
    /redirect-to?url=U[&code=C] C (default 302) → U (any URL, any scheme)
    /retry-after[?n=K&v=V&date=1]  for the first K (default 1) requests to this exact
                               path+query: 429 with Retry-After: V (default 1; an
                               HTTP-date V seconds ahead when date=1); then 200 "ok"
    /flaky[?n=K&code=C]        first K (default 1) requests to this path+query: C
                               (default 503) without Retry-After; then 200 "ok"
    /big[?bytes=N]             N bytes (default 1 MiB) of 'x', with Content-Length
    /gzip-bomb[?bytes=N]       N (default 64 MiB) zero bytes, gzip-compressed
                               (Content-Encoding: gzip; ~N/1000 bytes on the wire)
    /xrobots?v=VALUE[&v=...]   one X-Robots-Tag header per v; body: a small JPEG
    /tdm[?v=1]                 tdm-reservation: v; body: a small JPEG
    /jpeg                      a valid 16×16 JPEG (image/jpeg)
    /truncated-jpeg            the same JPEG cut in half (image/jpeg)
    /html-as-jpeg              an HTML page labelled image/jpeg
    /empty                     200 with zero bytes (image/jpeg)
    /png-huge                  a PNG whose IHDR claims 100000×100000 (valid CRCs)
    /file/NAME                 a file from --docroot (no '..'); Content-Type by extension
    /headers                   the request headers as a JSON object
    /count?path=P              how many requests this server saw for path+query P
    (crawl-site mode, when DOCROOT/hosts/ exists: see crawl_site() below)
Anything else: 404.
"""
import argparse
import base64
import gzip
import io
import json
import mimetypes
import os
import struct
import sys
import threading
import time
import zlib
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

JPEG16 = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwg"
    "IyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgo"
    "KCgoKCgoKCgoKCgoKCj/wAARCAAQABADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAA"
    "AgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6"
    "Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXG"
    "x8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREA"
    "AgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5"
    "OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPE"
    "xcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDyrSfDvT5P0rs9J8OdPk/Sux0nw70+T9K7"
    "PSfDvT5P0rXHZ3vqLhXiP4dT/9k=")


def png_huge():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


class State:
    def __init__(self, docroot, log_path):
        self.docroot = os.path.realpath(docroot) if docroot else None
        self.log = open(log_path, "a", buffering=1) if log_path else None
        self.lock = threading.Lock()
        self.counts = {}
        self.bomb_cache = {}

    def bump(self, key):
        with self.lock:
            n = self.counts.get(key, 0) + 1
            self.counts[key] = n
            return n

    def seen(self, key):
        with self.lock:
            return self.counts.get(key, 0)

    def write_log(self, t, line, status, nbytes, ua):
        if not self.log:
            return
        with self.lock:
            self.log.write('%.6f "%s" %d %d "%s"\n' % (t, line.replace('"', "%22"), status, nbytes,
                                                      (ua or "").replace('"', "%22")))

    def bomb(self, n):
        with self.lock:
            if n not in self.bomb_cache:
                buf = io.BytesIO()
                with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as g:
                    block = b"\x00" * (1 << 20)
                    left = n
                    while left > 0:
                        k = min(left, len(block))
                        g.write(block[:k])
                        left -= k
                self.bomb_cache[n] = buf.getvalue()
            return self.bomb_cache[n]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fault_server/1"

    def log_message(self, fmt, *args):  # quiet: the access log is ours
        pass

    def parse_request(self):
        self._arrival = time.time()
        self._logged = False
        return super().parse_request()

    def _log(self, status, nbytes):
        if self._logged:
            return
        self._logged = True
        self.server.state.write_log(self._arrival, self.requestline, status, nbytes, self.headers.get("User-Agent"))

    def reply(self, status, body=b"", ctype="text/plain", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self._log(status, len(body))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        st = self.server.state
        u = urlsplit(self.path)
        path = u.path
        q = parse_qs(u.query)
        key = self.path
        n = st.bump(key)

        def qint(name, default):
            try:
                return int(q.get(name, [default])[0])
            except ValueError:
                return default

        def qfloat(name, default):
            try:
                return float(q.get(name, [default])[0])
            except ValueError:
                return default

        try:
            if path.startswith("/status/"):
                code = int(path[len("/status/"):] or "200")
                return self.reply(code, "status %d\n" % code)
            if path == "/slow":
                nbytes, delay = qint("bytes", 1000), qfloat("delay", 2.0)
                self._log(200, nbytes)
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(nbytes))
                self.end_headers()
                steps = max(1, min(nbytes, int(delay * 10) or 1))
                per, extra = divmod(nbytes, steps)
                for i in range(steps):
                    time.sleep(delay / steps)
                    self.wfile.write(b"s" * (per + (1 if i < extra else 0)))
                    self.wfile.flush()
                return
            if path == "/sleep":
                time.sleep(qfloat("delay", 1.0))
                return self.reply(200, "ok\n")
            if path == "/hang":
                self._log(0, 0)
                time.sleep(600)
                self.close_connection = True
                return
            if path.startswith("/redirect/"):
                k = int(path[len("/redirect/"):] or "0")
                if k <= 0:
                    return self.reply(200, "done\n")
                return self.reply(302, "", headers=[("Location", "/redirect/%d" % (k - 1))])
            if path == "/redirect-loop":
                return self.reply(302, "", headers=[("Location", "/redirect-loop")])
            if path == "/redirect-to":
                return self.reply(qint("code", 302), "", headers=[("Location", q.get("url", ["/"])[0])])
            if path == "/retry-after":
                if n <= qint("n", 1):
                    v = qint("v", 1)
                    ra = formatdate(time.time() + v, usegmt=True) if qint("date", 0) else str(v)
                    return self.reply(429, "slow down\n", headers=[("Retry-After", ra)])
                return self.reply(200, "ok\n")
            if path == "/flaky":
                if n <= qint("n", 1):
                    return self.reply(qint("code", 503), "try again\n")
                return self.reply(200, "ok\n")
            if path == "/big":
                return self.reply(200, b"x" * qint("bytes", 1 << 20), "application/octet-stream")
            if path == "/gzip-bomb":
                body = st.bomb(qint("bytes", 64 << 20))
                return self.reply(200, body, "application/octet-stream", headers=[("Content-Encoding", "gzip")])
            if path == "/xrobots":
                return self.reply(200, JPEG16, "image/jpeg", headers=[("X-Robots-Tag", v) for v in q.get("v", [])])
            if path == "/tdm":
                return self.reply(200, JPEG16, "image/jpeg", headers=[("tdm-reservation", q.get("v", ["1"])[0])])
            if path == "/jpeg":
                return self.reply(200, JPEG16, "image/jpeg")
            if path == "/truncated-jpeg":
                return self.reply(200, JPEG16[: len(JPEG16) // 2], "image/jpeg")
            if path == "/html-as-jpeg":
                return self.reply(200, "<!doctype html><html><body>not an image</body></html>\n", "image/jpeg")
            if path == "/empty":
                return self.reply(200, b"", "image/jpeg")
            if path == "/png-huge":
                return self.reply(200, png_huge(), "image/png")
            if path.startswith("/file/") and st.docroot:
                name = unquote(path[len("/file/"):])
                full = os.path.realpath(os.path.join(st.docroot, name))
                if ".." in name.split("/") or not full.startswith(st.docroot + os.sep) or not os.path.isfile(full):
                    return self.reply(404, "no such file\n")
                with open(full, "rb") as f:
                    data = f.read()
                ctype = mimetypes.guess_type(full)[0] or "application/octet-stream"
                return self.reply(200, data, ctype)
            if path == "/headers":
                return self.reply(200, json.dumps({k: v for k, v in self.headers.items()}), "application/json")
            if path == "/count":
                return self.reply(200, "%d\n" % st.seen(q.get("path", [""])[0]))
            if self.crawl_site(st, path, key):  # crawl test site (section below)
                return
            return self.reply(404, "not found\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


    # ---- crawl test site (used by tests/test_crawl.c) -------------------------
    # When DOCROOT/hosts/ exists, any path no endpoint above claims is served per
    # virtual host: DOCROOT/hosts/<Host header without port>/<path> ("/" and
    # ".../" get index.html). DOCROOT/hosts/<host>/_rules.json may give, per
    # path: {"status": N, "headers": [[name, value], ...], "redirect": "/to",
    # "retry_after": V, "n": K (the first K requests get 429 + Retry-After V),
    # "delay": S (seconds before answering)}.
    def crawl_site(self, st, path, key):
        if not st.docroot or not os.path.isdir(os.path.join(st.docroot, "hosts")):
            return False
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        root = os.path.realpath(os.path.join(st.docroot, "hosts", host))
        if not host or "/" in host or not os.path.isdir(root):
            self.reply(404, "unknown host\n")
            return True
        rules = {}
        rules_path = os.path.join(root, "_rules.json")
        if os.path.isfile(rules_path):
            with open(rules_path) as f:
                rules = json.load(f)
        rule = rules.get(path, {})
        headers = [tuple(h) for h in rule.get("headers", [])]
        if rule.get("delay"):
            time.sleep(float(rule["delay"]))
        if "retry_after" in rule and st.seen(key) <= int(rule.get("n", 1)):
            self.reply(429, "slow down\n", headers=[("Retry-After", str(rule["retry_after"]))])
            return True
        if "redirect" in rule:
            self.reply(int(rule.get("status", 302)), "", headers=[("Location", rule["redirect"])] + headers)
            return True
        if "status" in rule:
            self.reply(int(rule["status"]), "status %d\n" % int(rule["status"]), headers=headers)
            return True
        name = unquote(path).lstrip("/")
        if name == "" or name.endswith("/"):
            name += "index.html"
        full = os.path.realpath(os.path.join(root, name))
        if ".." in name.split("/") or not full.startswith(root + os.sep) or not os.path.isfile(full) \
                or os.path.basename(full) == "_rules.json":
            self.reply(404, "not found\n", headers=headers)
            return True
        with open(full, "rb") as f:
            data = f.read()
        ctype = mimetypes.guess_type(full)[0] or "application/octet-stream"
        if ctype == "text/html":
            ctype = "text/html; charset=utf-8"
        self.reply(200, data, ctype, headers=headers)
        return True
    # ---- end crawl test site -----------------------------------------------------------


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # clients hanging up (timeouts, byte caps) are part of the tests
        if isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docroot")
    ap.add_argument("--access-log")
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.state = State(a.docroot, a.access_log)
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
