/* cmd-score.c — `clipcrawl score DIR --model M`: CLIP-scores every accepted
 * sample that has no score for this model yet. Stores the cosine, and both
 * embeddings as IEEE half floats, in clip_scores (002-clip.sql). Resumable:
 * a killed run loses at most the batch in progress. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clip-cli.h"
#include "commands.h"
#include "common.h"
#include "dataset.h"
#include "image.h"
#include "preprocess.h"

static volatile sig_atomic_t score_stop;
static void score_on_signal(int sig)
{
    (void)sig;
    score_stop = 1;
}

/* float → IEEE 754 binary16, round to nearest even (embeddings are in [-1,1],
 * but the conversion is complete: overflow → inf, tiny → subnormal/zero). */
static uint16_t float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t mant = x & 0x7FFFFFu;
    int exp = (int)((x >> 23) & 0xFF);
    if (exp == 0xFF)
        return (uint16_t)(sign | 0x7C00u | (mant ? 0x200u : 0));
    int e = exp - 127 + 15;
    if (e >= 0x1F)
        return (uint16_t)(sign | 0x7C00u);
    if (e <= 0) {
        if (e < -10)
            return (uint16_t)sign;
        mant |= 0x800000u;
        int shift = 14 - e;
        uint32_t half = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = (uint32_t)e << 10 | mant >> 13;
    uint32_t rem = mant & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1)))
        half++; /* may carry into the exponent, which is the right answer */
    return (uint16_t)(sign | half);
}

static void to_half_le(const float *v, int n, unsigned char *out)
{
    for (int i = 0; i < n; i++) {
        uint16_t h = float_to_half(v[i]);
        out[2 * i] = (unsigned char)(h & 0xFF);
        out[2 * i + 1] = (unsigned char)(h >> 8);
    }
}

/* Registers (model_id, precision) in clip_models; returns its row id or -1. */
static int64_t model_row(sqlite3 *db, const clip_model *m, clip_precision prec)
{
    const clip_config *c = clip_model_config(m);
    char config[512];
    snprintf(config, sizeof config,
             "{\"embed_dim\":%d,\"image_size\":%d,\"patch_size\":%d,\"vision_width\":%d,\"vision_layers\":%d,"
             "\"text_width\":%d,\"text_layers\":%d,\"activation\":\"%s\",\"source\":\"%s\"}",
             c->embed_dim, c->image_size, c->patch_size, c->vision_width, c->vision_layers, c->text_width,
             c->text_layers, c->act == CLIP_ACT_GELU ? "gelu" : "quick_gelu", clip_model_config_source(m));
    sqlite3_stmt *st = NULL;
    int64_t id = -1;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO clip_models(model_id, precision, path, config, embed_dim, logit_scale, added_at) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(model_id, precision) DO NOTHING",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, clip_model_id(m), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, clip_precision_name(prec), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, clip_model_weights_path(m), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, config, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, c->embed_dim);
    sqlite3_bind_double(st, 6, (double)clip_model_logit_scale(m));
    sqlite3_bind_double(st, 7, cc_wallclock());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return -1;
    if (sqlite3_prepare_v2(db, "SELECT id FROM clip_models WHERE model_id = ?1 AND precision = ?2", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, clip_model_id(m), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, clip_precision_name(prec), -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

typedef struct {
    char key[10];
    int ok;         /* image decoded; otherwise the sample is skipped with a warning */
} batch_slot;

int cmd_score(int argc, char **argv)
{
    if (cli_wants_help("score", argc, argv))
        return EXIT_OK;
    clip_cli_opts o;
    clip_cli_opts_init(&o);
    const char *dir = NULL;
    long limit = -1;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        int r = clip_cli_opt("score", &o, argc, argv, &i);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
            if (cli_parse_long(argv[++i], 1, 1L << 40, &limit) != 0)
                return cli_usage_error("score", "--limit needs a positive number, got '%s'", argv[i]);
        } else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-') {
            return cli_usage_error("score", "unknown option '%s'", argv[i]);
        } else if (!dir) {
            dir = argv[i];
        } else {
            return cli_usage_error("score", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!dir)
        return cli_usage_error("score", "missing DIR");
    if (!o.model && !getenv("CLIPCRAWL_MODEL"))
        return cli_usage_error("score", "missing --model M (or CLIPCRAWL_MODEL)");

    clip_model *m = NULL;
    clip_tokenizer *tok = NULL;
    if (clip_cli_load("score", &o, 1, &m, &tok) != 0)
        return EXIT_FAIL;
    char err[512];
    dataset *ds = dataset_open(dir, NULL, err, sizeof err);
    if (!ds) {
        clip_model_free(m);
        clip_tokenizer_free(tok);
        return cli_fail("score", "%s", err);
    }
    sqlite3 *db = dataset_db(ds);
    int status = EXIT_OK;
    int64_t model_id = model_row(db, m, o.precision);
    if (model_id < 0) {
        status = cli_fail("score", "%s: cannot register the model: %s", dir, sqlite3_errmsg(db));
        dataset_close(ds, 0, NULL, 0);
        clip_model_free(m);
        clip_tokenizer_free(tok);
        return status;
    }
    dataset_run_begin(ds, "score", clip_model_weights_path(m));

    const clip_config *c = clip_model_config(m);
    const int S = c->image_size, E = c->embed_dim, C = c->context_length;
    const int B = o.batch > 0 ? o.batch : 32;
    const size_t img_floats = (size_t)3 * S * S;
    clip_state *state = clip_state_new(m, B);
    clip_state_set_threads(state, o.threads);
    float *px = xmalloc((size_t)B * img_floats * sizeof(float));
    float *ie = xmalloc((size_t)B * E * sizeof(float)), *te = xmalloc((size_t)B * E * sizeof(float));
    int32_t *ids = xcalloc((size_t)B * C, sizeof *ids);
    int *eot = xcalloc((size_t)B, sizeof *eot);
    batch_slot *slots = xcalloc((size_t)B, sizeof *slots);
    unsigned char *half_i = xmalloc((size_t)E * 2), *half_t = xmalloc((size_t)E * 2);
    ccbuf image = {0};
    ccbuf where = {0}, unscorable = {0};
    int64_t scored = 0, skipped = 0;
    double t0 = cc_now(), last = t0;
    double score_sum = 0;
    int tty = isatty(STDERR_FILENO);

    sqlite3_stmt *ins = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO clip_scores(key, model, score, image_emb, text_emb, scored_at) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &ins, NULL) != SQLITE_OK) {
        status = cli_fail("score", "%s: %s", dir, sqlite3_errmsg(db));
        goto out;
    }
    /* Samples whose image cannot be decoded get no row (a score must be a
     * cosine); this run excludes them by key so they are not met again. */
    ccbuf_printf(&where, "items.key NOT IN (SELECT key FROM clip_scores WHERE model = %lld)", (long long)model_id);
    signal(SIGINT, score_on_signal);
    signal(SIGTERM, score_on_signal);

    for (;;) {
        /* A fresh iterator per batch: the rows just scored drop out of the
         * WHERE, and no read statement stays open across the commit. */
        dataset_iter *it = dataset_iter_new(ds, (const char *)where.data);
        dataset_location loc;
        const char *url, *caption;
        int n = 0, r = 0;
        while (n < B && (limit < 0 || scored + skipped + n < limit) && (r = dataset_iter_next(it, &loc, &url, &caption)) == 1) {
            batch_slot *sl = &slots[n];
            memcpy(sl->key, loc.key, sizeof sl->key);
            clip_cli_tokens(tok, caption ? caption : "", C, ids + (size_t)n * C, &eot[n]);
            sl->ok = 0;
            img_image im = {0};
            if (dataset_read_member(ds, loc.key, "image", &image) == CC_OK &&
                img_decode_native(image.data, image.len, 89478484, &im, err, sizeof err) == CC_OK &&
                clip_preprocess(&im, S, NULL, NULL, px + (size_t)n * img_floats, NULL, err, sizeof err) == 0) {
                sl->ok = 1;
            } else {
                cc_log(CC_LOG_WARN, "%s: sample %s: cannot score its image: %s", dir, loc.key,
                       dataset_errmsg(ds)[0] ? dataset_errmsg(ds) : err);
            }
            img_image_free(&im);
            n++;
        }
        dataset_iter_free(it);
        if (r < 0) {
            status = cli_fail("score", "%s", dataset_errmsg(ds));
            break;
        }
        if (n == 0)
            break;
        int good = 0;
        for (int k = 0; k < n; k++) {
            if (!slots[k].ok)
                continue;
            if (good != k) {
                memcpy(px + (size_t)good * img_floats, px + (size_t)k * img_floats, img_floats * sizeof(float));
                memcpy(ids + (size_t)good * C, ids + (size_t)k * C, (size_t)C * sizeof *ids);
                eot[good] = eot[k];
            }
            good++;
        }
        if (good > 0 && (clip_encode_images(state, px, good, ie) != 0 ||
                         clip_encode_texts(state, ids, eot, good, te) != 0)) {
            status = cli_fail("score", "%s", clip_state_errmsg(state));
            break;
        }
        clip_l2_normalize(ie, good, E);
        clip_l2_normalize(te, good, E);
        int g = 0;
        for (int k = 0; k < n; k++) {
            sqlite3_reset(ins);
            sqlite3_bind_text(ins, 1, slots[k].key, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(ins, 2, model_id);
            if (slots[k].ok) {
                float s = clip_dot(ie + (size_t)g * E, te + (size_t)g * E, E);
                to_half_le(ie + (size_t)g * E, E, half_i);
                to_half_le(te + (size_t)g * E, E, half_t);
                sqlite3_bind_double(ins, 3, (double)s);
                sqlite3_bind_blob(ins, 4, half_i, E * 2, SQLITE_TRANSIENT);
                sqlite3_bind_blob(ins, 5, half_t, E * 2, SQLITE_TRANSIENT);
                score_sum += s;
                scored++;
                g++;
            } else {
                ccbuf_printf(&unscorable, "%s'%s'", unscorable.len ? "," : "", slots[k].key);
                skipped++;
                continue;
            }
            sqlite3_bind_double(ins, 6, cc_wallclock());
            if (sqlite3_step(ins) != SQLITE_DONE) {
                status = cli_fail("score", "%s: %s", dir, sqlite3_errmsg(db));
                goto out;
            }
        }
        if (unscorable.len) {
            ccbuf_reset(&where);
            ccbuf_printf(&where, "items.key NOT IN (SELECT key FROM clip_scores WHERE model = %lld) AND items.key NOT IN (%s)",
                         (long long)model_id, (const char *)unscorable.data);
        }
        if (dataset_flush(ds) != CC_OK) {
            status = cli_fail("score", "%s", dataset_errmsg(ds));
            break;
        }
        double now = cc_now();
        if (!quiet && now - last >= (tty ? 0.5 : 10.0)) {
            last = now;
            fprintf(stderr, "%s%lld scored (%.1f/s)%s", tty ? "\r" : "", (long long)scored,
                    (double)scored / (now - t0), tty ? "   " : "\n");
        }
        if (score_stop)
            break;
    }
out:
    sqlite3_finalize(ins);
    {
        double secs = cc_now() - t0;
        char counts[256];
        snprintf(counts, sizeof counts, "{\"scored\":%lld,\"unscorable\":%lld}", (long long)scored,
                 (long long)skipped);
        dataset_run_end(ds, counts);
        if (!quiet && tty)
            fputc('\n', stderr);
        printf("{\"scored\":%lld,\"unscorable\":%lld,\"model\":\"%s\",\"precision\":\"%s\",\"mean_score\":%.6f,"
               "\"seconds\":%.3f,\"per_second\":%.2f}\n",
               (long long)scored, (long long)skipped, clip_model_id(m), clip_precision_name(o.precision),
               scored ? score_sum / (double)scored : 0.0, secs, secs > 0 ? (double)scored / secs : 0.0);
    }
    if (dataset_close(ds, 0, err, sizeof err) != CC_OK && status == EXIT_OK)
        status = cli_fail("score", "%s", err);
    ccbuf_free(&image);
    ccbuf_free(&where);
    ccbuf_free(&unscorable);
    free(px), free(ie), free(te), free(ids), free(eot), free(slots), free(half_i), free(half_t);
    clip_state_free(state);
    clip_model_free(m);
    clip_tokenizer_free(tok);
    if (score_stop && status == EXIT_OK)
        status = EXIT_FAIL;
    return status;
}
