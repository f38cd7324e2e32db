package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.testing.TestAws;
import dev.cryoprotect.migrate.testing.TestConvex;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The handlers driven by the sample events in events/, against migrations in S3 (LocalStack), embedded PostgreSQL and
 * the local Convex backend, as a deployed function would run them.
 */
class HandlersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path EVENTS = Path.of("..", "events");
    private static final Path EXAMPLES = Path.of("..", "migrations");

    private S3Client s3;
    private String bucket;
    private String url;
    private final List<String> logLines = new ArrayList<>();
    private Map<String, String> env;

    @BeforeEach
    void setUp() throws IOException {
        s3 = TestAws.client(S3Client.builder().forcePathStyle(true));
        bucket = "migrations-" + UUID.randomUUID();
        s3.createBucket(b -> b.bucket(bucket));
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            for (Path f : files.toList()) {
                s3.putObject(b -> b.bucket(bucket).key("migrations/" + f.getFileName()), RequestBody.fromFile(f));
            }
        }
        url = TestPostgres.newDatabase();
        TestConvex.reset();
        env = new HashMap<>(Map.of("MIGRATIONS_BUCKET", bucket, "AWS_ENDPOINT_URL", TestAws.ENDPOINT,
                "SUPABASE_DB_URL", url, "CONVEX_URL", TestConvex.backend().url(),
                "CONVEX_DEPLOY_KEY", TestConvex.backend().deployKey(), "LOCK_TIMEOUT_SECONDS", "2"));
    }

    private Services services() {
        return new Services(LambdaConfig.from(env), new JsonLog(logLines::add, "test"));
    }

    private JsonNode invoke(MigrationHandler handler, String event) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        handler.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, null);
        return JSON.readTree(out.toByteArray());
    }

    private JsonNode invokeFile(MigrationHandler handler, String file) throws IOException {
        return invoke(handler, Files.readString(EVENTS.resolve(file)));
    }

    @Test
    void statusDirectAndOverApiGateway() throws IOException {
        JsonNode direct = invokeFile(new MigrationStatus(services()), "status-direct.json");
        assertEquals("PENDING", direct.get("migrations").get(0).get("states").get("supabase").asText());
        assertEquals("PENDING", direct.get("migrations").get(0).get("states").get("convex").asText());
        JsonNode api = invokeFile(new MigrationStatus(services()), "status-apigw.json");
        assertEquals(200, api.get("statusCode").asInt());
        assertEquals(direct.get("migrations"), JSON.readTree(api.get("body").asText()).get("migrations"));
    }

    @Test
    void applyToATargetThenOverApiGatewayToTheEnd() throws IOException {
        JsonNode applied = invokeFile(new ApplyMigrations(services()), "apply-direct.json");
        assertEquals("002", applied.get("supabase").get("finalVersion").asText());
        assertEquals("002", applied.get("convex").get("finalVersion").asText());
        assertEquals(List.of("owner"), TestPostgres.query(url, "SELECT role FROM users"));
        assertEquals(1, TestConvex.documents("teams").size());

        JsonNode api = invokeFile(new ApplyMigrations(services()), "apply-apigw.json");
        assertEquals(200, api.get("statusCode").asInt(), api.toString());
        JsonNode body = JSON.readTree(api.get("body").asText());
        assertEquals("003", body.get("supabase").get("finalVersion").asText());

        // Each step was logged as one JSON line, and the run report landed under migration_logs/.
        assertTrue(logLines.stream().anyMatch(l -> l.contains("\"event\":\"migration_step\"")
                && l.contains("\"version\":\"003\"") && l.contains("\"outcome\":\"applied\"")), logLines.toString());
        List<String> reports = s3.listObjectsV2(b -> b.bucket(bucket).prefix("migration_logs/")).contents().stream()
                .map(S3Object::key).toList();
        assertEquals(2, reports.size(), reports.toString());
        assertTrue(reports.get(0).matches("migration_logs/\\d{4}/\\d{2}/\\d{2}/[-0-9a-f]+\\.json"), reports.get(0));
    }

    @Test
    void dryRunAndRollbackEvents() throws IOException {
        JsonNode dry = invokeFile(new ApplyMigrations(services()), "apply-dry-run.json");
        assertTrue(dry.get("supabase").get("dryRun").asBoolean());
        assertEquals(List.of(), TestPostgres.tables(url, "public").stream().filter(t -> !t.equals("migrations")).toList());

        invoke(new ApplyMigrations(services()), "{}");
        JsonNode rolledBack = invokeFile(new RollbackMigrations(services()), "rollback-direct.json");
        assertEquals("001", rolledBack.get("supabase").get("finalVersion").asText());
        assertEquals("001", rolledBack.get("convex").get("finalVersion").asText());
        JsonNode dryApi = invokeFile(new RollbackMigrations(services()), "rollback-apigw.json");
        assertEquals(200, dryApi.get("statusCode").asInt());
    }

    @Test
    void createWritesToTheBucketAndTheNextCreateTakesTheNextVersion() throws IOException {
        JsonNode created = invokeFile(new CreateMigration(services()), "create-direct.json");
        assertEquals(List.of("004_add_projects.sql", "004_add_projects.down.sql", "004_add_projects.json"),
                JSON.convertValue(created.get("created"), List.class));
        JsonNode api = invokeFile(new CreateMigration(services()), "create-apigw.json");
        assertEquals(200, api.get("statusCode").asInt(), api.toString());
        assertTrue(api.get("body").asText().contains("005_add_projects.sql"), api.toString());
        assertEquals("-- 004_add_projects", s3.getObjectAsBytes(b -> b.bucket(bucket)
                .key("migrations/004_add_projects.sql")).asUtf8String().substring(0, 19));
    }

    @Test
    void badInputIsA400OverApiGatewayAndABadInputErrorOnADirectInvoke() throws IOException {
        JsonNode api = invoke(new CreateMigration(services()), Files.readString(EVENTS.resolve("create-apigw.json"))
                .replace("add_projects", "../../etc/passwd"));
        assertEquals(400, api.get("statusCode").asInt());
        assertTrue(api.get("body").asText().contains("is not snake_case"), api.toString());

        BadInputException direct = assertThrows(BadInputException.class,
                () -> invoke(new ApplyMigrations(services()), "{\"target\": \"abc\"}"));
        assertTrue(direct.getMessage().contains("target must be a version"), direct.getMessage());
        assertThrows(BadInputException.class, () -> invoke(new ApplyMigrations(services()), "{\"tagret\": \"002\"}"));
        assertThrows(BadInputException.class, () -> invoke(new ApplyMigrations(services()), "not json"));
        String huge = Files.readString(EVENTS.resolve("apply-apigw.json")).replace("\"dryRun\\\": false",
                "\"dryRun\\\": false, \\\"pad\\\": \\\"" + "x".repeat(70_000) + "\\\"");
        assertEquals(400, invoke(new ApplyMigrations(services()), huge).get("statusCode").asInt());
    }

    @Test
    void aBusyLockIs409OverApiGatewayAndALockBusyErrorOnADirectInvoke() throws Exception {
        try (var holder = new dev.cryoprotect.migrate.target.postgres.PostgresTarget(TestPostgres.config(url));
             var ignored = holder.lock(java.time.Duration.ofSeconds(5))) {
            JsonNode api = invokeFile(new ApplyMigrations(services()), "apply-apigw.json");
            assertEquals(409, api.get("statusCode").asInt(), api.toString());
            LockBusyException e = assertThrows(LockBusyException.class,
                    () -> invokeFile(new ApplyMigrations(services()), "apply-direct.json"));
            assertTrue(e.getMessage().contains("another run holds the lock"), e.getMessage());
        }
    }

    @Test
    void aFailedMigrationIsA500WithTheFileAndLine() throws IOException {
        s3.putObject(b -> b.bucket(bucket).key("migrations/004_broken.sql"),
                RequestBody.fromString("SELECT 1;\nSELECT * FROM nowhere;\n"));
        MigrationFailedException e = assertThrows(MigrationFailedException.class,
                () -> invoke(new ApplyMigrations(services()), "{\"database\": \"supabase\"}"));
        JsonNode result = JSON.readTree(e.getMessage());
        assertEquals("004_broken.sql", result.get("error").get("file").asText());
        assertEquals(2, result.get("error").get("line").asInt());
        assertEquals("003", result.get("finalVersion").asText());
    }

    @Test
    void syncRunsDirectlyOnTheScheduleAndOverApiGateway() throws IOException {
        invoke(new ApplyMigrations(services()), "{\"database\": \"supabase\"}");
        JsonNode dry = invokeFile(new SyncData(services()), "sync-direct.json");
        assertTrue(dry.get("dryRun").asBoolean());
        assertEquals(2, dry.get("total_count").asInt(), dry.toString());
        assertEquals(0, TestConvex.documents("users").size(), "a dry run writes nothing");

        JsonNode scheduled = invokeFile(new SyncData(services()), "sync-schedule.json");
        assertEquals(List.of("teams", "users"), JSON.convertValue(scheduled.get("tables"), List.class));
        assertEquals(0, scheduled.get("failure_count").asInt(), scheduled.toString());
        assertEquals(1, TestConvex.documents("users").size());
        JsonNode api = invokeFile(new SyncData(services()), "sync-apigw.json");
        assertEquals(200, api.get("statusCode").asInt(), api.toString());
        assertEquals(0, JSON.readTree(api.get("body").asText()).get("total_count").asInt(),
                "users is past its high-water mark now: nothing changed, nothing to read");
    }

    @Test
    void secretsComeFromSecretsManagerAndNeverReachTheLogs() throws IOException {
        SecretsManagerClient secrets = TestAws.client(SecretsManagerClient.builder());
        String name = "db-" + UUID.randomUUID();
        String arn = secrets.createSecret(b -> b.name(name).secretString("{\"url\": \"" + url + "&password=pw-s3cr3t\"}")).arn();
        String keyArn = secrets.createSecret(b -> b.name("convex-" + name)
                .secretString("{\"deployKey\": \"" + TestConvex.backend().deployKey() + "\"}")).arn();
        env.remove("SUPABASE_DB_URL");
        env.remove("CONVEX_DEPLOY_KEY");
        env.put("DATABASE_SECRET_ARN", arn);
        env.put("CONVEX_DEPLOY_KEY_SECRET_ARN", keyArn);
        JsonNode applied = invokeFile(new ApplyMigrations(services()), "apply-direct.json");
        assertEquals("002", applied.get("convex").get("finalVersion").asText());
        assertFalse(String.join("\n", logLines).contains("pw-s3cr3t"));
        assertFalse(applied.toString().contains("pw-s3cr3t"), "the status target shows the URL without the password");
        assertFalse(String.join("\n", logLines).contains(TestConvex.backend().deployKey()));
    }

    @Test
    void everyEventFileIsUsedByATestOrTheStateMachine() throws IOException {
        try (Stream<Path> files = Files.list(EVENTS)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            String tests = Files.readString(Path.of("src/test/java/dev/cryoprotect/migrate/lambda/HandlersTest.java"))
                    + Files.readString(Path.of("src/test/java/dev/cryoprotect/migrate/lambda/StateMachineTest.java"));
            for (String name : names) {
                assertTrue(tests.contains("\"" + name + "\""), name + " is not exercised");
                JSON.readTree(EVENTS.resolve(name).toFile()); // and is valid JSON
            }
        }
    }
}
