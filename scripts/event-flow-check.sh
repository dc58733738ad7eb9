#!/usr/bin/env bash
# Runs the reference event flow (examples/event_flow.rs) and checks what it
# printed: five deliveries, "Finished producing messages.", five consumed
# events, a clean close. With no argument it runs on the embedded mock
# cluster (FERROKAFKA_BOOTSTRAP unset); with `broker` against the broker
# in $FERROKAFKA_BOOTSTRAP, on a fresh topic.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if [ "${1:-mock}" = broker ]; then
  : "${FERROKAFKA_BOOTSTRAP:?FERROKAFKA_BOOTSTRAP is not set}"
  timeout 300 cargo run -q --example event_flow -- --topic "ferro-event-flow-$(date +%s%N)" >"$out" 2>&1
  first="Using the Kafka cluster at $FERROKAFKA_BOOTSTRAP"
else
  env -u FERROKAFKA_BOOTSTRAP timeout 300 cargo run -q --example event_flow >"$out" 2>&1
  first="No broker given: started the embedded mock cluster"
fi
fail() { echo "event flow ($*):" >&2; cat "$out" >&2; exit 1; }
head -n 1 "$out" | grep -q "^$first" || fail "first line is not '$first'"
[ "$(grep -c '^Message delivered to .* \[[0-9]*\] @ offset [0-9]*$' "$out")" = 5 ] || fail "not 5 deliveries"
grep -q '^Finished producing messages\.$' "$out" || fail "no 'Finished producing messages.'"
[ "$(grep -c '^Consumed message from topic .*: key=[0-4], value={"id":[0-4],' "$out")" -ge 5 ] || fail "not 5 consumed events"
grep -q '^Consumer closed' "$out" || fail "consumer did not close"
echo "event flow on ${1:-mock}: 5 delivered, 5 consumed, closed"
