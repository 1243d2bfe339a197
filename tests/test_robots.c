/* test_robots.c — robots.txt (RFC 9309): the conformance cases
 * (tests/data/conformance/robots), the extra tables of robots_cases.json, unit
 * cases and the CLI. The fuzz corpus replays in the fuzz suite. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "json.h"
#include "robots.h"


static const char *testdata(void)
{
    const char *s = getenv("CLIPCRAWL_TESTDATA");
    return s ? s : "tests/data";
}

static char *unhex(const char *h, size_t *len)
{
    if (strcmp(h, "-") == 0) {
        *len = 0;
        return xstrdup("");
    }
    size_t n = strlen(h) / 2;
    char *out = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (char)v;
    }
    out[n] = 0;
    *len = n;
    return out;
}

static void test_conformance_tsv(void)
{
    char *path = xasprintf("%s/conformance/robots/robots_cases.tsv", testdata());
    ccbuf f = {0};
    CHECK(cc_read_file(path, &f) == CC_OK, "read %s", path);
    if (!f.data) {
        free(path);
        return;
    }
    int rfc_total = 0, rfc_pass = 0, g_total = 0, g_agree = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)f.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !*line)
            continue;
        char *fld[6];
        int k = 0;
        char *s2 = NULL;
        for (char *t = strtok_r(line, "\t", &s2); t && k < 6; t = strtok_r(NULL, "\t", &s2))
            fld[k++] = t;
        CHECK(k == 6, "tsv line with %d fields", k);
        if (k != 6)
            continue;
        size_t bl, al, ul;
        char *body = unhex(fld[3], &bl), *agent = unhex(fld[4], &al), *url = unhex(fld[5], &ul);
        int expected = atoi(fld[1]), gs = atoi(fld[2]);
        robots_rules *r = robots_parse(body, bl);
        int got = robots_allowed(r, agent, url);
        if (!gs) {
            rfc_total++;
            rfc_pass += got == expected;
            CHECK(got == expected, "case %s: agent '%s' url '%s': got %s", fld[0], agent, url,
                  got ? "allowed" : "disallowed");
        } else {
            g_total++;
            if (got == expected)
                g_agree++;
            else
                printf("google_specific differs: %s (expected %s, we say %s)\n", fld[0],
                       expected ? "allowed" : "disallowed", got ? "allowed" : "disallowed");
        }
        robots_free(r);
        free(body);
        free(agent);
        free(url);
    }
    printf("robots conformance: %d/%d RFC cases pass; google_specific: %d/%d agree\n", rfc_pass, rfc_total,
           g_agree, g_total);
    CHECK(rfc_total >= 170, "only %d non-google cases read", rfc_total);
    ccbuf_free(&f);
    free(path);
}

static char *b64dec(const char *s, size_t *len)
{
    static const char *al = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    char *out = xmalloc(n + 1);
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = strchr(al, s[i]);
        if (!p || !s[i])
            continue;
        acc = (acc << 6) | (unsigned)(p - al);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xFF);
        }
    }
    out[o] = 0;
    *len = o;
    return out;
}

static void test_json_tables(void)
{
    char *path = xasprintf("%s/conformance/robots/robots_cases.json", testdata());
    ccbuf f = {0};
    CHECK(cc_read_file(path, &f) == CC_OK, "read %s", path);
    char err[200];
    json_value *root = f.data ? json_parse((char *)f.data, f.len, err, sizeof err) : NULL;
    CHECK(root != NULL, "parse %s", path);
    if (!root) {
        ccbuf_free(&f);
        free(path);
        return;
    }
    const json_value *t = json_get(root, "product_token_validity_cases");
    for (size_t i = 0; t && i < t->len; i++) {
        const char *tok = json_get_string(t->items[i], "product_token", "");
        int exp = json_get_bool(t->items[i], "expected_valid", -1);
        CHECK(robots_token_valid(tok) == exp, "token validity '%s'", tok);
    }
    t = json_get(root, "url_to_path_cases");
    for (size_t i = 0; t && i < t->len; i++) {
        const char *u = json_get_string(t->items[i], "url", "");
        char *p = robots_url_path(u);
        CHECK_EQ_STR(p, json_get_string(t->items[i], "expected_path", "?"));
        free(p);
    }
    t = json_get(root, "pattern_escape_cases");
    for (size_t i = 0; t && i < t->len; i++) {
        char *p = robots_escape_pattern(json_get_string(t->items[i], "pattern", ""));
        CHECK_EQ_STR(p, json_get_string(t->items[i], "expected", "?"));
        free(p);
    }
    t = json_get(root, "parser_stats_cases");
    int stats = 0;
    for (size_t i = 0; t && i < t->len; i++) {
        const json_value *c = t->items[i];
        size_t bl;
        char *body;
        if (json_get_string(c, "robotstxt_base64", NULL))
            body = b64dec(json_get_string(c, "robotstxt_base64", ""), &bl);
        else {
            body = xstrdup(json_get_string(c, "robotstxt", ""));
            bl = strlen(body);
        }
        robots_rules *r = robots_parse(body, bl);
        const char *field = json_get_string(c, "field", "");
        const char *exp = json_get_string(c, "expected", "");
        char got[256] = "?";
        if (strcmp(field, "report.valid_directives()") == 0)
            snprintf(got, sizeof got, "%zu", robots_valid_directives(r));
        else if (strcmp(field, "report.unknown_directives()") == 0)
            snprintf(got, sizeof got, "%zu", robots_unknown_directives(r));
        else if (strcmp(field, "report.last_line_seen()") == 0)
            snprintf(got, sizeof got, "%zu", robots_lines(r));
        else if (strcmp(field, "report.sitemap()") == 0)
            snprintf(got, sizeof got, "%s", robots_sitemap(r, 0) ? robots_sitemap(r, 0) : "(none)");
        CHECK(strcmp(got, exp) == 0, "%s line %d %s: got %s want %s", json_get_string(c, "test", ""),
              (int)json_get_number(c, "line", 0), field, got, exp);
        stats++;
        robots_free(r);
        free(body);
    }
    CHECK(stats >= 10, "parser stats cases read: %d", stats);
    json_free(root);
    ccbuf_free(&f);
    free(path);
}

static int allowed(const char *body, const char *agent, const char *url)
{
    robots_rules *r = robots_parse(body, strlen(body));
    int a = robots_allowed(r, agent, url);
    robots_free(r);
    return a;
}

static void test_units(void)
{
    /* the matcher on its own (TDMRep locations use it too) */
    CHECK(robots_pattern_matches("/a/b.jpg", "/a/"), "prefix");
    CHECK(robots_pattern_matches("/a/b.jpg", "/*.jpg$"), "star + anchor");
    CHECK(!robots_pattern_matches("/a/b.jpg?x", "/*.jpg$"), "anchor at the end");
    CHECK(robots_pattern_matches("/a/b.jpg?x", "/*.jpg"), "no anchor");
    CHECK(!robots_pattern_matches("/b", "/a"), "mismatch");
    CHECK(robots_pattern_matches("/", "*") && robots_pattern_matches("/x$y", "/x$y"), "'$' inside is literal");
    CHECK(!robots_pattern_matches(NULL, "/") && !robots_pattern_matches("/", NULL), "NULL");
    /* group merging, case-insensitive tokens, '*' fallback only without a match */
    const char *b = "User-agent: clipcrawl\nDisallow: /a\n\nUser-agent: *\nDisallow: /\n\nuser-agent: CLIPCRAWL\n"
                    "disallow: /b\nallow: /b/ok\n";
    CHECK_EQ_INT(allowed(b, "clipcrawl", "http://h/a/x"), 0);
    CHECK_EQ_INT(allowed(b, "ClipCrawl", "http://h/b/x"), 0);
    CHECK_EQ_INT(allowed(b, "clipcrawl", "http://h/b/ok/1"), 1);
    CHECK_EQ_INT(allowed(b, "clipcrawl", "http://h/c"), 1);
    CHECK_EQ_INT(allowed(b, "other", "http://h/c"), 0);
    /* longest match; allow wins a tie */
    CHECK_EQ_INT(allowed("User-agent: *\nAllow: /p\nDisallow: /p\n", "x", "/p/q"), 1);
    CHECK_EQ_INT(allowed("User-agent: *\nAllow: /p\nDisallow: /p/\n", "x", "/p/q"), 0);
    CHECK_EQ_INT(allowed("User-agent: *\nDisallow: /*.php$\n", "x", "/a.php"), 0);
    CHECK_EQ_INT(allowed("User-agent: *\nDisallow: /*.php$\n", "x", "/a.php?x"), 1);
    CHECK_EQ_INT(allowed("User-agent: *\nDisallow: /a$b\n", "x", "/a$b"), 0); /* '$' inside is literal */
    CHECK_EQ_INT(allowed("User-agent: *\nDisallow: /\n", "x", "/robots.txt"), 1);
    CHECK_EQ_INT(allowed("User-agent: *\nDisallow: /caf\xC3\xA9\n", "x", "/caf%c3%a9/x"), 0);
    /* the full URL's fragment is not part of the path */
    CHECK_EQ_INT(allowed("User-agent: *\nDisallow: /a$\n", "x", "http://h/a#frag"), 0);
    CHECK_EQ_INT(allowed("User-agent: *\nDisallow: /a$ # comment\n", "x", "http://h/a?q"), 1);

    /* crawl-delay of the applying group; sitemaps collected anywhere */
    const char *d = "Sitemap: http://h/s1.xml\nUser-agent: slow\nCrawl-delay: 7.5\nDisallow: /x\n"
                    "User-agent: *\nCrawl-delay: 2\n# c\nsitemap: http://h/s2.xml\n";
    robots_rules *r = robots_parse(d, strlen(d));
    CHECK(robots_crawl_delay(r, "slow") == 7.5, "crawl-delay slow %g", robots_crawl_delay(r, "slow"));
    CHECK(robots_crawl_delay(r, "fast") == 2, "crawl-delay * %g", robots_crawl_delay(r, "fast"));
    CHECK_EQ_INT(robots_sitemap_count(r), 2);
    CHECK_EQ_STR(robots_sitemap(r, 1), "http://h/s2.xml");
    CHECK(robots_sitemap(r, 2) == NULL, "sitemap out of range");
    robots_free(r);
    r = robots_parse("User-agent: a\nDisallow: /\n", 26);
    CHECK(robots_crawl_delay(r, "a") == -1, "no crawl-delay");
    robots_free(r);

    /* fetch-status semantics */
    struct { int st; int allowed, unreachable; } sc[] = {
        {200, 0, 0}, {404, 1, 0}, {410, 1, 0}, {401, 1, 0}, {403, 1, 0}, {429, 0, 1},
        {500, 0, 1}, {503, 0, 1}, {599, 0, 1}, {0, 0, 1}, {-1, 0, 1}, {301, 0, 0}, {600, 0, 0}};
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++) {
        r = robots_for_status(sc[i].st, "User-agent: *\nDisallow: /\n", 26);
        CHECK(robots_allowed(r, "x", "/page") == sc[i].allowed, "status %d", sc[i].st);
        CHECK(robots_status_unreachable(sc[i].st) == sc[i].unreachable, "status %d unreachable", sc[i].st);
        robots_free(r);
    }
    robots_free(NULL);
    CHECK_EQ_INT(robots_allowed(NULL, "x", "/"), 1);

    /* 500 KiB cap: a rule inside is obeyed, one beyond the cap is not read */
    size_t big = ROBOTS_MAX_BYTES + 4096;
    char *body = xmalloc(big + 64);
    size_t pos = 0;
    pos += (size_t)sprintf(body, "User-agent: *\nDisallow: /early\n");
    while (pos < ROBOTS_MAX_BYTES + 10) {
        body[pos] = pos % 64 == 0 ? '\n' : '#';
        pos++;
    }
    pos += (size_t)sprintf(body + pos, "\nDisallow: /late\n");
    r = robots_parse(body, pos);
    CHECK(robots_truncated(r), "truncated flag");
    CHECK_EQ_INT(robots_allowed(r, "x", "/early"), 0);
    CHECK_EQ_INT(robots_allowed(r, "x", "/late"), 1);
    robots_free(r);
    free(body);

    /* product tokens from full User-Agent strings */
    char tok[32];
    CHECK_EQ_INT(robots_product_token("clipcrawl/0.1 (+http://example.com/bot)", tok, sizeof tok), 9);
    CHECK_EQ_STR(tok, "clipcrawl");
    robots_product_token("Mozilla/5.0", tok, 4);
    CHECK_EQ_STR(tok, "Moz");
    CHECK_EQ_INT(robots_product_token("/x", tok, sizeof tok), 0);

    /* a pathological pattern against a long path finishes quickly */
    char *pat = xmalloc(20000);
    strcpy(pat, "User-agent: *\nDisallow: /");
    for (int i = 0; i < 2000; i++)
        strcat(pat, "*a");
    strcat(pat, "b\n");
    char *path = xmalloc(5002);
    path[0] = '/';
    memset(path + 1, 'a', 5000);
    path[5001] = 0;
    CHECK_EQ_INT(allowed(pat, "x", path), 1);
    /* its cost is bounded by pattern x path, not exponential: counted, not timed */
    size_t steps = 0, plen = strlen(pat + strlen("User-agent: *\nDisallow: ")) - 1; /* without the \n */
    char *rule = xstrndup(pat + strlen("User-agent: *\nDisallow: "), plen);
    CHECK_EQ_INT(robots_pattern_matches_steps(path, rule, &steps), 0);
    CHECK(steps > 0 && steps <= (plen + 1) * (strlen(path) + 1), "matcher took %zu steps, bound %zu", steps,
          (plen + 1) * (strlen(path) + 1));
    rule[plen - 1] = 'a'; /* ...*a*a*a: matches, same bound */
    CHECK_EQ_INT(robots_pattern_matches_steps(path, rule, &steps), 1);
    CHECK(steps > 0 && steps <= (plen + 1) * (strlen(path) + 1), "matcher took %zu steps", steps);
    free(rule);
    free(pat);
    free(path);
}

/* RFC 9309 2.5: the first 500 KiB are parsed; the line the cut runs through
 * is dropped whole, a line that ends exactly at the cut is kept. */
static void test_cut(void)
{
    size_t cap = ROBOTS_MAX_BYTES;
    char *body = xmalloc(cap + 256);
    /* filler comment lines up to where the last line must start */
    const char *head = "User-agent: *\nDisallow: /a\n";
    size_t pos = (size_t)sprintf(body, "%s", head);
    const char *last = "Allow: /abcdef\n"; /* the cut falls after "Allow: /a" */
    size_t start = cap - strlen("Allow: /a");
    while (pos < start) {
        size_t line = start - pos > 80 ? 80 : start - pos;
        memset(body + pos, '#', line - 1);
        body[pos + line - 1] = '\n';
        pos += line;
    }
    pos += (size_t)sprintf(body + pos, "%s", last);
    CHECK(pos > cap && memcmp(body + cap - 9, "Allow: /a", 9) == 0, "cut inside the Allow line");
    robots_rules *r = robots_parse(body, pos);
    CHECK(robots_truncated(r), "truncated");
    /* "Allow: /a" parsed in part would tie with Disallow: /a and allow it */
    CHECK_EQ_INT(robots_allowed(r, "x", "/a/x"), 0);
    CHECK_EQ_INT(robots_allowed(r, "x", "/abcdef"), 0);
    robots_free(r);
    /* the same file ending its last line exactly at the cut keeps that line */
    start = cap - strlen("Allow: /abcdef");
    pos = strlen(head);
    while (pos < start) {
        size_t line = start - pos > 80 ? 80 : start - pos;
        memset(body + pos, '#', line - 1);
        body[pos + line - 1] = '\n';
        pos += line;
    }
    pos += (size_t)sprintf(body + pos, "Allow: /abcdef\nDisallow: /\n");
    CHECK(body[cap] == '\n', "the line ends at the cut");
    r = robots_parse(body, pos);
    CHECK(robots_truncated(r), "truncated");
    CHECK_EQ_INT(robots_allowed(r, "x", "/abcdef"), 1);
    CHECK_EQ_INT(robots_allowed(r, "x", "/a/x"), 0);
    CHECK_EQ_INT(robots_allowed(r, "x", "/b"), 1); /* Disallow: / is past the cut */
    robots_free(r);
    /* one line longer than the cap: nothing is parsed, everything allowed */
    memset(body, ' ', cap + 10); /* "Disallow: /" and spaces: disallow all if read in part */
    memcpy(body, "Disallow: /", 11);
    r = robots_parse(body, cap + 10);
    CHECK_EQ_INT(robots_allowed(r, "x", "/x"), 1);
    robots_free(r);
    free(body);
}

static void test_cli(void)
{
    const char *bin = getenv("CLIPCRAWL_BIN");
    if (!bin) {
        printf("skip cli: CLIPCRAWL_BIN not set\n");
        return;
    }
    char tmpl[] = "/tmp/cc-robots-XXXXXX";
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0, "mkstemp");
    const char *body = "User-agent: clipcrawl\nDisallow: /private\n\nUser-agent: *\nDisallow: /\n";
    CHECK(write(fd, body, strlen(body)) == (ssize_t)strlen(body), "write");
    close(fd);
    char *cmd = xasprintf("'%s' robots %s --agent 'clipcrawl/0.1 (+http://example.com/bot)' "
                          "http://h/public http://h/private/x /other", bin, tmpl);
    FILE *p = popen(cmd, "r");
    char out[1024] = "";
    size_t k = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[k] = 0;
    int st = p ? pclose(p) : -1;
    CHECK_EQ_INT(st, 0);
    CHECK_EQ_STR(out, "allowed\thttp://h/public\ndisallowed\thttp://h/private/x\nallowed\t/other\n");
    free(cmd);
    cmd = xasprintf("'%s' robots %s --agent OtherBot http://h/x", bin, tmpl);
    p = popen(cmd, "r");
    k = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[k] = 0;
    if (p)
        pclose(p);
    CHECK_EQ_STR(out, "disallowed\thttp://h/x\n");
    free(cmd);
    cmd = xasprintf("'%s' robots %s 2>/dev/null", bin, tmpl); /* no --agent: usage error */
    int rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 2, "usage error exit status %d", rc);
    free(cmd);
    cmd = xasprintf("'%s' robots /nonexistent/robots.txt --agent x /a 2>/dev/null", bin);
    rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 1, "missing file exit status %d", rc);
    free(cmd);
    unlink(tmpl);
}

int main(void)
{
    test_conformance_tsv();
    test_json_tables();
    test_units();
    test_cut();
    test_cli();
    return check_summary();
}
