/* placement.c — names of the placement bits (see placement.h). */
#include <string.h>

#include "placement.h"

static const char *const names[CC_PLACE__COUNT] = {"page", "nav",  "aside",   "profile", "ad",    "icon",
                                                   "logo", "linked", "offsite", "content", "figure", "list"};

const char *cc_place_name(int i)
{
    return i >= 0 && i < CC_PLACE__COUNT ? names[i] : NULL;
}

char *cc_place_format(unsigned bits, char *out, size_t n)
{
    size_t len = 0;
    if (n == 0)
        return out;
    out[0] = '\0';
    for (int i = 1; i < CC_PLACE__COUNT; i++) {
        if (!(bits & (1u << i)))
            continue;
        size_t k = strlen(names[i]) + (len ? 1 : 0);
        if (len + k + 1 > n)
            break;
        if (len)
            out[len++] = ',';
        memcpy(out + len, names[i], strlen(names[i]) + 1);
        len += strlen(names[i]);
    }
    return out;
}

int cc_place_parse(const char *s, unsigned *bits)
{
    *bits = CC_PLACE_UNKNOWN;
    if (!s)
        return 0;
    if (strcmp(s, "list") == 0) {
        *bits = CC_PLACE_LIST;
        return 0;
    }
    *bits = CC_PLACE_PAGE;
    int rc = 0;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t k = e ? (size_t)(e - s) : strlen(s);
        int found = 0;
        for (int i = 0; i < CC_PLACE__COUNT; i++)
            if (strlen(names[i]) == k && memcmp(names[i], s, k) == 0) {
                *bits |= 1u << i;
                found = 1;
            }
        if (!found && k > 0)
            rc = -1;
        s += k + (e ? 1 : 0);
    }
    return rc;
}
