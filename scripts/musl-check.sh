#!/usr/bin/env bash
# Builds the examples as static x86_64-unknown-linux-musl binaries (no C
# toolchain involved: nothing in the client's tree, dev-dependencies
# included, compiles C; CC=/bin/false proves it), checks they are static
# and their stripped size, and runs the event flow binary on the embedded
# mock cluster. With `sasl_ssl` (after the brokers started and their env
# file was sourced) it then runs the static producer and consumer over
# the broker's SASL_SSL listener (SCRAM-SHA-512, the test CA), and the
# static `ferrokafka` binary (cli/): -L and a produce/consume round trip
# over SASL_SSL through kcat's -X flags, then the kcat parity tests
# (cli/tests/kcat_parity.rs, kcat_produce.rs) and the admin commands
# against Kafka's tools (cli/tests/admin_agree.rs) with FERROKAFKA_CLI_BIN
# naming it.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-musl
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
# Plain `--release`: the workspace's release profile (Cargo.toml) is sized
# for these binaries (opt-level "z", fat LTO, one codegen unit,
# panic=abort, stripped; build.rs adds RELR and drops the unwind tables).
# The benchmarks build `--profile fast` instead.
dir=target/$target/release/examples
# Every example by default. Each is a whole-program LTO link of a minute
# or more, so the test command names only those it runs and the largest
# (FERROKAFKA_MUSL_EXAMPLES="producer consumer ..."): the others build
# from the same dependency tree, under the same CC=/bin/false.
if [ -n "${FERROKAFKA_MUSL_EXAMPLES:-}" ]; then
  examples=()
  for e in $FERROKAFKA_MUSL_EXAMPLES; do examples+=(--example "$e"); done
else
  examples=(--examples)
fi
cli=target/$target/release/ferrokafka
if [ "${1:-}" = sasl_ssl ]; then
  [ -x "$dir/consumer" ] || CC=/bin/false cargo build -q --release --target "$target" -p ferrokafka "${examples[@]}"
  : "${FERROKAFKA_SASL_SSL_BOOTSTRAP:?source the env file of scripts/kafka.sh first}"
  topic="ferro-musl-sasl-ssl-$(date +%s%N)"
  tls=(-X security.protocol=SASL_SSL -X "ssl.ca.location=$FERROKAFKA_SSL_CA" -X sasl.mechanism=SCRAM-SHA-512
       -X "sasl.username=$FERROKAFKA_SASL_USER" -X "sasl.password=$FERROKAFKA_SASL_PASSWORD")
  out=$(timeout 120 "$dir/producer" --bootstrap "$FERROKAFKA_SASL_SSL_BOOTSTRAP" --topic "$topic" "${tls[@]}" 2>&1) \
    || { printf '%s\n' "$out" >&2; exit 1; }
  [ "$(printf '%s\n' "$out" | grep -c '^Message delivered to ')" = 5 ] || { printf '%s\n' "$out" >&2; exit 1; }
  out=$(timeout 120 "$dir/consumer" --bootstrap "$FERROKAFKA_SASL_SSL_BOOTSTRAP" --topic "$topic" --max-idle-secs 5 "${tls[@]}" 2>&1) \
    || { printf '%s\n' "$out" >&2; exit 1; }
  [ "$(printf '%s\n' "$out" | grep -c '^Consumed message from topic ')" = 5 ] || { printf '%s\n' "$out" >&2; exit 1; }
  echo "static musl producer and consumer: 5 events over SASL_SSL (SCRAM-SHA-512)"
  [ -x "$cli" ] || CC=/bin/false cargo build -q --release --target "$target" -p ferrokafka-cli
  sasl="$FERROKAFKA_SASL_SSL_BOOTSTRAP"
  timeout 60 "$cli" topic create -b "$sasl" "$topic-cli" -p 1 "${tls[@]}" >/dev/null
  out=$(timeout 60 "$cli" -L -b "$sasl" -t "$topic-cli" "${tls[@]}" 2>&1) || { printf '%s\n' "$out" >&2; exit 1; }
  printf '%s\n' "$out" | grep -q "topic \"$topic-cli\" with 1 partitions:" || { printf '%s\n' "$out" >&2; exit 1; }
  printf 'k1:v1\nk2:v2\n' | timeout 60 "$cli" -P -b "$sasl" -t "$topic-cli" -K: -z zstd "${tls[@]}"
  out=$(timeout 60 "$cli" -C -b "$sasl" -t "$topic-cli" -e -q -f '%k=%s\n' "${tls[@]}")
  [ "$out" = "$(printf 'k1=v1\nk2=v2')" ] || { printf 'unexpected: %s\n' "$out" >&2; exit 1; }
  echo "static musl ferrokafka binary: -L, -P and -C over SASL_SSL"
  # --workspace --all-features: the test binaries scripts/test.sh built.
  FERROKAFKA_CLI_BIN="$PWD/$cli" cargo test -q --workspace --all-features --test kcat_parity \
    --test kcat_produce --test admin_agree
  echo "static musl ferrokafka binary: kcat parity and admin tests passed"
  exit 0
fi
CC=/bin/false cargo build -q --release --target "$target" -p ferrokafka "${examples[@]}"
CC=/bin/false cargo build -q --release --target "$target" -p ferrokafka-cli
# The stripped size of each binary: under 4 MB (10^6 bytes), TLS
# included. The two that embed the mock (event_flow, statistics) are the
# largest, at 3.9 MB.
max=${FERROKAFKA_MUSL_MAX_BYTES:-4000000}
stripped=$(mktemp)
trap 'rm -f "$stripped"' EXIT
sizes=""
for b in "$dir"/*; do
  case ${b##*/} in *.d|*-*) continue ;; esac
  # Only the binaries (an interrupted build leaves rustc's temp dirs).
  [ -f "$b" ] && [ -x "$b" ] || continue
  strip -o "$stripped" "$b"
  size=$(stat -c %s "$stripped")
  sizes="$sizes ${b##*/}=$((size / 1024))KiB"
  [ "$size" -lt "$max" ] || { echo "$b is $size bytes stripped (over $max)" >&2; exit 1; }
done
# The binary carries clap and every admin command on top of a client
# (4.9 MB stripped, without the examples' link arguments); its own bound
# keeps it from growing unnoticed.
cli_max=${FERROKAFKA_MUSL_CLI_MAX_BYTES:-6000000}
strip -o "$stripped" "$cli"
size=$(stat -c %s "$stripped")
sizes="$sizes ferrokafka=$((size / 1024))KiB"
[ "$size" -lt "$cli_max" ] || { echo "$cli is $size bytes stripped (over $cli_max)" >&2; exit 1; }
if ldd "$cli" >/dev/null 2>&1 && ! ldd "$cli" 2>&1 | grep -q "statically linked"; then
  echo "$cli is not static:" >&2; ldd "$cli" >&2; exit 1
fi
"$cli" -V | grep -q '^ferrokafka ' || { echo "$cli -V failed" >&2; exit 1; }
echo "stripped sizes:$sizes"
bin=$dir/event_flow
if ldd "$bin" >/dev/null 2>&1 && ! ldd "$bin" 2>&1 | grep -q "statically linked"; then
  echo "$bin is not static:" >&2; ldd "$bin" >&2; exit 1
fi
out=$(env -u FERROKAFKA_BOOTSTRAP timeout 120 "$bin" 2>&1)
[ "$(printf '%s\n' "$out" | grep -c '^Consumed message')" -ge 5 ] || { printf '%s\n' "$out" >&2; exit 1; }
echo "static musl examples: $(ls "$dir" | grep -vc '[.-]') binaries, each under $max bytes stripped; event_flow ran on the mock"
