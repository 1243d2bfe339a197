/* images.c — download results → judged, resized, encoded samples (see images.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "clip-store.h"
#include "dataset_emb.h"
#include "phash.h"
#include "images.h"
#include "judge.h"
#include "preprocess.h"
#include "safety.h"
#include "tokenizer.h"

struct pipeline_item {
    pipeline_item *next;              /* finished-queue link */
    int64_t input_id, row_no;
    char *url, *caption, *page_url, *caption_source;
    char *image_source;               /* crawl: which candidate this URL is (KEY.json image_source) */
    dataset_place place;              /* where the caption came from (page placement, list); placement owned */
    char *caption_raw;                /* before normalisation; NULL when not judged */
    char *caption_detail;             /* the caption rule's note */
    char language[16];
    int has_phash;
    uint64_t phash;
    char duplicate_of[10];
    int has_clip;
    float clip_score;
    const char *nsfw;                 /* safety tag (static string), NULL = not tagged */
    float *clip_emb;                  /* image then text embedding, 2 x embed_dim, normalised */
    /* from the download */
    long http_status;
    char *mime;
    ccbuf body;
    /* the worker's verdict */
    dataset_status status;
    char *reason;                     /* short code, owned */
    char *error;
    int64_t bytes_in;                 /* size of the download */
    ccbuf image;                      /* bytes to store */
    const char *ext;
    int width, height, original_width, original_height;
    char sha256[65];
    /* from the list */
    char *list_columns;               /* --save-additional-columns as a JSON object, or NULL */
    char expected_sha256[65];         /* the list's sha256 column, "" = none */
};

struct pipeline {
    dataset *ds;
    pipeline_options opt;
    judge *judge;                     /* the rules (judge.h), from opt.filters */
    uint64_t max_pixels;              /* decode limit, from the judge's image checks */
    int phash_bands;                  /* phash_max_distance + 1 */
    /* inline CLIP scoring */
    clip_model *clip;
    clip_tokenizer *tok;
    clip_safety *safety;              /* LAION-style NSFW tagging of scored images */
    int64_t clip_model_row;
    dataset_emb_writer *emb;          /* the model's embedding file */
    pthread_key_t state_key;          /* each worker thread's clip_state */
    clip_state **states;              /* every state made, freed with the pipeline */
    int n_states;
    void (*wake)(void *);
    void *wake_arg;
    pipeline_failed_fn on_failed;     /* told of each failed item as it is written */
    void *on_failed_ctx;
    cc_pool *pool;
    http_engine *eng;                 /* held while too much waits for a worker (pipeline_set_engine) */
    int hold_at;                      /* in_flight at which new transfers stop */
    pthread_mutex_t mu;
    pthread_cond_t mem_room;          /* decode memory freed */
    uint64_t mem_used;                /* decode memory admitted now (under mu) */
    pipeline_item *done_head, *done_tail;
    int in_flight;                    /* given to workers, not yet written */
    pipeline_counts counts;
    char errmsg[512];
};

pipeline_item *pipeline_item_new(int64_t input_id, int64_t row_no, const char *url,
                                 const char *caption, const char *page_url,
                                 const char *caption_source)
{
    pipeline_item *it = xcalloc(1, sizeof *it);
    it->input_id = input_id;
    it->row_no = row_no;
    it->url = xstrdup(url);
    it->caption = xstrdup(caption);
    it->page_url = xstrdup(page_url);
    it->caption_source = xstrdup(caption_source);
    return it;
}

void pipeline_item_set_image_source(pipeline_item *it, const char *image_source)
{
    free(it->image_source);
    it->image_source = xstrdup(image_source);
}

void pipeline_item_set_place(pipeline_item *it, const dataset_place *place)
{
    free((char *)it->place.placement);
    it->place = *place;
    it->place.placement = xstrdup(place->placement);
}

void pipeline_set_on_failed(pipeline *p, pipeline_failed_fn fn, void *ctx)
{
    p->on_failed = fn;
    p->on_failed_ctx = ctx;
}

void pipeline_item_set_list(pipeline_item *it, const char *list_columns, const char *sha256)
{
    free(it->list_columns);
    it->list_columns = xstrdup(list_columns);
    snprintf(it->expected_sha256, sizeof it->expected_sha256, "%s", sha256 ? sha256 : "");
}

static void item_free(pipeline_item *it)
{
    if (!it)
        return;
    free(it->url);
    free(it->caption);
    free(it->page_url);
    free(it->caption_source);
    free(it->image_source);
    free((char *)it->place.placement);
    free(it->list_columns);
    free(it->caption_raw);
    free(it->caption_detail);
    free(it->clip_emb);
    free(it->mime);
    free(it->reason);
    free(it->error);
    ccbuf_free(&it->body);
    ccbuf_free(&it->image);
    free(it);
}

void pipeline_item_free(pipeline_item *it) { item_free(it); }

pipeline *pipeline_new(dataset *ds, const pipeline_options *o)
{
    pipeline *p = xcalloc(1, sizeof *p);
    p->ds = ds;
    if (o)
        p->opt = *o;
    else
        pipeline_options_init(&p->opt);
    if (p->opt.workers < 1)
        p->opt.workers = 1;
    if (p->opt.encode_format == ENC_PNG && p->opt.encode_quality > 9)
        cc_log(CC_LOG_WARN, "--encode-quality %d is not a png level (0..9); using 9", p->opt.encode_quality);
    p->opt.encode_quality = pipeline_encode_quality(&p->opt);
    const filter_config *fc = &p->opt.filters;
    char jerr[400];
    p->judge = judge_new(fc, jerr, sizeof jerr);
    if (!p->judge) { /* only an unreadable extra word list does this: go on with the built-in lists */
        cc_log(CC_LOG_WARN, "%s (using the built-in word lists)", jerr);
        filter_config builtin = *fc;
        builtin.boilerplate_file[0] = builtin.unsafe_file[0] = '\0';
        p->judge = judge_new(&builtin, jerr, sizeof jerr);
    }
    p->max_pixels = judge_image_checks(p->judge)->max_pixels;
    p->phash_bands = img_phash_nbands(fc->phash_max_distance);
    pthread_key_create(&p->state_key, NULL);
    if (p->opt.model) {
        char err[400];
        p->clip = clip_model_load(p->opt.model, p->opt.precision, err, sizeof err);
        if (p->clip)
            p->tok = clip_tokenizer_load(p->opt.tokenizer ? p->opt.tokenizer : p->opt.model, err, sizeof err);
        if (p->clip && p->tok) {
            p->clip_model_row = clip_store_model(ds, p->clip, p->opt.precision);
            if (p->clip_model_row >= 0 && !(p->emb = dataset_emb_writer_open(ds, p->clip_model_row, err, sizeof err)))
                snprintf(p->errmsg, sizeof p->errmsg, "%s", err);
            clip_state *tmp = clip_state_new(p->clip, 8);
            p->safety = clip_safety_new(p->clip, p->tok, tmp, err, sizeof err);
            clip_state_free(tmp);
            if (!p->safety)
                snprintf(p->errmsg, sizeof p->errmsg, "%s", err);
        }
        if (!p->clip || !p->tok)
            snprintf(p->errmsg, sizeof p->errmsg, "%s", err);
        else if (p->clip_model_row < 0)
            snprintf(p->errmsg, sizeof p->errmsg, "%s", dataset_errmsg(ds));
    }
    /* A short queue: enough to keep every worker busy, small enough that
     * downloaded bodies waiting for a worker stay a bounded amount of memory. */
    /* The queue never blocks the thread that drives the transfers: when too
     * much waits for a worker, the engine is held instead (start nothing
     * new), and every transfer already running still completes in time. */
    p->pool = cc_pool_new(p->opt.workers, p->opt.workers * 4);
    p->hold_at = p->opt.workers * 4 + 4;
    if (p->opt.decode_memory < (16u << 20))
        p->opt.decode_memory = PIPELINE_DEFAULT_DECODE_MEMORY;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->mem_room, NULL);
    return p;
}

const char *pipeline_errmsg(const pipeline *p)
{
    return p->errmsg;
}

int pipeline_in_flight(const pipeline *p)
{
    return p->in_flight;
}

void pipeline_get_counts(const pipeline *p, pipeline_counts *c)
{
    *c = p->counts;
}

void pipeline_count_skipped(pipeline *p)
{
    p->counts.skipped++;
}

static void set_verdict(pipeline_item *it, dataset_status st, const char *reason, const char *error)
{
    it->status = st;
    free(it->reason);
    it->reason = reason ? xstrdup(reason) : NULL;
    free(it->error);
    it->error = error && *error ? xstrdup(error) : NULL;
}

/* The calling worker's CLIP scratch state, made on first use. */
static clip_state *worker_state(pipeline *p)
{
    clip_state *cs = pthread_getspecific(p->state_key);
    if (cs)
        return cs;
    cs = clip_state_new(p->clip, 1);
    clip_state_set_threads(cs, 1); /* the pool already runs one worker per CPU */
    pthread_mutex_lock(&p->mu);
    p->states = xrealloc(p->states, (size_t)(p->n_states + 1) * sizeof *p->states);
    p->states[p->n_states++] = cs;
    pthread_mutex_unlock(&p->mu);
    pthread_setspecific(p->state_key, cs);
    return cs;
}

/* Scores the image against its caption exactly as `score` does: the CLIP
 * preprocessing starts from the file's own pixels, not the resized copy. */
static int clip_score_item(pipeline *p, pipeline_item *it, const void *data, size_t n, char *err, size_t errlen)
{
    const clip_config *c = clip_model_config(p->clip);
    const int S = c->image_size, E = c->embed_dim, C = c->context_length;
    float *px = xmalloc((size_t)3 * S * S * sizeof(float));
    int32_t *ids = xcalloc((size_t)C, sizeof *ids);
    int eot = 0, rc = -1;
    if (clip_tool_pixels(data, n, p->max_pixels, S, px, err, errlen) != 0)
        goto out;
    if (clip_tokenize(p->tok, it->caption ? it->caption : "", ids, C, &eot) < 0) {
        snprintf(err, errlen, "caption could not be tokenized");
        goto out;
    }
    clip_state *cs = worker_state(p);
    it->clip_emb = xmalloc((size_t)2 * E * sizeof(float));
    if (clip_encode_images(cs, px, 1, it->clip_emb) != 0 || clip_encode_texts(cs, ids, &eot, 1, it->clip_emb + E) != 0) {
        snprintf(err, errlen, "%s", clip_state_errmsg(cs));
        goto out;
    }
    clip_l2_normalize(it->clip_emb, 2, E);
    it->clip_score = clip_dot(it->clip_emb, it->clip_emb + E, E);
    it->has_clip = 1;
    if (p->safety)
        it->nsfw = clip_safety_tag(p->safety, it->clip_emb);
    rc = 0;
out:
    free(px);
    free(ids);
    return rc;
}

/* Worker: everything CPU-bound about one downloaded image. */
static void decode_item(pipeline *p, pipeline_item *it, const unsigned char *data, size_t n, img_format fmt, int w,
                        int h, img_resize_mode mode);

static void process_item(pipeline *p, pipeline_item *it)
{
    const pipeline_options *o = &p->opt;
    char err[256] = "";
    const unsigned char *data = it->body.data;
    size_t n = it->body.len;

    cc_sha256_hex(data ? (const void *)data : "", n, it->sha256);
    if (n == 0) {
        set_verdict(it, DS_FAILED, "empty_body", "the server sent zero bytes");
        return;
    }
    if (it->expected_sha256[0] && strcmp(it->sha256, it->expected_sha256) != 0) {
        /* DataComp's rule: the list says which bytes it means */
        char msg[200];
        snprintf(msg, sizeof msg, "sha256 %s, the list says %s", it->sha256, it->expected_sha256);
        set_verdict(it, DS_REJECTED, "hash_mismatch", msg);
        return;
    }
    img_format fmt = img_sniff(data, n);
    if (fmt == IMG_FMT_HTML) {
        set_verdict(it, DS_FAILED, "not_an_image", "the server sent HTML, not an image");
        return;
    }
    if (!img_format_decodable(fmt)) {
        char msg[128];
        snprintf(msg, sizeof msg, "unsupported image format (%s)", img_format_name(fmt));
        set_verdict(it, DS_FAILED, fmt == IMG_FMT_UNKNOWN ? "not_an_image" : "unsupported_format", msg);
        return;
    }
    int w = 0, h = 0;
    cc_err prc = img_probe(data, n, &fmt, &w, &h, err, sizeof err);
    if (prc != CC_OK) {
        set_verdict(it, DS_FAILED, prc == CC_ERR_UNSUPPORTED ? "unsupported_format" : "broken_image", err);
        return;
    }
    it->original_width = w;
    it->original_height = h;
    /* The judge's rules as far as the facts go: the image's size now, the CLIP
     * rules once it is scored (the caption was judged before the download). */
    judge_facts facts = {.has_size = 1, .width = w, .height = h, .bytes = (int64_t)n};
    judge_verdict v;
    if (judge_sample(p->judge, &facts, &v)) {
        set_verdict(it, DS_REJECTED, v.reason, v.detail);
        return;
    }
    /* Admission: what decoding this image will hold, from its header, waits
     * until it fits in the decode memory budget beside the others. */
    img_resize_mode mode = (img_resize_mode)(o->resize_mode | (o->resize_only_if_bigger ? IMG_RESIZE_ONLY_IF_BIGGER : 0));
    uint64_t need = img_decode_estimate(data, n, o->keep_original ? 0 : o->image_size, mode);
    if (p->clip)
        need += img_decode_estimate(data, n, 0, RESIZE_NO); /* scoring decodes the original too */
    if (need > o->decode_memory) {
        snprintf(err, sizeof err, "decoding %dx%d needs about %llu MB, over the decode memory budget of %llu MB", w, h,
                 (unsigned long long)(need >> 20), (unsigned long long)(o->decode_memory >> 20));
        set_verdict(it, DS_REJECTED, "decode_budget", err);
        return;
    }
    pthread_mutex_lock(&p->mu);
    while (p->mem_used + need > o->decode_memory)
        pthread_cond_wait(&p->mem_room, &p->mu);
    p->mem_used += need;
    pthread_mutex_unlock(&p->mu);
    decode_item(p, it, data, n, fmt, w, h, mode);
    pthread_mutex_lock(&p->mu);
    p->mem_used -= need;
    pthread_cond_broadcast(&p->mem_room);
    pthread_mutex_unlock(&p->mu);
}

/* Decodes, checks, scores, resizes and encodes one admitted image. */
static void decode_item(pipeline *p, pipeline_item *it, const unsigned char *data, size_t n, img_format fmt, int w,
                        int h, img_resize_mode mode)
{
    const pipeline_options *o = &p->opt;
    char err[256] = "";
    judge_facts facts = {.has_size = 1, .width = w, .height = h, .bytes = (int64_t)n};
    judge_verdict v;
    img_image im = {0};
    cc_err rc = o->keep_original
                    ? img_decode_rgb(data, n, p->max_pixels, 0, &im, err, sizeof err)
                    : img_decode_resize(data, n, p->max_pixels, o->image_size, mode, &im, err, sizeof err);
    if (rc != CC_OK) {
        /* over the pixel cap or the scan/CPU budget: the file's own property, final */
        dataset_status st = rc == CC_ERR_RANGE || rc == CC_ERR_BUDGET ? DS_REJECTED : DS_FAILED;
        set_verdict(it, st,
                    rc == CC_ERR_RANGE         ? "too_many_pixels"
                    : rc == CC_ERR_BUDGET      ? "decode_budget"
                    : rc == CC_ERR_UNSUPPORTED ? "unsupported_format"
                                               : "broken_image",
                    err);
        img_image_free(&im);
        return;
    }
    if (p->clip && clip_score_item(p, it, data, n, err, sizeof err) != 0) {
        set_verdict(it, DS_FAILED, "clip_failed", err);
        img_image_free(&im);
        return;
    }
    facts.safety_tag = it->nsfw;
    facts.has_score = it->has_clip;
    facts.score = it->clip_score;
    if (judge_sample(p->judge, &facts, &v)) {
        set_verdict(it, DS_REJECTED, v.reason, v.detail);
        img_image_free(&im);
        return;
    }
    /* Always computed (cheap next to decoding), so refilter can find
     * near-duplicates later even when this run does not dedup by it. */
    it->phash = img_phash64(&im);
    it->has_phash = 1;
    if (o->keep_original) {
        /* Decoding above proved the bytes are a whole image; store them as they came. */
        it->width = w;
        it->height = h;
        it->ext = img_format_ext(fmt);
        ccbuf_append(&it->image, data, n);
    } else {
        if (img_encode(&im, o->encode_format, o->encode_quality, &it->image, err, sizeof err) != CC_OK) {
            set_verdict(it, DS_FAILED, "encode_failed", err);
            img_image_free(&im);
            return;
        }
        it->width = im.width;
        it->height = im.height;
        it->ext = img_encode_format_ext(o->encode_format);
    }
    img_image_free(&im);
    set_verdict(it, DS_ACCEPTED, NULL, NULL);
}

typedef struct {
    pipeline *p;
    pipeline_item *it;
} job;

static void enqueue_done(pipeline *p, pipeline_item *it)
{
    pthread_mutex_lock(&p->mu);
    it->next = NULL;
    if (p->done_tail)
        p->done_tail->next = it;
    else
        p->done_head = it;
    p->done_tail = it;
    pthread_mutex_unlock(&p->mu);
}

static void run_job(void *arg)
{
    job *j = arg;
    pipeline *p = j->p;
    process_item(p, j->it);
    ccbuf_free(&j->it->body); /* the download is no longer needed */
    enqueue_done(p, j->it);
    free(j);
    pthread_mutex_lock(&p->mu);
    void (*wake)(void *) = p->wake;
    void *wake_arg = p->wake_arg;
    pthread_mutex_unlock(&p->mu);
    if (wake)
        wake(wake_arg);
}

void pipeline_set_engine(pipeline *p, http_engine *eng)
{
    p->eng = eng;
}

void pipeline_set_wakeup(pipeline *p, void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&p->mu);
    p->wake = fn;
    p->wake_arg = arg;
    pthread_mutex_unlock(&p->mu);
}

void pipeline_on_http(pipeline *p, pipeline_item *it, http_result *r)
{
    it->http_status = r->status;
    it->mime = xstrdup(r->content_type);
    if (r->outcome == HTTP_OUT_OK) {
        it->body = http_result_take_body(r);
        it->bytes_in = (int64_t)it->body.len;
        p->counts.bytes_in += it->bytes_in;
        job *j = xmalloc(sizeof *j);
        j->p = p;
        j->it = it;
        p->in_flight++;
        cc_pool_submit_nowait(p->pool, run_job, j);
        if (p->eng && p->in_flight >= p->hold_at)
            http_hold(p->eng, 1);
        return;
    }
    dataset_status st = r->outcome == HTTP_OUT_OPTOUT ? DS_OPTOUT : DS_FAILED;
    /* Policy and malformed URLs are final: retrying them cannot help. */
    if (r->outcome == HTTP_OUT_PRIVATE_ADDRESS || r->outcome == HTTP_OUT_REFUSED_SCHEME || r->outcome == HTTP_OUT_BAD_URL)
        st = DS_REJECTED;
    set_verdict(it, st, r->reason, r->errmsg);
    it->next = NULL;
    p->in_flight++;
    enqueue_done(p, it);
}

void pipeline_record(pipeline *p, pipeline_item *it, dataset_status status, const char *reason,
                     const char *error)
{
    set_verdict(it, status, reason, error);
    p->in_flight++;
    enqueue_done(p, it);
}

/* Key of an accepted sample with this URL (and caption, when by_caption),
 * into key: 1 found, 0 none, -1 on a dataset error (p->errmsg set). */
static int find_by_url(pipeline *p, const char *url, const char *caption, int by_caption, char key[10])
{
    int r = dataset_find_url(p->ds, url, by_caption, caption, key);
    if (r < 0)
        snprintf(p->errmsg, sizeof p->errmsg, "%s", dataset_errmsg(p->ds));
    return r;
}

typedef struct {
    uint64_t h;
    int max_distance;
    char *key;
} phash_probe;

static int phash_close(const char *key, uint64_t other, void *ctx)
{
    phash_probe *q = ctx;
    if (img_hamming64(q->h, other) > q->max_distance)
        return 0;
    snprintf(q->key, 10, "%s", key);
    return 1;
}

/* A near-duplicate: an accepted sample whose phash is within the configured
 * Hamming distance. With d+1 bands, two hashes that close agree on a band.
 * 1 found (key), 0 none, -1 on a dataset error (p->errmsg set). */
static int find_by_phash(pipeline *p, uint64_t h, char key[10])
{
    phash_probe q = {h, p->opt.filters.phash_max_distance, key};
    for (int b = 0; b < p->phash_bands; b++) {
        int r = dataset_phash_band_each(p->ds, p->phash_bands, b, img_phash_band(h, b, p->phash_bands), phash_close, &q);
        if (r < 0)
            snprintf(p->errmsg, sizeof p->errmsg, "%s", dataset_errmsg(p->ds));
        if (r != 0)
            return r;
    }
    return 0;
}

static int add_phash_bands(pipeline *p, uint64_t h, const char *key)
{
    int64_t v[64];
    for (int b = 0; b < p->phash_bands; b++)
        v[b] = img_phash_band(h, b, p->phash_bands);
    if (dataset_add_phash_bands(p->ds, key, p->phash_bands, v) != CC_OK) {
        snprintf(p->errmsg, sizeof p->errmsg, "%s", dataset_errmsg(p->ds));
        return -1;
    }
    return 0;
}

static void mark_duplicate(pipeline_item *it, const char *kept, const char *how)
{
    char msg[96];
    snprintf(msg, sizeof msg, "%s as sample %s", how, kept);
    snprintf(it->duplicate_of, sizeof it->duplicate_of, "%s", kept);
    set_verdict(it, DS_REJECTED, "duplicate", msg);
}

/* Dedup at write time, in the order cheapest first. In-flight twins of one
 * URL were both downloaded; the second one written is the duplicate. */
static int check_duplicates(pipeline *p, pipeline_item *it)
{
    unsigned mode = p->opt.filters.dedup;
    char key[10];
    int r = 0;
    if ((mode & FILTER_DEDUP_URL) && (r = find_by_url(p, it->url, NULL, 0, key)) > 0) {
        mark_duplicate(it, key, "same URL");
        return 0;
    }
    if (r == 0 && (mode & FILTER_DEDUP_URL_CAPTION) && (r = find_by_url(p, it->url, it->caption, 1, key)) > 0) {
        mark_duplicate(it, key, "same URL and caption");
        return 0;
    }
    if (r == 0 && (mode & FILTER_DEDUP_SHA256)) {
        r = dataset_find_sha256(p->ds, it->sha256, key);
        if (r < 0)
            snprintf(p->errmsg, sizeof p->errmsg, "%s", dataset_errmsg(p->ds));
        if (r > 0) {
            mark_duplicate(it, key, "same bytes");
            return 0;
        }
    }
    if (r == 0 && (mode & FILTER_DEDUP_PHASH) && it->has_phash && (r = find_by_phash(p, it->phash, key)) > 0) {
        mark_duplicate(it, key, "same picture (perceptual hash)");
        return 0;
    }
    return r < 0 ? -1 : 0;
}

/* The safety tag of an accepted sample, as score stores it. 0 or -1. */
static int store_nsfw(pipeline *p, const char *key, const char *tag)
{
    if (dataset_set_safety_tag(p->ds, key, tag, p->clip_model_row) != CC_OK) {
        snprintf(p->errmsg, sizeof p->errmsg, "%s", dataset_errmsg(p->ds));
        return -1;
    }
    return 0;
}

/* Writes one finished item. Returns 0, or -1 on a dataset error. */
static int write_item(pipeline *p, pipeline_item *it)
{
    char key[10] = "";
    if (it->status == DS_ACCEPTED && check_duplicates(p, it) < 0)
        return -1;
    if (it->status == DS_ACCEPTED) {
        dataset_sample s = {
            .input_id = it->input_id, .row_no = it->row_no,
            .url = it->url, .caption = it->caption, .page_url = it->page_url,
            .caption_source = it->caption_source,
            .image = it->image.data, .image_len = it->image.len, .ext = it->ext,
            .width = it->width, .height = it->height,
            .original_width = it->original_width, .original_height = it->original_height,
            .sha256 = it->sha256, .http_status = (int)it->http_status, .mime = it->mime,
            .bytes = it->bytes_in, .language = it->language[0] ? it->language : NULL,
            .caption_raw = it->caption_raw, .caption_detail = it->caption_detail,
            .has_phash = it->has_phash, .phash = it->phash,
            .list_columns = it->list_columns, .place = it->place,
        };
        ccbuf extra = {0}; /* KEY.json members beyond dataset's own */
        if (it->image_source) {
            ccbuf_puts(&extra, "\"image_source\":");
            ccbuf_json_string(&extra, it->image_source, strlen(it->image_source));
        }
        if (it->has_clip)
            ccbuf_printf(&extra, "%s\"clip_score\":%.6f", extra.len ? "," : "", (double)it->clip_score);
        char *extra_json = extra.len ? xasprintf("{%s}", (const char *)extra.data) : NULL;
        ccbuf_free(&extra);
        s.extra_json = extra_json;
        cc_err arc = dataset_add_accepted(p->ds, &s, key);
        free(extra_json);
        if (arc != CC_OK)
            goto db_error;
        if (it->has_clip) {
            int E = clip_model_config(p->clip)->embed_dim;
            if (clip_store_score(p->ds, key, p->clip_model_row, it->clip_score, it->clip_emb, it->clip_emb + E, E) !=
                CC_OK)
                goto db_error;
            if (dataset_emb_add(p->emb, key, it->clip_emb, p->errmsg, sizeof p->errmsg) != CC_OK)
                return -1;
        }
        if (it->has_phash && (p->opt.filters.dedup & FILTER_DEDUP_PHASH) && add_phash_bands(p, it->phash, key) != 0)
            return -1;
        if (it->nsfw && store_nsfw(p, key, it->nsfw) != 0)
            return -1;
        p->counts.accepted++;
        p->counts.bytes_out += (int64_t)it->image.len;
        return 0;
    }
    dataset_outcome o = {
        .input_id = it->input_id, .row_no = it->row_no,
        .url = it->url, .caption = it->caption, .page_url = it->page_url,
        .caption_source = it->caption_source,
        .status = it->status, .reason = it->reason ? it->reason : "unknown", .error = it->error,
        .http_status = (int)it->http_status, .mime = it->mime,
        .sha256 = it->sha256[0] ? it->sha256 : NULL, .bytes = it->bytes_in,
        .original_width = it->original_width, .original_height = it->original_height,
        .language = it->language[0] ? it->language : NULL,
        .caption_raw = it->caption_raw, .caption_detail = it->caption_detail,
        .duplicate_of = it->duplicate_of[0] ? it->duplicate_of : NULL,
        .has_phash = it->has_phash, .phash = it->phash,
        .list_columns = it->list_columns, .place = it->place,
    };
    if (dataset_add_outcome(p->ds, &o) != CC_OK)
        goto db_error;
    if (it->status == DS_FAILED && p->on_failed &&
        p->on_failed(p->on_failed_ctx, it->input_id, it->row_no, o.reason, p->errmsg, sizeof p->errmsg) != 0)
        return -1;
    switch (it->status) {
    case DS_REJECTED:
        p->counts.rejected++;
        if (o.reason && strcmp(o.reason, "private_address") == 0)
            p->counts.private_address++;
        break;
    case DS_FAILED: p->counts.failed++; break;
    case DS_OPTOUT: p->counts.optout++; break;
    default: break;
    }
    return 0;
db_error:
    snprintf(p->errmsg, sizeof p->errmsg, "%s", dataset_errmsg(p->ds));
    return -1;
}

const caption_filter *pipeline_caption_filter(const pipeline *p)
{
    return judge_captions(p->judge);
}

int pipeline_caption_passes(const pipeline *p, const char *text, const dataset_place *place)
{
    if (!p->opt.judge_captions || !text)
        return 1;
    caption_place cp;
    caption_verdict cv = caption_judge_placed(judge_captions(p->judge), text, strlen(text), judge_place(place, &cp), NULL);
    return cv.code == CAPTION_KEEP;
}

int pipeline_admit(pipeline *p, pipeline_item *it)
{
    if (p->opt.judge_captions && it->caption) {
        ccbuf norm = {0};
        caption_place cp;
        caption_verdict cv = caption_judge_placed(judge_captions(p->judge), it->caption, strlen(it->caption),
                                                  judge_place(&it->place, &cp), &norm);
        it->caption_raw = it->caption;
        it->caption = ccbuf_detach(&norm, NULL);
        snprintf(it->language, sizeof it->language, "%s", cv.language);
        if (cv.detail[0])
            it->caption_detail = xstrdup(cv.detail);
        judge_facts facts = {.caption = &cv};
        judge_verdict v;
        if (judge_sample(p->judge, &facts, &v)) {
            pipeline_record(p, it, DS_REJECTED, v.reason, v.detail);
            return 0;
        }
    }
    unsigned mode = p->opt.filters.dedup;
    char key[10];
    int r = 0;
    if (mode & FILTER_DEDUP_URL)
        r = find_by_url(p, it->url, NULL, 0, key);
    if (r == 0 && (mode & FILTER_DEDUP_URL_CAPTION))
        r = find_by_url(p, it->url, it->caption, 1, key);
    if (r < 0) {
        item_free(it);
        return -1;
    }
    if (r > 0) {
        snprintf(it->duplicate_of, sizeof it->duplicate_of, "%s", key);
        char msg[64];
        snprintf(msg, sizeof msg, "same URL as sample %s (not downloaded)", key);
        pipeline_record(p, it, DS_REJECTED, "duplicate", msg);
        return 0;
    }
    return 1;
}

int pipeline_poll(pipeline *p, int wait)
{
    if (wait)
        cc_pool_wait(p->pool);
    pthread_mutex_lock(&p->mu);
    pipeline_item *list = p->done_head;
    p->done_head = p->done_tail = NULL;
    pthread_mutex_unlock(&p->mu);
    int written = 0, failed = 0;
    while (list) {
        pipeline_item *next = list->next;
        if (!failed && write_item(p, list) != 0)
            failed = 1;
        else if (!failed)
            written++;
        p->in_flight--;
        item_free(list);
        list = next;
    }
    if (p->eng && p->in_flight < p->hold_at)
        http_hold(p->eng, 0);
    return failed ? -1 : written;
}

void pipeline_free(pipeline *p)
{
    if (!p)
        return;
    cc_pool_wait(p->pool);
    pipeline_poll(p, 1);
    cc_pool_free(p->pool);
    judge_free(p->judge);
    for (int i = 0; i < p->n_states; i++)
        clip_state_free(p->states[i]);
    free(p->states);
    pthread_key_delete(p->state_key);
    clip_safety_free(p->safety);
    dataset_emb_writer_close(p->emb, NULL, 0);
    clip_tokenizer_free(p->tok);
    clip_model_free(p->clip);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->mem_room);
    free(p);
}
