package dev.cryoprotect.migrate.database.postgres;

import dev.cryoprotect.migrate.model.SqlScript.SqlStatement;
import dev.cryoprotect.migrate.model.SqlScript;
import org.postgresql.PGConnection;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Runs one SQL file's statements, then its history write, on one connection: inside one transaction for a
 * transactional file (a failure leaves neither), statement by statement in autocommit for a
 * {@code -- migrate:no-transaction} file. {@code COPY ... FROM stdin} data goes through pgjdbc's CopyManager, in the
 * same transaction. After every statement of a transactional file (every run of DDL and DML sent together, which
 * cannot end it) the server must still report the transaction open; if a statement ended it, the run stops there and
 * says what was committed. Every file starts from a clean session:
 * a pg_dump preamble's {@code set_config('search_path', '', false)} must not reach the next file.
 */
final class ScriptRunner {
    /** The history row change that belongs to the script, run right after its last statement. */
    interface HistoryWrite {
        void run() throws SQLException;
    }

    /** Which statement of a script failed (null: the history write) and why. */
    static final class StatementFailed extends Exception {
        private static final long serialVersionUID = 1L;
        final transient SqlStatement statement;
        final SQLException error;

        StatementFailed(SqlStatement statement, SQLException error) {
            super(error);
            this.statement = statement;
            this.error = error;
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

    private final Connection connection;

    ScriptRunner(Connection connection) {
        this.connection = connection;
    }

    /**
     * Runs the script and its history write, committing at the end of a transactional file. Runs of plain DDL and DML
     * go to the server together, a round trip for the run instead of one per statement; if one of them fails, the
     * transaction is rolled back and the file runs again statement by statement, which names the statement that fails.
     */
    void run(SqlScript script, HistoryWrite historyWrite)
            throws StatementFailed, TransactionEnded, CommitUncertain, SQLException {
        connection.setAutoCommit(!script.transactional());
        try {
            try {
                execute(script, historyWrite, script.transactional());
            } catch (BatchFailed e) {
                rollbackQuietly(); // nothing of the file remains; its statements run again, one at a time
                execute(script, historyWrite);
            }
            if (script.transactional()) {
                try {
                    connection.commit();
                } catch (SQLException e) {
                    if (PostgresErrors.isConnectionLost(e)) {
                        throw new CommitUncertain(e);
                    }
                    throw new StatementFailed(null, e); // refused at commit (a deferred constraint): rolled back
                }
            }
        } catch (StatementFailed | TransactionEnded | CommitUncertain e) {
            if (script.transactional()) {
                rollbackQuietly();
            }
            throw e;
        } finally {
            connection.setAutoCommit(true);
            resetSessionQuietly();
        }
    }

    /** Settings a file made for its session (SET, set_config(..., false), SET ROLE) go back to their defaults. */
    void resetSession() throws SQLException {
        // One round trip: RESET ALL takes the dead-client settings back to the server's defaults, so set them again.
        try (Statement st = connection.createStatement()) {
            st.execute("RESET ALL; " + DeadClientDetection.sql(connection));
        } catch (SQLException e) {
            try (Statement st = connection.createStatement()) {
                st.execute("RESET ALL"); // a server or pooler that refuses the settings still gets its session reset
            }
        }
    }

    private void resetSessionQuietly() {
        try {
            if (!connection.isClosed()) {
                resetSession();
            }
        } catch (SQLException ignored) {
            // a lost connection has no session left to reset
        }
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
        connection.setAutoCommit(true);
        try {
            List<SqlStatement> statements = script.statements();
            for (int i = Math.min(from, statements.size()); i < statements.size(); i++) {
                try {
                    executeOne(statements.get(i));
                    progress.done(i + 1);
                } catch (SQLException e) {
                    throw new StatementFailed(statements.get(i), e);
                }
            }
            try {
                historyWrite.run();
            } catch (SQLException e) {
                throw new StatementFailed(null, e);
            }
        } finally {
            resetSessionQuietly();
        }
    }

    /** Runs the script and its history write in the transaction already open on the connection; never commits. */
    void execute(SqlScript script, HistoryWrite historyWrite) throws StatementFailed, TransactionEnded {
        try {
            execute(script, historyWrite, false);
        } catch (BatchFailed e) {
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

    private void execute(SqlScript script, HistoryWrite historyWrite, boolean batching)
            throws StatementFailed, TransactionEnded, BatchFailed {
        List<SqlStatement> statements = script.statements();
        for (int i = 0; i < statements.size(); ) {
            int end = i;
            while (batching && end < statements.size() && batchable(statements.get(end))) {
                end++;
            }
            if (end - i >= 2) {
                executeBatch(statements.subList(i, end));
                i = end;
                continue;
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
        try {
            historyWrite.run();
        } catch (SQLException e) {
            throw new StatementFailed(null, e);
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
                int end = sql.indexOf('\n', i);
                i = end < 0 ? sql.length() : end + 1;
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

    /** Statements sent in one round trip; none of them can end the transaction, which is checked after them. */
    private void executeBatch(List<SqlStatement> batch) throws BatchFailed, TransactionEnded {
        try (Statement st = connection.createStatement()) {
            st.setEscapeProcessing(false);
            for (SqlStatement statement : batch) {
                st.addBatch(statement.sql());
            }
            st.executeBatch();
            if (transactionState() == TransactionState.IDLE) {
                throw new TransactionEnded(batch.get(batch.size() - 1));
            }
        } catch (SQLException e) {
            throw new BatchFailed(e);
        }
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
