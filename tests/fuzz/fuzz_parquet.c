/* fuzz_parquet.c — libFuzzer target for the Parquet reader (parquet.h).
 * The bytes are read as a Parquet file: every flat column, every row, every
 * value formatted as JSON. Promises checked: a failure always carries a
 * message naming the file, row numbers count up from 0, a byte array's
 * bytes are readable, and the reader stays at its end state.
 * clang -fsanitize=fuzzer,address -DFUZZ_NO_MAIN builds a real fuzzer; the
 * plain build (gcc) has a main() running the target over files/dirs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_dir.h"
#include "parquet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an in-memory file, reached by path, so the real open path is used */
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz_parquet", 0);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    /* small limits: a hostile file must not make the fuzzer allocate much */
    pq_options o = {.max_rows_per_group = 1 << 16, .max_page_bytes = 1 << 22};
    char err[512] = "";
    pq_reader *r = pq_open(path, &o, err, sizeof err);
    if (!r) {
        if (!strstr(err, path))
            abort(); /* a failure must say which file and why */
        return 0;
    }
    /* select the flat columns (a nested one would stop the read) */
    size_t nc = pq_ncolumns(r);
    const char **names = malloc((nc ? nc : 1) * sizeof *names);
    size_t k = 0;
    for (size_t i = 0; i < nc; i++)
        if (!pq_column_at(r, i)->nested)
            names[k++] = pq_column_at(r, i)->name;
    if (pq_select(r, names, k, err, sizeof err) != 0) {
        /* two columns can share a name: then the first wins, still fine */
        if (!err[0])
            abort();
    }
    free(names);
    ccbuf b = {0};
    int rc;
    uint64_t expect = 0;
    while ((rc = pq_next(r)) == 1) {
        if (pq_row_no(r) != expect++)
            abort();
        for (size_t j = 0; j < pq_nselected(r); j++) {
            pq_value v;
            pq_get(r, j, &v);
            if (!v.is_null && v.len) {
                volatile uint8_t sink = v.bytes[0] ^ v.bytes[v.len - 1];
                (void)sink;
            }
            ccbuf_reset(&b);
            pq_value_json(&b, pq_selected_column(r, j), &v);
        }
    }
    if (rc < 0 && !strstr(pq_errmsg(r), path))
        abort();
    if (pq_next(r) != rc)
        abort();
    ccbuf_free(&b);
    pq_close(r);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_parquet", LLVMFuzzerTestOneInput);
}
#endif
