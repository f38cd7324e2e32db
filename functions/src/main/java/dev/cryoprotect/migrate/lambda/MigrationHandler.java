package dev.cryoprotect.migrate.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.report.ErrorReport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.UUID;

/**
 * The shape every handler shares: parse the event, run one core call, answer with the JSON the CLI prints with
 * {@code --format json}. Over API Gateway the answer is 200, or 400 bad input, 409 lock busy or history conflict,
 * 500 otherwise, with the error in the body; on a direct invoke a failure is thrown as a {@link HandlerException}
 * whose class names its kind, so Step Functions can retry or catch it.
 */
public abstract class MigrationHandler implements RequestStreamHandler {
    static final ObjectMapper JSON = new ObjectMapper();

    private final Services services;

    /** The Lambda runtime's constructor: services shared by every invoke in this container. */
    protected MigrationHandler() {
        this(Services.shared());
    }

    protected MigrationHandler(Services services) {
        this.services = services;
    }

    /** What this function does with one request. The result is serialized as JSON. */
    protected abstract Outcome handle(MigrationRequest request, LambdaEvent.Source source, Services services);

    /** A result and whether it counts as success; a failure's error decides the status or exception. */
    protected record Outcome(Object result, ErrorReport error) {
        static Outcome ok(Object result) {
            return new Outcome(result, null);
        }
    }

    @Override
    public final void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        String runId = context != null && context.getAwsRequestId() != null ? context.getAwsRequestId()
                : UUID.randomUUID().toString();
        LambdaEvent.Source source = LambdaEvent.Source.DIRECT;
        Outcome outcome;
        try {
            JsonNode event = readEvent(input);
            source = LambdaEvent.sourceOf(event);
            LambdaEvent parsed = LambdaEvent.parse(event);
            outcome = handle(MigrationRequest.from(parsed.input()), source, services);
        } catch (MigrateException e) {
            outcome = new Outcome(Map.of("error", ErrorReport.of(e)), ErrorReport.of(e));
        }
        String report = services.writeReport(runId, outcome.result());
        services.log().event(outcome.error() == null ? "invoke_succeeded" : "invoke_failed",
                outcome.error() == null ? "INFO" : "ERROR", getClass().getSimpleName()
                        + (outcome.error() == null ? " succeeded" : " failed: " + outcome.error().message())
                        + (report == null ? "" : "; report " + report));
        if (source == LambdaEvent.Source.API_GATEWAY) {
            int status = outcome.error() == null ? 200 : httpStatus(outcome.error());
            APIGatewayV2HTTPResponse response = APIGatewayV2HTTPResponse.builder().withStatusCode(status)
                    .withHeaders(Map.of("Content-Type", "application/json"))
                    .withBody(JSON.writeValueAsString(outcome.result())).build();
            JSON.writeValue(output, Map.of("statusCode", response.getStatusCode(), "headers", response.getHeaders(),
                    "body", response.getBody(), "isBase64Encoded", false));
            return;
        }
        if (outcome.error() != null) {
            throw HandlerException.of(Failure.valueOf(outcome.error().failure().toUpperCase(java.util.Locale.ROOT)),
                    JSON.writeValueAsString(outcome.result()));
        }
        JSON.writeValue(output, outcome.result());
    }

    private static JsonNode readEvent(InputStream input) {
        try {
            byte[] bytes = input.readAllBytes();
            return bytes.length == 0 ? null : JSON.readTree(bytes);
        } catch (IOException e) {
            throw MigrateException.badInput("the event is not valid JSON");
        }
    }

    private static int httpStatus(ErrorReport error) {
        return switch (Failure.valueOf(error.failure().toUpperCase(java.util.Locale.ROOT))) {
            case BAD_INPUT -> 400;
            case LOCK_BUSY, HISTORY_CONFLICT -> 409;
            default -> 500;
        };
    }
}
