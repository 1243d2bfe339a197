#!/usr/bin/env python3
"""extract.py — pulls real alt/title/figcaption strings out of published pages.

Usage:
  extract.py OUT.tsv deb:DIR ... git:REPO_DIR:CORPUS:PATHSPEC ... warc:EXPECTED_IMAGES_JSON

  deb:DIR       a directory holding Debian packages unpacked with `dpkg-deb -x`
                (one sub-directory per package); every .html under
                usr/share/doc is read. Source unit = package (or, for the
                multi-language handbook/installation guide, package/language).
  git:R:C:P     files matching glob P (e.g. 'tests/eval/*.html', '*.html.gz')
                in the git directory R (read with `git show HEAD:path`, so a
                bare mirror works); corpus name C. Source unit = C/file.
  warc:FILE     conformance/warc/expected_images.json (alt/title already
                extracted from the WARC samples); unit = warc/target host.

  extract.py --add OUT.tsv EXISTING.tsv git:REPO_DIR:CORPUS:PATHSPEC ...
                corpora added later, to enlarge the sensitive part: only the
                strings the sensitive-word screen matches, none EXISTING
                holds, split by the same rule; OUT.tsv is labelled and then
                appended to the set.

  extract.py --add-pairs OUT.tsv EXISTING.tsv pairs:FILE:CORPUS
                a URL list with captions (FILE: "url TAB caption" lines, as
                pairs-dump.c writes them from a LAION-style parquet). Unit =
                CORPUS/host of the image URL (lower-cased, a leading "www."
                stripped). Every distinct caption the sensitive-word screen
                matches, plus a seeded random sample of PAIRS_SAMPLE other
                distinct captions with at most PER_UNIT rows per unit (screened
                rows count); strings EXISTING holds are left out; split by the
                same rule (sha1 of the unit).

  extract.py --census OUT.tsv EXISTING.tsv,... pairs:FILE:CORPUS
                every distinct caption of the URL list whose unit (as
                --add-pairs makes it) is held out and that no EXISTING file
                holds, as a pool (unit, attribute, caption) for annotate.py:
                the LAION census, a measurement of the held-out hosts.

  extract.py --add-pages OUT.tsv EXISTING.tsv,... SOURCE ... [skip:REPO_DIR:PATHSPEC ...]
                page corpora added later (git: sources as above), sampled as
                the first pass sampled (at most PER_UNIT strings per unit, at
                most ADD_PER_CORPUS per corpus, seeded) plus the screened
                strings (at most ADD_SCREEN_PER_CORPUS per corpus); strings
                any EXISTING file holds (the set, the dev pool) are left out,
                and so is every page of a skip: source's files (same file
                name or same content: a page an earlier corpus already gave,
                so that no string of an earlier unit changes split); same
                split rule (sha1 of the unit).

  extract.py --add-sites OUT.tsv EXISTING.tsv,... git:REPO_DIR:CORPUS:PATHSPEC ...
                a page corpus with one or more saved pages per SITE
                (fundus: tests/resources/parser/test_data/CC/Publisher_YYYY_MM_DD.html.gz):
                unit = CORPUS/path of the file with its _YYYY_MM_DD date and
                extension left off, so all pages of one publisher are one
                unit and fall on one side of the split (a site's furniture
                must not be on both sides). Many sites, few strings each: at
                most SITE_PER_UNIT strings per unit, at most
                SITE_PER_CORPUS per corpus, plus the screened strings (at
                most ADD_SCREEN_PER_CORPUS per corpus); strings any EXISTING
                file holds are left out; same split rule.

Writes OUT.tsv with columns: split, unit, attr, text — one row per DISTINCT
string (first seen wins), at most PER_UNIT strings from any one unit and at
most PER_CORPUS from any one corpus, so no source dominates. The split is
decided ONCE per unit from a hash of its name: held-out when
sha1(unit) % 100 < HELDOUT_PCT. The sampling is deterministic (seeded).
Only stdlib is used (html.parser)."""
import fnmatch
import gzip
import hashlib
import html.parser
import json
import os
import random
import re
import subprocess
import sys
import urllib.parse

# The git snapshots the set's page rows come from (repository under the
# mirror, corpus name, file pattern), shared with devpool.py and
# placement.py: the first corpora, then those added with --add-pages, whose
# pages the ADDED_SKIP repositories already gave are left out.
FIRST_GIT = [("scrapinghub+article-extraction-benchmark", "aeb", "html/*.html.gz"),
             ("adbar+trafilatura", "trafilatura", "tests/*/*.html"),
             ("mozilla+readability", "readability", "test/test-pages/*/source.html"),
             ("codelucas+newspaper", "newspaper", "tests/data/html/*.html"),
             ("goose3+goose3", "goose3", "tests/data/*/*.html")]
ADDED_GIT = [("postlight+parser", "postlight", "fixtures/*.html"),
             ("adbar+htmldate", "htmldate", "tests/*/*.html"),
             ("AndyTheFactory+newspaper4k", "newspaper4k", "tests/data/html/*.html")]
# --add-sites: many sites, one or a few saved pages each
SITE_GIT = [("flairNLP+fundus", "fundus", "tests/resources/parser/test_data/*/*.html.gz")]
ADDED_SKIP = [("adbar+trafilatura", "tests/*"), ("codelucas+newspaper", "tests/data/html/*")]


def added_sources(mirror):
    """The git: and skip: sources of --add-pages for the snapshots under MIRROR."""
    return (["git:%s/%s/repo:%s:%s" % (mirror, repo, corpus, pat) for repo, corpus, pat in ADDED_GIT] +
            ["skip:%s/%s/repo:%s" % (mirror, repo, pat) for repo, pat in ADDED_SKIP])


PER_UNIT = 25
PER_CORPUS = {"deb": 1400, "aeb": 700, "trafilatura": 1100, "readability": 700, "warc": 200}
HELDOUT_PCT = 45
SEED = 11
# A broad screen for sensitive words in many languages. Strings it matches
# are rare in a random sample, so every matching string of every unit is
# added (up to SCREEN_PER_CORPUS per corpus): both real unsafe captions and
# innocent near-misses (sextant, Essex, breast cancer, nude lipstick...).
SCREEN = re.compile(
    r"(porn|sex|nude|nudi|naked|nackt|nu[ea]s?\b|desnud|topless|erotic|erotik|er[oó]tic|"
    r"fuck|cock|dick|pussy|tits|boob|breast|brust|busen|seno|hentai|xxx|nsfw|escort|"
    r"bikini|lingerie|dessous|strip|orgy|orgie|rape|vergewalt|viol[ae]|blood|blut|sangre|"
    r"gore|corpse|leiche|cad[aá]ver|murder|mord|beheading|kill|"
    r"裸|色情|性爱|做爱|強姦|强奸|エロ|ヌード|セックス|섹스|야동|порн|секс|голы|обнаж)",
    re.IGNORECASE)
SCREEN_PER_CORPUS = 400


class Grab(html.parser.HTMLParser):
    """Collects img/area/input alt, img title and figcaption text."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.out = []
        self.fig = 0
        self.figtext = []
        self.dbtitle = 0  # DocBook <div class="figure"> ... <p class="title">
        self.in_figure_div = 0
        self.div_depth = 0
        self.figure_div_at = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("img", "area") or (tag == "input" and (a.get("type") or "").lower() == "image"):
            if a.get("alt"):
                self.out.append(("alt", a["alt"]))
            if tag == "img" and a.get("title"):
                self.out.append(("title", a["title"]))
        elif tag == "figcaption":
            self.fig += 1
            self.figtext = []
        elif tag == "div":
            self.div_depth += 1
            if (a.get("class") or "") == "figure":
                self.figure_div_at.append(self.div_depth)
        elif tag == "p" and self.figure_div_at and (a.get("class") or "") == "title":
            self.dbtitle += 1
            self.figtext = []

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "figcaption" and self.fig:
            self.fig -= 1
            self.out.append(("figcaption", "".join(self.figtext)))
        elif tag == "p" and self.dbtitle:
            self.dbtitle -= 1
            self.out.append(("figcaption", "".join(self.figtext)))
        elif tag == "div":
            if self.figure_div_at and self.figure_div_at[-1] == self.div_depth:
                self.figure_div_at.pop()
            self.div_depth -= 1

    def handle_data(self, data):
        if self.fig or self.dbtitle:
            self.figtext.append(data)

    def handle_entityref(self, name):
        self.handle_data("&%s;" % name)

    def handle_charref(self, name):
        self.handle_data("&#%s;" % name)


def strings_of(html_text):
    g = Grab()
    try:
        g.feed(html_text)
        g.close()
    except Exception:  # a broken page still gives what was read
        pass
    res = []
    for attr, s in g.out:
        s = " ".join(s.split())
        if s and "\t" not in s:
            res.append((attr, s))
    return res


def decode(data):
    for enc in ("utf-8", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            pass
    return data.decode("utf-8", "replace")


def deb_units(root):
    units = {}
    for pkg in sorted(os.listdir(root)):
        for dp, _, files in os.walk(os.path.join(root, pkg)):
            for fn in sorted(files):
                if not fn.endswith((".html", ".htm")):
                    continue
                rel = os.path.relpath(dp, os.path.join(root, pkg))
                unit = "deb/" + pkg
                # the handbook and the installation guide hold every language
                # in one package: one unit per language directory
                lang_at = {"debian-handbook": 5, "installation-guide-amd64": 4}.get(pkg)
                parts = rel.split(os.sep)
                if lang_at is not None and len(parts) > lang_at:
                    unit += "/" + parts[lang_at]
                with open(os.path.join(dp, fn), "rb") as f:
                    units.setdefault(unit, []).extend(strings_of(decode(f.read())))
    return units


def page_strings(repo, name):
    """The strings of the saved page NAME (gzipped when it ends in .gz) in
    the git directory REPO's HEAD."""
    data = subprocess.run(["git", "-C", repo, "show", "HEAD:" + name], capture_output=True, check=True).stdout
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    return strings_of(decode(data))


def git_units(repo, corpus, pattern):
    names = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", "HEAD"],
                           capture_output=True, text=True, check=True).stdout.split("\n")
    units = {}
    for name in sorted(n for n in names if n and fnmatch.fnmatch(n, pattern)):
        units[corpus + "/" + name] = page_strings(repo, name)
    return units


def warc_units(path):
    with open(path) as f:
        doc = json.load(f)
    units = {}
    for warc in sorted(doc):
        for rec in doc[warc]:
            host = urllib.parse.urlsplit(rec.get("warc_target_uri") or "").hostname or "unknown"
            for img in rec.get("images", []):
                for attr in ("alt", "title"):
                    s = img.get(attr)
                    if s and s.strip():
                        units.setdefault("warc/" + host, []).append((attr, " ".join(s.split())))
    return units


def split_of(unit):
    return "heldout" if int(hashlib.sha1(unit.encode()).hexdigest(), 16) % 100 < HELDOUT_PCT else "dev"


def add_screened(out, existing, sources):
    """--add: the screened strings only (see SCREEN) of corpora added after
    the first pass, leaving out strings EXISTING already holds; same split
    rule (sha1 of the unit), every match taken (up to SCREEN_PER_CORPUS)."""
    seen = read_existing(existing)
    rows = []
    for arg in sources:
        kind, _, rest = arg.partition(":")
        if kind != "git":
            sys.exit("extract.py: --add takes git: sources only (%s)" % arg)
        repo, corpus, pattern = rest.split(":", 2)
        units = git_units(repo, corpus, pattern)
        n = 0
        for unit in sorted(units):
            for attr, s in units[unit]:
                if s in seen or not SCREEN.search(s) or n >= SCREEN_PER_CORPUS:
                    continue
                seen.add(s)
                n += 1
                rows.append((split_of(unit), unit, attr, s))
        print("%s: %d screened strings" % (corpus, n), file=sys.stderr)
    with open(out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")


PAIRS_SAMPLE = 500


def write_sorted(out, rows):
    """Writes ROWS (split, unit, attr, text) to OUT sorted by split, unit and
    text, as the added parts are appended; returns how many are held out."""
    rows.sort(key=lambda r: (r[0], r[1], r[3]))
    with open(out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")
    return sum(r[0] == "heldout" for r in rows)


def read_existing(existing):
    """The captions of the set-format files EXISTING names (one path, or
    several joined by commas)."""
    seen = set()
    for path in existing.split(","):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                seen.add(line.rstrip("\n").split("\t")[4])  # caption (5 or 7 columns)
    return seen


def pairs_host(url):
    host = (urllib.parse.urlsplit(url).hostname or "unknown").lower()
    return host[4:] if host.startswith("www.") else host


def pairs_units(option, source, seen):
    """The corpus name of a pairs:FILE:CORPUS source and its distinct
    captions (whitespace collapsed, none in SEEN) -> unit CORPUS/host of
    the image URL, first seen wins."""
    kind, _, rest = source.partition(":")
    if kind != "pairs":
        sys.exit("extract.py: %s takes one pairs:FILE:CORPUS source (%s)" % (option, source))
    path, corpus = rest.rsplit(":", 1)
    distinct = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            url, tab, cap = line.rstrip("\n").partition("\t")
            cap = " ".join(cap.split())
            if tab and cap and cap not in seen and cap not in distinct:
                distinct[cap] = corpus + "/" + pairs_host(url)
    return corpus, distinct


def add_pairs(out, existing, source):
    """--add-pairs: screened strings plus a seeded random sample of a URL
    list with captions, one unit per image host (see the usage above)."""
    corpus, distinct = pairs_units("--add-pairs", source, read_existing(existing))
    per_unit = {}
    rows = []
    for cap in sorted(distinct):
        if SCREEN.search(cap):
            unit = distinct[cap]
            per_unit[unit] = per_unit.get(unit, 0) + 1
            rows.append((split_of(unit), unit, "alt", cap))
    screened = len(rows)
    rest_caps = sorted(c for c in distinct if not SCREEN.search(c))
    random.Random(SEED).shuffle(rest_caps)
    sampled = 0
    for cap in rest_caps:
        if sampled >= PAIRS_SAMPLE:
            break
        unit = distinct[cap]
        if per_unit.get(unit, 0) >= PER_UNIT:
            continue
        per_unit[unit] = per_unit.get(unit, 0) + 1
        sampled += 1
        rows.append((split_of(unit), unit, "alt", cap))
    held = write_sorted(out, rows)
    print("%s: %d distinct new captions, %d screened + %d sampled = %d rows (%d held out)"
          % (corpus, len(distinct), screened, sampled, len(rows), held), file=sys.stderr)


def census(out, existing, source):
    """--census: every distinct caption of a URL list whose unit (as
    --add-pairs makes it) falls on the held-out side and that no EXISTING
    file holds, written as a pool (unit, attribute, caption) for
    annotate.py: the LAION census, a measurement of the held-out hosts."""
    seen = read_existing(existing)
    corpus, distinct = pairs_units("--census", source, seen)
    rows = sorted((u, "alt", c) for c, u in distinct.items() if split_of(u) == "heldout")
    with open(out, "w", encoding="utf-8") as f:
        f.writelines("\t".join(r) + "\n" for r in rows)
    print("%s: %d distinct new captions, %d of held-out units" % (corpus, len(distinct), len(rows)), file=sys.stderr)


ADD_PER_CORPUS = 700
ADD_SCREEN_PER_CORPUS = 150


def git_files(repo, pattern):
    """(name, blob id) of the files matching PATTERN in REPO's HEAD."""
    out = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "HEAD"],
                         capture_output=True, text=True, check=True).stdout
    res = []
    for line in out.split("\n"):
        if not line:
            continue
        meta, name = line.split("\t", 1)
        if fnmatch.fnmatch(name, pattern):
            res.append((name, meta.split()[2]))
    return res


def added_page_units(sources):
    """unit -> strings of the git: sources, leaving out every page of the
    skip: sources' files (same file name or same content)."""
    skip_names, skip_blobs = set(), set()
    for arg in sources:
        if arg.startswith("skip:"):
            repo, pattern = arg[5:].rsplit(":", 1)
            for name, blob in git_files(repo, pattern):
                skip_names.add(os.path.basename(name))
                skip_blobs.add(blob)
    units = {}
    for arg in sources:
        kind, _, rest = arg.partition(":")
        if kind == "skip":
            continue
        if kind != "git":
            sys.exit("extract.py: --add-pages takes git: and skip: sources only (%s)" % arg)
        repo, corpus, pattern = rest.split(":", 2)
        left = 0
        for name, blob in git_files(repo, pattern):
            if os.path.basename(name) in skip_names or blob in skip_blobs:
                left += 1
                continue
            units[corpus + "/" + name] = page_strings(repo, name)
        print("%s: %d pages left out (an earlier corpus has them)" % (corpus, left), file=sys.stderr)
    return units


def sample(units, seen, cap_of, screen_cap, per_unit=PER_UNIT):
    """The sampling both the first pass and --add-pages use: units in a
    seeded order, at most per_unit new strings of each (shuffled), at most
    cap_of(corpus) per corpus; then every string the sensitive-word screen
    matches, at most screen_cap per corpus. Adds what it takes to SEEN.
    Returns (rows, per_corpus, screened); rows are (split, unit, attr, text)."""
    rnd = random.Random(SEED)
    per_corpus, screened, rows = {}, {}, []
    order = sorted(units)
    rnd.shuffle(order)
    for unit in order:
        corpus = unit.split("/", 1)[0]
        cand = []
        for attr, s in units[unit]:
            if s not in seen and s not in (c[1] for c in cand):
                cand.append((attr, s))
        rnd.shuffle(cand)
        for attr, s in cand[:per_unit]:
            if per_corpus.get(corpus, 0) >= cap_of(corpus):
                break
            seen.add(s)
            per_corpus[corpus] = per_corpus.get(corpus, 0) + 1
            rows.append((split_of(unit), unit, attr, s))
    for unit in order:
        corpus = unit.split("/", 1)[0]
        for attr, s in units[unit]:
            if s in seen or not SCREEN.search(s) or screened.get(corpus, 0) >= screen_cap:
                continue
            seen.add(s)
            screened[corpus] = screened.get(corpus, 0) + 1
            rows.append((split_of(unit), unit, attr, s))
    return rows, per_corpus, screened


def add_pages(out, existing, sources):
    """--add-pages: a sample of page corpora added later (see the usage)."""
    seen = read_existing(existing)
    units = added_page_units(sources)
    rows, per_corpus, screened = sample(units, seen, lambda corpus: ADD_PER_CORPUS, ADD_SCREEN_PER_CORPUS)
    held = write_sorted(out, rows)
    print("%d rows (%d held out); sampled %s; screened %s"
          % (len(rows), held, per_corpus, screened), file=sys.stderr)


SITE_PER_UNIT = 8
SITE_PER_CORPUS = 1500
SITE_DATE = re.compile(r"(_\d{4}_\d{2}_\d{2})?\.html?(\.gz)?$")


def site_sources(mirror):
    """The git: sources of --add-sites for the snapshots under MIRROR."""
    return ["git:%s/%s/repo:%s:%s" % (mirror, repo, corpus, pat) for repo, corpus, pat in SITE_GIT]


def site_units(sources):
    """unit -> strings of the git: sources, one unit per site (see --add-sites)."""
    units = {}
    for arg in sources:
        kind, _, rest = arg.partition(":")
        if kind != "git":
            sys.exit("extract.py: --add-sites takes git: sources only (%s)" % arg)
        repo, corpus, pattern = rest.split(":", 2)
        for name, _blob in git_files(repo, pattern):
            units.setdefault(corpus + "/" + SITE_DATE.sub("", name), []).extend(page_strings(repo, name))
    return units


def add_sites(out, existing, sources):
    """--add-sites: a corpus of many sites, a few strings each (see the usage)."""
    seen = read_existing(existing)
    units = site_units(sources)
    rows, per_corpus, screened = sample(units, seen, lambda corpus: SITE_PER_CORPUS, ADD_SCREEN_PER_CORPUS,
                                        SITE_PER_UNIT)
    held = write_sorted(out, rows)
    print("%d units; %d rows (%d held out); sampled %s; screened %s"
          % (len(units), len(rows), held, per_corpus, screened), file=sys.stderr)


def main():
    if sys.argv[1] == "--add-pairs":
        add_pairs(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    if sys.argv[1] == "--census":
        census(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    if sys.argv[1] == "--add-pages":
        add_pages(sys.argv[2], sys.argv[3], sys.argv[4:])
        return
    if sys.argv[1] == "--add-sites":
        add_sites(sys.argv[2], sys.argv[3], sys.argv[4:])
        return
    if sys.argv[1] == "--add":
        add_screened(sys.argv[2], sys.argv[3], sys.argv[4:])
        return
    out = sys.argv[1]
    units = {}
    for arg in sys.argv[2:]:
        kind, _, rest = arg.partition(":")
        if kind == "deb":
            units.update(deb_units(rest))
        elif kind == "git":
            repo, corpus, pattern = rest.split(":", 2)
            units.update(git_units(repo, corpus, pattern))
        elif kind == "warc":
            units.update(warc_units(rest))
        else:
            sys.exit("extract.py: %s: unknown source kind" % arg)
    rows, per_corpus, screened = sample(units, set(), lambda corpus: PER_CORPUS.get(corpus, 500), SCREEN_PER_CORPUS)
    print("screened in: %s" % screened, file=sys.stderr)
    rows.sort(key=lambda r: (r[0], r[1]))
    with open(out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")
    print("%d rows, %s" % (len(rows), per_corpus), file=sys.stderr)


if __name__ == "__main__":
    main()
