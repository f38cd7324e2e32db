package dev.cryoprotect.migrate.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.wiring.Outcome;
import dev.cryoprotect.migrate.wiring.Wiring;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The shape every handler shares: parse the event, run one verb of the {@link Wiring}, answer with the JSON the CLI
 * prints with {@code --format json}. Over API Gateway the status comes from the failure's kind
 * ({@link dev.cryoprotect.migrate.Failure#httpStatus()}: 400, 409, 500, 503) with the error in the body; on a direct
 * invoke a failure is thrown as a {@link HandlerException} whose class names its kind, so Step Functions can retry or
 * catch it.
 */
public abstract class MigrationHandler implements RequestStreamHandler {
    static final ObjectMapper JSON = new ObjectMapper();
    /** True until this JVM's first invocation (after a SnapStart restore too: priming invokes no handler). */
    private static final java.util.concurrent.atomic.AtomicBoolean COLD = new java.util.concurrent.atomic.AtomicBoolean(true);

    private final Supplier<Container> containers;

    /**
     * The Lambda runtime's constructor: a container shared by every invoke, built on the first one, so a
     * configuration mistake is that invoke's BAD_INPUT answer rather than a failed cold start with a stack trace. The
     * runtime calls it during init, before a SnapStart snapshot is taken: the priming hook must be registered here.
     */
    protected MigrationHandler() {
        Priming.register();
        this.containers = Container::shared;
    }

    protected MigrationHandler(Container container) {
        this(() -> container);
    }

    protected MigrationHandler(Supplier<Container> containers) {
        this.containers = containers;
    }

    /**
     * The input of a call over API Gateway, which answers the caller after 30 s whatever the function is doing: a
     * handler whose work can be cut into calls bounds it here. Unchanged by default.
     */
    protected JsonNode overApi(JsonNode input) {
        return input;
    }

    /** What this function does with one request. */
    protected abstract Outcome<?> handle(MigrationRequest request, Container container);

    @Override
    public final void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        String runId = context != null && context.getAwsRequestId() != null ? context.getAwsRequestId()
                : UUID.randomUUID().toString();
        LambdaEvent.Source source = LambdaEvent.Source.DIRECT;
        Outcome<?> outcome;
        Container container = null;
        try {
            // The event first: a failure to set up (a bad setting, Secrets Manager unreachable) is still answered
            // the way the caller asked, an API Gateway response rather than a thrown error.
            JsonNode event = readEvent(input);
            source = LambdaEvent.sourceOf(event);
            container = containers.get();
            container.log().invocation(runId, COLD.getAndSet(false));
            JsonNode fields = LambdaEvent.parse(event).input();
            outcome = handle(MigrationRequest.from(source == LambdaEvent.Source.API_GATEWAY ? overApi(fields) : fields),
                    container);
        } catch (MigrateException e) {
            outcome = Outcome.failure(e);
        } catch (RuntimeException e) {
            // A bug, or an I/O failure the core did not expect: answered like any failure (HTTP 500, a thrown error
            // on a direct invoke) with the request id; its text, which nothing vetted for secrets, goes to the log only.
            String where = e.getStackTrace().length == 0 ? "" : " at " + e.getStackTrace()[0];
            log(container).event("internal_error", "ERROR", e + where);
            outcome = Outcome.failure(new MigrateException(dev.cryoprotect.migrate.Failure.MIGRATION_FAILED,
                    "internal error (a bug: please report it); request " + runId + ", details in the function's log",
                    e));
        }
        if (container != null) {
            outcome = outcome.inEnvironment(container.wiring().settings().environment());
        }
        String report = container == null ? null : container.reports().write(runId, outcome.body());
        JsonLog log = log(container);
        log.event(outcome.ok() ? "invoke_succeeded" : "invoke_failed", outcome.ok() ? "INFO" : "ERROR",
                getClass().getSimpleName() + (outcome.ok() ? " succeeded" : " failed: " + outcome.error().message())
                        + (report == null ? "" : "; report " + report));
        if (source == LambdaEvent.Source.API_GATEWAY) {
            int status = !outcome.ok() ? outcome.error().failure().httpStatus() : outcome.accepted() ? 202 : 200;
            JSON.writeValue(output, Map.of("statusCode", status, "headers", Map.of("Content-Type", "application/json"),
                    "body", JSON.writeValueAsString(outcome.body()), "isBase64Encoded", false));
            return;
        }
        if (!outcome.ok()) {
            throw failure(outcome);
        }
        JSON.writeValue(output, outcome.body());
    }

    /** The container's log, or, when set-up failed before there was one, a log of its own to stdout (CloudWatch). */
    private static JsonLog log(Container container) {
        return container != null ? container.log() : new JsonLog(System.out::println,
                System.getenv().getOrDefault("AWS_LAMBDA_FUNCTION_NAME", "unconfigured"));
    }

    /**
     * In a production environment (the stack's Environment is prod), {@code action} runs only when the event says
     * {@code "yes": true}; otherwise bad input that says what it would do, and nothing changes.
     */
    static void confirmedInProduction(Container container, MigrationRequest request, String action,
                                      java.util.function.Supplier<java.util.List<String>> whatWouldHappen) {
        dev.cryoprotect.migrate.wiring.Settings settings = container.wiring().settings();
        if (settings.production() && !request.yes()) {
            throw MigrateException.badInput(action + " in the production environment " + settings.environment()
                    + " needs \"yes\": true in the event. It would: " + String.join("; ", whatWouldHappen.get())
                    + ". Nothing was changed");
        }
    }

    /** A failed outcome as the exception a direct invoke throws: its class names the kind, its message the body. */
    static HandlerException failure(Outcome<?> outcome) throws IOException {
        return HandlerException.of(outcome.error().failure(), JSON.writeValueAsString(outcome.body()));
    }

    private static JsonNode readEvent(InputStream input) {
        try {
            byte[] bytes = input.readAllBytes();
            return bytes.length == 0 ? null : JSON.readTree(bytes);
        } catch (IOException e) {
            throw MigrateException.badInput("the event is not valid JSON");
        }
    }
}
