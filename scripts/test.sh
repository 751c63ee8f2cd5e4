#!/usr/bin/env bash
# Runs wirefeed's tests on a fresh machine: installs the real feed readers the tests parse our
# outputs with (Python's feedparser from PyPI, Debian's newsboat), then runs `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import feedparser' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'feedparser>=6,<7'
fi
if ! command -v newsboat >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq newsboat >/dev/null) \
      || echo "test.sh: could not install newsboat; the newsboat check will fail under CI" >&2
  else
    echo "test.sh: newsboat is not installed (sudo apt-get install newsboat); its check is skipped outside CI" >&2
  fi
fi
exec cargo test --locked "$@"
