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
#include <strings.h>
#include <libpsl.h>
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
    /* "Untitled" and "new item" defaults of editors and CMS upload forms */
    "^(unnamed|untitled design|sans titre|ohne titel|sin titulo|senza titolo|naamloos|bez tytulu|"
    "unbenannt|neuer inhalt|neues bild|new content|nouveau contenu|nuevo contenido|nuovo contenuto|"
    "sem titulo|zonder titel|namnlos|unavngivet|uten navn|uten tittel|nimeton|bez nazvu|adsiz|basliksiz|"
    "без названия|безымянный|無題|无标题|未命名|제목 없음)([-_ ]?[0-9]+| ?\\([0-9]+\\))?$",
    "^photo-[0-9]{10,}-[0-9a-f]{6,}",
    /* Telegram and Signal exports */
    "^(photo|video|file)_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}( \\([0-9]+\\))?$",
    "^signal-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{6}(_[0-9]+)?$",
    /* Facebook's photo names: three number groups and a size letter (a CMS
     * upload turns the '_' into '-': "54374685-602885716849316-…-n") */
    "^[0-9]{5,}([_-])[0-9]{5,}[_-][0-9]{5,}[_-][naobs]( ?\\([0-9]+\\))?$",
    /* Android names a screenshot after the app ("Screenshot_20231107-093809_Instagram"),
     * Firefox after the page ("Screenshot_2020-09-13 Gigafactory Berlin"); uploads
     * turn '_' and '-' into spaces */
    "^(screenshot[ _-]?[0-9]{8}[ _-][0-9]{6}([ _-][a-z0-9.]+)?|screenshot_[0-9]{4}-[0-9]{2}-[0-9]{2}[ _].+)$",
    /* iOS exports an edited photo as FullSizeRender (and WordPress adds its size) */
    "^fullsizerender[-_ ]?[0-9]*(-[0-9]+x[0-9]+)?( ?\\([0-9]+\\))?$",
};

static const char *const rx_name[RX__COUNT] = {
    "camera", "camera", "phone camera", "camera upload", "screenshot", "WhatsApp",
    "generic file name", "generic file name", "Unsplash", "Telegram", "Signal", "Facebook",
    "screenshot", "iOS export",
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

/* Which default-name pattern the NUL-terminated S matches (an RX_* index),
 * or -1. */
static int default_name(const caption_filter *f, const char *s)
{
    for (int i = 0; i < RX__COUNT; i++)
        if (regexec(&f->rx[i], s, 0, NULL, 0) == 0)
            return i;
    return -1;
}

/* ---- url_or_path ---------------------------------------------------------------------- */


static const char *const tlds[] = {
    "com", "org", "net", "edu", "gov", "mil", "int", "io", "co", "info", "biz", "me", "tv", "app",
    "dev", "blog", "shop", "store", "online", "site", "xyz", "uk", "de", "fr", "es", "it", "nl",
    "pl", "ru", "jp", "cn", "br", "au", "ca", "ch", "at", "be", "se", "no", "dk", "fi", "eu", "us",
    "in", "kr", "mx", "ar", "cz", "pt", "gr", "hu", "ro", "tr", "ua", "ie", "nz", "za", "tw", "hk",
    "sg", "cl", "pe", "sk", "by", "kz", "ly", "gl", "html", NULL};

/* File extensions that are also top-level domains ("Archive.zip",
 * "Trailer.mov"): a name with them is a file, not a host. */
static const char *const file_tlds[] = {"zip", "mov", "rar", "gz", "pdf", "doc", "exe", NULL};

/* 1 when the last label t[0..n) of a host is a top-level domain in the
 * ICANN section of the public suffix list (libpsl's built-in copy):
 * "news", "live", "fm", "business". */
static int icann_tld(const char *t, size_t n)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return 0;
    if (cap_in_list(file_tlds, t, n))
        return 0;
    memcpy(buf, t, n);
    buf[n] = '\0';
    const psl_ctx_t *psl = psl_builtin();
    return psl && psl_is_public_suffix2(psl, buf, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE);
}

/* A whitespace-separated word (folded, edge punctuation stripped) that is a
 * URL or path: 1; 2 for a bare domain under a top-level domain outside the
 * common list above ("reitschuster.live", "Last.fm"), which counts only
 * when nothing but filler stands beside it (a typo such as "plan.Photo"
 * joins two words, and ".photo" is a TLD too). */
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
        /* one path segment written as a slug: "/hilfe-und-kontakt" */
        int joined = 0;
        for (size_t i = 1; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '-' || c == '_' || c == '.')
                joined = i > 1 && i < n - 1;
            else if (!isalnum(c))
                return 0;
        }
        return n >= 5 && joined;
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
    const char *tld = s + lastdot + 1;
    size_t tl = hostlen - lastdot - 1;
    if (cap_in_list(tlds, tld, tl))
        return !(tl == 4 && memcmp(tld, "html", 4) == 0) || dots > 1;
    if (hostlen == n && icann_tld(tld, tl))
        return 2;
    return 0;
}

static const char *const url_filler[] = {
    "photo", "image", "source", "quelle", "fuente", "fonte", "bron", "zrodlo", "источник", "credit",
    "credits", "via", "from", "see", "visit", "at", "on", "link", "url", "website", "site", "www",
    "bild", "foto", "by", "courtesy", "of", "copyright", "pic", "img", "here", "click", "more",
    "info", "la", "le", "de", "der", "die", "das", "and", "the", "for", "a", "an", "und", "et",
    "y", "e", "go", "to", "our", "us", "visit", "auf", "sur", "en", "su", "na", "op", "in",
    "http", "https", "com", "logo", "banner", "image", "read", "download", "online", "web", NULL};

static const char *media_ext_of(const char *s, size_t n, size_t *base);

/* A URL whose path holds spaces, as a CMS printed it: it opens with a
 * scheme and ends in a file extension ("https://cache.example.mobi/media/
 * 2018/12/18/Entrance Gate Of Sri Narayan Singh College_Campus-View.jpg"). */
static int url_with_spaces(const char *s, size_t n)
{
    size_t base;
    if (!(cap_has_prefix(s, n, "http://") || cap_has_prefix(s, n, "https://")) || !memchr(s, ' ', n))
        return 0;
    const char *slash = memchr(s + 8, '/', n - 8);
    const char *space = memchr(s, ' ', n);
    return slash && slash < space && media_ext_of(s, n, &base) != NULL;
}

/* Letter words of s[0..n) that are no URL filler. *urls counts the URL
 * tokens and *strong those is_url_token calls certain; FIRST (may be NULL)
 * gets the first URL token and its length. */
static int url_words(const char *s, size_t n, int *urls, int *strong, const char **first, size_t *firstlen)
{
    size_t pos = 0, wl;
    const char *w;
    int others = 0;
    while (cap_next_ws_word(s, n, &pos, &w, &wl)) {
        if (!wl)
            continue;
        int u = is_url_token(w, wl);
        if (u) {
            if (first && !*urls) {
                *first = w;
                *firstlen = wl;
            }
            (*urls)++;
            *strong += u == 1;
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
        if (!cap_in_list(url_filler, w, wl))
            others++;
    }
    return others;
}

/* A title with its site after it, as page titles are written: "Belvoir
 * Castle - geograph.org.uk - 626677", "Bunter Herbst-Flammkuchen -
 * de.example.com". The first segment (cut at " - ", " – ", " | ") holds two
 * or more words and no URL, and the URLs stand in later segments of their
 * own (with numbers at most): the title describes the image. */
static int title_with_site(const char *s, size_t n)
{
    static const char *const cuts[] = {" - ", " | ", " \xe2\x80\x93 ", NULL};
    size_t st = 0;
    int seg = 0;
    while (st < n) {
        size_t cl, en = cap_next_cut(s, n, st, cuts, &cl);
        int urls = 0, strong = 0;
        int others = url_words(s + st, en - st, &urls, &strong, NULL, NULL);
        if (seg == 0 && (urls || others < 2))
            return 0;
        if (seg > 0 && urls && others)
            return 0;
        seg++;
        if (!cl)
            break;
        st = en + cl;
    }
    return seg >= 2;
}

int cap_rule_url(judge_ctx *x)
{
    int urls = 0, strong = 0;
    const char *first = NULL;
    size_t firstlen = 0;
    int others = url_words(x->fold, x->flen, &urls, &strong, &first, &firstlen);
    if (urls && title_with_site(x->fold, x->flen))
        return 0;
    if ((strong && others < 3) || (urls && !others) || url_with_spaces(x->fold, x->flen)) {
        if (!first)
            first = x->fold, firstlen = x->flen;
        snprintf(x->detail, x->detaillen, "'%.*s'", (int)(firstlen > 80 ? 80 : firstlen), first);
        return 1;
    }
    return 0;
}

/* ---- filename ---------------------------------------------------------------------------- */

static const char *const media_ext[] = {
    "jpg", "jpeg", "jpe", "jfif", "png", "gif", "webp", "bmp", "tif", "tiff", "heic", "heif", "avif",
    "svg", "raw", "cr2", "cr3", "nef", "arw", "dng", "psd", "ai", "eps", "ico", "jxl", "mp4", "mov",
    "avi", "webm", "pdf", "djvu", "jp2", "xcf", "mkv", "m4v", "wmv", "mpg", "mpeg",
    /* downloads linked with an image as their icon */
    "zip", "rar", "7z", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", NULL};

/* Wiki namespaces for uploaded files ("File:Alice Liddell.jpg"), in the
 * languages of the set: a title in them is a file name however long. */
static const char *const file_namespace[] = {
    "file:", "image:", "datei:", "bild:", "fichier:", "archivo:", "imagen:", "ficheiro:", "file:",
    "bestand:", "afbeelding:", "plik:", "soubor:", "fil:", "tiedosto:", "dosya:", "fitxer:",
    "\xd1\x84\xd0\xb0\xd0\xb9\xd0\xbb:",                         /* файл: */
    "\xe3\x83\x95\xe3\x82\xa1\xe3\x82\xa4\xe3\x83\xab:",         /* ファイル: */
    "\xe6\x96\x87\xe4\xbb\xb6:",                                 /* 文件: */
    "\xed\x8c\x8c\xec\x9d\xbc:",                                 /* 파일: */
    "\xd9\x85\xd9\x84\xd9\x81:",                                 /* ملف: */
    NULL};

/* The length of s[0..n) without a file size as wikis show it after the
 * name: "Harry Potter.jpg (43 KB)". */
static size_t strip_file_size(const char *s, size_t n)
{
    if (n <= 6 || s[n - 1] != ')')
        return n;
    const char *open = memrchr(s, '(', n);
    if (!open || open == s)
        return n;
    const char *p = open + 1;
    while (p < s + n && (isdigit((unsigned char)*p) || *p == '.' || *p == ','))
        p++;
    if (p == open + 1)
        return n;
    while (*p == ' ')
        p++;
    size_t ul = (size_t)(s + n - 1 - p);
    if ((ul == 1 && *p == 'b') || (ul == 2 && strchr("kmg", *p) && p[1] == 'b') ||
        (ul == 3 && strchr("kmg", *p) && p[1] == 'i' && p[2] == 'b')) {
        n = (size_t)(open - s);
        while (n && s[n - 1] == ' ')
            n--;
    }
    return n;
}

/* The length of s[0..n) without a copy counter, as browsers and desktops
 * add it to a second download of a name: "laurel-way-house (9)". */
static size_t strip_copy_counter(const char *s, size_t n)
{
    if (n < 5 || s[n - 1] != ')')
        return n;
    size_t i = n - 1, d = 0;
    while (i > 0 && isdigit((unsigned char)s[i - 1]) && d < 4) {
        i--;
        d++;
    }
    if (!d || d > 3 || i < 3 || s[i - 1] != '(' || s[i - 2] != ' ')
        return n;
    return i - 2;
}

/* The media extension s[0..n) ends in (NULL when none): ".jpg" or "(jpg)"
 * as some CMS print it; *base gets the length of the name before it. */
static const char *media_ext_of(const char *s, size_t n, size_t *base)
{
    const char *e = NULL;
    size_t el = 0;
    const char *dot = memrchr(s, '.', n);
    if (dot && dot > s) {
        e = dot + 1;
        el = n - (size_t)(e - s);
        *base = (size_t)(dot - s);
    } else if (n > 3 && s[n - 1] == ')') {
        const char *open = memrchr(s, '(', n);
        if (open && open > s && open[-1] == ' ') {
            e = open + 1;
            el = n - 1 - (size_t)(e - s);
            *base = (size_t)(open - 1 - s);
        }
    }
    if (!e)
        return NULL;
    for (int i = 0; media_ext[i]; i++)
        if (strlen(media_ext[i]) == el && memcmp(e, media_ext[i], el) == 0)
            return media_ext[i];
    return NULL;
}

/* Words with letters in s[0..n): dates and numbers in camera names don't
 * count; a name of digits only counts as one word. */
static size_t name_words(const char *s, size_t n)
{
    toklist tl = {0};
    cap_tokenize(s, n, &tl);
    size_t words = 0;
    for (size_t k = 0; k < tl.n; k++)
        words += !tl.t[k].digits;
    if (words == 0 && tl.n > 0)
        words = 1;
    free(tl.t);
    return words;
}

/* A media file name: an extension at the end of a caption of at most ten
 * words ("Office of the Secretary of Defense Identification Badge.png"),
 * of any caption without spaces (long slugs: 1119-cbsn-...-640x360.jpg) or
 * of a wiki file title. Longer captions are descriptions that a file name
 * was glued to ("Better Leh'd than Never - a 3,004 kms round trip of a
 * lifetime!-img_2613.jpg"), and an extension inside the caption ("Pony
 * Love.jpg Canvas Lunch Bag") is a product's name. */
static const char *media_file_name(const char *s, size_t n)
{
    size_t base;
    const char *ext = media_ext_of(s, n, &base);
    if (!ext)
        return NULL;
    size_t words = name_words(s, base);
    if (!words)
        return NULL;
    if (words <= 10 || !memchr(s, ' ', n))
        return ext;
    for (int i = 0; file_namespace[i]; i++)
        if (cap_has_prefix(s, n, file_namespace[i]))
            return ext;
    return NULL;
}

/* A hash-named file with the resize parameters of an image CDN after it:
 * "548ded5e697ab044fb008b68. w.60 h.60 s.centercrop". */
static int resized_hash_name(const char *s, size_t n)
{
    size_t pos = 0, wl, k = 0;
    const char *w;
    while (cap_next_ws_word(s, n, &pos, &w, &wl)) {
        if (k++ == 0) {
            size_t hex = 0, digits = 0;
            while (hex < wl && isxdigit((unsigned char)w[hex])) {
                digits += isdigit((unsigned char)w[hex]) != 0;
                hex++;
            }
            if (hex != wl || hex < 16 || !digits || digits == hex)
                return 0;
            continue;
        }
        /* a parameter: one or two letters, '.', '=' or '_', a value */
        size_t i = 0;
        while (i < wl && i < 3 && isalpha((unsigned char)w[i]))
            i++;
        if (i == 0 || i > 2 || i + 1 >= wl || !strchr(".=_", w[i]))
            return 0;
        for (i++; i < wl; i++)
            if (!isalnum((unsigned char)w[i]))
                return 0;
    }
    return k >= 2;
}

/* 1 when w[0..wl) is all digits and from lo to hi of them. */
static int digit_word(const char *w, size_t wl, size_t lo, size_t hi)
{
    if (wl < lo || wl > hi)
        return 0;
    for (size_t i = 0; i < wl; i++)
        if (!isdigit((unsigned char)w[i]))
            return 0;
    return 1;
}

/* A Pexels or Pixabay download name with its separators turned into
 * spaces: "pexels anna lena 1234567" (the site, the photographer, the
 * photo's number), "laptop 3087585 1920" (Pixabay: a tag, the number, the
 * width served). Five words at most. */
static int stock_download_name(const char *s, size_t n)
{
    const char *w[6];
    size_t wl[6], k = 0, pos = 0, l;
    const char *p;
    while (cap_next_ws_word(s, n, &pos, &p, &l)) {
        if (k == 6)
            return 0;
        w[k] = p;
        wl[k++] = l;
    }
    if (k < 2 || k > 5)
        return 0;
    if (wl[0] == 6 && memcmp(w[0], "pexels", 6) == 0 && digit_word(w[k - 1], wl[k - 1], 5, 9))
        return 1;
    static const char *const widths[] = {"1920", "1280", "960", "640", "340", "150", NULL};
    if (k >= 3 && digit_word(w[k - 2], wl[k - 2], 5, 8))
        if (cap_in_list(widths, w[k - 1], wl[k - 1]))
            return 1;
    return 0;
}

/* An Unsplash download name: the photographer's name, the photo's
 * eleven-character id and "unsplash" ("michael muthee 8bPqxyodoUk unsplash").
 * The id is read in x->norm: it mixes cases or holds a digit, which a
 * name does not. A credit ("Foto: Name / Unsplash") has no id. */
static int unsplash_name(const judge_ctx *x)
{
    const char *s = x->norm;
    size_t n = x->nlen;
    if (n < 20 || strcasecmp(s + n - 9, " unsplash") != 0)
        return 0;
    size_t e = n - 9, b = e;
    while (b > 0 && s[b - 1] != ' ')
        b--;
    if (e - b != 11 || b == 0)
        return 0;
    int lower = 0, upper = 0, digit = 0;
    for (size_t i = b; i < e; i++) {
        unsigned char c = (unsigned char)s[i];
        if (islower(c))
            lower = 1;
        else if (isupper(c))
            upper = i > b;
        else if (isdigit(c))
            digit = 1;
        else if (c != '-' && c != '_')
            return 0;
    }
    if (!(digit || (lower && upper)))
        return 0;
    /* at most three name words before the id */
    size_t words = 0;
    for (size_t i = 0; i < b; i++)
        words += s[i] == ' ';
    return words <= 3;
}

/* A date in a run of n digits: a year (1900-2099), yyyymm, yymmdd /
 * ddmmyy, yyyymmdd / ddmmyyyy. */
static int date_digits(const char *d, size_t n)
{
#define NUM2(p) (((p)[0] - '0') * 10 + ((p)[1] - '0'))
    int year4 = n >= 4 && (NUM2(d) == 19 || NUM2(d) == 20);
    if (n == 4)
        return year4;
    if (n == 6) {
        int a = NUM2(d), b = NUM2(d + 2), c = NUM2(d + 4);
        return (year4 && c >= 1 && c <= 12) || (b >= 1 && b <= 12 && ((c >= 1 && c <= 31) || (a >= 1 && a <= 31)));
    }
    if (n == 8) {
        int b = NUM2(d + 4), c = NUM2(d + 6);
        int mm1 = NUM2(d + 2), dd1 = NUM2(d);
        int ymd = year4 && b >= 1 && b <= 12 && c >= 1 && c <= 31;
        int dmy = dd1 >= 1 && dd1 <= 31 && mm1 >= 1 && mm1 <= 12 && (NUM2(d + 4) == 19 || NUM2(d + 4) == 20);
        return ymd || dmy;
    }
    return 0;
#undef NUM2
}

/* A name with a date glued to a word, as people and CMS name files and
 * uploads: "Sylvester2020", "EPULaGuia20220430", "101019demo-kalk02",
 * "CyC_202204". One token, no spaces; a year needs a word of three or more
 * letters beside it (a model code such as "XK2000" has fewer). */
static int dated_name(const char *s, size_t n)
{
    if (n < 6 || memchr(s, ' ', n))
        return 0;
    size_t letters = 0, longest = 0, run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalpha(c)) {
            letters++;
            if (++run > longest)
                longest = run;
        } else {
            run = 0;
            if (!isdigit(c) && !strchr("-_.", c)) /* no other script, no punctuation */
                return 0;
        }
    }
    if (!letters || cap_all_hex(s, n))
        return 0; /* "5d41402abc4b2a76...": a hash, whose digit runs may look like dates */
    for (size_t i = 0; i < n;) {
        if (!isdigit((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && isdigit((unsigned char)s[j]))
            j++;
        if (date_digits(s + i, j - i) && (j - i >= 6 || longest >= 3))
            return 1;
        i = j;
    }
    return 0;
}

/* A camera file name with a custom prefix: four characters that mix
 * letters and digits and a four-digit counter, as Canon bodies let their
 * owners set it ("A23Q1552"); read in x->norm, upper case only. */
static int camera_prefix_name(const judge_ctx *x)
{
    const char *s = x->norm;
    if (x->nlen != 8)
        return 0;
    int letter = 0, digit = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isupper(c))
            letter = 1;
        else if (isdigit(c))
            digit = 1;
        else if (c != '_')
            return 0;
    }
    for (int i = 4; i < 8; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return letter && digit;
}

static int slug_shape(const char *s, size_t n, const char *norm, size_t nlen, int two_lower);

/* A file name with a credit or a title after it: the first segment (cut at
 * " - ", " | " or " – ") is a file name ("3355401374_98dce5b66f_o.jpg -
 * Juan", "anonymous-internet-user | B_A | Pixabay"), or a quoted title is
 * one ('"_MG_7061" by jeridaking', the shape of Flickr's attributions). An
 * unquoted slug counts here only with an underscore or as three lower-case
 * parts: "COVID-19 - Aktuelle Lage" and "306-136 - Juice Beauty Green Apple
 * Peel 2 oz" are titles. */
static int named_segment(const judge_ctx *x)
{
    const char *s = x->fold;
    size_t n = x->flen;
    size_t st = 0, en = 0;
    static const char *const cuts[] = {" - ", " | ", " \xe2\x80\x93 ", NULL};
    if (s[0] == '"' || (unsigned char)s[0] == 0xe2) {
        /* '"X" by Y' */
        size_t q = s[0] == '"' ? 1 : 3;
        const char *close = memchr(s + q, '"', n - q);
        if (!close)
            close = memmem(s + q, n - q, "\xe2\x80\x9d", 3);
        if (!close || !cap_has_prefix(close + (*close == '"' ? 1 : 3), (size_t)(s + n - close) - (*close == '"' ? 1 : 3), " by "))
            return 0;
        st = q;
        en = (size_t)(close - s);
    } else {
        size_t cl;
        en = cap_next_cut(s, n, 0, cuts, &cl);
        if (!cl)
            return 0;
        const char *cut = s + en;
        /* what follows is a credit or a short title, not a description */
        size_t words = 0;
        for (const char *p = cut; p < s + n; p++)
            words += *p == ' ';
        if (words > 9)
            return 0;
    }
    const char *w = s + st;
    size_t wl = en - st;
    if (wl < 4 || memchr(w, ' ', wl))
        return 0;
    if (media_file_name(w, wl))
        return 1;
    char *tmp = xstrndup(w, wl);
    int hit = default_name(x->f, tmp) >= 0;
    free(tmp);
    if (hit)
        return 1;
    if (slug_shape(w, wl, NULL, 0, 0) != 2)
        return 0;
    if (st > 0 || memchr(w, '_', wl))
        return 1; /* quoted, or with an underscore */
    /* three or more parts, all lower case as written ("342-USAF-34662 -
     * PRESIDENT KENNEDY VISITS ..." is a catalogue number and a title) */
    const char *nw = x->norm + (w - s);
    if ((size_t)(nw - x->norm) + wl > x->nlen)
        return 0;
    size_t parts = 1;
    for (size_t i = 0; i < wl; i++) {
        unsigned char c = (unsigned char)nw[i];
        if (c == '-')
            parts++;
        else if (!islower(c))
            return 0;
    }
    return parts >= 3;
}

/* A stock library's or CMS's asset number with its size after it
 * ("55058657_m", "123456789-l", "4711815_original"): six or more digits,
 * '_' or '-', a size word. */
static int sized_asset_name(const char *s, size_t n)
{
    static const char *const size[] = {"xs", "s", "m", "l", "xl", "xxl", "xxxl", "sm", "md", "lg", "thumb",
                                       "small", "medium", "large", "big", "orig", "original", "full", "hd",
                                       "web", NULL};
    size_t d = 0;
    while (d < n && isdigit((unsigned char)s[d]))
        d++;
    if (d < 6 || d + 1 >= n || (s[d] != '_' && s[d] != '-'))
        return 0;
    return cap_in_list(size, s + d + 1, n - d - 1);
}

int cap_rule_filename(judge_ctx *x)
{
    const char *s = x->fold;
    size_t n = strip_file_size(s, x->flen);
    /* 1. an image/media extension */
    const char *ext = media_file_name(s, n);
    if (ext) {
        snprintf(x->detail, x->detaillen, ".%s file name", ext);
        return 1;
    }
    /* 2. camera, phone, screenshot and generic download names */
    int rx = default_name(x->f, s);
    if (rx >= 0) {
        snprintf(x->detail, x->detaillen, "%s", rx_name[rx]);
        return 1;
    }
    const char *why = NULL;
    if (camera_prefix_name(x))
        why = "camera";
    else if (unsplash_name(x))
        why = "Unsplash download";
    else if (stock_download_name(s, n))
        why = "stock photo download";
    else if (resized_hash_name(s, n))
        why = "resized hash name";
    else if (dated_name(s, n))
        why = "dated name";
    else if (named_segment(x))
        why = "file name and credit";
    else if (sized_asset_name(s, n))
        why = "asset number with its size";
    if (why) {
        snprintf(x->detail, x->detaillen, "%s", why);
        return 1;
    }
    return 0;
}

static int slug_sep(unsigned char c)
{
    return c == '-' || c == '_' || c == '+';
}

/* 0: no slug; 1: a slug of two lower-case parts ("paris-snow", judged in
 * norm when given and two_lower is set); 2: a slug by its parts: an
 * underscore, three or more parts, a digit part, "@2x". Parts are joined
 * by '-', '_' or '+' (an encoded space: "Elegant+Princess+Damask+Party");
 * with three or more parts a doubled or trailing separator is still a
 * slug ("maine-tv-unit--holds-up", "tahrir-square-"). A one-letter part
 * before a hyphen belongs to the next ("e-post", "t-shirt"), so
 * "KMail-e-postprogramvaran" is a Swedish compound of two parts. */
static int slug_shape(const char *s, size_t n, const char *norm, size_t nlen, int two_lower)
{
    size_t parts = 1, hyph = 0, under = 0, sloppy = 0;
    int digit_part = 0, cur_digit = 0, at2x = 0;
    while (n > 3 && (s[n - 1] == '?' || s[n - 1] == '!'))
        n--;
    if (n < 3 || slug_sep((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (slug_sep(c)) {
            if (slug_sep((unsigned char)s[i - 1]) || i == n - 1) {
                sloppy++;
                continue;
            }
            int one_letter = c == '-' && isalpha((unsigned char)s[i - 1]) && (i == 1 || slug_sep((unsigned char)s[i - 2])) &&
                             i + 1 < n && isalpha((unsigned char)s[i + 1]);
            if (one_letter)
                continue;
            parts++;
            if (c == '_')
                under++;
            else
                hyph++;
            digit_part |= cur_digit;
            cur_digit = 0;
        } else if (isdigit(c)) {
            cur_digit = 1;
        } else if (c == '.' && i > 0 && i + 1 < n && isdigit((unsigned char)s[i - 1]) && isdigit((unsigned char)s[i + 1])) {
            continue; /* "ipad-case-9.7-neoprene" */
        } else if (c == '@' && i + 2 < n && strncmp(s + i, "@2x", 3) == 0) {
            at2x = 1;
            i += 2;
        } else if (!(c >= 'a' && c <= 'z')) {
            return 0;
        }
    }
    digit_part |= cur_digit;
    if (sloppy && parts < 3)
        return 0;
    if ((under && parts >= 2) || parts >= 3 || (parts == 2 && digit_part) || at2x)
        return 2;
    /* "logo-print", "teaser-img", "paris-snow": two lower-case parts are a
     * slug as written ("Hyundai-Logo", "E-Mail" are words) */
    if (two_lower && norm && parts == 2 && hyph == 1) {
        for (size_t i = 0; i < nlen; i++)
            if (!islower((unsigned char)norm[i]) && norm[i] != '-')
                return 0;
        return 1;
    }
    return 0;
}

/* A no-space slug: hero-banner-v2, header_bg_2x, blue-summer-dress; with
 * a copy counter after it ("laurel-way-house-in-beverly-hills (9)"). */
/* Where a slug after a leading domain starts ("sciencefly.com-Teyujagua-
 * fossil-discovered": a site names its uploads after itself), or 0: a
 * name of letters, digits and '-', a dot, a top-level domain of 2-6
 * letters, then '-' or '_'. */
static size_t domain_prefix(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-'))
        i++;
    if (i == 0 || i >= n || s[i] != '.')
        return 0;
    size_t t = ++i;
    while (i < n && s[i] >= 'a' && s[i] <= 'z')
        i++;
    if (i - t < 2 || i - t > 6 || i + 1 >= n || (s[i] != '-' && s[i] != '_'))
        return 0;
    return i + 1;
}

int cap_rule_slug(judge_ctx *x)
{
    size_t n = strip_copy_counter(x->fold, x->flen);
    size_t nlen = n == x->flen ? x->nlen : strip_copy_counter(x->norm, x->nlen);
    if (slug_shape(x->fold, n, x->norm, nlen, 1)) {
        snprintf(x->detail, x->detaillen, "slug");
        return 1;
    }
    size_t d = domain_prefix(x->fold, n);
    if (d && slug_shape(x->fold + d, n - d, NULL, 0, 0) == 2) {
        snprintf(x->detail, x->detaillen, "slug after the site's domain");
        return 1;
    }
    return 0;
}
