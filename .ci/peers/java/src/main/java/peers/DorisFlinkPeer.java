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
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Drives the published Doris Flink connector ({@code org.apache.doris:flink-doris-connector-1.20})
 * against the emulator's Doris flavor from Flink jobs in a local MiniCluster:
 *
 * <ul>
 *   <li>the exactly-once {@code DorisSink}: 2PC Stream Load, pre-committed at each checkpoint and
 *       committed when it completes, two writers; run again under the same label prefix it must
 *       refuse to start (its first label belongs to a finished load);
 *   <li>the same with a writer failing and the job restarting from its last checkpoint (the
 *       writer aborts what its labels left open, the committer commits restored transactions
 *       again and must be told "already visible"), and with a checkpoint failing after the
 *       writers pre-committed for it (on restart they find the label taken and abort its txn);
 *   <li>2PC and at least once (with {@code sink.enable-delete} on a UNIQUE KEY table) straight to
 *       the BEs listed by {@code /api/backends}, the 2PC commits going to a BE;
 *   <li>the batch writers: {@code sink.enable.batch-mode} on {@code DorisSink} (CSV with hex
 *       separators, and JSON with group commit, which loads without labels) and
 *       {@code DorisBatchSink}.
 * </ul>
 *
 * The other tables are DUPLICATE KEY, so a transaction committed twice, or a batch loaded twice,
 * shows up as extra rows. Arguments: FE HTTP URLs (comma-separated), MySQL port, password.
 */
public final class DorisFlinkPeer {
    private static final String DB = "doris_java";
    private static final int ROWS = 600;

    private DorisFlinkPeer() {}

    /** One Flink job into one table. */
    private record Job(String what, String table, boolean twoPc, boolean batch, boolean batchSink, boolean json,
            long failAt, boolean direct, boolean deletes, String groupCommit) {
        static Job of(String what, String table) {
            return new Job(what, table, false, false, false, false, 0, false, false, null);
        }

        Job with2pc() {
            return new Job(what, table, true, batch, batchSink, true, failAt, direct, deletes, groupCommit);
        }

        Job batch(boolean viaBatchSink) {
            return new Job(what, table, twoPc, true, viaBatchSink, json, failAt, direct, deletes, groupCommit);
        }

        Job asJson() {
            return new Job(what, table, twoPc, batch, batchSink, true, failAt, direct, deletes, groupCommit);
        }

        Job failAt(long id) {
            return new Job(what, table, twoPc, batch, batchSink, json, id, direct, deletes, groupCommit);
        }

        Job directToBackends() {
            return new Job(what, table, twoPc, batch, batchSink, json, failAt, true, deletes, groupCommit);
        }

        Job withDeletes() {
            return new Job(what, table, twoPc, batch, batchSink, true, failAt, direct, true, groupCommit);
        }

        Job groupCommit(String mode) {
            return new Job(what, table, twoPc, batch, batchSink, json, failAt, direct, deletes, mode);
        }
    }

    public static void main(String[] args) throws Exception {
        String fe = args[0].replace("http://", "");
        int mysqlPort = Integer.parseInt(args[1]);
        String password = args[2];
        try (Connection c = Rows.connect(mysqlPort, password)) {
            Rows.exec(c, "CREATE DATABASE " + DB);
            for (String t : List.of("flink_2pc_json", "flink_2pc_restart_json", "flink_2pc_failed_checkpoint_json",
                    "flink_2pc_direct_json", "flink_batch_mode_csv",
                    "flink_batch_group_commit_json", "flink_batch_sink_json")) {
                Rows.exec(c, "CREATE TABLE " + DB + "." + t + " (id BIGINT NOT NULL, name VARCHAR(64),"
                        + " note VARCHAR(64)) DUPLICATE KEY (id) DISTRIBUTED BY HASH(id) BUCKETS 2"
                        + " PROPERTIES ('replication_num' = '1')");
            }
            Rows.exec(c, "CREATE TABLE " + DB + ".flink_deletes_json (id BIGINT NOT NULL, name VARCHAR(64),"
                    + " note VARCHAR(64)) UNIQUE KEY (id) DISTRIBUTED BY HASH(id) BUCKETS 2"
                    + " PROPERTIES ('replication_num' = '1', 'enable_unique_key_merge_on_write' = 'true')");
            List<Rows.Row> expected = Rows.make(1, ROWS, false);

            Job twoPc = Job.of("exactly-once DorisSink (2PC)", "flink_2pc_json").with2pc();
            if (run(fe, password, twoPc)) {
                Rows.expect(c, "Flink DorisSink 2PC, checkpointed, JSON", DB + ".flink_2pc_json", expected);
                // The same job again, not restored: its first label is taken by a finished load
                // (ExistingJobStatus FINISHED), so the writer refuses to start.
                System.out.println("next: a job that must refuse to start (its failure may be logged)");
                String refusal = null;
                try {
                    run(fe, password, twoPc);
                } catch (Exception e) {
                    refusal = Rows.messages(e);
                }
                Rows.check(refusal != null && refusal.contains("load job finished"),
                        "a second run with the same label prefix refuses to start: " + refusal);
                System.out.println("ok: a second 2PC run with the same label prefix refuses to start");
                Rows.expect(c, "the refused run loaded nothing", DB + ".flink_2pc_json", expected);
            }

            System.out.println("next: a job that fails once on purpose (an interrupted upload may be logged)");
            if (run(fe, password, Job.of("exactly-once DorisSink (2PC), failing once", "flink_2pc_restart_json")
                    .with2pc().failAt(250))) {
                Rows.check(Encode.FAILED.get(), "the failing job did fail once");
                Rows.expect(c, "Flink DorisSink 2PC after a failure and restart", DB + ".flink_2pc_restart_json",
                        expected);
            }

            // Checkpoint 3 fails after the writers pre-committed for it: on restart each writer
            // finds its label for checkpoint 3 taken ("Label Already Exists" naming the txn) and
            // aborts that transaction before loading again.
            if (run(fe, password, Job.of("exactly-once DorisSink (2PC), a checkpoint failing once",
                    "flink_2pc_failed_checkpoint_json").with2pc().failAt(-3))) {
                Rows.check(Encode.FAILED.get(), "the failing job did fail once");
                Rows.expect(c, "Flink DorisSink 2PC after a failed checkpoint",
                        DB + ".flink_2pc_failed_checkpoint_json", expected);
            }

            // With auto-redirect off the writers load straight to a BE from /api/backends, and the
            // committer sends its commits to that BE's /api/{db}/_stream_load_2pc.
            if (run(fe, password, Job.of("exactly-once DorisSink (2PC), straight to the BEs", "flink_2pc_direct_json")
                    .with2pc().directToBackends())) {
                Rows.expect(c, "Flink DorisSink 2PC, auto-redirect off", DB + ".flink_2pc_direct_json", expected);
            }

            // Rows ROWS+1..ROWS+60 carry the delete sign for ids 1..60, after their inserts.
            if (run(fe, password, Job.of("at-least-once DorisSink with deletes, straight to the BEs",
                    "flink_deletes_json").withDeletes().directToBackends())) {
                Rows.expect(c, "Flink DorisSink 2PC off, sink.enable-delete, auto-redirect off",
                        DB + ".flink_deletes_json", expected.subList(60, ROWS));
            }

            if (run(fe, password, Job.of("DorisSink batch mode", "flink_batch_mode_csv").batch(false))) {
                Rows.expect(c, "Flink DorisSink sink.enable.batch-mode, CSV (\\x01, \\x02)",
                        DB + ".flink_batch_mode_csv", expected);
            }

            if (run(fe, password, Job.of("DorisSink batch mode, group commit", "flink_batch_group_commit_json")
                    .batch(false).asJson().groupCommit("sync_mode"))) {
                Rows.expect(c, "Flink DorisSink sink.enable.batch-mode, group_commit=sync_mode, JSON",
                        DB + ".flink_batch_group_commit_json", expected);
            }

            if (run(fe, password, Job.of("DorisBatchSink", "flink_batch_sink_json").batch(true).asJson())) {
                Rows.expect(c, "Flink DorisBatchSink, JSON", DB + ".flink_batch_sink_json", expected);
            }
        }
        System.out.println("doris flink peer: all checks passed");
    }

    /** Runs the job, unless {@code -Dpeers.only=TABLE} names another (for debugging one job). */
    private static boolean run(String fe, String password, Job job) throws Exception {
        String only = System.getProperty("peers.only");
        if (only != null && !only.equals(job.table)) {
            return false;
        }
        Properties load = new Properties();
        if (job.json) {
            load.setProperty("format", "json");
            load.setProperty("read_json_by_line", "true");
        } else {
            load.setProperty("format", "csv");
            // Hex separators, so values may hold tabs and newlines.
            load.setProperty("column_separator", "\\x01");
            load.setProperty("line_delimiter", "\\x02");
        }
        if (job.groupCommit != null) {
            load.setProperty("group_commit", job.groupCommit);
        }
        DorisOptions.Builder options = DorisOptions.builder()
                .setFenodes(fe)
                .setTableIdentifier(DB + "." + job.table)
                .setUsername("root")
                .setPassword(password);
        if (job.direct) {
            options.setAutoRedirect(false);
        }
        DorisExecutionOptions.Builder exec = DorisExecutionOptions.builder()
                .setLabelPrefix("java-" + job.table.replace('_', '-'))
                .setDeletable(job.deletes)
                .setStreamLoadProp(load)
                .setCheckInterval(100)
                .setMaxRetries(0);
        if (job.twoPc) {
            exec.enable2PC();
        } else {
            exec.disable2PC();
        }
        if (job.batch) {
            exec.setBatchMode(true).setBufferFlushMaxRows(10000).setBufferFlushIntervalMs(1000);
        }
        Sink<String> sink;
        if (job.batchSink) {
            sink = DorisBatchSink.<String>builder()
                    .setDorisOptions(options.build())
                    .setDorisReadOptions(DorisReadOptions.builder().build())
                    .setDorisExecutionOptions(exec.build())
                    .setSerializer(new SimpleStringSerializer())
                    .build();
        } else {
            sink = DorisSink.<String>builder()
                    .setDorisOptions(options.build())
                    .setDorisReadOptions(DorisReadOptions.builder().build())
                    .setDorisExecutionOptions(exec.build())
                    .setSerializer(new SimpleStringSerializer())
                    .build();
        }

        Encode.FAILED.set(false);
        Configuration conf = new Configuration();
        conf.setString("restart-strategy.type", "fixed-delay");
        conf.setString("restart-strategy.fixed-delay.attempts", "2");
        conf.setString("restart-strategy.fixed-delay.delay", "100 ms");
        // The deletes must reach Doris after the inserts they undo: one writer keeps the order.
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(job.deletes ? 1 : 2, conf);
        if (!job.batch) {
            // Several checkpoints per job: the 2PC writers pre-commit at each, the at-least-once
            // writer loads at each. The batch writers flush on their own interval instead (a
            // checkpoint would flush too, and a sync group commit waits for its window each time).
            env.enableCheckpointing(200);
        }
        env.fromSequence(1, job.deletes ? ROWS + 60 : ROWS)
                .map(new Encode(job.json, job.failAt, job.deletes))
                .sinkTo(sink);
        long start = System.nanoTime();
        env.execute("streamload-emulator " + job.what);
        System.out.printf("ran: %s into %s in %d ms%n", job.what, job.table, (System.nanoTime() - start) / 1_000_000);
        return true;
    }

    /**
     * Encodes one generated row, slowly: the job runs for over a second, so the checkpointed jobs
     * take several checkpoints and the batch writers flush on their 1 s interval more than once.
     */
    static final class Encode implements MapFunction<Long, String>, CheckpointedFunction {
        /** Set by the first failure; the MiniCluster runs in this JVM, so a restart sees it. */
        static final AtomicBoolean FAILED = new AtomicBoolean();
        private final boolean json;
        private final long failAt;
        private final boolean deletes;

        Encode(boolean json, long failAt, boolean deletes) {
            this.json = json;
            this.failAt = failAt;
            this.deletes = deletes;
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
            Thread.sleep(deletes ? 2 : 5);
            if (id == failAt && !FAILED.getAndSet(true)) {
                throw new IllegalStateException("planned failure at row " + id);
            }
            if (deletes) {
                boolean delete = id > ROWS;
                Rows.Row row = Rows.make(delete ? id - ROWS : id, 1, false).get(0);
                String j = row.json();
                return j.substring(0, j.length() - 1) + ",\"__DORIS_DELETE_SIGN__\":" + (delete ? 1 : 0) + "}";
            }
            Rows.Row row = Rows.make(id, 1, false).get(0);
            return json ? row.json() : row.csv("\u0001");
        }
    }
}
