package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cryoprotect.migrate.MigrateException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;

/**
 * The three ways a handler is invoked, told apart by shape: an API Gateway HTTP API (payload 2.0) event, an
 * EventBridge scheduled event, or a direct JSON invoke (console, {@code sam invoke}, Step Functions).
 */
public record LambdaEvent(Source source, JsonNode input) {
    /** Larger API bodies are refused: no request of ours needs them. */
    public static final int MAX_BODY_BYTES = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    public enum Source { DIRECT, API_GATEWAY, SCHEDULE }

    /** Which trigger sent this event, judged by its shape alone (so even a bad body gets the right kind of answer). */
    public static Source sourceOf(JsonNode event) {
        if (event != null && event.isObject() && "2.0".equals(event.path("version").asText())
                && event.has("requestContext") && event.has("routeKey")) {
            return Source.API_GATEWAY;
        }
        if (event != null && event.isObject() && "aws.events".equals(event.path("source").asText())
                && "Scheduled Event".equals(event.path("detail-type").asText())) {
            return Source.SCHEDULE;
        }
        return Source.DIRECT;
    }

    public static LambdaEvent parse(JsonNode event) {
        return switch (sourceOf(event)) {
            case API_GATEWAY -> new LambdaEvent(Source.API_GATEWAY, apiInput(event));
            case SCHEDULE -> new LambdaEvent(Source.SCHEDULE,
                    event.path("detail").isObject() ? event.path("detail") : JSON.createObjectNode());
            case DIRECT -> new LambdaEvent(Source.DIRECT, event);
        };
    }

    /**
     * The JSON body (base64-decoded when flagged), the path parameters over it, and query-string parameters filling
     * fields the body lacks.
     */
    private static JsonNode apiInput(JsonNode event) {
        JsonNode bodyNode = event.get("body");
        ObjectNode input = JSON.createObjectNode();
        if (bodyNode != null && !bodyNode.isNull() && !bodyNode.asText().isBlank()) {
            byte[] body = event.path("isBase64Encoded").asBoolean(false)
                    ? decodeBase64(bodyNode.asText()) : bodyNode.asText().getBytes(StandardCharsets.UTF_8);
            if (body.length > MAX_BODY_BYTES) {
                throw MigrateException.badInput("request body is " + body.length + " bytes; at most " + MAX_BODY_BYTES
                        + " are accepted");
            }
            try {
                JsonNode parsed = JSON.readTree(body);
                if (!parsed.isObject()) {
                    throw MigrateException.badInput("request body must be a JSON object");
                }
                input.setAll((ObjectNode) parsed);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw MigrateException.badInput("request body is not valid JSON: " + e.getOriginalMessage());
            } catch (IOException e) {
                throw MigrateException.badInput("request body cannot be read");
            }
        }
        JsonNode path = event.path("pathParameters"); // GET /runs/{runId}
        for (Iterator<Map.Entry<String, JsonNode>> it = path.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> param = it.next();
            input.set(param.getKey(), param.getValue());
        }
        JsonNode query = event.path("queryStringParameters");
        for (Iterator<Map.Entry<String, JsonNode>> it = query.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> param = it.next();
            if (!input.has(param.getKey())) {
                input.set(param.getKey(), param.getValue());
            }
        }
        return input;
    }

    private static byte[] decodeBase64(String text) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw MigrateException.badInput("request body is flagged base64 but is not valid base64");
        }
    }
}
