package dev.cryoprotect.migrate.wiring;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.report.ErrorReport;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.report.StatusTable;
import dev.cryoprotect.migrate.report.SyncSummary;
import dev.cryoprotect.migrate.report.UniversalResult;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a command produced, as both edges answer it: the typed result (the CLI renders it as text), the JSON body (the
 * CLI's {@code --format json}, the handlers' response), and the error that decides the exit code or HTTP status.
 *
 * @param error    null on success
 * @param accepted the work goes on after this answer (a started universal run): HTTP 202 over API Gateway
 */
public record Outcome<T>(T result, Object body, ErrorReport error, boolean accepted) {

    public boolean ok() {
        return error == null;
    }

    public int exitCode() {
        return error == null ? 0 : error.exitCode();
    }

    /** Made on first use only: a text-only command never loads Jackson's databind (start-up time). */
    private static final class Json {
        static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind.ObjectMapper();
    }

    /**
     * The same outcome with the environment it ran in named in its JSON body (a top-level {@code environment} field; a
     * list becomes {@code {"environment": ..., "items": [...]}}), so no result is read without knowing where it came
     * from. Unchanged when no environment is selected.
     */
    public Outcome<T> inEnvironment(String environment) {
        if (environment == null) {
            return this;
        }
        com.fasterxml.jackson.databind.JsonNode tree = Json.MAPPER.valueToTree(body);
        com.fasterxml.jackson.databind.node.ObjectNode named = Json.MAPPER.createObjectNode().put("environment",
                environment);
        if (tree instanceof com.fasterxml.jackson.databind.node.ObjectNode object) {
            object.remove("environment");
            named.setAll(object);
        } else {
            named.set("items", tree);
        }
        return new Outcome<>(result, named, error, accepted);
    }

    /** Work started that goes on after this answer. */
    public static <T> Outcome<T> accepted(T result) {
        return new Outcome<>(result, result, null, true);
    }

    /** A result that always counts as success (create, a plan). */
    public static <T> Outcome<T> ok(T result) {
        return new Outcome<>(result, result, null, false);
    }

    /** A status; a database whose history could not be read fails it, with the readable ones still shown. */
    public static Outcome<StatusTable> status(StatusTable table) {
        return new Outcome<>(table, table, table.errors().values().stream().findFirst().orElse(null), false);
    }

    /** One database's result as itself; several (one per database) keyed by database; the first failure decides. */
    public static Outcome<List<RunResult>> runs(List<RunResult> results) {
        return new Outcome<>(results, oneOrByDatabase(results, r -> r), firstError(results), false);
    }

    /** As {@link #runs}, with each result's steps counted rather than listed (the state machine's compact form). */
    public static Outcome<List<RunResult>> summaries(List<RunResult> results) {
        return new Outcome<>(results, oneOrByDatabase(results, RunResult::summary), firstError(results), false);
    }

    /** A universal run's compensation: where each database ended, and each database's (compact) result. */
    public static Outcome<List<RunResult>> compensation(List<RunResult> results, boolean compact) {
        Map<String, String> ended = new LinkedHashMap<>();
        Map<String, Object> byDatabase = new LinkedHashMap<>();
        for (RunResult r : results) {
            ended.put(r.database(), r.finalVersion());
            byDatabase.put(r.database(), compact ? r.summary() : r);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ended", ended);
        body.put("databases", byDatabase);
        return new Outcome<>(results, body, firstError(results), false);
    }

    private static Object oneOrByDatabase(List<RunResult> results, java.util.function.Function<RunResult, ?> shown) {
        if (results.size() == 1) {
            return shown.apply(results.get(0));
        }
        Map<String, Object> byDatabase = new LinkedHashMap<>();
        results.forEach(r -> byDatabase.put(r.database(), shown.apply(r)));
        return byDatabase;
    }

    private static ErrorReport firstError(List<RunResult> results) {
        return results.stream().filter(r -> !r.success()).map(RunResult::error).findFirst().orElse(null);
    }

    public static Outcome<UniversalResult> universal(UniversalResult result) {
        ErrorReport error = result.success() ? null : result.error() != null ? result.error()
                : ErrorReport.of(Failure.MIGRATION_FAILED, result.message(), null, null);
        return new Outcome<>(result, result, error, false);
    }

    /** A sync with rejected rows or failed tables failed (exit 1); the rest of it still synced. */
    public static Outcome<SyncSummary> sync(SyncSummary summary) {
        ErrorReport error = summary.failureCount() == 0 ? null : ErrorReport.of(Failure.MIGRATION_FAILED,
                summary.failureCount() + " row(s) or table(s) failed to sync; the rest synced (see results)", null, null);
        return new Outcome<>(summary, summary, error, false);
    }

    /** A failure before anything ran: the body is {@code {"error": {...}}}. */
    public static Outcome<Void> failure(MigrateException e) {
        ErrorReport error = ErrorReport.of(e);
        return new Outcome<>(null, Map.of("error", error), error, false);
    }
}
