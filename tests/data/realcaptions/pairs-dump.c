/* pairs-dump.c — prints "url TAB caption" for every row of an img2dataset
 * style URL list (here: img2dataset's tests/test_files/test_10000.parquet),
 * read with clipcrawl's own pairs reader (crawler/pairs.h). Tabs and line
 * breaks inside a caption become spaces so each row stays one line; rows the
 * reader reports as malformed, and rows without a caption, are skipped.
 *
 * A one-off tool for extract.py's pairs: source kind (see README.md),
 * built with the tests (tests/meson.build) so it keeps compiling. From the
 * repository root, after scripts/build.sh:
 *   build/tests/pairs-dump test_10000.parquet > laion-10k.tsv */
#include <stdio.h>

#include "pairs.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: pairs-dump LIST\n");
        return 2;
    }
    char err[512];
    pairs_options o = {0};
    pairs_reader *r = pairs_open(argv[1], &o, err, sizeof err);
    if (!r) {
        fprintf(stderr, "pairs-dump: %s\n", err);
        return 1;
    }
    pairs_row row;
    int n;
    while ((n = pairs_next(r, &row)) > 0) {
        if (row.error || !row.caption)
            continue;
        fputs(row.url, stdout);
        putchar('\t');
        for (const char *p = row.caption; *p; p++)
            putchar(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p);
        putchar('\n');
    }
    if (n < 0) {
        fprintf(stderr, "pairs-dump: %s: %s\n", argv[1], pairs_errmsg(r));
        return 1;
    }
    pairs_close(r);
    return 0;
}
