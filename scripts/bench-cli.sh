#!/usr/bin/env bash
# The `ferrokafka` binary against kcat on the same broker: produce N lines
# (default 1,000,000 of 100 bytes) from a file with -l, consume them back
# to /dev/null with -e; wall time, msgs/s and CPU seconds (user+sys) of
# each run, REPEAT times (default 5), the two tools taking turns on fresh
# topics; then the medians, ferrokafka's ratios to kcat, and the median
# wall time of 20 `-L -t __consumer_offsets` runs per tool (start-up plus
# one metadata request for a 50-partition topic that always exists). Needs
# the brokers' env file sourced and the binary (BIN, default the static musl
# one built with `--profile fast`: `CC=/bin/false cargo build --profile fast
# --target x86_64-unknown-linux-musl -p ferrokafka-cli`). Raw per-run
# figures go to RESULTS (default target/bench-cli/<time>.tsv). Before each
# run it waits up to 30 s for the CPUs to fall below 10% busy, and records
# how busy they were (busy_pct); the summary names the busiest start.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench/load.sh
: "${FERROKAFKA_BOOTSTRAP:?source the env file of scripts/kafka.sh first}"
bin=${BIN:-target/x86_64-unknown-linux-musl/fast/ferrokafka}
n=${N:-1000000}
repeat=${REPEAT:-5}
b=$FERROKAFKA_BOOTSTRAP
results=${RESULTS:-target/bench-cli/$(date -u +%Y-%m-%dT%H%M%S).tsv}
mkdir -p "$(dirname "$results")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 -c "
line = b'x' * 90
with open('$work/lines', 'wb') as f:
    for i in range($n):
        f.write(b'%09d ' % i + line + b'\n')
"
printf 'repeat\ttool\tmode\twall_s\tcpu_s\tmax_rss_kb\tmsgs_per_s\tbusy_pct\n' >"$results"
measure() { # repeat, tool name, mode, then the command
  local rep=$1 name=$2 mode=$3; shift 3
  settle
  /usr/bin/time -f '%e %U %S %M' -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r wall user sys rss <"$work/t"
  awk -v r="$rep" -v n="$n" -v name="$name" -v m="$mode" -v w="$wall" -v u="$user" -v s="$sys" -v k="$rss" -v busy="$SETTLE_BUSY" \
    'BEGIN { printf "%s\t%s\t%s\t%.2f\t%.2f\t%s\t%.0f\t%s\n", r, name, m, w, u + s, k, n / w, busy }' | tee -a "$results"
}
for rep in $(seq "$repeat"); do
  for tool in kcat "$bin"; do
    name=$(basename "$tool")
    topic="bench-cli-$name-$(date +%s%N)"
    "$bin" topic create -b "$b" "$topic" -p 1 >/dev/null
    measure "$rep" "$name" P "$tool" -P -b "$b" -t "$topic" -l "$work/lines"
    measure "$rep" "$name" C "$tool" -C -b "$b" -t "$topic" -e -q
    got=$("$tool" -C -b "$b" -t "$topic" -e -q -o -1 -f '%o')
    [ "$got" = $((n - 1)) ] || { echo "$name: last offset $got, expected $((n - 1))" >&2; exit 1; }
    "$bin" topic delete -b "$b" "$topic" >/dev/null
  done
done
for tool in kcat "$bin"; do
  name=$(basename "$tool")
  for _ in $(seq 20); do
    s=$(date +%s%N); "$tool" -L -b "$b" -t __consumer_offsets >/dev/null; e=$(date +%s%N)
    printf 'L\t%s\tL\t%s\n' "$name" $(((e - s) / 1000))
  done
done >"$work/l"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" "$work/l" "$(basename "$bin")" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
ours = sys.argv[3]
med = {}
for tool in ("kcat", ours):
    for mode in ("P", "C"):
        runs = [r for r in rows if r["tool"] == tool and r["mode"] == mode]
        med[tool, mode] = {k: statistics.median(float(r[k]) for r in runs)
                           for k in ("wall_s", "cpu_s", "max_rss_kb", "msgs_per_s")}
for mode, what in (("P", "-P -l"), ("C", "-C -e")):
    k, f = med["kcat", mode], med[ours, mode]
    print(f"{what}: kcat {k['msgs_per_s']:,.0f} msgs/s, {k['cpu_s']:.2f} s CPU, {k['max_rss_kb']/1024:.0f} MiB; "
          f"ferrokafka {f['msgs_per_s']:,.0f} msgs/s, {f['cpu_s']:.2f} s CPU, {f['max_rss_kb']/1024:.0f} MiB; "
          f"ratios {f['msgs_per_s']/k['msgs_per_s']:.2f}x msgs/s, {f['cpu_s']/k['cpu_s']:.2f}x CPU (medians of {len([r for r in rows if r['tool'] == ours and r['mode'] == mode])})")
ls = {}
for line in open(sys.argv[2]):
    _, tool, _, us = line.split()
    ls.setdefault(tool, []).append(int(us))
for tool, us in ls.items():
    print(f"{tool} -L: median {statistics.median(us)/1000:.1f} ms (20 runs)")
print(f"busiest start: {max(int(r['busy_pct']) for r in rows)}% of the CPUs busy")
print(f"raw figures: {sys.argv[1]}")
PY
