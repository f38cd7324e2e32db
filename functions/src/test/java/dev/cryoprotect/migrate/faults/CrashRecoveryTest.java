package dev.cryoprotect.migrate.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.cli.CliRun;
import dev.cryoprotect.migrate.testing.MigrationFiles;
import dev.cryoprotect.migrate.testing.TestConvex;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a killed run leaves for the next one: no lock that outlives it (PostgreSQL's advisory lock, Convex's lease) and
 * no half-run no-transaction file that status does not show. The killed run is the real CLI in its own JVM.
 */
class CrashRecoveryTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;
    private String url;
    private Map<String, String> env;
    private MigrationFiles files;

    @BeforeEach
    void setUp() {
        url = TestPostgres.newDatabase();
        env = new HashMap<>(TestConvex.environment());
        env.put("SUPABASE_DB_URL", url);
        files = new MigrationFiles(dir);
    }

    @Test
    void aRunKilledInsideALongStatementLeavesNoLockBehind() throws Exception {
        files.write("001_slow.sql", "CREATE TABLE slow (id int);\nselect pg_sleep(30);\n");
        Process p = cli("apply", "--database", "supabase");
        waitFor(p, "the sleep", () -> sleeping("select pg_sleep(30)"));
        kill(p);
        // The server is still inside pg_sleep(30) for the dead client; the next run must not wait for it to end.
        files.write("001_slow.sql", "CREATE TABLE slow (id int);\nselect pg_sleep(0);\n");
        long started = System.nanoTime();
        CliRun next = CliRun.of(env, "apply", "--database", "supabase", "--migrations", dir.toString(),
                "--lock-timeout", "5");
        assertEquals(0, next.exitCode(), next.toString());
        System.out.println("the next apply had the lock and finished after "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
        assertEquals(List.of("1"), TestPostgres.query(url, "SELECT count(*) FROM migrations"));
        assertEquals(List.of("0"), TestPostgres.query(url, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE"
                + " 'select pg_sleep(30)%'"), "the dead client's statement was cancelled");
    }

    @Test
    void aWaitingRunSaysOnceWhoHoldsTheLock() throws Exception {
        files.write("001_slow.sql", "select pg_sleep(4);\n");
        Process holder = cli("apply", "--database", "supabase");
        waitFor(holder, "the sleep", () -> sleeping("select pg_sleep(4)"));
        CliRun waiting = CliRun.of(env, "apply", "--database", "supabase", "--migrations", dir.toString(),
                "--lock-timeout", "60");
        assertEquals(0, waiting.exitCode(), waiting.toString());
        assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, count(waiting.err(), "another run holds the lock on public.migrations"), waiting.err());
        assertTrue(waiting.err().contains("application migrate") && waiting.err().contains("connected since")
                && waiting.err().contains("waiting up to 60 s"), waiting.err());
        assertTrue(waiting.out().contains("nothing to apply"), "the holder applied it: " + waiting);
    }

    @Test
    void aNoTransactionFileKilledPartWayIsPartialAndResumeFinishesIt() throws Exception {
        files.write("001_base.sql", "CREATE TABLE events (id int, at timestamptz);\n");
        files.write("002_concurrent_index.sql", "-- migrate:no-transaction\n"
                + "CREATE INDEX CONCURRENTLY events_id ON events (id);\n"
                + "select pg_sleep(30);\n"
                + "CREATE INDEX CONCURRENTLY events_at ON events (at);\n");
        files.write("002_concurrent_index.down.sql", "-- migrate:no-transaction\n"
                + "DROP INDEX CONCURRENTLY IF EXISTS events_at;\nDROP INDEX CONCURRENTLY IF EXISTS events_id;\n");
        Process p = cli("apply", "--database", "supabase");
        waitFor(p, "the sleep", () -> sleeping("select pg_sleep(30)"));
        JsonNode running = statusEntry("002");
        assertTrue(running.get("detail").asText().startsWith("a run holds the lock now (server process"),
                "while the run works, status says so: " + running);
        kill(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); // the server notices the dead client within ~1 s
        while (!TestPostgres.query(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").equals(List.of("0"))) {
            assertTrue(System.nanoTime() < deadline, "the killed run's lock was never freed");
            Thread.sleep(50);
        }

        JsonNode entry = statusEntry("002");
        assertEquals("PARTIAL", entry.get("state").asText(), entry.toString());
        assertTrue(entry.get("detail").asText().startsWith("its apply stopped part way"), entry.toString());
        assertTrue(entry.get("detail").asText().contains("1 statement of the file ran"), entry.toString());
        assertTrue(entry.get("detail").asText().contains("'migrate apply --database supabase --resume --target 002'"),
                entry.toString());
        CliRun text = CliRun.of(env, "status", "--database", "supabase", "--migrations", dir.toString());
        assertTrue(text.out().contains("supabase: 002 (concurrent_index) is PARTIAL: its apply stopped part way"), text.out());
        assertEquals(List.of("events_id"), indexes(), "what status says ran is what the database has");

        CliRun refused = CliRun.of(env, "apply", "--database", "supabase", "--migrations", dir.toString());
        assertEquals(5, refused.exitCode(), refused.toString());
        assertTrue(refused.err().contains("--resume"), refused.err());
        CliRun repair = CliRun.of(env, "repair", "--database", "supabase", "--migrations", dir.toString());
        assertEquals(0, repair.exitCode(), repair.toString());
        assertTrue(repair.out().contains("still unfinished") && !repair.out().contains("nothing to repair"), repair.out());

        files.write("002_concurrent_index.sql", "-- migrate:no-transaction\n"
                + "CREATE INDEX CONCURRENTLY events_id ON events (id);\n"
                + "select pg_sleep(0);\n"
                + "CREATE INDEX CONCURRENTLY events_at ON events (at);\n");
        JsonNode edited = statusEntry("002");
        assertTrue(edited.get("detail").asText().contains("changed since it started"), edited.toString());
        CliRun editedResume = CliRun.of(env, "apply", "--database", "supabase", "--resume", "--target", "002",
                "--migrations", dir.toString());
        assertEquals(5, editedResume.exitCode(), "an edited file is not continued: " + editedResume);
        assertEquals(List.of("events_id"), indexes());

        // The choice status offers for an edited file: undo what ran, then apply the edited file.
        CliRun undo = CliRun.of(env, "rollback", "--database", "supabase", "--resume", "--migrations", dir.toString());
        assertEquals(0, undo.exitCode(), undo.toString());
        assertEquals(List.of(), indexes());
        assertEquals("PENDING", statusEntry("002").get("state").asText());
        CliRun apply = CliRun.of(env, "apply", "--database", "supabase", "--migrations", dir.toString());
        assertEquals(0, apply.exitCode(), apply.toString());
        assertEquals(List.of("events_at", "events_id"), indexes());
        assertEquals("APPLIED", statusEntry("002").get("state").asText());
    }

    @Test
    void aNoTransactionFileKilledPartWayIsFinishedByApplyResume() throws Exception {
        files.write("001_base.sql", "CREATE TABLE events (id int, at timestamptz);\n");
        files.write("002_concurrent_index.sql", "-- migrate:no-transaction\n"
                + "CREATE INDEX CONCURRENTLY events_id ON events (id);\n"
                + "select pg_sleep(case when (select count(*) from pg_indexes where indexname = 'events_id') = 1"
                + " and not exists (select 1 from pg_class where relname = 'resumed') then 30 else 0 end);\n"
                + "CREATE INDEX CONCURRENTLY events_at ON events (at);\n");
        Process p = cli("apply", "--database", "supabase");
        waitFor(p, "the sleep", () -> sleeping("select pg_sleep(case"));
        kill(p);
        TestPostgres.execute(url, "CREATE TABLE resumed ()"); // so the rerun's sleep is short
        CliRun resume = CliRun.of(env, "apply", "--database", "supabase", "--resume", "--target", "002",
                "--migrations", dir.toString());
        assertEquals(0, resume.exitCode(), resume.toString());
        assertTrue(resume.out().contains("finished an apply that had stopped part way"), resume.out());
        assertEquals(List.of("events_at", "events_id"), indexes(), "the first statement was not run twice");
        assertEquals("APPLIED", statusEntry("002").get("state").asText());
    }

    /**
     * Each statement of a no-transaction file commits with its progress row: killed at random moments, the file's
     * statements still run once each, and status counts exactly what ran. (Committed apart, a kill between the two
     * made resume run a statement again: most kills did.)
     */
    @Test
    void aNoTransactionFileKilledAtRandomRunsEachStatementOnce() throws Exception {
        int statements = 6000;
        files.write("001_base.sql", "CREATE TABLE log (i int);\n");
        StringBuilder many = new StringBuilder("-- migrate:no-transaction\n");
        for (int i = 1; i <= statements; i++) {
            many.append("INSERT INTO log VALUES (").append(i).append(");\n");
        }
        files.write("002_many.sql", many.toString());
        CliRun base = CliRun.of(env, "apply", "--database", "supabase", "--target", "001", "--migrations",
                dir.toString());
        assertEquals(0, base.exitCode(), base.toString());
        java.util.Random random = new java.util.Random();
        for (int round = 0; round < 4; round++) {
            Process p = cli("apply", "--database", "supabase", "--resume");
            int before = Integer.parseInt(TestPostgres.query(url, "SELECT count(*) FROM log").get(0));
            waitFor(p, "more inserts", () -> Integer.parseInt(TestPostgres.query(url, "SELECT count(*) FROM log")
                    .get(0)) > before + 50 + random.nextInt(400));
            kill(p);
            JsonNode entry = statusEntry("002");
            List<String> counts = TestPostgres.query(url, "SELECT count(*) || ' ' || count(DISTINCT i) FROM log");
            String[] rows = counts.get(0).split(" ");
            assertEquals(rows[1], rows[0], "no statement ran twice, after round " + round);
            assertTrue(entry.get("detail").asText().contains(rows[0] + " statements of the file ran"),
                    "status counts what ran (" + rows[0] + " rows): " + entry);
        }
        CliRun resume = CliRun.of(env, "apply", "--database", "supabase", "--resume", "--migrations", dir.toString());
        assertEquals(0, resume.exitCode(), resume.toString());
        assertEquals(List.of(statements + " " + statements), TestPostgres.query(url,
                "SELECT count(*) || ' ' || count(DISTINCT i) FROM log"));
    }

    /**
     * A file that releases the run's lock would let a second run apply the same files at the same time: it is rolled
     * back and the run stops (exit 3), before its history row, whether another run came or not.
     */
    @Test
    void aFileThatReleasesTheRunsLockIsRolledBackAndStopsTheRun() throws Exception {
        files.write("001_base.sql", "CREATE TABLE log (i int);\n");
        files.write("002_unlock.sql", "CREATE TABLE unlocked (i int);\nSELECT pg_advisory_unlock_all();\n"
                + "INSERT INTO log VALUES (2);\n");
        files.write("003_more.sql", "INSERT INTO log VALUES (3);\n");
        CliRun run = CliRun.of(env, "apply", "--database", "supabase", "--migrations", dir.toString());
        assertEquals(3, run.exitCode(), run.toString());
        assertTrue(run.err().contains("002_unlock.sql released the run's lock"), run.err());
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT version FROM migrations ORDER BY 1"));
        assertEquals(List.of("0"), TestPostgres.query(url, "SELECT count(*) FROM log"), "002 rolled back, 003 not run");
        assertEquals(List.of("f"), TestPostgres.query(url, "SELECT to_regclass('unlocked') IS NOT NULL"));
    }

    /** Undoing a version that stopped part way needs its down file: said, naming the file to write and the other way. */
    @Test
    void undoingAPartialVersionWithoutADownFileNamesWhatToWrite() throws Exception {
        files.write("001_half.sql", "-- migrate:no-transaction\nCREATE TABLE half (id int);\nSELECT 1/0;\n");
        CliRun failed = CliRun.of(env, "apply", "--database", "supabase", "--migrations", dir.toString());
        assertEquals(1, failed.exitCode(), failed.toString());
        assertEquals("PARTIAL", statusEntry("001").get("state").asText());
        CliRun undo = CliRun.of(env, "rollback", "--database", "supabase", "--resume", "--format", "json",
                "--migrations", dir.toString());
        assertEquals(2, undo.exitCode(), undo.toString());
        assertFalse(undo.out().contains("null failed") || undo.out().contains("\"file\" : null"), undo.out());
        assertTrue(undo.out().contains("001_half.sql stopped part way and has no down file to undo it: write"
                + " 001_half.down.sql"), undo.out());
        assertEquals("PARTIAL", statusEntry("001").get("state").asText(), "nothing was undone");
    }

    @Test
    void aConvexRunKilledWhileHoldingTheLeaseDoesNotBlockTheNextApplyWithDefaultOptions() throws Exception {
        TestConvex.reset();
        for (int i = 1; i <= 40; i++) {
            String v = String.format("%03d", i);
            files.write(v + "_doc_" + i + ".json", "{\"version\": \"" + v + "\", \"schema\": {\"docs\": {\"n\":"
                    + " \"number\"}}, \"data\": [{\"type\": \"insert\", \"table\": \"docs\", \"data\": {\"n\": " + i + "}}]}");
        }
        Process p = cli("apply", "--database", "convex"); // default lease
        waitFor(p, "the first migration", () -> !TestConvex.documents("docs").isEmpty());
        kill(p);
        int appliedByTheKilledRun = TestConvex.documents("docs").size();
        assertTrue(appliedByTheKilledRun < 40, "killed while it held the lease: " + appliedByTheKilledRun);
        long started = System.nanoTime();
        CliRun next = CliRun.of(env, "apply", "--database", "convex", "--migrations", dir.toString());
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertEquals(0, next.exitCode(), next.toString());
        assertEquals(40, TestConvex.documents("docs").size());
        assertEquals(1, count(next.err(), "another run has held the Convex lock since"), next.err());
        assertTrue(next.err().contains("waiting up to 30 s"), next.err());
        System.out.println("the next apply waited for the dead run's lease and finished after " + waitedMs + " ms");
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private Process cli(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.cryoprotect.migrate.app.Main"));
        command.addAll(List.of(args));
        command.addAll(List.of("--migrations", dir.toString()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        return pb.start();
    }

    private boolean sleeping(String statementStart) {
        return !TestPostgres.query(url, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '"
                + statementStart.replace("'", "''") + "%'").equals(List.of("0"));
    }

    private static void waitFor(Process p, String what, BooleanSupplier reached) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!reached.getAsBoolean()) {
            assertTrue(p.isAlive(), "the run ended before " + what);
            assertTrue(System.nanoTime() < deadline, "the run never reached " + what);
            Thread.sleep(20);
        }
    }

    private static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    }

    private JsonNode statusEntry(String version) throws IOException {
        CliRun status = CliRun.of(env, "status", "--database", "supabase", "--format", "json", "--migrations",
                dir.toString());
        for (JsonNode entry : JSON.readTree(status.out()).get("databases").get("supabase").get("migrations")) {
            if (entry.get("version").asText().equals(version)) {
                return entry;
            }
        }
        throw new AssertionError("no version " + version + " in " + status);
    }

    private List<String> indexes() {
        return TestPostgres.query(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'events' ORDER BY 1");
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            n++;
        }
        return n;
    }
}
