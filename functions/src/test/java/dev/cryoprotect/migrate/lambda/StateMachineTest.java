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
        assertEquals("Plan", stored.get("StartAt").asText());
        assertEquals(12, stored.get("States").size());
    }

    @Test
    void aUniversalRunAppliesSupabaseThenConvexThenSyncs() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode input = (com.fasterxml.jackson.databind.node.ObjectNode)
                JSON.readTree(Files.readString(Path.of("..", "events", "universal-input.json")));
        input.put("sync", true).putArray("tables").add("teams");
        JsonNode run = execute(input.toString(), Map.of());
        assertEquals("SUCCEEDED", run.get("status").asText(), run.toString());
        assertEquals(List.of("Plan", "ApplySupabase", "ApplyConvex", "Sync"), JSON.convertValue(run.get("states"), List.class));
        assertEquals(1, run.get("output").get("sync").get("total_count").asInt(), run.get("output").get("sync").toString());
        assertEquals(2, TestConvex.documents("teams").size(), "the migration's team and the synced row");
        assertEquals("003", run.get("output").get("supabase").get("finalVersion").asText());
        assertEquals("003", run.get("output").get("convex").get("finalVersion").asText());
        assertEquals(List.of("owner"), TestPostgres.query(url, "SELECT role FROM users"));
    }

    @Test
    void whenConvexFailsSupabaseGoesBackToItsPreRunVersion() throws Exception {
        try (DatabaseTarget pg = new PostgresTarget(TestPostgres.config(url));
             DatabaseTarget cx = new ConvexTarget(TestConvex.client(), ConvexTarget.Options.defaults())) {
            new Orchestrator(List.of(pg, cx), new Orchestrator.Settings(new DirectorySource(migrations),
                    Duration.ofSeconds(10), false, "test", e -> { }, w -> { })).apply(Version.parse("001"), false);
        }
        new MigrationFiles(migrations)
                .write("004_audit.sql", "CREATE TABLE audit (id int);\n")
                .write("004_audit.down.sql", "DROP TABLE audit;\n")
                .write("004_audit.json", """
                        {"version": "004", "schema": {"migration_locks": {"bogus": "number"}},
                         "data": [{"type": "insert", "table": "migration_locks", "data": {"bogus": 1}}]}
                        """);
        JsonNode run = execute("{\"target\": null, \"dryRun\": false, \"sync\": false, \"tables\": []}", Map.of());
        assertEquals("FAILED", run.get("status").asText(), run.toString());
        assertEquals("dev.cryoprotect.migrate.lambda.MigrationFailedException", run.get("error").asText());
        assertTrue(run.get("cause").asText().contains("004_audit.json"), run.get("cause").asText());
        assertEquals(List.of("Plan", "ApplySupabase", "ApplyConvex", "RollBackSupabaseToPlan"),
                JSON.convertValue(run.get("states"), List.class));
        assertEquals(List.of("001"), TestPostgres.query(url, "SELECT max(version) FROM migrations"));
        assertEquals(List.of("migrations", "users"), TestPostgres.tables(url, "public"), "002-004 were rolled back");
    }

    @Test
    void withConvexDisabledItIsASupabaseOnlyRun() throws Exception {
        JsonNode run = execute("{\"target\": \"002\", \"dryRun\": false, \"sync\": false, \"tables\": []}",
                Map.of("USE_CONVEX", "false"));
        assertEquals("SUCCEEDED", run.get("status").asText(), run.toString());
        assertEquals(List.of("Plan", "ApplySupabase"), JSON.convertValue(run.get("states"), List.class));
        assertFalse(run.get("output").get("plan").get("databases").has("convex"));
        assertEquals(List.of("002"), TestPostgres.query(url, "SELECT max(version) FROM migrations"));
        assertEquals(0, TestConvex.documents("users").size());
    }

    /** Runs statemachine/run-local.mjs; its Task states call this test's classes through `migrate invoke`. */
    private JsonNode execute(String input, Map<String, String> extraEnv) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("node", "run-local.mjs", input).directory(STATEMACHINE.toFile());
        Map<String, String> env = new HashMap<>(Map.of(
                "MIGRATE_COMMAND", JSON.writeValueAsString(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(), "-cp", System.getProperty("java.class.path"), "dev.cryoprotect.migrate.app.Main")),
                "SUPABASE_DB_URL", url, "CONVEX_URL", TestConvex.backend().url(),
                "CONVEX_DEPLOY_KEY", TestConvex.backend().deployKey(), "MIGRATIONS_DIR", migrations.toString(),
                "LOCK_TIMEOUT_SECONDS", "5"));
        env.putAll(extraEnv);
        pb.environment().putAll(env);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process process = pb.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(180, TimeUnit.SECONDS), "the local execution finished");
        return JSON.readTree(out);
    }
}
