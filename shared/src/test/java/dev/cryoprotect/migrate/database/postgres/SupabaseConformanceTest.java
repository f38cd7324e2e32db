package dev.cryoprotect.migrate.database.postgres;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.Migrator;
import dev.cryoprotect.migrate.model.MigrationState;
import dev.cryoprotect.migrate.model.SqlScript;
import dev.cryoprotect.migrate.model.SqlScript.SqlStatement;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.report.StatusEntry;
import dev.cryoprotect.migrate.report.StatusReport;
import dev.cryoprotect.migrate.source.DirectorySource;
import dev.cryoprotect.migrate.testing.MigrationFiles;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What real Supabase migration folders contain, on real PostgreSQL: COPY data, transaction control, extensions, the Supabase CLI's history. */
class SupabaseConformanceTest {
    @TempDir
    Path dir;
    private MigrationFiles files;
    private String url;
    private final List<PostgresTarget> targets = new ArrayList<>();

    @BeforeEach
    void setUp() {
        files = new MigrationFiles(dir);
        url = TestPostgres.newDatabase();
    }

    @AfterEach
    void close() {
        targets.forEach(PostgresTarget::close);
    }

    private Migrator migrator(PostgresConfig config) {
        PostgresTarget target = new PostgresTarget(config);
        targets.add(target);
        return Migrator.configure().source(new DirectorySource(dir)).target(target).lockTimeout(Duration.ofSeconds(5))
                .appliedBy("conformance").load();
    }

    private Migrator migrator() {
        return migrator(TestPostgres.config(url));
    }

    /** A role for a file to switch to; roles belong to the whole server, so it may exist from another test. */
    private void role(String name, String attributes) {
        TestPostgres.execute(url, "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + name + "') THEN"
                + " CREATE ROLE " + name + " " + attributes + "; END IF; END $$");
    }

    @Test
    void copyFromStdinLoadsItsRowsInTheMigrationsTransaction() {
        files.write("001_countries.sql", """
                CREATE TABLE public.countries (id int PRIMARY KEY, name text NOT NULL, note text);
                COPY public.countries (id, name, note) FROM stdin;
                1\tAustria\t\\N
                2\tBelgium\thas a ; semicolon
                \\.
                CREATE INDEX countries_name ON public.countries (name);
                """);
        RunResult result = migrator().apply(null, false);
        assertTrue(result.success(), result.message());
        assertEquals(List.of("Austria|null", "Belgium|has a ; semicolon"),
                TestPostgres.query(url, "SELECT name || '|' || coalesce(note, 'null') FROM countries ORDER BY id"));
    }

    @Test
    void aBadCopyRowIsReportedAtItsOwnLineAndNothingRemains() {
        files.write("001_countries.sql", """
                CREATE TABLE public.countries (id int PRIMARY KEY, name text NOT NULL);
                COPY public.countries (id, name) FROM stdin;
                1\tAustria
                two\tBelgium
                \\.
                """);
        RunResult result = migrator().apply(null, false);
        assertFalse(result.success());
        assertEquals(4, result.error().line(), result.error().message());
        assertTrue(result.error().message().startsWith("001_countries.sql:4: ERROR: invalid input syntax for type integer"),
                result.error().message());
        assertTrue(result.error().message().contains("nothing of it remains"), result.error().message());
        assertEquals(List.of(), TestPostgres.query(url, "SELECT to_regclass('public.countries')::text WHERE to_regclass('public.countries') IS NOT NULL"));
    }

    @Test
    void aWrappedFileRunsAsOneTransactionWithItsHistoryRowAndADryRunLeavesNothing() {
        files.write("001_wrapped.sql", "begin;\ncreate table a (id int primary key);\ninsert into a values (1);\ncommit;\n");
        files.write("002_wrapped_failing.sql", "BEGIN;\nCREATE TABLE b (id int);\nINSERT INTO nowhere VALUES (1);\nCOMMIT;\n");
        RunResult dry = migrator().apply(Version.parse("001"), true);
        assertTrue(dry.success(), dry.message());
        assertEquals(List.of(), TestPostgres.tables(url, "public").stream().filter(t -> !t.equals("migrations")).toList(),
                "the dry run left nothing behind");
        RunResult result = migrator().apply(null, false);
        assertFalse(result.success());
        assertEquals(3, result.error().line());
        assertEquals(List.of("a"), TestPostgres.tables(url, "public").stream().filter(t -> !t.equals("migrations")).toList(),
                "001 applied whole, 002 left nothing (its own COMMIT never ran)");
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT version FROM migrations"));
    }

    /**
     * Runs of plain DDL and DML go to the server in one round trip. A failure inside such a run is still reported at
     * its own statement and line (the file is rolled back and run again one statement at a time), nothing of the file
     * remains, and the files before it stay applied.
     */
    @Test
    void statementsSentTogetherStillFailAtTheirOwnLineAndLeaveNothing() throws Exception {
        files.write("001_ok.sql", "CREATE TABLE a (id int PRIMARY KEY);\nINSERT INTO a VALUES (1);\n"
                + "CREATE INDEX a_id ON a (id);\nSELECT set_config('search_path', 'public', false);\n"
                + "INSERT INTO a VALUES (2) RETURNING id;\n");
        files.write("002_fails_in_a_run.sql", "-- a comment first\nCREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\n"
                + "INSERT INTO b VALUES ('not a number');\nCREATE TABLE c (id int);\n");
        RunResult result = migrator().apply(null, false);
        assertFalse(result.success());
        assertEquals(4, result.error().line(), result.error().message());
        assertEquals("002_fails_in_a_run.sql", result.error().file());
        assertTrue(result.error().message().contains("not a number"), result.error().message());
        assertEquals(List.of("a"), TestPostgres.tables(url, "public").stream().filter(t -> !t.equals("migrations")).toList(),
                "001 applied whole, nothing of 002");
        assertEquals(List.of("1", "2"), TestPostgres.query(url, "SELECT id::text FROM a ORDER BY id"));
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT version FROM migrations"));

        assertTrue(ScriptRunner.batchable(new SqlStatement("/* c */ -- d\n  create table x (id int);", 1)));
        for (String alone : List.of("SELECT 1;", "INSERT INTO a VALUES (3) RETURNING id;", "CALL p();", "DO $$ BEGIN END $$;",
                "SET search_path = public;", "COMMIT;", "WITH x AS (SELECT 1) INSERT INTO a SELECT 4 FROM x;")) {
            assertFalse(ScriptRunner.batchable(new SqlStatement(alone, 1)), alone);
        }
        assertFalse(ScriptRunner.batchable(new SqlStatement("COPY a FROM stdin;", 1, "5\n", 2)));
    }

    /**
     * A "statement" holding two (which the splitter should never make, but once did for a parameter named "begin"):
     * the driver refuses it in a batch before sending anything, and the file runs one statement at a time instead,
     * once, with its history row once.
     */
    @Test
    void aTextOfTwoStatementsIsNotBatchedAndTheFileRunsOnce() throws Exception {
        SqlScript script = new SqlScript("001_two_in_one.sql", "", "x", true, List.of(
                new SqlStatement("CREATE TABLE first_one (id int); CREATE TABLE second_one (id int);", 1),
                new SqlStatement("INSERT INTO first_one VALUES (1);", 2)));
        TestPostgres.execute(url, "CREATE TABLE written (what text)");
        try (Connection c = TestPostgres.config(url).connect()) {
            ScriptRunner.HistoryWrite history = new ScriptRunner.HistoryWrite() {
                @Override
                public void run() throws java.sql.SQLException {
                    try (java.sql.Statement st = c.createStatement()) {
                        st.execute(batched().get(0));
                    }
                }

                @Override
                public List<String> batched() {
                    return List.of("INSERT INTO written VALUES ('history')");
                }
            };
            new ScriptRunner(c, "migrate").run(script, history);
        }
        assertEquals(List.of("1|history|second_one"), TestPostgres.query(url, "SELECT (SELECT count(*) FROM first_one)"
                + " || '|' || (SELECT string_agg(what, ',') FROM written) || '|' || to_regclass('second_one')::text"));
    }

    @Test
    void ifAStatementEverEndsTheTransactionTheRunStopsAndSaysWhatWasCommitted() throws Exception {
        // The loader refuses files like this; the runner's guard is the second line of defence.
        SqlScript script = new SqlScript("001_sneaky.sql", "", "x", true, List.of(
                new SqlStatement("CREATE TABLE kept (id int);", 1), new SqlStatement("COMMIT;", 2),
                new SqlStatement("CREATE TABLE never (id int);", 3)));
        try (Connection c = TestPostgres.config(url).connect()) {
            ScriptRunner.TransactionEnded e = assertThrows(ScriptRunner.TransactionEnded.class,
                    () -> new ScriptRunner(c, "migrate").run(script, () -> { }));
            assertEquals(2, e.statement.startLine());
            String message = PostgresErrors.transactionEnded(script, e.statement).getMessage();
            assertTrue(message.startsWith("001_sneaky.sql:2: this statement ended the transaction"), message);
            assertTrue(message.contains("lines 1-2") && !message.contains("nothing of it remains"), message);
        }
        assertEquals(List.of("kept"), TestPostgres.tables(url, "public"), "what ran before it stayed; the rest never ran");
    }

    /**
     * A file with a statement PostgreSQL runs only outside a transaction block runs as a no-transaction file, as the
     * Supabase CLI runs such statements outside its transaction: no marker needed, and a notice says so.
     */
    @Test
    void aStatementThatCannotRunInATransactionRunsItsFileOutsideOne() {
        files.write("001_index.sql", "CREATE TABLE t (id int);\n-- concurrently: writers are not blocked\n"
                + "create unique index /* a comment */ concurrently t_id ON t (id);\n");
        files.write("001_index.down.sql", "DROP INDEX CONCURRENTLY t_id;\nDROP TABLE t;\n");
        List<String> notices = new ArrayList<>();
        PostgresTarget target = new PostgresTarget(TestPostgres.config(url));
        targets.add(target);
        Migrator migrator = Migrator.configure().source(new DirectorySource(dir)).target(target)
                .lockTimeout(Duration.ofSeconds(5)).warnings(notices::add).load();

        RunResult result = migrator.apply(null, false);

        assertTrue(result.success(), String.valueOf(result.error()));
        assertEquals(List.of("t_id|true"), TestPostgres.query(url, "SELECT c.relname || '|' || i.indisvalid FROM pg_index i"
                + " JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 't_id'"));
        assertTrue(notices.contains("001_index.sql: runs outside a transaction, statement by statement, as if marked"
                + " '-- migrate:no-transaction': line 3 cannot run inside one (the Supabase CLI runs it outside too)."
                + " If it stops part way, 'migrate apply --resume' finishes it"), notices.toString());
        assertTrue(notices.stream().anyMatch(n -> n.startsWith("001_index.down.sql: runs outside a transaction")
                && n.endsWith("'migrate rollback --resume' finishes it")), notices.toString());
        assertTrue(migrator.rollback(null, false).success());
        assertEquals(List.of(), TestPostgres.tables(url, "public").stream().filter(t -> !t.equals("migrations")).toList());
    }

    /** pgvector, the extension Supabase projects use most, is built into the embedded binaries (Linux x86_64). */
    @Test
    void pgvectorWorksInTheEmbeddedDatabase() {
        files.write("001_embeddings.sql", """
                create extension if not exists vector with schema extensions;
                create table documents (id bigserial primary key, body text, embedding extensions.vector(3));
                insert into documents (body, embedding) values ('a', '[1,2,3]'), ('b', '[1,2,4]');
                create index on documents using hnsw (embedding vector_cosine_ops);
                """);
        RunResult result = migrator().apply(null, false);
        assertTrue(result.success(), result.message());
        assertEquals(List.of("b"), TestPostgres.query(url,
                "SELECT body FROM documents ORDER BY embedding <-> '[1,2,4]'::extensions.vector LIMIT 1"));
    }

    @Test
    void aMissingExtensionIsOneClearMessageNamingItAndTheWayOut() {
        files.write("001_ext.sql", "-- needs an extension\nCREATE EXTENSION IF NOT EXISTS plv8 WITH SCHEMA extensions;\n");
        RunResult embedded = migrator(TestPostgres.config(url).asEmbedded()).apply(null, false);
        assertEquals(2, embedded.error().line());
        String message = embedded.error().message();
        assertTrue(message.contains("extension \"plv8\" is not available"), message);
        assertTrue(message.contains("The embedded database cannot provide extension \"plv8\""), message);
        assertTrue(message.contains("--database-url") && message.contains("127.0.0.1:54322"), message);
        RunResult remote = migrator().apply(null, false);
        assertTrue(remote.error().message().contains("Install extension \"plv8\" on that server"), remote.error().message());
    }

    @Test
    void usingAnObjectOfAMissingExtensionNamesTheExtension() {
        files.write("001_webhook.sql", """
                create table orders (id int primary key);
                create function notify_order() returns trigger language plpgsql as $$
                begin
                  perform net.http_post(url := 'https://example.com/hook', body := jsonb_build_object('id', new.id));
                  return new;
                end $$;
                create trigger on_order after insert on orders for each row execute function notify_order();
                insert into orders values (1);
                """);
        RunResult result = migrator(TestPostgres.config(url).asEmbedded()).apply(null, false);
        assertEquals(8, result.error().line(), result.error().message());
        assertTrue(result.error().message().contains("schema \"net\" does not exist"), result.error().message());
        assertTrue(result.error().message().contains("cannot provide extension \"pg_net\""), result.error().message());
        files.write("001_webhook.sql", "select cron.schedule('nightly', '0 3 * * *', 'select 1');\n");
        assertTrue(migrator(TestPostgres.config(url).asEmbedded()).apply(null, false).error().message()
                .contains("extension \"pg_cron\""));
    }

    @Test
    void theSupabaseCliHistoryIsReadAdoptedAndKeptInStep() {
        TestPostgres.execute(url, "CREATE SCHEMA supabase_migrations; CREATE TABLE supabase_migrations.schema_migrations"
                + " (version text PRIMARY KEY, statements text[], name text)");
        TestPostgres.execute(url, "INSERT INTO supabase_migrations.schema_migrations VALUES"
                + " ('20240101000000', '{\"create table a (id int)\"}', 'create_a'),"
                + " ('20240102000000', '{\"create table b (id int)\"}', 'create-b')");
        TestPostgres.execute(url, "CREATE TABLE a (id int); CREATE TABLE b (id int)");
        files.write("20240101000000_create_a.sql", "create table a (id int);\n");
        files.write("20240102000000_create-b.sql", "create table b (id int);\n");
        files.write("20240103000000_create_c.sql", "create table c (id int);\n");
        files.write("20240103000000_create_c.down.sql", "drop table c;\n");

        StatusReport status = migrator().status();
        assertEquals(List.of(MigrationState.APPLIED, MigrationState.APPLIED, MigrationState.PENDING),
                status.migrations().stream().map(StatusEntry::state).toList());
        assertEquals("supabase_migrations.schema_migrations", status.migrations().get(0).recordedIn());
        assertNull(status.migrations().get(2).recordedIn());

        RunResult applied = migrator().apply(null, false);
        assertEquals(List.of("20240103000000"), applied.steps().stream().map(s -> s.version()).toList());
        assertEquals(List.of("20240101000000", "20240102000000", "20240103000000"), TestPostgres.query(url,
                "SELECT version FROM supabase_migrations.schema_migrations ORDER BY version"), "the CLI's table agrees");
        assertEquals(List.of("create_c|{\"create table c (id int);\"}"), TestPostgres.query(url,
                "SELECT name || '|' || statements::text FROM supabase_migrations.schema_migrations"
                        + " WHERE version = '20240103000000'"));

        RunResult adopted = migrator().adoptForeignHistory();
        assertEquals(List.of("20240101000000", "20240102000000"), adopted.steps().stream().map(s -> s.version()).toList());
        assertEquals(List.of("20240101000000", "20240102000000", "20240103000000"),
                TestPostgres.query(url, "SELECT version FROM migrations ORDER BY version"));
        assertTrue(migrator().status().migrations().stream().allMatch(e -> e.recordedIn() == null));

        assertTrue(migrator().rollback(null, false).success());
        assertEquals(List.of("20240101000000", "20240102000000"), TestPostgres.query(url,
                "SELECT version FROM supabase_migrations.schema_migrations ORDER BY version"));
    }

    /**
     * The catalog shows every table to every role. A Supabase CLI history this role has no privilege on counts as
     * absent, as {@code information_schema} would show it: not read, not written, and no "permission denied".
     */
    @Test
    void aSupabaseCliHistoryTheRoleMayNotReadIsLeftAlone() {
        TestPostgres.execute(url, "CREATE SCHEMA supabase_migrations; CREATE TABLE supabase_migrations.schema_migrations"
                + " (version text PRIMARY KEY, statements text[], name text);"
                + " INSERT INTO supabase_migrations.schema_migrations VALUES ('20240101000000', NULL, 'create_a')");
        String role = "no_cli_history_" + ProcessHandle.current().pid();
        role(role, "LOGIN");
        String db = url.substring(url.lastIndexOf('/') + 1, url.indexOf('?'));
        TestPostgres.execute(url, "GRANT ALL ON DATABASE " + db + " TO " + role + "; GRANT ALL ON SCHEMA public TO "
                + role + "; GRANT USAGE ON SCHEMA supabase_migrations TO " + role);
        files.write("20240101000000_create_a.sql", "create table a (id int);\n");
        Migrator asRole = migrator(PostgresConfig.fromUrl(url.replace("user=postgres", "user=" + role), "public"));

        assertEquals(List.of(MigrationState.PENDING), asRole.status().migrations().stream().map(StatusEntry::state)
                .toList(), "the CLI's row is not this role's to see");
        RunResult applied = asRole.apply(null, false);
        assertTrue(applied.success(), applied.message());
        assertEquals(List.of("20240101000000"), TestPostgres.query(url, "SELECT version FROM migrations"));
        assertEquals(List.of("20240101000000|create_a"), TestPostgres.query(url,
                "SELECT version || '|' || name FROM supabase_migrations.schema_migrations"), "left as it was");
        assertEquals(List.of(MigrationState.APPLIED), asRole.status().migrations().stream().map(StatusEntry::state)
                .toList());
    }

    /**
     * A file's history rows go to the server in the same batch as its statements, as SQL text with the values written
     * in. What lands must be what the parameterised writes stored: every quote, backslash and non-ASCII character, on
     * a database whose strings are not standard-conforming, with a user-supplied applied-by and run id.
     */
    @Test
    void historyRowsSentWithTheFilesStatementsKeepEveryCharacter() {
        TestPostgres.execute(url, "CREATE SCHEMA supabase_migrations; CREATE TABLE supabase_migrations.schema_migrations"
                + " (version text PRIMARY KEY, statements text[], name text)");
        TestPostgres.execute(url, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET standard_conforming_strings"
                + " = off', current_database()); END $$");
        List<String> statements = List.of(
                "CREATE TABLE notes (body text DEFAULT 'it''s a \\ raw', tag text);",
                "INSERT INTO notes VALUES (E'tab\\there \\\\ \u00fc \u2603 \ud834\udd1e', $$dollar 'quoted' \\ text$$);",
                "COMMENT ON TABLE notes IS 'line one\nline two';");
        files.write("20240105000000_quotes_and_slashes.sql", String.join("\n", statements) + "\n");
        PostgresTarget target = new PostgresTarget(TestPostgres.config(url));
        targets.add(target);
        Migrator migrator = Migrator.configure().source(new DirectorySource(dir)).target(target)
                .lockTimeout(Duration.ofSeconds(5)).appliedBy("o'brien \\ \"ci\" \u00e9").runId("run'1\\").load();

        assertTrue(migrator.apply(null, false).success());

        assertEquals(statements, TestPostgres.query(url, "SELECT s FROM supabase_migrations.schema_migrations,"
                + " unnest(statements) WITH ORDINALITY AS u(s, n) ORDER BY n"));
        assertEquals(List.of("quotes_and_slashes|o'brien \\ \"ci\" \u00e9|run'1\\|" + migrator.status().migrations().get(0)
                        .fileChecksum() + "|true"),
                TestPostgres.query(url, "SELECT name || '|' || applied_by || '|' || run_id || '|' || checksum || '|'"
                        + " || (execution_time_ms >= 0)::text FROM migrations"));
    }

    /** A file's SET ROLE and search_path must not reach the next file, nor the history rows written after it. */
    @Test
    void aFilesRoleAndSearchPathDoNotReachTheNextFile() {
        role("file_role", "BYPASSRLS");
        files.write("001_as_another_role.sql", """
                GRANT ALL ON public.migrations TO file_role;
                GRANT CREATE ON SCHEMA public TO file_role;
                SET ROLE file_role;
                CREATE TABLE owned_by_file_role (id int);
                SELECT set_config('search_path', '', false);
                """);
        files.write("002_plain.sql", "CREATE TABLE plain (id int);\nINSERT INTO plain VALUES (1);\n");
        files.write("003_single.sql", "CREATE TABLE single (id int);\n");

        RunResult result = migrator().apply(null, false);

        assertTrue(result.success(), String.valueOf(result.error()));
        assertEquals(List.of("owned_by_file_role|file_role", "plain|postgres", "single|postgres"),
                TestPostgres.query(url, "SELECT tablename || '|' || tableowner FROM pg_tables"
                        + " WHERE schemaname = 'public' AND tablename <> 'migrations' ORDER BY tablename"));
        assertEquals(List.of("001", "002", "003"), TestPostgres.query(url, "SELECT version FROM migrations ORDER BY version"));
    }

    /**
     * One file adds a value to an enum, the next uses it. Applied, each file commits first and both succeed; a dry run
     * holds them in one transaction, where PostgreSQL refuses the use. The dry run must say it could not try the second
     * file (and those after it), not that it would fail. A file that adds and uses a value itself does fail, in both.
     */
    @Test
    void aDryRunDoesNotReportAnEnumValueAddedByAnEarlierFileAsAFailure() {
        files.write("001_levels.sql", "CREATE TYPE level AS ENUM ('low');\nCREATE TABLE tasks (id int, lvl level);\n");
        files.write("002_add_high.sql", "ALTER TYPE level ADD VALUE 'high';\n");
        files.write("003_use_high.sql", "INSERT INTO tasks VALUES (1, 'high');\n");
        files.write("004_more.sql", "CREATE TABLE later (id int);\n");
        assertTrue(migrator().apply(Version.parse("001"), false).success());

        RunResult dry = migrator().apply(null, true);

        assertTrue(dry.success(), dry.message());
        assertEquals(List.of("would_apply", "skipped", "skipped"), dry.steps().stream()
                .map(s -> s.outcome().id()).toList(), dry.message());
        assertTrue(dry.steps().get(1).message().startsWith("not tried: it uses a value an earlier file of this dry run"
                + " added to an enum"), dry.steps().get(1).message());
        assertTrue(dry.steps().get(1).message().contains("PostgreSQL said: 003_use_high.sql:1: ERROR: unsafe use of"
                + " new value \"high\""), dry.steps().get(1).message());
        assertFalse(dry.steps().get(1).message().contains("move the use to the next file"), "the use is in the next"
                + " file already: " + dry.steps().get(1).message());
        assertEquals("comes after 003_use_high.sql, which the dry run could not try; not tried",
                dry.steps().get(2).message());
        assertEquals("dry run: 1 migration(s) would apply cleanly, 2 not tried (each says why); nothing was changed",
                dry.message());
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT version FROM migrations ORDER BY version"));

        RunResult applied = migrator().apply(null, false);
        assertTrue(applied.success(), String.valueOf(applied.error()));
        assertEquals(List.of("high"), TestPostgres.query(url, "SELECT lvl::text FROM tasks"));

        // a file that adds and uses a value itself fails in a real run too: the dry run says so, even after another file
        files.write("005_unrelated.sql", "CREATE TABLE unrelated (id int);\n");
        files.write("006_add_and_use.sql", "ALTER TYPE level ADD VALUE 'urgent';\nINSERT INTO tasks VALUES (2, 'urgent');\n");
        RunResult sameFile = migrator().apply(null, true);
        assertFalse(sameFile.success());
        assertEquals(List.of("would_apply", "failed"), sameFile.steps().stream().map(s -> s.outcome().id()).toList());
    }

    /**
     * A dry run cannot run a file that runs outside a transaction (it could not undo it), so a later file that fails
     * may only be missing what that file makes: not tried, with PostgreSQL's words, rather than "would fail".
     */
    @Test
    void aDryRunDoesNotBlameAFileForWhatAnUnrunFileWouldHaveMade() {
        files.write("001_events.sql", "CREATE TABLE events (id int);\nCREATE INDEX CONCURRENTLY events_id ON events (id);\n");
        files.write("002_more.sql", "ALTER TABLE events ADD COLUMN at timestamptz;\n");

        RunResult dry = migrator().apply(null, true);

        assertTrue(dry.success(), dry.message());
        assertEquals(List.of("skipped", "skipped"), dry.steps().stream().map(s -> s.outcome().id()).toList());
        assertTrue(dry.steps().get(1).message().startsWith("not tried: an earlier file, 001_events.sql, runs outside a"
                + " transaction and was not run by this dry run"), dry.steps().get(1).message());
        assertTrue(dry.steps().get(1).message().contains("relation \"events\" does not exist"), dry.steps().get(1).message());
        assertTrue(migrator().apply(null, false).success());
    }

    /**
     * The local database has the extensions a new Supabase project has, and no others: a dump's
     * {@code create extension if not exists pg_trgm with schema public} must create it there, where the next statement
     * looks for its operator class.
     */
    @Test
    void anExtensionANewProjectLacksIsCreatedWhereTheFileSays() {
        assertEquals(List.of("pg_stat_statements|extensions", "pgcrypto|extensions", "plpgsql|pg_catalog",
                "uuid-ossp|extensions"), TestPostgres.query(url, "SELECT extname || '|' || extnamespace::regnamespace"
                + " FROM pg_extension ORDER BY extname"));
        files.write("001_search.sql", """
                create extension if not exists pg_trgm with schema public;
                create table products (id bigint primary key, name text not null);
                create index products_name_trgm on products using gin (name public.gin_trgm_ops);
                """);

        RunResult result = migrator().apply(null, false);

        assertTrue(result.success(), String.valueOf(result.error()));
        assertEquals(List.of("public"), TestPostgres.query(url,
                "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"));
    }

    /**
     * A file that switches to a role which may not write the history table still gets its row, written by the user who
     * connected: after statements of its own (001) and at the tail of its batch (002).
     */
    @Test
    void aFilesRoleDoesNotReachItsOwnHistoryRow() {
        role("app_reader", "");
        files.write("001_read_as_app.sql", """
                CREATE TABLE notes (id int);
                GRANT SELECT ON notes TO app_reader;
                SET ROLE app_reader;
                SELECT count(*) FROM notes;
                """);
        files.write("002_write_as_app.sql", """
                CREATE TABLE inbox (id int);
                GRANT INSERT ON inbox TO app_reader;
                SET ROLE app_reader;
                INSERT INTO inbox VALUES (1);
                INSERT INTO inbox VALUES (2);
                """);

        RunResult result = migrator().apply(null, false);

        assertTrue(result.success(), String.valueOf(result.error()));
        assertEquals(List.of("001", "002"), TestPostgres.query(url, "SELECT version FROM migrations ORDER BY version"));
        assertEquals(List.of("2"), TestPostgres.query(url, "SELECT count(*) FROM inbox"));
    }

    /**
     * A no-transaction file's own BEGIN block that fails leaves no transaction open on the connection: the block is
     * rolled back, and the run reads the history afterwards to say where it stands.
     */
    @Test
    void aFailedBeginBlockInANoTransactionFileIsRolledBackAndTheRunStillReadsTheHistory() {
        files.write("001_block.sql", "-- migrate:no-transaction\nBEGIN;\nCREATE TABLE half (id int);\nSELECT 1 / 0;\n"
                + "COMMIT;\n");

        RunResult result = migrator().apply(null, false);

        assertFalse(result.success());
        assertEquals(4, result.error().line(), result.error().message());
        assertFalse(result.error().message().contains("put '-- migrate:no-transaction'"), result.error().message());
        assertFalse(result.message().contains("could not be read"), result.message());
        assertEquals("", result.finalVersion(), result.message()); // read back: nothing applied
        assertEquals(List.of(), TestPostgres.tables(url, "public").stream().filter(t -> !t.equals("migrations")).toList());
    }

    /**
     * Deferred constraint triggers fire at the end of the file under the file's own role, as they would at a COMMIT
     * right after it, not after the session reset that precedes the history row: whether the file ends in a batch (001)
     * or with a statement of its own (002).
     */
    @Test
    void deferredTriggersFireUnderTheFilesOwnRole() {
        role("app_writer", "");
        files.write("001_audited.sql", """
                CREATE TABLE audit (who text);
                CREATE TABLE items (id int);
                CREATE FUNCTION note_writer() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO audit VALUES (current_user); RETURN NULL; END $$;
                CREATE CONSTRAINT TRIGGER items_audit AFTER INSERT ON items DEFERRABLE INITIALLY DEFERRED
                  FOR EACH ROW EXECUTE FUNCTION note_writer();
                GRANT INSERT ON items, audit TO app_writer;
                SET ROLE app_writer;
                INSERT INTO items VALUES (1);
                """);
        files.write("002_audited_again.sql", "SET ROLE app_writer;\nINSERT INTO items VALUES (2);\nSELECT 1;\n");

        RunResult result = migrator().apply(null, false);

        assertTrue(result.success(), String.valueOf(result.error()));
        assertEquals(List.of("app_writer", "app_writer"), TestPostgres.query(url, "SELECT who FROM audit"));
    }

    /**
     * A setting for transactions to come (isolation, read-only) made by one file must not shape the next file's
     * transaction: the session is reset before the next BEGIN, whether the file ended in a batch (the reset rides
     * before its COMMIT) or with a statement of its own.
     */
    @Test
    void aFilesTransactionDefaultsDoNotReachTheNextFile() {
        files.write("001_set_first.sql", "SET default_transaction_isolation = 'serializable';\n"
                + "CREATE TABLE a (id int);\n");
        files.write("002_level_after_a_batch.sql", "CREATE TABLE level_2 AS SELECT current_setting('transaction_isolation')"
                + " AS level;\n");
        files.write("003_set_last.sql", "CREATE TABLE b (id int);\n"
                + "SET default_transaction_isolation = 'serializable';\n");
        files.write("004_level_after_a_statement.sql", "CREATE TABLE level_4 AS SELECT"
                + " current_setting('transaction_isolation') AS level;\n");

        RunResult result = migrator().apply(null, false);

        assertTrue(result.success(), String.valueOf(result.error()));
        assertEquals(List.of("read committed|read committed"), TestPostgres.query(url,
                "SELECT (SELECT level FROM level_2) || '|' || (SELECT level FROM level_4)"));
    }

    /**
     * A file outside a transaction records its progress after each statement, in its own session, where its SET ROLE
     * must carry to its next statement. The progress and history writes still run as the user who connected: a role
     * the table's row level security hides the row from (no policy) neither stops the run nor leaves the row PARTIAL.
     * Marked (001) or detected by its CONCURRENTLY (002).
     */
    @Test
    void aNoTransactionFilesRoleDoesNotReachItsProgressOrHistoryRow() {
        role("hidden_role", "");
        files.write("001_as_a_restricted_role.sql", """
                -- migrate:no-transaction
                GRANT ALL ON public.migrations TO hidden_role;
                GRANT CREATE ON SCHEMA public TO hidden_role;
                SET ROLE hidden_role;
                CREATE TABLE made_by_hidden_role (id int);
                """);

        files.write("002_index_as_it.sql", """
                CREATE TABLE plain (id int);
                SET ROLE hidden_role;
                CREATE INDEX CONCURRENTLY made_by_hidden_role_id ON made_by_hidden_role (id);
                """);

        RunResult result = migrator().apply(null, false);

        assertTrue(result.success(), String.valueOf(result.error()));
        assertEquals(List.of("001|applied", "002|applied"), TestPostgres.query(url,
                "SELECT version || '|' || state FROM migrations ORDER BY version"));
        assertEquals(List.of("made_by_hidden_role|hidden_role", "plain|postgres"), TestPostgres.query(url,
                "SELECT tablename || '|' || tableowner FROM pg_tables WHERE schemaname = 'public'"
                        + " AND tablename <> 'migrations' ORDER BY tablename"));
    }

    @Test
    void anIntegerVersionColumnIsWidenedSoATimestampVersionFits() {
        TestPostgres.execute(url, "CREATE TABLE migrations (version integer PRIMARY KEY, name text, applied_at timestamptz)");
        TestPostgres.execute(url, "INSERT INTO migrations VALUES (1, 'create_alpha', now())");
        TestPostgres.execute(url, "CREATE TABLE alpha (id int)");
        files.write("001_create_alpha.sql", "CREATE TABLE alpha (id int);\n");
        files.write("20240214114147_auth-hook.sql", "CREATE TABLE beta (id int);\n");
        RunResult result = migrator().apply(null, false);
        assertTrue(result.success(), result.message());
        assertEquals(List.of("bigint"), TestPostgres.query(url, "SELECT data_type FROM information_schema.columns"
                + " WHERE table_schema = 'public' AND table_name = 'migrations' AND column_name = 'version'"));
        assertEquals(List.of("1", "20240214114147"), TestPostgres.query(url, "SELECT version FROM migrations ORDER BY version"));
    }

    @Test
    void aRefusedFileRunsNothing() {
        files.write("001_a.sql", "CREATE TABLE a (id int);\n");
        files.write("002_b.sql", "CREATE TABLE b (id int);\nCOMMIT;\n");
        MigrateException e = assertThrows(MigrateException.class, () -> migrator().apply(null, false));
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertTrue(e.getMessage().contains("002_b.sql:2: COMMIT without a BEGIN"), e.getMessage());
        assertEquals(List.of(), TestPostgres.tables(url, "public"));
    }
}
