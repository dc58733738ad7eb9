#!/usr/bin/env bash
# The `ferrokafka` binary against kcat on the same broker: produce N lines
# (default 1,000,000 of 100 bytes) from a file with -l, consume them back
# to /dev/null with -e; wall time, msgs/s and CPU seconds (user+sys) of
# each run, then the median wall time of 20 `-L -t <topic>` runs (start-up
# plus one metadata request). Needs the brokers' env file sourced and a
# release build of the binary (BIN, default the static musl one).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${FERROKAFKA_BOOTSTRAP:?source the env file of scripts/kafka.sh first}"
bin=${BIN:-target/x86_64-unknown-linux-musl/release/ferrokafka}
n=${N:-1000000}
b=$FERROKAFKA_BOOTSTRAP
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -c "
import sys
line = b'x' * 90
with open('$work/lines', 'wb') as f:
    for i in range($n):
        f.write(b'%09d ' % i + line + b'\n')
"
measure() { # name, then the command; prints name wall user+sys msgs/s
  local name=$1; shift
  /usr/bin/time -f '%e %U %S' -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r wall user sys <"$work/t"
  awk -v n="$n" -v name="$name" -v w="$wall" -v u="$user" -v s="$sys" \
    'BEGIN { printf "%-24s wall %6.2f s  cpu %6.2f s  %9.0f msgs/s\n", name, w, u + s, n / w }'
}
for tool in kcat "$bin"; do
  name=$(basename "$tool")
  topic="bench-cli-$name-$(date +%s%N)"
  "$bin" topic create -b "$b" "$topic" -p 1 >/dev/null
  measure "$name -P -l" "$tool" -P -b "$b" -t "$topic" -l "$work/lines"
  measure "$name -C -e" "$tool" -C -b "$b" -t "$topic" -e -q
  got=$("$tool" -C -b "$b" -t "$topic" -e -q -o -1 -f '%o')
  [ "$got" = $((n - 1)) ] || { echo "$name: last offset $got, expected $((n - 1))" >&2; exit 1; }
  for _ in $(seq 20); do
    s=$(date +%s%N); "$tool" -L -b "$b" -t "$topic" >/dev/null; e=$(date +%s%N)
    echo $(((e - s) / 1000))
  done | sort -n | awk -v name="$name" '{ a[NR] = $1 } END { printf "%-24s median %.1f ms (20 runs)\n", name " -L", a[int((NR + 1) / 2)] / 1000 }'
  "$bin" topic delete -b "$b" "$topic" >/dev/null
done
