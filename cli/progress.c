/* progress.c — the progress line of long-running commands (see commands.h),
 * and the stop flag their signal handlers set. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

/* The one process-wide flag: a signal handler can reach nothing else. */
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

const volatile sig_atomic_t *cli_catch_signals(void)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    return &stop_flag;
}

void cli_progress_init(cli_progress *p)
{
    memset(p, 0, sizeof *p);
    p->started = p->last = cc_now();
    p->tty = isatty(STDERR_FILENO);
}

int cli_progress_due(cli_progress *p, int final)
{
    double now = cc_now();
    if (!final && now - p->last < (p->tty ? 0.5 : 10.0))
        return 0;
    p->last = now;
    return 1;
}

void cli_progress_counts(const pipeline_counts *c, double fraction_done, int final, void *ctx)
{
    cli_progress *p = ctx;
    if (!cli_progress_due(p, final))
        return;
    int64_t total = c->accepted + c->rejected + c->failed + c->optout;
    double elapsed = p->last - p->started;
    double rate = elapsed > 0 ? (double)total / elapsed : 0;
    char eta[32] = "";
    if (!final && fraction_done > 0.001 && fraction_done < 1.0) {
        double left = elapsed * (1.0 - fraction_done) / fraction_done;
        snprintf(eta, sizeof eta, " eta %dm%02ds", (int)(left / 60), (int)left % 60);
    }
    char skipped[48] = "";
    if (c->skipped)
        snprintf(skipped, sizeof skipped, " (%lld already done, skipped)", (long long)c->skipped);
    fprintf(stderr, "%s%lld done (%.1f/s): %lld accepted, %lld rejected, %lld failed, %lld opted out%s%s%s",
            p->tty ? "\r" : "", (long long)total, rate, (long long)c->accepted, (long long)c->rejected,
            (long long)c->failed, (long long)c->optout, skipped, eta, p->tty && !final ? "   " : "\n");
    fflush(stderr);
}

void cli_progress_crawl(const crawl_progress_info *in, int final, void *ctx)
{
    cli_progress *p = ctx;
    if (!cli_progress_due(p, final))
        return;
    const pipeline_counts *c = &in->counts;
    double elapsed = p->last - p->started;
    int64_t images = c->accepted + c->rejected + c->failed + c->optout;
    char wait[64] = "";
    if (in->hosts_waiting)
        snprintf(wait, sizeof wait, ", politeness wait %.1f s (%d host%s)", in->polite_wait, in->hosts_waiting,
                 in->hosts_waiting == 1 ? "" : "s");
    fprintf(stderr,
            "%spages %lld done, %lld queued (%.1f/s); images %lld found, %lld done (%.1f/s): %lld accepted, "
            "%lld rejected, %lld failed, %lld opted out%s%s",
            p->tty ? "\r" : "", (long long)in->pages_done, (long long)in->pages_queued,
            elapsed > 0 ? in->pages_done / elapsed : 0.0, (long long)in->images_found, (long long)images,
            elapsed > 0 ? images / elapsed : 0.0, (long long)c->accepted, (long long)c->rejected,
            (long long)c->failed, (long long)c->optout, wait, p->tty && !final ? "   " : "\n");
    fflush(stderr);
}

void cli_run_options(pipeline_run_options *r, cli_progress *p, int quiet, int argc, char **argv, ccbuf *args)
{
    memset(r, 0, sizeof *r);
    cli_progress_init(p);
    if (!quiet) {
        r->progress = cli_progress_counts;
        r->progress_ctx = p;
    }
    for (int i = 1; i < argc; i++)
        ccbuf_printf(args, "%s%s", i > 1 ? " " : "", argv[i]);
    r->args = args->data ? (const char *)args->data : "";
}

int cli_engine_status(const char *cmd, cc_err rc, const char *err)
{
    if (rc == CC_OK)
        return EXIT_OK;
    if (rc == CC_ERR_USAGE)
        return cli_usage_error(cmd, "%s", err);
    return cli_fail(cmd, "%s", err);
}
