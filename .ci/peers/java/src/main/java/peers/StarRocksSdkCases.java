package peers;

import com.starrocks.data.load.stream.StreamLoadDataFormat;
import com.starrocks.data.load.stream.properties.StreamLoadTableProperties;
import com.starrocks.data.load.stream.v2.StreamLoadManagerV2;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;

/**
 * The StarRocks SDK against the emulator off the happy path, where a client depends on the exact
 * answer: a label used twice (the SDK takes "Label Already Exists" with {@code ExistingJobStatus}
 * FINISHED as its own earlier success), a load that fails on bad data (the SDK fetches the
 * {@code ErrorURL} and puts the error log in its exception), upserts and deletes through
 * {@code __op}, and a partial update.
 */
final class StarRocksSdkCases {
    private static final String DB = StarRocksSdkPeer.DB;

    private StarRocksSdkCases() {}

    static void run(Connection c, String fe, int mysqlPort) throws Exception {
        Rows.exec(c, "CREATE TABLE " + DB + ".label_twice (id BIGINT NOT NULL, name VARCHAR(64), note VARCHAR(64))"
                + " DUPLICATE KEY (id) DISTRIBUTED BY HASH(id) BUCKETS 2 PROPERTIES ('replication_num' = '1')");
        for (String t : List.of("bad_rows", "upsert_delete", "partial_update")) {
            Rows.exec(c, "CREATE TABLE " + DB + "." + t + " (id BIGINT NOT NULL, name VARCHAR(64),"
                    + " note VARCHAR(64)) PRIMARY KEY (id) DISTRIBUTED BY HASH(id) BUCKETS 2"
                    + " PROPERTIES ('replication_num' = '1')");
        }
        labelTwice(c, fe, mysqlPort);
        badRows(c, fe, mysqlPort);
        upsertDelete(c, fe, mysqlPort);
        partialUpdate(c, fe, mysqlPort);
    }

    private static StreamLoadTableProperties.Builder json(String table, String columns) {
        return StreamLoadTableProperties.builder()
                .database(DB)
                .table(table)
                .columns(columns)
                // Without a chunk limit the SDK 1.0 sends one row per load.
                .chunkLimit(1 << 20)
                .streamLoadDataFormat(StreamLoadDataFormat.JSON)
                .addProperty("format", "json")
                .addProperty("strip_outer_array", "true");
    }

    /** Writes the lines in one flush through a V1 manager; returns the SDK's failure, if any. */
    private static Throwable load(String fe, int mysqlPort, StreamLoadTableProperties table, String label,
            List<String> lines) {
        StreamLoadManagerV2 m = new StreamLoadManagerV2(StarRocksSdkPeer.props(fe, mysqlPort, table, false), true);
        if (label != null) {
            m.setLabelGeneratorFactory((db, t) -> () -> label);
        }
        m.init();
        try {
            // One write call: every line goes into one buffer, so one flush sends one load.
            m.write(null, DB, table.getTable(), lines.toArray(new String[0]));
            m.flush();
        } catch (RuntimeException e) {
            return e;
        } finally {
            m.close();
        }
        return m.getException();
    }

    private static void labelTwice(Connection c, String fe, int mysqlPort) throws Exception {
        List<Rows.Row> rows = Rows.make(1, 50, false);
        List<String> lines = List.of(StarRocksSdkPeer.encode(rows, true));
        StreamLoadTableProperties table = json("label_twice", "id,name,note").build();
        Throwable first = load(fe, mysqlPort, table, "java-fixed-label-1", lines);
        Rows.check(first == null, "first load with a fixed label: " + first);
        // The same label again, as after a lost answer: FINISHED, so the SDK counts it done.
        Throwable second = load(fe, mysqlPort, table, "java-fixed-label-1", lines);
        Rows.check(second == null, "second load with the same label is taken as done: " + second);
        Rows.expect(c, "a label loaded twice applies once (DUPLICATE KEY)", DB + ".label_twice", rows);
    }

    private static void badRows(Connection c, String fe, int mysqlPort) throws Exception {
        StreamLoadTableProperties table = json("bad_rows", "id,name,note").addProperty("max_filter_ratio", "0")
                .build();
        List<String> lines = List.of("{\"id\":1,\"name\":\"ok\",\"note\":\"a\"}",
                "{\"id\":\"not-a-number\",\"name\":\"bad\",\"note\":\"b\"}");
        System.out.println("next: a load that must fail on a bad row (the SDK logs its error)");
        Throwable failure = load(fe, mysqlPort, table, null, lines);
        Rows.check(failure != null, "a load with a bad row and max_filter_ratio 0 fails");
        String text = Rows.messages(failure);
        System.out.println("SDK failure for a bad row: " + text.replace('\n', ' ').substring(0, Math.min(600,
                text.length())));
        Rows.check(text.contains("errorLog:"), "the SDK's failure carries the error log");
        Rows.check(text.contains("not-a-number"), "the error log fetched from ErrorURL names the bad value");
        Rows.expect(c, "a failed load leaves nothing", DB + ".bad_rows", List.of());
    }

    private static void upsertDelete(Connection c, String fe, int mysqlPort) throws Exception {
        StreamLoadTableProperties table = json("upsert_delete", "id,name,note,__op").enableUpsertDelete(true)
                .build();
        List<Rows.Row> rows = Rows.make(1, 100, false);
        List<String> lines = new ArrayList<>();
        for (Rows.Row r : rows) {
            lines.add(withOp(r, 0));
        }
        Rows.check(load(fe, mysqlPort, table, null, lines) == null, "upsert load");
        List<String> second = new ArrayList<>();
        List<Rows.Row> expected = new ArrayList<>();
        for (Rows.Row r : rows) {
            if (r.id() % 4 == 0) {
                second.add(withOp(r, 1));
            } else if (r.id() % 4 == 1) {
                Rows.Row changed = new Rows.Row(r.id(), r.name() + " v2", null);
                second.add(withOp(changed, 0));
                expected.add(changed);
            } else {
                expected.add(r);
            }
        }
        Rows.check(load(fe, mysqlPort, table, null, second) == null, "upsert and delete load");
        Rows.expect(c, "__op upserts and deletes on a PRIMARY KEY table", DB + ".upsert_delete", expected);
    }

    private static void partialUpdate(Connection c, String fe, int mysqlPort) throws Exception {
        List<Rows.Row> rows = Rows.make(1, 60, false);
        StreamLoadTableProperties full = json("partial_update", "id,name,note").build();
        Rows.check(load(fe, mysqlPort, full, null, List.of(StarRocksSdkPeer.encode(rows, true))) == null,
                "full rows before the partial update");
        StreamLoadTableProperties partial = json("partial_update", "id,note").addProperty("partial_update", "true")
                .build();
        List<String> lines = new ArrayList<>();
        List<Rows.Row> expected = new ArrayList<>();
        for (Rows.Row r : rows) {
            if (r.id() % 2 == 0) {
                lines.add("{\"id\":" + r.id() + ",\"note\":\"patched " + r.id() + "\"}");
                expected.add(new Rows.Row(r.id(), r.name(), "patched " + r.id()));
            } else {
                expected.add(r);
            }
        }
        Rows.check(load(fe, mysqlPort, partial, null, lines) == null, "partial update load");
        Rows.expect(c, "partial_update keeps the columns not sent", DB + ".partial_update", expected);
    }

    private static String withOp(Rows.Row r, int op) {
        String j = r.json();
        return j.substring(0, j.length() - 1) + ",\"__op\":" + op + "}";
    }
}
