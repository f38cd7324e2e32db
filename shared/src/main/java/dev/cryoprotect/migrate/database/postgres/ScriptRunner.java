package dev.cryoprotect.migrate.database.postgres;

import dev.cryoprotect.migrate.model.SqlScript.SqlStatement;
import dev.cryoprotect.migrate.model.SqlScript;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Runs one SQL file's statements, then its history write, on one connection: inside one transaction for a
 * transactional file (a failure leaves neither), statement by statement in autocommit for a
 * {@code -- migrate:no-transaction} file.
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

    private final Connection connection;

    ScriptRunner(Connection connection) {
        this.connection = connection;
    }

    /** Runs the script and its history write, committing at the end of a transactional file. */
    void run(SqlScript script, HistoryWrite historyWrite) throws StatementFailed, SQLException {
        connection.setAutoCommit(!script.transactional());
        try {
            execute(script, historyWrite);
            if (script.transactional()) {
                connection.commit();
            }
        } catch (StatementFailed | SQLException e) {
            if (script.transactional()) {
                rollbackQuietly();
            }
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    /** Runs the script and its history write in the transaction already open on the connection; never commits. */
    void execute(SqlScript script, HistoryWrite historyWrite) throws StatementFailed {
        for (SqlStatement statement : script.statements()) {
            try (Statement st = connection.createStatement()) {
                st.setEscapeProcessing(false); // the SQL goes to the server as written
                st.execute(statement.sql());
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
