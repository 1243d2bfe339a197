/* fuzz_pairs.c — libFuzzer target for the list readers (pairs.h): the same
 * bytes read as txt, csv, tsv, json and jsonl. Every row must be either a
 * clean url (non-empty C string) or carry an error; never both, never a crash.
 * clang -fsanitize=fuzzer,address -DFUZZ_NO_MAIN builds a real fuzzer; the
 * plain build (gcc) has a main() running the target over files/dirs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_dir.h"
#include "pairs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_memfd_path(data, size); /* the real open path is used */
    static const pairs_format fmts[] = {PAIRS_TXT, PAIRS_CSV, PAIRS_TSV, PAIRS_JSON, PAIRS_JSONL};
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
        for (int cols = 0; cols < 2; cols++) {
            pairs_options o = {.format = fmts[f]};
            if (cols) {
                o.url_col = "u";
                o.caption_col = "c";
            }
            char err[256];
            pairs_reader *r = pairs_open(path, &o, err, sizeof err);
            if (!r) {
                if (!err[0])
                    abort(); /* a failure must say why */
                continue;
            }
            pairs_row row;
            int rc;
            uint64_t expect = 0;
            while ((rc = pairs_next(r, &row)) == 1) {
                if (row.row_no != expect++)
                    abort();
                if (row.error) {
                    if (row.url || row.caption || !row.error[0])
                        abort();
                } else {
                    if (!row.url || !row.url[0])
                        abort();
                    if (row.caption)
                        (void)strlen(row.caption);
                }
            }
            if (rc < 0 && !pairs_errmsg(r)[0])
                abort();
            if (pairs_next(r, &row) != rc)
                abort();
            pairs_close(r);
        }
    }
    return 0;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_pairs", LLVMFuzzerTestOneInput);
}
#endif
