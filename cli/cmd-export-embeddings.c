/* cmd-export-embeddings.c — clipcrawl export-embeddings DIR -o OUT: the stored
 * image embeddings in clip-retrieval's layout (img_emb/img_emb_0.npy +
 * metadata/metadata_0.jsonl), for the samples a selection picks. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "dataset.h"
#include "dataset_emb.h"

const char export_embeddings_usage[] =
    "usage: clipcrawl export-embeddings DIR -o OUT [--model-id ID] [--where EXPR] [--fts WORDS]\n"
    "                                   [--min-clip-score X]\n"
    "  Writes the image embeddings stored by `score` in clip-retrieval's layout:\n"
    "    OUT/img_emb/img_emb_0.npy       float16, N x D, L2-normalised (NumPy .npy)\n"
    "    OUT/metadata/metadata_0.jsonl   line i: {\"key\",\"url\",\"caption\",\"clip_score\"} of row i\n"
    "  Rows in key order; accepted samples with an embedding, narrowed by the options\n"
    "  (as in query). --model-id picks a model by its 16-hex-digit id (default: the\n"
    "  model that scored the most samples). Prints {\"rows\",\"dim\",\"model\",\"out\"}.\n";

int cmd_export_embeddings(int argc, char **argv)
{
    if (cli_wants_help("export-embeddings", argc, argv))
        return EXIT_OK;
    const char *dir = NULL, *out = NULL, *model_id = NULL;
    dataset_selection sel = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) {
            if (dir)
                return cli_usage_error("export-embeddings", "unexpected argument '%s'", a);
            dir = a;
            continue;
        }
        if (i + 1 >= argc)
            return cli_usage_error("export-embeddings", "%s needs a value", a);
        const char *v = argv[++i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)
            out = v;
        else if (strcmp(a, "--model-id") == 0)
            model_id = v;
        else if (strcmp(a, "--where") == 0)
            sel.where = v;
        else if (strcmp(a, "--fts") == 0)
            sel.fts = v;
        else if (strcmp(a, "--min-clip-score") == 0) {
            if (cli_parse_double(v, &sel.min_clip_score) != 0)
                return cli_usage_error("export-embeddings", "bad --min-clip-score '%s' (a number)", v);
            sel.has_min_clip_score = 1;
        } else
            return cli_usage_error("export-embeddings", "unknown option '%s'", a);
    }
    if (!dir || !out)
        return cli_usage_error("export-embeddings", "needs DIR and -o OUT");
    char err[512];
    dataset *ds = dataset_open_readonly(dir, err, sizeof err);
    if (!ds)
        return cli_fail("export-embeddings", "%s", err);
    int status = EXIT_OK;
    dataset_emb_model m;
    int64_t rows = 0;
    if (dataset_emb_model_find(ds, model_id, NULL, &m, err, sizeof err) != CC_OK) {
        status = cli_fail("export-embeddings", "%s", err);
    } else {
        sel.model_row = m.row;
        if (dataset_emb_export(ds, &m, &sel, out, &rows, err, sizeof err) != CC_OK)
            status = cli_fail("export-embeddings", "%s", err);
        else if (rows == 0)
            status = cli_fail("export-embeddings", "%s: the selection holds no sample with a stored embedding", dir);
        else {
            ccbuf b = {0};
            ccbuf_printf(&b, "{\"rows\":%lld,\"dim\":%d,\"model\":\"%s\",\"out\":", (long long)rows, m.dim, m.model_id);
            ccbuf_json_string(&b, out, strlen(out));
            ccbuf_puts(&b, "}\n");
            fwrite(b.data, 1, b.len, stdout);
            ccbuf_free(&b);
        }
        dataset_emb_model_clear(&m);
    }
    if (fflush(stdout) != 0 && status == EXIT_OK)
        status = cli_fail("export-embeddings", "cannot write to stdout");
    dataset_close(ds, 0, NULL, 0);
    return status;
}
