#!/usr/bin/env bash
# Runs every fuzz target for a bounded time on the stable toolchain and prints,
# per target, the executions and whether it crashed. Exit status 1 on a crash.
#
#   scripts/fuzz-smoke.sh              # 60 s per target
#   FUZZ_SECONDS=10 scripts/fuzz-smoke.sh decode guard
#
# scripts/test runs it with FUZZ_SECONDS=30 (CI). Needs no input: cargo-fuzz
# is installed if missing.
#
# A crash leaves its input in fuzz/artifacts/<target>/; replay it with
#   cd fuzz && cargo fuzz run <target> -s none artifacts/<target>/<file>
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${FUZZ_SECONDS:-60}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode guard normalize dialogue)

if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --locked
fi
# -s none: no sanitizer, so no nightly toolchain is needed (safe Rust only:
# the coverage-guided search and the targets' own assertions still run).
cargo fuzz build -s none

crashed=0
for t in "${targets[@]}"; do
    log=$(mktemp)
    mkdir -p "corpus/$t" "seeds/$t"
    # Inputs that once crashed a target are read first, with the seeds: a
    # regression fails the run at once. New inputs go to corpus/ only.
    dirs=("corpus/$t" "seeds/$t")
    [ -d "regressions/$t" ] && dirs+=("regressions/$t")
    if cargo fuzz run "$t" -s none "${dirs[@]}" -- \
        -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
        result="no crash"
    else
        result="CRASH"
        crashed=1
    fi
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "$t: $execs executions in ${seconds}s, $result"
    if [ "$result" != "no crash" ]; then
        grep -E 'panicked|SUMMARY|Test unit written|assert' "$log" | head -20
    fi
    rm -f "$log"
done
exit $crashed
