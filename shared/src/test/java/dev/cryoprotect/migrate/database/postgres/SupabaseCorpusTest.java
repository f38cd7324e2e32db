package dev.cryoprotect.migrate.database.postgres;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.Migrator;
import dev.cryoprotect.migrate.model.MigrationState;
import dev.cryoprotect.migrate.model.StepOutcome;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.report.StatusEntry;
import dev.cryoprotect.migrate.report.StatusReport;
import dev.cryoprotect.migrate.report.StepResult;
import dev.cryoprotect.migrate.source.DirectorySource;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Migration folders written for this project (src/test/resources/supabase-corpus) that reproduce what a survey of
 * public Supabase projects' folders found: naming, BEGIN/COMMIT wrappers, pg_dump preambles, COPY data, dollar
 * quoting, auth/storage/realtime objects, hooks, extensions. Each is dry-run on a fresh database (the catalog must be
 * unchanged), applied on the embedded database, checked with status, and rolled back or told why not.
 */
class SupabaseCorpusTest {
    @TempDir
    Path dir;
    private String url;
    private final List<PostgresTarget> targets = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    @AfterEach
    void close() {
        targets.forEach(PostgresTarget::close);
    }

    /** A fresh database and the corpus folder copied into the test's folder. */
    private Path folder(String name) {
        url = TestPostgres.newDatabase();
        try {
            Path source = Path.of(SupabaseCorpusTest.class.getResource("/supabase-corpus/" + name).toURI());
            Path copy = dir.resolve(name);
            try (Stream<Path> files = Files.walk(source)) {
                for (Path f : files.toList()) {
                    Path to = copy.resolve(source.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(to);
                    } else {
                        Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private Migrator migrator(Path folder) {
        PostgresTarget target = new PostgresTarget(TestPostgres.config(url).asEmbedded());
        targets.add(target);
        return Migrator.configure().source(new DirectorySource(folder)).target(target).lockTimeout(Duration.ofSeconds(5))
                .appliedBy("corpus").warnings(warnings::add).load();
    }

    /** Everything a migration can change, as sorted text: schemas, relations, columns, functions, types, policies, ... */
    private List<String> catalog() {
        return TestPostgres.query(url, """
                SELECT line FROM (
                  SELECT 'schema ' || nspname AS line FROM pg_namespace
                  UNION ALL SELECT 'relation ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
                  UNION ALL SELECT 'column ' || a.attrelid::regclass || '.' || a.attname || ' '
                      || format_type(a.atttypid, a.atttypmod) || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
                    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                    WHERE a.attnum > 0 AND NOT a.attisdropped
                      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
                  UNION ALL SELECT 'function ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc)
                    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
                  UNION ALL SELECT 'type ' || t.oid::regtype::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
                  UNION ALL SELECT 'enum ' || enumtypid::regtype || ' ' || enumlabel FROM pg_enum
                  UNION ALL SELECT 'policy ' || polrelid::regclass || ' ' || polname FROM pg_policy
                  UNION ALL SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
                  UNION ALL SELECT 'publication ' || pubname || ' ' || coalesce(schemaname || '.' || tablename, '')
                    FROM pg_publication LEFT JOIN pg_publication_tables USING (pubname)
                  UNION ALL SELECT 'extension ' || extname || ' ' || extversion FROM pg_extension
                  UNION ALL SELECT 'acl ' || c.oid::regclass || ' ' || coalesce(c.relacl::text, '') FROM pg_class c
                    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'auth', 'storage')
                  UNION ALL SELECT 'rows ' || n.nspname || '.' || c.relname || ' ' || (xpath('/row/c/text()', query_to_xml(
                      format('select count(*) as c from %I.%I', n.nspname, c.relname), false, true, '')))[1]::text
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind = 'r' AND n.nspname IN ('public', 'auth', 'storage', 'supabase_functions')
                ) lines ORDER BY line
                """);
    }

    /** The dry run on a fresh database leaves the catalog as it found it, whatever it reports. */
    private RunResult dryRunChangesNothing(Path folder) {
        List<String> before = catalog();
        RunResult dry = migrator(folder).apply(null, true);
        assertTrue(dry.dryRun());
        assertSameCatalog(before, catalog(), "the dry run changed the database");
        return dry;
    }

    /** Fails with what was added and what was removed, not two long lists. */
    private static void assertSameCatalog(List<String> before, List<String> after, String what) {
        List<String> added = after.stream().filter(l -> !before.contains(l)).toList();
        List<String> removed = before.stream().filter(l -> !after.contains(l)).toList();
        assertTrue(added.isEmpty() && removed.isEmpty(), what + ": added " + added + ", removed " + removed);
    }

    /** The catalog without the history table, which every non-dry run creates before running anything. */
    private List<String> catalogWithoutHistory() {
        return catalog().stream().filter(l -> !l.matches(".*\\bmigrations(_pkey)?\\b.*") || l.contains("storage.")
                || l.contains("supabase_functions.")).toList();
    }

    private void appliesCompletely(Path folder, int migrations) {
        RunResult dry = dryRunChangesNothing(folder);
        assertTrue(dry.success(), dry.message() + ": " + dry.steps());
        RunResult applied = migrator(folder).apply(null, false);
        assertTrue(applied.success(), applied.message());
        assertEquals(migrations, applied.steps().size());
        StatusReport status = migrator(folder).status();
        assertTrue(status.migrations().stream().allMatch(e -> e.state() == MigrationState.APPLIED), status.toString());
        assertEquals(migrations, status.migrations().size());
    }

    private void rollbackNeedsADownFile(Path folder, String file) {
        List<String> before = catalog();
        MigrateException e = assertThrows(MigrateException.class, () -> migrator(folder).rollback(null, false));
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertTrue(e.getMessage().contains(file + " has no down file"), e.getMessage());
        assertSameCatalog(before, catalog(), "a refused rollback changed the database");
    }

    @Test
    void userProfilesWithAuthTriggerStoragePoliciesAndRealtime() {
        Path folder = folder("user-profiles");
        appliesCompletely(folder, 3);
        TestPostgres.execute(url, "INSERT INTO auth.users (id, email, raw_user_meta_data) VALUES"
                + " ('b0000000-0000-4000-8000-000000000002', 'ada@example.com', '{\"full_name\": \"Ada\"}')");
        assertEquals(List.of("Ada"), TestPostgres.query(url, "SELECT full_name FROM public.profiles"));
        assertEquals(List.of("public.profiles"), TestPostgres.query(url,
                "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = 'supabase_realtime'"));
        assertTrue(warnings.stream().anyMatch(w -> w.contains("20240102093000_add-usernames.sql: its own BEGIN/COMMIT")),
                warnings.toString());

        RunResult rolledBack = migrator(folder).rollback(null, false);
        assertTrue(rolledBack.success(), rolledBack.message());
        assertEquals(List.of(), TestPostgres.query(url, "SELECT indexname FROM pg_indexes WHERE indexname = 'profiles_username_idx'"));
        rollbackNeedsADownFile(folder, "20240102093000_add-usernames.sql");
    }

    @Test
    void aPgDumpBaselineWithCopyDataAndSessionSettingsThatDoNotLeakIntoTheNextFile() {
        Path folder = folder("pg-dump-baseline");
        appliesCompletely(folder, 3);
        assertEquals(List.of("Austria", "Belgium", "Côte d'Ivoire", "Nowhere|null"), TestPostgres.query(url,
                "SELECT name || CASE WHEN iso IS NULL THEN '|null' ELSE '' END FROM countries ORDER BY id"));
        assertEquals(List.of("order #7 ($$ inside)"), TestPostgres.query(url, "SELECT public.order_label(7)"));
        assertEquals(List.of("0"), TestPostgres.query(url, "SELECT count(*) FROM recent_audit()"));
        rollbackNeedsADownFile(folder, "20240203000000_after.sql");
    }

    @Test
    void realtimeChatRecreatesThePublicationAndBroadcasts() {
        Path folder = folder("realtime-chat");
        appliesCompletely(folder, 2);
        assertEquals(List.of("public.channels", "public.messages"), TestPostgres.query(url, "SELECT schemaname || '.'"
                + " || tablename FROM pg_publication_tables WHERE pubname = 'supabase_realtime' ORDER BY 1"));
        TestPostgres.execute(url, "INSERT INTO auth.users (id) VALUES ('c0000000-0000-4000-8000-000000000003');"
                + " INSERT INTO public.channels (slug) VALUES ('general');"
                + " INSERT INTO public.messages (channel_id, author, body) VALUES (1, 'c0000000-0000-4000-8000-000000000003', 'hi')");
        assertEquals(List.of("channel:1|INSERT"), TestPostgres.query(url, "SELECT topic || '|' || event FROM realtime.messages"),
                "the trigger broadcast through realtime.send");
    }

    @Test
    void authHooksGrantsToSupabaseAuthAdminAndSqlBodiesOverAuthTables() {
        Path folder = folder("auth-hooks");
        appliesCompletely(folder, 2);
        assertEquals(List.of("f"), TestPostgres.query(url,
                "SELECT public.has_verified_totp('a0000000-0000-4000-8000-000000000001')"));
        assertEquals(List.of("seed@example.com"), TestPostgres.query(url, "SELECT email FROM auth.identities"));
        assertEquals(List.of("t"), TestPostgres.query(url, "SELECT has_function_privilege('supabase_auth_admin',"
                + " 'public.custom_access_token_hook(jsonb)', 'execute')"));
        assertEquals(List.of("f"), TestPostgres.query(url, "SELECT has_function_privilege('authenticated',"
                + " 'public.custom_access_token_hook(jsonb)', 'execute')"));
    }

    @Test
    void anEnumValueAddedAndUsedInOneFileFailsCleanlyAndRunsWithTheNoTransactionMarker() throws IOException {
        Path folder = folder("enum-blocks");
        // (Run in one dry-run transaction with the CREATE TYPE, the new value would be usable: apply 001 first.)
        assertTrue(migrator(folder).apply(dev.cryoprotect.migrate.model.Version.parse("20240501000000"), false).success());
        RunResult dry = dryRunChangesNothing(folder);
        assertFalse(dry.success());
        RunResult applied = migrator(folder).apply(null, false);
        assertFalse(applied.success());
        assertEquals("20240502000000_escalation.sql", applied.error().file());
        assertEquals(7, applied.error().line(), applied.error().message());
        assertTrue(applied.error().message().contains("unsafe use of new value")
                && applied.error().message().contains("-- migrate:no-transaction"), applied.error().message());
        assertTrue(applied.error().message().contains("nothing of it remains"));
        assertEquals(List.of("open", "closed"), TestPostgres.query(url,
                "SELECT enumlabel FROM pg_enum WHERE enumtypid = 'public.ticket_status'::regtype ORDER BY enumsortorder"));

        Path file = folder.resolve("20240502000000_escalation.sql");
        Files.writeString(file, "-- migrate:no-transaction\n" + Files.readString(file));
        assertTrue(migrator(folder).apply(null, false).success());
        assertEquals(List.of("tickets_escalated_idx"), TestPostgres.query(url,
                "SELECT indexname FROM pg_indexes WHERE indexname = 'tickets_escalated_idx'"));
    }

    @Test
    void aLegacyNumberedFolderWithStraysASubfolderAndASavepoint() {
        Path folder = folder("legacy-numbered");
        appliesCompletely(folder, 4);
        assertEquals(List.of("001", "002", "003", "20250417"), TestPostgres.query(url,
                "SELECT version FROM migrations ORDER BY version::numeric"));
        assertTrue(warnings.containsAll(List.of(
                "skipped README.md: not a migration file (<digits>_<name>.sql, .down.sql or .json)",
                "skipped apply_migrations.js: not a migration file (<digits>_<name>.sql, .down.sql or .json)",
                "skipped chembl_fix.sql: not a migration file (<digits>_<name>.sql, .down.sql or .json)")), warnings.toString());
        assertTrue(warnings.contains("skipped folder helpers/: sub-folders are not read; migrations must sit in "
                + folder + " itself"), warnings.toString());
        assertEquals(List.of("t"), TestPostgres.query(url, "SELECT to_regclass('public.experiment_summary') IS NOT NULL"));
        rollbackNeedsADownFile(folder, "20250417_views.sql");
    }

    @Test
    void pgvectorSearch() {
        Path folder = folder("vector-search");
        appliesCompletely(folder, 1);
        TestPostgres.execute(url, "INSERT INTO public.document_sections (content, embedding) VALUES"
                + " ('near', '[1,1,1]'), ('far', '[-1,-1,-1]')");
        assertEquals(List.of("near"), TestPostgres.query(url,
                "SELECT content FROM public.match_document_sections('[1,1,1]', 0.5)"));
    }

    @Test
    void aFolderThatNeedsPgNetSaysSoAndChangesNothing() {
        Path folder = folder("needs-pg-net");
        List<String> before = catalogWithoutHistory();
        RunResult applied = migrator(folder).apply(null, false);
        assertFalse(applied.success());
        assertEquals(1, applied.error().line());
        assertTrue(applied.error().message().contains("The embedded database cannot provide extension \"pg_net\"")
                && applied.error().message().contains("127.0.0.1:54322"), applied.error().message());
        assertSameCatalog(before, catalogWithoutHistory(), "the failed migration left something behind");
    }

    @Test
    void storageBucketsPoliciesAndATriggerOnObjects() {
        Path folder = folder("storage-rules");
        appliesCompletely(folder, 1);
        assertEquals(List.of("{application/pdf,image/png}"), TestPostgres.query(url,
                "SELECT allowed_mime_types::text FROM storage.buckets WHERE id = 'documents'"));
        TestPostgres.execute(url, "INSERT INTO storage.objects (bucket_id, name) VALUES ('documents', 'a/b/report.pdf')");
        assertEquals(List.of("{a,b,report.pdf}"), TestPostgres.query(url, "SELECT path::text FROM public.document_index"));
        assertEquals(List.of("{a,b}|report.pdf|pdf"), TestPostgres.query(url, "SELECT storage.foldername(name)::text || '|'"
                + " || storage.filename(name) || '|' || storage.extension(name) FROM storage.objects"));
    }

    @Test
    void csvCopyDataAndAConcurrentIndexInANoTransactionFile() {
        Path folder = folder("copy-and-concurrently");
        RunResult dry = dryRunChangesNothing(folder);
        assertEquals(List.of(StepOutcome.WOULD_APPLY, StepOutcome.SKIPPED),
                dry.steps().stream().map(StepResult::outcome).toList());
        RunResult applied = migrator(folder).apply(null, false);
        assertTrue(applied.success(), applied.message());
        assertEquals(List.of("Vienna|2005760", "Brussels, capital|null"), TestPostgres.query(url,
                "SELECT name || '|' || coalesce(population::text, 'null') FROM public.cities ORDER BY id"));
        assertEquals(List.of("t"), TestPostgres.query(url,
                "SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.cities_name_idx'::regclass"));
        assertTrue(migrator(folder).rollback(null, false).success());
        assertEquals(MigrationState.PENDING, migrator(folder).status().migrations().stream()
                .filter(e -> e.version().equals("20240902000000")).map(StatusEntry::state).findFirst().orElseThrow());
    }
}
