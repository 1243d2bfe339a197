#!/usr/bin/env python3
"""e2g-convert.py E2G_ROOT OUT.txt -- e2guardian's weighted phrase lists as
clipcrawl's unsafe phrase list (filters/wordlists/unsafe-phrases.txt).

E2G_ROOT is Debian's e2guardian package unpacked:
    apt-get download e2guardian && dpkg-deb -x e2guardian_*.deb E2G_ROOT
The lists used are LISTS below (under E2G_ROOT/etc/e2guardian/lists/
phraselists/). The output is UTF-8, one phrase per line in e2guardian's own
syntax (`<part>,<part><weight>`), comments and trailing text dropped, the
first occurrence of a phrase kept (its parts compared case-folded), in list
order. OVERRIDES drop or re-weight the entries that fire on innocent text;
each is written into the output as a comment with its reason, so the file
says what was changed. Deterministic: the same package gives the same bytes.
Stdlib only."""
import gzip
import os
import re
import sys

# (list path, encoding): None = UTF-8, else the legacy encoding the file uses
# when it is not valid UTF-8. The Japanese list holds every phrase three
# times (UTF-8, EUC-JP, Shift_JIS): only its UTF-8 lines are read. The
# Russian list comes as KOI8-R/CP1251 and as UTF-8: only the UTF-8 copy.
LISTS = [
    ("pornography/weighted", "latin-1"),
    ("pornography/weighted_danish", "latin-1"),
    ("pornography/weighted_dutch", "latin-1"),
    ("pornography/weighted_french", "latin-1"),
    ("pornography/weighted_german", "latin-1"),
    ("pornography/weighted_italian", "latin-1"),
    ("pornography/weighted_malay", "latin-1"),
    ("pornography/weighted_norwegian", "latin-1"),
    ("pornography/weighted_polish", None),
    ("pornography/weighted_portuguese", "latin-1"),
    ("pornography/weighted_russian_utf8", None),
    ("pornography/weighted_spanish", "latin-1"),
    ("pornography/weighted_swedish", "latin-1"),
    ("pornography/weighted_chinese", None),
    ("pornography/weighted_japanese", "utf-8-lines"),
    ("gore/weighted", "latin-1"),
    ("goodphrases/weighted_general", "latin-1"),
    ("goodphrases/weighted_general_danish", "latin-1"),
    ("goodphrases/weighted_general_dutch", "latin-1"),
    ("goodphrases/weighted_general_polish", None),
    ("goodphrases/weighted_general_portuguese", "latin-1"),
    ("goodphrases/weighted_general_swedish", "latin-1"),
    ("goodphrases/weighted_news", "latin-1"),
]
# Left out on purpose: nudism/ (naturism is not sexual content by the caption
# policy), violence/ (news words: "killed", "murder", "massacre"), banned*
# (search-engine URL switches, not caption text).

# Phrase (its parts case-folded, edge spaces trimmed, joined by ',') -> (new
# weight, or None to drop it; why). Found by reading every phrase that fires
# alone at the default threshold and by running the list over the dev and
# dev-pool captions, the dev hosts' LAION rows and Debian UI translations.
# e2guardian's lists date from the DansGuardian era and block pages: they
# count gay and lesbian identity words as porn, profanity as porn, and music
# genres, birds and roosters collide in short captions. The caption policy
# (filters/README.md) keeps all of those.
IDENTITY = "identity words are not sexual content (caption policy)"
PROFANITY = "profanity or an insult alone is not unsafe (caption policy)"
ROOSTER = "a rooster (cock), a cat (puss) or birds (tits) as often as not"
MUSIC = "hardcore is a music genre and a gaming mode (band photos, game titles)"
OVERRIDES = {}
for k in ("gayclub", "clube gay", "imagem gay", "imagens gay", "melhor site gay", "melhor website gay",
          "gay ebony", "latino lesbian", "chicano lesbian", "lesbian photo", "lesbian cowgirls",
          "lesbian three", "lesbian double", "hot gays"):
    OVERRIDES[k] = (None, IDENTITY)
for k in ("is a fucking", "sick fuck", "sweet fucking", "super fucking fat", "møgsæk", "fede bøsserøv",
          "fede bøssesvin", "di cazzo", "di cazzi", "ファック"):
    OVERRIDES[k] = (None, PROFANITY)
for k in ("black cock", "white cock", "giant cock", "perfect cock", "plastic cock", "rubber cock",
          "sweet puss", "hairy puss", "beautiful tits", "cute tits", "little tits", "tiny tits",
          "amateur,tits"):
    OVERRIDES[k] = (40, ROOSTER)
for k in ("hardcore online", "hardcore tour", "hardcore movie", "best hardcore", "pure hardcore",
          "hardcore girls", "exclusive hardcore", "black hardcore", "extreme hardcore"):
    OVERRIDES[k] = (30, MUSIC)
for k, w, why in (
        ("100% illegal", None, "an ordinary phrase"),
        ("100% ilegal", None, "an ordinary phrase"),
        ("pics and movies", None, "an ordinary phrase"),
        ("real life roots", None, "an ordinary phrase (a site name in the list)"),
        ("disrobing area", None, "clinics and changing rooms"),
        ("face drenched", None, "sweat and rain"),
        ("faces drenched", None, "sweat and rain"),
        ("tongue bath", None, "cats groom"),
        ("nut buster", 30, "a nutcracker"),
        ("polish your knob", 30, "door knobs"),
        ("deeper penetration", 30, "skin care, armour and markets"),
        ("young and tight", 30, "\"young and tight-knit\""),
        ("golden shower", 40, "the golden shower tree (Cassia fistula)"),
        ("goldenshower", 40, "the golden shower tree (Cassia fistula)"),
        ("cherry popper", 40, "a cherry pitter, a sweet"),
        ("wet facial", 40, "a beauty treatment"),
        ("double fist", 40, "boxing"),
        ("huge knockers", 40, "door knockers"),
        ("huge jugs", 40, "water jugs"),
        ("massive jugs", 40, "water jugs"),
        ("animal sex", 40, "biology: an animal's sex"),
        ("rape video", 40, "news about a crime names it"),
        ("adult film star", 40, "news names a person's trade"),
        ("jenna jameson", 30, "a name alone is not sexual content"),
        ("april summers", 30, "a name alone is not sexual content"),
        ("tommy lee video", 30, "a drummer's music video"),
        ("maxim girl", 30, "a magazine cover"),
        ("welcome to playboy", 40, "a magazine"),
        ("adult playground", 30, "outdoor fitness parks"),
        ("high quality adult", 30, "adult education, adult sizes"),
        ("uncensored photo", 40, "history and news"),
        ("uncensored movies", 40, "history and news"),
        ("sex shop", 40, "a shop front is not explicit"),
        ("sexshop", 40, "a shop front is not explicit"),
        ("quality sex shops", 40, "a shop front is not explicit"),
        ("the sex mall", 40, "a shop front is not explicit"),
        ("public nudity", 40, "news and naturism"),
        ("fitte", 20, "English fitted, fitter (a word beginning in the list)"),
        ("porr", 20, "porridge (a word beginning in the list)"),
        ("knulle", 20, "German Knüller, a hit (a word beginning in the list)"),
        ("sborra", 40, "Friulian sborrâ, to unload (a word beginning in the list)"),
        ("arrapa", 40, "Basque arrapatu, to catch (a word beginning in the list)"),
        ("sial", 20, "a word beginning: Sialkot, sialic acid"),
        ("smoo", 20, "Manx 'more' (ny smoo)"),
        ("troia", 20, "Troy in Italian and Portuguese"),
        ("fick", 10, "Swedish 'got' (Fick slut på tid: ran out of time)"),
        ("エロ", 20, "inside イエロー (yellow)"),
        ("チカン", 20, "inside バチカン (the Vatican)"),
        ("バックで", 20, "inside トラックバック (trackback)"),
        ("成年", 20, "Chinese 'adult' in 适合成年人 (suitable for adults), 未成年 (a minor)"),
        ("fisse", 30, "Italian and Friulian 'fixed' (feminine plural)"),
        ("precum", None, "Romanian 'as, like'"),
        ("cum", 5, "Romanian 'how', Latin 'with' (cum laude)"),
        ('" dong', 20, "a Vietnamese and Chinese name, Vietnam's currency"),
        ("chana", None, "chickpeas (chana masala), a name"),
        ("pau grande", 30, "Pau Grande, a town in Brazil; pau is wood"),
        ("fica", None, "Portuguese 'stays', one of its commonest words"),
        ("figa", 20, "a charm (Portuguese, Italian)"),
        ("fiche", None, "French 'form, record card' (fiche technique)"),
        ("mega pompa", 30, "a pump"),
        ("mega pompe", 30, "pumps"),
        ("porcone", 30, "a big pig"),
        ("scene di sesso", 40, "film reviews"),
        ("penetra in inglese", None, "'penetrates' in a dictionary page"),
        ("konek", None, "Indonesian 'connect' (konek internet)"),
        ("tutuh", None, "Malay 'to prune, to fell'"),
        ("fark", None, "an English slang word and a news site"),
        ("portal mężczyzn", None, "a men's portal (news, sport)"),
        ("portal męski", None, "a men's portal (news, sport)"),
        ("polskie amatorki", 30, "amateur sportswomen"),
        ("tilbyder gensidig", None, "Danish 'offers mutual'"),
        ("svenske tøser", None, "Danish/Norwegian 'Swedish girls'"),
        ("slank,velskabt,blid", 40, "a description of a person, not sexual"),
        ("fyldig,spændstig", 30, "wine and food words"),
        ("teen,cherry", 30, "a teenager in a cherry print"),
        ("pre-teen,video", 30, "parenting and school videos"),
        ("18歳以上", 20, "'aged 18 or over': terms of sale, alcohol, voting"),
        ("21歳以上", 20, "'aged 21 or over': terms of sale, alcohol"),
        ("フェラ", None, "the first three kana of フェラーリ (Ferrari); フェラチオ stays"),
        ("lolita art", 30, "Lolita fashion and Nabokov's novel"),
        ("lolitas art", 30, "Lolita fashion and Nabokov's novel"),
        ("new lolita", 30, "Lolita fashion and Nabokov's novel"),
        ("best lolita", 30, "Lolita fashion and Nabokov's novel"),
        ("exclusive lolita", 30, "Lolita fashion and Nabokov's novel"),
        ("lolita world", 30, "Lolita fashion and Nabokov's novel"),
        ("lolitas world", 30, "Lolita fashion and Nabokov's novel"),
        ("lolita studio", 30, "Lolita fashion and Nabokov's novel"),
        ("lolita free", 30, "Lolita fashion and Nabokov's novel"),
        ("lolitas free", 30, "Lolita fashion and Nabokov's novel"),
        ("lolita gratis", 30, "Lolita fashion and Nabokov's novel"),
        ("lolitas gratis", 30, "Lolita fashion and Nabokov's novel"),
        ("real lolita", 30, "Lolita fashion and Nabokov's novel"),
        ("russian lolita", 30, "Lolita fashion and Nabokov's novel"),
):
    OVERRIDES[k] = (w, why)
for k in ('content="porn"', 'content="sex"', 'content="pornô"', 'content="sexo"', 'content="sexual"'):
    OVERRIDES[k] = (None, "an HTML attribute, not caption text")

PHRASE = re.compile(r"^((?:<[^<>]*>\s*,\s*)*<[^<>]*>)\s*<\s*(-?\d+)\s*>")


def read_lines(path, enc):
    data = open(path, "rb").read()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if enc == "utf-8-lines":
        out = []
        for raw in data.split(b"\n"):
            try:
                out.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                continue
        return out
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if enc is None:
            raise SystemExit("%s: not UTF-8" % path)
        text = data.decode(enc)
    return text.split("\n")


def parts_of(spec):
    return [p[1:-1] for p in re.findall(r"<[^<>]*>", spec)]


def no_space_script(ch):
    """Han, kana, Hangul, Thai...: scripts written without spaces."""
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF
            or 0xFF00 <= o <= 0xFFEF or 0x0E00 <= o <= 0x0EFF or 0x20000 <= o <= 0x2FFFF)


def as_words(part):
    """A part e2guardian matches anywhere (no space at either edge) is matched
    as whole words: e2guardian scores a whole page against a limit of 160,
    where `<mose>` inside "Homosexuelle" or `<fick>` inside "trafficking"
    weighs little; a caption is a few words. Parts with a space at one edge
    (`< boob>`: a word beginning) keep the form their authors chose, and so do
    parts in scripts written without spaces (Chinese, Japanese)."""
    if part != part.strip() or any(no_space_script(c) for c in part):
        return part
    return " %s " % part


def key_of(parts):
    """A phrase as the scorer sees it: folded, punctuation a space, edges
    trimmed (`<golden-shower>` and `< golden shower>` are one phrase)."""
    return tuple(sorted(re.sub(r"[\W_]+", " ", p.casefold()).strip() for p in parts))


def package_version(root):
    ch = os.path.join(root, "usr/share/doc/e2guardian/changelog.Debian.gz")
    with gzip.open(ch, "rt", encoding="utf-8") as f:
        first = f.readline()
    m = re.match(r"e2guardian \(([^)]+)\) (\S+);", first)
    return "%s (%s)" % (m.group(1), m.group(2)) if m else "unknown"


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    root, out_path = sys.argv[1], sys.argv[2]
    base = os.path.join(root, "etc/e2guardian/lists/phraselists")
    seen = set()
    used = set()
    out = []
    counts = []
    for rel, enc in LISTS:
        n = 0
        section = ["", "# %s" % rel]
        for line in read_lines(os.path.join(base, rel), enc):
            line = line.strip().replace("\t", " ")
            if not line or line.startswith("#"):
                continue
            m = PHRASE.match(line)
            if not m:
                continue
            parts = [as_words(p) for p in parts_of(m.group(1))]
            if any(not p.strip() or "\\" in p for p in parts):
                continue
            weight = int(m.group(2))
            spec = ",".join("<%s>" % p for p in parts)
            # one phrase however its edges were marked (`<erotic>`, `< erotic>`):
            # a caption's few words must not count one word twice
            okey = ",".join(p.strip().casefold() for p in parts)
            k = key_of(parts)
            if weight == 0 or k in seen:
                continue
            seen.add(k)
            if okey in OVERRIDES:
                used.add(okey)
                neww, why = OVERRIDES[okey]
                if neww is None:
                    section.append("# dropped %s<%d>: %s" % (spec, weight, why))
                    continue
                section.append("# re-weighted %s<%d> to %d: %s" % (spec, weight, neww, why))
                weight = neww
            section.append("%s<%d>" % (spec, weight))
            n += 1
        out.extend(section)
        counts.append((rel, n))
    unused = sorted(set(OVERRIDES) - used)
    if unused:
        raise SystemExit("overrides matching no entry: %s" % ", ".join(unused))
    head = [
        "# unsafe-phrases.txt -- weighted phrases for the `unsafe` reason, GENERATED",
        "# by filters/wordlists/e2g-convert.py from e2guardian's phrase lists; do not",
        "# edit by hand (change OVERRIDES in the script and run it again).",
        "#",
        "# Source: Debian package e2guardian %s," % package_version(root),
        "# /etc/e2guardian/lists/phraselists/{pornography,gore,goodphrases}/weighted*.",
        "# Licence: the package's debian/copyright gives no separate stanza for the",
        "# phrase lists; its catch-all stanzas put the upstream files under GPL-2+",
        "# (with an OpenSSL exception for the program); copyright Philip Pearce,",
        "# E2BN Protex Ltd., Frederic Bourgeois; lists originally from DansGuardian",
        "# (several list headers credit Fernand Jonker).",
        "#",
        "# Format (e2guardian's): one phrase a line, `<part>,<part>...<weight>`.",
        "# A phrase scores its weight when ALL its parts occur in the caption. A",
        "# caption is folded (lower case, accents kept) and every run of",
        "# characters that are not letters, digits or marks becomes one space, with a",
        "# space at each end; a part is folded the same way and matched as a",
        "# substring, so a space at a part's edge means a word boundary: `< anal >`",
        "# is the word, `< boob>` a word beginning, `<xyz>` anywhere. e2guardian's",
        "# parts without a space at either edge are written here as whole words",
        "# (`<fick>` became `< fick >`: a page limit of 160 forgives `<mose>` inside",
        "# \"Homosexuelle\", a caption of a few words does not), except in Chinese and",
        "# Japanese, which have no spaces. Negative weights are innocent phrases",
        "# (medicine, news, sex education). filters/caption-phrases.c sums the weights",
        "# of the phrases",
        "# present, each once; at or over `unsafe_phrase_threshold` the caption is",
        "# `unsafe`.",
        "#",
        "# Phrases per list:",
    ] + ["#   %s %d" % (r, n) for r, n in counts]
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(head + out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
