#!/usr/bin/env bash
# Regenerates protocol/tests/data/golden/ with Kafka's own classes (the
# jars scripts/kafka.sh resolves). The vectors are committed; tests never
# run Java.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/kafka.sh" fetch
libs="$root/.cache/kafka-4.3.1/libs"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
javac -d "$build" -cp "$libs/*" "$root/scripts/golden/MessageVectors.java"
out="$root/protocol/tests/data/golden"
rm -rf "$out"
java -cp "$build:$libs/*" MessageVectors "$out"
