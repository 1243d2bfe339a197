/* test_shards.c — the shard format: golden bytes, tar compatibility, round
 * trip, corrupt frames, truncated .part recovery, a failing write.
 * Set CLIPCRAWL_REGEN_GOLDEN=1 to rewrite tests/data/golden/shard-v1.tar.zst
 * (only when the format changes on purpose; bump SHARD_FORMAT.md's history). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "shard.h"

static char tmpdir[256];

static char *tpath(const char *name) { return xasprintf("%s/%s", tmpdir, name); }

/* The golden shard: two samples, fixed bytes, fixed mtime. */
static void write_golden_shard(const char *part, const char *final)
{
    char err[256];
    shard_writer *w = shard_writer_open(part, -1, 3, err, sizeof err);
    CHECK(w != NULL, "open: %s", err);
    if (!w)
        return;
    static const unsigned char img0[] = {0xff, 0xd8, 0xff, 0xe0, 'f', 'a', 'k', 'e', 0xff, 0xd9};
    const char *json0 = "{\"url\":\"http://127.0.0.1/a.jpg\",\"caption\":\"a red bicycle\",\"key\":\"000000000\"}";
    const char *json1 = "{\"url\":\"http://127.0.0.1/b.png\",\"caption\":\"two cats\",\"key\":\"000000001\"}";
    shard_member s0[] = {{"000000000.jpg", img0, sizeof img0},
                         {"000000000.txt", "a red bicycle", 13},
                         {"000000000.json", json0, strlen(json0)}};
    shard_member s1[] = {{"000000001.png", "\x89PNG\r\n\x1a\n", 8},
                         {"000000001.txt", "two cats", 8},
                         {"000000001.json", json1, strlen(json1)}};
    uint64_t off0, len0, off1, len1;
    CHECK_EQ_INT(shard_writer_add(w, s0, 3, 1700000000, &off0, &len0), CC_OK);
    CHECK_EQ_INT(shard_writer_add(w, s1, 3, 1700000000, &off1, &len1), CC_OK);
    CHECK_EQ_INT(off0, 0);
    CHECK_EQ_INT(off1, len0);
    CHECK_EQ_INT(shard_writer_size(w), len0 + len1);
    CHECK_EQ_INT(shard_writer_seal(w, final, err, sizeof err), CC_OK);
    CHECK(access(part, F_OK) != 0, "the .part is gone after sealing");
}

static void test_golden(void)
{
    char *part = tpath("00000.tar.zst.part"), *final = tpath("00000.tar.zst");
    write_golden_shard(part, final);
    const char *tests = getenv("CLIPCRAWL_TESTS");
    char *golden = xasprintf("%s/data/golden/shard-v1.tar.zst", tests ? tests : "tests");
    ccbuf got = {0}, want = {0};
    CHECK_EQ_INT(cc_read_file(final, &got), CC_OK);
    if (getenv("CLIPCRAWL_REGEN_GOLDEN")) {
        FILE *f = fopen(golden, "wb");
        CHECK(f && fwrite(got.data, 1, got.len, f) == got.len && fclose(f) == 0, "writing %s", golden);
        fprintf(stderr, "regenerated %s (%zu bytes)\n", golden, got.len);
    }
    CHECK(cc_read_file(golden, &want) == CC_OK, "cannot read golden %s", golden);
    CHECK(got.len == want.len && memcmp(got.data, want.data, got.len) == 0,
          "shard bytes differ from %s (%zu vs %zu bytes)", golden, got.len, want.len);

    /* Plain tools read it as one tar. */
    const char *expect = "000000000.jpg\n000000000.txt\n000000000.json\n"
                         "000000001.png\n000000001.txt\n000000001.json\n";
    char *cmds[2] = {xasprintf("tar --zstd -tf '%s' 2>&1", final), xasprintf("zstdcat '%s' | tar t 2>&1", final)};
    for (int i = 0; i < 2; i++) {
        FILE *p = popen(cmds[i], "r");
        char buf[1024];
        size_t n = p ? fread(buf, 1, sizeof buf - 1, p) : 0;
        buf[n] = 0;
        int rc = p ? pclose(p) : -1;
        CHECK(rc == 0 && strcmp(buf, expect) == 0, "'%s' gave rc %d and:\n%s", cmds[i], rc, buf);
        free(cmds[i]);
    }
    /* and tar extracts the exact member bytes */
    char *x = xasprintf("cd '%s' && tar --zstd -xf '%s' 000000000.txt && cat 000000000.txt", tmpdir, final);
    FILE *p = popen(x, "r");
    char buf[64] = {0};
    size_t n = p ? fread(buf, 1, sizeof buf - 1, p) : 0;
    buf[n] = 0;
    if (p)
        pclose(p);
    CHECK_EQ_STR(buf, "a red bicycle");
    free(x);
    ccbuf_free(&got);
    ccbuf_free(&want);
    free(golden);
    free(part);
    free(final);
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (unsigned char)(i % 7 ? seed >> 16 : 'a'); /* partly compressible */
    }
}

static void test_round_trip(void)
{
    char *path = tpath("rt.tar.zst.part");
    char err[256];
    shard_writer *w = shard_writer_open(path, -1, 1, err, sizeof err);
    CHECK(w != NULL, "open: %s", err);
    if (!w)
        return;
    enum { N = 40 };
    uint64_t off[N], len[N];
    size_t sizes[N];
    for (int i = 0; i < N; i++) {
        sizes[i] = (size_t)(i * 977 % 70000) + (i == 3 ? 0 : 1); /* includes an empty member and 512-multiples */
        if (i == 5)
            sizes[i] = 512;
        unsigned char *img = xmalloc(sizes[i] + 1);
        fill(img, sizes[i], (unsigned)i);
        char n0[32], n1[32];
        snprintf(n0, sizeof n0, "%09d.webp", i);
        snprintf(n1, sizeof n1, "%09d.txt", i);
        shard_member m[2] = {{n0, img, sizes[i]}, {n1, n1, strlen(n1)}};
        CHECK_EQ_INT(shard_writer_add(w, m, 2, i, &off[i], &len[i]), CC_OK);
        free(img);
    }
    CHECK_EQ_INT(shard_writer_frames(w), N);
    CHECK_EQ_INT(shard_writer_sync(w), CC_OK);
    /* bad input is refused, nothing written */
    uint64_t before = shard_writer_size(w);
    char longname[200];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    shard_member bad = {longname, "x", 1};
    CHECK_EQ_INT(shard_writer_add(w, &bad, 1, 0, NULL, NULL), CC_ERR_USAGE);
    CHECK(strstr(shard_writer_errmsg(w), "rt.tar.zst.part") != NULL, "message names the file: %s",
          shard_writer_errmsg(w));
    CHECK_EQ_INT(shard_writer_add(w, &bad, 0, 0, NULL, NULL), CC_ERR_USAGE);
    CHECK_EQ_INT(shard_writer_size(w), before);
    shard_writer_close(w);

    int fd = open(path, O_RDONLY);
    ccbuf frame = {0};
    for (int i = 0; i < N; i++) {
        CHECK_EQ_INT(shard_read_frame(fd, path, off[i], len[i], &frame, err, sizeof err), CC_OK);
        shard_member m[4];
        char names[4][SHARD_NAME_MAX + 1];
        size_t n = 0;
        CHECK_EQ_INT(shard_parse_tar(frame.data, frame.len, path, m, names, 4, &n, err, sizeof err), CC_OK);
        CHECK_EQ_INT(n, 2);
        if (n != 2)
            continue;
        unsigned char *img = xmalloc(sizes[i] + 1);
        fill(img, sizes[i], (unsigned)i);
        char n0[32];
        snprintf(n0, sizeof n0, "%09d.webp", i);
        CHECK_EQ_STR(m[0].name, n0);
        CHECK(m[0].len == sizes[i] && memcmp(m[0].data, img, sizes[i]) == 0, "member %d bytes differ", i);
        free(img);
    }
    /* The iterator finds exactly the frames the writer reported. */
    shard_iter *it = shard_iter_open(path, err, sizeof err);
    CHECK(it != NULL, "iter: %s", err);
    uint64_t o, l;
    int k = 0, r;
    while (it && (r = shard_iter_next(it, &o, &l, &frame)) == 1) {
        CHECK(k < N && o == off[k] && l == len[k], "frame %d at %llu+%llu", k, (unsigned long long)o,
              (unsigned long long)l);
        k++;
    }
    CHECK_EQ_INT(k, N);
    shard_iter_close(it);

    /* a wrong length or offset is a clean error naming the shard */
    CHECK_EQ_INT(shard_read_frame(fd, path, off[1], len[1] - 1, &frame, err, sizeof err), CC_ERR_CORRUPT);
    CHECK(strstr(err, "rt.tar.zst.part") != NULL, "names the shard: %s", err);
    CHECK_EQ_INT(shard_read_frame(fd, path, off[1] + 1, len[1], &frame, err, sizeof err), CC_ERR_CORRUPT);
    CHECK_EQ_INT(shard_read_frame(fd, path, off[N - 1], len[N - 1] + 10, &frame, err, sizeof err), CC_ERR_IO);
    CHECK_EQ_INT(shard_read_frame(fd, path, 0, 0, &frame, err, sizeof err), CC_ERR_CORRUPT);
    close(fd);

    /* flip one byte inside frame 7's compressed data: the checksum catches it */
    int wfd = open(path, O_RDWR);
    unsigned char c;
    uint64_t at = off[7] + len[7] / 2;
    CHECK(pread(wfd, &c, 1, (off_t)at) == 1, "pread");
    c ^= 0x5a;
    CHECK(pwrite(wfd, &c, 1, (off_t)at) == 1, "pwrite");
    CHECK_EQ_INT(shard_read_frame(wfd, path, off[7], len[7], &frame, err, sizeof err), CC_ERR_CORRUPT);
    CHECK(strstr(err, path) != NULL, "names the shard: %s", err);
    /* neighbours still read */
    CHECK_EQ_INT(shard_read_frame(wfd, path, off[8], len[8], &frame, err, sizeof err), CC_OK);
    close(wfd);
    ccbuf_free(&frame);
    free(path);
}

static void test_bad_tar(void)
{
    char err[256];
    shard_member m[4];
    char names[4][SHARD_NAME_MAX + 1];
    size_t n = 99;
    unsigned char buf[2048];
    /* an end frame parses to zero members */
    memset(buf, 0, sizeof buf);
    CHECK_EQ_INT(shard_parse_tar(buf, 1024, "x", m, names, 4, &n, err, sizeof err), CC_OK);
    CHECK_EQ_INT(n, 0);
    CHECK(shard_is_end_frame(buf, 1024), "end frame");
    CHECK(!shard_is_end_frame(buf, 512), "half an end frame is not one");
    /* not a whole block */
    CHECK_EQ_INT(shard_parse_tar(buf, 100, "x", m, names, 4, &n, err, sizeof err), CC_ERR_CORRUPT);
    /* garbage header */
    memset(buf, 'A', 512);
    CHECK_EQ_INT(shard_parse_tar(buf, 1024, "bad.tar", m, names, 4, &n, err, sizeof err), CC_ERR_CORRUPT);
    CHECK(strstr(err, "bad.tar") != NULL, "message names the shard: %s", err);
    /* a valid header whose size runs past the frame: build one via the writer */
    char *path = tpath("one.part");
    shard_writer *w = shard_writer_open(path, -1, 3, err, sizeof err);
    shard_member one = {"000000000.txt", "hello", 5};
    uint64_t off, len;
    CHECK_EQ_INT(shard_writer_add(w, &one, 1, 0, &off, &len), CC_OK);
    shard_writer_close(w);
    int fd = open(path, O_RDONLY);
    ccbuf f = {0};
    CHECK_EQ_INT(shard_read_frame(fd, path, off, len, &f, err, sizeof err), CC_OK);
    close(fd);
    CHECK_EQ_INT(f.len, 1024);
    CHECK_EQ_INT(shard_parse_tar(f.data, f.len, path, m, names, 4, &n, err, sizeof err), CC_OK);
    CHECK(n == 1 && m[0].len == 5 && memcmp(m[0].data, "hello", 5) == 0, "one member");
    /* too many members for the caller's array */
    CHECK_EQ_INT(shard_parse_tar(f.data, 1024, path, m, names, 0, &n, err, sizeof err), CC_ERR_RANGE);
    /* size field claims 4096 bytes: checksum no longer matches → corrupt */
    memcpy(f.data + 124, "00000010000", 11);
    CHECK_EQ_INT(shard_parse_tar(f.data, f.len, path, m, names, 4, &n, err, sizeof err), CC_ERR_CORRUPT);
    /* ... and with a recomputed checksum the size check itself catches it */
    unsigned sum = 0;
    memset(f.data + 148, ' ', 8);
    for (int i = 0; i < 512; i++)
        sum += f.data[i];
    snprintf((char *)f.data + 148, 8, "%06o", sum);
    CHECK_EQ_INT(shard_parse_tar(f.data, f.len, path, m, names, 4, &n, err, sizeof err), CC_ERR_CORRUPT);
    CHECK(strstr(err, "size") != NULL, "size error: %s", err);
    ccbuf_free(&f);
    free(path);
}

static void test_truncated_part(void)
{
    char *path = tpath("cut.tar.zst.part");
    char err[256];
    shard_writer *w = shard_writer_open(path, -1, 3, err, sizeof err);
    uint64_t off[4], len[4];
    for (int i = 0; i < 4; i++) {
        char name[32], body[64];
        snprintf(name, sizeof name, "%09d.txt", i);
        snprintf(body, sizeof body, "caption number %d", i);
        shard_member m = {name, body, strlen(body)};
        CHECK_EQ_INT(shard_writer_add(w, &m, 1, 0, &off[i], &len[i]), CC_OK);
    }
    shard_writer_close(w);
    uint64_t keep = off[2] + len[2];
    /* simulate a crash in the middle of writing frame 3: cut it in half */
    CHECK_EQ_INT(shard_truncate(path, off[3] + len[3] / 2, err, sizeof err), CC_OK);
    shard_iter *it = shard_iter_open(path, err, sizeof err);
    int r, k = 0;
    while ((r = shard_iter_next(it, NULL, NULL, NULL)) == 1)
        k++;
    CHECK_EQ_INT(r, -1);
    CHECK_EQ_INT(k, 3);
    CHECK(strstr(shard_iter_errmsg(it), "cut.tar.zst.part") != NULL, "names the shard: %s", shard_iter_errmsg(it));
    shard_iter_close(it);
    /* reopening for append with the index's end cuts the torn frame away */
    w = shard_writer_open(path, (int64_t)keep, 3, err, sizeof err);
    CHECK(w != NULL, "reopen: %s", err);
    CHECK_EQ_INT(shard_writer_size(w), keep);
    shard_member m = {"000000003.txt", "again", 5};
    uint64_t o, l;
    CHECK_EQ_INT(shard_writer_add(w, &m, 1, 0, &o, &l), CC_OK);
    CHECK_EQ_INT(o, keep);
    shard_writer_close(w);
    it = shard_iter_open(path, err, sizeof err);
    k = 0;
    while ((r = shard_iter_next(it, NULL, NULL, NULL)) == 1)
        k++;
    CHECK_EQ_INT(r, 0);
    CHECK_EQ_INT(k, 4);
    shard_iter_close(it);
    /* the index claiming more bytes than the file holds is refused */
    CHECK(shard_writer_open(path, (int64_t)(o + l + 1), 3, err, sizeof err) == NULL, "longer than file");
    CHECK(strstr(err, "cut.tar.zst.part") != NULL, "names the shard: %s", err);
    CHECK_EQ_INT(shard_truncate(path, o + l + 100, err, sizeof err), CC_ERR_CORRUPT);
    char *missing = tpath("nope.part");
    CHECK(shard_iter_open(missing, err, sizeof err) == NULL, "missing file");
    CHECK(strstr(err, "nope.part") != NULL, "names the file: %s", err);
    free(missing);
    free(path);
}

/* A write that fails (the file-size limit here, a full disk in life) while
 * frames wait in memory or on the writer's io thread: the writer says so,
 * the file ends on a frame boundary with every frame in it intact, and the
 * writer refuses further adds and syncs rather than leave a gap. */
static void test_write_failure(void)
{
    char *path = tpath("full.tar.zst.part");
    char err[256];
    struct rlimit old;
    CHECK_EQ_INT(getrlimit(RLIMIT_FSIZE, &old), 0);
    struct rlimit lim = old;
    lim.rlim_cur = 5u << 20; /* several 1 MiB chunks fit, then EFBIG */
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    CHECK_EQ_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
    shard_writer *w = shard_writer_open(path, -1, 1, err, sizeof err);
    CHECK(w != NULL, "open: %s", err);
    if (!w)
        goto out;
    enum { BODY = 300000, MAXF = 64 };
    unsigned char *body = xmalloc(BODY);
    uint64_t off[MAXF], len[MAXF];
    int n = 0, synced = 0;
    cc_err rc = CC_OK;
    while (n < MAXF && rc == CC_OK) {
        fill(body, BODY, (unsigned)n + 100); /* incompressible */
        char name[32];
        snprintf(name, sizeof name, "%09d.jpg", n);
        shard_member m = {name, body, BODY};
        rc = shard_writer_add(w, &m, 1, 0, &off[n], &len[n]);
        if (rc == CC_OK)
            n++;
        if (rc == CC_OK && n == 4) { /* some frames made durable before the failure */
            CHECK_EQ_INT(shard_writer_sync(w), CC_OK);
            synced = n;
        }
    }
    if (rc == CC_OK)
        rc = shard_writer_sync(w);
    CHECK_EQ_INT(rc, CC_ERR_IO);
    CHECK(strstr(shard_writer_errmsg(w), "full.tar.zst.part") && strstr(shard_writer_errmsg(w), "write failed"),
          "names the file and the failure: %s", shard_writer_errmsg(w));
    shard_member m = {"000000099.txt", "late", 4};
    CHECK_EQ_INT(shard_writer_add(w, &m, 1, 0, NULL, NULL), CC_ERR_IO);
    CHECK_EQ_INT(shard_writer_sync(w), CC_ERR_IO);
    shard_writer_close(w);
    free(body);
    CHECK_EQ_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
    /* what is in the file: whole frames only, each where add said it was */
    shard_iter *it = shard_iter_open(path, err, sizeof err);
    CHECK(it != NULL, "iter: %s", err);
    int k = 0, r;
    uint64_t o, l;
    while (it && (r = shard_iter_next(it, &o, &l, NULL)) == 1) {
        CHECK(k < n && o == off[k] && l == len[k], "frame %d where add put it", k);
        k++;
    }
    if (it) {
        CHECK_EQ_INT(r, 0);
        shard_iter_close(it);
    }
    CHECK(k >= synced && k < n, "the synced frames stay, later ones may be gone: %d of %d (synced %d)", k, n,
          synced);
out:
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    free(path);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_shards.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_golden();
    test_round_trip();
    test_bad_tar();
    test_truncated_part();
    test_write_failure();
    char *rm = xasprintf("rm -rf '%s'", tmpdir);
    if (system(rm) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    free(rm);
    return check_summary();
}
