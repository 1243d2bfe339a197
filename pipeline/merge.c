/* merge.c — `clipcrawl merge PARTS... -o DIR` (pipeline_merge): the parts of
 * a partitioned run joined into one dataset.
 *
 * The merged dataset is built in DIR.merging (removed first if a killed
 * merge left it) and renamed to DIR when complete, then DIR/_SUCCESS is
 * written: a merge either produced the whole DIR or nothing under that name,
 * and re-running a killed merge starts it over. Parts are checked first (an
 * index, a _SUCCESS marker unless allow_incomplete, not named twice) and
 * opened for writing once, which migrates an older index and refuses a part
 * some process is still writing. The index work is dataset_merge_from(). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline.h"

void merge_options_init(merge_options *o)
{
    memset(o, 0, sizeof *o);
    filter_config_defaults(&o->filters);
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)type;
    (void)f;
    return remove(path);
}

static int rm_tree(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Checks one part before anything is written. */
static cc_err check_part(const merge_options *o, int k, char *err, size_t errlen)
{
    const char *dir = o->parts[k];
    char *ix = xasprintf("%s/index.sqlite", dir);
    int has_index = access(ix, F_OK) == 0;
    free(ix);
    if (!has_index) {
        cc_seterr(err, errlen, "%s: not a dataset directory (no index.sqlite)", dir);
        return CC_ERR_USAGE;
    }
    if (!o->allow_incomplete && !part_has_success(dir)) {
        cc_seterr(err, errlen, "%s: no _SUCCESS marker: the part is incomplete or still running "
                  "(re-run it to finish, or merge anyway with --allow-incomplete)", dir);
        return CC_ERR_USAGE;
    }
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(dir, a)) {
        cc_seterr(err, errlen, "%s: %s", dir, strerror(errno));
        return CC_ERR_IO;
    }
    for (int j = 0; j < k; j++)
        if (realpath(o->parts[j], b) && strcmp(a, b) == 0) {
            cc_seterr(err, errlen, "%s: named twice (as %s too)", dir, o->parts[j]);
            return CC_ERR_USAGE;
        }
    if (realpath(o->out_dir, b) && strcmp(a, b) == 0) {
        cc_seterr(err, errlen, "%s: is the output directory", dir);
        return CC_ERR_USAGE;
    }
    /* Open for writing once: migrates an older index, refuses a part that a
     * running process is writing, recovers a killed one. */
    dataset *ds = dataset_open(dir, NULL, err, errlen);
    if (!ds)
        return CC_ERR_IO;
    return dataset_close(ds, 0, err, errlen);
}

cc_err pipeline_merge(const merge_options *o, merge_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    struct stat st;
    if (stat(o->out_dir, &st) == 0) {
        cc_seterr(err, errlen, "%s: already exists; merge writes a new directory", o->out_dir);
        return CC_ERR_USAGE;
    }
    for (int k = 0; k < o->n_parts; k++) {
        cc_err rc = check_part(o, k, err, errlen);
        if (rc != CC_OK)
            return rc;
    }
    char *tmp = xasprintf("%s.merging", o->out_dir);
    if (rm_tree(tmp) != 0) {
        cc_seterr(err, errlen, "%s: cannot remove a killed merge's leftovers: %s", tmp, strerror(errno));
        free(tmp);
        return CC_ERR_IO;
    }
    cc_err rc = CC_OK;
    dataset *ds = dataset_open(tmp, NULL, err, errlen);
    if (!ds) {
        free(tmp);
        return CC_ERR_IO;
    }
    dataset_run_begin(ds, "merge", o->run.args);
    dataset_merge_rules rules = {
        .by_url = (o->filters.dedup & FILTER_DEDUP_URL) != 0,
        .by_url_caption = (o->filters.dedup & FILTER_DEDUP_URL_CAPTION) != 0,
        .by_sha256 = (o->filters.dedup & FILTER_DEDUP_SHA256) != 0,
        .phash_max_distance = (o->filters.dedup & FILTER_DEDUP_PHASH) ? o->filters.phash_max_distance : -1,
    };
    for (int k = 0; k < o->n_parts && rc == CC_OK; k++) {
        if (o->run.stop && *o->run.stop) {
            cc_seterr(err, errlen, "interrupted");
            rc = CC_ERR_IO;
            break;
        }
        rc = dataset_merge_from(ds, o->parts[k], o->allow_incomplete, &rules, &res->counts, err, errlen);
        if (o->run.progress) {
            pipeline_counts c = {.accepted = res->counts.accepted - res->counts.duplicates,
                                 .rejected = res->counts.duplicates};
            o->run.progress(&c, (double)(k + 1) / o->n_parts, 0, o->run.progress_ctx);
        }
    }
    if (rc == CC_OK)
        rc = dataset_merge_finish(ds, err, errlen);
    char counts[256];
    snprintf(counts, sizeof counts,
             "{\"parts\":%lld,\"items\":%lld,\"accepted\":%lld,\"duplicates\":%lld,\"shards\":%lld}",
             (long long)res->counts.parts, (long long)res->counts.items,
             (long long)(res->counts.accepted - res->counts.duplicates), (long long)res->counts.duplicates,
             (long long)res->counts.shards);
    dataset_run_end(ds, counts);
    char cerr[512];
    if (dataset_close(ds, 1, cerr, sizeof cerr) != CC_OK && rc == CC_OK) {
        snprintf(err, errlen, "%s", cerr);
        rc = CC_ERR_IO;
    }
    if (rc == CC_OK && rename(tmp, o->out_dir) != 0) {
        cc_seterr(err, errlen, "%s: %s", o->out_dir, strerror(errno));
        rc = CC_ERR_IO;
    }
    if (rc == CC_OK) {
        cc_part whole = {0};
        if (part_finish_run(o->out_dir, "merge", &whole, 1, counts, cerr, sizeof cerr) != 0) {
            snprintf(err, errlen, "%s", cerr);
            rc = CC_ERR_IO;
        }
    } else {
        rm_tree(tmp);
    }
    free(tmp);
    return rc;
}
