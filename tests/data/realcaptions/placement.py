#!/usr/bin/env python3
"""placement.py — where on its page each labelled string sits, as clipcrawl's
own page extractor sees it (placement.tsv).

Usage (from the repository root, after scripts/build.sh):
  tests/data/realcaptions/placement.py OUT.tsv UNPACKED_DEBS MIRROR WARC_DIR [DUMP]

  UNPACKED_DEBS  the Debian documentation packages the set names, unpacked
                 with `dpkg-deb -x` (one sub-directory per package, as for
                 extract.py)
  MIRROR         the git snapshots (bare) of the article-extraction corpora:
                 MIRROR/OWNER+NAME/repo, read with `git show HEAD:path`
  WARC_DIR       conformance/warc (expected_images.json and the WARC files it
                 names)
  DUMP           placement-dump (default build/tests/placement-dump)

For every page row of captions-real.tsv and devpool.tsv (every corpus but
laion/, whose rows have no page) the script feeds the row's source pages to
the C extractor (placement-dump.c: extract_page_opts with default options)
and looks the row's string up among the caption candidates it finds:

  - a unit's pages in extract.py's order (Debian: files sorted, directories
    sorted; one saved page for the git corpora; the WARC records in the
    order of expected_images.json), images in document order; when the
    string is on several images the FIRST wins (extract.py's "first seen
    wins");
  - attribute alt -> candidate source alt, title -> title, figcaption ->
    figcaption, gallery-caption or thumbcaption (extract.py's figcaption
    also holds DocBook figure titles, which the extractor does not treat
    as captions: such rows are not found);
  - both texts normalised alike: HTML references decoded, control and
    invisible format characters dropped (ZWJ/ZWNJ kept), whitespace
    collapsed, NFC (caption.h's caption_normalise).

Each page is fed with the best original URL known (the URL decides the
"offsite" bit): the corpus's own record (aeb ground-truth.json, trafilatura
evaldata.json and realworld_tests.py's MOCK_PAGES, newspaper's
fulltext_url_list.txt with its file naming, goose3's JSON beside the page,
the WARC-Target-URI), else the page's <link rel=canonical> or og:url, else a
stable placeholder (http://deb.invalid/PACKAGE/PATH for Debian,
http://fakehost/test/page.html for readability as its own tests use,
http://CORPUS.invalid/PATH otherwise). The Content-Type given is the WARC
record's header; for saved files "text/html; charset=utf-8" when the bytes
are valid UTF-8, else windows-1252 (how extract.py decoded them).

Writes OUT.tsv (see README.md, "Placement"): comment lines, then one row per
string found: split, unit, attribute, caption (exactly as in the set),
placement (cc_place_format's stored form; "" = a page image, nothing
special), width, height, alt_repeats. Rows not found are absent. Prints the
coverage per corpus and split on stderr. Deterministic: the same sources
give the same file byte for byte. Only stdlib is used."""
import fnmatch
import gzip
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import extract as E  # noqa: E402

# (repository, corpus, pattern, unit of a file name): a page per unit, or
# one unit per site for extract.py --add-sites (all its pages, in file order)
GIT = [g + (lambda corpus, name: corpus + "/" + name,) for g in E.FIRST_GIT + E.ADDED_GIT] + [
    g + (lambda corpus, name: corpus + "/" + E.SITE_DATE.sub("", name),) for g in E.SITE_GIT]
DEB_LANG_AT = {"debian-handbook": 5, "installation-guide-amd64": 4}  # as extract.deb_units
SOURCES = {"alt": ("alt",), "title": ("title",),
           "figcaption": ("figcaption", "gallery-caption", "thumbcaption")}
KEEP_FORMAT = ("\u200c", "\u200d")


def norm(s):
    """caption_normalise's comparison form (no length cap)."""
    s = html.unescape(s)
    out = []
    for ch in s:
        if ch.isspace():
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf") and ch not in KEEP_FORMAT:
            continue
        else:
            out.append(ch)
    return unicodedata.normalize("NFC", " ".join("".join(out).split()))


def read_rows():
    """(split, unit, attribute, caption) of every page row, in file order."""
    rows = []
    for name in ("captions-real.tsv", "devpool.tsv"):
        with open(os.path.join(HERE, name), encoding="utf-8") as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                col = line.rstrip("\n").split("\t")
                if not col[1].startswith("laion/"):
                    rows.append((col[0], col[1], col[2], col[4]))
    return rows


def ctype_of(data):
    try:
        data.decode("utf-8")
        return "text/html; charset=utf-8"
    except UnicodeDecodeError:
        return "text/html; charset=windows-1252"


LINK_TAG = re.compile(rb"<(link|meta)\b[^>]*>", re.IGNORECASE)
ATTR = re.compile(rb"""([a-zA-Z:-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")


def is_url(u):
    return bool(u) and re.match(r"https?://[^/\s?#]+", u) is not None and not re.search(r"\s", u)


def page_url(data):
    """The page's own <link rel=canonical>, else og:url; absolute http(s) only."""
    found = {}
    for m in LINK_TAG.finditer(data[:400000]):
        a = {k.lower(): v.strip(b"\"'") for k, v in ATTR.findall(m.group(0))}
        if m.group(1).lower() == b"link" and b"canonical" in a.get(b"rel", b"").lower().split():
            found.setdefault("canonical", a.get(b"href", b""))
        elif m.group(1).lower() == b"meta" and a.get(b"property", a.get(b"name", b"")).lower() == b"og:url":
            found.setdefault("og", a.get(b"content", b""))
    for k in ("canonical", "og"):
        u = html.unescape(found.get(k, b"").decode("utf-8", "replace")).strip()
        if is_url(u):
            return u
    return None


def git(repo, *args):
    return subprocess.run(["git", "-C", repo] + list(args), capture_output=True, check=True).stdout


def corpus_urls(mirror):
    """file path in its repository -> original URL, from each corpus's records."""
    urls = {}
    aeb = os.path.join(mirror, "scrapinghub+article-extraction-benchmark", "repo")
    for h, rec in json.loads(git(aeb, "show", "HEAD:ground-truth.json")).items():
        if rec.get("url"):
            urls[("aeb", "html/%s.html.gz" % h)] = rec["url"]
    tra = os.path.join(mirror, "adbar+trafilatura", "repo")
    by_file = {}
    for url, rec in sorted(json.loads(git(tra, "show", "HEAD:tests/evaldata.json")).items()):
        if is_url(url):  # a few keys are names ("hard::...")
            by_file.setdefault(rec["file"], url)
    mock = git(tra, "show", "HEAD:tests/realworld_tests.py").decode("utf-8")
    for url, fn in re.findall(r'^\s*"(https?://[^"]+)":\s*"([^"]+\.html)"', mock, re.MULTILINE):
        by_file.setdefault(fn, url)
    for fn, url in by_file.items():
        urls[("trafilatura", "tests/eval/" + fn)] = url
        urls[("trafilatura", "tests/cache/" + fn)] = url
    news = os.path.join(mirror, "codelucas+newspaper", "repo")
    counters = {}
    for url in git(news, "show", "HEAD:tests/data/fulltext_url_list.txt").decode("utf-8").split("\n"):
        url = url.strip()
        if not url:
            continue
        domain = urllib.parse.urlparse(url).netloc  # newspaper's get_base_domain
        tld = ".".join(domain.split(".")[-2:])
        base = ".".join(domain.split(".")[-3:] if tld in ("co.uk", "com.au", "au.com") else domain.split(".")[-2:])
        counters[base] = counters.get(base, 0) + 1
        urls[("newspaper", "tests/data/html/%s%d.html" % (base, counters[base]))] = url
    goose = os.path.join(mirror, "goose3+goose3", "repo")
    names = git(goose, "ls-tree", "-r", "--name-only", "HEAD", "tests/data").decode("utf-8").split("\n")
    for n in names:
        if n.endswith(".json") and n[:-5] + ".html" in names:
            try:
                url = json.loads(git(goose, "show", "HEAD:" + n)).get("url")
            except (ValueError, subprocess.CalledProcessError):
                url = None
            if url:
                urls[("goose3", n[:-5] + ".html")] = url
    hd = os.path.join(mirror, "adbar+htmldate", "repo")
    for rec_file in ("tests/eval_default.json", "tests/eval_mediacloud_2020.json"):
        for url, rec in sorted(json.loads(git(hd, "show", "HEAD:" + rec_file)).items()):
            if is_url(url):
                for d in ("eval", "test_set", "cache"):
                    urls.setdefault(("htmldate", "tests/%s/%s" % (d, rec["file"])), url)
    n4k = os.path.join(mirror, "AndyTheFactory+newspaper4k", "repo")
    names = git(n4k, "ls-tree", "-r", "--name-only", "HEAD", "tests/data/metadata").decode("utf-8").split("\n")
    for n in names:
        if n.endswith(".json"):
            url = json.loads(git(n4k, "show", "HEAD:" + n)).get("url")
            if url:
                urls[("newspaper4k", "tests/data/html/" + os.path.basename(n)[:-5] + ".html")] = url
    return urls


def warc_records(path):
    """(target URI, date, content type, HTML body) of each response record."""
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    pos, out = 0, []
    while True:
        start = data.find(b"WARC/1.", pos)
        if start < 0:
            break
        head_end = data.find(b"\r\n\r\n", start)
        if head_end < 0:
            break
        heads = {}
        for line in data[start:head_end].split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            heads[k.strip().lower()] = v.strip().decode("utf-8", "replace")
        length = int(heads.get(b"content-length", "0"))
        block = data[head_end + 4:head_end + 4 + length]
        pos = head_end + 4 + length
        if heads.get(b"warc-type") != "response":
            continue
        hend = block.find(b"\r\n\r\n")
        if hend < 0:
            continue
        hh = {}
        for line in block[:hend].split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            hh[k.strip().lower()] = v.strip().decode("latin-1")
        body = block[hend + 4:]
        if "chunked" in hh.get(b"transfer-encoding", "").lower() and re.match(rb"[0-9a-fA-F]+\r\n", body):
            body = dechunk(body)
        if "gzip" in hh.get(b"content-encoding", "").lower():
            try:
                body = zlib.decompress(body, 31)
            except zlib.error:
                pass
        out.append((heads.get(b"warc-target-uri", ""), heads.get(b"warc-date", ""),
                    hh.get(b"content-type", ""), body))
    return out


def dechunk(body):
    out, pos = [], 0
    while True:
        m = re.match(rb"([0-9a-fA-F]+)[^\r\n]*\r\n", body[pos:])
        if not m:
            break
        n = int(m.group(1), 16)
        if n == 0:
            break
        start = pos + m.end()
        out.append(body[start:start + n])
        pos = start + n + 2
    return b"".join(out)


def pages(rows, debs, mirror, warc_dir, tmp, origins):
    """(unit, file, URL, content type) of every source page of the rows'
    units, each unit's pages in document order. Counts where each URL came
    from in origins[(corpus, kind)]."""
    wanted = {r[1] for r in rows}
    out = []
    for pkg in sorted(os.listdir(debs)):
        root = os.path.join(debs, pkg)
        for dp, dirs, files in os.walk(root):
            dirs.sort()
            for fn in sorted(files):
                if not fn.endswith((".html", ".htm")):
                    continue
                rel = os.path.relpath(dp, root)
                unit = "deb/" + pkg
                parts = rel.split(os.sep)
                if pkg in DEB_LANG_AT and len(parts) > DEB_LANG_AT[pkg]:
                    unit += "/" + parts[DEB_LANG_AT[pkg]]
                if unit not in wanted:
                    continue
                path = os.path.join(dp, fn)
                with open(path, "rb") as f:
                    data = f.read()
                url = "http://deb.invalid/%s/%s" % (pkg, urllib.parse.quote(os.path.relpath(path, root)))
                origins[("deb", "placeholder")] = origins.get(("deb", "placeholder"), 0) + 1
                out.append((unit, path, url, ctype_of(data)))
    known = corpus_urls(mirror)
    n = 0
    for repo, corpus, pattern, unit_of in GIT:
        rdir = os.path.join(mirror, repo, "repo")
        names = git(rdir, "ls-tree", "-r", "--name-only", "HEAD").decode("utf-8").split("\n")
        for name in sorted(x for x in names if x and fnmatch.fnmatch(x, pattern)):
            unit = unit_of(corpus, name)
            if unit not in wanted:
                continue
            data = git(rdir, "show", "HEAD:" + name)
            if name.endswith(".gz"):
                data = gzip.decompress(data)
            n += 1
            path = os.path.join(tmp, "page%05d.html" % n)
            with open(path, "wb") as f:
                f.write(data)
            url, kind = known.get((corpus, name)), "record"
            if not is_url(url):
                url, kind = page_url(data), "canonical"
            if not url and corpus == "postlight":
                # postlight's fixtures are named after the site they were saved from
                url, kind = "https://%s/" % os.path.basename(name)[:-5].split("--")[0], "file name"
            if not url:
                url, kind = ("http://fakehost/test/page.html" if corpus == "readability"
                             else "http://%s.invalid/%s" % (corpus, urllib.parse.quote(name))), "placeholder"
            origins[(corpus, kind)] = origins.get((corpus, kind), 0) + 1
            out.append((unit, path, url, ctype_of(data)))
    with open(os.path.join(warc_dir, "expected_images.json")) as f:
        doc = json.load(f)
    for warc in sorted(doc):
        recs = warc_records(os.path.join(warc_dir, warc))
        used = set()
        for rec in doc[warc]:
            uri = rec.get("warc_target_uri") or ""
            unit = "warc/" + (urllib.parse.urlsplit(uri).hostname or "unknown")
            for i, (u, date, ctype, body) in enumerate(recs):
                if i in used or u != uri or date != rec.get("warc_date"):
                    continue
                used.add(i)
                if unit in wanted:
                    n += 1
                    path = os.path.join(tmp, "page%05d.html" % n)
                    with open(path, "wb") as f:
                        f.write(body)
                    out.append((unit, path, uri, ctype or None))
                    origins[("warc", "record")] = origins.get(("warc", "record"), 0) + 1
                break
    return out


def extract_all(plist, dump):
    """unit -> {(source, normalised text): (placement, width, height, repeats)},
    the first image in document order."""
    unit_of = {p[1]: p[0] for p in plist}
    listing = "".join("%s\t%s\t%s\n" % (p[1], p[2], p[3] or "") for p in plist)
    res = subprocess.run([dump, "-"], input=listing.encode("utf-8"), capture_output=True, check=False)
    if res.returncode != 0:
        sys.exit("placement.py: %s failed: %s" % (dump, res.stderr.decode("utf-8", "replace").strip()))
    found, facts, unit = {}, {}, None
    for line in res.stdout.decode("utf-8", "replace").split("\n"):
        col = line.split("\t")
        if col[0] == "page":
            unit = unit_of[col[1]]
            found.setdefault(unit, {})
            facts = {}
        elif col[0] == "image":
            facts[col[1]] = (col[2], col[3], col[4], col[5])
        elif col[0] == "cand":
            key = (col[2], norm("\t".join(col[3:])))
            found[unit].setdefault(key, facts[col[1]])
    return found


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__.split("\n\n")[1])
    out, debs, mirror, warc_dir = sys.argv[1:5]
    dump = sys.argv[5] if len(sys.argv) == 6 else os.path.join("build", "tests", "placement-dump")
    rows = read_rows()
    with tempfile.TemporaryDirectory(prefix="placement-") as tmp:
        origins = {}
        plist = pages(rows, debs, mirror, warc_dir, tmp, origins)
        found = extract_all(plist, dump)
    lines, cover = [], {}
    for split, unit, attr, cap in rows:
        key = (unit.split("/", 1)[0], split)
        c = cover.setdefault(key, [0, 0])
        c[0] += 1
        hit = None
        for src in SOURCES.get(attr, ()):
            hit = found.get(unit, {}).get((src, norm(cap)))
            if hit:
                break
        if hit:
            c[1] += 1
            lines.append("\t".join((split, unit, attr, cap) + hit) + "\n")
    with open(out, "w", encoding="utf-8") as f:
        f.write("# placement.tsv - where each page row of captions-real.tsv and devpool.tsv sits on its page,\n"
                "# as clipcrawl's extractor finds it (placement.py; see README.md, \"Placement\").\n"
                "# split<TAB>unit<TAB>attribute<TAB>caption<TAB>placement<TAB>width<TAB>height<TAB>alt_repeats\n")
        f.writelines(lines)
    print("%d pages from %d units; page URLs from: %s" % (len(plist), len({p[0] for p in plist}), ", ".join(
        "%s %s %d" % (c, k, v) for (c, k), v in sorted(origins.items()))), file=sys.stderr)
    print("rows with placement:", file=sys.stderr)
    for split in ("dev", "heldout", "devpool"):
        tot = [0, 0]
        for (corpus, sp), (n, hit) in sorted(cover.items()):
            if sp == split:
                print("  %-8s %-12s %5d of %5d" % (split, corpus, hit, n), file=sys.stderr)
                tot[0] += n
                tot[1] += hit
        print("  %-8s %-12s %5d of %5d (%.1f%%)" % (split, "all", tot[1], tot[0], 100.0 * tot[1] / max(tot[0], 1)),
              file=sys.stderr)


if __name__ == "__main__":
    main()
