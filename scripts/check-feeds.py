#!/usr/bin/env python3
"""Checks wirefeed's published feeds the way a feed reader would read them.

Usage: python3 scripts/check-feeds.py feeds/

Parses every *.rss, *.atom and *.json in the directory with feedparser (pip install
feedparser) and prints, per file, the number of entries. Fails (exit 1) when a file does
not parse cleanly (feedparser's "bozo" flag) or an entry lacks an id, a link or a date.

Released feedparser versions (6.0.x) do not read JSON Feed yet; when feedparser does not
recognise a *.json file as JSON Feed, it is checked here instead, against the JSON Feed 1.1
rules the same checks need (version, items, id, url, RFC 3339 dates). *.opml files are
checked for being well-formed OPML with an xmlUrl on every outline.
"""

import json
import sys
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

try:
    import feedparser
except ImportError:
    sys.exit("check-feeds: feedparser is missing; install it with `pip install feedparser`")


def check_parsed(d):
    """Problems in a feedparser result; returns (entry count, problems)."""
    problems = []
    if d.bozo:
        problems.append(f"not well-formed: {d.get('bozo_exception')!r}")
    for n, e in enumerate(d.entries, 1):
        missing = [
            what
            for what, ok in (
                ("id", e.get("id")),
                ("link", e.get("link")),
                ("date", e.get("published_parsed") or e.get("updated_parsed")),
            )
            if not ok
        ]
        if missing:
            problems.append(f"entry {n} ({e.get('title', '?')!r}) lacks {', '.join(missing)}")
    return len(d.entries), problems


def rfc3339(s):
    if not isinstance(s, str):
        return None
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None


def check_json_feed(path):
    """JSON Feed 1.1 checks for when feedparser cannot read JSON Feed."""
    try:
        doc = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as err:
        return 0, [f"not JSON: {err}"]
    problems = []
    if not isinstance(doc, dict):
        return 0, ["not a JSON Feed: top level is not an object"]
    if not str(doc.get("version", "")).startswith("https://jsonfeed.org/version/1"):
        problems.append(f"not a JSON Feed: version {doc.get('version')!r}")
    if not doc.get("title"):
        problems.append("feed lacks a title")
    items = doc.get("items")
    if not isinstance(items, list):
        return 0, problems + ["feed lacks an items list"]
    for n, item in enumerate(items, 1):
        missing = [
            what
            for what, ok in (
                ("id", isinstance(item.get("id"), str) and item.get("id")),
                ("link", item.get("url")),
                ("date", rfc3339(item.get("date_published")) or rfc3339(item.get("date_modified"))),
                ("content", "content_html" in item or "content_text" in item),
            )
            if not ok
        ]
        if missing:
            problems.append(f"entry {n} ({item.get('title', '?')!r}) lacks {', '.join(missing)}")
    return len(items), problems


def check_opml(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as err:
        return 0, [f"not well-formed: {err}"]
    if root.tag != "opml":
        return 0, [f"root element is <{root.tag}>, not <opml>"]
    outlines = root.findall("./body//outline")
    problems = [f"outline {n} lacks xmlUrl" for n, o in enumerate(outlines, 1) if not o.get("xmlUrl")]
    return len(outlines), problems


def check(path):
    if path.suffix == ".opml":
        count, problems = check_opml(path)
        return count, problems, "opml"
    d = feedparser.parse(str(path))
    if path.suffix == ".json" and not d.get("version", "").startswith("json"):
        count, problems = check_json_feed(path)
        return count, problems, "json feed (checked here, feedparser cannot read it)"
    count, problems = check_parsed(d)
    return count, problems, d.get("version") or "unknown format"


def main(argv):
    if len(argv) != 2:
        sys.exit(f"usage: {argv[0]} FEEDS_DIR")
    folder = Path(argv[1])
    if not folder.is_dir():
        sys.exit(f"check-feeds: {folder} is not a directory")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".rss", ".atom", ".json", ".opml"))
    if not files:
        sys.exit(f"check-feeds: no *.rss, *.atom, *.json or *.opml files in {folder}")
    failed = False
    for path in files:
        count, problems, kind = check(path)
        status = "ok" if not problems else "FAILED"
        print(f"{path}: {count} entries, {kind}, {status}")
        for p in problems:
            print(f"  {p}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
