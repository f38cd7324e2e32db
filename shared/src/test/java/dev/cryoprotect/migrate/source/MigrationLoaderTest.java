package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.model.ConvexMigration;
import dev.cryoprotect.migrate.model.FieldType;
import dev.cryoprotect.migrate.model.Migration;
import dev.cryoprotect.migrate.model.MigrationSet;
import dev.cryoprotect.migrate.model.TableSchema;
import dev.cryoprotect.migrate.source.MigrationSource.SourceFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Tag("fast")
class MigrationLoaderTest {
    private static final String USERS_JSON = """
            {
              "version": "001",
              "name": "initial_schema",
              "schema": {"users": {"name": "string", "email": "string", "role": "string?"}},
              "data": [
                {"type": "insert", "table": "users", "data": {"name": "Admin", "email": "a@x.com"}}
              ],
              "indexes": [{"table": "users", "name": "by_email", "fields": ["email"]}]
            }
            """;

    private final List<SourceFile> files = new ArrayList<>();

    private LoaderFixture file(String name, String text) {
        files.add(new SourceFile(name, text.getBytes(StandardCharsets.UTF_8)));
        return new LoaderFixture();
    }

    private final class LoaderFixture {
        LoaderFixture file(String name, String text) {
            return MigrationLoaderTest.this.file(name, text);
        }
    }

    private MigrationSet load() {
        return MigrationLoader.load(files);
    }

    private Problem onlyProblem() {
        InvalidMigrationsException e = assertThrows(InvalidMigrationsException.class, this::load);
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertEquals(1, e.problems().size(), e.getMessage());
        return e.problems().get(0);
    }

    @Test
    void loadsAllThreeKindsOfFileIntoOneVersion() {
        file("001_initial_schema.sql", "CREATE TABLE users (id int);")
                .file("001_initial_schema.down.sql", "DROP TABLE users;")
                .file("001_initial_schema.json", USERS_JSON)
                .file("README.md", "not a migration");
        MigrationSet set = load();
        assertEquals(1, set.migrations().size());
        Migration m = set.migrations().get(0);
        assertEquals("initial_schema", m.name());
        assertTrue(m.up().isPresent() && m.down().isPresent() && m.convex().isPresent());
        ConvexMigration convex = m.convex().orElseThrow();
        assertEquals(ConvexMigration.OpType.INSERT, convex.ops().get(0).type());
        assertEquals(new TableSchema.Field(new FieldType.Primitive(FieldType.Kind.STRING), true),
                set.declaredSchema().get("users").fields().get("role"));
        assertEquals(List.of("by_email"), set.declaredIndexes().stream().map(ConvexMigration.IndexDef::name).toList());
    }

    /** Update and delete ops name the declared index that narrows their filter most, so Convex reads a range. */
    @Test
    void updateAndDeleteOpsNameTheIndexThatCoversTheirFilter() {
        file("001_users.json", """
                {"version": "001", "schema": {"users": {"email": "string", "role": "string?", "team": "string?"}},
                 "data": [{"type": "update", "table": "users", "filter": {"team": "x"}, "data": {"role": "a"}}],
                 "indexes": [{"table": "users", "name": "by_role", "fields": ["role"]},
                             {"table": "users", "name": "by_role_team", "fields": ["role", "team"]}]}
                """).file("002_more.json", """
                {"version": "002",
                 "data": [{"type": "update", "table": "users", "filter": {"team": "x", "role": "a"}, "data": {"role": "b"}},
                          {"type": "delete", "table": "users", "filter": {"role": "b", "email": "e"}},
                          {"type": "delete", "table": "users", "filter": {"email": "e"}},
                          {"type": "delete", "table": "users", "filter": {"_id": "abc", "role": "b"}},
                          {"type": "insert", "table": "users", "data": {"email": "f"}}],
                 "indexes": [{"table": "users", "name": "by_team", "fields": ["team"]}]}
                """).file("003_later.json", """
                {"version": "003", "indexes": [{"table": "users", "name": "by_email", "fields": ["email"]}]}
                """);
        List<Migration> migrations = load().migrations();
        List<ConvexMigration.Lookup> first = lookups(migrations.get(0));
        List<ConvexMigration.Lookup> second = lookups(migrations.get(1));
        // 001's filter on team alone: no index of 001 starts with team (002's by_team comes later).
        assertEquals(java.util.Arrays.asList((ConvexMigration.Lookup) null), first);
        assertEquals(java.util.Arrays.asList(
                new ConvexMigration.Lookup("by_role_team", List.of("role", "team")), // two leading fields beat one
                new ConvexMigration.Lookup("by_role", List.of("role")), // the first declared of equals
                null, // email: 003's index is not deployed when 002 applies
                null, // _id: one document read, no index needed
                null), second);
    }

    private static List<ConvexMigration.Lookup> lookups(Migration m) {
        return m.convex().orElseThrow().ops().stream().map(ConvexMigration.DataOp::lookup)
                .collect(java.util.stream.Collectors.toList());
    }

    @Test
    void versionsCompareAsNumbersSoTimestampsWork() {
        file("20240101120000_later.sql", "SELECT 1;")
                .file("999_earlier.sql", "SELECT 1;")
                .file("1000_middle.sql", "SELECT 1;");
        assertEquals(List.of("999", "1000", "20240101120000"),
                load().migrations().stream().map(m -> m.version().text()).toList());
    }

    @Test
    void checksumsIgnoreLineEndings() {
        file("001_a.sql", "SELECT 1;\r\nSELECT 2;\r\n");
        String crlf = load().migrations().get(0).up().orElseThrow().checksum();
        files.clear();
        file("001_a.sql", "SELECT 1;\nSELECT 2;\n");
        assertEquals(crlf, load().migrations().get(0).up().orElseThrow().checksum());
        files.clear();
        file("001_a.sql", "SELECT 1;\nSELECT 3;\n");
        assertFalse(crlf.equals(load().migrations().get(0).up().orElseThrow().checksum()));
    }

    /** Old Mac line endings (a lone \r) are counted as lines, so errors name the line they are on, not line 1. */
    @Test
    void errorsInALoneCarriageReturnFileNameTheirLine() {
        file("001_a.sql", "CREATE TABLE a (id int);\rSELECT 1;\rCOMMIT;\r");
        assertEquals("001_a.sql:3: COMMIT without a BEGIN would commit the transaction this file runs in, before its"
                + " history row is written. Nothing was run. Remove it (the file runs in one transaction already), or put"
                + " '-- migrate:no-transaction' on the first line to manage transactions yourself", onlyProblem().toString());
        files.clear();
        file("001_a.sql", "-- a comment ends at a lone \\r too\rCREATE TABLE a (id int);\rSELECT 'oops;\r");
        assertEquals("001_a.sql:3: unterminated string literal starting on line 3", onlyProblem().toString());
        files.clear();
        file("001_a.json", "{\r\"version\": \"001\",\r\"name\": \"a\",\r\"schema\": {},\r\"data\": [\r"
                + "{\"type\": \"insert\", \"table\": \"nope\", \"data\": {}}]\r}");
        assertEquals("001_a.json:6: data[0]: table 'nope' is not declared in the schema of this or an earlier migration"
                + " (no tables are declared yet)", onlyProblem().toString());
    }

    @Test
    void twoNamesForOneVersionAreRefused() {
        file("002_add_teams.sql", "SELECT 1;").file("002_add_projects.sql", "SELECT 1;");
        Problem p = onlyProblem();
        assertEquals("002_add_teams.sql", p.file());
        assertTrue(p.message().contains("already used by 002_add_projects.sql"), p.message());
    }

    @Test
    void oneVersionSpelledTwoWaysIsRefused() {
        file("002_add_teams.sql", "SELECT 1;").file("0002_add_teams.json", "{\"version\": \"0002\"}");
        assertTrue(onlyProblem().message().contains("spell it the same way"));
    }

    @Test
    void namesAreReadAsTheSupabaseCliReadsThem() {
        file("003_AddTeams.sql", "SELECT 1;").file("20240214114147_auth-hook.sql", "SELECT 2;")
                .file("004_add.profiles.v2.sql", "SELECT 3;").file("1_first.sql", "SELECT 4;")
                .file("004_add.profiles.v2.down.sql", "SELECT 5;");
        MigrationSet set = load();
        assertEquals(List.of("1", "003", "004", "20240214114147"), set.migrations().stream()
                .map(m -> m.version().text()).toList());
        assertEquals(List.of("first", "AddTeams", "add.profiles.v2", "auth-hook"), set.migrations().stream()
                .map(m -> m.name()).toList());
        assertTrue(set.migrations().get(2).down().isPresent(), "the down file pairs by version and name");
        assertEquals(1, set.warnings().size(), set.warnings().toString()); // 1_first.sql: the Supabase CLI runs it third
        assertTrue(set.warnings().get(0).startsWith("1_first.sql runs before 003_AddTeams.sql here"), set.warnings().get(0));
    }

    @Test
    void aVersionWithFewerDigitsThatTheSupabaseCliWouldRunElsewhereIsNamed() {
        file("20240101120000_notes.sql", "SELECT 1;").file("20240102_colour.sql", "SELECT 2;")
                .file("20240103090000_tags.sql", "SELECT 3;");
        MigrationSet set = load();
        assertEquals(List.of("20240102", "20240101120000", "20240103090000"), set.migrations().stream()
                .map(m -> m.version().text()).toList());
        assertEquals(List.of("20240102_colour.sql runs before 20240101120000_notes.sql here (versions compare as"
                + " numbers), but after it with the Supabase CLI, which runs files in name order; give every version"
                + " the same number of digits so both run them in one order"), set.warnings());

        MigrationSet sameWidth = MigrationLoader.load(List.of(
                new SourceFile("9_a.sql", "SELECT 1;".getBytes(StandardCharsets.UTF_8)),
                new SourceFile("10_b.sql", "SELECT 1;".getBytes(StandardCharsets.UTF_8))));
        assertTrue(sameWidth.warnings().get(0).startsWith("9_a.sql runs before 10_b.sql here"), sameWidth.warnings().toString());
    }

    @Test
    void aDumpsRestrictLinesAreSkippedWithANotice() {
        file("20240101000000_remote_schema.sql", "\\restrict abc\nCREATE TABLE t (id int);\n\\unrestrict abc\n");
        MigrationSet set = load();
        assertEquals(List.of("CREATE TABLE t (id int);"), set.migrations().get(0).up().orElseThrow().statements()
                .stream().map(s -> s.sql()).toList());
        assertEquals(List.of("20240101000000_remote_schema.sql: pg_dump's \\restrict/\\unrestrict (lines 1, 3) skipped:"
                + " they guard psql's own meta-commands and mean nothing to the server"), set.warnings());

    }

    @Test
    void strayFilesAreSkippedWithAOneLineWarningAndBlockNothing() {
        file("add_teams.sql", "SELECT 1;").file("README.md", "# notes").file("chembl_fix.sql", "UPDATE x SET y = 1;")
                .file("001_a.sql", "SELECT 1;").file(".gitkeep", "").file("001_a.SQL", "SELECT 1;");
        MigrationSet set = load();
        assertEquals(List.of("001"), set.migrations().stream().map(m -> m.version().text()).toList());
        assertEquals(List.of("skipped 001_a.SQL: not a migration file (<digits>_<name>.sql, .down.sql or .json)",
                "skipped README.md: not a migration file (<digits>_<name>.sql, .down.sql or .json)",
                "skipped add_teams.sql: not a migration file (<digits>_<name>.sql, .down.sql or .json)",
                "skipped chembl_fix.sql: not a migration file (<digits>_<name>.sql, .down.sql or .json)"),
                set.warnings());
    }

    @Test
    void aFolderOfOnlyFlywayFilesIsRefusedWithTheRenameEachNeeds() {
        file("V1__init.sql", "CREATE TABLE a (id int);").file("V2__add_users.sql", "CREATE TABLE users (id int);")
                .file("R__views.sql", "CREATE OR REPLACE VIEW v AS SELECT 1;").file("U1__undo.sql", "DROP TABLE a;")
                .file("V2.1__tweak.sql", "SELECT 1;").file("README.md", "# notes");
        InvalidMigrationsException e = assertThrows(InvalidMigrationsException.class, this::load);
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertEquals("""
                5 problems in migration files (nothing was run):
                  R__views.sql: a Flyway repeatable migration (R__), which this tool does not have: put its statements\
                 in a versioned file (<digits>_views.sql), and add a new version whenever they change
                  U1__undo.sql: a Flyway undo name (U<version>__<description>.sql), which this tool does not read:\
                 rename it 001_init.down.sql, named as the .sql file it undoes
                  V1__init.sql: a Flyway name (V<version>__<description>.sql), which this tool does not read: rename it\
                 001_init.sql
                  V2.1__tweak.sql: a Flyway name (V<version>__<description>.sql), which this tool does not read:\
                 versions here are whole numbers, so renumber 2.1 and rename it <digits>_tweak.sql
                  V2__add_users.sql: a Flyway name (V<version>__<description>.sql), which this tool does not read:\
                 rename it 002_add_users.sql""", e.getMessage());
    }

    @Test
    void flywayFilesBesideOurMigrationsAreSkippedWithTheirRename() {
        file("001_init.sql", "CREATE TABLE a (id int);").file("V2__add_users.sql", "CREATE TABLE users (id int);")
                .file("README.md", "# notes");
        MigrationSet set = load();
        assertEquals(List.of("001"), set.migrations().stream().map(m -> m.version().text()).toList());
        assertEquals(List.of("skipped README.md: not a migration file (<digits>_<name>.sql, .down.sql or .json)",
                "skipped V2__add_users.sql: a Flyway name (V<version>__<description>.sql), which this tool does not"
                        + " read: rename it 002_add_users.sql"), set.warnings());

        files.clear();
        file("0001_init.sql", "CREATE TABLE a (id int);").file("V2__add_users.sql", "CREATE TABLE users (id int);");
        assertTrue(load().warnings().get(0).endsWith("rename it 0002_add_users.sql"), "as wide as the folder's versions");
    }

    @Test
    void twoFilesClaimingOneVersionAreRefusedNamingBoth() {
        file("001_create-users.sql", "SELECT 1;").file("001_create_users.sql", "SELECT 2;");
        Problem p = onlyProblem();
        assertEquals("001_create_users.sql", p.file());
        assertTrue(p.message().contains("already used by 001_create-users.sql"), p.message());
    }

    @Test
    void aJsonVersionThatDisagreesWithItsFileNameIsRefusedWithItsLine() {
        file("004_teams.json", "{\n  \"version\": \"005\",\n  \"name\": \"teams\"\n}\n");
        Problem p = onlyProblem();
        assertEquals("004_teams.json", p.file());
        assertEquals(2, p.line());
        assertTrue(p.message().contains("disagrees with the file name's version 004"), p.message());
    }

    @Test
    void malformedJsonNamesTheLine() {
        file("001_bad.json", "{\n  \"version\": \"001\",\n  \"schema\": {\n    \"users\": {\"name\": \"string\",}\n  }\n}\n");
        Problem p = onlyProblem();
        assertEquals(4, p.line());
        assertTrue(p.message().startsWith("malformed JSON (column 32)"), p.message());
    }

    @Test
    void truncatedJsonIsRefused() {
        file("001_bad.json", "{\"version\": \"001\", \"data\": [");
        String message = onlyProblem().message();
        assertTrue(message.startsWith("malformed JSON"), message);
        assertFalse(message.contains("Source") || message.contains("StreamReadFeature"), "no parser internals: " + message);
    }

    /** Two objects in one file (two migrations pasted together): the second is not silently ignored. */
    @Test
    void aSecondValueAfterTheObjectIsRefused() {
        file("001_two.json", "{\"version\": \"001\", \"name\": \"a\"}\n{\"extra\": 1}\n");
        Problem p = onlyProblem();
        assertEquals(2, p.line());
        assertTrue(p.message().startsWith("malformed JSON"), p.message());
    }

    @Test
    void duplicateJsonKeysAreRefused() {
        file("001_bad.json", "{\"version\": \"001\",\n\"version\": \"001\"}");
        Problem p = onlyProblem();
        assertTrue(p.message().contains("Duplicate field"), p.message());
    }

    @Test
    void anUnknownOpTypeIsRefusedWithItsPathAndLine() {
        file("001_initial_schema.json", USERS_JSON.replace("\"type\": \"insert\"", "\"type\": \"upsert\""));
        Problem p = onlyProblem();
        assertEquals(6, p.line());
        assertTrue(p.message().contains("data[0].type: unknown op type 'upsert'"), p.message());
    }

    /** Convex refuses a document over 1 MiB; the local backend would take it, so the loader says so first. */
    @Test
    void anInsertOfADocumentOverConvexsLimitIsRefusedWithItsPath() {
        String big = "x".repeat((1 << 20) + 10);
        file("001_initial_schema.json", USERS_JSON.replace("\"name\": \"Admin\"", "\"name\": \"" + big + "\""));
        Problem p = onlyProblem();
        assertEquals(6, p.line());
        assertTrue(p.message().contains("data[0].data: the document is 1024 KiB as Convex measures it; Convex stores at most 1 MiB per"
                + " document"), p.message());
    }

    @Test
    void anOpOnAnUndeclaredTableIsRefused() {
        file("001_initial_schema.json", USERS_JSON)
                .file("002_teams.json", """
                        {
                          "version": "002",
                          "data": [
                            {"type": "insert", "table": "users", "data": {"name": "B", "email": "b@x.com"}},
                            {"type": "delete", "table": "teams", "filter": {"name": "old"}}
                          ]
                        }
                        """);
        Problem p = onlyProblem();
        assertEquals("002_teams.json", p.file());
        assertEquals(5, p.line());
        assertTrue(p.message().contains("data[1]: table 'teams' is not declared"), p.message());
        assertTrue(p.message().contains("(declared: users)"), p.message());
    }

    /** The framework's own tables and Convex's system indexes cannot be declared: Convex or the framework would clash. */
    @Test
    void frameworkTablesSystemIndexNamesAndRepeatedIndexFieldsAreRefused() {
        file("001_ghost.json", """
                {"version": "001", "schema": {"migrations": {"version": "string", "name": "string"},
                  "sync_ids": {"doc_id": "string"}, "notes": {"k": "string"}},
                 "data": [{"type": "insert", "table": "migrations", "data": {"version": "999", "name": "ghost"}}],
                 "indexes": [{"table": "notes", "name": "by_creation_time", "fields": ["k"]},
                             {"table": "notes", "name": "by_k", "fields": ["k", "k"]}]}
                """);
        InvalidMigrationsException e = assertThrows(InvalidMigrationsException.class, this::load);
        String all = e.getMessage();
        assertTrue(all.contains("schema.migrations: the migration framework keeps its own table of that name"), all);
        assertTrue(all.contains("schema.sync_ids: the migration framework keeps its own table"), all);
        assertTrue(all.contains("'by_creation_time' is the name of a system index"), all);
        assertTrue(all.contains("'k' is named twice"), all);
    }

    /** Values a Convex number would change rather than hold, and system fields set by data, are refused at load. */
    @Test
    void numbersAFloatCannotHoldAndSystemFieldsInDataAreRefused() {
        file("001_initial_schema.json", USERS_JSON.replace("\"role\": \"string?\"", "\"role\": \"string?\", \"n\": \"number?\""))
                .file("002_values.json", """
                        {"version": "002", "data": [
                          {"type": "insert", "table": "users", "data": {"name": "A", "email": "a", "n": 9007199254740993}},
                          {"type": "insert", "table": "users", "data": {"name": "B", "email": "b", "n": 1e400}},
                          {"type": "update", "table": "users", "filter": {"email": "a"}, "data": {"_id": "x"}},
                          {"type": "update", "table": "users", "filter": {"_id": "k57x"}, "data": {"n": 1.5}}
                        ]}
                        """);
        InvalidMigrationsException e = assertThrows(InvalidMigrationsException.class, this::load);
        assertEquals(3, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).message().contains("9007199254740993 is not exactly representable"), e.getMessage());
        assertTrue(e.problems().get(1).message().contains("is beyond a Convex number's range"), e.getMessage());
        assertTrue(e.problems().get(2).message().contains("data cannot set _id or _creationTime"), e.getMessage());
    }

    /** Changes the documents already written may not satisfy are said, naming the file, table and field. */
    @Test
    void aChangedFieldTypeOrANewRequiredFieldIsSaid() {
        file("001_initial_schema.json", USERS_JSON)
                .file("002_evolve.json", """
                        {"version": "002", "schema": {"users": {"name": "number", "age": "number", "role": "string",
                          "nickname": "string?"}}}
                        """);
        List<String> warnings = load().warnings();
        assertEquals(3, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("002_evolve.json: users.name changes type"), warnings.get(0));
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("002_evolve.json: users.age is a new required field")),
                warnings.toString());
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("002_evolve.json: users.role becomes required")),
                warnings.toString());
    }

    @Test
    void theSchemaIsCumulativeAcrossFiles() {
        file("001_initial_schema.json", USERS_JSON)
                .file("002_teams.json", """
                        {"version": "002", "schema": {"users": {"team": "id<teams>?"}, "teams": {"name": "string"}},
                         "data": [{"type": "update", "table": "users", "filter": {"email": "a@x.com"}, "data": {"role": "x"}}]}
                        """);
        MigrationSet set = load();
        assertEquals(List.of("name", "email", "role", "team"),
                List.copyOf(set.declaredSchema().get("users").fields().keySet()));
        assertEquals(new FieldType.Id("teams"), set.declaredSchema().get("users").fields().get("team").type());
    }

    @Test
    void anUnknownFieldTypeIsRefused() {
        file("001_a.json", "{\"version\": \"001\", \"schema\": {\"users\": {\"age\": \"integer\"}}}");
        assertTrue(onlyProblem().message().contains("schema.users.age: unknown type 'integer'"));
    }

    @Test
    void fieldTypesParseArraysUnionsObjectsAndIds() {
        file("001_a.json", """
                {"version": "001", "schema": {"t": {
                  "tags": "string[]", "owner": "id<t>", "v": "string|null", "n": "int64?",
                  "meta": {"size": "number", "raw": "bytes"}, "list": ["boolean"]}}}
                """);
        TableSchema t = load().declaredSchema().get("t");
        assertEquals(new FieldType.Array(new FieldType.Primitive(FieldType.Kind.STRING)), t.fields().get("tags").type());
        assertEquals(new FieldType.Union(List.of(new FieldType.Primitive(FieldType.Kind.STRING),
                new FieldType.Primitive(FieldType.Kind.NULL))), t.fields().get("v").type());
        assertTrue(t.fields().get("n").optional());
        assertTrue(t.fields().get("meta").type() instanceof FieldType.Obj);
        assertEquals(new FieldType.Array(new FieldType.Primitive(FieldType.Kind.BOOLEAN)), t.fields().get("list").type());
    }

    @Test
    void reservedFieldNamesAreRefused() {
        file("001_a.json", "{\"version\": \"001\", \"schema\": {\"users\": {\"_id\": \"string\"}}}");
        assertTrue(onlyProblem().message().contains("'_id' starts with '_'"));
    }

    @Test
    void opsMissingWhatTheyNeedAreRefused() {
        file("001_initial_schema.json", USERS_JSON.replace(
                "{\"type\": \"insert\", \"table\": \"users\", \"data\": {\"name\": \"Admin\", \"email\": \"a@x.com\"}}",
                "{\"type\": \"update\", \"table\": \"users\", \"data\": {\"name\": \"Admin\"}}"));
        assertTrue(onlyProblem().message().contains("an update needs a \"filter\" object"));
    }

    @Test
    void anIndexOnAnUndeclaredFieldIsRefused() {
        file("001_initial_schema.json", USERS_JSON.replace("[\"email\"]", "[\"mail\"]"));
        assertTrue(onlyProblem().message().contains("field 'mail' is not declared on table 'users'"));
    }

    /** Convex indexes nested fields by dotted path; the path must lead through declared objects. */
    @Test
    void anIndexOnANestedFieldFollowsItsPathThroughDeclaredObjects() {
        file("001_people.json", """
                {"version": "001", "schema": {"people": {"profile": {"city": "string", "geo": {"lat": "number"}},
                  "a": {"b": "string"}, "a.b": "string"}},
                 "data": [{"type": "update", "table": "people", "filter": {"a.b": "x"}, "data": {"a.b": "y"}}],
                 "indexes": [{"table": "people", "name": "by_city", "fields": ["profile.city", "profile.geo.lat"]},
                             {"table": "people", "name": "by_ab", "fields": ["a.b"]}]}
                """);
        MigrationSet set = load();
        assertEquals(List.of("by_city", "by_ab"), set.declaredIndexes().stream()
                .map(ConvexMigration.IndexDef::name).toList());
        // "a.b" in the filter is the top-level field of that name; the index's "a.b" is the path a -> b: not used.
        assertEquals(null, set.migrations().get(0).convex().orElseThrow().ops().get(0).lookup());

        files.clear();
        file("001_people.json", """
                {"version": "001", "schema": {"people": {"profile": {"city": "string"}, "name": "string"}},
                 "indexes": [{"table": "people", "name": "by_x", "fields": ["profile.town"]}]}
                """);
        assertTrue(onlyProblem().message().contains("field 'profile.town' is not declared on table 'people' (a dotted"
                + " name is a path into nested objects"), "the path must exist");
        files.clear();
        file("001_people.json", """
                {"version": "001", "schema": {"people": {"name": "string"}},
                 "indexes": [{"table": "people", "name": "by_x", "fields": ["name.first"]}]}
                """);
        assertTrue(onlyProblem().message().contains("field 'name.first' is not declared"), "a string has no fields");
    }

    @Test
    void aDownFileWithoutItsUpFileIsRefused() {
        file("005_orphan.down.sql", "DROP TABLE x;");
        Problem p = onlyProblem();
        assertEquals("005_orphan.down.sql", p.file());
        assertTrue(p.message().contains("without its up file 005_orphan.sql"), p.message());
    }

    @Test
    void anUnterminatedQuoteNamesTheLineWhereItStarts() {
        file("001_a.sql", "SELECT 1;\nSELECT 'oops;\nSELECT 2;\n");
        Problem p = onlyProblem();
        assertEquals(2, p.line());
        assertTrue(p.message().contains("unterminated string literal"), p.message());
    }

    @Test
    void nonUtf8TextIsRefused() {
        files.add(new SourceFile("001_a.sql", new byte[]{'S', 'E', 'L', (byte) 0xC3, (byte) 0x28}));
        assertTrue(onlyProblem().message().contains("not valid UTF-8"));
        assertEquals(1, onlyProblem().line());
    }

    /** The line of the first byte that is not UTF-8 (here Latin-1's é), past every kind of line end and a long file. */
    @Test
    void nonUtf8TextNamesTheLineOfItsFirstBadByte() {
        String before = "-- ünïcödé is fine\r\nCREATE TABLE a (id int);\rSELECT 1;\n".repeat(2000);
        byte[] head = before.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] tail = "-- caf\u00e9\nSELECT 2;\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] content = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, content, head.length, tail.length);
        files.add(new SourceFile("001_a.sql", content));
        Problem p = onlyProblem();
        assertEquals(6001, p.line());
        assertEquals("001_a.sql:6001: is not valid UTF-8 text: this line has a byte that is not (saved in another"
                + " encoding, such as Latin-1 or Windows-1252?)", p.toString());
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        file("001_a.sql", "x").file("001_b.sql", "x").file("002_ok.json", "{").file("003_orphan.down.sql", "x");
        InvalidMigrationsException e = assertThrows(InvalidMigrationsException.class, this::load);
        assertEquals(3, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().startsWith("3 problems in migration files (nothing was run)"), e.getMessage());
    }

    @Test
    void theNoTransactionMarkerIsRecognised() {
        file("001_idx.sql", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);\n");
        assertFalse(load().migrations().get(0).up().orElseThrow().transactional());
    }
}
