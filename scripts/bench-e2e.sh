#!/usr/bin/env bash
# End-to-end producer and consumer benchmark against a real broker:
# ferrokafka against librdkafka (the `rdkafka` crate, built from source in
# benches/e2e/rdkafka-peer, outside the workspace) and the Java client
# (Kafka's ProducerPerformance / ConsumerPerformance), interleaved and
# repeated, each client's wall and CPU time taken with /usr/bin/time.
#
#   scripts/bench-e2e.sh [--start-broker] [--repeat N] [--scale F]
#                        [--only producer|consumer] [--results FILE]
#
# Needs FERROKAFKA_BOOTSTRAP and FERROKAFKA_KAFKA_CLASSPATH (read from
# `scripts/kafka.sh env`'s file when unset). It starts no broker unless
# asked with --start-broker (`scripts/kafka.sh start single`), and stops
# none. Loads (records divided by --scale's inverse for a quick run,
# e.g. --scale 0.1):
#   producer: 1,000,000 x 100 B and 200,000 x 1 KiB, acks=all,
#             compression none and lz4, a fresh 6-partition topic per run
#   consumer: 1,000,000 x 100 B from earliest, a group of one (fresh group
#             id per run), all reading one 6-partition topic filled once
# Each repeat runs every client once, the order rotated per repeat; the
# table (scripts/bench-e2e-table.py) takes the median of the repeats.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

repeat=3
scale=1
only=""
start_broker=0
results=""
while [ $# -gt 0 ]; do
  case "$1" in
    --start-broker) start_broker=1 ;;
    --repeat) repeat=$2; shift ;;
    --scale) scale=$2; shift ;;
    --only) only=$2; shift ;;
    --results) results=$2; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "bench-e2e.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "bench-e2e: $*" >&2; }

if [ "$start_broker" = 1 ]; then
  scripts/kafka.sh start single
  # shellcheck disable=SC1090
  source "$(scripts/kafka.sh env)"
fi
if [ -z "${FERROKAFKA_BOOTSTRAP:-}" ] || [ -z "${FERROKAFKA_KAFKA_CLASSPATH:-}" ]; then
  # What `scripts/kafka.sh start` wrote (`kafka.sh env` would write one
  # without a broker's address when none was started here).
  envfile=${FERROKAFKA_CACHE:-$root/.cache}/brokers/env
  if [ -f "$envfile" ]; then
    # shellcheck disable=SC1090
    source "$envfile"
  fi
fi
if [ -z "${FERROKAFKA_BOOTSTRAP:-}" ] || [ -z "${FERROKAFKA_KAFKA_CLASSPATH:-}" ]; then
  echo "bench-e2e.sh: FERROKAFKA_BOOTSTRAP and FERROKAFKA_KAFKA_CLASSPATH unset: source a broker's env file, or pass --start-broker" >&2
  exit 1
fi
bootstrap=$FERROKAFKA_BOOTSTRAP
classpath=$FERROKAFKA_KAFKA_CLASSPATH

if [ ! -x /usr/bin/time ]; then
  log "installing GNU time"
  apt-get install -y -qq time >/dev/null
fi
# librdkafka's cmake build (the peer) includes curl's headers.
if [ ! -f /usr/include/x86_64-linux-gnu/curl/curl.h ] && [ ! -f /usr/include/curl/curl.h ]; then
  log "installing libcurl4-openssl-dev (for the librdkafka peer's build)"
  apt-get install -y -qq libcurl4-openssl-dev cmake >/dev/null
fi

log "building ferrokafka's examples and the rdkafka peer (release)"
cargo build --release --quiet --example perf_producer --example perf_consumer --example perf_topic
cargo build --release --quiet --manifest-path benches/e2e/rdkafka-peer/Cargo.toml
ferro_producer=$root/target/release/examples/perf_producer
ferro_consumer=$root/target/release/examples/perf_consumer
ferro_topic=$root/target/release/examples/perf_topic
rdkafka_peer=$root/benches/e2e/rdkafka-peer/target/release/rdkafka-peer

out=$root/target/bench-e2e
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=${results:-$out/results-$stamp.tsv}
printf 'load\tclient\trep\trecords\tbytes\tseconds\tmsgs_per_sec\tmb_per_sec\twall\tuser\tsys\n' >"$results"
log "results in $results"

scaled() { python3 -c "print(max(1, int($1 * $scale)))"; }

# Runs one client under /usr/bin/time; appends its row to the results.
#   measure LOAD CLIENT REP COMMAND...
# The client prints a RESULT line (ours), or its own summary (Java's).
measure() {
  local load=$1 client=$2 rep=$3; shift 3
  local log_file=$out/$stamp-$client-$rep-${load// /_}.log
  local time_file=$log_file.time
  if ! /usr/bin/time -f '%e %U %S' -o "$time_file" "$@" >"$log_file" 2>&1; then
    # Logged and left out of the table; the other runs go on.
    log "FAILED: $load $client (see $log_file)"
    tail -5 "$log_file" >&2
    failures=$((failures + 1))
    return 0
  fi
  python3 - "$load" "$client" "$rep" "$log_file" "$time_file" >>"$results" <<'PY'
import re, sys
load, client, rep, log_file, time_file = sys.argv[1:]
text = open(log_file).read()
wall, user, sys_ = open(time_file).read().split()[-3:]
m = re.search(r"^RESULT .*$", text, re.M)
if m:
    kv = dict(f.split("=", 1) for f in m.group(0).split()[1:])
    records, bytes_, seconds = int(kv["records"]), int(kv["bytes"]), float(kv["seconds"])
elif "records sent" in text:
    # The last summary: "N records sent, R records/sec (M MB/sec), ... 50th ..."
    line = [l for l in text.splitlines() if "records sent" in l and "50th" in l][-1]
    m = re.match(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\)", line)
    records, rate, mb = int(m.group(1)), float(m.group(2)), float(m.group(3))
    seconds = records / rate
    bytes_ = round(mb * 1024 * 1024 * seconds)
else:
    # ConsumerPerformance --hide-header: start, end, MB, MB/s, n, n/s,
    # rebalance ms, fetch ms, fetch MB/s, fetch n/s. The fetch columns
    # leave the group join out, as our clients' clocks do.
    line = [l for l in text.splitlines() if l.count(",") >= 9][-1]
    f = [x.strip() for x in line.split(",")]
    records, seconds = int(f[4]), float(f[7]) / 1000.0
    bytes_ = round(float(f[2]) * 1024 * 1024)
print(f"{load}\t{client}\t{rep}\t{records}\t{bytes_}\t{seconds:.3f}\t"
      f"{records / seconds:.1f}\t{bytes_ / seconds / 1048576:.2f}\t{wall}\t{user}\t{sys_}")
PY
  tail -1 "$results" | cut -f1-3,7,9- | tr '\t' ' ' >&2
}

topic_seq=0
failures=0
fresh_topic() {
  topic_seq=$((topic_seq + 1))
  local name="bench-e2e-$stamp-$topic_seq"
  "$ferro_topic" --bootstrap "$bootstrap" create "$name" 6 >&2
  echo "$name"
}
drop_topic() { "$ferro_topic" --bootstrap "$bootstrap" delete "$1" >&2 || true; }

# The clients, in the order of the first repeat; later repeats rotate it.
rotate() { # rotate REP WORDS...: the words rotated left by REP-1
  local r=$(($1 - 1)); shift
  local words=("$@") n=$#
  for ((i = 0; i < n; i++)); do echo "${words[$(((i + r) % n))]}"; done
}

run_producer() { # LOAD CLIENT REP RECORDS SIZE COMPRESSION
  local load=$1 client=$2 rep=$3 records=$4 size=$5 compression=$6
  local topic
  topic=$(fresh_topic)
  local common=(--bootstrap "$bootstrap" --topic "$topic" --records "$records"
    --record-size "$size" --acks all --compression "$compression")
  case "$client" in
    ferrokafka) measure "$load" "$client" "$rep" "$ferro_producer" "${common[@]}" --api produce ;;
    ferrokafka-send) measure "$load" "$client" "$rep" "$ferro_producer" "${common[@]}" --api send ;;
    librdkafka) measure "$load" "$client" "$rep" "$rdkafka_peer" produce "${common[@]}" ;;
    java) measure "$load" "$client" "$rep" java -cp "$classpath" \
      org.apache.kafka.tools.ProducerPerformance --topic "$topic" \
      --num-records "$records" --record-size "$size" --throughput -1 \
      --producer-props bootstrap.servers="$bootstrap" acks=all compression.type="$compression" ;;
    # Java's batch.size is 16 KiB by default; ferrokafka's and
    # librdkafka's batches go to 1 MB.
    java-1mb) measure "$load" "$client" "$rep" java -cp "$classpath" \
      org.apache.kafka.tools.ProducerPerformance --topic "$topic" \
      --num-records "$records" --record-size "$size" --throughput -1 \
      --producer-props bootstrap.servers="$bootstrap" acks=all compression.type="$compression" \
      batch.size=1000000 ;;
  esac
  drop_topic "$topic"
}

run_consumer() { # LOAD CLIENT REP TOPIC RECORDS
  local load=$1 client=$2 rep=$3 topic=$4 records=$5
  local group="bench-e2e-$stamp-$client-$rep"
  case "$client" in
    ferrokafka) measure "$load" "$client" "$rep" "$ferro_consumer" --bootstrap "$bootstrap" \
      --topic "$topic" --records "$records" --group "$group" ;;
    librdkafka) measure "$load" "$client" "$rep" "$rdkafka_peer" consume --bootstrap "$bootstrap" \
      --topic "$topic" --records "$records" --group "$group" ;;
    # librdkafka 2.x waits fetch.queue.backoff.ms (1 s) before fetching a
    # partition again once queued.min.messages are queued: a stall of a
    # second or two on this load. Without it librdkafka is 3-5x faster.
    librdkafka-nobackoff) measure "$load" "$client" "$rep" "$rdkafka_peer" consume \
      --bootstrap "$bootstrap" --topic "$topic" --records "$records" --group "$group" \
      -X fetch.queue.backoff.ms=0 ;;
    java) measure "$load" "$client" "$rep" java -cp "$classpath" \
      org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$bootstrap" \
      --topic "$topic" --num-records "$records" --group "$group" --hide-header --timeout 30000 ;;
  esac
}

if [ "$only" != consumer ]; then
  small=$(scaled 1000000)
  large=$(scaled 200000)
  for spec in "$small 100 none" "$small 100 lz4" "$large 1024 none" "$large 1024 lz4"; do
    read -r records size compression <<<"$spec"
    load="produce ${records}x${size}B $compression"
    for rep in $(seq 1 "$repeat"); do
      for client in $(rotate "$rep" ferrokafka ferrokafka-send librdkafka java java-1mb); do
        run_producer "$load" "$client" "$rep" "$records" "$size" "$compression"
      done
    done
  done
fi

if [ "$only" != producer ]; then
  records=$(scaled 1000000)
  load="consume ${records}x100B"
  topic=$(fresh_topic)
  log "filling $topic with $records records of 100 B (Java ProducerPerformance, acks=all)"
  measure "fill ${records}x100B" java-producer 0 java -cp "$classpath" \
    org.apache.kafka.tools.ProducerPerformance --topic "$topic" \
    --num-records "$records" --record-size 100 --throughput -1 \
    --producer-props bootstrap.servers="$bootstrap" acks=all >/dev/null
  for rep in $(seq 1 "$repeat"); do
    for client in $(rotate "$rep" ferrokafka librdkafka librdkafka-nobackoff java); do
      run_consumer "$load" "$client" "$rep" "$topic" "$records"
    done
  done
  drop_topic "$topic"
fi

python3 scripts/bench-e2e-table.py "$results"
if [ "$failures" -gt 0 ]; then
  log "$failures run(s) failed: see the FAILED lines above"
  exit 1
fi
