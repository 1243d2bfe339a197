/* file.c — whole-file reads and mkdir -p. */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common.h"

cc_err cc_read_file(const char *path, ccbuf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return CC_ERR_IO;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ccbuf_append(out, chunk, n);
    int bad = ferror(f);
    int saved = errno;
    fclose(f);
    if (bad) {
        errno = saved;
        return CC_ERR_IO;
    }
    ccbuf_reserve(out, 0); /* data non-NULL and NUL-terminated even when empty */
    out->data[out->len] = '\0';
    return CC_OK;
}

int cc_mkdirs(const char *path, int mode)
{
    char *p = xstrdup(path);
    size_t len = strlen(p);
    for (size_t i = 1; i <= len; i++) {
        if (p[i] == '/' || p[i] == '\0') {
            char saved = p[i];
            p[i] = '\0';
            if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
                int e = errno;
                free(p);
                errno = e;
                return -1;
            }
            p[i] = saved;
        }
    }
    free(p);
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}
