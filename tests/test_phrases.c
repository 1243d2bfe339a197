/* test_phrases.c — the weighted phrase lists (filters/caption-phrases.h):
 * parsing and its errors, word boundaries, combinations, negative weights,
 * the detail; the built-in e2guardian list through the caption filter
 * (porn-site titles the word lists miss, innocent near-misses kept) and the
 * unsafe_phrase_threshold setting; and the fuzz corpus replayed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caption-phrases.h"
#include "caption.h"
#include "check.h"
#include "common.h"
#include "filterconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static phrase_list *parse(const char *text, char *err, size_t errlen)
{
    err[0] = '\0';
    return phrase_list_parse(text, strlen(text), "t.txt", err, errlen);
}

static long score(const phrase_list *l, const char *text, char *detail, size_t dl)
{
    return phrase_list_score(l, text, strlen(text), detail, dl);
}

static void test_parse_errors(void)
{
    static const struct {
        const char *text, *want; /* want: start of the error message */
    } bad[] = {
        {"<abc\n", "t.txt:1: unclosed '<'"},
        {"\n\n<abc>\n", "t.txt:3: a phrase needs"},
        {"<a><b><40>\n", "t.txt:1: text after the weight"},
        {"<a><40>x\n", "t.txt:1: text after the weight"},
        {"<a><99999999>\n", "t.txt:1: weight '99999999'"},
        {"<a>,<40>\n", "t.txt:1: a phrase needs"},
        {"<  >,<b><10>\n", "t.txt:1: part at column 1 has no letter"},
        {"<->,<b><10>\n", "t.txt:1: part at column 1 has no letter"},
        {"abc<10>\n", "t.txt:1: expected '<'"},
        {"<a><>\n", "t.txt:1: bad weight"},
    };
    char err[160];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        phrase_list *l = parse(bad[i].text, err, sizeof err);
        CHECK(l == NULL, "bad list %zu parsed", i);
        CHECK(strncmp(err, bad[i].want, strlen(bad[i].want)) == 0, "bad list %zu: '%s', want '%s...'", i, err,
              bad[i].want);
        phrase_list_free(l);
    }
    /* comments, blank lines, a byte order mark, CRLF, a trailing comment */
    phrase_list *l = parse("\xef\xbb\xbf# c\n\n  <a>,<b><10> # why\r\n<c><-5>\r\n", err, sizeof err);
    CHECK(l != NULL, "good list: %s", err);
    CHECK_EQ_INT(phrase_list_count(l), 2);
    phrase_list_free(l);
    l = parse("", err, sizeof err);
    CHECK(l != NULL && phrase_list_count(l) == 0, "empty list");
    CHECK_EQ_INT(score(l, "anything", NULL, 0), 0);
    phrase_list_free(l);
}

static void test_matching(void)
{
    char err[160], d[200];
    phrase_list *l = parse("< anal >,< porn><70>\n"
                           "< anal ><20>\n"
                           "< boob><10>\n"
                           "<fick><30>\n"
                           "<hot cum><80>\n"
                           "<cum-shot><50>\n"
                           "<breast>,<cancer><-40>\n"
                           "<breast><30>\n"
                           "<性感><30>\n"
                           "<ÉROTIQUE><25>\n",
                           err, sizeof err);
    CHECK(l != NULL, "list: %s", err);
    /* word boundaries: `< anal >` is the whole word only */
    CHECK_EQ_INT(score(l, "Anal", NULL, 0), 20);
    CHECK_EQ_INT(score(l, "analysis of data", NULL, 0), 0);
    CHECK_EQ_INT(score(l, "banal anal.", NULL, 0), 20);
    /* a combination needs all its parts; each phrase counts once */
    CHECK_EQ_INT(score(l, "anal porn anal pornography", d, sizeof d), 90);
    CHECK(strcmp(d, "score 90: 'anal'+'porn' 70, 'anal' 20") == 0, "detail '%s'", d);
    CHECK_EQ_INT(score(l, "porn", NULL, 0), 0);
    /* a word beginning, anywhere (compounds), case and accents folded */
    CHECK_EQ_INT(score(l, "Boobs", NULL, 0), 10);
    CHECK_EQ_INT(score(l, "bigboobs", NULL, 0), 0);
    CHECK_EQ_INT(score(l, "Fickfilm", NULL, 0), 30);
    CHECK_EQ_INT(score(l, "érotique", NULL, 0), 25);
    CHECK_EQ_INT(score(l, "ÉROTIQUES", NULL, 0), 25);
    CHECK_EQ_INT(score(l, "e\xcc\x81rotique", NULL, 0), 25); /* decomposed é */
    /* accents are kept: "dòng" (Vietnamese) is not "dong" */
    CHECK_EQ_INT(score(l, "erotique", NULL, 0), 0);
    /* punctuation is a space in both the text and the part */
    CHECK_EQ_INT(score(l, "HOT   CUM!", NULL, 0), 80);
    CHECK_EQ_INT(score(l, "hot-cum", NULL, 0), 80);
    CHECK_EQ_INT(score(l, "cum shot", NULL, 0), 50);
    CHECK_EQ_INT(score(l, "hotcum", NULL, 0), 0);
    /* innocent phrases subtract */
    CHECK_EQ_INT(score(l, "breast cancer screening", d, sizeof d), -10);
    CHECK(strcmp(d, "score -10: 'breast' 30") == 0, "detail '%s'", d);
    CHECK_EQ_INT(score(l, "chicken breast", NULL, 0), 30);
    /* scripts without spaces: substrings */
    CHECK_EQ_INT(score(l, "超性感的照片", NULL, 0), 30);
    /* the detail is cut at a character boundary and stays a C string */
    char small[12];
    CHECK_EQ_INT(score(l, "性感 anal porn hot cum", small, sizeof small), 200);
    CHECK(strlen(small) < sizeof small, "small detail");
    /* a NUL byte is a separator like any other non-letter (found by fuzzing:
     * the folded copy once stopped at it) */
    CHECK_EQ_INT(phrase_list_score(l, "hot\0cum", 7, NULL, 0), 80);
    CHECK_EQ_INT(phrase_list_score(l, "\xff hot\0cum", 9, NULL, 0), 80);
    /* invalid UTF-8 is no crash and no match */
    CHECK_EQ_INT(score(l, "\xff\xfe\xc3", NULL, 0), 0);
    phrase_list_free(l);
}

/* The built-in list (unsafe-phrases.txt, from e2guardian) in the caption
 * filter at the default threshold. */
static void test_builtin(void)
{
    caption_filter *f = caption_filter_new(NULL);
    CHECK(f != NULL, "filter");
    static const struct {
        const char *text;
        int unsafe;
    } cases[] = {
        /* porn-site phrases unsafe.txt has no word for */
        {"Amateur teen girl webcam show", 1},
        {"Free adult sex game online", 1},
        {"Scat video collection", 1},
        {"Hot amateur wives gallery", 1},
        {"Adult paysite members area", 1},
        {"Polskie porno gry za darmo", 1},
        {"Sesso anale con la vicina", 1},
        /* innocent near-misses */
        {"Breast cancer awareness walk", 0},
        {"Amateur radio club meeting", 0},
        {"Adult education center", 0},
        {"Hot pink dress for girls", 0},
        {"Black cock in the farmyard", 0},
        {"Blue tits at the feeder, cute tits", 0},
        {"Golden shower tree in bloom", 0},
        {"Hardcore tour 2019 poster", 0},
        {"Homosexuality and religion - protesters at a Pride event", 0},
        {"Ferrari フェラーリ 488", 0},
        {"Lesbian photo exhibition opens in Berlin", 0},
        {"Fiche technique du produit", 0},
        {"Gas fitter Andrew Hartley", 0},
        {"NESQUIK All Natural Porridge Produkttest", 0},
        {"ICE announces human trafficking awareness campaigns", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        caption_verdict v = caption_judge(f, cases[i].text, strlen(cases[i].text), NULL);
        CHECK((v.code == CAPTION_UNSAFE) == cases[i].unsafe, "'%s': %s (%s)", cases[i].text, v.reason, v.detail);
    }
    caption_verdict v = caption_judge(f, "Scat video collection", 21, NULL);
    CHECK(strstr(v.detail, "weighted phrases") && strstr(v.detail, "'scat video' 80"), "detail '%s'", v.detail);
    caption_filter_free(f);

    /* the threshold is a setting: 0 turns the pass off, a high one keeps more */
    filter_config c;
    filter_config_defaults(&c);
    CHECK_EQ_INT(c.unsafe_phrase_threshold, 60);
    char err[256];
    CHECK_EQ_INT(filter_config_set(&c, "unsafe_phrase_threshold", "0", err, sizeof err), CC_OK);
    f = caption_filter_new(&c);
    v = caption_judge(f, "Scat video collection", 21, NULL);
    CHECK(v.code == CAPTION_KEEP, "threshold 0: %s", v.reason);
    caption_filter_free(f);
    CHECK_EQ_INT(filter_config_set(&c, "unsafe_phrase_threshold", "90", err, sizeof err), CC_OK);
    f = caption_filter_new(&c);
    v = caption_judge(f, "Adult paysite members area", 26, NULL); /* 80 */
    CHECK(v.code == CAPTION_KEEP, "threshold 90: %s", v.reason);
    v = caption_judge(f, "Scat video collection", 21, NULL); /* 80 + 30 */
    CHECK(v.code == CAPTION_UNSAFE, "threshold 90: %s", v.reason);
    caption_filter_free(f);
    CHECK(filter_config_set(&c, "unsafe_phrase_threshold", "-1", err, sizeof err) != CC_OK, "negative threshold");
    CHECK(filter_config_set(&c, "unsafe_phrase_threshold", "x", err, sizeof err) != CC_OK, "bad threshold");
    /* a flag sets it too */
    filter_config_defaults(&c);
    char a0[] = "prog", a1[] = "--unsafe-phrase-threshold", a2[] = "75", a3[] = "rest";
    char *argv[] = {a0, a1, a2, a3, NULL};
    int argc = 4;
    CHECK_EQ_INT(filter_config_from_args(&c, &argc, argv, err, sizeof err), CC_OK);
    CHECK_EQ_INT(c.unsafe_phrase_threshold, 75);
    CHECK_EQ_INT(argc, 2);
}

/* What the pass adds, as filters/README.md counts it: every one-part phrase
 * of the built-in list that weighs the default threshold or more, judged
 * alone as a caption, is unsafe (all but the few that also hold an
 * innocent phrase, "sex vacation"); the word lists alone (threshold 0)
 * reject far fewer of them. */
static void test_single_phrases(void)
{
    const char *src = getenv("CLIPCRAWL_SRC");
    CHECK(src != NULL, "CLIPCRAWL_SRC is set (meson sets it)");
    if (!src)
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/filters/wordlists/unsafe-phrases.txt", src);
    ccbuf list = {0};
    CHECK(cc_read_file(path, &list) == CC_OK, "read %s", path);
    ccbuf_putc(&list, '\0');
    filter_config c;
    filter_config_defaults(&c);
    const long th = c.unsafe_phrase_threshold;
    caption_filter *with = caption_filter_new(&c);
    char err[64];
    filter_config_set(&c, "unsafe_phrase_threshold", "0", err, sizeof err);
    caption_filter *without = caption_filter_new(&c);
    long total = 0, unsafe_with = 0, unsafe_without = 0;
    for (char *line = (char *)list.data; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char part[256];
        long w;
        int used = 0;
        /* exactly "<part><weight>", an optional comment after it */
        if (sscanf(line, "<%255[^<>]><%ld>%n", part, &w, &used) == 2 && used > 0 && !strchr(line + used, '<') &&
            w >= th) {
            total++;
            unsafe_with += caption_judge(with, part, strlen(part), NULL).code == CAPTION_UNSAFE;
            unsafe_without += caption_judge(without, part, strlen(part), NULL).code == CAPTION_UNSAFE;
        }
        line = nl ? nl + 1 : NULL;
    }
    printf("one-part phrases of weight >= %ld: %ld; unsafe as captions %ld, by the word lists alone %ld\n", th, total,
           unsafe_with, unsafe_without);
    CHECK(total > 2000, "%ld one-part phrases of weight >= %ld", total, th);
    CHECK(unsafe_with >= total - 4, "%ld of %ld unsafe with the phrase pass", unsafe_with, total);
    CHECK(unsafe_without < total / 2, "%ld of %ld unsafe by the word lists alone", unsafe_without, total);
    caption_filter_free(with);
    caption_filter_free(without);
    ccbuf_free(&list);
}

/* The fuzz corpus (tests/fuzz/corpus/phrases) replayed, plus every line
 * prefix of a small list. */
static void test_fuzz_inputs(void)
{
    static const char list[] = "< anal >,< porn><70>\n<hot cum><80>\n<breast>,<cancer><-40>\n";
    for (size_t n = 0; n <= sizeof list - 1; n++)
        LLVMFuzzerTestOneInput((const uint8_t *)list, n);
    CHECK(1, "fuzz prefixes ran");
}

int main(void)
{
    test_parse_errors();
    test_matching();
    test_builtin();
    test_single_phrases();
    test_fuzz_inputs();
    return check_summary();
}
