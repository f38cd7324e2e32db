package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cryoprotect.migrate.model.StepOutcome;
import dev.cryoprotect.migrate.report.StepEvent;

import java.time.Instant;
import java.util.function.Consumer;

/**
 * One JSON object per line on stdout, which Lambda sends to CloudWatch Logs: a metric filter such as
 * {@code { $.event = "migration_step" && $.outcome = "failed" }} can alarm on it. Messages come from the core, which
 * keeps secrets out of them.
 */
public final class JsonLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Consumer<String> out;
    private final String function;
    private final String environment;
    private volatile String requestId;
    private volatile boolean coldStart;

    /** @param out receives each line: stdout in Lambda, stderr for {@code migrate invoke} */
    public JsonLog(Consumer<String> out, String function) {
        this(out, function, null);
    }

    /** @param environment the stack's environment (dev, staging, prod), named on every line; null for none */
    public JsonLog(Consumer<String> out, String function, String environment) {
        this.out = out;
        this.function = function;
        this.environment = environment;
    }

    /**
     * The invocation every following line belongs to: Lambda runs one invocation at a time per container, so each
     * line carries the request id (to find one run in CloudWatch Logs Insights) and whether the container was cold.
     */
    public void invocation(String id, boolean cold) {
        this.requestId = id;
        this.coldStart = cold;
    }

    public void step(StepEvent e) {
        ObjectNode line = base("migration_step", level(e))
                .put("runId", e.runId()).put("database", e.database()).put("operation", e.operation())
                .put("dryRun", e.dryRun()).put("version", e.step().version()).put("file", e.step().file())
                .put("outcome", e.step().outcome().id()).put("durationMs", e.step().durationMs());
        if (e.step().message() != null) {
            line.put("message", e.step().message());
        }
        write(line);
    }

    public void event(String event, String level, String message) {
        write(base(event, level).put("message", message));
    }

    private static String level(StepEvent e) {
        return e.step().outcome() == StepOutcome.FAILED ? "ERROR" : "INFO";
    }

    private ObjectNode base(String event, String level) {
        ObjectNode line = JSON.createObjectNode().put("timestamp", Instant.now().toString()).put("level", level)
                .put("event", event).put("function", function);
        if (environment != null) {
            line.put("environment", environment);
        }
        if (requestId != null) {
            line.put("requestId", requestId).put("coldStart", coldStart);
        }
        return line;
    }

    private void write(ObjectNode line) {
        try {
            String text = JSON.writeValueAsString(line);
            synchronized (this) {
                out.accept(text);
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
