#!/usr/bin/env python3
"""Writes the example site the demo serves: examples/site/.

The pages are HTML the way real sites write it — plain <img alt>, figures with
captions, srcset, lazy-loading data-src, <picture>, <noscript>, aria labels,
og:image — so `clipcrawl crawl` has every markup variant to find, and the
images' captions range from good descriptions to the useless kind the filters
drop (camera file names, "logo", ISBNs). images.tsv lists every image with the
caption a person would give it, for `clipcrawl fetch`.

Images come from bench/make-photos (built with the project):
    python3 examples/make-site.py build/bench/make-photos
Deterministic: the same inputs give the same site.
"""
import os
import random
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SITE = os.path.join(HERE, "site")
N_PAGES = 24
PER_PAGE = 5

SUBJECTS = ["a red kite", "an old lighthouse", "a wooden rowing boat", "a field of sunflowers",
            "a stone bridge", "a mountain lake", "a city tram", "a bowl of ramen", "a tabby cat",
            "a vintage bicycle", "a snowy pine forest", "a market stall with oranges",
            "a sailing yacht", "a glass teapot", "a desert canyon", "a steam locomotive",
            "a hot air balloon", "a lavender field", "a brick warehouse", "a coral reef"]
PLACES = ["at sunset", "in the morning fog", "under a cloudy sky", "after the rain",
          "on a summer afternoon", "in early spring", "at dusk", "in winter light"]
DETAILS = ["seen from above", "with long shadows", "in soft focus", "close up",
           "from across the water", "with people walking past", "framed by trees", "on a windy day"]
BAD = ["IMG_4821.JPG", "logo", "DSC01234", "click here", "ISBN 978-3-16-148410-0", "spacer",
       "https://example.com/photo.jpg", "thumbnail"]


def caption(rng):
    return f"{rng.choice(SUBJECTS)} {rng.choice(PLACES)}, {rng.choice(DETAILS)}"


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def figure_markup(variant, src, cap, idx):
    """One image in one of the markup styles crawlers meet on the web."""
    if variant == 0:
        return f'<p><img src="{src}" alt="{esc(cap)}" width="320"></p>'
    if variant == 1:
        return (f'<figure><img src="{src}" alt="IMG_{7000 + idx}.JPG">'
                f'<figcaption>{esc(cap)}</figcaption></figure>')
    if variant == 2:
        return (f'<img src="{src}" srcset="{src} 320w, {src} 640w" sizes="50vw" '
                f'alt="{esc(cap)}">')
    if variant == 3:
        return (f'<img class="lazy" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" '
                f'data-src="{src}" alt="{esc(cap)}">'
                f'<noscript><img src="{src}" alt="{esc(cap)}"></noscript>')
    if variant == 4:
        return (f'<picture><source srcset="{src}" type="image/jpeg">'
                f'<img src="{src}" title="{esc(cap)}"></picture>')
    if variant == 5:
        return f'<div><span id="c{idx}">{esc(cap)}</span><img src="{src}" aria-labelledby="c{idx}"></div>'
    return f'<img src="{src}" aria-label="{esc(cap)}">'


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make-site.py PATH/TO/make-photos")
    make_photos = sys.argv[1]
    rng = random.Random(20261127)
    if os.path.exists(SITE):
        shutil.rmtree(SITE)
    img_dir = os.path.join(SITE, "img")
    os.makedirs(img_dir)
    n_images = N_PAGES * PER_PAGE
    subprocess.run([make_photos, "--small", img_dir, str(n_images), "7"], check=True)
    names = sorted(f for f in os.listdir(img_dir) if f.endswith(".jpg"))
    assert len(names) >= n_images, names

    rows = []
    for p in range(N_PAGES):
        body = []
        for j in range(PER_PAGE):
            idx = p * PER_PAGE + j
            src = f"/img/{names[idx]}"
            # Every tenth image carries a useless caption, as the web does.
            cap = BAD[(idx // 10) % len(BAD)] if idx % 10 == 9 else caption(rng)
            body.append(figure_markup(idx % 7, src, cap, idx))
            rows.append((src, cap))
        links = " ".join(f'<a href="/page{q:02d}.html">page {q}</a>'
                         for q in ((p + 1) % N_PAGES, (p + 5) % N_PAGES))
        og = f'<meta property="og:image" content="/img/{names[p * PER_PAGE]}">' if p % 4 == 0 else ""
        html = (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
                f'<title>Example page {p}</title>{og}</head>\n<body>\n<h1>Example page {p}</h1>\n'
                + "\n".join(body) + f"\n<nav>{links}</nav>\n</body></html>\n")
        with open(os.path.join(SITE, f"page{p:02d}.html"), "w") as f:
            f.write(html)
    # A broken image and a missing one, so the demo shows failures being recorded.
    with open(os.path.join(img_dir, "broken.jpg"), "wb") as f:
        f.write(open(os.path.join(img_dir, names[0]), "rb").read()[:600])
    rows.append(("/img/broken.jpg", "a photo that was cut off in transit"))
    rows.append(("/img/missing.jpg", "a photo that is not there"))
    with open(os.path.join(SITE, "index.html"), "w") as f:
        f.write("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>clipcrawl example site</title>"
                "</head><body><h1>Example site</h1><ul>\n"
                + "".join(f'<li><a href="/page{p:02d}.html">page {p}</a></li>\n' for p in range(N_PAGES))
                + "</ul></body></html>\n")
    with open(os.path.join(SITE, "robots.txt"), "w") as f:
        f.write("User-agent: *\nDisallow: /private/\n")
    with open(os.path.join(SITE, "images.tsv"), "w") as f:
        f.write("url\tcaption\n")
        for src, cap in rows:
            f.write(f"{src}\t{cap}\n")
    print(f"wrote {N_PAGES} pages and {len(rows)} list rows to {SITE}")


if __name__ == "__main__":
    main()
