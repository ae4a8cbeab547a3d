#!/usr/bin/env bash
# Loads into the emulator with the vendors' Java clients, as published on Maven Central (the
# harness in .ci/peers/java drives them; no connector code is copied): the StarRocks stream-load
# SDK in each of its modes (V1 Stream Load, V2 transaction stream load, auto and exactly-once
# commits; the published SDK has no merge commit), the StarRocks Flink connector's V1 and V2
# sinks (exactly once, also across a failure and restart), and the Doris Flink connector's 2PC
# DorisSink and batch writers, each Flink job in a local MiniCluster. Each peer reads its rows
# back over the MySQL port with Connector/J and fails on any difference. Maven's local
# repository and the builds live under target/java-peers, so a second run resolves nothing.
# EMU_BIN=path runs an emulator binary already built instead of building one.
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
# Two Maven projects: the SDK and Doris peers, and the StarRocks Flink connector (which bundles
# its own copy of the SDK's classes and wants another Flink).
for project in main:.ci/peers/java/pom.xml sr-flink:.ci/peers/java/starrocks-flink/pom.xml; do
    name=${project%%:*}
    mvn -q -B -f "${project#*:}" -Dmaven.repo.local="$work/m2" -Dpeers.build.dir="$work/build-$name" \
        compile dependency:build-classpath -Dmdep.outputFile="$work/cp-$name.txt"
done
jvm() {
    local name=$1
    shift
    # The opens Flink's own launcher passes on Java 17 (its Kryo serializes JDK collections).
    java -Xmx1g --add-opens java.base/java.util=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED \
        -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.apache.flink=error \
        -Dorg.slf4j.simpleLogger.log.org.apache.doris=error -Dorg.slf4j.simpleLogger.log.com.starrocks=error \
        -cp "$work/build-$name/classes:$(cat "$work/cp-$name.txt")" "$@"
}
echo "java harness ready after $((SECONDS - started)) s"

emu_start sr --flavor starrocks --frontends 2 --backends 3
jvm main peers.StarRocksSdkPeer "$sr_FE" "$sr_MYSQL_PORT"
jvm sr-flink peers.StarRocksFlinkPeer "$sr_FE" "$sr_MYSQL_PORT"

emu_start doris --flavor doris --password pw --frontends 2 --backends 3
jvm main peers.DorisFlinkPeer "$doris_FE" "$doris_MYSQL_PORT" pw

echo "emulator_java_peers: all checks passed in $((SECONDS - started)) s"
