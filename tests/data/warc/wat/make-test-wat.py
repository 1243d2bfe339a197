#!/usr/bin/env python3
"""Writes images.warc.wat.gz: a small WAT file in Common Crawl's layout (one
gzip member per WARC record, metadata records holding JSON) whose response
records carry HTML-Metadata.Links with IMG@/src entries. No public WAT with
such links was found, so this one is made by hand; the JSON shape follows
ia-web-commons' ExtractingParseObserver / HTMLMetaData (IMG: path "IMG@/src",
url, alt, title; Head.Base, Head.Metas). Deterministic (gzip mtime 0).
Run: python3 make-test-wat.py  (from this directory)."""
import gzip, io, json

def record(wtype, uri, body, ctype="application/json"):
    body = body.encode() if isinstance(body, str) else body
    h = ["WARC/1.0", "WARC-Type: " + wtype, "WARC-Date: 2024-05-18T01:58:10Z",
         "WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-%012d>" % record.n]
    record.n += 1
    if uri:
        h.append("WARC-Target-URI: " + uri)
    h += ["Content-Type: " + ctype, "Content-Length: %d" % len(body)]
    raw = ("\r\n".join(h) + "\r\n\r\n").encode() + body + b"\r\n\r\n"
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as g:
        g.write(raw)
    return out.getvalue()
record.n = 1

def envelope(wtype, uri, http=None, with_uri=True):
    whm = {"WARC-Type": wtype, "WARC-Date": "2024-05-18T01:58:10Z"}
    if with_uri:
        whm["WARC-Target-URI"] = uri
    pm = {"Actual-Content-Type": "application/http; msgtype=" + wtype}
    if http is not None:
        pm["HTTP-Response-Metadata"] = http
    return json.dumps({"Container": {"Filename": "test.warc.gz", "Compressed": True},
                       "Envelope": {"Format": "WARC", "WARC-Header-Metadata": whm,
                                    "Payload-Metadata": pm}}, ensure_ascii=False)

def html_meta(links, base=None, metas=None, headers=None):
    head = {"Title": "Test page"}
    if base is not None:
        head["Base"] = base
    if metas:
        head["Metas"] = metas
    return {"Response-Message": {"Status": "200", "Version": "HTTP/1.1", "Reason": "OK"},
            "Headers": dict({"Content-Type": "text/html; charset=UTF-8"}, **(headers or {})),
            "HTML-Metadata": {"Head": head, "Links": links}}

P1 = "https://example.org/gallery/index.html"
P2 = "http://example.com/blog/post?id=3"
P3 = "https://photos.example.net/a/b.html"
P4 = "https://example.org/record-uri-only.html"
recs = [
    record("warcinfo", None, "software: clipcrawl test WAT\r\nformat: WAT\r\n", "application/warc-fields"),
    # metadata of a request: nothing to take
    record("metadata", P1, envelope("request", P1)),
    # an HTML page with a relative <base>, every kind of IMG@/src url
    record("metadata", P1, envelope("response", P1, html_meta([
        {"path": "IMG@/src", "url": "fox.jpg", "alt": "A red fox in the snow", "title": "Fox"},
        {"path": "IMG@/src", "url": "//cdn.example.net/img/owl.png", "alt": "Snowy owl on a branch"},
        {"path": "IMG@/src", "url": "data:image/png;base64,iVBORw0KGgo=", "alt": "inline pixel"},
        {"path": "A@/href", "url": "other.html", "text": "another page"},
        {"path": "IMG@/src", "url": "fox.jpg", "alt": ""},
        {"path": "IMG@/src", "url": "https://example.org/pics/no-alt.jpg", "title": "Only a title here"},
        {"path": "IMG@/longdesc", "url": "fox-description.html"},
        {"path": "IMG@/src", "url": "/pics/caf\u00e9.jpg", "alt": "Caf\u00e9 au lait in a Paris street"},
        {"path": "IMG@/src", "url": "IMG_7007.JPG", "alt": "IMG_7007.JPG"},
        {"path": "IMG@/src", "url": "javascript:void(0)", "alt": "script link"},
    ], base="/static/"))),
    # no <base>; X-Robots-Tag: noai opts the whole page out
    record("metadata", P2, envelope("response", P2, html_meta([
        {"path": "IMG@/src", "url": "../img/sunset.jpg", "alt": "Sunset over the harbour"},
    ], headers={"X-Robots-Tag": "noai"}))),
    # <meta name="robots" content="noimageai">
    record("metadata", P3, envelope("response", P3, html_meta([
        {"path": "IMG@/src", "url": "c.jpg", "alt": "A bowl of ramen with egg"},
    ], metas=[{"name": "robots", "content": "noimageai"}]))),
    # an image response: Payload-Metadata without HTML-Metadata
    record("metadata", "https://example.org/pics/x.jpg", envelope("response", "https://example.org/pics/x.jpg", {
        "Response-Message": {"Status": "200"}, "Headers": {"Content-Type": "image/jpeg"}})),
    # broken JSON
    record("metadata", P1, '{"Envelope": {"WARC-Header-Metadata": '),
    # Envelope without WARC-Target-URI: the record's own URI is the page; an
    # X-Robots-Tag the WAT writer kept as an array, one line aimed at us
    record("metadata", P4, envelope("response", P4, html_meta([
        {"path": "img@/src", "url": "d.png", "alt": "Lighthouse at dusk"},
    ], headers={"X-Robots-Tag": ["otherbot: noai", "clipcrawl: noimageai"]}), with_uri=False)),
    # a page whose images are all fine (used by the end-to-end counts)
    record("metadata", "http://example.com/plain.html", envelope("response", "http://example.com/plain.html", html_meta([
        {"path": "IMG@/src", "url": "/p/boat.jpg", "alt": "Fishing boat at the pier", "title": "Boat"},
    ]))),
]
with open("images.warc.wat.gz", "wb") as f:
    for r in recs:
        f.write(r)
