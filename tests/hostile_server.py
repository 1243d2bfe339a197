#!/usr/bin/env python3
"""hostile_server.py — a loopback server that is every bad web server at once.

Used by tests/test_hostile.c. Python standard library only; raw sockets, so
it can send what no HTTP library would (HTTP/0.9, TLS bytes, broken chunks,
resets). One thread per connection, one request per connection.

    python3 hostile_server.py --docroot DIR [--access-log FILE] [--port N]

Binds 127.0.0.1 only, prints the port on stdout (one line) and serves until
killed. Each request is logged when its head has arrived, in the format of
fault_server.py:  <unix time> "<request line>" <status> 0 "<user agent>"
(status is what the fault intends, 0 for raw garbage).

    /img/NAME        a file from DIR/img (Content-Type by extension); NAME
                     "as-html/NAME" serves it as text/html
    /f/NAME[?n=K]    the fault NAME (table FAULTS below)
    /site/...        pages for crawl tests, from DIR/site
    /robots.txt      DIR/site/robots.txt; on a host named robots-NAME.* (crawl
                     tests reach it with --resolve) the fault robots-NAME
    /count?path=P    how many requests had exactly path+query P (JSON int)
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time
import zlib
from urllib.parse import parse_qs, unquote, urlsplit

MiB = 1 << 20


class State:
    def __init__(self, docroot, log_path):
        self.docroot = os.path.realpath(docroot)
        self.log = open(log_path, "a", buffering=1) if log_path else None
        self.lock = threading.Lock()
        self.counts = {}
        self.cache = {}

    def bump(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]

    def write_log(self, t, line, status, ua):
        if self.log:
            with self.lock:
                self.log.write('%.6f "%s" %d 0 "%s"\n' % (t, line.replace('"', "%22"), status,
                                                          (ua or "").replace('"', "%22")))

    def cached(self, name, make):
        with self.lock:
            if name not in self.cache:
                self.cache[name] = make()
            return self.cache[name]


def zeros_compressed(n, gzip_wrap):
    """n zero bytes (a multiple of 1 MiB) as raw deflate, or gzip when
    gzip_wrap: ~n/1000 bytes. After a full flush every 1 MiB block of zeros
    compresses to the same bytes, so one block's output is repeated rather
    than compressing a gigabyte."""
    block = b"\0" * MiB
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    first = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    last = c.compress(block) + c.flush(zlib.Z_FINISH)
    raw = first + again * (n // MiB - 2) + last
    if not gzip_wrap:
        return raw
    crc = 0
    for _ in range(n // MiB):
        crc = zlib.crc32(block, crc)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + raw + struct.pack("<II", crc, n & 0xFFFFFFFF)


def head(status, reason, headers, clen=None):
    h = "HTTP/1.1 %d %s\r\n" % (status, reason)
    for k, v in headers:
        h += "%s: %s\r\n" % (k, v)
    if clen is not None:
        h += "Content-Length: %d\r\n" % clen
    return (h + "Connection: close\r\n\r\n").encode("latin-1")


class Conn:
    def __init__(self, st, sock):
        self.st, self.s = st, sock

    def send(self, b):
        self.s.sendall(b)

    def reply(self, status, body=b"", ctype="text/plain", headers=(), reason="X"):
        if isinstance(body, str):
            body = body.encode()
        self.send(head(status, reason, [("Content-Type", ctype)] + list(headers), len(body)) + body)

    def drip(self, data, every):
        for i in range(len(data)):
            self.send(data[i:i + 1])
            time.sleep(every)

    def reset(self):
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def file(self, rel):
        full = os.path.realpath(os.path.join(self.st.docroot, rel))
        if not full.startswith(self.st.docroot + os.sep) or not os.path.isfile(full):
            return None
        with open(full, "rb") as f:
            return f.read()


def img_type(name):
    ext = name.rsplit(".", 1)[-1].lower()
    return {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif",
            "bmp": "image/bmp", "svg": "image/svg+xml", "avif": "image/avif"}.get(ext, "application/octet-stream")


# ---- faults: name -> handler(conn, query dict, request key) ------------------------------------

def f_slow_headers(c, q, k):      # a header line, one byte every 2 s, never ending
    c.send(b"HTTP/1.1 200 OK\r\n")
    c.drip(b"X-Slow: " + b"a" * 10000, 2.0)


def f_slow_body(c, q, k):         # the body at one byte every 2 s
    c.send(head(200, "OK", [("Content-Type", "image/jpeg")], 100000))
    c.drip(c.file("img/good-000.jpg") or b"x" * 100000, 2.0)


def f_never_answer(c, q, k):
    time.sleep(600)


def f_reset_mid_body(c, q, k):
    jpg = c.file("img/good-000.jpg")
    c.send(head(200, "OK", [("Content-Type", "image/jpeg")], len(jpg)) + jpg[: len(jpg) // 2])
    time.sleep(0.2)
    c.reset()


def endless(c, chunked):
    c.send(head(200, "OK", [("Content-Type", "image/jpeg")] +
                ([("Transfer-Encoding", "chunked")] if chunked else [])))
    block = b"\xff" * MiB
    if chunked:
        block = b"100000\r\n" + block + b"\r\n"
    while True:
        c.send(block)


def f_endless_body(c, q, k):
    endless(c, False)


def f_endless_chunked(c, q, k):
    endless(c, True)


def f_clen_larger(c, q, k):       # claims more than it sends, then closes
    jpg = c.file("img/good-000.jpg")
    c.send(head(200, "OK", [("Content-Type", "image/jpeg")], len(jpg) * 2) + jpg)


def f_clen_smaller(c, q, k):      # claims half of what it sends
    jpg = c.file("img/good-000.jpg")
    c.send(head(200, "OK", [("Content-Type", "image/jpeg")], len(jpg) // 2) + jpg)


def f_bad_chunk(c, q, k):
    c.send(head(200, "OK", [("Content-Type", "image/jpeg"), ("Transfer-Encoding", "chunked")]) +
           b"zz\r\nhello\r\n0\r\n\r\n")


def f_gzip_bomb(c, q, k):         # 1 GiB of zeros, gzip
    body = c.st.cached("gzip", lambda: zeros_compressed(1024 * MiB, True))
    c.send(head(200, "OK", [("Content-Type", "image/jpeg"), ("Content-Encoding", "gzip")], len(body)) + body)


def f_deflate_bomb(c, q, k):      # 1 GiB of zeros, deflate (raw, as many servers send it)
    body = c.st.cached("deflate", lambda: zeros_compressed(1024 * MiB, False))
    c.send(head(200, "OK", [("Content-Type", "image/jpeg"), ("Content-Encoding", "deflate")], len(body)) + body)


def f_lying_encoding(c, q, k):    # says gzip, sends a plain JPEG
    jpg = c.file("img/good-000.jpg")
    c.send(head(200, "OK", [("Content-Type", "image/jpeg"), ("Content-Encoding", "gzip")], len(jpg)) + jpg)


def f_redirect_loop(c, q, k):
    c.reply(302, "", headers=[("Location", "/f/redirect-loop")])


def f_redirect_chain(c, q, k):    # /f/redirect-chain?n=30 -> ... -> n=0 -> image
    n = int(q.get("n", ["30"])[0])
    if n <= 0:
        c.reply(200, c.file("img/good-001.jpg"), "image/jpeg")
    else:
        c.reply(302, "", headers=[("Location", "/f/redirect-chain?n=%d" % (n - 1))])


def f_redirect_forever(c, q, k):  # ?n=K -> ?n=K+1 -> ...: a new URL each hop, never an end
    n = int(q.get("n", ["0"])[0])
    c.reply(302, "", headers=[("Location", "/f/redirect-forever?n=%d" % (n + 1))])


def redirect_to(url):
    return lambda c, q, k: c.reply(302, "", headers=[("Location", url)])


def f_huge_header(c, q, k):       # one 100 KB header line
    c.send(head(200, "OK", [("Content-Type", "image/jpeg"), ("X-Big", "a" * 100 * 1024)], 10) + b"0123456789")


def f_many_headers(c, q, k):      # 10,000 headers
    hs = [("X-H%05d" % i, "v" * 24) for i in range(10000)]
    c.send(head(200, "OK", [("Content-Type", "image/jpeg")] + hs, 10) + b"0123456789")


def f_http09(c, q, k):
    c.send(b"<html><body>HTTP/0.9 has no status line</body></html>\n" * 20)


def f_bad_status(c, q, k):
    c.send(b"HTTP/1.1 abc Bogus\r\nContent-Length: 3\r\n\r\nabc")


def f_tls_bytes(c, q, k):         # a TLS ServerHello where HTTP was expected
    c.send(bytes.fromhex("160303004a020000460303") + os.urandom(32) + b"\x20" + os.urandom(32) +
           bytes.fromhex("130100"))


def f_204_body(c, q, k):
    jpg = c.file("img/good-000.jpg")
    c.send(head(204, "No Content", [("Content-Type", "image/jpeg")], len(jpg)) + jpg)


def f_304_body(c, q, k):
    jpg = c.file("img/good-000.jpg")
    c.send(head(304, "Not Modified", [("Content-Type", "image/jpeg")], len(jpg)) + jpg)


def f_retry_after(c, q, k):       # 429 with Retry-After: 3 the first time, then an image
    if c.st.bump("ra:" + k) == 1:
        c.reply(429, "slow down\n", headers=[("Retry-After", q.get("s", ["3"])[0])])
    else:
        c.reply(200, c.file("img/retry.jpg"), "image/jpeg")


def f_503_forever(c, q, k):
    c.reply(503, "down\n")


def f_empty_200(c, q, k):
    c.reply(200, b"", "image/jpeg")


def f_empty_reply(c, q, k):       # closes without a byte
    pass


def f_huge_clen(c, q, k):         # claims 2 GB, sends a little
    c.send(head(200, "OK", [("Content-Type", "image/jpeg")], 2 * 1024 * MiB) + b"\xff\xd8\xff" + b"\0" * 1000)
    time.sleep(5)


def f_html_as_jpeg(c, q, k):
    c.reply(200, "<!DOCTYPE html><html><body>Not found</body></html>", "image/jpeg")


def f_robots_big(c, q, k):        # 10 MB robots.txt: a rule early, filler, a rule past 500 KiB
    early = b"User-agent: *\nDisallow: /site/big-early\n"
    c.reply(200, early + b"# filler line\n" * (10 * MiB // 14) + b"Disallow: /site/big-late\n", "text/plain")


def f_robots_binary(c, q, k):
    c.reply(200, bytes(range(256)) * 64, "text/plain")


def f_robots_5xx(c, q, k):
    c.reply(500, "oops\n")


def f_robots_redirects(c, q, k):  # 10 redirects, then a robots.txt allowing all
    n = int(q.get("n", ["10"])[0])
    if n <= 0:
        c.reply(200, "User-agent: *\nAllow: /\n")
    else:
        c.reply(301, "", headers=[("Location", "/f/robots-redirects?n=%d" % (n - 1))])


FAULTS = {
    "slow-headers": f_slow_headers, "slow-body": f_slow_body, "never-answer": f_never_answer,
    "reset-mid-body": f_reset_mid_body, "endless-body": f_endless_body, "endless-chunked": f_endless_chunked,
    "clen-larger": f_clen_larger, "clen-smaller": f_clen_smaller, "bad-chunk": f_bad_chunk,
    "gzip-bomb": f_gzip_bomb, "deflate-bomb": f_deflate_bomb, "lying-encoding": f_lying_encoding,
    "redirect-loop": f_redirect_loop, "redirect-chain": f_redirect_chain, "redirect-forever": f_redirect_forever,
    "redirect-metadata": redirect_to("http://169.254.169.254/latest/meta-data/"),
    "redirect-private": redirect_to("http://10.0.0.1/x.jpg"),
    "redirect-file": redirect_to("file:///etc/passwd"),
    "redirect-gopher": redirect_to("gopher://127.0.0.1:70/1"),
    "huge-header": f_huge_header, "many-headers": f_many_headers, "http09": f_http09,
    "bad-status": f_bad_status, "tls-bytes": f_tls_bytes, "204-body": f_204_body, "304-body": f_304_body,
    "retry-after": f_retry_after, "503-forever": f_503_forever, "empty-200": f_empty_200,
    "empty-reply": f_empty_reply, "huge-clen": f_huge_clen, "html-as-jpeg": f_html_as_jpeg,
    "robots-big": f_robots_big, "robots-binary": f_robots_binary, "robots-5xx": f_robots_5xx,
    "robots-redirects": f_robots_redirects,
}


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        d = sock.recv(65536)
        if not d:
            return None
        data += d
        if len(data) > 1 << 20:
            return None
    return data


def handle(st, sock):
    try:
        data = read_head(sock)
        if not data:
            return
        lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        reqline = lines[0]
        hdrs = {}
        for ln in lines[1:]:
            if ":" in ln:
                a, b = ln.split(":", 1)
                hdrs[a.strip().lower()] = b.strip()
        parts = reqline.split(" ")
        target = parts[1] if len(parts) >= 2 else "/"
        st.bump("path:" + target)
        u = urlsplit(target)
        q = parse_qs(u.query)
        path = unquote(u.path)
        c = Conn(st, sock)
        if path.startswith("/f/") and path[3:] in FAULTS:
            st.write_log(time.time(), reqline, 0, hdrs.get("user-agent"))
            FAULTS[path[3:]](c, q, target)
            return
        st.write_log(time.time(), reqline, 200, hdrs.get("user-agent"))
        if path == "/count":
            with st.lock:
                n = st.counts.get("path:" + q.get("path", [""])[0], 0)
            c.reply(200, str(n), "application/json")
            return
        if path.startswith("/img/as-html/"):
            body = c.file("img/" + path[len("/img/as-html/"):])
            if body is not None:
                c.reply(200, body, "text/html")
                return
        if path.startswith("/img/"):
            body = c.file("img/" + path[len("/img/"):])
            if body is not None:
                c.reply(200, body, img_type(path))
                return
        if path == "/robots.txt":
            # crawl tests name a robots fault by the host: robots-big.test, ...
            label = (hdrs.get("host") or "").split(":")[0].split(".")[0].lower()
            if label in FAULTS and label.startswith("robots-"):
                FAULTS[label](c, q, target)
                return
        if path.startswith("/site/") or path == "/robots.txt":
            rel = "site/" + (path[len("/site/"):] if path.startswith("/site/") else "robots.txt")
            if rel.endswith("/"):
                rel += "index.html"
            body = c.file(rel)
            if body is not None:
                ctype = "text/html; charset=utf-8" if rel.endswith(".html") else \
                    "text/plain" if rel.endswith(".txt") else img_type(rel)
                c.reply(200, body, ctype)
                return
        c.reply(404, "not found\n")
    except OSError:
        pass  # clients hanging up (deadlines, byte caps) are the point
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docroot", required=True)
    ap.add_argument("--access-log")
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    st = State(a.docroot, a.access_log)
    # the bombs take a moment to build: before we say we listen
    st.cached("gzip", lambda: zeros_compressed(1024 * MiB, True))
    st.cached("deflate", lambda: zeros_compressed(1024 * MiB, False))
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", a.port))
    srv.listen(256)
    print(srv.getsockname()[1], flush=True)
    while True:
        sock, _ = srv.accept()
        threading.Thread(target=handle, args=(st, sock), daemon=True).start()


if __name__ == "__main__":
    main()
