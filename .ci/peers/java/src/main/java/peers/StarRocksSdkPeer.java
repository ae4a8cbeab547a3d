package peers;

import com.starrocks.data.load.stream.StreamLoadDataFormat;
import com.starrocks.data.load.stream.StreamLoadSnapshot;
import com.starrocks.data.load.stream.properties.StreamLoadProperties;
import com.starrocks.data.load.stream.properties.StreamLoadTableProperties;
import com.starrocks.data.load.stream.v2.StreamLoadManagerV2;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;

/**
 * Drives the published StarRocks stream-load SDK ({@code com.starrocks:starrocks-stream-load-sdk})
 * against the emulator's StarRocks flavor in each mode the SDK has: the V2 manager over plain
 * Stream Load (CSV, JSON, LZ4-compressed JSON), and over the transaction API, committing by itself
 * or through the exactly-once calls a Flink sink makes (flush, snapshot, prepare, then commit or
 * abort). Rows are read back over the MySQL port. The SDK 1.0's older {@code
 * DefaultStreamLoadManager} is left out: its table regions throw on {@code getHeaders()} before
 * any request is sent, a client bug no server can answer.
 *
 * <p>Arguments: FE HTTP URLs (comma-separated), MySQL port.
 */
public final class StarRocksSdkPeer {
    static final String DB = "sr_java";

    private StarRocksSdkPeer() {}

    public static void main(String[] args) throws Exception {
        String fe = args[0];
        int mysqlPort = Integer.parseInt(args[1]);
        try (Connection c = Rows.connect(mysqlPort, "")) {
            Rows.exec(c, "CREATE DATABASE " + DB);
            for (String t : List.of("v2_csv", "v2_json", "v2_json_lz4", "txn_auto_csv",
                    "txn_exactly_once_json")) {
                Rows.exec(c, "CREATE TABLE " + DB + "." + t + " (id BIGINT NOT NULL, name VARCHAR(64),"
                        + " note VARCHAR(64)) PRIMARY KEY (id) DISTRIBUTED BY HASH(id) BUCKETS 2"
                        + " PROPERTIES ('replication_num' = '1')");
            }

            load(c, fe, mysqlPort, "v2_csv", false, false, 700);
            load(c, fe, mysqlPort, "v2_json", false, true, 700);
            load(c, fe, mysqlPort, "v2_json_lz4", false, true, 700);
            load(c, fe, mysqlPort, "txn_auto_csv", true, false, 900);
            exactlyOnce(c, fe, mysqlPort);
            StarRocksSdkCases.run(c, fe, mysqlPort);
        }
        System.out.println("starrocks sdk peer: all checks passed");
    }

    private static StreamLoadTableProperties table(String name, boolean json) {
        StreamLoadTableProperties.Builder b = StreamLoadTableProperties.builder()
                .database(DB)
                .table(name)
                .columns("id,name,note")
                // Small chunks: a transaction gets several /api/transaction/load calls.
                .chunkLimit(4096);
        if (json) {
            b.streamLoadDataFormat(StreamLoadDataFormat.JSON)
                    .addProperty("format", "json")
                    .addProperty("strip_outer_array", "true");
            if (name.endsWith("lz4")) {
                b.addProperty("compression", "lz4_frame");
            }
        } else {
            b.streamLoadDataFormat(StreamLoadDataFormat.CSV).addProperty("column_separator", "\\x01");
        }
        return b.build();
    }

    private static StreamLoadProperties props(String fe, int mysqlPort, String table, boolean json,
            boolean transaction) {
        return props(fe, mysqlPort, table(table, json), transaction);
    }

    static StreamLoadProperties props(String fe, int mysqlPort, StreamLoadTableProperties table,
            boolean transaction) {
        StreamLoadProperties.Builder b = StreamLoadProperties.builder()
                .loadUrls(fe.split(","))
                .jdbcUrl("jdbc:mysql://127.0.0.1:" + mysqlPort)
                .username("root")
                .password("")
                .labelPrefix("java-" + table.getTable().replace('_', '-'))
                .defaultTableProperties(table)
                .cacheMaxBytes(64L * 1024 * 1024)
                .expectDelayTime(300)
                .scanningFrequency(50)
                .connectTimeout(5000)
                .socketTimeout(30000)
                .maxRetries(0);
        if (transaction) {
            b.enableTransaction();
        }
        return b.build();
    }

    static String[] encode(List<Rows.Row> rows, boolean json) {
        String[] out = new String[rows.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = json ? rows.get(i).json() : rows.get(i).csv("\u0001");
        }
        return out;
    }

    /** Loads {@code count} rows in batches through a manager that commits by itself. */
    private static void load(Connection c, String fe, int mysqlPort, String table, boolean transaction,
            boolean json, int count) throws Exception {
        List<Rows.Row> rows = Rows.make(1, count, !json);
        StreamLoadProperties p = props(fe, mysqlPort, table, json, transaction);
        StreamLoadManagerV2 m = new StreamLoadManagerV2(p, true);
        m.init();
        try {
            // Three write calls with a flush between them: each flush is at least one load.
            int third = count / 3;
            List<List<Rows.Row>> parts = List.of(rows.subList(0, third), rows.subList(third, 2 * third),
                    rows.subList(2 * third, count));
            for (List<Rows.Row> part : parts) {
                for (String r : encode(part, json)) {
                    m.write(null, DB, table, r);
                }
                m.flush();
            }
        } finally {
            m.close();
        }
        if (m.getException() != null) {
            throw new RuntimeException("SDK reported a failed load for " + table, m.getException());
        }
        Rows.expect(c, (transaction ? "transaction stream load" : "stream load")
                + (json ? ", JSON" : ", CSV"), DB + "." + table, rows);
    }

    /** Flush, snapshot and prepare like a checkpoint, check nothing shows, then commit; then abort. */
    private static void exactlyOnce(Connection c, String fe, int mysqlPort) throws Exception {
        String table = "txn_exactly_once_json";
        StreamLoadManagerV2 m = new StreamLoadManagerV2(props(fe, mysqlPort, table, true, true), false);
        m.init();
        List<Rows.Row> committed = new ArrayList<>();
        try {
            for (int checkpoint = 0; checkpoint < 3; checkpoint++) {
                List<Rows.Row> rows = Rows.make(1 + checkpoint * 400L, 400, false);
                for (String r : encode(rows, true)) {
                    m.write(null, DB, table, r);
                }
                m.flush();
                StreamLoadSnapshot snapshot = m.snapshot();
                Rows.check(m.prepare(snapshot), "prepare of checkpoint " + checkpoint);
                Rows.expect(c, "exactly-once, prepared, not yet visible (checkpoint " + checkpoint + ")",
                        DB + "." + table, committed);
                if (checkpoint == 1) {
                    Rows.check(m.abort(snapshot), "abort of checkpoint " + checkpoint);
                } else {
                    Rows.check(m.commit(snapshot), "commit of checkpoint " + checkpoint);
                    committed.addAll(rows);
                }
                Rows.expect(c, "exactly-once, after checkpoint " + checkpoint
                        + (checkpoint == 1 ? " aborted" : " committed"), DB + "." + table, committed);
            }
        } finally {
            m.close();
        }
        if (m.getException() != null) {
            throw new RuntimeException("SDK reported a failed load for " + table, m.getException());
        }
    }
}
