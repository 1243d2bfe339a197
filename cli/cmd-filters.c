/* cmd-filters.c — `clipcrawl filters --print-defaults | --check FILE`:
 * the filter configuration file (filters/filterconf.h). */
#include <string.h>

#include "commands.h"
#include "common.h"
#include "filterconf.h"

int cmd_filters(int argc, char **argv)
{
    if (cli_wants_help("filters", argc, argv))
        return EXIT_OK;
    if (argc == 2 && strcmp(argv[1], "--print-defaults") == 0) {
        filter_config c;
        filter_config_defaults(&c);
        ccbuf out = {0};
        filter_config_write(&c, &out);
        fwrite(out.data, 1, out.len, stdout);
        ccbuf_free(&out);
        return EXIT_OK;
    }
    if (argc == 3 && strcmp(argv[1], "--check") == 0) {
        filter_config c;
        filter_config_defaults(&c);
        char err[1024];
        cc_err e = filter_config_load(&c, argv[2], err, sizeof err);
        if (e != CC_OK)
            return cli_fail("filters", "%s", err);
        ccbuf out = {0};
        filter_config_write(&c, &out);
        fwrite(out.data, 1, out.len, stdout);
        ccbuf_free(&out);
        return EXIT_OK;
    }
    return cli_usage_error("filters", "expected --print-defaults or --check FILE");
}
