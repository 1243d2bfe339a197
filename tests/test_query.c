/* test_query.c — query (formats, FTS words, semantic search), export (copy and
 * re-encode), export-embeddings,
 * and the embedding file's crash and migration behaviour, end to end.
 *
 * A dataset is fetched from nginx on 127.0.0.1 (photo-like JPEGs made here)
 * and scored with the tiny CLIP fixture model (tests/data/clipref, or
 * $CLIPCRAWL_TESTDATA/clipref; the semantic part skips with a message when
 * neither has it). Semantic results are checked against a brute-force reference computed
 * here, in double precision, from the embedding file as documented in
 * schema/EMBEDDINGS_FORMAT.md and the text embedding `embed` prints. */
#include <math.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "image.h"
#include "json.h"
#include "photogen.h"
#include "testutil.h"

#define N_SITE 40
static char *work, *model_dir;

static const char *const words[] = {"red", "green", "blue", "car", "tree", "house", "dog", "cat", "boat", "bird"};

static char *caption_of(int i)
{
    if (i == 3)
        return xstrdup("a red t-shirt on a line");
    if (i == 4)
        return xstrdup("a 5\" vinyl record, don't drop it");
    if (i == 5)
        return xstrdup("tab\there and a back\\slash, \"quoted\"");
    return xasprintf("a %s %s near a %s number %d", words[i % 10], words[(i / 3) % 10], words[(i * 7) % 10], i);
}

static void make_jpeg(const char *path, int w, int h, uint64_t seed)
{
    img_image im = {.width = w, .height = h, .mode = IMG_MODE_RGB, .channels = 3};
    im.pixels = xmalloc((size_t)w * h * 3);
    photogen_make(w, h, seed, im.pixels);
    ccbuf b = {0};
    char err[256];
    if (img_encode(&im, ENC_JPG, 85, &b, err, sizeof err) != CC_OK) {
        fprintf(stderr, "encode: %s\n", err);
        exit(99);
    }
    tu_write_file(path, b.data, b.len);
    ccbuf_free(&b);
    img_image_free(&im);
}

/* Model files: tests/data/clipref, else $CLIPCRAWL_TESTDATA/clipref.
 * Returns 0 when neither has the tiny model. */
static int find_model(void)
{
    const char *tests = getenv("CLIPCRAWL_TESTS"), *data = getenv("CLIPCRAWL_TESTDATA");
    char *roots[2] = {xasprintf("%s/data/clipref", tests ? tests : "tests"),
                      xasprintf("%s/clipref", data ? data : "tests/data")};
    int ok = 0;
    for (int r = 0; r < 2 && !ok; r++) {
        char *w = xasprintf("%s/fixtures/models/tiny-b32/model.safetensors", roots[r]);
        if (access(w, R_OK) != 0) {
            free(w);
            continue;
        }
        model_dir = xasprintf("%s/model", work);
        cc_mkdirs(model_dir, 0755);
        const char *files[][2] = {{"fixtures/models/tiny-b32/model.safetensors", "model.safetensors"},
                                  {"fixtures/models/tiny-b32/config.json", "config.json"},
                                  {"vocab.json", "vocab.json"},
                                  {"merges.txt", "merges.txt"},
                                  {"bpe_simple_vocab_16e6.txt.gz", "bpe_simple_vocab_16e6.txt.gz"}};
        for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
            char *src = xasprintf("%s/%s", roots[r], files[i][0]), *dst = xasprintf("%s/%s", model_dir, files[i][1]);
            char *abs = realpath(src, NULL);
            if (abs && symlink(abs, dst) != 0)
                CHECK(0, "link %s", src);
            free(abs), free(src), free(dst);
        }
        ok = 1;
        free(w);
    }
    free(roots[0]), free(roots[1]);
    return ok;
}

static void run(tu_output *o, int want_status, const char *what, const char *a0, ...)
{
    const char *args[40];
    int n = 0;
    va_list ap;
    va_start(ap, a0);
    for (const char *a = a0; a && n < 39; a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    char *bin = getenv("CLIPCRAWL_BIN");
    const char *argv[42] = {bin ? bin : "clipcrawl"};
    for (int i = 0; i <= n; i++)
        argv[i + 1] = args[i];
    tu_run(argv, NULL, 120, o);
    CHECK(o->status == want_status, "%s: exit %d (want %d): %s", what, o->status, want_status, tu_str(&o->err));
}

/* Keys of a jsonl result, in order, and their similarity. */
static int jsonl_keys(const char *text, char keys[][10], double *sim, int max)
{
    int n = 0;
    const char *p = text;
    while (*p && n < max) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char err[64];
        json_value *j = json_parse(p, len, err, sizeof err);
        CHECK(j != NULL, "bad jsonl line: %.*s", (int)len, p);
        if (j) {
            snprintf(keys[n], 10, "%s", json_get_string(j, "key", ""));
            if (sim)
                sim[n] = json_get_number(j, "similarity", NAN);
            n++;
            json_free(j);
        }
        p += len + (nl != NULL);
    }
    return n;
}

/* ---- the reference ---------------------------------------------------------- */

typedef struct {
    char key[10];
    double s;
    int width;
} ref_row;

static int ref_cmp(const void *a, const void *b)
{
    const ref_row *x = a, *y = b;
    return x->s < y->s ? 1 : x->s > y->s ? -1 : strcmp(x->key, y->key);
}

static float half(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1F, mant = h & 0x3FFu, x;
    if (exp == 0) {
        float f = ldexpf((float)mant, -24);
        return sign ? -f : f;
    }
    x = exp == 0x1F ? (sign | 0x7F800000u | (mant << 13)) : (sign | ((exp - 15 + 127) << 23) | (mant << 13));
    float f;
    memcpy(&f, &x, 4);
    return f;
}

/* Every accepted, embedded sample's cosine with q, best first. */
static int reference(const char *dir, const double *q, int dim, ref_row *out, int max)
{
    char *db_path = xasprintf("%s/index.sqlite", dir);
    sqlite3 *db = NULL;
    sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db,
                       "SELECT m.model_id, m.precision FROM clip_models m ORDER BY id LIMIT 1", -1, &st, NULL);
    char *emb_path = NULL;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        emb_path = xasprintf("%s/embeddings/%s-%s.f16", dir, sqlite3_column_text(st, 0), sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    size_t len = 0;
    unsigned char *file = emb_path ? (unsigned char *)tu_read_file(emb_path, &len) : NULL;
    CHECK(file && len >= 64 && memcmp(file, "CCEMBED", 8) == 0, "embedding file %s", emb_path ? emb_path : "?");
    int fdim = file ? file[16] | file[17] << 8 : 0;
    CHECK(fdim == dim, "file dim %d, text embedding %d", fdim, dim);
    int n = 0;
    sqlite3_prepare_v2(db,
                       "SELECT s.key, s.emb_row, i.width FROM clip_scores s JOIN items i USING (key)"
                       " WHERE i.status = 'accepted' AND s.emb_row IS NOT NULL",
                       -1, &st, NULL);
    while (file && fdim == dim && st && sqlite3_step(st) == SQLITE_ROW && n < max) {
        int64_t row = sqlite3_column_int64(st, 1);
        CHECK(64 + (size_t)(row + 1) * dim * 2 <= len, "row %lld beyond the file", (long long)row);
        const unsigned char *p = file + 64 + (size_t)row * dim * 2;
        double s = 0;
        for (int i = 0; i < dim; i++)
            s += (double)half((uint16_t)(p[2 * i] | p[2 * i + 1] << 8)) * q[i];
        snprintf(out[n].key, 10, "%s", sqlite3_column_text(st, 0));
        out[n].s = s;
        out[n].width = sqlite3_column_int(st, 2);
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    qsort(out, (size_t)n, sizeof *out, ref_cmp);
    free(file), free(emb_path), free(db_path);
    return n;
}

/* The top-k of the query output equals the reference's top-k as a set (a
 * swap at the boundary allowed only between near-equal scores). */
static void same_topk(const char *what, char keys[][10], const double *sim, int n, const ref_row *ref, int nref, int k)
{
    int want = nref < k ? nref : k;
    CHECK(n == want, "%s: %d results, reference %d", what, n, want);
    for (int i = 0; i < n && i < want; i++) {
        int found = 0;
        for (int j = 0; j < want; j++)
            found |= strcmp(keys[i], ref[j].key) == 0;
        CHECK(found || fabs(sim[i] - ref[want - 1].s) < 1e-4, "%s: %s (%.6f) not in the reference top-%d", what,
              keys[i], sim[i], want);
        CHECK(fabs(sim[i] - ref[i].s) < 2e-4, "%s: result %d similarity %.6f, reference %.6f", what, i, sim[i],
              ref[i].s);
    }
}

/* The text's embedding from `embed`. */
static int text_embedding(const char *text, double *q, int max)
{
    tu_output o;
    run(&o, 0, "embed", "embed", "--model", model_dir, "--text", text, (const char *)NULL);
    char err[64];
    json_value *j = json_parse(tu_str(&o.out), o.out.len, err, sizeof err);
    const json_value *e = json_get(json_at(json_get(j, "texts"), 0), "embedding");
    int n = 0;
    for (size_t i = 0; e && i < e->len && n < max; i++)
        q[n++] = json_at(e, i)->number;
    json_free(j);
    tu_output_free(&o);
    return n;
}

/* The key of picture i (keys follow write order, not list order). */
static void pic_key(const char *dir, int i, char key[10])
{
    char *db_path = xasprintf("%s/index.sqlite", dir), *like = xasprintf("%%/p%03d.jpg", i);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    key[0] = 0;
    sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_prepare_v2(db, "SELECT key FROM items WHERE url LIKE ?1 AND status = 'accepted'", -1, &st, NULL);
    sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC);
    if (st && sqlite3_step(st) == SQLITE_ROW)
        snprintf(key, 10, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK(key[0], "picture %d has no key", i);
    free(db_path), free(like);
}

/* ---- the parts ---------------------------------------------------------------- */

static void test_formats(const char *dir)
{
    tu_output o;
    char k3[10], k4[10], k5[10], first[10], second[10];
    pic_key(dir, 3, k3), pic_key(dir, 4, k4), pic_key(dir, 5, k5);
    snprintf(first, sizeof first, "000000000"), snprintf(second, sizeof second, "000000001");
    char *want;
    run(&o, 0, "csv", "query", dir, "--columns", "key,caption", "--format", "csv", "--where", "caption LIKE '%tab%'",
        (const char *)NULL);
    CHECK(!strchr(tu_str(&o.out), '\r'), "csv has \\r: %s", tu_str(&o.out));
    want = xasprintf("key,caption\n%s,\"tab\there and a back\\slash, \"\"quoted\"\"\"\n", k5);
    CHECK(strcmp(tu_str(&o.out), want) == 0, "csv output: [%s]", tu_str(&o.out));
    free(want);
    tu_output_free(&o);
    run(&o, 0, "csv --no-header", "query", dir, "--columns", "key", "--format", "csv", "--no-header", "--limit", "2",
        (const char *)NULL);
    CHECK(strcmp(tu_str(&o.out), "000000000\n000000001\n") == 0, "csv --no-header: [%s]", tu_str(&o.out));
    tu_output_free(&o);
    run(&o, 0, "tsv", "query", dir, "--columns", "key,caption,width", "--format", "tsv", "--where",
        "caption LIKE '%tab%'", (const char *)NULL);
    want = xasprintf("key\tcaption\twidth\n%s\ttab\\there and a back\\\\slash, \"quoted\"\t200\n", k5);
    CHECK(strcmp(tu_str(&o.out), want) == 0, "tsv output: [%s]", tu_str(&o.out));
    free(want);
    tu_output_free(&o);
    run(&o, 0, "table --no-header", "query", dir, "--columns", "key", "--no-header", "--limit", "1",
        (const char *)NULL);
    CHECK(strcmp(tu_str(&o.out), "000000000\n") == 0, "table --no-header: [%s]", tu_str(&o.out));
    tu_output_free(&o);
    run(&o, 2, "bad format", "query", dir, "--format", "xml", (const char *)NULL);
    CHECK(strstr(tu_str(&o.err), "xml") != NULL, "bad format names it: %s", tu_str(&o.err));
    tu_output_free(&o);

    /* FTS: words that are not FTS5 syntax are searched as words */
    run(&o, 0, "fts hyphen", "query", dir, "--fts", "t-shirt", "--columns", "key", "--format", "csv", "--no-header",
        (const char *)NULL);
    want = xasprintf("%s\n", k3);
    CHECK(strcmp(tu_str(&o.out), want) == 0, "--fts t-shirt: [%s]", tu_str(&o.out));
    free(want);
    tu_output_free(&o);
    run(&o, 0, "fts quote", "query", dir, "--fts", "5\" don't", "--columns", "key", "--format", "csv", "--no-header",
        (const char *)NULL);
    want = xasprintf("%s\n", k4);
    CHECK(strcmp(tu_str(&o.out), want) == 0, "--fts 5\\\" don't: [%s]", tu_str(&o.out));
    free(want);
    tu_output_free(&o);
    run(&o, 0, "fts syntax", "query", dir, "--fts", "red AND car", "--columns", "key", "--format", "csv",
        "--no-header", (const char *)NULL);
    int n = 0;
    for (const char *p = tu_str(&o.out); (p = strchr(p, '\n')); p++)
        n++;
    CHECK(n >= 1, "--fts 'red AND car' finds rows: [%s]", tu_str(&o.out));
    tu_output_free(&o);
}

static void test_semantic(const char *dir, const char *site)
{
    tu_output o;
    double q[1024];
    ref_row *ref = xmalloc(N_SITE * sizeof *ref);
    char keys[64][10];
    double sim[64];
    const char *text = "a red car";
    int dim = text_embedding(text, q, 1024);
    CHECK(dim > 0, "embed gave no text embedding");
    int nref = reference(dir, q, dim, ref, N_SITE);
    CHECK(nref == N_SITE, "reference saw %d embedded samples", nref);

    /* KEY.json through cat carries the score `score` stored after the frame was written */
    run(&o, 0, "cat json", "cat", dir, "000000002", "--member", "json", (const char *)NULL);
    CHECK(strstr(tu_str(&o.out), "\"clip_score\":") && tu_str(&o.out)[o.out.len - 1] == '}', "cat json: %s",
          tu_str(&o.out));
    char e[64];
    json_value *cj = json_parse(tu_str(&o.out), o.out.len, e, sizeof e);
    CHECK(cj && json_get_number(cj, "clip_score", 9) < 1, "cat json parses with its score");
    json_free(cj);
    tu_output_free(&o);
    run(&o, 0, "cat json --raw", "cat", dir, "000000002", "--member", "json", "--raw", (const char *)NULL);
    CHECK(!strstr(tu_str(&o.out), "clip_score"), "cat --raw: the stored bytes: %s", tu_str(&o.out));
    tu_output_free(&o);

    run(&o, 0, "--text", "query", dir, "--text", text, "--k", "7", "--format", "jsonl", (const char *)NULL);
    int n = jsonl_keys(tu_str(&o.out), keys, sim, 64);
    same_topk("--text", keys, sim, n, ref, nref, 7);
    tu_output_free(&o);
    /* the model named explicitly gives the same */
    run(&o, 0, "--text --model", "query", dir, "--text", text, "--model", model_dir, "--k", "7", "--format", "jsonl",
        (const char *)NULL);
    n = jsonl_keys(tu_str(&o.out), keys, sim, 64);
    same_topk("--text --model", keys, sim, n, ref, nref, 7);
    tu_output_free(&o);

    /* filter, then rank: --where */
    ref_row *fref = xmalloc(N_SITE * sizeof *fref);
    int nf = 0;
    for (int i = 0; i < nref; i++)
        if (ref[i].width >= 240)
            fref[nf++] = ref[i];
    CHECK(nf >= 5 && nf < nref, "the width filter keeps %d of %d", nf, nref);
    run(&o, 0, "--text --where", "query", dir, "--text", text, "--where", "width >= 240", "--k", "5", "--format",
        "jsonl", (const char *)NULL);
    n = jsonl_keys(tu_str(&o.out), keys, sim, 64);
    same_topk("--text --where", keys, sim, n, fref, nf, 5);
    tu_output_free(&o);
    /* --fts narrows to the captions with the word */
    run(&o, 0, "--text --fts", "query", dir, "--text", text, "--fts", "t-shirt", "--format", "csv", "--columns", "key",
        "--no-header", (const char *)NULL);
    char k3[10];
    pic_key(dir, 3, k3);
    CHECK(strncmp(tu_str(&o.out), k3, 9) == 0 && strchr(tu_str(&o.out), '\n') == tu_str(&o.out) + strlen(tu_str(&o.out)) - 1,
          "--text --fts t-shirt: [%s]", tu_str(&o.out));
    tu_output_free(&o);
    /* every format */
    run(&o, 0, "--text tsv", "query", dir, "--text", text, "--k", "3", "--format", "tsv", "--columns", "key",
        (const char *)NULL);
    CHECK(strncmp(tu_str(&o.out), "key\tsimilarity\n", 15) == 0, "tsv header: [%s]", tu_str(&o.out));
    tu_output_free(&o);
    run(&o, 0, "--text table", "query", dir, "--text", text, "--k", "3", "--columns", "key", (const char *)NULL);
    CHECK(strstr(tu_str(&o.out), "similarity") && strstr(tu_str(&o.out), ref[0].key), "table: [%s]", tu_str(&o.out));
    tu_output_free(&o);
    /* --status rejected: none of those has an embedding -> no rows, exit 0 */
    run(&o, 0, "--text --status rejected", "query", dir, "--text", text, "--status", "rejected", "--format", "jsonl",
        (const char *)NULL);
    CHECK(o.out.len == 0, "rejected samples have no embeddings: [%s]", tu_str(&o.out));
    tu_output_free(&o);

    /* --similar KEY: nearest to a stored image; itself first */
    char key[10];
    pic_key(dir, 12, key);
    run(&o, 0, "--similar", "query", dir, "--similar", key, "--k", "6", "--format", "jsonl", (const char *)NULL);
    n = jsonl_keys(tu_str(&o.out), keys, sim, 64);
    CHECK(n == 6 && strcmp(keys[0], key) == 0 && fabs(sim[0] - 1) < 2e-3, "--similar: first %s %.5f",
          n ? keys[0] : "-", n ? sim[0] : 0);
    tu_output_free(&o);
    /* --image FILE: the stored images are the files themselves (--keep-original),
     * so a file's nearest sample is its own */
    char *img = xasprintf("%s/p012.jpg", site);
    run(&o, 0, "--image", "query", dir, "--image", img, "--k", "6", "--format", "jsonl", (const char *)NULL);
    char keys2[64][10];
    double sim2[64];
    int n2 = jsonl_keys(tu_str(&o.out), keys2, sim2, 64);
    CHECK(n2 == 6 && strcmp(keys2[0], key) == 0 && sim2[0] > 0.999, "--image: first %s %.5f", n2 ? keys2[0] : "-",
          n2 ? sim2[0] : 0);
    for (int i = 0; i < n && i < n2; i++)
        CHECK(strcmp(keys[i], keys2[i]) == 0 || fabs(sim2[i] - sim[i]) < 2e-3, "--image and --similar differ at %d", i);
    tu_output_free(&o);
    free(img);

    /* bad inputs: one line naming the problem */
    run(&o, 1, "--similar unknown", "query", dir, "--similar", "099999999", (const char *)NULL);
    CHECK(strstr(tu_str(&o.err), "099999999") != NULL, "names the key: %s", tu_str(&o.err));
    tu_output_free(&o);
    run(&o, 2, "two queries", "query", dir, "--text", "x", "--similar", key, (const char *)NULL);
    tu_output_free(&o);
    /* a missing KEY is not "--k": a usage error naming the flag */
    run(&o, 2, "--similar without KEY", "query", dir, "--similar", "--k", "10", (const char *)NULL);
    CHECK(strstr(tu_str(&o.err), "--similar") && strstr(tu_str(&o.err), "--k") &&
              !strstr(tu_str(&o.err), "embedding"),
          "names the flag: %s", tu_str(&o.err));
    tu_output_free(&o);
    run(&o, 2, "--limit without a number", "query", dir, "--limit", "--format", "csv", (const char *)NULL);
    CHECK(strstr(tu_str(&o.err), "--limit"), "names the flag: %s", tu_str(&o.err));
    tu_output_free(&o);
    run(&o, 1, "--image missing", "query", dir, "--image", "/nonexistent.jpg", (const char *)NULL);
    CHECK(strstr(tu_str(&o.err), "/nonexistent.jpg") != NULL, "names the file: %s", tu_str(&o.err));
    tu_output_free(&o);
    free(ref), free(fref);
}

/* export-embeddings: parse the .npy header and rows here and compare with
 * the embedding file; metadata lines in the same order. */
static void test_export_embeddings(const char *dir)
{
    tu_output o;
    char *out = xasprintf("%s/embs", work);
    run(&o, 0, "export-embeddings", "export-embeddings", dir, "-o", out, (const char *)NULL);
    CHECK(strstr(tu_str(&o.out), "\"rows\":40") != NULL, "export-embeddings: %s", tu_str(&o.out));
    tu_output_free(&o);
    char *npy = xasprintf("%s/img_emb/img_emb_0.npy", out), *meta = xasprintf("%s/metadata/metadata_0.jsonl", out);
    size_t len = 0;
    unsigned char *b = (unsigned char *)tu_read_file(npy, &len);
    CHECK(b && len > 10 && memcmp(b, "\x93NUMPY\x01\x00", 8) == 0, "npy magic");
    int hl = b ? b[8] | b[9] << 8 : 0;
    CHECK((10 + hl) % 64 == 0, "npy data aligned to 64 (header %d)", hl);
    char *hdr = b ? strndup((char *)b + 10, (size_t)hl) : NULL;
    int rows = 0, dim = 0;
    CHECK(hdr && strstr(hdr, "'descr': '<f2'") && strstr(hdr, "'fortran_order': False"), "npy header: %s", hdr ? hdr : "-");
    const char *sh = hdr ? strstr(hdr, "'shape': (") : NULL;
    CHECK(sh && sscanf(sh, "'shape': (%d, %d)", &rows, &dim) == 2 && rows == 40, "npy shape: %s", hdr);
    CHECK(len == (size_t)(10 + hl) + (size_t)rows * dim * 2, "npy size %zu", len);
    /* rows are unit vectors, in the order of the metadata */
    char *m = tu_read_file(meta, NULL);
    char keys[64][10];
    int nk = m ? jsonl_keys(m, keys, NULL, 64) : 0;
    CHECK(nk == rows, "metadata has %d lines for %d rows", nk, rows);
    for (int r = 0; b && r < rows && dim > 0; r++) {
        const unsigned char *p = b + 10 + hl + (size_t)r * dim * 2;
        double n2 = 0;
        for (int i = 0; i < dim; i++) {
            double v = half((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
            n2 += v * v;
        }
        CHECK(fabs(sqrt(n2) - 1) < 2e-3, "row %d norm %.5f", r, sqrt(n2));
        if (r > 0)
            CHECK(strcmp(keys[r - 1], keys[r]) < 0, "metadata in key order at %d", r);
    }
    CHECK(m && strstr(m, "\"caption\":\"a red t-shirt on a line\"") && strstr(m, "\"url\":\"http://127.0.0.1:"),
          "metadata carries url and caption");
    /* NumPy itself, when /usr/bin/python3 has it */
    if (access("/usr/bin/python3", X_OK) == 0) {
        char *script = xasprintf("import numpy as n,json\na=n.load('%s')\nassert a.dtype==n.float16 and a.shape==(40,%d)\n"
                                 "m=[json.loads(l) for l in open('%s')]\nassert len(m)==40\n"
                                 "print(float(abs(n.linalg.norm(a.astype(n.float32),axis=1)-1).max()))\n",
                                 npy, dim, meta);
        const char *argv[] = {"/usr/bin/python3", "-c", "import numpy", NULL};
        tu_run(argv, NULL, 60, &o);
        if (o.status == 0) {
            tu_output_free(&o);
            const char *argv2[] = {"/usr/bin/python3", "-c", script, NULL};
            tu_run(argv2, NULL, 60, &o);
            CHECK(o.status == 0 && atof(tu_str(&o.out)) < 2e-3, "numpy reads the .npy: %s %s", tu_str(&o.out),
                  tu_str(&o.err));
        } else {
            printf("SKIP numpy check: /usr/bin/python3 has no numpy (apt-get install python3-numpy)\n");
        }
        tu_output_free(&o);
        free(script);
    }
    /* a selection: --where */
    char *out2 = xasprintf("%s/embs2", work);
    run(&o, 0, "export-embeddings --where", "export-embeddings", dir, "-o", out2, "--where", "width >= 240",
        (const char *)NULL);
    CHECK(strstr(tu_str(&o.out), "\"rows\":40") == NULL && strstr(tu_str(&o.out), "\"rows\":"), "--where narrows: %s",
          tu_str(&o.out));
    tu_output_free(&o);
    free(m), free(hdr), free(b), free(npy), free(meta), free(out), free(out2);
}

/* Reads every shard of dir with `tar --zstd` into exdir; returns the
 * number of .json members. */
static int untar_all(const char *dir, const char *exdir)
{
    cc_mkdirs(exdir, 0755);
    char *cmd = xasprintf("cd '%s' && for f in '%s'/shards/*.tar.zst; do tar --zstd -xf \"$f\" || exit 1; done", exdir,
                          dir);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    tu_output o;
    tu_run(argv, NULL, 60, &o);
    CHECK(o.status == 0, "tar --zstd -xf: %s", tu_str(&o.err));
    tu_output_free(&o);
    free(cmd);
    cmd = xasprintf("ls '%s' | grep -c '\\.json$'", exdir);
    const char *argv2[] = {"/bin/sh", "-c", cmd, NULL};
    tu_run(argv2, NULL, 60, &o);
    int n = atoi(tu_str(&o.out));
    tu_output_free(&o);
    free(cmd);
    return n;
}

/* Every exported sample: its image bytes (read by tar) equal `cat` of its
 * source sample; each source key exactly once; returns how many. */
static int check_export(const char *src, const char *out, const char *tag, char (*order)[10], int max, int bytes)
{
    char *ex = xasprintf("%s/untar-%s", work, tag);
    int n = untar_all(out, ex);
    char seen[N_SITE * 2][10];
    int nseen = 0;
    (void)n;
    /* walk the .json members */
    char *cmd = xasprintf("ls '%s' | grep '\\.json$' | sort", ex);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    tu_output o;
    tu_run(argv, NULL, 60, &o);
    const char *p = tu_str(&o.out);
    int count = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)len, p);
        p += len + (nl != NULL);
        char *jp = xasprintf("%s/%s", ex, name);
        char *jt = tu_read_file(jp, NULL);
        char e[64];
        json_value *j = jt ? json_parse(jt, strlen(jt), e, sizeof e) : NULL;
        const char *sk = json_get_string(j, "source_key", NULL);
        CHECK(sk && strlen(sk) == 9, "%s: %s has no source_key", tag, name);
        CHECK(json_get_number(j, "clip_score", NAN) == json_get_number(j, "clip_score", NAN),
              "%s: %s carries clip_score", tag, name);
        for (int k = 0; sk && k < nseen; k++)
            CHECK(strcmp(seen[k], sk) != 0, "%s: source %s exported twice", tag, sk);
        if (sk && nseen < N_SITE * 2)
            snprintf(seen[nseen++], 10, "%s", sk);
        if (order && count < max && sk)
            snprintf(order[count], 10, "%s", sk);
        /* the image member beside it, byte for byte the source's */
        name[strlen(name) - 5] = 0;
        if (!bytes) {
            free(jp), free(jt);
            json_free(j);
            count++;
            continue;
        }
        char *ip = xasprintf("%s/%s.jpg", ex, name);
        size_t ilen = 0;
        char *img = tu_read_file(ip, &ilen);
        tu_output c;
        run(&c, 0, "cat source", "cat", src, sk ? sk : "000000000", (const char *)NULL);
        CHECK(img && c.out.len == ilen && memcmp(c.out.data, img, ilen) == 0, "%s: %s.jpg differs from cat %s %s", tag,
              name, src, sk ? sk : "?");
        tu_output_free(&c);
        /* and the caption */
        char *tp = xasprintf("%s/%s.txt", ex, name);
        char *txt = tu_read_file(tp, NULL);
        run(&c, 0, "cat txt", "cat", src, sk ? sk : "000000000", "--member", "txt", (const char *)NULL);
        CHECK(txt && strcmp(txt, tu_str(&c.out)) == 0, "%s: %s.txt differs", tag, name);
        tu_output_free(&c);
        free(tp), free(txt), free(ip), free(img), free(jp), free(jt);
        json_free(j);
        count++;
    }
    tu_output_free(&o);
    free(cmd);
    tu_rm_rf(ex);
    free(ex);
    return count;
}

static void test_export(const char *dir)
{
    tu_output o;
    /* a selection, shuffled, small shards */
    char *out = xasprintf("%s/exp1", work);
    run(&o, 0, "export", "export", dir, "-o", out, "--where", "width >= 240", "--shuffle", "--seed", "7",
        "--samples-per-shard", "6", "-q", (const char *)NULL);
    CHECK(strstr(tu_str(&o.out), "\"selected\":20") && strstr(tu_str(&o.out), "\"written\":20"), "export: %s",
          tu_str(&o.out));
    tu_output_free(&o);
    char order1[N_SITE][10], order2[N_SITE][10];
    int n = check_export(dir, out, "exp1", order1, N_SITE, 1);
    CHECK(n == 20, "exported %d samples", n);
    struct stat sb;
    char *shard3 = xasprintf("%s/shards/00003.tar.zst", out), *shard4 = xasprintf("%s/shards/00004.tar.zst", out);
    CHECK(stat(shard3, &sb) == 0 && stat(shard4, &sb) != 0, "20 samples at 6 per shard make 4 shards");
    /* the index records source and selection */
    run(&o, 0, "provenance", "query", out, "--sql", "SELECT i.name, i.kind, r.args FROM inputs i, runs r", "--format",
        "tsv", "--no-header", (const char *)NULL);
    char *abs = realpath(dir, NULL);
    char *want = xasprintf("%s\tdataset\t--where width >= 240 --shuffle --seed 7 --samples-per-shard 6\n", abs);
    CHECK(strcmp(tu_str(&o.out), want) == 0, "provenance: [%s] want [%s]", tu_str(&o.out), want);
    free(want), free(abs);
    tu_output_free(&o);
    /* the same options again: nothing to do; other options: refused */
    run(&o, 0, "export again", "export", dir, "-o", out, "--where", "width >= 240", "--shuffle", "--seed", "7",
        "--samples-per-shard", "6", "-q", (const char *)NULL);
    CHECK(strstr(tu_str(&o.out), "\"written\":0") && strstr(tu_str(&o.out), "\"already\":20"), "re-run: %s",
          tu_str(&o.out));
    tu_output_free(&o);
    run(&o, 1, "export other selection", "export", dir, "-o", out, "--where", "width >= 200", "-q", (const char *)NULL);
    CHECK(strstr(tu_str(&o.err), "another selection") != NULL, "refused: %s", tu_str(&o.err));
    tu_output_free(&o);
    /* the same seed gives the same order; another seed another */
    char *out2 = xasprintf("%s/exp2", work);
    run(&o, 0, "export seed 7", "export", dir, "-o", out2, "--where", "width >= 240", "--shuffle", "--seed", "7",
        "--samples-per-shard", "6", "-q", (const char *)NULL);
    tu_output_free(&o);
    check_export(dir, out2, "exp2", order2, N_SITE, 0);
    /* order1/order2 come from sorted new keys, i.e. write order */
    int same = 1;
    for (int i = 0; i < 20; i++)
        same &= strcmp(order1[i], order2[i]) == 0;
    CHECK(same, "--seed 7 twice gives the same order");
    int sorted = 1;
    for (int i = 1; i < 20; i++)
        sorted &= strcmp(order1[i - 1], order1[i]) < 0;
    CHECK(!sorted, "--shuffle changed the order");

    /* killed with SIGKILL at some moment, then run again: every sample once */
    for (int round = 0; round < 2; round++) {
        char *out3 = xasprintf("%s/exp3-%d", work, round);
        pid_t pid = tu_spawn_clipcrawl(NULL, NULL, "export", dir, "-o", out3, "--samples-per-shard", "4", "-q",
                                       (const char *)NULL);
        usleep(40000 + 60000 * round);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        run(&o, 0, "export after kill -9", "export", dir, "-o", out3, "--samples-per-shard", "4", "-q",
            (const char *)NULL);
        tu_output_free(&o);
        char tag[16];
        snprintf(tag, sizeof tag, "kill%d", round);
        n = check_export(dir, out3, tag, NULL, 0, round == 0);
        CHECK(n == N_SITE, "after kill -9 and a re-run: %d samples, want %d", n, N_SITE);
        run(&o, 0, "verify", "verify", out3, (const char *)NULL);
        tu_output_free(&o);
        free(out3);
    }

    /* a semantic selection: the k nearest, in rank order */
    char *out4 = xasprintf("%s/exp4", work);
    run(&o, 0, "export --text", "export", dir, "-o", out4, "--text", "a red car", "--k", "5", "-q",
        (const char *)NULL);
    CHECK(strstr(tu_str(&o.out), "\"written\":5"), "export --text: %s", tu_str(&o.out));
    tu_output_free(&o);
    run(&o, 0, "query --text", "query", dir, "--text", "a red car", "--k", "5", "--columns", "key", "--format", "csv",
        "--no-header", (const char *)NULL);
    char keys[5][10];
    n = check_export(dir, out4, "exp4", keys, 5, 1);
    ccbuf want4 = {0};
    for (int i = 0; i < n; i++)
        ccbuf_printf(&want4, "%s,", keys[i]);
    /* query prints key,similarity per line: compare the keys in order */
    const char *q = tu_str(&o.out);
    int match = n == 5;
    for (int i = 0; i < n && match; i++) {
        match = strncmp(q, keys[i], 9) == 0;
        q = strchr(q, '\n');
        q = q ? q + 1 : "";
    }
    CHECK(match, "export --text keeps the ranking: %s vs %s", tu_str(&want4), tu_str(&o.out));
    ccbuf_free(&want4);
    tu_output_free(&o);
    /* bad input */
    run(&o, 2, "export no -o", "export", dir, (const char *)NULL);
    tu_output_free(&o);
    run(&o, 1, "export empty selection", "export", dir, "-o", out4, "--where", "width > 99999", (const char *)NULL);
    CHECK(strstr(tu_str(&o.err), "nothing to export") != NULL, "empty selection: %s", tu_str(&o.err));
    tu_output_free(&o);
    run(&o, 1, "export into the source", "export", dir, "-o", dir, (const char *)NULL);
    tu_output_free(&o);
    free(out), free(out2), free(out4), free(shard3), free(shard4);
}

/* export with re-encoding: for each of fetch's resize modes (and a format
 * each), every member read by `tar --zstd` has the format's magic bytes, the
 * size img_resize_dims gives for the source's size, the width/height its
 * KEY.json and the index say, `cat` gives the same bytes, the index's
 * member_sha256 is theirs; original_width/height and sha256 stay the
 * source's. Settings are recorded; a re-run with the same ones has nothing
 * to do, with others is refused; killed and re-run, nothing lost or doubled. */
static const char *magic_format(const unsigned char *b, size_t n)
{
    if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
        return "jpg";
    if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "png";
    if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return "webp";
    return "?";
}

/* The line of a tsv result whose first field is key ("" when none). */
static const char *tsv_line(const char *tsv, const char *key, char *line, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = tsv; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '\t') {
            snprintf(line, cap, "%.*s", (int)len, p);
            return line;
        }
        p += len + (nl != NULL);
    }
    line[0] = 0;
    return line;
}

/* Checks every sample of OUT as described above; returns how many. */
static int check_reencoded(const char *src, const char *out, const char *tag, const char *mode_name, int size,
                           const char *fmt, int only_if_bigger)
{
    char *ex = xasprintf("%s/untar-%s", work, tag);
    int n = untar_all(out, ex);
    img_resize_mode mode = RESIZE_BORDER;
    CHECK(img_resize_mode_parse(mode_name, &mode) == 0, "%s: mode %s", tag, mode_name);
    /* both indexes in one query each (a process per sample is slow under ASan) */
    tu_output srows, orows;
    run(&srows, 0, "source rows", "query", src, "--sql",
        "SELECT key, width, height, original_width, original_height, sha256 FROM items WHERE key IS NOT NULL",
        "--format", "tsv", "--no-header", (const char *)NULL);
    run(&orows, 0, "new rows", "query", out, "--sql",
        "SELECT key, width, height, image_format, member_sha256, member_bytes FROM items WHERE key IS NOT NULL",
        "--format", "tsv", "--no-header", (const char *)NULL);
    char *cmd = xasprintf("cd '%s' && ls | grep '\\.json$' | sort", ex);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    tu_output o;
    tu_run(argv, NULL, 60, &o);
    int count = 0;
    for (const char *p = tu_str(&o.out); *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char key[16];
        snprintf(key, sizeof key, "%.*s", (int)(len > 9 ? 9 : len), p);
        p += len + (nl != NULL);
        char *jp = xasprintf("%s/%s.json", ex, key), *ip = xasprintf("%s/%s.%s", ex, key, fmt);
        char *jt = tu_read_file(jp, NULL);
        size_t ilen = 0;
        unsigned char *img = (unsigned char *)tu_read_file(ip, &ilen);
        char e[64], line[512];
        json_value *j = jt ? json_parse(jt, strlen(jt), e, sizeof e) : NULL;
        const char *sk = json_get_string(j, "source_key", "");
        CHECK(img != NULL, "%s: %s has no .%s member", tag, key, fmt);
        CHECK(img && strcmp(magic_format(img, ilen), fmt) == 0, "%s: %s.%s starts like %s", tag, key, fmt,
              img ? magic_format(img, ilen) : "nothing");
        /* the source's sizes and hash */
        int sw = 0, sh = 0, ow = 0, oh = 0;
        char sk2[16] = "", ssha[80] = "";
        sscanf(tsv_line(tu_str(&srows.out), sk, line, sizeof line), "%15s\t%d\t%d\t%d\t%d\t%79s", sk2, &sw, &sh, &ow,
               &oh, ssha);
        CHECK(sw > 0 && sh > 0, "%s: source row of %s ('%s')", tag, key, sk);
        int ew = sw, eh = sh;
        int ref = mode == RESIZE_KEEP_RATIO || mode == RESIZE_CENTER_CROP ? (sw < sh ? sw : sh) : (sw > sh ? sw : sh);
        if (mode != RESIZE_NO && !(only_if_bigger && ref <= size))
            img_resize_dims(sw, sh, size, mode, &ew, &eh, NULL, NULL);
        int pw = 0, ph = 0;
        img_format pf;
        CHECK(img && img_probe(img, ilen, &pf, &pw, &ph, e, sizeof e) == CC_OK, "%s: %s does not parse", tag, key);
        CHECK(pw == ew && ph == eh, "%s: %s (%s, size %d, source %dx%d) is %dx%d, want %dx%d", tag, key, mode_name,
              size, sw, sh, pw, ph, ew, eh);
        CHECK(json_get_number(j, "width", -1) == pw && json_get_number(j, "height", -1) == ph,
              "%s: %s.json width/height", tag, key);
        CHECK(json_get_number(j, "original_width", -1) == ow && json_get_number(j, "original_height", -1) == oh,
              "%s: %s.json keeps original_width/height %dx%d", tag, key, ow, oh);
        CHECK(strcmp(json_get_string(j, "sha256", ""), ssha) == 0, "%s: %s.json keeps the download's sha256", tag,
              key);
        /* the new index row: sizes, format, the member's hash and length */
        char hex[65] = "";
        if (img)
            cc_sha256_hex(img, ilen, hex);
        char *want = xasprintf("%s\t%d\t%d\t%s\t%s\t%zu", key, pw, ph, fmt, hex, ilen);
        tsv_line(tu_str(&orows.out), key, line, sizeof line);
        CHECK(strcmp(line, want) == 0, "%s: index row [%s] want [%s]", tag, line, want);
        free(want);
        if (count < 2) { /* cat of the new dataset gives the tar member's bytes */
            tu_output c;
            run(&c, 0, "cat new", "cat", out, key, (const char *)NULL);
            CHECK(img && c.out.len == ilen && memcmp(c.out.data, img, ilen) == 0, "%s: cat %s differs from tar", tag,
                  key);
            tu_output_free(&c);
        }
        free(jp), free(ip), free(jt), free(img);
        json_free(j);
        count++;
    }
    CHECK(count == n, "%s: %d image members for %d json members", tag, count, n);
    tu_output_free(&o);
    tu_output_free(&srows);
    tu_output_free(&orows);
    free(cmd);
    tu_rm_rf(ex);
    free(ex);
    return count;
}

static void test_export_reencode(const char *dir)
{
    static const char *const modes[] = {"no", "border", "keep_ratio", "keep_ratio_largest", "center_crop"};
    static const char *const fmts[] = {"png", "jpg", "webp", "jpg", "png"};
    const char *where = "items.id % 5 = 1"; /* 8 samples of different sizes */
    tu_output o;
    for (int i = 0; i < 5; i++) {
        char *out = xasprintf("%s/reenc-%s", work, modes[i]);
        run(&o, 0, "export re-encode", "export", dir, "-o", out, "--where", where, "--image-size", "64",
            "--resize-mode", modes[i], "--encode-format", fmts[i], "-q", (const char *)NULL);
        CHECK(strstr(tu_str(&o.out), "\"written\":8"), "re-encode %s: %s", modes[i], tu_str(&o.out));
        tu_output_free(&o);
        char tag[32];
        snprintf(tag, sizeof tag, "re-%s", modes[i]);
        CHECK(check_reencoded(dir, out, tag, modes[i], 64, fmts[i], 0) == 8, "%s: 8 samples", tag);
        free(out);
    }
    /* --resize-only-if-bigger at 200: the smaller images stay as they are */
    char *big = xasprintf("%s/reenc-big", work);
    run(&o, 0, "export only if bigger", "export", dir, "-o", big, "--where", where, "--image-size", "200",
        "--resize-mode", "keep_ratio", "--resize-only-if-bigger", "--encode-quality", "80", "-q", (const char *)NULL);
    tu_output_free(&o);
    CHECK(check_reencoded(dir, big, "re-big", "keep_ratio", 200, "jpg", 1) == 8, "only-if-bigger: 8 samples");
    /* settings recorded beside source and selection */
    run(&o, 0, "settings", "query", big, "--sql", "SELECT settings FROM runs", "--format", "tsv", "--no-header",
        (const char *)NULL);
    CHECK(strstr(tu_str(&o.out), "\"image_size\":200") && strstr(tu_str(&o.out), "\"resize_mode\":\"keep_ratio\"") &&
              strstr(tu_str(&o.out), "\"resize_only_if_bigger\":1") &&
              strstr(tu_str(&o.out), "\"encode_format\":\"jpg\"") && strstr(tu_str(&o.out), "\"encode_quality\":80"),
          "settings recorded: %s", tu_str(&o.out));
    tu_output_free(&o);
    /* the same settings again: nothing to do; other settings: refused in one line */
    run(&o, 0, "re-encode again", "export", dir, "-o", big, "--where", where, "--image-size", "200", "--resize-mode",
        "keep_ratio", "--resize-only-if-bigger", "--encode-quality", "80", "-q", (const char *)NULL);
    CHECK(strstr(tu_str(&o.out), "\"written\":0") && strstr(tu_str(&o.out), "\"already\":8"), "same settings: %s",
          tu_str(&o.out));
    tu_output_free(&o);
    run(&o, 1, "other settings", "export", dir, "-o", big, "--where", where, "--image-size", "100", "-q",
        (const char *)NULL);
    const char *e = tu_str(&o.err);
    CHECK(strstr(e, "other image settings") && strchr(e, '\n') == e + strlen(e) - 1, "refused in one line: %s", e);
    tu_output_free(&o);
    run(&o, 1, "copy into a re-encoded export", "export", dir, "-o", big, "--where", where, "-q", (const char *)NULL);
    CHECK(strstr(tu_str(&o.err), "other image settings") != NULL, "copy refused: %s", tu_str(&o.err));
    tu_output_free(&o);
    run(&o, 2, "bad resize mode", "export", dir, "-o", big, "--resize-mode", "stretch", (const char *)NULL);
    CHECK(strstr(tu_str(&o.err), "--resize-mode") != NULL, "bad mode named: %s", tu_str(&o.err));
    tu_output_free(&o);
    /* killed with SIGKILL, then run again with the same settings: every sample once */
    char *killed = xasprintf("%s/reenc-kill", work);
    pid_t pid = tu_spawn_clipcrawl(NULL, NULL, "export", dir, "-o", killed, "--samples-per-shard", "3",
                                   "--encode-format", "webp", "-q", (const char *)NULL);
    usleep(150000);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    run(&o, 0, "re-encode after kill -9", "export", dir, "-o", killed, "--samples-per-shard", "3", "--encode-format",
        "webp", "-q", (const char *)NULL);
    tu_output_free(&o);
    CHECK(check_reencoded(dir, killed, "re-kill", "border", 256, "webp", 0) == N_SITE, "after kill -9: all %d",
          N_SITE);
    char *ex = xasprintf("%s/untar-re-kill2", work);
    CHECK(check_export(dir, killed, "re-kill2", NULL, 0, 0) == N_SITE, "each source once after kill -9");
    run(&o, 0, "verify re-encoded", "verify", killed, (const char *)NULL);
    tu_output_free(&o);
    free(ex), free(killed), free(big);
}

/* The chromium binary, or NULL. */
static const char *chromium(void)
{
    static const char *const c[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"};
    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
        if (access(c[i], X_OK) == 0)
            return c[i];
    return NULL;
}

/* report: one self-contained page; rendered by headless Chromium it loads
 * without console errors, every thumbnail decodes, the histograms have bars. */
static void test_report(const char *dir, const char *site_base)
{
    tu_output o;
    char *html = xasprintf("%s/report.html", work);
    run(&o, 0, "report", "report", dir, "-o", html, "--thumbnails", "12", (const char *)NULL);
    tu_output_free(&o);
    size_t len = 0;
    char *page = tu_read_file(html, &len);
    CHECK(page && strstr(page, "<svg class=\"hist\"") && strstr(page, "data:image/jpeg;base64,"),
          "report has histograms and embedded thumbnails");
    CHECK(page && !strstr(page, "src=\"http") && !strstr(page, "<script") && !strstr(page, "<link"),
          "report is self-contained");
    int thumbs = 0;
    for (const char *p = page; p && (p = strstr(p, "<img class=\"thumb\"")); p++)
        thumbs++;
    CHECK(thumbs == 12, "12 thumbnails in the grid, found %d", thumbs);

    /* a dataset with rejections and failures: their reasons and examples */
    char *mixed = xasprintf("%s/mixed", work), *list = xasprintf("%s/mixed.jsonl", work);
    ccbuf l = {0};
    for (int i = 0; i < 4; i++)
        ccbuf_printf(&l, "{\"url\":\"%s/p%03d.jpg\",\"caption\":\"a photo of a garden path number %d\"}\n", site_base,
                     i, i);
    ccbuf_printf(&l, "{\"url\":\"%s/missing.jpg\",\"caption\":\"a photo of a missing thing\"}\n", site_base);
    ccbuf_printf(&l, "{\"url\":\"%s/p010.jpg\",\"caption\":\"IMG_2041.JPG\"}\n", site_base);
    ccbuf_printf(&l, "{\"url\":\"%s/p011.jpg\",\"caption\":\"a photo of a garden path number 0\"}\n", site_base);
    tu_write_file(list, l.data, l.len);
    ccbuf_free(&l);
    run(&o, 0, "fetch mixed", "fetch", list, "-o", mixed, "--allow-private", "-q", "--min-bytes", "1",
        "--min-image-size", "1", (const char *)NULL);
    tu_output_free(&o);
    char *html2 = xasprintf("%s/mixed.html", work);
    run(&o, 0, "report mixed", "report", mixed, "-o", html2, (const char *)NULL);
    tu_output_free(&o);
    char *page2 = tu_read_file(html2, NULL);
    CHECK(page2 && strstr(page2, "http_404") && strstr(page2, "filename") && strstr(page2, "IMG_2041.JPG") &&
              strstr(page2, "not scored yet"),
          "mixed report names its reasons and examples");
    run(&o, 0, "stats mixed", "stats", mixed, (const char *)NULL);
    char e[64];
    json_value *j = json_parse(tu_str(&o.out), o.out.len, e, sizeof e);
    const json_value *f = json_get(j, "funnel");
    CHECK(json_get_number(f, "candidates", -1) == 7 && json_get_number(f, "accepted", -1) >= 4 &&
              json_get_number(f, "fetched", -1) >= json_get_number(f, "accepted", -1),
          "stats funnel: %s", tu_str(&o.out));
    CHECK(json_get_number(json_get(j, "failures"), "http_404", -1) == 1, "stats failures: %s", tu_str(&o.out));
    CHECK(json_get_number(json_get(j, "rejections"), "filename", -1) == 1, "stats rejections: %s", tu_str(&o.out));
    CHECK(json_get(j, "top_hosts") && json_get(j, "top_hosts")->len == 1, "stats top_hosts");
    json_free(j);
    tu_output_free(&o);
    run(&o, 0, "stats scored", "stats", dir, (const char *)NULL);
    j = json_parse(tu_str(&o.out), o.out.len, e, sizeof e);
    const json_value *cs = json_get(j, "clip_score");
    CHECK(json_get_number(cs, "n", -1) == N_SITE && json_get_number(cs, "p5", 9) <= json_get_number(cs, "p50", -9) &&
              json_get_number(cs, "p50", 9) <= json_get_number(cs, "p95", -9),
          "stats clip_score quantiles: %s", tu_str(&o.out));
    json_free(j);
    tu_output_free(&o);

    const char *chrome = chromium();
    if (!chrome) {
        printf("SKIP report rendering: no chromium (apt-get install chromium)\n");
    } else {
        /* the page with a probe appended: counts images that decoded and bars */
        char *probe = xasprintf("%s/probe.html", work);
        ccbuf pb = {0};
        ccbuf_append(&pb, page, len);
        ccbuf_puts(&pb, "<script>window.addEventListener('load',function(){var im=[].slice.call(document.images);"
                        "document.body.setAttribute('data-probe',['imgs',im.length,'decoded',im.filter(function(i){"
                        "return i.complete&&i.naturalWidth>0}).length,'bars',document.querySelectorAll("
                        "'svg.hist rect.bar').length,'end'].join(':'))});</script>\n");
        tu_write_file(probe, pb.data, pb.len);
        ccbuf_free(&pb);
        char *profile = xasprintf("--user-data-dir=%s/chrome", work), *url = xasprintf("file://%s", probe);
        const char *argv[] = {chrome, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              profile, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
                              "--dump-dom", url, NULL};
        tu_run(argv, NULL, 90, &o);
        CHECK(o.status == 0, "chromium --dump-dom exit %d", o.status);
        const char *pr = strstr(tu_str(&o.out), "data-probe=\"");
        int imgs = -1, dec = -2, bars = 0;
        CHECK(pr && sscanf(pr, "data-probe=\"imgs:%d:decoded:%d:bars:%d:end", &imgs, &dec, &bars) == 3,
              "no probe result in the rendered DOM");
        CHECK(imgs == 12 && dec == imgs, "rendered: %d images, %d decoded", imgs, dec);
        CHECK(bars >= 2 * 30, "rendered: %d histogram bars", bars);
        /* console errors would be logged as CONSOLE lines at error level */
        const char *er = tu_str(&o.err);
        CHECK(!strstr(er, "Uncaught") && !strstr(er, ":ERROR:CONSOLE") && !strstr(er, "Failed to load resource"),
              "console errors while rendering: %s", er);
        tu_output_free(&o);
        /* a screenshot, kept beside the report for people (TU_KEEP=1) */
        char *shot = xasprintf("--screenshot=%s/report.png", work), *url2 = xasprintf("file://%s", html);
        const char *argv2[] = {chrome, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", profile,
                               "--window-size=1200,2400", shot, url2, NULL};
        tu_run(argv2, NULL, 90, &o);
        char *png = xasprintf("%s/report.png", work);
        size_t plen = 0;
        char *pd = tu_read_file(png, &plen);
        CHECK(pd && plen > 10000 && memcmp(pd, "\x89PNG", 4) == 0, "screenshot %s (%zu bytes)", png, plen);
        tu_output_free(&o);
        free(pd), free(png), free(shot), free(url2), free(profile), free(url), free(probe);
    }
    run(&o, 1, "report of no dataset", "report", "/nonexistent-dataset", "-o", html, (const char *)NULL);
    tu_output_free(&o);
    free(page), free(page2), free(html), free(html2), free(mixed), free(list);
}

/* compact: after refilter demotes samples, their frames leave the shards;
 * the kept samples' bytes and keys are unchanged; kill -9 at any moment
 * leaves a dataset that verify accepts once compact ran again. */
static void test_compact(const char *dir)
{
    for (int round = 0; round < 3; round++) {
        tu_output o;
        char *copy = xasprintf("%s/compact%d", work, round);
        char *cmd = xasprintf("cp -r '%s' '%s'", dir, copy);
        const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
        tu_run(argv, NULL, 60, &o);
        tu_output_free(&o);
        /* every sample's members before, as tar reads them */
        char *ex0 = xasprintf("%s/untar-before%d", work, round);
        CHECK(untar_all(copy, ex0) == N_SITE, "round %d: %d samples before", round, N_SITE);
        run(&o, 0, "refilter", "refilter", copy, "--min-image-size", "150", (const char *)NULL);
        tu_output_free(&o);
        if (round > 0) {
            /* a compaction killed at some moment */
            pid_t pid = tu_spawn_clipcrawl(NULL, NULL, "compact", copy, (const char *)NULL);
            usleep(20000 * (unsigned)round * round);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        run(&o, 0, "compact", "compact", copy, (const char *)NULL);
        if (round == 0)
            CHECK(strstr(tu_str(&o.out), "\"shards\":1") && strstr(tu_str(&o.out), "\"dropped\":14") &&
                      strstr(tu_str(&o.out), "\"kept\":26"),
                  "compact: %s", tu_str(&o.out));
        tu_output_free(&o);
        run(&o, 0, "verify after compact", "verify", copy, (const char *)NULL);
        tu_output_free(&o);
        char *ex = xasprintf("%s/untar-compact%d", work, round);
        int kept = untar_all(copy, ex);
        /* the kept samples: same key, same bytes (verify above read each through the index) */
        for (int i = 0; i < N_SITE; i++) {
            char *after = xasprintf("%s/%09d.jpg", ex, i), *orig = xasprintf("%s/%09d.jpg", ex0, i);
            size_t la = 0, lo = 0;
            char *da = tu_read_file(after, &la), *dor = tu_read_file(orig, &lo);
            CHECK(!da || (dor && la == lo && memcmp(da, dor, la) == 0), "round %d: %09d changed by compact", round, i);
            free(da), free(dor), free(after), free(orig);
        }
        CHECK(kept == 26, "round %d: tar --zstd reads %d samples after compact, want 26", round, kept);
        tu_rm_rf(ex);
        tu_rm_rf(ex0);
        free(ex0);
        char *journal = xasprintf("%s/shards/compact.journal", copy);
        CHECK(access(journal, F_OK) != 0, "round %d: no journal left", round);
        run(&o, 0, "compact again", "compact", copy, (const char *)NULL);
        CHECK(strstr(tu_str(&o.out), "\"shards\":0"), "compact again does nothing: %s", tu_str(&o.out));
        tu_output_free(&o);
        free(ex), free(journal), free(cmd), free(copy);
    }
}

/* Rows appended after the last commit (a run killed mid-append) are
 * ignored by readers and cut off by the next writer; an index from before
 * the file existed (embeddings only in clip_scores.image_emb) is migrated by
 * the next score run. */
static void test_crash_and_migration(const char *dir, const char *list)
{
    tu_output o;
    char *db_path = xasprintf("%s/index.sqlite", dir);
    sqlite3 *db = NULL;
    sqlite3_open(db_path, &db);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT model_id || '-' || precision, emb_rows, embed_dim FROM clip_models", -1, &st, NULL);
    char *emb = NULL;
    int64_t rows = 0;
    int dim = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        emb = xasprintf("%s/embeddings/%s.f16", dir, sqlite3_column_text(st, 0));
        rows = sqlite3_column_int64(st, 1);
        dim = sqlite3_column_int(st, 2);
    }
    sqlite3_finalize(st);
    CHECK(emb && rows == N_SITE, "emb_rows %lld", (long long)rows);
    struct stat sb;
    CHECK(emb && stat(emb, &sb) == 0 && sb.st_size == 64 + rows * dim * 2, "file size");
    /* a killed run's tail: 3 rows of garbage (as large values) */
    FILE *f = emb ? fopen(emb, "ab") : NULL;
    for (int i = 0; f && i < 3 * dim; i++)
        fputc(0x7b, f), fputc(0x7b, f);
    if (f)
        fclose(f);
    run(&o, 0, "query after a torn append", "query", dir, "--similar", "000000001", "--k", "40", "--format", "jsonl",
        (const char *)NULL);
    char keys[64][10];
    double sim[64];
    int n = jsonl_keys(tu_str(&o.out), keys, sim, 64);
    CHECK(n == N_SITE && sim[0] < 1.01, "the torn tail is ignored (%d rows, best %.3f)", n, n ? sim[0] : 0);
    tu_output_free(&o);
    /* the next writer (score, nothing to do) cuts it back */
    run(&o, 0, "score again", "score", dir, "--model", model_dir, "-q", (const char *)NULL);
    tu_output_free(&o);
    CHECK(stat(emb, &sb) == 0 && sb.st_size == 64 + rows * dim * 2, "torn tail cut off: %lld bytes",
          (long long)sb.st_size);
    /* the int8 copy beside it (schema/EMBEDDINGS_FORMAT.md): as many rows */
    char *emb8 = xasprintf("%.*s.i8", (int)strlen(emb) - 4, emb);
    CHECK(stat(emb8, &sb) == 0 && sb.st_size == 64 + rows * (dim + 16), "int8 copy: %lld bytes",
          (long long)sb.st_size);
    /* deleted: queries still answer (from the F16 file), score rebuilds it */
    unlink(emb8);
    run(&o, 0, "query without the int8 copy", "query", dir, "--similar", "000000001", "--k", "1", "--format", "csv",
        "--columns", "key", "--no-header", (const char *)NULL);
    CHECK(strncmp(tu_str(&o.out), "000000001,", 10) == 0, "without the copy: [%s]", tu_str(&o.out));
    tu_output_free(&o);
    run(&o, 0, "score rebuilds the copy", "score", dir, "--model", model_dir, "-q", (const char *)NULL);
    tu_output_free(&o);
    CHECK(stat(emb8, &sb) == 0 && sb.st_size == 64 + rows * (dim + 16), "int8 copy rebuilt: %lld bytes",
          (long long)sb.st_size);

    /* migration: forget the file, as an index from before it existed */
    sqlite3_exec(db, "UPDATE clip_scores SET emb_row = NULL; UPDATE clip_models SET emb_rows = 0;", NULL, NULL, NULL);
    sqlite3_close(db);
    unlink(emb);
    unlink(emb8);
    run(&o, 1, "query before migration", "query", dir, "--similar", "000000001", (const char *)NULL);
    CHECK(strstr(tu_str(&o.err), "score") != NULL, "says to run score: %s", tu_str(&o.err));
    tu_output_free(&o);
    run(&o, 0, "score migrates", "score", dir, "--model", model_dir, "-q", (const char *)NULL);
    tu_output_free(&o);
    CHECK(stat(emb, &sb) == 0 && sb.st_size == 64 + rows * dim * 2, "file rebuilt from the index: %lld bytes",
          (long long)sb.st_size);
    CHECK(stat(emb8, &sb) == 0 && sb.st_size == 64 + rows * (dim + 16), "int8 copy rebuilt with it: %lld bytes",
          (long long)sb.st_size);
    run(&o, 0, "query after migration", "query", dir, "--similar", "000000001", "--k", "1", "--format", "csv",
        "--columns", "key", "--no-header", (const char *)NULL);
    CHECK(strncmp(tu_str(&o.out), "000000001,", 10) == 0, "after migration: [%s]", tu_str(&o.out));
    tu_output_free(&o);

    /* a dataset never scored: a clear error saying to run score */
    char *plain = xasprintf("%s/unscored", work);
    run(&o, 0, "fetch", "fetch", list, "-o", plain, "--allow-private", "-q", "--keep-original", "--min-bytes", "1",
        "--min-image-size", "1", "--no-caption-filter", (const char *)NULL);
    tu_output_free(&o);
    run(&o, 1, "unscored --text", "query", plain, "--text", "a red car", (const char *)NULL);
    CHECK(strstr(tu_str(&o.err), "run `clipcrawl score") != NULL && !strchr(strchr(tu_str(&o.err), '\n') + 1, '\n'),
          "one line saying to run score: %s", tu_str(&o.err));
    tu_output_free(&o);
    run(&o, 1, "unscored export-embeddings", "export-embeddings", plain, "-o", plain, (const char *)NULL);
    CHECK(strstr(tu_str(&o.err), "score") != NULL, "says to run score: %s", tu_str(&o.err));
    tu_output_free(&o);
    free(plain), free(emb), free(emb8), free(db_path);
}

int main(void)
{
    work = tu_mkdtemp("query");
    chmod(work, 0755);
    char *site = xasprintf("%s/site", work);
    cc_mkdirs(site, 0755);
    ccbuf list = {0};
    tu_server *srv = NULL;
    for (int i = 0; i < N_SITE; i++) {
        char *p = xasprintf("%s/p%03d.jpg", site, i);
        make_jpeg(p, 160 + (i % 4) * 40, 120 + (i % 3) * 40, 9000u + (uint64_t)i);
        free(p);
    }
    srv = tu_nginx_start(site);
    CHECK(srv != NULL, "nginx did not start");
    if (!srv)
        return check_summary();
    ccbuf_reset(&list);
    for (int i = 0; i < N_SITE; i++) {
        char *c = caption_of(i);
        ccbuf_printf(&list, "{\"url\":\"%s/p%03d.jpg\",\"caption\":", tu_server_base(srv), i);
        ccbuf_json_string(&list, c, strlen(c));
        ccbuf_puts(&list, "}\n");
        free(c);
    }
    char *list_path = xasprintf("%s/list.jsonl", work);
    tu_write_file(list_path, list.data, list.len);
    char *dir = xasprintf("%s/ds", work);
    tu_output o;
    run(&o, 0, "fetch", "fetch", list_path, "-o", dir, "--allow-private", "-q", "--keep-original", "--min-bytes", "1",
        "--min-image-size", "1", "--no-caption-filter", "--no-dedup", (const char *)NULL);
    tu_output_free(&o);
    test_formats(dir);
    if (!find_model()) {
        printf("SKIP semantic search, export-embeddings: no tiny CLIP model in tests/data/clipref\n");
    } else {
        run(&o, 0, "score", "score", dir, "--model", model_dir, "-q", (const char *)NULL);
        tu_output_free(&o);
        test_semantic(dir, site);
        test_export_embeddings(dir);
        test_export(dir);
        test_export_reencode(dir);
        test_report(dir, tu_server_base(srv));
        test_compact(dir);
        test_crash_and_migration(dir, list_path);
    }
    tu_server_stop(srv);
    ccbuf_free(&list);
    free(list_path), free(dir), free(site), free(model_dir);
    if (!getenv("TU_KEEP"))
        tu_rm_rf(work);
    free(work);
    return check_summary();
}
