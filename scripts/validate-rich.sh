#!/usr/bin/env bash
# validate-rich.sh: the W3C Feed Validator (level AA) over every output of two inputs, the
# check issue 10 asks for before a release. Not part of CI: the validator is not vendored,
# and CI keeps the structural rules it checks in tests/readers.rs instead.
#
#   1. the rich input, tests/fixtures/rich/ (audio and image enclosures, JSON Feed
#      attachments, Atom rel="enclosure", pictures with credits, titles with "<" and "&",
#      a guid-only item, relative links, an article page) served over loopback HTTP with
#      tests/fixtures/rich/wirefeed.yaml pointed at it;
#   2. the shipped config.yaml over the bundled samples.
#
# Usage: scripts/validate-rich.sh FEEDVALIDATOR_CHECKOUT [PYTHON]
#   PYTHON (default python3) must import html5lib and rdflib, e.g. a venv:
#     git clone https://github.com/w3c/feedvalidator /opt/feedvalidator
#     python3 -m venv /opt/fvenv && /opt/fvenv/bin/pip install html5lib rdflib
#     scripts/validate-rich.sh /opt/feedvalidator /opt/fvenv/bin/python
# Exit 0 when every file of both inputs has zero findings. The feeds stay in a temp dir
# whose path is printed, for a look at what was flagged.
set -euo pipefail
fv="${1:?usage: $0 FEEDVALIDATOR_CHECKOUT [PYTHON]}"
py="${2:-python3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
pid=""
cleanup() { if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

cargo build --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/debug/wirefeed"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 -m http.server --bind 127.0.0.1 --directory "$root/tests/fixtures/rich" "$port" \
    >"$work/http.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$port/podcast.rss" >/dev/null && break
    sleep 0.1
done

status=0
mkdir -p "$work/rich" "$work/shipped"
sed -e "s|http://rich.invalid/|http://127.0.0.1:$port/|" \
    "$root/tests/fixtures/rich/wirefeed.yaml" >"$work/rich/config.yaml"
"$bin" --config "$work/rich/config.yaml" once
echo "== rich input ($work/rich/feeds)"
"$py" "$root/scripts/validate-feeds.py" "$fv" "$work/rich/feeds" \
    https://feeds.beispiel.example/nachrichten/ || status=1

cp -r "$root/samples" "$work/shipped/"
cp "$root/config.yaml" "$work/shipped/"
"$bin" --config "$work/shipped/config.yaml" once
echo "== shipped config ($work/shipped/feeds)"
"$py" "$root/scripts/validate-feeds.py" "$fv" "$work/shipped/feeds" http://localhost:8080/ || status=1
exit "$status"
