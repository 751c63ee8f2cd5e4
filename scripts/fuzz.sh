#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a fixed time (default 60 s each) and stops at the
# first finding. Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]
#
# Corpora grow in fuzz/corpus/<target>/ (not committed); a crash is saved under
# fuzz/artifacts/<target>/. Turn each finding into a named regression test in the main
# crate (the input inline, the test named after what broke), then fix it.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(feed article config link sanitize)
fi
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  # Seed the corpora with our own fixtures (invented text) on the first run.
  if [ -z "$(ls -A "fuzz/corpus/$t")" ]; then
    case "$t" in
      feed) find tests/fixtures samples -name '*.xml' -o -name '*.json' -o -name '*.rss' -o -name '*.atom' | head -200 | xargs -r -I{} cp {} "fuzz/corpus/$t/" ;;
      article|sanitize) find tests/fixtures samples -name '*.html' | head -200 | xargs -r -I{} cp {} "fuzz/corpus/$t/" ;;
      config) cp config.yaml "fuzz/corpus/$t/" ;;
      link) printf 'https://www.example.de/a?b=1#c' > "fuzz/corpus/$t/seed" ;;
    esac
  fi
  echo "fuzz.sh: $t for ${secs}s"
  cargo +nightly fuzz run --release --debug-assertions "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048
done
