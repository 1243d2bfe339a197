// lang.cc — the extern "C" shim over CLD2 (see lang.h).
#include "lang.h"

#include <climits>
#include <cstdio> // compact_lang_det.h uses FILE without including it
#include <cstring>

#include <cld2/public/compact_lang_det.h>

extern "C" int lang_detect(const char *text, size_t n, char *code, size_t codelen, int *reliable)
{
    const char *result = "un";
    bool is_reliable = false;
    if (text && n > 0 && n < (size_t)INT_MAX) {
        CLD2::Language lang3[3];
        int percent3[3];
        double score3[3];
        int text_bytes = 0, valid_prefix = 0;
        // CheckUTF8 variant: bad bytes give UNKNOWN_LANGUAGE instead of UB.
        CLD2::Language lang = CLD2::ExtDetectLanguageSummaryCheckUTF8(
            text, (int)n, true, nullptr, 0, lang3, percent3, score3, nullptr,
            &text_bytes, &is_reliable, &valid_prefix);
        if (lang != CLD2::UNKNOWN_LANGUAGE && lang != CLD2::TG_UNKNOWN_LANGUAGE)
            result = CLD2::LanguageCode(lang);
        else
            is_reliable = false;
    }
    if (reliable)
        *reliable = is_reliable ? 1 : 0;
    if (code && codelen > 0) {
        size_t len = std::strlen(result);
        if (len >= codelen)
            len = codelen - 1;
        std::memcpy(code, result, len);
        code[len] = '\0';
    }
    return std::strcmp(result, "un") == 0 ? -1 : 0;
}
