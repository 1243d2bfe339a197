/* testutil.c — see testutil.h. */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct tu_server {
    pid_t pid;
    int port;
    char *dir;
    char *log;
    char base[64];
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "testutil: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(99);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the build ------------------------------------------------------------------ */

int tu_sanitized(void)
{
    /* gcc defines __SANITIZE_ADDRESS__ under -fsanitize=address; clang
     * answers through __has_feature. */
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 1;
#else
    return 0;
#endif
#else
    return 0;
#endif
}

/* ---- files and dirs ------------------------------------------------------------ */

char *tu_mkdtemp(const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    char *path = xasprintf("%s/clipcrawl-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag ? tag : "test");
    if (!mkdtemp(path))
        die("mkdtemp %s: %s", path, strerror(errno));
    return path;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    remove(p);
    return 0;
}

void tu_rm_rf(const char *path)
{
    if (path && *path && strcmp(path, "/") != 0)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_read_file(const char *path, size_t *len_out)
{
    ccbuf b = {0};
    if (cc_read_file(path, &b) != CC_OK) {
        ccbuf_free(&b);
        return NULL;
    }
    size_t len = b.len;
    char *s = ccbuf_detach(&b, NULL);
    if (len_out)
        *len_out = len;
    return s;
}

void tu_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0)
        die("cannot write %s: %s", path, strerror(errno));
}

char *tu_tests_path(const char *rel)
{
    const char *t = getenv("CLIPCRAWL_TESTS");
    if (t && *t)
        return xasprintf("%s/%s", t, rel);
    const char *s = getenv("CLIPCRAWL_SRC");
    if (s && *s)
        return xasprintf("%s/tests/%s", s, rel);
    return xasprintf("tests/%s", rel);
}

/* ---- servers ---------------------------------------------------------------------- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("cannot find a free port: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

static int port_answers(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static tu_server *server_new(const char *tag)
{
    tu_server *s = xcalloc(1, sizeof *s);
    s->dir = tu_mkdtemp(tag);
    s->log = xasprintf("%s/access.log", s->dir);
    tu_write_file(s->log, "", 0);
    return s;
}

tu_server *tu_fault_server_start(const char *docroot)
{
    return tu_script_server_start("fault_server.py", docroot);
}

tu_server *tu_script_server_start(const char *script_name, const char *docroot)
{
    tu_server *s = server_new("pysrv");
    char *script = tu_tests_path(script_name);
    if (access(script, R_OK) != 0)
        die("%s: %s", script, strerror(errno));
    int pfd[2];
    if (pipe(pfd) != 0)
        die("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        const char *argv[8];
        int i = 0;
        argv[i++] = "python3";
        argv[i++] = script;
        argv[i++] = "--access-log";
        argv[i++] = s->log;
        if (docroot) {
            argv[i++] = "--docroot";
            argv[i++] = docroot;
        }
        argv[i] = NULL;
        execvp("python3", (char *const *)argv);
        fprintf(stderr, "testutil: exec python3: %s\n", strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    s->pid = pid;
    /* the server prints its port once it listens */
    char line[32];
    size_t n = 0;
    double deadline = now_s() + 20;
    while (n < sizeof line - 1 && now_s() < deadline) {
        struct pollfd p = {.fd = pfd[0], .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        ssize_t k = read(pfd[0], line + n, 1);
        if (k <= 0)
            break;
        if (line[n] == '\n')
            break;
        n++;
    }
    close(pfd[0]);
    line[n] = 0;
    s->port = atoi(line);
    free(script);
    if (s->port <= 0) {
        tu_server_stop(s);
        die("%s did not start (no port on stdout)", script_name);
    }
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
    return s;
}

tu_server *tu_nginx_start(const char *docroot)
{
    const char *nginx = "/usr/sbin/nginx";
    if (access(nginx, X_OK) != 0)
        die("%s: %s", nginx, strerror(errno));
    tu_server *s = server_new("nginx");
    char *root = realpath(docroot, NULL);
    if (!root)
        die("%s: %s", docroot, strerror(errno));
    for (int attempt = 0; attempt < 5; attempt++) {
        s->port = free_port();
        char *conf = xasprintf(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid %s/nginx.pid;\n"
            "error_log %s/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            "  types { text/html html htm; text/plain txt; image/jpeg jpg jpeg; image/png png;\n"
            "          image/webp webp; image/gif gif; application/json json; text/csv csv; }\n"
            "  default_type application/octet-stream;\n"
            "  log_format tu '$msec \"$request\" $status $body_bytes_sent \"$http_user_agent\"';\n"
            "  access_log %s tu;\n"
            "  client_body_temp_path %s/body; proxy_temp_path %s/proxy; fastcgi_temp_path %s/fcgi;\n"
            "  uwsgi_temp_path %s/uwsgi; scgi_temp_path %s/scgi;\n"
            "  sendfile on; keepalive_timeout 30; keepalive_requests 100000;\n"
            "  server { listen 127.0.0.1:%d; server_name localhost; root %s; }\n"
            "}\n",
            s->dir, s->dir, s->log, s->dir, s->dir, s->dir, s->dir, s->dir, s->port, root);
        char *conf_path = xasprintf("%s/nginx.conf", s->dir);
        tu_write_file(conf_path, conf, strlen(conf));
        free(conf);
        char *errlog = xasprintf("%s/stderr.log", s->dir);
        pid_t pid = fork();
        if (pid < 0)
            die("fork: %s", strerror(errno));
        if (pid == 0) {
            int fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                dup2(fd, 2);
                dup2(fd, 1);
            }
            execl(nginx, "nginx", "-p", s->dir, "-c", conf_path, "-e", "stderr", (char *)NULL);
            _exit(127);
        }
        free(conf_path);
        s->pid = pid;
        double deadline = now_s() + 10;
        int up = 0, exited = 0;
        while (now_s() < deadline) {
            if (port_answers(s->port)) {
                up = 1;
                break;
            }
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                exited = 1;
                break;
            }
            usleep(20000);
        }
        if (up) {
            free(errlog);
            free(root);
            snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
            return s;
        }
        if (!exited) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        s->pid = 0;
        char *msg = tu_read_file(errlog, NULL);
        fprintf(stderr, "testutil: nginx on port %d failed: %s\n", s->port, msg ? msg : "");
        free(msg);
        free(errlog);
        /* most likely the port was taken in between: try another */
    }
    die("nginx did not start");
}

void tu_server_stop(tu_server *s)
{
    if (!s)
        return;
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        double deadline = now_s() + 2;
        int done = 0;
        while (now_s() < deadline) {
            if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
                done = 1;
                break;
            }
            usleep(10000);
        }
        if (!done) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
        }
    }
    if (!getenv("TU_KEEP"))
        tu_rm_rf(s->dir);
    else
        fprintf(stderr, "testutil: kept %s\n", s->dir);
    free(s->dir);
    free(s->log);
    free(s);
}

int tu_server_port(const tu_server *s) { return s->port; }
const char *tu_server_access_log(const tu_server *s) { return s->log; }
const char *tu_server_base(const tu_server *s) { return s->base; }

int tu_access_log_count(const tu_server *s, const char *needle)
{
    char *text = tu_read_file(s->log, NULL);
    if (!text)
        return 0;
    int n = 0;
    for (char *line = text; *line;) {
        char *eol = strchr(line, '\n');
        if (eol)
            *eol = 0;
        /* only the request line (between the first pair of quotes) counts */
        char *q1 = strchr(line, '"');
        char *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
        if (q1 && q2) {
            *q2 = 0;
            if (!needle || strstr(q1 + 1, needle))
                n++;
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    free(text);
    return n;
}

int tu_access_log_wait(const tu_server *s, const char *needle, int want, double timeout_s)
{
    double deadline = now_s() + timeout_s;
    int n;
    while ((n = tu_access_log_count(s, needle)) < want && now_s() < deadline)
        usleep(20000);
    return n;
}

/* ---- running programs --------------------------------------------------------- */

void tu_output_free(tu_output *o)
{
    if (!o)
        return;
    ccbuf_free(&o->out);
    ccbuf_free(&o->err);
}

const char *tu_str(const ccbuf *b) { return b->len ? (const char *)b->data : ""; }

void tu_run(const char *const *argv, const char *stdin_data, double timeout_s, tu_output *o)
{
    memset(o, 0, sizeof *o);
    int in[2], out[2], err[2];
    if (pipe(in) || pipe(out) || pipe(err))
        die("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        setpgid(0, 0); /* so a timeout kills the children too */
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]), close(err[0]), close(err[1]);
        if (strchr(argv[0], '/'))
            execv(argv[0], (char *const *)argv);
        else
            execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]), close(out[1]), close(err[1]);
    /* stdin is written from here, interleaved with reading, so a large input
     * and a large output cannot deadlock each other */
    const char *src = stdin_data ? stdin_data : "";
    size_t left = strlen(src);
    if (!left) {
        close(in[1]);
        in[1] = -1;
    } else {
        fcntl(in[1], F_SETFL, O_NONBLOCK);
    }
    signal(SIGPIPE, SIG_IGN);
    double deadline = now_s() + (timeout_s > 0 ? timeout_s : 120);
    int open_out = 1, open_err = 1, killed = 0;
    while (open_out || open_err || in[1] >= 0) {
        struct pollfd p[3];
        int np = 0, io = -1, ie = -1, ii = -1;
        if (open_out)
            p[io = np++] = (struct pollfd){.fd = out[0], .events = POLLIN};
        if (open_err)
            p[ie = np++] = (struct pollfd){.fd = err[0], .events = POLLIN};
        if (in[1] >= 0)
            p[ii = np++] = (struct pollfd){.fd = in[1], .events = POLLOUT};
        int remaining = (int)((deadline - now_s()) * 1000);
        if (remaining <= 0) {
            if (killed)
                break; /* something outside the group holds the pipes */
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            killed = 1;
            remaining = 1000;
            deadline = now_s() + 2;
        }
        if (poll(p, (nfds_t)np, remaining) < 0 && errno != EINTR)
            break;
        char buf[65536];
        if (io >= 0 && p[io].revents) {
            ssize_t k = read(out[0], buf, sizeof buf);
            if (k > 0)
                ccbuf_append(&o->out, buf, (size_t)k);
            else
                open_out = 0;
        }
        if (ie >= 0 && p[ie].revents) {
            ssize_t k = read(err[0], buf, sizeof buf);
            if (k > 0)
                ccbuf_append(&o->err, buf, (size_t)k);
            else
                open_err = 0;
        }
        if (ii >= 0 && p[ii].revents) {
            ssize_t k = (p[ii].revents & POLLOUT) ? write(in[1], src, left) : -1;
            if (k > 0) {
                src += k;
                left -= (size_t)k;
            }
            if (k < 0 || left == 0) {
                close(in[1]);
                in[1] = -1;
            }
        }
    }
    close(out[0]), close(err[0]);
    if (in[1] >= 0)
        close(in[1]);
    int st = 0;
    waitpid(pid, &st, 0);
    o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    if (killed)
        o->status = 128 + SIGKILL;
    ccbuf_putc(&o->out, 0), o->out.len--;
    ccbuf_putc(&o->err, 0), o->err.len--;
}

static const char *bin_path(void)
{
    const char *b = getenv("CLIPCRAWL_BIN");
    if (!b || !*b)
        die("CLIPCRAWL_BIN is not set (run through meson test)");
    return b;
}

/* argv = $CLIPCRAWL_BIN, then the NULL-terminated args (at most 254). */
static void clipcrawl_argv(const char **argv, const char *arg, va_list ap)
{
    int n = 0;
    argv[n++] = bin_path();
    for (const char *a = arg; a && n < 255; a = va_arg(ap, const char *))
        argv[n++] = a;
    argv[n] = NULL;
}

void tu_run_clipcrawl(tu_output *o, const char *arg, ...)
{
    const char *argv[256];
    va_list ap;
    va_start(ap, arg);
    clipcrawl_argv(argv, arg, ap);
    va_end(ap);
    tu_run(argv, NULL, 0, o);
}

void tu_run_clipcrawl_args(tu_output *o, const char *const *args, double timeout_s)
{
    const char *argv[256];
    int n = 0;
    argv[n++] = bin_path();
    for (int i = 0; args[i] && n < 255; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    tu_run(argv, NULL, timeout_s, o);
}

pid_t tu_spawn_clipcrawl(const char *out_path, const char *err_path, const char *arg, ...)
{
    const char *argv[256];
    va_list ap;
    va_start(ap, arg);
    clipcrawl_argv(argv, arg, ap);
    va_end(ap);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        int fo = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(err_path ? err_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fi = open("/dev/null", O_RDONLY);
        if (fo >= 0)
            dup2(fo, 1);
        if (fe >= 0)
            dup2(fe, 2);
        if (fi >= 0)
            dup2(fi, 0);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* ---- a dataset's index ---- */

sqlite3 *tu_index_open(const char *dir)
{
    char *path = xasprintf("%s/index.sqlite", dir);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "cannot open %s: %s\n", path, db ? sqlite3_errmsg(db) : "out of memory");
        abort();
    }
    sqlite3_busy_timeout(db, 5000);
    free(path);
    return db;
}

static char *db_vtext(sqlite3 *db, const char *fmt, va_list ap)
{
    char *sql = sqlite3_vmprintf(fmt, ap);
    sqlite3_stmt *st = NULL;
    char *v = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fprintf(stderr, "sql error: %s: %s\n", sqlite3_errmsg(db), sql);
    else if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        v = xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_free(sql);
    return v;
}

static long long to_int(char *v)
{
    long long n = v ? strtoll(v, NULL, 10) : -1;
    free(v);
    return n;
}

char *tu_db_text(sqlite3 *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *v = db_vtext(db, fmt, ap);
    va_end(ap);
    return v;
}

long long tu_db_int(sqlite3 *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *v = db_vtext(db, fmt, ap);
    va_end(ap);
    return to_int(v);
}

static char *index_vtext(const char *dir, const char *fmt, va_list ap)
{
    sqlite3 *db = tu_index_open(dir);
    char *v = db_vtext(db, fmt, ap);
    sqlite3_close(db);
    return v;
}

char *tu_index_text(const char *dir, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *v = index_vtext(dir, fmt, ap);
    va_end(ap);
    return v;
}

long long tu_index_int(const char *dir, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *v = index_vtext(dir, fmt, ap);
    va_end(ap);
    return to_int(v);
}

/* ---- pictures ---- */

void tu_block_picture(unsigned char *rgb, int w, int h, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 12345;
    for (int i = 0; i < w * h; i++) {
        int bx = (i % w) / 8, by = (i / w) / 8;
        uint32_t v = (uint32_t)(bx * 31 + by * 977) ^ x;
        v ^= v >> 13, v *= 0x5bd1e995u, v ^= v >> 15;
        rgb[i * 3] = (unsigned char)v;
        rgb[i * 3 + 1] = (unsigned char)(v >> 8);
        rgb[i * 3 + 2] = (unsigned char)(v >> 16);
    }
}

void tu_write_under(const char *root, const char *rel, const void *data, size_t n)
{
    char *path = xasprintf("%s/%s", root, rel);
    char *dir = xstrdup(path);
    *strrchr(dir, '/') = '\0';
    cc_mkdirs(dir, 0755);
    tu_write_file(path, data, n);
    free(dir);
    free(path);
}

void tu_printf_under(const char *root, const char *rel, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text;
    if (vasprintf(&text, fmt, ap) < 0)
        die("out of memory");
    va_end(ap);
    tu_write_under(root, rel, text, strlen(text));
    free(text);
}

double tu_urand(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (double)(*state >> 11) / 9007199254740992.0;
}

void tu_unit_vector(uint64_t *state, float *v, int d)
{
    double n = 0;
    for (int i = 0; i < d; i++) {
        v[i] = (float)(tu_urand(state) * 2 - 1);
        n += (double)v[i] * v[i];
    }
    for (int i = 0; i < d; i++)
        v[i] = (float)(v[i] / sqrt(n));
}

/* Appends data[0..n) to out as one gzip member (zlib level 6). */
void tu_gzip(ccbuf *out, const void *data, size_t n)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        die("gzip: deflateInit2 failed");
    size_t cap = deflateBound(&zs, (uLong)n) + 64;
    ccbuf_reserve(out, cap);
    zs.next_in = (unsigned char *)data;
    zs.avail_in = (uInt)n;
    zs.next_out = out->data + out->len;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        die("gzip: deflate did not finish");
    out->len += cap - zs.avail_out;
    deflateEnd(&zs);
}

/* Appends one WARC/1.0 record (type, target URI, Content-Type, block[0..bl))
 * to out as its own gzip member, as Common Crawl writes them. */
void tu_warc_record(ccbuf *out, const char *type, const char *uri, const char *ctype, const char *block, size_t bl)
{
    ccbuf r = {0};
    ccbuf_printf(&r, "WARC/1.0\r\nWARC-Type: %s\r\nWARC-Target-URI: %s\r\nWARC-Date: 2024-05-18T01:58:10Z\r\n"
                     "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n", type, uri, ctype, bl);
    ccbuf_append(&r, block, bl);
    ccbuf_puts(&r, "\r\n\r\n");
    tu_gzip(out, r.data, r.len);
    ccbuf_free(&r);
}
