#!/usr/bin/env bash
# Older Apache Kafka brokers for the compatibility suite (scripts/compat.sh),
# from Maven jars, on 127.0.0.1 only, beside the 4.3.1 brokers of
# scripts/kafka.sh (whose functions it shares).
#
#   scripts/kafka-compat.sh fetch VERSION   resolve that Kafka's jars with mvn into the cache
#   scripts/kafka-compat.sh start VERSION   one node: PLAINTEXT and SASL_PLAINTEXT
#                                           (PLAIN, SCRAM-SHA-256/512)
#   scripts/kafka-compat.sh stop [VERSION]  stop by recorded PID (default: all of them)
#   scripts/kafka-compat.sh env VERSION     print the environment file to source
#
# VERSION is one of 3.9 (3.9.1, KRaft), 3.6 (3.6.2, KRaft), 2.8 (2.8.2 with a
# ZooKeeper 3.5.9 node: the ZooKeeper server ships in Kafka's own
# dependencies). All run on the Java 17 here.
#
# After `start V`, `source "$(scripts/kafka-compat.sh env V)"` sets:
#   FERROKAFKA_COMPAT_VERSION         the broker's full version (e.g. 3.9.1)
#   FERROKAFKA_COMPAT_BOOTSTRAP       PLAINTEXT
#   FERROKAFKA_COMPAT_SASL_BOOTSTRAP  SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256/512)
#   FERROKAFKA_COMPAT_SASL_USER / _PASSWORD
#   FERROKAFKA_COMPAT_CLASSPATH       that version's jars (its Java client and tools)
#
# Ports (override by environment, FERROKAFKA_COMPAT_PORT_BASE_<39|36|28>):
# 3.9 on 39392 (plain), 39393 (sasl), 39394 (controller); 3.6 on 39492-39494;
# 2.8 on 39592 (plain), 39593 (sasl), 39599 (ZooKeeper).
# The jars and state live under FERROKAFKA_CACHE (default .cache/).
set -euo pipefail

# shellcheck source=kafka.sh
source "$(dirname "$0")/kafka.sh"

log() { echo "kafka-compat.sh: $*" >&2; }

compat_version() {
  case "$1" in
    3.9 | 3.9.1) echo 3.9.1 ;;
    3.6 | 3.6.2) echo 3.6.2 ;;
    2.8 | 2.8.2) echo 2.8.2 ;;
    *) log "unknown compat version '$1' (3.9, 3.6, 2.8)"; exit 2 ;;
  esac
}

compat_base() {
  case "$1" in
    3.9.1) echo "${FERROKAFKA_COMPAT_PORT_BASE_39:-39392}" ;;
    3.6.2) echo "${FERROKAFKA_COMPAT_PORT_BASE_36:-39492}" ;;
    2.8.2) echo "${FERROKAFKA_COMPAT_PORT_BASE_28:-39592}" ;;
  esac
}

# compat_setup <full version>: points the shared functions' globals
# (libs, the broker's dir) at this version.
compat_setup() {
  CV=$1
  libs=$cache/kafka-$CV/libs
  dir=$state/compat-$CV
  base=$(compat_base "$CV")
  plain=$base
  sasl=$((base + 1))
  ctl=$((base + 2))
  zk=$((base + 7))
}

compat_fetch() {
  if [ -f "$libs/.complete" ]; then return; fi
  command -v mvn >/dev/null || { log "mvn is required"; exit 1; }
  log "resolving Apache Kafka $CV from Maven Central into $libs"
  rm -rf "$libs"
  mkdir -p "$libs"
  mvn -q -B -f "$root/scripts/kafka/compat-pom.xml" -Dkafka.version="$CV" \
    dependency:copy-dependencies -DoutputDirectory="$libs" -DincludeScope=runtime
  touch "$libs/.complete"
}

compat_java() {
  java -Xms128m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dkafka.logs.dir="$dir/logs" -Dlog4j.configuration="file:$root/scripts/kafka/log4j.properties" \
    -cp "$libs/*" "$@"
}

compat_config() {
  mkdir -p "$dir/data" "$dir/logs"
  cat >"$dir/server.properties" <<CONF
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://127.0.0.1:$plain,SASL_PLAINTEXT://127.0.0.1:$sasl
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
log.segment.bytes=16777216
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USER="$SASL_PASSWORD";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
CONF
  if [ "$CV" = 2.8.2 ]; then
    cat >>"$dir/server.properties" <<CONF
broker.id=1
zookeeper.connect=127.0.0.1:$zk
listeners=PLAINTEXT://127.0.0.1:$plain,SASL_PLAINTEXT://127.0.0.1:$sasl
CONF
  else
    cat >>"$dir/server.properties" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$ctl
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$plain,SASL_PLAINTEXT://127.0.0.1:$sasl,CONTROLLER://127.0.0.1:$ctl
CONF
  fi
}

# The ZooKeeper node of 2.8, and the SCRAM user written into it.
start_zookeeper() {
  mkdir -p "$dir/zk/data"
  cat >"$dir/zk/zk.properties" <<CONF
dataDir=$dir/zk/data
clientPortAddress=127.0.0.1
clientPort=$zk
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok
CONF
  nohup java -Xms64m -Xmx256m -Dkafka.logs.dir="$dir/zk" \
    -Dlog4j.configuration="file:$root/scripts/kafka/log4j.properties" \
    -cp "$libs/*" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zk/zk.properties" \
    >"$dir/zk/stdout.log" 2>&1 &
  echo $! >"$dir/zk/pid"
  local waited=0
  until port_open "$zk"; do
    sleep 1
    waited=$((waited + 1))
    if [ "$waited" -ge 60 ]; then log "ZooKeeper not up after 60s"; tail -n 20 "$dir/zk/stdout.log" >&2; exit 1; fi
  done
  compat_java kafka.admin.ConfigCommand --zookeeper "127.0.0.1:$zk" --alter --entity-type users \
    --entity-name "$SASL_USER" \
    --add-config "SCRAM-SHA-256=[password=$SASL_PASSWORD],SCRAM-SHA-512=[password=$SASL_PASSWORD]" \
    >"$dir/logs/scram.log" 2>&1 || { cat "$dir/logs/scram.log" >&2; exit 1; }
}

compat_launch() {
  nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dkafka.logs.dir="$dir/logs" -Dlog4j.configuration="file:$root/scripts/kafka/log4j.properties" \
    -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
    >"$dir/logs/stdout.log" 2>&1 &
  echo $! >"$dir/pid"
}

# Waits for the broker's "started" line: KRaft brokers say "Kafka Server
# started", a ZooKeeper broker "[KafkaServer id=1] started".
compat_wait() {
  local waited=0
  while :; do
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      log "broker $CV exited; its log ends:"
      tail -n 40 "$dir/logs/server.log" "$dir/logs/stdout.log" >&2 2>/dev/null || true
      exit 1
    fi
    if port_open "$plain" && grep -qE "Kafka Server started|\] started \(kafka.server.KafkaServer\)" \
      "$dir/logs/server.log" 2>/dev/null; then
      return
    fi
    if [ "$waited" -ge "$READY_TIMEOUT" ]; then
      log "broker $CV not ready after ${READY_TIMEOUT}s; its log ends:"
      tail -n 40 "$dir/logs/server.log" "$dir/logs/stdout.log" >&2 2>/dev/null || true
      compat_stop
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

compat_stop() {
  stop_dir "$dir"
  stop_dir "$dir/zk"
}

compat_start() {
  compat_stop
  rm -rf "$dir"
  if [ "$CV" = 2.8.2 ]; then ensure_free "$plain" "$sasl" "$zk"; else ensure_free "$plain" "$sasl" "$ctl"; fi
  compat_config
  if [ "$CV" = 2.8.2 ]; then
    start_zookeeper
  else
    compat_java kafka.tools.StorageTool format -t "$(compat_java kafka.tools.StorageTool random-uuid)" \
      -c "$dir/server.properties" \
      --add-scram "SCRAM-SHA-256=[name=$SASL_USER,password=$SASL_PASSWORD]" \
      --add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$SASL_PASSWORD]" \
      >"$dir/logs/format.log" 2>&1 || { cat "$dir/logs/format.log" >&2; exit 1; }
  fi
  compat_launch
  compat_wait
  log "Kafka $CV ready on 127.0.0.1:$plain (SASL on $sasl)"
}

compat_env() {
  local f=$state/compat-$CV.env
  mkdir -p "$state"
  {
    echo "export FERROKAFKA_COMPAT_VERSION=$CV"
    echo "export FERROKAFKA_COMPAT_BOOTSTRAP=127.0.0.1:$plain"
    echo "export FERROKAFKA_COMPAT_SASL_BOOTSTRAP=127.0.0.1:$sasl"
    echo "export FERROKAFKA_COMPAT_SASL_USER=$SASL_USER"
    echo "export FERROKAFKA_COMPAT_SASL_PASSWORD=$SASL_PASSWORD"
    echo "export FERROKAFKA_COMPAT_CLASSPATH='$libs/*'"
  } >"$f"
  echo "$f"
}

case "${1:-}" in
  fetch) v=$(compat_version "${2:-}"); compat_setup "$v"; compat_fetch ;;
  start)
    v=$(compat_version "${2:-}")
    compat_setup "$v"
    compat_fetch
    compat_start
    compat_env >/dev/null ;;
  stop)
    for v in ${2:-3.9 3.6 2.8}; do full=$(compat_version "$v"); compat_setup "$full"; compat_stop; done ;;
  env) v=$(compat_version "${2:-}"); compat_setup "$v"; compat_env ;;
  *) sed -n '2,26p' "$0"; exit 2 ;;
esac
