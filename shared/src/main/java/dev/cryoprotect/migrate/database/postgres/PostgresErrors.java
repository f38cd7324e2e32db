package dev.cryoprotect.migrate.database.postgres;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.SqlScript.SqlStatement;
import dev.cryoprotect.migrate.model.SqlScript;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import java.sql.SQLException;

/** Turns PostgreSQL errors into messages for people: the file and line a server error points at, never a password. */
final class PostgresErrors {
    private PostgresErrors() {
    }

    /**
     * A failed statement of {@code script} (null: the history write after it), with the file line its error position
     * points at, the server's message, and what became of the migration.
     */
    static MigrateException statementFailed(SqlScript script, SqlStatement statement, SQLException e) {
        if (isConnectionLost(e)) {
            return new MigrateException(Failure.MIGRATION_FAILED, script.fileName() + ": lost the connection to"
                    + " PostgreSQL while running it" + (script.transactional() ? "; the server rolls the migration back"
                    : "; statements already run stay applied") + ": " + e.getMessage(), script.fileName(), null, e);
        }
        Integer line = null;
        ServerErrorMessage server = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
        if (statement != null) {
            line = server != null && server.getPosition() > 0 ? statement.lineOf(server.getPosition()) : statement.startLine();
        }
        StringBuilder message = new StringBuilder(script.fileName());
        if (line != null) {
            message.append(':').append(line);
        }
        message.append(": ").append(server == null ? e.getMessage() : describe(server));
        if (statement == null) {
            message.append(" (while recording the history row)");
        }
        message.append(script.transactional()
                ? ". The migration was rolled back; nothing of it remains."
                : ". The file runs outside a transaction: statements before this one stay applied.");
        return new MigrateException(Failure.MIGRATION_FAILED, message.toString(), script.fileName(), line, e);
    }

    /** An error outside a migration's own statements: reading or writing the history, taking the lock. */
    static MigrateException databaseError(PostgresConfig config, String doing, SQLException e) {
        if (isConnectionLost(e) || e.getSQLState() != null && e.getSQLState().startsWith("28")) {
            return new MigrateException(Failure.UNREACHABLE, "lost PostgreSQL at " + config.describe() + " while "
                    + doing + ": " + e.getMessage(), e);
        }
        return new MigrateException(Failure.MIGRATION_FAILED, "PostgreSQL error while " + doing + ": "
                + e.getMessage(), e);
    }

    /** SQLSTATE class 08: the connection is gone (the server ends the session and rolls back its transaction). */
    static boolean isConnectionLost(SQLException e) {
        return e.getSQLState() != null && e.getSQLState().startsWith("08");
    }

    private static String describe(ServerErrorMessage server) {
        StringBuilder text = new StringBuilder(server.getSeverity()).append(": ").append(server.getMessage());
        if (server.getDetail() != null) {
            text.append(" (").append(server.getDetail()).append(')');
        }
        if (server.getHint() != null) {
            text.append(" Hint: ").append(server.getHint());
        }
        if (server.getWhere() != null && server.getPosition() == 0) {
            text.append(" [").append(server.getWhere()).append(']');
        }
        return text.append(" [SQLSTATE ").append(server.getSQLState()).append(']').toString();
    }
}
