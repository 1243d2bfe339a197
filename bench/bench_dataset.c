/* bench_dataset.c — the dataset layer's own cost per sample: writing
 * (frame build + zstd + pwrite + SQLite upsert + batched commit/fdatasync)
 * and random-access reads (index lookup + pread + one frame decompression).
 *
 * usage: bench_dataset [SAMPLES [IMAGE_BYTES]]   (defaults 5000, 40000)
 * Prints one JSON line. Images are incompressible random bytes, like JPEGs. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "dataset.h"

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 5000;
    size_t size = argc > 2 ? (size_t)atol(argv[2]) : 40000;
    if (n < 1 || size < 1) {
        fprintf(stderr, "usage: bench_dataset [SAMPLES [IMAGE_BYTES]]\n");
        return 2;
    }
    char dir[] = "/tmp/bench_dataset.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char err[512];
    dataset *ds = dataset_open(dir, NULL, err, sizeof err);
    if (!ds) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int64_t in = dataset_input(ds, "bench", "txt");
    unsigned char *img = xmalloc(size);
    uint32_t x = 12345;
    char caption[128], url[128];
    double t0 = cc_now(), c0 = cc_cpu_seconds();
    for (int i = 0; i < n; i++) {
        for (size_t k = 0; k < size; k += 4) { /* xorshift: fresh incompressible bytes */
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            memcpy(img + k, &x, size - k < 4 ? size - k : 4);
        }
        snprintf(caption, sizeof caption, "a photo of thing number %d on a table", i);
        snprintf(url, sizeof url, "http://127.0.0.1/img/%d.jpg", i);
        dataset_sample s = {.input_id = in, .row_no = i, .url = url, .caption = caption, .image = img,
                            .image_len = size, .ext = "jpg", .width = 256, .height = 192,
                            .original_width = 1024, .original_height = 768, .http_status = 200};
        if (dataset_add_accepted(ds, &s, NULL) != CC_OK) {
            fprintf(stderr, "%s\n", dataset_errmsg(ds));
            return 1;
        }
    }
    if (dataset_close(ds, 1, err, sizeof err) != CC_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double wt = cc_now() - t0, wc = cc_cpu_seconds() - c0;
    /* random reads from a fresh read-only handle */
    ds = dataset_open_readonly(dir, err, sizeof err);
    ccbuf b = {0};
    int reads = n < 2000 ? n : 2000;
    t0 = cc_now(), c0 = cc_cpu_seconds();
    for (int i = 0; i < reads; i++) {
        int k = (int)((unsigned)(i * 2654435761u) % (unsigned)n);
        char key[16];
        snprintf(key, sizeof key, "%05d%04d", k / 10000, k % 10000);
        if (dataset_read_member(ds, key, NULL, &b) != CC_OK || b.len != size) {
            fprintf(stderr, "read %s: %s\n", key, dataset_errmsg(ds));
            return 1;
        }
    }
    double rt = cc_now() - t0, rc = cc_cpu_seconds() - c0;
    dataset_close(ds, 0, NULL, 0);
    printf("{\"samples\":%d,\"image_bytes\":%zu,\"write_samples_per_s\":%.0f,\"write_cpu_ms_per_sample\":%.3f,"
           "\"write_MB_per_s\":%.1f,\"reads\":%d,\"read_us_per_sample\":%.1f,\"read_cpu_us_per_sample\":%.1f}\n",
           n, size, n / wt, wc * 1000 / n, n * (double)size / wt / 1e6, reads, rt * 1e6 / reads,
           rc * 1e6 / reads);
    char *rm = xasprintf("rm -rf '%s'", dir);
    if (system(rm) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    free(rm);
    ccbuf_free(&b);
    free(img);
    return 0;
}
