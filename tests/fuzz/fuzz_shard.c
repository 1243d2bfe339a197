/* fuzz_shard.c — libFuzzer target for the shard reader (shards/shard.h): any
 * bytes as a shard file are walked frame by frame (verify's path), each
 * frame is re-read by offset (cat's path) and its tar members parsed; the raw
 * bytes are also parsed as one decompressed frame. Members must lie inside
 * their frame; a failure must say why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "fuzz_dir.h"
#include "shard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse(const unsigned char *buf, size_t n)
{
    enum { MAX = 16 };
    static char names[MAX][SHARD_NAME_MAX + 1];
    shard_member m[MAX];
    size_t count = 0;
    char err[256] = "";
    cc_err rc = shard_parse_tar(buf, n, "fuzz", m, names, MAX, &count, err, sizeof err);
    if (rc != CC_OK) {
        if (!err[0])
            abort();
        return;
    }
    if (count > MAX)
        abort();
    for (size_t i = 0; i < count; i++) {
        const unsigned char *d = m[i].data;
        if (m[i].len && (d < buf || d + m[i].len > buf + n))
            abort();
        (void)strlen(m[i].name);
    }
    (void)shard_is_end_frame(buf, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse(data, size);
    const char *path = fuzz_memfd_path(data, size);
    char err[256] = "";
    shard_iter *it = shard_iter_open(path, err, sizeof err);
    if (!it) {
        if (!err[0])
            abort();
        return 0;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        abort();
    uint64_t off, len;
    ccbuf frame = {0}, again = {0};
    int rc;
    while ((rc = shard_iter_next(it, &off, &len, &frame)) == 1) {
        if (off + len > size)
            abort();
        parse(frame.data, frame.len);
        if (shard_read_frame(fd, "fuzz", off, len, &again, err, sizeof err) == CC_OK &&
            (again.len != frame.len || memcmp(again.data, frame.data, frame.len) != 0))
            abort(); /* the two read paths agree */
    }
    if (rc < 0 && !shard_iter_errmsg(it)[0])
        abort();
    ccbuf_free(&frame);
    ccbuf_free(&again);
    close(fd);
    shard_iter_close(it);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_shard", LLVMFuzzerTestOneInput);
}
#endif
