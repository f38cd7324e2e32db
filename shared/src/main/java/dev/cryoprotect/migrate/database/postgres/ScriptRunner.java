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
 * same transaction. After every statement of a transactional file the server must still report the transaction open;
 * if a statement ended it, the run stops there and says what was committed. Every file starts from a clean session:
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

    /** Runs the script and its history write, committing at the end of a transactional file. */
    void run(SqlScript script, HistoryWrite historyWrite)
            throws StatementFailed, TransactionEnded, CommitUncertain, SQLException {
        connection.setAutoCommit(!script.transactional());
        try {
            execute(script, historyWrite);
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
        for (SqlStatement statement : script.statements()) {
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
