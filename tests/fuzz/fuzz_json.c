/* fuzz_json.c — libFuzzer target for the JSON reader (common/json.h): any
 * bytes either parse into a tree whose strings are valid UTF-8 of the stated
 * length, or fail with a message; never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_dir.h"
#include "json.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const json_value *v, int depth)
{
    if (depth > 600) /* the reader refuses nesting beyond 512 */
        abort();
    switch (v->type) {
    case JSON_STRING:
        if (!v->string || v->string[v->len] != '\0' || !cc_utf8_valid(v->string, v->len))
            abort();
        break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        for (size_t i = 0; i < v->len; i++) {
            if (v->type == JSON_OBJECT) {
                (void)json_get(v, v->keys[i]); /* the lookup finds a member */
                if (!json_get(v, v->keys[i]))
                    abort();
            }
            walk(v->items[i], depth + 1);
        }
        (void)json_at(v, v->len);
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256] = "";
    json_value *v = json_parse((const char *)data, size, err, sizeof err);
    if (!v) {
        if (!err[0])
            abort(); /* a failure must say why */
        return 0;
    }
    walk(v, 0);
    (void)json_get_number(v, "a", 0);
    (void)json_get_string(v, "b", NULL);
    (void)json_get_bool(v, "c", 0);
    json_free(v);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_json", LLVMFuzzerTestOneInput);
}
#endif
