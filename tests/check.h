/* check.h — the tiny assertion kit every test program uses.
 * CHECK() records a failure and carries on, so one run reports every broken
 * case; check_summary() prints the "N passed, N failed" line that CI reads
 * and returns the exit status. */
#ifndef CC_TESTS_CHECK_H
#define CC_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_passed_, check_failed_;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (cond) {                                                            \
            check_passed_++;                                                   \
        } else {                                                               \
            check_failed_++;                                                   \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);    \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
        }                                                                      \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                     \
    do {                                                                       \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);        \
        CHECK(check_a_ == check_b_, "%lld != %lld", check_a_, check_b_);       \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                     \
    do {                                                                       \
        const char *check_a_ = (a), *check_b_ = (b);                           \
        CHECK(check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0,         \
              "\"%s\" != \"%s\"", check_a_ ? check_a_ : "(null)",              \
              check_b_ ? check_b_ : "(null)");                                 \
    } while (0)

/* Prints the closing line and returns the process exit status. */
static inline int check_summary(void)
{
    printf("%d passed, %d failed\n", check_passed_, check_failed_);
    return check_failed_ ? 1 : 0;
}

#endif
