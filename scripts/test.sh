#!/usr/bin/env bash
# THE test command: on a fresh machine with this machine's tools it checks
# formatting, clippy and file sizes (scripts/check-habits.sh), resolves
# and starts real Kafka brokers (scripts/kafka.sh), runs every test (unit,
# integration against the brokers, doc tests), checks that no C enters the
# library's dependency tree, smoke-runs every fuzz target, and stops the
# brokers whatever happens. An older broker, Kafka 3.9 (scripts/kafka-compat.sh),
# starts in the background at the beginning and runs the compatibility suite
# (tests/compat.rs, in the cargo test step) and the event flow; the full
# matrix (2.8, 3.6, 3.9, 4.3) is scripts/compat.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s (%s)\n' "$*" "$(date +%T)"; }

cleanup() {
  # Background builds (see below) end with the run.
  jobs -p | xargs -r kill 2>/dev/null || true
  scripts/kafka.sh stop >/dev/null 2>&1 || true
  scripts/kafka-compat.sh stop 3.9 >/dev/null 2>&1 || true
}
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
if ! python3 -c 'import cryptography' 2>/dev/null; then
  # scripts/oidc-endpoint.py (the OIDC token endpoint) signs its JWTs with it.
  pip install -q cryptography >/dev/null 2>&1 \
    || apt-get install -y -q python3-cryptography >/dev/null 2>&1 \
    || echo "warning: python3 cryptography could not be installed" >&2
fi
if ! python3 -c 'import confluent_kafka' 2>/dev/null; then
  # The consumer's read_committed test writes transactions with librdkafka.
  pip install -q confluent-kafka >/dev/null 2>&1 || echo "warning: confluent-kafka could not be installed" >&2
fi

step "Kafka 3.9 for the compatibility suite (starting in the background)"
mkdir -p .cache
scripts/kafka-compat.sh start 3.9 >.cache/compat-3.9-start.log 2>&1 &
compat_start=$!

step "habits: fmt, clippy -D warnings, file size"
scripts/check-habits.sh

step "no C in the library's dependency tree"
scripts/check-no-c.sh

step "brokers (starting in the background)"
(scripts/kafka.sh start single && scripts/kafka.sh start cluster) >.cache/brokers-start.log 2>&1 &
brokers_start=$!

step "build every test"
cargo test --workspace --all-features --no-run

# The static musl build (fat LTO, one codegen unit per binary) and the
# fuzz targets' instrumented build take most of 15 minutes of CPU and
# need no broker: they run at the lowest priority while the tests below
# mostly wait on the brokers, and their checks run after the tests.
step "static musl build and fuzz build (in the background, niced)"
# The examples it runs (producer, consumer, event_flow) and the largest
# (statistics, exactly_once; event_flow is one): scripts/musl-check.sh
# without the variable builds all ten.
export FERROKAFKA_MUSL_EXAMPLES="producer consumer event_flow statistics exactly_once"
(nice -n 19 scripts/musl-check.sh && FUZZ_BUILD_ONLY=1 nice -n 19 scripts/fuzz-smoke.sh) \
  >.cache/background-builds.log 2>&1 &
background_builds=$!

wait "$brokers_start" || { cat .cache/brokers-start.log >&2; exit 1; }
tail -n 2 .cache/brokers-start.log
# shellcheck disable=SC1090
source "$(scripts/kafka.sh env)"
wait "$compat_start" || { cat .cache/compat-3.9-start.log >&2; exit 1; }
# shellcheck disable=SC1090
source "$(scripts/kafka-compat.sh env 3.9)"

step "cargo test (unit, integration incl. tests/tls_*.rs on the TLS listeners, tests/compat.rs on 3.9, doc)"
# The binary's kcat-parity and admin-tool tests run once, on the static
# musl binary, in the SASL_SSL step below (scripts/musl-check.sh): not
# here as well. Every other test target of the workspace runs here, named
# one by one; the package selection stays `--workspace --all-features`
# so that nothing is built again with other features.
#
# Cargo runs test binaries one after another, and most of them wait on
# the brokers, so the targets run in two lanes at once (about 5 of the
# 11 minutes back). Every test that stops and starts nodes of the
# three-broker cluster (tests/common/nodes.rs), and every other one that
# uses that cluster (its source names `cluster_bootstrap` or
# FERROKAFKA_CLUSTER_BOOTSTRAP), is in lane A, one binary
# at a time, so a node kill never lands in another cluster test; lane A
# also takes the longest waits on the single broker to balance the two.
# Everything else, the unit and doc tests included, is lane B. Each test
# already shares the brokers with the others of its binary (unique topic,
# group and user names: tests/common), so two binaries at once are no new
# kind of sharing.
musl_cli_tests="kcat_parity kcat_produce admin_agree"
# Lane A: the targets that use the cluster (found in their source) and these.
lane_a_tests="tls_reauth exactly_once compat transactions consumer_group consumer_cooperative"
targets() {
  cargo metadata --no-deps --format-version 1 | python3 -c '
import json, re, sys
skip, lane_a, lane = set(sys.argv[1].split()), set(sys.argv[2].split()), sys.argv[3]
tests = {t["name"]: t["src_path"] for p in json.load(sys.stdin)["packages"]
         for t in p["targets"] if "test" in t["kind"]}
missing = lane_a - tests.keys()
if missing:
    sys.exit("scripts/test.sh names test targets that do not exist: " + " ".join(sorted(missing)))
for name in sorted(tests.keys() - skip):
    uses_cluster = re.search(r"cluster_bootstrap|FERROKAFKA_CLUSTER_BOOTSTRAP", open(tests[name]).read())
    if (name in lane_a or bool(uses_cluster)) == (lane == "a"):
        print("--test")
        print(name)
' "$musl_cli_tests" "$lane_a_tests" "$1"
}
mapfile -t lane_a < <(targets a)
mapfile -t lane_b < <(targets b)
[ "${#lane_a[@]}" -gt 0 ] && [ "${#lane_b[@]}" -gt 0 ] || { echo "no test targets found" >&2; exit 1; }
status=0
cargo test --workspace --all-features --no-fail-fast "${lane_a[@]}" >.cache/tests-lane-a.log 2>&1 &
lane_a_pid=$!
cargo test --workspace --all-features --no-fail-fast --lib --bins "${lane_b[@]}" || status=$?
cargo test --workspace --all-features --no-fail-fast --doc || status=$?
echo "--- lane A (cluster node kills and the longest broker waits), run beside the above:"
wait "$lane_a_pid" || status=$?
cat .cache/tests-lane-a.log
[ "$status" = 0 ] || exit "$status"

df -h . | tail -n 1 | awk '{print "disk after the tests: " $4 " free of " $2}'

step "the reference event flow (embedded mock, then the broker, then Kafka 3.9)"
scripts/event-flow-check.sh mock
scripts/event-flow-check.sh broker
FERROKAFKA_BOOTSTRAP=$FERROKAFKA_COMPAT_BOOTSTRAP scripts/event-flow-check.sh broker

step "static musl examples and binary: size, static, event flow on the mock (built in the background)"
if ! wait "$background_builds"; then
  cat .cache/background-builds.log >&2
  exit 1
fi
cat .cache/background-builds.log

step "the static musl producer and consumer over SASL_SSL"
scripts/musl-check.sh sasl_ssl

step "fuzz smoke"
scripts/fuzz-smoke.sh

step "done"
