#!/usr/bin/env bash
# Loads into the emulator with the vendors' Java clients, as published on Maven Central (the
# harness in .ci/peers/java drives them; no connector code is copied): the StarRocks stream-load
# SDK in each of its modes (V1 Stream Load, V2 transaction stream load, auto and exactly-once
# commits) and the Doris Flink connector's 2PC DorisSink and batch writers in a local Flink
# MiniCluster. Each peer reads its rows back over the MySQL port with Connector/J and fails on any
# difference. Maven's local repository and the build live under target/java-peers, so a second
# run resolves nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
    echo "SKIP: emulator_java_peers needs java and mvn on PATH"
    exit 0
fi
source .ci/peers/emulator_lib.bash
started=$SECONDS
if [ -n "${EMU_BIN:-}" ]; then
    echo "using the emulator binary given in EMU_BIN"
else
    emu_build
fi

work=$(cargo metadata --format-version 1 --no-deps 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/java-peers
mvn -q -B -f .ci/peers/java/pom.xml -Dmaven.repo.local="$work/m2" -Dpeers.build.dir="$work/build" \
    compile dependency:build-classpath -Dmdep.outputFile="$work/cp.txt"
cp="$work/build/classes:$(cat "$work/cp.txt")"
jvm=(java -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.apache.flink=error -Dorg.slf4j.simpleLogger.log.org.apache.doris=error -cp "$cp")
echo "java harness ready after $((SECONDS - started)) s"

emu_start sr --flavor starrocks
"${jvm[@]}" peers.StarRocksSdkPeer "$sr_FE" "$sr_MYSQL_PORT"

emu_start doris --flavor doris --password pw
"${jvm[@]}" peers.DorisFlinkPeer "${doris_FE#http://}" "$doris_MYSQL_PORT" pw

echo "emulator_java_peers: all checks passed in $((SECONDS - started)) s"
