/* cmd-verify.c — clipcrawl verify DIR: do shards and index agree?
 * The checks are dataset_verify's (dataset/verify.c). Problems go to stdout
 * one per line; exit 1 if any. */
#include <stdio.h>

#include "commands.h"
#include "common.h"
#include "dataset.h"

static void print_problem(const char *msg, void *ctx)
{
    (void)ctx;
    printf("%s\n", msg);
}

static void print_note(const char *msg, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "verify: note: %s\n", msg);
}

int cmd_verify(int argc, char **argv)
{
    if (cli_wants_help("verify", argc, argv))
        return EXIT_OK;
    if (argc < 2)
        return cli_usage_error("verify", "needs DIR");
    if (argc > 2 || argv[1][0] == '-')
        return cli_usage_error("verify", "takes one DIR, got '%s'", argv[argc > 2 ? 2 : 1]);
    const char *dir = argv[1];
    char err[512];
    dataset *ds = dataset_open_readonly(dir, err, sizeof err);
    if (!ds)
        return cli_fail("verify", "%s", err);
    dataset_verify_result v;
    int status = EXIT_OK;
    if (dataset_verify(ds, print_problem, print_note, NULL, &v) != CC_OK)
        status = cli_fail("verify", "%s", dataset_errmsg(ds));
    dataset_close(ds, 0, NULL, 0);
    if (status != EXIT_OK)
        return status;
    fprintf(stderr, "verify: %s: %ld shards, %ld samples checked, %ld problem%s\n", dir, v.shards, v.samples,
            v.problems, v.problems == 1 ? "" : "s");
    return v.problems ? EXIT_FAIL : EXIT_OK;
}
