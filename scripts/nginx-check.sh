#!/usr/bin/env bash
# nginx-check.sh: checks the nginx snippets in contrib/nginx/ against a real nginx on
# loopback, the way an operator would use them. Not part of CI (it needs nginx).
#
#   feeds-proxy.conf   nginx in front of `wirefeed run` (serve: on loopback) under /feeds/
#   feeds-static.conf  nginx serving the feeds/ folder itself under /feeds/
#
# For each: the shipped config.yaml over the bundled samples, `base_url` set to the nginx
# address with the /feeds/ sub-path; then a feed (content type, self link), a browser asking
# for the feed (the HTML page), the index page and a page it links to (relative links
# under the sub-path), compression, and for the proxy the operator views kept to loopback.
#
# Usage: scripts/nginx-check.sh      Needs: cargo, curl, python3, nginx (apt-get install nginx;
# only the binary is used, with a config of its own in a temp dir). Exit 0 when all passed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
chmod 755 "$work"   # nginx workers (www-data) read the static feeds/ folder in it
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
nginx="$(command -v nginx || echo /usr/sbin/nginx)"
[[ -x "$nginx" ]] || { echo "nginx-check: nginx is not installed (apt-get install nginx)" >&2; exit 2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fails=0
check() { # check WHAT COMMAND...: runs the command, prints ok/FAIL
    local what="$1"; shift
    if "$@"; then echo "ok    $what"; else echo "FAIL  $what"; fails=$((fails + 1)); fi
}
wait_for() {
    for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
    echo "nginx-check: $1 did not answer" >&2; return 1
}

cargo build --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/debug/wirefeed"

# Runs nginx in the foreground with one server on 127.0.0.1:$1 whose body is file $2.
start_nginx() {
    local port="$1" body="$2" dir="$work/nginx-$1"
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    server {
        listen 127.0.0.1:$port;
        include $body;
    }
}
EOF
    "$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
    pids+=($!)
}

# The checks both set-ups share. $1: http://127.0.0.1:PORT/feeds/
common_checks() {
    local base="$1" h="$work/h" b="$work/b"
    curl -s -D "$h" -o "$b" "${base}alle.rss"
    check "alle.rss is served as application/rss+xml" grep -qi '^content-type: application/rss+xml' "$h"
    check "alle.rss names itself under the sub-path" grep -q "<atom:link href=\"${base}alle.rss\" rel=\"self\"" "$b"
    curl -s -D "$h" -o "$b" "${base}alle.atom"
    check "alle.atom is served as application/atom+xml" grep -qi '^content-type: application/atom+xml' "$h"
    curl -s -D "$h" -o "$b" --compressed -H 'Accept-Encoding: gzip' "${base}alle.json"
    check "alle.json is served compressed as application/feed+json" \
        bash -c "grep -qi '^content-type: application/feed+json' '$h' && grep -qi '^content-encoding: gzip' '$h'"
    curl -s -D "$h" -o "$b" "$base"
    check "the index page is served for the sub-path's root" \
        bash -c "grep -qi '^content-type: text/html' '$h' && grep -q '<link rel=\"alternate\"' '$b'"
    # Every link of the index page, resolved against the sub-path, answers 200.
    local bad=0 href
    for href in $(grep -o 'href="[^"#]*"' "$b" | sed 's/^href="//; s/"$//' | grep -v '^https\?:' | sort -u); do
        local url
        url="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urljoin(sys.argv[1], sys.argv[2]))' "$base" "$href")"
        [[ "$url" == "$base"* ]] || { echo "      link $href leaves the sub-path: $url"; bad=1; continue; }
        [[ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" == 200 ]] || { echo "      link $href: not 200"; bad=1; }
    done
    check "every link of the index page stays under the sub-path and answers 200" test "$bad" = 0
    curl -s -D "$h" -o "$b" "${base}alle.html"
    check "the feed page alle.html is HTML" \
        bash -c "grep -qi '^content-type: text/html' '$h' && grep -q '<article' '$b'"
}

# 1. nginx in front of `wirefeed run`
wf_port="$(free_port)"
px_port="$(free_port)"
mkdir -p "$work/proxy"
cp -r "$root/samples" "$work/proxy/"
sed -e "s|^# serve: .*|serve: 127.0.0.1:$wf_port|" \
    -e "s|^base_url: .*|base_url: http://127.0.0.1:$px_port/feeds/|" \
    "$root/config.yaml" >"$work/proxy/config.yaml"
grep -q "^serve: 127.0.0.1:$wf_port" "$work/proxy/config.yaml" || { echo "config.yaml has no '# serve:' line to enable" >&2; exit 2; }
sed "s|127.0.0.1:8080|127.0.0.1:$wf_port|g" "$root/contrib/nginx/feeds-proxy.conf" >"$work/proxy.conf"
"$bin" --config "$work/proxy/config.yaml" run 2>"$work/proxy/wirefeed.log" &
pids+=($!)
start_nginx "$px_port" "$work/proxy.conf"
wait_for "http://127.0.0.1:$wf_port/alle.rss"
wait_for "http://127.0.0.1:$px_port/feeds/alle.rss"
echo "== contrib/nginx/feeds-proxy.conf (nginx :$px_port → wirefeed run :$wf_port)"
base="http://127.0.0.1:$px_port/feeds/"
common_checks "$base"
curl -s -D "$work/h" -o "$work/b" -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' "${base}alle.rss"
check "a browser opening alle.rss gets its HTML page, with Vary: Accept" \
    bash -c "grep -qi '^content-type: text/html' '$work/h' && grep -qi '^vary:.*accept' '$work/h'"
etag="$(curl -s -D - -o /dev/null "${base}alle.rss" | grep -i '^etag:' | cut -d' ' -f2- | tr -d '\r')"
check "an unchanged feed answers 304 through the proxy" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "${base}alle.rss")" = 304
check "the operator views answer on loopback through the proxy" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "${base}sources")" = 200

# 2. nginx serving the folder written by `wirefeed once`
st_port="$(free_port)"
mkdir -p "$work/static"
cp -r "$root/samples" "$work/static/"
sed -e "s|^base_url: .*|base_url: http://127.0.0.1:$st_port/feeds/|" "$root/config.yaml" >"$work/static/config.yaml"
"$bin" --config "$work/static/config.yaml" once
sed "s|/var/lib/wirefeed/feeds/|$work/static/feeds/|" "$root/contrib/nginx/feeds-static.conf" >"$work/static.conf"
start_nginx "$st_port" "$work/static.conf"
wait_for "http://127.0.0.1:$st_port/feeds/alle.rss"
echo "== contrib/nginx/feeds-static.conf (nginx :$st_port serving feeds/)"
common_checks "http://127.0.0.1:$st_port/feeds/"

echo "$fails check(s) failed"
[[ "$fails" == 0 ]]
