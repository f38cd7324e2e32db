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
import software.amazon.awssdk.services.cloudwatchlogs.CloudWatchLogsClient;
import software.amazon.awssdk.services.cloudwatchlogs.model.InputLogEvent;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;

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
}
