#!/usr/bin/python3
"""annotate.py — the second, blind annotation of captions-real.tsv.

Every row of the set was labelled by a first annotator. This script runs the
second pass and the adjudication, so that the figures rest on labels two
people agreed on (or a third chose between):

  annotate.py chunks SET.tsv OUTDIR [K]
      Writes OUTDIR/chunkN.tsv (id, unit, attribute, caption; id = the row's
      line number in SET.tsv) in K chunks (default 4), a source unit never
      split, units in a seeded random order. No label and no filter verdict
      is written: the second annotator labels blind, with the written policy.
  annotate.py disagreements SET.tsv OUTDIR LABELS.tsv... 
      Reads the second annotator's `id<TAB>label` files and writes
      OUTDIR/adjudicate.tsv (id, unit, attribute, caption, label A, label B)
      for every row where the two labels differ; which label is A is chosen
      by a seeded coin per row, so the adjudicator cannot tell which came
      first. No filter verdict is written.
  annotate.py merge SET.tsv OUT.tsv ADJUDICATED.tsv LABELS.tsv...
      Writes OUT.tsv: SET.tsv with two more columns (first annotator's label,
      second annotator's label) and column 4 set to the agreed label, or to
      the adjudicator's where they differ (ADJUDICATED.tsv: id<TAB>label).
      Comment lines are kept.

The unlabelled dev pool (devpool.py) is labelled the same way, by one
annotator, for tuning only:

  annotate.py pool-chunks POOL.tsv OUTDIR [K]
      Writes OUTDIR/chunkN.tsv (id = the row's line number in POOL.tsv) in K
      chunks (default 6) of about equal size, a unit never split, units in a
      seeded random order.
  annotate.py pool-sample POOL.tsv OUT.tsv [ROWS]
      Writes a chunk for a second, independent reading of part of the pool:
      whole units of at most 60 strings, in a seeded random order, until
      ROWS rows (default 1,200).
  annotate.py pool-agreement DEVPOOL.tsv SECOND.tsv
      Prints how far the second reading (SECOND.tsv: id<TAB>label, id = the
      line number in DEVPOOL.tsv) agrees with the pool's labels on the rows
      it covers: labels, keep/reject/ambiguous (share, kappa).
  annotate.py pool [--split NAME] POOL.tsv OUT.tsv LABELS.tsv...
      Writes OUT.tsv (`devpool  unit  attribute  label  caption`; NAME in
      place of devpool with --split) with every pool row and its label; a
      row without a label is an error.

The LAION census (laion-census.tsv: every other LAION row of the held-out
hosts, a measurement only) is labelled once and in part read a second time:

  annotate.py pool --split census POOL.tsv OUT.tsv LABELS.tsv...
      As `pool`, with split `census`: the first reading.
  annotate.py disagreements --partial SET.tsv OUTDIR LABELS.tsv...
  annotate.py merge --partial SET.tsv OUT.tsv ADJUDICATED.tsv LABELS.tsv...
      As without --partial, for a SET.tsv only part of which was read a
      second time (pool-sample): rows without a second label are left out
      of the disagreements and written unchanged by merge.

Stdlib only. Run it with the set's own rows; it never reads the filter.
"""
import random
import sys

LABELS = {"keep", "empty", "too_short", "filename", "url_or_path", "isbn",
          "code_or_id", "boilerplate", "unsafe", "ambiguous"}


def read_set(path):
    rows = {}
    for i, line in enumerate(open(path, encoding="utf-8"), 1):
        if line.startswith("#") or not line.strip():
            continue
        p = line.rstrip("\n").split("\t")
        rows[i] = p
    return rows


def read_labels(paths):
    out = {}
    for path in paths:
        for line in open(path, encoding="utf-8"):
            if not line.strip():
                continue
            i, lab = line.rstrip("\n").split("\t")[:2]
            i, lab = int(i), lab.strip()
            if lab not in LABELS:
                sys.exit(f"{path}: id {i}: unknown label '{lab}'")
            if i in out:
                sys.exit(f"{path}: id {i} labelled twice")
            out[i] = lab
    return out


def require_labels(rows, labels, what):
    """Exits naming the first row of ROWS that LABELS does not cover."""
    missing = [i for i in rows if i not in labels]
    if missing:
        sys.exit(f"{len(missing)} {what} (first: line {missing[0]})")


def by_unit(rows, col):
    """Row ids grouped by the unit in column COL, in file order."""
    units = {}
    for i, p in rows.items():
        units.setdefault(p[col], []).append(i)
    return units


def write_chunk(path, ids, fields):
    """One chunk file: a header, then id, unit, attribute, caption per row."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("id\tunit\tattribute\tcaption\n")
        for i in ids:
            f.write(f"{i}\t" + "\t".join(fields(i)) + "\n")


def chunks(set_path, outdir, k=4):
    rows = read_set(set_path)
    units = by_unit(rows, 1)
    order = list(units)
    random.seed(20261204)
    random.shuffle(order)
    parts = [[] for _ in range(k)]
    for u in order:
        min(parts, key=len).extend(units[u])
    for n, part in enumerate(parts, 1):
        write_chunk(f"{outdir}/chunk{n}.tsv", part, lambda i: (rows[i][1], rows[i][2], rows[i][4]))


def disagreements(set_path, outdir, label_paths, partial=False):
    rows = read_set(set_path)
    second = read_labels(label_paths)
    if partial:
        rows = {i: p for i, p in rows.items() if i in second}
    require_labels(rows, second, "rows have no second label")
    rng = random.Random(4711)
    with open(f"{outdir}/adjudicate.tsv", "w", encoding="utf-8") as f:
        f.write("id\tunit\tattribute\tcaption\tlabel_a\tlabel_b\n")
        for i, p in rows.items():
            first = p[5] if len(p) == 7 else p[3]
            if first == second[i]:
                continue
            a, b = (first, second[i]) if rng.random() < 0.5 else (second[i], first)
            f.write(f"{i}\t{p[1]}\t{p[2]}\t{p[4]}\t{a}\t{b}\n")


def merge(set_path, out_path, adj_path, label_paths, partial=False):
    rows = read_set(set_path)
    second = read_labels(label_paths)
    adjudicated = read_labels([adj_path])
    if not partial:
        require_labels(rows, second, "rows have no second label")
    with open(out_path, "w", encoding="utf-8") as out:
        for i, line in enumerate(open(set_path, encoding="utf-8"), 1):
            if i not in rows or i not in second:
                out.write(line)  # a comment, or (--partial) a row read once
                continue
            p = rows[i]
            first = p[5] if len(p) == 7 else p[3]
            sec = second[i]
            if first == sec:
                final = first
            elif i in adjudicated:
                final = adjudicated[i]
            else:
                sys.exit(f"line {i}: annotators differ ({first} / {sec}) and no adjudication")
            out.write("\t".join([p[0], p[1], p[2], final, p[4], first, sec]) + "\n")


def pool_rows(pool_path):
    rows = {}
    for i, line in enumerate(open(pool_path, encoding="utf-8"), 1):
        p = line.rstrip("\n").split("\t")
        if len(p) != 3:
            sys.exit(f"{pool_path}:{i}: expected unit, attribute, caption")
        rows[i] = p
    return rows


def pool_chunks(pool_path, outdir, k=6):
    rows = pool_rows(pool_path)
    units = by_unit(rows, 0)
    order = sorted(units)
    random.Random(5).shuffle(order)
    target = len(rows) / k
    parts = [[] for _ in range(k)]
    n = 0
    for u in order:
        if len(parts[n]) >= target and n < k - 1:
            n += 1
        parts[n].extend(units[u])
    for n, part in enumerate(parts, 1):
        write_chunk(f"{outdir}/chunk{n}.tsv", part, lambda i: rows[i])


def pool_sample(pool_path, out_path, want=1200):
    rows = pool_rows(pool_path)
    units = by_unit(rows, 0)
    order = sorted(units)
    random.Random(77).shuffle(order)
    picked = []
    for u in order:
        if len(picked) >= want:
            break
        if len(units[u]) <= 60:
            picked.extend(units[u])
    write_chunk(out_path, picked, lambda i: rows[i])


def kappa(pairs):
    m = len(pairs)
    po = sum(x == y for x, y in pairs) / m
    classes = {x for x, _ in pairs} | {y for _, y in pairs}
    pe = sum(sum(x == c for x, _ in pairs) * sum(y == c for _, y in pairs) for c in classes) / m / m
    return po, (po - pe) / (1 - pe) if pe < 1 else 1.0


def pool_agreement(devpool_path, b_path):
    a = {i: line.split("\t")[3] for i, line in enumerate(open(devpool_path, encoding="utf-8"), 1)}
    b = read_labels([b_path])
    pairs = [(a[i], b[i]) for i in b]
    coarse = [tuple(x if x in ("keep", "ambiguous") else "reject" for x in p) for p in pairs]
    print("%d rows read twice: labels agree %.3f kappa %.3f; keep/reject/ambiguous agree %.3f kappa %.3f"
          % ((len(pairs),) + kappa(pairs) + kappa(coarse)))


def pool(pool_path, out_path, label_paths, split="devpool"):
    rows = pool_rows(pool_path)
    labels = read_labels(label_paths)
    require_labels(rows, labels, "pool rows have no label")
    with open(out_path, "w", encoding="utf-8") as out:
        for i, (unit, attr, cap) in rows.items():
            out.write(f"{split}\t{unit}\t{attr}\t{labels[i]}\t{cap}\n")


def main(argv):
    partial = "--partial" in argv[1:2]
    if partial:
        argv = argv[:1] + argv[2:]
    if partial and argv[0] not in ("disagreements", "merge"):
        sys.exit("--partial goes with disagreements and merge")
    if len(argv) >= 3 and argv[0] == "chunks":
        chunks(argv[1], argv[2], int(argv[3]) if len(argv) > 3 else 4)
    elif len(argv) >= 4 and argv[0] == "disagreements":
        disagreements(argv[1], argv[2], argv[3:], partial)
    elif len(argv) >= 5 and argv[0] == "merge":
        merge(argv[1], argv[2], argv[3], argv[4:], partial)
    elif len(argv) >= 3 and argv[0] == "pool-chunks":
        pool_chunks(argv[1], argv[2], int(argv[3]) if len(argv) > 3 else 6)
    elif len(argv) >= 3 and argv[0] == "pool-sample":
        pool_sample(argv[1], argv[2], int(argv[3]) if len(argv) > 3 else 1200)
    elif len(argv) == 3 and argv[0] == "pool-agreement":
        pool_agreement(argv[1], argv[2])
    elif len(argv) >= 6 and argv[0] == "pool" and argv[1] == "--split":
        pool(argv[3], argv[4], argv[5:], argv[2])
    elif len(argv) >= 4 and argv[0] == "pool":
        pool(argv[1], argv[2], argv[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
