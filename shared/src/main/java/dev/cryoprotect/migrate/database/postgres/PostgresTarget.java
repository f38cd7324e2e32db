package dev.cryoprotect.migrate.database.postgres;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.database.DatabaseTarget;
import dev.cryoprotect.migrate.model.AppliedMigration;
import dev.cryoprotect.migrate.model.Database;
import dev.cryoprotect.migrate.model.Migration;
import dev.cryoprotect.migrate.model.RunInfo;
import dev.cryoprotect.migrate.model.SqlScript;
import dev.cryoprotect.migrate.model.StepOutcome;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.report.StepResult;

import java.math.BigInteger;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Supabase (PostgreSQL) over JDBC. One connection per target: the session advisory lock lives on it, so a killed
 * process releases the lock when the server sees the connection drop. The pieces: {@link HistoryTable} (kept in step
 * with {@link SupabaseCliHistory} where the Supabase CLI's table exists), {@link AdvisoryLock}, {@link ScriptRunner},
 * {@link PostgresErrors}.
 */
public final class PostgresTarget implements DatabaseTarget {
    private final PostgresConfig config;
    private final HistoryTable history;
    private final HistoryShapes shapes;
    private final SupabaseCliHistory cliHistory;
    private final AdvisoryLock lock;
    private Connection connection;
    private ScriptRunner runner; // the connection's, which knows whether a file has used its session
    private boolean locked;
    // The statement that drops the history table this run created, while it holds no row; null: none created.
    private String takeBack;

    public PostgresTarget(PostgresConfig config) {
        this.config = config;
        this.shapes = new HistoryShapes(config.historySchema(), config.historyTable());
        this.history = new HistoryTable(config, shapes);
        this.cliHistory = new SupabaseCliHistory(shapes);
        this.lock = new AdvisoryLock(config);
    }

    @Override
    public Database database() {
        return Database.SUPABASE;
    }

    @Override
    public String describe() {
        return config.describe() + ", history " + history.displayName();
    }

    /** The open connection, connecting on first use, its session as it started (no file's settings left in it). */
    private Connection connection() {
        try {
            runner().resetIfUsed();
        } catch (SQLException e) {
            throw PostgresErrors.databaseError(config, "resetting the session after a migration", e);
        }
        return connection;
    }

    /** The connection's script runner, connecting on first use; a file's run resets the session itself. */
    private ScriptRunner runner() {
        if (connection == null) {
            connection = config.connect();
            runner = new ScriptRunner(connection, config.applicationName());
        }
        return runner;
    }

    /**
     * This tool's history, plus the versions only the Supabase CLI's table records (marked as such): one look at the
     * catalog for both tables (none when already made under the run lock) and one round trip for the rows of both.
     */
    @Override
    public List<AppliedMigration> applied() {
        try {
            Connection c = connection();
            if (!locked) {
                shapes.forget(); // without the lock, any other run may have changed them since
            }
            boolean lookedUpEarlier = shapes.known();
            try {
                return readHistories(c);
            } catch (SQLException e) {
                if (!lookedUpEarlier || !UNDEFINED.contains(e.getSQLState()) || !c.getAutoCommit()) {
                    throw e;
                }
                shapes.forget(); // a file of this run altered or dropped a history table: look again
                return readHistories(c);
            }
        } catch (SQLException e) {
            throw PostgresErrors.databaseError(config, "reading the migration history", e);
        }
    }

    /** PostgreSQL's undefined_table and undefined_column. */
    private static final Set<String> UNDEFINED = Set.of("42P01", "42703");

    private List<AppliedMigration> readHistories(Connection c) throws SQLException {
        String ours = history.select(c);
        String theirs = cliHistory.select(c);
        List<AppliedMigration> rows = new ArrayList<>();
        List<AppliedMigration> cliRows = new ArrayList<>();
        if (ours != null || theirs != null) {
            try (Statement st = c.createStatement()) {
                st.setEscapeProcessing(false);
                st.execute(ours == null ? theirs : theirs == null ? ours : ours + ";\n" + theirs);
                if (ours != null) {
                    rows.addAll(history.rows(st.getResultSet()));
                    st.getMoreResults();
                }
                if (theirs != null) {
                    cliRows.addAll(cliHistory.rows(st.getResultSet()));
                }
            }
        }
        for (AppliedMigration cli : cliRows) {
            if (rows.stream().noneMatch(r -> r.version().equals(cli.version()))) {
                rows.add(cli);
            }
        }
        rows.sort((a, b) -> a.version().compareTo(b.version()));
        return rows;
    }

    @Override
    public Lock lock(Duration wait, Consumer<String> waiting) {
        try {
            lock.acquire(connection(), wait, waiting);
        } catch (SQLException e) {
            throw PostgresErrors.databaseError(config, "taking the migration lock", e);
        }
        locked = true;
        takeBack = null; // only what this run creates is taken back
        shapes.forget(); // what a run writes by is looked up under its lock, and kept while it holds it
        return this::unlock;
    }

    @Override
    public java.util.Optional<String> runInProgress() {
        try {
            return java.util.Optional.ofNullable(lock.otherHolder(connection()));
        } catch (SQLException e) {
            return java.util.Optional.empty(); // only advice for status: a lock table it may not read fails nothing
        }
    }

    private void unlock() {
        if (!locked) {
            return;
        }
        locked = false;
        try {
            runner.resetIfUsed();
            // A first run whose first file failed leaves no history table behind; in the release's round trip.
            String unused = takeBack;
            takeBack = null;
            if (unused != null) {
                shapes.forget();
            }
            lock.release(connection, connection.getAutoCommit() ? unused : null);
        } catch (SQLException e) {
            closeQuietly(); // a session lock: closing the connection releases it anyway
        }
    }

    @Override
    public void prepare() {
        requireLock("prepare");
        Connection c = connection();
        try {
            c.setAutoCommit(false);
            String created = history.createOrAdopt(c);
            c.commit();
            if (created != null) {
                takeBack = created; // only once it is committed: a dry run's creation rolls back by itself
            }
        } catch (SQLException e) {
            runner.rollbackQuietly();
            shapes.forget(); // what the rolled-back transaction did to the table is gone with it
            throw PostgresErrors.databaseError(config, "creating the migration history table", e);
        } finally {
            autoCommit();
        }
    }

    /**
     * A transactional file runs with its history row in one transaction. A no-transaction file is recorded as PARTIAL
     * before its first statement and its progress after each, so a run that stops part way is visible and the next
     * apply of a PARTIAL version continues after the statements that ran.
     */
    @Override
    public AppliedMigration apply(Migration migration, RunInfo run) {
        requireLock("apply");
        return apply(migration, run, true);
    }

    /** {@code batching}: false for a file that failed among others sent together (see {@link #applyInOrder}). */
    private AppliedMigration apply(Migration migration, RunInfo run, boolean batching) {
        SqlScript script = migration.up().orElseThrow();
        long started = System.nanoTime();
        if (script.transactional()) {
            runScript(script, appliedRows(migration, run), batching);
        } else {
            runOutsideTransaction(migration, script, "partial", run, () -> {
                if (AdvisoryLock.mayRelease(script.text())) {
                    try (Statement st = connection.createStatement()) {
                        st.execute(lock.stillHeldCheck()); // lost: the file stays PARTIAL, and the run stops
                    }
                }
                history.markApplied(connection, migration, run, millisSince(started));
                cliHistory.insert(connection, migration);
            });
        }
        return new AppliedMigration(migration.version(), migration.name(), script.checksum(), null,
                millisSince(started), run.runId(), run.appliedBy());
    }

    /**
     * At most this many files go to the server together: their lines of output wait for the last of them, and a run
     * killed meanwhile may see the server finish what it had sent (each file whole, with its history row).
     */
    private static final int MAX_TOGETHER = 32;
    /** And at most about this much SQL, so a batch stays a small part of the heap. */
    private static final int MAX_TOGETHER_CHARS = 1 << 20;

    /**
     * Consecutive files of plain DDL and DML go to the server together, each still in a transaction of its own with its
     * history row: a round trip for the group instead of one per file, which against a server 30 ms away is most of an
     * apply's time. Any other file runs as {@link #apply} runs it. A file that fails in a group was rolled back there;
     * it then runs again on its own, statement by statement, which names the statement and line that fail (or, if what
     * failed was passing, a lock timeout say, lands it). So it runs twice, as a file failing in its own batch does.
     */
    @Override
    public void applyInOrder(List<Migration> plan, RunInfo run, Consumer<AppliedMigration> applied) {
        requireLock("apply");
        boolean together = runner().stopsAtFirstErrorInABatch();
        int next = 0;
        while (next < plan.size()) {
            List<Migration> group = together ? together(plan, next) : List.of();
            if (group.size() < 2) {
                applied.accept(apply(plan.get(next++), run));
                continue;
            }
            int landed = applyTogether(group, run, applied);
            next += landed;
            if (landed < group.size()) {
                applied.accept(apply(plan.get(next++), run, false));
            }
        }
    }

    /** The files from {@code from} on that can go to the server together (none that may release the run's lock). */
    private static List<Migration> together(List<Migration> plan, int from) {
        int end = from;
        long chars = 0;
        while (end < plan.size() && end - from < MAX_TOGETHER) {
            SqlScript script = plan.get(end).up().orElseThrow();
            chars += script.text().length();
            if (!ScriptRunner.runsTogether(script) || AdvisoryLock.mayRelease(script.text())
                    || chars > MAX_TOGETHER_CHARS && end > from) {
                break;
            }
            end++;
        }
        return plan.subList(from, end);
    }

    /**
     * Sends the group and tells {@code applied} of each file that landed, in order, as the history records it; returns
     * how many did. Fewer than all: the next one failed, and was rolled back.
     */
    private int applyTogether(List<Migration> group, RunInfo run, Consumer<AppliedMigration> applied) {
        List<SqlScript> scripts = group.stream().map(m -> m.up().orElseThrow()).toList();
        SQLException failure;
        try {
            runner().runTogether(scripts, group.stream().map(m -> appliedRows(m, run)).toList());
            failure = null;
        } catch (ScriptRunner.NotSent e) {
            group.forEach(m -> applied.accept(apply(m, run))); // nothing was sent: one at a time, as before
            return group.size();
        } catch (ScriptRunner.CommitUncertain e) {
            // What landed before the connection went, a fresh connection can still tell; the rest stays uncertain.
            int landed = reportLanded(group, landedAfterLoss(run), run, applied, true);
            if (landed == group.size()) {
                return landed; // all of them did; the lost connection fails whatever comes next
            }
            throw PostgresErrors.commitUncertain(scripts.subList(landed, scripts.size()), e.error);
        } catch (SQLException e) {
            failure = e; // which file failed, the history says: the first without its row
        }
        Map<BigInteger, Long> landed;
        try {
            landed = history.appliedInRun(connection(), run);
        } catch (SQLException | MigrateException e) {
            if (failure == null) {
                landed = null; // every COMMIT was confirmed; only the times are missing
            } else {
                MigrateException error = new MigrateException(Failure.MIGRATION_FAILED, "one of "
                        + scripts.get(0).fileName() + " … " + scripts.get(scripts.size() - 1).fileName() + " (sent"
                        + " together) failed: " + failure.getMessage() + "; which of them landed before it could not be"
                        + " read (" + e.getMessage() + "): run 'migrate status' to see", scripts.get(0).fileName(),
                        null, failure);
                error.addSuppressed(e);
                throw error;
            }
        }
        return reportLanded(group, landed, run, applied, failure != null);
    }

    /**
     * Tells {@code applied} of the group's files that {@code landed} (the history's versions and times) holds, in
     * order, and returns how many; null {@code landed}: all of them, times unknown. After a failure the files that
     * landed must come before any that did not; a file that landed after one that did not is refused, since running
     * anything again could run it twice.
     */
    private static int reportLanded(List<Migration> group, Map<BigInteger, Long> landed,
                                    RunInfo run, Consumer<AppliedMigration> applied, boolean failed) {
        int count = 0;
        while (count < group.size() && (landed == null || !failed || landed.containsKey(group.get(count).version()
                .number()))) {
            Migration m = group.get(count++);
            applied.accept(new AppliedMigration(m.version(), m.name(), m.up().orElseThrow().checksum(), null,
                    landed == null ? null : landed.get(m.version().number()), run.runId(), run.appliedBy()));
        }
        for (Migration m : group.subList(count, group.size())) {
            if (landed != null && landed.containsKey(m.version().number())) {
                throw new MigrateException(Failure.HISTORY_CONFLICT, m.up().orElseThrow().fileName() + " landed"
                        + " though " + group.get(count).up().orElseThrow().fileName() + " before it, sent with it, did"
                        + " not; the history shows what landed: run 'migrate status' before anything else",
                        m.up().orElseThrow().fileName(), null, null);
            }
        }
        return count;
    }

    /** This run's applied versions, read over a connection of its own after this one was lost; empty if it cannot. */
    private Map<BigInteger, Long> landedAfterLoss(RunInfo run) {
        try (Connection fresh = config.connect()) {
            return history.appliedInRun(fresh, run);
        } catch (SQLException | MigrateException e) {
            return Map.of(); // nothing confirmed: the message says to look
        }
    }

    /**
     * A transactional file's history rows, over a leftover PARTIAL row. Where the file's statements allow, they go in
     * its last batch with the values written in, and the server takes the execution time: a round trip fewer.
     */
    private ScriptRunner.HistoryWrite appliedRows(Migration migration, RunInfo run) {
        return new ScriptRunner.HistoryWrite() {
            @Override
            public void run() throws SQLException {
                try (Statement st = connection.createStatement()) {
                    st.setEscapeProcessing(false);
                    for (String sql : batched()) {
                        st.execute(sql);
                    }
                }
            }

            @Override
            public List<String> batched() throws SQLException {
                List<String> statements = new ArrayList<>();
                if (AdvisoryLock.mayRelease(migration.up().orElseThrow().text())) {
                    statements.add(lock.stillHeldCheck()); // before the history row: the file is rolled back whole
                }
                statements.addAll(history.replaceStatements(connection, migration, run));
                statements.addAll(cliHistory.insertStatements(connection, migration));
                return statements;
            }
        };
    }

    /** As apply: a no-transaction down file is recorded as ROLLING_BACK while it runs, and a rerun continues it. */
    @Override
    public void rollback(Migration migration, RunInfo run) {
        requireLock("rollback");
        SqlScript down = migration.down().orElseThrow(() -> MigrateException.badInput(migration.label()
                + " has no down file; it cannot be rolled back"));
        if (down.transactional()) {
            runScript(down, () -> recordRolledBack(migration.version()), true);
        } else {
            runOutsideTransaction(migration, down, "rolling_back", run, () -> recordRolledBack(migration.version()));
        }
    }

    private void runOutsideTransaction(Migration migration, SqlScript script, String state, RunInfo run,
                                       ScriptRunner.HistoryWrite finish) {
        int from;
        try {
            from = history.markUnfinished(connection(), migration, run, state);
        } catch (SQLException e) {
            throw PostgresErrors.databaseError(config, "recording that " + script.fileName() + " started", e);
        }
        try {
            runner.runOutsideTransaction(script, from,
                    done -> history.recordProgress(connection, migration.version(), done), finish);
        } catch (ScriptRunner.StatementFailed f) {
            throw PostgresErrors.unfinished(PostgresErrors.statementFailed(config, script, f.statement, f.error),
                    migration.version(), state.equals("partial"));
        } catch (SQLException e) {
            throw PostgresErrors.databaseError(config, "running " + script.fileName(), e);
        }
    }

    /** A transactional file with its history write, in one transaction. */
    private void runScript(SqlScript script, ScriptRunner.HistoryWrite historyWrite, boolean batching) {
        try {
            runner().run(script, historyWrite, batching);
        } catch (ScriptRunner.StatementFailed f) {
            throw PostgresErrors.statementFailed(config, script, f.statement, f.error, f.atCommit);
        } catch (ScriptRunner.TransactionEnded e) {
            throw PostgresErrors.transactionEnded(script, e.statement);
        } catch (ScriptRunner.CommitUncertain e) {
            throw PostgresErrors.commitUncertain(script, e.error);
        } catch (SQLException e) {
            throw PostgresErrors.statementFailed(config, script, null, e);
        }
    }

    /** Every migration in one transaction, rolled back at the end, so later ones see what earlier ones did. */
    @Override
    public List<StepResult> dryRun(List<Migration> migrations, boolean up, RunInfo run) {
        requireLock("dryRun");
        List<StepResult> steps = new ArrayList<>();
        connection(); // a clean session: what the dry run sets is rolled back with it
        try {
            connection.setAutoCommit(false);
            history.createOrAdopt(connection); // inside the transaction that is rolled back: a dry run leaves no table
            for (Migration m : migrations) {
                SqlScript script = up ? m.up().orElseThrow() : m.down().orElseThrow();
                long started = System.nanoTime();
                if (!script.transactional()) {
                    steps.add(new StepResult(m.version().text(), m.name(), script.fileName(), StepOutcome.SKIPPED, 0,
                            "runs outside a transaction (marked " + SqlScript.NO_TRANSACTION_MARKER + ", or holding a"
                                    + " statement that runs only outside one), so a dry run cannot undo it; not executed"));
                    continue;
                }
                try {
                    runner.resetSession(); // as between files of a real run
                    runner.execute(script, up ? () -> recordApplied(m, run, millisSince(started))
                            : () -> recordRolledBack(m.version()));
                    steps.add(new StepResult(m.version().text(), m.name(), script.fileName(),
                            up ? StepOutcome.WOULD_APPLY : StepOutcome.WOULD_ROLL_BACK, millisSince(started), null));
                } catch (ScriptRunner.StatementFailed f) {
                    String error = PostgresErrors.statementFailed(config, script, f.statement, f.error).getMessage();
                    List<Migration> tried = migrations.subList(0, migrations.indexOf(m));
                    String unsure = whyADryRunCannotTell(tried, steps, script, up, f.error);
                    if (unsure != null) {
                        notTried(migrations.subList(tried.size(), migrations.size()), up, steps, unsure, error);
                    } else {
                        steps.add(new StepResult(m.version().text(), m.name(), script.fileName(), StepOutcome.FAILED,
                                millisSince(started), error));
                    }
                    break;
                } catch (ScriptRunner.TransactionEnded e) {
                    // Cannot happen for files the loader accepted; said loudly if it ever does.
                    steps.add(new StepResult(m.version().text(), m.name(), script.fileName(), StepOutcome.FAILED,
                            millisSince(started), "the dry run could not undo this: "
                            + PostgresErrors.transactionEnded(script, e.statement).getMessage()));
                    break;
                }
            }
        } catch (SQLException e) {
            throw PostgresErrors.databaseError(config, "starting the dry run", e);
        } finally {
            runner.rollbackQuietly();
            shapes.forget(); // what the rolled-back transaction saw of the table is gone with it
            autoCommit();
        }
        return steps;
    }

    /** PostgreSQL's "unsafe use of new value" of an enum: one added by a transaction that has not committed yet. */
    private static final String UNSAFE_NEW_ENUM_VALUE = "55P04";

    /**
     * Why a file's failure in the dry run may be the dry run's own doing, or null when it is the file's: an earlier file
     * was not run (it runs outside a transaction, which a dry run cannot undo) and this one may build on it; or this
     * file uses an enum value an earlier file added, which PostgreSQL allows only after a commit (SQLSTATE 55P04), and
     * a real run commits each file first while a dry run cannot.
     */
    private static String whyADryRunCannotTell(List<Migration> tried, List<StepResult> steps, SqlScript failed,
                                               boolean up, SQLException error) {
        for (StepResult step : steps) {
            if (step.outcome() == StepOutcome.SKIPPED) {
                return "an earlier file, " + step.file() + ", runs outside a transaction and was not run by this dry"
                        + " run, and this file may build on it";
            }
        }
        boolean earlierAddsValue = tried.stream().map(m -> up ? m.up() : m.down()).flatMap(java.util.Optional::stream)
                .anyMatch(PostgresTarget::addsEnumValue);
        if (UNSAFE_NEW_ENUM_VALUE.equals(error.getSQLState()) && earlierAddsValue && !addsEnumValue(failed)) {
            return "it uses a value an earlier file of this dry run added to an enum, which PostgreSQL allows only once"
                    + " that is committed (a real run commits each file first, a dry run cannot)";
        }
        return null;
    }

    private static final java.util.regex.Pattern ADD_VALUE = java.util.regex.Pattern.compile(
            "(?is)^ALTER\\s+TYPE\\s.*\\bADD\\s+VALUE\\b.*");

    /** Whether the file adds a value to an enum (ALTER TYPE ... ADD VALUE). */
    static boolean addsEnumValue(SqlScript script) {
        return script.statements().stream().anyMatch(s -> ADD_VALUE.matcher(s.sql()).matches());
    }

    /** The files from {@code rest.get(0)} on, reported as not tried, the first with why and where the dry run stopped. */
    private static void notTried(List<Migration> rest, boolean up, List<StepResult> steps, String why, String error) {
        String first = (up ? rest.get(0).up() : rest.get(0).down()).orElseThrow().fileName();
        for (Migration m : rest) {
            SqlScript script = up ? m.up().orElseThrow() : m.down().orElseThrow();
            steps.add(new StepResult(m.version().text(), m.name(), script.fileName(), StepOutcome.SKIPPED, 0,
                    m == rest.get(0) ? "not tried: " + why + ". The dry run stopped here, where PostgreSQL said: " + error
                            : "comes after " + first + ", which the dry run could not try; not tried"));
        }
    }

    @Override
    public void record(Migration migration, RunInfo run) {
        requireLock("record");
        try {
            connection().setAutoCommit(false);
            recordApplied(migration, run, 0);
            connection.commit();
        } catch (SQLException e) {
            runner.rollbackQuietly();
            throw PostgresErrors.databaseError(config, "recording version " + migration.version().text(), e);
        } finally {
            autoCommit();
        }
    }

    /** A version's history rows: this tool's, and the Supabase CLI's where that table exists. */
    private void recordApplied(Migration migration, RunInfo run, long executionMs) throws SQLException {
        history.insert(connection, migration, run, executionMs);
        cliHistory.insert(connection, migration);
    }

    private void recordRolledBack(Version version) throws SQLException {
        history.delete(connection, version);
        cliHistory.delete(connection, version);
    }

    @Override
    public void updateChecksum(Version version, String checksum) {
        requireLock("updateChecksum");
        try {
            history.updateChecksum(connection(), version, checksum);
        } catch (SQLException e) {
            throw PostgresErrors.databaseError(config, "updating the checksum of version " + version.text(), e);
        }
    }

    private void requireLock(String method) {
        if (!locked) {
            throw new IllegalStateException("PostgresTarget." + method + " needs the run lock; call lock() first");
        }
    }

    private void autoCommit() {
        try {
            if (connection != null && !connection.isClosed()) {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw PostgresErrors.databaseError(config, "switching transaction mode", e);
        }
    }

    private void closeQuietly() {
        PostgresConfig.closeQuietly(connection);
        connection = null;
        runner = null;
        locked = false;
    }

    @Override
    public void close() {
        closeQuietly();
    }

    private static long millisSince(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }
}
