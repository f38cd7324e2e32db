package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.report.StepEvent;
import dev.cryoprotect.migrate.report.StepResult;
import dev.cryoprotect.migrate.testing.TestAws;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.cloudwatchlogs.CloudWatchLogsClient;
import software.amazon.awssdk.services.cloudwatchlogs.model.InputLogEvent;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The log format and the schedule against the real service APIs (LocalStack). */
class AwsIntegrationTest {

    @Test
    void theFunctionsLogLinesAreJsonThatCloudWatchStoresAndAMetricFilterCanSelect() throws Exception {
        List<String> lines = new ArrayList<>();
        JsonLog log = new JsonLog(lines::add, "ApplyMigrations");
        log.step(new StepEvent("run-1", "supabase", "apply", false,
                new StepResult("001", "initial_schema", "001_initial_schema.sql", "applied", 12, null)));
        log.step(new StepEvent("run-1", "convex", "apply", false,
                new StepResult("002", "add_teams", "002_add_teams.json", "failed", 7, "002_add_teams.json:14: boom")));
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

        String failedSteps = "{ $.event = \"migration_step\" && $.outcome = \"failed\" }";
        logs.putMetricFilter(b -> b.logGroupName(group).filterName("failed-steps").filterPattern(failedSteps)
                .metricTransformations(t -> t.metricName("FailedMigrationSteps").metricNamespace("Migrations").metricValue("1")));
        assertEquals(failedSteps, logs.describeMetricFilters(b -> b.logGroupName(group)).metricFilters().get(0).filterPattern());

        // LocalStack's community edition stores filter patterns but matches every event with them (its pattern matcher
        // is a Pro plugin), so the selection is checked here on the stored lines: each is one JSON object carrying the
        // fields the filter names.
        List<String> stored = logs.getLogEvents(b -> b.logGroupName(group).logStreamName("s1").startFromHead(true))
                .events().stream().map(e -> e.message()).toList();
        assertEquals(lines, stored);
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> failed = new ArrayList<>();
        for (String line : stored) {
            com.fasterxml.jackson.databind.JsonNode node = json.readTree(line);
            if (node.path("event").asText().equals("migration_step") && node.path("outcome").asText().equals("failed")) {
                failed.add(node.get("version").asText());
            }
        }
        assertEquals(List.of("002"), failed);
    }

    @Test
    void theSyncScheduleIsAValidEventBridgeRuleWhoseInputTheHandlerAccepts() throws Exception {
        EventBridgeClient events = TestAws.client(EventBridgeClient.builder());
        String name = "sync-schedule-" + UUID.randomUUID();
        events.putRule(b -> b.name(name).scheduleExpression("rate(1 hour)").state("DISABLED"));
        events.putTargets(b -> b.rule(name).targets(t -> t.id("SyncData")
                .arn("arn:aws:lambda:us-east-1:000000000000:function:SyncData:live").input("{\"dryRun\": false}")));
        assertEquals("rate(1 hour)", events.describeRule(b -> b.name(name)).scheduleExpression());
        String input = events.listTargetsByRule(b -> b.rule(name)).targets().get(0).input();
        assertEquals(false, MigrationRequest.from(new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(input)).dryRun());
    }
}
