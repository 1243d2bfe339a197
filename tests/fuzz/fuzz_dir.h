/* fuzz_dir.h — runs a libFuzzer-style target over files and directories, so
 * fuzz corpora double as ordinary tests (and a plain gcc build of a fuzz
 * target is a reproducer: ./fuzz_x FILE_OR_DIR...). */
#ifndef CC_FUZZ_DIR_H
#define CC_FUZZ_DIR_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef int (*fuzz_target_fn)(const uint8_t *data, size_t size);

/* Feeds path (a file, or every regular file below a directory) to fn.
 * Returns the number of inputs run, or -1 if path cannot be read. */
static inline long fuzz_run_path(const char *path, fuzz_target_fn fn)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return -1;
        long total = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            size_t n = strlen(path) + strlen(e->d_name) + 2;
            char *sub = malloc(n);
            if (!sub)
                abort();
            snprintf(sub, n, "%s/%s", path, e->d_name);
            long k = fuzz_run_path(sub, fn);
            free(sub);
            if (k > 0)
                total += k;
        }
        closedir(d);
        return total;
    }
    if (!S_ISREG(st.st_mode))
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = (size_t)st.st_size + 1, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        abort();
    n = fread(buf, 1, cap, f);
    fclose(f);
    /* Exact-size copy so ASan catches reads past the end. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact)
        abort();
    memcpy(exact, buf, n);
    free(buf);
    fn(exact, n);
    free(exact);
    return 1;
}

/* For parsers that read a path: writes data to one in-memory file per
 * process (memfd) and returns its /proc/self/fd path, valid until the next
 * call. Aborts if the kernel refuses. */
static inline const char *fuzz_memfd_path(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz", 0);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
    return path;
}

/* The main() of a fuzz target built as a plain program: runs fn over every
 * argument (file or directory), prints how many inputs ran. */
static inline int fuzz_main(int argc, char **argv, const char *name, fuzz_target_fn fn)
{
    long total = 0;
    for (int i = 1; i < argc; i++) {
        long k = fuzz_run_path(argv[i], fn);
        if (k < 0) {
            fprintf(stderr, "%s: cannot read '%s'\n", name, argv[i]);
            return 1;
        }
        total += k;
    }
    printf("%s: %ld inputs ran\n", name, total);
    if (total == 0) { /* an empty corpus proves nothing */
        fprintf(stderr, "%s: no inputs found in the arguments\n", name);
        return 1;
    }
    return 0;
}

#endif
