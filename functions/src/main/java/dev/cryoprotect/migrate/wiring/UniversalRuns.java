package dev.cryoprotect.migrate.wiring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.Version;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.SfnException;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The universal state machine as CI reaches it through the API: a run is started and answered at once (an apply may
 * take many minutes, an HTTP API answers within 30 s), then read back by its id until it ends. The run id is the
 * execution's name, which every history row the run writes also carries.
 */
public final class UniversalRuns {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final SfnClient sfn;
    private final String stateMachineArn;

    UniversalRuns(SfnClient sfn, String stateMachineArn) {
        if (stateMachineArn == null || !stateMachineArn.startsWith("arn:") || !stateMachineArn.contains(":stateMachine:")) {
            throw MigrateException.badInput("UNIVERSAL_STATE_MACHINE_ARN must be the universal state machine's ARN"
                    + " (the stack sets it); this function runs only in the deployed stack");
        }
        this.sfn = sfn;
        this.stateMachineArn = stateMachineArn;
    }

    /** Starts a run; the answer carries its id and where to read it. */
    public Outcome<Map<String, Object>> start(Version target, boolean dryRun, boolean sync, List<String> tables) {
        String runId = "run-" + UUID.randomUUID();
        ObjectNode input = JSON.createObjectNode();
        if (target == null) {
            input.putNull("target");
        } else {
            input.put("target", target.text());
        }
        input.put("dryRun", dryRun).put("sync", sync);
        tables.forEach(input.putArray("tables")::add);
        if (!input.has("tables")) {
            input.putArray("tables");
        }
        try {
            String arn = sfn.startExecution(b -> b.stateMachineArn(stateMachineArn).name(runId)
                    .input(input.toString())).executionArn();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("runId", runId);
            body.put("status", "RUNNING");
            body.put("executionArn", arn);
            body.put("statusPath", "/runs/" + runId);
            return Outcome.accepted(body);
        } catch (SfnException e) {
            throw new MigrateException(Failure.UNREACHABLE, "cannot start the universal run: "
                    + e.awsErrorDetails().errorMessage(), e);
        } catch (SdkException e) {
            throw new MigrateException(Failure.UNREACHABLE, "cannot start the universal run: " + e.getMessage(), e);
        }
    }

    /** A run's state: RUNNING, SUCCEEDED (with the run's output), FAILED, TIMED_OUT or ABORTED (with what failed). */
    public Outcome<Map<String, Object>> describe(String runId) {
        String executionArn = stateMachineArn.replace(":stateMachine:", ":execution:") + ":" + runId;
        DescribeExecutionResponse execution;
        try {
            execution = sfn.describeExecution(b -> b.executionArn(executionArn));
        } catch (ExecutionDoesNotExistException e) {
            throw MigrateException.badInput("no universal run " + runId + " (runs are kept 90 days)");
        } catch (SfnException e) {
            throw new MigrateException(Failure.UNREACHABLE, "cannot read run " + runId + ": "
                    + e.awsErrorDetails().errorMessage(), e);
        } catch (SdkException e) {
            throw new MigrateException(Failure.UNREACHABLE, "cannot read run " + runId + ": " + e.getMessage(), e);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("runId", runId);
        body.put("status", execution.statusAsString());
        body.put("startDate", String.valueOf(execution.startDate()));
        if (execution.stopDate() != null) {
            body.put("stopDate", String.valueOf(execution.stopDate()));
        }
        if (execution.output() != null) {
            body.put("output", jsonOrText(execution.output()));
        }
        if (execution.error() != null) {
            body.put("error", execution.error());
        }
        if (execution.cause() != null) {
            body.put("cause", jsonOrText(execution.cause()));
        }
        return Outcome.ok(body);
    }

    private static Object jsonOrText(String text) {
        try {
            JsonNode node = JSON.readTree(text);
            return node == null ? text : node;
        } catch (IOException e) {
            return text;
        }
    }
}
