package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ctrl-C (here SIGTERM, which runs the same shutdown) during an apply: the state stays right and the user is told. */
class InterruptedRunTest {
    @TempDir
    Path dir;

    @Test
    void anInterruptedApplySaysWhatBecameOfTheMigrationInFlight() throws Exception {
        String url = TestPostgres.newDatabase();
        Files.writeString(dir.resolve("001_first.sql"), "CREATE TABLE first (id int);\n");
        Files.writeString(dir.resolve("002_slow.sql"), "CREATE TABLE slow (id int);\nSELECT pg_sleep(60);\n");
        Path err = dir.resolve("stderr.txt");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.cryoprotect.migrate.app.Main", "apply",
                "--database-url", url, "--migrations", dir.toString())
                .redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("USE_CONVEX", "false");
        Process apply = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (sleeping(url).isEmpty()) {
            assertTrue(System.nanoTime() < deadline && apply.isAlive(), "002 never started: " + Files.readString(err));
            Thread.sleep(100);
        }

        apply.destroy(); // SIGTERM: the JVM shuts down as on Ctrl-C
        assertTrue(apply.waitFor(30, TimeUnit.SECONDS));
        assertNotEquals(0, apply.exitValue());
        String said = Files.readString(err);
        assertTrue(said.contains("interrupted: apply stopped here; a migration in flight is rolled back by PostgreSQL"),
                said);

        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!sleeping(url).isEmpty()) { // the server notices the closed connection and rolls 002 back
            assertTrue(System.nanoTime() < deadline, "002 still running after the client went away");
            Thread.sleep(100);
        }
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT version FROM migrations ORDER BY version"));
        assertFalse(TestPostgres.tables(url, "public").contains("slow"), "nothing of 002 stays");
    }

    private static List<String> sleeping(String url) {
        return TestPostgres.query(url, "SELECT pid::text FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%'"
                + " AND pid <> pg_backend_pid()");
    }
}
