/* cmd-robots.c — `clipcrawl robots ROBOTS_FILE --agent UA URL...`:
 * the robots.txt verdict for each URL, one line each. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "robots.h"

int cmd_robots(int argc, char **argv)
{
    if (cli_wants_help("robots", argc, argv))
        return EXIT_OK;
    const char *file = NULL, *agent = NULL;
    const char **urls = xcalloc((size_t)argc, sizeof *urls);
    size_t n_urls = 0;
    int only_args = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_args && strcmp(a, "--") == 0) {
            only_args = 1;
        } else if (!only_args && (strcmp(a, "--agent") == 0 || strcmp(a, "-A") == 0)) {
            if (i + 1 >= argc) {
                free(urls);
                return cli_usage_error("robots", "%s needs a value", a);
            }
            agent = argv[++i];
        } else if (!only_args && strncmp(a, "--agent=", 8) == 0) {
            agent = a + 8;
        } else if (!only_args && a[0] == '-' && a[1] != 0) {
            free(urls);
            return cli_usage_error("robots", "unknown option '%s'", a);
        } else if (!file) {
            file = a;
        } else {
            urls[n_urls++] = a;
        }
    }
    if (!file || !agent || n_urls == 0) {
        free(urls);
        return cli_usage_error("robots", "need ROBOTS_FILE, --agent UA and at least one URL");
    }
    /* A full User-Agent ("clipcrawl/0.1 (+http://...)") is reduced to its
     * product token, as RFC 9309 2.2.1 says crawlers match. */
    char token[256];
    if (robots_product_token(agent, token, sizeof token) == 0) {
        free(urls);
        return cli_usage_error("robots", "agent '%s' has no product token (letters, '_' or '-')", agent);
    }
    ccbuf body = {0};
    if (strcmp(file, "-") == 0) {
        char chunk[65536];
        size_t k;
        while ((k = fread(chunk, 1, sizeof chunk, stdin)) > 0)
            ccbuf_append(&body, chunk, k);
    } else if (cc_read_file(file, &body) != CC_OK) {
        free(urls);
        return cli_fail("robots", "cannot read '%s': %s", file, strerror(errno));
    }
    robots_rules *r = robots_parse((const char *)body.data, body.len);
    for (size_t i = 0; i < n_urls; i++)
        printf("%s\t%s\n", robots_allowed(r, token, urls[i]) ? "allowed" : "disallowed", urls[i]);
    robots_free(r);
    ccbuf_free(&body);
    free(urls);
    return EXIT_OK;
}
