package dev.cryoprotect.migrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.testing.TestConvex;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI on both databases: PostgreSQL and the local Convex backend over HTTP. */
class ConvexCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path EXAMPLES = Path.of("..", "migrations");

    @TempDir
    Path dir;
    private String url;
    private Map<String, String> env;

    @BeforeEach
    void setUp() {
        TestConvex.reset();
        url = TestPostgres.newDatabase();
        env = TestConvex.environment();
    }

    private CliRun run(Map<String, String> environment, String command, String... more) {
        List<String> args = new ArrayList<>(List.of(command, "--migrations", EXAMPLES.toString(), "--database-url", url));
        args.addAll(List.of(more));
        return CliRun.of(environment, args.toArray(String[]::new));
    }

    @Test
    void applyRunsSupabaseThenConvexAndStatusShowsThemSideBySide() throws Exception {
        CliRun apply = run(env, "apply", "--target", "002");
        assertEquals(0, apply.exitCode(), apply.toString());
        assertTrue(apply.out().indexOf("supabase:") < apply.out().indexOf("convex:"), apply.out());
        assertEquals(List.of("owner"), TestPostgres.query(url, "SELECT role FROM users"));
        List<Map<String, Object>> users = TestConvex.documents("users");
        assertEquals(1, users.size());
        assertEquals("owner", users.get(0).get("role"));
        assertEquals(1, TestConvex.documents("teams").size());

        CliRun status = run(env, "status");
        assertTrue(status.out().matches("(?s).*VERSION\\s+NAME\\s+SUPABASE\\s+CONVEX.*"), status.out());
        assertTrue(status.out().matches("(?s).*002\\s+add_teams\\s+APPLIED\\s+APPLIED.*"), status.out());
        assertTrue(status.out().matches("(?s).*003\\s+index_users_email\\s+PENDING\\s+PENDING.*"), status.out());
        JsonNode json = JSON.readTree(run(env, "status", "--format", "json").out());
        assertEquals("APPLIED", json.get("migrations").get(1).get("states").get("convex").asText());
        assertEquals("002", json.get("databases").get("convex").get("currentVersion").asText());
    }

    @Test
    void databaseSelectsOneSideAndRollbackUndoesConvexFirst() throws Exception {
        assertEquals(0, run(env, "apply", "--database", "convex").exitCode());
        assertEquals(List.of(), TestPostgres.tables(url, "public"), "supabase untouched, not even a history table");
        assertEquals(0, run(env, "apply").exitCode());

        CliRun rollback = run(env, "rollback", "--target", "001", "--format", "json");
        assertEquals(0, rollback.exitCode(), rollback.toString());
        JsonNode results = JSON.readTree(rollback.out());
        assertEquals("001", results.get("convex").get("finalVersion").asText());
        assertEquals("001", results.get("supabase").get("finalVersion").asText());
        List<String> order = new ArrayList<>();
        results.fieldNames().forEachRemaining(order::add);
        assertEquals(List.of("convex", "supabase"), order);
        // 002 deleted the import user and changed the admin; the recorded inverse restored both.
        List<Map<String, Object>> users = TestConvex.documents("users");
        assertEquals(2, users.size());
        assertTrue(users.stream().anyMatch(u -> "admin".equals(u.get("role")) && ((Number) u.get("updated_at")).longValue() == 1620000000000L));
        assertEquals(0, TestConvex.documents("teams").size());
    }

    /**
     * Convex is rolled back first. What Supabase would refuse before running (here: no down file) stops the run before
     * Convex changes; what can only be found by trying (Supabase's lock held by another run) is reported beside what
     * Convex did, not lost behind an error that says nothing ran.
     */
    @Test
    void whenTheSecondDatabaseWouldRefuseNothingRunsAndWhenItRefusesLateTheFirstIsStillReported() throws Exception {
        Path copy = examples("migrations", name -> name.matches("00[12]_.*"));
        Path down = copy.resolve("002_add_teams.down.sql");
        String downSql = Files.readString(down);
        Files.delete(down);
        String[] base = {"--migrations", copy.toString(), "--database-url", url};
        assertEquals(0, CliRun.of(env, concat(new String[] {"apply"}, base)).exitCode());

        CliRun refused = CliRun.of(env, concat(new String[] {"rollback"}, base));
        assertEquals(2, refused.exitCode(), refused.toString());
        assertTrue(refused.err().contains("rollback did not start, nothing ran on any database: supabase would refuse:"
                + " cannot roll back supabase"), refused.err());
        assertEquals(1, TestConvex.documents("teams").size(), "convex's 002 stays: nothing ran");

        Files.writeString(down, downSql);
        try (var holder = new dev.cryoprotect.migrate.database.postgres.PostgresTarget(TestPostgres.config(url));
             var held = holder.lock(java.time.Duration.ofSeconds(5))) {
            CliRun busy = CliRun.of(env, concat(new String[] {"rollback", "--lock-timeout", "0", "--format", "json"},
                    base));
            assertEquals(3, busy.exitCode(), busy.toString());
            JsonNode json = JSON.readTree(busy.out());
            assertEquals("001", json.get("convex").get("finalVersion").asText(), "convex was rolled back first");
            assertFalse(json.get("supabase").get("success").asBoolean());
            assertEquals("lock_busy", json.get("supabase").get("error").get("failure").asText(), json.toString());
            assertEquals("unknown", json.get("supabase").get("finalVersion").asText());
        }
        assertEquals(0, TestConvex.documents("teams").size());
        assertEquals(List.of("001", "002"), TestPostgres.query(url, "SELECT version FROM migrations ORDER BY version"));
    }

    /**
     * Baseline and repair only record, but on both databases they change Supabase first: what Convex would refuse
     * (a history already there, or no answer) stops them before Supabase is marked or its checksums rewritten.
     */
    @Test
    void baselineAndRepairCheckConvexBeforeSupabaseChanges() throws Exception {
        assertEquals(0, run(env, "apply", "--database", "convex", "--target", "002").exitCode());
        CliRun baseline = run(env, "baseline", "--version", "002");
        assertEquals(5, baseline.exitCode(), baseline.toString());
        assertTrue(baseline.err().contains("baseline did not start, nothing ran on any database: convex would refuse:"
                + " cannot baseline convex: its history already has 2 applied migration(s), up to version 002"),
                baseline.err());
        assertEquals(List.of(), TestPostgres.tables(url, "public"), "supabase not marked, not even a history table");
        CliRun supabaseOnly = run(env, "baseline", "--version", "002", "--database", "supabase");
        assertEquals(0, supabaseOnly.exitCode(), supabaseOnly.toString());
        assertEquals(List.of("001", "002"), TestPostgres.query(url, "SELECT version FROM migrations ORDER BY version"));

        Path copy = examples("edited", name -> name.matches("00[12]_.*"));
        Path edited = copy.resolve("001_initial_schema.sql");
        Files.writeString(edited, Files.readString(edited) + "\n-- reviewed\n");
        Map<String, String> convexDown = new java.util.HashMap<>(env);
        convexDown.put("CONVEX_URL", "http://127.0.0.1:1");
        String before = TestPostgres.query(url, "SELECT checksum FROM migrations WHERE version = '001'").get(0);
        CliRun repair = CliRun.of(convexDown, "repair", "--yes", "--migrations", copy.toString(), "--database-url", url);
        assertEquals(4, repair.exitCode(), repair.toString());
        assertTrue(repair.err().contains("error: cannot reach Convex at http://127.0.0.1:1"), repair.err());
        assertEquals(List.of(before), TestPostgres.query(url, "SELECT checksum FROM migrations WHERE version = '001'"));
    }

    /** A folder of its own with the example migrations whose names {@code which} accepts, to edit freely. */
    private Path examples(String folder, java.util.function.Predicate<String> which) throws java.io.IOException {
        Path copy = Files.createDirectories(dir.resolve(folder));
        try (var files = Files.list(EXAMPLES)) {
            for (Path f : files.filter(f -> which.test(f.getFileName().toString())).toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        return copy;
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /** Convex unreachable: status still shows Supabase, names Convex's error, and fails (exit 4) so CI notices. */
    @Test
    void statusShowsTheReadableDatabaseWhenTheOtherIsUnreachable() throws Exception {
        assertEquals(0, run(env, "apply", "--target", "002").exitCode());
        Map<String, String> down = new java.util.HashMap<>(env);
        down.put("CONVEX_URL", "http://127.0.0.1:1");
        CliRun status = run(down, "status");
        assertEquals(4, status.exitCode(), status.toString());
        assertTrue(status.out().contains("supabase: "), status.out());
        assertTrue(status.out().contains("convex:   cannot be read, not shown below:"), status.out());
        assertTrue(status.out().matches("(?s).*002\\s+add_teams\\s+APPLIED\\s*\\n.*"), status.out());
        assertFalse(status.out().contains("in flight"), status.out());
        JsonNode json = JSON.readTree(run(down, "status", "--format", "json").out());
        assertEquals("002", json.get("databases").get("supabase").get("currentVersion").asText());
        assertEquals("unreachable", json.get("errors").get("convex").get("failure").asText(), json.toString());
        assertFalse(json.get("ok").asBoolean());

        CliRun apply = run(down, "apply");
        assertEquals(4, apply.exitCode(), apply.toString());
        assertTrue(apply.err().contains("apply did not start, nothing ran on any database: convex would refuse"),
                apply.err());
        assertEquals(List.of("002"), TestPostgres.query(url, "SELECT max(version) FROM migrations"), "003 not applied");

        down.put("SUPABASE_DB_URL", "postgresql://postgres@127.0.0.1:1/postgres");
        CliRun neither = CliRun.of(down, "status", "--migrations", EXAMPLES.toString());
        assertEquals(4, neither.exitCode(), neither.toString());
        assertTrue(neither.err().startsWith("error: "), neither.err());
    }

    @Test
    void aConvexDryRunLeavesNothing() {
        CliRun dry = run(env, "apply", "--database", "convex", "--dry-run");
        assertEquals(0, dry.exitCode(), dry.toString());
        assertTrue(dry.out().contains("would_apply"), dry.out());
        assertEquals(0, TestConvex.documents("users").size());
        assertTrue(run(env, "status", "--database", "convex").out().contains("current version: none"));
    }

    @Test
    void useConvexFalseFallsBackToSupabaseOnly() {
        Map<String, String> off = new java.util.HashMap<>(env);
        off.put("USE_CONVEX", "false");
        CliRun apply = run(off, "apply");
        assertEquals(0, apply.exitCode(), apply.toString());
        assertFalse(apply.out().contains("convex:"), apply.out());
        assertEquals(0, TestConvex.documents("users").size());
        CliRun explicit = run(off, "apply", "--database", "convex");
        assertEquals(2, explicit.exitCode());
        assertTrue(explicit.err().contains("USE_CONVEX=false"), explicit.err());
    }

    @Test
    void withoutConvexUrlOrNodeProjectItSaysSoInOneLine() {
        CliRun apply = run(Map.of("MIGRATE_CONVEX_PROJECT", dir.resolve("no-such-project").toString()), "apply");
        assertEquals(0, apply.exitCode(), apply.toString());
        assertEquals(1, apply.err().lines().count(), apply.err());
        assertTrue(apply.err().startsWith("notice: CONVEX_URL is not set"), apply.err());
    }

    @Test
    void aWrongDeployKeyIsAClearErrorWithoutTheKey() {
        Map<String, String> wrong = Map.of("CONVEX_URL", TestConvex.backend().url(), "CONVEX_DEPLOY_KEY", "local|not-the-key-123");
        CliRun status = run(wrong, "status", "--database", "convex");
        assertEquals(4, status.exitCode(), status.toString());
        assertTrue(status.err().contains("401"), status.err());
        assertFalse(status.err().contains("not-the-key-123"), status.err());
    }

    @Test
    void convexSchemaRendersValidTypeScriptAndStatusDetectsDrift() throws Exception {
        Path convexDir = TestConvex.convexDir();
        Path out = convexDir.resolve("schema-check-" + ProcessHandle.current().pid() + ".ts");
        try {
            CliRun render = CliRun.of(Map.of(), "convex-schema", "--migrations", EXAMPLES.toString(), "--out", out.toString());
            assertEquals(0, render.exitCode(), render.toString());
            String schema = Files.readString(out);
            assertTrue(schema.contains("team: v.optional(v.id(\"teams\"))"), schema);
            assertTrue(schema.contains(".index(\"by_role\", [\"role\"])"), schema);
            assertEquals("", typecheck(convexDir, out), "the generated schema.ts type-checks against convex");
            CliRun json = CliRun.of(Map.of(), "convex-schema", "--migrations", EXAMPLES.toString(), "--format", "json");
            assertEquals(schema, JSON.readTree(json.out()).get("schema").asText(), "the same text, as a JSON string");

            CliRun upToDate = run(env, "status", "--convex-schema", out.toString());
            assertTrue(upToDate.out().contains("matches the migrations"), upToDate.out());
            Files.writeString(out, schema.replace("v.optional(v.string())", "v.string()"));
            CliRun drifted = run(env, "status", "--convex-schema", out.toString(), "--format", "json");
            JsonNode check = JSON.readTree(drifted.out()).get("convexSchema");
            assertFalse(check.get("upToDate").asBoolean());
            assertTrue(check.get("message").asText().contains("migrate convex-schema --out"), check.toString());
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @Test
    void universalAppliesBothAndPrintsTheUnifiedResult() throws Exception {
        CliRun run = run(env, "universal", "--target", "002", "--format", "json");
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode result = JSON.readTree(run.out());
        assertEquals("002", result.get("supabase").get("finalVersion").asText());
        assertEquals("002", result.get("convex").get("finalVersion").asText());
        assertEquals(0, result.get("compensation").size());
        assertEquals("002", result.get("target").asText());
        assertEquals("002", result.get("ended").get("supabase").asText());
        assertEquals("002", result.get("ended").get("convex").asText());
    }

    @Test
    void universalUndoesTheRunOnBothConvexFirstWhenConvexFails() throws Exception {
        Path copy = examples("migrations", name -> true);
        Files.writeString(copy.resolve("004_audit.sql"), "CREATE TABLE audit (id int);\n");
        Files.writeString(copy.resolve("004_audit.down.sql"), "DROP TABLE audit;\n");
        Files.writeString(copy.resolve("004_audit.json"),
                dev.cryoprotect.migrate.testing.MigrationFiles.failingInConvex("004"));
        assertEquals(0, CliRun.of(env, "apply", "--target", "001", "--migrations", copy.toString(), "--database-url", url)
                .exitCode());
        CliRun run = CliRun.of(env, "universal", "--migrations", copy.toString(), "--database-url", url, "--format", "json");
        assertEquals(1, run.exitCode(), run.toString());
        JsonNode result = JSON.readTree(run.out());
        assertEquals("004", result.get("supabase").get("finalVersion").asText());
        assertEquals("003", result.get("convex").get("finalVersion").asText(), "Convex applied 002 and 003, then failed");
        assertEquals("004_audit.json", result.get("error").get("file").asText());
        assertEquals(List.of("convex", "supabase"), List.of(result.get("compensation").get(0).get("database").asText(),
                result.get("compensation").get(1).get("database").asText()), "the newer layer first");
        assertEquals("001", result.get("ended").get("supabase").asText());
        assertEquals("001", result.get("ended").get("convex").asText());
        assertTrue(result.get("message").asText().contains("this run was undone: convex at version 001, supabase at"
                + " version 001"), result.toString());
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT max(version) FROM migrations"));
        assertEquals(List.of("migrations", "users"), TestPostgres.tables(url, "public"));
        assertEquals(0, TestConvex.documents("teams").size(), "Convex's 002 undone too");

        CliRun dry = CliRun.of(env, "universal", "--dry-run", "--migrations", copy.toString(), "--database-url", url,
                "--format", "json");
        assertEquals(1, dry.exitCode(), dry.toString());
        JsonNode dryResult = JSON.readTree(dry.out());
        assertEquals(0, dryResult.get("compensation").size(), "a dry run is never compensated");
        assertTrue(dryResult.get("message").asText().contains("nothing was compensated"), dryResult.toString());
    }

    /**
     * Convex's lock held by another run: Convex refuses after Supabase applied, and the undo of Supabase does not wait
     * for that lock (Convex has nothing of this run to undo). A Supabase version without a down file is said before
     * Supabase changes, and when the undo then fails, the commands that finish it are named.
     */
    @Test
    void universalUndoesSupabaseWhenConvexsLockIsBusyAndNamesTheCommandsWhenItCannot() throws Exception {
        Path copy = examples("migrations", name -> true);
        assertEquals(0, CliRun.of(env, "apply", "--target", "001", "--migrations", copy.toString(), "--database-url", url)
                .exitCode());
        TestConvex.client().mutation("migrations/runner:acquireLock", Map.of("owner", "intruder", "leaseMs", 120000.0));
        try {
            CliRun busy = CliRun.of(env, "universal", "--migrations", copy.toString(), "--database-url", url,
                    "--lock-timeout", "2", "--format", "json");
            assertEquals(3, busy.exitCode(), busy.toString());
            JsonNode result = JSON.readTree(busy.out());
            assertEquals("001", result.get("ended").get("supabase").asText(), result.toString());
            assertTrue(result.get("message").asText().contains("this run was undone"), result.toString());
            assertEquals(List.of("001"), TestPostgres.query(url, "SELECT max(version) FROM migrations"));

            Files.delete(copy.resolve("002_add_teams.down.sql"));
            CliRun stuck = CliRun.of(env, "universal", "--migrations", copy.toString(), "--database-url", url,
                    "--lock-timeout", "2", "--format", "json");
            assertTrue(stuck.err().contains("if Convex then fails, Supabase's 002 cannot be undone (no .down.sql)"),
                    stuck.err());
            JsonNode left = JSON.readTree(stuck.out());
            assertTrue(left.get("message").asText().contains("once that is fixed, 'migrate rollback --database supabase"
                    + " --target 001' takes it back"), left.toString());
        } finally {
            TestConvex.client().mutation("migrations/runner:releaseLock", Map.of("owner", "intruder"));
        }
    }

    /** Convex holds a changed file: the universal run refuses before Supabase applies anything, not after. */
    @Test
    void universalRefusesBeforeSupabaseWhenConvexWouldRefuse() throws Exception {
        Path copy = examples("migrations", name -> true);
        assertEquals(0, CliRun.of(env, "apply", "--target", "002", "--migrations", copy.toString(), "--database-url", url)
                .exitCode());
        Path teams = copy.resolve("002_add_teams.json");
        Files.writeString(teams, Files.readString(teams).replace("Teams owned by users", "Teams owned by their users"));
        CliRun run = CliRun.of(env, "universal", "--migrations", copy.toString(), "--database-url", url);
        assertEquals(5, run.exitCode(), run.toString());
        assertTrue(run.err().contains("the universal run did not start, nothing ran on any database: convex would"
                + " refuse to apply"), run.err());
        assertEquals(List.of("002"), TestPostgres.query(url, "SELECT max(version) FROM migrations"), "003 not applied");

        // the same for a blank template: 'migrate create' wrote both files, the user filled in only the SQL
        Files.writeString(teams, Files.readString(teams).replace("Teams owned by their users", "Teams owned by users"));
        assertEquals(0, CliRun.of(env, "create", "--name", "audit", "--migrations", copy.toString()).exitCode());
        Files.writeString(copy.resolve("004_audit.sql"), "CREATE TABLE audit (id int);\n");
        CliRun blank = CliRun.of(env, "universal", "--migrations", copy.toString(), "--database-url", url);
        assertEquals(2, blank.exitCode(), blank.toString());
        assertTrue(blank.err().contains("convex would refuse to apply: 004_audit.json is still the template"), blank.err());
        assertEquals(List.of("002"), TestPostgres.query(url, "SELECT max(version) FROM migrations"), "nothing applied");
    }

    @Test
    void universalWithConvexDisabledIsSupabaseOnly() throws Exception {
        Map<String, String> off = new java.util.HashMap<>(env);
        off.put("USE_CONVEX", "false");
        CliRun run = run(off, "universal", "--format", "json");
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode result = JSON.readTree(run.out());
        assertTrue(result.get("convex").isNull());
        assertTrue(result.get("message").asText().startsWith("Supabase only"), result.toString());
        assertEquals(0, TestConvex.documents("users").size());
    }

    @Test
    void invokeRunsAHandlerWithAnEventFileAndPrintsLambdasErrorPayload() throws Exception {
        Path events = Path.of("..", "events");
        CliRun ok = run(env, "invoke", "ApplyMigrations", "--event", events.resolve("apply-direct.json").toString());
        assertEquals(0, ok.exitCode(), ok.toString());
        assertEquals("002", JSON.readTree(ok.out()).get("convex").get("finalVersion").asText());
        assertTrue(ok.err().contains("\"event\":\"migration_step\""), "logs go to stderr: " + ok.err());
        Path bad = dir.resolve("bad-event.json");
        Files.writeString(bad, "{\"tagret\": \"002\"}");
        CliRun failed = run(env, "invoke", "ApplyMigrations", "--event", bad.toString());
        assertEquals(2, failed.exitCode(), failed.toString());
        assertTrue(JSON.readTree(failed.out()).get("errorMessage").asText().contains("unknown field 'tagret'"));
        assertEquals("dev.cryoprotect.migrate.lambda.BadInputException",
                JSON.readTree(failed.out()).get("errorType").asText());
        assertEquals(2, run(env, "invoke", "NoSuchFunction", "--event", "x.json").exitCode());
    }

    /** Runs the project's TypeScript compiler on one file; returns its complaints ("" when none). */
    private static String typecheck(Path convexDir, Path file) throws IOException, InterruptedException {
        Process tsc = new ProcessBuilder("node", "node_modules/typescript/bin/tsc", "--noEmit", "--strict",
                "--skipLibCheck", "--module", "esnext", "--moduleResolution", "bundler", "--target", "es2022",
                file.getFileName().toString())
                .directory(convexDir.toFile()).redirectErrorStream(true).start();
        String output = new String(tsc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(tsc.waitFor(120, TimeUnit.SECONDS));
        return tsc.exitValue() == 0 ? "" : output;
    }
}
