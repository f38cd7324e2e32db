package dev.cryoprotect.migrate.sync;

import dev.cryoprotect.migrate.MigrateException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads table definitions from PostgreSQL's catalog. Table names given by a user are looked up here and then quoted,
 * never pasted into SQL.
 */
final class Catalog {
    /** Tables of the framework itself, never synced. */
    static final List<String> FRAMEWORK_TABLES = List.of("migrations");

    private final Connection connection;

    Catalog(Connection connection) {
        this.connection = connection;
    }

    /** Every base table of the schema except the framework's own, by name. */
    List<String> tables(String schema) throws SQLException {
        List<String> tables = new ArrayList<>();
        // A partition's rows are its partitioned table's: listing both would sync each row twice, into two tables.
        try (PreparedStatement ps = connection.prepareStatement("SELECT c.relname FROM pg_class c JOIN pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
                + " AND has_table_privilege(c.oid, 'SELECT') ORDER BY c.relname")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (!FRAMEWORK_TABLES.contains(rs.getString(1))) {
                        tables.add(rs.getString(1));
                    }
                }
            }
        }
        return tables;
    }

    /**
     * The oid of the type beneath a domain, through domains over domains; a type that is no domain is itself (a scalar
     * subquery on a type's oid).
     */
    private static final String BASE_TYPE = "(WITH RECURSIVE d(oid, kind, base) AS (SELECT oid, typtype, typbasetype"
            + " FROM pg_type WHERE oid = %s UNION ALL SELECT p.oid, p.typtype, p.typbasetype FROM pg_type p"
            + " JOIN d ON p.oid = d.base) SELECT oid FROM d WHERE kind <> 'd')";

    /**
     * The table's definition.
     *
     * @param cursorColumns per-table cursor column; a table absent here uses {@code updated_at} when it has one, and
     *                      a blank value means "no cursor: full pass"
     * @throws MigrateException BAD_INPUT naming the table when it does not exist or has no primary key
     */
    SourceTable describe(String schema, String table, Map<String, String> cursorColumns) throws SQLException {
        List<SourceTable.Column> columns = new ArrayList<>();
        // A domain column reads as its base type (a domain over int4 is a number; over a domain, the one beneath it),
        // and an array of a domain (or a domain over one) as an array of that base type; the cast type stays the
        // column's own.
        try (PreparedStatement ps = connection.prepareStatement("SELECT a.attname,"
                + " CASE WHEN e.typtype = 'd' THEN '_' || (SELECT typname FROM pg_type WHERE oid = "
                + BASE_TYPE.formatted("e.oid") + ") ELSE r.typname END, format_type(a.atttypid, a.atttypmod)"
                + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " JOIN pg_type r ON r.oid = " + BASE_TYPE.formatted("a.atttypid")
                + " LEFT JOIN pg_type e ON e.oid = r.typelem AND r.typcategory = 'A'"
                + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped"
                + " ORDER BY a.attnum")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(new SourceTable.Column(rs.getString(1), rs.getString(2), rs.getString(3)));
                }
            }
        }
        if (columns.isEmpty()) {
            throw MigrateException.badInput("table '" + table + "' does not exist in schema '" + schema + "'");
        }
        List<SourceTable.Column> primaryKey = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT a.attname FROM pg_index i"
                + " JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true"
                + " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum"
                + " WHERE n.nspname = ? AND c.relname = ? AND i.indisprimary ORDER BY k.ord")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String name = rs.getString(1);
                    primaryKey.add(columns.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow());
                }
            }
        }
        if (primaryKey.isEmpty()) {
            throw MigrateException.badInput("table '" + table + "' has no primary key: a row could not be matched to"
                    + " its Convex document on a re-run; add a primary key (or leave the table out)");
        }
        Optional<SourceTable.Column> cursor;
        if (cursorColumns.containsKey(table)) {
            String wanted = cursorColumns.get(table);
            cursor = wanted == null || wanted.isBlank() ? Optional.empty()
                    : Optional.of(columns.stream().filter(c -> c.name().equals(wanted)).findFirst().orElseThrow(() ->
                    MigrateException.badInput("cursor column '" + wanted + "' does not exist in table '" + table
                            + "' (--cursor " + table + "=" + wanted + ")")));
            if (cursor.isPresent() && !orderable(schema, table, cursor.get())) {
                throw MigrateException.badInput("cursor column '" + wanted + "' of table '" + table + "' is of type "
                        + cursor.get().sqlType() + ", which PostgreSQL cannot order; a cursor must be a column such as a"
                        + " timestamp or a number (--cursor " + table + "=" + wanted + ")");
            }
        } else {
            cursor = columns.stream().filter(c -> c.name().equals("updated_at")).findFirst();
        }
        return new SourceTable(schema, table, columns, primaryKey, cursor);
    }

    /**
     * Why paging this table by its cursor is slow, or null. Each page is {@code ORDER BY cursor, key LIMIT n}: with a
     * btree index that starts with the cursor that is a range read, without one every page scans and sorts the whole
     * table, which on a large table makes a sync quadratic (and each page can meet Supabase's statement timeout).
     * Said only past four pages of rows by the planner's estimate; a table never analysed is not judged.
     */
    String slowCursor(SourceTable table, int pageRows) throws SQLException {
        String cursor = table.cursor().orElseThrow().name();
        try (PreparedStatement ps = connection.prepareStatement("SELECT c.reltuples::bigint, EXISTS (SELECT 1"
                + " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam"
                + " WHERE i.indrelid = c.oid AND i.indkey[0] = a.attnum AND i.indpred IS NULL AND i.indisvalid"
                + " AND am.amname = 'btree')"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = ?"
                + " WHERE n.nspname = ? AND c.relname = ?")) {
            ps.setString(1, cursor);
            ps.setString(2, table.schema());
            ps.setString(3, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getBoolean(2) || rs.getLong(1) <= 4L * pageRows) {
                    return null;
                }
                String columns = java.util.stream.Stream.concat(java.util.stream.Stream.of(cursor),
                                table.primaryKey().stream().map(SourceTable.Column::name)).distinct()
                        .map(SourceTable::quote).collect(java.util.stream.Collectors.joining(", "));
                return String.format(java.util.Locale.ROOT, "no index starts with the cursor column %s, so each page of"
                        + " %,d rows scans and sorts all of the table's ~%,d rows; create one to make each page a range"
                        + " read: CREATE INDEX CONCURRENTLY ON %s.%s (%s)", cursor, pageRows, rs.getLong(1),
                        SourceTable.quote(table.schema()), SourceTable.quote(table.name()), columns);
            }
        }
    }

    /** Whether PostgreSQL can order the column (a cursor is compared and sorted): its type has max(), a btree order. */
    private boolean orderable(String schema, String table, SourceTable.Column column) throws SQLException {
        String probe = "SELECT max(" + SourceTable.quote(column.name()) + ") FROM " + SourceTable.quote(schema) + "."
                + SourceTable.quote(table) + " WHERE false";
        boolean autoCommit = connection.getAutoCommit();
        java.sql.Savepoint savepoint = autoCommit ? null : connection.setSavepoint();
        try (java.sql.Statement st = connection.createStatement()) {
            st.execute(probe);
            return true;
        } catch (SQLException e) {
            if (savepoint != null) {
                connection.rollback(savepoint);
            }
            if ("42883".equals(e.getSQLState())) { // undefined_function: no max() for this type
                return false;
            }
            throw e;
        }
    }
}
