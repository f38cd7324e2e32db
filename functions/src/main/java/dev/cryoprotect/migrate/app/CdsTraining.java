package dev.cryoprotect.migrate.app;

import dev.cryoprotect.migrate.cli.MigrateCli;
import dev.cryoprotect.migrate.lambda.LocalInvoke;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the build runs to record an application class-data-sharing archive for {@code ./migrate}: the commands people
 * run most, in-process, offline (the database URL points at a closed port, so the driver loads and fails at once).
 * The classes they load are stored in {@code functions/target/migrate.jsa}, which the launcher maps at start-up instead
 * of loading and verifying them again. The jar runs the same without it.
 */
public final class CdsTraining {
    private static final String NOWHERE = "postgresql://migrate:secret@127.0.0.1:1/postgres";

    private CdsTraining() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("migrate-cds");
        Path migrations = Files.createDirectories(dir.resolve("migrations"));
        Files.writeString(migrations.resolve("001_create_notes.sql"), "CREATE TABLE notes (id int PRIMARY KEY, body text);\n"
                + "INSERT INTO notes VALUES (1, 'a');\n");
        Files.writeString(migrations.resolve("001_create_notes.down.sql"), "DROP TABLE notes;\n");
        Files.writeString(migrations.resolve("001_create_notes.json"), "{\"version\": \"001\", \"schema\": {\"notes\":"
                + " {\"body\": \"string\"}}, \"data\": [{\"type\": \"insert\", \"table\": \"notes\", \"data\":"
                + " {\"body\": \"a\"}}]}\n");
        Files.writeString(dir.resolve(".env"), "USE_CONVEX=false\n");
        Map<String, String> env = Map.of("MIGRATE_ENV_DIR", dir.toString(), "USE_CONVEX", "false");
        String m = migrations.toString();
        String[][] commands = {
                {"--help"}, {"status", "--help"}, {"apply", "--help"},
                {"status", "--migrations", m, "--database-url", NOWHERE},
                {"status", "--migrations", m, "--database-url", NOWHERE, "--format", "json"},
                {"apply", "--migrations", m, "--database-url", NOWHERE},
                {"apply", "--migrations", m, "--database-url", NOWHERE, "--dry-run", "--format", "json"},
                {"rollback", "--migrations", m, "--database-url", NOWHERE},
                {"convex-schema", "--migrations", m},
                {"create", "--name", "add_tags", "--kind", "sql", "--migrations", m},
        };
        PrintWriter nowhere = new PrintWriter(OutputStream.nullOutputStream());
        for (String[] command : commands) {
            MigrateCli.run(command, env, nowhere, nowhere, new LocalInvoke());
        }
        callConvexNowhere();
        loadDriverClasses();
    }

    /**
     * The HTTP client's classes (OkHttp, Okio, Kotlin's runtime), which a status with Convex loads on every run: one
     * call to a closed port, not retried, fails at once.
     */
    private static void callConvexNowhere() {
        try {
            new dev.cryoprotect.migrate.convex.ConvexClient("http://127.0.0.1:1", null, java.time.Duration.ofSeconds(2), 0,
                    java.time.Duration.ZERO).query("migrations/history:listApplied", Map.of());
        } catch (RuntimeException expected) {
            // nothing listens there
        }
    }

    /**
     * The JDBC driver's classes past the failed connect (the protocol, the connection, its statements), which an
     * offline run cannot reach: listed by loading them without initialising them.
     */
    private static void loadDriverClasses() throws IOException {
        Path jar = Path.of(CdsTraining.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
            for (String name : file.stream().map(java.util.jar.JarEntry::getName).toList()) {
                if (name.endsWith(".class") && !name.contains("-") && (name.startsWith("org/postgresql/core/")
                        || name.startsWith("org/postgresql/jdbc/") || name.startsWith("org/postgresql/util/"))) {
                    try {
                        Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false,
                                CdsTraining.class.getClassLoader());
                    } catch (ClassNotFoundException | LinkageError e) {
                        // a class for another platform or an optional dependency: not needed
                    }
                }
            }
        }
    }
}
