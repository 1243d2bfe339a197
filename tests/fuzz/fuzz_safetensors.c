/* fuzz_safetensors.c — libFuzzer target for the safetensors reader
 * (clipscore/safetensors.h): any bytes as a .safetensors file either open, with
 * every tensor's data inside the file and its size equal to shape x dtype, or
 * fail with a message; never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_dir.h"
#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_memfd_path(data, size);
    char err[512] = "";
    st_file *f = st_open(path, err, sizeof err);
    if (!f) {
        if (!err[0])
            abort();
        return 0;
    }
    size_t hlen = 0;
    const unsigned char *h = st_header(f, &hlen);
    if (!h || 8 + hlen > st_file_size(f))
        abort();
    unsigned long long sum = 0;
    for (size_t i = 0; i < st_count(f); i++) {
        const st_tensor *t = st_at(f, i);
        if (!t || !t->name || st_find(f, t->name) == NULL || t->ndim < 0 || t->ndim > ST_MAX_DIMS)
            abort();
        (void)st_dtype_name(t->dtype);
        for (size_t b = 0; b < t->nbytes; b++) /* every byte is readable (ASan checks) */
            sum += t->data[b];
    }
    (void)st_metadata(f, "format");
    (void)sum;
    st_close(f);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_safetensors", LLVMFuzzerTestOneInput);
}
#endif
