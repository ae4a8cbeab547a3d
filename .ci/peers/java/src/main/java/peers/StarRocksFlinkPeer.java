package peers;

import com.starrocks.connector.flink.StarRocksSink;
import com.starrocks.connector.flink.row.sink.StarRocksSinkRowBuilder;
import com.starrocks.connector.flink.table.sink.StarRocksSinkOptions;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.TableSchema;

/**
 * Drives the published StarRocks Flink connector ({@code com.starrocks:flink-connector-starrocks},
 * built by {@code starrocks-flink/pom.xml}) against the emulator's StarRocks flavor from Flink jobs
 * in a local MiniCluster:
 *
 * <ul>
 *   <li>the V2 sink exactly once (transaction stream load, prepared at each checkpoint and
 *       committed when it completes): plainly, with a writer failing and the job restarting from
 *       its last checkpoint, and with a checkpoint failing after the sink prepared its
 *       transactions for it (on restart the sink finds and aborts what its label prefix left
 *       open);
 *   <li>the V2 sink at least once (CSV with hex separators), and with typed rows through a Flink
 *       schema, which the sink first checks against information_schema (a PRIMARY KEY table);
 *   <li>the older V1 sink, at least once and exactly once across a restart (it loads at each
 *       checkpoint with labels kept in its state and after a restore sends them again: the
 *       server must answer "Label Already Exists", FINISHED).
 * </ul>
 *
 * The other tables are DUPLICATE KEY, so anything applied twice shows up as extra rows.
 *
 * <p>Arguments: FE HTTP URLs (comma-separated), MySQL port.
 */
public final class StarRocksFlinkPeer {
    private static final String DB = "sr_flink";
    private static final int ROWS = 600;

    private StarRocksFlinkPeer() {}

    public static void main(String[] args) throws Exception {
        String fe = args[0];
        int mysqlPort = Integer.parseInt(args[1]);
        try (Connection c = Rows.connect(mysqlPort, "")) {
            Rows.exec(c, "CREATE DATABASE " + DB);
            List<String> tables = List.of("v2_exactly_once", "v2_exactly_once_restart",
                    "v2_exactly_once_failed_checkpoint", "v2_at_least_once", "v1_at_least_once",
                    "v1_exactly_once_restart", "v2_typed_primary_key");
            for (String t : tables) {
                Rows.exec(c, "CREATE TABLE " + DB + "." + t + " (id BIGINT NOT NULL, name VARCHAR(64),"
                        + " note VARCHAR(64)) " + (typed(t) ? "PRIMARY" : "DUPLICATE")
                        + " KEY (id) DISTRIBUTED BY HASH(id) BUCKETS 2 PROPERTIES ('replication_num' = '1')");
            }
            List<Rows.Row> expected = Rows.make(1, ROWS, false);
            String only = System.getProperty("peers.only");
            for (String t : tables) {
                if (only != null && !only.equals(t)) {
                    continue;
                }
                boolean fails = t.endsWith("restart") || t.endsWith("failed_checkpoint");
                if (fails) {
                    System.out.println("next: a job that fails once on purpose (errors may be logged)");
                }
                run(fe, mysqlPort, t);
                if (fails) {
                    Rows.check(Encode.FAILED.get(), "the failing job did fail once");
                }
                Rows.expect(c, "Flink StarRocks sink " + t.replace('_', ' '), DB + "." + t, expected);
            }
        }
        System.out.println("starrocks flink peer: all checks passed");
    }

    private static void run(String fe, int mysqlPort, String table) throws Exception {
        boolean exactlyOnce = table.contains("exactly_once");
        StarRocksSinkOptions.Builder options = StarRocksSinkOptions.builder()
                .withProperty("jdbc-url", "jdbc:mysql://127.0.0.1:" + mysqlPort)
                .withProperty("load-url", fe.replace("http://", "").replace(',', ';'))
                .withProperty("database-name", DB)
                .withProperty("table-name", table)
                .withProperty("username", "root")
                .withProperty("password", "")
                .withProperty("sink.version", table.startsWith("v1") ? "V1" : "V2")
                .withProperty("sink.semantic", exactlyOnce ? "exactly-once" : "at-least-once")
                .withProperty("sink.label-prefix", "java-" + table.replace('_', '-'))
                .withProperty("sink.buffer-flush.interval-ms", "1000")
                .withProperty("sink.max-retries", "0")
                .withProperty("sink.properties.columns", "id,name,note");
        if (csv(table)) {
            // Hex separators, so values may hold tabs and newlines.
            options.withProperty("sink.properties.format", "csv")
                    .withProperty("sink.properties.column_separator", "\\x01")
                    .withProperty("sink.properties.row_delimiter", "\\x02");
        } else {
            options.withProperty("sink.properties.format", "json")
                    .withProperty("sink.properties.strip_outer_array", "true");
        }

        Encode.FAILED.set(false);
        Configuration conf = new Configuration();
        conf.setString("restart-strategy.type", "fixed-delay");
        conf.setString("restart-strategy.fixed-delay.attempts", "2");
        conf.setString("restart-strategy.fixed-delay.delay", "100 ms");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, conf);
        env.enableCheckpointing(200);
        if (typed(table)) {
            // Rows built from a Flink schema: the sink first reads the table's columns and keys
            // from information_schema.COLUMNS (a prepared statement) and checks them against it.
            TableSchema schema = TableSchema.builder()
                    .field("id", DataTypes.BIGINT().notNull())
                    .field("name", DataTypes.VARCHAR(64))
                    .field("note", DataTypes.VARCHAR(64))
                    .primaryKey("id")
                    .build();
            StarRocksSinkRowBuilder<Long> rowBuilder = (slots, id) -> {
                Rows.Row row = Rows.make(id, 1, false).get(0);
                slots[0] = row.id();
                slots[1] = row.name();
                slots[2] = row.note();
            };
            env.fromSequence(1, ROWS).addSink(StarRocksSink.sink(schema, options.build(), rowBuilder));
        } else {
            env.fromSequence(1, ROWS)
                    .map(new Encode(table.endsWith("restart") ? 250 : table.endsWith("failed_checkpoint") ? -3 : 0,
                            csv(table)))
                    .addSink(StarRocksSink.sink(options.build()));
        }
        long start = System.nanoTime();
        env.execute("streamload-emulator starrocks " + table);
        System.out.printf("ran: %s in %d ms%n", table, (System.nanoTime() - start) / 1_000_000);
    }

    /** The job whose rows come typed, through a Flink schema with a primary key. */
    private static boolean typed(String table) {
        return table.equals("v2_typed_primary_key");
    }

    /** The at-least-once V2 job loads CSV; the others JSON. */
    private static boolean csv(String table) {
        return table.equals("v2_at_least_once");
    }

    /** Encodes one generated row as JSON or CSV, slowly, so a job spans several checkpoints. */
    static final class Encode implements MapFunction<Long, String>, CheckpointedFunction {
        /** Set by the first failure; the MiniCluster runs in this JVM, so a restart sees it. */
        static final AtomicBoolean FAILED = new AtomicBoolean();
        private final long failAt;
        private final boolean csv;

        Encode(long failAt, boolean csv) {
            this.failAt = failAt;
            this.csv = csv;
        }

        /** A negative {@code failAt} fails checkpoint {@code -failAt} instead of a row: the sink has
         * pre-committed (prepared) its transaction for it, and the checkpoint never completes. */
        @Override
        public void snapshotState(FunctionSnapshotContext context) {
            if (failAt < 0 && context.getCheckpointId() == -failAt && !FAILED.getAndSet(true)) {
                throw new IllegalStateException("planned failure of checkpoint " + context.getCheckpointId());
            }
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {}

        @Override
        public String map(Long id) throws Exception {
            Thread.sleep(5);
            if (id == failAt && !FAILED.getAndSet(true)) {
                throw new IllegalStateException("planned failure at row " + id);
            }
            Rows.Row row = Rows.make(id, 1, false).get(0);
            return csv ? row.csv("\u0001") : row.json();
        }
    }
}
