#!/usr/bin/env bash
# Rebalance cost: a group of three consumes a 12-partition topic under a
# steady produce load; a fourth member joins. Measured: (a) the time from
# the newcomer's start until its first record, (b) the longest pause
# between two consecutive records that any of the three existing members
# sees around the join. Four cells in the same run: {classic protocol
# with cooperative-sticky, KIP-848 consumer protocol} x {ferrokafka
# (examples/rebalance_member.rs), Java KafkaConsumer
# (scripts/bench/RebalanceMember.java, compiled here with javac)}.
#
#   scripts/bench-rebalance.sh [--repeat N] [--rate RECORDS_PER_S]
#       [--warm S] [--settle S] [--max-load L] [--strict]
#       [--profile fast|debug] [--results FILE]
#
# Needs FERROKAFKA_BOOTSTRAP and FERROKAFKA_KAFKA_CLASSPATH (read from
# the brokers' env file when unset); starts and stops no broker. The load
# is Kafka's ProducerPerformance at --rate records/s (default 2000) of
# 100 B, acks=1, running for the whole run. Each cell: a fresh group;
# three members started and left to consume for --warm seconds (default
# 10) once all three have a record; the fourth started; --settle seconds
# (default 10) after its first record every member is stopped (each
# closes, leaving the group). Each repeat runs the four cells in a
# rotated order. Before each repeat the 1-minute load average (uptime) is
# checked: above --max-load (default 1.5) the repeat is marked busy (with
# --strict the run stops instead); the table takes medians over the quiet
# repeats only (over all of them, marked, when none was quiet). Raw
# per-run figures go to the results file (TSV; default
# target/bench-rebalance/results-<time>.tsv), the members' own files
# beside it; scripts/bench-rebalance-table.py prints the table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

repeat=3
rate=2000
warm=10
settle=10
max_load=1.5
strict=0
profile=fast
results=""
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat=$2; shift ;;
    --rate) rate=$2; shift ;;
    --warm) warm=$2; shift ;;
    --settle) settle=$2; shift ;;
    --max-load) max_load=$2; shift ;;
    --strict) strict=1 ;;
    --profile) profile=$2; shift ;;
    --results) results=$2; shift ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "bench-rebalance.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "bench-rebalance: $(date -u +%H:%M:%S) $*" >&2; }

if [ -z "${FERROKAFKA_BOOTSTRAP:-}" ] || [ -z "${FERROKAFKA_KAFKA_CLASSPATH:-}" ]; then
  envfile=${FERROKAFKA_CACHE:-$root/.cache}/brokers/env
  if [ -f "$envfile" ]; then
    # shellcheck disable=SC1090
    source "$envfile"
  fi
fi
if [ -z "${FERROKAFKA_BOOTSTRAP:-}" ] || [ -z "${FERROKAFKA_KAFKA_CLASSPATH:-}" ]; then
  echo "bench-rebalance.sh: FERROKAFKA_BOOTSTRAP and FERROKAFKA_KAFKA_CLASSPATH must be set" >&2
  exit 2
fi
bootstrap=${FERROKAFKA_BOOTSTRAP%%,*}
classpath=$FERROKAFKA_KAFKA_CLASSPATH

case "$profile" in
  fast) cargo build --profile fast --quiet --example rebalance_member --example perf_topic ;;
  debug) cargo build --quiet --example rebalance_member --example perf_topic ;;
  *) echo "bench-rebalance.sh: --profile fast or debug" >&2; exit 2 ;;
esac
target=${CARGO_TARGET_DIR:-$root/target}
member=$target/$profile/examples/rebalance_member
perf_topic=$target/$profile/examples/perf_topic

stamp=$(date -u +%Y%m%dT%H%M%S)
out=$target/bench-rebalance/$stamp
mkdir -p "$out/java"
javac -d "$out/java" -cp "$classpath" scripts/bench/RebalanceMember.java
results=${results:-$target/bench-rebalance/results-$stamp.tsv}
printf 'rep\tprotocol\tclient\tload1\tbusy\tcreated_to_first_ms\tlaunch_to_first_ms\tmax_pause_ms\tbaseline_pause_ms\trecords\n' >"$results"
log "results in $results, members' files in $out"

topic=bench-rebalance-$stamp
"$perf_topic" create "$topic" 12 --bootstrap "$bootstrap"
producer_pid=""
members=()
cleanup() {
  for pid in "${members[@]}" $producer_pid; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  "$perf_topic" delete "$topic" --bootstrap "$bootstrap" >/dev/null 2>&1 || true
}
trap cleanup EXIT
java -cp "$classpath" org.apache.kafka.tools.ProducerPerformance --topic "$topic" \
  --num-records 1000000000 --record-size 100 --throughput "$rate" \
  --producer-props bootstrap.servers="$bootstrap" acks=1 linger.ms=5 \
  >"$out/producer.log" 2>&1 &
producer_pid=$!
log "producing $rate records/s to $topic (12 partitions)"

# Starts member $2 of a cell into dir $1: ferrokafka or java.
start_member() {
  local dir=$1 n=$2 client=$3 protocol=$4 group=$5
  local args=(--bootstrap "$bootstrap" --topic "$topic" --group "$group"
    --protocol "$protocol" --out "$dir/member$n.out" --stop "$dir/stop")
  date +%s%3N >"$dir/member$n.launched"
  case "$client" in
    ferrokafka) "$member" "${args[@]}" >"$dir/member$n.log" 2>&1 & ;;
    java) java -cp "$out/java:$classpath" RebalanceMember "${args[@]}" >"$dir/member$n.log" 2>&1 & ;;
  esac
  members+=($!)
}

# Waits up to $2 seconds for the member file $1 to have its first record.
wait_first() {
  local file=$1 limit=$2 waited=0
  until grep -q '^first ' "$file" 2>/dev/null; do
    sleep 0.2
    waited=$((waited + 1))
    if [ "$waited" -ge $((limit * 5)) ]; then
      log "no first record in $file within ${limit}s"
      return 1
    fi
  done
}

run_cell() {
  local rep=$1 protocol=$2 client=$3 load=$4 busy=$5
  local dir=$out/rep$rep-$protocol-$client
  local group=$topic-$rep-$protocol-$client
  mkdir -p "$dir"
  members=()
  for n in 1 2 3; do
    start_member "$dir" "$n" "$client" "$protocol" "$group"
  done
  local ok=1
  for n in 1 2 3; do
    wait_first "$dir/member$n.out" 120 || ok=0
  done
  if [ "$ok" = 1 ]; then
    sleep "$warm"
    date +%s%3N >"$dir/join"
    start_member "$dir" 4 "$client" "$protocol" "$group"
    wait_first "$dir/member4.out" 120 || ok=0
    sleep "$settle"
  fi
  touch "$dir/stop"
  for pid in "${members[@]}"; do
    # A member closes within seconds; one that does not is killed.
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  members=()
  python3 - "$dir" "$rep" "$protocol" "$client" "$load" "$busy" "$warm" "$settle" >>"$results" <<'PY'
import sys, os
d, rep, protocol, client, load, busy, warm, settle = sys.argv[1:]
warm_ms, settle_ms = float(warm) * 1000, float(settle) * 1000

def read(n):
    f = {"gaps": [], "records": 0}
    path = os.path.join(d, f"member{n}.out")
    if not os.path.exists(path):
        return f
    for line in open(path):
        w = line.split()
        if w[0] == "gap":
            f["gaps"].append((int(w[1]), int(w[2])))
        elif w[0] in ("created", "first", "done", "records"):
            f[w[0]] = int(w[1])
    return f

try:
    join = int(open(os.path.join(d, "join")).read())
    launched = int(open(os.path.join(d, "member4.launched")).read())
except (OSError, ValueError):
    join = None
m = [read(n) for n in (1, 2, 3, 4)]
new = m[3]
if join is None or "first" not in new or not all("done" in f for f in m[:3]):
    print("\t".join([rep, protocol, client, load, busy, "", "", "", "", ""]))
    sys.exit(0)
# The window around the join: from the newcomer's launch to settle after
# its first record; the baseline: the warm period before it.
lo, hi = join, new["first"] + settle_ms
def longest(lo, hi):
    return max((g for f in m[:3] for end, g in f["gaps"] if end - g < hi and end > lo), default=0)
pause, baseline = longest(lo, hi), longest(join - warm_ms, join)
records = sum(f["records"] for f in m)
print("\t".join(str(x) for x in [rep, protocol, client, load, busy,
      new["first"] - new["created"], new["first"] - launched, pause, baseline, records]))
PY
  tail -1 "$results" | tr '\t' ' ' | sed 's/^/bench-rebalance: /' >&2
}

# Rotates the list "$@" by $1 places.
rotate() {
  local n=$1
  shift
  local list=("$@") i
  for i in "${!list[@]}"; do
    echo "${list[$(((i + n) % ${#list[@]}))]}"
  done
}

for rep in $(seq 1 "$repeat"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  busy=0
  if python3 -c "import sys; sys.exit(0 if float('$load') > float('$max_load') else 1)"; then
    busy=1
    if [ "$strict" = 1 ]; then
      log "load $load is above $max_load: stopping (--strict)"
      exit 1
    fi
    log "repeat $rep: load $load is above $max_load, marked busy"
  fi
  for cell in $(rotate "$((rep - 1))" classic/ferrokafka classic/java consumer/ferrokafka consumer/java); do
    log "repeat $rep: $cell"
    run_cell "$rep" "${cell%/*}" "${cell#*/}" "$load" "$busy"
  done
done
python3 scripts/bench-rebalance-table.py "$results"
