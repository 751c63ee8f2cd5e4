#!/usr/bin/env python3
"""Runs the W3C Feed Validator (level AA) offline over the RSS, Atom and OPML files of a feeds/ folder.

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
    names = sorted(n for n in os.listdir(folder) if n.rsplit(".", 1)[-1] in ("rss", "atom", "opml"))
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
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
