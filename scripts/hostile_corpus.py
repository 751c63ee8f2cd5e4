#!/usr/bin/env python3
"""Fetches the hostile-input corpus for tests/hostile_corpus.rs and measures feedparser on it.

The corpus is the test suite inside Python feedparser's source distribution (2,249 files:
well-formed and ill-formed feeds of every dialect, encodings, entities, and 745 hostile
feeds built to slip markup past a sanitizer), fetched from PyPI by its pinned sha256, so CI
needs no copy of it in the repository.

    scripts/hostile_corpus.py CACHE_DIR

Writes CACHE_DIR/feedparser-6.0.11/ (the extracted sdist, once) and CACHE_DIR/reference.json:
for every corpus file (path relative to the sdist's tests/ folder), how many entries
feedparser reads and how many of them a reader could show: visible text in the title, the
summary or the content once tags are stripped ("shown"), and how many of those carry a
link or an id ("identified"): wirefeed needs one of them to tell a re-delivery from a new
story, and drops items without either (a documented rule); and "raw", the entries'
titles, summaries and contents unsanitized.
"""
import hashlib
import json
import os
import re
import sys
import tarfile
import urllib.request

NAME = "feedparser-6.0.11"
SHA256 = "c9d0407b64c6f2a065d0ebb292c2b35c01050cc0dc33757461aaabdc4c4184d5"
SIMPLE = "https://pypi.org/simple/feedparser/"
# The folders of feeds; http/ and compression/ test the HTTP layer and carry no feed bodies.
FOLDERS = ("wellformed", "illformed", "encoding", "entities")


def fetch(cache):
    root = os.path.join(cache, NAME)
    if os.path.isdir(os.path.join(root, "tests")):
        return root
    os.makedirs(cache, exist_ok=True)
    req = urllib.request.Request(SIMPLE, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        files = json.load(r)["files"]
    url = next(f["url"] for f in files if f["filename"] == NAME + ".tar.gz")
    with urllib.request.urlopen(url, timeout=120) as r:
        data = r.read()
    if hashlib.sha256(data).hexdigest() != SHA256:
        sys.exit(f"hostile_corpus: {url} does not match the pinned sha256")
    tgz = os.path.join(cache, NAME + ".tar.gz")
    with open(tgz, "wb") as f:
        f.write(data)
    with tarfile.open(tgz) as t:
        members = [m for m in t.getmembers() if m.name.startswith(NAME + "/tests/") and (m.isfile() or m.isdir())]
        t.extractall(cache, members=members)
    return root


def visible(entry):
    for key in ("title", "summary"):
        if re.sub(r"<[^>]*>", "", entry.get(key, "") or "").strip():
            return True
    for c in entry.get("content", []) or []:
        if re.sub(r"<[^>]*>", "", c.get("value", "") or "").strip():
            return True
    return False


def main():
    cache = sys.argv[1]
    root = fetch(cache)
    import feedparser

    tests = os.path.join(root, "tests")
    reference = {}
    for folder in FOLDERS:
        for dirpath, _, names in os.walk(os.path.join(tests, folder)):
            for name in sorted(names):
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, tests)
                try:
                    d = feedparser.parse(path)
                    entries = d.entries
                except Exception:  # noqa: BLE001 - a corpus file feedparser chokes on counts as unreadable
                    entries = []
                shown = [e for e in entries if visible(e)]
                # Identified: a link or an id, what tells one item from another on re-delivery.
                identified = sum(1 for e in shown if e.get("link") or e.get("id"))
                # The entries' markup as the file has it, unsanitized, so the test can put every
                # hostile fragment through wirefeed's sanitizer even where an entry has no
                # identity and is never published.
                raw = []
                try:
                    for e in feedparser.parse(path, sanitize_html=False).entries:
                        raw += [e.get("title") or "", e.get("summary") or ""]
                        raw += [c.get("value") or "" for c in e.get("content", []) or []]
                except Exception:  # noqa: BLE001
                    pass
                reference[rel] = {
                    "entries": len(entries),
                    "shown": len(shown),
                    "identified": identified,
                    "raw": [r for r in raw if r.strip()],
                }
    with open(os.path.join(cache, "reference.json"), "w") as f:
        json.dump(reference, f, indent=0, sort_keys=True)
    print(f"hostile_corpus: {len(reference)} files measured with feedparser {feedparser.__version__}")


if __name__ == "__main__":
    main()
