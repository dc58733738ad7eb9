#!/usr/bin/env bash
# Regenerates protocol/tests/data/records/java-*.bin with kafka-clients
# (the jars scripts/kafka.sh resolves). Committed; tests never run Java.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/kafka.sh" fetch
libs="$root/.cache/kafka-4.3.1/libs"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
javac -d "$build" -cp "$libs/*" "$root/scripts/golden/RecordBatchVectors.java"
java -cp "$build:$libs/*" RecordBatchVectors "$root/protocol/tests/data/records"
