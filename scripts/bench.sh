#!/usr/bin/env bash
# Runs every benchmark scenario against dialoghub, NATS (WebSocket listener)
# and the floor (a bare tokio-tungstenite fan-out; floor-ticks: the same, also
# sending the `live`-sized frames dialoghub's tallies take), in one run on this
# machine.
# Writes one JSON file per scenario and system, results.json and table.md into
# bench/results/ and prints the tables.
#
# Usage: [BENCH_NICE=-10] scripts/bench.sh [--quick] [--only fanout-10000,vote-storm] [--nats PATH]
# Needs: nats-server (default /usr/sbin/nats-server); about 16 minutes (--quick: 2).
# The cluster scenario (three nodes) also needs DATABASE_URL (PostgreSQL, and the
# psql client to create its database) and REDIS_URL; without them it is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

# Release builds, one at a time: built together, cargo would unify the features
# of shared dependencies and rebuild the server with the bench's feature set.
cargo build -q --release -p dialoghub
cargo build -q --release -p bench

# Every client is an open file: raise the soft limit to the hard one. A process
# may not hold more, which is why the load generator runs as several processes.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open files per process: $(ulimit -n); cpus: $(nproc)" >&2

mkdir -p bench/results
# BENCH_NICE=-10 (as root) gives the servers and the load generator the CPU when
# other work shares the machine; all three systems get the same priority. Linux
# schedules sessions as autogroups, so a process's own nice value only counts
# within its session: run in a new session and set that autogroup's nice too.
if [ -n "${BENCH_NICE:-}" ]; then
  exec setsid sh -c 'echo "$0" > /proc/self/autogroup 2>/dev/null || true; exec nice -n "$0" "$@"' \
    "$BENCH_NICE" target/release/bench run --dialoghub target/release/dialoghub --out bench/results "$@"
fi
exec target/release/bench run --dialoghub target/release/dialoghub --out bench/results "$@"
