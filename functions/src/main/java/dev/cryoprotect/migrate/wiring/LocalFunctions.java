package dev.cryoprotect.migrate.wiring;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The deployed functions, runnable here by name ({@code migrate invoke}, a Docker-free stand-in for
 * {@code sam local invoke}). The Lambda side implements it; the program's entry point hands it to the CLI, so the CLI
 * never depends on the handlers.
 */
public interface LocalFunctions {

    /** A function's answer: its response JSON, or Lambda's error payload with the failure's exit code. */
    record Response(String json, int exitCode) {
    }

    /** The function names, as in template.yaml. */
    List<String> names();

    /**
     * Runs {@code function} once with {@code event}, as Lambda would in a container whose environment is
     * {@code environment}; its log lines go to {@code log}.
     */
    Response invoke(String function, byte[] event, Map<String, String> environment, Consumer<String> log);
}
