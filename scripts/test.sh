#!/usr/bin/env bash
# THE test command: on a fresh machine with this machine's tools it checks
# formatting, clippy and file sizes (scripts/check-habits.sh), resolves
# and starts real Kafka brokers (scripts/kafka.sh), runs every test (unit,
# integration against the brokers, doc tests), checks that no C enters the
# library's dependency tree, smoke-runs every fuzz target, and stops the
# brokers whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s (%s)\n' "$*" "$(date +%T)"; }

cleanup() { scripts/kafka.sh stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

# A one-shot run gains nothing from incremental compilation, and its files
# (gigabytes for the test binaries) count against the disk; set
# CARGO_INCREMENTAL=1 to keep them between local runs.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

step "tools"
df -h . | tail -n 1 | awk '{print "disk: " $4 " free of " $2}'
command -v cargo >/dev/null || { echo "cargo is required" >&2; exit 1; }
if ! command -v kcat >/dev/null; then
  # Cross-checks run librdkafka's kcat; Debian packages it.
  (apt-get install -y -q kcat >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q kcat >/dev/null)) \
    || echo "warning: kcat could not be installed" >&2
fi
if ! command -v openssl >/dev/null; then
  # scripts/kafka.sh makes the TLS listeners' throw-away CA with it.
  (apt-get install -y -q openssl >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q openssl >/dev/null)) \
    || echo "warning: openssl could not be installed" >&2
fi
if ! python3 -c 'import confluent_kafka' 2>/dev/null; then
  # The consumer's read_committed test writes transactions with librdkafka.
  pip install -q confluent-kafka >/dev/null 2>&1 || echo "warning: confluent-kafka could not be installed" >&2
fi

step "habits: fmt, clippy -D warnings, file size"
scripts/check-habits.sh

step "no C in the library's dependency tree"
scripts/check-no-c.sh

step "static musl build of the examples"
scripts/musl-check.sh

step "brokers"
scripts/kafka.sh start single
scripts/kafka.sh start cluster
# shellcheck disable=SC1090
source "$(scripts/kafka.sh env)"

step "cargo test (unit, integration incl. tests/tls_*.rs on the TLS listeners, doc)"
cargo test --workspace --all-features --no-fail-fast

df -h . | tail -n 1 | awk '{print "disk after the tests: " $4 " free of " $2}'

step "the reference event flow (embedded mock, then the broker)"
scripts/event-flow-check.sh mock
scripts/event-flow-check.sh broker

step "the static musl producer and consumer over SASL_SSL"
scripts/musl-check.sh sasl_ssl

step "fuzz smoke"
scripts/fuzz-smoke.sh

step "done"
