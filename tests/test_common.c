/* test_common.c — buffers, JSON, SHA-256, the thread pool. */
#include <stdatomic.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "json.h"

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
    const char *bad[] = {"", "{", "[1,]", "{\"a\" 1}", "\"abc", "01", "[1] x", "{\"a\":tru}"};
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

int main(void)
{
    test_buf();
    test_json();
    test_sha256();
    test_pool();
    CHECK(strcmp(cc_strerror(CC_ERR_IO), "i/o error") == 0, "strerror");
    CHECK(strcmp(cc_strerror((cc_err)999), "unknown error") == 0, "strerror range");
    return check_summary();
}
