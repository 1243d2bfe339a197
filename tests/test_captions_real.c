/* test_captions_real.c — the caption filter on real alt texts (suite
 * captions-real).
 *
 * tests/data/realcaptions/captions-real.tsv holds alt/title/figcaption strings
 * taken from published pages (Debian documentation, the saved pages of public
 * article-extraction test corpora, the WARC samples) and real LAION rows
 * (unit prefix laion/: alt texts as LAION published them), labelled by hand with
 * the policy in filters/README.md and split once, by source, into `dev` (the
 * rules may be tuned on it) and `heldout` (they may not). Every row was
 * labelled twice, blind; the figures use the label the two annotators agreed
 * on, or the adjudicator's where they differed, and the test also prints
 * their agreement (Cohen's kappa) and the figures against the first
 * annotator's labels alone. Rows labelled `ambiguous` are reported but left
 * out of every figure.
 *
 * For each part it prints reject precision / recall / F1, the share of good
 * captions wrongly rejected, and precision / recall per reason (for all rows
 * and for the LAION rows alone; then one line each for the rows from pages
 * and the LAION rows), then whether
 * the held-out part meets the goals (reject F1 >= 0.95, good captions wrongly
 * rejected <= 2%, unsafe recall >= 0.90, every ISBN-labelled caption rejected
 * as isbn). With CAPTIONS_GOALS=strict a missed goal FAILS the test; by
 * default it fails when the figures fall below the floors reached so far.
 * tests/data/realcaptions/devpool.tsv is the labelled dev pool: every other
 * string of the dev units (labelled once, split `devpool`), a larger tuning
 * set; its figures are printed after the LAION rows'.
 * The rows of the page corpora added on 2026-12-05 (ADDED_CORPORA, then
 * SITE_CORPORA) are also printed apart from the first corpora's, text
 * alone and as crawl judges.
 * tests/data/realcaptions/laion-census.tsv (split `census`) is every other
 * LAION row of the held-out hosts, labelled once (part of it twice): a
 * measurement only. Its figures are printed as list rows, together with
 * the set's held-out LAION rows (all LAION rows of those hosts), and with
 * the whole held-out part (the unsafe goal's larger sample).
 * tests/data/realcaptions/fresh-sites.tsv (split `fresh`) holds strings of
 * sites no rule was written from (the dragnet pages' held-out-side sites),
 * labelled twice, with their placement in dragnet-placement.tsv: another
 * measurement only, printed text alone and as crawl judges.
 * CAPTIONS_SHOW=dev (or devpool, heldout, all) lists the rows the filter gets
 * wrong in that part: tune on dev and devpool only. The fuzz target (fuzz/fuzz_caption.c) also
 * runs over every caption and mutations of it.
 *
 * "As crawl judges": tests/data/realcaptions/placement.tsv holds, for most
 * rows taken from pages, where the string sits on its page as clipcrawl's own
 * extractor finds it (placement bits, declared size, alt repeats; made by
 * placement.py). Beside the text-only figures the test prints the same
 * figures with those rows judged by caption_judge_placed(), the LAION rows
 * by caption_judge_placed() with CC_PLACE_LIST (as fetch judges a URL list's
 * rows) and the rest (strings the extractor does not find) by
 * caption_judge(), as crawl and fetch would: per-reason tables for dev and the dev pool, summary lines for
 * held-out. CAPTIONS_SHOW=dev-placed (or devpool-placed) lists those misses
 * with each row's placement. Last, for dev and held-out, text alone and as
 * crawl judges, the reject F1 with the interval a cluster bootstrap over
 * source units gives (how much of a figure is the luck of which pages and
 * hosts were drawn). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caption.h"
#include "check.h"
#include "common.h"
#include "placement.h"
#include "strmap.h"

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

/* One row. LABEL is the label the figures use; FIRST and SECOND are the two
 * annotators' labels where the row was labelled twice (NULL otherwise): where
 * they agree LABEL is theirs, where they differ an adjudicator chose it. */
typedef struct {
    const char *split, *unit, *attr, *label, *text, *first, *second;
    const char *place_text; /* placement.tsv's stored form, NULL when the row has no placement row */
    caption_place place;    /* its facts (bits CC_PLACE_UNKNOWN without a placement row) */
} row;

typedef struct {
    double prec, rec, f1, frr, unsafe_rec, boilerplate_rec;
    double names_rec; /* recall of filename, url_or_path and code_or_id together */
    long isbn_missed, unsafe_lab, rows, ambiguous;
} figures;

/* Whether CAPTIONS_SHOW asks for SPLIT's misses; as crawl judges (PLACED)
 * only "dev-placed" / "devpool-placed" list them (never held-out). */
static int show(const char *split, int placed)
{
    const char *s = getenv("CAPTIONS_SHOW");
    if (!s)
        return 0;
    if (placed) {
        size_t k = strlen(split);
        return strcmp(split, "heldout") != 0 && strncmp(s, split, k) == 0 && strcmp(s + k, "-placed") == 0;
    }
    return strcmp(s, "all") == 0 || strcmp(s, split) == 0;
}

/* Which rows a figure covers: one split, and all corpora (corpus NULL), one
 * corpus (the unit's prefix before '/'), or all but one (except set). */
typedef struct {
    const char *split, *corpus;
    int except, table, list;
    int first;  /* score against the first annotator's labels, not LABEL */
    int placed; /* as crawl judges: rows with a placement through caption_judge_placed() */
} selection;

/* Whether the N bytes at WORD are one of LIST's space-separated words. */
static int in_list(const char *word, size_t n, const char *list)
{
    while (*list) {
        size_t k = strcspn(list, " ");
        if (k == n && strncmp(word, list, k) == 0)
            return 1;
        list += k;
        list += strspn(list, " ");
    }
    return 0;
}

/* Whether UNIT's corpus (its prefix before '/') is CORPUS, or one of
 * CORPUS's space-separated names. */
static int in_corpus(const char *unit, const char *corpus)
{
    size_t k = strcspn(unit, "/");
    return unit[k] == '/' && in_list(unit, k, corpus);
}

/* The page corpora added to the set on 2026-12-05 (extract.py --add-pages),
 * printed apart: their held-out rows had not been read by any rule writer. */
#define ADDED_CORPORA "postlight htmldate newspaper4k"
/* The many-site corpus added after them (extract.py --add-sites: one unit
 * per news publisher), printed apart too: its held-out rows were first
 * read with the rules as they stood. */
#define SITE_CORPORA "fundus"

/* A selection's split may name several ("heldout census"). */
static int selected(const row *r, const selection *s)
{
    if (!in_list(r->split, strlen(r->split), s->split))
        return 0;
    return !s->corpus || in_corpus(r->unit, s->corpus) != s->except;
}

/* Where crawl's judge says R's caption comes from: a LAION row is a URL
 * list's row (fetch judges it with CC_PLACE_LIST), a row from a page with
 * a placement.tsv row sits there, and any other row (a string the extractor
 * does not find) is judged on its text alone (NULL). */
static const caption_place *crawl_place(const row *r)
{
    static const caption_place list = {CC_PLACE_LIST, 0, 0, 0};
    if (in_corpus(r->unit, "laion"))
        return &list;
    return r->place_text ? &r->place : NULL;
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
        const row *r = &rows[i];
        const caption_place *pl = sel.placed ? crawl_place(r) : NULL;
        caption_verdict v = pl ? caption_judge_placed(f, r->text, strlen(r->text), pl, NULL)
                               : caption_judge(f, r->text, strlen(r->text), NULL);
        const char *label = sel.first && rows[i].first ? rows[i].first : rows[i].label;
        if (strcmp(label, "ambiguous") == 0) {
            g.ambiguous++;
            continue;
        }
        int lab = caption_reason_parse(label);
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
        if (p != lab && sel.list && show(split, sel.placed)) {
            if (pl && !r->place_text)
                fprintf(stderr, "  %s: expected %-11s got %-11s %s  [%s]  (%s %s)  place=list\n", split, label,
                        caption_reason_name((caption_reason)p), r->text, v.detail, r->unit, r->attr);
            else if (pl)
                fprintf(stderr, "  %s: expected %-11s got %-11s %s  [%s]  (%s %s)  place=%s %dx%d repeats=%d\n", split,
                        label, caption_reason_name((caption_reason)p), r->text, v.detail, r->unit, r->attr,
                        *r->place_text ? r->place_text : "page", r->place.width, r->place.height, r->place.repeats);
            else if (sel.placed)
                fprintf(stderr, "  %s: expected %-11s got %-11s %s  [%s]  (%s %s)  place=none\n", split, label,
                        caption_reason_name((caption_reason)p), r->text, v.detail, r->unit, r->attr);
            else
                fprintf(stderr, "  %s: expected %-11s got %-11s %s  [%s]  (%s)\n", split, label,
                        caption_reason_name((caption_reason)p), r->text, v.detail, r->unit);
        }
    }
    g.prec = rej_pred ? (double)rej_tp / (double)rej_pred : 1.0;
    g.rec = rej_lab ? (double)rej_tp / (double)rej_lab : 1.0;
    g.f1 = g.prec + g.rec > 0 ? 2 * g.prec * g.rec / (g.prec + g.rec) : 0.0;
    g.frr = keep_lab ? (double)false_rej / (double)keep_lab : 0.0;
    g.unsafe_lab = labelled[CAPTION_UNSAFE];
    g.unsafe_rec = g.unsafe_lab ? (double)tp[CAPTION_UNSAFE] / (double)g.unsafe_lab : 1.0;
    g.boilerplate_rec = labelled[CAPTION_BOILERPLATE] ? (double)tp[CAPTION_BOILERPLATE] / (double)labelled[CAPTION_BOILERPLATE] : 1.0;
    long names_lab = labelled[CAPTION_FILENAME] + labelled[CAPTION_URL_OR_PATH] + labelled[CAPTION_CODE_OR_ID];
    long names_tp = tp[CAPTION_FILENAME] + tp[CAPTION_URL_OR_PATH] + tp[CAPTION_CODE_OR_ID];
    g.names_rec = names_lab ? (double)names_tp / (double)names_lab : 1.0;
    char name[96];
    snprintf(name, sizeof name, "%s%s%s%s%s", split, sel.corpus ? (sel.except ? ", all but " : ", ") : "",
             sel.corpus ? sel.corpus : "", sel.first ? ", 1st annotator" : "", sel.placed ? ", crawl" : "");
    if (!sel.table) {
        printf("  %-30s %5ld rows  reject P %.3f R %.3f F1 %.3f  wrongly rejected %5.2f%% (%ld/%ld)  unsafe recall %.3f (%ld)\n",
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* How far SPLIT's reject F1 could move with other units drawn: a cluster
 * bootstrap over source units (a page, a Debian package and language, a
 * LAION host), since rows of one unit are not independent. Draws the units
 * with replacement DRAWS times (a fixed seed) and prints the F1 and the
 * interval holding the middle 95% of the draws; with PLACED as crawl
 * judges. Returns the interval's lower end. */
static double unit_interval(const caption_filter *f, const row *rows, size_t n, const char *split, int placed)
{
    enum { DRAWS = 2000 };
    cc_strmap index = {0};
    long(*c)[3] = NULL; /* per unit: rejected and labelled reject, rejected only, labelled reject only */
    size_t units = 0, cap = 0;
    long tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        if (strcmp(r->split, split) != 0 || caption_reason_parse(r->label) < 0) /* "ambiguous" is no reason */
            continue;
        const caption_place *pl = placed ? crawl_place(r) : NULL;
        caption_verdict v = pl ? caption_judge_placed(f, r->text, strlen(r->text), pl, NULL)
                               : caption_judge(f, r->text, strlen(r->text), NULL);
        int pred = v.code != CAPTION_KEEP, lab = caption_reason_parse(r->label) != CAPTION_KEEP;
        uintptr_t u;
        if (!cc_strmap_get(&index, r->unit, &u)) {
            if (units == cap) {
                cap = cap ? cap * 2 : 256;
                c = xrealloc(c, cap * sizeof *c);
            }
            memset(c[units], 0, sizeof c[units]);
            u = units++;
            cc_strmap_put(&index, r->unit, u);
        }
        c[u][0] += pred && lab;
        c[u][1] += pred && !lab;
        c[u][2] += !pred && lab;
        tp += pred && lab;
        fp += pred && !lab;
        fn += !pred && lab;
    }
    double *f1 = xmalloc(DRAWS * sizeof *f1);
    uint64_t seed = 20261205;
    for (int d = 0; d < DRAWS; d++) {
        long t = 0, p = 0, m = 0;
        for (size_t k = 0; k < units; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t u = (size_t)((seed >> 33) % units);
            t += c[u][0];
            p += c[u][1];
            m += c[u][2];
        }
        f1[d] = t ? 2.0 * (double)t / (double)(2 * t + p + m) : 0.0;
    }
    qsort(f1, DRAWS, sizeof *f1, cmp_double);
    double lo = f1[DRAWS / 40], hi = f1[DRAWS - 1 - DRAWS / 40];
    char name[32];
    snprintf(name, sizeof name, "%s%s", split, placed ? ", crawl" : "");
    printf("  %-16s reject F1 %.3f, 95%% of %d unit draws between %.3f and %.3f (%zu units)\n", name, tp ? 2.0 * (double)tp / (double)(2 * tp + fp + fn) : 0.0, DRAWS, lo, hi, units);
    free(f1);
    free(c);
    cc_strmap_free(&index);
    return lo;
}

static int known_label(const char *label)
{
    return strcmp(label, "ambiguous") == 0 || caption_reason_parse(label) >= 0;
}

/* A label as a class for agreement: its reason, or CAPTION__COUNT for ambiguous;
 * with COARSE only keep / reject / ambiguous. */
static int label_class(const char *label, int coarse)
{
    int r = caption_reason_parse(label);
    if (r < 0)
        return CAPTION__COUNT;
    return coarse ? r != CAPTION_KEEP : r;
}

/* How often the two annotators agree on SPLIT's twice-labelled rows (labels,
 * and keep / reject / ambiguous), as a share and as Cohen's kappa (agreement
 * beyond what the two label distributions give by chance); returns the
 * number of such rows. */
static size_t agreement(const row *rows, size_t n, const char *split)
{
    printf("  %-8s", split);
    for (int coarse = 0; coarse < 2; coarse++) {
        long c1[CAPTION__COUNT + 1] = {0}, c2[CAPTION__COUNT + 1] = {0}, same = 0, m = 0, adjudicated = 0;
        for (size_t i = 0; i < n; i++) {
            if (!rows[i].first || strcmp(rows[i].split, split) != 0)
                continue;
            int a = label_class(rows[i].first, coarse), b = label_class(rows[i].second, coarse);
            c1[a]++;
            c2[b]++;
            same += a == b;
            adjudicated += strcmp(rows[i].first, rows[i].second) != 0;
            m++;
        }
        if (!m) {
            printf(" no row labelled twice\n");
            return 0;
        }
        double po = (double)same / (double)m, pe = 0;
        for (int c = 0; c <= CAPTION__COUNT; c++)
            pe += ((double)c1[c] / (double)m) * ((double)c2[c] / (double)m);
        double kappa = pe < 1 ? (po - pe) / (1 - pe) : 1.0;
        printf(" %s: agree %.3f kappa %.3f;", coarse ? "keep/reject/ambiguous" : "labels", po, kappa);
        if (coarse) {
            printf(" %ld of %ld rows adjudicated\n", adjudicated, m);
            return (size_t)m;
        }
    }
    return 0;
}

/* Appends the rows of PATH (read into FILE, which the rows point into) to
 * ROWS. SPLITS names the splits a row may have ("dev heldout" for the set,
 * "devpool" for the labelled dev pool). */
static void read_rows(const char *path, const char *splits, ccbuf *file, row **rows, size_t *n, size_t *cap)
{
    CHECK(cc_read_file(path, file) == CC_OK, "read %s", path);
    if (!file->data)
        return;
    char *save = NULL;
    for (char *line = strtok_r((char *)file->data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        char *col[7];
        int k = 0;
        col[k++] = line;
        for (char *p = line; *p && k < 7; p++)
            if (*p == '\t') {
                *p = '\0';
                col[k++] = p + 1;
            }
        CHECK(k == 5 || k == 7, "%s: a row needs 5 or 7 tab-separated columns: %s", path, line);
        if (k != 5 && k != 7)
            continue;
        const char *w = strstr(splits, col[0]);
        size_t len = strlen(col[0]);
        CHECK(w && (w[len] == ' ' || w[len] == '\0'), "%s: unknown split '%s'", path, col[0]);
        CHECK(known_label(col[3]), "%s: unknown label '%s'", path, col[3]);
        if (k == 7) {
            CHECK(known_label(col[5]) && known_label(col[6]), "unknown annotator label '%s' / '%s'", col[5], col[6]);
            CHECK(strcmp(col[5], col[6]) != 0 || strcmp(col[5], col[3]) == 0,
                  "both annotators say '%s' but the row's label is '%s': %s", col[5], col[3], col[4]);
        }
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 1024;
            *rows = xrealloc(*rows, *cap * sizeof **rows);
        }
        (*rows)[(*n)++] = (row){col[0], col[1], col[2], col[3], col[4], k == 7 ? col[5] : NULL, k == 7 ? col[6] : NULL,
                                NULL, {0}};
    }
}

static int parse_count(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 1000000000)
        return -1;
    *out = (int)v;
    return 0;
}

/* Attaches placement.tsv's facts (PATH, read into FILE) to ROWS: every line
 * must name a row of the set or the dev pool (unit, attribute and caption),
 * once, with that row's split, a placement in the stored form and numbers
 * for the size and repeats; a stale file fails here. Returns the rows placed. */
static size_t read_placement(const char *path, ccbuf *file, row *rows, size_t n)
{
    CHECK(cc_read_file(path, file) == CC_OK, "read %s", path);
    if (!file->data)
        return 0;
    cc_strmap index = {0};
    ccbuf key = {0};
    for (size_t i = 0; i < n; i++) {
        ccbuf_reset(&key);
        ccbuf_printf(&key, "%s\t%s\t%s", rows[i].unit, rows[i].attr, rows[i].text);
        cc_strmap_put(&index, (const char *)key.data, i);
    }
    size_t placed = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)file->data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        char *col[8];
        int k = 0;
        col[k++] = line;
        for (char *p = line; *p && k < 8; p++)
            if (*p == '\t') {
                *p = '\0';
                col[k++] = p + 1;
            }
        CHECK(k == 8, "%s: a row needs 8 tab-separated columns: %s", path, line);
        if (k != 8)
            continue;
        ccbuf_reset(&key);
        ccbuf_printf(&key, "%s\t%s\t%s", col[1], col[2], col[3]);
        uintptr_t i;
        int known = cc_strmap_get(&index, (const char *)key.data, &i);
        CHECK(known, "%s: no such row in the set, the dev pool or the measurement files: %s %s %s", path, col[1], col[2], col[3]);
        if (!known)
            continue;
        row *r = &rows[i];
        unsigned bits = 0;
        int w = 0, h = 0, rep = 0;
        int ok = cc_place_parse(col[4], &bits) == 0 && parse_count(col[5], &w) == 0 && parse_count(col[6], &h) == 0 &&
                 parse_count(col[7], &rep) == 0;
        CHECK(ok, "%s: bad placement, size or repeats for %s: '%s' %s %s %s", path, col[3], col[4], col[5], col[6],
              col[7]);
        CHECK(strcmp(r->split, col[0]) == 0 && !r->place_text, "%s: %s: split '%s' (the row's is '%s') or a second line",
              path, col[3], col[0], r->split);
        if (!ok || r->place_text)
            continue;
        r->place_text = col[4];
        r->place = (caption_place){bits, w, h, rep};
        placed++;
    }
    ccbuf_free(&key);
    cc_strmap_free(&index);
    return placed;
}

/* How many of SPLIT's rows from pages (every corpus but laion) have a
 * placement; *pages gets how many there are. */
static size_t placed_rows(const row *rows, size_t n, const char *split, size_t *pages)
{
    size_t placed = 0;
    *pages = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].split, split) != 0 || in_corpus(rows[i].unit, "laion"))
            continue;
        (*pages)++;
        placed += rows[i].place_text != NULL;
    }
    return placed;
}

int main(void)
{
    cc_malloc_tune(); /* as clipcrawl does: judging ~100k captions, the heap is not trimmed per caption */
    const char *d = getenv("CLIPCRAWL_TESTS");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/realcaptions/captions-real.tsv", d && *d ? d : "tests");
    ccbuf file = {0}, poolfile = {0};
    row *rows = NULL;
    size_t n = 0, cap = 0;
    read_rows(path, "dev heldout", &file, &rows, &n, &cap);
    if (!file.data)
        return check_summary();
    size_t nset = n; /* rows of the labelled set; the dev pool's follow */
    CHECK(nset >= 2500, "at least 2,500 real captions (%zu)", nset);
    snprintf(path, sizeof path, "%s/data/realcaptions/devpool.tsv", d && *d ? d : "tests");
    read_rows(path, "devpool", &poolfile, &rows, &n, &cap);
    size_t npool = n - nset;
    /* The LAION census: every other LAION row of the held-out hosts
     * (split `census`), a measurement only, never tuned on. */
    ccbuf censusfile = {0};
    snprintf(path, sizeof path, "%s/data/realcaptions/laion-census.tsv", d && *d ? d : "tests");
    read_rows(path, "census", &censusfile, &rows, &n, &cap);
    size_t ncensus = n - nset - npool;
    /* Fresh sites: strings of sites no rule was written from (split
     * `fresh`), with their placement; a measurement only. */
    ccbuf freshfile = {0};
    snprintf(path, sizeof path, "%s/data/realcaptions/fresh-sites.tsv", d && *d ? d : "tests");
    read_rows(path, "fresh", &freshfile, &rows, &n, &cap);
    size_t nfresh = n - nset - npool - ncensus;
    const char **texts = xmalloc((nset + 1) * sizeof *texts);
    for (size_t i = 0; i < nset; i++)
        texts[i] = rows[i].text;
    fuzz_rows(texts, nset);
    free(texts);

    ccbuf placefile = {0};
    snprintf(path, sizeof path, "%s/data/realcaptions/placement.tsv", d && *d ? d : "tests");
    read_placement(path, &placefile, rows, n);
    ccbuf dragnetplacefile = {0};
    snprintf(path, sizeof path, "%s/data/realcaptions/dragnet-placement.tsv", d && *d ? d : "tests");
    read_placement(path, &dragnetplacefile, rows, n);
    size_t fresh_placed = 0;
    for (size_t i = 0; i < n; i++)
        fresh_placed += strcmp(rows[i].split, "fresh") == 0 && rows[i].place_text;

    caption_filter *f = caption_filter_new(NULL);
    figures dv = evaluate(f, rows, n, (selection){"dev", NULL, 0, 1, 1, 0, 0});
    figures h = evaluate(f, rows, n, (selection){"heldout", NULL, 0, 1, 1, 0, 0});
    /* The LAION rows (real alt texts as LAION published them: product and
     * stock titles, porn titles) apart from the rows taken from pages. */
    figures ldv = evaluate(f, rows, n, (selection){"dev", "laion", 0, 1, 0, 0, 0});
    figures lh = evaluate(f, rows, n, (selection){"heldout", "laion", 0, 1, 0, 0, 0});
    /* Pages (every corpus but laion) and the LAION rows, one line each. */
    printf("\nrows from pages vs LAION rows:\n");
    for (int sp = 0; sp < 2; sp++) {
        const char *split = sp ? "heldout" : "dev";
        evaluate(f, rows, n, (selection){split, "laion", 1, 0, 0, 0, 0});
        evaluate(f, rows, n, (selection){split, "laion", 0, 0, 0, 0, 0});
    }
    /* The corpora added later, apart from the first ones (text alone and as
     * crawl judges). */
    static const char *const later[][3] = {{ADDED_CORPORA, "the corpora added on 2026-12-05", " vs the first corpora"},
                                           {SITE_CORPORA, "the many-site corpus added after them", ""}};
    for (int g = 0; g < 2; g++) {
        printf("\nrows from %s (%s)%s:\n", later[g][1], later[g][0], later[g][2]);
        for (int sp = 0; sp < 3; sp++) {
            const char *split = sp == 2 ? "devpool" : sp ? "heldout" : "dev";
            for (int placed = 0; placed < 2; placed++) {
                evaluate(f, rows, n, (selection){split, later[g][0], 0, 0, 0, 0, placed});
                if (g == 0) /* the first corpora: all but the later ones */
                    evaluate(f, rows, n, (selection){split, ADDED_CORPORA " " SITE_CORPORA " dragnet", 1, 0, 0, 0, placed});
            }
        }
    }
    /* The labelled dev pool: every other string of the dev units, labelled
     * once, for tuning (more of the kinds the 25 sampled strings per unit
     * miss). Rules are read against it; it says nothing about held-out. */
    figures pv = {.f1 = 1.0}, pp = {.f1 = 1.0};
    if (npool) {
        pv = evaluate(f, rows, n, (selection){"devpool", NULL, 0, 1, 1, 0, 0});
        printf("\ndev pool, rows from pages vs LAION rows:\n");
        pp = evaluate(f, rows, n, (selection){"devpool", "laion", 1, 0, 0, 0, 0});
        evaluate(f, rows, n, (selection){"devpool", "laion", 0, 0, 0, 0, 0});
    }
    /* As crawl judges: rows with a placement row (where their string sits on
     * its page) through caption_judge_placed(), the rest on text alone. */
    printf("\nas crawl judges (rows from pages with a placement: caption_judge_placed with it; LAION rows: "
           "caption_judge_placed with CC_PLACE_LIST, as fetch judges a URL list's rows; the others on text alone):\n");
    size_t cover[3], pages[3];
    const char *const parts[3] = {"dev", "heldout", "devpool"};
    for (int k = 0; k < 3; k++) {
        cover[k] = placed_rows(rows, n, parts[k], &pages[k]);
        printf("  %-8s %5zu of %5zu rows from pages have a placement\n", parts[k], cover[k], pages[k]);
    }
    figures cdv = evaluate(f, rows, n, (selection){"dev", NULL, 0, 1, 1, 0, 1});
    figures cpv = {.f1 = 1.0};
    if (npool)
        cpv = evaluate(f, rows, n, (selection){"devpool", NULL, 0, 1, 1, 0, 1});
    printf("\ntext alone vs as crawl judges, all rows, rows from pages and LAION rows (as list rows):\n");
    figures lc[3][2] = {{{0}}};
    for (int k = 0; k < 3; k++) {
        if (k == 2 && !npool)
            break;
        for (int placed = 0; placed < 2; placed++)
            evaluate(f, rows, n, (selection){parts[k], NULL, 0, 0, 0, 0, placed});
        for (int placed = 0; placed < 2; placed++)
            evaluate(f, rows, n, (selection){parts[k], "laion", 1, 0, 0, 0, placed});
        for (int placed = 0; placed < 2; placed++)
            lc[k][placed] = evaluate(f, rows, n, (selection){parts[k], "laion", 0, 0, 0, 0, placed});
    }
    /* The LAION census of the held-out hosts (list rows, as fetch judges
     * them), and with the set's held-out LAION rows: every LAION row of
     * those hosts in the parquet, the sensitive-word screen's and the rest. */
    figures cen = {.f1 = 1.0}, cenpop = {.f1 = 1.0}, hcen = h;
    if (ncensus) {
        printf("\nLAION census of the held-out hosts (every LAION row of those hosts the set does not hold; "
               "a measurement, never tuned on), as list rows:\n");
        cen = evaluate(f, rows, n, (selection){"census", NULL, 0, 1, 0, 0, 1});
        printf("\n  the census on text alone; every LAION row of the held-out hosts (the set's and the census's) as list "
               "rows; the held-out part and the census together on text alone (the unsafe goal's larger sample):\n");
        evaluate(f, rows, n, (selection){"census", NULL, 0, 0, 0, 0, 0});
        cenpop = evaluate(f, rows, n, (selection){"heldout census", "laion", 0, 0, 0, 0, 1});
        hcen = evaluate(f, rows, n, (selection){"heldout census", NULL, 0, 0, 0, 0, 0});
    }
    /* Fresh sites (dragnet pages of 2012, the held-out side's sites): text
     * alone and as crawl judges, each string with its own placement. */
    figures fr = {.f1 = 1.0}, frc = {.f1 = 1.0};
    if (nfresh) {
        printf("\nfresh sites (news and blog pages of sites no rule was written from; a measurement, never tuned on; "
               "%zu of %zu rows with a placement):\n", fresh_placed, nfresh);
        fr = evaluate(f, rows, n, (selection){"fresh", NULL, 0, 1, 0, 0, 0});
        frc = evaluate(f, rows, n, (selection){"fresh", NULL, 0, 1, 0, 0, 1});
        printf("\n");
        for (int placed = 0; placed < 2; placed++)
            unit_interval(f, rows, n, "fresh", placed);
        printf("  the same pages' dev-side sites (in the labelled dev pool, tuned on):\n");
        for (int placed = 0; placed < 2; placed++)
            evaluate(f, rows, n, (selection){"devpool", "dragnet", 0, 0, 0, 0, placed});
    }
    /* Where the rows were labelled twice: how far the two annotators agree, and
     * the figures against the first annotator's labels alone. */
    printf("\nannotator agreement (rows labelled twice):\n");
    figures dv1 = dv, h1 = h;
    if (agreement(rows, n, "dev") + agreement(rows, n, "heldout") + (ncensus ? agreement(rows, n, "census") : 0) +
            (nfresh ? agreement(rows, n, "fresh") : 0) > 0) {
        printf("figures against the first annotator's labels alone:\n");
        dv1 = evaluate(f, rows, n, (selection){"dev", NULL, 0, 0, 0, 1, 0});
        h1 = evaluate(f, rows, n, (selection){"heldout", NULL, 0, 0, 0, 1, 0});
    }
    /* How much of a figure is the luck of which units were drawn. */
    printf("\nreject F1 with a cluster bootstrap over units:\n");
    for (int k = 0; k < 2; k++)
        for (int placed = 0; placed < 2; placed++)
            unit_interval(f, rows, n, parts[k], placed);
    size_t held = 0;
    for (size_t i = 0; i < nset; i++)
        held += strcmp(rows[i].split, "heldout") == 0;
    CHECK(held * 10 >= nset * 4, "held-out part is >= 40%% of the rows (%zu of %zu)", held, nset);
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
                 {"unsafe recall >= 0.90 with the LAION census", ncensus && hcen.unsafe_rec >= 0.90},
                 {"every ISBN-labelled caption rejected as isbn", h.isbn_missed == 0}};
    printf("\nheld-out goals:\n");
    for (size_t i = 0; i < sizeof goals / sizeof goals[0]; i++) {
        printf("  %-48s %s\n", goals[i].what, goals[i].met ? "met" : "NOT MET");
        if (strict)
            CHECK(goals[i].met, "held-out goal: %s", goals[i].what);
    }
    /* Floors: the figures reached, against the final labels and against the
     * first annotator's alone (which the rules were first written for). The
     * dev, held-out and dev-pool floors were lowered when the corpora added
     * on 2026-12-05 joined the set and the pool, again when the
     * many-site corpus (fundus) did, and again when the dragnet pages'
     * dev-side sites joined the pool (their rows score lower; see the
     * README). */
    CHECK(dv.f1 >= 0.959, "dev reject F1 %.3f >= 0.959 (regression floor)", dv.f1);
    CHECK(h.f1 >= 0.898, "held-out reject F1 %.3f >= 0.898 (regression floor)", h.f1);
    CHECK(dv1.f1 >= 0.96 && h1.f1 >= 0.90, "first annotator's labels: reject F1 dev %.3f >= 0.96, held-out %.3f >= 0.90",
          dv1.f1, h1.f1);
    CHECK(ldv.f1 >= 0.94 && lh.f1 >= 0.75, "LAION rows: reject F1 dev %.3f >= 0.94, held-out %.3f >= 0.75", ldv.f1,
          lh.f1);
    CHECK(pv.f1 >= 0.912, "labelled dev pool: reject F1 %.3f >= 0.912 (regression floor)", pv.f1);
    CHECK(pp.f1 >= 0.912, "labelled dev pool, rows from pages: reject F1 %.3f >= 0.912 (regression floor)", pp.f1);
    CHECK(!npool || pv.boilerplate_rec >= 0.56, "labelled dev pool: boilerplate recall %.3f >= 0.56 (regression floor)",
          pv.boilerplate_rec);
    CHECK(pv.names_rec >= 0.91, "labelled dev pool: filename, url_or_path and code_or_id recall %.3f >= 0.91 (regression floor)",
          pv.names_rec);
    CHECK(h.frr <= 0.02, "held-out good captions wrongly rejected %.2f%% <= 2%%", 100.0 * h.frr);
    CHECK(dv.boilerplate_rec >= 0.815, "dev boilerplate recall %.3f >= 0.815 (regression floor)", dv.boilerplate_rec);
    CHECK(dv.frr <= 0.01, "dev good captions wrongly rejected %.2f%% <= 1%%", 100.0 * dv.frr);
    CHECK(h.unsafe_rec >= 0.75 && dv.unsafe_rec >= 0.96, "unsafe recall held-out %.3f >= 0.75, dev %.3f >= 0.96",
          h.unsafe_rec, dv.unsafe_rec);
    CHECK(h.isbn_missed == 0 && dv.isbn_missed == 0, "ISBN-labelled captions not rejected as isbn");
    CHECK(!npool || pv.unsafe_rec >= 0.83, "labelled dev pool: unsafe recall %.3f >= 0.83 (regression floor)",
          pv.unsafe_rec);
    /* placement.tsv covers the rows from pages the extractor finds (about 85%;
     * DocBook figure titles and images it does not take are not found). */
    CHECK(cover[0] * 10 >= pages[0] * 8 && cover[2] * 10 >= pages[2] * 8,
          "placement.tsv: dev %zu of %zu, dev pool %zu of %zu rows from pages placed (>= 80%%)", cover[0], pages[0],
          cover[2], pages[2]);
    /* The placement rule may only add rejections the labels bear out: as crawl
     * judges, dev keeps its text-only floors. */
    CHECK(cdv.f1 >= 0.973 && cdv.frr <= 0.01, "dev as crawl judges: reject F1 %.3f >= 0.973, wrongly rejected %.2f%% <= 1%%",
          cdv.f1, 100.0 * cdv.frr);
    CHECK(cpv.f1 >= 0.941, "labelled dev pool as crawl judges: reject F1 %.3f >= 0.941", cpv.f1);
    CHECK(!npool || cpv.boilerplate_rec >= 0.70, "labelled dev pool as crawl judges: boilerplate recall %.3f >= 0.70",
          cpv.boilerplate_rec);
    /* LAION rows as fetch judges them (list rows: the picture is the
     * caption's subject) */
    CHECK(lc[0][1].f1 >= 0.98, "dev LAION rows as list rows: reject F1 %.3f >= 0.98", lc[0][1].f1);
    CHECK(!npool || (lc[2][1].f1 >= 0.96 && lc[2][1].prec >= 0.98),
          "labelled dev pool LAION rows as list rows: reject F1 %.3f >= 0.96, precision %.3f >= 0.98", lc[2][1].f1,
          lc[2][1].prec);
    /* The LAION census (read first after the tenth pass): floors at the
     * figures reached, as for held-out. */
    CHECK(ncensus >= 4000, "laion-census.tsv holds the census (%zu rows)", ncensus);
    CHECK(cen.f1 >= 0.87 && cen.frr <= 0.005, "LAION census as list rows: reject F1 %.3f >= 0.87, wrongly rejected %.2f%% <= 0.5%%",
          cen.f1, 100.0 * cen.frr);
    CHECK(cenpop.f1 >= 0.86, "held-out hosts' LAION rows with the census, as list rows: reject F1 %.3f >= 0.86", cenpop.f1);
    CHECK(hcen.unsafe_rec >= 0.73, "unsafe recall, held-out with the LAION census: %.3f >= 0.73 (regression floor)",
          hcen.unsafe_rec);
    /* Fresh sites (read once, after the tenth pass): floors at the figures
     * reached. */
    CHECK(nfresh >= 1000 && fresh_placed == nfresh, "fresh-sites.tsv: %zu rows, %zu with a placement", nfresh,
          fresh_placed);
    CHECK(fr.f1 >= 0.86 && frc.f1 >= 0.90, "fresh sites: reject F1 text alone %.3f >= 0.86, as crawl judges %.3f >= 0.90",
          fr.f1, frc.f1);
    CHECK(fr.frr <= 0.045 && frc.frr <= 0.055,
          "fresh sites: good captions wrongly rejected %.2f%% <= 4.5%% text alone, %.2f%% <= 5.5%% as crawl judges",
          100.0 * fr.frr, 100.0 * frc.frr);
    caption_filter_free(f);
    free(rows);
    ccbuf_free(&file);
    ccbuf_free(&poolfile);
    ccbuf_free(&censusfile);
    ccbuf_free(&freshfile);
    ccbuf_free(&dragnetplacefile);
    ccbuf_free(&placefile);
    return check_summary();
}
