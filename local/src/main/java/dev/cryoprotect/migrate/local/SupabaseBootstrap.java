package dev.cryoprotect.migrate.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Makes a plain PostgreSQL (the embedded default, a test database) look like a Supabase project: roles anon,
 * authenticated and service_role, schemas auth and extensions, auth.users, auth.uid()/role()/jwt(), and the
 * extensions a new project has (pgcrypto, uuid-ossp, pg_stat_statements). Never run against a real Supabase project,
 * which has all of it already.
 */
public final class SupabaseBootstrap {
    private static final String SCRIPT = read("supabase-local.sql");

    private SupabaseBootstrap() {
    }

    /** Runs the idempotent bootstrap script on {@code connection}'s database (needs a superuser), in one transaction. */
    public static void run(Connection connection) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement st = connection.createStatement()) {
            st.execute(SCRIPT); // the driver sends the whole script; the server parses its statements
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    private static String read(String resource) {
        try (InputStream in = SupabaseBootstrap.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
