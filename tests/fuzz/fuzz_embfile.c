/* fuzz_embfile.c — libFuzzer target for the embedding file reader
 * (dataset/embfile.h): the bytes as a file, mapped with several claimed row
 * counts and dims; every row a successful map promises is read. The writer's
 * reopen (cut back to the index's count) runs on a copy too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "embfile.h"
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
