#!/usr/bin/env python3
"""devpool.py — the UNLABELLED pool of dev-unit strings that rules are read against.

Usage:
  devpool.py OUT.tsv UNPACKED_DEBS MIRROR PAIRS_TSV WARC_JSON

Every alt/title/figcaption string of the corpora the labelled set was drawn
from (extract.py's sources, with the same unit names: Debian documentation
packages unpacked under UNPACKED_DEBS, the article-extraction test pages in
the git snapshots under MIRROR, the LAION url/caption list PAIRS_TSV that
pairs-dump.c prints, the WARC samples' WARC_JSON), restricted BEFORE anything
is written:
  - only units that are dev by the set's fixed rule (extract.split_of: held
    out when sha1(unit) % 100 < 45);
  - no string that occurs in any held-out unit at all (a string shared by a
    dev page and a held-out page is left out);
  - no string the labelled set already holds (any split).
Writes OUT.tsv: unit, attribute, text (distinct strings, first seen wins).

  devpool.py --added OUT.tsv MIRROR
      the same for the page corpora added later (extract.py --add-pages:
      ADDED_GIT, with its skip: sources), leaving out also every string
      devpool.tsv already holds; the rows are labelled and appended to
      devpool.tsv.

  devpool.py --sites OUT.tsv MIRROR [EXTRA.tsv ...]
      the same for the many-site corpora (extract.py --add-sites:
      SITE_GIT, one unit per site), leaving out also every string the
      EXTRA files hold (the sites' labelled rows before they are
      appended to the set)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import extract as E  # noqa: E402


def dev_strings(units, known):
    """(unit, attribute, text) of the dev units' strings that no held-out
    unit holds and KNOWN does not, distinct, first seen wins."""
    held = set()
    for unit, strings in units.items():
        if E.split_of(unit) == "heldout":
            held.update(s for _, s in strings)
    seen, rows = set(), []
    for unit in sorted(units):
        if E.split_of(unit) != "dev":
            continue
        for attr, s in units[unit]:
            if s in seen or s in known or s in held:
                continue
            seen.add(s)
            rows.append((unit, attr, s))
    return rows


def write(out, rows, units):
    with open(out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")
    dev_units = sum(E.split_of(u) == "dev" for u in units)
    print("%d units (%d dev), %d strings in the dev pool" % (len(units), dev_units, len(rows)), file=sys.stderr)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.argv[1] == "--added":
        out, mirror = sys.argv[2:4]
        units = E.added_page_units(E.added_sources(mirror))
        known = E.read_existing(os.path.join(here, "captions-real.tsv")) | E.read_existing(
            os.path.join(here, "devpool.tsv"))
        write(out, dev_strings(units, known), units)
        return
    if sys.argv[1] == "--sites":
        out, mirror = sys.argv[2:4]
        units = E.site_units(E.site_sources(mirror))
        known = E.read_existing(os.path.join(here, "captions-real.tsv")) | E.read_existing(
            os.path.join(here, "devpool.tsv"))
        for name in sys.argv[4:]:  # extract.py's output: split, unit, attr, text
            with open(name, encoding="utf-8") as f:
                known |= {line.rstrip("\n").split("\t")[3] for line in f if line.strip()}
        write(out, dev_strings(units, known), units)
        return
    out, debs, mirror, pairs, warc = sys.argv[1:6]
    units = {}
    units.update(E.deb_units(debs))
    for repo, corpus, pat in E.FIRST_GIT:
        units.update(E.git_units(os.path.join(mirror, repo, "repo"), corpus, pat))
    units.update(E.warc_units(warc))
    with open(pairs, encoding="utf-8", errors="replace") as f:
        for line in f:
            url, tab, cap = line.rstrip("\n").partition("\t")
            cap = " ".join(cap.split())
            if tab and cap:
                units.setdefault("laion/" + E.pairs_host(url), []).append(("alt", cap))
    labelled = E.read_existing(os.path.join(here, "captions-real.tsv"))
    write(out, dev_strings(units, labelled), units)


if __name__ == "__main__":
    main()
