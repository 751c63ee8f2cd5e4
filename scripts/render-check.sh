#!/usr/bin/env bash
# render-check.sh: renders wirefeed pages in headless Chromium, the way a person opening
# them in a browser would see them, and checks that a browser opening a feed URL gets the
# feed's HTML page (text/html, no XSLT, so no Chromium deprecation banner) with its item
# titles rather than raw XML.
#
# Usage:
#   scripts/render-check.sh [-o OUTDIR] [-t 'TITLE|TITLE...'] URL [[-t ...] URL ...]
#
#   Each URL is rendered to OUTDIR/<n>.png (1000x1400) and its DOM dumped to
#   OUTDIR/<n>.html. When -t gives item titles (separated by "|") before a URL, that
#   URL's DOM must contain each of them and an <article> element, and the URL must answer
#   a browser's Accept header with text/html (not XML run through XSLT); otherwise the
#   check fails. Exit status 0 when every check passed.
#   CHROMIUM_FLAGS adds flags, one per line (e.g. --host-resolver-rules for offline
#   image hosts).
#
# Example:
#   scripts/render-check.sh -o /tmp/render \
#     -t 'Landtag beschließt Haushalt|Bahnstreik beendet' http://127.0.0.1:8080/politik.rss \
#     http://127.0.0.1:8080/
#
# Installs Debian's chromium with apt-get when it is missing (needs root).
set -euo pipefail

outdir="render-out"
if [[ "${1:-}" == "-o" ]]; then
    outdir="$2"
    shift 2
fi
if [[ $# -eq 0 ]]; then
    sed -n '2,16p' "$0" >&2
    exit 2
fi
mkdir -p "$outdir"

browser=""
for b in chromium chromium-browser; do
    if command -v "$b" >/dev/null 2>&1; then browser="$b"; break; fi
done
if [[ -z "$browser" ]]; then
    echo "render-check: chromium missing, installing Debian's package" >&2
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2
    browser=chromium
fi

extra_flags=()
if [[ -n "${CHROMIUM_FLAGS:-}" ]]; then
    mapfile -t extra_flags <<<"$CHROMIUM_FLAGS"
fi

chrome() {
    local profile
    profile="$(mktemp -d)"
    # Each run gets a fresh profile so no cache or state from earlier runs is used.
    timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --disable-dev-shm-usage --hide-scrollbars \
        --user-data-dir="$profile" "${extra_flags[@]}" "$@" 2>/dev/null
    local rc=$?
    rm -rf "$profile"
    return $rc
}

failures=0
n=0
titles=""
while [[ $# -gt 0 ]]; do
    if [[ "$1" == "-t" ]]; then
        titles="${2:-}"
        shift 2 || { echo "render-check: -t needs titles" >&2; exit 2; }
        continue
    fi
    url="$1"
    shift
    n=$((n + 1))

    png="$outdir/$n.png"
    dom="$outdir/$n.html"
    if ! chrome --screenshot="$png" --window-size=1000,1400 "$url" >/dev/null; then
        echo "FAIL $url: screenshot failed" >&2
        failures=$((failures + 1))
        continue
    fi
    if ! chrome --dump-dom "$url" >"$dom"; then
        echo "FAIL $url: DOM dump failed" >&2
        failures=$((failures + 1))
        continue
    fi
    echo "rendered $url -> $png, DOM $dom ($(wc -c <"$dom") bytes)"

    if [[ -n "$titles" ]]; then
        ok=1
        ctype="$(curl -s -o /dev/null -w '%{content_type}' \
            -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' "$url")"
        if [[ "$ctype" != text/html* ]]; then
            echo "FAIL $url: a browser gets $ctype, not the HTML page (XSLT would show Chromium's banner)" >&2
            ok=0
        fi
        if ! grep -q "<article" "$dom"; then
            echo "FAIL $url: no <article> in the DOM (raw XML shown instead of the HTML page?)" >&2
            ok=0
        fi
        IFS='|' read -r -a want <<<"$titles"
        for t in "${want[@]}"; do
            if ! grep -qF -- "$t" "$dom"; then
                echo "FAIL $url: item title not in rendered page: $t" >&2
                ok=0
            fi
        done
        if [[ $ok -eq 1 ]]; then
            echo "ok   $url: page rendered, ${#want[@]} item title(s) found"
        else
            failures=$((failures + 1))
        fi
    fi
    titles=""
done

if [[ $failures -gt 0 ]]; then
    echo "render-check: $failures of $n page(s) failed" >&2
    exit 1
fi
echo "render-check: all $n page(s) rendered"
