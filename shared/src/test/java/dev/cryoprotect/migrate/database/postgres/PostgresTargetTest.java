package dev.cryoprotect.migrate.database.postgres;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.Migrator;
import dev.cryoprotect.migrate.database.DatabaseTarget;
import dev.cryoprotect.migrate.model.MigrationState;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.report.StatusReport;
import dev.cryoprotect.migrate.report.StepResult;
import dev.cryoprotect.migrate.source.DirectorySource;
import dev.cryoprotect.migrate.testing.TargetContractTest;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The contract, plus what only PostgreSQL has: line mapping, no-transaction files, the old history table, RLS. */
class PostgresTargetTest extends TargetContractTest {
    private String url;

    @Override
    protected void freshDatabase() {
        url = TestPostgres.newDatabase();
    }

    @Override
    protected DatabaseTarget newTarget() {
        return new PostgresTarget(TestPostgres.config(url));
    }

    @Override
    protected void writeCreating(String version, String thing) {
        files.table(version, thing);
    }

    @Override
    protected void writeFailing(String version) {
        files.write(version + "_broken.sql", "CREATE TABLE half_done (id int);\nINSERT INTO nowhere VALUES (1);\n");
        files.write(version + "_broken.down.sql", "DROP TABLE half_done;\n");
    }

    @Override
    protected Set<String> things() {
        Set<String> tables = new HashSet<>(TestPostgres.tables(url, "public"));
        tables.remove("migrations");
        return tables;
    }

    @Override
    protected DatabaseTarget targetWithSecret(String secret) {
        java.net.URI at = java.net.URI.create(url.substring("jdbc:".length()));
        return new PostgresTarget(PostgresConfig.fromUrl("postgresql://postgres:" + secret + "@" + at.getHost() + ":"
                + at.getPort() + at.getPath(), "public"));
    }

    @Override
    protected Duration crashWhileHoldingTheLock() {
        PostgresTarget holder = track(new PostgresTarget(TestPostgres.config(url)));
        holder.lock(Duration.ofSeconds(5));
        // The server ends the holder's session, as it does when the holder's process is killed.
        assertEquals(List.of("t"), TestPostgres.query(url, "SELECT pg_terminate_backend(pid) FROM pg_locks"
                + " WHERE locktype = 'advisory' AND granted"));
        return Duration.ofSeconds(1);
    }

    @Override
    protected String fileOf(String version) {
        return files.dir().toFile().list((d, n) -> n.startsWith(version + "_") && n.endsWith(".sql")
                && !n.endsWith(".down.sql"))[0];
    }

    @Test
    void aFailingStatementNamesItsFileLineAndTheServerMessage() {
        files.write("001_users.sql", """
                -- users of the app
                CREATE TABLE users (
                  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                  email text NOT NULL
                );

                CREATE INDEX users_email ON users (email);
                INSERT INTO users (email)
                VALUES ('a@example.com'),
                       (no_such_column);
                """);
        RunResult result = migrator().apply(null, false);
        assertFalse(result.success());
        assertEquals("001_users.sql", result.error().file());
        assertEquals(10, result.error().line(), result.error().message());
        assertTrue(result.error().message().startsWith("001_users.sql:10: ERROR: column \"no_such_column\" does not exist"),
                result.error().message());
        assertTrue(result.error().message().contains("rolled back"), result.error().message());
        assertEquals(Set.of(), things(), "no partial schema");
        assertEquals(List.of(), TestPostgres.tables(url, "public"), "no history table either: nothing was applied");
    }

    /** PostgreSQL's error position counts characters: text outside the Basic Multilingual Plane before it is one each. */
    @Test
    void theFailingLineIsRightAfterEmojiInTheStatement() {
        files.write("001_labels.sql", """
                -- labels shown in the app 🏷️
                CREATE TABLE labels (
                  id int PRIMARY KEY,
                  title text NOT NULL DEFAULT '🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈🎈',
                  tint no_such_type
                );
                """);
        RunResult result = migrator().apply(null, false);
        assertFalse(result.success());
        assertEquals(5, result.error().line(), result.error().message());
        assertTrue(result.error().message().startsWith("001_labels.sql:5: ERROR: type \"no_such_type\" does not exist"),
                result.error().message());
    }

    /**
     * A statement that runs past the server's statement_timeout (Supabase's 2 minutes, here a role's 200 ms) is named
     * with how to give the file longer; the file's own SET then lets it finish, and lasts for that file only.
     */
    @Test
    void aStatementStoppedByTheServersTimeoutSaysHowToGiveTheFileLonger() {
        String database = TestPostgres.query(url, "SELECT current_database()").get(0);
        TestPostgres.execute(url, "ALTER DATABASE \"" + database + "\" SET statement_timeout = '200ms'");
        files.table("001", "alpha");
        files.write("002_backfill.sql", "CREATE TABLE backfill (v text);\nINSERT INTO backfill SELECT pg_sleep(1)::text;\n");
        RunResult result = migrator().apply(null, false);
        assertFalse(result.success());
        assertEquals(2, result.error().line(), result.error().message());
        assertTrue(result.error().message().startsWith("002_backfill.sql:2: ERROR: canceling statement due to"
                + " statement timeout [SQLSTATE 57014]. The server's statement_timeout stopped it"), result.error().message());
        assertTrue(result.error().message().contains("put \"SET statement_timeout = '30min';\" before it in the"
                + " file"), result.error().message());
        assertEquals(Set.of("alpha"), things(), "nothing of 002");

        files.write("002_backfill.sql", "SET statement_timeout = '30min';\nCREATE TABLE backfill (v text);\n"
                + "INSERT INTO backfill SELECT pg_sleep(1)::text;\n");
        files.write("003_after.sql", "CREATE TABLE after_it (v text);\nINSERT INTO after_it SELECT pg_sleep(1)::text;\n");
        result = migrator().apply(null, false);
        assertFalse(result.success(), "003 runs under the database's timeout again");
        assertEquals("003_after.sql", result.error().file(), result.error().message());
        assertEquals(List.of("001", "002"), TestPostgres.query(url, "SELECT version FROM migrations ORDER BY version"));
    }

    /** The COMMIT goes in the file's batch; a deferred constraint refuses it there, and nothing of the file stays. */
    @Test
    void aDeferredConstraintRefusedAtCommitLeavesNothingAndSaysWhere() {
        files.table("001", "alpha");
        files.write("002_orders.sql", """
                CREATE TABLE customers (id int PRIMARY KEY);
                CREATE TABLE orders (customer_id int REFERENCES customers DEFERRABLE INITIALLY DEFERRED);
                INSERT INTO orders VALUES (42);
                """);
        RunResult result = migrator().apply(null, false);
        assertFalse(result.success());
        assertEquals(Failure.MIGRATION_FAILED, result.error().failure());
        assertEquals("002_orders.sql", result.error().file());
        assertTrue(result.error().message().startsWith("002_orders.sql: ERROR: insert or update on table \"orders\""
                + " violates foreign key constraint"), result.error().message());
        assertTrue(result.error().message().contains("at the end of the file, where deferred constraints are checked"),
                result.error().message());
        assertEquals(Set.of("alpha"), things(), "nothing of 002");
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT version FROM migrations"));
    }

    /**
     * A file of plain statements is sent with its COMMIT. When the connection dies before the answer, whether the
     * COMMIT ran cannot be known on this side: the run must say so (and not claim a rollback), and the database must
     * hold the file and its history row together or neither.
     */
    @Test
    void aConnectionLostBeforeTheCommitIsConfirmedIsReportedAsUncertain() throws Exception {
        files.write("001_slow.sql", "CREATE TABLE slow (v text);\nINSERT INTO slow SELECT pg_sleep(3)::text;\n");
        Thread killer = terminateWhenRunning("pg_sleep(3)");
        RunResult result = migrator().apply(null, false);
        killer.join();

        assertFalse(result.success());
        assertEquals(Failure.UNREACHABLE, result.error().failure(), result.error().message());
        assertTrue(result.error().message().startsWith("001_slow.sql: lost the connection to PostgreSQL before the"
                + " server confirmed its COMMIT: the migration and its history row either both landed or neither"
                + " did"), result.error().message());
        assertEquals(Migrator.UNKNOWN_VERSION, result.finalVersion(), "the connection is gone: nothing to ask");
        assertTrue(result.message().endsWith("run 'migrate status' to see where it stands"), result.message());
        assertEquals(List.of("false|0"), TestPostgres.query(url, "SELECT (to_regclass('public.slow') IS NOT NULL)::text"
                + " || '|' || (SELECT count(*) FROM migrations)"), "neither landed: the kill came before the COMMIT");
    }

    /**
     * Files of plain DDL and DML go to the server together, yet each is a transaction of its own with its history row
     * (a row's xmin is the transaction that wrote it), timed by the server; a file of anything else keeps its place.
     */
    @Test
    void filesSentTogetherAreEachTheirOwnTransactionInOrder() {
        for (int i = 1; i <= 5; i++) {
            files.write(String.format("%03d_t%d.sql", i, i), "CREATE TABLE t" + i + " (id int PRIMARY KEY);\n"
                    + "INSERT INTO t" + i + " SELECT count(*) FROM pg_class WHERE relname LIKE 't_';\n");
        }
        files.write("006_look.sql", "SELECT 1;\nCREATE TABLE t6 (id int);\n"); // a SELECT: not sent with others
        files.write("007_t7.sql", "CREATE TABLE t7 (id int);\n");
        files.write("008_t8.sql", "CREATE TABLE t8 (id int);\n");
        RunResult result = migrator().apply(null, false);
        assertTrue(result.success(), result.message());
        assertEquals(List.of("001_t1.sql", "002_t2.sql", "003_t3.sql", "004_t4.sql", "005_t5.sql", "006_look.sql",
                "007_t7.sql", "008_t8.sql"), result.steps().stream().map(StepResult::file).toList());
        assertTrue(result.steps().stream().allMatch(s -> s.outcome() == dev.cryoprotect.migrate.model.StepOutcome.APPLIED));
        // Each file saw the tables of the files before it: they ran in order.
        assertEquals(List.of("1", "2", "3", "4", "5"), TestPostgres.query(url,
                "SELECT id::text FROM t1 UNION ALL SELECT id::text FROM t2 UNION ALL SELECT id::text FROM t3"
                        + " UNION ALL SELECT id::text FROM t4 UNION ALL SELECT id::text FROM t5"));
        assertEquals(List.of("8|8|8"), TestPostgres.query(url, "SELECT count(*) || '|' || count(DISTINCT xmin::text)"
                + " || '|' || count(execution_time_ms) FROM migrations"), "one transaction per file, each timed");
    }

    /**
     * What a run looked up of the history table under its lock is used until a file changes the table: a file that
     * drops one of its columns still gets an applied run and a report, and the next run adds the column back.
     */
    @Test
    void aFileThatAltersTheHistoryTableIsReportedAsApplied() {
        files.table("001", "alpha");
        files.write("002_drop_progress.sql", "ALTER TABLE migrations DROP COLUMN progress;\n");
        RunResult result = migrator().apply(null, false);
        assertTrue(result.success(), result.message());
        assertEquals("002", result.finalVersion());
        files.table("003", "gamma");
        assertTrue(migrator().apply(null, false).success());
        assertEquals(List.of("1"), TestPostgres.query(url, "SELECT count(*) FROM information_schema.columns"
                + " WHERE table_name = 'migrations' AND column_name = 'progress'"));
        assertEquals("003", migrator().status().currentVersion());
    }

    /**
     * The session keeps its name through the RESET ALL after each file, so a run waiting for the lock can say whose it
     * is; a URL's own ApplicationName is kept the same way.
     */
    @Test
    void theSessionKeepsItsApplicationNameFromFileToFile() {
        files.write("001_seen.sql", "CREATE TABLE seen (n serial, name text);\n"
                + "INSERT INTO seen (name) VALUES (current_setting('application_name'));\n");
        files.write("002_again.sql", "INSERT INTO seen (name) VALUES (current_setting('application_name'));\n");
        files.write("003_alone.sql", "SELECT 1;\nINSERT INTO seen (name) VALUES (current_setting('application_name'));\n");
        assertTrue(migrator().apply(null, false).success());
        assertEquals(List.of("migrate", "migrate", "migrate"), TestPostgres.query(url, "SELECT name FROM seen ORDER BY n"));

        files.write("004_named.sql", "INSERT INTO seen (name) VALUES (current_setting('application_name'));\n");
        files.write("005_named.sql", "INSERT INTO seen (name) VALUES (current_setting('application_name'));\n");
        PostgresTarget named = track(new PostgresTarget(PostgresConfig.fromUrl(url + "&ApplicationName=ci%20deploy",
                "public")));
        assertTrue(Migrator.configure().source(new DirectorySource(dir)).target(named).load().apply(null, false)
                .success());
        assertEquals(List.of("ci deploy", "ci deploy"), TestPostgres.query(url, "SELECT name FROM seen WHERE n > 3"));
    }

    /**
     * A file that fails among others sent together: the ones before it stay applied, it and the ones after it leave
     * nothing, and the error names its line as a file failing alone does. Fixed, the next apply goes on from it.
     */
    @Test
    void aFileFailingAmongOthersSentTogetherNamesItsLineAndKeepsThoseBefore() {
        files.table("001", "alpha").table("002", "beta");
        files.write("003_gamma.sql", "CREATE TABLE gamma (id int);\nINSERT INTO gamma\n  VALUES (no_such_column);\n");
        files.table("004", "delta").table("005", "epsilon");
        RunResult result = migrator().apply(null, false);
        assertFalse(result.success());
        assertEquals("003_gamma.sql", result.error().file(), result.error().message());
        assertEquals(3, result.error().line(), result.error().message());
        assertTrue(result.error().message().startsWith("003_gamma.sql:3: ERROR: column \"no_such_column\" does not"
                + " exist"), result.error().message());
        assertEquals(List.of("APPLIED", "APPLIED", "FAILED"), result.steps().stream().map(s -> s.outcome().name())
                .toList());
        assertEquals(Set.of("alpha", "beta"), things());
        assertEquals(List.of("001", "002"), TestPostgres.query(url, "SELECT version FROM migrations ORDER BY version"));
        assertEquals(List.of("0"), TestPostgres.query(url, "SELECT count(*) FROM pg_stat_activity"
                + " WHERE state LIKE 'idle in transaction%'"), "no transaction left open");

        files.write("003_gamma.sql", "CREATE TABLE gamma (id int);\n");
        result = migrator().apply(null, false);
        assertTrue(result.success(), result.message());
        assertEquals(Set.of("alpha", "beta", "gamma", "delta", "epsilon"), things());
    }

    /**
     * The driver ends a long batch with a Sync of its own every 256 statements, after which the server would run what
     * follows again; it sends nothing more once it has seen an error there. 40 files of 10 statements, the fifth
     * failing: nothing after it runs, the next group included.
     */
    @Test
    void aFailureEarlyInALongGroupStopsEverythingAfterIt() {
        for (int i = 1; i <= 40; i++) {
            StringBuilder sql = new StringBuilder("CREATE TABLE t" + i + " (id int);\n");
            for (int row = 0; row < 9; row++) {
                sql.append(i == 5 && row == 4 ? "INSERT INTO nowhere VALUES (1);\n" : "INSERT INTO t" + i + " VALUES (" + row + ");\n");
            }
            files.write(String.format("%03d_t%d.sql", i, i), sql.toString());
        }
        RunResult result = migrator().apply(null, false);
        assertFalse(result.success());
        assertEquals("005_t5.sql", result.error().file(), result.error().message());
        assertEquals(6, result.error().line(), result.error().message());
        assertEquals(Set.of("t1", "t2", "t3", "t4"), things());
        assertEquals(List.of("4"), TestPostgres.query(url, "SELECT count(*) FROM migrations"));
    }

    /**
     * Under a URL's preferQueryMode=simple the driver sends each statement of a batch as a query of its own, and the
     * server would go on to the files after a failing one: there the files go one at a time.
     */
    @Test
    void underTheSimpleQueryModeNothingAfterAFailingFileRuns() {
        files.table("001", "alpha");
        files.write("002_broken.sql", "CREATE TABLE beta (id int);\nINSERT INTO nowhere VALUES (1);\n");
        files.table("003", "gamma").table("004", "delta");
        DatabaseTarget simple = track(new PostgresTarget(TestPostgres.config(url + "&preferQueryMode=simple")));
        RunResult result = migrator(simple, Duration.ofSeconds(20)).apply(null, false);
        assertFalse(result.success());
        assertEquals("002_broken.sql", result.error().file(), result.error().message());
        assertEquals(2, result.error().line(), result.error().message());
        assertEquals(Set.of("alpha"), things());
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT version FROM migrations"));
    }

    /**
     * The connection lost while files sent together run: the ones whose COMMIT ran are applied, the rest left nothing,
     * and the run says it cannot tell from here how far they got.
     */
    @Test
    void aConnectionLostAmongFilesSentTogetherLeavesAPrefixAndSaysSo() throws Exception {
        files.table("001", "alpha");
        files.write("002_slow.sql", "CREATE TABLE slow (v text);\nINSERT INTO slow SELECT pg_sleep(3)::text;\n");
        files.table("003", "gamma");
        Thread killer = terminateWhenRunning("pg_sleep(3)");
        RunResult result = migrator().apply(null, false);
        killer.join();

        assertFalse(result.success());
        assertEquals(Failure.UNREACHABLE, result.error().failure(), result.error().message());
        assertTrue(result.error().message().startsWith("lost the connection to PostgreSQL while 002_slow.sql …"
                + " 003_create_gamma.sql (2 files sent together) ran: each of them landed whole with its history row,"
                + " or not at all"), result.error().message());
        assertEquals("002_slow.sql", result.error().file());
        assertEquals(List.of("APPLIED", "FAILED"), result.steps().stream().map(s -> s.outcome().name()).toList(),
                "001's row, read over a new connection, says it landed");
        assertEquals(Set.of("alpha"), things(), "001 committed before 002 began; 002 and 003 left nothing");
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT version FROM migrations"));
    }

    /** A thread that ends the server session running a statement containing {@code marker}, as soon as one does. */
    private Thread terminateWhenRunning(String marker) {
        Thread killer = new Thread(() -> {
            for (int i = 0; i < 200; i++) {
                if (!TestPostgres.query(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        + " WHERE query LIKE '%" + marker + "%' AND pid <> pg_backend_pid()").isEmpty()) {
                    return;
                }
                try {
                    Thread.sleep(25);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        killer.start();
        return killer;
    }

    @Test
    void anErrorWithoutPositionPointsAtTheStatementsFirstLine() {
        files.write("001_dup.sql", "CREATE TABLE a (id int);\n\n\nCREATE TABLE\n  a (id int);\n");
        RunResult result = migrator().apply(null, false);
        assertEquals(4, result.error().line(), result.error().message());
        assertTrue(result.error().message().contains("already exists"), result.error().message());
        assertEquals(Set.of(), things());
    }

    @Test
    void noTransactionFilesRunOutsideATransaction() {
        files.table("001", "items");
        files.write("002_items_index.sql", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY items_id ON items (id);\n");
        files.write("002_items_index.down.sql", "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY items_id;\n");
        RunResult result = migrator().apply(null, false);
        assertTrue(result.success(), result.message());
        assertEquals(List.of("items_id"), TestPostgres.query(url, "SELECT indexname FROM pg_indexes WHERE indexname = 'items_id'"));
        RunResult dry = migrator().rollback(null, true);
        assertEquals("skipped", dry.steps().get(0).outcome().id());
        assertTrue(migrator().rollback(null, false).success());
        assertEquals(List.of(), TestPostgres.query(url, "SELECT indexname FROM pg_indexes WHERE indexname = 'items_id'"));
    }

    @Test
    void rollbackWithoutADownFileRefusesBeforeRunningAnything() {
        files.table("001", "alpha");
        files.write("002_no_way_back.sql", "CREATE TABLE beta (id int);\n");
        files.table("003", "gamma");
        migrator().apply(null, false);
        MigrateException e = assertThrows(MigrateException.class,
                () -> migrator().rollback(dev.cryoprotect.migrate.model.Version.parse("000"), false));
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertTrue(e.getMessage().contains("002_no_way_back.sql has no down file"), e.getMessage());
        assertEquals(Set.of("alpha", "beta", "gamma"), things(), "003 was not rolled back either");
    }

    @Test
    void anOldShapeHistoryTableIsAdoptedWithItsRows() {
        TestPostgres.execute(url, "CREATE TABLE migrations (version varchar(255) PRIMARY KEY, name varchar(255),"
                + " applied_at timestamp DEFAULT now())");
        TestPostgres.execute(url, "INSERT INTO migrations (version, name) VALUES ('001', 'create_alpha')");
        TestPostgres.execute(url, "CREATE TABLE alpha (id int PRIMARY KEY)");
        files.table("001", "alpha");
        files.table("002", "beta");

        StatusReport before = migrator().status();
        assertEquals("001", before.currentVersion());
        assertEquals(MigrationState.APPLIED, before.migrations().get(0).state());
        assertNull(before.migrations().get(0).appliedChecksum());

        RunResult result = migrator().apply(null, false);
        assertEquals(List.of("002"), result.steps().stream().map(StepResult::version).toList());
        assertEquals(List.of("001", "002"), TestPostgres.query(url, "SELECT version FROM migrations ORDER BY version"));
        assertEquals(List.of("applied_at", "applied_by", "checksum", "execution_time_ms", "name", "progress", "run_id", "state", "version"),
                TestPostgres.query(url, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'migrations'"
                        + " ORDER BY column_name"));
        RunResult repaired = migrator().repair();
        assertEquals(List.of("001"), repaired.steps().stream().map(StepResult::version).toList());
        assertEquals(List.of("2"), TestPostgres.query(url, "SELECT count(checksum) FROM migrations"));
    }

    /** Another tool's table of the same name (TypeORM's migrations) is named as such, by status and apply, untouched. */
    @Test
    void anotherToolsMigrationsTableIsRefusedByName() {
        TestPostgres.execute(url, "CREATE TABLE migrations (id serial PRIMARY KEY, \"timestamp\" bigint NOT NULL,"
                + " name varchar NOT NULL)");
        TestPostgres.execute(url, "INSERT INTO migrations (\"timestamp\", name)"
                + " VALUES (1700000000000, 'Init1700000000000')");
        files.table("001", "alpha");
        String expected = "table public.migrations exists but is not a migration history of this tool (it needs version"
                + " and name columns; it has id, timestamp, name). Use --history-schema to keep the history elsewhere";
        MigrateException status = assertThrows(MigrateException.class, () -> migrator().status());
        assertEquals(Failure.HISTORY_CONFLICT, status.failure());
        assertEquals(expected, status.getMessage());
        MigrateException apply = assertThrows(MigrateException.class, () -> migrator().apply(null, false));
        assertEquals(Failure.HISTORY_CONFLICT, apply.failure());
        assertEquals(expected, apply.getMessage());
        assertEquals(Set.of(), things());
        assertEquals(List.of("id", "name", "timestamp"), TestPostgres.query(url, "SELECT column_name FROM"
                + " information_schema.columns WHERE table_schema = 'public' AND table_name = 'migrations'"
                + " ORDER BY column_name"));
    }

    @Test
    void aHistoryTableWithIntegerVersionsIsAdoptedToo() {
        TestPostgres.execute(url, "CREATE TABLE migrations (version integer PRIMARY KEY, name text, applied_at timestamptz)");
        TestPostgres.execute(url, "INSERT INTO migrations VALUES (1, 'create_alpha', now())");
        TestPostgres.execute(url, "CREATE TABLE alpha (id int PRIMARY KEY)");
        files.table("001", "alpha");
        files.table("002", "beta");
        files.table("003", "gamma");
        RunResult applied = migrator().apply(null, false);
        assertTrue(applied.success(), applied.message());
        assertEquals(List.of("002|APPLIED", "003|APPLIED"), applied.steps().stream().map(s -> s.version() + "|"
                + s.outcome().name()).toList(), "sent together, and read back from integer versions");
        assertEquals(List.of("1", "2", "3"), TestPostgres.query(url, "SELECT version FROM migrations ORDER BY version"));
        for (int i = 0; i < 3; i++) {
            assertTrue(migrator().rollback(null, false).success());
        }
        assertEquals(List.of(), TestPostgres.query(url, "SELECT version FROM migrations"));
        assertEquals(Set.of(), things());
    }

    @Test
    void aNewHistoryTableHasRowLevelSecurity() {
        files.table("001", "alpha");
        migrator().apply(null, false);
        assertEquals(List.of("t"), TestPostgres.query(url,
                "SELECT relrowsecurity FROM pg_class WHERE oid = 'public.migrations'::regclass"));
    }

    @Test
    void theHistoryCanLiveInAnotherSchema() {
        files.table("001", "alpha");
        PostgresTarget t = new PostgresTarget(PostgresConfig.fromUrl(url, "supabase_migrations"));
        try (t) {
            Migrator.configure().source(new DirectorySource(dir)).target(t).load().apply(null, false);
        }
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT version FROM supabase_migrations.migrations"));
    }

    @Test
    void aSupabaseMigrationWithAuthUidInAnRlsPolicyApplies() {
        files.write("001_profiles.sql", """
                CREATE TABLE public.profiles (
                  id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
                  username text UNIQUE,
                  avatar_id uuid DEFAULT extensions.uuid_generate_v4(),
                  updated_at timestamptz DEFAULT now()
                );
                ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
                CREATE POLICY "Users see their own profile" ON public.profiles
                  FOR SELECT TO authenticated USING (auth.uid() = id);
                CREATE POLICY "Users update their own profile" ON public.profiles
                  FOR UPDATE TO authenticated USING ((select auth.uid()) = id);
                CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA extensions;
                CREATE INDEX profiles_username_trgm ON public.profiles USING gin (username gin_trgm_ops);
                CREATE OR REPLACE FUNCTION public.handle_new_user() RETURNS trigger
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
                BEGIN
                  INSERT INTO public.profiles (id, username) VALUES (new.id, new.raw_user_meta_data ->> 'username');
                  RETURN new;
                END;
                $$;
                CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users
                  FOR EACH ROW EXECUTE PROCEDURE public.handle_new_user();
                GRANT SELECT, UPDATE ON public.profiles TO authenticated;
                """);
        RunResult result = migrator().apply(null, false);
        assertTrue(result.success(), result.message());

        TestPostgres.execute(url, "INSERT INTO auth.users (id, email, raw_user_meta_data) VALUES"
                + " ('11111111-1111-1111-1111-111111111111', 'a@example.com', '{\"username\": \"alice\"}'),"
                + " ('22222222-2222-2222-2222-222222222222', 'b@example.com', '{\"username\": \"bob\"}')");
        // As the authenticated role with alice's JWT claims (as PostgREST sets them), RLS shows alice's row only.
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(url);
             java.sql.Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("SET LOCAL ROLE authenticated");
            st.execute("SELECT set_config('request.jwt.claims', '{\"sub\": \"11111111-1111-1111-1111-111111111111\","
                    + " \"role\": \"authenticated\"}', true)");
            try (java.sql.ResultSet rs = st.executeQuery("SELECT username, auth.role() FROM public.profiles")) {
                assertTrue(rs.next());
                assertEquals("alice", rs.getString(1));
                assertEquals("authenticated", rs.getString(2));
                assertFalse(rs.next(), "bob's row is hidden by the policy");
            }
            c.rollback();
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anUnreachableDatabaseIsReportedWithoutThePassword() {
        files.table("001", "alpha");
        PostgresTarget t = new PostgresTarget(PostgresConfig.fromUrl(
                "postgresql://postgres:s3cr3t-pa55@127.0.0.1:1/postgres", "public"));
        MigrateException e = assertThrows(MigrateException.class, () -> Migrator.configure()
                .source(new DirectorySource(dir)).target(t).lockTimeout(Duration.ofSeconds(1)).load().apply(null, false));
        assertEquals(Failure.UNREACHABLE, e.failure());
        assertTrue(e.getMessage().contains("127.0.0.1:1"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cr3t"), e.getMessage());
        assertFalse(t.describe().contains("s3cr3t"), t.describe());
        assertTrue(t.describe().contains("127.0.0.1:1"), t.describe());
    }

    /**
     * A dry run creates the history table only inside the transaction it rolls back: there is nothing to take back,
     * so its lock is released in the open session, which a reused target (a warm Lambda handler) keeps.
     */
    @Test
    void aDryRunOnAFreshDatabaseKeepsItsSession() {
        files.table("001", "alpha");
        DatabaseTarget target = target();
        RunResult dry = migrator(target, Duration.ofSeconds(5)).apply(null, true);
        assertTrue(dry.success(), dry.message());
        assertEquals(List.of(), TestPostgres.tables(url, "public"));
        String sessions = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND application_name = 'migrate'";
        assertEquals(List.of("1"), TestPostgres.query(url, sessions), "the dry run's session is still open");
        RunResult real = migrator(target, Duration.ofSeconds(5)).apply(null, false);
        assertTrue(real.success(), real.message());
        assertEquals(List.of("1"), TestPostgres.query(url, sessions), "and the run after it used the same one");
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT version FROM migrations"));
    }

    /** The driver's own text for a host that does not resolve is only "The connection attempt failed.". */
    @Test
    void aHostThatDoesNotResolveIsNamedSo() {
        PostgresTarget t = new PostgresTarget(PostgresConfig.fromUrl(
                "postgresql://postgres:s3cr3t-pa55@no-such-host.invalid:5432/postgres", "public"));
        MigrateException e = assertThrows(MigrateException.class, t::applied);
        assertEquals(Failure.UNREACHABLE, e.failure());
        assertTrue(e.getMessage().contains("(host not found: no-such-host.invalid"), e.getMessage());
        assertTrue(e.getMessage().endsWith("; check the host name, and this machine's DNS)"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cr3t"), e.getMessage());
        t.close();
    }
}
