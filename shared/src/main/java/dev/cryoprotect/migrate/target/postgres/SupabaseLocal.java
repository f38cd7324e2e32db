package dev.cryoprotect.migrate.target.postgres;

import dev.cryoprotect.migrate.model.SqlScript.SqlStatement;
import dev.cryoprotect.migrate.source.SqlSplitter;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Bootstraps a plain PostgreSQL (the embedded default, a test database) like a Supabase project: roles anon,
 * authenticated and service_role, schemas auth and extensions, auth.users, auth.uid()/role()/jwt(), pgcrypto,
 * uuid-ossp and pg_trgm. Never run against a real Supabase project, which has all of it already.
 */
public final class SupabaseLocal {
    private SupabaseLocal() {
    }

    /** Runs the idempotent bootstrap script on {@code connection}'s database (needs a superuser). */
    public static void bootstrap(Connection connection) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(true);
        try (Statement st = connection.createStatement()) {
            for (SqlStatement statement : script()) {
                st.execute(statement.sql());
            }
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    private static List<SqlStatement> script() {
        try (InputStream in = SupabaseLocal.class.getResourceAsStream("supabase-local.sql")) {
            if (in == null) {
                throw new IllegalStateException("supabase-local.sql is missing from the jar");
            }
            return SqlSplitter.split(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SqlSplitter.UnterminatedException e) {
            throw new IllegalStateException("supabase-local.sql: " + e.getMessage(), e);
        }
    }
}
