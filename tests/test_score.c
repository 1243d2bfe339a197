/* test_score.c — `score` and `fetch --model --min-clip-score` against `embed`.
 *
 * A dataset is fetched (nginx on 127.0.0.1) from the reference test images,
 * stored as downloaded (--keep-original), so the stored image is the file
 * itself and `embed` on that file must give the very cosine `score` stored.
 * Then: a rerun scores nothing new; inline scoring with a threshold keeps
 * exactly the pairs at or above it; a bad model directory is one clear error. */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "half.h"
#include "json.h"
#include "testutil.h"

static const char *const images[] = {"exact_224x224.png", "rgb_landscape_320x240.png", "rgb_portrait_200x300.jpg",
                                     "gray_256x256.png", "rgba_wide_500x180.png", "palette_150x100.png"};
static const char *const captions[] = {"a test card with colour bars", "a landscape photo of a field at noon",
                                       "a portrait of a person in a garden", "a grey gradient on a wall",
                                       "a red banner over a wide street", "a palette of six bright colours"};
#define N_IMAGES 6

static json_value *parse_out(tu_output *o)
{
    char err[128];
    const char *s = tu_str(&o->out);
    json_value *j = json_parse(s, strlen(s), err, sizeof err);
    CHECK(j != NULL, "output is not JSON (%s): %s / %s", err, s, tu_str(&o->err));
    return j;
}

/* Runs fetch of list into dir with extra arguments (NULL-terminated). */
static void fetch(const char *list, const char *dir, const char *a1, const char *a2, const char *a3, const char *a4)
{
    tu_output o;
    tu_run_clipcrawl(&o, "fetch", list, "-o", dir, "--allow-private", "-q", "--keep-original", "--min-bytes", "1",
                     "--min-image-size", "1", "--no-caption-filter", a1, a2, a3, a4,
                     (const char *)NULL);
    CHECK(o.status == 0, "fetch exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
}

/* `classify` against `embed`: each line's probabilities are the softmax of
 * logit_scale * cosine that embed's own embeddings give; an unreadable image
 * in the middle (across a batch boundary) gets its error line and exit 1,
 * and the images after it are still classified. `embed` with an unreadable
 * image fails with one line naming it. */
static void test_classify(const char *model, const char *site)
{
    static const char *const labels[] = {"card", "field", "wall"};
    char *files[4];
    for (int i = 0; i < 3; i++)
        files[i] = xasprintf("%s/%s", site, images[i]);
    files[3] = xasprintf("%s/%s", site, images[3]);
    char *broken = xasprintf("%s/broken.png", site);
    tu_write_file(broken, "not a png", 9);
    tu_output o;
    tu_run_clipcrawl(&o, "embed", "--model", model, "--image", files[0], "--image", files[1], "--image", files[2],
                     "--image", files[3], "--text", "a photo of a card", "--text", "a photo of a field", "--text",
                     "a photo of a wall", (const char *)NULL);
    CHECK(o.status == 0, "embed exit %d: %s", o.status, tu_str(&o.err));
    json_value *e = parse_out(&o);
    double scale = json_get_number(json_get(e, "model"), "logit_scale", 0);
    CHECK(scale > 0, "embed gives the logit scale");
    tu_output_free(&o);
    tu_run_clipcrawl(&o, "classify", "--model", model, "--labels", "card, field,wall", "--batch", "2", files[0],
                     files[1], broken, files[2], files[3], (const char *)NULL);
    CHECK(o.status == 1, "classify with an unreadable image: exit %d", o.status);
    CHECK(strstr(tu_str(&o.err), "broken.png") != NULL, "classify names the unreadable image: %s", tu_str(&o.err));
    const char *line = tu_str(&o.out);
    for (int i = 0; i < 5; i++) {
        const char *nl = strchr(line, '\n');
        CHECK(nl != NULL, "classify line %d missing", i);
        if (!nl)
            break;
        char perr[128];
        json_value *c = json_parse(line, (size_t)(nl - line), perr, sizeof perr);
        CHECK(c != NULL, "classify line %d is not JSON (%s)", i, perr);
        line = nl + 1;
        if (!c)
            continue;
        if (i == 2) {
            CHECK(json_get_string(c, "error", NULL) && !json_get(c, "label"), "line 3 is the unreadable image's error");
            json_free(c);
            continue;
        }
        int img = i < 2 ? i : i - 1;
        const json_value *sims = json_at(json_get(e, "similarity"), (size_t)img);
        double z[3], mx = -1e300, sum = 0;
        int best = 0;
        for (int k = 0; k < 3; k++) {
            const json_value *v = json_at(sims, (size_t)k);
            z[k] = scale * (v ? v->number : NAN);
            if (z[k] > mx)
                mx = z[k], best = k;
        }
        for (int k = 0; k < 3; k++)
            sum += (z[k] = exp(z[k] - mx));
        const char *label = json_get_string(c, "label", "");
        CHECK(strcmp(label, labels[best]) == 0, "image %d: label %s, embed says %s", img, label, labels[best]);
        const json_value *probs = json_get(c, "probs");
        for (int k = 0; k < 3; k++) {
            double got = json_get_number(probs, labels[k], -1);
            CHECK(fabs(got - z[k] / sum) < 1e-4, "image %d label %s: prob %.6f, from embed %.6f", img, labels[k], got,
                  z[k] / sum);
        }
        json_free(c);
    }
    CHECK(*line == 0, "classify wrote more than 5 lines");
    tu_output_free(&o);
    json_free(e);
    tu_run_clipcrawl(&o, "embed", "--model", model, "--image", files[0], "--image", broken, "--text", "x",
                     (const char *)NULL);
    CHECK(o.status == 1 && o.out.len == 0 && strstr(tu_str(&o.err), "broken.png"),
          "embed with an unreadable image: exit %d, %zu bytes out: %s", o.status, o.out.len, tu_str(&o.err));
    tu_output_free(&o);
    unlink(broken);
    free(broken);
    for (int i = 0; i < 4; i++)
        free(files[i]);
}

int main(void)
{
    const char *testdata = getenv("CLIPCRAWL_TESTDATA");
    if (!testdata)
        testdata = "tests/data";
    char *work = tu_mkdtemp("score");
    char *site = xasprintf("%s/site", work), *model = xasprintf("%s/model", work);
    cc_mkdirs(site, 0755);
    cc_mkdirs(model, 0755);
    chmod(work, 0755); /* nginx workers read the site as another user */
    for (int i = 0; i < N_IMAGES; i++) {
        char *src = xasprintf("%s/clipref/fixtures/images/%s", testdata, images[i]);
        size_t n;
        char *data = tu_read_file(src, &n);
        CHECK(data != NULL, "cannot read %s", src);
        char *dst = xasprintf("%s/%s", site, images[i]);
        if (data)
            tu_write_file(dst, data, n);
        free(data), free(src), free(dst);
    }
    const char *model_files[][2] = {{"clipref/fixtures/models/tiny-b32/model.safetensors", "model.safetensors"},
                                    {"clipref/fixtures/models/tiny-b32/config.json", "config.json"},
                                    {"clipref/vocab.json", "vocab.json"},
                                    {"clipref/merges.txt", "merges.txt"}};
    for (size_t i = 0; i < 4; i++) {
        char *src = xasprintf("%s/%s", testdata, model_files[i][0]), *dst = xasprintf("%s/%s", model, model_files[i][1]);
        char *abs = realpath(src, NULL);
        CHECK(abs && symlink(abs, dst) == 0, "link %s", src);
        free(abs), free(src), free(dst);
    }

    tu_server *srv = tu_nginx_start(site);
    CHECK(srv != NULL, "nginx did not start");
    if (!srv)
        return check_summary();
    ccbuf list = {0};
    ccbuf_puts(&list, "url\tcaption\n");
    for (int i = 0; i < N_IMAGES; i++)
        ccbuf_printf(&list, "%s/%s\t%s\n", tu_server_base(srv), images[i], captions[i]);
    char *list_path = xasprintf("%s/list.tsv", work);
    tu_write_file(list_path, list.data, list.len);

    /* 1. score, then compare every stored score with `embed` on the same file */
    char *dir = xasprintf("%s/ds", work);
    fetch(list_path, dir, NULL, NULL, NULL, NULL);
    tu_output o;
    tu_run_clipcrawl(&o, "score", dir, "--model", model, "-q", (const char *)NULL);
    CHECK(o.status == 0, "score exit %d: %s", o.status, tu_str(&o.err));
    json_value *j = parse_out(&o);
    CHECK(json_get_number(j, "scored", -1) == N_IMAGES, "scored %g", json_get_number(j, "scored", -1));
    json_free(j);
    tu_output_free(&o);

    char *db_path = xasprintf("%s/index.sqlite", dir);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "open index");
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db,
                       "SELECT i.url, i.caption, s.score, s.image_emb, s.text_emb FROM items i JOIN clip_scores s "
                       "USING (key) ORDER BY s.score",
                       -1, &st, NULL);
    double scores[N_IMAGES];
    int n = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW && n < N_IMAGES) {
        const char *url = (const char *)sqlite3_column_text(st, 0);
        const char *caption = (const char *)sqlite3_column_text(st, 1);
        double stored = sqlite3_column_double(st, 2);
        const uint16_t *ie = sqlite3_column_blob(st, 3);
        int ie_bytes = sqlite3_column_bytes(st, 3);
        scores[n++] = stored;
        char *file = xasprintf("%s/%s", site, strrchr(url, '/') + 1);
        tu_run_clipcrawl(&o, "embed", "--model", model, "--image", file, "--text", caption, (const char *)NULL);
        CHECK(o.status == 0, "embed exit %d: %s", o.status, tu_str(&o.err));
        json_value *e = parse_out(&o);
        const json_value *sim = json_at(json_at(json_get(e, "similarity"), 0), 0);
        CHECK(sim && fabs(sim->number - stored) < 1e-5, "%s: stored score %.7f, embed %.7f", file, stored,
              sim ? sim->number : NAN);
        const json_value *emb = json_get(json_at(json_get(e, "images"), 0), "embedding");
        CHECK(emb && (int)emb->len * 2 == ie_bytes, "embedding size %d bytes", ie_bytes);
        double worst = 0;
        for (size_t k = 0; emb && ie && k < emb->len && (int)k * 2 < ie_bytes; k++) {
            uint16_t h;
            memcpy(&h, (const unsigned char *)ie + 2 * k, 2);
            double d = fabs(cc_f16_to_f32(h) - json_at(emb, k)->number);
            worst = d > worst ? d : worst;
        }
        CHECK(worst < 1e-3, "%s: stored F16 image embedding off by %g", file, worst);
        json_free(e);
        tu_output_free(&o);
        free(file);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK_EQ_INT(n, N_IMAGES);

    test_classify(model, site);

    /* 2. resumable: nothing left to score */
    tu_run_clipcrawl(&o, "score", dir, "--model", model, "-q", (const char *)NULL);
    j = parse_out(&o);
    CHECK(json_get_number(j, "scored", -1) == 0, "rerun scored %g", json_get_number(j, "scored", -1));
    json_free(j);
    tu_output_free(&o);

    /* 3. inline: --min-clip-score T keeps exactly the pairs scoring >= T */
    double threshold = (scores[2] + scores[3]) / 2; /* between the 3rd and 4th lowest */
    char thr[32];
    snprintf(thr, sizeof thr, "%.9f", threshold);
    char *dir2 = xasprintf("%s/ds2", work);
    fetch(list_path, dir2, "--model", model, "--min-clip-score", thr);
    char *db2_path = xasprintf("%s/index.sqlite", dir2);
    CHECK(sqlite3_open_v2(db2_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "open index 2");
    int accepted = 0, low = 0;
    sqlite3_prepare_v2(db, "SELECT status, reason FROM items", -1, &st, NULL);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        const char *status = (const char *)sqlite3_column_text(st, 0);
        const char *reason = (const char *)sqlite3_column_text(st, 1);
        accepted += strcmp(status, "accepted") == 0;
        low += reason && strcmp(reason, "low_clip_score") == 0;
    }
    sqlite3_finalize(st);
    CHECK(accepted == 3 && low == 3, "threshold %.6f: %d accepted, %d low_clip_score", threshold, accepted, low);
    sqlite3_prepare_v2(db, "SELECT count(*) FROM clip_scores", -1, &st, NULL);
    CHECK(st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 3, "inline scores stored");
    sqlite3_finalize(st);
    sqlite3_close(db);
    tu_run_clipcrawl(&o, "cat", dir2, "000000000", "--member", "json", (const char *)NULL);
    j = parse_out(&o);
    CHECK(json_get_number(j, "clip_score", -9) >= threshold, "KEY.json clip_score %g", json_get_number(j, "clip_score", -9));
    json_free(j);
    tu_output_free(&o);

    /* 4. a bad model directory: exit 1, one line naming it */
    tu_run_clipcrawl(&o, "score", dir, "--model", "/nonexistent/model", "-q", (const char *)NULL);
    CHECK(o.status == 1 && strstr(tu_str(&o.err), "/nonexistent/model"), "bad model: exit %d: %s", o.status,
          tu_str(&o.err));
    tu_output_free(&o);

    tu_server_stop(srv);
    ccbuf_free(&list);
    tu_rm_rf(work);
    free(work), free(site), free(model), free(list_path), free(dir), free(dir2), free(db_path), free(db2_path);
    return check_summary();
}
