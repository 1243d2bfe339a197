/* partition.h — splitting one job over many machines by host.
 *
 * `--part I/N` makes fetch, crawl and warc keep only the part of their input
 * whose host hashes to I, so N machines can each run the same command over
 * the same input and together cover it exactly once. Because the split is by
 * host, every request to one host comes from one part: per-host politeness
 * (delay, robots.txt, Retry-After back-off) holds across machines.
 *
 * The hash is part of the on-disk contract (parts made by different builds
 * must agree), so it is fixed here: FNV-1a 64 over the host name as
 * url_host() gives it (lower-case, no port, no trailing dot), taken modulo N.
 *
 * `--part auto` reads the array index and count from the scheduler:
 *
 *   scheduler    index                          count (unless --part-count N)
 *   Slurm        SLURM_ARRAY_TASK_ID            SLURM_ARRAY_TASK_COUNT
 *   Kubernetes   JOB_COMPLETION_INDEX           --part-count N is required
 *   SGE / UGE    SGE_TASK_ID - 1 (1-based)      SGE_TASK_LAST (for -t 1-N)
 *   PBS Pro      PBS_ARRAY_INDEX                --part-count N is required
 *
 * Slurm arrays are numbered 0..N-1 (sbatch --array=0-N-1). A resubmission of
 * a few missing indices (--array=3,7) has a smaller task count, so it must
 * pass --part-count N; the scripts in scripts/slurm always do.
 * --part-count N overrides the scheduler's count when both exist. A part
 * writes its own dataset directory; when the run completes with nothing left
 * to do, part_write_success() drops DIR/_SUCCESS (written last, atomically).
 * `clipcrawl merge` joins the parts.
 */
#ifndef CC_PARTITION_H
#define CC_PARTITION_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int index;  /* 0 .. count-1 */
    int count;  /* 0 = not partitioned (the whole input) */
} cc_part;

/* Looks up one environment variable; NULL when unset. getenv() in the
 * program, a table in tests. */
typedef const char *(*part_getenv_fn)(const char *name, void *ctx);

/* Parses a --part value: "I/N" (0 <= I < N <= 65536) or "auto" (then the
 * scheduler's environment, through get; count_flag is --part-count, 0 when
 * not given). Returns 0 and fills *out, or -1 with a one-line reason in err
 * ("--part auto: no array index in the environment (SLURM_ARRAY_TASK_ID, ...)"). */
int part_parse(const char *spec, int count_flag, part_getenv_fn get, void *ctx,
               cc_part *out, char *err, size_t errlen);

/* The fixed host hash (see above). host may be NULL (hashes as ""). */
uint64_t part_host_hash(const char *host);

/* 1 when url belongs to part p (always 1 when p is NULL or p->count == 0).
 * A URL whose host cannot be parsed belongs to part 0, so a bad URL is
 * recorded as bad exactly once. */
int part_owns_url(const cc_part *p, const char *url);

/* "I/N" into buf; "" when not partitioned. Returns buf. */
const char *part_format(const cc_part *p, char *buf, size_t len);

/* The completion marker. part_success_path() returns DIR/_SUCCESS
 * (malloc'd). part_clear_success() removes it (a run that starts is not
 * complete); part_write_success() writes `json` to DIR/_SUCCESS.tmp, fsyncs,
 * renames it to DIR/_SUCCESS and fsyncs DIR. Both return 0, or -1 with a
 * reason in err. part_has_success() is 1 when the marker exists. */
char *part_success_path(const char *dir);
int part_clear_success(const char *dir, char *err, size_t errlen);
int part_write_success(const char *dir, const char *json, char *err, size_t errlen);
int part_has_success(const char *dir);

/* The end of a run of fetch/crawl/warc: when the run completed (not stopped,
 * no error, every input read), writes DIR/_SUCCESS with a JSON object naming
 * the command, the part and the counts; otherwise leaves none. Returns 0, or
 * -1 with a reason in err. */
int part_finish_run(const char *dir, const char *command, const cc_part *p, int completed,
                    const char *counts_json, char *err, size_t errlen);

/* Fills the shard numbering of a dataset_options-like pair for part p. */
void part_shard_numbering(const cc_part *p, int *shard_base, int *shard_stride);

#endif
