/* part-args.c — the --part / --part-count flags of fetch, crawl and warc. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"

int cli_part_flag(cli_part_args *pa, const char *a, const char *v, int *takes)
{
    *takes = 0;
    if (strcmp(a, "--part") == 0) {
        if (!v)
            return -1;
        pa->spec = v;
    } else if (strcmp(a, "--part-count") == 0) {
        long n;
        if (!v || cli_parse_long(v, 1, 65536, &n) != 0)
            return -1;
        pa->count = (int)n;
    } else {
        return 0;
    }
    *takes = 1;
    return 1;
}

static const char *env_lookup(const char *name, void *ctx)
{
    (void)ctx;
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int cli_part_resolve(const char *cmd, const cli_part_args *pa, cc_part *out)
{
    char err[256];
    if (part_parse(pa->spec, pa->count, env_lookup, NULL, out, err, sizeof err) != 0)
        return cli_usage_error(cmd, "%s", err);
    return EXIT_OK;
}
