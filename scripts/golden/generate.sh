#!/usr/bin/env bash
# Regenerates the golden vectors with Kafka's own classes (the jars
# scripts/kafka.sh resolves from Maven Central):
#   protocol/tests/data/golden/   every message (MessageVectors.java)
#   protocol/tests/data/records/  record batches (RecordBatchVectors.java)
# and reseeds the fuzz corpus from them. The vectors are committed; tests
# never run Java.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/kafka.sh" fetch
libs="$root/.cache/kafka-4.3.1/libs"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
javac -d "$build" -cp "$libs/*" "$root"/scripts/golden/*.java
rm -rf "$root/protocol/tests/data/golden"
java -cp "$build:$libs/*" MessageVectors "$root/protocol/tests/data/golden"
java -cp "$build:$libs/*" RecordBatchVectors "$root/protocol/tests/data/records"
python3 "$root/scripts/fuzz-seeds.py"
