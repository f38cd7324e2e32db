package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.Orchestrator;
import dev.cryoprotect.migrate.database.DatabaseTarget;
import dev.cryoprotect.migrate.database.convex.ConvexTarget;
import dev.cryoprotect.migrate.database.postgres.PostgresTarget;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.source.DirectorySource;
import dev.cryoprotect.migrate.testing.MigrationFiles;
import dev.cryoprotect.migrate.testing.TestAws;
import dev.cryoprotect.migrate.testing.TestConvex;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sfn.SfnClient;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * statemachine/universal.asl.json: accepted by (LocalStack's) Step Functions, and executed by aws-local-stepfunctions
 * with its Task states running the real handlers through `migrate invoke`, over embedded PostgreSQL and the local
 * Convex backend.
 */
class StateMachineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path STATEMACHINE = Path.of("..", "statemachine").toAbsolutePath().normalize();

    @TempDir
    Path migrations;
    private String url;

    @BeforeEach
    void setUp() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("..", "migrations"))) {
            for (Path f : files.toList()) {
                Files.copy(f, migrations.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        url = TestPostgres.newDatabase();
        TestConvex.reset();
    }

    @Test
    void stepFunctionsAcceptsTheDefinition() throws IOException {
        String definition = Files.readString(STATEMACHINE.resolve("universal.asl.json"))
                .replaceAll("\\$\\{(\\w+)Arn}", "arn:aws:lambda:us-east-1:000000000000:function:$1:live");
        SfnClient sfn = TestAws.client(SfnClient.builder());
        String arn = sfn.createStateMachine(b -> b.name("universal-" + UUID.randomUUID())
                .roleArn("arn:aws:iam::000000000000:role/universal-run").definition(definition)).stateMachineArn();
        JsonNode stored = JSON.readTree(sfn.describeStateMachine(b -> b.stateMachineArn(arn)).definition());
        assertEquals("Defaults", stored.get("StartAt").asText());
        assertEquals(29, stored.get("States").size());

        String sync = Files.readString(STATEMACHINE.resolve("sync.asl.json"))
                .replaceAll("\\$\\{(\\w+)Arn}", "arn:aws:lambda:us-east-1:000000000000:function:$1:live");
        String syncArn = sfn.createStateMachine(b -> b.name("sync-" + UUID.randomUUID())
                .roleArn("arn:aws:iam::000000000000:role/sync-run").definition(sync)).stateMachineArn();
        JsonNode storedSync = JSON.readTree(sfn.describeStateMachine(b -> b.stateMachineArn(syncArn)).definition());
        assertEquals("Defaults", storedSync.get("StartAt").asText());
        assertEquals(12, storedSync.get("States").size());
    }

    @Test
    void aUniversalRunAppliesSupabaseThenConvexThenSyncs() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode input = (com.fasterxml.jackson.databind.node.ObjectNode)
                JSON.readTree(Files.readString(Path.of("..", "events", "universal-input.json")));
        input.put("sync", true).putArray("tables").add("teams");
        JsonNode run = execute(input.toString(), Map.of());
        assertEquals("SUCCEEDED", run.get("status").asText(), run.toString());
        assertEquals(List.of("Plan", "ApplySupabase", "ApplyConvex", "Sync"), JSON.convertValue(run.get("states"), List.class));
        JsonNode output = run.get("output");
        assertEquals("003", output.get("plan").get("target").asText(), "no target given: pinned to the highest file");
        assertEquals(1, output.get("sync").get("total_count").asInt(), output.get("sync").toString());
        assertEquals(2, TestConvex.documents("teams").size(), "the migration's team and the synced row");
        assertEquals("003", output.get("supabase").get("finalVersion").asText());
        assertEquals("003", output.get("convex").get("finalVersion").asText());
        assertEquals(3, output.get("convex").get("steps").get("applied").asInt(), output.toString());
        assertEquals(List.of("owner"), TestPostgres.query(url, "SELECT role FROM users"));
        assertEquals(List.of("3"), TestPostgres.query(url, "SELECT count(*) FROM migrations WHERE run_id = '"
                + run.get("executionName").asText() + "'"), "every row carries the execution's name as its run id");
    }

    /** Both databases at 001; 002 and 003 apply on both, 004 applies on Supabase and fails on Convex. */
    private void atOneWithAFailingFourOnConvex(String supabaseDown) {
        try (DatabaseTarget pg = new PostgresTarget(TestPostgres.config(url));
             DatabaseTarget cx = new ConvexTarget(TestConvex.client(), ConvexTarget.Options.defaults())) {
            new Orchestrator(List.of(pg, cx), new Orchestrator.Settings(new DirectorySource(migrations),
                    Duration.ofSeconds(10), false, "test", e -> { }, w -> { }, null)).apply(Version.parse("001"), false);
        }
        new MigrationFiles(migrations)
                .write("004_audit.sql", "CREATE TABLE audit (id int);\n")
                .write("004_audit.down.sql", supabaseDown)
                .write("004_audit.json", MigrationFiles.failingInConvex("004"));
    }

    @Test
    void whenConvexFailsAfterApplyingSomeTheRunIsUndoneOnBothConvexFirst() throws Exception {
        atOneWithAFailingFourOnConvex("DROP TABLE audit;\n");
        int convexUsersAtOne = TestConvex.documents("users").size();
        JsonNode run = execute("{\"target\": null, \"dryRun\": false, \"sync\": false, \"tables\": []}", Map.of());
        assertEquals("FAILED", run.get("status").asText(), run.toString());
        assertEquals("UniversalRunFailed", run.get("error").asText());
        assertEquals(List.of("Plan", "ApplySupabase", "ApplyConvex", "Compensate", "NotifyRunFailed"),
                JSON.convertValue(run.get("states"), List.class));
        JsonNode cause = run.get("outcome");
        assertTrue(cause.get("compensated").asBoolean(), cause.toString());
        assertEquals("ApplyConvex", cause.get("failure").get("step").asText());
        assertTrue(cause.get("failure").get("error").get("Cause").asText().contains("004_audit.json"), cause.toString());
        assertEquals(Map.of("convex", "001", "supabase", "001"), JSON.convertValue(cause.get("ended"), Map.class));
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT max(version) FROM migrations"));
        assertEquals(List.of("migrations", "users"), TestPostgres.tables(url, "public"), "002-004 were rolled back");
        assertEquals(List.of("001"), convexVersions(), "Convex's own 002 and 003 were undone too");
        assertEquals(0, TestConvex.documents("teams").size());
        assertEquals(convexUsersAtOne, TestConvex.documents("users").size());
        assertEquals(1, run.get("notifications").size());
        assertEquals(cause, run.get("notifications").get(0).get("message"), "the topic gets what the execution says");
    }

    @Test
    void aDryRunThatWouldFailIsNeverCompensated() throws Exception {
        atOneWithAFailingFourOnConvex("DROP TABLE audit;\n");
        JsonNode run = execute("{\"target\": null, \"dryRun\": true, \"sync\": false, \"tables\": []}", Map.of());
        assertEquals("FAILED", run.get("status").asText(), run.toString());
        assertEquals(List.of("Plan", "ApplySupabase", "ApplyConvex", "NotifyRunFailed"),
                JSON.convertValue(run.get("states"), List.class), "no Compensate state");
        JsonNode cause = run.get("outcome");
        assertFalse(cause.get("compensated").asBoolean());
        assertEquals("dry run: nothing was changed", cause.get("note").asText());
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT max(version) FROM migrations"));
        assertEquals(List.of("001"), convexVersions());
    }

    @Test
    void aCompensationThatFailsIsNotifiedSeparatelyWithWhatItCouldNotUndo() throws Exception {
        atOneWithAFailingFourOnConvex("DROP TABLE no_such_table;\n");
        JsonNode run = execute("{\"target\": null, \"dryRun\": false, \"sync\": false, \"tables\": []}", Map.of());
        assertEquals("FAILED", run.get("status").asText(), run.toString());
        assertEquals("CompensationFailed", run.get("error").asText());
        assertEquals(List.of("Plan", "ApplySupabase", "ApplyConvex", "Compensate", "NotifyCompensationFailed",
                "NotifyRunFailed"), JSON.convertValue(run.get("states"), List.class));
        JsonNode notification = run.get("notifications").get(0);
        assertEquals("NotifyCompensationFailed", notification.get("state").asText());
        assertTrue(notification.get("topic").asText().contains("CompensationFailedTopic"), notification.toString());
        JsonNode message = notification.get("message");
        assertFalse(message.get("compensated").asBoolean());
        String error = message.get("compensationError").get("Cause").asText();
        assertTrue(error.contains("004_audit.down.sql") && error.contains("no_such_table"), error);
        assertEquals(List.of("001"), convexVersions(), "Convex, the newer layer, was undone first");
        assertEquals(List.of("004"), TestPostgres.query(url, "SELECT max(version) FROM migrations"),
                "Supabase stays where the failed down file left it, as the notification says");
    }

    @Test
    void aThousandMigrationsKeepTheStateSmall() throws Exception {
        MigrationFiles files = new MigrationFiles(migrations);
        try (Stream<Path> existing = Files.list(migrations)) {
            for (Path f : existing.toList()) {
                Files.delete(f);
            }
        }
        for (int i = 1; i <= 1000; i++) {
            String v = String.format("%04d", i);
            files.write(v + "_step.sql", "CREATE TABLE t" + i + " (id int);\n");
            files.write(v + "_step.down.sql", "DROP TABLE t" + i + ";\n");
            files.write(v + "_step.json", "{\"version\": \"" + v + "\", \"schema\": {\"steps\": {\"n\": \"number\"}},"
                    + " \"data\": [{\"type\": \"insert\", \"table\": \"steps\", \"data\": {\"n\": " + i + "}}]}");
        }
        JsonNode run = execute("{}", Map.of()); // as a console user starts it: every field has a default
        assertEquals("SUCCEEDED", run.get("status").asText(), run.toString());
        assertEquals(1000, run.get("output").get("convex").get("steps").get("applied").asInt());
        int largest = run.get("largestState").asInt();
        assertTrue(largest < 32 * 1024, "largest state " + largest + " bytes");
        System.out.println("1,000 migrations: largest state data " + largest + " bytes");
    }

    @Test
    void withConvexDisabledItIsASupabaseOnlyRun() throws Exception {
        JsonNode run = execute("{\"target\": \"002\", \"dryRun\": false, \"sync\": false, \"tables\": []}",
                Map.of("USE_CONVEX", "false"));
        assertEquals("SUCCEEDED", run.get("status").asText(), run.toString());
        assertEquals(List.of("Plan", "ApplySupabase"), JSON.convertValue(run.get("states"), List.class));
        assertFalse(run.get("output").get("plan").get("convex").asBoolean());
        assertEquals(List.of("002"), TestPostgres.query(url, "SELECT max(version) FROM migrations"));
        assertEquals(0, TestConvex.documents("users").size());
    }

    private List<String> convexVersions() {
        Map<?, ?> applied = (Map<?, ?>) TestConvex.client().query("migrations/runner:listApplied", Map.of());
        return ((List<?>) applied.get("applied")).stream().map(r -> (String) ((Map<?, ?>) r).get("version")).sorted()
                .toList();
    }

    /** Runs statemachine/run-local.mjs; its Task states call this test's classes through `migrate invoke`. */
    private JsonNode execute(String input, Map<String, String> extraEnv) throws IOException, InterruptedException {
        String executionName = "run-" + UUID.randomUUID();
        ProcessBuilder pb = new ProcessBuilder("node", "run-local.mjs", input).directory(STATEMACHINE.toFile());
        Map<String, String> env = new HashMap<>(Map.of(
                "MIGRATE_COMMAND", JSON.writeValueAsString(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(), "-cp", System.getProperty("java.class.path"), "dev.cryoprotect.migrate.app.Main")),
                "SUPABASE_DB_URL", url, "CONVEX_URL", TestConvex.backend().url(),
                "CONVEX_DEPLOY_KEY", TestConvex.backend().deployKey(), "MIGRATIONS_DIR", migrations.toString(),
                "LOCK_TIMEOUT_SECONDS", "5", "EXECUTION_NAME", executionName));
        env.putAll(extraEnv);
        pb.environment().putAll(env);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process process = pb.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(300, TimeUnit.SECONDS), "the local execution finished");
        return ((com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(out)).put("executionName", executionName);
    }
}
