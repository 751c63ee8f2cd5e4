#!/usr/bin/env python3
"""Measures wirefeed's article extraction on public corpora of real pages, next to trafilatura.

Not part of CI: the corpora are fetched by hand and never copied into this repository.

Corpora (either or both):
  --zyte DIR   Scrapinghub/Zyte article-extraction-benchmark checkout: DIR/html/*.html.gz and
               DIR/ground-truth.json ({id: {articleBody, url}}). 181 real article pages.
               git clone https://github.com/scrapinghub/article-extraction-benchmark
  --moz DIR    Mozilla Readability test pages: DIR/<name>/source.html, expected.html and
               expected-metadata.json (title). 130 real and hand-made pages.
               git clone https://github.com/mozilla/readability; DIR = readability/test/test-pages

For each corpus it prints, for wirefeed and for trafilatura (pip install trafilatura
lxml_html_clean), run on the same bytes with the same URL:
  body P/R/F1   word-level precision, recall and F1 of the body text against the expected
                body (bag of lower-cased words, counted with multiplicity), mean over pages;
                a refused page counts with an empty body (F1 0)
  title exact   share of pages whose title equals the expected title (whitespace folded);
                Mozilla corpus only, the Zyte ground truth has no headline
  date          share of pages for which a publication date was found
  refused       pages for which no article came out (wirefeed: with its reason)

Usage:
  scripts/measure-articles.py --zyte ~/corpora/aeb --moz ~/corpora/readability/test/test-pages
  (add --no-peer to skip trafilatura, --list to print each page's wirefeed F1 and error)

wirefeed runs as `cargo run --release --example extract_json` (built on first use; --debug
uses the debug build instead: the same figures, slower).
"""

import argparse
import collections
import gzip
import html as htmllib
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORD = re.compile(r"\w+", re.UNICODE)


def words(text):
    return collections.Counter(w.lower() for w in WORD.findall(text or ""))


def prf(expected, got):
    e, g = words(expected), words(got)
    overlap = sum((e & g).values())
    p = overlap / sum(g.values()) if g else 0.0
    r = overlap / sum(e.values()) if e else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def fold(s):
    return " ".join((s or "").split())


def html_text(fragment):
    # Expected bodies of the Mozilla corpus are HTML fragments: their text is what counts.
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", fragment, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", text)
    return htmllib.unescape(text)


def read_bytes(path):
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def load_zyte(root):
    truth = json.loads((root / "ground-truth.json").read_text())
    pages = []
    for key, gt in sorted(truth.items()):
        path = root / "html" / f"{key}.html.gz"
        if path.exists():
            pages.append(
                {"id": key, "path": path, "url": gt["url"], "body": gt.get("articleBody", ""), "title": None}
            )
    return pages


def load_moz(root):
    pages = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        src, exp, meta = d / "source.html", d / "expected.html", d / "expected-metadata.json"
        if not (src.exists() and exp.exists() and meta.exists()):
            continue
        m = json.loads(meta.read_text())
        if m.get("readerable") is False:
            continue
        pages.append(
            {
                "id": d.name,
                "path": src,
                "url": f"http://fakehost/test/{d.name}/",
                "body": html_text(exp.read_text(errors="replace")),
                "title": m.get("title"),
            }
        )
    return pages


def run_wirefeed(pages, profile, build=True):
    flags = ["--release"] if profile == "release" else []
    if build:
        subprocess.run(
            ["cargo", "build", *flags, "--quiet", "--example", "extract_json"], cwd=REPO, check=True
        )
    exe = REPO / "target" / profile / "examples" / "extract_json"
    manifest = "".join(f"{p['path']}\t{p['url']}\n" for p in pages)
    out = subprocess.run([str(exe)], input=manifest, capture_output=True, text=True, check=True).stdout
    by_path = {}
    for line in out.splitlines():
        r = json.loads(line)
        by_path[r["path"]] = r
    return [by_path.get(str(p["path"]), {"error": "no output"}) for p in pages]


def run_trafilatura(pages):
    import trafilatura

    results = []
    for p in pages:
        raw = read_bytes(p["path"])
        try:
            doc = trafilatura.bare_extraction(raw, url=p["url"], with_metadata=True, as_dict=True)
        except TypeError:
            doc = trafilatura.bare_extraction(raw, url=p["url"], with_metadata=True)
            doc = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else doc
        except Exception as e:  # a peer crash counts as a refused page
            results.append({"error": repr(e), "body": "", "title": None, "published": None})
            continue
        if not doc or not doc.get("text"):
            results.append({"error": "no text", "body": "", "title": None, "published": None})
            continue
        results.append(
            {"error": None, "body": doc.get("text") or "", "title": doc.get("title"), "published": doc.get("date")}
        )
    return results


def score(pages, results):
    ps, rs, fs = [], [], []
    titles, dates, refused = 0, 0, []
    titled = sum(1 for p in pages if p["title"])
    for p, r in zip(pages, results):
        pr, rc, f = prf(p["body"], r.get("body", ""))
        ps.append(pr)
        rs.append(rc)
        fs.append(f)
        if p["title"] and fold(r.get("title")) == fold(p["title"]):
            titles += 1
        if r.get("published"):
            dates += 1
        if r.get("error"):
            refused.append((p["id"], r["error"]))
    return {
        "n": len(pages),
        "precision": statistics.mean(ps),
        "recall": statistics.mean(rs),
        "f1": statistics.mean(fs),
        "median_f1": statistics.median(fs),
        "title": titles / titled if titled else None,
        "date": dates / len(pages),
        "refused": refused,
        "per_page": fs,
    }


def show(corpus, name, s):
    title = f"{100 * s['title']:.1f} %" if s["title"] is not None else "n/a"
    print(
        f"{corpus:<6} {name:<12} pages {s['n']:>3}  body P {s['precision']:.3f} R {s['recall']:.3f} "
        f"F1 {s['f1']:.3f} (median {s['median_f1']:.3f})  title exact {title:>7}  "
        f"date {100 * s['date']:.1f} %  refused {len(s['refused'])}"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zyte", type=Path)
    ap.add_argument("--moz", type=Path)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--debug", action="store_true", help="use the debug build (no release build needed)")
    ap.add_argument("--no-build", action="store_true", help="use the example binary as it is")
    args = ap.parse_args()
    corpora = []
    if args.zyte:
        corpora.append(("zyte", load_zyte(args.zyte)))
    if args.moz:
        corpora.append(("moz", load_moz(args.moz)))
    if not corpora:
        ap.error("name at least one corpus (--zyte, --moz)")
    for corpus, pages in corpora:
        wf = score(pages, run_wirefeed(pages, "debug" if args.debug else "release", not args.no_build))
        show(corpus, "wirefeed", wf)
        if not args.no_peer:
            show(corpus, "trafilatura", score(pages, run_trafilatura(pages)))
        for pid, why in wf["refused"]:
            print(f"  refused by wirefeed: {pid}: {why}")
        if args.list:
            for p, f in sorted(zip(pages, wf["per_page"]), key=lambda x: x[1]):
                print(f"  {f:.3f} {p['id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
