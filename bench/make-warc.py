#!/usr/bin/env python3
"""make-warc.py OUT.warc.gz SIZE_MB [SRC_DIR] — a sizeable Common-Crawl-shaped WARC
for bench-warc.sh.

Takes every record of the real WARC files in SRC_DIR (default tests/data/warc:
a Common Crawl capture, pywb's iana.org crawl, a wget crawl of archive.org,
warcio's samples) and writes them again and again, one gzip member per record
as Common Crawl does, until OUT reaches SIZE_MB compressed. Each copy moves
the pages to their own host (WARC-Target-URI http://siteN.example/...), so the
image URLs differ from copy to copy; HTTP headers and bodies are left as they
were (chunked, gzip-encoded, revisits and all). Like a Common Crawl file it
is mostly HTML: every HTML response is kept, one in five of the other
responses (images, css, js). Deterministic."""
import gzip, io, os, re, sys, zlib

out_path, size_mb = sys.argv[1], float(sys.argv[2])
src = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(__file__), "..", "tests", "data", "warc")
files = ["cc-whirlwind/whirlwind.warc.gz", "pywb/iana.warc.gz", "ia-web-commons/IAH-urls-wget.warc.gz",
         "warcio/example.warc.gz", "warcio/example-iana.org-chunked.warc"]


def members(data):
    if data[:2] != b"\x1f\x8b":
        yield data
        return
    while data:
        d = zlib.decompressobj(31)
        yield d.decompress(data)
        data = d.unused_data


records = []
for f in files:
    buf = b"".join(members(open(os.path.join(src, f), "rb").read()))
    pos = 0
    while True:
        start = buf.find(b"WARC/1.", pos)
        if start < 0:
            break
        he = buf.find(b"\r\n\r\n", start)
        m = re.search(rb"\r\nContent-Length: *(\d+)", buf[start:he], re.I)
        n = int(m.group(1))
        head, block = buf[start:he], buf[he + 4:he + 4 + n]
        pos = he + 4 + n
        # Common Crawl fetches HTML pages, not their images/css/js: keep every
        # HTML response and one in five of the others
        if re.search(rb"WARC-Type: *response", head) and not re.search(rb"(?i)content-type: *(text/html|application/xhtml)", block[:4096]):
            skipped = globals().get("skipped", 0) + 1
            globals()["skipped"] = skipped
            if skipped % 5:
                continue
        records.append((head, block))

target = int(size_mb * 1024 * 1024)
written = copy = 0
with open(out_path, "wb") as out:
    while written < target:
        for head, block in records:
            h = re.sub(rb"(WARC-Target-URI: *<?https?://)([^/>\r]*)", lambda m: m.group(1) + b"site%d.example" % copy, head)
            raw = h + b"\r\n\r\n" + block + b"\r\n\r\n"
            z = io.BytesIO()
            with gzip.GzipFile(fileobj=z, mode="wb", mtime=0, compresslevel=6) as g:
                g.write(raw)
            out.write(z.getvalue())
            written += len(z.getvalue())
        copy += 1
print("%s: %.1f MB, %d copies of %d records" % (out_path, written / 1048576, copy, len(records)))
