/* caption-names.c — names that are not descriptions: URLs and paths
 * (url_or_path), camera / screenshot / download default names, media file
 * names and no-space slugs (filename). See caption-internal.h and
 * filters/README.md, "The caption policy".
 *
 * The rules work on the folded caption (case-folded, accents stripped), so
 * "IMG_1234.JPG" and "Bildschirmfoto" match as "img_1234.jpg" and
 * "bildschirmfoto"; where case tells a name from a description (a
 * capitalised compound, an upper-case camera prefix) they read x->norm. */
#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "caption-internal.h"

/* ---- default names: cameras, phones, screenshots, messengers, downloads ---- */

static const char *const rx_src[RX__COUNT] = {
    /* IMG_1234, IMG-20230101-WA0001, DSC01234, DSCF1234, _MG_1234, PXL_20230101_123456789,
     * GOPR0123, DJI_0001, MVIMG_20230101_123456, IMG_E1234, image001 */
    "^_?(img|image|dsc|dscn|dscf|mvimg|vid|pano|pxl|gopr|gp|gx|dji|cimg|sam|hpim|imag|mg|pict|sdc|dcp|"
    "burst|rimg|wp|wp-image|dcim|photo|pic|picture|mms|snapchat|received|fb_img|inshot|edit)"
    "[-_ ]?e?[0-9]{3,}([-_. ][0-9a-z]+)*( ?\\([0-9]+\\))?$",
    "^p[0-9]{7}( ?\\([0-9]+\\))?$",
    "^[0-9]{8}[-_ ][0-9]{6}([-_. ][0-9a-z]+)*( ?\\([0-9]+\\))?$",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[ _][0-9]{2}\\.[0-9]{2}\\.[0-9]{2}( ?\\([0-9]+\\))?$",
    "^(screenshot|screen shot|screen-shot|screencap|screen capture|bildschirmfoto|bildschirmaufnahme|"
    "capture d.{1,3}ecran|capture d ecran|captura de pantalla|captura de tela|schermafbeelding|schermata|"
    "zrzut ekranu|снимок экрана|скриншот|スクリーンショット|截屏|截图|屏幕截图|螢幕擷取畫面|"
    "skarmavbild|skarmbild|skjermbilde|skærmbillede|skaermbillede|nayttokuva|kepernyokep|ekran goruntusu|"
    "snimek obrazovky|snimka obrazovky|captura de ecran|στιγμιοτυπο οθονης|anh chup man hinh|"
    "tangkapan layar|스크린샷|螢幕截圖|ภาพหน้าจอ|لقطة شاشة)"
    "([ _.:,()-]|[0-9]|at|um|am|pm|a|de|del|van|von|on|om|alle|las|le|w|в|o|kl|klo|saat|luc|pukul|kell)*(_[a-z]+)?$",
    "^(whatsapp[ -](image|video|bild|imagen|immagine|imagem|afbeelding|obraz|изображение|kep|resim|bilde)|"
    "(imagen|image|immagine|imagem|video|afbeelding|foto) (de |di |do |van |von )?whatsapp)"
    " ?(de |du |del |van |vom |от |in |em )?[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "^(image|img|photo|picture|pic|foto|bild|imagen|immagine|imagem|afbeelding|zdjecie|unnamed|download|"
    "untitled|untitled design|untitled-design|sans titre|sin titulo|senza titolo|ohne titel|naamloos|"
    "bez tytulu|file|attachment|capture|scan|document|default|temp|tmp|thumb|thumbnail|cover|banner|"
    "header|hero|logo|icon|placeholder|bg|background|slide|slider|media|upload|asset|gallery|"
    "pexels photo|pexels-photo|adobestock|shutterstock|istock|gettyimages|getty images|depositphotos|"
    "dreamstime|canva|frame|layer|artboard|group|copy of image|whatsapp image)"
    "([_-]?[0-9]+| ?\\([0-9]+\\)|[ _-]?[0-9]+ ?\\([0-9]+\\))$",
    "^(unnamed|untitled design|sans titre|ohne titel|sin titulo|senza titolo|naamloos|bez tytulu)( ?\\([0-9]+\\))?$",
    "^photo-[0-9]{10,}-[0-9a-f]{6,}",
    /* Telegram and Signal exports */
    "^(photo|video|file)_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}( \\([0-9]+\\))?$",
    "^signal-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{6}(_[0-9]+)?$",
};

static const char *const rx_name[RX__COUNT] = {
    "camera", "camera", "phone camera", "camera upload", "screenshot", "WhatsApp",
    "generic file name", "generic file name", "Unsplash", "Telegram", "Signal",
};

void cap_names_compile(caption_filter *f)
{
    for (int i = 0; i < RX__COUNT; i++) {
        int rc = regcomp(&f->rx[i], rx_src[i], REG_EXTENDED | REG_NOSUB);
        if (rc != 0) { /* a bug in the patterns above, not bad input */
            char msg[128];
            regerror(rc, &f->rx[i], msg, sizeof msg);
            cc_log(CC_LOG_ERROR, "caption: filename pattern %d: %s", i, msg);
            abort();
        }
    }
}

void cap_names_free(caption_filter *f)
{
    for (int i = 0; i < RX__COUNT; i++)
        regfree(&f->rx[i]);
}

/* ---- url_or_path ---------------------------------------------------------------------- */

static const char *const tlds[] = {
    "com", "org", "net", "edu", "gov", "mil", "int", "io", "co", "info", "biz", "me", "tv", "app",
    "dev", "blog", "shop", "store", "online", "site", "xyz", "uk", "de", "fr", "es", "it", "nl",
    "pl", "ru", "jp", "cn", "br", "au", "ca", "ch", "at", "be", "se", "no", "dk", "fi", "eu", "us",
    "in", "kr", "mx", "ar", "cz", "pt", "gr", "hu", "ro", "tr", "ua", "ie", "nz", "za", "tw", "hk",
    "sg", "cl", "pe", "sk", "by", "kz", "ly", "gl", "html", NULL};

/* A whitespace-separated word (folded, edge punctuation stripped) that is a URL or path. */
static int is_url_token(const char *s, size_t n)
{
    if (n < 4)
        return 0;
    static const char *const pre[] = {"http://", "https://", "ftp://", "file://", "www.", "//", "./",
                                      "../", "~/", "\\\\", NULL};
    for (int i = 0; pre[i]; i++)
        if (n > strlen(pre[i]) && strncmp(s, pre[i], strlen(pre[i])) == 0)
            return 1;
    if (memmem(s, n, "://", 3))
        return 1;
    if (isalpha((unsigned char)s[0]) && s[1] == ':' && (s[2] == '\\' || s[2] == '/'))
        return 1;
    if (s[0] == '/') {
        const char *sl = memchr(s + 1, '/', n - 1);
        if (sl && sl > s + 1 && (size_t)(sl - s) < n - 1)
            return 1;
    }
    /* bare domain: label(.label)*.tld optionally followed by /path */
    size_t hostlen = n;
    const char *sl = memchr(s, '/', n);
    if (sl)
        hostlen = (size_t)(sl - s);
    size_t lastdot = 0, dots = 0;
    int letter = 0;
    for (size_t i = 0; i < hostlen; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (i == 0 || s[i - 1] == '.')
                return 0;
            lastdot = i;
            dots++;
        } else if (isalpha(c)) {
            letter = 1;
        } else if (!isdigit(c) && c != '-') {
            return 0;
        }
    }
    if (!dots || !letter || lastdot + 1 >= hostlen || lastdot < 2)
        return 0;
    for (int i = 0; tlds[i]; i++)
        if (strlen(tlds[i]) == hostlen - lastdot - 1 && memcmp(s + lastdot + 1, tlds[i], hostlen - lastdot - 1) == 0)
            return strcmp(tlds[i], "html") != 0 || dots > 1;
    return 0;
}

static const char *const url_filler[] = {
    "photo", "image", "source", "quelle", "fuente", "fonte", "bron", "zrodlo", "источник", "credit",
    "credits", "via", "from", "see", "visit", "at", "on", "link", "url", "website", "site", "www",
    "bild", "foto", "by", "courtesy", "of", "copyright", "pic", "img", "here", "click", "more",
    "info", "la", "le", "de", "der", "die", "das", "and", "the", "for", "a", "an", "und", "et",
    "y", "e", "go", "to", "our", "us", "visit", "auf", "sur", "en", "su", "na", "op", "in",
    "http", "https", "com", "logo", "banner", "image", "read", "download", "online", "web", NULL};

int cap_rule_url(judge_ctx *x)
{
    size_t pos = 0, wl;
    const char *w;
    int urls = 0, others = 0;
    const char *first = NULL;
    size_t firstlen = 0;
    while (cap_next_ws_word(x->fold, x->flen, &pos, &w, &wl)) {
        if (!wl)
            continue;
        if (is_url_token(w, wl)) {
            if (!urls) {
                first = w;
                firstlen = wl;
            }
            urls++;
            continue;
        }
        int letter = 0;
        for (size_t i = 0; i < wl;) {
            int32_t cp = cap_next_cp((const unsigned char *)w, wl, &i);
            if (cp >= 0 && utf8proc_category(cp) >= UTF8PROC_CATEGORY_LU && utf8proc_category(cp) <= UTF8PROC_CATEGORY_LO)
                letter = 1;
        }
        if (!letter)
            continue;
        int filler = 0;
        for (int i = 0; url_filler[i]; i++)
            if (strlen(url_filler[i]) == wl && memcmp(url_filler[i], w, wl) == 0)
                filler = 1;
        if (!filler)
            others++;
    }
    if (urls && others < 3) {
        snprintf(x->detail, x->detaillen, "'%.*s'", (int)(firstlen > 80 ? 80 : firstlen), first);
        return 1;
    }
    return 0;
}

/* ---- filename ---------------------------------------------------------------------------- */

static const char *const media_ext[] = {
    "jpg", "jpeg", "jpe", "jfif", "png", "gif", "webp", "bmp", "tif", "tiff", "heic", "heif", "avif",
    "svg", "raw", "cr2", "cr3", "nef", "arw", "dng", "psd", "ai", "eps", "ico", "jxl", "mp4", "mov",
    "avi", "webm", "pdf", NULL};

int cap_rule_filename(judge_ctx *x)
{
    const char *s = x->fold;
    size_t n = x->flen;
    /* a file size after the name, as wikis show it: "Harry Potter.jpg (43 KB)" */
    if (n > 6 && s[n - 1] == ')') {
        const char *open = memrchr(s, '(', n);
        if (open && open > s) {
            const char *p = open + 1;
            while (p < s + n && (isdigit((unsigned char)*p) || *p == '.' || *p == ','))
                p++;
            if (p > open + 1) {
                while (*p == ' ')
                    p++;
                size_t ul = (size_t)(s + n - 1 - p);
                if ((ul == 1 && *p == 'b') || (ul == 2 && strchr("kmg", *p) && p[1] == 'b') ||
                    (ul == 3 && strchr("kmg", *p) && p[1] == 'i' && p[2] == 'b')) {
                    n = (size_t)(open - s);
                    while (n && s[n - 1] == ' ')
                        n--;
                }
            }
        }
    }
    /* 1. an image/media extension at the end of a short caption, or of any
     * caption without spaces (long slugs: 1119-cbsn-...-640x360.jpg) */
    const char *dot = memrchr(s, '.', n);
    if (dot && dot > s) {
        size_t el = n - (size_t)(dot + 1 - s);
        for (int i = 0; media_ext[i]; i++)
            if (strlen(media_ext[i]) == el && memcmp(dot + 1, media_ext[i], el) == 0) {
                /* words with letters: dates and numbers in camera names don't count */
                toklist tl = {0};
                cap_tokenize(s, (size_t)(dot - s), &tl);
                size_t words = 0;
                for (size_t k = 0; k < tl.n; k++)
                    words += !tl.t[k].digits;
                free(tl.t);
                if (words == 0 && tl.n > 0)
                    words = 1;
                if ((words >= 1 && words <= 6) || (words && !memchr(s, ' ', n))) {
                    snprintf(x->detail, x->detaillen, ".%s file name", media_ext[i]);
                    return 1;
                }
            }
    }
    /* 2. camera, phone, screenshot and generic download names */
    for (int i = 0; i < RX__COUNT; i++)
        if (regexec(&x->f->rx[i], s, 0, NULL, 0) == 0) {
            snprintf(x->detail, x->detaillen, "%s", rx_name[i]);
            return 1;
        }
    return 0;
}

/* A no-space slug: hero-banner-v2, header_bg_2x, blue-summer-dress. */
int cap_rule_slug(judge_ctx *x)
{
    const char *s = x->fold;
    size_t n = x->flen;
    size_t parts = 1, hyph = 0, under = 0;
    int digit_part = 0, cur_digit = 0, at2x = 0;
    if (n < 3)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '-' || c == '_') {
            if (i == 0 || i == n - 1 || s[i - 1] == '-' || s[i - 1] == '_')
                return 0;
            parts++;
            if (c == '-')
                hyph++;
            else
                under++;
            digit_part |= cur_digit;
            cur_digit = 0;
        } else if (isdigit(c)) {
            cur_digit = 1;
        } else if (c == '@' && i + 2 < n + 0 && strncmp(s + i, "@2x", 3) == 0) {
            at2x = 1;
            i += 2;
        } else if (!(c >= 'a' && c <= 'z')) {
            return 0;
        }
    }
    digit_part |= cur_digit;
    /* "logo-print", "teaser-img", "paris-snow": two lower-case parts are a
     * slug as written ("Hyundai-Logo", "E-Mail" are words) */
    int lower2 = 0;
    if (parts == 2 && hyph == 1) {
        lower2 = 1;
        for (size_t i = 0; i < x->nlen; i++)
            if (!islower((unsigned char)x->norm[i]) && x->norm[i] != '-')
                lower2 = 0;
    }
    if ((under && parts >= 2) || parts >= 3 || (parts == 2 && digit_part) || lower2 || at2x) {
        snprintf(x->detail, x->detaillen, "slug");
        return 1;
    }
    return 0;
}
