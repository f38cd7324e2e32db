package dev.cryoprotect.migrate.database.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the catalog shows of the two history tables, this tool's and the Supabase CLI's, looked up together in one
 * query (a round trip saved is a round trip a remote Supabase does not pay on every run) and kept until forgotten:
 * at the run lock, and after anything that changes or may have rolled back a change to them.
 */
final class HistoryShapes {
    /** A table as this user sees it: whether it exists, and its columns' types by name, in column order. */
    record TableShape(boolean exists, Map<String, String> columnTypes) {
        static final TableShape ABSENT = new TableShape(false, Map.of());

        boolean has(String column) {
            return columnTypes.containsKey(column);
        }

        /** The column's type as {@code information_schema} names it ("integer", "text"), or "" without it. */
        String type(String column) {
            return columnTypes.getOrDefault(column, "");
        }

        List<String> columns() {
            return List.copyOf(columnTypes.keySet());
        }
    }

    /*
     * Names are matched exactly, and a column counts only where information_schema.columns would list it: of a table,
     * view or foreign table, to its owner or a role with any privilege on it. So a CLI table this user may not read is
     * one that is not there, and a sequence named as the history exists with no columns. A domain is its base type.
     */
    private static final String QUERY = "SELECT t.which, c.oid IS NOT NULL, a.attname,"
            + " format_type(CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE a.atttypid END, NULL)"
            + " FROM (VALUES (1, ?::text, ?::text), (2, ?::text, ?::text)) AS t(which, nsp, rel)"
            + " LEFT JOIN pg_namespace n ON n.nspname = t.nsp"
            + " LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.rel"
            + " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND c.relkind IN ('r', 'p', 'v', 'f')"
            + " AND a.attnum > 0 AND NOT a.attisdropped"
            + " AND (pg_has_role(c.relowner, 'USAGE') OR has_column_privilege(c.oid, a.attnum,"
            + " 'SELECT, INSERT, UPDATE, REFERENCES'))"
            + " LEFT JOIN pg_type ty ON ty.oid = a.atttypid"
            + " ORDER BY t.which, a.attnum";

    private final String historySchema;
    private final String historyTable;
    private TableShape history; // null: not looked up since last forgotten
    private TableShape cli;

    HistoryShapes(String historySchema, String historyTable) {
        this.historySchema = historySchema;
        this.historyTable = historyTable;
    }

    TableShape history(Connection c) throws SQLException {
        lookUp(c);
        return history;
    }

    /** {@code supabase_migrations.schema_migrations}. */
    TableShape cli(Connection c) throws SQLException {
        lookUp(c);
        return cli;
    }

    /** This tool's table as just created in the caller's transaction, which knows it without asking. */
    void historyIs(TableShape created) {
        history = created;
    }

    /** Whether both are known, so a read uses what was looked up earlier under the lock. */
    boolean known() {
        return history != null && cli != null;
    }

    void forget() {
        history = null;
        cli = null;
    }

    private void lookUp(Connection c) throws SQLException {
        if (known()) {
            return;
        }
        Map<Integer, Map<String, String>> columns = new LinkedHashMap<>();
        Map<Integer, Boolean> exists = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(QUERY)) {
            ps.setString(1, historySchema);
            ps.setString(2, historyTable);
            ps.setString(3, "supabase_migrations");
            ps.setString(4, "schema_migrations");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int which = rs.getInt(1);
                    exists.put(which, rs.getBoolean(2));
                    Map<String, String> types = columns.computeIfAbsent(which, w -> new LinkedHashMap<>());
                    if (rs.getString(3) != null) {
                        types.put(rs.getString(3), rs.getString(4));
                    }
                }
            }
        }
        history = shape(exists.get(1), columns.get(1));
        cli = shape(exists.get(2), columns.get(2));
    }

    private static TableShape shape(Boolean exists, Map<String, String> columns) {
        return Boolean.TRUE.equals(exists) ? new TableShape(true, Collections.unmodifiableMap(columns)) : TableShape.ABSENT;
    }
}
