package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.cryoprotect.migrate.wiring.LocalFunctions;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs a handler here as Lambda would: a fresh container with the given environment, the event as the input stream,
 * and a failure turned into Lambda's error payload {@code {errorType, errorMessage}} (the class name Step Functions
 * matches on).
 */
public final class LocalInvoke implements LocalFunctions {
    /** Every function in template.yaml, by its name there. */
    private static final Map<String, Function<Supplier<Container>, MigrationHandler>> FUNCTIONS = new LinkedHashMap<>();

    static {
        FUNCTIONS.put("MigrationStatus", MigrationStatus::new);
        FUNCTIONS.put("ApplyMigrations", ApplyMigrations::new);
        FUNCTIONS.put("RollbackMigrations", RollbackMigrations::new);
        FUNCTIONS.put("CreateMigration", CreateMigration::new);
        FUNCTIONS.put("SyncData", SyncData::new);
        FUNCTIONS.put("SyncRangeWorker", SyncData::new);
        FUNCTIONS.put("UniversalRunsApi", UniversalRunsApi::new);
    }

    @Override
    public List<String> names() {
        return List.copyOf(FUNCTIONS.keySet());
    }

    @Override
    public Response invoke(String function, byte[] event, Map<String, String> environment, Consumer<String> log) {
        Function<Supplier<Container>, MigrationHandler> handler = FUNCTIONS.get(function);
        if (handler == null) {
            throw new IllegalArgumentException("unknown function " + function);
        }
        Map<String, String> env = new LinkedHashMap<>(environment);
        env.put("AWS_LAMBDA_FUNCTION_NAME", function);
        ByteArrayOutputStream response = new ByteArrayOutputStream();
        try {
            // Set up inside the handler, as a deployed function's first invoke is: a configuration mistake is answered
            // the same way (an API Gateway response, or the error a direct invoke throws).
            handler.apply(() -> new Container(env, log)).handleRequest(new ByteArrayInputStream(event), response, null);
            return new Response(response.toString(StandardCharsets.UTF_8), 0);
        } catch (HandlerException e) {
            return new Response(errorPayload(e), e.failure().exitCode());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String errorPayload(HandlerException e) {
        try {
            return MigrationHandler.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(Map.of(
                    "errorType", e.getClass().getName(), "errorMessage", e.getMessage()));
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
