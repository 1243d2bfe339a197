/* settings.h — a run's settings as recorded in runs.settings, and what a
 * re-run does when they changed (internal to pipeline/).
 *
 * fetch and crawl record, at the start of each run, a JSON object of the
 * settings that decide outcomes: image_size, resize_mode,
 * resize_only_if_bigger, encode_format, encode_quality, keep_original,
 * allow_private, and for crawl depth and scope. run_settings_begin() stores
 * it for the current run, compares it with the previous run of the same
 * command on the dataset and reports on stderr (one line) which of the
 * image settings changed: they apply to what is still to be fetched, while
 * samples already stored keep how they were made.
 */
#ifndef CC_PIPELINE_SETTINGS_H
#define CC_PIPELINE_SETTINGS_H

#include "dataset.h"
#include "http.h"
#include "pipeline.h"
#include "url.h"

typedef struct {
    int had_previous;     /* a previous run of this command recorded settings */
    int prev_depth;       /* crawl: its --depth (-1 when unknown) */
    url_scope prev_scope; /* crawl: its --scope */
    int prev_allow_private;
} run_settings_prev;

/* Records the settings of this run (crawl_depth < 0: not a crawl) and fills
 * *prev from the last run of command. Prints the image-settings line when
 * they changed. Returns CC_OK or a dataset error (message in
 * dataset_errmsg). */
cc_err run_settings_begin(dataset *ds, const char *command, const pipeline_options *o, const http_options *h,
                          int crawl_depth, url_scope crawl_scope, run_settings_prev *prev);

#endif
