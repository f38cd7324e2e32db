package dev.cryoprotect.migrate.sync;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.database.postgres.PostgresConfig;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads PostgreSQL tables for a sync over one connection: names are looked up in the catalog and quoted, never pasted
 * into SQL; rows come in keyset pages ordered by primary key (or cursor, then key), each page one binary COPY
 * streamed as it arrives ({@link BinaryCopy}), so memory stays bounded whatever the table's size.
 */
public final class PostgresTableReader implements TableReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PostgresConfig config;
    private final int pageRows;
    private Connection connection;

    public PostgresTableReader(PostgresConfig config, SyncOptions options) {
        this.config = config;
        this.pageRows = options.pageRows();
    }

    private Connection connection() {
        if (connection == null) {
            connection = config.connect();
            try (java.sql.Statement st = connection.createStatement()) {
                // The driver sets the session's zone from this process's. Read in UTC, a timestamptz key's text and
                // the lookback of a timestamp cursor are the same from any machine: a CLI run in Tokyo neither makes
                // a second document of each row nor moves a mark past rows still being written.
                st.execute("SET TimeZone = 'UTC'");
            } catch (SQLException e) {
                throw failed("setting the session's time zone", e);
            }
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
    public String slowCursor(SourceTable table) {
        if (table.cursor().isEmpty()) {
            return null;
        }
        try {
            return new Catalog(connection()).slowCursor(table, pageRows);
        } catch (SQLException e) {
            return null; // only advice: a catalog that cannot be read here fails nothing
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
        String orderBy = order.stream().map(c -> SourceTable.quote(c.name())).collect(Collectors.joining(", "));
        int keyFrom = pass == Pass.BY_CURSOR ? 1 : 0;
        ReadAhead.run(rows -> {
            Page page = new Page(after);
            try {
                while (true) {
                    List<String> where = new ArrayList<>();
                    if (filter != null) {
                        where.add(filter);
                    }
                    if (page.position != null) {
                        where.add("(" + orderBy + ") > " + tuple(order, page.position));
                    }
                    if (until != null) {
                        where.add("(" + orderBy + ") <= " + tuple(order, until));
                    }
                    page.rows = 0;
                    copy(table, order, where, " ORDER BY " + orderBy + " LIMIT " + pageRows, (position, values) -> {
                        page.rows++;
                        page.position = position;
                        page.stopped = !rows.row(new SourceRow(key(position.subList(keyFrom, position.size())),
                                position, values));
                        return !page.stopped;
                    });
                    if (page.stopped || page.rows < pageRows) {
                        return;
                    }
                }
            } catch (SQLException e) {
                throw failed("reading " + table.name(), e);
            }
        }, handler);
    }

    /** Where a read is between pages. */
    private static final class Page {
        List<String> position;
        int rows;
        boolean stopped;

        Page(List<String> position) {
            this.position = position;
        }
    }

    /** Told each copied row: its {@code textColumns} as text (a position or a key), then its values. */
    private interface CopiedRow {
        boolean row(List<String> text, Object[] values);
    }

    /** One binary copy of the table's rows that match {@code where}, each with {@code textColumns} as text too. */
    private void copy(SourceTable table, List<SourceTable.Column> textColumns, List<String> where, String tail,
                      CopiedRow row) throws SQLException {
        String query = "SELECT " + BinaryCopy.selectList(table.columns(), textColumns) + " FROM " + table.qualified()
                + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where)) + tail;
        int width = table.columns().size();
        BinaryCopy.read(connection(), query, table.columns(), textColumns.size(), values -> {
            List<String> text = new ArrayList<>(textColumns.size());
            for (int i = 0; i < textColumns.size(); i++) {
                text.add((String) values[width + i]);
            }
            return row.row(text, Arrays.copyOf(values, width));
        });
    }

    /**
     * A row value of literals cast to the columns' types. COPY takes no parameters, so the values (positions and keys
     * read from this database) are written as escaped string literals, in the E'' form that means the same whatever
     * standard_conforming_strings says.
     */
    private static String tuple(List<SourceTable.Column> columns, List<String> values) {
        List<String> items = new ArrayList<>(columns.size());
        for (int i = 0; i < columns.size(); i++) {
            items.add("CAST(" + literal(values.get(i)) + " AS " + columns.get(i).sqlType() + ")");
        }
        return "(" + String.join(", ", items) + ")";
    }

    static String literal(String value) {
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
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
    public List<String> lastPosition(SourceTable table, java.time.Duration lookback) {
        if (table.cursor().isEmpty()) {
            return null;
        }
        String bound = settledBound(table, lookback);
        List<SourceTable.Column> order = new ArrayList<>(List.of(table.cursor().get()));
        order.addAll(table.primaryKey());
        String text = order.stream().map(c -> SourceTable.quote(c.name()) + "::text").collect(Collectors.joining(", "));
        String desc = order.stream().map(c -> SourceTable.quote(c.name()) + " DESC").collect(Collectors.joining(", "));
        try (PreparedStatement ps = connection().prepareStatement("SELECT " + text + " FROM " + table.qualified()
                + " WHERE " + SourceTable.quote(table.cursor().get().name()) + (bound == null ? " IS NOT NULL"
                : " < " + bound) + " ORDER BY " + desc + " LIMIT 1")) {
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
    public Object settledBelow(SourceTable table, java.time.Duration lookback) {
        String bound = settledBound(table, lookback);
        if (bound == null) {
            return null;
        }
        try (PreparedStatement ps = connection().prepareStatement("SELECT " + bound);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return switch (table.cursor().orElseThrow().udtName()) {
                case "timestamptz" -> rs.getObject(1, java.time.OffsetDateTime.class).toInstant();
                case "timestamp" -> rs.getObject(1, java.time.LocalDateTime.class);
                default -> rs.getObject(1, java.time.LocalDate.class);
            };
        } catch (SQLException e) {
            throw failed("reading the database's clock", e);
        }
    }

    @Override
    public boolean settled(SourceTable table, String cursorValue, java.time.Duration lookback) {
        String bound = settledBound(table, lookback);
        if (bound == null) {
            return true;
        }
        try (PreparedStatement ps = connection().prepareStatement("SELECT CAST(? AS " + table.cursor().orElseThrow()
                .sqlType() + ") < " + bound)) {
            ps.setString(1, cursorValue);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw failed("reading the database's clock", e);
        }
    }

    @Override
    public boolean readsAs(SourceTable table, List<String> mark) {
        List<SourceTable.Column> columns = new ArrayList<>();
        columns.add(table.cursor().orElseThrow());
        columns.addAll(table.primaryKey());
        if (mark.size() != columns.size()) {
            return false;
        }
        String casts = columns.stream().map(c -> "CAST(? AS " + c.sqlType() + ")").collect(Collectors.joining(", "));
        try (PreparedStatement ps = connection().prepareStatement("SELECT " + casts)) {
            for (int i = 0; i < mark.size(); i++) {
                ps.setString(i + 1, mark.get(i));
            }
            ps.executeQuery().close();
            return true;
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().startsWith("22")) {
                return false; // a data exception: the text is not a value of that type
            }
            throw failed("reading the stored mark of " + table.name(), e);
        }
    }

    /** The SQL of {@link #settledBelow}'s bound, in the cursor's type; null when there is none. */
    private static String settledBound(SourceTable table, java.time.Duration lookback) {
        if (table.cursor().isEmpty() || lookback == null || lookback.isZero()) {
            return null;
        }
        String back = "make_interval(secs => " + lookback.toMillis() / 1000.0 + ")";
        return switch (table.cursor().get().udtName()) {
            case "timestamptz" -> "(now() - " + back + ")";
            case "timestamp" -> "(LOCALTIMESTAMP - " + back + ")";
            case "date" -> "CAST(LOCALTIMESTAMP - " + back + " AS date)";
            default -> null;
        };
    }

    @Override
    public Set<String> present(SourceTable table, List<String> keys) {
        if (keys.isEmpty()) {
            return Set.of();
        }
        List<SourceTable.Column> pk = table.primaryKey();
        String keyText = pk.stream().map(c -> SourceTable.quote(c.name()) + "::text").collect(Collectors.joining(", "));
        Set<String> present = new HashSet<>();
        try (PreparedStatement ps = connection().prepareStatement("SELECT " + keyText + " FROM " + table.qualified()
                + " WHERE " + keysIn(pk, keys)); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                List<String> values = new ArrayList<>();
                for (int i = 1; i <= pk.size(); i++) {
                    values.add(rs.getString(i));
                }
                present.add(key(values));
            }
        } catch (SQLException e) {
            throw failed("checking which rows of " + table.name() + " still exist", e);
        }
        return present;
    }

    /** The condition "the primary key is one of these keys". */
    private static String keysIn(List<SourceTable.Column> pk, List<String> keys) {
        return "(" + pk.stream().map(c -> SourceTable.quote(c.name())).collect(Collectors.joining(", ")) + ") IN ("
                + keys.stream().map(k -> tuple(pk, parseKey(k))).collect(Collectors.joining(", ")) + ")";
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
        List<SourceRow> rows = new ArrayList<>();
        try {
            copy(table, pk, List.of(keysIn(pk, keys)), "",
                    (key, values) -> rows.add(new SourceRow(key(key), key, values)));
        } catch (SQLException e) {
            throw failed("reading rejected rows of " + table.name() + " again", e);
        }
        return rows;
    }

    /** A row's key: the primary key's values as text, as canonical JSON (how Convex's sync_ids stores it). */
    static String key(List<String> values) {
        StringBuilder plain = new StringBuilder(2 + 12 * values.size()).append('[');
        for (String value : values) {
            if (value == null || !isPlain(value)) {
                plain = null;
                break;
            }
            plain.append(plain.length() > 1 ? ",\"" : "\"").append(value).append('"');
        }
        if (plain != null) {
            return plain.append(']').toString(); // what Jackson writes for strings that need no escaping
        }
        try {
            return JSON.writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isPlain(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7f) {
                return false;
            }
        }
        return true;
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
