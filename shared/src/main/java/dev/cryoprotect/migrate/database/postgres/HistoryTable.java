package dev.cryoprotect.migrate.database.postgres;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.database.postgres.HistoryShapes.TableShape;
import dev.cryoprotect.migrate.model.AppliedMigration;
import dev.cryoprotect.migrate.model.Migration;
import dev.cryoprotect.migrate.model.RunInfo;
import dev.cryoprotect.migrate.model.Version;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code migrations} history table: the earlier Python system's {@code (version, name, applied_at)}, adopted in
 * place with its rows, plus {@code checksum, execution_time_ms, run_id, applied_by}. Versions are compared as
 * numbers, so a row "1" written by the old system matches the file "001" (and an integer column works too).
 */
final class HistoryTable {
    private static final List<String> NEWER_COLUMNS = List.of("applied_at", "checksum", "execution_time_ms", "run_id",
            "applied_by", "state", "progress");

    /** A column of the table as created: its type as the catalog names it, then its constraints. */
    private record Column(String name, String type, String constraints) {
        String definition() {
            return name + " " + type + constraints;
        }
    }

    private static final List<Column> COLUMNS = List.of(new Column("version", "text", " PRIMARY KEY"),
            new Column("name", "text", " NOT NULL"),
            new Column("applied_at", "timestamp with time zone", " NOT NULL DEFAULT now()"),
            new Column("checksum", "text", ""), new Column("execution_time_ms", "bigint", ""),
            new Column("run_id", "text", ""), new Column("applied_by", "text", ""),
            new Column("state", "text", " NOT NULL DEFAULT 'applied'"), new Column("progress", "integer", ""));

    /** The table just created, as the catalog shows it. */
    private static final TableShape CREATED = created();

    private final PostgresConfig config;
    private final HistoryShapes shapes;
    private final String qualified;
    // The versions (as numbers) that had a row at the last read, plus those written since; null: not read yet.
    private Set<BigInteger> versionsWithRows;

    HistoryTable(PostgresConfig config, HistoryShapes shapes) {
        this.config = config;
        this.shapes = shapes;
        this.qualified = quote(config.historySchema()) + "." + quote(config.historyTable());
    }

    String displayName() {
        return config.historySchema() + "." + config.historyTable();
    }

    /** The query for the rows (one round trip), or null when the table does not exist yet: then there are none. */
    String select(Connection c) throws SQLException {
        TableShape shape = shapes.history(c);
        if (!shape.exists()) {
            versionsWithRows = new HashSet<>();
            return null;
        }
        requireHistoryShape(shape);
        // Before createOrAdopt() the newer columns of an old-shape table may be missing: read them as null.
        return "SELECT version::text, name, " + String.join(", ", NEWER_COLUMNS.stream()
                .map(col -> shape.has(col) ? col : "NULL AS " + col).toList()) + " FROM " + qualified;
    }

    /**
     * A table of this name that is another tool's (TypeORM's {@code migrations}, Supabase Storage's
     * {@code storage.migrations}) is refused by name, before any query would fail on its columns.
     */
    private void requireHistoryShape(TableShape shape) {
        if (!shape.has("version") || !shape.has("name")) {
            throw new MigrateException(Failure.HISTORY_CONFLICT, "table " + displayName() + " exists but is not a"
                    + " migration history of this tool (it needs version and name columns; it has "
                    + String.join(", ", shape.columns()) + "). Use --history-schema to keep the history elsewhere");
        }
    }

    /** The rows {@link #select}'s query returned, in version order. */
    List<AppliedMigration> rows(ResultSet rs) throws SQLException {
        List<AppliedMigration> rows = new ArrayList<>();
        while (rs.next()) {
            String version = rs.getString(1).strip();
            if (!Version.isValid(version)) {
                throw new MigrateException(Failure.HISTORY_CONFLICT, "history table " + displayName()
                        + " has a row with version '" + version + "', which is not digits; fix or remove that row");
            }
            Timestamp appliedAt = rs.getTimestamp(3);
            long ms = rs.getLong(5);
            Long executionMs = rs.wasNull() ? null : ms;
            AppliedMigration.State state = "partial".equals(rs.getString(8)) ? AppliedMigration.State.PARTIAL
                    : "rolling_back".equals(rs.getString(8)) ? AppliedMigration.State.ROLLING_BACK
                    : AppliedMigration.State.APPLIED;
            int done = rs.getInt(9);
            String progress = state == AppliedMigration.State.APPLIED ? null : done + " statement"
                    + (done == 1 ? "" : "s") + " of the " + (state == AppliedMigration.State.PARTIAL ? "" : "down ")
                    + "file ran";
            rows.add(new AppliedMigration(Version.parse(version), rs.getString(2), rs.getString(4),
                    appliedAt == null ? null : appliedAt.toInstant(), executionMs, rs.getString(6), rs.getString(7),
                    null, state, progress));
        }
        rows.sort((a, b) -> a.version().compareTo(b.version()));
        versionsWithRows = new HashSet<>();
        rows.forEach(r -> versionsWithRows.add(r.version().number()));
        return rows;
    }

    /**
     * Creates the table (with row level security), or adds the newer columns to an old one, in one round trip; none
     * when the table is as it should be. Runs in the caller's transaction. Returns, when it created the table, the
     * statement that takes it back (and the schema, if that was new too) while it holds no row: for a run that then
     * applies nothing, so the database is as the run found it (see PostgresTarget's unlock). A row, a PARTIAL one
     * included, keeps it. Null when it created nothing.
     */
    String createOrAdopt(Connection c) throws SQLException {
        TableShape shape = shapes.history(c);
        List<String> changes = new ArrayList<>();
        if (!shape.exists()) {
            // First, in the same round trip: whether the schema is there already (the take-back then leaves it).
            changes.add("SELECT to_regnamespace(" + literal(quote(config.historySchema())) + ") IS NULL");
            changes.add("CREATE SCHEMA IF NOT EXISTS " + quote(config.historySchema()));
            changes.add("CREATE TABLE " + qualified + " (" + String.join(", ", COLUMNS.stream()
                    .map(Column::definition).toList()) + ")");
            // Supabase serves the public schema over its REST API; with RLS on and no policy it serves nothing.
            changes.add("ALTER TABLE " + qualified + " ENABLE ROW LEVEL SECURITY");
            changes.add("COMMENT ON TABLE " + qualified + " IS 'Applied migrations, kept by migrate'");
        } else {
            requireHistoryShape(shape);
            if (List.of("integer", "smallint").contains(shape.type("version"))) {
                // The old system's integer versions cannot hold a 14-digit Supabase CLI timestamp: widen, keeping rows.
                changes.add("ALTER TABLE " + qualified + " ALTER COLUMN version TYPE bigint");
            }
            // An applied_at added to the old system's table stays nullable, as its own may be.
            List<String> missing = COLUMNS.stream().filter(col -> NEWER_COLUMNS.contains(col.name())
                            && !shape.has(col.name()))
                    .map(col -> "ADD COLUMN IF NOT EXISTS " + (col.name().equals("applied_at")
                            ? "applied_at timestamptz DEFAULT now()" : col.definition()))
                    .toList();
            if (!missing.isEmpty()) {
                changes.add("ALTER TABLE " + qualified + " " + String.join(", ", missing));
            }
        }
        if (changes.isEmpty()) {
            return null;
        }
        String takeBack = null;
        try (Statement st = c.createStatement()) {
            st.setEscapeProcessing(false);
            if (st.execute(String.join(";\n", changes))) { // the driver sends them together
                try (ResultSet newSchema = st.getResultSet()) {
                    newSchema.next();
                    // Waits at most 2 s for a lock on the new table (a dump or an API reading it), then leaves it.
                    takeBack = "DO $migrate_take_back$ BEGIN PERFORM set_config('lock_timeout', '2s', true);"
                            + " IF NOT EXISTS (SELECT FROM " + qualified + ") THEN DROP TABLE " + qualified + ";"
                            + (newSchema.getBoolean(1) ? " BEGIN DROP SCHEMA " + quote(config.historySchema())
                            + "; EXCEPTION WHEN dependent_objects_still_exist THEN NULL; END;" : "")
                            + " END IF; EXCEPTION WHEN lock_not_available THEN NULL; END $migrate_take_back$";
                }
            }
        }
        if (shape.exists()) {
            shapes.forget();
            shapes.history(c); // looked up now, in this transaction, not later inside a file's that may roll back
        } else {
            shapes.historyIs(CREATED);
        }
        return takeBack;
    }

    /**
     * A transactional apply's row, replacing any row the version had (a leftover PARTIAL one, if the file once ran
     * outside a transaction), as statements with the values written in: they go in the same round trip as the file's
     * statements where those allow. The execution time is the server's, from the transaction's start to this write.
     */
    List<String> replaceStatements(Connection c, Migration m, RunInfo run) throws SQLException {
        String version = numericVersions(c) ? m.version().number().toString() : literal(m.version().text());
        List<String> statements = new ArrayList<>(2);
        if (mayHaveRow(m.version())) {
            // Compared as a number, this cannot use the primary key: a scan of the table, done only when needed.
            statements.add("DELETE FROM " + qualified + whereVersion(c, version));
        }
        written(m.version());
        statements.add("INSERT INTO " + qualified
                + " (version, name, applied_at, checksum, execution_time_ms, run_id, applied_by) VALUES ("
                + version + ", " + literal(m.name()) + ", now(), " + literal(m.up().orElseThrow().checksum())
                + ", (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, " + literal(run.runId())
                + ", coalesce(" + literal(run.appliedBy()) + ", current_user::text))");
        return statements;
    }

    /**
     * The versions (as numbers) this run has recorded as applied, each with its execution time: what landed of files
     * sent together, read back from the history itself.
     */
    Map<BigInteger, Long> appliedInRun(Connection c, RunInfo run) throws SQLException {
        Map<BigInteger, Long> landed = new java.util.HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT version::text, execution_time_ms FROM " + qualified
                + " WHERE run_id = ? AND state = 'applied'")) {
            ps.setString(1, run.runId());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    landed.put(Version.parse(rs.getString(1).strip()).number(), rs.getLong(2));
                }
            }
        }
        return landed;
    }

    /** Whether the version may have a row: it had one when last read (under the run's lock), or got one since. */
    private boolean mayHaveRow(Version version) {
        return versionsWithRows == null || versionsWithRows.contains(version.number());
    }

    private void written(Version version) {
        if (versionsWithRows != null) {
            versionsWithRows.add(version.number()); // kept even if the transaction rolls back: "may have" stays true
        }
    }

    void insert(Connection c, Migration m, RunInfo run, long executionMs) throws SQLException {
        written(m.version());
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + qualified
                + " (version, name, applied_at, checksum, execution_time_ms, run_id, applied_by)"
                + " VALUES (?, ?, now(), ?, ?, ?, coalesce(?, current_user::text))")) {
            bindVersion(c, ps, 1, m.version());
            ps.setString(2, m.name());
            ps.setString(3, m.up().orElseThrow().checksum());
            ps.setLong(4, executionMs);
            ps.setString(5, run.runId());
            ps.setString(6, run.appliedBy());
            ps.executeUpdate();
        }
    }

    /**
     * Marks a version whose file runs outside a transaction as started ({@code partial}, or {@code rolling_back} for
     * its down file), before its first statement, so a run that stops part way is visible. Keeps the progress of a
     * row already in that state, which a resumed run continues from; returns it.
     */
    int markUnfinished(Connection c, Migration m, RunInfo run, String state) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT state, coalesce(progress, 0) FROM " + qualified
                + whereVersion(c))) {
            bindVersion(c, ps, 1, m.version());
            try (ResultSet rs = ps.executeQuery()) {
                boolean exists = rs.next();
                if (exists && state.equals(rs.getString(1))) {
                    return rs.getInt(2); // resuming
                }
                if (!exists) {
                    insert(c, m, run, 0); // an apply starting
                }
            }
        }
        try (PreparedStatement up = c.prepareStatement("UPDATE " + qualified + " SET state = ?, progress = 0"
                + whereVersion(c))) {
            up.setString(1, state);
            bindVersion(c, up, 2, m.version());
            up.executeUpdate();
        }
        return 0;
    }

    /** Turns a PARTIAL row into an applied one, in one statement (no moment without a row). */
    void markApplied(Connection c, Migration m, RunInfo run, long executionMs) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + qualified + " SET state = 'applied', progress = NULL,"
                + " applied_at = now(), checksum = ?, execution_time_ms = ?, run_id = ?,"
                + " applied_by = coalesce(?, current_user::text)" + whereVersion(c))) {
            ps.setString(1, m.up().orElseThrow().checksum());
            ps.setLong(2, executionMs);
            ps.setString(3, run.runId());
            ps.setString(4, run.appliedBy());
            bindVersion(c, ps, 5, m.version());
            requireRow(ps.executeUpdate(), m.version());
        }
    }

    /**
     * An update of a version's row that matched none: the row is out of the session's sight, as when a file outside a
     * transaction did SET ROLE to a role that row level security shows nothing. Said, rather than left unrecorded.
     */
    private void requireRow(int updated, Version version) throws SQLException {
        if (updated == 0) {
            throw new SQLException("the history row of version " + version.text() + " in " + displayName()
                    + " was not found to update (a SET ROLE in the file can hide it)", "P0002");
        }
    }

    /** How many statements of an unfinished version's file have run. */
    void recordProgress(Connection c, Version version, int statementsDone) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + qualified + " SET progress = ?" + whereVersion(c))) {
            ps.setInt(1, statementsDone);
            bindVersion(c, ps, 2, version);
            requireRow(ps.executeUpdate(), version);
        }
    }

    void delete(Connection c, Version version) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + qualified + whereVersion(c))) {
            bindVersion(c, ps, 1, version);
            ps.executeUpdate();
        }
    }

    void updateChecksum(Connection c, Version version, String checksum) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + qualified + " SET checksum = ?" + whereVersion(c))) {
            ps.setString(1, checksum);
            bindVersion(c, ps, 2, version);
            ps.executeUpdate();
        }
    }

    /** Compared as numbers, so "1" written by the old system matches the file "001". */
    private String whereVersion(Connection c) throws SQLException {
        return whereVersion(c, "?");
    }

    /** As above, comparing with {@code value}: a placeholder or a literal. */
    private String whereVersion(Connection c, String value) throws SQLException {
        return numericVersions(c) ? " WHERE version = " + value : " WHERE version::numeric = " + value + "::numeric";
    }

    private void bindVersion(Connection c, PreparedStatement ps, int index, Version version) throws SQLException {
        if (numericVersions(c)) {
            ps.setBigDecimal(index, new BigDecimal(version.number()));
        } else {
            ps.setString(index, version.text());
        }
    }

    /** Whether an adopted table keeps versions in a number column. */
    private boolean numericVersions(Connection c) throws SQLException {
        return List.of("integer", "bigint", "smallint", "numeric").contains(shapes.history(c).type("version"));
    }

    /**
     * A string constant for SQL text: an escape string, whose meaning does not depend on
     * {@code standard_conforming_strings}, with backslashes and quotes doubled. NULL for null.
     */
    static String literal(String value) throws SQLException {
        if (value == null) {
            return "NULL";
        }
        if (value.indexOf('\0') >= 0) {
            throw new SQLException("a text value with a NUL character cannot be stored", "22021");
        }
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    private static TableShape created() {
        Map<String, String> types = new LinkedHashMap<>();
        COLUMNS.forEach(col -> types.put(col.name(), col.type()));
        return new TableShape(true, Collections.unmodifiableMap(types));
    }

    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
