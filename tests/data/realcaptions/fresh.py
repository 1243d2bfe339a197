#!/usr/bin/python3
"""fresh.py - a measurement of the caption filter on sites nobody tuned on.

    python3 fresh.py SIDE OUT_POOL.tsv OUT_PLACEMENT.tsv MIRROR EXISTING.tsv,... [PLACEMENT_DUMP]

Takes the dragnet test pages (recurring.py says where from: 2012 news and
blog pages, several per site), runs clipcrawl's own extractor over them
(placement-dump) and keeps, of the sites on the held-out side of the set's
split rule (extract.split_of of "dragnet/HOST", the host as --add-pairs
names it: lower-cased, a leading "www." stripped), the alt, title and
figcaption candidates (a gallery caption counts as figcaption) that no
EXISTING file holds: at most PER_UNIT distinct strings per site, seeded.
SIDE `heldout` draws those (split `fresh`); SIDE `dev` draws the dev side's
sites the same way, at most DEV_PER_UNIT strings each, for the labelled
dev pool (split `devpool`).

OUT_POOL.tsv is a pool for annotate.py (unit, attribute, caption; unit
dragnet/HOST); OUT_PLACEMENT.tsv gives each string the placement of the
first image it was found on, in placement.tsv's format with the split,
so that test_captions_real judges it as crawl would. The labelled result
is fresh-sites.tsv and the dragnet rows of devpool.tsv; dragnet-placement.tsv
holds both sides' placements (README.md, "Fresh sites").
"""
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import extract as E  # noqa: E402
import recurring as R  # noqa: E402

PER_UNIT = 8
DEV_PER_UNIT = 25
SEED = 1205
ATTRS = {"alt": "alt", "title": "title", "figcaption": "figcaption", "gallery-caption": "figcaption"}


def main():
    if len(sys.argv) not in (6, 7) or sys.argv[1] not in ("heldout", "dev"):
        sys.exit(__doc__.split("\n\n")[1])
    side, out_pool, out_place, mirror, existing = sys.argv[1:6]
    dump = sys.argv[6] if len(sys.argv) > 6 else os.path.join("build", "tests", "placement-dump")
    split, per_unit = ("fresh", PER_UNIT) if side == "heldout" else ("devpool", DEV_PER_UNIT)
    seen = E.read_existing(existing)
    text, npages = R.dragnet_dump(mirror, dump)
    units = {}  # unit -> {(attr, string): (placement, w, h, repeats)}, first seen wins
    unit, imgs = None, {}
    for line in text.split("\n"):
        c = line.split("\t")
        if c[0] == "page":
            unit, imgs = "dragnet/" + E.pairs_host(c[2]), {}
        elif c[0] == "image":
            imgs[c[1]] = (c[2], c[3], c[4], c[5])
        elif c[0] == "cand" and c[2] in ATTRS and E.split_of(unit) == side:
            s = " ".join(c[3].split())
            if s and s not in seen:
                units.setdefault(unit, {}).setdefault((ATTRS[c[2]], s), imgs[c[1]])
    rng = random.Random(SEED)
    pool, place, taken = [], [], set()
    for unit in sorted(units):
        cands = sorted(k for k in units[unit] if k[1] not in taken)
        rng.shuffle(cands)
        for attr, s in sorted(cands[:per_unit]):
            taken.add(s)
            pool.append("%s\t%s\t%s\n" % (unit, attr, s))
            place.append("\t".join((split, unit, attr, s) + units[unit][(attr, s)]) + "\n")
    with open(out_pool, "w", encoding="utf-8") as f:
        f.writelines(pool)
    with open(out_place, "w", encoding="utf-8") as f:
        f.writelines(place)
    print("%d pages; %d %s sites with a new string; %d strings" % (npages, len(units), side, len(pool)),
          file=sys.stderr)


if __name__ == "__main__":
    main()
