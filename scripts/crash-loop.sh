#!/usr/bin/env bash
# The crash-loop soak: `wirefeed run` killed with SIGKILL at random moments, ROUNDS times
# (default 200), while its source grows; then every story must be published exactly once
# and the RSS, Atom and JSON outputs must agree. CI runs the same test with 20 rounds.
#
#   scripts/crash-loop.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
WIREFEED_CRASH_ROUNDS="${1:-200}" cargo test --locked --test crash_loop -- --nocapture
