package peers;

import java.sql.Connection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.doris.flink.cfg.DorisExecutionOptions;
import org.apache.doris.flink.cfg.DorisOptions;
import org.apache.doris.flink.cfg.DorisReadOptions;
import org.apache.doris.flink.sink.DorisSink;
import org.apache.doris.flink.sink.batch.DorisBatchSink;
import org.apache.doris.flink.sink.writer.serializer.SimpleStringSerializer;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Drives the published Doris Flink connector ({@code org.apache.doris:flink-doris-connector-1.20})
 * against the emulator's Doris flavor from a Flink job in a local MiniCluster: the exactly-once
 * {@code DorisSink} (2PC Stream Load, pre-committed at each checkpoint and committed when the
 * checkpoint completes, two writers; once more with a writer failing and the job restarting from
 * its last checkpoint), and the batch writers ({@code sink.enable.batch-mode} on
 * {@code DorisSink}, and {@code DorisBatchSink}). The tables are DUPLICATE KEY so a transaction
 * committed twice, or a batch loaded twice, shows up as extra rows.
 *
 * <p>Arguments: FE host:port, MySQL port, password.
 */
public final class DorisFlinkPeer {
    private static final String DB = "doris_java";
    private static final int ROWS = 600;

    private DorisFlinkPeer() {}

    public static void main(String[] args) throws Exception {
        String fe = args[0];
        int mysqlPort = Integer.parseInt(args[1]);
        String password = args[2];
        try (Connection c = Rows.connect(mysqlPort, password)) {
            Rows.exec(c, "CREATE DATABASE " + DB);
            for (String t : List.of("flink_2pc_json", "flink_2pc_restart_json", "flink_batch_mode_csv",
                    "flink_batch_sink_json")) {
                Rows.exec(c, "CREATE TABLE " + DB + "." + t + " (id BIGINT NOT NULL, name VARCHAR(64),"
                        + " note VARCHAR(64)) DUPLICATE KEY (id) DISTRIBUTED BY HASH(id) BUCKETS 2"
                        + " PROPERTIES ('replication_num' = '1')");
            }
            List<Rows.Row> expected = Rows.make(1, ROWS, false);
            List<Rows.Row> expectedCsv = Rows.make(1, ROWS, true);

            run("exactly-once DorisSink (2PC)", fe, password, "flink_2pc_json", true, false, false, 0);
            Rows.expect(c, "Flink DorisSink 2PC, checkpointed, JSON", DB + ".flink_2pc_json", expected);

            // One writer fails mid-stream: Flink restores the last checkpoint, the writer aborts
            // the transactions its labels left open, the committer commits the restored ones
            // again (the emulator answers "already visible"), the source replays the rest.
            System.out.println("next: a job that fails once on purpose (an interrupted upload may be logged)");
            run("exactly-once DorisSink (2PC), failing once", fe, password, "flink_2pc_restart_json", true, false,
                    false, 250);
            Rows.check(Encode.FAILED.get(), "the failing job did fail once");
            Rows.expect(c, "Flink DorisSink 2PC after a failure and restart", DB + ".flink_2pc_restart_json",
                    expected);

            run("DorisSink batch mode", fe, password, "flink_batch_mode_csv", false, true, false, 0);
            Rows.expect(c, "Flink DorisSink sink.enable.batch-mode, CSV", DB + ".flink_batch_mode_csv",
                    expectedCsv);

            run("DorisBatchSink", fe, password, "flink_batch_sink_json", false, true, true, 0);
            Rows.expect(c, "Flink DorisBatchSink, JSON", DB + ".flink_batch_sink_json", expected);
        }
        System.out.println("doris flink peer: all checks passed");
    }

    private static void run(String what, String fe, String password, String table, boolean twoPc,
            boolean batch, boolean json, long failAt) throws Exception {
        boolean asJson = json || twoPc;
        Properties load = new Properties();
        if (asJson) {
            load.setProperty("format", "json");
            load.setProperty("read_json_by_line", "true");
        } else {
            load.setProperty("format", "csv");
            load.setProperty("column_separator", "\\x01");
        }
        DorisOptions options = DorisOptions.builder()
                .setFenodes(fe)
                .setTableIdentifier(DB + "." + table)
                .setUsername("root")
                .setPassword(password)
                .build();
        DorisExecutionOptions.Builder exec = DorisExecutionOptions.builder()
                .setLabelPrefix("java-" + table.replace('_', '-'))
                .setDeletable(false)
                .setStreamLoadProp(load)
                .setCheckInterval(100)
                .setMaxRetries(0);
        if (twoPc) {
            exec.enable2PC();
        } else {
            exec.disable2PC();
        }
        if (batch) {
            exec.setBatchMode(true).setBufferFlushMaxRows(10000).setBufferFlushIntervalMs(1000);
        }
        Sink<String> sink;
        if (batch && json) {
            sink = DorisBatchSink.<String>builder()
                    .setDorisOptions(options)
                    .setDorisReadOptions(DorisReadOptions.builder().build())
                    .setDorisExecutionOptions(exec.build())
                    .setSerializer(new SimpleStringSerializer())
                    .build();
        } else {
            sink = DorisSink.<String>builder()
                    .setDorisOptions(options)
                    .setDorisReadOptions(DorisReadOptions.builder().build())
                    .setDorisExecutionOptions(exec.build())
                    .setSerializer(new SimpleStringSerializer())
                    .build();
        }

        Configuration conf = new Configuration();
        conf.setString("restart-strategy.type", "fixed-delay");
        conf.setString("restart-strategy.fixed-delay.attempts", "2");
        conf.setString("restart-strategy.fixed-delay.delay", "100 ms");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, conf);
        if (twoPc) {
            // A slow source and a short interval: several checkpoints, so several transactions
            // pre-committed by each writer and committed once the checkpoint completes; the last
            // rows are committed by the checkpoint taken when the bounded source finishes.
            env.enableCheckpointing(200);
        }
        env.fromSequence(1, ROWS)
                .map(new Encode(asJson, failAt))
                .sinkTo(sink);
        long start = System.nanoTime();
        env.execute("streamload-emulator " + what);
        System.out.printf("ran: %s into %s in %d ms%n", what, table, (System.nanoTime() - start) / 1_000_000);
    }

    /**
     * Encodes one generated row, slowly: the job runs for over a second, so the checkpointed job
     * takes several checkpoints and the batch writers flush on their 1 s interval more than once.
     */
    static final class Encode implements MapFunction<Long, String> {
        /** Set by the first failure; the MiniCluster runs in this JVM, so a restart sees it. */
        static final AtomicBoolean FAILED = new AtomicBoolean();
        private final boolean json;
        private final long failAt;

        Encode(boolean json, long failAt) {
            this.json = json;
            this.failAt = failAt;
        }

        @Override
        public String map(Long id) throws Exception {
            Thread.sleep(5);
            if (id == failAt && !FAILED.getAndSet(true)) {
                throw new IllegalStateException("planned failure at row " + id);
            }
            Rows.Row row = Rows.make(id, 1, !json).get(0);
            return json ? row.json() : row.csv("\u0001");
        }
    }
}
