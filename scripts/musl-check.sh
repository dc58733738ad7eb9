#!/usr/bin/env bash
# Builds the examples as static x86_64-unknown-linux-musl binaries (no C
# toolchain involved: nothing in the client's tree, dev-dependencies
# included, compiles C) and runs the event flow binary on the embedded
# mock cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-musl
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
cargo build -q --release --target "$target" -p ferrokafka --examples
bin=target/$target/release/examples/event_flow
if ldd "$bin" >/dev/null 2>&1 && ! ldd "$bin" 2>&1 | grep -q "statically linked"; then
  echo "$bin is not static:" >&2; ldd "$bin" >&2; exit 1
fi
out=$(env -u FERROKAFKA_BOOTSTRAP timeout 120 "$bin" 2>&1)
[ "$(printf '%s\n' "$out" | grep -c '^Consumed message')" -ge 5 ] || { printf '%s\n' "$out" >&2; exit 1; }
echo "static musl examples: $(ls target/$target/release/examples | grep -vc '[.-]') binaries; event_flow ran on the mock"
