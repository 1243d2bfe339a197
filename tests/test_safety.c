/* test_safety.c — CLIP zero-shot safety tagging (clipscore/safety.h) and its
 * place in the index (`score` writes items.nsfw / items.nsfw_model).
 *
 * The fixture models have random weights, so the tags say nothing about the
 * pictures; what is checked is the machinery:
 *   1. the prompt set: counts, order (NSFW first), normalised embeddings,
 *      the same embeddings from two taggers (determinism)
 *   2. the top-2 rule on synthetic embeddings built from orthonormal
 *      categories: NSFW / UNSURE / UNLIKELY, ties to the lower index,
 *      unnormalised input
 *   3. the real model's tagger against an independent brute-force top-2
 *      on random vectors; each prompt's own embedding wins its category
 *   4. 4 threads tagging at once give the single-thread answers
 *   5. `clipcrawl score` tags every sample it scores; samples whose tag was
 *      lost are tagged again from their stored embeddings, matching this
 *      tagger bit for bit
 *
 * Environment: CLIPCRAWL_TESTDATA, CLIPCRAWL_BIN (set by meson).
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "check.h"
#include "clip.h"
#include "common.h"
#include "half.h"
#include "dataset.h"
#include "image.h"
#include "json.h"
#include "safety.h"
#include "testutil.h"
#include "tokenizer.h"

#define N_RANDOM 300
#define N_THREADS 4

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float frand(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((rng >> 40) / (double)(1ull << 24)) * 2.0f - 1.0f;
}

/* Independent reference: all cosines, best, then best of the rest; ties to
 * the lower index. */
static const char *ref_tag(const clip_safety *s, const float *v, int top[2])
{
    int n = clip_safety_count(s), d = clip_safety_dim(s);
    double *c = xmalloc((size_t)n * sizeof *c);
    for (int i = 0; i < n; i++) {
        const float *e = clip_safety_embedding(s, i);
        float acc = clip_dot(v, e, d); /* same dot as the tagger: the reference checks the selection */
        c[i] = acc;
    }
    int a = 0;
    for (int i = 1; i < n; i++)
        if (c[i] > c[a])
            a = i;
    int b = a == 0 ? 1 : 0;
    for (int i = 0; i < n; i++)
        if (i != a && c[i] > c[b])
            b = i;
    free(c);
    top[0] = a, top[1] = b;
    int k = clip_safety_is_nsfw(s, a) + clip_safety_is_nsfw(s, b);
    return k == 2 ? "NSFW" : k == 1 ? "UNSURE" : "UNLIKELY";
}

/* ---- 2. synthetic ---- */
static void test_synthetic(void)
{
    enum { D = 8, N = 6 };
    float e[N * D] = {0};
    for (int i = 0; i < N; i++)
        e[i * D + i] = 1.0f;
    int nsfw[N] = {1, 1, 0, 0, 0, 0};
    clip_safety *s = clip_safety_new_from_embeddings(e, nsfw, NULL, N, D);
    CHECK(s != NULL, "from embeddings");
    if (!s)
        return;
    CHECK_EQ_STR(clip_safety_prompt(s, 3), "category 3");
    struct {
        float w[N];
        const char *tag;
        int t0, t1;
    } cases[] = {
        {{0.8f, 0.6f, 0, 0, 0, 0}, "NSFW", 0, 1},
        {{0.6f, 0.8f, 0, 0, 0, 0}, "NSFW", 1, 0},
        {{0.8f, 0, 0.6f, 0, 0, 0}, "UNSURE", 0, 2},
        {{0, 0.6f, 0, 0.8f, 0, 0}, "UNSURE", 3, 1},
        {{0, 0, 0.8f, 0.6f, 0, 0}, "UNLIKELY", 2, 3},
        {{0, 0, 0, 0, 0.5f, 0.7f}, "UNLIKELY", 5, 4},
        {{0, 0, 1, 0, 0, 0}, "UNSURE", 2, 0},           /* tie among zeros: lowest index (an NSFW one) */
        {{-1, -1, 0, 0, 0, 0.1f}, "UNLIKELY", 5, 2},
        {{2.4f, 1.8f, 0, 0, 0, 0}, "NSFW", 0, 1},        /* unnormalised: same order */
        {{0.5f, 0, 0.5f, 0, 0, 0}, "UNSURE", 0, 2},      /* exact tie at the top: lower index first */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        float v[D] = {0};
        memcpy(v, cases[i].w, sizeof cases[i].w);
        int top[2];
        float cs[2];
        const char *t = clip_safety_tag_ex(s, v, top, cs);
        CHECK(strcmp(t, cases[i].tag) == 0 && top[0] == cases[i].t0 && top[1] == cases[i].t1,
              "case %zu: %s top %d,%d; expected %s top %d,%d", i, t, top[0], top[1], cases[i].tag, cases[i].t0,
              cases[i].t1);
        CHECK(cs[0] >= cs[1], "case %zu: cosines in order", i);
        CHECK(strcmp(clip_safety_tag(s, v), t) == 0, "case %zu: tag == tag_ex", i);
    }
    CHECK(clip_safety_new_from_embeddings(e, nsfw, NULL, 1, D) == NULL, "n < 2 refused");
    CHECK(clip_safety_new_from_embeddings(NULL, nsfw, NULL, N, D) == NULL, "NULL refused");
    clip_safety_free(s);
    clip_safety_free(NULL);
}

/* ---- 4. threads ---- */
typedef struct {
    const clip_safety *s;
    const float *vecs;
    const char *const *want;
    int mismatches;
} thr_arg;

static void *thr_main(void *p)
{
    thr_arg *a = p;
    int d = clip_safety_dim(a->s);
    for (int rep = 0; rep < 20; rep++)
        for (int i = 0; i < N_RANDOM; i++)
            if (clip_safety_tag(a->s, a->vecs + (size_t)i * d) != a->want[i])
                a->mismatches++;
    return NULL;
}

/* ---- 5. in the index ---- */
static json_value *run_score(const char *dir, const char *model, const char *tok, int *status)
{
    tu_output o;
    tu_run_clipcrawl(&o, "score", dir, "--model", model, "--tokenizer", tok, "-q", (const char *)NULL);
    *status = o.status;
    if (o.status != 0)
        fprintf(stderr, "score: exit %d: %s\n", o.status, tu_str(&o.err));
    char err[128];
    const char *s = tu_str(&o.out);
    json_value *j = json_parse(s, strlen(s), err, sizeof err);
    tu_output_free(&o);
    return j;
}

static void test_index(const clip_safety *saf, const char *model, const char *tok)
{
    char *work = tu_mkdtemp("safety");
    char *dir = xasprintf("%s/ds", work);
    char err[512];
    dataset *ds = dataset_open(dir, NULL, err, sizeof err);
    CHECK(ds != NULL, "dataset_open: %s", err);
    if (!ds)
        return;
    enum { NS = 6, W = 96, H = 80 };
    unsigned char *px = xmalloc(W * H * 3);
    for (int k = 0; k < NS; k++) {
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                unsigned char *p = px + ((size_t)y * W + x) * 3;
                p[0] = (unsigned char)(x * (k + 1) * 3);
                p[1] = (unsigned char)(y * (7 - k) * 2);
                p[2] = (unsigned char)((x ^ y) * (k + 2));
            }
        img_image im = {.width = W, .height = H, .mode = IMG_MODE_RGB, .channels = 3, .pixels = px};
        ccbuf jpg = {0};
        CHECK(img_encode(&im, ENC_JPG, 90, &jpg, err, sizeof err) == CC_OK, "encode: %s", err);
        char url[64], cap[64];
        snprintf(url, sizeof url, "http://example.test/%d.jpg", k);
        snprintf(cap, sizeof cap, "a test picture number %d", k);
        dataset_sample s = {.input_id = 0, .url = url, .caption = cap, .image = jpg.data, .image_len = jpg.len,
                            .ext = "jpg", .width = W, .height = H, .original_width = W, .original_height = H,
                            .bytes = (int64_t)jpg.len};
        CHECK(dataset_add_accepted(ds, &s, NULL) == CC_OK, "add: %s", dataset_errmsg(ds));
        ccbuf_free(&jpg);
    }
    free(px);
    CHECK(dataset_close(ds, 1, err, sizeof err) == CC_OK, "close: %s", err);

    int st;
    json_value *j = run_score(dir, model, tok, &st);
    CHECK(st == 0 && j, "score ran");
    CHECK_EQ_INT(json_get_number(j, "scored", -1), NS);
    CHECK_EQ_INT(json_get_number(j, "tagged", -1), NS);
    json_free(j);

    char *idx = xasprintf("%s/index.sqlite", dir);
    sqlite3 *db = NULL;
    sqlite3_open_v2(idx, &db, SQLITE_OPEN_READWRITE, NULL);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *q;
    int n_tagged = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM items WHERE nsfw IN ('NSFW','UNSURE','UNLIKELY') "
                           "AND nsfw_model = (SELECT id FROM clip_models)",
                           -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        n_tagged = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    CHECK_EQ_INT(n_tagged, NS);
    /* Lose the tags; the next score has nothing to score and tags from the
     * stored embeddings. */
    sqlite3_exec(db, "UPDATE items SET nsfw = NULL, nsfw_model = NULL", NULL, NULL, NULL);
    sqlite3_close(db);
    j = run_score(dir, model, tok, &st);
    CHECK(st == 0 && j, "score again ran");
    CHECK_EQ_INT(json_get_number(j, "scored", -1), 0);
    CHECK_EQ_INT(json_get_number(j, "tagged", -1), NS);
    json_free(j);

    sqlite3_open_v2(idx, &db, SQLITE_OPEN_READONLY, NULL);
    int same = 0, rows = 0;
    int d = clip_safety_dim(saf);
    float *v = xmalloc((size_t)d * sizeof *v);
    if (sqlite3_prepare_v2(db, "SELECT i.nsfw, s.image_emb FROM items i JOIN clip_scores s ON s.key = i.key", -1, &q,
                           NULL) == SQLITE_OK) {
        while (sqlite3_step(q) == SQLITE_ROW) {
            rows++;
            const unsigned char *b = sqlite3_column_blob(q, 1);
            if (!sqlite3_column_text(q, 0) || sqlite3_column_bytes(q, 1) != 2 * d)
                continue;
            for (int k = 0; k < d; k++)
                v[k] = cc_f16_to_f32((uint16_t)(b[2 * k] | b[2 * k + 1] << 8));
            same += strcmp((const char *)sqlite3_column_text(q, 0), clip_safety_tag(saf, v)) == 0;
        }
        sqlite3_finalize(q);
    }
    free(v);
    sqlite3_close(db);
    CHECK_EQ_INT(rows, NS);
    CHECK_EQ_INT(same, NS);
    free(idx);
    free(dir);
    tu_rm_rf(work);
    free(work);
}

int main(void)
{
    const char *testdata = getenv("CLIPCRAWL_TESTDATA");
    if (!testdata) {
        fprintf(stderr, "CLIPCRAWL_TESTDATA not set (run through meson test)\n");
        return 1;
    }
    char *model_dir = xasprintf("%s/clipref/fixtures/models/tiny-b16", testdata);
    char *tok_dir = xasprintf("%s/clipref", testdata);
    char err[512];
    clip_model *m = clip_model_load(model_dir, CLIP_FP32, err, sizeof err);
    CHECK(m != NULL, "load %s: %s", model_dir, err);
    clip_tokenizer *t = clip_tokenizer_load(tok_dir, err, sizeof err);
    CHECK(t != NULL, "tokenizer %s: %s", tok_dir, err);
    if (!m || !t)
        return check_summary();
    clip_state *st = clip_state_new(m, 8);

    /* 1. prompt set and determinism */
    clip_safety *s1 = clip_safety_new(m, t, st, err, sizeof err);
    clip_safety *s2 = clip_safety_new(m, t, st, err, sizeof err);
    CHECK(s1 && s2, "clip_safety_new: %s", err);
    if (!s1 || !s2)
        return check_summary();
    int n = clip_safety_count(s1), d = clip_safety_dim(s1), n_nsfw = 0;
    CHECK_EQ_INT(d, clip_model_config(m)->embed_dim);
    CHECK(n >= 30, "prompt set has %d categories", n);
    for (int i = 0; i < n; i++) {
        n_nsfw += clip_safety_is_nsfw(s1, i);
        if (i > 0 && clip_safety_is_nsfw(s1, i) && !clip_safety_is_nsfw(s1, i - 1))
            CHECK(0, "NSFW category %d after a neutral one", i);
        double norm = 0;
        for (int k = 0; k < d; k++)
            norm += (double)clip_safety_embedding(s1, i)[k] * clip_safety_embedding(s1, i)[k];
        CHECK(fabs(norm - 1) < 1e-4, "category %d norm %f", i, norm);
    }
    CHECK(n_nsfw >= 8 && n - n_nsfw >= 2 * n_nsfw, "%d NSFW of %d", n_nsfw, n);
    CHECK_EQ_STR(clip_safety_prompt(s1, 0), "an image of porn");
    CHECK(clip_safety_prompt(s1, n) == NULL && clip_safety_prompt(s1, -1) == NULL, "out of range");
    CHECK(clip_safety_embedding(s1, n) == NULL, "out of range embedding");
    CHECK(memcmp(clip_safety_embedding(s1, 0), clip_safety_embedding(s2, 0), (size_t)n * d * sizeof(float)) == 0,
          "two taggers from one model embed the prompts identically");
    CHECK(clip_safety_new(NULL, t, st, err, sizeof err) == NULL && err[0], "NULL model refused with a message");
    printf("# prompt set: %d categories, %d NSFW\n", n, n_nsfw);

    /* 2. the rule on constructed embeddings */
    test_synthetic();

    /* 3. real model vs brute force */
    float *vecs = xmalloc((size_t)N_RANDOM * d * sizeof *vecs);
    const char *want[N_RANDOM];
    int agree = 0, hist[3] = {0, 0, 0};
    for (int i = 0; i < N_RANDOM; i++) {
        float *v = vecs + (size_t)i * d;
        /* mostly near one prompt's embedding plus noise, so every tag occurs */
        const float *base = clip_safety_embedding(s1, i % n);
        for (int k = 0; k < d; k++)
            v[k] = base[k] * (float)(i % 3) + 0.5f * frand();
        clip_l2_normalize(v, 1, d);
        int top[2], rtop[2];
        want[i] = clip_safety_tag_ex(s1, v, top, NULL);
        const char *r = ref_tag(s1, v, rtop);
        agree += strcmp(r, want[i]) == 0 && top[0] == rtop[0] && top[1] == rtop[1];
        CHECK(strcmp(clip_safety_tag(s2, v), want[i]) == 0, "vector %d: two taggers disagree", i);
        hist[want[i][0] == 'N' ? 0 : want[i][0] == 'U' && want[i][2] == 'S' ? 1 : 2]++;
    }
    CHECK_EQ_INT(agree, N_RANDOM);
    printf("# %d random vectors: NSFW %d, UNSURE %d, UNLIKELY %d\n", N_RANDOM, hist[0], hist[1], hist[2]);
    for (int i = 0; i < n; i++) {
        int top[2];
        float cs[2];
        clip_safety_tag_ex(s1, clip_safety_embedding(s1, i), top, cs);
        CHECK(top[0] == i || cs[0] - clip_dot(clip_safety_embedding(s1, i), clip_safety_embedding(s1, i), d) < 1e-6f,
              "prompt %d's own embedding should win, got %d", i, top[0]);
    }

    /* 4. threads */
    pthread_t th[N_THREADS];
    thr_arg args[N_THREADS];
    for (int k = 0; k < N_THREADS; k++) {
        args[k] = (thr_arg){s1, vecs, want, 0};
        pthread_create(&th[k], NULL, thr_main, &args[k]);
    }
    int mism = 0;
    for (int k = 0; k < N_THREADS; k++) {
        pthread_join(th[k], NULL);
        mism += args[k].mismatches;
    }
    CHECK_EQ_INT(mism, 0);

    /* 5. score puts the tags in the index */
    if (getenv("CLIPCRAWL_BIN"))
        test_index(s1, model_dir, tok_dir);
    else
        CHECK(0, "CLIPCRAWL_BIN not set");

    free(vecs);
    clip_safety_free(s1);
    clip_safety_free(s2);
    clip_state_free(st);
    clip_model_free(m);
    clip_tokenizer_free(t);
    free(model_dir);
    free(tok_dir);
    return check_summary();
}
