#!/usr/bin/env bash
# The compatibility suite (tests/compat.rs and the reference event flow)
# against each broker version:
#
#   scripts/compat.sh [VERSION...]   default: 2.8 3.6 3.9 4.3
#
# 2.8, 3.6 and 3.9 are started here with scripts/kafka-compat.sh (and
# stopped afterwards, unless they were already running); 4.3 is the single
# broker of scripts/kafka.sh, which must be running (`scripts/kafka.sh start
# single`, or FERROKAFKA_BOOTSTRAP & co. from its env file already set).
# The negotiated API versions of each run land in
# $FERROKAFKA_COMPAT_REPORT_DIR (default .cache/compat-report/<version>.tsv),
# from which COMPATIBILITY.md's tables are made; each version's test
# output is kept beside them (<version>.log).
set -euo pipefail
cd "$(dirname "$0")/.."

versions=${*:-2.8 3.6 3.9 4.3}
report=${FERROKAFKA_COMPAT_REPORT_DIR:-$PWD/.cache/compat-report}
mkdir -p "$report"
export FERROKAFKA_COMPAT_REPORT_DIR=$report
started=()
cleanup() {
  for v in "${started[@]}"; do scripts/kafka-compat.sh stop "$v" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

cargo build -q --tests --test compat
cargo build -q --example event_flow

failed=()
for v in $versions; do
  echo "=== Kafka $v ($(date +%T))"
  if [ "$v" = 4.3 ]; then
    if [ -z "${FERROKAFKA_BOOTSTRAP:-}" ]; then
      # shellcheck disable=SC1090
      source "$(scripts/kafka.sh env)"
    fi
    : "${FERROKAFKA_BOOTSTRAP:?the 4.3.1 broker is not running: scripts/kafka.sh start single}"
    export FERROKAFKA_COMPAT_VERSION=4.3.1
    export FERROKAFKA_COMPAT_BOOTSTRAP=$FERROKAFKA_BOOTSTRAP
    export FERROKAFKA_COMPAT_SASL_BOOTSTRAP=$FERROKAFKA_SASL_BOOTSTRAP
    export FERROKAFKA_COMPAT_SASL_USER=$FERROKAFKA_SASL_USER
    export FERROKAFKA_COMPAT_SASL_PASSWORD=$FERROKAFKA_SASL_PASSWORD
    export FERROKAFKA_COMPAT_CLASSPATH=$FERROKAFKA_KAFKA_CLASSPATH
  else
    envfile=$(scripts/kafka-compat.sh env "$v")
    # shellcheck disable=SC1090
    source "$envfile"
    if ! (exec 3<>"/dev/tcp/${FERROKAFKA_COMPAT_BOOTSTRAP%:*}/${FERROKAFKA_COMPAT_BOOTSTRAP#*:}") 2>/dev/null; then
      scripts/kafka-compat.sh start "$v"
      started+=("$v")
    fi
  fi
  log=$report/$FERROKAFKA_COMPAT_VERSION.log
  ok=1
  cargo test --test compat -- --test-threads 4 >"$log" 2>&1 || ok=0
  FERROKAFKA_BOOTSTRAP=$FERROKAFKA_COMPAT_BOOTSTRAP scripts/event-flow-check.sh broker >>"$log" 2>&1 || ok=0
  grep -E "^test |test result|event flow" "$log" || true
  if [ "$ok" = 1 ]; then echo "Kafka $v: passed"; else echo "Kafka $v: FAILED (see $log)"; failed+=("$v"); fi
  case " ${started[*]} " in *" $v "*) scripts/kafka-compat.sh stop "$v" ;; esac
done
echo "reports in $report"
if [ "${#failed[@]}" -gt 0 ]; then echo "failed: ${failed[*]}" >&2; exit 1; fi
