package dev.cryoprotect.migrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.database.DatabaseTarget;
import dev.cryoprotect.migrate.database.postgres.PostgresTarget;
import dev.cryoprotect.migrate.testing.MigrationFiles;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MigrateCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private MigrationFiles files;
    private String url;
    private List<String> db;

    @BeforeEach
    void setUp() {
        files = new MigrationFiles(dir);
        url = TestPostgres.newDatabase();
        db = List.of("--migrations", dir.toString(), "--database-url", url);
    }

    /** Supabase only: these tests are about the PostgreSQL side and the CLI itself. */
    private static final Map<String, String> SUPABASE_ONLY = Map.of("USE_CONVEX", "false");

    private CliRun run(String command, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of(command));
        args.addAll(db);
        args.addAll(List.of(more));
        return CliRun.of(SUPABASE_ONLY, args.toArray(String[]::new));
    }

    @Test
    void applyStatusRollbackRoundTrip() {
        files.table("001", "alpha").table("002", "beta");
        CliRun apply = run("apply");
        assertEquals(0, apply.exitCode(), apply.toString());
        assertTrue(apply.out().contains("applied 2 migrations to supabase (none -> 002)"), apply.out());
        CliRun status = run("status");
        assertTrue(status.out().contains("current version: 002, pending: 0"), status.out());
        assertTrue(status.out().matches("(?s).*001\\s+create_alpha\\s+APPLIED.*"), status.out());
        assertEquals("", status.err(), "no notice when USE_CONVEX=false");
        CliRun rollback = run("rollback");
        assertEquals(0, rollback.exitCode(), rollback.toString());
        assertEquals(List.of("alpha"), TestPostgres.tables(url, "public").stream().filter(t -> !t.equals("migrations")).toList());
    }

    @Test
    void jsonOutputIsTheResultRecord() throws Exception {
        files.table("001", "alpha");
        JsonNode result = JSON.readTree(run("apply", "--format", "json").out());
        assertEquals("supabase", result.get("database").asText());
        assertEquals("001", result.get("finalVersion").asText());
        assertEquals("applied", result.get("steps").get(0).get("outcome").asText());
        JsonNode status = JSON.readTree(run("status", "--format", "json").out());
        assertEquals("APPLIED", status.get("migrations").get(0).get("states").get("supabase").asText());
        assertEquals("APPLIED", status.get("databases").get("supabase").get("migrations").get(0).get("state").asText());
    }

    @Test
    void aFailedMigrationExitsOneAndNamesFileAndLine() throws Exception {
        files.write("001_bad.sql", "CREATE TABLE a (id int);\nSELECT * FROM missing_table;\n");
        CliRun run = run("apply");
        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("001_bad.sql:2: ERROR: relation \"missing_table\" does not exist"), run.err());
        assertEquals(List.of(), TestPostgres.tables(url, "public"), "not even the history table this run made");
        JsonNode json = JSON.readTree(run("apply", "--format", "json").out());
        assertEquals(2, json.get("error").get("line").asInt());
    }

    /** A lone \r ends a line (old Mac files): the server's error position is mapped to line 3, not line 1. */
    /** An error inside a DO block names the block's failing line, from PL/pgSQL's context, not the line of DO. */
    @Test
    void aFailureInsideADoBlockNamesItsOwnLine() {
        files.write("001_do.sql", "CREATE TABLE a (id int);\nDO $body$\nDECLARE\n  x int;\nBEGIN\n  x := 1 / 0;\n"
                + "END\n$body$;\n");
        files.write("002_do.sql", "do language plpgsql $$ begin perform 1; end $$;\n-- a comment\ndo $$\nbegin\n"
                + "  insert into nowhere values (1);\nend $$;\n");
        CliRun run = run("apply");
        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("001_do.sql:6: ERROR: division by zero"), run.err());
        files.write("001_do.sql", "CREATE TABLE a (id int);\n");
        CliRun second = run("apply");
        assertEquals(1, second.exitCode(), second.toString());
        assertTrue(second.err().contains("002_do.sql:5: ERROR: relation \"nowhere\" does not exist"), second.err());
    }

    @Test
    void aFailedMigrationWithLoneCarriageReturnsNamesItsLine() {
        files.write("001_bad.sql", "-- old Mac line endings\rCREATE TABLE a (id int);\rSELECT *\r  FROM missing_table;\r");
        CliRun run = run("apply");
        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("001_bad.sql:4: ERROR: relation \"missing_table\" does not exist"), run.err());
        assertEquals(List.of(), TestPostgres.tables(url, "public"));
    }

    /**
     * A first run that applies nothing (its first file fails) leaves the database as it found it: no history table,
     * nor the schema made for it; a schema that was there stays. Once a file has landed, the history stays with it.
     */
    @Test
    void aFirstRunThatAppliesNothingLeavesNoHistoryBehind() {
        files.write("001_bad.sql", "CREATE TABLE a (id int);\nSELECT * FROM missing_table;\n");
        CliRun fresh = run("apply", "--history-schema", "migrate_audit");
        assertEquals(1, fresh.exitCode(), fresh.toString());
        assertEquals(List.of(), TestPostgres.query(url, "SELECT nspname FROM pg_namespace WHERE nspname = 'migrate_audit'"));
        TestPostgres.execute(url, "CREATE SCHEMA kept");
        assertEquals(1, run("apply", "--history-schema", "kept").exitCode());
        assertEquals(List.of("kept"), TestPostgres.query(url, "SELECT nspname FROM pg_namespace WHERE nspname = 'kept'"));
        assertEquals(List.of(), TestPostgres.tables(url, "kept"));
        assertEquals(List.of(), TestPostgres.tables(url, "public"));

        files.write("001_bad.sql", "CREATE TABLE a (id int);\n");
        files.write("002_bad.sql", "SELECT * FROM missing_table;\n");
        CliRun second = run("apply", "--history-schema", "migrate_audit");
        assertEquals(1, second.exitCode(), second.toString());
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT version FROM migrate_audit.migrations"));
    }

    @Test
    void badInputExitsTwoAndNamesTheFile() {
        files.write("001_first.sql", "SELECT 1;");
        files.write("001_also_first.sql", "SELECT 1;");
        CliRun run = run("apply");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("001_first.sql: version 001 is already used by 001_also_first.sql"), run.err());
        assertEquals(List.of(), TestPostgres.tables(url, "public"), "nothing ran, not even the history table");
    }

    @Test
    void aFolderOfOnlyFlywayFilesExitsTwoWithTheirRenames() {
        files.write("V1__init.sql", "CREATE TABLE alpha (id int);").write("U1__init.sql", "DROP TABLE alpha;");
        CliRun run = run("apply");
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("""
                error: 2 problems in migration files (nothing was run):
                  U1__init.sql: a Flyway undo name (U<version>__<description>.sql), which this tool does not read:\
                 rename it 001_init.down.sql, named as the .sql file it undoes
                  V1__init.sql: a Flyway name (V<version>__<description>.sql), which this tool does not read: rename it\
                 001_init.sql
                """, run.err());
        assertEquals(List.of(), TestPostgres.tables(url, "public"), "nothing ran, not even the history table");
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, CliRun.of(Map.of(), "apply", "--no-such-option").exitCode());
        CliRun badTarget = run("apply", "--target", "abc");
        assertEquals(2, badTarget.exitCode());
        assertTrue(badTarget.err().contains("'abc' is not a version"), badTarget.err());
        assertEquals(2, CliRun.of(Map.of(), "frobnicate").exitCode());
    }

    /** A URL typed without its option, or after a misspelt one, is quoted back by the usage error: without its password. */
    @Test
    void usageErrorsHideThePasswordsTheyQuote() throws Exception {
        String url = "postgresql://app:Hunter2/Secret@127.0.0.1:5432/postgres";
        List<CliRun> runs = List.of(CliRun.of(SUPABASE_ONLY, "status", "--migrations", dir.toString(), url),
                CliRun.of(SUPABASE_ONLY, "apply", "--databse-url", url),
                CliRun.of(SUPABASE_ONLY, "apply", "--format", "json", "--databse-url=" + url),
                CliRun.of(SUPABASE_ONLY, "apply", "jdbc:postgresql://db:5432/app?user=app&password=Hunter2Secret",
                        "prod:happy-otter-123|Hunter2SecretKeyMaterial"),
                CliRun.of(SUPABASE_ONLY, "apply", "postgresql://u:pa'Hunter2 x@h/db"));
        for (CliRun run : runs) {
            assertEquals(2, run.exitCode(), run.toString());
            assertFalse(run.err().contains("Hunter2") || run.out().contains("Hunter2"), run.toString());
        }
        assertTrue(runs.get(0).err().contains("Unmatched argument at index 3: 'postgresql://***@127.0.0.1:5432/postgres'"),
                runs.get(0).err());
        assertTrue(runs.get(1).err().contains("Possible solutions: --database-url"), runs.get(1).err());
        assertEquals("Unknown option: '--databse-url=postgresql://***@127.0.0.1:5432/postgres'",
                JSON.readTree(runs.get(2).out()).get("error").get("message").asText());
        assertTrue(runs.get(3).err().contains("password=***") && runs.get(3).err().contains("prod:happy-otter-123|***"),
                runs.get(3).err());
    }

    /** With --format json a usage error is also the documented {"error": ...} on stdout; without it, stdout stays empty. */
    @Test
    void usageErrorsAreJsonWhenJsonIsAsked() throws Exception {
        CliRun unknown = CliRun.of(SUPABASE_ONLY, "apply", "--no-such-option", "--format", "json");
        assertEquals(2, unknown.exitCode(), unknown.toString());
        assertTrue(unknown.err().contains("Unknown option: '--no-such-option'"), unknown.err());
        JsonNode error = JSON.readTree(unknown.out()).get("error");
        assertEquals("bad_input", error.get("failure").asText(), unknown.out());
        assertEquals(2, error.get("exitCode").asInt());
        assertTrue(error.get("message").asText().contains("--no-such-option"), unknown.out());

        CliRun badTarget = run("apply", "--format=JSON", "--target", "abc");
        assertEquals(2, badTarget.exitCode(), badTarget.toString());
        assertTrue(JSON.readTree(badTarget.out()).get("error").get("message").asText().contains("'abc' is not a version"),
                badTarget.out());
        assertEquals("", run("apply", "--target", "abc").out());
        assertEquals("", CliRun.of(SUPABASE_ONLY, "apply", "--format", "xml").out());
    }

    /** pg_dump writes a rule with several actions as DO ALSO (...; ...): one statement, as psql reads it. */
    @Test
    void aRuleWithSeveralActionsApplies() {
        files.write("001_rule.sql", "create table audit (i int);\ncreate table items (i int);\n"
                + "create rule items_audit as on insert to items\n"
                + "  do also (insert into audit values (new.i); insert into audit values (-new.i));\n"
                + "insert into items values (7);\n");
        CliRun run = run("apply");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(List.of("-7", "7"), TestPostgres.query(url, "SELECT i FROM audit ORDER BY i"));
    }

    /** A concurrent index after the file's own COMMIT runs as psql runs it: outside a transaction, with a notice. */
    @Test
    void aConcurrentIndexAfterTheFilesOwnCommitApplies() {
        files.write("001_mix.sql", "begin;\ncreate table x (i int);\ncommit;\ncreate index concurrently x_i on x (i);\n");
        CliRun run = run("apply");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.err().contains("001_mix.sql: runs outside a transaction, statement by statement"), run.err());
        assertEquals(List.of("x_i"), TestPostgres.query(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'x'"));
        assertEquals(List.of("001 applied"), TestPostgres.query(url, "SELECT version || ' ' || state FROM migrations"));
    }

    /** --database-url "$PROD_URL" with the variable unset must not fall back to the local database. */
    @Test
    void anEmptyDatabaseUrlOrFolderIsRefused() {
        files.table("001", "alpha");
        CliRun emptyUrl = CliRun.of(SUPABASE_ONLY, "apply", "--migrations", dir.toString(), "--database-url", "");
        assertEquals(2, emptyUrl.exitCode(), emptyUrl.toString());
        assertTrue(emptyUrl.err().contains("error: --database-url is empty (an unset variable?): give a PostgreSQL URL,"
                + " or leave the option out for its default"), emptyUrl.err());
        CliRun emptyFolder = CliRun.of(SUPABASE_ONLY, "status", "--migrations", " ", "--database-url", url);
        assertEquals(2, emptyFolder.exitCode(), emptyFolder.toString());
        assertTrue(emptyFolder.err().contains("error: --migrations is empty (an unset variable?)"), emptyFolder.err());
        CliRun emptyLocal = CliRun.of(SUPABASE_ONLY, "local", "status", "--local-dir", "");
        assertEquals(2, emptyLocal.exitCode(), emptyLocal.toString());
        assertTrue(emptyLocal.err().contains("error: --local-dir is empty (an unset variable?)"), emptyLocal.err());
        assertEquals(List.of(), TestPostgres.tables(url, "public"));
    }

    @Test
    void aBusyLockExitsThree() {
        files.table("001", "alpha");
        try (DatabaseTarget holder = new PostgresTarget(TestPostgres.config(url));
             DatabaseTarget.Lock ignored = holder.lock(Duration.ofSeconds(5))) {
            CliRun run = run("apply", "--lock-timeout", "1");
            assertEquals(3, run.exitCode(), run.toString());
            assertTrue(run.err().contains("another run holds the lock"), run.err());
        }
        assertEquals(List.of(), TestPostgres.tables(url, "public").stream().filter(t -> t.equals("alpha")).toList());
    }

    @Test
    void anUnreachableDatabaseExitsFourWithoutThePassword() {
        files.table("001", "alpha");
        CliRun run = CliRun.of(SUPABASE_ONLY, "status", "--migrations", dir.toString(), "--database-url",
                "postgresql://postgres:hunter2-secret@127.0.0.1:1/postgres");
        assertEquals(4, run.exitCode(), run.toString());
        assertFalse(run.err().contains("hunter2"), run.err());
        assertFalse(run.out().contains("hunter2"), run.out());
    }

    @Test
    void aChangedFileExitsFiveUntilRepairedWithConfirmation() throws Exception {
        files.table("001", "alpha");
        assertEquals(0, run("apply").exitCode());
        files.append("001_create_alpha.sql", "-- edited\n");
        files.table("002", "beta");
        CliRun blocked = run("apply");
        assertEquals(5, blocked.exitCode(), blocked.toString());
        assertTrue(blocked.err().contains("001_create_alpha.sql changed after it was applied"), blocked.err());
        assertTrue(run("status").out().contains("CHANGED"));
        JsonNode error = JSON.readTree(run("apply", "--format", "json").out()).get("error");
        assertEquals("history_conflict", error.get("failure").asText(), error.toString());
        assertEquals("001_create_alpha.sql", error.get("file").asText(), error.toString());

        CliRun unconfirmed = run("repair");
        assertEquals(2, unconfirmed.exitCode(), unconfirmed.toString());
        assertTrue(unconfirmed.err().contains("--yes"), unconfirmed.err());
        assertEquals(5, run("apply").exitCode(), "an unconfirmed repair changed nothing");

        CliRun repaired = run("repair", "--yes");
        assertEquals(0, repaired.exitCode(), repaired.toString());
        assertEquals(0, run("apply").exitCode());
    }

    /** The down file of a version whose file was edited after its apply may not undo what ran: said before it runs. */
    @Test
    void rollingBackAChangedFileWarnsBeforeRunningItsDownFile() throws Exception {
        files.table("001", "alpha").table("002", "beta");
        assertEquals(0, run("apply").exitCode());
        files.append("002_create_beta.sql", "CREATE TABLE gamma (id int);\n");
        String notice = "notice: 002_create_beta.sql changed since it was applied to supabase: rolling back with"
                + " 002_create_beta.down.sql as it is now, which may not undo what was applied\n";

        CliRun dryRun = run("rollback", "--dry-run");
        assertEquals(0, dryRun.exitCode(), dryRun.toString());
        assertEquals(notice, dryRun.err());
        CliRun rollback = run("rollback", "--format", "json");
        assertEquals(0, rollback.exitCode(), rollback.toString());
        assertEquals(notice, rollback.err(), "JSON results have no warnings list: the notice goes to stderr as ever");
        JsonNode result = JSON.readTree(rollback.out());
        assertTrue(result.get("success").asBoolean(), rollback.out());
        assertEquals("001", result.get("finalVersion").asText());
        assertEquals(List.of("alpha", "migrations"), TestPostgres.tables(url, "public").stream().sorted().toList());

        CliRun unchanged = run("rollback");
        assertEquals(0, unchanged.exitCode(), unchanged.toString());
        assertEquals("", unchanged.err(), "no notice for a file as it was applied");
    }

    /** The same notice when --resume undoes a version that stopped part way and whose file was edited since. */
    @Test
    void undoingAnEditedPartialVersionWarnsToo() throws Exception {
        files.table("001", "alpha");
        files.write("002_two_steps.sql", "-- migrate:no-transaction\nCREATE TABLE beta (id int);\n"
                + "INSERT INTO nowhere VALUES (1);\n");
        files.write("002_two_steps.down.sql", "DROP TABLE IF EXISTS beta;\n");
        assertEquals(1, run("apply").exitCode());
        assertTrue(run("status").out().contains("PARTIAL"));
        files.write("002_two_steps.sql", "-- migrate:no-transaction\nCREATE TABLE beta (id int);\n"
                + "INSERT INTO beta VALUES (1);\n");

        CliRun undo = run("rollback", "--resume");
        assertEquals(0, undo.exitCode(), undo.toString());
        assertEquals("notice: 002_two_steps.sql changed since it was applied to supabase: rolling back with"
                + " 002_two_steps.down.sql as it is now, which may not undo what was applied\n", undo.err());
        assertEquals(List.of("alpha", "migrations"), TestPostgres.tables(url, "public").stream().sorted().toList());
    }

    @Test
    void baselineRecordsWithoutRunning() {
        files.table("001", "alpha").table("002", "beta");
        CliRun run = run("baseline", "--version", "001");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT version FROM migrations"));
        assertEquals(0, run("apply").exitCode());
        assertEquals(List.of("beta", "migrations"), TestPostgres.tables(url, "public"));
    }

    @Test
    void theDatabaseUrlComesFromSupabaseDbUrlWhenNoOptionIsGiven() {
        files.table("001", "alpha");
        CliRun run = CliRun.of(Map.of("SUPABASE_DB_URL", url, "USE_CONVEX", "false"), "apply", "--migrations", dir.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(List.of("alpha", "migrations"), TestPostgres.tables(url, "public"));
    }

    @Test
    void createWritesTheNextVersionsTemplates() throws Exception {
        files.table("001", "alpha");
        CliRun run = CliRun.of(Map.of(), "create", "--migrations", dir.toString(), "--name", "add_teams");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(Files.exists(dir.resolve("002_add_teams.sql")));
        assertTrue(Files.exists(dir.resolve("002_add_teams.down.sql")));
        String json = Files.readString(dir.resolve("002_add_teams.json"));
        assertEquals("002", JSON.readTree(json).get("version").asText());

        CliRun sqlOnly = CliRun.of(Map.of(), "create", "--migrations", dir.toString(), "--name", "more", "--kind", "sql");
        assertEquals(0, sqlOnly.exitCode(), sqlOnly.toString());
        assertTrue(Files.exists(dir.resolve("003_more.sql")));
        assertFalse(Files.exists(dir.resolve("003_more.json")));
        CliRun blank = run("apply");
        assertEquals(2, blank.exitCode(), "an unedited template is never applied: " + blank);
        assertTrue(blank.err().contains("002_add_teams.sql, 003_more.sql are still the template 'migrate create' wrote"),
                blank.err());
        assertEquals(List.of(), TestPostgres.tables(url, "public"), "not even 001 ran, nor the history table made");

        Files.writeString(dir.resolve("002_add_teams.sql"), "CREATE TABLE teams (id int);\n");
        Files.writeString(dir.resolve("003_more.sql"), Files.readString(dir.resolve("003_more.sql"))
                + "CREATE TABLE more (id int);\n");
        CliRun written = run("apply");
        assertEquals(0, written.exitCode(), "edited (even keeping the template's comments), they apply: " + written);
        assertEquals(List.of("alpha", "migrations", "more", "teams"), TestPostgres.tables(url, "public"));
    }

    @Test
    void createContinuesTimestampVersions() {
        files.write("20240101120000_init.sql", "SELECT 1;");
        CliRun run = CliRun.of(Map.of(), "create", "--migrations", dir.toString(), "--name", "next", "--kind", "sql");
        assertEquals(0, run.exitCode(), run.toString());
        String created = dir.toFile().list((d, n) -> n.endsWith("_next.sql"))[0];
        assertEquals(14, created.indexOf('_'), created);
        assertTrue(created.compareTo("20240101120000") > 0, created);
    }

    @Test
    void createRefusesBadNamesAndPathTraversal() {
        for (String name : List.of("AddTeams", "../../etc/passwd", "add-teams", "a;drop table x", "")) {
            CliRun run = CliRun.of(Map.of(), "create", "--migrations", dir.toString(), "--name", name);
            assertEquals(2, run.exitCode(), name + ": " + run);
        }
        assertEquals(0, dir.toFile().list().length, "nothing was written");
    }

    /**
     * Six creates of the same migration at once all pick version 003: exactly one writes its files, the others are
     * refused before writing anything, and the folder stays loadable with one 003.
     */
    @Test
    void concurrentCreatesNeverOverwriteAFile() throws Exception {
        files.write("001_a.sql", "SELECT 1;");
        files.write("002_b.json", "{\"version\": \"002\"}");
        files.write("002_b.sql", "SELECT 1;");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<CliRun>> runs = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            runs.add(pool.submit(() -> {
                start.await();
                return CliRun.of(Map.of(), "create", "--migrations", dir.toString(), "--name", "c", "--kind", "sql");
            }));
        }
        start.countDown();
        List<CliRun> results = new java.util.ArrayList<>();
        for (var f : runs) {
            results.add(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
        }
        pool.shutdown();
        List<CliRun> written = results.stream().filter(r -> r.exitCode() == 0).toList();
        assertTrue(written.size() >= 1, results.toString());
        for (CliRun r : results) {
            if (r.exitCode() != 0) {
                assertEquals(2, r.exitCode(), r.toString());
                assertTrue(r.err().contains("already exists") && r.err().contains("refusing to overwrite"), r.toString());
            }
        }
        // Those that picked 003 after another run's files landed took 004, 005, ...: no version is claimed twice.
        CliRun status = run("status");
        assertEquals(0, status.exitCode(), status.toString());
        assertEquals(1, Files.list(dir).filter(p -> p.getFileName().toString().startsWith("003_")
                && p.getFileName().toString().endsWith(".down.sql")).count());
        assertEquals(written.size(), Files.list(dir).filter(p -> p.getFileName().toString().matches("\\d{3}_c\\.sql")).count());
    }

    @Test
    void createRefusesAFileThatIsInTheWayAndWritesNothing() throws Exception {
        files.write("001_a.sql", "SELECT 1;");
        // Something already occupies the path 002_c.down.sql would take (a folder the loader does not read).
        Files.createDirectory(dir.resolve("002_c.down.sql"));
        CliRun run = CliRun.of(Map.of(), "create", "--migrations", dir.toString(), "--name", "c", "--kind", "sql");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("002_c.down.sql already exists"), run.err());
        assertFalse(Files.exists(dir.resolve("002_c.sql")), "nothing of the new migration was written");
    }

    /** Run from a Supabase CLI project's root, with no options: its supabase/migrations folder is found. */
    @Test
    void aSupabaseCliProjectsFolderIsFoundAndStrayFilesAreSkippedWithOneWarning() throws Exception {
        Path migrations = Files.createDirectories(dir.resolve("project/supabase/migrations"));
        Files.writeString(migrations.resolve("20240214114147_auth-hook.sql"), "create table hooks (id int);\n");
        Files.writeString(migrations.resolve("20240301000000_AddProfiles.sql"), "begin;\ncreate table profiles (id int);\ncommit;\n");
        Files.writeString(migrations.resolve("README.md"), "# how we migrate\n");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "dev.cryoprotect.migrate.app.Main", "apply", "--database-url", url)
                .directory(dir.resolve("project").toFile());
        pb.environment().put("USE_CONVEX", "false");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        assertEquals(0, p.waitFor(), out + err);
        assertTrue(out.contains("applied 2 migrations to supabase (none -> 20240301000000)"), out);
        assertEquals(1, err.lines().filter(l -> l.equals("notice: skipped README.md: not a migration file"
                + " (<digits>_<name>.sql, .down.sql or .json)")).count(), err);
        assertEquals(1, err.lines().filter(l -> l.startsWith("notice: 20240301000000_AddProfiles.sql: its own BEGIN/COMMIT"
                + " (lines 1, 3) are absorbed")).count(), err);
        assertEquals(List.of("auth-hook", "AddProfiles"), TestPostgres.query(url, "SELECT name FROM migrations ORDER BY version"));
    }

    @Test
    void eachCommandIsListedUnderItsOwnName() {
        MigrateCli.COMMANDS.forEach((name, type) -> assertEquals(
                type.getAnnotation(picocli.CommandLine.Command.class).name(), name, type.getName()));
        assertEquals(12, MigrateCli.COMMANDS.size(), MigrateCli.COMMANDS.keySet().toString());
    }

    @Test
    void helpIsAvailableEverywhere() {
        for (String command : List.of("status", "apply", "rollback", "create", "repair", "baseline", "local",
                "convex-schema", "universal", "invoke")) {
            CliRun run = CliRun.of(Map.of(), command, "--help");
            assertEquals(0, run.exitCode(), command);
            assertTrue(run.out().contains("Usage: migrate " + command), run.out());
        }
        CliRun top = CliRun.of(Map.of(), "--help");
        assertTrue(top.out().matches("(?s).*\\n  3 +another run holds the lock\\n.*"), top.out());
        assertTrue(top.out().matches("(?s).*\\n  130, 143 +interrupted \\(Ctrl-C, SIGTERM\\)\\n.*"), top.out());
    }

    @Test
    void theShippedExamplesApplyAndRollBackCleanly() {
        Path examples = Path.of("..", "migrations");
        List<String> args = List.of("--migrations", examples.toString(), "--database-url", url);
        CliRun apply = CliRun.of(SUPABASE_ONLY, CliRun.args(List.of("apply"), args.toArray(String[]::new)));
        assertEquals(0, apply.exitCode(), apply.toString());
        assertEquals(List.of("owner"), TestPostgres.query(url, "SELECT role FROM users"));
        assertEquals(List.of("users_email_lower"), TestPostgres.query(url,
                "SELECT indexname FROM pg_indexes WHERE indexname = 'users_email_lower'"));
        CliRun rollback = CliRun.of(SUPABASE_ONLY, CliRun.args(List.of("rollback", "--target", "000"), args.toArray(String[]::new)));
        assertEquals(0, rollback.exitCode(), rollback.toString());
        assertEquals(List.of("migrations"), TestPostgres.tables(url, "public"));
    }
}
