#!/usr/bin/env bash
# End-to-end producer and consumer benchmark against a real broker:
# ferrokafka against librdkafka (the `rdkafka` crate, built from source in
# benches/e2e/rdkafka-peer, outside the workspace) and the Java client
# (Kafka's ProducerPerformance / ConsumerPerformance), interleaved and
# repeated, each client's wall and CPU time and peak RSS taken with
# /usr/bin/time.
#
#   scripts/bench-e2e.sh [--start-broker] [--repeat N] [--scale F]
#                        [--only MODE[,MODE...]] [--security plaintext|ssl|both]
#                        [--max-load L] [--settle-secs S] [--txn-records N]
#                        [--results FILE]
#
# Needs FERROKAFKA_BOOTSTRAP and FERROKAFKA_KAFKA_CLASSPATH (read from
# `scripts/kafka.sh env`'s file when unset); --security ssl needs
# FERROKAFKA_SSL_BOOTSTRAP, _SSL_CA, _SSL_TRUSTSTORE, _SSL_STORE_PASSWORD,
# and the group mode FERROKAFKA_CLUSTER_BOOTSTRAP (the three-node cluster).
# It starts no broker unless asked with --start-broker (`scripts/kafka.sh
# start single`), and stops none. Modes (--only; default producer,consumer:
# the run as it always was), records divided by --scale's inverse for a
# quick run (e.g. --scale 0.05):
#   producer: 1,000,000 x 100 B and 200,000 x 1 KiB, acks=all,
#             compression none and lz4, a fresh 6-partition topic per run
#   consumer: 1,000,000 x 100 B from earliest, a group of one (fresh group
#             id per run), all reading one 6-partition topic filled once
#   txn:      1,000,000 x 100 B, acks=all, transactional: ferrokafka and
#             librdkafka commit every --txn-records records (10,000); Java's
#             ProducerPerformance commits by time (--transaction-duration-ms),
#             set from its previous run's rate to give about as many records
#             per transaction (20 ms in its first run)
#   extra:    producer rows of issue 15: 1,000,000 x 10 B, 20,000 x 10 KiB,
#             1,000,000 x 100 B keyed (10,000 distinct keys, murmur2; Java's
#             ProducerPerformance cannot send keys: not in that row), and
#             1,000,000 x 100 B with gzip, snappy and zstd
#   big:      the consumer's peak RSS (and rate) reading 30 records of
#             10 MiB (a 1-partition topic with max.message.bytes 11 MiB,
#             filled once by ProducerPerformance), every client with its
#             default prefetch bounds (ferrokafka: fetch.max.bytes 50 MiB,
#             queued.max.messages.kbytes 64 MiB; librdkafka the same
#             names; Java fetch.max.bytes 50 MiB), and ferrokafka with
#             queued.max.messages.kbytes 16 MiB (ferrokafka-16m)
#   group:    a consumer group of three processes on the three-node cluster
#             (6 partitions, 3 replicas, 1,000,000 x 100 B filled once); the
#             group's clock runs from its first record to its last, CPU and
#             RSS are the three processes' sum and largest; ferrokafka and
#             librdkafka only (ConsumerPerformance has no such clock)
# --security ssl runs the producer, consumer, txn and extra modes over the
# broker's SSL listener instead (server certificate, the throw-away CA);
# `both` runs every load both ways, plaintext then SSL, in the same repeat,
# and the table adds the SSL-minus-plaintext CPU per message per client.
# Each repeat runs every client once, the order rotated per repeat; the
# table (scripts/bench-e2e-table.py) takes the median of the repeats.
# Load: once built, the script waits up to --settle-secs (300) for the
# 1-minute load average to fall below --max-load (0.5), records it, and
# marks the whole run NOT PUBLISHABLE in the table when it did not; before
# every repeat it waits up to 30 s for the CPUs to fall below 10% busy
# (what the previous run left the broker doing), records the load again
# and times a fixed calibration loop (the fastest of three sha256 passes
# over 256 MiB), and marks the run not publishable when that loop took
# over 1.25x its fastest time (another process took the CPU).
# The raw per-run figures (the results TSV), the load record
# (RESULTS.meta.tsv), each run's log, and the table (RESULTS.md) stay in
# target/bench-e2e/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

repeat=3
scale=1
only="producer,consumer"
security=plaintext
max_load=0.5
settle_secs=300
txn_records=10000
start_broker=0
results=""
while [ $# -gt 0 ]; do
  case "$1" in
    --start-broker) start_broker=1 ;;
    --repeat) repeat=$2; shift ;;
    --scale) scale=$2; shift ;;
    --only) only=$2; shift ;;
    --security) security=$2; shift ;;
    --max-load) max_load=$2; shift ;;
    --settle-secs) settle_secs=$2; shift ;;
    --txn-records) txn_records=$2; shift ;;
    --results) results=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "bench-e2e.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "bench-e2e: $*" >&2; }

for mode in ${only//,/ }; do
  case "$mode" in
    producer|consumer|txn|extra|big|group) ;;
    *) echo "bench-e2e.sh: --only $mode: expected producer, consumer, txn, extra, big or group" >&2; exit 2 ;;
  esac
done
wants() { [[ ",$only," == *",$1,"* ]]; }
case "$security" in
  plaintext) securities=(plaintext) ;;
  ssl) securities=(ssl) ;;
  both) securities=(plaintext ssl) ;;
  *) echo "bench-e2e.sh: --security $security: expected plaintext, ssl or both" >&2; exit 2 ;;
esac

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
classpath=$FERROKAFKA_KAFKA_CLASSPATH
if [ "$security" != plaintext ]; then
  for v in FERROKAFKA_SSL_BOOTSTRAP FERROKAFKA_SSL_CA FERROKAFKA_SSL_TRUSTSTORE FERROKAFKA_SSL_STORE_PASSWORD; do
    if [ -z "${!v:-}" ]; then
      echo "bench-e2e.sh: --security $security needs $v (the single broker's SSL listener: scripts/kafka.sh env)" >&2
      exit 1
    fi
  done
fi
if wants group && [ -z "${FERROKAFKA_CLUSTER_BOOTSTRAP:-}" ]; then
  echo "bench-e2e.sh: --only group needs FERROKAFKA_CLUSTER_BOOTSTRAP (scripts/kafka.sh start cluster)" >&2
  exit 1
fi

if [ ! -x /usr/bin/time ]; then
  log "installing GNU time"
  apt-get install -y -qq time >/dev/null
fi
# librdkafka's cmake build (the peer) includes curl's and OpenSSL's headers.
if [ ! -f /usr/include/x86_64-linux-gnu/curl/curl.h ] && [ ! -f /usr/include/curl/curl.h ] ||
  [ ! -f /usr/include/openssl/ssl.h ]; then
  log "installing libcurl4-openssl-dev and libssl-dev (for the librdkafka peer's build)"
  apt-get install -y -qq libcurl4-openssl-dev libssl-dev cmake >/dev/null
fi

# `fast` (Cargo.toml): cargo's defaults for release, as an application
# builds the library; the workspace's own `release` is sized for the static
# examples.
log "building ferrokafka's examples (profile fast) and the rdkafka peer (release)"
cargo build --profile fast --quiet --example perf_producer --example perf_consumer --example perf_topic
cargo build --release --quiet --manifest-path benches/e2e/rdkafka-peer/Cargo.toml
ferro_producer=$root/target/fast/examples/perf_producer
ferro_consumer=$root/target/fast/examples/perf_consumer
ferro_topic=$root/target/fast/examples/perf_topic
rdkafka_peer=$root/benches/e2e/rdkafka-peer/target/release/rdkafka-peer

out=$root/target/bench-e2e
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=${results:-$out/results-$stamp.tsv}
meta=${results%.tsv}.meta.tsv
table=${results%.tsv}.md
printf 'load\tclient\trep\trecords\tbytes\tseconds\tmsgs_per_sec\tmb_per_sec\twall\tuser\tsys\tmax_rss_kb\n' >"$results"
printf 'what\twhen\tvalue\n' >"$meta"
log "results in $results, load record in $meta"
note() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$meta"; }

# The load: the 1-minute average, and a fixed CPU loop's seconds.
load1() { cut -d' ' -f1 /proc/loadavg; }
# The fastest of three passes of sha256 over 256 MiB, in one process (a
# pipe between two processes made a single pass vary 1.7x on an idle
# machine: scheduling, not load). The fastest of three still moves when
# another process holds a CPU for the whole second, which is what it is
# for; the repeats' medians absorb a passing blip the same way.
calibrate() {
  python3 - <<'PY'
import hashlib, time
buf = bytes(256 << 20)
best = None
for _ in range(3):
    t0 = time.perf_counter()
    hashlib.sha256(buf).digest()
    t = time.perf_counter() - t0
    best = t if best is None else min(best, t)
print(f"{best:.3f}")
PY
}
below() { python3 -c "import sys; sys.exit(0 if $1 < $2 else 1)"; }
note max_load "" "$max_load"
note txn_records "" "$txn_records"
waited=0
while ! below "$(load1)" "$max_load" && [ "$waited" -lt "$settle_secs" ]; do
  [ "$waited" = 0 ] && log "waiting up to ${settle_secs}s for the 1-min load ($(load1)) to fall below $max_load"
  sleep 10
  waited=$((waited + 10))
done
idle=$(load1)
note load "before the run" "$idle"
if below "$idle" "$max_load"; then
  log "1-min load before the run: $idle (below $max_load)"
else
  log "1-min load before the run: $idle, above $max_load: the table will say NOT PUBLISHABLE"
fi
. scripts/bench/load.sh
# Before each repeat of each load: up to 30 s for what the previous run
# left behind (the broker's log flushes, its garbage collector) to finish,
# so that neither the calibration loop nor the next client shares the CPUs
# with it; then the load and the calibration loop.
checkpoint() { # checkpoint WHEN
  settle
  note settle "$1" "${SETTLE_WAITED}s, ${SETTLE_BUSY}% busy"
  note load "$1" "$(load1)"
  note calibration "$1" "$(calibrate)"
}

scaled() { python3 -c "print(max(1, int($1 * $scale)))"; }

# Runs one client under /usr/bin/time; appends its row to the results.
#   measure LOAD CLIENT REP COMMAND...
# The client prints a RESULT line (ours), or its own summary (Java's);
# a group's three members print three, summed (see run_group).
measure() {
  local load=$1 client=$2 rep=$3; shift 3
  local log_file=$out/$stamp-$client-$rep-${load// /_}.log
  local time_file=$log_file.time
  if ! /usr/bin/time -f '%e %U %S %M' -o "$time_file" "$@" >"$log_file" 2>&1; then
    # Logged and left out of the table; the other runs go on.
    log "FAILED: $load $client (see $log_file)"
    tail -5 "$log_file" >&2
    failures=$((failures + 1))
    return 0
  fi
  if ! python3 - "$load" "$client" "$rep" "$log_file" "$time_file" >>"$results" <<'PY'
import re, sys
load, client, rep, log_file, time_file = sys.argv[1:]
text = open(log_file).read()
wall, user, sys_, rss = open(time_file).read().split()[-4:]
results = [dict(f.split("=", 1) for f in m.split()[1:])
           for m in re.findall(r"^RESULT .*$", text, re.M)]
if len(results) > 1:
    # A group's members: records summed, one clock from the first
    # member's first record to the last member's last.
    # (A member that read nothing has no clock.)
    records = sum(int(kv["records"]) for kv in results)
    bytes_ = sum(int(kv["bytes"]) for kv in results)
    read = [kv for kv in results if int(kv["records"]) > 0]
    seconds = (max(int(kv["last_ms"]) for kv in read)
               - min(int(kv["first_ms"]) for kv in read)) / 1000.0
elif results:
    kv = results[0]
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
      f"{records / seconds:.1f}\t{bytes_ / seconds / 1048576:.2f}\t{wall}\t{user}\t{sys_}\t{rss}")
PY
  then
    # No figures in its output (a group whose members all read nothing).
    log "FAILED: $load $client: no figures in $log_file"
    failures=$((failures + 1))
    return 0
  fi
  tail -1 "$results" | cut -f1-3,7,9- | tr '\t' ' ' >&2
}

topic_seq=0
failures=0
fresh_topic() { # fresh_topic [BOOTSTRAP REPLICAS]
  topic_seq=$((topic_seq + 1))
  local name="bench-e2e-$stamp-$topic_seq"
  "$ferro_topic" --bootstrap "${1:-$FERROKAFKA_BOOTSTRAP}" create "$name" 6 "${2:-1}" >&2
  echo "$name"
}
drop_topic() { "$ferro_topic" --bootstrap "${2:-$FERROKAFKA_BOOTSTRAP}" delete "$1" >&2 || true; }

# The clients, in the order of the first repeat; later repeats rotate it.
rotate() { # rotate REP WORDS...: the words rotated left by REP-1
  local r=$(($1 - 1)); shift
  local words=("$@") n=$#
  for ((i = 0; i < n; i++)); do echo "${words[$(((i + r) % n))]}"; done
}

# What a client needs for SECURITY (plaintext or ssl): the bootstrap
# address, ferrokafka's and librdkafka's -X flags, Java's properties.
secure() { # secure SECURITY: sets bootstrap, rust_sec, java_sec
  if [ "$1" = ssl ]; then
    bootstrap=$FERROKAFKA_SSL_BOOTSTRAP
    rust_sec=(-X security.protocol=SSL -X "ssl.ca.location=$FERROKAFKA_SSL_CA")
    java_sec=(security.protocol=SSL "ssl.truststore.location=$FERROKAFKA_SSL_TRUSTSTORE"
      "ssl.truststore.password=$FERROKAFKA_SSL_STORE_PASSWORD" ssl.truststore.type=PKCS12)
  else
    bootstrap=$FERROKAFKA_BOOTSTRAP
    rust_sec=()
    java_sec=()
  fi
}
# A load's name for SECURITY: plaintext's as it always was.
named() { if [ "$2" = ssl ]; then echo "$1 ssl"; else echo "$1"; fi; }

# Java's transactions end by time: per Java configuration, the duration
# that gave about --txn-records records per transaction at its last run's
# rate (20 ms in its first).
declare -A java_txn_ms=()

run_producer() { # LOAD CLIENT REP RECORDS SIZE COMPRESSION SECURITY [EXTRA...]
  local load=$1 client=$2 rep=$3 records=$4 size=$5 compression=$6
  secure "$7"
  shift 7
  # EXTRA: flags for ferrokafka and librdkafka; --transactional-id alone
  # stands for a transactional producer (its id made here).
  local extra=() java_extra=() a
  for a in "$@"; do
    if [ "$a" = --transactional-id ]; then
      extra+=(--transactional-id "bench-e2e-$stamp-$client-$rep" --transaction-records "$txn_records")
      java_extra=(--transactional-id "bench-e2e-$stamp-$client-$rep"
        --transaction-duration-ms "${java_txn_ms[$client]:-20}")
      if [[ "$client" == java* ]]; then
        note java_txn_ms "$load $client rep $rep" "${java_txn_ms[$client]:-20}"
      fi
    else
      extra+=("$a")
    fi
  done
  local topic
  topic=$(fresh_topic)
  local common=(--bootstrap "$bootstrap" --topic "$topic" --records "$records"
    --record-size "$size" --acks all --compression "$compression")
  case "$client" in
    ferrokafka) measure "$load" "$client" "$rep" "$ferro_producer" "${common[@]}" --api produce \
      ${extra[@]+"${extra[@]}"} ${rust_sec[@]+"${rust_sec[@]}"} ;;
    ferrokafka-send) measure "$load" "$client" "$rep" "$ferro_producer" "${common[@]}" --api send \
      ${extra[@]+"${extra[@]}"} ${rust_sec[@]+"${rust_sec[@]}"} ;;
    librdkafka) measure "$load" "$client" "$rep" "$rdkafka_peer" produce "${common[@]}" \
      ${extra[@]+"${extra[@]}"} ${rust_sec[@]+"${rust_sec[@]}"} ;;
    java) measure "$load" "$client" "$rep" java -cp "$classpath" \
      org.apache.kafka.tools.ProducerPerformance --topic "$topic" \
      --num-records "$records" --record-size "$size" --throughput -1 \
      ${java_extra[@]+"${java_extra[@]}"} \
      --producer-props bootstrap.servers="$bootstrap" acks=all compression.type="$compression" \
      ${java_sec[@]+"${java_sec[@]}"} ;;
    # Java's batch.size is 16 KiB by default; ferrokafka's and
    # librdkafka's batches go to 1 MB.
    java-1mb) measure "$load" "$client" "$rep" java -cp "$classpath" \
      org.apache.kafka.tools.ProducerPerformance --topic "$topic" \
      --num-records "$records" --record-size "$size" --throughput -1 \
      ${java_extra[@]+"${java_extra[@]}"} \
      --producer-props bootstrap.servers="$bootstrap" acks=all compression.type="$compression" \
      batch.size=1000000 ${java_sec[@]+"${java_sec[@]}"} ;;
  esac
  if [ "${#java_extra[@]}" -gt 0 ] && [[ "$client" == java* ]]; then
    # The next Java run's duration, from this one's rate.
    local rate
    rate=$(tail -1 "$results" | awk -F'\t' -v l="$load" -v c="$client" '$1 == l && $2 == c { print $7 }')
    if [ -n "$rate" ]; then
      java_txn_ms[$client]=$(python3 -c "print(max(1, round($txn_records / $rate * 1000)))")
    fi
  fi
  drop_topic "$topic"
}

run_consumer() { # LOAD CLIENT REP TOPIC RECORDS SECURITY
  local load=$1 client=$2 rep=$3 topic=$4 records=$5
  secure "$6"
  local group="bench-e2e-$stamp-$client-$rep-$6"
  local java_props=()
  local p
  for p in ${java_sec[@]+"${java_sec[@]}"}; do java_props+=(--command-property "$p"); done
  case "$client" in
    ferrokafka) measure "$load" "$client" "$rep" "$ferro_consumer" --bootstrap "$bootstrap" \
      --topic "$topic" --records "$records" --group "$group" ${rust_sec[@]+"${rust_sec[@]}"} ;;
    # The prefetch bound a quarter of its default: what bounds the RSS.
    ferrokafka-16m) measure "$load" "$client" "$rep" "$ferro_consumer" --bootstrap "$bootstrap" \
      --topic "$topic" --records "$records" --group "$group" -X queued.max.messages.kbytes=16384 \
      ${rust_sec[@]+"${rust_sec[@]}"} ;;
    librdkafka) measure "$load" "$client" "$rep" "$rdkafka_peer" consume --bootstrap "$bootstrap" \
      --topic "$topic" --records "$records" --group "$group" ${rust_sec[@]+"${rust_sec[@]}"} ;;
    # librdkafka 2.x waits fetch.queue.backoff.ms (1 s) before fetching a
    # partition again once queued.min.messages are queued: a stall of a
    # second or two on this load. Without it librdkafka is 3-5x faster.
    librdkafka-nobackoff) measure "$load" "$client" "$rep" "$rdkafka_peer" consume \
      --bootstrap "$bootstrap" --topic "$topic" --records "$records" --group "$group" \
      -X fetch.queue.backoff.ms=0 ${rust_sec[@]+"${rust_sec[@]}"} ;;
    java) measure "$load" "$client" "$rep" java -cp "$classpath" \
      org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$bootstrap" \
      --topic "$topic" --num-records "$records" --group "$group" --hide-header --timeout 30000 \
      ${java_props[@]+"${java_props[@]}"} ;;
  esac
}

# A group of three members, started together, each until it has seen no
# record for a while (each gets an unknown share of the records).
group_idle_secs=3
# Java is not in the group row: ConsumerPerformance's members stop after
# --timeout idle and report no clock that ends at their last record (its
# fetch time minus the timeout came out negative in a trial run).
run_group() { # LOAD CLIENT REP TOPIC RECORDS
  local load=$1 client=$2 rep=$3 topic=$4 records=$5
  local group="bench-e2e-$stamp-$client-$rep" cluster=$FERROKAFKA_CLUSTER_BOOTSTRAP
  local member
  case "$client" in
    ferrokafka) member=("$ferro_consumer" --bootstrap "$cluster" --topic "$topic"
      --records "$records" --group "$group" --idle-exit-secs "$group_idle_secs") ;;
    librdkafka) member=("$rdkafka_peer" consume --bootstrap "$cluster" --topic "$topic"
      --records "$records" --group "$group" --idle-exit-secs "$group_idle_secs") ;;
    librdkafka-nobackoff) member=("$rdkafka_peer" consume --bootstrap "$cluster" --topic "$topic"
      --records "$records" --group "$group" --idle-exit-secs "$group_idle_secs"
      -X fetch.queue.backoff.ms=0) ;;
  esac
  # bash waits for the three, so /usr/bin/time counts their CPU, and
  # their largest peak RSS.
  measure "$load" "$client" "$rep" \
    bash -c '"$@" & a=$!; "$@" & b=$!; "$@" & c=$!
      s=0; for p in $a $b $c; do wait "$p" || s=1; done; exit $s' member "${member[@]}"
  # The three together must have read every record once.
  local got
  got=$(tail -1 "$results" | awk -F'\t' -v l="$load" -v c="$client" -v r="$rep" \
    '$1 == l && $2 == c && $3 == r { print $4 }')
  if [ -n "$got" ] && [ "$got" -lt "$records" ]; then
    log "FAILED: $load $client: the group read $got records of $records"
    failures=$((failures + 1))
  elif [ -n "$got" ] && [ "$got" -gt "$records" ]; then
    # Read again after a rebalance, before the first owner's commit.
    log "note: $load $client: the group read $got records for $records"
  fi
}

produce_rows() { # CLIENTS LOAD-SPEC...: "RECORDS SIZE COMPRESSION [EXTRA...]" each
  local clients=$1; shift
  local spec records size compression extra sec load
  for spec in "$@"; do
    read -r records size compression extra <<<"$spec"
    local base="produce ${records}x${size}B $compression"
    if [[ "$extra" == *--keys* ]]; then base="$base keyed"; fi
    if [[ "$extra" == *--transactional-id* ]]; then base="txn ${records}x${size}B $compression"; fi
    for rep in $(seq 1 "$repeat"); do
      checkpoint "$base rep $rep"
      for client in $(rotate "$rep" $clients); do
        for sec in "${securities[@]}"; do
          load=$(named "$base" "$sec")
          # shellcheck disable=SC2086
          run_producer "$load" "$client" "$rep" "$records" "$size" "$compression" "$sec" $extra
        done
      done
    done
  done
}

producers="ferrokafka ferrokafka-send librdkafka java java-1mb"
small=$(scaled 1000000)
if wants producer; then
  large=$(scaled 200000)
  produce_rows "$producers" "$small 100 none" "$small 100 lz4" "$large 1024 none" "$large 1024 lz4"
fi

if wants txn; then
  produce_rows "$producers" "$small 100 none --transactional-id"
fi

if wants extra; then
  produce_rows "$producers" "$small 10 none" "$(scaled 20000) 10240 none"
  produce_rows "ferrokafka ferrokafka-send librdkafka" "$small 100 none --keys 10000"
  produce_rows "$producers" "$small 100 gzip" "$small 100 snappy" "$small 100 zstd"
fi

if wants consumer; then
  records=$(scaled 1000000)
  topic=$(fresh_topic)
  log "filling $topic with $records records of 100 B (Java ProducerPerformance, acks=all)"
  measure "fill ${records}x100B" java-producer 0 java -cp "$classpath" \
    org.apache.kafka.tools.ProducerPerformance --topic "$topic" \
    --num-records "$records" --record-size 100 --throughput -1 \
    --producer-props bootstrap.servers="$FERROKAFKA_BOOTSTRAP" acks=all >/dev/null
  for rep in $(seq 1 "$repeat"); do
    checkpoint "consume rep $rep"
    for client in $(rotate "$rep" ferrokafka librdkafka librdkafka-nobackoff java); do
      for sec in "${securities[@]}"; do
        run_consumer "$(named "consume ${records}x100B" "$sec")" "$client" "$rep" "$topic" "$records" "$sec"
      done
    done
  done
  drop_topic "$topic"
fi

if wants big; then
  records=$(scaled 30)
  size=$((10 * 1024 * 1024))
  topic_seq=$((topic_seq + 1))
  topic="bench-e2e-$stamp-$topic_seq-big"
  java -cp "$classpath" org.apache.kafka.tools.TopicCommand --bootstrap-server "$FERROKAFKA_BOOTSTRAP" \
    --create --topic "$topic" --partitions 1 --replication-factor 1 \
    --config max.message.bytes=$((size + 1024 * 1024)) >&2
  log "filling $topic with $records records of 10 MiB (Java ProducerPerformance, acks=all)"
  measure "fill ${records}x10MiB" java-producer 0 java -cp "$classpath" \
    org.apache.kafka.tools.ProducerPerformance --topic "$topic" \
    --num-records "$records" --record-size "$size" --throughput -1 \
    --producer-props bootstrap.servers="$FERROKAFKA_BOOTSTRAP" acks=all \
    max.request.size=$((size + 1024 * 1024)) buffer.memory=$((4 * size)) >/dev/null
  for rep in $(seq 1 "$repeat"); do
    checkpoint "consume big rep $rep"
    for client in $(rotate "$rep" ferrokafka ferrokafka-16m librdkafka java); do
      run_consumer "consume ${records}x10MiB" "$client" "$rep" "$topic" "$records" plaintext
    done
  done
  drop_topic "$topic"
fi

if wants group; then
  records=$(scaled 1000000)
  cluster=$FERROKAFKA_CLUSTER_BOOTSTRAP
  topic=$(fresh_topic "$cluster" 3)
  log "filling $topic on the cluster with $records records of 100 B (Java ProducerPerformance, acks=all)"
  measure "fill ${records}x100B cluster" java-producer 0 java -cp "$classpath" \
    org.apache.kafka.tools.ProducerPerformance --topic "$topic" \
    --num-records "$records" --record-size 100 --throughput -1 \
    --producer-props bootstrap.servers="$cluster" acks=all >/dev/null
  for rep in $(seq 1 "$repeat"); do
    checkpoint "group rep $rep"
    for client in $(rotate "$rep" ferrokafka librdkafka librdkafka-nobackoff); do
      run_group "group of 3 ${records}x100B cluster" "$client" "$rep" "$topic" "$records"
    done
  done
  drop_topic "$topic" "$cluster"
fi

python3 scripts/bench-e2e-table.py --raw "$results" | tee "$table"
log "table in $table"
if [ "$failures" -gt 0 ]; then
  log "$failures run(s) failed: see the FAILED lines above"
  exit 1
fi
