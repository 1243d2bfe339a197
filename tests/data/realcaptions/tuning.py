"""tuning.py - reading the tuning rows and judging them (a module for the
scripts beside it: placement-verdicts.py, learned-check.py).

Only split `dev` of captions-real.tsv, devpool.tsv and the dev / dev-pool rows
of placement.tsv are ever yielded: held-out rows are skipped as each line is
read, never kept (the issue 11 protocol: rules are tuned on dev data only)."""
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
TUNE = ("dev", "devpool")


def rows_of(name):
    """The tab-split columns of each tuning row of HERE/name."""
    with open(os.path.join(HERE, name), encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if cols[0] not in TUNE:  # held-out: skipped unread
                continue
            yield cols


def judge(clipcrawl, texts, opts):
    """Verdicts (reason or "keep", detail) of texts, one check-caption run with opts."""
    p = subprocess.run([clipcrawl, "check-caption", "--explain"] + opts, input="\n".join(texts) + "\n",
                       capture_output=True, text=True, check=True)
    out = []
    for line in p.stdout.split("\n")[: len(texts)]:
        f = line.split("\t")
        out.append((f[0][len("reject:"):] if f[0].startswith("reject:") else "keep", f[3] if len(f) > 3 else ""))
    return out


def place_options(placement, width, height, repeats):
    """check-caption's options for a page row's placement (placement.tsv's columns);
    a side the page did not declare is 0 (--size 300x0)."""
    # check-caption takes sides up to 100000 px; a page may declare more
    # (a 2258500 px width): any side that large is neither an icon nor an
    # advert size, so clamping it changes no verdict
    width, height = min(width, 100000), min(height, 100000)
    return ["--placement", placement, "--repeats", str(repeats)] + (
        ["--size", "%dx%d" % (width, height)] if width or height else [])
