package dev.cryoprotect.migrate.database.postgres;

import dev.cryoprotect.migrate.model.SqlScript.SqlStatement;
import dev.cryoprotect.migrate.model.SqlScript;
import dev.cryoprotect.migrate.source.TransactionControl;
import org.postgresql.PGConnection;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one SQL file's statements, then its history write, on one connection: inside one transaction for a
 * transactional file (a failure leaves neither), statement by statement in autocommit for a
 * {@code -- migrate:no-transaction} file. {@code COPY ... FROM stdin} data goes through pgjdbc's CopyManager, in the
 * same transaction. After every statement of a transactional file (every run of DDL and DML sent together, which
 * cannot end it) the server must still report the transaction open; if a statement ended it, the run stops there and
 * says what was committed. Every file starts from a clean session: a pg_dump preamble's
 * {@code set_config('search_path', '', false)} or a {@code SET ROLE} must not reach the next file. One runner serves
 * one connection, and knows whether a file has used its session since it was last reset.
 */
final class ScriptRunner {
    /** The history row change that belongs to the script, run right after its last statement. */
    interface HistoryWrite {
        void run() throws SQLException;

        /**
         * The same change as statements that return nothing, with their values written in, so that it can go to the
         * server with the file's last run of statements instead of in a round trip of its own; empty when it cannot.
         */
        default List<String> batched() throws SQLException {
            return List.of();
        }
    }

    /** Which statement of a script failed (null: the history write or the COMMIT) and why. */
    static final class StatementFailed extends Exception {
        private static final long serialVersionUID = 1L;
        final transient SqlStatement statement;
        final SQLException error;
        final boolean atCommit;

        StatementFailed(SqlStatement statement, SQLException error) {
            this(statement, error, false);
        }

        StatementFailed(SqlStatement statement, SQLException error, boolean atCommit) {
            super(error);
            this.statement = statement;
            this.error = error;
            this.atCommit = atCommit;
        }
    }

    /** A statement of a transactional file ended its transaction: what ran up to and including it is committed. */
    static final class TransactionEnded extends Exception {
        private static final long serialVersionUID = 1L;
        final transient SqlStatement statement;

        TransactionEnded(SqlStatement statement) {
            super("transaction ended by the statement on line " + statement.startLine());
            this.statement = statement;
        }
    }

    /** The COMMIT at the end did not come back: the migration and its history row landed together, or neither did. */
    static final class CommitUncertain extends Exception {
        private static final long serialVersionUID = 1L;
        final SQLException error;

        CommitUncertain(SQLException error) {
            super(error);
            this.error = error;
        }
    }

    /** What takes a session back to how it started: SET SESSION AUTHORIZATION DEFAULT also ends a SET ROLE. */
    private static final List<String> RESET = List.of("SET SESSION AUTHORIZATION DEFAULT", "RESET ALL");

    private final Connection connection;
    private final String applicationName;
    private List<String> reset; // RESET, then the session settings that RESET ALL undid, unless the server refused them
    private boolean sessionUsed; // a file has run since the session was last reset

    /** {@code applicationName}: as {@link SessionSettings} sets it, again after each reset. */
    ScriptRunner(Connection connection, String applicationName) {
        this.connection = connection;
        this.applicationName = applicationName;
    }

    /**
     * Runs the script and its history write, committing at the end of a transactional file. Runs of plain DDL and DML
     * go to the server together, a round trip for the run instead of one per statement; if one of them fails, the
     * transaction is rolled back and the file runs again statement by statement, which names the statement that fails.
     */
    void run(SqlScript script, HistoryWrite historyWrite)
            throws StatementFailed, TransactionEnded, CommitUncertain, SQLException {
        run(script, historyWrite, true);
    }

    /**
     * As {@link #run(SqlScript, HistoryWrite)}; without {@code batching}, statement by statement from the start: for a
     * file that just failed among others sent together, whose failing statement only such a run can name.
     */
    void run(SqlScript script, HistoryWrite historyWrite, boolean batching)
            throws StatementFailed, TransactionEnded, CommitUncertain, SQLException {
        batching = batching && script.transactional();
        resetIfUsed(); // before BEGIN: a previous file's default_transaction_* must not shape this file's transaction
        connection.setAutoCommit(!script.transactional());
        boolean leftClean = false;
        try {
            boolean committed;
            try {
                committed = execute(script, historyWrite, batching, true);
            } catch (BatchFailed e) {
                rollbackQuietly(); // nothing of the file remains, and the session is as it was before it
                executeOneByOne(script, historyWrite, true); // its statements run again, one at a time
                committed = false;
            }
            if (script.transactional() && !committed) {
                try {
                    connection.commit();
                } catch (SQLException e) {
                    if (PostgresErrors.isConnectionLost(e)) {
                        throw new CommitUncertain(e);
                    }
                    throw new StatementFailed(null, e, true); // refused at commit (a deferred constraint): rolled back
                }
            }
            leftClean = committed; // the batch reset the session before its COMMIT
        } catch (StatementFailed | TransactionEnded | CommitUncertain e) {
            if (script.transactional()) {
                rollbackQuietly();
            }
            throw e;
        } finally {
            sessionUsed = !leftClean; // what the file set for its session, the next file or resetIfUsed() undoes
            autoCommitQuietly(); // on a lost connection, throwing here would hide the failure that matters
        }
    }

    /**
     * Whether {@link #runTogether} can take the file: transactional, and only plain DDL and DML, which return nothing,
     * cannot end the transaction and set nothing for the session.
     */
    static boolean runsTogether(SqlScript script) {
        return script.transactional() && !script.statements().isEmpty()
                && script.statements().stream().allMatch(ScriptRunner::batchable);
    }

    /**
     * Whether the driver sends a batch as one pipeline whose first error makes the server skip the rest: true in its
     * extended query modes (the default). A URL's {@code preferQueryMode=simple} (or {@code extendedForPrepared})
     * sends each statement of a batch as a query of its own, and after a failing file the server would run the next
     * one: files then go one at a time.
     */
    boolean stopsAtFirstErrorInABatch() {
        try {
            org.postgresql.jdbc.PreferQueryMode mode = connection.unwrap(PGConnection.class).getPreferQueryMode();
            return mode == org.postgresql.jdbc.PreferQueryMode.EXTENDED
                    || mode == org.postgresql.jdbc.PreferQueryMode.EXTENDED_CACHE_EVERYTHING;
        } catch (SQLException e) {
            return false;
        }
    }

    /** {@link #runTogether} sent nothing: a file's statements or history write cannot go in a batch. */
    static final class NotSent extends Exception {
        private static final long serialVersionUID = 1L;

        NotSent(Throwable cause) {
            super(cause);
        }
    }

    /**
     * Several files that {@link #runsTogether} allows, each in a transaction of its own ({@code BEGIN}, its statements,
     * the tail of {@link #committingTail}, {@code COMMIT}), in one round trip. The server runs them in order and, at the
     * first error, skips the rest: the files before the failing one are committed, each with its history row, the
     * failing one is rolled back here, and the ones after it never ran. Which landed, the history says; the caller
     * reads it. A lost connection is {@link CommitUncertain}: the files up to some point landed, the rest did not.
     */
    void runTogether(List<SqlScript> scripts, List<HistoryWrite> historyWrites)
            throws NotSent, SQLException, CommitUncertain {
        try {
            resetIfUsed();
            connection.setAutoCommit(true); // each file's own BEGIN and COMMIT, not the driver's
        } catch (SQLException e) {
            throw new NotSent(e); // one at a time, each then meets (and reports) what is wrong with the session
        }
        boolean leftClean = false;
        try (Statement st = connection.createStatement()) {
            st.setEscapeProcessing(false);
            try {
                for (int f = 0; f < scripts.size(); f++) {
                    List<String> tail = committingTail(historyWrites.get(f));
                    if (tail.isEmpty()) {
                        throw new NotSent(null);
                    }
                    st.addBatch("BEGIN");
                    for (SqlStatement statement : scripts.get(f).statements()) {
                        st.addBatch(statement.sql());
                    }
                    for (String sql : tail) {
                        st.addBatch(sql);
                    }
                    st.addBatch("COMMIT");
                }
            } catch (SQLException | BatchFailed e) {
                throw new NotSent(e);
            }
            try {
                st.executeBatch();
            } catch (SQLException e) {
                if (PostgresErrors.isConnectionLost(e) || isClosed() || !serverRefused(e)) {
                    throw new CommitUncertain(e);
                }
                endOpenTransaction(); // the failing file's, aborted: nothing of it stays
                throw e;
            }
            leftClean = true; // each file reset the session before its COMMIT
        } finally {
            sessionUsed = !leftClean;
        }
    }

    /**
     * Settings a file made for its session (SET, set_config(..., false), SET ROLE) go back to their defaults, in one
     * round trip, and the session's own settings that RESET ALL undid are made again.
     */
    void resetSession() throws SQLException {
        List<String> statements = resetStatements();
        try (Statement st = connection.createStatement()) {
            st.execute(String.join("; ", statements));
        } catch (SQLException e) {
            if (reset.size() == RESET.size() || PostgresErrors.isConnectionLost(e) || isClosed()) {
                throw e;
            }
            reset = RESET; // a server or pooler that refuses the settings still gets its session reset, from now on
            try (Statement st = connection.createStatement()) {
                st.execute(String.join("; ", reset));
            }
        }
        sessionUsed = false;
    }

    /** Before anything else uses the connection (a history read, the lock's release): the session as it started. */
    void resetIfUsed() throws SQLException {
        if (sessionUsed) {
            resetSession();
        }
    }

    private List<String> resetStatements() throws SQLException {
        if (reset == null) {
            List<String> all = new ArrayList<>(RESET); // RESET ALL leaves the session settings at their defaults
            all.addAll(SessionSettings.statements(connection, applicationName));
            reset = List.copyOf(all);
        }
        return reset;
    }

    /** What to record after each statement of a file that runs outside a transaction: how many have run. */
    interface ProgressWrite {
        void done(int statements) throws SQLException;
    }

    /**
     * Runs a {@code -- migrate:no-transaction} file statement by statement from {@code from} (statements before it ran
     * in an earlier, interrupted run), recording progress after each, then the history write.
     */
    void runOutsideTransaction(SqlScript script, int from, ProgressWrite progress, HistoryWrite historyWrite)
            throws StatementFailed, SQLException {
        resetIfUsed();
        connection.setAutoCommit(true);
        try {
            List<SqlStatement> statements = script.statements();
            for (int i = Math.min(from, statements.size()); i < statements.size(); i++) {
                int done = i + 1;
                if (transactionState() == TransactionState.IDLE
                        && !TransactionControl.controlsTransactions(statements.get(i).sql())
                        && runWithProgress(statements.get(i), progress, done)) {
                    continue;
                }
                try {
                    executeOne(statements.get(i));
                } catch (SQLException e) {
                    endOpenTransaction(); // the file's own BEGIN block, failed: the session must not stay inside it
                    throw new StatementFailed(statements.get(i), e);
                }
                try {
                    asConnectingUser(() -> progress.done(done));
                } catch (SQLException e) {
                    endOpenTransaction();
                    throw new StatementFailed(null, e); // the statement ran; recording that it did failed
                }
            }
            try {
                asConnectingUser(historyWrite::run);
            } catch (SQLException e) {
                throw new StatementFailed(null, e);
            }
        } finally {
            sessionUsed = true;
        }
    }

    /**
     * A statement of a no-transaction file and its progress row, committed together: a run killed between the two
     * would otherwise leave the statement done but uncounted, and {@code --resume} would run it again. Returns false,
     * having changed nothing, for a statement PostgreSQL runs only outside a transaction block (CREATE INDEX
     * CONCURRENTLY, VACUUM...): that one runs on its own, its progress written after it, as before.
     */
    private boolean runWithProgress(SqlStatement statement, ProgressWrite progress, int done)
            throws StatementFailed, SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute("BEGIN");
            try {
                executeOne(statement);
            } catch (SQLException e) {
                endOpenTransaction();
                if (OUTSIDE_TRANSACTION_ONLY.equals(e.getSQLState()) && !isClosed()) {
                    return false;
                }
                throw new StatementFailed(statement, e);
            }
            try {
                // SET LOCAL ends with this transaction: the file's own settings carry on to its next statement.
                st.execute("SET LOCAL SESSION AUTHORIZATION DEFAULT; SET LOCAL ROLE NONE");
                progress.done(done);
                st.execute("COMMIT");
            } catch (SQLException e) {
                endOpenTransaction();
                throw new StatementFailed(null, e); // the statement did not stay: the write of its progress failed
            }
        }
        return true;
    }

    /** SQLSTATE active_sql_transaction: "… cannot run inside a transaction block". */
    private static final String OUTSIDE_TRANSACTION_ONLY = "25001";

    /**
     * A no-transaction file's progress or history write, as the user who connected. The file's own settings must carry
     * to its next statement, so they are set aside only for the write: {@code SET LOCAL} in a transaction of the
     * write's own, which its COMMIT ends. Inside the file's own open BEGIN block the write runs as it is (a transaction
     * of its own would end the file's), and a role that hides the row is then reported by the write.
     */
    private void asConnectingUser(HistoryWrite write) throws SQLException {
        if (transactionState() != TransactionState.IDLE) {
            write.run();
            return;
        }
        try (Statement st = connection.createStatement()) {
            st.execute("BEGIN; SET LOCAL SESSION AUTHORIZATION DEFAULT; SET LOCAL ROLE NONE");
            try {
                write.run();
            } catch (SQLException | RuntimeException e) {
                try {
                    st.execute("ROLLBACK");
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
                throw e;
            }
            st.execute("COMMIT");
        }
    }

    private void endOpenTransaction() {
        try {
            if (!isClosed() && transactionState() != TransactionState.IDLE) {
                try (Statement st = connection.createStatement()) {
                    st.execute("ROLLBACK");
                }
            }
        } catch (SQLException e) {
            // the failure being reported matters more; the connection is reset or replaced before its next use
        }
    }

    /** Runs the script and its history write in the transaction already open on the connection; never commits. */
    void execute(SqlScript script, HistoryWrite historyWrite) throws StatementFailed, TransactionEnded {
        executeOneByOne(script, historyWrite, false); // a dry run: later files share the transaction
    }

    private void executeOneByOne(SqlScript script, HistoryWrite historyWrite, boolean commits)
            throws StatementFailed, TransactionEnded {
        try {
            execute(script, historyWrite, false, commits);
        } catch (BatchFailed | CommitUncertain e) {
            throw new IllegalStateException("no batch runs without batching", e);
        }
    }

    /** A run of statements sent together failed: which one, only a run one at a time can say. */
    private static final class BatchFailed extends Exception {
        private static final long serialVersionUID = 1L;

        BatchFailed(SQLException cause) {
            super(cause);
        }
    }

    /**
     * With batching, the deferred check, the session reset, the history write and the COMMIT go at the tail of the last
     * batch, where the file's statements allow: a file of plain DDL and DML is one round trip, and leaves the session as
     * it found it (a reset inside the transaction is undone with it if the file fails, as are the file's own settings).
     * {@code commits}: a COMMIT follows the file (not in a dry run, whose later files share its transaction). Returns
     * whether the transaction was committed that way.
     */
    private boolean execute(SqlScript script, HistoryWrite historyWrite, boolean batching, boolean commits)
            throws StatementFailed, TransactionEnded, BatchFailed, CommitUncertain {
        List<SqlStatement> statements = script.statements();
        for (int i = 0; i < statements.size(); ) {
            int end = i;
            while (batching && end < statements.size() && batchable(statements.get(end))) {
                end++;
            }
            if (end > i) {
                List<String> tail = end == statements.size() ? committingTail(historyWrite) : List.of();
                if (!tail.isEmpty()) {
                    executeBatch(statements.subList(i, end), tail, true);
                    return true;
                }
                if (end - i >= 2) {
                    executeBatch(statements.subList(i, end), List.of(), false);
                    i = end;
                    continue;
                }
            }
            SqlStatement statement = statements.get(i++);
            try {
                executeOne(statement);
                if (script.transactional() && transactionState() == TransactionState.IDLE) {
                    throw new TransactionEnded(statement);
                }
            } catch (SQLException e) {
                throw new StatementFailed(statement, e);
            }
        }
        if (script.transactional()) {
            // One round trip: the deferred check (when a COMMIT follows), then the reset. Only the check can refuse.
            List<String> beforeHistory = new ArrayList<>(commits ? List.of(CHECK_DEFERRED) : List.of());
            beforeHistory.addAll(RESET); // the session settings come back before the connection's next use
            try (Statement st = connection.createStatement()) {
                st.execute(String.join("; ", beforeHistory));
            } catch (SQLException e) {
                throw new StatementFailed(null, e, commits);
            }
        }
        try {
            historyWrite.run();
        } catch (SQLException e) {
            throw new StatementFailed(null, e);
        }
        return false;
    }

    /**
     * Between a transactional file's last statement and its history row: deferred constraints (and constraint
     * triggers) are checked here, under the file's own settings (its role, search_path, statement_timeout), not at the
     * COMMIT; then the session is reset, so the history row is written as the user who connected, whatever role the
     * file switched to. Both inside the file's transaction: a file that fails takes them back too.
     */
    private static final String CHECK_DEFERRED = "SET CONSTRAINTS ALL IMMEDIATE";

    /**
     * What the last batch ends with before its COMMIT: the deferred check, the session reset (see
     * {@link #CHECK_DEFERRED}), then the history write; empty when the history write cannot be batched. If preparing
     * them fails, the file runs one statement at a time, which says why.
     */
    private List<String> committingTail(HistoryWrite historyWrite) throws BatchFailed {
        try {
            List<String> history = historyWrite.batched();
            if (history.isEmpty()) {
                return history;
            }
            List<String> tail = new ArrayList<>(List.of(CHECK_DEFERRED));
            tail.addAll(resetStatements());
            tail.addAll(history);
            return tail;
        } catch (SQLException e) {
            throw new BatchFailed(e);
        }
    }

    /** Statements that go to the server together: they return no rows and cannot end a transaction. */
    private static final java.util.Set<String> BATCHABLE = java.util.Set.of("create", "alter", "drop", "insert", "update",
            "delete", "grant", "revoke", "comment", "truncate");

    static boolean batchable(SqlStatement statement) {
        if (statement.isCopyFromStdin()) {
            return false;
        }
        String sql = statement.sql();
        String keyword = firstWord(sql);
        // RETURNING anywhere (even in a function body or a name) keeps a statement out: a batch takes no rows back.
        return BATCHABLE.contains(keyword) && !sql.toLowerCase(java.util.Locale.ROOT).contains("returning");
    }

    /** The statement's first word, lower case, after blanks and comments. */
    private static String firstWord(String sql) {
        int i = 0;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (sql.startsWith("--", i)) {
                i = dev.cryoprotect.migrate.source.SqlSplitter.lineEnd(sql, i); // a \r or \n ends it, as in PostgreSQL
            } else if (sql.startsWith("/*", i)) {
                int end = sql.indexOf("*/", i + 2);
                i = end < 0 ? sql.length() : end + 2; // nested comments end a statement's batching, harmlessly
            } else {
                break;
            }
        }
        int start = i;
        while (i < sql.length() && Character.isLetter(sql.charAt(i))) {
            i++;
        }
        return sql.substring(start, i).toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The file's statements, then {@code tail} (see {@link #committingTail}, or nothing), in one round
     * trip, then the COMMIT when {@code commits}. None of the statements can end the transaction, which is checked
     * after them. With the COMMIT sent, a lost connection leaves it unknown whether the file landed.
     */
    private void executeBatch(List<SqlStatement> batch, List<String> tail, boolean commits)
            throws BatchFailed, TransactionEnded, CommitUncertain {
        try (Statement st = connection.createStatement()) {
            st.setEscapeProcessing(false);
            try {
                for (SqlStatement statement : batch) {
                    st.addBatch(statement.sql()); // the driver refuses a text of several statements here: nothing sent
                }
                for (String sql : tail) {
                    st.addBatch(sql);
                }
                if (commits) {
                    st.addBatch("COMMIT");
                }
            } catch (SQLException e) {
                throw new BatchFailed(e);
            }
            try {
                st.executeBatch();
            } catch (SQLException e) {
                if (commits && (PostgresErrors.isConnectionLost(e) || isClosed() || !serverRefused(e))) {
                    throw new CommitUncertain(e);
                }
                throw new BatchFailed(e); // nothing committed: the server skips the rest of a batch after an error
            }
            if (!commits && transactionState() == TransactionState.IDLE) {
                throw new TransactionEnded(batch.get(batch.size() - 1));
            }
        } catch (SQLException e) {
            throw new BatchFailed(e); // creating or closing the statement, or reading the transaction state
        }
    }

    /**
     * Whether the server itself refused part of the batch. Any refusal inside the transaction means it cannot commit
     * (a statement's error aborts it, a refused COMMIT rolls it back); an error of the driver's own, reading the
     * answers after everything was sent, says nothing about whether the COMMIT ran.
     */
    private static boolean serverRefused(SQLException e) {
        Throwable t = e;
        for (int depth = 0; t != null && depth < 10; depth++, t = t instanceof SQLException s
                && s.getNextException() != null ? s.getNextException() : t.getCause()) {
            if (t instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null) {
                return true;
            }
        }
        return false;
    }

    private void executeOne(SqlStatement statement) throws SQLException {
        if (statement.isCopyFromStdin()) {
            copyIn(statement);
        } else {
            try (Statement st = connection.createStatement()) {
                st.setEscapeProcessing(false); // the SQL goes to the server as written
                st.execute(statement.sql());
            }
        }
    }

    private void copyIn(SqlStatement statement) throws SQLException {
        try {
            connection.unwrap(PGConnection.class).getCopyAPI().copyIn(statement.sql(),
                    new StringReader(statement.copyData()));
        } catch (IOException e) {
            throw new SQLException("reading the COPY data failed: " + e.getMessage(), "58030", e);
        }
    }

    private void autoCommitQuietly() {
        try {
            if (!connection.isClosed()) {
                connection.setAutoCommit(true);
            }
        } catch (SQLException ignored) {
            // the connection is broken; its next use says so
        }
    }

    private boolean isClosed() {
        try {
            return connection.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    /** What the server last said about the transaction: open, failed, or none (idle). */
    private TransactionState transactionState() throws SQLException {
        return connection.unwrap(BaseConnection.class).getTransactionState();
    }

    void rollbackQuietly() {
        try {
            if (!connection.isClosed() && !connection.getAutoCommit()) {
                connection.rollback();
            }
        } catch (SQLException ignored) {
            // The transaction dies with the connection; nothing more to undo here.
        }
    }
}
