#!/usr/bin/python3
"""recurring.py - would "an image on many pages of its site" find page furniture?

    python3 recurring.py OUT.tsv MIRROR [PLACEMENT_DUMP [CLIPCRAWL]]

A one-off check of the template-image idea (filters/README.md, "Site-level
evidence"), on saved pages nobody here wrote: the dragnet test pages
(2012 news and blog pages, many per site) as j-szulc/html-cleaning-dataset-
merged keeps them (MIRROR/j-szulc+html-cleaning-dataset-merged/repo,
dragnet_data/input/*.html). A page's site is the host of its canonical
link or og:url (pages without one are left out). Every page goes through
clipcrawl's own extractor (placement-dump, default
build/tests/placement-dump); an image URL found on RECUR or more pages of
its site is a template image. Of the distinct (site, alt text) pairs of
template images that the caption filter keeps on text alone (check-caption
of CLIPCRAWL, default build/cli/clipcrawl) - the ones such a rule would add
- a seeded sample of SAMPLE is written to OUT.tsv (`id  unit  attribute
caption  pages`, unit dragnet/HOST) for labelling with the written policy;
recurring-images.tsv holds it labelled. Prints how many pages, sites and
template images there are.
"""
import os
import random
import re
import subprocess
import sys
import tempfile

RECUR = 3
SAMPLE = 300
SEED = 2026
CANON = re.compile(rb'<link[^>]*canonical[^>]*>|og:url[^>]*>', re.I)
URL = re.compile(rb'https?://[^"\' >]*')


def dragnet_dump(mirror, dump):
    """placement-dump's output for every dragnet page with a canonical URL,
    and how many such pages there are."""
    repo = os.path.join(mirror, "j-szulc+html-cleaning-dataset-merged", "repo")
    names = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", "HEAD"], check=True,
                           capture_output=True).stdout.decode().split("\n")
    names = sorted(n for n in names if n.startswith("dragnet_data/input/") and n.endswith(".html"))
    with tempfile.TemporaryDirectory(prefix="recurring-") as tmp:
        plist = []
        for i, name in enumerate(names):
            data = subprocess.run(["git", "-C", repo, "show", "HEAD:" + name], check=True,
                                  capture_output=True).stdout
            m = CANON.search(data)
            u = URL.search(m.group(0)) if m else None
            if not u:
                continue
            path = os.path.join(tmp, "p%05d.html" % i)
            with open(path, "wb") as f:
                f.write(data)
            plist.append("%s\t%s\n" % (path, u.group(0).decode("utf-8", "replace")))
        res = subprocess.run([dump, "-"], input="".join(plist).encode(), check=True, capture_output=True)
    return res.stdout.decode("utf-8", "replace"), len(plist)


def main():
    if len(sys.argv) not in (3, 4, 5):
        sys.exit(__doc__.split("\n\n")[1])
    out, mirror = sys.argv[1:3]
    dump = sys.argv[3] if len(sys.argv) > 3 else os.path.join("build", "tests", "placement-dump")
    clipcrawl = sys.argv[4] if len(sys.argv) > 4 else os.path.join("build", "cli", "clipcrawl")
    text, npages = dragnet_dump(mirror, dump)
    pages, seen_on, alts = {}, {}, []
    host = page = None
    imgs = {}
    for line in text.split("\n"):
        c = line.split("\t")
        if c[0] == "page":
            host, page, imgs = c[2].split("/")[2], c[1], {}
            pages.setdefault(host, set()).add(page)
        elif c[0] == "image":
            imgs[c[1]] = c[6]
            seen_on.setdefault((host, c[6]), set()).add(page)
        elif c[0] == "cand" and c[2] == "alt":
            alts.append((host, imgs[c[1]], c[3]))
    template = {}
    for h, img, alt in alts:
        n = len(seen_on[(h, img)])
        if n >= RECUR:
            template[(h, alt)] = max(n, template.get((h, alt), 0))
    verdicts = subprocess.run([clipcrawl, "check-caption"], input="".join(a + "\n" for _, a in sorted(template)),
                              check=True, capture_output=True, text=True).stdout.split("\n")
    kept = sorted(k for k, v in zip(sorted(template), verdicts) if v.startswith("keep\t"))
    random.Random(SEED).shuffle(kept)
    pick = sorted(kept[:SAMPLE])
    with open(out, "w", encoding="utf-8") as f:
        f.write("id\tunit\tattribute\tcaption\tpages\n")
        for i, (h, alt) in enumerate(pick, 1):
            f.write("%d\tdragnet/%s\talt\t%s\t%d\n" % (i, h, alt, template[(h, alt)]))
    print("%d pages with a canonical URL, %d sites (%d with %d+ pages); %d distinct (site, alt) pairs of images "
          "on %d+ pages of their site, %d of them kept by the text rules; %d sampled"
          % (npages, len(pages), sum(len(p) >= RECUR for p in pages.values()), RECUR, len(template), RECUR,
             len(kept), len(pick)), file=sys.stderr)


if __name__ == "__main__":
    main()
