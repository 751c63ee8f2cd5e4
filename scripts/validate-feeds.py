#!/usr/bin/env python3
"""Runs the W3C Feed Validator (level AA) offline over the RSS, Atom and OPML files of a feeds/ folder,
and checks its HTML pages (HTML5 parse errors, html5lib) and JSON Feeds (the JSON Feed 1.1
rules a reader depends on), which the validator does not read.

Not part of CI: the validator is not vendored. Get it once and point this script at it:

    git clone https://github.com/w3c/feedvalidator /opt/feedvalidator
    python3 -m venv /opt/fvenv && /opt/fvenv/bin/pip install html5lib rdflib
    /opt/fvenv/bin/python scripts/validate-feeds.py /opt/feedvalidator feeds http://localhost:8080/

The third argument is the feeds' public base URL (config.yaml `base_url`), so the validator
checks the self links against the address the files are served under. Exit 0 when every
file has zero findings; otherwise every finding is printed and the exit code is 1.
"""
import io
import os
import sys


def html_findings(data):
    """HTML5 parse errors (html5lib, which the validator needs anyway) and images without src."""
    import html5lib

    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)
    doc = parser.parse(data)
    out = [f"line {line}, column {col}: HTML parse error {code} {args or ''}".rstrip()
           for (line, col), code, args in parser.errors]
    if not data.lstrip().lower().startswith(b"<!doctype html>"):
        out.append("no <!DOCTYPE html>")
    if doc.find(".//script") is not None:
        out.append("a <script> element")
    for img in doc.iter("img"):
        if not img.get("src") or img.get("alt") is None:
            out.append(f"<img> without src or alt: {img.attrib}")
    return out


def json_feed_findings(data):
    """What JSON Feed 1.1 requires (https://jsonfeed.org/version/1.1) and readers rely on."""
    import datetime
    import json
    from urllib.parse import urlsplit

    def absolute(u):
        return isinstance(u, str) and urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc

    def rfc3339(d):
        try:
            datetime.datetime.fromisoformat(d.replace("Z", "+00:00"))
            return "T" in d
        except (AttributeError, ValueError):
            return False

    try:
        feed = json.loads(data)
    except ValueError as e:
        return [f"not JSON: {e}"]
    out = []
    if feed.get("version") != "https://jsonfeed.org/version/1.1":
        out.append(f"version is {feed.get('version')!r}")
    if not isinstance(feed.get("title"), str) or not feed["title"].strip():
        out.append("no title")
    for key in ("home_page_url", "feed_url"):
        if key in feed and not absolute(feed[key]):
            out.append(f"{key} is not an absolute URL: {feed[key]!r}")
    ids = set()
    for n, item in enumerate(feed.get("items", []), 1):
        where = f"item {n}"
        if not isinstance(item.get("id"), str) or not item["id"]:
            out.append(f"{where}: id missing or not a string")
        elif item["id"] in ids:
            out.append(f"{where}: id {item['id']!r} repeated")
        ids.add(item.get("id"))
        if not (item.get("content_html") or item.get("content_text")):
            out.append(f"{where}: neither content_html nor content_text")
        for key in ("url", "external_url", "image", "banner_image"):
            if key in item and not absolute(item[key]):
                out.append(f"{where}: {key} is not an absolute URL: {item[key]!r}")
        for key in ("date_published", "date_modified"):
            if key in item and not rfc3339(item[key]):
                out.append(f"{where}: {key} is not RFC 3339: {item[key]!r}")
        for a in item.get("attachments", []):
            if not absolute(a.get("url")) or not a.get("mime_type"):
                out.append(f"{where}: attachment without absolute url or mime_type: {a}")
            if "size_in_bytes" in a and not isinstance(a["size_in_bytes"], int):
                out.append(f"{where}: attachment size_in_bytes is not a number: {a}")
    return out


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    checkout, folder, base = sys.argv[1:]
    sys.path.insert(0, os.path.join(checkout, "src"))
    import feedvalidator
    from feedvalidator import compatibility
    from feedvalidator.formatter.text_plain import Formatter

    if not base.endswith("/"):
        base += "/"
    bad = 0
    kinds = ("rss", "atom", "opml", "html", "json")
    names = sorted(n for n in os.listdir(folder) if n.rsplit(".", 1)[-1] in kinds)
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        kind = name.rsplit(".", 1)[-1]
        if kind == "html":
            lines = html_findings(data)
        elif kind == "json":
            lines = json_feed_findings(data)
        else:
            try:
                events = feedvalidator.validateStream(io.BytesIO(data), firstOccurrenceOnly=1, base=base + name)["loggedEvents"]
            except feedvalidator.logging.ValidationFailure as vf:
                events = [vf.event]
            events = compatibility.AA(events)
            lines = Formatter(events)
        if lines:
            bad += 1
            print(f"{name}: {len(lines)} finding(s)")
            for line in lines:
                print("  " + line)
        else:
            print(f"{name}: clean")
    print(f"{len(names) - bad} of {len(names)} files clean")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
