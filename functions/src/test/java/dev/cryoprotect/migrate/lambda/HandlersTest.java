package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cryoprotect.migrate.database.postgres.PostgresTarget;
import dev.cryoprotect.migrate.testing.TestAws;
import dev.cryoprotect.migrate.testing.TestConvex;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
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
    /** Which handler each event file is for, by the start of its name (as template.yaml routes them). */
    private static final Map<String, Function<Container, MigrationHandler>> HANDLER_BY_PREFIX = Map.of(
            "status-", MigrationStatus::new, "apply-", ApplyMigrations::new, "rollback-", RollbackMigrations::new,
            "create-", CreateMigration::new, "sync-", SyncData::new,
            "universal-", MigrationStatus::new); // the state machine's input is first given to its Plan state

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

    private Container container() {
        return new Container(env, logLines::add);
    }

    private JsonNode invoke(MigrationHandler handler, String event) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        handler.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, null);
        return JSON.readTree(out.toByteArray());
    }

    private JsonNode invokeFile(MigrationHandler handler, String file) throws IOException {
        return invoke(handler, Files.readString(EVENTS.resolve(file)));
    }

    /** The sample API Gateway event of {@code file} with another JSON body. */
    private static String apiEvent(String file, String body) throws IOException {
        ObjectNode event = (ObjectNode) JSON.readTree(EVENTS.resolve(file).toFile());
        event.put("body", body);
        return event.toString();
    }

    private List<String> appTables() {
        return TestPostgres.tables(url, "public").stream().filter(t -> !t.equals("migrations")).toList();
    }

    @Test
    void statusDirectAndOverApiGateway() throws IOException {
        JsonNode direct = invokeFile(new MigrationStatus(container()), "status-direct.json");
        assertEquals("PENDING", direct.get("migrations").get(0).get("states").get("supabase").asText());
        assertEquals("PENDING", direct.get("migrations").get(0).get("states").get("convex").asText());
        JsonNode api = invokeFile(new MigrationStatus(container()), "status-apigw.json");
        assertEquals(200, api.get("statusCode").asInt());
        assertEquals(direct.get("migrations"), JSON.readTree(api.get("body").asText()).get("migrations"));
    }

    @Test
    void applyToATargetThenOverApiGatewayToTheEnd() throws IOException {
        JsonNode applied = invokeFile(new ApplyMigrations(container()), "apply-direct.json");
        assertEquals("002", applied.get("supabase").get("finalVersion").asText());
        assertEquals("002", applied.get("convex").get("finalVersion").asText());
        assertEquals(List.of("owner"), TestPostgres.query(url, "SELECT role FROM users"));
        assertEquals(1, TestConvex.documents("teams").size());

        JsonNode api = invokeFile(new ApplyMigrations(container()), "apply-apigw.json");
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
    void aDryRunApplyAndADryRunRollbackChangeNothingThenTheRealRollbackDoes() throws IOException {
        JsonNode dry = invokeFile(new ApplyMigrations(container()), "apply-dry-run.json");
        // 003 creates its index CONCURRENTLY, outside a transaction: a dry run cannot undo it, so it is not tried.
        assertEquals(List.of("would_apply", "would_apply", "skipped"), outcomes(dry.get("supabase")));
        assertEquals(List.of("would_apply", "would_apply", "would_apply"), outcomes(dry.get("convex")));
        assertEquals(List.of(), appTables(), "a dry run leaves no table behind");
        assertEquals(List.of("f"), TestPostgres.query(url, "SELECT to_regclass('public.migrations') IS NOT NULL"),
                "not even the history table");
        assertEquals(0, TestConvex.documents("users").size());

        invoke(new ApplyMigrations(container()), "{}");
        List<String> tablesAt003 = appTables();
        int convexUsersAt003 = TestConvex.documents("users").size();

        // rollback-apigw.json: a dry-run rollback to 001 while both databases are at 003.
        JsonNode dryApi = invokeFile(new RollbackMigrations(container()), "rollback-apigw.json");
        assertEquals(200, dryApi.get("statusCode").asInt(), dryApi.toString());
        JsonNode dryRollback = JSON.readTree(dryApi.get("body").asText());
        for (String database : List.of("supabase", "convex")) {
            assertTrue(dryRollback.get(database).get("dryRun").asBoolean());
            assertEquals(List.of("003", "002"), versions(dryRollback.get(database)), dryRollback.toString());
            assertEquals("003", dryRollback.get(database).get("finalVersion").asText());
        }
        assertEquals(List.of("skipped", "would_roll_back"), outcomes(dryRollback.get("supabase")));
        assertEquals(List.of("would_roll_back", "would_roll_back"), outcomes(dryRollback.get("convex")));
        assertEquals(tablesAt003, appTables(), "the dry run dropped nothing");
        assertEquals(List.of("3"), TestPostgres.query(url, "SELECT count(*) FROM migrations"));
        assertEquals(convexUsersAt003, TestConvex.documents("users").size());

        JsonNode rolledBack = invokeFile(new RollbackMigrations(container()), "rollback-direct.json");
        assertEquals("001", rolledBack.get("supabase").get("finalVersion").asText());
        assertEquals("001", rolledBack.get("convex").get("finalVersion").asText());
        assertFalse(appTables().contains("teams"), "002 created teams; rolling back to 001 dropped it: " + appTables());
        assertEquals(List.of("1"), TestPostgres.query(url, "SELECT count(*) FROM migrations"));
    }

    @Test
    void createWritesDraftsToTheBucketAndTheNextCreateTakesTheNextVersion() throws IOException {
        JsonNode created = invokeFile(new CreateMigration(container()), "create-direct.json");
        assertEquals(List.of("004_add_projects.sql", "004_add_projects.down.sql", "004_add_projects.json"),
                JSON.convertValue(created.get("created"), List.class));
        assertEquals("s3://" + bucket + "/drafts/", created.get("directory").asText());
        JsonNode api = invokeFile(new CreateMigration(container()), "create-apigw.json");
        assertEquals(200, api.get("statusCode").asInt(), api.toString());
        assertTrue(api.get("body").asText().contains("005_add_projects.sql"), api.toString());
        assertEquals("-- 004_add_projects", s3.getObjectAsBytes(b -> b.bucket(bucket)
                .key("drafts/004_add_projects.sql")).asUtf8String().substring(0, 19));
        assertEquals(0, s3.listObjectsV2(b -> b.bucket(bucket).prefix("migrations/004")).keyCount(),
                "nothing new among the live migrations");
    }

    @Test
    void badInputIsA400OverApiGatewayAndABadInputErrorOnADirectInvoke() throws IOException {
        JsonNode api = invoke(new CreateMigration(container()), Files.readString(EVENTS.resolve("create-apigw.json"))
                .replace("add_projects", "../../etc/passwd"));
        assertEquals(400, api.get("statusCode").asInt());
        assertTrue(api.get("body").asText().contains("is not snake_case"), api.toString());

        BadInputException direct = assertThrows(BadInputException.class,
                () -> invoke(new ApplyMigrations(container()), "{\"target\": \"abc\"}"));
        assertTrue(direct.getMessage().contains("target must be a version"), direct.getMessage());
        assertThrows(BadInputException.class, () -> invoke(new ApplyMigrations(container()), "{\"tagret\": \"002\"}"));
        assertThrows(BadInputException.class, () -> invoke(new ApplyMigrations(container()), "not json"));
        String huge = Files.readString(EVENTS.resolve("apply-apigw.json")).replace("\"dryRun\\\": false",
                "\"dryRun\\\": false, \\\"pad\\\": \\\"" + "x".repeat(70_000) + "\\\"");
        assertEquals(400, invoke(new ApplyMigrations(container()), huge).get("statusCode").asInt());
        assertEquals(List.of(), appTables());
    }

    /** A deployed function sets up on its first invoke: a failure there is answered as the caller asked. */
    @Test
    void aSetUpFailureOrAnUnexpectedErrorIsAnsweredAsTheCallerAsked() throws IOException {
        env.put("LOCK_TIMEOUT_SECONDS", "abc");
        java.util.function.Supplier<Container> badSetting = this::container;
        JsonNode api = invokeFile(new ApplyMigrations(badSetting), "apply-apigw.json");
        assertEquals(400, api.get("statusCode").asInt(), api.toString());
        assertTrue(JSON.readTree(api.get("body").asText()).at("/error/message").asText().contains("LOCK_TIMEOUT_SECONDS"),
                api.toString());
        assertThrows(BadInputException.class, () -> invoke(new ApplyMigrations(badSetting), "{}"));

        java.util.function.Supplier<Container> broken = () -> {
            throw new IllegalStateException("a bug");
        };
        JsonNode internal = invokeFile(new MigrationStatus(broken), "status-apigw.json");
        assertEquals(500, internal.get("statusCode").asInt(), internal.toString());
        assertTrue(internal.get("body").asText().contains("internal error (a bug: please report it); request "),
                internal.toString());
        assertFalse(internal.get("body").asText().contains("IllegalStateException"), "its text stays in the log");
        assertThrows(MigrationFailedException.class, () -> invoke(new MigrationStatus(broken), "{}"));
    }

    /** The runtime builds the handler during init, before a SnapStart snapshot: priming must be registered by then. */
    @Test
    void theRuntimesConstructorRegistersTheSnapStartPriming() {
        new MigrationStatus();
        assertTrue(Priming.registered());
    }

    @Test
    void aBusyLockIs409OverApiGatewayAndALockBusyErrorOnADirectInvoke() throws Exception {
        try (var holder = new PostgresTarget(TestPostgres.config(url));
             var ignored = holder.lock(Duration.ofSeconds(5))) {
            JsonNode api = invokeFile(new ApplyMigrations(container()), "apply-apigw.json");
            assertEquals(409, api.get("statusCode").asInt(), api.toString());
            assertEquals("lock_busy", JSON.readTree(api.get("body").asText()).get("error").get("failure").asText());
            LockBusyException e = assertThrows(LockBusyException.class,
                    () -> invokeFile(new ApplyMigrations(container()), "apply-direct.json"));
            assertTrue(e.getMessage().contains("another run holds the lock"), e.getMessage());
        }
        assertEquals(List.of(), appTables());
    }

    @Test
    void aFailedMigrationIsA500OverApiGatewayAndAMigrationFailedErrorOnADirectInvoke() throws IOException {
        s3.putObject(b -> b.bucket(bucket).key("migrations/004_broken.sql"),
                RequestBody.fromString("SELECT 1;\nSELECT * FROM nowhere;\n"));
        JsonNode api = invoke(new ApplyMigrations(container()), apiEvent("apply-apigw.json", "{\"database\": \"supabase\"}"));
        assertEquals(500, api.get("statusCode").asInt(), api.toString());
        JsonNode body = JSON.readTree(api.get("body").asText());
        assertEquals("004_broken.sql", body.get("error").get("file").asText());
        assertEquals(2, body.get("error").get("line").asInt());
        assertEquals("migration_failed", body.get("error").get("failure").asText());
        assertEquals("003", body.get("finalVersion").asText(), "001-003 applied, 004 rolled back");

        MigrationFailedException e = assertThrows(MigrationFailedException.class,
                () -> invoke(new ApplyMigrations(container()), "{\"database\": \"supabase\"}"));
        JsonNode result = JSON.readTree(e.getMessage());
        assertEquals("004_broken.sql", result.get("error").get("file").asText());
        assertEquals(2, result.get("error").get("line").asInt());
        assertEquals("003", result.get("finalVersion").asText());
        assertEquals(List.of("3"), TestPostgres.query(url, "SELECT count(*) FROM migrations"));
    }

    @Test
    void anUnreachableDatabaseIsA503OverApiGatewayAndAnUnreachableErrorOnADirectInvoke() throws IOException {
        env.put("SUPABASE_DB_URL", "postgresql://postgres:pw-s3cr3t@127.0.0.1:1/postgres");
        JsonNode api = invokeFile(new MigrationStatus(container()), "status-apigw.json");
        assertEquals(503, api.get("statusCode").asInt(), api.toString());
        assertTrue(api.get("body").asText().contains("cannot connect to PostgreSQL at postgresql://127.0.0.1:1"),
                api.toString());
        UnreachableException e = assertThrows(UnreachableException.class,
                () -> invokeFile(new ApplyMigrations(container()), "apply-direct.json"));
        assertEquals(4, JSON.readTree(e.getMessage()).get("error").get("exitCode").asInt());
        assertFalse(api.toString().contains("pw-s3cr3t") || e.getMessage().contains("pw-s3cr3t")
                || String.join("\n", logLines).contains("pw-s3cr3t"));
    }

    @Test
    void syncRunsDirectlyOnTheScheduleAndOverApiGateway() throws IOException {
        invoke(new ApplyMigrations(container()), "{\"database\": \"supabase\"}");
        JsonNode dry = invokeFile(new SyncData(container()), "sync-direct.json");
        assertTrue(dry.get("dryRun").asBoolean());
        assertEquals(2, dry.get("total_count").asInt(), dry.toString());
        assertEquals(0, TestConvex.documents("users").size(), "a dry run writes nothing");

        JsonNode scheduled = invokeFile(new SyncData(container()), "sync-schedule.json");
        assertEquals(List.of("teams", "users"), JSON.convertValue(scheduled.get("tables"), List.class));
        assertEquals(0, scheduled.get("failure_count").asInt(), scheduled.toString());
        assertEquals(1, TestConvex.documents("users").size());
        JsonNode api = invokeFile(new SyncData(container()), "sync-apigw.json");
        assertEquals(200, api.get("statusCode").asInt(), api.toString());
        assertEquals(0, JSON.readTree(api.get("body").asText()).get("total_count").asInt(),
                "users is past its high-water mark now: nothing changed, nothing to read");
    }

    /** API Gateway answers after 30 s: a sync over it reads for 20 s at most a call; undoRun (compensation) is not taken. */
    @Test
    void overTheApiASyncIsBoundedToAnswerInTimeAndUndoRunIsRefused() throws IOException {
        SyncData sync = new SyncData(container());
        for (String[] given : new String[][] {{"{}", "20"}, {"{\"maxSeconds\": 5}", "5"},
                {"{\"maxSeconds\": 600}", "20"}, {"{\"maxSeconds\": null}", "20"}, {"{\"maxSeconds\": \"x\"}", "x"}}) {
            assertEquals(given[1], sync.overApi(readJson(given[0])).get("maxSeconds").asText(), given[0]);
        }
        assertEquals("{}", new ApplyMigrations(container()).overApi(readJson("{}")).toString(), "apply is not cut");
        JsonNode undo = invoke(new RollbackMigrations(container()), apiEvent("rollback-apigw.json",
                "{\"undoRun\": \"some-run\"}"));
        assertEquals(400, undo.get("statusCode").asInt(), undo.toString());
        assertTrue(undo.get("body").asText().contains("undoRun is the universal run's compensation"), undo.toString());
    }

    private static JsonNode readJson(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aSyncWithRejectedRowsIsAMigrationFailedErrorWithTheSummary() throws IOException {
        TestPostgres.execute(url, "CREATE TABLE big_numbers (id int PRIMARY KEY, n bigint)");
        TestPostgres.execute(url, "INSERT INTO big_numbers VALUES (1, 5), (2, 9007199254740993)");
        MigrationFailedException e = assertThrows(MigrationFailedException.class,
                () -> invoke(new SyncData(container()), "{\"tables\": [\"big_numbers\"]}"));
        JsonNode summary = JSON.readTree(e.getMessage());
        assertEquals(1, summary.get("failure_count").asInt(), summary.toString());
        assertEquals(1, summary.get("success_count").asInt());
        assertEquals(1, TestConvex.documents("big_numbers").size(), "the good row still synced");
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
        JsonNode applied = invokeFile(new ApplyMigrations(container()), "apply-direct.json");
        assertEquals("002", applied.get("convex").get("finalVersion").asText());
        assertFalse(String.join("\n", logLines).contains("pw-s3cr3t"));
        assertFalse(applied.toString().contains("pw-s3cr3t"), "the status target shows the URL without the password");
        assertFalse(String.join("\n", logLines).contains(TestConvex.backend().deployKey()));
    }

    /**
     * Every sample event runs through the handler it is for and succeeds, so a stale sample is caught here rather
     * than by the first user who invokes it. Rollback samples run on a database at 003.
     */
    @TestFactory
    Stream<DynamicTest> everySampleEventSucceedsWithItsHandler() throws IOException {
        List<String> names;
        try (Stream<Path> files = Files.list(EVENTS)) {
            // env-vars.json is not an event: SamLocalEnvVarsTest covers it.
            names = files.map(p -> p.getFileName().toString()).filter(n -> !n.equals("env-vars.json")).sorted().toList();
        }
        assertFalse(names.isEmpty());
        return names.stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            setUp();
            Function<Container, MigrationHandler> handler = HANDLER_BY_PREFIX.entrySet().stream()
                    .filter(e -> name.startsWith(e.getKey())).map(Map.Entry::getValue).findFirst()
                    .orElseThrow(() -> new AssertionError(name + ": no handler is known for this event's name"));
            if (name.startsWith("rollback-") || name.startsWith("sync-")) {
                invoke(new ApplyMigrations(container()), "{}");
            }
            JsonNode response = invokeFile(handler.apply(container()), name);
            if (response.has("statusCode")) {
                assertEquals(200, response.get("statusCode").asInt(), name + ": " + response);
            } else {
                assertFalse(response.has("error"), name + ": " + response);
            }
        }));
    }

    private static List<String> outcomes(JsonNode result) {
        List<String> outcomes = new ArrayList<>();
        result.get("steps").forEach(s -> outcomes.add(s.get("outcome").asText()));
        return outcomes;
    }

    private static List<String> versions(JsonNode result) {
        List<String> versions = new ArrayList<>();
        result.get("steps").forEach(s -> versions.add(s.get("version").asText()));
        return versions;
    }
}
