#!/usr/bin/env bash
# Starts a dialoghub cluster from local processes: the same topology as
# docker-compose.yml (N identical nodes on PostgreSQL + Redis, optionally behind
# Caddy), for anyone without Docker and for trying faults by hand.
#
#   scripts/cluster.sh start     # build, then start NODES nodes (default 3)
#   scripts/cluster.sh status    # each node's /readyz
#   scripts/cluster.sh stop      # stop what start started
#
# Uses the PostgreSQL and Redis that are already running:
#   DATABASE_URL  default postgres://postgres@127.0.0.1:5432/dialoghub (created if missing)
#   REDIS_URL     default redis://127.0.0.1:6379
#   NODES         default 3;  BASE_PORT default 8081 (node i listens on BASE_PORT+i-1)
#   PROXY_PORT    default 8080; the proxy starts only if `caddy` is installed
#   DIALOGHUB_BIN a binary to run instead of building target/release/dialoghub
# State (pids, logs, the shared signing secret) lives in target/cluster/.
set -euo pipefail
cd "$(dirname "$0")/.."

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/dialoghub}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
NODES="${NODES:-3}"
BASE_PORT="${BASE_PORT:-8081}"
PROXY_PORT="${PROXY_PORT:-8080}"
STATE=target/cluster
BIN="${DIALOGHUB_BIN:-target/release/dialoghub}"

ports() { for i in $(seq 1 "$NODES"); do echo $((BASE_PORT + i - 1)); done; }

wait_ready() { # port: bounded wait for /readyz
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "node on port $1 is not ready; see $STATE/node-$1.log" >&2
    return 1
}

start() {
    mkdir -p "$STATE"
    [ -n "${DIALOGHUB_BIN:-}" ] || cargo build --release --locked -p dialoghub
    # The database must exist; nodes create their tables themselves (migrations).
    if command -v psql >/dev/null 2>&1; then
        db="${DATABASE_URL##*/}"; db="${db%%\?*}"
        admin="${DATABASE_URL%/*}/postgres"
        psql "$admin" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
            || psql "$admin" -qc "CREATE DATABASE \"$db\""
    fi
    # Every node must check every other node's tokens: one secret for all.
    [ -s "$STATE/secret" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$STATE/secret"
    public_url="http://127.0.0.1:$PROXY_PORT"
    command -v caddy >/dev/null 2>&1 || public_url="http://127.0.0.1:$BASE_PORT"
    for port in $(ports); do
        mkdir -p "$STATE/node-$port"
        DIALOGHUB_SERVER__PORT="$port" \
        DIALOGHUB_SERVER__DATA_DIR="$STATE/node-$port" \
        DIALOGHUB_SERVER__PUBLIC_URL="$public_url" \
        DIALOGHUB_STORE__URL="$DATABASE_URL" \
        DIALOGHUB_BUS__URL="$REDIS_URL" \
        DIALOGHUB_AUTH__SECRET="$(cat "$STATE/secret")" \
        DIALOGHUB_LIMITS__CONNECTIONS_PER_IP=20000 \
        DIALOGHUB_LIMITS__JOINS_PER_IP_PER_MINUTE=20000 \
        DIALOGHUB_LIMITS__PENDING_QUESTIONS_PER_PARTICIPANT=1000000 \
        DIALOGHUB_LIMITS__PENDING_QUESTIONS_PER_DIALOGUE=1000000 \
        RUST_LOG="${RUST_LOG:-info}" \
            nohup "$BIN" > "$STATE/node-$port.log" 2>&1 &
        echo $! > "$STATE/node-$port.pid"
    done
    for port in $(ports); do wait_ready "$port"; echo "node ready on port $port"; done
    if command -v caddy >/dev/null 2>&1; then
        upstreams=$(for p in $(ports); do printf '127.0.0.1:%s ' "$p"; done)
        cat > "$STATE/Caddyfile" <<CADDY
{
	admin off
}
:$PROXY_PORT {
	reverse_proxy $upstreams {
		lb_policy round_robin
		health_uri /readyz
		health_interval 5s
		lb_try_duration 5s
	}
}
CADDY
        nohup caddy run --config "$STATE/Caddyfile" --adapter caddyfile > "$STATE/proxy.log" 2>&1 &
        echo $! > "$STATE/proxy.pid"
        echo "proxy on http://127.0.0.1:$PROXY_PORT"
    else
        echo "no caddy installed: connect to the nodes directly (any node serves any dialogue)"
    fi
}

stop() {
    for pidfile in "$STATE"/*.pid; do
        [ -e "$pidfile" ] || continue
        kill "$(cat "$pidfile")" 2>/dev/null || true
        rm -f "$pidfile"
    done
    echo "stopped"
}

status() {
    for port in $(ports); do
        printf 'node %s: ' "$port"
        curl -fsS "http://127.0.0.1:$port/readyz" || printf 'not ready'
        echo
    done
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
