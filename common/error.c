/* error.c — the string table for cc_err. */
#include <stdarg.h>

#include "common.h"

static const char *const cc_err_names[CC_ERR__COUNT] = {
    [CC_OK] = "ok",
    [CC_ERR_IO] = "i/o error",
    [CC_ERR_FORMAT] = "malformed input",
    [CC_ERR_CORRUPT] = "corrupt data",
    [CC_ERR_RANGE] = "value out of range",
    [CC_ERR_NOTFOUND] = "not found",
    [CC_ERR_USAGE] = "bad usage",
    [CC_ERR_NETWORK] = "network error",
    [CC_ERR_HTTP] = "http error",
    [CC_ERR_UNSUPPORTED] = "unsupported",
    [CC_ERR_DB] = "database error",
    [CC_ERR_REFUSED] = "refused by policy",
    [CC_ERR_BUDGET] = "over budget",
};

const char *cc_strerror(cc_err code)
{
    if ((int)code < 0 || code >= CC_ERR__COUNT || !cc_err_names[code])
        return "unknown error";
    return cc_err_names[code];
}

void cc_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
