#!/usr/bin/env bash
# Smoke-runs every fuzz target for a few seconds each, from its committed
# seed corpus. Run longer by hand with, e.g.:
#   cd fuzz && cargo +nightly fuzz run response -- -max_total_time=3600
# (FUZZ_SECONDS sets the per-target time here; default 10.) Every target
# `cargo fuzz list` names runs, each from corpus/<target>: the fetch_path,
# mock and sasl targets included. FUZZING.md has the longer campaigns.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-10}

if ! cargo +nightly --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

cd fuzz
targets=$(cargo +nightly fuzz list)
cargo +nightly fuzz build -O 2>&1 | tail -n 3
# FUZZ_BUILD_ONLY=1: build the targets and stop (scripts/test.sh builds
# them in the background while the broker tests run).
if [ -n "${FUZZ_BUILD_ONLY:-}" ]; then
  echo "fuzz targets built: $(echo $targets | wc -w)"
  exit 0
fi
total=0
for t in $targets; do
  mkdir -p "corpus/$t"
  # Run on a scratch copy so the committed corpus only grows on purpose.
  work=$(mktemp -d)
  cp -r "corpus/$t/." "$work/" 2>/dev/null || true
  log=$(mktemp)
  if ! cargo +nightly fuzz run -O "$t" "$work" -- -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz target $t failed" >&2
    exit 1
  fi
  runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | grep -Eo '[0-9]+' || echo 0)
  total=$((total + runs))
  echo "fuzz $t: ${runs} executions in ${seconds}s"
  rm -rf "$work" "$log"
done
echo "fuzz smoke: ${total} executions over $(echo $targets | wc -w) targets"
