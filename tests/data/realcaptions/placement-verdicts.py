#!/usr/bin/env python3
"""placement-verdicts.py - the dev and dev-pool page rows with their placement,
label and the filter's verdicts (text alone and as crawl judges), for writing
and checking the placement rule (filters/caption-place.c).

    tests/data/realcaptions/placement-verdicts.py build/cli/clipcrawl > rows.tsv
    tests/data/realcaptions/placement-verdicts.py build/cli/clipcrawl --table

Reads ONLY split `dev` of captions-real.tsv, devpool.tsv and the dev/devpool
rows of placement.tsv: held-out rows are skipped as each line is read, never
kept or printed (the issue 11 protocol: rules are tuned on dev data only).

Output (TSV): split label text_verdict placed_verdict placement width height
repeats caption unit attribute detail. --table prints, per placement bit
combination, the labels (keep / reject / ambiguous) and how many rows the
text alone and the placed judge reject of each.
"""
import sys
from collections import defaultdict

from tuning import judge, place_options, rows_of


def labels():
    lab = {}
    for c in rows_of("captions-real.tsv"):
        lab[(c[0], c[1], c[2], c[4])] = c[3]
    for c in rows_of("devpool.tsv"):
        lab[(c[0], c[1], c[2], c[4])] = c[3]
    return lab


def main():
    clipcrawl = sys.argv[1]
    table = "--table" in sys.argv[2:]
    lab = labels()
    rows = []
    for c in rows_of("placement.tsv"):
        key = (c[0], c[1], c[2], c[3])
        if key in lab and "\n" not in c[3]:
            rows.append({"split": c[0], "unit": c[1], "attr": c[2], "text": c[3], "place": c[4],
                         "w": int(c[5]), "h": int(c[6]), "rep": int(c[7]), "label": lab[key]})
    texts = [r["text"] for r in rows]
    for r, v in zip(rows, judge(clipcrawl, texts, [])):
        r["tv"] = v[0]
    groups = defaultdict(list)
    for r in rows:
        groups[(r["place"], r["w"], r["h"], r["rep"])].append(r)
    for (pl, w, h, rep), g in groups.items():
        for r, v in zip(g, judge(clipcrawl, [r["text"] for r in g], place_options(pl, w, h, rep))):
            r["pv"], r["detail"] = v
    if not table:
        for r in rows:
            print("\t".join([r["split"], r["label"], r["tv"], r["pv"], r["place"] or "page", str(r["w"]),
                             str(r["h"]), str(r["rep"]), r["text"], r["unit"], r["attr"], r["detail"]]))
        return
    t = defaultdict(lambda: defaultdict(int))
    for r in rows:
        kind = "amb" if r["label"] == "ambiguous" else ("keep" if r["label"] == "keep" else "rej")
        k = r["place"] or "page"
        t[k][kind] += 1
        t[k][kind + "_text_rej"] += r["tv"] != "keep"
        t[k][kind + "_placed_rej"] += r["pv"] != "keep"
    print("placement\tkeep\t(text rej, placed rej)\treject\t(text rej, placed rej)\tambiguous")
    for k, c in sorted(t.items(), key=lambda kv: -(kv[1]["keep"] + kv[1]["rej"])):
        print("%s\t%d\t(%d, %d)\t%d\t(%d, %d)\t%d" % (k, c["keep"], c["keep_text_rej"], c["keep_placed_rej"], c["rej"],
                                                   c["rej_text_rej"], c["rej_placed_rej"], c["amb"]))


if __name__ == "__main__":
    main()
