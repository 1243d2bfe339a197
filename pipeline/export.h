/* export.h — a selected subset of a dataset written as a new dataset.
 *
 * The samples a selection picks (SQL condition, caption words, CLIP score,
 * or the hits of a semantic search) are copied into OUT's own shards and
 * index: the caption, KEY.json rebuilt for the new key with the source's
 * fields plus "source_key" and "clip_score" (when the source was scored),
 * and the image either
 *   - copied: the bytes exactly as stored (no decode; the source's
 *     member_sha256 is reused), or
 *   - re-encoded (o->reencode): decoded, resized with fetch's resizer
 *     (img_decode_resize: image_size, resize_mode, resize_only_if_bigger)
 *     and encoded (encode_format, encode_quality) on worker threads; the new
 *     bytes, width, height, member_sha256, pHash and file extension go into
 *     OUT, while url, sha256 (of the original download), bytes and
 *     original_width/height stay as the source recorded them.
 *
 * Resumable and crash-safe: OUT records the source directory as its input
 * ("dataset" kind) and each sample under the source's item id, so a run
 * killed at any moment and run again copies only what is missing — nothing
 * lost, nothing twice. Rows commit in bulk (every few thousand, each commit
 * after its frames are synced). The first run's selection is recorded
 * (runs.args) and each run's image settings (runs.settings, the keys fetch
 * records: {"keep_original":1} for a copy); a later run into the same OUT
 * with another selection or other image settings is refused. */
#ifndef CC_PIPELINE_EXPORT_H
#define CC_PIPELINE_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "dataset_emb.h"
#include "pipeline.h"

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
    /* NULL: image bytes copied. Else decoded, resized and encoded with its
     * image_size, resize_mode, resize_only_if_bigger, encode_format,
     * encode_quality (-1 = the format's default), on its workers threads, with
     * its filters.image_max_pixels as the decode cap. */
    const pipeline_options *reencode;
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
