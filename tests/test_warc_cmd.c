/* test_warc_cmd.c — `clipcrawl warc` end to end: a WARC and a WAT file whose
 * pages point at images on a loopback nginx; checks what is requested (robots.txt
 * once, never a disallowed, opted-out or caption-rejected image, never the
 * pages themselves), the outcomes in the index, an idempotent rerun,
 * --no-download's JSON lines (and that it requests and writes nothing), and
 * the failures a user can hit (missing file, not a WARC, damaged input). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "image.h"
#include "json.h"
#include "photogen.h"
#include "testutil.h"

static char *work;

static void make_jpeg(const char *path, int w, int h, uint64_t seed)
{
    img_image im = {.width = w, .height = h, .mode = IMG_MODE_RGB, .channels = 3};
    im.pixels = xmalloc((size_t)w * h * 3);
    photogen_make(w, h, seed, im.pixels);
    ccbuf b = {0};
    char err[256];
    if (img_encode(&im, ENC_JPG, 85, &b, err, sizeof err) != CC_OK) {
        fprintf(stderr, "encode: %s\n", err);
        exit(99);
    }
    tu_write_file(path, b.data, b.len);
    ccbuf_free(&b);
    img_image_free(&im);
}

static void add_response(ccbuf *out, const char *uri, const char *headers, const char *body)
{
    ccbuf b = {0};
    ccbuf_printf(&b, "HTTP/1.1 200 OK\r\n%s\r\n", headers);
    ccbuf_puts(&b, body);
    tu_warc_record(out, "response", uri, "application/http; msgtype=response", (const char *)b.data, b.len);
    ccbuf_free(&b);
}

static long long db_int(const char *dir, const char *sql) { return tu_index_int(dir, "%s", sql); }

static long long item_count(const char *dir, const char *url_part, const char *status, const char *reason)
{
    char *sql = xasprintf("SELECT count(*) FROM items WHERE url LIKE '%%%s' AND status='%s'%s%s%s", url_part, status,
                          reason ? " AND reason='" : "", reason ? reason : "", reason ? "'" : "");
    long long n = db_int(dir, sql);
    free(sql);
    return n;
}

int main(void)
{
    work = tu_mkdtemp("warc-cmd");
    char *site = xasprintf("%s/site", work);
    char *img = xasprintf("%s/site/img", work);
    char *priv = xasprintf("%s/site/private", work);
    mkdir(site, 0755), mkdir(img, 0755), mkdir(priv, 0755);
    chmod(work, 0755);
    const char *names[] = {"img/fox.jpg", "private/owl.jpg", "img/file.jpg", "img/lighthouse.jpg", "img/boat.jpg",
                           "img/ramen.jpg"};
    for (int i = 0; i < 6; i++) {
        char *p = xasprintf("%s/%s", site, names[i]);
        make_jpeg(p, 320 + 16 * i, 240, 1000u + (uint64_t)i);
        free(p);
    }
    char *robots = xasprintf("%s/robots.txt", site);
    tu_write_file(robots, "User-agent: *\nDisallow: /private/\n", 34);
    tu_server *srv = tu_nginx_start(site);
    const char *base = tu_server_base(srv);

    /* the WARC: a chunked page (fox, owl under /private/, a filename caption), a
     * gzip-encoded page with X-Robots-Tag noai, a revisit, a request */
    ccbuf w = {0};
    char *p1 = xasprintf("%s/gallery/index.html", base);
    char *html1 = xasprintf("<html><head><title>Gallery</title></head><body>"
                            "<p><img src=\"/img/fox.jpg\" alt=\"A red fox standing in deep snow\"></p>"
                            "<p><img src=\"../private/owl.jpg\" alt=\"A snowy owl on a birch branch\"></p>"
                            "<p><img src=\"/img/file.jpg\" alt=\"IMG_1234.JPG\"></p></body></html>");
    ccbuf ch = {0};
    ccbuf_printf(&ch, "%zx\r\n%s\r\n0\r\n\r\n", strlen(html1), html1);
    tu_warc_record(&w, "warcinfo", "", "application/warc-fields", "software: test\r\n", 16);
    tu_warc_record(&w, "request", p1, "application/http; msgtype=request", "GET / HTTP/1.1\r\n\r\n", 18);
    add_response(&w, p1, "Content-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\n", (const char *)ch.data);
    char *p2 = xasprintf("%s/blog/post.html", base);
    const char *html2 = "<html><body><img src=\"/img/lighthouse.jpg\" alt=\"Lighthouse on the cliffs at dusk\"></body></html>";
    {
        ccbuf b = {0};
        ccbuf_puts(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nX-Robots-Tag: noai\r\n\r\n");
        tu_gzip(&b, html2, strlen(html2));
        tu_warc_record(&w, "response", p2, "application/http; msgtype=response", (const char *)b.data, b.len);
        ccbuf_free(&b);
    }
    tu_warc_record(&w, "revisit", p1, "application/http; msgtype=response", "HTTP/1.1 200 OK\r\n\r\n", 19);
    char *warc = xasprintf("%s/in.warc.gz", work);
    tu_write_file(warc, w.data, w.len);

    /* the WAT: one page with a boat and a ramen bowl */
    ccbuf t = {0};
    char *p3 = xasprintf("%s/harbour/", base);
    char *json = xasprintf("{\"Envelope\":{\"WARC-Header-Metadata\":{\"WARC-Type\":\"response\",\"WARC-Target-URI\":\"%s\"},"
                           "\"Payload-Metadata\":{\"HTTP-Response-Metadata\":{\"Headers\":{\"Content-Type\":\"text/html\"},"
                           "\"HTML-Metadata\":{\"Head\":{\"Base\":\"%s/img/\"},\"Links\":["
                           "{\"path\":\"IMG@/src\",\"url\":\"boat.jpg\",\"alt\":\"Fishing boat moored at the old pier\"},"
                           "{\"path\":\"A@/href\",\"url\":\"/elsewhere\"},"
                           "{\"path\":\"IMG@/src\",\"url\":\"ramen.jpg\",\"title\":\"A bowl of ramen with a soft egg\"}]}}}}}",
                           p3, base);
    tu_warc_record(&t, "metadata", p3, "application/json", json, strlen(json));
    char *wat = xasprintf("%s/in.warc.wat.gz", work);
    tu_write_file(wat, t.data, t.len);

    /* --no-download: JSON lines, no request, nothing written */
    tu_output o;
    tu_run_clipcrawl(&o, "warc", warc, wat, "--no-download", NULL);
    CHECK(o.status == 0, "no-download exit %d: %s", o.status, tu_str(&o.err));
    const char *out = tu_str(&o.out);
    int lines = 0;
    for (const char *q = out; (q = strchr(q, '\n')); q++)
        lines++;
    CHECK(lines == 6, "%d lines:\n%s", lines, out);
    char *want = xasprintf("{\"url\":\"%s/img/fox.jpg\",\"caption\":\"A red fox standing in deep snow\","
                           "\"caption_source\":\"alt\",\"page_url\":\"%s\",\"verdict\":\"keep\",\"placement\":\"\"}",
                           base, p1);
    CHECK(strstr(out, want) != NULL, "fox line missing:\n%s", out);
    free(want);
    CHECK(strstr(out, "\"caption\":\"IMG_1234.JPG\",\"caption_source\":\"alt\"") &&
              strstr(out, "\"verdict\":\"reject:filename\""), "filename verdict:\n%s", out);
    CHECK(strstr(out, "\"optout\":\"noai\"") != NULL, "noai page:\n%s", out);
    CHECK(strstr(out, "\"caption\":\"A bowl of ramen with a soft egg\",\"caption_source\":\"title\"") != NULL,
          "wat title:\n%s", out);
    /* where each image sits: known for the WARC pages' images, not for the WAT's links */
    CHECK(strstr(out, "/img/lighthouse.jpg") && strstr(strstr(out, "/img/lighthouse.jpg"), "\"placement\":\"\"}"),
          "placement of a page image:\n%s", out);
    {
        const char *ramen = strstr(out, "ramen.jpg");
        const char *eol = ramen ? strchr(ramen, '\n') : NULL;
        CHECK(ramen && eol && !memmem(ramen, (size_t)(eol - ramen), "placement", 9), "a WAT image has no placement:\n%s",
              out);
    }
    /* every line is a JSON object with the five fields */
    for (const char *q = out; *q;) {
        const char *e = strchr(q, '\n');
        if (!e)
            break;
        char perr[128];
        json_value *v = json_parse(q, (size_t)(e - q), perr, sizeof perr);
        CHECK(v && json_get_string(v, "url", NULL) && json_get_string(v, "caption", NULL) &&
                  json_get_string(v, "caption_source", NULL) && json_get_string(v, "page_url", NULL) &&
                  json_get_string(v, "verdict", NULL), "line: %.*s", (int)(e - q), q);
        json_free(v);
        q = e + 1;
    }
    tu_output_free(&o);
    CHECK(tu_access_log_count(srv, NULL) == 0, "--no-download made %d requests", tu_access_log_count(srv, NULL));

    /* download */
    char *ds = xasprintf("%s/ds", work);
    tu_run_clipcrawl(&o, "warc", warc, wat, "-o", ds, "--allow-private", "--host-delay", "0", "-q", NULL);
    CHECK(o.status == 0, "warc exit %d: %s", o.status, tu_str(&o.err));
    CHECK(strstr(tu_str(&o.out), "\"accepted\":3") != NULL, "counts: %s", tu_str(&o.out));
    tu_output_free(&o);
    tu_access_log_wait(srv, "boat.jpg", 1, 5);
    CHECK_EQ_INT(tu_access_log_count(srv, "/robots.txt"), 1);
    CHECK_EQ_INT(tu_access_log_count(srv, "/img/fox.jpg"), 1);
    CHECK_EQ_INT(tu_access_log_count(srv, "/img/boat.jpg"), 1);
    CHECK_EQ_INT(tu_access_log_count(srv, "/img/ramen.jpg"), 1);
    CHECK_EQ_INT(tu_access_log_count(srv, "/private/"), 0);     /* robots.txt disallows it */
    CHECK_EQ_INT(tu_access_log_count(srv, "/img/file.jpg"), 0); /* caption rejected */
    CHECK_EQ_INT(tu_access_log_count(srv, "lighthouse"), 0);    /* page says noai */
    CHECK_EQ_INT(tu_access_log_count(srv, ".html"), 0);         /* pages come from the archive */
    CHECK_EQ_INT(tu_access_log_count(srv, "/harbour"), 0);
    CHECK_EQ_INT(item_count(ds, "/img/fox.jpg", "accepted", NULL), 1);
    CHECK_EQ_INT(item_count(ds, "/img/boat.jpg", "accepted", NULL), 1);
    CHECK_EQ_INT(item_count(ds, "/img/ramen.jpg", "accepted", NULL), 1);
    CHECK_EQ_INT(item_count(ds, "/private/owl.jpg", "optout", "robots"), 1);
    CHECK_EQ_INT(item_count(ds, "/img/file.jpg", "rejected", "filename"), 1);
    CHECK_EQ_INT(item_count(ds, "/img/lighthouse.jpg", "optout", "noai"), 1);
    CHECK_EQ_INT(db_int(ds, "SELECT count(*) FROM items"), 6);
    CHECK_EQ_INT(db_int(ds, "SELECT count(*) FROM items i JOIN inputs n ON n.id = i.input_id WHERE n.name = 'warc'"), 6);
    /* why each URL was taken is kept, as crawl keeps it */
    CHECK_EQ_INT(db_int(ds, "SELECT count(*) FROM crawl_images WHERE image_source = 'img'"), 4);
    CHECK_EQ_INT(db_int(ds, "SELECT count(*) FROM crawl_images WHERE image_source = 'wat'"), 2);
    /* the page URL and caption source are kept */
    char *sql = xasprintf("SELECT count(*) FROM items WHERE page_url = '%s' AND caption_source = 'title'", p3);
    CHECK_EQ_INT(db_int(ds, sql), 1);
    free(sql);

    /* a rerun: nothing new is requested or written */
    int before = tu_access_log_count(srv, NULL);
    tu_run_clipcrawl(&o, "warc", warc, wat, "-o", ds, "--allow-private", "--host-delay", "0", "-q", NULL);
    CHECK(o.status == 0, "rerun exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    CHECK_EQ_INT(db_int(ds, "SELECT count(*) FROM items"), 6);
    CHECK(tu_access_log_count(srv, NULL) <= before + 1, "rerun requested %d more", tu_access_log_count(srv, NULL) - before);
    CHECK_EQ_INT(tu_access_log_count(srv, "/img/fox.jpg"), 1);
    tu_run_clipcrawl(&o, "verify", ds, NULL);
    CHECK(o.status == 0, "verify: %s%s", tu_str(&o.out), tu_str(&o.err));
    tu_output_free(&o);

    /* failures */
    char *missing = xasprintf("%s/nope.warc.gz", work);
    tu_run_clipcrawl(&o, "warc", missing, "--no-download", NULL);
    CHECK(o.status == 1 && strstr(tu_str(&o.err), "nope.warc.gz"), "missing: %d %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    char *notwarc = xasprintf("%s/not.warc", work);
    tu_write_file(notwarc, "<html>hello</html>\n", 19);
    tu_run_clipcrawl(&o, "warc", notwarc, "--no-download", NULL);
    CHECK(o.status == 1 && strstr(tu_str(&o.err), "not a WARC file") && strstr(tu_str(&o.err), "not.warc"),
          "not a warc: %d %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    char *cut = xasprintf("%s/cut.warc.gz", work);
    tu_write_file(cut, w.data, w.len - 20);
    tu_run_clipcrawl(&o, "warc", cut, "--no-download", NULL);
    CHECK(o.status == 1 && strstr(tu_str(&o.err), "cut.warc.gz") && strstr(tu_str(&o.err), "truncated"),
          "damaged: %d %s", o.status, tu_str(&o.err));
    CHECK(strstr(tu_str(&o.out), "fox.jpg") != NULL, "records before the damage are listed");
    tu_output_free(&o);
    tu_run_clipcrawl(&o, "warc", cut, "--no-download", "--allow-damaged", NULL);
    CHECK(o.status == 0 && strstr(tu_str(&o.err), "truncated"), "allow-damaged: %d %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    tu_run_clipcrawl(&o, "warc", warc, NULL);
    CHECK(o.status == 2 && strstr(tu_str(&o.err), "-o"), "no -o: %d %s", o.status, tu_str(&o.err));
    tu_output_free(&o);

    tu_server_stop(srv);
    if (!getenv("TU_KEEP"))
        tu_rm_rf(work);
    free(site), free(img), free(priv), free(robots), free(p1), free(p2), free(p3), free(html1), free(json);
    free(warc), free(wat), free(ds), free(missing), free(notwarc), free(cut), free(work);
    ccbuf_free(&w), ccbuf_free(&t), ccbuf_free(&ch);
    return check_summary();
}
