#!/usr/bin/env bash
# Correctness smoke test of dialoghub under a few hundred WebSocket clients:
# no seq gaps, every vote acknowledged, every client shows exactly the tallies of
# the acknowledged votes. Not a speed test. Exits non-zero on any failure; the last
# line is "bench-smoke: N passed, M failed".
#
# Usage: scripts/bench-smoke.sh [--release] [--clients N]
set -euo pipefail
cd "$(dirname "$0")/.."

profile=debug
args=()
for a in "$@"; do
  case "$a" in
    --release) profile=release ;;
    *) args+=("$a") ;;
  esac
done
flag=(); [ "$profile" = release ] && flag=(--release)

# Two builds, not one: built together, cargo would unify the features of shared
# dependencies and rebuild the server with the bench's feature set.
cargo build -q "${flag[@]}" -p dialoghub
cargo build -q "${flag[@]}" -p bench

# Each client is one open file in the load generator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

status=0
timeout 170 "target/$profile/bench" smoke --dialoghub "target/$profile/dialoghub" "${args[@]}" || status=$?
if [ "$status" -eq 124 ]; then
  echo "bench-smoke: timed out after 170 s"
  echo "bench-smoke: 0 passed, 1 failed"
fi
exit "$status"
