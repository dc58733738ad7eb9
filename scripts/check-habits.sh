#!/usr/bin/env bash
# The habits the test command enforces before any test runs: formatted
# code, clippy clean with warnings as errors, and no source file over 800
# lines (split by concern before a file grows past that).
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_LINES=${FERROKAFKA_MAX_FILE_LINES:-800}

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --all-features -- -D warnings

too_long=$(git ls-files -co --exclude-standard -- '*.rs' \
  | while read -r f; do
      [ -f "$f" ] || continue
      n=$(wc -l <"$f")
      [ "$n" -le "$MAX_LINES" ] || echo "$f: $n lines"
    done)
if [ -n "$too_long" ]; then
  echo "source files over $MAX_LINES lines (split them by concern):" >&2
  echo "$too_long" >&2
  exit 1
fi
echo "habits: formatted, clippy clean, no source file over $MAX_LINES lines"
