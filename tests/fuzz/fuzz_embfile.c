/* fuzz_embfile.c — libFuzzer target for the embedding file reader
 * (dataset/embfile.h): the bytes as a file, mapped with several claimed row
 * counts and dims; every row a successful map promises is read. The writer's
 * reopen (cut back to the index's count) runs on a copy too. Then the bytes
 * as the int8 copy (embint8.h) beside a good F16 file: a search over it
 * (dataset/embstore.h) must not crash, and the writer repairs it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "embfile.h"
#include "embstore.h"
#include "fuzz_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz_embfile.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    close(fd);
    static const uint64_t counts[] = {0, 1, 3, 1000, UINT64_MAX / 2};
    static const int dims[] = {0, 32, 512};
    float *row = malloc(8192 * sizeof *row);
    char err[256];
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        for (size_t d = 0; d < sizeof dims / sizeof *dims; d++) {
            embfile_map m;
            if (embfile_map_open(&m, path, dims[d], counts[c], err, sizeof err) == 0) {
                for (uint64_t r = 0; r < m.count; r++)
                    embfile_row_f32(&m, r, row);
                embfile_map_close(&m);
            }
        }
    }
    /* the writer: open with a small count (cuts the file back), append, close */
    embfile_writer *w = embfile_writer_open(path, 32, 1, NULL, err, sizeof err);
    if (w) {
        memset(row, 0, 32 * sizeof *row);
        embfile_append(w, row, err, sizeof err);
        embfile_writer_close(w, err, sizeof err);
    }
    char *p8 = embfile_i8_path(path);
    unlink(p8);

    /* the bytes as the int8 copy of a good 3-row, 32-d file */
    unlink(path);
    w = embfile_writer_open(path, 32, 0, NULL, err, sizeof err);
    if (!w)
        abort();
    for (int r = 0; r < 3; r++) {
        for (int i = 0; i < 32; i++)
            row[i] = (float)((r * 7 + i) % 5) - 2;
        embfile_append(w, row, err, sizeof err);
    }
    if (embfile_writer_close(w, err, sizeof err) != 0)
        abort();
    fd = open(p8, O_WRONLY | O_TRUNC);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
        abort();
    close(fd);
    for (int flags = 0; flags <= EMB_STORE_MAP; flags += EMB_STORE_MAP) {
        emb_store *s = emb_store_open(path, 32, 3, flags, err, sizeof err);
        if (!s)
            abort(); /* the F16 file is good; a bad copy is only ignored */
        emb_hit hits[2];
        size_t n = 0;
        for (int i = 0; i < 32; i++)
            row[i] = (float)(i % 3) - 1;
        emb_store_search(s, row, NULL, 2, 1, hits, &n, NULL, err, sizeof err);
        emb_store_close(s);
    }
    w = embfile_writer_open(path, 32, 3, NULL, err, sizeof err); /* repairs or rebuilds the copy */
    embfile_writer_close(w, err, sizeof err);
    unlink(p8);
    free(p8);
    free(row);
    unlink(path);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_embfile", LLVMFuzzerTestOneInput);
}
#endif
