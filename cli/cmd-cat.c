/* cmd-cat.c — clipcrawl cat DIR KEY [--member M]: one member's exact bytes to stdout. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "dataset.h"
#include "dataset_emb.h"

static int valid_key(const char *k)
{
    if (strlen(k) != 9)
        return 0;
    for (int i = 0; i < 9; i++)
        if (k[i] < '0' || k[i] > '9')
            return 0;
    return 1;
}

int cmd_cat(int argc, char **argv)
{
    if (cli_wants_help("cat", argc, argv))
        return EXIT_OK;
    const char *dir = NULL, *key = NULL, *member = "image";
    int raw = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--raw") == 0) {
            raw = 1;
        } else if (strcmp(argv[i], "--member") == 0 || strcmp(argv[i], "-m") == 0) {
            if (++i >= argc)
                return cli_usage_error("cat", "--member needs a value (jpg, png, webp, image, txt or json)");
            member = argv[i];
        } else if (strncmp(argv[i], "--member=", 9) == 0) {
            member = argv[i] + 9;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("cat", "unknown option '%s'", argv[i]);
        } else if (!dir) {
            dir = argv[i];
        } else if (!key) {
            key = argv[i];
        } else {
            return cli_usage_error("cat", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!dir || !key)
        return cli_usage_error("cat", "needs DIR and KEY");
    if (!valid_key(key))
        return cli_usage_error("cat", "bad key '%s' (9 digits, e.g. 000070042)", key);
    static const char *const members[] = {"image", "jpg", "png", "webp", "txt", "json"};
    int ok = 0;
    for (size_t i = 0; i < sizeof members / sizeof *members; i++)
        ok |= strcmp(member, members[i]) == 0;
    if (!ok)
        return cli_usage_error("cat", "bad member '%s' (jpg, png, webp, image, txt or json)", member);

    char err[512];
    dataset *ds = dataset_open_readonly(dir, err, sizeof err);
    if (!ds)
        return cli_fail("cat", "%s", err);
    ccbuf out = {0};
    cc_err rc = dataset_read_member(ds, key, member, &out);
    int status = EXIT_OK;
    double score;
    int scored = 0;
    /* Shard frames are immutable: a sample scored after it was written has
     * no clip_score in its stored KEY.json, so the index's is merged in
     * (--raw prints the stored bytes). */
    if (rc == CC_OK && !raw && strcmp(member, "json") == 0 && out.len > 1 &&
        ((char *)out.data)[out.len - 1] == '}' && !strstr((const char *)out.data, "\"clip_score\":")) {
        scored = dataset_clip_score(ds, key, &score, err, sizeof err);
        if (scored < 0)
            rc = CC_ERR_DB;
        else if (scored > 0) {
            out.len--;
            ccbuf_printf(&out, ",\"clip_score\":%.6f}", score);
        }
    }
    if (rc != CC_OK) {
        status = cli_fail("cat", "%s", scored < 0 ? err : dataset_errmsg(ds));
    } else if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len) {
        status = cli_fail("cat", "cannot write to stdout");
    }
    if (fflush(stdout) != 0 && status == EXIT_OK)
        status = cli_fail("cat", "cannot write to stdout");
    ccbuf_free(&out);
    dataset_close(ds, 0, NULL, 0);
    return status;
}
