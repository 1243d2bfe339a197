/* export.h — a selected subset of a dataset written as a new dataset.
 *
 * The samples a selection picks (SQL condition, caption words, CLIP score,
 * or the hits of a semantic search) are copied into OUT's own shards and
 * index: the image bytes exactly as stored (no decode, no re-encode), the
 * caption, and KEY.json rebuilt for the new key with the source's fields
 * plus "source_key" and "clip_score" (when the source was scored).
 *
 * Resumable and crash-safe: OUT records the source directory as its input
 * ("dataset" kind) and each sample under the source's item id, so a run
 * killed at any moment and run again copies only what is missing — nothing
 * lost, nothing twice. The first run's selection is recorded (runs.args);
 * a later run into the same OUT with another selection is refused. */
#ifndef CC_PIPELINE_EXPORT_H
#define CC_PIPELINE_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "dataset_emb.h"

typedef struct {
    const char *src_dir, *out_dir;
    dataset_selection sel;
    const dataset_hit *hits;   /* a semantic search's result (then only these, in this order), or NULL */
    size_t nhits;
    int shuffle;               /* order: key order (or hit order); shuffled by seed when set */
    uint64_t seed;
    int samples_per_shard;     /* 0 = the dataset default (10000) */
    const char *selection;     /* the selection as text, recorded in OUT's runs and compared on re-runs */
    int progress;              /* a progress line on stderr */
} export_options;

typedef struct {
    int64_t selected;   /* samples the selection picked */
    int64_t written;    /* copied by this run */
    int64_t already;    /* already in OUT from an earlier run */
    double seconds;
} export_counts;

/* Runs the export. 0 on success; -1 with one line naming the directory or
 * sample in err (nothing OUT already holds is lost). */
int export_run(const export_options *o, export_counts *c, char *err, size_t errlen);

#endif
