#!/usr/bin/env bash
# Fails when a `-sys` crate, a C build (`cc`, `cmake`, `pkg-config`) or a
# crypto library built from C or assembly by a C toolchain (ring, aws-lc-rs,
# openssl) enters the normal (non-dev) dependency tree of the library crates
# or of the `ferrokafka` binary (cli/).
set -euo pipefail
cd "$(dirname "$0")/.."
tree=$(cargo tree -e normal,build -p ferrokafka -p ferrokafka-protocol -p ferrokafka-cli --prefix none --format '{p}')
bad=$(printf '%s\n' "$tree" | awk '{print $1}' | sort -u | grep -E -- '-sys$|^(cc|cmake|pkg-config|bindgen|ring|aws-lc-rs|aws-lc-fips-sys|openssl)$' || true)
if [ -n "$bad" ]; then
  echo "C in the dependency tree of the library or the binary:" >&2
  printf '  %s\n' $bad >&2
  exit 1
fi
echo "no -sys crate and no C build in $(printf '%s\n' "$tree" | awk '{print $1}' | sort -u | wc -l) crates"
