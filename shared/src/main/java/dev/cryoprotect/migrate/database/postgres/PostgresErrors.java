package dev.cryoprotect.migrate.database.postgres;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.SqlScript.SqlStatement;
import dev.cryoprotect.migrate.model.SqlScript;
import dev.cryoprotect.migrate.model.Version;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import java.sql.SQLException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns PostgreSQL errors into messages for people: the file and line a server error points at, never a password. */
final class PostgresErrors {
    /** Where PostgreSQL says which data row of a COPY failed: "COPY countries, line 3, column id: ...". */
    private static final Pattern COPY_LINE = Pattern.compile("COPY [^,]+, line (\\d+)");
    /** Where PL/pgSQL says which line of a DO block failed (its body's line 1 is the rest of the line it opens on). */
    private static final Pattern DO_BLOCK_LINE = Pattern.compile("PL/pgSQL function inline_code_block line (\\d+)");
    private static final Pattern DO_BODY = Pattern.compile("(?is)^DO\\s+(?:LANGUAGE\\s+\\S+\\s+)?(\\$[A-Za-z_0-9]*\\$|')");
    /** PostgreSQL's "extension "vector" is not available" (and the older "could not open extension control file"). */
    private static final Pattern MISSING_EXTENSION = Pattern.compile(
            "extension \"([^\"]+)\" is not available|could not open extension control file \".*/([^/\"]+)\\.control\"");

    /** Schemas and types that only exist once an extension is installed, as Supabase projects use them. */
    private static final Map<String, String> EXTENSION_OBJECTS = Map.of("schema \"net\"", "pg_net",
            "schema \"cron\"", "pg_cron", "schema \"vault\"", "supabase_vault", "schema \"pgsodium\"", "pgsodium",
            "schema \"graphql\"", "pg_graphql", "schema \"pgmq\"", "pgmq", "type \"vector\"", "vector",
            "type \"extensions.vector\"", "vector");

    private PostgresErrors() {
    }

    /** The extension a server message says is missing, directly or through an object only it provides; else null. */
    private static String missingExtension(String serverMessage) {
        Matcher missing = MISSING_EXTENSION.matcher(serverMessage);
        if (missing.find()) {
            return missing.group(1) != null ? missing.group(1) : missing.group(2);
        }
        for (Map.Entry<String, String> object : EXTENSION_OBJECTS.entrySet()) {
            if (serverMessage.startsWith(object.getKey() + " does not exist")) {
                return object.getValue();
            }
        }
        return null;
    }

    /**
     * The file line of the DO block's line that failed, from PL/pgSQL's context (the last inline_code_block frame is
     * the block's own: frames of functions it called come before it); {@code otherwise} when there is none.
     */
    private static int doBlockLine(SqlStatement statement, String where, int otherwise) {
        Matcher body = DO_BODY.matcher(statement.sql());
        Matcher frame = DO_BLOCK_LINE.matcher(where);
        int bodyLine = -1;
        while (frame.find()) {
            bodyLine = Integer.parseInt(frame.group(1));
        }
        if (bodyLine < 1 || !body.lookingAt()) {
            return otherwise;
        }
        int opens = statement.lineOf(statement.sql().codePointCount(0, body.end(1)) + 1);
        return opens + bodyLine - 1;
    }

    /**
     * A failed statement of {@code script} (null: the history write after it), with the file line its error position
     * points at, the server's message, and what became of the migration.
     */
    static MigrateException statementFailed(PostgresConfig config, SqlScript script, SqlStatement statement,
                                            SQLException e) {
        return statementFailed(config, script, statement, e, false);
    }

    /** As above; {@code atCommit}: refused by the COMMIT (a deferred constraint), not by a statement. */
    static MigrateException statementFailed(PostgresConfig config, SqlScript script, SqlStatement statement,
                                            SQLException e, boolean atCommit) {
        if (AdvisoryLock.LOST.equals(e.getSQLState())) {
            return new MigrateException(Failure.LOCK_BUSY, script.fileName() + " released the run's lock"
                    + " (pg_advisory_unlock_all, pg_advisory_unlock or DISCARD ALL): another run could have applied the"
                    + " same files meanwhile, so this run stops"
                    + (script.transactional() ? " and the file was rolled back" : "; the file's statements ran and it"
                    + " stays PARTIAL") + ". Take that statement out of the migration", script.fileName(), null, e);
        }
        if (isConnectionLost(e)) {
            // Not the file's fault (exit 4, not 1): CI can tell "retry" from "fix your SQL".
            return new MigrateException(Failure.UNREACHABLE, script.fileName() + ": lost the connection to"
                    + " PostgreSQL while running it" + (script.transactional() ? "; the server rolls the migration back"
                    : "; statements already run stay applied") + ": " + e.getMessage(), script.fileName(), null, e);
        }
        Integer line = null;
        ServerErrorMessage server = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
        if (statement != null) {
            line = server != null && server.getPosition() > 0 ? statement.lineOf(server.getPosition()) : statement.startLine();
            Matcher copyLine = server == null || server.getWhere() == null ? null : COPY_LINE.matcher(server.getWhere());
            if (statement.isCopyFromStdin() && copyLine != null && copyLine.find()) {
                line = statement.copyDataLine() + Integer.parseInt(copyLine.group(1)) - 1; // the data row's own line
            } else if (server != null && server.getPosition() == 0 && server.getWhere() != null) {
                line = doBlockLine(statement, server.getWhere(), line);
            }
        }
        StringBuilder message = new StringBuilder(script.fileName());
        if (line != null) {
            message.append(':').append(line);
        }
        message.append(": ").append(server == null ? e.getMessage() : describe(server));
        if (atCommit) {
            message.append(" (at the end of the file, where deferred constraints are checked; the migration was rolled"
                    + " back)");
        } else if (statement == null) {
            message.append(" (while recording the history row)");
        }
        String sqlState = e.getSQLState() == null ? "" : e.getSQLState();
        String extension = server == null ? null : missingExtension(server.getMessage());
        if (extension != null) {
            message.append(". ").append(config.embedded()
                    ? "The embedded database cannot provide extension \"" + extension + "\"; run against a database"
                    + " that has it: --database-url to a 'supabase start' database"
                    + " (postgresql://postgres:postgres@127.0.0.1:54322/postgres) or a Supabase branch"
                    : "Install extension \"" + extension + "\" on that server (on Supabase: Database >"
                    + " Extensions), or run against a database that has it");
        } else if (sqlState.equals("55P04") && script.transactional() && PostgresTarget.addsEnumValue(script)) {
            message.append(". The file runs in one transaction (its own BEGIN/COMMIT blocks are merged into it), so a"
                    + " value added to an enum cannot be used in the same file: put '").append(SqlScript.NO_TRANSACTION_MARKER)
                    .append("' on the first line to run its own transactions as written, or move the use to the next file");
        } else if (sqlState.equals("57014") && server != null && server.getMessage() != null
                && server.getMessage().contains("statement timeout")) {
            // Supabase gives the postgres role the global 2-minute statement_timeout: an index on a big table, or an
            // ALTER waiting for the app's locks, meets it. The file's own SET lasts until the session reset after it.
            message.append(". The server's statement_timeout stopped it: it ran, or waited for a lock, longer than"
                    + " allowed (on Supabase 2 minutes by default). If it needs longer, put \"SET statement_timeout ="
                    + " '30min';\" before it in the file: the setting holds for this file only");
        } else if (sqlState.equals("25001") && script.transactional()) {
            message.append(". This statement cannot run inside a transaction: put '")
                    .append(SqlScript.NO_TRANSACTION_MARKER).append("' on the first line of the file");
        }
        message.append(script.transactional()
                ? ". The migration was rolled back; nothing of it remains."
                : ". The file runs outside a transaction: statements before this one stay applied.");
        return new MigrateException(Failure.MIGRATION_FAILED, message.toString(), script.fileName(), line, e);
    }

    /** A no-transaction file that stopped part way: what the history now says, and the commands that end it. */
    static MigrateException unfinished(MigrateException failure, Version version, boolean applying) {
        String resume = "'migrate apply --database supabase --resume --target " + version.text() + "'";
        String undo = "'migrate rollback --database supabase --resume'";
        return new MigrateException(failure.failure(), failure.getMessage() + " Version " + version.text()
                + (applying ? " is recorded as PARTIAL (the statements before this one stay): fix what made it fail"
                + " and run " + resume + " to run the rest, or run " + undo + " to undo it with its down file, then"
                + " edit the file and apply again"
                : " is recorded as ROLLING_BACK: fix what made it fail and run " + undo + " to run the rest of the"
                + " down file"), failure.file(), failure.line(), failure.getCause());
    }

    /** A statement of a transactional file committed the transaction it ran in; what ran up to it is now permanent. */
    static MigrateException transactionEnded(SqlScript script, SqlStatement statement) {
        return new MigrateException(Failure.MIGRATION_FAILED, script.fileName() + ":" + statement.startLine()
                + ": this statement ended the transaction the file runs in, committing every statement up to it (lines 1-"
                + statement.startLine() + "). The rest of the file did not run and no history row was written: the"
                + " database now holds part of this migration. Undo those statements by hand, or finish the file, then"
                + " record it with 'migrate baseline' or rerun it", script.fileName(), statement.startLine(), null);
    }

    /** The final COMMIT got no answer: the outcome is unknown until someone looks. */
    static MigrateException commitUncertain(SqlScript script, SQLException e) {
        return new MigrateException(Failure.UNREACHABLE, script.fileName() + ": lost the connection to PostgreSQL"
                + " before the server confirmed its COMMIT: the migration and its history row either both landed or"
                + " neither did; run"
                + " 'migrate status' to see which (" + e.getMessage() + ")", script.fileName(), null, e);
    }

    /** As {@link #commitUncertain(SqlScript, SQLException)}, for files sent to the server together. */
    static MigrateException commitUncertain(java.util.List<SqlScript> scripts, SQLException e) {
        if (scripts.size() == 1) {
            return commitUncertain(scripts.get(0), e);
        }
        String first = scripts.get(0).fileName();
        return new MigrateException(Failure.UNREACHABLE, "lost the connection to PostgreSQL while " + first + " … "
                + scripts.get(scripts.size() - 1).fileName() + " (" + scripts.size() + " files sent together) ran:"
                + " each of them landed whole with its history row, or not at all, and none after one that did not;"
                + " run 'migrate status' to see how far they got (" + e.getMessage() + ")", first, null, e);
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

    /** The session is gone: a connection failure (08), or the server ending it (57P01-57P03: terminated, shut down). */
    static boolean isConnectionLost(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
                || state.equals("57P03"));
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
