package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.testing.MigrationFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With no database URL the CLI starts an embedded PostgreSQL under --local-dir that outlives one command. */
class EmbeddedDefaultTest {
    @TempDir
    Path migrations;
    @TempDir
    Path local;

    @AfterEach
    void stop() {
        CliRun.of(Map.of(), "local", "stop", "--local-dir", local.toString());
    }

    private CliRun run(String... command) {
        return CliRun.of(Map.of("USE_CONVEX", "false"), CliRun.args(java.util.List.of(command), "--migrations",
                migrations.toString(), "--local-dir", local.toString()));
    }

    @Test
    void applyThenStatusInSeparateCommandsSeeTheSameDatabase() {
        new MigrationFiles(migrations).table("001", "alpha").write("002_uses_supabase_auth.sql",
                "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA extensions;\n"
                        + "CREATE TABLE notes (owner uuid DEFAULT auth.uid(), body text);\n"
                        + "ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n"
                        + "CREATE POLICY own ON notes TO authenticated USING (owner = auth.uid());\n"
                        + "SELECT extensions.gen_random_uuid(), similarity('a', 'b');\n");
        CliRun apply = run("apply");
        assertEquals(0, apply.exitCode(), apply.toString());
        CliRun status = run("status");
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.out().contains("current version: 002, pending: 0"), status.out());

        CliRun localStatus = CliRun.of(Map.of(), "local", "status", "--local-dir", local.toString());
        assertTrue(localStatus.out().contains("runs on localhost:"), localStatus.out());
        CliRun stop = CliRun.of(Map.of(), "local", "stop", "--local-dir", local.toString());
        assertTrue(stop.out().contains("stopped"), stop.out());

        // The data outlives the server: the next command starts it again and sees version 002.
        CliRun after = run("status");
        assertTrue(after.out().contains("current version: 002, pending: 0"), after.toString());
    }
}
