package dev.cryoprotect.migrate.sync;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.database.postgres.PostgresConfig;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads PostgreSQL tables for a sync over one connection: names are looked up in the catalog and quoted, never pasted
 * into SQL; rows come in keyset pages ordered by primary key (or cursor, then key), each page streamed with a fetch
 * size, so memory stays bounded whatever the table's size.
 */
public final class PostgresTableReader implements TableReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PostgresConfig config;
    private final int pageRows;
    private final int fetchSize;
    private Connection connection;

    public PostgresTableReader(PostgresConfig config, SyncOptions options) {
        this.config = config;
        this.pageRows = options.pageRows();
        this.fetchSize = options.fetchSize();
    }

    private Connection connection() {
        if (connection == null) {
            connection = config.connect();
        }
        return connection;
    }

    @Override
    public List<String> tables(String schema) {
        try {
            return new Catalog(connection()).tables(schema);
        } catch (SQLException e) {
            throw failed("listing the tables of schema " + schema, e);
        }
    }

    @Override
    public SourceTable describe(String schema, String table, Map<String, String> cursorColumns) {
        try {
            return new Catalog(connection()).describe(schema, table, cursorColumns);
        } catch (SQLException e) {
            throw failed("reading the definition of " + table, e);
        }
    }

    @Override
    public void read(SourceTable table, Pass pass, List<String> after, List<String> until, RowHandler handler) {
        List<SourceTable.Column> order = new ArrayList<>();
        if (pass == Pass.BY_CURSOR) {
            order.add(table.cursor().orElseThrow());
        }
        order.addAll(table.primaryKey());
        String filter = switch (pass) {
            case ALL -> null;
            case NULL_CURSOR -> SourceTable.quote(table.cursor().orElseThrow().name()) + " IS NULL";
            case BY_CURSOR -> SourceTable.quote(table.cursor().orElseThrow().name()) + " IS NOT NULL";
        };
        String columns = table.columns().stream().map(c -> SourceTable.quote(c.name())).collect(Collectors.joining(", "));
        List<String> positionColumns = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            // Aliased: an output column named like a table column would make ORDER BY ambiguous.
            positionColumns.add(SourceTable.quote(order.get(i).name()) + "::text AS \"__sync_position_" + i + "\"");
        }
        String orderBy = order.stream().map(c -> SourceTable.quote(c.name())).collect(Collectors.joining(", "));
        String afterPosition = "(" + orderBy + ") > (" + order.stream().map(c -> "CAST(? AS " + c.sqlType() + ")")
                .collect(Collectors.joining(", ")) + ")";
        String untilPosition = "(" + orderBy + ") <= (" + order.stream().map(c -> "CAST(? AS " + c.sqlType() + ")")
                .collect(Collectors.joining(", ")) + ")";
        int keyFrom = pass == Pass.BY_CURSOR ? 1 : 0;
        List<String> position = after;
        try {
            Connection c = connection();
            c.setAutoCommit(false); // PostgreSQL streams with a fetch size only inside a transaction
            try {
                while (true) {
                    List<String> where = new ArrayList<>();
                    if (filter != null) {
                        where.add(filter);
                    }
                    if (position != null) {
                        where.add(afterPosition);
                    }
                    if (until != null) {
                        where.add(untilPosition);
                    }
                    String sql = "SELECT " + columns + ", " + String.join(", ", positionColumns) + " FROM "
                            + table.qualified() + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
                            + " ORDER BY " + orderBy + " LIMIT " + pageRows;
                    int rows = 0;
                    try (PreparedStatement ps = c.prepareStatement(sql)) {
                        ps.setFetchSize(fetchSize);
                        int p = 1;
                        for (int i = 0; position != null && i < position.size(); i++) {
                            ps.setString(p++, position.get(i));
                        }
                        for (int i = 0; until != null && i < until.size(); i++) {
                            ps.setString(p++, until.get(i));
                        }
                        try (ResultSet rs = ps.executeQuery()) {
                            int first = table.columns().size() + 1;
                            while (rs.next()) {
                                rows++;
                                List<String> rowPosition = new ArrayList<>(order.size());
                                for (int i = 0; i < order.size(); i++) {
                                    rowPosition.add(rs.getString(first + i));
                                }
                                position = rowPosition;
                                Object[] values = new Object[table.columns().size()];
                                for (int i = 0; i < values.length; i++) {
                                    values[i] = value(rs, i + 1, table.columns().get(i));
                                }
                                if (!handler.row(new SourceRow(key(rowPosition.subList(keyFrom, rowPosition.size())),
                                        rowPosition, values))) {
                                    return;
                                }
                            }
                        }
                    }
                    if (rows < pageRows) {
                        return;
                    }
                }
            } finally {
                c.commit();
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw failed("reading " + table.name(), e);
        }
    }

    @Override
    public List<List<String>> boundaries(SourceTable table, int parts) {
        List<SourceTable.Column> pk = table.primaryKey();
        String keyColumns = pk.stream().map(c -> SourceTable.quote(c.name())).collect(Collectors.joining(", "));
        String keyText = pk.stream().map(c -> SourceTable.quote(c.name()) + "::text").collect(Collectors.joining(", "));
        try {
            double estimate;
            try (PreparedStatement ps = connection().prepareStatement("SELECT reltuples FROM pg_class WHERE oid = ?::regclass")) {
                ps.setString(1, table.qualified());
                try (ResultSet rs = ps.executeQuery()) {
                    estimate = rs.next() ? rs.getDouble(1) : -1;
                }
            }
            // A large table is cut by a sample of its keys (about 200,000): exact sizes do not matter, only order.
            String source = estimate > 1_000_000 ? table.qualified() + " TABLESAMPLE SYSTEM ("
                    + Math.max(0.01, Math.min(100, 100 * 200_000 / estimate)) + ")" : table.qualified();
            List<List<String>> cuts = new ArrayList<>();
            try (PreparedStatement ps = connection().prepareStatement("SELECT DISTINCT ON (part) " + keyText
                    + " FROM (SELECT " + keyColumns + ", ntile(" + parts + ") OVER (ORDER BY " + keyColumns
                    + ") AS part FROM " + source + ") s ORDER BY part, " + pk.stream().map(c ->
                    SourceTable.quote(c.name()) + " DESC").collect(Collectors.joining(", ")))) {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        List<String> key = new ArrayList<>();
                        for (int i = 1; i <= pk.size(); i++) {
                            key.add(rs.getString(i));
                        }
                        cuts.add(key);
                    }
                }
            }
            if (!cuts.isEmpty()) {
                cuts.remove(cuts.size() - 1); // the last part ends at the table's end
            }
            return cuts;
        } catch (SQLException e) {
            throw failed("cutting " + table.name() + " into key ranges", e);
        }
    }

    @Override
    public List<String> lastPosition(SourceTable table) {
        if (table.cursor().isEmpty()) {
            return null;
        }
        List<SourceTable.Column> order = new ArrayList<>(List.of(table.cursor().get()));
        order.addAll(table.primaryKey());
        String text = order.stream().map(c -> SourceTable.quote(c.name()) + "::text").collect(Collectors.joining(", "));
        String desc = order.stream().map(c -> SourceTable.quote(c.name()) + " DESC").collect(Collectors.joining(", "));
        try (PreparedStatement ps = connection().prepareStatement("SELECT " + text + " FROM " + table.qualified()
                + " WHERE " + SourceTable.quote(table.cursor().get().name()) + " IS NOT NULL ORDER BY " + desc
                + " LIMIT 1")) {
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                List<String> position = new ArrayList<>();
                for (int i = 1; i <= order.size(); i++) {
                    position.add(rs.getString(i));
                }
                return position;
            }
        } catch (SQLException e) {
            throw failed("reading the last position of " + table.name(), e);
        }
    }

    @Override
    public Set<String> present(SourceTable table, List<String> keys) {
        List<SourceTable.Column> pk = table.primaryKey();
        String keyText = pk.stream().map(c -> SourceTable.quote(c.name()) + "::text").collect(Collectors.joining(", "));
        String keyColumns = pk.stream().map(c -> SourceTable.quote(c.name())).collect(Collectors.joining(", "));
        String tuple = "(" + pk.stream().map(c -> "CAST(? AS " + c.sqlType() + ")").collect(Collectors.joining(", ")) + ")";
        String sql = "SELECT " + keyText + " FROM " + table.qualified() + " WHERE (" + keyColumns + ") IN ("
                + String.join(", ", Collections.nCopies(keys.size(), tuple)) + ")";
        Set<String> present = new HashSet<>();
        try (PreparedStatement ps = connection().prepareStatement(sql)) {
            int p = 1;
            for (String key : keys) {
                for (String value : parseKey(key)) {
                    ps.setString(p++, value);
                }
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> values = new ArrayList<>();
                    for (int i = 1; i <= pk.size(); i++) {
                        values.add(rs.getString(i));
                    }
                    present.add(key(values));
                }
            }
        } catch (SQLException e) {
            throw failed("checking which rows of " + table.name() + " still exist", e);
        }
        return present;
    }

    @Override
    public boolean schemaExists(String schema) {
        try (PreparedStatement ps = connection().prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw failed("looking up schema " + schema, e);
        }
    }

    @Override
    public List<SourceRow> fetch(SourceTable table, List<String> keys) {
        if (keys.isEmpty()) {
            return List.of();
        }
        List<SourceTable.Column> pk = table.primaryKey();
        String columns = table.columns().stream().map(c -> SourceTable.quote(c.name())).collect(Collectors.joining(", "));
        String keyText = pk.stream().map(c -> SourceTable.quote(c.name()) + "::text").collect(Collectors.joining(", "));
        String keyColumns = pk.stream().map(c -> SourceTable.quote(c.name())).collect(Collectors.joining(", "));
        String tuple = "(" + pk.stream().map(c -> "CAST(? AS " + c.sqlType() + ")").collect(Collectors.joining(", ")) + ")";
        String sql = "SELECT " + columns + ", " + keyText + " FROM " + table.qualified() + " WHERE (" + keyColumns
                + ") IN (" + String.join(", ", Collections.nCopies(keys.size(), tuple)) + ")";
        List<SourceRow> rows = new ArrayList<>();
        try (PreparedStatement ps = connection().prepareStatement(sql)) {
            int p = 1;
            for (String key : keys) {
                for (String value : parseKey(key)) {
                    ps.setString(p++, value);
                }
            }
            try (ResultSet rs = ps.executeQuery()) {
                int first = table.columns().size() + 1;
                while (rs.next()) {
                    List<String> key = new ArrayList<>();
                    for (int i = 0; i < pk.size(); i++) {
                        key.add(rs.getString(first + i));
                    }
                    Object[] values = new Object[table.columns().size()];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = value(rs, i + 1, table.columns().get(i));
                    }
                    rows.add(new SourceRow(key(key), key, values));
                }
            }
        } catch (SQLException e) {
            throw failed("reading rejected rows of " + table.name() + " again", e);
        }
        return rows;
    }

    /**
     * The column's value as JDBC gives it, normalised to a few Java types; null for SQL NULL. A value JDBC cannot
     * turn into its Java type (numeric NaN, an infinite timestamp inside an array) comes as its text instead: the
     * converter then maps it or rejects the row, and the sync goes on.
     */
    private static Object value(ResultSet rs, int index, SourceTable.Column column) throws SQLException {
        try {
            return typedValue(rs, index, column);
        } catch (SQLException | RuntimeException e) {
            if (e instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08")) {
                throw sql; // the connection, not the value
            }
            String text = rs.getString(index);
            return rs.wasNull() ? null : text;
        }
    }

    private static Object typedValue(ResultSet rs, int index, SourceTable.Column column) throws SQLException {
        Object value = switch (column.udtName()) {
            case "int2", "int4" -> rs.getInt(index);
            case "int8" -> rs.getLong(index);
            case "float4", "float8" -> rs.getDouble(index);
            case "numeric" -> numeric(rs.getString(index));
            case "bool" -> rs.getBoolean(index);
            case "timestamptz" -> rs.getObject(index, OffsetDateTime.class);
            case "timestamp" -> rs.getObject(index, LocalDateTime.class);
            case "date" -> rs.getObject(index, LocalDate.class);
            case "bytea" -> rs.getBytes(index);
            default -> {
                if (column.isArray()) {
                    Array array = rs.getArray(index);
                    yield array == null ? null : array.getArray();
                }
                yield rs.getString(index);
            }
        };
        return rs.wasNull() ? null : value;
    }

    /** numeric as text: NaN and the infinities (PostgreSQL 14+) as doubles, the rest exact. */
    private static Object numeric(String text) {
        if (text == null) {
            return null;
        }
        return switch (text) {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> new java.math.BigDecimal(text);
        };
    }

    /** A row's key: the primary key's values as text, as canonical JSON (how Convex's sync_ids stores it). */
    static String key(List<String> values) {
        try {
            return JSON.writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> parseKey(String key) {
        try {
            return List.of(JSON.readValue(key, String[].class));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("malformed sync key " + key, e);
        }
    }

    private MigrateException failed(String doing, SQLException e) {
        boolean lost = e.getSQLState() != null && e.getSQLState().startsWith("08");
        return new MigrateException(lost ? Failure.UNREACHABLE : Failure.MIGRATION_FAILED, "PostgreSQL at "
                + config.describe() + " failed while " + doing + ": " + e.getMessage(), e);
    }

    @Override
    public void close() {
        PostgresConfig.closeQuietly(connection);
        connection = null;
    }
}
