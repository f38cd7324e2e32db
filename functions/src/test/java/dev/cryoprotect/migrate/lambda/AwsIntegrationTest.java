package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.model.StepOutcome;
import dev.cryoprotect.migrate.report.StepEvent;
import dev.cryoprotect.migrate.report.StepResult;
import dev.cryoprotect.migrate.testing.SamTemplate;
import dev.cryoprotect.migrate.testing.TestAws;
import dev.cryoprotect.migrate.testing.TestConvex;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.cloudwatchlogs.CloudWatchLogsClient;
import software.amazon.awssdk.services.cloudwatchlogs.model.InputLogEvent;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The log format and the schedule against the real service APIs (LocalStack). */
class AwsIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * CloudWatch stores each line as it is, one JSON object per step with the fields an alarm would filter on. (A
     * filter pattern's matching cannot be checked here: LocalStack's community edition matches every event.)
     */
    @Test
    void eachStepIsOneJsonLineThatCloudWatchStoresUnchanged() throws Exception {
        List<String> lines = new ArrayList<>();
        JsonLog log = new JsonLog(lines::add, "ApplyMigrations");
        log.step(new StepEvent("run-1", "supabase", "apply", false,
                new StepResult("001", "initial_schema", "001_initial_schema.sql", StepOutcome.APPLIED, 12, null)));
        log.step(new StepEvent("run-1", "convex", "apply", false,
                new StepResult("002", "add_teams", "002_add_teams.json", StepOutcome.FAILED, 7, "002_add_teams.json:14: boom")));
        log.event("invoke_failed", "ERROR", "ApplyMigrations failed");

        CloudWatchLogsClient logs = TestAws.client(CloudWatchLogsClient.builder());
        String group = "/aws/lambda/migrate-test-" + UUID.randomUUID();
        logs.createLogGroup(b -> b.logGroupName(group));
        logs.createLogStream(b -> b.logGroupName(group).logStreamName("s1"));
        long now = System.currentTimeMillis();
        List<InputLogEvent> events = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            events.add(InputLogEvent.builder().timestamp(now + i).message(lines.get(i)).build());
        }
        logs.putLogEvents(b -> b.logGroupName(group).logStreamName("s1").logEvents(events));
        List<String> stored = logs.getLogEvents(b -> b.logGroupName(group).logStreamName("s1").startFromHead(true))
                .events().stream().map(e -> e.message()).toList();
        assertEquals(lines, stored);

        JsonNode failed = JSON.readTree(stored.get(1));
        assertEquals("migration_step", failed.get("event").asText());
        assertEquals("failed", failed.get("outcome").asText());
        assertEquals("ERROR", failed.get("level").asText());
        assertEquals("002", failed.get("version").asText());
        assertEquals("convex", failed.get("database").asText());
        assertEquals("ApplyMigrations", failed.get("function").asText());
        assertEquals("INFO", JSON.readTree(stored.get(0)).get("level").asText());
        assertEquals("applied", JSON.readTree(stored.get(0)).get("outcome").asText());
    }

    /**
     * The SyncData schedule exactly as template.yaml declares it: EventBridge accepts its expression, and the input
     * it delivers (the rule target's Input, not the scheduled-event envelope) runs a real sync.
     */
    @Test
    void templateSyncScheduleIsAValidRuleWhoseInputRunsASync() throws Exception {
        JsonNode schedule = SamTemplate.function("SyncData").path("Events").path("Schedule");
        assertEquals("Schedule", schedule.path("Type").asText());
        String expression = SamTemplate.parameterDefault(schedule.path("Properties").path("Schedule").asText());
        String input = schedule.path("Properties").path("Input").asText();

        EventBridgeClient events = TestAws.client(EventBridgeClient.builder());
        String name = "sync-schedule-" + UUID.randomUUID();
        events.putRule(b -> b.name(name).scheduleExpression(expression).state("DISABLED"));
        events.putTargets(b -> b.rule(name).targets(t -> t.id("SyncData")
                .arn("arn:aws:lambda:us-east-1:000000000000:function:SyncData:live").input(input)));
        assertEquals(expression, events.describeRule(b -> b.name(name)).scheduleExpression());
        String delivered = events.listTargetsByRule(b -> b.rule(name)).targets().get(0).input();

        String url = TestPostgres.newDatabase();
        TestPostgres.execute(url, "CREATE TABLE notes (id int PRIMARY KEY, body text);"
                + " INSERT INTO notes VALUES (1, 'a'), (2, 'b')");
        TestConvex.reset();
        Map<String, String> env = new HashMap<>(TestConvex.environment());
        env.put("SUPABASE_DB_URL", url);
        env.put("MIGRATIONS_DIR", "../migrations");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new SyncData(new Container(env, line -> { })).handleRequest(
                new ByteArrayInputStream(delivered.getBytes(StandardCharsets.UTF_8)), out, null);
        JsonNode summary = JSON.readTree(out.toByteArray());
        assertTrue(summary.path("tables").toString().contains("notes"), summary.toString());
        assertEquals(0, summary.get("failure_count").asInt(), summary.toString());
        assertEquals(2, TestConvex.documents("notes").size());
    }

    private static String secret(String value) {
        SecretsManagerClient secrets = TestAws.client(SecretsManagerClient.builder());
        return secrets.createSecret(b -> b.name("migrate-test-" + UUID.randomUUID()).secretString(value)).arn();
    }

    private static void updateSecret(String arn, String value) {
        TestAws.client(SecretsManagerClient.builder()).putSecretValue(b -> b.secretId(arn).secretString(value));
    }

    private static Map<String, String> aws() {
        return new HashMap<>(Map.of("AWS_ENDPOINT_URL", TestAws.ENDPOINT, "AWS_REGION", TestAws.REGION,
                "AWS_LAMBDA_FUNCTION_NAME", "MigrationStatus"));
    }

    /**
     * A stack parameter changed by a redeploy reaches a warm container through the runtime settings secret, without
     * a new function version: the next invoke after the TTL runs with the new value.
     */
    @Test
    void aChangedRuntimeSettingReachesAWarmContainer() throws Exception {
        String urlA = TestPostgres.newDatabase();
        String urlB = TestPostgres.newDatabase();
        TestPostgres.execute(urlB, "CREATE TABLE marker_b (id int)");
        String arn = secret("{\"SUPABASE_DB_URL\": \"" + urlA + "\", \"USE_CONVEX\": \"false\"}");
        Map<String, String> env = aws();
        env.put("RUNTIME_SETTINGS_SECRET_ARN", arn);
        env.put("RUNTIME_SETTINGS_TTL_SECONDS", "1");
        env.put("MIGRATIONS_DIR", "../migrations");
        Container.Source source = new Container.Source(env, line -> { });
        Container first = source.current();
        assertEquals(urlA, first.wiring().settings().databaseUrl());
        assertEquals(first, source.current(), "within the TTL the container is reused");

        updateSecret(arn, "{\"SUPABASE_DB_URL\": \"" + urlB + "\", \"USE_CONVEX\": \"false\"}");
        Thread.sleep(1100);
        Container second = source.current();
        assertEquals(urlB, second.wiring().settings().databaseUrl(), "the new value after the TTL");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new MigrationStatus(second).handleRequest(new ByteArrayInputStream("{}".getBytes()), out, null);
        assertTrue(JSON.readTree(out.toByteArray()).path("databases").path("supabase").path("target").asText()
                .contains(urlB.substring(urlB.lastIndexOf('/'))), out.toString());

        updateSecret(arn, "{\"NOT_A_SETTING\": \"x\"}");
        Thread.sleep(1100);
        ByteArrayOutputStream bad = new ByteArrayOutputStream();
        Container.Source fresh = new Container.Source(env, line -> { });
        dev.cryoprotect.migrate.MigrateException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.cryoprotect.migrate.MigrateException.class, fresh::current);
        assertTrue(e.getMessage().contains("NOT_A_SETTING") && e.getMessage().contains(arn), e.getMessage());
    }

    /** A rotated database password works once the cached secret's TTL has passed, with no cold start. */
    @Test
    void aRotatedDatabasePasswordIsPickedUpAfterTheSecretsTtl() throws Exception {
        String admin = TestPostgres.newDatabase();
        String db = admin.substring(admin.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
        String role = "rotating_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        TestPostgres.execute(admin, "CREATE ROLE " + role + " LOGIN PASSWORD 'first'; GRANT ALL ON DATABASE \"" + db
                + "\" TO " + role + "; GRANT ALL ON SCHEMA public TO " + role);
        String host = admin.replaceFirst("^jdbc:postgresql://", "").replaceFirst("/.*", "");
        String arn = secret("postgresql://" + role + ":first@" + host + "/" + db);
        Map<String, String> env = aws();
        env.put("DATABASE_SECRET_ARN", arn);
        env.put("SECRETS_TTL_SECONDS", "1");
        env.put("USE_CONVEX", "false");
        env.put("MIGRATIONS_DIR", "../migrations");
        Container container = new Container(env, line -> { });
        assertEquals(200, status(container));

        TestPostgres.execute(admin, "ALTER ROLE " + role + " PASSWORD 'second'");
        updateSecret(arn, "postgresql://" + role + ":second@" + host + "/" + db);
        Thread.sleep(1100);
        assertEquals(200, status(container), "the same warm container, with the rotated password");
    }

    /** HTTP status of a status call through the API shape (200, or the failure's status). */
    private static int status(Container container) throws Exception {
        String event = "{\"version\": \"2.0\", \"routeKey\": \"GET /status\", \"rawPath\": \"/status\","
                + " \"requestContext\": {\"http\": {\"method\": \"GET\"}}}";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new MigrationStatus(container).handleRequest(new ByteArrayInputStream(event.getBytes()), out, null);
        JsonNode answer = JSON.readTree(out.toByteArray());
        assertEquals(200, answer.get("statusCode").asInt(), answer.toString());
        return answer.get("statusCode").asInt();
    }

    /** CreateMigration writes to drafts/: a blank template never sits among the live migrations apply reads. */
    @Test
    void createMigrationWritesDraftsNotLiveMigrations() throws Exception {
        S3Client s3 = TestAws.client(S3Client.builder().forcePathStyle(true));
        String bucket = "migrations-" + UUID.randomUUID();
        s3.createBucket(b -> b.bucket(bucket));
        for (String name : List.of("001_initial_schema.sql", "001_initial_schema.down.sql")) {
            s3.putObject(b -> b.bucket(bucket).key("migrations/" + name), RequestBody.fromFile(
                    java.nio.file.Path.of("..", "migrations", name)));
        }
        Map<String, String> env = aws();
        env.put("MIGRATIONS_BUCKET", bucket);
        env.put("USE_CONVEX", "false");
        Container container = new Container(env, line -> { });
        for (String name : List.of("add_teams", "add_projects")) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new CreateMigration(container).handleRequest(new ByteArrayInputStream(("{\"name\": \"" + name
                    + "\", \"kind\": \"sql\"}").getBytes()), out, null);
            assertTrue(out.toString().contains("drafts/"), out.toString());
        }
        List<String> keys = s3.listObjectsV2(b -> b.bucket(bucket)).contents().stream().map(o -> o.key())
                .filter(k -> !k.startsWith("migration_logs/")).sorted().toList();
        assertEquals(List.of("drafts/002_add_teams.down.sql", "drafts/002_add_teams.sql",
                "drafts/003_add_projects.down.sql", "drafts/003_add_projects.sql", "migrations/001_initial_schema.down.sql",
                "migrations/001_initial_schema.sql"), keys, "versions continue after the live ones and the drafts");
    }
}
