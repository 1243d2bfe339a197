/* compact.h — dropping the frames of samples that are no longer accepted
 * (after `refilter`) from a dataset's own sealed shards.
 *
 * Each affected sealed shard is rewritten without those frames: the frames
 * of accepted samples are copied byte for byte (keys do not change: a key
 * names the shard and position it was written at; positions simply get
 * gaps), followed by the shard's end frame. Samples whose frames were
 * dropped keep their index rows (status, reason, URL...) without a shard.
 *
 * Atomic per shard, kill -9 at any moment:
 *   1. write NNNNN.tar.zst.compact and fsync it;
 *   2. write shards/compact.journal ("NNNNN NEW_END\n") and fsync it;
 *   3. commit the new offsets in one index transaction;
 *   4. rename the .compact file over NNNNN.tar.zst, fsync the directory;
 *   5. remove the journal.
 * After a crash the next writer open (or compact) finishes or undoes it:
 * the index's end_offset equals NEW_END only if step 3 committed, so the
 * rename is redone; otherwise the .compact file is removed. A reader that
 * finds the journal refuses to open the dataset with a message saying so,
 * rather than read offsets that may not match the file yet. */
#ifndef CC_DATASET_COMPACT_H
#define CC_DATASET_COMPACT_H

#include <stdint.h>

#include "dataset.h"

typedef struct {
    int64_t shards;        /* shards rewritten */
    int64_t dropped;       /* frames dropped */
    int64_t kept;          /* frames kept in those shards */
    int64_t bytes_before, bytes_after;  /* of the rewritten shard files */
} dataset_compact_counts;

/* Compacts every sealed shard holding frames of samples that are not
 * accepted. ds must be a writer handle. CC_OK, or an error with
 * dataset_errmsg(ds) naming the shard. */
cc_err dataset_compact(dataset *ds, dataset_compact_counts *c);

/* Finishes or undoes a compaction a crash interrupted (see above). Called
 * by dataset_open for writers. CC_OK when there was none. */
cc_err dataset_compact_recover(dataset *ds);

/* 1 when DIR holds the journal of an unfinished compaction. */
int dataset_compact_pending(const char *dir);

#endif
