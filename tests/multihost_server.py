#!/usr/bin/env python3
"""multihost_server.py — one static site served on several loopback addresses.

    python3 multihost_server.py DOCROOT K [--access-log FILE] [--delay-file FILE]

Serves DOCROOT on 127.0.0.1 ... 127.0.0.K, all on one port (a free one), so a
test can spread URLs over K distinct hosts (partitioned runs split by host).
Prints the port on stdout and serves until killed. Each request is appended to
the access log as "<host:port> <path>". While the --delay-file exists, every
request first sleeps the seconds it holds (a test slows a run down to kill it
in the middle). Standard library only; loopback only.
"""
import argparse
import functools
import http.server
import socket
import sys
import threading
import time


class Handler(http.server.SimpleHTTPRequestHandler):
    log_path = None
    delay_file = None
    lock = threading.Lock()

    def do_GET(self):
        if self.delay_file:
            try:
                with open(self.delay_file) as f:
                    time.sleep(float(f.read().strip() or 0))
            except (OSError, ValueError):
                pass
        super().do_GET()

    def log_message(self, *args):
        pass

    def log_request(self, code="-", size="-"):
        if self.log_path:
            with self.lock, open(self.log_path, "a") as f:
                f.write(f"{self.headers.get('Host', '?')} {self.path} {code}\n")


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True


def free_port(k):
    """A port that is free on every one of the K addresses."""
    for _ in range(200):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        ok = True
        for i in range(2, k + 1):
            t = socket.socket()
            try:
                t.bind((f"127.0.0.{i}", port))
            except OSError:
                ok = False
            finally:
                t.close()
            if not ok:
                break
        if ok:
            return port
    sys.exit("multihost_server: no port free on all addresses")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("docroot")
    ap.add_argument("k", type=int)
    ap.add_argument("--access-log")
    ap.add_argument("--delay-file")
    a = ap.parse_args()
    Handler.log_path = a.access_log
    Handler.delay_file = a.delay_file
    port = free_port(a.k)
    handler = functools.partial(Handler, directory=a.docroot)
    servers = [Server((f"127.0.0.{i}", port), handler) for i in range(1, a.k + 1)]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print(port, flush=True)
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
