/* test_common.c — buffers, JSON, SHA-256, the thread pool. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "json.h"
#include "placement.h"
#include "resample.h"
#include "strmap.h"
#include "text.h"

static void test_buf(void)
{
    ccbuf b = {0};
    for (int i = 0; i < 1000; i++)
        ccbuf_printf(&b, "%d,", i);
    CHECK(b.len == strlen((char *)b.data), "NUL-terminated");
    CHECK(memcmp(b.data, "0,1,2,", 6) == 0, "content");
    ccbuf_reset(&b);
    ccbuf_json_string(&b, "a\"b\\\n\x01\xff\xc3\xa9", 9);
    CHECK_EQ_STR((char *)b.data, "\"a\\\"b\\\\\\n\\u0001\xEF\xBF\xBD\xc3\xa9\"");
    size_t len;
    char *s = ccbuf_detach(&b, &len);
    CHECK(b.data == NULL && len > 0, "detach empties");
    free(s);
    ccbuf_free(&b);
}

static void test_json(void)
{
    char err[128];
    const char *doc = "{\"a\": [1, 2.5e1, -3], \"s\": \"x\\u00e9\\ud83d\\ude00\", \"t\": true, \"n\": null, \"o\": {}}";
    json_value *v = json_parse(doc, strlen(doc), err, sizeof err);
    CHECK(v != NULL, "parse: %s", err);
    if (v) {
        const json_value *a = json_get(v, "a");
        CHECK(a && a->type == JSON_ARRAY && a->len == 3, "array");
        CHECK(json_at(a, 1) && json_at(a, 1)->number == 25.0, "number");
        CHECK_EQ_STR(json_get_string(v, "s", NULL), "x\xc3\xa9\xf0\x9f\x98\x80");
        CHECK(json_get_bool(v, "t", 0) == 1, "bool");
        CHECK(json_get(v, "n")->type == JSON_NULL, "null");
        CHECK(json_get(v, "missing") == NULL, "missing");
    }
    json_free(v);
    const char *bad[] = {"", "{", "[1,]", "{\"a\" 1}", "\"abc", "01", "[1] x", "{\"a\":tru}", "\"\xff\xfe\"", "[\"\xed\xa0\x80\"]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_value *b = json_parse(bad[i], strlen(bad[i]), err, sizeof err);
        CHECK(b == NULL && err[0], "should fail: %s", bad[i]);
        json_free(b);
    }
    char deep[2000];
    memset(deep, '[', sizeof deep);
    CHECK(json_parse(deep, sizeof deep, err, sizeof err) == NULL, "depth limit");
}

static void test_sha256(void)
{
    char hex[65];
    cc_sha256_hex("", 0, hex);
    CHECK_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    cc_sha256_hex("abc", 3, hex);
    CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    cc_sha256_hex(m, strlen(m), hex);
    CHECK_EQ_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* streaming in odd pieces equals one call */
    char big[1000];
    for (int i = 0; i < 1000; i++)
        big[i] = (char)(i * 7);
    cc_sha256 s;
    unsigned char d[32];
    char hex2[65];
    cc_sha256_init(&s);
    for (int i = 0; i < 1000; i += 13)
        cc_sha256_update(&s, big + i, i + 13 <= 1000 ? 13 : (size_t)(1000 - i));
    cc_sha256_final(&s, d);
    cc_hex(d, 32, hex2);
    cc_sha256_hex(big, 1000, hex);
    CHECK_EQ_STR(hex, hex2);
}

static atomic_int counter;
static void bump(void *arg)
{
    atomic_fetch_add(&counter, *(int *)arg);
}

static void test_pool(void)
{
    cc_pool *p = cc_pool_new(3, 4);
    int one = 1;
    for (int i = 0; i < 1000; i++)
        cc_pool_submit(p, bump, &one);
    cc_pool_wait(p);
    CHECK_EQ_INT(atomic_load(&counter), 1000);
    cc_pool_free(p);
    cc_pool_free(NULL);
}

/* cc_resample: a window is exactly that part of the full resize, for every
 * filter, channel count, scale direction and the alpha mode; alpha is
 * premultiplied; bad arguments are refused. (Pillow bit-exactness against
 * the CLIP fixtures: suites image and preprocess.) */
static void test_resample(void)
{
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    const int sizes[][4] = {{37, 23, 11, 7}, {9, 13, 31, 29}, {40, 10, 40, 3}, {12, 30, 5, 30}, {17, 17, 17, 17}};
    for (int si = 0; si < 5; si++)
        for (int C = 1; C <= 4; C++)
            for (int f = CC_FILTER_BOX; f <= CC_FILTER_LANCZOS; f++)
                for (unsigned flags = 0; flags <= (C > 1 ? 1u : 0u); flags++) {
                    int sw = sizes[si][0], sh = sizes[si][1], dw = sizes[si][2], dh = sizes[si][3];
                    unsigned char *src = xmalloc((size_t)sw * sh * C), *full = xmalloc((size_t)dw * dh * C);
                    for (size_t i = 0; i < (size_t)sw * sh * C; i++) {
                        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                        src[i] = (unsigned char)rng;
                    }
                    CHECK(cc_resample(src, sw, sh, C, full, dw, dh, (cc_filter)f, NULL, flags) == CC_OK, "full");
                    cc_rect w = {dw / 3, dh / 4, dw - dw / 3 - dw / 5, dh - dh / 4 - dh / 6};
                    unsigned char *part = xmalloc((size_t)w.w * w.h * C);
                    CHECK(cc_resample(src, sw, sh, C, part, dw, dh, (cc_filter)f, &w, flags) == CC_OK, "window");
                    int same = 1;
                    for (int y = 0; y < w.h; y++)
                        same &= memcmp(part + (size_t)y * w.w * C, full + ((size_t)(w.y + y) * dw + w.x) * C,
                                       (size_t)w.w * C) == 0;
                    CHECK(same, "window != full resize: %dx%d->%dx%d C=%d filter %d flags %u", sw, sh, dw, dh, C, f,
                          flags);
                    free(src), free(full), free(part);
                }
    /* Alpha: a transparent green pixel does not tint its opaque red neighbour. */
    const unsigned char two[8] = {255, 0, 0, 255, 0, 255, 0, 0};
    unsigned char one[4];
    CHECK(cc_resample(two, 2, 1, 4, one, 1, 1, CC_FILTER_BOX, NULL, CC_RESAMPLE_ALPHA) == CC_OK, "alpha");
    CHECK(one[0] == 255 && one[1] == 0 && one[2] == 0 && one[3] == 128, "premultiplied: %d %d %d %d", one[0], one[1],
          one[2], one[3]);
    CHECK(cc_resample(two, 2, 1, 4, one, 1, 1, CC_FILTER_BOX, NULL, 0) == CC_OK, "no alpha");
    CHECK(one[0] == 128 && one[1] == 128 && one[2] == 0 && one[3] == 128, "straight: %d %d %d %d", one[0], one[1],
          one[2], one[3]);
    /* Same size: the window is copied, no alpha round trip. */
    unsigned char cp[4];
    const unsigned char semi[8] = {200, 100, 50, 3, 1, 2, 3, 4};
    CHECK(cc_resample(semi, 2, 1, 4, cp, 2, 1, CC_FILTER_BICUBIC, &(cc_rect){0, 0, 1, 1}, CC_RESAMPLE_ALPHA) == CC_OK &&
              memcmp(cp, semi, 4) == 0,
          "identity copy");
    unsigned char out[64];
    CHECK(cc_resample(two, 2, 1, 5, out, 1, 1, CC_FILTER_BOX, NULL, 0) == CC_ERR_USAGE, "5 channels");
    CHECK(cc_resample(two, 2, 1, 1, out, 1, 1, CC_FILTER_BOX, NULL, CC_RESAMPLE_ALPHA) == CC_ERR_USAGE, "alpha, 1 ch");
    CHECK(cc_resample(two, 2, 1, 4, out, 3, 3, CC_FILTER_BOX, &(cc_rect){2, 0, 2, 1}, 0) == CC_ERR_USAGE,
          "window past the edge");
    CHECK(cc_resample(two, 2, 1, 4, out, 3, 3, CC_FILTER_BOX, &(cc_rect){0, 0, 0, 1}, 0) == CC_ERR_USAGE, "empty window");
    CHECK(cc_resample(two, 2, 1, 4, out, 3, 3, (cc_filter)9, NULL, 0) == CC_ERR_USAGE, "unknown filter");
    CHECK(cc_resample(two, 0, 1, 4, out, 3, 3, CC_FILTER_BOX, NULL, 0) == CC_ERR_USAGE, "empty source");
}

/* text.h: hex digits, UTF-8 encode/decode with maximal-subpart errors. */
static void test_text(void)
{
    CHECK(cc_hexval('0') == 0 && cc_hexval('9') == 9 && cc_hexval('a') == 10 && cc_hexval('F') == 15, "hexval");
    CHECK(cc_hexval('g') == -1 && cc_hexval(-1) == -1 && cc_hexval(0xC3) == -1 && cc_hexval('/') == -1, "not hex");
    CHECK(CC_HEX_UPPER[0xB] == 'B' && CC_HEX_LOWER[0xB] == 'b', "hex digits");
    const uint32_t cps[] = {0x24, 0xA2, 0x20AC, 0x10348, 0x10FFFF};
    const char *enc[] = {"$", "\xC2\xA2", "\xE2\x82\xAC", "\xF0\x90\x8D\x88", "\xF4\x8F\xBF\xBF"};
    ccbuf b = {0};
    for (int i = 0; i < 5; i++) {
        unsigned char o[4];
        size_t n = cc_utf8_encode(cps[i], o);
        CHECK(n == strlen(enc[i]) && memcmp(o, enc[i], n) == 0, "encode U+%X", cps[i]);
        uint32_t cp;
        CHECK(cc_utf8_next(enc[i], strlen(enc[i]), &cp) == n && cp == cps[i], "decode U+%X", cps[i]);
        cc_utf8_put(&b, cps[i]);
    }
    CHECK(b.len == 14 && cc_utf8_valid(b.data, b.len), "put + valid");
    ccbuf_free(&b);
    /* ill-formed: (bytes, length of the maximal subpart) */
    const struct {
        const char *s;
        size_t n, len;
    } bad[] = {{"\x80", 1, 1},         {"\xC0\xAF", 2, 1},     {"\xE0\x80\x80", 3, 1}, {"\xED\xA0\x80", 3, 1},
               {"\xF4\x90\x80\x80", 4, 1}, {"\xE2\x82", 2, 2},    {"\xE2\x82" "a", 3, 2},     {"\xF0\x90\x8D", 3, 3},
               {"\xF5\x80", 2, 1},     {"\xFF", 1, 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t cp = 0;
        size_t len = cc_utf8_next(bad[i].s, bad[i].n, &cp);
        CHECK(cp == CC_UTF8_BAD && len == bad[i].len, "bad %zu: cp %X len %zu", i, cp, len);
        CHECK(!cc_utf8_valid(bad[i].s, bad[i].n), "bad %zu is invalid", i);
    }
    CHECK(cc_utf8_valid("", 0) && cc_utf8_valid("plain", 5), "ascii valid");
    long v = -7;
    CHECK(cc_parse_long("64", 1, 64, &v) == 0 && v == 64, "parse_long upper bound");
    CHECK(cc_parse_long("-3", -5, 5, &v) == 0 && v == -3, "parse_long negative");
    const char *refused[] = {"", "65", "0", "12x", "1.5", "x", "99999999999999999999"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        v = -7;
        CHECK(cc_parse_long(refused[i], 1, 64, &v) == -1 && v == -7, "parse_long refuses '%s'", refused[i]);
    }
    CHECK(cc_parse_long(NULL, 1, 64, &v) == -1, "parse_long NULL");
}

/* strmap.h: put/get/replace/remove, growth, removal during iteration. */
static void test_strmap(void)
{
    cc_strmap m = {0};
    uintptr_t v = 99;
    CHECK(!cc_strmap_get(&m, "x", &v) && v == 99 && !cc_strmap_remove(&m, "x", NULL), "empty map");
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        CHECK(cc_strmap_put(&m, key, (uintptr_t)i) == 1, "new %s", key);
    }
    CHECK(cc_strmap_put(&m, "k7", 7000) == 0 && cc_strmap_count(&m) == 5000, "replace");
    int bad = 0;
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        bad += !cc_strmap_get(&m, key, &v) || v != (i == 7 ? 7000u : (uintptr_t)i);
    }
    CHECK(bad == 0, "%d lookups wrong", bad);
    CHECK(!cc_strmap_get(&m, "k5000", NULL) && !cc_strmap_get(&m, "", NULL), "absent keys");
    /* remove the odd values (2499; k7 is now even) while walking; each entry is seen once */
    size_t pos = 0, seen = 0;
    const char *k;
    while (cc_strmap_next(&m, &pos, &k, &v)) {
        seen++;
        if (v % 2)
            CHECK(cc_strmap_remove(&m, k, NULL), "remove %s", k);
    }
    CHECK(seen == 5000 && cc_strmap_count(&m) == 2501, "walk saw %zu, %zu left", seen, cc_strmap_count(&m));
    CHECK(!cc_strmap_get(&m, "k1", NULL) && cc_strmap_get(&m, "k2", &v) && v == 2, "after removal");
    /* tombstones are reused and cleared: churn does not grow the table forever */
    size_t cap = m.cap;
    for (int round = 0; round < 20; round++)
        for (int i = 0; i < 2000; i++) {
            snprintf(key, sizeof key, "churn%d", i);
            cc_strmap_put(&m, key, 1);
            cc_strmap_remove(&m, key, NULL);
        }
    CHECK(m.cap <= 2 * cap && cc_strmap_count(&m) == 2501, "churn: cap %zu -> %zu", cap, m.cap);
    cc_strmap_free(&m);
    CHECK(m.cap == 0 && cc_strmap_count(&m) == 0, "free empties");
    CHECK(cc_fnv1a("a", 1) == 0xaf63dc4c8601ec8cULL, "FNV-1a test vector");
}

/* The stored form of placement bits: names in bit order, "" for a page
 * image with nothing special, "list" for a list row, NULL for unknown. */
static void test_placement(void)
{
    char out[160];
    CHECK_EQ_STR(cc_place_format(CC_PLACE_PAGE, out, sizeof out), "");
    CHECK_EQ_STR(cc_place_format(CC_PLACE_PAGE | CC_PLACE_LINKED | CC_PLACE_NAV, out, sizeof out), "nav,linked");
    CHECK_EQ_STR(cc_place_format(CC_PLACE_LIST, out, sizeof out), "list");
    CHECK_EQ_STR(cc_place_format(0xFFFu & ~CC_PLACE_LIST, out, sizeof out),
                 "nav,aside,profile,ad,icon,logo,linked,offsite,content,figure");
    CHECK_EQ_STR(cc_place_format(CC_PLACE_PAGE | CC_PLACE_NAV | CC_PLACE_ASIDE, out, 8), "nav");
    unsigned bits = 99;
    CHECK(cc_place_parse(NULL, &bits) == 0 && bits == CC_PLACE_UNKNOWN, "NULL is unknown");
    CHECK(cc_place_parse("", &bits) == 0 && bits == CC_PLACE_PAGE, "\"\" is a page image");
    CHECK(cc_place_parse("list", &bits) == 0 && bits == CC_PLACE_LIST, "list row");
    CHECK(cc_place_parse("icon,offsite", &bits) == 0 && bits == (CC_PLACE_PAGE | CC_PLACE_ICON | CC_PLACE_OFFSITE),
          "icon,offsite");
    CHECK(cc_place_parse("nav,bogus,ad", &bits) == -1 && bits == (CC_PLACE_PAGE | CC_PLACE_NAV | CC_PLACE_AD),
          "unknown name reported, known ones kept");
    for (int i = 0; i < CC_PLACE__COUNT; i++) {
        unsigned b = 0;
        CHECK(cc_place_parse(cc_place_name(i), &b) == 0 && (b & (1u << i)), "round trip %s", cc_place_name(i));
    }
    CHECK(cc_place_name(CC_PLACE__COUNT) == NULL && cc_place_name(-1) == NULL, "names out of range");
}

int main(void)
{
    test_buf();
    test_json();
    test_sha256();
    test_pool();
    test_resample();
    test_text();
    test_strmap();
    test_placement();
    CHECK(strcmp(cc_strerror(CC_ERR_IO), "i/o error") == 0, "strerror");
    CHECK(strcmp(cc_strerror((cc_err)999), "unknown error") == 0, "strerror range");
    return check_summary();
}
