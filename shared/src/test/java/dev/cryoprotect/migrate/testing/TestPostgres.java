package dev.cryoprotect.migrate.testing;

import dev.cryoprotect.migrate.database.postgres.PostgresConfig;
import dev.cryoprotect.migrate.local.LocalPostgres;
import dev.cryoprotect.migrate.local.SupabaseBootstrap;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real embedded PostgreSQL per test JVM; every test gets a fresh database bootstrapped like Supabase, so tests
 * never see each other's tables.
 */
public final class TestPostgres {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static EmbeddedPostgres server;

    private TestPostgres() {
    }

    private static synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder().setPgBinaryResolver(LocalPostgres::binaries).start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (IOException ignored) {
                    // the JVM is exiting
                }
            }));
        }
        return server;
    }

    /** A new, empty, Supabase-bootstrapped database; returns its JDBC URL (user postgres, no password). */
    public static String newDatabase() {
        String name = "test_" + COUNTER.incrementAndGet() + "_" + ProcessHandle.current().pid();
        try (Connection admin = DriverManager.getConnection(server().getJdbcUrl("postgres", "postgres"));
             Statement st = admin.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        String url = server().getJdbcUrl("postgres", name);
        try (Connection c = DriverManager.getConnection(url)) {
            SupabaseBootstrap.run(c);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return url;
    }

    public static PostgresConfig config(String url) {
        return PostgresConfig.fromUrl(url, "public");
    }

    /** Runs a query and returns the first column of every row as text. */
    public static List<String> query(String url, String sql) {
        try (Connection c = DriverManager.getConnection(url);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            while (rs.next()) {
                values.add(rs.getString(1));
            }
            return values;
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    public static void execute(String url, String sql) {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** Names of the tables in a schema, sorted: a quick picture of "what exists". */
    public static List<String> tables(String url, String schema) {
        return query(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = '" + schema
                + "' ORDER BY table_name");
    }
}
