#!/usr/bin/env bash
# screenshot-pages.sh: the issue-10 screenshots, reproducible offline. Runs the shipped
# config.yaml over the bundled samples with `wirefeed run` serving on loopback, answers the
# samples' invented image hosts (https://agentur.example/…, https://beispielzeitung.example/…)
# with a generated picture from a local HTTPS stub (self-signed; Chromium is told to map those
# hosts to it and to accept its certificate), and renders the index page and two feed URLs
# in headless Chromium through scripts/render-check.sh.
#
# With --rich, the same for the rich test input instead (tests/fixtures/rich/ with its
# wirefeed.yaml: podcast, enclosures, pictures with credits, relative links, an article page),
# its files served over loopback HTTP, every picture answered by the stub.
#
# Usage: scripts/screenshot-pages.sh [--rich] [OUTDIR]      (default: render-out)
# Needs: cargo, python3, openssl, curl, chromium (render-check.sh installs it on Debian).
# Look at OUTDIR/1.png (index), 2.png (alle.rss in a browser), 3.png (recommended.atom, or
# with --rich empfohlen.atom): no XSLT banner, pictures with caption and credit, dates
# written out in German.
set -euo pipefail
rich=0
if [[ "${1:-}" == "--rich" ]]; then
    rich=1
    shift
fi
out="${1:-render-out}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

cargo build --quiet --manifest-path "$root/Cargo.toml"
port=18090
img_port=18443
fixture_port=18091
if [[ $rich == 1 ]]; then
    { echo "serve: 127.0.0.1:$port"
      sed -e "s|http://rich.invalid/|http://127.0.0.1:$fixture_port/|" \
          -e "s|^base_url: .*|base_url: http://127.0.0.1:$port/|" "$root/tests/fixtures/rich/wirefeed.yaml"
    } >"$work/config.yaml"
else
    cp -r "$root/samples" "$work/"
    sed -e "s|^# serve: .*|serve: 127.0.0.1:$port|" -e "s|^base_url: .*|base_url: http://127.0.0.1:$port/|" \
        "$root/config.yaml" >"$work/config.yaml"
fi

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=images.invalid \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat >"$work/images.py" <<'PY'
import http.server, os, ssl, struct, sys, zlib
w, h = 640, 360
rows = b"".join(b"\x00" + b"".join(bytes((40 + x * 150 // w, 90 + y * 100 // h, 160)) for x in range(w))
                for y in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
# images.py PORT (CERT KEY | --files DIR): over TLS, every path is the picture; with
# --files, plain HTTP serving DIR's files (the rich input) and the picture for any other path.
files = sys.argv[3] if sys.argv[2] == "--files" else None
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body, ctype = png, "image/png"
        name = os.path.basename(self.path.split("?")[0])
        if files and name and os.path.isfile(os.path.join(files, name)):
            with open(os.path.join(files, name), "rb") as f:
                body = f.read()
            ctype = "text/html; charset=utf-8" if name.endswith(".html") else "application/octet-stream"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
if not files:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
python3 "$work/images.py" "$img_port" "$work/cert.pem" "$work/key.pem" &
pids+=($!)
if [[ $rich == 1 ]]; then
    python3 "$work/images.py" "$fixture_port" --files "$root/tests/fixtures/rich" &
    pids+=($!)
    for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$fixture_port/podcast.rss" && break; sleep 0.1; done
fi
"$root/target/debug/wirefeed" --config "$work/config.yaml" run 2>"$work/daemon.log" &
pids+=($!)
for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$port/index.html" >/dev/null && break
    sleep 0.2
done

if [[ $rich == 1 ]]; then
    export CHROMIUM_FLAGS="--host-resolver-rules=MAP *.example:443 127.0.0.1:$img_port
--ignore-certificate-errors"
    "$root/scripts/render-check.sh" -o "$out" \
        "http://127.0.0.1:$port/" \
        -t "Radweg am Kanal wird verbreitert|Stadtrat vertagt Entscheidung|Neue Buslinie startet" \
        "http://127.0.0.1:$port/alle.rss" \
        "http://127.0.0.1:$port/empfohlen.atom"
    exit
fi
export CHROMIUM_FLAGS="--host-resolver-rules=MAP agentur.example:443 127.0.0.1:$img_port,MAP beispielzeitung.example:443 127.0.0.1:$img_port
--ignore-certificate-errors"
"$root/scripts/render-check.sh" -o "$out" \
    "http://127.0.0.1:$port/" \
    -t "Hafenbehörde genehmigt Ausbau des Containerterminals" "http://127.0.0.1:$port/alle.rss" \
    "http://127.0.0.1:$port/recommended.atom"
