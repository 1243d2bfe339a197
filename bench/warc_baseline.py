#!/usr/bin/env python3
"""warc_baseline.py FILE.warc.gz... — the Python baseline for bench-warc.sh.

What warcio + html.parser would do, with the standard library only (warcio is
not installable here: no PyPI access): gzip members inflated one after another
with zlib.decompressobj, a minimal WARC record parser, HTTP headers split off,
chunked bodies de-chunked and gzip bodies gunzipped, then html.parser walking
<img> tags of every text/html response, urljoin against <base>/the target URI,
one JSON line per image with a non-empty alt on stdout."""
import json, sys, zlib
from html.parser import HTMLParser
from urllib.parse import urljoin


def stream(path):
    """Decompressed bytes of a (multi-member) gzip file, in pieces."""
    with open(path, "rb") as f:
        d = zlib.decompressobj(31)
        while True:
            buf = f.read(1 << 16)
            if not buf:
                break
            while buf:
                out = d.decompress(buf)
                if out:
                    yield out
                if d.eof:
                    buf = d.unused_data
                    d = zlib.decompressobj(31)
                else:
                    buf = b""


def records(path):
    data = b""
    it = stream(path)
    eof = False

    def need(n):
        nonlocal data, eof
        while len(data) < n and not eof:
            try:
                data += next(it)
            except StopIteration:
                eof = True
        return len(data) >= n

    while True:
        while need(1) and data[:1] in (b"\r", b"\n"):
            data = data.lstrip(b"\r\n")
        if not need(1):
            return
        while b"\r\n\r\n" not in data and not eof:
            need(len(data) + 65536)
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return
        head = data[:end].decode("latin-1").split("\r\n")
        fields = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            fields[k.strip().lower()] = v.strip()
        n = int(fields.get("content-length", "0"))
        need(end + 4 + n)
        block = data[end + 4:end + 4 + n]
        data = data[end + 4 + n:]
        yield fields, block


def dechunk(body):
    out, pos = [], 0
    while True:
        nl = body.find(b"\n", pos)
        if nl < 0:
            return None
        try:
            size = int(body[pos:nl].split(b";")[0].strip(), 16)
        except ValueError:
            return None
        if size == 0:
            return b"".join(out)
        out.append(body[nl + 1:nl + 1 + size])
        pos = nl + 1 + size + 2


class Imgs(HTMLParser):
    def __init__(self, base):
        super().__init__(convert_charrefs=True)
        self.base, self.found = base, []

    def handle_starttag(self, tag, attrs):
        if tag == "base":
            href = dict(attrs).get("href")
            if href:
                self.base = urljoin(self.base, href)
        elif tag == "img":
            a = dict(attrs)
            src, alt = a.get("src"), (a.get("alt") or "").strip()
            if src and alt:
                self.found.append((urljoin(self.base, src), alt))


def main():
    n = 0
    w = sys.stdout.write
    for path in sys.argv[1:]:
        for f, block in records(path):
            if f.get("warc-type") != "response":
                continue
            he = block.find(b"\r\n\r\n")
            if he < 0:
                continue
            hdr = block[:he].decode("latin-1").lower()
            if "content-type: text/html" not in hdr:
                continue
            body = block[he + 4:]
            if "transfer-encoding: chunked" in hdr:
                body = dechunk(body) or body
            if "content-encoding: gzip" in hdr:
                try:
                    body = zlib.decompress(body, 47)
                except zlib.error:
                    pass
            cs = "utf-8"
            if "charset=" in hdr:
                cs = hdr.split("charset=", 1)[1].split("\r\n")[0].split(";")[0].strip() or cs
            try:
                text = body.decode(cs, "replace")
            except LookupError:
                text = body.decode("utf-8", "replace")
            p = Imgs(f.get("warc-target-uri", ""))
            p.feed(text)
            for url, alt in p.found:
                w(json.dumps({"url": url, "caption": alt, "page_url": f.get("warc-target-uri")}) + "\n")
                n += 1
    sys.stderr.write("%d images\n" % n)


if __name__ == "__main__":
    main()
