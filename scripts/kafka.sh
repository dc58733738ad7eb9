#!/usr/bin/env bash
# Real Apache Kafka brokers for the tests, on 127.0.0.1 only, no Docker.
#
#   scripts/kafka.sh fetch            resolve Kafka's jars with mvn into the cache
#   scripts/kafka.sh start single     one broker+controller: PLAINTEXT, SASL_PLAINTEXT and
#                                     TLS listeners (SSL, mTLS, SASL_SSL, two with bad certs);
#                                     ACLs checked (StandardAuthorizer, open where none is set)
#   scripts/kafka.sh start cluster    three broker+controller nodes (one KRaft quorum)
#   scripts/kafka.sh stop [single|cluster]   stop by recorded PID (default: both)
#   scripts/kafka.sh kill-node N      kill cluster node N (1-3) at once, as a crash would
#   scripts/kafka.sh start-node N     start cluster node N again on its data, wait until ready
#   scripts/kafka.sh env              print the environment file to source
#
# After `start`, `source "$(scripts/kafka.sh env)"` sets:
#   FERROKAFKA_BOOTSTRAP            single node, PLAINTEXT
#   FERROKAFKA_SASL_BOOTSTRAP       single node, SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256/512)
#   FERROKAFKA_SASL_USER / _PASSWORD        the PLAIN and SCRAM user
#   FERROKAFKA_SSL_BOOTSTRAP        single node, SSL (server certificate only)
#   FERROKAFKA_MTLS_BOOTSTRAP       single node, SSL with ssl.client.auth=required
#   FERROKAFKA_SASL_SSL_BOOTSTRAP   single node, SASL_SSL (PLAIN, SCRAM-SHA-256/512, and
#                                   OAUTHBEARER with Kafka's unsecured-JWT validator);
#                                   sessions last 10 s (connections.max.reauth.ms)
#   FERROKAFKA_OIDC_BOOTSTRAP       single node, SASL_SSL with OAUTHBEARER validated by Kafka's
#                                   OAuthBearerValidatorCallbackHandler against the JWKS of a
#                                   local token endpoint (scripts/oidc-endpoint.py); tokens
#                                   live 8 s, sessions at most 10 s
#   FERROKAFKA_OIDC_TOKEN_URL       that endpoint (https, the test CA), client-credentials grant
#   FERROKAFKA_OIDC_CLIENT_ID / _CLIENT_SECRET   a client it knows
#   FERROKAFKA_OIDC_BAD_CLIENT_ID   a client whose tokens it signs with a key not in the JWKS
#   FERROKAFKA_OIDC_TOKENS_ISSUED   a file holding how many tokens the endpoint issued
#   FERROKAFKA_SSL_BADNAME_BOOTSTRAP  SSL, certificate for another host name
#   FERROKAFKA_SSL_EXPIRED_BOOTSTRAP  SSL, expired certificate
#   FERROKAFKA_SSL_CA               the throw-away CA (PEM) that signed them
#   FERROKAFKA_SSL_OTHER_CA         a CA that signed nothing here (PEM)
#   FERROKAFKA_SSL_CLIENT_CERT / _KEY       a client certificate and key (PEM, PKCS#8)
#   FERROKAFKA_SSL_CLIENT_KEY_ENCRYPTED / _PASSWORD   the same key, encrypted PKCS#8
#   FERROKAFKA_SSL_KEYSTORE / _KEYSTORE_KEYTOOL   the client key, certificate and CA as PKCS#12,
#                                   written by openssl / by keytool
#   FERROKAFKA_SSL_TRUSTSTORE       the CA as a keytool PKCS#12 trust store
#   FERROKAFKA_SSL_STORE_PASSWORD   the password of those three stores
#   FERROKAFKA_CLUSTER_BOOTSTRAP    the three-node cluster, comma-separated
#   FERROKAFKA_KAFKA_CLASSPATH      Kafka's jars, for its Java tools
#   FERROKAFKA_SINGLE_LOG_DIR       the single node's data dir
#
# Ports (override by environment): single 39092 (plain), 39093 (sasl),
# 39094 (controller), 39095 (ssl), 39096 (mtls), 39097 (sasl_ssl),
# 39098 (ssl, bad name), 39099 (ssl, expired), 39091 (oidc; its token endpoint
# 39088 https, JWKS 39089 http); cluster 39192-39194 (plain), 39292-39294 (controller).
# FERROKAFKA_CACHE (default .cache/ in the repo) holds the jars and state.
set -euo pipefail

KAFKA_VERSION=4.3.1
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${FERROKAFKA_CACHE:-$root/.cache}
libs=$cache/kafka-$KAFKA_VERSION/libs
state=$cache/brokers
envfile=$state/env

SINGLE_PLAIN=${FERROKAFKA_SINGLE_PORT:-39092}
SINGLE_SASL=${FERROKAFKA_SINGLE_SASL_PORT:-39093}
SINGLE_CONTROLLER=${FERROKAFKA_SINGLE_CONTROLLER_PORT:-39094}
SINGLE_SSL=${FERROKAFKA_SINGLE_SSL_PORT:-39095}
SINGLE_MTLS=${FERROKAFKA_SINGLE_MTLS_PORT:-39096}
SINGLE_SASL_SSL=${FERROKAFKA_SINGLE_SASL_SSL_PORT:-39097}
SINGLE_BADNAME=${FERROKAFKA_SINGLE_SSL_BADNAME_PORT:-39098}
SINGLE_EXPIRED=${FERROKAFKA_SINGLE_SSL_EXPIRED_PORT:-39099}
SINGLE_OIDC=${FERROKAFKA_SINGLE_OIDC_PORT:-39091}
OIDC_TOKEN_PORT=${FERROKAFKA_OIDC_TOKEN_PORT:-39088}
OIDC_JWKS_PORT=${FERROKAFKA_OIDC_JWKS_PORT:-39089}
OIDC_CLIENT_ID=ferro-oidc-client
OIDC_BAD_CLIENT_ID=ferro-oidc-rogue
OIDC_CLIENT_SECRET=ferro-oidc-secret
OIDC_AUDIENCE=ferrokafka-test
# Tokens live 8 s and the listener's sessions at most 10 s, so a client
# must fetch new tokens and re-authenticate within a short test.
OIDC_LIFETIME=${FERROKAFKA_OIDC_LIFETIME:-8}
CLIENT_KEY_PASSWORD=ferro-key-secret
STORE_PASSWORD=ferro-store-secret
CLUSTER_PLAIN_BASE=${FERROKAFKA_CLUSTER_PORT_BASE:-39192}
CLUSTER_CONTROLLER_BASE=${FERROKAFKA_CLUSTER_CONTROLLER_PORT_BASE:-39292}
SASL_USER=ferro
SASL_PASSWORD=ferro-secret
READY_TIMEOUT=${FERROKAFKA_READY_TIMEOUT:-180}

log() { echo "kafka.sh: $*" >&2; }

fetch() {
  if [ -f "$libs/.complete" ]; then return; fi
  command -v mvn >/dev/null || { log "mvn is required"; exit 1; }
  command -v java >/dev/null || { log "java is required"; exit 1; }
  log "resolving Apache Kafka $KAFKA_VERSION from Maven Central into $libs"
  rm -rf "$libs"
  mkdir -p "$libs"
  mvn -q -B -f "$root/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime
  touch "$libs/.complete"
}

kafka_java() {
  java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -cp "$libs/*" "$@"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# write_config <dir> <node id> <voters> <listeners> <advertised> <rf>
write_config() {
  local dir=$1 id=$2 voters=$3 listeners=$4 advertised=$5 rf=$6
  mkdir -p "$dir/data" "$dir/logs"
  cat >"$dir/server.properties" <<CONF
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=$rf
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
log.segment.bytes=16777216
log.retention.check.interval.ms=60000
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=1
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USER="$SASL_PASSWORD";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
CONF
}

# make_certs <dir>: a throw-away CA, certificates it signs for the broker
# (127.0.0.1 and localhost), for another host name, an expired one, and a
# client certificate (plain and encrypted PKCS#8 key); plus a second CA
# that signed nothing here. EC P-256 keys, PEM files, made with the
# openssl command line (a test tool, not a dependency of the library).
make_certs() {
  local d=$1
  command -v openssl >/dev/null || { log "openssl is required for the TLS listeners"; exit 1; }
  command -v keytool >/dev/null || { log "keytool (the JDK) is required for the TLS listeners"; exit 1; }
  mkdir -p "$d"
  (
    cd "$d"
    key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
    ca() { key "$1.key"; openssl req -x509 -new -key "$1.key" -sha256 -days 30 -subj "/CN=$2" \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out "$1.pem"; }
    csr() { key "$1.key"; openssl req -new -key "$1.key" -subj "/CN=$2" -addext "subjectAltName=$3" -out "$1.csr"; }
    sign() { openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 30 \
               -copy_extensions copy -out "$1.pem" 2>/dev/null; }
    ca ca "ferrokafka test CA"
    ca other-ca "ferrokafka other CA"
    csr broker broker "IP:127.0.0.1,DNS:localhost"; sign broker
    csr badname badname "DNS:not-this-host.example"; sign badname
    csr client ferro-client "DNS:ferro-client"; sign client
    openssl pkcs8 -topk8 -v2 aes-256-cbc -in client.key -passout "pass:$CLIENT_KEY_PASSWORD" -out client-encrypted.key
    # An expired certificate: openssl 3.0's x509 cannot backdate, its ca can.
    csr expired expired "IP:127.0.0.1,DNS:localhost"
    mkdir -p ca-db; : >ca-db/index.txt; echo 01 >ca-db/serial
    printf '[ca]\ndefault_ca=d\n[d]\ndatabase=ca-db/index.txt\nserial=ca-db/serial\nnew_certs_dir=ca-db\ndefault_md=sha256\npolicy=p\ncopy_extensions=copy\n[p]\ncommonName=supplied\n' >ca.cnf
    openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
      -startdate 20200101000000Z -enddate 20200201000000Z -notext 2>/dev/null
    # The client certificate, key and CA as PKCS#12 key stores, one written
    # by openssl (3.x defaults: PBES2 AES-256-CBC, SHA-256 MAC) and one by
    # Java's keytool, and the CA alone as a keytool trust store.
    openssl pkcs12 -export -in client.pem -inkey client.key -certfile ca.pem -name client \
      -passout "pass:$STORE_PASSWORD" -out client.p12
    keytool -importkeystore -srckeystore client.p12 -srcstoretype pkcs12 -srcstorepass "$STORE_PASSWORD" \
      -destkeystore client-keytool.p12 -deststoretype pkcs12 -deststorepass "$STORE_PASSWORD" -noprompt >/dev/null 2>&1
    keytool -importcert -file ca.pem -alias ca -keystore truststore.p12 -storetype pkcs12 \
      -storepass "$STORE_PASSWORD" -noprompt >/dev/null 2>&1
    # Kafka's PEM key stores: the key (unencrypted PKCS#8) then the chain.
    for n in broker badname expired; do cat "$n.key" "$n.pem" >"$n-store.pem"; done
  )
}

# tls_config <dir> <certs dir>: the TLS listeners' settings for the single node.
tls_config() {
  local dir=$1 c=$2 n
  cat >>"$dir/server.properties" <<CONF
ssl.keystore.type=PEM
ssl.keystore.location=$c/broker-store.pem
ssl.truststore.type=PEM
ssl.truststore.location=$c/ca.pem
ssl.endpoint.identification.algorithm=
listener.name.mtls.ssl.client.auth=required
listener.name.badname.ssl.keystore.type=PEM
listener.name.badname.ssl.keystore.location=$c/badname-store.pem
listener.name.expired.ssl.keystore.type=PEM
listener.name.expired.ssl.keystore.location=$c/expired-store.pem
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USER="$SASL_PASSWORD";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
listener.name.sasl_ssl.connections.max.reauth.ms=10000
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler
listener.name.oidc.sasl.enabled.mechanisms=OAUTHBEARER
listener.name.oidc.connections.max.reauth.ms=10000
listener.name.oidc.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
listener.name.oidc.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
sasl.oauthbearer.jwks.endpoint.url=http://127.0.0.1:$OIDC_JWKS_PORT/jwks
sasl.oauthbearer.expected.audience=$OIDC_AUDIENCE
sasl.oauthbearer.expected.issuer=https://127.0.0.1:$OIDC_TOKEN_PORT
CONF
  # Kafka 4 fetches only the URLs this system property allows.
  echo "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=http://127.0.0.1:$OIDC_JWKS_PORT/jwks" >"$dir/jvm-opts"
  sed -i 's/^listener.security.protocol.map=.*/listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL,BADNAME:SSL,EXPIRED:SSL,OIDC:SASL_SSL/' "$dir/server.properties"
}

# start_oidc <dir> <certs dir>: the token endpoint (scripts/oidc-endpoint.py),
# its TLS certificate the broker's; the broker fetches its JWKS at start.
start_oidc() {
  local d=$1 c=$2 waited=0
  command -v python3 >/dev/null || { log "python3 is required for the OIDC token endpoint"; exit 1; }
  mkdir -p "$d"
  nohup python3 "$root/scripts/oidc-endpoint.py" --state-dir "$d" --cert "$c/broker.pem" --key "$c/broker.key" \
    --client-id "$OIDC_CLIENT_ID" --client-secret "$OIDC_CLIENT_SECRET" --bad-client-id "$OIDC_BAD_CLIENT_ID" \
    --issuer "https://127.0.0.1:$OIDC_TOKEN_PORT" --audience "$OIDC_AUDIENCE" --lifetime "$OIDC_LIFETIME" \
    --token-port "$OIDC_TOKEN_PORT" --jwks-port "$OIDC_JWKS_PORT" >"$d/endpoint.log" 2>&1 &
  echo $! >"$d/pid"
  until [ -f "$d/ready" ]; do
    if ! kill -0 "$(cat "$d/pid")" 2>/dev/null || [ "$waited" -ge 300 ]; then
      log "the OIDC token endpoint did not start:"; cat "$d/endpoint.log" >&2; exit 1
    fi
    sleep 0.1; waited=$((waited + 1))
  done
}

format() {
  local dir=$1 cluster_id=$2
  kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" \
    --add-scram "SCRAM-SHA-256=[name=$SASL_USER,password=$SASL_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$SASL_PASSWORD]" \
    >"$dir/logs/format.log" 2>&1 || { cat "$dir/logs/format.log" >&2; exit 1; }
}

launch() {
  local dir=$1
  local opts=()
  [ -f "$dir/jvm-opts" ] && read -r -a opts <"$dir/jvm-opts"
  nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true "${opts[@]}" \
    -Dkafka.logs.dir="$dir/logs" \
    -Dlog4j2.configurationFile="$root/scripts/kafka/log4j2.properties" \
    -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
    >"$dir/logs/stdout.log" 2>&1 &
  echo $! >"$dir/pid"
}

wait_ready() {
  local dir=$1 port=$2 waited=0
  while :; do
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      log "broker in $dir exited; its log ends:"
      tail -n 40 "$dir/logs/server.log" "$dir/logs/stdout.log" >&2 2>/dev/null || true
      exit 1
    fi
    if port_open "$port" && grep -q "Kafka Server started" "$dir/logs/server.log" 2>/dev/null; then
      return
    fi
    if [ "$waited" -ge "$READY_TIMEOUT" ]; then
      log "broker in $dir not ready after ${READY_TIMEOUT}s; its log ends:"
      tail -n 40 "$dir/logs/server.log" "$dir/logs/stdout.log" >&2 2>/dev/null || true
      stop_dir "$dir"
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

# Stops the brokers of the given dirs by their recorded PIDs: TERM to all
# at once (a cluster shuts down faster together), KILL after 30 s, and
# waits until each process is gone so its ports are free.
stop_dir() {
  local dir pid pids=()
  for dir in "$@"; do
    [ -f "$dir/pid" ] || continue
    pid=$(cat "$dir/pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$dir/pid"
  done
  [ "${#pids[@]}" -gt 0 ] || return 0
  for _ in $(seq 1 30); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 1 ] || return 0
    sleep 1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 1 ] || return 0
    sleep 0.1
  done
}

# The brokers' ports lie inside Linux's ephemeral range (32768-60999), so
# a client socket of any test can hold one when a node (re)starts: ask the
# kernel to keep them out of that range (best effort: needs root).
reserve_ports() {
  local f=/proc/sys/net/ipv4/ip_local_reserved_ports cur p
  [ -w "$f" ] || return 0
  cur=$(cat "$f")
  for p in "$@"; do
    case ",$cur," in *",$p,"*) ;; *) cur="${cur:+$cur,}$p" ;; esac
  done
  echo "$cur" >"$f" 2>/dev/null || true
}

ensure_free() {
  reserve_ports "$@"
  for p in "$@"; do
    if port_open "$p"; then log "port $p on 127.0.0.1 is already in use"; exit 1; fi
  done
}

# authorizer_config <dir>: the single node checks ACLs (KRaft's
# StandardAuthorizer), so ACL calls can be tested. A resource with no ACL
# stays open to everyone; the principals the tests and the node itself use
# (PLAINTEXT and the controller: ANONYMOUS; the SASL user; the mTLS client
# certificate; the OIDC client) are super users, so an ACL a test puts on
# its own resource never locks them out.
authorizer_config() {
  cat >>"$1/server.properties" <<CONF
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=true
super.users=User:ANONYMOUS;User:$SASL_USER;User:CN=ferro-client;User:$OIDC_CLIENT_ID
CONF
}

start_single() {
  local dir=$state/single
  stop_dir "$dir" "$dir/oidc"; rm -rf "$dir"
  ensure_free "$SINGLE_PLAIN" "$SINGLE_SASL" "$SINGLE_CONTROLLER" \
    "$SINGLE_SSL" "$SINGLE_MTLS" "$SINGLE_SASL_SSL" "$SINGLE_BADNAME" "$SINGLE_EXPIRED" \
    "$SINGLE_OIDC" "$OIDC_TOKEN_PORT" "$OIDC_JWKS_PORT"
  local tls="SSL://127.0.0.1:$SINGLE_SSL,MTLS://127.0.0.1:$SINGLE_MTLS,SASL_SSL://127.0.0.1:$SINGLE_SASL_SSL"
  tls="$tls,BADNAME://127.0.0.1:$SINGLE_BADNAME,EXPIRED://127.0.0.1:$SINGLE_EXPIRED,OIDC://127.0.0.1:$SINGLE_OIDC"
  write_config "$dir" 1 "1@127.0.0.1:$SINGLE_CONTROLLER" \
    "PLAINTEXT://127.0.0.1:$SINGLE_PLAIN,SASL_PLAINTEXT://127.0.0.1:$SINGLE_SASL,CONTROLLER://127.0.0.1:$SINGLE_CONTROLLER,$tls" \
    "PLAINTEXT://127.0.0.1:$SINGLE_PLAIN,SASL_PLAINTEXT://127.0.0.1:$SINGLE_SASL,$tls" 1
  make_certs "$dir/tls"
  tls_config "$dir" "$dir/tls"
  authorizer_config "$dir"
  start_oidc "$dir/oidc" "$dir/tls"
  format "$dir" "$(kafka_java kafka.tools.StorageTool random-uuid)"
  launch "$dir"
  wait_ready "$dir" "$SINGLE_PLAIN"
  log "single broker ready on 127.0.0.1:$SINGLE_PLAIN (SASL on $SINGLE_SASL)"
}

start_cluster() {
  local voters="" i cluster_id
  stop_dir "$state/cluster/node1" "$state/cluster/node2" "$state/cluster/node3"
  for i in 1 2 3; do
    ensure_free $((CLUSTER_PLAIN_BASE + i - 1)) $((CLUSTER_CONTROLLER_BASE + i - 1))
    voters="${voters:+$voters,}$i@127.0.0.1:$((CLUSTER_CONTROLLER_BASE + i - 1))"
  done
  rm -rf "$state/cluster"
  cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid)
  for i in 1 2 3; do
    local dir=$state/cluster/node$i plain=$((CLUSTER_PLAIN_BASE + i - 1)) ctl=$((CLUSTER_CONTROLLER_BASE + i - 1))
    write_config "$dir" "$i" "$voters" \
      "PLAINTEXT://127.0.0.1:$plain,CONTROLLER://127.0.0.1:$ctl" "PLAINTEXT://127.0.0.1:$plain" 3
    format "$dir" "$cluster_id"
  done
  for i in 1 2 3; do launch "$state/cluster/node$i"; done
  for i in 1 2 3; do wait_ready "$state/cluster/node$i" $((CLUSTER_PLAIN_BASE + i - 1)); done
  log "three-node cluster ready on 127.0.0.1:$CLUSTER_PLAIN_BASE-$((CLUSTER_PLAIN_BASE + 2))"
}

write_env() {
  mkdir -p "$state"
  {
    echo "export FERROKAFKA_KAFKA_CLASSPATH='$libs/*'"
    if [ -f "$state/single/pid" ]; then
      echo "export FERROKAFKA_BOOTSTRAP=127.0.0.1:$SINGLE_PLAIN"
      echo "export FERROKAFKA_SASL_BOOTSTRAP=127.0.0.1:$SINGLE_SASL"
      echo "export FERROKAFKA_SASL_USER=$SASL_USER"
      echo "export FERROKAFKA_SASL_PASSWORD=$SASL_PASSWORD"
      echo "export FERROKAFKA_SINGLE_LOG_DIR='$state/single/data'"
      echo "export FERROKAFKA_SSL_BOOTSTRAP=127.0.0.1:$SINGLE_SSL"
      echo "export FERROKAFKA_MTLS_BOOTSTRAP=127.0.0.1:$SINGLE_MTLS"
      echo "export FERROKAFKA_SASL_SSL_BOOTSTRAP=127.0.0.1:$SINGLE_SASL_SSL"
      echo "export FERROKAFKA_SSL_BADNAME_BOOTSTRAP=127.0.0.1:$SINGLE_BADNAME"
      echo "export FERROKAFKA_OIDC_BOOTSTRAP=127.0.0.1:$SINGLE_OIDC"
      echo "export FERROKAFKA_OIDC_TOKEN_URL=https://127.0.0.1:$OIDC_TOKEN_PORT/token"
      echo "export FERROKAFKA_OIDC_CLIENT_ID=$OIDC_CLIENT_ID"
      echo "export FERROKAFKA_OIDC_BAD_CLIENT_ID=$OIDC_BAD_CLIENT_ID"
      echo "export FERROKAFKA_OIDC_CLIENT_SECRET=$OIDC_CLIENT_SECRET"
      echo "export FERROKAFKA_OIDC_TOKENS_ISSUED='$state/single/oidc/tokens-issued'"
      echo "export FERROKAFKA_SSL_EXPIRED_BOOTSTRAP=127.0.0.1:$SINGLE_EXPIRED"
      echo "export FERROKAFKA_SSL_CA='$state/single/tls/ca.pem'"
      echo "export FERROKAFKA_SSL_OTHER_CA='$state/single/tls/other-ca.pem'"
      echo "export FERROKAFKA_SSL_CLIENT_CERT='$state/single/tls/client.pem'"
      echo "export FERROKAFKA_SSL_CLIENT_KEY='$state/single/tls/client.key'"
      echo "export FERROKAFKA_SSL_CLIENT_KEY_ENCRYPTED='$state/single/tls/client-encrypted.key'"
      echo "export FERROKAFKA_SSL_CLIENT_KEY_PASSWORD=$CLIENT_KEY_PASSWORD"
      echo "export FERROKAFKA_SSL_KEYSTORE='$state/single/tls/client.p12'"
      echo "export FERROKAFKA_SSL_KEYSTORE_KEYTOOL='$state/single/tls/client-keytool.p12'"
      echo "export FERROKAFKA_SSL_TRUSTSTORE='$state/single/tls/truststore.p12'"
      echo "export FERROKAFKA_SSL_STORE_PASSWORD=$STORE_PASSWORD"
    fi
    if [ -f "$state/cluster/node1/pid" ]; then
      echo "export FERROKAFKA_CLUSTER_BOOTSTRAP=127.0.0.1:$CLUSTER_PLAIN_BASE,127.0.0.1:$((CLUSTER_PLAIN_BASE + 1)),127.0.0.1:$((CLUSTER_PLAIN_BASE + 2))"
      echo "export FERROKAFKA_CLUSTER_STATE='$state/cluster'"
    fi
  } >"$envfile"
}

# scripts/kafka-compat.sh sources this file for its functions: stop here then.
if [ "${BASH_SOURCE[0]}" != "$0" ]; then return 0; fi

case "${1:-}" in
  fetch) fetch ;;
  start)
    fetch
    case "${2:-single}" in
      single) start_single ;;
      cluster) start_cluster ;;
      *) log "start single|cluster"; exit 2 ;;
    esac
    write_env ;;
  stop)
    case "${2:-all}" in
      single) stop_dir "$state/single" "$state/single/oidc" ;;
      cluster) stop_dir "$state/cluster/node1" "$state/cluster/node2" "$state/cluster/node3" ;;
      all) stop_dir "$state/single" "$state/single/oidc" "$state/cluster/node1" "$state/cluster/node2" "$state/cluster/node3" ;;
    esac
    write_env ;;
  kill-node|start-node)
    n=${2:-}
    case "$n" in 1|2|3) ;; *) log "$1 1|2|3"; exit 2 ;; esac
    dir=$state/cluster/node$n
    [ -f "$dir/server.properties" ] || { log "no cluster node $n; start the cluster first"; exit 1; }
    if [ "$1" = kill-node ]; then
      pid=$(cat "$dir/pid" 2>/dev/null || true)
      if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
      while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
      log "cluster node $n killed"
    else
      launch "$dir"
      wait_ready "$dir" $((CLUSTER_PLAIN_BASE + n - 1))
      log "cluster node $n ready"
    fi ;;
  env) write_env; echo "$envfile" ;;
  *) sed -n '2,48p' "$0"; exit 2 ;;
esac
