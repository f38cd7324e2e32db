package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Telling the three triggers apart by the event's shape, and reading an API Gateway request's input. */
@Tag("fast")
class LambdaEventTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    private static JsonNode api(String body, boolean base64, String query) throws Exception {
        var event = JSON.createObjectNode().put("version", "2.0").put("routeKey", "POST /apply")
                .put("isBase64Encoded", base64);
        event.putObject("requestContext");
        if (body != null) {
            event.put("body", body);
        }
        if (query != null) {
            event.set("queryStringParameters", json(query));
        }
        return event;
    }

    @Test
    void theSampleEventsAreRecognisedByTheirShape() throws Exception {
        Path events = Path.of("..", "events");
        assertEquals(LambdaEvent.Source.API_GATEWAY, LambdaEvent.sourceOf(JSON.readTree(events.resolve("apply-apigw.json").toFile())));
        assertEquals(LambdaEvent.Source.SCHEDULE, LambdaEvent.sourceOf(JSON.readTree(events.resolve("sync-schedule.json").toFile())));
        assertEquals(LambdaEvent.Source.DIRECT, LambdaEvent.sourceOf(JSON.readTree(events.resolve("apply-direct.json").toFile())));
        assertEquals(LambdaEvent.Source.DIRECT, LambdaEvent.sourceOf(null), "an empty invoke is a direct one");
    }

    @Test
    void aDirectEventIsItsOwnInputAndAScheduleUsesItsDetail() throws Exception {
        assertEquals(json("{\"target\": \"002\"}"), LambdaEvent.parse(json("{\"target\": \"002\"}")).input());
        JsonNode schedule = json("{\"source\": \"aws.events\", \"detail-type\": \"Scheduled Event\", \"detail\": {}}");
        assertEquals(json("{}"), LambdaEvent.parse(schedule).input());
    }

    @Test
    void anApiBodyIsReadAsJsonAndQueryParametersFillWhatItLacks() throws Exception {
        LambdaEvent plain = LambdaEvent.parse(api("{\"target\": \"003\"}", false, "{\"target\": \"001\", \"dryRun\": \"true\"}"));
        assertEquals(json("{\"target\": \"003\", \"dryRun\": \"true\"}"), plain.input(), "the body wins over the query");
        String encoded = Base64.getEncoder().encodeToString("{\"dryRun\": true}".getBytes(StandardCharsets.UTF_8));
        assertEquals(json("{\"dryRun\": true}"), LambdaEvent.parse(api(encoded, true, null)).input());
        assertEquals(json("{}"), LambdaEvent.parse(api(null, false, null)).input());
        assertEquals(json("{}"), LambdaEvent.parse(api("  ", false, null)).input());
    }

    @Test
    void aBadApiBodyIsBadInputSayingWhy() {
        assertBadInput(() -> LambdaEvent.parse(api("[1, 2]", false, null)), "must be a JSON object");
        assertBadInput(() -> LambdaEvent.parse(api("{\"target\": ", false, null)), "not valid JSON");
        assertBadInput(() -> LambdaEvent.parse(api("%%%", true, null)), "not valid base64");
        assertBadInput(() -> LambdaEvent.parse(api("{\"pad\": \"" + "x".repeat(LambdaEvent.MAX_BODY_BYTES) + "\"}", false,
                null)), "at most " + LambdaEvent.MAX_BODY_BYTES);
    }

    private interface Parse {
        void run() throws Exception;
    }

    private static void assertBadInput(Parse parse, String expected) {
        MigrateException e = assertThrows(MigrateException.class, parse::run);
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
