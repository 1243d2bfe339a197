/* test_captions_real.c — the caption filter on real alt texts (suite
 * captions-real).
 *
 * tests/data/realcaptions/captions-real.tsv holds alt/title/figcaption strings
 * taken from published pages (Debian documentation, the saved pages of public
 * article-extraction test corpora, the WARC samples) and real LAION rows
 * (unit prefix laion/: alt texts as LAION published them), labelled by hand with
 * the policy in filters/README.md and split once, by source, into `dev` (the
 * rules may be tuned on it) and `heldout` (they may not). Rows labelled
 * `ambiguous` are reported but left out of every figure.
 *
 * For each part it prints reject precision / recall / F1, the share of good
 * captions wrongly rejected, and precision / recall per reason (for all rows
 * and for the LAION rows alone; then one line each for the rows from pages
 * and the LAION rows), then whether
 * the held-out part meets the goals (reject F1 >= 0.95, good captions wrongly
 * rejected <= 2%, unsafe recall >= 0.90, every ISBN-labelled caption rejected
 * as isbn). With CAPTIONS_GOALS=strict a missed goal FAILS the test; by
 * default it fails when the figures fall below the floors reached so far.
 * CAPTIONS_SHOW=dev (or heldout, or all) lists the rows the filter gets wrong
 * in that part: tune on dev only. The fuzz target (fuzz/fuzz_caption.c) also
 * runs over every caption and mutations of it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caption.h"
#include "check.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fuzz target over every real caption and over byte-level mutations of
 * them (cut, flipped, spliced), so the rules meet odd input every run. */
static void fuzz_rows(const char *const *texts, size_t n)
{
    uint64_t seed = 11;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(texts[i]);
        LLVMFuzzerTestOneInput((const uint8_t *)texts[i], len);
        char *m = xmalloc(len * 2 + 8);
        for (int r = 0; r < 2; r++) {
            size_t k = 0;
            for (size_t j = 0; j < len; j++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                unsigned x = (unsigned)(seed >> 33);
                if (x % 29 == 0)
                    continue; /* drop a byte */
                m[k++] = x % 31 == 0 ? (char)(x >> 8) : texts[i][j];
                if (x % 37 == 0)
                    m[k++] = texts[(i + x) % n][0]; /* splice */
            }
            LLVMFuzzerTestOneInput((const uint8_t *)m, k);
        }
        free(m);
    }
}

typedef struct {
    const char *split, *unit, *label, *text;
} row;

typedef struct {
    double prec, rec, f1, frr, unsafe_rec;
    long isbn_missed, unsafe_lab, rows, ambiguous;
} figures;

static int show(const char *split)
{
    const char *s = getenv("CAPTIONS_SHOW");
    return s && (strcmp(s, "all") == 0 || strcmp(s, split) == 0);
}

/* Which rows a figure covers: one split, and all corpora (corpus NULL), one
 * corpus (the unit's prefix before '/'), or all but one (except set). */
typedef struct {
    const char *split, *corpus;
    int except, table, list;
} selection;

static int in_corpus(const char *unit, const char *corpus)
{
    size_t k = strlen(corpus);
    return strncmp(unit, corpus, k) == 0 && unit[k] == '/';
}

static int selected(const row *r, const selection *s)
{
    if (strcmp(r->split, s->split) != 0)
        return 0;
    return !s->corpus || in_corpus(r->unit, s->corpus) != s->except;
}

/* The figures for the rows SEL picks; with sel.table the per-reason table,
 * else one summary line; with sel.list the misses (CAPTIONS_SHOW). */
static figures evaluate(const caption_filter *f, const row *rows, size_t n, selection sel)
{
    const char *split = sel.split;
    long tp[CAPTION__COUNT] = {0}, predicted[CAPTION__COUNT] = {0}, labelled[CAPTION__COUNT] = {0};
    long rej_tp = 0, rej_pred = 0, rej_lab = 0, keep_lab = 0, false_rej = 0;
    figures g;
    memset(&g, 0, sizeof g);
    for (size_t i = 0; i < n; i++) {
        if (!selected(&rows[i], &sel))
            continue;
        caption_verdict v = caption_judge(f, rows[i].text, strlen(rows[i].text), NULL);
        if (strcmp(rows[i].label, "ambiguous") == 0) {
            g.ambiguous++;
            continue;
        }
        int lab = caption_reason_parse(rows[i].label);
        if (lab < 0)
            continue;
        int p = (int)v.code;
        g.rows++;
        labelled[lab]++;
        predicted[p]++;
        tp[lab] += p == lab;
        if (lab != CAPTION_KEEP)
            rej_lab++;
        else
            keep_lab++;
        rej_pred += p != CAPTION_KEEP;
        rej_tp += p != CAPTION_KEEP && lab != CAPTION_KEEP;
        false_rej += p != CAPTION_KEEP && lab == CAPTION_KEEP;
        if (lab == CAPTION_ISBN && p != CAPTION_ISBN)
            g.isbn_missed++;
        if (p != lab && sel.list && show(split))
            fprintf(stderr, "  %s: expected %-11s got %-11s %s  [%s]  (%s)\n", split, rows[i].label,
                    caption_reason_name((caption_reason)p), rows[i].text, v.detail, rows[i].unit);
    }
    g.prec = rej_pred ? (double)rej_tp / (double)rej_pred : 1.0;
    g.rec = rej_lab ? (double)rej_tp / (double)rej_lab : 1.0;
    g.f1 = g.prec + g.rec > 0 ? 2 * g.prec * g.rec / (g.prec + g.rec) : 0.0;
    g.frr = keep_lab ? (double)false_rej / (double)keep_lab : 0.0;
    g.unsafe_lab = labelled[CAPTION_UNSAFE];
    g.unsafe_rec = g.unsafe_lab ? (double)tp[CAPTION_UNSAFE] / (double)g.unsafe_lab : 1.0;
    char name[64];
    snprintf(name, sizeof name, "%s%s%s", split, sel.corpus ? (sel.except ? ", all but " : ", ") : "",
             sel.corpus ? sel.corpus : "");
    if (!sel.table) {
        printf("  %-22s %5ld rows  reject P %.3f R %.3f F1 %.3f  wrongly rejected %5.2f%% (%ld/%ld)  unsafe recall %.3f (%ld)\n",
               name, g.rows, g.prec, g.rec, g.f1, 100.0 * g.frr, false_rej, keep_lab, g.unsafe_rec, g.unsafe_lab);
        return g;
    }
    printf("\n[%s] %ld labelled rows (%ld keep, %ld reject), %ld ambiguous left out\n", name, g.rows, keep_lab, rej_lab,
           g.ambiguous);
    printf("%-12s %8s %8s %8s %10s %8s\n", "reason", "labelled", "judged", "agree", "precision", "recall");
    for (int r = 0; r < CAPTION__COUNT; r++) {
        if (!labelled[r] && !predicted[r])
            continue;
        printf("%-12s %8ld %8ld %8ld %10.3f %8.3f\n", caption_reason_name((caption_reason)r), labelled[r], predicted[r],
               tp[r], predicted[r] ? (double)tp[r] / (double)predicted[r] : 1.0,
               labelled[r] ? (double)tp[r] / (double)labelled[r] : 1.0);
    }
    printf("reject (any reason): precision %.3f  recall %.3f  F1 %.3f  good captions wrongly rejected %.2f%% (%ld of %ld)\n",
           g.prec, g.rec, g.f1, 100.0 * g.frr, false_rej, keep_lab);
    printf("unsafe recall %.3f (%ld labelled)  ISBN-labelled captions not rejected as isbn: %ld\n", g.unsafe_rec,
           g.unsafe_lab, g.isbn_missed);
    return g;
}

int main(void)
{
    const char *d = getenv("CLIPCRAWL_TESTS");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/realcaptions/captions-real.tsv", d && *d ? d : "tests");
    ccbuf file = {0};
    CHECK(cc_read_file(path, &file) == CC_OK, "read %s", path);
    if (!file.data)
        return check_summary();
    row *rows = NULL;
    size_t n = 0, cap = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)file.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        char *col[5];
        int k = 0;
        col[k++] = line;
        for (char *p = line; *p && k < 5; p++)
            if (*p == '\t') {
                *p = '\0';
                col[k++] = p + 1;
            }
        CHECK(k == 5, "a row needs 5 tab-separated columns: %s", line);
        if (k != 5)
            continue;
        CHECK(strcmp(col[0], "dev") == 0 || strcmp(col[0], "heldout") == 0, "unknown split '%s'", col[0]);
        CHECK(strcmp(col[3], "ambiguous") == 0 || caption_reason_parse(col[3]) >= 0, "unknown label '%s'", col[3]);
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            rows = xrealloc(rows, cap * sizeof *rows);
        }
        rows[n++] = (row){col[0], col[1], col[3], col[4]};
    }
    CHECK(n >= 2500, "at least 2,500 real captions (%zu)", n);
    const char **texts = xmalloc((n + 1) * sizeof *texts);
    for (size_t i = 0; i < n; i++)
        texts[i] = rows[i].text;
    fuzz_rows(texts, n);
    free(texts);

    caption_filter *f = caption_filter_new(NULL);
    figures dv = evaluate(f, rows, n, (selection){"dev", NULL, 0, 1, 1});
    figures h = evaluate(f, rows, n, (selection){"heldout", NULL, 0, 1, 1});
    /* The LAION rows (real alt texts as LAION published them: product and
     * stock titles, porn titles) apart from the rows taken from pages. */
    figures ldv = evaluate(f, rows, n, (selection){"dev", "laion", 0, 1, 0});
    figures lh = evaluate(f, rows, n, (selection){"heldout", "laion", 0, 1, 0});
    /* Pages (every corpus but laion) and the LAION rows, one line each. */
    printf("\nrows from pages vs LAION rows:\n");
    for (int sp = 0; sp < 2; sp++) {
        const char *split = sp ? "heldout" : "dev";
        evaluate(f, rows, n, (selection){split, "laion", 1, 0, 0});
        evaluate(f, rows, n, (selection){split, "laion", 0, 0, 0});
    }
    size_t held = 0;
    for (size_t i = 0; i < n; i++)
        held += strcmp(rows[i].split, "heldout") == 0;
    CHECK(held * 10 >= n * 4, "held-out part is >= 40%% of the rows (%zu of %zu)", held, n);
    /* The goals for the held-out part. They are not all met yet
     * (see filters/README.md); CAPTIONS_GOALS=strict makes a miss fail, and
     * the default run fails on a regression below the figures reached. */
    int strict = getenv("CAPTIONS_GOALS") && strcmp(getenv("CAPTIONS_GOALS"), "strict") == 0;
    struct {
        const char *what;
        int met;
    } goals[] = {{"reject F1 >= 0.95", h.f1 >= 0.95},
                 {"good captions wrongly rejected <= 2%", h.frr <= 0.02},
                 {"unsafe recall >= 0.90", h.unsafe_rec >= 0.90},
                 {"every ISBN-labelled caption rejected as isbn", h.isbn_missed == 0}};
    printf("\nheld-out goals:\n");
    for (size_t i = 0; i < sizeof goals / sizeof goals[0]; i++) {
        printf("  %-48s %s\n", goals[i].what, goals[i].met ? "met" : "NOT MET");
        if (strict)
            CHECK(goals[i].met, "held-out goal: %s", goals[i].what);
    }
    CHECK(dv.f1 >= 0.98, "dev reject F1 %.3f >= 0.98 (regression floor)", dv.f1);
    CHECK(h.f1 >= 0.925, "held-out reject F1 %.3f >= 0.925 (regression floor)", h.f1);
    CHECK(ldv.f1 >= 0.95 && lh.f1 >= 0.76, "LAION rows: reject F1 dev %.3f >= 0.95, held-out %.3f >= 0.76", ldv.f1,
          lh.f1);
    CHECK(h.frr <= 0.02, "held-out good captions wrongly rejected %.2f%% <= 2%%", 100.0 * h.frr);
    CHECK(dv.frr <= 0.01, "dev good captions wrongly rejected %.2f%% <= 1%%", 100.0 * dv.frr);
    CHECK(h.unsafe_rec >= 0.80 && dv.unsafe_rec >= 0.95, "unsafe recall held-out %.3f >= 0.80, dev %.3f >= 0.95",
          h.unsafe_rec, dv.unsafe_rec);
    CHECK(h.isbn_missed == 0 && dv.isbn_missed == 0, "ISBN-labelled captions not rejected as isbn");
    caption_filter_free(f);
    free(rows);
    ccbuf_free(&file);
    return check_summary();
}
