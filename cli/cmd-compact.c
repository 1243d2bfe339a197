/* cmd-compact.c — clipcrawl compact DIR (dataset/compact.h). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "compact.h"
#include "dataset.h"

const char compact_usage[] =
    "usage: clipcrawl compact DIR\n"
    "  Drops the frames of samples that are no longer accepted (after `refilter`)\n"
    "  from DIR's sealed shards, atomically per shard: accepted samples keep their\n"
    "  keys and bytes, dropped ones keep their index rows without a shard. Also\n"
    "  finishes a compaction a crash interrupted. Prints\n"
    "  {\"shards\",\"dropped\",\"kept\",\"bytes_before\",\"bytes_after\"}.\n";

int cmd_compact(int argc, char **argv)
{
    if (cli_wants_help("compact", argc, argv))
        return EXIT_OK;
    if (argc != 2 || argv[1][0] == '-')
        return cli_usage_error("compact", "takes one DIR");
    char err[512];
    dataset *ds = dataset_open(argv[1], NULL, err, sizeof err);
    if (!ds)
        return cli_fail("compact", "%s", err);
    dataset_compact_counts c;
    int status = EXIT_OK;
    if (dataset_compact(ds, &c) != CC_OK)
        status = cli_fail("compact", "%s", dataset_errmsg(ds));
    if (dataset_close(ds, 0, err, sizeof err) != CC_OK && status == EXIT_OK)
        status = cli_fail("compact", "%s", err);
    if (status == EXIT_OK)
        printf("{\"shards\":%lld,\"dropped\":%lld,\"kept\":%lld,\"bytes_before\":%lld,\"bytes_after\":%lld}\n",
               (long long)c.shards, (long long)c.dropped, (long long)c.kept, (long long)c.bytes_before,
               (long long)c.bytes_after);
    return status;
}
