package dev.cryoprotect.migrate.target.postgres;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.Checksums;
import dev.cryoprotect.migrate.model.Database;
import dev.cryoprotect.migrate.model.Migration;
import dev.cryoprotect.migrate.model.SqlScript;
import dev.cryoprotect.migrate.model.SqlScript.SqlStatement;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.report.StepResult;
import dev.cryoprotect.migrate.target.AppliedMigration;
import dev.cryoprotect.migrate.target.DatabaseTarget;
import dev.cryoprotect.migrate.target.RunInfo;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Supabase (PostgreSQL) over JDBC. One connection per target: the session advisory lock lives on it, so a killed
 * process releases the lock when the server sees the connection drop.
 */
public final class PostgresTarget implements DatabaseTarget {
    private static final Duration LOCK_POLL = Duration.ofMillis(200);

    private final PostgresConfig config;
    private final String history;   // quoted schema.table
    private final long lockKey;
    private Connection connection;
    private boolean numericVersions; // an adopted history table whose version column is a number

    public PostgresTarget(PostgresConfig config) {
        this.config = config;
        this.history = quote(config.historySchema()) + "." + quote(config.historyTable());
        String digest = Checksums.sha256("migrate-lock:" + config.historySchema() + "." + config.historyTable());
        this.lockKey = ByteBuffer.wrap(HexFormat.of().parseHex(digest.substring(0, 16))).getLong();
    }

    @Override
    public Database database() {
        return Database.SUPABASE;
    }

    @Override
    public String describe() {
        return config.describe() + ", history " + config.historySchema() + "." + config.historyTable();
    }

    /** The open connection, connecting on first use. */
    Connection connection() {
        if (connection == null) {
            connection = config.connect();
        }
        return connection;
    }

    @Override
    public List<AppliedMigration> applied() {
        try {
            if (!historyExists()) {
                return List.of();
            }
            List<AppliedMigration> rows = new ArrayList<>();
            // Before prepare() adopts an old-shape table, the newer columns may not exist yet: read them as null.
            List<String> columns = historyColumns();
            String select = "SELECT version::text, name, "
                    + String.join(", ", List.of("applied_at", "checksum", "execution_time_ms", "run_id", "applied_by")
                    .stream().map(c -> columns.contains(c) ? c : "NULL AS " + c).toList());
            try (Statement st = connection().createStatement();
                 ResultSet rs = st.executeQuery(select + " FROM " + history)) {
                while (rs.next()) {
                    String version = rs.getString(1).strip();
                    if (!Version.isValid(version)) {
                        throw new MigrateException(Failure.HISTORY_CONFLICT, "history table " + config.historySchema()
                                + "." + config.historyTable() + " has a row with version '" + version
                                + "', which is not digits; fix or remove that row");
                    }
                    Timestamp appliedAt = rs.getTimestamp(3);
                    long ms = rs.getLong(5);
                    rows.add(new AppliedMigration(Version.parse(version), rs.getString(2), rs.getString(4),
                            appliedAt == null ? null : appliedAt.toInstant(), rs.wasNull() ? null : ms,
                            rs.getString(6), rs.getString(7)));
                }
            }
            rows.sort((a, b) -> a.version().compareTo(b.version()));
            return rows;
        } catch (SQLException e) {
            throw databaseError("reading the migration history", e);
        }
    }

    private boolean historyExists() throws SQLException {
        try (PreparedStatement ps = connection().prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, history);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    @Override
    public Lock lock(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            while (true) {
                try (PreparedStatement ps = connection().prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                    ps.setLong(1, lockKey);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getBoolean(1)) {
                            return this::unlock;
                        }
                    }
                }
                if (System.nanoTime() >= deadline) {
                    throw new MigrateException(Failure.LOCK_BUSY, "another run holds the lock on "
                            + config.historySchema() + "." + config.historyTable() + " (waited " + wait.toSeconds()
                            + " s); nothing was run. Retry when it has finished, or raise --lock-timeout");
                }
                Thread.sleep(LOCK_POLL.toMillis());
            }
        } catch (SQLException e) {
            throw databaseError("taking the migration lock", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MigrateException(Failure.LOCK_BUSY, "interrupted while waiting for the migration lock");
        }
    }

    private void unlock() {
        if (connection == null) {
            return;
        }
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            ps.setLong(1, lockKey);
            ps.execute();
        } catch (SQLException e) {
            // The lock is a session lock: closing the connection releases it anyway.
            closeQuietly();
        }
    }

    @Override
    public void prepare() {
        Connection c = connection();
        try {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                if (!historyExists()) {
                    st.execute("CREATE SCHEMA IF NOT EXISTS " + quote(config.historySchema()));
                    st.execute("CREATE TABLE " + history + " ("
                            + "version text PRIMARY KEY, "
                            + "name text NOT NULL, "
                            + "applied_at timestamptz NOT NULL DEFAULT now(), "
                            + "checksum text, "
                            + "execution_time_ms bigint, "
                            + "run_id text, "
                            + "applied_by text)");
                    // Supabase serves the public schema over its REST API; with RLS on and no policy it serves nothing.
                    st.execute("ALTER TABLE " + history + " ENABLE ROW LEVEL SECURITY");
                    st.execute("COMMENT ON TABLE " + history + " IS 'Applied migrations, kept by migrate'");
                } else {
                    adopt(st);
                }
            }
            c.commit();
        } catch (SQLException e) {
            rollbackQuietly();
            throw databaseError("creating the migration history table", e);
        } finally {
            autoCommit(true);
        }
        numericVersions = versionColumnIsNumeric();
    }

    /** Adds the columns the old {@code migrations(version, name, applied_at)} table lacks, keeping its rows. */
    private void adopt(Statement st) throws SQLException {
        List<String> columns = historyColumns();
        if (!columns.contains("version") || !columns.contains("name")) {
            throw new MigrateException(Failure.HISTORY_CONFLICT, "table " + config.historySchema() + "."
                    + config.historyTable() + " exists but is not a migration history (it needs version and name"
                    + " columns; it has " + String.join(", ", columns) + "). Use --history-schema to keep the history elsewhere");
        }
        if (!columns.contains("applied_at")) {
            st.execute("ALTER TABLE " + history + " ADD COLUMN applied_at timestamptz DEFAULT now()");
        }
        st.execute("ALTER TABLE " + history + " ADD COLUMN IF NOT EXISTS checksum text, "
                + "ADD COLUMN IF NOT EXISTS execution_time_ms bigint, "
                + "ADD COLUMN IF NOT EXISTS run_id text, "
                + "ADD COLUMN IF NOT EXISTS applied_by text");
    }

    private List<String> historyColumns() throws SQLException {
        List<String> columns = new ArrayList<>();
        try (PreparedStatement ps = connection().prepareStatement("SELECT column_name FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = ?")) {
            ps.setString(1, config.historySchema());
            ps.setString(2, config.historyTable());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
            }
        }
        return columns;
    }

    private boolean versionColumnIsNumeric() {
        try (PreparedStatement ps = connection().prepareStatement("SELECT data_type FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = ? AND column_name = 'version'")) {
            ps.setString(1, config.historySchema());
            ps.setString(2, config.historyTable());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && List.of("integer", "bigint", "smallint", "numeric").contains(rs.getString(1));
            }
        } catch (SQLException e) {
            throw databaseError("reading the migration history table", e);
        }
    }

    @Override
    public AppliedMigration apply(Migration migration, RunInfo run) {
        SqlScript script = migration.up().orElseThrow();
        long started = System.nanoTime();
        runScript(script, () -> insertHistory(migration, run, millisSince(started)));
        return new AppliedMigration(migration.version(), migration.name(), script.checksum(), null,
                millisSince(started), run.runId(), run.appliedBy());
    }

    @Override
    public void rollback(Migration migration, RunInfo run) {
        SqlScript down = migration.down().orElseThrow(() -> MigrateException.badInput(migration.label()
                + " has no down file; it cannot be rolled back"));
        runScript(down, () -> deleteHistory(migration.version()));
    }

    /** A history write that runs right after the script, inside its transaction when it has one. */
    private interface HistoryWrite {
        void run() throws SQLException;
    }

    /** A statement (null: the history write) of a script that failed. */
    private static final class ScriptFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final transient SqlStatement statement;
        final SQLException cause;

        ScriptFailure(SqlStatement statement, SQLException cause) {
            super(cause);
            this.statement = statement;
            this.cause = cause;
        }
    }

    /** Runs every statement of the script, then the history write, in the current transaction mode. */
    private void execute(SqlScript script, HistoryWrite historyWrite) throws ScriptFailure {
        for (SqlStatement statement : script.statements()) {
            try {
                execute(statement);
            } catch (SQLException e) {
                throw new ScriptFailure(statement, e);
            }
        }
        try {
            historyWrite.run();
        } catch (SQLException e) {
            throw new ScriptFailure(null, e);
        }
    }

    private void runScript(SqlScript script, HistoryWrite historyWrite) {
        autoCommit(!script.transactional());
        try {
            execute(script, historyWrite);
            if (script.transactional()) {
                connection().commit();
            }
        } catch (ScriptFailure f) {
            if (script.transactional()) {
                rollbackQuietly();
            }
            throw statementFailed(script, f.statement, f.cause);
        } catch (SQLException e) {
            rollbackQuietly();
            throw statementFailed(script, null, e);
        } finally {
            autoCommit(true);
        }
    }

    @Override
    public List<StepResult> dryRun(List<Migration> migrations, boolean up, RunInfo run) {
        List<StepResult> steps = new ArrayList<>();
        autoCommit(false);
        try {
            for (Migration m : migrations) {
                SqlScript script = up ? m.up().orElseThrow() : m.down().orElseThrow();
                long started = System.nanoTime();
                if (!script.transactional()) {
                    steps.add(new StepResult(m.version().text(), m.name(), script.fileName(), "skipped", 0,
                            "runs outside a transaction (" + SqlScript.NO_TRANSACTION_MARKER
                                    + "), so a dry run cannot undo it; not executed"));
                    continue;
                }
                try {
                    execute(script, up ? () -> insertHistory(m, run, millisSince(started)) : () -> deleteHistory(m.version()));
                    steps.add(new StepResult(m.version().text(), m.name(), script.fileName(),
                            up ? "would_apply" : "would_roll_back", millisSince(started), null));
                } catch (ScriptFailure f) {
                    MigrateException failure = statementFailed(script, f.statement, f.cause);
                    steps.add(new StepResult(m.version().text(), m.name(), script.fileName(), "failed",
                            millisSince(started), failure.getMessage()));
                    break;
                }
            }
        } finally {
            rollbackQuietly();
            autoCommit(true);
        }
        return steps;
    }

    @Override
    public void record(Migration migration, RunInfo run) {
        try {
            insertHistory(migration, run, 0);
        } catch (SQLException e) {
            throw databaseError("recording version " + migration.version().text(), e);
        }
    }

    @Override
    public void updateChecksum(Version version, String checksum) {
        try (PreparedStatement ps = connection().prepareStatement("UPDATE " + history + " SET checksum = ? WHERE version"
                + (numericVersions ? " = ?" : "::numeric = ?::numeric"))) {
            ps.setString(1, checksum);
            bindVersion(ps, 2, version);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw databaseError("updating the checksum of version " + version.text(), e);
        }
    }

    private void execute(SqlStatement statement) throws SQLException {
        try (Statement st = connection().createStatement()) {
            st.setEscapeProcessing(false);
            st.execute(statement.sql());
        }
    }

    private void insertHistory(Migration m, RunInfo run, long executionMs) throws SQLException {
        try (PreparedStatement ps = connection().prepareStatement("INSERT INTO " + history
                + " (version, name, applied_at, checksum, execution_time_ms, run_id, applied_by)"
                + " VALUES (?, ?, now(), ?, ?, ?, coalesce(?, current_user))")) {
            bindVersion(ps, 1, m.version());
            ps.setString(2, m.name());
            ps.setString(3, m.up().orElseThrow().checksum());
            ps.setLong(4, executionMs);
            ps.setString(5, run.runId());
            ps.setString(6, run.appliedBy());
            ps.executeUpdate();
        }
    }

    private void deleteHistory(Version version) throws SQLException {
        // Compare as numbers so a row written "1" by the old system matches the file "001".
        try (PreparedStatement ps = connection().prepareStatement("DELETE FROM " + history + " WHERE version"
                + (numericVersions ? " = ?" : "::numeric = ?::numeric"))) {
            bindVersion(ps, 1, version);
            ps.executeUpdate();
        }
    }

    private void bindVersion(PreparedStatement ps, int index, Version version) throws SQLException {
        if (numericVersions) {
            ps.setBigDecimal(index, new BigDecimal(version.number()));
        } else {
            ps.setString(index, version.text());
        }
    }

    /** The server's message for a failed statement, with the file line its error position points at. */
    private MigrateException statementFailed(SqlScript script, SqlStatement statement, SQLException e) {
        if (isConnectionLost(e)) {
            return new MigrateException(Failure.MIGRATION_FAILED, script.fileName() + ": lost the connection to"
                    + " PostgreSQL while running it" + (script.transactional() ? "; the server rolls the migration back"
                    : "; statements already run stay applied") + ": " + e.getMessage(), script.fileName(), null, e);
        }
        Integer line = null;
        StringBuilder message = new StringBuilder();
        ServerErrorMessage server = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
        if (statement != null) {
            line = statement.startLine();
            if (server != null && server.getPosition() > 0) {
                line = statement.lineOf(server.getPosition());
            }
        }
        message.append(script.fileName());
        if (line != null) {
            message.append(':').append(line);
        }
        message.append(": ");
        if (server != null) {
            message.append(server.getSeverity()).append(": ").append(server.getMessage());
            if (server.getDetail() != null) {
                message.append(" (").append(server.getDetail()).append(')');
            }
            if (server.getHint() != null) {
                message.append(" Hint: ").append(server.getHint());
            }
            if (server.getWhere() != null && server.getPosition() == 0) {
                message.append(" [").append(server.getWhere()).append(']');
            }
            message.append(" [SQLSTATE ").append(server.getSQLState()).append(']');
        } else {
            message.append(e.getMessage());
        }
        if (statement == null) {
            message.append(" (while recording the history row)");
        }
        message.append(script.transactional()
                ? ". The migration was rolled back; nothing of it remains."
                : ". The file runs outside a transaction: statements before this one stay applied.");
        return new MigrateException(Failure.MIGRATION_FAILED, message.toString(), script.fileName(), line, e);
    }

    private static boolean isConnectionLost(SQLException e) {
        return e.getSQLState() != null && e.getSQLState().startsWith("08");
    }

    private MigrateException databaseError(String doing, SQLException e) {
        if (e.getSQLState() != null && (e.getSQLState().startsWith("08") || e.getSQLState().startsWith("28"))) {
            return new MigrateException(Failure.UNREACHABLE, "lost PostgreSQL at " + config.describe() + " while "
                    + doing + ": " + e.getMessage(), e);
        }
        return new MigrateException(Failure.MIGRATION_FAILED, "PostgreSQL error while " + doing + ": "
                + e.getMessage(), e);
    }

    private void autoCommit(boolean on) {
        try {
            if (connection != null && !connection.isClosed() && connection.getAutoCommit() != on) {
                connection.setAutoCommit(on);
            }
        } catch (SQLException e) {
            throw databaseError("switching transaction mode", e);
        }
    }

    private void rollbackQuietly() {
        try {
            if (connection != null && !connection.isClosed() && !connection.getAutoCommit()) {
                connection.rollback();
            }
        } catch (SQLException ignored) {
            // The transaction dies with the connection; nothing more to undo here.
        }
    }

    private void closeQuietly() {
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException ignored) {
            // Closing is best effort; the server ends the session either way.
        } finally {
            connection = null;
        }
    }

    @Override
    public void close() {
        closeQuietly();
    }

    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    private static long millisSince(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }
}
