#!/usr/bin/env bash
# Browser tests of the web client: installs what is missing, builds the server,
# runs `node --test`. Works in a fresh clone; fails loudly, never passes silently.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"

if ! command -v node >/dev/null 2>&1; then
  echo "Node.js is missing: install Node.js 20 or newer (it runs the tests with node --test)." >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "Node.js $(node --version) is too old: the tests need Node.js 20 or newer." >&2
  exit 1
fi

if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Chromium is missing: installing it with apt-get ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if [ ! -x "$chromium" ]; then
    echo "Chromium is missing: no executable at $chromium. Install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_PATH." >&2
    exit 1
  fi
fi

cd "$here"
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ]; then
  # playwright-core ships no browser and downloads none; we use the system Chromium.
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi

# The real OpenID provider of the sign-in test (tests/oidc-provider/).
if [ ! -d "$root/tests/oidc-provider/node_modules/oidc-provider" ]; then
  (cd "$root/tests/oidc-provider" && npm ci --no-audit --no-fund)
fi

if [ -z "${DIALOGHUB_BIN:-}" ]; then
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is missing: install Rust, or set DIALOGHUB_BIN to a built server binary." >&2
    exit 1
  fi
  (cd "$root" && cargo build --quiet)
  # Wherever cargo puts it (CARGO_TARGET_DIR, .cargo/config.toml, or ./target).
  target_dir="$(cd "$root" && cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
  export DIALOGHUB_BIN="$target_dir/debug/dialoghub"
fi
if [ ! -x "$DIALOGHUB_BIN" ]; then
  echo "The server binary is missing: $DIALOGHUB_BIN" >&2
  exit 1
fi

export CHROMIUM_PATH="$chromium"
exec node --test --test-concurrency=1 tests/
