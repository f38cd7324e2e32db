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
 * run most, in-process, on a folder large enough to be read in parallel. They run twice over: against the embedded
 * default database (started in a temporary folder, then stopped), so the classes and lambdas of a real apply, status
 * and rollback are recorded, and against a closed port, for the unreachable path. The classes they load are stored in
 * {@code functions/target/migrate.jsa}, which the launcher maps at start-up instead of loading and verifying them
 * again. The jar runs the same without it, and the archive is still made when the local database cannot start here.
 */
public final class CdsTraining {
    private static final String NOWHERE = "postgresql://migrate:secret@localhost:1/postgres";

    private CdsTraining() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("migrate-cds");
        try {
            train(dir);
        } finally {
            try (var all = Files.walk(dir)) {
                all.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private static void train(Path dir) throws IOException {
        Path migrations = Files.createDirectories(dir.resolve("migrations"));
        for (int n = 1; n <= 40; n++) { // 32 files or more are read in parallel
            String name = String.format("%03d_create_notes%d", n, n);
            Files.writeString(migrations.resolve(name + ".sql"), "CREATE TABLE notes" + n + " (id int PRIMARY KEY,"
                    + " body text);\nINSERT INTO notes" + n + " VALUES (1, 'a');\nCREATE INDEX ON notes" + n + " (body);\n");
            Files.writeString(migrations.resolve(name + ".down.sql"), "DROP TABLE notes" + n + ";\n");
        }
        Files.writeString(migrations.resolve("001_create_notes1.json"), "{\"version\": \"001\", \"schema\": {\"notes\":"
                + " {\"body\": \"string\"}}, \"data\": [{\"type\": \"insert\", \"table\": \"notes\", \"data\":"
                + " {\"body\": \"a\"}}]}\n");
        Files.writeString(dir.resolve(".env"), "USE_CONVEX=false\n");
        Map<String, String> env = Map.of("MIGRATE_ENV_DIR", dir.toString(), "USE_CONVEX", "false",
                "MIGRATE_LOCAL_DIR", dir.resolve(".local").toString());
        String m = migrations.toString();
        String[][] offline = {
                {"--help"}, {"status", "--help"}, {"apply", "--help"},
                {"status", "--migrations", m, "--database-url", NOWHERE},
                {"status", "--migrations", m, "--database-url", NOWHERE, "--format", "json"},
                {"apply", "--migrations", m, "--database-url", NOWHERE},
                {"apply", "--migrations", m, "--database-url", NOWHERE, "--dry-run", "--format", "json"},
                {"rollback", "--migrations", m, "--database-url", NOWHERE},
                {"convex-schema", "--migrations", m},
        };
        Main.warmUpAside(new String[]{"status"});
        run(offline, env);
        try {
            int applied = run(new String[][]{{"apply", "--migrations", m}}, env);
            if (applied != 0) {
                System.err.println("CDS training: the embedded database answered exit " + applied + "; the archive"
                        + " covers the paths without a database only");
            }
            run(new String[][]{{"status", "--migrations", m},
                    {"status", "--migrations", m, "--format", "json"}, {"rollback", "--migrations", m},
                    {"apply", "--migrations", m, "--dry-run", "--format", "json"}, {"apply", "--migrations", m},
            }, env);
            Files.writeString(migrations.resolve("041_fails.sql"), "CREATE TABLE half (id int);\nSELECT 1 / 0;\n");
            run(new String[][]{{"apply", "--migrations", m}}, env); // refused by the server, rolled back
        } finally {
            run(new String[][]{{"local", "stop"}}, env);
        }
        run(new String[][]{{"create", "--name", "add_tags", "--kind", "sql", "--migrations", m}}, env);
        callConvexNowhere();
        loadDriverClasses();
    }

    /** Runs the commands; returns the last one's exit code. */
    private static int run(String[][] commands, Map<String, String> env) {
        PrintWriter nowhere = new PrintWriter(OutputStream.nullOutputStream());
        int exit = 0;
        for (String[] command : commands) {
            exit = MigrateCli.run(command, env, nowhere, nowhere, new LocalInvoke());
        }
        return exit;
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
