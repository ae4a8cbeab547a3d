package peers;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Rows the peers load and the checks that read them back over the emulator's MySQL port with
 * MySQL Connector/J. Every table has the same shape, {@code (id BIGINT, name VARCHAR, note
 * VARCHAR NULL)}; the values carry separators, quotes, backslashes, non-ASCII text, empty
 * strings and NULLs so a client that encodes them wrongly, or an emulator that parses them
 * wrongly, shows up as a mismatch rather than a load error.
 */
final class Rows {
    private Rows() {}

    /** One row as the check expects it back; {@code note} may be null. */
    record Row(long id, String name, String note) {
        String csv(String sep) {
            return id + sep + name + sep + (note == null ? "\\N" : note);
        }

        String json() {
            return "{\"id\":" + id + ",\"name\":" + quote(name) + ",\"note\":"
                    + (note == null ? "null" : quote(note)) + "}";
        }

        String show() {
            return id + "|" + name + "|" + (note == null ? "NULL" : note);
        }
    }

    /** Rows {@code from..from+count-1}; {@code csvSafe} leaves out tabs and newlines. */
    static List<Row> make(long from, int count, boolean csvSafe) {
        List<Row> rows = new ArrayList<>();
        for (long id = from; id < from + count; id++) {
            String name;
            switch ((int) (id % 6)) {
                case 0 -> name = "plain-" + id;
                case 1 -> name = "quote\"d, comma " + id;
                case 2 -> name = "Zürich ☃ " + id;
                case 3 -> name = "";
                case 4 -> name = "back\\slash " + id;
                default -> name = csvSafe ? "pipe|" + id : "tab\tand\nnewline " + id;
            }
            String note = id % 5 == 0 ? null : "n" + (id * 7);
            rows.add(new Row(id, name, note));
        }
        return rows;
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }

    static Connection connect(int mysqlPort, String password) throws SQLException {
        String url = "jdbc:mysql://127.0.0.1:" + mysqlPort
                + "/?useSSL=false&allowPublicKeyRetrieval=true&connectTimeout=5000";
        return DriverManager.getConnection(url, "root", password);
    }

    static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static List<Row> read(Connection c, String table) throws SQLException {
        List<Row> got = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT id, name, note FROM " + table + " ORDER BY id")) {
            while (rs.next()) {
                got.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3)));
            }
        }
        return got;
    }

    /** Fails (exit 1) unless {@code table} holds exactly {@code expected}, in id order. */
    static void expect(Connection c, String what, String table, List<Row> expected) throws SQLException {
        List<Row> got = read(c, table);
        if (!got.equals(expected)) {
            System.out.println("FAIL: " + what + ": " + table + " holds " + got.size() + " rows, expected "
                    + expected.size());
            int shown = 0;
            for (int i = 0; i < Math.max(got.size(), expected.size()) && shown < 5; i++) {
                String g = i < got.size() ? got.get(i).show() : "(none)";
                String e = i < expected.size() ? expected.get(i).show() : "(none)";
                if (!g.equals(e)) {
                    System.out.println("  row " + i + ": got [" + g + "] expected [" + e + "]");
                    shown++;
                }
            }
            System.exit(1);
        }
        System.out.println("ok: " + what + ": " + got.size() + " rows exact in " + table);
    }

    static void check(boolean cond, String what) {
        if (!cond) {
            System.out.println("FAIL: " + what);
            System.exit(1);
        }
    }

    /** Every message down a cause chain, one a line. */
    static String messages(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable e = t; e != null; e = e.getCause()) {
            b.append(e).append('\n');
        }
        return b.toString();
    }
}
