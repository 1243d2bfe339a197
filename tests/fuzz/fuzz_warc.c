/* fuzz_warc.c — libFuzzer target for the WARC reader (warc.h) and the WAT
 * link parser (wat.h): the bytes are read as a WARC stream (plain or gzip),
 * every HTTP block is parsed, every JSON block goes through wat_parse().
 * Invariants: warc_next() stops (0) and stays stopped; a block is never
 * longer than its declared length or max_block; an HTTP parse either fails
 * with a reason or gives a NUL-terminated payload within max_payload; a WAT
 * page's image URLs are absolute http(s).
 * clang -fsanitize=fuzzer,address -DFUZZ_NO_MAIN builds a real fuzzer; the
 * plain build has a main() running the target over files/dirs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_dir.h"
#include "warc.h"
#include "wat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    warc_options o;
    warc_options_init(&o);
    o.max_block = 1u << 20;
    warc_reader *r = warc_open_mem(data, size, &o);
    warc_record rec;
    uint64_t n = 0;
    while (warc_next(r, &rec) == 1) {
        n++;
        if (!rec.type_name || !rec.version)
            abort();
        const unsigned char *b;
        size_t len;
        warc_block_status bs = warc_read_block(r, &b, &len);
        if (bs == WARC_BLOCK_OK || bs == WARC_BLOCK_TRUNCATED) {
            if (!b || len > rec.content_length || len > o.max_block || b[len] != 0)
                abort();
            if (bs == WARC_BLOCK_OK && len != rec.content_length)
                abort();
            warc_http h;
            char err[200];
            if (warc_http_parse(b, len, 65536, &h, err, sizeof err) == 0) {
                if (!h.payload || h.payload_len > 65536 || h.payload[h.payload_len] != 0 || !h.start_line)
                    abort();
                (void)warc_is_html_type(warc_http_get(&h, "Content-Type"));
                free(warc_http_get_all(&h, "X-Robots-Tag"));
                warc_http_free(&h);
            } else if (!err[0]) {
                abort();
            }
            wat_page p;
            int w = wat_parse((const char *)b, len, rec.target_uri, NULL, &p, err, sizeof err);
            if (w == 1) {
                for (size_t i = 0; i < p.n_images; i++)
                    if (strncmp(p.images[i].url, "http", 4) != 0)
                        abort();
                wat_page_free(&p);
            } else if (w < 0 && !err[0]) {
                abort();
            }
            if (warc_read_block(r, &b, &len) != WARC_BLOCK_GONE)
                abort();
        } else if (bs == WARC_BLOCK_TOO_LARGE) {
            if (rec.content_length <= o.max_block)
                abort();
        }
    }
    if (warc_next(r, &rec) != 0)
        abort();
    warc_stats_t st;
    warc_stats(r, &st);
    if (st.records != n)
        abort();
    warc_close(r);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_warc", LLVMFuzzerTestOneInput);
}
#endif
